//! The session's token as a state machine: [`SessionFlow`].

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::{CachedToken, RegistrationUse};
use oidc_core::call::{Call, CallOptions};
use oidc_core::device_flow::{DeviceFlow, DeviceFlowError, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::http::HeaderValue;
use oidc_core::pkce::{self, AuthorizeRequest, State as PkceState};
use oidc_core::retry::RetryQuota;
use oidc_core::secret::{AuthorizationCode, CodeVerifier};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::{
    StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput,
};
use oidc_core::sso_oidc::ErrorCode;
use oidc_core::step::Step;

use crate::config::Config;
use crate::drive::flow::{Event, Flow, FlowStep, Local};
use crate::drive::job::{Done, Job, JobDone, Work};
use crate::error::{Error, TokenError};
use crate::token::provider::{Login, Next, Refresh, Refreshed, RegistrationInfo, TokenProvider};
use crate::token::session::Session;

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

/// A registration in use and whether it came from the cache.
struct Registration {
    info: RegistrationInfo,
    cached: bool,
}

enum State {
    Start,
    /// A job is out; its result moves the flow on.
    Working,
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
/// run a blocking [`Job`] (the lock, cache reads and atomic writes; async
/// adapters run it off their executor), show a prompt, bind
/// the loopback listener, and serve it with
/// [`oidc_core::pkce::answer_loopback`] until the redirect arrives.
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// use oidc_host::oidc_core::cache::CachedToken;
/// use oidc_host::oidc_core::retry::RetryQuota;
/// use oidc_host::oidc_core::secret::AccessToken;
/// use oidc_host::oidc_core::step::Step;
/// use oidc_host::{CacheDir, Config, Event, Flow, Local, Session, SessionFlow, SignInMode};
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
///         Step::Local(Local::Blocking(job)) => {
///             flow.handle(Instant::now(), Event::<Vec<u8>>::Job(job.run()), &mut quota, 0)
///         }
///         Step::Done(result) => break result?,
///         other => unreachable!("a fresh cached token needs no network: {other:?}"),
///     }
/// };
/// assert_eq!(token.access_token.secret(), "at");
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
    pub(crate) fn with_provider(mut self, provider: TokenProvider) -> SessionFlow {
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

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day (for the cache's expiry times).
    pub fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<CachedToken> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Working);
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
            State::Start => work(Work::OpenSession {
                provider: self.provider.clone(),
                timeout: self.session.lock_timeout,
                force: self.force && self.mode != SignInMode::CachedOnly,
                wall,
            }),
            State::Working => (
                State::Working,
                Some(Step::Done(Err(oidc_core::Error::from(
                    oidc_core::Misuse::PolledInFlight,
                )
                .into()))),
            ),
            State::Finished(mut outcome) => {
                let result = outcome.take().unwrap_or_else(|| {
                    Err(oidc_core::Error::from(oidc_core::Misuse::AlreadyFinished).into())
                });
                (State::Finished(None), Some(Step::Done(result)))
            }
            State::Refreshing { mut call, refresh } => match pass(call.poll(now, wall)) {
                Err(step) => (State::Refreshing { call, refresh }, Some(step)),
                Ok(outcome) => work(Work::FinishRefresh {
                    refresh,
                    wall,
                    outcome,
                }),
            },
            State::SignIn { login } => {
                if self.reregistered {
                    return self.register(login);
                }
                work(Work::ReadRegistration {
                    login,
                    session: self.session.clone(),
                    flow: self.registration_use(),
                    region: self.region.clone(),
                    wall,
                })
            }
            State::Registering { login, mut call } => match pass(call.poll(now, wall)) {
                Err(step) => (State::Registering { login, call }, Some(step)),
                Ok(Err(e)) => finish(login, Err(e.into())),
                Ok(Ok(output)) => work(Work::StoreRegistration {
                    login,
                    session: self.session.clone(),
                    flow: self.registration_use(),
                    region: self.region.clone(),
                    output,
                }),
            },
            State::Starting {
                login,
                registration,
                mut call,
            } => match pass(call.poll(now, wall)) {
                Err(step) => (
                    State::Starting {
                        login,
                        registration,
                        call,
                    },
                    Some(step),
                ),
                Ok(Ok(started)) => {
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
                Ok(Err(e)) if self.rejects_registration(&registration, &e) => {
                    self.reregister(login)
                }
                Ok(Err(e)) => finish(login, Err(e.into())),
            },
            State::Polling {
                login,
                registration,
                mut flow,
            } => match flow
                .poll(now)
                .map_local(|prompt| Local::Prompt(SignInPrompt::DeviceCode(prompt)))
                .into_done()
            {
                Err(step) => (
                    State::Polling {
                        login,
                        registration,
                        flow,
                    },
                    Some(step),
                ),
                Ok(Ok(token)) => self.store(login, registration, token, wall),
                Ok(Err(DeviceFlowError::InvalidClient(_)))
                    if registration.cached && !self.reregistered =>
                {
                    self.reregister(login)
                }
                Ok(Err(e)) => finish(login, Err(e.into())),
            },
            State::NeedListener {
                login,
                registration,
            } => (
                State::NeedListener {
                    login,
                    registration,
                },
                Some(Step::Local(Local::Listen)),
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
                        Some(Step::Local(Local::Prompt(SignInPrompt::Browser { url }))),
                    );
                }
                let deadline = deadline
                    .unwrap_or_else(|| now.checked_add(self.authorization_timeout).unwrap_or(now));
                let state = pkce.state.clone();
                (
                    State::Authorizing {
                        login,
                        registration,
                        pkce,
                        prompted,
                        deadline: Some(deadline),
                    },
                    Some(Step::Local(Local::AwaitRedirect { deadline, state })),
                )
            }
            State::Redeeming {
                login,
                registration,
                mut call,
            } => match pass(call.poll(now, wall)) {
                Err(step) => (
                    State::Redeeming {
                        login,
                        registration,
                        call,
                    },
                    Some(step),
                ),
                Ok(Ok(token)) => self.store(login, registration, token, wall),
                Ok(Err(e)) if self.rejects_registration(&registration, &e) => {
                    self.reregister(login)
                }
                Ok(Err(e)) => finish(login, Err(e.into())),
            },
        }
    }

    fn job_done(&mut self, done: JobDone) {
        let state = std::mem::replace(&mut self.state, State::Working);
        if !matches!(state, State::Working) {
            // Not waiting for a job: a driver error, ignored.
            self.state = state;
            return;
        }
        self.state = match *done.0 {
            Done::SessionOpened(Err(e)) => State::Finished(Some(Err(e.into()))),
            Done::SessionOpened(Ok(Next::Ready(token))) => State::Finished(Some(Ok(token))),
            Done::SessionOpened(Ok(Next::Refresh(refresh))) => {
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
            Done::SessionOpened(Ok(Next::LoginRequired(login))) => {
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
            Done::Refreshed(Err(e @ TokenError::RefreshFailed { .. })) => {
                match e.still_valid().cloned() {
                    Some(token) => {
                        log::warn!("{e}");
                        State::Finished(Some(Ok(token)))
                    }
                    None => State::Finished(Some(Err(e.into()))),
                }
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
            Done::TokenStored(result) => State::Finished(Some(result.map_err(Error::from))),
            // A job of another flow: a driver error, which ends this one.
            Done::RoleCredentialsOpened(_)
            | Done::RoleCredentialsStored { .. }
            | Done::MfaCode(_)
            | Done::ProcessFinished(_)
            | Done::WebIdentityToken(_)
            | Done::ContainerReady(_) => State::Finished(Some(Err(oidc_core::Error::from(
                oidc_core::Misuse::UnexpectedResponse,
            )
            .into()))),
        };
    }

    fn listening(&mut self, port: u16) {
        let state = std::mem::replace(&mut self.state, State::Working);
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

    fn redirected(&mut self, outcome: Result<AuthorizationCode, pkce::RedirectError>) {
        let state = std::mem::replace(&mut self.state, State::Working);
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
        work(Work::StoreToken {
            login,
            token,
            registration: registration.info,
            start_url: self.session.start_url.clone(),
            region: self.region.clone(),
            wall,
        })
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

/// Hands `work` to the driver; its result moves the flow on.
fn work(work: Work) -> (State, Option<FlowStep<CachedToken>>) {
    (
        State::Working,
        Some(Step::Local(Local::Blocking(Job(Box::new(work))))),
    )
}

/// A sub-call's step for the driver (`Err`), or its outcome (`Ok`).
pub(crate) fn pass<T, U>(step: Step<T>) -> Result<T, FlowStep<U>> {
    step.widen().into_done()
}

impl Flow for SessionFlow {
    type Output = CachedToken;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<CachedToken> {
        SessionFlow::poll(self, now, wall_clock)
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match event {
            Event::Response(response) => match &mut self.state {
                State::Refreshing { call, .. } | State::Redeeming { call, .. } => {
                    call.handle_response(now, response, quota, random)
                }
                State::Registering { call, .. } => {
                    call.handle_response(now, response, quota, random)
                }
                State::Starting { call, .. } => call.handle_response(now, response, quota, random),
                State::Polling { flow, .. } => {
                    // Only misuse can fail here; the flow reports it at `poll`.
                    let _ = flow.handle_response(now, response);
                }
                _ => {}
            },
            Event::Failed(error) => match &mut self.state {
                State::Refreshing { call, .. } | State::Redeeming { call, .. } => {
                    call.handle_transport_error(now, error, quota, random)
                }
                State::Registering { call, .. } => {
                    call.handle_transport_error(now, error, quota, random)
                }
                State::Starting { call, .. } => {
                    call.handle_transport_error(now, error, quota, random)
                }
                State::Polling { flow, .. } => {
                    let _ = flow.handle_transport_error(now, error.into());
                }
                _ => {}
            },
            Event::Job(done) => self.job_done(done),
            Event::Listening(port) => self.listening(port),
            Event::ListenerFailed(error) => {
                self.state = State::Finished(Some(Err(Error::Local {
                    context: "the loopback listener for the browser sign-in failed",
                    source: error,
                })));
            }
            Event::Redirect(outcome) => self.redirected(outcome),
            Event::RedirectTimedOut => {
                self.state = State::Finished(Some(Err(Error::RedirectTimedOut {
                    waited: self.authorization_timeout,
                })));
            }
        }
    }
}
