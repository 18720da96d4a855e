//! What every transport's client holds, built once: the configuration, the
//! checked user agent, each service's endpoint, the retry quota shared by
//! all calls, the sessions' token providers, and the system randomness the
//! state machines take as arguments.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use oidc_core::call::Call;
use oidc_core::device_flow::DeviceFlow;
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::http::HeaderValue;
use oidc_core::retry::RetryQuota;
use oidc_core::{Operation, SignRequest};

use crate::config::{Config, ConfigError, DEFAULT_AUTHORIZATION_TIMEOUT};
use crate::drive::flow::{DeviceFlowRun, Event, Flow};
use crate::error::Error;
use crate::token::provider::TokenProviders;
use crate::token::session::Session;
use crate::token::session_flow::{SessionFlow, SignInMode};

/// The state a transport's client shares between its calls: the
/// configuration, the checked user agent, each service's endpoint, the
/// retry quota shared by all calls and the sessions' token providers.
/// Adapters keep one and drive the machines it
/// builds ([`call`](ClientState::call),
/// [`session_flow`](ClientState::session_flow)).
///
/// ```
/// use oidc_host::adapter::ClientState;
/// use oidc_host::Config;
/// use oidc_host::oidc_core::endpoint::Service;
/// use oidc_host::oidc_core::sso_oidc::register_client::RegisterClientInput;
///
/// let state = ClientState::new(Config::for_region("eu-west-1"), "my-adapter", "1.0")?;
/// assert_eq!(state.endpoint(Service::Sts).unwrap().url(), "https://sts.eu-west-1.amazonaws.com");
/// let call = state.call(&RegisterClientInput::new("my-tool"), None)?;
/// # let _ = call;
/// # Ok::<(), oidc_host::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientState {
    config: Config,
    user_agent: HeaderValue,
    endpoints: Vec<(Service, Endpoint)>,
    quota: Mutex<RetryQuota>,
    providers: TokenProviders,
}

