//! The credentials machines beyond static keys and SSO roles: assumed
//! roles (with an MFA code when the role needs one), web identity, the
//! AWS CLI's cross-process cache around both, `credential_process`, the
//! container endpoint and the instance metadata service.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::assume_role::assume_role_cache_entry;
use oidc_core::cache::credentials::CredentialsRefreshPolicy;
use oidc_core::call::{Call, CallOptions};
use oidc_core::endpoint::Endpoint;
use oidc_core::imds::ImdsCredentials;
use oidc_core::retry::RetryQuota;
use oidc_core::secret::TokenCode;
use oidc_core::sigv4::SigV4Signer;
use oidc_core::step::{OperationName, SendDeadline, Step};
use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::sts::assume_role_with_web_identity::AssumeRoleWithWebIdentityInput;
use oidc_core::sts::AssumedRoleUser;
use oidc_core::Credentials;

use super::flow::CredentialsFlow;
use super::{MfaPrompt, RoleCache};
use crate::drive::flow::{Event, Flow, FlowStep, Local};
use crate::drive::job::{Done, Job, Opened, Work};
use crate::error::{Error, SourceError};
use crate::token::lock::SessionLock;
use crate::token::session_flow::pass;

/// Credentials from a fetcher, and who they belong to (kept in the cache
/// entry as botocore keeps it).
pub(crate) struct Assumed {
    credentials: Credentials,
    user: Option<AssumedRoleUser>,
}

/// A machine that fetches assumed-role credentials.
pub(crate) trait Fetcher {
    fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Assumed>;
    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    );
    fn set_policy(&mut self, _policy: CredentialsRefreshPolicy) {}
}

/// A fetcher behind the AWS CLI's cache entry: the entry is locked and
/// read; a fresh one ends the machine, otherwise the fetcher runs with the
/// lock held and its result is written before the lock is released, so
/// that processes racing for the same role cause one STS call.
pub(crate) struct Cached<F> {
    cache: Option<RoleCache>,
    /// The account of the role (from its ARN), recorded with entries that
    /// lack it.
    account_id: String,
    policy: CredentialsRefreshPolicy,
    fetcher: F,
    state: CachedState,
}

enum CachedState {
    Start,
    Opening,
    Fetching(Option<SessionLock>),
    Storing,
    Finished(Option<Result<Credentials, Error>>),
}

impl<F: Fetcher> Cached<F> {
    pub(crate) fn new(cache: Option<RoleCache>, role_arn: &str, fetcher: F) -> Cached<F> {
        Cached {
            cache,
            account_id: role_arn.split(':').nth(4).unwrap_or_default().to_owned(),
            policy: CredentialsRefreshPolicy::default(),
            fetcher,
            state: CachedState::Start,
        }
    }

    pub(crate) fn set_policy(&mut self, policy: CredentialsRefreshPolicy) {
        self.policy = policy;
        self.fetcher.set_policy(policy);
    }

    pub(crate) fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Credentials> {
        loop {
            match &mut self.state {
                CachedState::Start => match &self.cache {
                    Some(cache) => {
                        self.state = CachedState::Opening;
                        return blocking(Work::OpenRoleCredentials {
                            cache: cache.dir.clone(),
                            file_name: cache.file_name.clone(),
                            timeout: cache.lock_timeout,
                            account_id: self.account_id.clone(),
                            policy: self.policy,
                            wall,
                        });
                    }
                    None => self.state = CachedState::Fetching(None),
                },
                CachedState::Opening | CachedState::Storing => return in_flight(),
                CachedState::Finished(outcome) => return Step::Done(finished(outcome)),
                CachedState::Fetching(lock) => match self.fetcher.poll(now, wall).into_done() {
                    Err(step) => return step,
                    Ok(Err(e)) => self.state = CachedState::Finished(Some(Err(e))),
                    Ok(Ok(assumed)) => match (&self.cache, lock.take()) {
                        (Some(cache), Some(lock)) => {
                            let user = assumed
                                .user
                                .as_ref()
                                .map(|u| (u.assumed_role_id.as_str(), u.arn.as_str()));
                            let entry = match assume_role_cache_entry(&assumed.credentials, user) {
                                Ok(entry) => entry,
                                Err(e) => {
                                    // Not cacheable (no session token): the
                                    // credentials still work.
                                    log::warn!(
                                        "the assumed role's credentials are not cached: {e}"
                                    );
                                    self.state =
                                        CachedState::Finished(Some(Ok(assumed.credentials)));
                                    continue;
                                }
                            };
                            self.state = CachedState::Storing;
                            return blocking(Work::StoreAssumedRole {
                                cache: cache.dir.clone(),
                                file_name: cache.file_name.clone(),
                                lock,
                                credentials: assumed.credentials,
                                entry,
                            });
                        }
                        _ => self.state = CachedState::Finished(Some(Ok(assumed.credentials))),
                    },
                },
            }
        }
    }

