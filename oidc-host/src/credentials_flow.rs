//! Fetching credentials from a [`CredentialsSource`] as a [`Flow`] every
//! adapter drives with its one drive loop.
//!
//! * Static and environment sources end at once.
//! * SSO role: a [`FileJob`] takes the entry's cross-process lock and reads
//!   the AWS CLI's cache entry; a fresh entry ends the flow. Otherwise the
//!   session's [`SessionFlow`] runs as a sub-machine (cached token,
//!   refresh, or sign-in: its steps are passed through), then
//!   GetRoleCredentials, then a [`FileJob`] writes the entry atomically and
//!   releases the lock.
//! * AssumeRole: the inner source's flow runs as a sub-machine; its
//!   credentials sign (SigV4) the STS AssumeRole call.
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use oidc_host::oidc_core::Credentials;
//! use oidc_host::{ClientState, Config, CredentialsSource, FlowStep};
//!
//! let state = ClientState::new(Config::for_region("eu-west-1"), "doc", "1.0")?;
//! let source = CredentialsSource::Static(Credentials::new("AKIDEXAMPLE", "secret"));
//! let mut flow = state.credentials_flow(&source)?;
//! match flow.poll(Instant::now(), SystemTime::now()) {
//!     FlowStep::Done(result) => assert_eq!(result?.access_key_id, "AKIDEXAMPLE"),
//!     other => unreachable!("static credentials need nothing: {other:?}"),
//! }
//! # Ok::<(), oidc_host::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::credentials::{
    credentials_decision, CachedCredentials, CredentialsRefreshPolicy,
};
use oidc_core::call::{Call, CallOptions, Step};
use oidc_core::endpoint::Endpoint;
use oidc_core::http;
use oidc_core::pkce::{RedirectError, State as PkceState};
use oidc_core::retry::RetryQuota;
use oidc_core::secret::AuthorizationCode;
use oidc_core::sigv4::SigV4Signer;
use oidc_core::sso::get_role_credentials::GetRoleCredentialsInput;
use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::{Credentials, TransportError};

use crate::credentials::CredentialsCacheDir;
use crate::error::{Error, HostError};
use crate::flow::{FileDone, FileJob, Flow, FlowStep};
use crate::lock::SessionLock;
use crate::session_flow::SessionFlow;

/// The credentials state machine, built by
/// [`ClientState::credentials_flow`](crate::ClientState::credentials_flow)
/// and driven like any [`Flow`]:
///
/// * static and environment sources end at once;
/// * SSO role: a [`FileJob`] takes the entry's cross-process lock and reads
///   the AWS CLI's cache entry; a fresh entry ends the flow. Otherwise the
///   session's [`SessionFlow`] runs as a sub-machine (its steps are passed
///   through), then GetRoleCredentials, then a [`FileJob`] writes the entry
///   atomically and releases the lock;
/// * AssumeRole: the inner source's flow runs as a sub-machine; its
///   credentials sign (SigV4) the STS AssumeRole call.
pub struct CredentialsFlow {
    kind: Kind,
    policy: CredentialsRefreshPolicy,
    state: State,
}

enum Kind {
    /// Static and environment sources: the outcome is known up front.
    Known,
    Sso(Box<Sso>),
    Assume(Box<Assume>),
}

struct Sso {
    cache: CredentialsCacheDir,
    file_name: String,
    account_id: String,
    role_name: String,
    lock_timeout: Duration,
    session_flow: Option<SessionFlow>,
    portal: Endpoint,
    options: CallOptions,
}

struct Assume {
    inner: Option<CredentialsFlow>,
    input: AssumeRoleInput,
    endpoint: Endpoint,
    region: String,
    options: CallOptions,
}

enum State {
    Start,
    /// A file job is out; its result moves the flow on.
    Filing,
    Token {
        lock: SessionLock,
        flow: Box<SessionFlow>,
    },
    Fetching {
        lock: SessionLock,
        call: Call<GetRoleCredentialsInput>,
    },
    Inner {
        flow: Box<CredentialsFlow>,
    },
    Assuming {
        call: Call<AssumeRoleInput>,
    },
    Finished(Option<Result<Credentials, Error>>),
}

enum Opened {
    Fresh(Credentials),
    Fetch(SessionLock),
}

enum Done {
    Opened(Result<Opened, HostError>),
    Stored {
        credentials: Credentials,
        result: Result<(), HostError>,
    },
}

