//! The session's token as a state machine: [`SessionFlow`].

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::{CachedToken, RegistrationUse};
use oidc_core::call::{Call, CallOptions, Step};
use oidc_core::device_flow::{Action, DeviceFlow, DeviceFlowError, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::http::{self, HeaderValue};
use oidc_core::pkce::{self, AuthorizeRequest, State as PkceState};
use oidc_core::retry::RetryQuota;
use oidc_core::secret::{AuthorizationCode, CodeVerifier};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::sso_oidc::start_device_authorization::{
    StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput,
};
use oidc_core::sso_oidc::ErrorCode;
use oidc_core::{Operation as _, TransportError};

use crate::config::Config;
use crate::error::{Error, HostError, TokenError};
use crate::flow::{FileDone, FileJob, Flow, FlowStep};
use crate::provider::{Login, Next, Refresh, Refreshed, RegistrationInfo, TokenProvider};
use crate::session::Session;

/// What a [`SessionFlow`] may do when the cached token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInMode {
    /// Never sign in: without a usable (or refreshable) token the flow
    /// ends with [`Error::LoginRequired`].
    CachedOnly,
    /// Sign in with the device flow (headless-safe).
    DeviceCode,
    /// Sign in with authorization code + PKCE through a loopback listener
    /// and a browser.
    AuthorizationCode,
}

/// How the user approves a sign-in.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignInPrompt {
    /// Device flow: confirm the code at the verification page.
    DeviceCode(Prompt),
    /// Authorization code: open this URL in a browser.
    Browser {
        /// The `/authorize` URL.
        url: String,
    },
}

enum Done {
    Opened(Result<Next, TokenError>),
    Refreshed(Result<Refreshed, TokenError>),
    Registration {
        login: Login,
        cached: Result<Option<RegistrationInfo>, HostError>,
    },
    RegistrationStored {
        login: Login,
        stored: Result<RegistrationInfo, HostError>,
    },
    Stored(Result<CachedToken, TokenError>),
}

/// A registration in use and whether it came from the cache.
struct Registration {
    info: RegistrationInfo,
    cached: bool,
}

enum State {
    Start,
    /// A file job is out; its result moves the flow on.
    Filing,
    Refreshing {
        call: Call<CreateTokenInput>,
        refresh: Refresh,
    },
    SignIn {
        login: Login,
    },
    Registering {
        login: Login,
        call: Call<RegisterClientInput>,
    },
    Starting {
        login: Login,
        registration: Registration,
        call: Call<StartDeviceAuthorizationInput>,
    },
    Polling {
        login: Login,
        registration: Registration,
        flow: Box<DeviceFlow>,
    },
    NeedListener {
        login: Login,
        registration: Registration,
    },
    Authorizing {
        login: Login,
        registration: Registration,
        pkce: Pkce,
        prompted: bool,
        deadline: Option<Instant>,
    },
    Redeeming {
        login: Login,
        registration: Registration,
        call: Call<CreateTokenInput>,
    },
    Finished(Option<Result<CachedToken, Error>>),
}

struct Pkce {
    redirect_uri: String,
    state: PkceState,
    verifier: CodeVerifier,
    url: String,
}

