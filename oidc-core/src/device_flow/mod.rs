//! The RFC 8628 device authorization flow as a sans-IO state machine.
//!
//! A [`DeviceFlow`] is built from a client registration and a
//! `StartDeviceAuthorization` output. It never reads a clock, sleeps or
//! sends anything: the caller passes the time (a monotonic [`Instant`]) and
//! the responses, and the flow says what to do next with a [`DeviceFlowStep`].
//!
//! # The drive loop
//!
//! A driver MUST follow this loop (both adapters do, line for line):
//!
//! 1. Call [`DeviceFlow::poll`] with the current time.
//! 2. On [`Step::Send`], send the request and pass the response to
//!    [`DeviceFlow::handle_response`] (or, if no response could be had, call
//!    [`DeviceFlow::handle_transport_error`]); then go to 1.
//! 3. On [`Step::Local`] (the prompt), show the user code and verification URI
//!    (and/or open the complete URI); then go to 1.
//! 4. On [`Step::WaitUntil`], wait until that instant (or until the user
//!    cancels); then go to 1.
//! 5. On [`Step::Done`], stop: it carries the token or the typed outcome.
//!
//! After every `handle_response`, call `poll` until it returns `WaitUntil`
//! or `Done`. Cancelling is simply not polling again.
//!
#![doc = include_str!("../../docs/drive-loop.md")]
//!
//! # Timing rules
//!
//! * The first poll is sent at once (the user may have approved already);
//!   the prompt is emitted before the first wait.
//! * The interval is the response's `interval`, 5 s when absent (RFC 8628
//!   §3.2), between 1 s and [`MAX_INTERVAL`]; every `slow_down` adds 5 s
//!   for the rest of the flow (§3.5).
//! * The flow waits at most [`MAX_EXPIRES_IN`], whatever `expiresIn` says.
//! * The next poll is scheduled one interval after the previous answer
//!   arrived, so two polls are never closer than the interval.
//! * The flow ends with [`DeviceFlowError::Expired`] at the local deadline
//!   (`now + expiresIn` when the flow was built), even if the service never
//!   says so; a request in flight at the deadline is abandoned.

use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::error::{Error, Misuse, ServiceError};
use crate::retry::{self, RetryClass};
use crate::secret::ClientSecret;
use crate::sso_oidc::create_token::{self, CreateTokenInput, CreateTokenOutput, Grant};
use crate::sso_oidc::register_client::RegisterClientOutput;
use crate::sso_oidc::start_device_authorization::StartDeviceAuthorizationOutput;
use crate::sso_oidc::ErrorCode;
use crate::step::{OperationName, SendDeadline, Step};

/// Polling interval when the service sends none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What each `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_INCREMENT: Duration = Duration::from_secs(5);
/// The smallest interval the flow uses, whatever the service says.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest device authorization the flow waits for, whatever the
/// service's `expiresIn` says (the service uses 10 minutes).
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(60 * 60);
/// The longest polling interval the flow uses, whatever the service's
/// `interval` says.
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// Consecutive transient failures (5xx, dropped connections) the flow
/// rides out by polling again at the next interval before it gives up.
pub const MAX_CONSECUTIVE_TRANSIENT_FAILURES: u32 = 3;

/// What the driver of a [`DeviceFlow`] must do next: a [`Step`] whose
/// local work is showing the [`Prompt`] (emitted once, before the first
/// wait) and whose outcome is the token or why there is none.
///
/// `Debug` prints requests through [`DebugRequest`](crate::debug::DebugRequest),
/// so the body (which holds the client secret and device code) never shows.
pub type DeviceFlowStep = Step<Result<CreateTokenOutput, DeviceFlowError>, Prompt>;

/// What to show the user. The service's text is untrusted: every member
/// here has had its control characters removed
/// ([`untrusted::printable`](crate::untrusted::printable)); open a URI only
/// through [`Prompt::browser_uri`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Prompt {
    /// The code the user confirms.
    pub user_code: String,
    /// The page where the user enters the code.
    pub verification_uri: String,
    /// The page with the code filled in, when the service sent it.
    pub verification_uri_complete: Option<String>,
    /// How long the code stays valid from when the flow was built.
    pub expires_in: Duration,
    /// When the code expires (local monotonic deadline).
    pub expires_at: Instant,
}

impl Prompt {
    /// The best URI to show: the complete one when present.
    pub fn uri_to_open(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }

    /// The URI to hand to a browser opener, when one is safe to open
    /// ([`untrusted::openable_uri`](crate::untrusted::openable_uri)): the
    /// complete one, else the plain one; `None` when neither is.
    pub fn browser_uri(&self) -> Option<&str> {
        self.verification_uri_complete
            .as_deref()
            .and_then(crate::untrusted::openable_uri)
            .or_else(|| crate::untrusted::openable_uri(&self.verification_uri))
    }
}

