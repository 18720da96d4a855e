//! The authorization-code + PKCE driver: a loopback listener, the
//! authorize URL, the redirect, the code exchange.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use oidc_core::pkce::{self, AuthorizeRequest, RedirectError, State};
use oidc_core::secret::{AuthorizationCode, ClientSecret, CodeVerifier};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::Error;
use crate::random;

/// Largest request head the listener accepts from the browser.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How long one browser connection may take to send its request head.
const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Slice of the accept loop between cancel/deadline checks.
const ACCEPT_SLICE: Duration = Duration::from_millis(20);

const SUCCESS_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body><h1>Signed in</h1><p>You can close this window and return to the application.</p></body></html>";
const FAILURE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
<body><h1>Sign-in failed</h1><p>The authorization was not completed. Close this window and check the application for details.</p></body></html>";
const NOT_FOUND_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Not found</title></head>\
<body><p>Not found.</p></body></html>";
const WAITING_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Waiting</title></head>\
<body><p>Waiting for the authorization redirect.</p></body></html>";

/// An authorization-code login in progress: the loopback listener is bound,
/// the authorize URL is ready to be opened in a browser.
///
/// Built by [`Client::begin_authorization_code`]; finish it with
/// [`AuthorizationCodeLogin::finish`].
#[derive(Debug)]
pub struct AuthorizationCodeLogin<'c> {
    client: &'c Client,
    listener: TcpListener,
    client_id: String,
    client_secret: ClientSecret,
    redirect_uri: String,
    state: State,
    verifier: CodeVerifier,
    url: String,
}

impl Client {
    /// `RegisterClient` for the authorization-code flow, as the AWS CLI
    /// does it (pkce.md §2.1): grants `authorization_code` and
    /// `refresh_token`, the loopback redirect URI without a port, the start
    /// URL as issuer, and the scopes (default `sso:account:access`).
    ///
    /// # Errors
    ///
    /// As [`Client::register_client`].
    pub fn register_for_authorization_code(
        &self,
        client_name: &str,
        start_url: &str,
        scopes: &[&str],
    ) -> Result<RegisterClientOutput, Error> {
        self.register_client(&RegisterClientInput::for_authorization_code(
            client_name,
            start_url,
            scopes.iter().copied(),
        ))
    }

    /// Starts an authorization-code + PKCE login: binds `127.0.0.1` on an
    /// ephemeral port, draws a fresh verifier and state from the OS
    /// generator, and builds the `/authorize` URL on the client's endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Listener`] when the port cannot be bound,
    /// [`Error::Random`] when the OS generator fails.
    pub fn begin_authorization_code(
        &self,
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        scopes: &[&str],
    ) -> Result<AuthorizationCodeLogin<'_>, Error> {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| Error::Listener {
                context: "cannot bind 127.0.0.1",
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| Error::Listener {
                context: "cannot make the listener non-blocking",
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Listener {
                context: "cannot read the listener's port",
                source,
            })?
            .port();
        let verifier = CodeVerifier::from_random_bytes(&random::bytes::<32>()?);
        let state = State::from_random_bytes(&random::bytes::<16>()?);
        let client_id = client_id.into();
        let redirect_uri = pkce::loopback_redirect_uri(port);
        let url = AuthorizeRequest {
            client_id: client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            code_challenge: pkce::code_challenge(&verifier),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
        .to_url(self.endpoint().url());
        Ok(AuthorizationCodeLogin {
            client: self,
            listener,
            client_id,
            client_secret,
            redirect_uri,
            state,
            verifier,
            url,
        })
    }

