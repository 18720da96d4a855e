//! The one drive loop: [`Flow`], its steps ([`FlowStep`], [`Local`]) and
//! the outcomes a driver hands back ([`Event`]).

use std::fmt;
use std::time::{Instant, SystemTime};

use oidc_core::call::Call;
use oidc_core::device_flow::DeviceFlow;
use oidc_core::http;
use oidc_core::pkce::{RedirectError, State as PkceState};
use oidc_core::retry::RetryQuota;
use oidc_core::secret::AuthorizationCode;
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::step::Step;
use oidc_core::{Operation, TransportError};

use crate::drive::job::{Job, JobDone};
use crate::error::Error;
use crate::token::session_flow::SignInPrompt;

/// What a [`Flow`] asks its driver to do next: oidc-core's one
/// [`Step`] vocabulary, with this crate's [`Local`] work and [`Error`].
pub type FlowStep<T> = Step<Result<T, Error>, Local>;

/// The local work a flow asks for, beside sending and waiting.
///
/// Exhaustive on purpose: a new kind of local work is a compile error in
/// every driver that does not carry it out.
pub enum Local {
    /// Run this blocking work where blocking is allowed ([`Job::run`]: a
    /// lock, a cache read, an atomic write; an async driver runs it off its
    /// executor's threads), then hand [`Event::Job`] back.
    Blocking(Job),
    /// Show the user how to approve the sign-in; nothing to hand back.
    Prompt(SignInPrompt),
    /// Bind a listener on `127.0.0.1`, port 0, then hand back
    /// [`Event::Listening`] with its port, or [`Event::ListenerFailed`].
    Listen,
    /// Serve the listener bound for [`Local::Listen`]: answer each request
    /// with [`oidc_core::pkce::answer_loopback`] and `state` until one ends
    /// the wait, then hand back [`Event::Redirect`]; at `deadline` hand
    /// back [`Event::RedirectTimedOut`].
    AwaitRedirect {
        /// When to stop waiting.
        deadline: Instant,
        /// The sign-in's state, which every answer is checked against.
        state: PkceState,
    },
}

impl fmt::Debug for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Local::Blocking(job) => f.debug_tuple("Blocking").field(job).finish(),
            Local::Prompt(p) => f.debug_tuple("Prompt").field(p).finish(),
            Local::Listen => f.write_str("Listen"),
            Local::AwaitRedirect { deadline, .. } => f
                .debug_struct("AwaitRedirect")
                .field("deadline", deadline)
                .finish_non_exhaustive(),
        }
    }
}

/// An outcome a driver hands back to its [`Flow`], with
/// [`ClientState::deliver`](crate::adapter::ClientState::deliver).
pub enum Event<'a, B = Vec<u8>> {
    /// The response to the last [`Step::Send`], whatever its status.
    Response(&'a http::Response<B>),
    /// The last [`Step::Send`] got no usable response.
    Failed(TransportError),
    /// The result of the last [`Local::Blocking`] job.
    Job(JobDone),
    /// The listener of [`Local::Listen`] is bound to this port.
    Listening(u16),
    /// The listener could not be bound, or failed.
    ListenerFailed(std::io::Error),
    /// What ended [`Local::AwaitRedirect`]: the authorization code, or the
    /// authorization error a redirect with the right state carried.
    Redirect(Result<AuthorizationCode, RedirectError>),
    /// No redirect arrived by the deadline of [`Local::AwaitRedirect`].
    RedirectTimedOut,
}

impl<B> fmt::Debug for Event<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Response(r) => f.debug_tuple("Response").field(&r.status()).finish(),
            Event::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
            Event::Job(done) => f.debug_tuple("Job").field(done).finish(),
            Event::Listening(port) => f.debug_tuple("Listening").field(port).finish(),
            Event::ListenerFailed(e) => f.debug_tuple("ListenerFailed").field(e).finish(),
            Event::Redirect(Ok(_)) => f.write_str("Redirect(Ok(..))"),
            Event::Redirect(Err(e)) => f.debug_tuple("Redirect").field(e).finish(),
            Event::RedirectTimedOut => f.write_str("RedirectTimedOut"),
        }
    }
}

/// A state machine every adapter drives with the same loop: a single
/// [`Call`], a caller's device flow ([`DeviceFlowRun`]), a session's token
/// ([`SessionFlow`](crate::SessionFlow)), credentials
/// ([`CredentialsFlow`](crate::CredentialsFlow)).
///
/// Two methods, no defaults: `poll` says what to do, `handle` takes what
/// came of it. The loop (see [`crate::adapter`] for a runnable one):
///
/// ```text
/// loop {
///     match flow.poll(now, wall_clock) {
///         Step::Send(request)    => send once; deliver Event::Response(&response) or Event::Failed(error)
///         Step::WaitUntil(at)    => sleep until `at` (or until cancelled)
///         Step::Local(Blocking(job))             => deliver Event::Job(job.run())  // off the async threads
///         Step::Local(Prompt(prompt))            => show it
///         Step::Local(Listen)                    => bind 127.0.0.1:0; deliver Event::Listening(port)
///         Step::Local(AwaitRedirect{deadline, state}) => serve the listener with
///                              oidc_core::pkce::answer_loopback; deliver Event::Redirect(..)
///                              or Event::RedirectTimedOut
///         Step::Done(result)     => return result
///     }
/// }
/// ```
pub trait Flow {
    /// What the flow produces.
    type Output;

    /// Says what to do next. `now` is the monotonic time, `wall_clock` the
    /// time of day.
    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<Self::Output>;

    /// Takes the outcome of the last step. `quota` is the client's retry
    /// quota, `random` a uniformly random `u32` (retry jitter). An event
    /// the flow is not waiting for is a driver error; the flow ignores it
    /// and its next `poll` goes on from where it is.
    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    );
}

/// One call is a flow.
impl<O: Operation> Flow for Call<O> {
    type Output = O::Output;

    fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> FlowStep<O::Output> {
        Call::poll(self, now, wall_clock)
            .widen()
            .map_done(|r| r.map_err(Error::Core))
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        match event {
            Event::Response(response) => self.handle_response(now, response, quota, random),
            Event::Failed(error) => self.handle_transport_error(now, error, quota, random),
            _ => {}
        }
    }
}

/// A [`DeviceFlow`] the caller built, as a flow: each poll is sent once
/// (the flow counts failed polls itself, so retries never stack) and a poll
/// still in flight is abandoned at the flow's deadline (its requests carry
/// it as a [`SendDeadline`](oidc_core::step::SendDeadline)).
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

impl Flow for DeviceFlowRun<'_> {
    type Output = CreateTokenOutput;

    fn poll(&mut self, now: Instant, _wall_clock: SystemTime) -> FlowStep<CreateTokenOutput> {
        self.flow
            .poll(now)
            .map_local(|prompt| Local::Prompt(SignInPrompt::DeviceCode(prompt)))
            .map_done(|r| r.map_err(Error::DeviceFlow))
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        event: Event<'_, B>,
        _quota: &mut RetryQuota,
        _random: u32,
    ) {
        // Only misuse fails here (no poll outstanding), which the flow
        // reports at its next `poll`.
        match event {
            Event::Response(response) => {
                let _ = self.flow.handle_response(now, response);
            }
            Event::Failed(error) => {
                let _ = self.flow.handle_transport_error(now, error.into());
            }
            _ => {}
        }
    }
}