/// Why a device flow ended without a token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceFlowError {
    /// The device code expired before the user approved (locally at the
    /// deadline, or `ExpiredTokenException` from the service). Start over.
    #[error("the device authorization expired before it was approved; sign in again{}", .service.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Expired {
        /// The service's answer, when it said so (`None`: local deadline).
        service: Option<ServiceError>,
    },
    /// The user denied the request (or KMS denied access; see `reason`).
    #[error("the authorization was denied: {0}")]
    Denied(ServiceError),
    /// The device code is invalid or was already used.
    #[error("the device code was rejected: {0}")]
    InvalidGrant(ServiceError),
    /// The client registration is invalid or expired: drop the cached
    /// registration and register again.
    #[error("the client registration is no longer valid; register again: {0}")]
    InvalidClient(ServiceError),
    /// Any other error (configuration, protocol, repeated transient faults).
    #[error("the device flow failed")]
    Failed(#[source] Error),
}

#[derive(Debug)]
enum State {
    /// The next poll may be sent at `at`.
    Ready { at: Instant },
    /// A poll was sent and its answer is awaited.
    InFlight,
    /// The outcome, returned by every later `poll`.
    Finished(Result<CreateTokenOutput, DeviceFlowError>),
}

/// The device authorization flow for one `StartDeviceAuthorization`.
#[derive(Debug)]
pub struct DeviceFlow {
    input: CreateTokenInput,
    endpoint: Endpoint,
    prompt: Prompt,
    interval: Duration,
    deadline: Instant,
    state: State,
    polls_sent: u32,
    prompt_shown: bool,
    transient_failures: u32,
    user_agent: Option<http::HeaderValue>,
}