impl fmt::Debug for CredentialsFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CredentialsFlow");
        match &self.kind {
            Kind::Known => d.field("source", &"static"),
            Kind::Sso(s) => d
                .field("account_id", &s.account_id)
                .field("role_name", &s.role_name),
            Kind::Assume(a) => d.field("role_arn", &a.input.role_arn),
        };
        d.finish_non_exhaustive()
    }
}

impl CredentialsFlow {
    /// A flow whose outcome is already known (static, environment).
    pub(crate) fn known(outcome: Result<Credentials, Error>) -> CredentialsFlow {
        CredentialsFlow {
            kind: Kind::Known,
            policy: CredentialsRefreshPolicy::default(),
            state: State::Finished(Some(outcome)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sso_role(
        session_flow: SessionFlow,
        cache: CredentialsCacheDir,
        file_name: String,
        account_id: String,
        role_name: String,
        lock_timeout: Duration,
        portal: Endpoint,
        options: CallOptions,
    ) -> CredentialsFlow {
        CredentialsFlow {
            kind: Kind::Sso(Box::new(Sso {
                cache,
                file_name,
                account_id,
                role_name,
                lock_timeout,
                session_flow: Some(session_flow),
                portal,
                options,
            })),
            policy: CredentialsRefreshPolicy::default(),
            state: State::Start,
        }
    }

    pub(crate) fn assume_role(
        inner: CredentialsFlow,
        input: AssumeRoleInput,
        endpoint: Endpoint,
        region: String,
        options: CallOptions,
    ) -> CredentialsFlow {
        CredentialsFlow {
            kind: Kind::Assume(Box::new(Assume {
                inner: Some(inner),
                input,
                endpoint,
                region,
                options,
            })),
            policy: CredentialsRefreshPolicy::default(),
            state: State::Start,
        }
    }

    /// Uses `policy` to decide whether a cached entry is fresh (default: 15
    /// minutes, as the AWS CLI). Applies to inner flows too.
    #[must_use]
    pub fn with_policy(mut self, policy: CredentialsRefreshPolicy) -> CredentialsFlow {
        self.policy = policy;
        if let Kind::Assume(a) = &mut self.kind {
            a.inner = a.inner.take().map(|inner| inner.with_policy(policy));
        }
        self
    }

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day (expiries, signing).
    pub fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Credentials> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Filing);
            let (next, step) = self.step(state, now, wall_clock);
            self.state = next;
            if let Some(step) = step {
                return step;
            }
        }
    }

    fn step(
        &mut self,
        state: State,
        now: Instant,
        wall: SystemTime,
    ) -> (State, Option<FlowStep<Credentials>>) {
        match state {
            State::Start => self.start(wall),
            State::Filing => (
                State::Filing,
                Some(FlowStep::Done(Err(misuse(
                    oidc_core::Misuse::UnexpectedResponse,
                )))),
            ),
            State::Finished(mut outcome) => {
                let result = outcome
                    .take()
                    .unwrap_or_else(|| Err(misuse(oidc_core::Misuse::AlreadyFinished)));
                (State::Finished(None), Some(FlowStep::Done(result)))
            }
            State::Token { lock, mut flow } => match forward(flow.poll(now, wall)) {
                Sub::Step(step) => (State::Token { lock, flow }, Some(step)),
                Sub::Done(Err(e)) => (State::Finished(Some(Err(e))), None),
                Sub::Done(Ok(token)) => {
                    let Kind::Sso(sso) = &self.kind else {
                        return (State::Finished(Some(Err(unreachable_error()))), None);
                    };
                    let input = GetRoleCredentialsInput::new(
                        sso.role_name.clone(),
                        sso.account_id.clone(),
                        token.access_token,
                    );
                    match Call::new(&input, &sso.portal, sso.options.clone()) {
                        Ok(call) => (State::Fetching { lock, call }, None),
                        Err(e) => (State::Finished(Some(Err(e.into()))), None),
                    }
                }
            },
            State::Fetching { lock, mut call } => match call.poll(now, wall) {
                Step::Send(r) => (State::Fetching { lock, call }, Some(FlowStep::Send(r))),
                Step::WaitUntil(at) => (
                    State::Fetching { lock, call },
                    Some(FlowStep::WaitUntil(at)),
                ),
                Step::Done(Err(e)) => (State::Finished(Some(Err(e.into()))), None),
                Step::Done(Ok(output)) => {
                    let Kind::Sso(sso) = &self.kind else {
                        return (State::Finished(Some(Err(unreachable_error()))), None);
                    };
                    let credentials = output.into_credentials(sso.account_id.clone());
                    let cache = sso.cache.clone();
                    let file_name = sso.file_name.clone();
                    let entry = CachedCredentials::sso(credentials.clone());
                    let job = FileJob::new(move || {
                        let result = cache.write(&file_name, &entry);
                        drop(lock);
                        Done::Stored {
                            credentials,
                            result,
                        }
                    });
                    (State::Filing, Some(FlowStep::Blocking(job)))
                }
            },
            State::Inner { mut flow } => match forward(flow.poll(now, wall)) {
                Sub::Step(step) => (State::Inner { flow }, Some(step)),
                Sub::Done(Err(e)) => (State::Finished(Some(Err(e))), None),
                Sub::Done(Ok(credentials)) => {
                    let Kind::Assume(assume) = &self.kind else {
                        return (State::Finished(Some(Err(unreachable_error()))), None);
                    };
                    let signer = SigV4Signer::new(credentials, assume.region.clone());
                    let options = assume.options.clone().with_signer(Arc::new(signer));
                    match Call::new(&assume.input, &assume.endpoint, options) {
                        Ok(call) => (State::Assuming { call }, None),
                        Err(e) => (State::Finished(Some(Err(e.into()))), None),
                    }
                }
            },
            State::Assuming { mut call } => match call.poll(now, wall) {
                Step::Send(r) => (State::Assuming { call }, Some(FlowStep::Send(r))),
                Step::WaitUntil(at) => (State::Assuming { call }, Some(FlowStep::WaitUntil(at))),
                Step::Done(result) => (
                    State::Finished(Some(
                        result.map(|output| output.credentials).map_err(Error::from),
                    )),
                    None,
                ),
            },
        }
    }

