//! EC2 instance metadata (IMDS) role credentials, IMDSv2 first, as a
//! sans-IO state machine: botocore's `InstanceMetadataFetcher`.
//!
//! [`ImdsCredentials`] has the shape of every machine of this crate
//! ([`Call`](crate::Call)): [`poll`](ImdsCredentials::poll) says what to do
//! ([`Step`]), [`handle_response`](ImdsCredentials::handle_response) and
//! [`handle_transport_error`](ImdsCredentials::handle_transport_error)
//! advance it. It sends, in order:
//!
//! 1. `PUT {endpoint}/latest/api/token` with
//!    `x-aws-ec2-metadata-token-ttl-seconds: 21600` (`IMDS GetToken`);
//! 2. `GET {endpoint}/latest/meta-data/iam/security-credentials/` with
//!    `x-aws-ec2-metadata-token` (`IMDS GetRoleName`): the role name is the
//!    first line of the body (botocore appends the whole body, trailing
//!    newline included, to the next URL), checked as an IAM role name
//!    (1 to 64 of `A-Z a-z 0-9 _ + = , . @ -`, so it cannot change the
//!    path);
//! 3. `GET .../security-credentials/<role>` (`IMDS GetCredentials`): JSON
//!    `Code` (`Success`), `AccessKeyId`, `SecretAccessKey`, `Token`,
//!    `Expiration`.
//!
//! Every request carries a [`SendDeadline`] (`now` + the timeout, 1 s by
//! default as botocore's `DEFAULT_METADATA_SERVICE_TIMEOUT`) and its
//! [`OperationName`]. Like botocore, each request is tried
//! [`DEFAULT_ATTEMPTS`] (1) time by default, again at once (no back-off)
//! when more attempts are configured, and:
//!
//! * the token `PUT` answering 403, 404 or 405, timing out, failing on
//!   every attempt or answering another unexpected status falls back to
//!   IMDSv1 (the `GET`s without a token), unless
//!   [`with_imds_v1_fallback(false)`](ImdsCredentials::with_imds_v1_fallback)
//!   (botocore's `ec2_metadata_v1_disabled`); a 400 ends the machine
//!   ([`ImdsError::TokenRefused`]);
//! * a `GET` is tried again while it answers a status other than 200, an
//!   empty body, (for the credentials) a body that is not JSON, or fails
//!   in transport.
//!
//! What stays with the host: `AWS_EC2_METADATA_DISABLED` (do not start the
//! machine), the endpoint configuration (`ec2_metadata_service_endpoint`,
//! the IPv6 mode: [`DEFAULT_ENDPOINT_IPV6`]), and botocore's "static
//! stability" extension of credentials that are about to expire.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use oidc_core::imds::ImdsCredentials;
//! use oidc_core::Step;
//!
//! /// `now` comes from the embedder's monotonic clock (the machine only
//! /// compares instants); the core reads no clock.
//! fn fetch(now: Instant) -> Result<(), oidc_core::imds::ImdsError> {
//! let mut imds = ImdsCredentials::new(ImdsCredentials::DEFAULT_ENDPOINT)?;
//! let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
//! let answers: [&[u8]; 3] = [
//!     b"AQAEAFakeTokenValue==",
//!     b"my-instance-role\n",
//!     br#"{"Code": "Success", "LastUpdated": "2024-01-01T00:00:00Z", "Type": "AWS-HMAC",
//!          "AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
//!          "Token": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T06:00:00Z"}"#,
//! ];
//! let mut sent = Vec::new();
//! let output = loop {
//!     match imds.poll(now, wall) {
//!         Step::Send(request) => {
//!             sent.push(format!("{} {}", request.method(), request.uri()));
//!             let body = answers[sent.len() - 1].to_vec();
//!             let response = http::Response::builder().status(200).body(body).unwrap();
//!             imds.handle_response(now, &response);
//!         }
//!         Step::WaitUntil(_) => unreachable!("IMDS retries at once"),
//!         Step::Local(none) => match none {},
//!         Step::Done(result) => break result?,
//!     }
//! };
//! assert_eq!(sent, [
//!     "PUT http://169.254.169.254/latest/api/token",
//!     "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/",
//!     "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/my-instance-role",
//! ]);
//! assert_eq!(output.role_name, "my-instance-role");
//! assert!(!output.imds_v1);
//! assert_eq!(output.credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
//! Ok(())
//! }
//! ```

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;
use serde_json::{Map, Value};

use crate::cache::credentials::parse_expiration;
use crate::credentials::{check, Credentials};
use crate::step::{OperationName, SendDeadline, Step};
use crate::transport_error::{TimeoutPhase, TransportError, TransportErrorKind};
use crate::untrusted::printable;

