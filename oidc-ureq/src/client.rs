//! The blocking client: one ureq `Agent`, the body cap, the HTTPS rule and
//! the retry loop of `oidc_core::retry`.

use std::io::{self, Read};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use oidc_core::endpoint::{self, Endpoint, InsecureEndpoint};
use oidc_core::http::{self, header, HeaderValue};
use oidc_core::retry::{self, RetryClass, RetryDecision, RetryQuota};
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, CreateTokenOutput};
use oidc_core::sso_oidc::create_token_with_iam::{
    self, CreateTokenWithIamInput, CreateTokenWithIamOutput,
};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput, RegisterClientOutput};
use oidc_core::sso_oidc::start_device_authorization::{
    self, StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput,
};
use oidc_core::Operation;
use oidc_host::{Config, ConfigError, TokenProviders};

use crate::cancel::CancelToken;
use crate::error::Error;
use crate::random;
use oidc_host::BoxError;

/// A blocking SSO OIDC client.
///
/// Holds one ureq `Agent`, so connections are reused across calls, and one
/// [`RetryQuota`] shared by all calls. Cheap to share between threads
/// (`&Client` is `Send + Sync`); clone-free by design.
///
/// Every method sends the request `oidc-core` builds, retries as
/// [`oidc_core::retry`] decides, and returns the core's typed output or
/// error. 4xx and 5xx answers always reach the core's parser.
///
/// ```no_run
/// use oidc_ureq::{Client, Config};
/// use oidc_core::sso_oidc::register_client::RegisterClientInput;
///
/// let client = Client::new(Config::for_region("eu-west-1"))?;
/// let registration = client.register_client(&RegisterClientInput::new("my-tool"))?;
/// println!("registered {}", registration.client_id);
/// # Ok::<(), oidc_ureq::Error>(())
/// ```
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    endpoint: Endpoint,
    config: Config,
    user_agent: HeaderValue,
    quota: Mutex<RetryQuota>,
    providers: TokenProviders,
}

/// A response as received, with its body read (up to the cap).
pub(crate) struct Received {
    pub(crate) response: http::Response<Vec<u8>>,
}

/// What a retried exchange ended with: the last response and its parse.
pub(crate) struct Exchange<T> {
    pub(crate) response: http::Response<Vec<u8>>,
    pub(crate) parsed: Result<T, oidc_core::Error>,
}