impl ClientState {
    /// Checks `config` (every service's endpoint in its region, the HTTPS
    /// rule, the user agent `oidc-core/x <adapter>/<version> <suffix>`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is wrong.
    pub fn new(config: Config, adapter: &str, version: &str) -> Result<ClientState, Error> {
        let user_agent = config.user_agent_header(adapter, version)?;
        let endpoints = [Service::SsoOidc, Service::SsoPortal, Service::Sts]
            .into_iter()
            .map(|s| Ok((s, config.endpoint_for(s, &config.region)?)))
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(ClientState {
            config,
            user_agent,
            endpoints,
            quota: Mutex::new(RetryQuota::default()),
            providers: TokenProviders::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The resolved endpoint of `service` in the configured region (every
    /// service this crate speaks has one).
    pub fn endpoint(&self, service: Service) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, e)| e)
    }

    fn endpoint_of(&self, service: Service) -> Result<&Endpoint, Error> {
        self.endpoint(service).ok_or_else(|| {
            Error::Config(ConfigError::Endpoint(
                oidc_core::endpoint::EndpointError::Evaluation {
                    message: format!("no endpoint is configured for {service:?}"),
                },
            ))
        })
    }

    /// A [`Call`] of `input` with this client's options (retries, user
    /// agent, HTTPS rule) and `signer` for SigV4 operations.
    ///
    /// # Errors
    ///
    /// As [`Call::new`].
    pub fn call<O: Operation>(
        &self,
        input: &O,
        signer: Option<Arc<dyn SignRequest>>,
    ) -> Result<Call<O>, Error> {
        let mut options = self.config.call_options(&self.user_agent);
        options.signer = signer;
        Ok(Call::new(input, self.endpoint_of(O::SERVICE)?, options)?)
    }

    /// A [`SessionFlow`] for `session`, with this client's token provider
    /// for it (so refresh throttling holds across calls) and fresh
    /// randomness for PKCE.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] (the session's region does not resolve),
    /// [`Error::Local`] (the system random number generator failed).
    pub fn session_flow(&self, session: &Session, mode: SignInMode) -> Result<SessionFlow, Error> {
        let mut entropy = [0u8; 96];
        if mode == SignInMode::AuthorizationCode {
            fill_random(&mut entropy)?;
        }
        let flow = SessionFlow::new(&self.config, &self.user_agent, session, mode, entropy)?;
        let provider = self
            .providers
            .get(
                &session.dir,
                &session.session_key,
                self.endpoint_of(Service::SsoOidc)?,
                session.refresh_policy,
            )
            .with_regional_endpoints(self.config.clone());
        Ok(flow
            .with_provider(provider)
            .with_authorization_timeout(DEFAULT_AUTHORIZATION_TIMEOUT))
    }

    /// A [`CredentialsFlow`](crate::CredentialsFlow) for `source`: static and environment
    /// credentials end at once; SSO role credentials read the AWS CLI's
    /// cache under its lock, else run this client's [`SessionFlow`] for
    /// the session (portal in the session's region, else the client's) and
    /// GetRoleCredentials, and write the cache; AssumeRole runs the inner
    /// source's flow and signs STS AssumeRole (in `region`, else the
    /// client's) with its credentials.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] (a region does not resolve), [`Error::Local`] (the
    /// system random number generator failed).
    pub fn credentials_flow(
        &self,
        source: &crate::credentials::CredentialsSource,
    ) -> Result<crate::credentials::flow::CredentialsFlow, Error> {
        use crate::credentials::fetch;
        use crate::credentials::flow::{CredentialsFlow, Machine};
        use crate::credentials::{CredentialsCacheDir, CredentialsSource};
        let options = self.config.call_options(&self.user_agent);
        Ok(match source {
            CredentialsSource::Static(credentials) => {
                CredentialsFlow::known(Ok(credentials.clone()))
            }
            CredentialsSource::Environment(env) => {
                CredentialsFlow::known(env.credentials().map_err(Error::from))
            }
            CredentialsSource::SsoRole {
                session,
                account_id,
                role_name,
                sign_in,
                cache,
            } => {
                let region = session.region.as_deref().unwrap_or(&self.config.region);
                let portal = self.config.endpoint_for(Service::SsoPortal, region)?;
                CredentialsFlow::sso_role(
                    self.session_flow(session, *sign_in)?,
                    cache.clone(),
                    CredentialsCacheDir::sso_role_file_name(session, account_id, role_name),
                    account_id.clone(),
                    role_name.clone(),
                    session.lock_timeout,
                    portal,
                    options,
                )
            }
            CredentialsSource::AssumeRole {
                source,
                input,
                region,
                cache,
                mfa,
            } => {
                let region = region.clone().unwrap_or_else(|| self.config.region.clone());
                let endpoint = self.config.endpoint_for(Service::Sts, &region)?;
                let fetcher = fetch::AssumeRole::new(
                    self.credentials_flow(source)?,
                    input.clone(),
                    endpoint,
                    region,
                    options,
                    mfa.clone(),
                );
                CredentialsFlow::of(Machine::Assume(Box::new(fetch::Cached::new(
                    cache.clone(),
                    &input.role_arn,
                    fetcher,
                ))))
            }
            CredentialsSource::WebIdentity {
                token_file,
                role_arn,
                role_session_name,
                region,
                cache,
            } => {
                let region = region.clone().unwrap_or_else(|| self.config.region.clone());
                let endpoint = self.config.endpoint_for(Service::Sts, &region)?;
                let fetcher = fetch::WebIdentity::new(
                    token_file.clone(),
                    role_arn.clone(),
                    role_session_name.clone(),
                    endpoint,
                    options,
                );
                CredentialsFlow::of(Machine::WebIdentity(Box::new(fetch::Cached::new(
                    cache.clone(),
                    role_arn,
                    fetcher,
                ))))
            }
            CredentialsSource::Process { command, timeout } => CredentialsFlow::of(
                Machine::Process(fetch::Process::new(command.clone(), *timeout)),
            ),
            CredentialsSource::Container(env) => CredentialsFlow::of(Machine::Container(Box::new(
                fetch::Container::new(env.clone(), self.user_agent.clone()),
            ))),
            CredentialsSource::InstanceMetadata(env) => {
                let endpoint = env
                    .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                    .unwrap_or_else(|| oidc_core::imds::DEFAULT_ENDPOINT.to_owned());
                match oidc_core::imds::ImdsCredentials::new(&endpoint) {
                    Ok(imds) => CredentialsFlow::of(Machine::InstanceMetadata(Box::new(
                        fetch::InstanceMetadata::new(imds, self.user_agent.clone()),
                    ))),
                    Err(e) => CredentialsFlow::known(Err(
                        crate::error::SourceError::InstanceMetadata(e).into(),
                    )),
                }
            }
        })
    }

    /// Credentials from `provider`, for a blocking transport: the ones in
    /// its memory while fresh, else one fetch for all callers at once (the
    /// others wait for it, or for `cancel`): `run` drives the fetch's
    /// [`CredentialsFlow`](crate::CredentialsFlow).
    ///
    /// # Errors
    ///
    /// The fetch's, and [`Error::Cancelled`] while waiting for another's.
    pub fn credentials_blocking(
        &self,
        provider: &crate::CredentialsProvider,
        cancel: &crate::CancelToken,
        run: impl FnOnce(crate::CredentialsFlow) -> Result<oidc_core::Credentials, Error>,
    ) -> Result<oidc_core::Credentials, Error> {
        loop {
            match provider.begin(std::time::SystemTime::now()) {
                crate::Begin::Ready(credentials) => return Ok(credentials),
                crate::Begin::Wait(other) => other.blocking(cancel)?,
                crate::Begin::Fetch(fetch) => {
                    let flow = self.credentials_flow(provider.source())?;
                    return fetch.finish(run(flow.with_policy(provider.policy())));
                }
            }
        }
    }

    /// The retry quota every call of the client shares (lock briefly).
    pub fn quota(&self) -> MutexGuard<'_, RetryQuota> {
        self.quota.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tokens left in the retry quota.
    pub fn retry_quota_available(&self) -> u32 {
        self.quota().available()
    }

    /// A caller's [`DeviceFlow`] as a [`Flow`], its polls sent with this
    /// client's user agent.
    pub fn device_flow_run<'a>(&self, flow: &'a mut DeviceFlow) -> DeviceFlowRun<'a> {
        flow.set_user_agent(self.user_agent.clone());
        DeviceFlowRun::new(flow)
    }

    /// Hands `event`, the outcome of `flow`'s last step, back to it, with
    /// this client's retry quota and fresh jitter.
    pub fn deliver<F: Flow, B: AsRef<[u8]>>(
        &self,
        flow: &mut F,
        now: Instant,
        event: Event<'_, B>,
    ) {
        let mut quota = self.quota();
        flow.handle(now, event, &mut quota, jitter());
    }
}

/// A uniformly random `u32` for retry jitter (a fixed middle value if the
/// system generator fails: jitter needs no secrecy).
pub fn jitter() -> u32 {
    getrandom::u32().unwrap_or(u32::MAX / 2)
}

fn fill_random(out: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(out).map_err(|e| Error::Local {
        context: "the system random number generator failed",
        source: std::io::Error::other(e.to_string()),
    })
}