/// `http://169.254.169.254`, the IPv4 endpoint (botocore's
/// `METADATA_BASE_URL`).
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// botocore's per-request timeout (`DEFAULT_METADATA_SERVICE_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// botocore's attempts per request (`num_attempts=1`).
pub const DEFAULT_ATTEMPTS: u32 = 1;
/// The IPv6 endpoint (`ec2_metadata_service_endpoint_mode = ipv6`).
pub const DEFAULT_ENDPOINT_IPV6: &str = "http://[fd00:ec2::254]";
/// The token lifetime asked for, in seconds (botocore's `_TOKEN_TTL`).
pub const TOKEN_TTL_SECONDS: &str = "21600";
/// The largest response body accepted (128 KiB); the host stops reading
/// there.
pub const MAX_RESPONSE_BYTES: usize = 128 * 1024;
/// The operation name of the token `PUT`.
pub const OP_GET_TOKEN: &str = "IMDS GetToken";
/// The operation name of the role-name `GET`.
pub const OP_GET_ROLE_NAME: &str = "IMDS GetRoleName";
/// The operation name of the credentials `GET`.
pub const OP_GET_CREDENTIALS: &str = "IMDS GetCredentials";

/// The longest metadata token accepted (AWS issues ~56 characters).
const MAX_TOKEN_LEN: usize = 4096;
/// The longest server text kept in an error (characters).
const MAX_MESSAGE_CHARS: usize = 512;

const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TOKEN_PATH: &str = "latest/api/token";
const CREDENTIALS_PATH: &str = "latest/meta-data/iam/security-credentials/";

/// Why IMDS credentials could not be fetched.
///
/// No message contains the metadata token or a credential; server text is
/// filtered by [`crate::untrusted::printable`] and bounded.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ImdsError {
    /// The endpoint is not an absolute `http`/`https` URL with a host and
    /// no user name, query or fragment.
    #[error("the IMDS endpoint is not an absolute http(s) URL with a host")]
    InvalidEndpoint,
    /// The token `PUT` answered 400 (botocore's `BadIMDSRequestError`).
    #[error("{OP_GET_TOKEN}: the metadata service refused the token request (HTTP 400)")]
    TokenRefused,
    /// No token, and IMDSv1 is disabled.
    #[error(
        "{OP_GET_TOKEN}: no IMDSv2 token{} and IMDSv1 is disabled",
        status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
    )]
    TokenUnavailable {
        /// The last status, when there was a response.
        status: Option<u16>,
    },
    /// The token the service sent is empty, too long or not printable
    /// ASCII.
    #[error("{OP_GET_TOKEN}: the metadata service sent an invalid token")]
    InvalidToken,
    /// A request answered a status other than 200 on its last attempt.
    #[error("{operation}: HTTP {status}")]
    Status {
        /// The operation (`IMDS GetRoleName`, ...).
        operation: &'static str,
        /// The status.
        status: u16,
    },
    /// A request answered 200 with an empty body on its last attempt.
    #[error("{operation}: empty response")]
    EmptyResponse {
        /// The operation.
        operation: &'static str,
    },
    /// A response body is larger than [`MAX_RESPONSE_BYTES`].
    #[error("{operation}: response larger than {limit} bytes")]
    BodyTooLarge {
        /// The operation.
        operation: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The last attempt got no response.
    #[error(transparent)]
    Transport(TransportError),
    /// The role name is not an IAM role name.
    #[error("{OP_GET_ROLE_NAME}: the role name is invalid: {detail}")]
    InvalidRoleName {
        /// What was expected (never the value).
        detail: &'static str,
    },
    /// The credentials body is not one JSON value, on the last attempt.
    #[error(
        "{OP_GET_CREDENTIALS}: response is not valid JSON (error at line {line}, column {column})"
    )]
    InvalidJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The credentials body is not a JSON object.
    #[error("{OP_GET_CREDENTIALS}: response is not a JSON object")]
    NotAnObject,
    /// `Code` is not `Success` (e.g. the role does not trust EC2).
    #[error(
        "{OP_GET_CREDENTIALS}: {code}{}",
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    Unsuccessful {
        /// `Code` (printable, bounded).
        code: String,
        /// `Message` (printable, bounded).
        message: Option<String>,
    },
    /// A required member is absent.
    #[error("{OP_GET_CREDENTIALS}: response is missing {member}")]
    MissingMember {
        /// The member, as `Token`.
        member: &'static str,
    },
    /// A member is not a string.
    #[error("{OP_GET_CREDENTIALS}: {member} is not a string")]
    NotAString {
        /// The member.
        member: &'static str,
    },
    /// A member is outside what AWS issues.
    #[error("{OP_GET_CREDENTIALS}: {member} is out of range: {detail}")]
    InvalidValue {
        /// The member.
        member: &'static str,
        /// What was expected (never the value).
        detail: &'static str,
    },
    /// `Expiration` is not an RFC 3339 timestamp.
    #[error("{OP_GET_CREDENTIALS}: {member} is not a valid RFC 3339 timestamp")]
    InvalidTimestamp {
        /// The member.
        member: &'static str,
    },
    /// The driver polled while a request was outstanding (a driver bug);
    /// the machine is over.
    #[error("IMDS: polled while a request was outstanding")]
    PolledInFlight,
    /// The driver polled after the outcome was taken.
    #[error("IMDS: polled after the outcome was taken")]
    AlreadyFinished,
}