    pub(crate) fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match (&mut self.state, event) {
            (CachedState::Fetching(_), event) => self.fetcher.handle(now, event, quota, random),
            (CachedState::Opening, Event::Job(done)) => {
                self.state = match *done.0 {
                    Done::RoleCredentialsOpened(Ok(Opened::Fresh(credentials))) => {
                        CachedState::Finished(Some(Ok(credentials)))
                    }
                    Done::RoleCredentialsOpened(Ok(Opened::Fetch(lock))) => {
                        CachedState::Fetching(Some(lock))
                    }
                    Done::RoleCredentialsOpened(Err(e)) => {
                        CachedState::Finished(Some(Err(e.into())))
                    }
                    _ => CachedState::Finished(Some(Err(wrong_job()))),
                };
            }
            (CachedState::Storing, Event::Job(done)) => {
                self.state = match *done.0 {
                    Done::RoleCredentialsStored {
                        credentials,
                        result,
                    } => {
                        if let Err(e) = result {
                            // The credentials work; only other processes miss them.
                            log::warn!("the assumed role's credentials could not be cached: {e}");
                        }
                        CachedState::Finished(Some(Ok(credentials)))
                    }
                    _ => CachedState::Finished(Some(Err(wrong_job()))),
                };
            }
            // Not an event this state waits for: a driver error, ignored.
            _ => {}
        }
    }
}

/// STS AssumeRole signed with an inner source's credentials, asking for
/// the MFA code first when the role needs one.
pub(crate) struct AssumeRole {
    input: AssumeRoleInput,
    endpoint: Endpoint,
    region: String,
    options: CallOptions,
    mfa: Option<MfaPrompt>,
    state: AssumeState,
}

enum AssumeState {
    Inner(Box<CredentialsFlow>),
    /// The MFA prompt is out; the inner credentials wait for the code.
    Asking(Credentials),
    Assuming(Box<Call<AssumeRoleInput>>),
    Finished(Option<Result<Assumed, Error>>),
}

impl AssumeRole {
    pub(crate) fn new(
        inner: CredentialsFlow,
        input: AssumeRoleInput,
        endpoint: Endpoint,
        region: String,
        options: CallOptions,
        mfa: Option<MfaPrompt>,
    ) -> AssumeRole {
        AssumeRole {
            input,
            endpoint,
            region,
            options,
            mfa,
            state: AssumeState::Inner(Box::new(inner)),
        }
    }

    fn call(&self, credentials: Credentials, input: &AssumeRoleInput) -> AssumeState {
        let signer = SigV4Signer::new(credentials, self.region.clone());
        let options = self.options.clone().with_signer(Arc::new(signer));
        match Call::new(input, &self.endpoint, options) {
            Ok(call) => AssumeState::Assuming(Box::new(call)),
            Err(e) => AssumeState::Finished(Some(Err(e.into()))),
        }
    }
}