impl Client {
    /// Builds a client: resolves the SSO OIDC endpoint for the region (or
    /// takes the override) and checks it is HTTPS or loopback.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the endpoint cannot be resolved or the
    /// user-agent suffix is not a valid header value,
    /// [`Error::InsecureEndpoint`] for plain HTTP to a non-loopback host.
    pub fn new(config: Config) -> Result<Client, Error> {
        let endpoint = config.endpoint().map_err(|e| match e {
            ConfigError::Endpoint(e) => Error::Config {
                message: format!("cannot resolve the SSO OIDC endpoint: {e}"),
                source: Some(Box::new(e)),
            },
            ConfigError::Insecure(e) => insecure(e),
            other => Error::Config {
                message: other.to_string(),
                source: Some(Box::new(other)),
            },
        })?;
        let user_agent = config.user_agent("oidc-ureq", env!("CARGO_PKG_VERSION"));
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|e| Error::Config {
            message: "the user-agent suffix is not a valid header value".to_owned(),
            source: Some(Box::new(e)),
        })?;

        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_per_call(Some(config.call_timeout))
            .max_idle_connections_per_host(config.max_idle_per_host)
            .build()
            .new_agent();
        Ok(Client {
            agent,
            endpoint,
            config,
            user_agent,
            quota: Mutex::new(RetryQuota::default()),
            providers: TokenProviders::new(),
        })
    }

    /// The resolved endpoint every request goes to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Retry tokens left in the client's [`RetryQuota`].
    pub fn retry_quota_available(&self) -> u32 {
        self.lock_quota().available()
    }

    /// `RegisterClient`.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] for service and parse errors, otherwise transport
    /// errors (see [`Error`]).
    pub fn register_client(
        &self,
        input: &RegisterClientInput,
    ) -> Result<RegisterClientOutput, Error> {
        let request = register_client::request(input, &self.endpoint)?;
        self.call(Operation::RegisterClient, request, register_client::parse)
    }

    /// `StartDeviceAuthorization`.
    ///
    /// # Errors
    ///
    /// As [`Client::register_client`].
    pub fn start_device_authorization(
        &self,
        input: &StartDeviceAuthorizationInput,
    ) -> Result<StartDeviceAuthorizationOutput, Error> {
        let request = start_device_authorization::request(input, &self.endpoint)?;
        self.call(
            Operation::StartDeviceAuthorization,
            request,
            start_device_authorization::parse,
        )
    }

    /// `CreateToken` with any grant (refresh token, authorization code, or a
    /// single device-code poll; use [`Client::run_device_flow`] to poll).
    ///
    /// # Errors
    ///
    /// As [`Client::register_client`].
    pub fn create_token(&self, input: &CreateTokenInput) -> Result<CreateTokenOutput, Error> {
        let request = create_token::request(input, &self.endpoint)?;
        self.call(Operation::CreateToken, request, create_token::parse)
    }

    /// `CreateTokenWithIAM`. The request must be SigV4-signed: `sign` is
    /// called on a fresh copy of the request before every attempt (so each
    /// retry carries a fresh signature date).
    ///
    /// # Errors
    ///
    /// [`Error::Signing`] when `sign` fails; otherwise as
    /// [`Client::register_client`].
    pub fn create_token_with_iam<F>(
        &self,
        input: &CreateTokenWithIamInput,
        mut sign: F,
    ) -> Result<CreateTokenWithIamOutput, Error>
    where
        F: FnMut(&mut http::Request<Vec<u8>>) -> Result<(), BoxError>,
    {
        let operation = Operation::CreateTokenWithIam;
        let request = create_token_with_iam::request(input, &self.endpoint)?;
        let exchange = self.exchange(
            operation,
            &request,
            |r| sign(r).map_err(|source| Error::Signing { operation, source }),
            create_token_with_iam::parse,
            None,
        )?;
        Ok(exchange.parsed?)
    }

    /// Sends `request` once (no retries) and returns the response with its
    /// body read, whatever its status. The HTTPS rule and the body cap
    /// apply; the `User-Agent` is set to the client's.
    ///
    /// # Errors
    ///
    /// [`Error::InsecureEndpoint`], [`Error::BodyTooLarge`],
    /// [`Error::Transport`].
    pub fn send(
        &self,
        operation: Operation,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        Ok(self.send_once(operation, request)?.response)
    }

    /// Sends a request built by `oidc-core` with retries and parses the
    /// answer. Used by every operation method.
    fn call<T>(
        &self,
        operation: Operation,
        request: http::Request<Vec<u8>>,
        parse: fn(&http::Response<Vec<u8>>) -> Result<T, oidc_core::Error>,
    ) -> Result<T, Error> {
        let exchange = self.exchange(operation, &request, |_| Ok(()), parse, None)?;
        Ok(exchange.parsed?)
    }

    /// Sends `request` with the retries `oidc_core::retry` allows, and
    /// returns the last response with its parse. Waits between attempts
    /// are cut short by `cancel`.
    pub(crate) fn exchange<T>(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
        mut prepare: impl FnMut(&mut http::Request<Vec<u8>>) -> Result<(), Error>,
        parse: impl Fn(&http::Response<Vec<u8>>) -> Result<T, oidc_core::Error>,
        cancel: Option<&CancelToken>,
    ) -> Result<Exchange<T>, Error> {
        let mut attempts: u32 = 0;
        let mut spent: u32 = 0;
        loop {
            attempts = attempts.saturating_add(1);
            let mut attempt = request.clone();
            prepare(&mut attempt)?;
            let (outcome, class) = match self.send_once(operation, attempt) {
                Ok(received) => {
                    let parsed = parse(&received.response);
                    let class = match &parsed {
                        Ok(_) => {
                            self.lock_quota().release(spent);
                            return Ok(Exchange {
                                response: received.response,
                                parsed,
                            });
                        }
                        Err(e) => retry::classify(e),
                    };
                    (
                        Ok(Exchange {
                            response: received.response,
                            parsed,
                        }),
                        class,
                    )
                }
                Err(e) => {
                    let class = transport_class(&e);
                    (Err(e), class)
                }
            };
            let decision = self.config.retry.decide(attempts, class, random::jitter());
            let wait = match decision {
                RetryDecision::GiveUp => return outcome,
                RetryDecision::RetryAfter(wait) => wait,
            };
            match self.lock_quota().acquire(class) {
                Some(cost) => spent = spent.saturating_add(cost),
                None => return outcome,
            }
            if sleep(wait, cancel) {
                return Err(Error::Cancelled);
            }
        }
    }

    /// One attempt: the HTTPS rule, the user agent, ureq, the body cap.
    pub(crate) fn send_once(
        &self,
        operation: Operation,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<Received, Error> {
        let url = request.uri().to_string();
        endpoint::check_transport_security(&url, self.config.allow_insecure_http)
            .map_err(insecure)?;
        request
            .headers_mut()
            .insert(header::USER_AGENT, self.user_agent.clone());
        let response = self
            .agent
            .run(request)
            .map_err(|e| transport_error(operation, &url, e))?;
        let (parts, body) = response.into_parts();
        let limit = self.config.max_body_bytes;
        let announced = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > limit) {
            return Err(Error::BodyTooLarge { operation, limit });
        }
        let body = read_capped(body, limit).map_err(|e| match e {
            ReadError::TooLarge => Error::BodyTooLarge { operation, limit },
            ReadError::Io(e) => io_transport_error(operation, &url, e),
        })?;
        Ok(Received {
            response: http::Response::from_parts(parts, body),
        })
    }

    /// The token providers used so far (see `provider.rs`).
    pub(crate) fn providers(&self) -> &TokenProviders {
        &self.providers
    }

    fn lock_quota(&self) -> MutexGuard<'_, RetryQuota> {
        self.quota.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sleeps for `wait`, or until cancelled; returns `true` when cancelled.