/// What the machine ends with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImdsRoleCredentials {
    /// The instance profile's role.
    pub role_name: String,
    /// Its credentials (with session token and expiry).
    pub credentials: Credentials,
    /// True when no IMDSv2 token was obtained and the `GET`s went without
    /// one (IMDSv1).
    pub imds_v1: bool,
}

/// The IMDSv2 session token: a secret, zeroed on drop, never printed.
struct MetadataToken(zeroize::Zeroizing<String>);

impl fmt::Debug for MetadataToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetadataToken([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Token,
    RoleName,
    Credentials,
}

impl Phase {
    fn operation(self) -> &'static str {
        match self {
            Phase::Token => OP_GET_TOKEN,
            Phase::RoleName => OP_GET_ROLE_NAME,
            Phase::Credentials => OP_GET_CREDENTIALS,
        }
    }
}

enum State {
    Ready,
    InFlight,
    Finished(Option<Result<ImdsRoleCredentials, ImdsError>>),
}

/// The IMDS credentials machine; see the [module](self) documentation.
pub struct ImdsCredentials {
    base: String,
    timeout: Duration,
    attempts: u32,
    v1_fallback: bool,
    phase: Phase,
    state: State,
    tries: u32,
    token: Option<MetadataToken>,
    role_name: Option<String>,
}

impl fmt::Debug for ImdsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsCredentials")
            .field("endpoint", &self.base)
            .field("phase", &self.phase)
            .field("tries", &self.tries)
            .field("token", &self.token)
            .field("role_name", &self.role_name)
            .finish_non_exhaustive()
    }
}

impl ImdsCredentials {
    /// The module's [`DEFAULT_ENDPOINT`], the IPv4 endpoint.
    pub const DEFAULT_ENDPOINT: &'static str = DEFAULT_ENDPOINT;

    /// A machine for the metadata service at `endpoint` (a base URL such
    /// as [`DEFAULT_ENDPOINT`](Self::DEFAULT_ENDPOINT); a path is kept and
    /// `latest/...` appended after a `/`, as botocore does), with the
    /// default timeout, attempts and IMDSv1 fallback.
    ///
    /// # Errors
    ///
    /// [`ImdsError::InvalidEndpoint`].
    pub fn new(endpoint: &str) -> Result<ImdsCredentials, ImdsError> {
        let uri = http::Uri::try_from(endpoint).map_err(|_| ImdsError::InvalidEndpoint)?;
        let authority = uri.authority().ok_or(ImdsError::InvalidEndpoint)?;
        if !matches!(uri.scheme_str(), Some("http" | "https"))
            || authority.host().is_empty()
            || authority.as_str().contains('@')
            || uri.query().is_some()
            || endpoint.contains('#')
        {
            return Err(ImdsError::InvalidEndpoint);
        }
        let mut base = endpoint.to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(ImdsCredentials {
            base,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            v1_fallback: true,
            phase: Phase::Token,
            state: State::Ready,
            tries: 0,
            token: None,
            role_name: None,
        })
    }

    /// Sets the per-request timeout (its [`SendDeadline`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the attempts per request (botocore's `num_attempts`; at least
    /// 1).
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Whether to go on without a token (IMDSv1) when none can be had;
    /// `true` by default as in botocore, `false` for
    /// `ec2_metadata_v1_disabled = true`.
    #[must_use]
    pub fn with_imds_v1_fallback(mut self, allow: bool) -> Self {
        self.v1_fallback = allow;
        self
    }