impl Fetcher for AssumeRole {
    fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Assumed> {
        loop {
            match &mut self.state {
                AssumeState::Finished(outcome) => {
                    return Step::Done(outcome.take().unwrap_or_else(|| Err(already_finished())))
                }
                AssumeState::Asking(_) => return in_flight(),
                AssumeState::Inner(inner) => {
                    match inner.poll(now, wall).into_done() {
                        Err(step) => return step,
                        Ok(Err(e)) => self.state = AssumeState::Finished(Some(Err(e))),
                        Ok(Ok(credentials)) => {
                            let needs_code = self.input.serial_number.is_some()
                                && self.input.token_code.is_none();
                            if !needs_code {
                                self.state = self.call(credentials, &self.input);
                                continue;
                            }
                            let serial = self.input.serial_number.clone().unwrap_or_default();
                            match &self.mfa {
                                Some(prompt) => {
                                    let prompt = prompt.clone();
                                    self.state = AssumeState::Asking(credentials);
                                    return blocking(Work::AskMfaCode { prompt, serial });
                                }
                                None => {
                                    self.state = AssumeState::Finished(Some(Err(
                                        SourceError::MfaUnavailable { serial }.into(),
                                    )));
                                }
                            }
                        }
                    }
                }
                AssumeState::Assuming(call) => match pass(call.poll(now, wall)) {
                    Err(step) => return step,
                    Ok(result) => {
                        self.state = AssumeState::Finished(Some(
                            result
                                .map(|output| Assumed {
                                    credentials: output.credentials,
                                    user: output.assumed_role_user,
                                })
                                .map_err(Error::from),
                        ));
                    }
                },
            }
        }
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match (&mut self.state, event) {
            (AssumeState::Inner(inner), event) => inner.handle(now, event, quota, random),
            (AssumeState::Assuming(call), event) => {
                Flow::handle(&mut **call, now, event, quota, random);
            }
            (AssumeState::Asking(_), Event::Job(done)) => {
                let AssumeState::Asking(credentials) =
                    std::mem::replace(&mut self.state, AssumeState::Finished(None))
                else {
                    return;
                };
                self.state = match *done.0 {
                    Done::MfaCode(Ok(code)) => {
                        // The code is for this call only: the next fetch asks again.
                        let mut input = self.input.clone();
                        input.token_code = Some(TokenCode::new(code));
                        self.call(credentials, &input)
                    }
                    Done::MfaCode(Err(e)) => AssumeState::Finished(Some(Err(e.into()))),
                    _ => AssumeState::Finished(Some(Err(wrong_job()))),
                };
            }
            _ => {}
        }
    }

    fn set_policy(&mut self, policy: CredentialsRefreshPolicy) {
        if let AssumeState::Inner(inner) = &mut self.state {
            inner.set_policy(policy);
        }
    }
}

/// STS AssumeRoleWithWebIdentity with the token file's contents.
pub(crate) struct WebIdentity {
    token_file: std::path::PathBuf,
    role_arn: String,
    role_session_name: String,
    endpoint: Endpoint,
    options: CallOptions,
    state: WebIdentityState,
}

enum WebIdentityState {
    Start,
    Reading,
    Calling(Box<Call<AssumeRoleWithWebIdentityInput>>),
    Finished(Option<Result<Assumed, Error>>),
}

impl WebIdentity {
    pub(crate) fn new(
        token_file: std::path::PathBuf,
        role_arn: String,
        role_session_name: String,
        endpoint: Endpoint,
        options: CallOptions,
    ) -> WebIdentity {
        WebIdentity {
            token_file,
            role_arn,
            role_session_name,
            endpoint,
            options,
            state: WebIdentityState::Start,
        }
    }
}

impl Fetcher for WebIdentity {
    fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Assumed> {
        loop {
            match &mut self.state {
                WebIdentityState::Start => {
                    self.state = WebIdentityState::Reading;
                    return blocking(Work::ReadWebIdentityToken {
                        path: self.token_file.clone(),
                    });
                }
                WebIdentityState::Reading => return in_flight(),
                WebIdentityState::Finished(outcome) => {
                    return Step::Done(outcome.take().unwrap_or_else(|| Err(already_finished())))
                }
                WebIdentityState::Calling(call) => match pass(call.poll(now, wall)) {
                    Err(step) => return step,
                    Ok(result) => {
                        self.state = WebIdentityState::Finished(Some(
                            result
                                .map(|output| Assumed {
                                    credentials: output.credentials,
                                    user: output.assumed_role_user,
                                })
                                .map_err(Error::from),
                        ));
                    }
                },
            }
        }
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match (&mut self.state, event) {
            (WebIdentityState::Calling(call), event) => {
                Flow::handle(&mut **call, now, event, quota, random);
            }
            (WebIdentityState::Reading, Event::Job(done)) => {
                self.state = match *done.0 {
                    Done::WebIdentityToken(Ok(token)) => {
                        let input = AssumeRoleWithWebIdentityInput::new(
                            self.role_arn.clone(),
                            self.role_session_name.clone(),
                            token,
                        );
                        match Call::new(&input, &self.endpoint, self.options.clone()) {
                            Ok(call) => WebIdentityState::Calling(Box::new(call)),
                            Err(e) => WebIdentityState::Finished(Some(Err(e.into()))),
                        }
                    }
                    Done::WebIdentityToken(Err(e)) => {
                        WebIdentityState::Finished(Some(Err(e.into())))
                    }
                    _ => WebIdentityState::Finished(Some(Err(wrong_job()))),
                };
            }
            _ => {}
        }
    }
}

