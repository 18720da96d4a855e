//! The PKCE loopback listener on the caller's runtime: accepts connections
//! and serves each on the executor with hyper's server; what each request
//! gets, and whether it ends the wait, is decided by
//! [`oidc_core::pkce::answer_loopback`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future as _;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use oidc_core::pkce::{self, LoopbackOutcome, RedirectError, State};
use oidc_core::secret::AuthorizationCode;
use oidc_host::adapter::RunOptions;
use oidc_host::{Error, Event, Signal};

use crate::rt::{race, BoxIo, Either, Executor, Listener, Timer};

/// How long served connections may take to finish their response once the
/// outcome is known.
const SERVE_GRACE: Duration = Duration::from_secs(2);
/// How long one loopback connection may stay open.
const CONNECTION_LIMIT: Duration = oidc_host::adapter::loopback::CONNECTION_TIMEOUT;
/// The most connections served at once.
const MAX_CONNECTIONS: usize = oidc_host::adapter::loopback::MAX_CONNECTIONS;

type Outcome = Result<AuthorizationCode, RedirectError>;

/// Accepts connections until a redirect ends the wait
/// ([`Event::Redirect`]), `limit` passes ([`Event::RedirectTimedOut`]), the
/// listener fails, or the run is cancelled (`Err`).
pub(crate) async fn await_redirect(
    listener: &mut dyn Listener,
    state: State,
    limit: Duration,
    options: &RunOptions,
    timer: &Arc<dyn Timer>,
    executor: &dyn Executor,
) -> Result<Event<'static, Bytes>, Error> {
    let cancel = options.cancel();
    let outcome: Arc<Signal<Outcome>> = Arc::new(Signal::default());
    let done: Arc<Signal<()>> = Arc::new(Signal::default());
    let state = Arc::new(state);
    let mut deadline = timer.sleep(limit);
    // The connections being served, oldest first; a task drops its handle
    // when it ends. At the cap a new connection evicts the oldest, so idle
    // connections from other local processes cannot keep the browser out.
    let mut open: VecDeque<Arc<Signal<()>>> = VecDeque::new();
    let result = loop {
        let stop = race(cancel.cancelled(), &mut deadline);
        match race(race(listener.accept(), outcome.wait()), stop).await {
            Either::Left(Either::Left(Ok(io))) => {
                open.retain(|evict| Arc::strong_count(evict) > 1);
                if open.len() >= MAX_CONNECTIONS {
                    if let Some(oldest) = open.pop_front() {
                        oldest.set(());
                    }
                }
                let evict = Arc::new(Signal::default());
                open.push_back(Arc::clone(&evict));
                let task = serve(
                    io,
                    Arc::clone(&state),
                    Arc::clone(&outcome),
                    Arc::clone(&done),
                    evict,
                    Arc::clone(timer),
                );
                executor.spawn(Box::pin(task));
            }
            Either::Left(Either::Left(Err(e))) => break Ok(Event::ListenerFailed(e)),
            Either::Left(Either::Right(())) => {
                break Ok(match outcome.take() {
                    Some(outcome) => Event::Redirect(outcome),
                    None => Event::RedirectTimedOut,
                })
            }
            Either::Right(Either::Left(())) => break Err(Error::Cancelled),
            Either::Right(Either::Right(())) => break Ok(Event::RedirectTimedOut),
        }
    };
    // Let served connections finish their response, then close.
    done.set(());
    result
}

/// Serves one loopback connection: answers its request as the core
/// decides, records an outcome that ends the wait, and closes.
async fn serve(
    io: BoxIo,
    state: Arc<State>,
    outcome: Arc<Signal<Outcome>>,
    done: Arc<Signal<()>>,
    evict: Arc<Signal<()>>,
    timer: Arc<dyn Timer>,
) {
    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| request.uri().to_string());
        let reply = pkce::answer_loopback(request.method().as_str(), &target, &state);
        let response = http::Response::builder()
            .status(reply.status)
            .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(http::header::CACHE_CONTROL, "no-store")
            .body(Full::new(Bytes::from_static(reply.page.as_bytes())));
        match reply.outcome {
            LoopbackOutcome::Code(code) => {
                outcome.set(Ok(code));
            }
            LoopbackOutcome::Failed(e) => {
                outcome.set(Err(e));
            }
            LoopbackOutcome::KeepWaiting(Some(why)) => {
                log::debug!("loopback listener: ignored a request ({why})");
            }
            _ => {}
        }
        std::future::ready(Ok::<_, Infallible>(response.unwrap_or_else(|_| {
            http::Response::new(Full::new(Bytes::from_static(b"")))
        })))
    });
    let mut connection = pin!(http1::Builder::new()
        .keep_alive(false)
        .serve_connection(io, service));
    let mut shutting_down = false;
    let mut grace: Option<crate::rt::BoxFuture<'static, ()>> = None;
    let mut limit = timer.sleep(CONNECTION_LIMIT);
    std::future::poll_fn(|cx| {
        if !shutting_down && done.poll_set(cx).is_ready() {
            connection.as_mut().graceful_shutdown();
            shutting_down = true;
            grace = Some(timer.sleep(SERVE_GRACE));
        }
        if let Poll::Ready(result) = connection.as_mut().poll(cx) {
            if let Err(e) = result {
                log::debug!("loopback connection ended: {e}");
            }
            return Poll::Ready(());
        }
        if limit.as_mut().poll(cx).is_ready() || evict.poll_set(cx).is_ready() {
            return Poll::Ready(());
        }
        if let Some(g) = grace.as_mut() {
            if g.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    })
    .await
}