    fn start(&mut self, wall: SystemTime) -> (State, Option<FlowStep<Credentials>>) {
        match &mut self.kind {
            Kind::Known => (State::Finished(None), None),
            Kind::Assume(assume) => match assume.inner.take() {
                Some(inner) => (
                    State::Inner {
                        flow: Box::new(inner),
                    },
                    None,
                ),
                None => (State::Finished(Some(Err(unreachable_error()))), None),
            },
            Kind::Sso(sso) => {
                let cache = sso.cache.clone();
                let file_name = sso.file_name.clone();
                let timeout = sso.lock_timeout;
                let account_id = sso.account_id.clone();
                let policy = self.policy;
                let job = FileJob::new(move || {
                    Done::Opened(open(
                        &cache,
                        &file_name,
                        timeout,
                        &account_id,
                        &policy,
                        wall,
                    ))
                });
                (State::Filing, Some(FlowStep::Blocking(job)))
            }
        }
    }

    /// Feeds the response to the last [`FlowStep::Send`].
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: &http::Response<B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match &mut self.state {
            State::Token { flow, .. } => flow.handle_response(now, response, quota, random),
            State::Fetching { call, .. } => call.handle_response(now, response, quota, random),
            State::Inner { flow } => flow.handle_response(now, response, quota, random),
            State::Assuming { call } => call.handle_response(now, response, quota, random),
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
            State::Token { flow, .. } => flow.handle_transport_error(now, error, quota, random),
            State::Fetching { call, .. } => call.handle_transport_error(now, error, quota, random),
            State::Inner { flow } => flow.handle_transport_error(now, error, quota, random),
            State::Assuming { call } => call.handle_transport_error(now, error, quota, random),
            _ => {}
        }
    }

    /// Takes the result of the last [`FlowStep::Blocking`] job.
    pub fn handle_file(&mut self, done: FileDone) {
        match &mut self.state {
            State::Token { flow, .. } => return flow.handle_file(done),
            State::Inner { flow } => return flow.handle_file(done),
            _ => {}
        }
        let Some(done) = done.take::<Done>() else {
            self.state = State::Finished(Some(Err(unreachable_error())));
            return;
        };
        self.state = match done {
            Done::Opened(Err(e)) => State::Finished(Some(Err(e.into()))),
            Done::Opened(Ok(Opened::Fresh(credentials))) => State::Finished(Some(Ok(credentials))),
            Done::Opened(Ok(Opened::Fetch(lock))) => match &mut self.kind {
                Kind::Sso(sso) => match sso.session_flow.take() {
                    Some(flow) => State::Token {
                        lock,
                        flow: Box::new(flow),
                    },
                    None => State::Finished(Some(Err(unreachable_error()))),
                },
                _ => State::Finished(Some(Err(unreachable_error()))),
            },
            Done::Stored {
                credentials,
                result,
            } => {
                if let Err(e) = result {
                    // The credentials work; only other processes miss them.
                    log::warn!("the role credentials could not be cached: {e}");
                }
                State::Finished(Some(Ok(credentials)))
            }
        };
    }

    /// The state of the authorization-code sign-in in progress (of the
    /// session's token), for [`oidc_core::pkce::answer_loopback`].
    pub fn pkce_state(&self) -> Option<&PkceState> {
        match &self.state {
            State::Token { flow, .. } => flow.pkce_state(),
            State::Inner { flow } => flow.pkce_state(),
            _ => None,
        }
    }
}

