//! A local credential server for child processes: the container-credentials
//! protocol the AWS SDKs and the AWS CLI speak
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`),
//! on `127.0.0.1` only, with a fresh random token per server compared in
//! constant time. Every answer comes from the caller's `fetch` (typically a
//! [`CredentialsProvider`](crate::CredentialsProvider) through an adapter:
//! in memory while fresh, one refresh for all callers when due), so a child
//! that runs longer than its role's session keeps getting fresh
//! credentials, and no key is ever in its environment.
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use oidc_host::credential_server::CredentialServer;
//! use oidc_host::oidc_core::Credentials;
//!
//! let server = CredentialServer::bind()?;
//! let env = server.environment();
//! assert!(env.iter().any(|(k, v)| *k == "AWS_CONTAINER_CREDENTIALS_FULL_URI" && v.is_some()));
//! let (port, token) = (server.port(), server.authorization_token().to_owned());
//! let running = server.start(|| {
//!     Ok(Credentials::new("ASIAEXAMPLE", "secret").with_session_token("token"))
//! });
//!
//! let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))?;
//! write!(conn, "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! conn.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.contains(r#""AccessKeyId": "ASIAEXAMPLE""#) || answer.contains(r#""AccessKeyId":"ASIAEXAMPLE""#));
//! running.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use oidc_core::container::{authorization_matches, response_body};
use oidc_core::Credentials;

use crate::error::Error;

/// The most connections served at once; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 64;
/// How long a kept-alive connection may stay idle.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// The path of the credentials (any path is answered; this one is
/// advertised).
const PATH: &str = "/credentials";

type FetchFn = dyn Fn() -> Result<Credentials, Error> + Send + Sync;

/// A bound credential server, not serving yet; see the [module docs](self).
pub struct CredentialServer {
    listener: TcpListener,
    port: u16,
    token: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for CredentialServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl CredentialServer {
    /// Binds `127.0.0.1` on a free port and draws a 256-bit token from the
    /// system's random number generator.
    ///
    /// # Errors
    ///
    /// [`Error::Local`] when the port cannot be bound or the random number
    /// generator fails.
    pub fn bind() -> Result<CredentialServer, Error> {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| Error::Local {
                context: "binding the credential server on 127.0.0.1",
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Local {
                context: "binding the credential server on 127.0.0.1",
                source,
            })?
            .port();
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| Error::Local {
            context: "drawing the credential server's token",
            source: io::Error::other(e.to_string()),
        })?;
        let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(CredentialServer {
            listener,
            port,
            token: zeroize::Zeroizing::new(token),
        })
    }

    /// The port on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL children use (`AWS_CONTAINER_CREDENTIALS_FULL_URI`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    /// The token children send (`AWS_CONTAINER_AUTHORIZATION_TOKEN`). A
    /// secret: give it only to the child.
    pub fn authorization_token(&self) -> &str {
        &self.token
    }

    /// The variables a child needs (and those it must not inherit: `None`
    /// removes them): the URL and token, and no
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` that would win over them.
    pub fn environment(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Some(self.url())),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                Some(self.token.to_string()),
            ),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", None),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", None),
        ]
    }

    /// Serves on background threads until [`RunningServer::stop`]: every
    /// request with the right token is answered with `fetch`'s
    /// credentials (`200`, the container-credentials JSON), or its error
    /// (`500`, `{"code", "message"}`); a request without it gets `401`.
    pub fn start(
        self,
        fetch: impl Fn() -> Result<Credentials, Error> + Send + Sync + 'static,
    ) -> RunningServer {
        let shared = Arc::new(Shared {
            fetch: Box::new(fetch),
            token: self.token,
            stop: AtomicBool::new(false),
            slots: Mutex::new(0),
            freed: Condvar::new(),
        });
        let port = self.port;
        let listener = self.listener;
        let for_loop = Arc::clone(&shared);
        let thread = std::thread::spawn(move || accept_loop(&listener, &for_loop));
        RunningServer {
            port,
            shared,
            thread: Some(thread),
        }
    }
}

