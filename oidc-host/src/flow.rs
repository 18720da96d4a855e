//! The one drive loop: [`FlowStep`] and the [`Flow`] trait.

use std::any::Any;
use std::fmt;
use std::time::{Instant, SystemTime};

use oidc_core::call::{Call, Step};
use oidc_core::device_flow::{Action, DeviceFlow};
use oidc_core::http;
use oidc_core::pkce::{RedirectError, State as PkceState};
use oidc_core::retry::RetryQuota;
use oidc_core::secret::AuthorizationCode;
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput};
use oidc_core::{Operation, TransportError};

use crate::client_state::Attempt;
use crate::error::Error;
use crate::session_flow::SignInPrompt;

/// What the driver of a [`Flow`] must do next.
#[must_use = "a FlowStep is an instruction the driver must carry out"]
pub enum FlowStep<T> {
    /// Send this request (one attempt), then hand the outcome over with
    /// [`ClientState::deliver`](crate::ClientState::deliver).
    Send(http::Request<Vec<u8>>),
    /// Nothing to do before this instant; poll again then (or cancel).
    WaitUntil(Instant),
    /// Run this blocking file work where blocking is allowed, then pass its
    /// result to [`Flow::handle_file`].
    Blocking(FileJob),
    /// Show the user how to approve the sign-in; then poll again.
    Prompt(SignInPrompt),
    /// Bind a listener on `127.0.0.1`, port 0, and pass its port to
    /// [`Flow::listening`] (or the failure to [`Flow::listener_failed`]).
    Listen,
    /// Serve the loopback listener: answer each request with
    /// [`oidc_core::pkce::answer_loopback`] and [`Flow::pkce_state`] until
    /// one ends the wait, then pass it to [`Flow::handle_redirect`]; at
    /// `deadline` call [`Flow::redirect_timed_out`].
    AwaitRedirect {
        /// When to stop waiting.
        deadline: Instant,
    },
    /// The flow is over.
    Done(Result<T, Error>),
}

impl<T: fmt::Debug> fmt::Debug for FlowStep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowStep::Send(r) => f
                .debug_tuple("Send")
                .field(&oidc_core::debug::DebugRequest(r))
                .finish(),
            FlowStep::WaitUntil(at) => f.debug_tuple("WaitUntil").field(at).finish(),
            FlowStep::Blocking(_) => f.write_str("Blocking(..)"),
            FlowStep::Prompt(p) => f.debug_tuple("Prompt").field(p).finish(),
            FlowStep::Listen => f.write_str("Listen"),
            FlowStep::AwaitRedirect { deadline } => f
                .debug_struct("AwaitRedirect")
                .field("deadline", deadline)
                .finish(),
            FlowStep::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

/// The one drive loop: what every flow of this crate asks its adapter to
/// do ([`FlowStep`]), and the [`Flow`] trait an adapter drives.
///
/// A flow (a session's token, role credentials, ...) is a state machine
/// that never does I/O itself beyond the file work it hands out as
/// [`FileJob`]s. An adapter's loop is the same for every flow:
///
/// ```text
/// loop {
///     match flow.poll(now, wall_clock) {
///         Send(request)            => send once; state.deliver(&mut flow, now, outcome)
///         WaitUntil(at)            => sleep until `at` (or until cancelled)
///         Blocking(job)            => flow.handle_file(job.run())   // off the async threads
///         Prompt(prompt)           => show it
///         Listen                   => bind 127.0.0.1:0; flow.listening(port)
///         AwaitRedirect{deadline}  => serve the listener with oidc_core::pkce::answer_loopback
///                                     and flow.pkce_state(); flow.handle_redirect(..) or
///                                     flow.redirect_timed_out()
///         Done(result)             => return result
///     }
/// }
/// ```
pub trait Flow: Attempt {
    /// What the flow produces.
    type Output;

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day.
    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Self::Output>;

    // The steps below have defaults for flows that never ask for them (a
    // single call, a device flow): they are never called then.

    /// Takes the result of the last [`FlowStep::Blocking`] job.
    fn handle_file(&mut self, done: FileDone) {
        let _ = done;
    }

    /// Reports the loopback listener's port after [`FlowStep::Listen`].
    fn listening(&mut self, port: u16) {
        let _ = port;
    }