/// A `credential_process` command, run as a blocking job.
pub(crate) struct Process {
    command: String,
    timeout: Duration,
    /// Whether the job was handed out.
    started: bool,
    outcome: Option<Result<Credentials, Error>>,
}

impl Process {
    pub(crate) fn new(command: String, timeout: Duration) -> Process {
        Process {
            command,
            timeout,
            started: false,
            outcome: None,
        }
    }

    pub(crate) fn poll(&mut self) -> FlowStep<Credentials> {
        if !self.started {
            self.started = true;
            return blocking(Work::RunProcess {
                command: self.command.clone(),
                timeout: self.timeout,
            });
        }
        match self.outcome.take() {
            Some(outcome) => Step::Done(outcome),
            None => in_flight(),
        }
    }

    pub(crate) fn handle<B: AsRef<[u8]>>(&mut self, event: Event<'_, B>) {
        if let (true, None, Event::Job(done)) = (self.started, &self.outcome, event) {
            self.outcome = Some(match *done.0 {
                Done::ProcessFinished(result) => result.map_err(Error::from),
                _ => Err(wrong_job()),
            });
        }
    }
}

/// The container credentials endpoint: a job finds it (and reads the
/// authorization token file), then GETs, tried again as botocore tries
/// ([`ATTEMPTS`](oidc_core::container::ATTEMPTS) in all,
/// [`RETRY_DELAY`](oidc_core::container::RETRY_DELAY) apart).
pub(crate) struct Container {
    env: super::EnvLookup,
    user_agent: http::HeaderValue,
    attempts: u32,
    state: ContainerState,
}

enum ContainerState {
    Start,
    Preparing,
    /// Ready to send (again, after `not_before`).
    Ready {
        request: http::Request<Vec<u8>>,
        not_before: Option<Instant>,
    },
    Sent(http::Request<Vec<u8>>),
    Finished(Option<Result<Credentials, Error>>),
}

impl Container {
    pub(crate) fn new(env: super::EnvLookup, user_agent: http::HeaderValue) -> Container {
        Container {
            env,
            user_agent,
            attempts: 0,
            state: ContainerState::Start,
        }
    }

    pub(crate) fn poll(&mut self, now: Instant) -> FlowStep<Credentials> {
        match std::mem::replace(&mut self.state, ContainerState::Finished(None)) {
            ContainerState::Start => {
                self.state = ContainerState::Preparing;
                blocking(Work::PrepareContainer {
                    env: self.env.clone(),
                })
            }
            state @ (ContainerState::Preparing | ContainerState::Sent(_)) => {
                self.state = state;
                in_flight()
            }
            ContainerState::Ready {
                request,
                not_before: Some(at),
            } if now < at => {
                self.state = ContainerState::Ready {
                    request,
                    not_before: Some(at),
                };
                Step::WaitUntil(at)
            }
            ContainerState::Ready { request, .. } => {
                self.attempts += 1;
                let mut sent = clone_request(&request);
                sent.headers_mut()
                    .insert(http::header::USER_AGENT, self.user_agent.clone());
                let extensions = sent.extensions_mut();
                extensions.insert(SendDeadline(now + oidc_core::container::TIMEOUT));
                extensions.insert(OperationName(oidc_core::container::OPERATION_NAME));
                self.state = ContainerState::Sent(request);
                Step::Send(sent)
            }
            ContainerState::Finished(mut outcome) => Step::Done(finished(&mut outcome)),
        }
    }