fn sleep(wait: Duration, cancel: Option<&CancelToken>) -> bool {
    let deadline = Instant::now() + wait;
    match cancel {
        Some(token) => token.wait_until(deadline),
        None => {
            std::thread::sleep(wait);
            false
        }
    }
}

enum ReadError {
    TooLarge,
    Io(io::Error),
}

/// Reads the body, never holding more than `limit + 1` bytes. A connection
/// cut mid-body (not a timeout) ends the body where it was cut, so the core
/// parser reports it as truncated (which its retry policy treats as
/// transient).
fn read_capped(body: ureq::Body, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut reader = body.into_reader();
    let mut out = Vec::new();
    let mut chunk = [0u8; 8 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if (out.len() as u64).saturating_add(n as u64) > limit {
                    return Err(ReadError::TooLarge);
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if io_is_timeout(&e) => return Err(ReadError::Io(e)),
            Err(e) if !out.is_empty() && is_cut(&e) => return Ok(out),
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
}

fn is_cut(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    ) || matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()),
        Some(ureq::Error::Protocol(_) | ureq::Error::Io(_))
    )
}

fn io_is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) || matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()),
        Some(ureq::Error::Timeout(_))
    )
}

fn ureq_is_timeout(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(e) => io_is_timeout(e),
        _ => false,
    }
}

fn transport_error(operation: Operation, url: &str, e: ureq::Error) -> Error {
    if let ureq::Error::Io(io) = e {
        return io_transport_error(operation, url, io);
    }
    Error::Transport {
        operation,
        url: url.to_owned(),
        message: e.to_string(),
        is_timeout: ureq_is_timeout(&e),
        source: Box::new(e),
    }
}

fn io_transport_error(operation: Operation, url: &str, e: io::Error) -> Error {
    Error::Transport {
        operation,
        url: url.to_owned(),
        message: e.to_string(),
        is_timeout: io_is_timeout(&e),
        source: Box::new(e),
    }
}

/// How the retry policy sees an error that is not a parsed response.
pub(crate) fn transport_class(e: &Error) -> RetryClass {
    match e {
        Error::Transport {
            is_timeout: true, ..
        } => RetryClass::Timeout,
        Error::Transport { source, .. } => match source.downcast_ref::<ureq::Error>() {
            // Certificates, bad URLs and the like do not heal by retrying.
            Some(
                ureq::Error::Tls(_)
                | ureq::Error::Rustls(_)
                | ureq::Error::Pem(_)
                | ureq::Error::BadUri(_)
                | ureq::Error::Http(_)
                | ureq::Error::InvalidProxyUrl
                | ureq::Error::RequireHttpsOnly(_)
                | ureq::Error::LargeResponseHeader(..),
            ) => RetryClass::NotRetryable,
            _ => RetryClass::Transient,
        },
        _ => RetryClass::NotRetryable,
    }
}