    /// Reports that the listener could not be bound or failed.
    fn listener_failed(&mut self, error: std::io::Error) {
        let _ = error;
    }

    /// The state of the authorization-code sign-in in progress, for
    /// [`oidc_core::pkce::answer_loopback`].
    fn pkce_state(&self) -> Option<&PkceState> {
        None
    }

    /// Hands over what ended [`FlowStep::AwaitRedirect`].
    fn handle_redirect(&mut self, outcome: Result<AuthorizationCode, RedirectError>) {
        let _ = outcome;
    }

    /// Reports that no redirect arrived by the deadline.
    fn redirect_timed_out(&mut self) {}

    /// When the request of the last [`FlowStep::Send`] must be abandoned
    /// (reported as a timeout) if it has not been answered: the device
    /// flow's deadline while it polls. `None`: the configured timeouts
    /// alone bound it.
    fn send_deadline(&self) -> Option<Instant> {
        None
    }
}

/// One call is a flow: the adapters' one drive loop runs it.
impl<O: Operation> Flow for Call<O> {
    type Output = O::Output;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<O::Output> {
        match Call::poll(self, now, wall_clock) {
            Step::Send(request) => FlowStep::Send(request),
            Step::WaitUntil(at) => FlowStep::WaitUntil(at),
            Step::Done(result) => FlowStep::Done(result.map_err(Error::Core)),
        }
    }
}

/// A [`DeviceFlow`] the caller built, as a flow: each poll is sent once
/// (the flow counts failed polls itself, so retries never stack) and a poll
/// still in flight is abandoned at the flow's deadline.
#[derive(Debug)]
pub struct DeviceFlowRun<'a> {
    flow: &'a mut DeviceFlow,
}

impl<'a> DeviceFlowRun<'a> {
    /// Runs `flow`.
    pub fn new(flow: &'a mut DeviceFlow) -> DeviceFlowRun<'a> {
        DeviceFlowRun { flow }
    }
}

impl Attempt for DeviceFlowRun<'_> {
    fn response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: &http::Response<B>,
        _quota: &mut RetryQuota,
        _random: u32,
    ) {
        // Only misuse fails here, and the drive loop cannot misuse it.
        let _ = self.flow.handle_response(now, response);
    }

    fn transport_error(
        &mut self,
        now: Instant,
        mut error: TransportError,
        _quota: &mut RetryQuota,
        _random: u32,
    ) {
        error.operation = CreateTokenInput::NAME;
        let _ = self.flow.handle_transport_error(now, error.into());
    }
}

impl Flow for DeviceFlowRun<'_> {
    type Output = CreateTokenOutput;

    fn poll(&mut self, now: Instant, _wall_clock: SystemTime) -> FlowStep<CreateTokenOutput> {
        match self.flow.poll(now) {
            Action::Send(request) => FlowStep::Send(request),
            Action::ShowPrompt(prompt) => FlowStep::Prompt(SignInPrompt::DeviceCode(prompt)),
            Action::WaitUntil(at) => FlowStep::WaitUntil(at),
            Action::Done(outcome) => FlowStep::Done(outcome.map_err(Error::DeviceFlow)),
        }
    }

    fn send_deadline(&self) -> Option<Instant> {
        Some(self.flow.deadline())
    }
}

/// Blocking file work a flow needs done: taking a lock, reading a cache,
/// writing it atomically. Run it where blocking is allowed
/// ([`FileJob::run`]) and hand the result back.
pub struct FileJob(Box<dyn FnOnce() -> FileDone + Send>);

impl FileJob {
    pub(crate) fn new<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> FileJob {
        FileJob(Box::new(move || FileDone(Box::new(job()))))
    }

    /// Does the work (may block on the file system and on locks).
    pub fn run(self) -> FileDone {
        (self.0)()
    }
}

impl fmt::Debug for FileJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileJob")
    }
}

/// The result of a [`FileJob`], for [`Flow::handle_file`].
pub struct FileDone(Box<dyn Any + Send>);

impl FileDone {
    /// The job's result, when it is a `T`.
    pub(crate) fn take<T: 'static>(self) -> Option<T> {
        self.0.downcast::<T>().ok().map(|b| *b)
    }
}

impl fmt::Debug for FileDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileDone")
    }
}