    /// The whole authorization-code login for a registration: begin, hand
    /// the URL to `open` (print it, launch a browser), wait up to `timeout`
    /// for the redirect, exchange the code.
    ///
    /// # Errors
    ///
    /// See [`AuthorizationCodeLogin::finish`].
    ///
    /// ```no_run
    /// use oidc_ureq::{CancelToken, Client, Config, DEFAULT_AUTHORIZATION_TIMEOUT};
    ///
    /// let client = Client::new(Config::for_region("us-east-1"))?;
    /// let start_url = "https://my-sso-portal.awsapps.com/start";
    /// let registration = client.register_for_authorization_code("my-tool", start_url, &[])?;
    /// let token = client.authorization_code_sign_in(
    ///     &registration,
    ///     &[],
    ///     |url| println!("Open this URL in your browser: {url}"),
    ///     DEFAULT_AUTHORIZATION_TIMEOUT,
    ///     &CancelToken::new(),
    /// )?;
    /// assert!(token.expires_in > 0);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn authorization_code_sign_in(
        &self,
        registration: &RegisterClientOutput,
        scopes: &[&str],
        open: impl FnOnce(&str),
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let login = self.begin_authorization_code(
            registration.client_id.clone(),
            registration.client_secret.clone(),
            scopes,
        )?;
        open(login.authorize_url());
        login.finish(timeout, cancel)
    }
}

impl AuthorizationCodeLogin<'_> {
    /// The URL the user must open in a browser.
    pub fn authorize_url(&self) -> &str {
        &self.url
    }

    /// The redirect URI (`http://127.0.0.1:<port>/oauth/callback`).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits up to `timeout` for the browser's redirect, answers it with a
    /// small HTML page, checks the state and exchanges the code with
    /// `CreateToken`. Requests for other paths (e.g. `/favicon.ico`) and
    /// requests with neither a code nor an error are answered and ignored.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] when no redirect came in time,
    /// [`Error::Cancelled`], [`Error::Pkce`] when the redirect carried an
    /// error or a wrong state (no token is requested then),
    /// [`Error::Listener`], and the errors of [`Client::create_token`].
    pub fn finish(
        self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let started = Instant::now();
        let deadline = started.checked_add(timeout).unwrap_or(started);
        let code = loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::TimedOut { waited: timeout });
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(code) = self.serve(stream, deadline)? {
                        break code;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if cancel.wait_until((now + ACCEPT_SLICE).min(deadline)) {
                        return Err(Error::Cancelled);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Listener {
                        context: "accept failed",
                        source,
                    })
                }
            }
        };
        let input = CreateTokenInput::new(
            self.client_id,
            self.client_secret,
            Grant::AuthorizationCode {
                code,
                redirect_uri: self.redirect_uri,
                code_verifier: Some(self.verifier),
            },
        );
        self.client.create_token(&input)
    }

    /// Serves one browser connection. `Ok(Some(code))` for the redirect
    /// that carries the code, `Ok(None)` for anything to ignore.
    fn serve(
        &self,
        mut stream: TcpStream,
        deadline: Instant,
    ) -> Result<Option<AuthorizationCode>, Error> {
        let Some(target) = read_request_target(&mut stream, deadline) else {
            return Ok(None);
        };
        let Some(target) = target else {
            respond(&mut stream, "405 Method Not Allowed", NOT_FOUND_PAGE);
            return Ok(None);
        };
        match pkce::parse_redirect(&target, &self.state) {
            Ok(code) => {
                respond(&mut stream, "200 OK", SUCCESS_PAGE);
                Ok(Some(code))
            }
            Err(RedirectError::WrongPath) => {
                respond(&mut stream, "404 Not Found", NOT_FOUND_PAGE);
                Ok(None)
            }
            Err(e) if e.is_ignorable() => {
                respond(&mut stream, "200 OK", WAITING_PAGE);
                Ok(None)
            }
            Err(e) => {
                respond(&mut stream, "400 Bad Request", FAILURE_PAGE);
                Err(Error::Pkce(e))
            }
        }
    }
}

/// Reads one request head. `None`: nothing usable arrived (a browser
/// pre-connect, garbage, a timeout); `Some(None)`: not a GET;
/// `Some(Some(target))`: the request target of a GET.
fn read_request_target(stream: &mut TcpStream, deadline: Instant) -> Option<Option<String>> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    let timeout = remaining
        .min(CONNECTION_READ_TIMEOUT)
        .max(Duration::from_millis(1));
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream
        .set_write_timeout(Some(CONNECTION_READ_TIMEOUT))
        .ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                if request.method != Some("GET") {
                    return Some(None);
                }
                return Some(request.path.map(str::to_owned));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_REQUEST_HEAD => {}
            _ => return None,
        }
    }
}

fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    // The browser may already have gone; the outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}
