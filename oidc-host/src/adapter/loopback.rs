//! The PKCE loopback listener, shared by every transport: the request head
//! a connection sent ([`parse_head`]), the reply to write back
//! ([`reply_bytes`]), and, for blocking transports, the whole listener over
//! `std::net` ([`bind`], [`serve`]). What the reply says is decided by
//! [`oidc_core::pkce::answer_loopback`].

use std::collections::VecDeque;
use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use oidc_core::pkce::{self, LoopbackOutcome, LoopbackReply};
use oidc_core::secret::AuthorizationCode;

use crate::adapter::RunOptions;
use crate::drive::flow::Event;
use crate::error::Error;

/// How often [`serve`] looks at its connections, cancellation and deadline.
const ACCEPT_SLICE: Duration = Duration::from_millis(10);
/// How long one loopback connection may take to send its request head.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// The most connections [`serve`] holds open at once.
pub const MAX_CONNECTIONS: usize = 64;
/// How long writing the answer may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest request head the listener reads; a longer one is dropped.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// What the bytes read so far from a loopback connection amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Head {
    /// Not a whole request head yet: read more.
    Partial,
    /// A whole head: its method and request target.
    Complete {
        /// `GET`, `POST`, ...
        method: String,
        /// The request target, e.g. `/oauth/callback?code=..&state=..`.
        target: String,
    },
    /// Not HTTP, or a head longer than [`MAX_REQUEST_HEAD`]: drop the
    /// connection.
    Invalid,
}

/// Parses the request head in `buf` (the bytes read so far).
///
/// ```
/// use oidc_host::adapter::loopback::{parse_head, Head};
///
/// assert_eq!(parse_head(b"GET /oauth/callback?code=c HT"), Head::Partial);
/// assert_eq!(
///     parse_head(b"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
///     Head::Complete { method: "GET".into(), target: "/favicon.ico".into() }
/// );
/// assert_eq!(parse_head(b"\x16\x03\x01 not http\r\n\r\n"), Head::Invalid);
/// ```
pub fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(_)) => match (request.method, request.path) {
            (Some(method), Some(target)) => Head::Complete {
                method: method.to_owned(),
                target: target.to_owned(),
            },
            _ => Head::Invalid,
        },
        Ok(httparse::Status::Partial) if buf.len() < MAX_REQUEST_HEAD => Head::Partial,
        _ => Head::Invalid,
    }
}

/// The HTTP/1.1 response for `reply`: status, a small HTML page, no
/// caching, connection closed.
///
/// ```
/// use oidc_host::adapter::loopback::reply_bytes;
/// use oidc_host::oidc_core::pkce::{answer_loopback, State};
///
/// let reply = answer_loopback("GET", "/favicon.ico", &State::from_random_bytes(&[0; 16]));
/// let bytes = reply_bytes(&reply);
/// assert!(bytes.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
/// ```
pub fn reply_bytes(reply: &LoopbackReply) -> Vec<u8> {
    let reason = match reply.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
        reply.status,
        reply.page.len(),
        reply.page
    )
    .into_bytes()
}

/// Binds the listener on `127.0.0.1`, port 0, for a blocking transport:
/// the listener and its port (for [`Event::Listening`]).
///
/// # Errors
///
/// The operating system's (hand it back as [`Event::ListenerFailed`]).
pub fn bind() -> io::Result<(TcpListener, u16)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}

/// Serves `listener` (from [`bind`]) for a blocking transport until a
/// request ends the wait ([`Event::Redirect`]), `deadline` passes
/// ([`Event::RedirectTimedOut`]) or the listener fails
/// ([`Event::ListenerFailed`]).
///
/// One thread serves every connection, non-blocking: at most
/// [`MAX_CONNECTIONS`] at once (a new one evicts the oldest), each dropped
/// when it has not sent a whole request head within
/// [`CONNECTION_TIMEOUT`]. However many idle connections other local
/// processes open, the browser's redirect is read and answered.
///
/// # Errors
///
/// [`Error::Cancelled`] and [`Error::DeadlineExceeded`], from `options`.
pub fn serve(
    listener: &TcpListener,
    state: &pkce::State,
    deadline: Instant,
    options: &RunOptions,
) -> Result<Event<'static>, Error> {
    let mut open: VecDeque<Pending> = VecDeque::new();
    loop {
        let now = Instant::now();
        options.check(now)?;
        if now >= deadline {
            return Ok(Event::RedirectTimedOut);
        }
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    if open.len() >= MAX_CONNECTIONS {
                        open.pop_front();
                    }
                    open.push_back(Pending {
                        stream,
                        head: Vec::new(),
                        since: now,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Ok(Event::ListenerFailed(e)),
            }
        }
        let mut outcome = None;
        open.retain_mut(|c| match c.read() {
            Read::More if now.duration_since(c.since) < CONNECTION_TIMEOUT => true,
            Read::More | Read::Gone => false,
            Read::Head { method, target } => {
                let answered = answer(&mut c.stream, &method, &target, state);
                if outcome.is_none() {
                    outcome = answered;
                }
                false
            }
        });
        if let Some(outcome) = outcome {
            return Ok(Event::Redirect(outcome));
        }
        let slice = options.wait_target((now + ACCEPT_SLICE).min(deadline));
        options.cancel().wait_until(slice);
    }
}

/// A loopback connection that has not sent its whole request head yet.
struct Pending {
    stream: TcpStream,
    head: Vec<u8>,
    since: Instant,
}

enum Read {
    More,
    Gone,
    Head { method: String, target: String },
}

impl Pending {
    /// Reads what has arrived, without blocking.
    fn read(&mut self) -> Read {
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Read::Gone,
                Ok(n) => {
                    self.head.extend_from_slice(&chunk[..n]);
                    match parse_head(&self.head) {
                        Head::Partial => {}
                        Head::Complete { method, target } => return Read::Head { method, target },
                        Head::Invalid => return Read::Gone,
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Read::More,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Read::Gone,
            }
        }
    }
}

/// Answers one request as oidc-core decides; what ends the wait, if
/// anything.
fn answer(
    stream: &mut TcpStream,
    method: &str,
    target: &str,
    state: &pkce::State,
) -> Option<Result<AuthorizationCode, pkce::RedirectError>> {
    let reply = pkce::answer_loopback(method, target, state);
    // The browser may already have gone; the outcome does not depend on it.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let _ = stream.write_all(&reply_bytes(&reply));
    let _ = stream.flush();
    match reply.outcome {
        LoopbackOutcome::Code(code) => Some(Ok(code)),
        LoopbackOutcome::Failed(e) => Some(Err(e)),
        LoopbackOutcome::KeepWaiting(why) => {
            if let Some(why) = why {
                log::debug!("loopback listener: ignored a request ({why})");
            }
            None
        }
        _ => None,
    }
}