/// Under the entry's lock: the entry when fresh (the lock is released),
/// else the lock for the fetch.
fn open(
    cache: &CredentialsCacheDir,
    file_name: &str,
    timeout: Duration,
    account_id: &str,
    policy: &CredentialsRefreshPolicy,
    wall: SystemTime,
) -> Result<Opened, HostError> {
    let lock = cache.lock(file_name, timeout)?;
    let (entry, _warning) = cache.read(file_name)?;
    match entry {
        Some(entry) if credentials_decision(&entry.credentials, wall, policy).is_fresh() => {
            let mut credentials = entry.credentials;
            if credentials.account_id.is_none() {
                // Older botocore did not record it.
                credentials.account_id = Some(account_id.to_owned());
            }
            Ok(Opened::Fresh(credentials))
        }
        _ => Ok(Opened::Fetch(lock)),
    }
}

enum Sub<T> {
    Step(FlowStep<Credentials>),
    Done(Result<T, Error>),
}

/// A sub-machine's step, passed through unless it is its end.
fn forward<T>(step: FlowStep<T>) -> Sub<T> {
    Sub::Step(match step {
        FlowStep::Done(result) => return Sub::Done(result),
        FlowStep::Send(r) => FlowStep::Send(r),
        FlowStep::WaitUntil(at) => FlowStep::WaitUntil(at),
        FlowStep::Blocking(job) => FlowStep::Blocking(job),
        FlowStep::Prompt(p) => FlowStep::Prompt(p),
        FlowStep::Listen => FlowStep::Listen,
        FlowStep::AwaitRedirect { deadline } => FlowStep::AwaitRedirect { deadline },
    })
}

fn misuse(m: oidc_core::Misuse) -> Error {
    oidc_core::Error::from(m).into()
}

/// Never produced: stands in where a state cannot occur.
fn unreachable_error() -> Error {
    misuse(oidc_core::Misuse::AlreadyFinished)
}

impl Flow for CredentialsFlow {
    type Output = Credentials;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Credentials> {
        CredentialsFlow::poll(self, now, wall_clock)
    }

    fn handle_file(&mut self, done: FileDone) {
        CredentialsFlow::handle_file(self, done);
    }

    fn listening(&mut self, port: u16) {
        match &mut self.state {
            State::Token { flow, .. } => flow.listening(port),
            State::Inner { flow } => Flow::listening(&mut **flow, port),
            _ => {}
        }
    }

    fn listener_failed(&mut self, error: std::io::Error) {
        match &mut self.state {
            State::Token { flow, .. } => flow.listener_failed(error),
            State::Inner { flow } => Flow::listener_failed(&mut **flow, error),
            _ => {}
        }
    }

    fn pkce_state(&self) -> Option<&PkceState> {
        CredentialsFlow::pkce_state(self)
    }

    fn send_deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Token { flow, .. } => Flow::send_deadline(&**flow),
            State::Inner { flow } => Flow::send_deadline(&**flow),
            _ => None,
        }
    }

    fn handle_redirect(&mut self, outcome: Result<AuthorizationCode, RedirectError>) {
        match &mut self.state {
            State::Token { flow, .. } => flow.handle_redirect(outcome),
            State::Inner { flow } => Flow::handle_redirect(&mut **flow, outcome),
            _ => {}
        }
    }

    fn redirect_timed_out(&mut self) {
        match &mut self.state {
            State::Token { flow, .. } => flow.redirect_timed_out(),
            State::Inner { flow } => Flow::redirect_timed_out(&mut **flow),
            _ => {}
        }
    }
}
