//! Cooperative cancellation.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

/// A cancellation flag shared between the thread running a flow and the
/// threads that may cancel it.
///
/// Every wait of a driver (device-flow polling interval, retry back-off,
/// loopback listener) checks it and wakes up at once when
/// [`cancel`](CancelToken::cancel) is called. A request already on the wire
/// is not interrupted; it is bounded by the configured timeouts.
///
/// ```
/// use std::time::{Duration, Instant};
/// use oidc_ureq::CancelToken;
///
/// let token = CancelToken::new();
/// let other = token.clone();
/// std::thread::spawn(move || other.cancel());
/// // Returns early (true) once the other thread cancels.
/// assert!(token.wait_until(Instant::now() + Duration::from_secs(30)));
/// assert!(token.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels: every current and future wait on this token (and its clones)
    /// returns at once.
    pub fn cancel(&self) {
        let (flag, condvar) = &*self.inner;
        *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
        condvar.notify_all();
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until `deadline` or until cancelled, whichever comes first.
    /// Returns `true` when cancelled.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let (flag, condvar) = &*self.inner;
        let mut cancelled = flag.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *cancelled {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            cancelled = condvar
                .wait_timeout(cancelled, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}