/// The session's token, decided once for every adapter: a state machine
/// that says what to do next, in the device flow's shape.
///
/// [`SessionFlow`] holds every decision of "give me this session's token":
/// take the session lock, use the cached token, refresh it (in the region
/// its cache entry names), sign in again when the refresh token is dead,
/// re-register once when the service rejects the cached registration, run
/// the device flow or authorization code + PKCE, and write the cache. Its
/// network calls retry with [`oidc_core::call::Call`]; device-flow polls
/// are counted by the device flow alone.
///
/// An adapter only carries out [`FlowStep`]s: send a request, wait,
/// run a [`FileJob`] (blocking file work: the lock, cache reads and atomic
/// writes; async adapters run it off their executor), show a prompt, bind
/// the loopback listener, and serve it with
/// [`oidc_core::pkce::answer_loopback`] until the redirect arrives.
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// use oidc_host::oidc_core::cache::CachedToken;
/// use oidc_host::oidc_core::retry::RetryQuota;
/// use oidc_host::oidc_core::secret::AccessToken;
/// use oidc_host::{CacheDir, Config, FlowStep, Session, SessionFlow, SignInMode};
///
/// # let scratch = std::env::temp_dir().join(format!("oidc-host-flow-doc-{}", std::process::id()));
/// let dir = CacheDir::new(&scratch);
/// let wall = SystemTime::now();
/// dir.write_token("my-sso", &CachedToken::new(AccessToken::new("at"), wall + Duration::from_secs(3600)))?;
///
/// let config = Config::for_region("eu-west-1");
/// let session = Session::new(dir, "my-sso", "https://my-sso-portal.awsapps.com/start");
/// let ua = config.user_agent_header("my-adapter", "1.0")?;
/// let mut flow = SessionFlow::new(&config, &ua, &session, SignInMode::CachedOnly, [0; 96])?;
/// let mut quota = RetryQuota::default();
/// let token = loop {
///     match flow.poll(Instant::now(), SystemTime::now()) {
///         FlowStep::Blocking(job) => flow.handle_file(job.run()),
///         FlowStep::Done(result) => break result?,
///         other => unreachable!("a fresh cached token needs no network: {other:?}"),
///     }
/// };
/// assert_eq!(token.access_token.secret(), "at");
/// # let _ = &mut quota;
/// # std::fs::remove_dir_all(&scratch).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionFlow {
    session: Session,
    region: String,
    endpoint: Endpoint,
    options: CallOptions,
    provider: TokenProvider,
    mode: SignInMode,
    force: bool,
    authorization_timeout: Duration,
    entropy: [u8; 96],
    pkce_rounds: usize,
    reregistered: bool,
    state: State,
}

