//! Fetching credentials from a [`CredentialsSource`] as a [`Flow`] every
//! adapter drives with its one drive loop.
//!
//! * Static and environment sources end at once.
//! * SSO role: a blocking [`Job`](crate::Job) takes the entry's cross-process lock and reads
//!   the AWS CLI's cache entry; a fresh entry ends the flow. Otherwise the
//!   session's [`SessionFlow`] runs as a sub-machine (cached token,
//!   refresh, or sign-in: its steps are passed through), then
//!   GetRoleCredentials, then a [`Job`](crate::Job) writes the entry atomically and
//!   releases the lock.
//! * AssumeRole: the inner source's flow runs as a sub-machine; its
//!   credentials sign (SigV4) the STS AssumeRole call (after asking for
//!   the MFA code when the role needs one); with a cache, the AWS CLI's
//!   entry is locked and read first and written after, as for SSO roles;
//! * web identity: a job reads the token file, then the unsigned
//!   AssumeRoleWithWebIdentity call, cached like AssumeRole;
//! * `credential_process`: a job runs the command;
//! * container: a job finds the endpoint and its token, then one GET;
//! * instance metadata: IMDSv2's token, role name and credentials.
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use oidc_host::oidc_core::Credentials;
//! use oidc_host::oidc_core::step::Step;
//! use oidc_host::adapter::ClientState;
//! use oidc_host::{Config, CredentialsSource};
//!
//! let state = ClientState::new(Config::for_region("eu-west-1"), "doc", "1.0")?;
//! let source = CredentialsSource::Static(Credentials::new("AKIDEXAMPLE", "secret"));
//! let mut flow = state.credentials_flow(&source)?;
//! match flow.poll(Instant::now(), SystemTime::now()) {
//!     Step::Done(result) => assert_eq!(result?.access_key_id, "AKIDEXAMPLE"),
//!     other => unreachable!("static credentials need nothing: {other:?}"),
//! }
//! # Ok::<(), oidc_host::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::credentials::CredentialsRefreshPolicy;
use oidc_core::call::{Call, CallOptions};
use oidc_core::endpoint::Endpoint;
use oidc_core::portal::get_role_credentials::GetRoleCredentialsInput;
use oidc_core::retry::RetryQuota;
use oidc_core::step::Step;
use oidc_core::Credentials;

use crate::credentials::fetch::{
    blocking, finished, in_flight, wrong_job, AssumeRole, Cached, Container, InstanceMetadata,
    Process, WebIdentity,
};
use crate::credentials::CredentialsCacheDir;
use crate::drive::flow::{Event, Flow, FlowStep};
use crate::drive::job::{Done, Opened, Work};
use crate::error::Error;
use crate::token::lock::SessionLock;
use crate::token::session_flow::{pass, SessionFlow};

/// The credentials state machine, built by
/// [`ClientState::credentials_flow`](crate::adapter::ClientState::credentials_flow)
/// and driven like any [`Flow`]:
///
/// * static and environment sources end at once;
/// * SSO role: a blocking [`Job`] takes the entry's cross-process lock
///   and reads the AWS CLI's cache entry; a fresh entry ends the flow.
///   Otherwise the session's [`SessionFlow`] runs as a sub-machine (its
///   steps are passed through), then GetRoleCredentials, then a [`Job`]
///   writes the entry atomically and releases the lock;
/// * AssumeRole: the inner source's flow runs as a sub-machine; its
///   credentials sign (SigV4) the STS AssumeRole call (after asking for
///   the MFA code when the role needs one); with a cache, the AWS CLI's
///   entry is locked and read first and written after, as for SSO roles;
/// * web identity: a job reads the token file, then the unsigned
///   AssumeRoleWithWebIdentity call, cached like AssumeRole;
/// * `credential_process`: a job runs the command;
/// * container: a job finds the endpoint and its token, then one GET;
/// * instance metadata: IMDSv2's token, role name and credentials.
pub struct CredentialsFlow {
    machine: Machine,
}

pub(crate) enum Machine {
    /// Static and environment sources: the outcome is known up front.
    Known(Option<Result<Credentials, Error>>),
    Sso(Box<SsoRole>),
    Assume(Box<Cached<AssumeRole>>),
    WebIdentity(Box<Cached<WebIdentity>>),
    Process(Process),
    Container(Box<Container>),
    InstanceMetadata(Box<InstanceMetadata>),
}