struct Shared {
    fetch: Box<FetchFn>,
    token: zeroize::Zeroizing<String>,
    stop: AtomicBool,
    /// Connections being served.
    slots: Mutex<usize>,
    freed: Condvar,
}

/// A serving [`CredentialServer`]; stops when [`stop`](Self::stop)ped or
/// dropped.
pub struct RunningServer {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Stops accepting, and returns once the accept loop has ended
    /// (connections being answered finish on their own).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        self.shared.freed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        // A slot first: at most MAX_CONNECTIONS are served at once; the
        // others wait in the listen queue.
        {
            let mut used = shared.slots.lock().unwrap_or_else(PoisonError::into_inner);
            while *used >= MAX_CONNECTIONS && !shared.stop.load(Ordering::SeqCst) {
                used = shared
                    .freed
                    .wait(used)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            *used += 1;
        }
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok((stream, _)) = accepted else {
            release(shared);
            continue;
        };
        let for_connection = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("credential-server".to_owned())
            .spawn(move || {
                let _ = serve_connection(stream, &for_connection);
                release(&for_connection);
            });
        if spawned.is_err() {
            // Out of threads: the connection is dropped with the closure.
            release(shared);
        }
    }
}

fn release(shared: &Shared) {
    let mut used = shared.slots.lock().unwrap_or_else(PoisonError::into_inner);
    *used = used.saturating_sub(1);
    shared.freed.notify_one();
}

/// Answers the requests of one kept-alive connection.
fn serve_connection(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_write_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        let Some((head_len, request)) = read_head(&mut stream, &mut buf)? else {
            return Ok(());
        };
        let (status, body, close) = answer(&request, shared);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            405 => "Method Not Allowed",
            _ => "Internal Server Error",
        };
        let mut out = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\n{}\r\n",
            body.len(),
            if close || request.close {
                "Connection: close\r\n"
            } else {
                ""
            }
        )
        .into_bytes();
        out.extend_from_slice(&body);
        stream.write_all(&out)?;
        if close || request.close {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        buf.drain(..head_len);
    }
}

struct Request {
    method: String,
    authorization: Option<Vec<u8>>,
    /// The client asked to close, or sent a body (not expected: closed).
    close: bool,
    has_body: bool,
}

/// Reads one request head; `None` when the peer closed or went idle.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<(usize, Request)>> {
    let mut chunk = [0u8; 1024];
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let header = |name: &str| {
                        parsed
                            .headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case(name))
                            .map(|h| h.value.to_vec())
                    };
                    let close = header("connection")
                        .is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
                        || parsed.version == Some(0);
                    let has_body = header("content-length").is_some_and(|v| v != b"0")
                        || header("transfer-encoding").is_some();
                    let request = Request {
                        method: parsed.method.unwrap_or_default().to_owned(),
                        authorization: header("authorization"),
                        close: close || has_body,
                        has_body,
                    };
                    return Ok(Some((len, request)));
                }
                Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
                _ => return Ok(None),
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        }
    }
}

/// The status, JSON body and whether to close, for one request.
fn answer(request: &Request, shared: &Shared) -> (u16, Vec<u8>, bool) {
    let error = |status: u16, code: &str, message: &str| {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        (status, body.into_bytes(), false)
    };
    if request.method != "GET" || request.has_body {
        let (s, b, _) = error(405, "MethodNotAllowed", "only GET is served");
        return (s, b, true);
    }
    let authorized = request
        .authorization
        .as_deref()
        .is_some_and(|got| authorization_matches(&shared.token, got));
    if !authorized {
        return error(
            401,
            "AccessDenied",
            "the Authorization header is missing or is not this server's token",
        );
    }
    match (shared.fetch)() {
        Ok(credentials) => (200, response_body(&credentials), false),
        Err(e) => error(
            500,
            "CredentialsUnavailable",
            &oidc_core::untrusted::printable(&e.to_string()).to_string(),
        ),
    }
}