impl fmt::Debug for SessionFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionFlow")
            .field("session", &self.session.session_key)
            .field("region", &self.region)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl SessionFlow {
    /// A flow for `session` with the client's `config` and `user_agent`.
    /// `entropy` are fresh random bytes from a CSPRNG (the PKCE verifiers
    /// and states); only [`SignInMode::AuthorizationCode`] uses them.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the session's region does not resolve.
    pub fn new(
        config: &Config,
        user_agent: &HeaderValue,
        session: &Session,
        mode: SignInMode,
        entropy: [u8; 96],
    ) -> Result<SessionFlow, Error> {
        let region = session
            .region
            .clone()
            .unwrap_or_else(|| config.region.clone());
        let endpoint = config.endpoint_for(Service::SsoOidc, &region)?;
        let provider = TokenProvider::new(
            session.dir.clone(),
            session.session_key.clone(),
            endpoint.clone(),
        )
        .with_policy(session.refresh_policy)
        .with_regional_endpoints(config.clone());
        Ok(SessionFlow {
            session: session.clone(),
            region,
            endpoint,
            options: config.call_options(user_agent),
            provider,
            mode,
            force: false,
            authorization_timeout: crate::config::DEFAULT_AUTHORIZATION_TIMEOUT,
            entropy,
            pkce_rounds: 0,
            reregistered: false,
            state: State::Start,
        })
    }

    /// Uses `provider` for the cached token (keep one per session for the
    /// life of the process, so its refresh throttling holds across calls).
    #[must_use]
    pub fn with_provider(mut self, provider: TokenProvider) -> SessionFlow {
        self.provider = provider;
        self
    }

    /// Signs in even when the cached token is usable (`login --force`).
    #[must_use]
    pub fn force_sign_in(mut self) -> SessionFlow {
        self.force = true;
        self
    }

    /// How long to wait for the browser's redirect (default 10 minutes).
    #[must_use]
    pub fn with_authorization_timeout(mut self, timeout: Duration) -> SessionFlow {
        self.authorization_timeout = timeout;
        self
    }

    /// The region sign-ins go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The state of the authorization-code sign-in in progress, for
    /// [`oidc_core::pkce::answer_loopback`].
    pub fn pkce_state(&self) -> Option<&PkceState> {
        match &self.state {
            State::Authorizing { pkce, .. } => Some(&pkce.state),
            _ => None,
        }
    }

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day (for the cache's expiry times).
    pub fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<CachedToken> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Filing);
            let (next, step) = self.step(state, now, wall_clock);
            self.state = next;
            if let Some(step) = step {
                return step;
            }
        }
    }

    /// One transition: the next state, and a step for the driver (or none
    /// to transition again).
    fn step(
        &mut self,
        state: State,
        now: Instant,
        wall: SystemTime,
    ) -> (State, Option<FlowStep<CachedToken>>) {
        match state {
            State::Start => {
                let provider = self.provider.clone();
                let timeout = self.session.lock_timeout;
                let force = self.force && self.mode != SignInMode::CachedOnly;
                let job = FileJob::new(move || {
                    Done::Opened(provider.lock(timeout).and_then(|lock| {
                        if force {
                            provider.login(lock).map(Next::LoginRequired)
                        } else {
                            provider.begin(lock, wall)
                        }
                    }))
                });
                (State::Filing, Some(FlowStep::Blocking(job)))
            }
            State::Filing => (
                State::Filing,
                Some(FlowStep::Done(Err(oidc_core::Error::from(
                    oidc_core::Misuse::UnexpectedResponse,
                )
                .into()))),
            ),
            State::Finished(mut outcome) => {
                let result = outcome.take().unwrap_or_else(|| {
                    Err(oidc_core::Error::from(oidc_core::Misuse::AlreadyFinished).into())
                });
                (State::Finished(None), Some(FlowStep::Done(result)))
            }
            State::Refreshing { mut call, refresh } => match call.poll(now, wall) {
                Step::Send(r) => (State::Refreshing { call, refresh }, Some(FlowStep::Send(r))),
                Step::WaitUntil(at) => (
                    State::Refreshing { call, refresh },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Step::Done(outcome) => {
                    let job = FileJob::new(move || {
                        Done::Refreshed(refresh.finish_or_login(wall, outcome))
                    });
                    (State::Filing, Some(FlowStep::Blocking(job)))
                }
            },
            State::SignIn { login } => {
                if self.reregistered {
                    return self.register(login);
                }
                let session = self.session.clone();
                let region = self.region.clone();
                let flow = self.registration_use();
                let job = FileJob::new(move || {
                    let cached = session.cached_registration_for(flow, &region, wall);
                    Done::Registration { login, cached }
                });
                (State::Filing, Some(FlowStep::Blocking(job)))
            }
            State::Registering { login, mut call } => match call.poll(now, wall) {
                Step::Send(r) => (State::Registering { login, call }, Some(FlowStep::Send(r))),
                Step::WaitUntil(at) => (
                    State::Registering { login, call },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Step::Done(Err(e)) => finish(login, Err(e.into())),
                Step::Done(Ok(output)) => {
                    let session = self.session.clone();
                    let region = self.region.clone();
                    let flow = self.registration_use();
                    let job = FileJob::new(move || {
                        let stored = store_registration(&session, flow, &region, &output);
                        Done::RegistrationStored { login, stored }
                    });
                    (State::Filing, Some(FlowStep::Blocking(job)))
                }
            },
            State::Starting {
                login,
                registration,
                mut call,
            } => match call.poll(now, wall) {
                Step::Send(r) => (
                    State::Starting {
                        login,
                        registration,
                        call,
                    },
                    Some(FlowStep::Send(r)),
                ),
                Step::WaitUntil(at) => (
                    State::Starting {
                        login,
                        registration,
                        call,
                    },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Step::Done(Ok(started)) => {
                    let flow = self.device_flow(&registration, started, now);
                    (
                        State::Polling {
                            login,
                            registration,
                            flow: Box::new(flow),
                        },
                        None,
                    )
                }
                Step::Done(Err(e)) if self.rejects_registration(&registration, &e) => {
                    self.reregister(login)
                }
                Step::Done(Err(e)) => finish(login, Err(e.into())),
            },
            State::Polling {
                login,
                registration,
                mut flow,
            } => match flow.poll(now) {
                Action::Send(r) => (
                    State::Polling {
                        login,
                        registration,
                        flow,
                    },
                    Some(FlowStep::Send(r)),
                ),
                Action::ShowPrompt(p) => (
                    State::Polling {
                        login,
                        registration,
                        flow,
                    },
                    Some(FlowStep::Prompt(SignInPrompt::DeviceCode(p))),
                ),
                Action::WaitUntil(at) => (
                    State::Polling {
                        login,
                        registration,
                        flow,
                    },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Action::Done(Ok(token)) => self.store(login, registration, token, wall),
                Action::Done(Err(DeviceFlowError::InvalidClient(_)))
                    if registration.cached && !self.reregistered =>
                {
                    self.reregister(login)
                }
                Action::Done(Err(e)) => finish(login, Err(e.into())),
            },
            State::NeedListener {
                login,
                registration,
            } => (
                State::NeedListener {
                    login,
                    registration,
                },
                Some(FlowStep::Listen),
            ),
            State::Authorizing {
                login,
                registration,
                pkce,
                prompted,
                deadline,
            } => {
                if !prompted {
                    let url = pkce.url.clone();
                    return (
                        State::Authorizing {
                            login,
                            registration,
                            pkce,
                            prompted: true,
                            deadline,
                        },
                        Some(FlowStep::Prompt(SignInPrompt::Browser { url })),
                    );
                }
                let deadline = deadline
                    .unwrap_or_else(|| now.checked_add(self.authorization_timeout).unwrap_or(now));
                (
                    State::Authorizing {
                        login,
                        registration,
                        pkce,
                        prompted,
                        deadline: Some(deadline),
                    },
                    Some(FlowStep::AwaitRedirect { deadline }),
                )
            }
            State::Redeeming {
                login,
                registration,
                mut call,
            } => match call.poll(now, wall) {
                Step::Send(r) => (
                    State::Redeeming {
                        login,
                        registration,
                        call,
                    },
                    Some(FlowStep::Send(r)),
                ),
                Step::WaitUntil(at) => (
                    State::Redeeming {
                        login,
                        registration,
                        call,
                    },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Step::Done(Ok(token)) => self.store(login, registration, token, wall),
                Step::Done(Err(e)) if self.rejects_registration(&registration, &e) => {
                    self.reregister(login)
                }
                Step::Done(Err(e)) => finish(login, Err(e.into())),
            },
        }
    }

    /// Feeds the response to the last [`FlowStep::Send`]; `quota` is the
    /// client's retry quota, `random` a uniformly random `u32` (jitter).
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: &http::Response<B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match &mut self.state {
            State::Refreshing { call, .. } | State::Redeeming { call, .. } => {
                call.handle_response(now, response, quota, random)
            }
            State::Registering { call, .. } => call.handle_response(now, response, quota, random),
            State::Starting { call, .. } => call.handle_response(now, response, quota, random),
            State::Polling { flow, .. } => {
                // Only misuse can fail here; the flow reports it at `poll`.
                let _ = flow.handle_response(now, response);
            }
            _ => {}
        }
    }

    /// Reports that the last [`FlowStep::Send`] got no usable response.
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        error: TransportError,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match &mut self.state {
            State::Refreshing { call, .. } | State::Redeeming { call, .. } => {
                call.handle_transport_error(now, error, quota, random)
            }
            State::Registering { call, .. } => {
                call.handle_transport_error(now, error, quota, random)
            }
            State::Starting { call, .. } => call.handle_transport_error(now, error, quota, random),
            State::Polling { flow, .. } => {
                let mut error = error;
                error.operation = CreateTokenInput::NAME;
                let _ = flow.handle_transport_error(now, error.into());
            }
            _ => {}
        }
    }

    /// Takes the result of the last [`FlowStep::Blocking`] job.
    pub fn handle_file(&mut self, done: FileDone) {
        let Some(done) = done.take::<Done>() else {
            self.state = State::Finished(Some(Err(unreachable_error())));
            return;
        };
        self.state = match done {
            Done::Opened(Err(e)) => State::Finished(Some(Err(e.into()))),
            Done::Opened(Ok(Next::Ready(token))) => State::Finished(Some(Ok(token))),
            Done::Opened(Ok(Next::Refresh(refresh))) => {
                match Call::with_request(refresh.request().clone(), self.options.clone()) {
                    Ok(call) => {
                        let old = refresh.old_token();
                        let call = call.with_secrets(
                            old.refresh_token
                                .iter()
                                .map(|t| t.secret())
                                .chain(old.client_secret.iter().map(|s| s.secret())),
                        );
                        State::Refreshing { call, refresh }
                    }
                    Err(e) => State::Finished(Some(Err(e.into()))),
                }
            }
            Done::Opened(Ok(Next::LoginRequired(login))) => {
                if self.mode == SignInMode::CachedOnly {
                    State::Finished(Some(Err(Error::LoginRequired {
                        reason: login.reason().clone(),
                    })))
                } else {
                    State::SignIn { login }
                }
            }
            Done::Refreshed(Ok(Refreshed::Token(token))) => State::Finished(Some(Ok(token))),
            Done::Refreshed(Ok(Refreshed::LoginRequired { error, login })) => {
                if self.mode == SignInMode::CachedOnly {
                    State::Finished(Some(Err(Error::Token(*error))))
                } else {
                    // A registration the service rejected is not reused.
                    if let TokenError::SessionEnded { error, .. } = &*error {
                        if matches!(
                            error.sso_oidc_code(),
                            Some(ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient)
                        ) {
                            self.reregistered = true;
                        }
                    }
                    State::SignIn { login }
                }
            }
            // A refresh that failed for now leaves a token that is still
            // valid: use it (the next call tries again).
            Done::Refreshed(Err(e @ TokenError::RefreshFailed { .. }))
                if e.still_valid().is_some() =>
            {
                log::warn!("{e}");
                State::Finished(Some(e.into_still_valid().ok_or_else(unreachable_error)))
            }
            Done::Refreshed(Err(e)) => State::Finished(Some(Err(e.into()))),
            Done::Registration { login, cached } => match cached {
                Err(e) => State::Finished(Some(Err(e.into()))),
                Ok(Some(info)) => {
                    self.with_registration(login, Registration { info, cached: true })
                }
                Ok(None) => self.register(login).0,
            },
            Done::RegistrationStored { login, stored } => match stored {
                Err(e) => State::Finished(Some(Err(e.into()))),
                Ok(info) => self.with_registration(
                    login,
                    Registration {
                        info,
                        cached: false,
                    },
                ),
            },
            Done::Stored(result) => State::Finished(Some(result.map_err(Error::from))),
        };
    }

    /// Reports the loopback listener's port after [`FlowStep::Listen`].
    pub fn listening(&mut self, port: u16) {
        let state = std::mem::replace(&mut self.state, State::Filing);
        self.state = match state {
            State::NeedListener {
                login,
                registration,
            } => {
                let pkce = self.pkce(&registration, port);
                State::Authorizing {
                    login,
                    registration,
                    pkce,
                    prompted: false,
                    deadline: None,
                }
            }
            other => other,
        };
    }

    /// Reports that the listener could not be bound or failed.
    pub fn listener_failed(&mut self, error: std::io::Error) {
        self.state = State::Finished(Some(Err(Error::Local {
            context: "the loopback listener for the browser sign-in failed",
            source: error,
        })));
    }

    /// Hands over what ended the wait of [`FlowStep::AwaitRedirect`]:
    /// the authorization code, or the authorization error the redirect
    /// carried (with the right state).
    pub fn handle_redirect(&mut self, outcome: Result<AuthorizationCode, pkce::RedirectError>) {
        let state = std::mem::replace(&mut self.state, State::Filing);
        self.state = match state {
            State::Authorizing {
                login,
                registration,
                pkce,
                ..
            } => match outcome {
                Err(e) => finish(login, Err(Error::Redirect(e))).0,
                Ok(code) => {
                    let input = CreateTokenInput::new(
                        registration.info.client_id.clone(),
                        registration.info.client_secret.clone(),
                        Grant::AuthorizationCode {
                            code,
                            redirect_uri: pkce.redirect_uri,
                            code_verifier: Some(pkce.verifier),
                        },
                    );
                    match Call::new(&input, &self.endpoint, self.options.clone()) {
                        Ok(call) => State::Redeeming {
                            login,
                            registration,
                            call,
                        },
                        Err(e) => finish(login, Err(e.into())).0,
                    }
                }
            },
            other => other,
        };
    }

    /// Reports that no redirect arrived by the deadline of
    /// [`FlowStep::AwaitRedirect`].
    pub fn redirect_timed_out(&mut self) {
        self.state = State::Finished(Some(Err(Error::Cancelled {
            waited: Some(self.authorization_timeout),
        })));
    }

    fn registration_use(&self) -> RegistrationUse {
        match self.mode {
            SignInMode::AuthorizationCode => RegistrationUse::AuthorizationCode,
            _ => RegistrationUse::DeviceCode,
        }
    }

    fn register(&mut self, login: Login) -> (State, Option<FlowStep<CachedToken>>) {
        let input = match self.mode {
            SignInMode::AuthorizationCode => self.session.authorization_code_registration_input(),
            _ => self.session.registration_input(),
        };
        match Call::new(&input, &self.endpoint, self.options.clone()) {
            Ok(call) => (State::Registering { login, call }, None),
            Err(e) => finish(login, Err(e.into())),
        }
    }

    /// The cached registration was rejected: register again, once.
    fn reregister(&mut self, login: Login) -> (State, Option<FlowStep<CachedToken>>) {
        self.reregistered = true;
        self.register(login)
    }

    fn rejects_registration(&self, registration: &Registration, e: &oidc_core::Error) -> bool {
        registration.cached
            && !self.reregistered
            && matches!(
                e.sso_oidc_code(),
                Some(ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient)
            )
    }

    fn with_registration(&mut self, login: Login, registration: Registration) -> State {
        match self.mode {
            SignInMode::AuthorizationCode => State::NeedListener {
                login,
                registration,
            },
            _ => {
                let input = StartDeviceAuthorizationInput::new(
                    registration.info.client_id.clone(),
                    registration.info.client_secret.clone(),
                    self.session.start_url.clone(),
                );
                match Call::new(&input, &self.endpoint, self.options.clone()) {
                    Ok(call) => State::Starting {
                        login,
                        registration,
                        call,
                    },
                    Err(e) => finish(login, Err(e.into())).0,
                }
            }
        }
    }

    fn device_flow(
        &self,
        registration: &Registration,
        started: StartDeviceAuthorizationOutput,
        now: Instant,
    ) -> DeviceFlow {
        let flow = registration
            .info
            .device_flow(started, self.endpoint.clone(), now);
        match &self.options.user_agent {
            Some(ua) => flow.with_user_agent(ua.clone()),
            None => flow,
        }
    }

    fn pkce(&mut self, registration: &Registration, port: u16) -> Pkce {
        let round = self.pkce_rounds.min(1) * 48;
        self.pkce_rounds += 1;
        let mut verifier_bytes = [0u8; 32];
        verifier_bytes.copy_from_slice(&self.entropy[round..round + 32]);
        let mut state_bytes = [0u8; 16];
        state_bytes.copy_from_slice(&self.entropy[round + 32..round + 48]);
        let verifier = CodeVerifier::from_random_bytes(&verifier_bytes);
        let state = PkceState::from_random_bytes(&state_bytes);
        let redirect_uri = pkce::loopback_redirect_uri(port);
        let url = AuthorizeRequest {
            client_id: registration.info.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            code_challenge: pkce::code_challenge(&verifier),
            scopes: self.session.scopes.clone(),
        }
        .to_url(self.endpoint.url());
        Pkce {
            redirect_uri,
            state,
            verifier,
            url,
        }
    }

    fn store(
        &mut self,
        login: Login,
        registration: Registration,
        token: CreateTokenOutput,
        wall: SystemTime,
    ) -> (State, Option<FlowStep<CachedToken>>) {
        let start_url = self.session.start_url.clone();
        let region = self.region.clone();
        let job = FileJob::new(move || {
            Done::Stored(login.store(wall, &token, &registration.info, &start_url, &region))
        });
        (State::Filing, Some(FlowStep::Blocking(job)))
    }
}

/// Ends the flow; the lock inside `login` is released.
fn finish(
    login: Login,
    outcome: Result<CachedToken, Error>,
) -> (State, Option<FlowStep<CachedToken>>) {
    drop(login);
    (State::Finished(Some(outcome)), None)
}

fn store_registration(
    session: &Session,
    flow: RegistrationUse,
    region: &str,
    output: &RegisterClientOutput,
) -> Result<RegistrationInfo, HostError> {
    session.store_registration_for(flow, region, output)
}

/// Never produced: stands in where a checked `Option` cannot be `None`.
fn unreachable_error() -> Error {
    oidc_core::Error::from(oidc_core::Misuse::AlreadyFinished).into()
}

impl Flow for SessionFlow {
    type Output = CachedToken;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<CachedToken> {
        SessionFlow::poll(self, now, wall_clock)
    }

    fn handle_file(&mut self, done: FileDone) {
        SessionFlow::handle_file(self, done);
    }

    fn listening(&mut self, port: u16) {
        SessionFlow::listening(self, port);
    }

    fn listener_failed(&mut self, error: std::io::Error) {
        SessionFlow::listener_failed(self, error);
    }

    fn pkce_state(&self) -> Option<&PkceState> {
        SessionFlow::pkce_state(self)
    }

    fn handle_redirect(&mut self, outcome: Result<AuthorizationCode, pkce::RedirectError>) {
        SessionFlow::handle_redirect(self, outcome);
    }

    fn redirect_timed_out(&mut self) {
        SessionFlow::redirect_timed_out(self);
    }

    fn send_deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Polling { flow, .. } => Some(flow.deadline()),
            _ => None,
        }
    }
}