/// Fetching an SSO role's credentials (GetRoleCredentials).
pub(crate) struct SsoRole {
    cache: CredentialsCacheDir,
    file_name: String,
    account_id: String,
    role_name: String,
    lock_timeout: Duration,
    portal: Endpoint,
    options: CallOptions,
    policy: CredentialsRefreshPolicy,
    state: SsoState,
}

enum SsoState {
    Start(Box<SessionFlow>),
    /// The job that locks and reads the entry is out.
    Opening(Box<SessionFlow>),
    Token {
        lock: SessionLock,
        flow: Box<SessionFlow>,
    },
    Fetching {
        lock: SessionLock,
        call: Box<Call<GetRoleCredentialsInput>>,
    },
    /// The job that writes the entry is out.
    Storing,
    Finished(Option<Result<Credentials, Error>>),
}

impl fmt::Debug for CredentialsFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CredentialsFlow");
        match &self.machine {
            Machine::Known(_) => d.field("source", &"static"),
            Machine::Sso(s) => d
                .field("account_id", &s.account_id)
                .field("role_name", &s.role_name),
            Machine::Assume(_) => d.field("source", &"assume-role"),
            Machine::WebIdentity(_) => d.field("source", &"web-identity"),
            Machine::Process(_) => d.field("source", &"credential_process"),
            Machine::Container(_) => d.field("source", &"container"),
            Machine::InstanceMetadata(_) => d.field("source", &"instance-metadata"),
        };
        d.finish_non_exhaustive()
    }
}

impl CredentialsFlow {
    /// A flow whose outcome is already known (static, environment).
    pub(crate) fn known(outcome: Result<Credentials, Error>) -> CredentialsFlow {
        CredentialsFlow {
            machine: Machine::Known(Some(outcome)),
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
            machine: Machine::Sso(Box::new(SsoRole {
                cache,
                file_name,
                account_id,
                role_name,
                lock_timeout,
                portal,
                options,
                policy: CredentialsRefreshPolicy::default(),
                state: SsoState::Start(Box::new(session_flow)),
            })),
        }
    }

    pub(crate) fn of(machine: Machine) -> CredentialsFlow {
        CredentialsFlow { machine }
    }

    /// Uses `policy` to decide whether a cached entry is fresh (default: 15
    /// minutes, as the AWS CLI). Applies to inner flows too.
    #[must_use]
    pub fn with_policy(mut self, policy: CredentialsRefreshPolicy) -> CredentialsFlow {
        self.set_policy(policy);
        self
    }

    pub(crate) fn set_policy(&mut self, policy: CredentialsRefreshPolicy) {
        match &mut self.machine {
            Machine::Known(_)
            | Machine::Process(_)
            | Machine::Container(_)
            | Machine::InstanceMetadata(_) => {}
            Machine::Sso(sso) => sso.policy = policy,
            Machine::Assume(assume) => assume.set_policy(policy),
            Machine::WebIdentity(web) => web.set_policy(policy),
        }
    }

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day (expiries, signing).
    pub fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Credentials> {
        match &mut self.machine {
            Machine::Known(outcome) => Step::Done(finished(outcome)),
            Machine::Sso(sso) => sso.poll(now, wall_clock),
            Machine::Assume(assume) => assume.poll(now, wall_clock),
            Machine::WebIdentity(web) => web.poll(now, wall_clock),
            Machine::Process(process) => process.poll(),
            Machine::Container(container) => container.poll(now),
            Machine::InstanceMetadata(imds) => imds.poll(now, wall_clock),
        }
    }
}

impl SsoRole {
    fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Credentials> {
        loop {
            let state = std::mem::replace(&mut self.state, SsoState::Storing);
            let (next, step) = self.step(state, now, wall);
            self.state = next;
            if let Some(step) = step {
                return step;
            }
        }
    }

