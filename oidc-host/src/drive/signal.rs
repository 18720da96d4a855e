//! Waiting and cancelling, for blocking threads and async tasks alike: a
//! one-shot [`Signal`] and the [`CancelToken`] both adapters use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Registered wakers past which a [`Signal`] sheds stale ones.
const MAX_WAKERS: usize = 256;

/// A one-shot value shared between threads and tasks: set once, awaited
/// by many, on any runtime ([`wait`](Signal::wait)) or by blocking
/// ([`wait_until`](Signal::wait_until)).
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use oidc_host::Signal;
///
/// let signal = Arc::new(Signal::default());
/// let setter = Arc::clone(&signal);
/// std::thread::spawn(move || setter.set(7));
/// assert!(signal.wait_until(Instant::now() + Duration::from_secs(10)));
/// assert_eq!(signal.take(), Some(7));
/// ```
#[derive(Debug)]
pub struct Signal<T> {
    value: Mutex<Option<T>>,
    set: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
    condvar: Condvar,
}

impl<T> Default for Signal<T> {
    fn default() -> Self {
        Signal {
            value: Mutex::new(None),
            set: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
            condvar: Condvar::new(),
        }
    }
}

impl<T> Signal<T> {
    /// Sets the value unless one is set already; wakes every waiter.
    /// Returns whether this call set it.
    pub fn set(&self, value: T) -> bool {
        {
            let mut slot = lock(&self.value);
            if slot.is_some() || self.set.load(Ordering::Acquire) {
                return false;
            }
            *slot = Some(value);
            self.set.store(true, Ordering::Release);
            self.condvar.notify_all();
        }
        for waker in std::mem::take(&mut *lock(&self.wakers)) {
            waker.wake();
        }
        true
    }

    /// Whether the value was set.
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Takes the value out (later waiters still see the signal as set).
    pub fn take(&self) -> Option<T> {
        lock(&self.value).take()
    }

    /// Ready once the signal is set.
    pub fn poll_set(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_set() {
            return Poll::Ready(());
        }
        {
            let mut wakers = lock(&self.wakers);
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                // Futures that lost a race never deregister; past a bound,
                // wake everyone once (live waiters simply register again)
                // so a long-lived token cannot accumulate stale wakers.
                if wakers.len() >= MAX_WAKERS {
                    for waker in wakers.drain(..) {
                        waker.wake();
                    }
                }
                wakers.push(cx.waker().clone());
            }
        }
        // Re-check: `set` may have drained the wakers before we registered.
        if self.is_set() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits until the signal is set.
    pub async fn wait(&self) {
        std::future::poll_fn(|cx| self.poll_set(cx)).await
    }

    /// Blocks the thread until the signal is set or `deadline` passes;
    /// `true` when it is set.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let mut slot = lock(&self.value);
        loop {
            if self.is_set() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            slot = self
                .condvar
                .wait_timeout(slot, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Locks a mutex, ignoring poisoning (every critical section here is a
/// single assignment, so the data stays consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Cancels a running call or flow promptly, from anywhere: another thread,
/// another task, a signal handler, a UI callback.
///
/// Clone it, hand a clone to the call, and call [`cancel`](Self::cancel).
/// Every wait (retry back-off, device-flow interval, the loopback listener
/// and, in `oidc-hyper`, a request in flight) ends at once with
/// [`Error::Cancelled`](crate::Error::Cancelled). The same type serves
/// blocking ([`wait_until`](Self::wait_until)) and async
/// ([`cancelled`](Self::cancelled)) code.
///
/// ```
/// use std::time::{Duration, Instant};
/// use oidc_host::CancelToken;
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
    signal: Arc<Signal<()>>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels every call and flow holding a clone of this token.
    pub fn cancel(&self) {
        self.signal.set(());
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.signal.is_set()
    }

    /// Blocks until `deadline` or until cancelled, whichever comes first;
    /// `true` when cancelled.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        self.signal.wait_until(deadline)
    }

    /// Completes when the token is cancelled.
    pub async fn cancelled(&self) {
        self.signal.wait().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_wakes_waiters_and_sheds_stale_wakers() {
        use std::sync::atomic::AtomicUsize;
        use std::task::Wake;

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let signal: Signal<()> = Signal::default();
        let counters: Vec<Arc<Count>> = (0..MAX_WAKERS + 1)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        for c in &counters {
            let waker = Waker::from(Arc::clone(c));
            let mut cx = Context::from_waker(&waker);
            assert!(signal.poll_set(&mut cx).is_pending());
        }
        // The first MAX_WAKERS were woken once to shed them.
        assert_eq!(counters[0].0.load(Ordering::SeqCst), 1);
        assert_eq!(lock(&signal.wakers).len(), 1);
        signal.set(());
        assert_eq!(counters[MAX_WAKERS].0.load(Ordering::SeqCst), 1);
        let waker = Waker::from(Arc::clone(&counters[0]));
        assert!(signal.poll_set(&mut Context::from_waker(&waker)).is_ready());
    }

    #[test]
    fn signal_is_set_once() {
        let s = Signal::default();
        assert!(s.set(1));
        assert!(!s.set(2));
        assert_eq!(s.take(), Some(1));
        assert!(s.is_set());
    }
}