    /// Whether the machine has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished(_))
    }

    /// Says what to do next at `now` (monotonic). `_wall_clock` is taken
    /// for the drive loop's uniformity with [`Call::poll`](crate::Call::poll);
    /// nothing here is signed or dated.
    pub fn poll(
        &mut self,
        now: Instant,
        _wall_clock: SystemTime,
    ) -> Step<Result<ImdsRoleCredentials, ImdsError>> {
        match &mut self.state {
            State::Finished(outcome) => {
                Step::Done(outcome.take().unwrap_or(Err(ImdsError::AlreadyFinished)))
            }
            State::InFlight => {
                self.state = State::Finished(None);
                Step::Done(Err(ImdsError::PolledInFlight))
            }
            State::Ready => match self.request(now) {
                Ok(request) => {
                    self.tries = self.tries.saturating_add(1);
                    self.state = State::InFlight;
                    Step::Send(request)
                }
                Err(e) => {
                    self.state = State::Finished(None);
                    Step::Done(Err(e))
                }
            },
        }
    }

    fn request(&self, now: Instant) -> Result<http::Request<Vec<u8>>, ImdsError> {
        let (method, url) = match self.phase {
            Phase::Token => (http::Method::PUT, format!("{}{TOKEN_PATH}", self.base)),
            Phase::RoleName => (
                http::Method::GET,
                format!("{}{CREDENTIALS_PATH}", self.base),
            ),
            Phase::Credentials => (
                http::Method::GET,
                format!(
                    "{}{CREDENTIALS_PATH}{}",
                    self.base,
                    self.role_name.as_deref().unwrap_or_default()
                ),
            ),
        };
        let mut request = http::Request::new(Vec::new());
        *request.method_mut() = method;
        *request.uri_mut() = http::Uri::try_from(url).map_err(|_| ImdsError::InvalidEndpoint)?;
        let headers = request.headers_mut();
        if self.phase == Phase::Token {
            headers.insert(
                TOKEN_TTL_HEADER,
                HeaderValue::from_static(TOKEN_TTL_SECONDS),
            );
            // A PUT without a body still says so (IMDS answers 411
            // otherwise, as botocore's `Content-Length: 0` avoids).
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        } else if let Some(token) = &self.token {
            let mut value = HeaderValue::from_str(&token.0).map_err(|_| ImdsError::InvalidToken)?;
            value.set_sensitive(true);
            headers.insert(TOKEN_HEADER, value);
        }
        let deadline = now.checked_add(self.timeout).unwrap_or(now);
        request.extensions_mut().insert(SendDeadline(deadline));
        request
            .extensions_mut()
            .insert(OperationName(self.phase.operation()));
        Ok(request)
    }

    fn retry_or(&mut self, error: ImdsError) {
        if self.tries < self.attempts {
            self.state = State::Ready;
        } else {
            self.state = State::Finished(Some(Err(error)));
        }
    }

    fn next_phase(&mut self, phase: Phase) {
        self.phase = phase;
        self.tries = 0;
        self.state = State::Ready;
    }

    /// No token: IMDSv1 if allowed.
    fn without_token(&mut self, status: Option<u16>) {
        if self.v1_fallback {
            self.next_phase(Phase::RoleName);
        } else {
            self.state = State::Finished(Some(Err(ImdsError::TokenUnavailable { status })));
        }
    }

    /// Feeds the response to the last [`Step::Send`]. Ignored when no
    /// request is outstanding.
    pub fn handle_response<B: AsRef<[u8]>>(&mut self, _now: Instant, response: &http::Response<B>) {
        if !matches!(self.state, State::InFlight) {
            return;
        }
        let status = response.status().as_u16();
        let body = response.body().as_ref();
        let operation = self.phase.operation();
        if body.len() > MAX_RESPONSE_BYTES {
            self.state = State::Finished(Some(Err(ImdsError::BodyTooLarge {
                operation,
                limit: MAX_RESPONSE_BYTES,
            })));
            return;
        }
        match self.phase {
            Phase::Token => match status {
                200 => match token(body) {
                    Some(token) => {
                        self.token = Some(token);
                        self.next_phase(Phase::RoleName);
                    }
                    None => self.state = State::Finished(Some(Err(ImdsError::InvalidToken))),
                },
                403..=405 => self.without_token(Some(status)),
                400 => self.state = State::Finished(Some(Err(ImdsError::TokenRefused))),
                _ if self.tries < self.attempts => self.state = State::Ready,
                _ => self.without_token(Some(status)),
            },
            Phase::RoleName => {
                if status != 200 {
                    return self.retry_or(ImdsError::Status { operation, status });
                }
                if body.is_empty() {
                    return self.retry_or(ImdsError::EmptyResponse { operation });
                }
                match role_name(body) {
                    Ok(name) => {
                        self.role_name = Some(name);
                        self.next_phase(Phase::Credentials);
                    }
                    Err(detail) => {
                        self.state =
                            State::Finished(Some(Err(ImdsError::InvalidRoleName { detail })));
                    }
                }
            }
            Phase::Credentials => {
                if status != 200 {
                    return self.retry_or(ImdsError::Status { operation, status });
                }
                if body.is_empty() {
                    return self.retry_or(ImdsError::EmptyResponse { operation });
                }
                let value: Value = match serde_json::from_slice(body) {
                    Ok(value) => value,
                    Err(e) => {
                        return self.retry_or(ImdsError::InvalidJson {
                            line: e.line(),
                            column: e.column(),
                        })
                    }
                };
                let outcome = credentials(value).map(|credentials| ImdsRoleCredentials {
                    role_name: self.role_name.clone().unwrap_or_default(),
                    credentials,
                    imds_v1: self.token.is_none(),
                });
                self.token = None;
                self.state = State::Finished(Some(outcome));
            }
        }
    }

    /// Reports that the last [`Step::Send`] got no usable response; the
    /// error is labelled with the request's operation. Ignored when no
    /// request is outstanding.
    pub fn handle_transport_error(&mut self, _now: Instant, mut error: TransportError) {
        if !matches!(self.state, State::InFlight) {
            return;
        }
        error.operation = self.phase.operation();
        if self.phase == Phase::Token {
            // botocore: a read timeout gives up on the token at once; other
            // failures are retried, then IMDSv1.
            let read_timeout = matches!(
                error.kind,
                TransportErrorKind::Timeout {
                    phase: TimeoutPhase::Read | TimeoutPhase::Call,
                    ..
                }
            );
            if !read_timeout && self.tries < self.attempts {
                self.state = State::Ready;
            } else {
                self.without_token(None);
            }
            return;
        }
        self.retry_or(ImdsError::Transport(error));
    }
}