    pub(crate) fn handle<B: AsRef<[u8]>>(&mut self, now: Instant, event: Event<'_, B>) {
        let state = std::mem::replace(&mut self.state, ContainerState::Finished(None));
        self.state = match (state, event) {
            (ContainerState::Preparing, Event::Job(done)) => match *done.0 {
                Done::ContainerReady(Ok(request)) => ContainerState::Ready {
                    request,
                    not_before: None,
                },
                Done::ContainerReady(Err(e)) => ContainerState::Finished(Some(Err(e.into()))),
                _ => ContainerState::Finished(Some(Err(wrong_job()))),
            },
            (ContainerState::Sent(request), Event::Response(response)) => {
                match oidc_core::container::parse_response(response) {
                    Ok(credentials) => ContainerState::Finished(Some(Ok(credentials))),
                    Err(e) if e.is_retryable() => {
                        self.again(now, request, SourceError::Container(e).into())
                    }
                    Err(e) => ContainerState::Finished(Some(Err(SourceError::Container(e).into()))),
                }
            }
            (ContainerState::Sent(request), Event::Failed(e)) => {
                self.again(now, request, oidc_core::Error::from(e).into())
            }
            (state, _) => state,
        };
    }

    /// The request once more after the retry delay, or `error` after the
    /// last attempt.
    fn again(&self, now: Instant, request: http::Request<Vec<u8>>, error: Error) -> ContainerState {
        if self.attempts < oidc_core::container::ATTEMPTS {
            ContainerState::Ready {
                request,
                not_before: Some(now + oidc_core::container::RETRY_DELAY),
            }
        } else {
            ContainerState::Finished(Some(Err(error)))
        }
    }
}

/// A copy of a request without extensions (the container request has
/// none that matter: they are set again for every attempt).
fn clone_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// The instance metadata service (IMDSv2), the core's machine.
pub(crate) struct InstanceMetadata {
    imds: ImdsCredentials,
    user_agent: http::HeaderValue,
}

impl InstanceMetadata {
    pub(crate) fn new(imds: ImdsCredentials, user_agent: http::HeaderValue) -> InstanceMetadata {
        InstanceMetadata { imds, user_agent }
    }

    pub(crate) fn poll(&mut self, now: Instant, wall: SystemTime) -> FlowStep<Credentials> {
        match self.imds.poll(now, wall) {
            Step::Send(mut request) => {
                request
                    .headers_mut()
                    .insert(http::header::USER_AGENT, self.user_agent.clone());
                Step::Send(request)
            }
            Step::WaitUntil(at) => Step::WaitUntil(at),
            Step::Done(result) => Step::Done(
                result
                    .map(|role| role.credentials)
                    .map_err(|e| SourceError::InstanceMetadata(e).into()),
            ),
            Step::Local(never) => match never {},
        }
    }

    pub(crate) fn handle<B: AsRef<[u8]>>(&mut self, now: Instant, event: Event<'_, B>) {
        match event {
            Event::Response(response) => self.imds.handle_response(now, response),
            Event::Failed(e) => self.imds.handle_transport_error(now, e),
            _ => {}
        }
    }
}

pub(super) fn blocking<T>(work: Work) -> FlowStep<T> {
    Step::Local(Local::Blocking(Job(Box::new(work))))
}

/// Polled while a job is out: the driver did not hand its result back.
pub(super) fn in_flight<T>() -> FlowStep<T> {
    Step::Done(Err(oidc_core::Error::from(
        oidc_core::Misuse::PolledInFlight,
    )
    .into()))
}

fn already_finished() -> Error {
    oidc_core::Error::from(oidc_core::Misuse::AlreadyFinished).into()
}

pub(super) fn finished(
    outcome: &mut Option<Result<Credentials, Error>>,
) -> Result<Credentials, Error> {
    outcome.take().unwrap_or_else(|| Err(already_finished()))
}

/// The result of another flow's job: a driver error, which ends this flow.
pub(super) fn wrong_job() -> Error {
    oidc_core::Error::from(oidc_core::Misuse::UnexpectedResponse).into()
}