impl DeviceFlow {
    /// Starts the flow. `now` is when the `StartDeviceAuthorization`
    /// response arrived; the deadline is `now + expiresIn`.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        authorization: StartDeviceAuthorizationOutput,
        endpoint: Endpoint,
        now: Instant,
    ) -> DeviceFlow {
        // What the service sends is untrusted: bounded times, printable text.
        let expires_in =
            Duration::from_secs(u64::from(authorization.expires_in)).min(MAX_EXPIRES_IN);
        let deadline = now.checked_add(expires_in).unwrap_or(now);
        let interval = authorization
            .interval
            .map(|s| Duration::from_secs(u64::from(s)))
            .unwrap_or(DEFAULT_INTERVAL)
            .clamp(MIN_INTERVAL, MAX_INTERVAL);
        let printable = crate::untrusted::printable;
        let prompt = Prompt {
            user_code: printable(&authorization.user_code),
            verification_uri: printable(&authorization.verification_uri),
            verification_uri_complete: authorization
                .verification_uri_complete
                .as_deref()
                .map(printable),
            expires_in,
            expires_at: deadline,
        };
        let input = CreateTokenInput::new(
            client_id,
            client_secret,
            Grant::DeviceCode {
                device_code: authorization.device_code,
            },
        );
        DeviceFlow {
            input,
            endpoint,
            prompt,
            interval,
            deadline,
            state: State::Ready { at: now },
            polls_sent: 0,
            prompt_shown: false,
            transient_failures: 0,
            user_agent: None,
        }
    }

    /// Sets the `User-Agent` of every poll (the core's own by default).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: http::HeaderValue) -> DeviceFlow {
        self.set_user_agent(user_agent);
        self
    }

    /// Sets the `User-Agent` of every later poll, for a driver that is
    /// handed a flow someone else built.
    pub fn set_user_agent(&mut self, user_agent: http::HeaderValue) {
        self.user_agent = Some(user_agent);
    }

    /// Starts the flow for a fresh registration.
    pub fn for_registration(
        registration: &RegisterClientOutput,
        authorization: StartDeviceAuthorizationOutput,
        endpoint: Endpoint,
        now: Instant,
    ) -> DeviceFlow {
        DeviceFlow::new(
            registration.client_id.clone(),
            registration.client_secret.clone(),
            authorization,
            endpoint,
            now,
        )
    }

    /// What to show the user; available from the start.
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }

    /// The current polling interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The local deadline (`expiresIn` after the flow was built).
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the flow has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished(_))
    }

    /// Says what to do next at `now`. See the [module docs](self) for the
    /// loop a driver must follow.
    ///
    /// While a request is in flight this returns `WaitUntil(deadline)`, and
    /// `Done(Expired)` once the deadline has passed.
    pub fn poll(&mut self, now: Instant) -> DeviceFlowStep {
        if let State::Finished(outcome) = &self.state {
            return Step::Done(outcome.clone());
        }
        if now >= self.deadline {
            return self.finish(Err(DeviceFlowError::Expired { service: None }));
        }
        match self.state {
            State::InFlight | State::Finished(_) => Step::WaitUntil(self.deadline),
            State::Ready { at } => {
                if self.polls_sent > 0 && !self.prompt_shown {
                    self.prompt_shown = true;
                    return Step::Local(self.prompt.clone());
                }
                if now < at {
                    return Step::WaitUntil(at.min(self.deadline));
                }
                match create_token::request(&self.input, &self.endpoint) {
                    Ok(mut request) => {
                        if let Some(ua) = &self.user_agent {
                            request
                                .headers_mut()
                                .insert(http::header::USER_AGENT, ua.clone());
                        }
                        request
                            .extensions_mut()
                            .insert(OperationName(<CreateTokenInput as crate::Operation>::NAME));
                        request.extensions_mut().insert(SendDeadline(self.deadline));
                        self.state = State::InFlight;
                        self.polls_sent = self.polls_sent.saturating_add(1);
                        Step::Send(request)
                    }
                    Err(e) => self.finish(Err(DeviceFlowError::Failed(e))),
                }
            }
        }
    }

    /// Feeds the response to the request of the last [`Step::Send`].
    ///
    /// Errors only on misuse (no request outstanding); every answer of the
    /// service, including errors, advances the flow and is reported by the
    /// next `poll`.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: &http::Response<B>,
    ) -> Result<(), Error> {
        self.expect_in_flight()?;
        let parsed = create_token::parse(response).map_err(|mut e| {
            e.scrub_secrets(&crate::Operation::secrets(&self.input));
            e
        });
        match parsed {
            Ok(token) => {
                self.state = State::Finished(Ok(token));
            }
            Err(Error::Service(e)) => self.handle_service_error(now, e),
            Err(e) => match retry::classify(&e) {
                RetryClass::NotRetryable => {
                    self.state = State::Finished(Err(DeviceFlowError::Failed(e)))
                }
                _ => self.transient(now, e),
            },
        }
        Ok(())
    }

    /// Reports that the request of the last [`Step::Send`] got no usable
    /// response (connection refused or dropped, timeout), after the
    /// transport's own retries. The flow polls again at the next interval,
    /// up to [`MAX_CONSECUTIVE_TRANSIENT_FAILURES`] times in a row.
    ///
    /// `error` (normally an [`Error::Transport`] built from a
    /// [`TransportError`](crate::TransportError)) is kept as the outcome if
    /// the flow gives up.
    pub fn handle_transport_error(&mut self, now: Instant, error: Error) -> Result<(), Error> {
        self.expect_in_flight()?;
        self.transient(now, error);
        Ok(())
    }

    fn expect_in_flight(&self) -> Result<(), Misuse> {
        match self.state {
            State::InFlight => Ok(()),
            State::Finished(_) => Err(Misuse::AlreadyFinished),
            State::Ready { .. } => Err(Misuse::UnexpectedResponse),
        }
    }

    fn handle_service_error(&mut self, now: Instant, e: ServiceError) {
        let outcome = match e.code.sso_oidc() {
            Some(ErrorCode::AuthorizationPending) => {
                self.transient_failures = 0;
                return self.schedule(now);
            }
            Some(ErrorCode::SlowDown) => {
                self.transient_failures = 0;
                self.interval = self.interval.saturating_add(SLOW_DOWN_INCREMENT);
                return self.schedule(now);
            }
            Some(ErrorCode::ExpiredToken) => DeviceFlowError::Expired { service: Some(e) },
            Some(ErrorCode::AccessDenied) => DeviceFlowError::Denied(e),
            Some(ErrorCode::InvalidGrant) => DeviceFlowError::InvalidGrant(e),
            Some(ErrorCode::InvalidClient) => DeviceFlowError::InvalidClient(e),
            _ => {
                let e = Error::Service(e);
                if retry::classify(&e).is_retryable() {
                    return self.transient(now, e);
                }
                DeviceFlowError::Failed(e)
            }
        };
        self.state = State::Finished(Err(outcome));
    }

    fn transient(&mut self, now: Instant, error: Error) {
        self.transient_failures = self.transient_failures.saturating_add(1);
        if self.transient_failures > MAX_CONSECUTIVE_TRANSIENT_FAILURES {
            self.state = State::Finished(Err(DeviceFlowError::Failed(error)));
        } else {
            self.schedule(now);
        }
    }

    fn schedule(&mut self, now: Instant) {
        let at = now.checked_add(self.interval).unwrap_or(self.deadline);
        self.state = State::Ready { at };
    }

    fn finish(&mut self, outcome: Result<CreateTokenOutput, DeviceFlowError>) -> DeviceFlowStep {
        self.state = State::Finished(outcome.clone());
        Step::Done(outcome)
    }
}