/// The adapter error for a URL the HTTPS rule refuses: plain HTTP to a
/// remote host is [`Error::InsecureEndpoint`], anything else (not a URL,
/// not http(s)) is [`Error::Config`].
fn insecure(e: InsecureEndpoint) -> Error {
    match e {
        InsecureEndpoint::PlainHttp { url } => Error::InsecureEndpoint { url },
        other => Error::Config {
            message: other.to_string(),
            source: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_https_rule_maps_to_adapter_errors() {
        let plain = endpoint::check_transport_security("http://example.com/token", false);
        assert!(matches!(
            plain.map_err(insecure),
            Err(Error::InsecureEndpoint { ref url }) if url == "http://example.com/token"
        ));
        let ftp = endpoint::check_transport_security("ftp://example.com/", false);
        assert!(matches!(ftp.map_err(insecure), Err(Error::Config { .. })));
    }

    #[test]
    fn client_rejects_insecure_endpoint_and_resolves_regions() {
        let err = Client::new(
            Config::for_region("us-east-1").with_endpoint_url("http://sso.example.com"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("http://sso.example.com"), "{err}");
        let client = Client::new(Config::for_region("eu-west-1").with_fips(true)).unwrap();
        assert_eq!(
            client.endpoint().url(),
            "https://oidc-fips.eu-west-1.amazonaws.com"
        );
        let err = Client::new(Config::for_region("not a region")).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
    }

    /// A one-shot HTTP server on 127.0.0.1: returns the request head it
    /// received and answers with `response`.
    fn one_shot(response: &'static str) -> (String, std::thread::JoinHandle<String>) {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            stream.write_all(response.as_bytes()).unwrap();
            String::from_utf8(head).unwrap()
        });
        (url, handle)
    }

    #[test]
    fn user_agent_carries_core_adapter_and_suffix() {
        let (url, server) = one_shot(
            "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: InvalidRequestException\r\n\
             x-amzn-RequestId: r-1\r\nContent-Length: 26\r\n\r\n{\"error\":\"invalid_request\"}",
        );
        let client = Client::new(
            Config::for_region("us-east-1")
                .with_endpoint_url(url)
                .with_user_agent_suffix("my-tool/2.0")
                .with_max_attempts(1),
        )
        .unwrap();
        let err = client
            .register_client(&RegisterClientInput::new("x"))
            .unwrap_err();
        assert_eq!(err.code(), Some(&oidc_core::ErrorCode::InvalidRequest));
        assert_eq!(err.core().and_then(|e| e.request_id()), Some("r-1"));
        let head = server.join().unwrap().to_ascii_lowercase();
        let expected = format!(
            "user-agent: oidc-core/{v} oidc-ureq/{v} my-tool/2.0\r\n",
            v = env!("CARGO_PKG_VERSION")
        );
        assert!(head.contains(&expected), "{head}");
    }

    #[test]
    fn an_announced_oversized_body_is_refused_unread() {
        let (url, server) =
            one_shot("HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n{\"accessToken\":");
        let client = Client::new(
            Config::for_region("us-east-1")
                .with_endpoint_url(url)
                .with_max_attempts(1),
        )
        .unwrap();
        let started = Instant::now();
        let err = client
            .register_client(&RegisterClientInput::new("x"))
            .unwrap_err();
        assert!(
            matches!(err, Error::BodyTooLarge { limit, .. } if limit == 1024 * 1024),
            "{err:?}"
        );
        // Refused from the header: no waiting for 5 MB that never come.
        assert!(started.elapsed() < Duration::from_secs(2));
        server.join().unwrap();
    }

    #[test]
    fn connections_are_reused_across_calls() {
        use std::io::Write as _;
        // Accepts exactly one connection and answers two requests on it: a
        // second connection would be refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            drop(listener);
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let body = r#"{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":1}"#;
            for _ in 0..2 {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    assert_eq!(stream.read(&mut byte).unwrap(), 1);
                    head.push(byte[0]);
                }
                let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                let mut request_body = vec![0u8; length];
                stream.read_exact(&mut request_body).unwrap();
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
        });
        let client = Client::new(
            Config::for_region("us-east-1")
                .with_endpoint_url(url)
                .with_max_attempts(1),
        )
        .unwrap();
        for _ in 0..2 {
            let out = client
                .register_client(&RegisterClientInput::new("x"))
                .unwrap();
            assert_eq!(out.client_id, "c");
        }
        server.join().unwrap();
    }

    #[test]
    fn client_and_errors_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
        assert_send_sync::<Error>();
        assert_send_sync::<CancelToken>();
    }
}