    fn step(
        &mut self,
        state: SsoState,
        now: Instant,
        wall: SystemTime,
    ) -> (SsoState, Option<FlowStep<Credentials>>) {
        match state {
            SsoState::Start(flow) => (
                SsoState::Opening(flow),
                Some(blocking(Work::OpenRoleCredentials {
                    cache: self.cache.clone(),
                    file_name: self.file_name.clone(),
                    timeout: self.lock_timeout,
                    account_id: self.account_id.clone(),
                    policy: self.policy,
                    wall,
                })),
            ),
            SsoState::Opening(flow) => (SsoState::Opening(flow), Some(in_flight())),
            SsoState::Storing => (SsoState::Storing, Some(in_flight())),
            SsoState::Finished(mut outcome) => {
                let result = finished(&mut outcome);
                (SsoState::Finished(None), Some(Step::Done(result)))
            }
            SsoState::Token { lock, mut flow } => match flow.poll(now, wall).into_done() {
                Err(step) => (SsoState::Token { lock, flow }, Some(step)),
                Ok(Err(e)) => (SsoState::Finished(Some(Err(e))), None),
                Ok(Ok(token)) => {
                    let input = GetRoleCredentialsInput::new(
                        self.role_name.clone(),
                        self.account_id.clone(),
                        token.access_token,
                    );
                    match Call::new(&input, &self.portal, self.options.clone()) {
                        Ok(call) => (
                            SsoState::Fetching {
                                lock,
                                call: Box::new(call),
                            },
                            None,
                        ),
                        Err(e) => (SsoState::Finished(Some(Err(e.into()))), None),
                    }
                }
            },
            SsoState::Fetching { lock, mut call } => match pass(call.poll(now, wall)) {
                Err(step) => (SsoState::Fetching { lock, call }, Some(step)),
                Ok(Err(e)) => (SsoState::Finished(Some(Err(e.into()))), None),
                Ok(Ok(output)) => (
                    SsoState::Storing,
                    Some(blocking(Work::StoreRoleCredentials {
                        cache: self.cache.clone(),
                        file_name: self.file_name.clone(),
                        lock,
                        credentials: output.into_credentials(self.account_id.clone()),
                    })),
                ),
            },
        }
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        let state = std::mem::replace(&mut self.state, SsoState::Storing);
        self.state = match (state, event) {
            (SsoState::Token { lock, mut flow }, event) => {
                flow.handle(now, event, quota, random);
                SsoState::Token { lock, flow }
            }
            (SsoState::Fetching { lock, mut call }, event) => {
                Flow::handle(&mut *call, now, event, quota, random);
                SsoState::Fetching { lock, call }
            }
            (SsoState::Opening(flow), Event::Job(done)) => match *done.0 {
                Done::RoleCredentialsOpened(Err(e)) => SsoState::Finished(Some(Err(e.into()))),
                Done::RoleCredentialsOpened(Ok(Opened::Fresh(credentials))) => {
                    SsoState::Finished(Some(Ok(credentials)))
                }
                Done::RoleCredentialsOpened(Ok(Opened::Fetch(lock))) => {
                    SsoState::Token { lock, flow }
                }
                _ => SsoState::Finished(Some(Err(wrong_job()))),
            },
            (SsoState::Storing, Event::Job(done)) => match *done.0 {
                Done::RoleCredentialsStored {
                    credentials,
                    result,
                } => {
                    if let Err(e) = result {
                        // The credentials work; only other processes miss them.
                        log::warn!("the role credentials could not be cached: {e}");
                    }
                    SsoState::Finished(Some(Ok(credentials)))
                }
                _ => SsoState::Finished(Some(Err(wrong_job()))),
            },
            // Not an event this state waits for: a driver error, ignored.
            (state, _) => state,
        };
    }
}

impl Flow for CredentialsFlow {
    type Output = Credentials;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Credentials> {
        CredentialsFlow::poll(self, now, wall_clock)
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match &mut self.machine {
            Machine::Known(_) => {}
            Machine::Sso(sso) => sso.handle(now, event, quota, random),
            Machine::Assume(assume) => assume.handle(now, event, quota, random),
            Machine::WebIdentity(web) => web.handle(now, event, quota, random),
            Machine::Process(process) => process.handle(event),
            Machine::Container(container) => container.handle(now, event),
            Machine::InstanceMetadata(imds) => imds.handle(now, event),
        }
    }
}
