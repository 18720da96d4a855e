//! The runtime seams: what the caller's executor provides.
//!
//! `oidc-hyper` never names an async runtime outside its `tokio` feature. A
//! [`Client`](crate::Client) needs three things from the caller's runtime:
//!
//! * a [`Connector`] that opens a byte stream (TCP, and TLS for `https`) to
//!   a [`Target`] and returns it as any [`hyper::rt::Read`] +
//!   [`hyper::rt::Write`];
//! * a [`Timer`] that sleeps (timeouts, retry back-off and device-flow
//!   waits all go through it) and tells the monotonic time;
//! * an [`Executor`] that runs each connection's background task.
//!
//! The PKCE driver additionally takes a [`Listener`] bound to a loopback
//! port. With the `tokio` feature, the `oidc_hyper::tokio` module provides
//! all four.
//!
//! [`CancelToken`] cancels a running flow from anywhere, on any runtime.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use oidc_host::CancelToken;

/// A boxed, `Send` future: the currency of the runtime traits, which must be
/// object safe so that a [`Client`](crate::Client) is one concrete type
/// whatever runtime it runs on.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connected byte stream hyper can speak HTTP/1.1 over.
///
/// Implemented for every type with the right bounds; connectors return it
/// boxed as [`BoxIo`].
pub trait Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static {}

impl<T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static> Io for T {}

/// A boxed [`Io`] stream.
pub type BoxIo = Box<dyn Io>;

/// Where a [`Connector`] must connect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Target {
    /// Host name or IP address literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether the stream must be wrapped in TLS (`https`), with `host` as
    /// the server name to verify.
    pub tls: bool,
}

impl Target {
    /// A target; `host` may be an IPv6 literal in brackets, which are removed.
    pub fn new(host: impl Into<String>, port: u16, tls: bool) -> Target {
        let host: String = host.into();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .map(str::to_owned)
            .unwrap_or(host);
        Target { host, port, tls }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Opens connections. The client keeps a small pool of idle HTTP/1.1
/// connections per target and calls this only when none is available.
///
/// The connector does TCP (and TLS when [`Target::tls`] is set); the client
/// bounds the call with its connect timeout, so it need not time out itself.
///
/// ```
/// use oidc_hyper::rt::{BoxFuture, BoxIo, Connector, Target};
///
/// /// A connector that refuses everything (a real one dials `target`).
/// struct Offline;
///
/// impl Connector for Offline {
///     fn connect<'a>(&'a self, target: &'a Target) -> BoxFuture<'a, std::io::Result<BoxIo>> {
///         Box::pin(async move {
///             Err(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, target.to_string()))
///         })
///     }
/// }
/// ```
pub trait Connector: Send + Sync + 'static {
    /// Connects to `target`.
    fn connect<'a>(&'a self, target: &'a Target) -> BoxFuture<'a, io::Result<BoxIo>>;
}

/// Sleeps and reads the monotonic clock, on the caller's runtime.
///
/// `now` defaults to [`Instant::now`]; the device flow schedules its polls
/// with it.
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// The current monotonic time.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Runs background tasks (each HTTP connection's driver, and connections
/// accepted by the PKCE loopback listener) on the caller's runtime.
pub trait Executor: Send + Sync + 'static {
    /// Starts `task`; it must be polled to completion independently of the
    /// caller.
    fn spawn(&self, task: BoxFuture<'static, ()>);

    /// Runs blocking work (the token cache's file reads, `fsync`s and the
    /// cross-process lock) where blocking is allowed, never on the
    /// executor's own threads. The default starts a thread for it; a
    /// runtime with a blocking pool (tokio's `spawn_blocking`) should use
    /// that.
    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        // If no thread can be started, the work runs here, late rather
        // than never.
        let shared = Arc::new(Mutex::new(Some(work)));
        let for_thread = Arc::clone(&shared);
        let started = std::thread::Builder::new()
            .name("oidc-hyper-blocking".to_owned())
            .spawn(move || {
                if let Some(work) = lock(&for_thread).take() {
                    work();
                }
            });
        if started.is_err() {
            if let Some(work) = lock(&shared).take() {
                work();
            }
        }
    }
}

/// Binds the loopback listener of an authorization-code sign-in
/// (`127.0.0.1`, an ephemeral port) on the caller's runtime.
pub trait Bind: Send + Sync + 'static {
    /// Binds `127.0.0.1:0`.
    fn bind_loopback(&self) -> BoxFuture<'_, io::Result<Box<dyn Listener>>>;
}

/// A listener bound to a loopback port, for the PKCE redirect.
///
/// Bind it to `127.0.0.1:0` (an ephemeral port); [`port`](Listener::port)
/// goes into the redirect URI.
pub trait Listener: Send {
    /// The bound port.
    fn port(&self) -> u16;
    /// Accepts the next connection.
    fn accept(&mut self) -> BoxFuture<'_, io::Result<BoxIo>>;
}

/// Locks a mutex, ignoring poisoning (the guarded data stays consistent:
/// every critical section is a single assignment).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which of two raced futures finished first.
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures, `a` first; returns the first output.
pub(crate) async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

/// Runs `fut` unless `cancel` fires first.
pub(crate) async fn or_cancel<F: Future>(
    cancel: Option<&CancelToken>,
    fut: F,
) -> Option<F::Output> {
    match cancel {
        None => Some(fut.await),
        Some(cancel) => {
            if cancel.is_cancelled() {
                return None;
            }
            match race(fut, cancel.cancelled()).await {
                Either::Left(v) => Some(v),
                Either::Right(()) => None,
            }
        }
    }
}

/// Runs `fut` for at most `limit` on `timer`; `None` on timeout.
pub(crate) async fn timeout<F: Future>(
    timer: &dyn Timer,
    limit: Duration,
    fut: F,
) -> Option<F::Output> {
    match race(fut, timer.sleep(limit)).await {
        Either::Left(v) => Some(v),
        Either::Right(()) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Waker};

    #[test]
    fn target_strips_ipv6_brackets_and_displays() {
        let t = Target::new("[::1]", 8443, true);
        assert_eq!(t.host, "::1");
        assert_eq!(t.to_string(), "https://[::1]:8443");
        assert_eq!(
            Target::new("example.com", 80, false).to_string(),
            "http://example.com:80"
        );
    }

    #[test]
    fn race_and_cancel() {
        let token = CancelToken::new();
        let never = std::future::pending::<()>();
        let done = std::thread::scope(|s| {
            let t = token.clone();
            s.spawn(move || t.cancel());
            block_on(or_cancel(Some(&token), never))
        });
        assert!(done.is_none());
        assert_eq!(block_on(or_cancel(None, async { 7 })), Some(7));
    }

    /// A minimal executor for these tests: polls on the current thread,
    /// parking between wake-ups.
    fn block_on<F: Future>(fut: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }
}