/// The token: 1 to [`MAX_TOKEN_LEN`] printable ASCII characters.
fn token(body: &[u8]) -> Option<MetadataToken> {
    if body.is_empty()
        || body.len() > MAX_TOKEN_LEN
        || !body.iter().all(|b| (0x21..0x7f).contains(b))
    {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    Some(MetadataToken(zeroize::Zeroizing::new(text.to_owned())))
}

/// The first line of the body, checked as an IAM role name.
fn role_name(body: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "expected UTF-8 text")?;
    let first = text.split('\n').next().unwrap_or_default();
    let first = first.strip_suffix('\r').unwrap_or(first);
    check::role_name(first)?;
    Ok(first.to_owned())
}

fn credentials(value: Value) -> Result<Credentials, ImdsError> {
    let Value::Object(mut map) = value else {
        return Err(ImdsError::NotAnObject);
    };
    match map.remove("Code") {
        Some(Value::String(code)) if code == "Success" => {}
        Some(Value::String(code)) => {
            let message = map.get("Message").and_then(Value::as_str).map(bounded);
            return Err(ImdsError::Unsuccessful {
                code: bounded(&code),
                message,
            });
        }
        // botocore does not look at `Code`.
        Some(Value::Null) | None => {}
        Some(_) => return Err(ImdsError::NotAString { member: "Code" }),
    }
    let access_key_id = required(&mut map, "AccessKeyId")?;
    valid("AccessKeyId", check::access_key_id(&access_key_id, 1))?;
    let secret = required(&mut map, "SecretAccessKey")?;
    valid("SecretAccessKey", check::secret_access_key(&secret))?;
    let token = required(&mut map, "Token")?;
    valid("Token", check::session_token(&token))?;
    let expiration = required(&mut map, "Expiration")?;
    let expiry = parse_expiration(&expiration).ok_or(ImdsError::InvalidTimestamp {
        member: "Expiration",
    })?;
    valid("Expiration", check::expiry(expiry))?;
    Ok(Credentials::new(access_key_id, secret)
        .with_session_token(token)
        .with_expiry(expiry))
}

fn bounded(text: &str) -> String {
    printable(text).chars().take(MAX_MESSAGE_CHARS).collect()
}

fn required(map: &mut Map<String, Value>, member: &'static str) -> Result<String, ImdsError> {
    match map.remove(member) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ImdsError::NotAString { member }),
        None => Err(ImdsError::MissingMember { member }),
    }
}

fn valid(member: &'static str, checked: Result<(), &'static str>) -> Result<(), ImdsError> {
    checked.map_err(|detail| ImdsError::InvalidValue { member, detail })
}
