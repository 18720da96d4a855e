//! The options of one run of a flow: its signer, its cancel token and its
//! deadline, and the three rules every drive loop applies with them.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use oidc_core::{http, step, SignRequest};

use crate::drive::signal::CancelToken;
use crate::error::Error;

/// How one call or flow runs: who signs its requests (SigV4 operations),
/// what cancels it, and when it must be over. The default: no signer,
/// never cancelled, no deadline.
///
/// ```
/// use std::time::{Duration, Instant};
/// use oidc_host::adapter::RunOptions;
/// use oidc_host::{CancelToken, Error};
///
/// let cancel = CancelToken::new();
/// let now = Instant::now();
/// let options = RunOptions::new()
///     .with_cancel(cancel.clone())
///     .with_deadline(now + Duration::from_secs(30));
/// assert!(options.check(now).is_ok());
/// // A retry's wait never outlasts the deadline.
/// assert_eq!(options.wait_target(now + Duration::from_secs(60)), now + Duration::from_secs(30));
/// assert!(matches!(options.check(now + Duration::from_secs(30)), Err(Error::DeadlineExceeded)));
/// cancel.cancel();
/// assert!(matches!(options.check(now), Err(Error::Cancelled)));
/// ```
#[derive(Clone, Default)]
pub struct RunOptions {
    signer: Option<Arc<dyn SignRequest>>,
    cancel: CancelToken,
    deadline: Option<Instant>,
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("signed", &self.signer.is_some())
            .field("cancelled", &self.cancel.is_cancelled())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl RunOptions {
    /// No signer, never cancelled, no deadline.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }

    /// Signs every attempt with `signer` (e.g. an
    /// [`oidc_core::sigv4::SigV4Signer`] over AWS credentials).
    #[must_use]
    pub fn with_signer(mut self, signer: Arc<dyn SignRequest>) -> RunOptions {
        self.signer = Some(signer);
        self
    }

    /// Ends the run with [`Error::Cancelled`] when `cancel` fires, at once
    /// (waits, sends, the loopback listener all race it).
    #[must_use]
    pub fn with_cancel(mut self, cancel: CancelToken) -> RunOptions {
        self.cancel = cancel;
        self
    }

    /// Ends the run with [`Error::DeadlineExceeded`] at `deadline`: no wait
    /// outlasts it, and an attempt still in flight then is abandoned.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Instant) -> RunOptions {
        self.deadline = Some(deadline);
        self
    }

    /// The signer, if any.
    pub fn signer(&self) -> Option<&Arc<dyn SignRequest>> {
        self.signer.as_ref()
    }

    /// The cancel token.
    pub fn cancel(&self) -> &CancelToken {
        &self.cancel
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Before each step: [`Error::Cancelled`] once cancelled,
    /// [`Error::DeadlineExceeded`] once `now` has reached the deadline.
    ///
    /// # Errors
    ///
    /// As above.
    pub fn check(&self, now: Instant) -> Result<(), Error> {
        if self.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        match self.deadline {
            Some(deadline) if now >= deadline => Err(Error::DeadlineExceeded),
            _ => Ok(()),
        }
    }

    /// Until when to wait for a `WaitUntil(at)` step: `at`, or the
    /// deadline if sooner.
    pub fn wait_target(&self, at: Instant) -> Instant {
        self.deadline.map_or(at, |deadline| deadline.min(at))
    }

    /// When an attempt of `request` is abandoned (reported as a timeout):
    /// the request's own [`SendDeadline`](oidc_core::step::SendDeadline)
    /// (a device flow's), or the run's deadline if sooner.
    pub fn send_deadline<B>(&self, request: &http::Request<B>) -> Option<Instant> {
        match (step::send_deadline(request), self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
