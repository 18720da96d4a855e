//! The one "what next" vocabulary of every state machine, from a single
//! [`Call`](crate::Call) and the [`DeviceFlow`](crate::DeviceFlow) up to
//! the session and credentials flows built on them.
//!
//! A machine's `poll(now)` returns a [`Step`]: send this request, wait
//! until then, do this piece of local work (`L`, which a machine that needs
//! none sets to [`NoLocal`]), or done. The driver carries it out and hands
//! the outcome back; then it polls again. Because [`Step`] is an exhaustive
//! enum, and so is every machine's local-work type, a new kind of step is a
//! compile error in every driver that does not handle it.
//!
//! What a request needs beyond its bytes travels with it as an
//! [`http::Request`] extension, so a transport reads it from the request
//! and no trait method is needed: [`SendDeadline`] (abandon the attempt at
//! that instant) and [`OperationName`] (to label a transport failure).
//!
//! ```
//! use oidc_core::step::Step;
//!
//! fn drive(step: Step<Result<u32, String>>) -> Option<Result<u32, String>> {
//!     match step {
//!         Step::Send(_request) => None,     // send it, hand the answer back
//!         Step::WaitUntil(_at) => None,     // sleep, then poll again
//!         Step::Local(none) => match none {}, // a single call has no local work
//!         Step::Done(result) => Some(result),
//!     }
//! }
//! assert_eq!(drive(Step::Done(Ok(7))), Some(Ok(7)));
//! ```

use std::fmt;
use std::time::Instant;

/// What the driver of a state machine must do next.
///
/// `T` is what the machine ends with (normally a `Result`), `L` the local
/// work it may ask for ([`NoLocal`] when it asks for none).
#[must_use = "a Step is an instruction the driver must carry out"]
// A step is returned and consumed at once, never stored: boxing the
// request would cost an allocation per attempt to save stack space.
#[allow(clippy::large_enum_variant)]
pub enum Step<T, L = NoLocal> {
    /// Send this request (one attempt), then hand its response, or why
    /// there is none, back to the machine. A [`SendDeadline`] extension
    /// bounds the attempt; see [`send_deadline`].
    Send(http::Request<Vec<u8>>),
    /// Nothing to do before this instant; poll again then (or cancel).
    WaitUntil(Instant),
    /// Do this local work (show a prompt, blocking file work, a listener,
    /// ...), hand its typed outcome back where it has one, then poll again.
    Local(L),
    /// The machine is over.
    Done(T),
}

/// The local work of a machine that asks for none: it has no values, so
/// `Step::Local(none) => match none {}` handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLocal {}

impl<T, L> Step<T, L> {
    /// The same step with its outcome mapped.
    pub fn map_done<U>(self, f: impl FnOnce(T) -> U) -> Step<U, L> {
        match self {
            Step::Send(r) => Step::Send(r),
            Step::WaitUntil(at) => Step::WaitUntil(at),
            Step::Local(l) => Step::Local(l),
            Step::Done(t) => Step::Done(f(t)),
        }
    }

    /// The same step with its local work mapped.
    pub fn map_local<M>(self, f: impl FnOnce(L) -> M) -> Step<T, M> {
        match self {
            Step::Send(r) => Step::Send(r),
            Step::WaitUntil(at) => Step::WaitUntil(at),
            Step::Local(l) => Step::Local(f(l)),
            Step::Done(t) => Step::Done(t),
        }
    }

    /// The outcome of a `Done` step (`Ok`), or any other step as a step of
    /// a machine with another outcome type (`Err`): how a machine that
    /// drives a sub-machine passes its steps through and takes its end.
    ///
    /// ```
    /// use oidc_core::step::Step;
    ///
    /// let done: Step<u8> = Step::Done(7);
    /// assert_eq!(done.into_done::<String>().ok(), Some(7));
    /// ```
    pub fn into_done<U>(self) -> Result<T, Step<U, L>> {
        match self {
            Step::Send(r) => Err(Step::Send(r)),
            Step::WaitUntil(at) => Err(Step::WaitUntil(at)),
            Step::Local(l) => Err(Step::Local(l)),
            Step::Done(t) => Ok(t),
        }
    }
}

impl<T> Step<T, NoLocal> {
    /// A step of a machine without local work, as a step of one with `L`.
    pub fn widen<L>(self) -> Step<T, L> {
        self.map_local(|none| match none {})
    }
}

impl<T: fmt::Debug, L: fmt::Debug> fmt::Debug for Step<T, L> {
    /// Requests print through [`DebugRequest`](crate::debug::DebugRequest):
    /// bodies and sensitive headers never show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Send(request) => f
                .debug_tuple("Send")
                .field(&crate::debug::DebugRequest(request))
                .finish(),
            Step::WaitUntil(at) => f.debug_tuple("WaitUntil").field(at).finish(),
            Step::Local(l) => f.debug_tuple("Local").field(l).finish(),
            Step::Done(t) => f.debug_tuple("Done").field(t).finish(),
        }
    }
}

/// Request extension: abandon the attempt (report it as a timeout) if it
/// has not been answered by this instant. The device flow sets it on its
/// polls (its own deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendDeadline(pub Instant);

/// Request extension: the operation the request belongs to, so that a
/// transport names it in every [`TransportError`](crate::TransportError).
/// Every request a machine of this crate sends carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationName(pub &'static str);

/// The [`SendDeadline`] of `request`, if any.
pub fn send_deadline<B>(request: &http::Request<B>) -> Option<Instant> {
    request.extensions().get::<SendDeadline>().map(|d| d.0)
}

/// The [`OperationName`] of `request` (`""` when it has none).
pub fn operation_name<B>(request: &http::Request<B>) -> &'static str {
    request
        .extensions()
        .get::<OperationName>()
        .map_or("", |o| o.0)
}
