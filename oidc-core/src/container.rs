//! Container credentials (ECS task roles, EKS Pod Identity, local
//! credential servers): botocore's `ContainerProvider` and
//! `ContainerMetadataFetcher`, without the I/O.
//!
//! The host reads the environment (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, and the authorization token from
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, else
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), then:
//!
//! 1. [`ContainerEndpoint::from_env`] picks and checks the URL;
//! 2. when [`needs_resolution`](ContainerEndpoint::needs_resolution), it
//!    resolves [`host`](ContainerEndpoint::host) and passes the addresses
//!    to [`check_resolved`](ContainerEndpoint::check_resolved) (and then
//!    connects only to those addresses);
//! 3. sends [`request`](ContainerEndpoint::request) with a [`TIMEOUT`],
//!    reading at most [`MAX_RESPONSE_BYTES`], up to [`ATTEMPTS`] times
//!    [`RETRY_DELAY`] apart while the error
//!    [`is_retryable`](ContainerError::is_retryable) (botocore's numbers);
//! 4. hands the response to [`parse_response`].
//!
//! A local credential server answers with [`response_body`] after checking
//! the caller's header with [`authorization_matches`].
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::container::{self, ContainerEndpoint};
//! use oidc_core::Credentials;
//!
//! let endpoint = ContainerEndpoint::from_env(Some("/v2/credentials/abc"), None)?.unwrap();
//! assert!(!endpoint.needs_resolution());
//! let request = endpoint.request(None)?;
//! assert_eq!(request.uri(), "http://169.254.170.2/v2/credentials/abc");
//!
//! // What a local credential server would answer, parsed back.
//! let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800);
//! let served = Credentials::new("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
//!     .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
//!     .with_expiry(expiry);
//! let response = http::Response::builder().status(200).body(container::response_body(&served)).unwrap();
//! let credentials = container::parse_response(&response)?;
//! assert_eq!(credentials.expires_at, Some(expiry));
//! assert!(container::authorization_matches("Bearer t0k3n", b"Bearer t0k3n"));
//! # Ok::<(), oidc_core::container::ContainerError>(())
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::cache::credentials::parse_expiration;
use crate::credentials::{check, Credentials};
use crate::secret::SessionToken;
use crate::step::OperationName;
use crate::untrusted::printable;

/// Where a relative URI goes: the ECS agent's address.
pub const RELATIVE_URI_BASE: &str = "http://169.254.170.2";
/// botocore's per-attempt timeout (`TIMEOUT_SECONDS = 2`).
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// botocore's attempts (`RETRY_ATTEMPTS = 3`).
pub const ATTEMPTS: u32 = 3;
/// botocore's pause between attempts (`SLEEP_TIME = 1`).
pub const RETRY_DELAY: Duration = Duration::from_secs(1);
/// The largest response body [`parse_response`] accepts (128 KiB); the
/// host stops reading there.
pub const MAX_RESPONSE_BYTES: usize = 128 * 1024;
/// The operation name every container request carries.
pub const OPERATION_NAME: &str = "ContainerCredentials";
/// The longest error message kept from a server (characters).
const MAX_MESSAGE_CHARS: usize = 512;

/// The ECS agent (`169.254.170.2`), the EKS Pod Identity agent
/// (`169.254.170.23`, `fd00:ec2::23`): botocore's allowed hosts besides
/// loopback addresses and `localhost`.
const ALLOWED_IPS: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)),
];

/// Why container credentials cannot be fetched.
///
/// No message contains the authorization token or a credential; server
/// text is filtered by [`crate::untrusted::printable`] and bounded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` does not start with `/`
    /// (it is appended to `http://169.254.170.2`, so anything else could
    /// change the host).
    #[error("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with `/`")]
    InvalidRelativeUri,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is not an absolute `http` or
    /// `https` URL with a host (and no user name or password).
    #[error("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an absolute http(s) URL with a host")]
    InvalidFullUri,
    /// Plain `http` to a host that is neither a loopback address,
    /// `localhost`, nor one of the container agents' addresses (or, after
    /// resolution, a host name with an address that is none of them).
    #[error(
        "container credentials over plain http are only fetched from a loopback address, \
         localhost, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, not from `{host}`"
    )]
    NotAllowedHost {
        /// The host (printable).
        host: String,
    },
    /// The host name resolved to no address.
    #[error("the container credentials host `{host}` resolved to no address")]
    NoAddresses {
        /// The host (printable).
        host: String,
    },
    /// The authorization token contains a character that is not printable
    /// ASCII (CR, LF, another control character, or non-ASCII).
    #[error("the container authorization token is not a legal header value (control or non-ASCII character)")]
    InvalidAuthorization,
    /// The response body is larger than [`MAX_RESPONSE_BYTES`].
    #[error("container credentials response is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The server answered with a status other than 200.
    #[error("container credentials request failed: HTTP {status}{}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// `code` of a JSON error body (printable, bounded).
        code: Option<String>,
        /// `message` of a JSON error body (printable, bounded).
        message: Option<String>,
    },
    /// The 200 body is not one JSON value (or not UTF-8).
    #[error(
        "container credentials response is not valid JSON (error at line {line}, column {column})"
    )]
    InvalidJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The 200 body is not a JSON object.
    #[error("container credentials response is not a JSON object")]
    NotAnObject,
    /// A required member is absent.
    #[error("container credentials response is missing {member}")]
    MissingMember {
        /// The member, as `Token`.
        member: &'static str,
    },
    /// A member is not a string.
    #[error("container credentials response: {member} is not a string")]
    NotAString {
        /// The member.
        member: &'static str,
    },
    /// A member is outside what AWS issues.
    #[error("container credentials response: {member} is out of range: {detail}")]
    InvalidValue {
        /// The member.
        member: &'static str,
        /// What was expected (never the value).
        detail: &'static str,
    },
    /// `Expiration` is not an RFC 3339 timestamp.
    #[error("container credentials response: {member} is not a valid RFC 3339 timestamp")]
    InvalidTimestamp {
        /// The member.
        member: &'static str,
    },
}

impl ContainerError {
    /// Whether botocore tries again after this error (within [`ATTEMPTS`]):
    /// a status other than 200 or a body that is not JSON. A transport
    /// failure is retried too.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ContainerError::Status { .. } | ContainerError::InvalidJson { .. }
        )
    }
}

/// Where container credentials are fetched from.
#[derive(Clone, PartialEq, Eq)]
pub struct ContainerEndpoint {
    uri: http::Uri,
    host: String,
    needs_resolution: bool,
}

impl fmt::Debug for ContainerEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without the query, which a server may use for a credential.
        f.debug_struct("ContainerEndpoint")
            .field("scheme", &self.uri.scheme_str())
            .field("host", &self.host)
            .field("path", &self.uri.path())
            .field("needs_resolution", &self.needs_resolution)
            .finish()
    }
}

impl ContainerEndpoint {
    /// The endpoint the environment names, as botocore picks it:
    ///
    /// * a relative URI wins: `http://169.254.170.2` + the path (which must
    ///   start with `/`; botocore does not check, and a value such as
    ///   `@host/` would move the request elsewhere);
    /// * else the full URI: `https` to any host; plain `http` only to a
    ///   loopback IP literal (`127.0.0.0/8`, `::1`), `localhost`,
    ///   `169.254.170.2`, `169.254.170.23` or `fd00:ec2::23` (botocore's
    ///   `_ALLOWED_HOSTS`; addresses compare by value, so `[fd00:ec2:0::23]`
    ///   counts); any other host name over `http` is refused by botocore,
    ///   while the other AWS SDKs resolve it and require every address to be
    ///   one of those: here it is accepted with
    ///   [`needs_resolution`](Self::needs_resolution), and the host must
    ///   call [`check_resolved`](Self::check_resolved) (or refuse it to
    ///   behave exactly like botocore);
    /// * neither set (or set to the empty string): `Ok(None)`.
    ///
    /// ```
    /// use oidc_core::container::{ContainerEndpoint, ContainerError};
    ///
    /// let local = ContainerEndpoint::from_env(None, Some("http://127.0.0.1:8080/creds"))?.unwrap();
    /// assert_eq!(local.host(), "127.0.0.1");
    /// let named = ContainerEndpoint::from_env(None, Some("http://creds.internal/"))?.unwrap();
    /// assert!(named.needs_resolution());
    /// assert!(matches!(
    ///     ContainerEndpoint::from_env(None, Some("http://10.0.0.1/")),
    ///     Err(ContainerError::NotAllowedHost { .. })
    /// ));
    /// assert!(ContainerEndpoint::from_env(None, None)?.is_none());
    /// # Ok::<(), ContainerError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ContainerError::InvalidRelativeUri`],
    /// [`ContainerError::InvalidFullUri`],
    /// [`ContainerError::NotAllowedHost`].
    pub fn from_env(
        relative_uri: Option<&str>,
        full_uri: Option<&str>,
    ) -> Result<Option<ContainerEndpoint>, ContainerError> {
        if let Some(relative) = relative_uri.filter(|r| !r.is_empty()) {
            if !relative.starts_with('/') {
                return Err(ContainerError::InvalidRelativeUri);
            }
            let uri = http::Uri::try_from(format!("{RELATIVE_URI_BASE}{relative}"))
                .map_err(|_| ContainerError::InvalidRelativeUri)?;
            if uri.host() != Some("169.254.170.2") || uri.port().is_some() {
                return Err(ContainerError::InvalidRelativeUri);
            }
            return Ok(Some(ContainerEndpoint {
                uri,
                host: "169.254.170.2".to_owned(),
                needs_resolution: false,
            }));
        }
        let Some(full) = full_uri.filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let uri = http::Uri::try_from(full).map_err(|_| ContainerError::InvalidFullUri)?;
        let authority = uri.authority().ok_or(ContainerError::InvalidFullUri)?;
        if authority.as_str().contains('@') {
            return Err(ContainerError::InvalidFullUri);
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host.is_empty() {
            return Err(ContainerError::InvalidFullUri);
        }
        let needs_resolution = match uri.scheme_str() {
            Some("https") => false,
            Some("http") => match host.parse::<IpAddr>() {
                Ok(ip) if allowed_ip(ip) => false,
                Ok(_) => return Err(not_allowed(&host)),
                Err(_) => host != "localhost",
            },
            _ => return Err(ContainerError::InvalidFullUri),
        };
        Ok(Some(ContainerEndpoint {
            uri,
            host,
            needs_resolution,
        }))
    }

    /// The URL requested.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
    }

    /// The host, lowercased, without the brackets of an IPv6 literal.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host is a name the host layer must resolve and pass to
    /// [`check_resolved`](Self::check_resolved) before sending: plain
    /// `http` to a name other than `localhost`.
    pub fn needs_resolution(&self) -> bool {
        self.needs_resolution
    }

    /// Checks the addresses [`host`](Self::host) resolved to: every one
    /// must be a loopback address or a container agent's. Always `Ok` for
    /// an endpoint that needs no resolution. Connect only to the addresses
    /// checked (a second lookup may answer differently).
    ///
    /// ```
    /// use core::net::IpAddr;
    /// use oidc_core::container::ContainerEndpoint;
    ///
    /// let named = ContainerEndpoint::from_env(None, Some("http://creds.internal/"))?.unwrap();
    /// let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    /// let outside: IpAddr = "10.0.0.1".parse().unwrap();
    /// assert!(named.check_resolved(&[loopback]).is_ok());
    /// assert!(named.check_resolved(&[loopback, outside]).is_err());
    /// assert!(named.check_resolved(&[]).is_err());
    /// # Ok::<(), oidc_core::container::ContainerError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ContainerError::NoAddresses`], [`ContainerError::NotAllowedHost`].
    pub fn check_resolved(&self, addrs: &[IpAddr]) -> Result<(), ContainerError> {
        if !self.needs_resolution {
            return Ok(());
        }
        if addrs.is_empty() {
            return Err(ContainerError::NoAddresses {
                host: printable(&self.host),
            });
        }
        if addrs.iter().all(|ip| allowed_ip(*ip)) {
            Ok(())
        } else {
            Err(not_allowed(&self.host))
        }
    }

    /// The request: `GET` the URL with `Accept: application/json` and, when
    /// given, `Authorization` (marked sensitive, so
    /// [`DebugRequest`](crate::debug::DebugRequest) never shows it), and
    /// the [`OperationName`] extension. botocore refuses a token with CR or
    /// LF; this refuses any character outside printable ASCII.
    ///
    /// # Errors
    ///
    /// [`ContainerError::InvalidAuthorization`].
    pub fn request(
        &self,
        authorization: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, ContainerError> {
        let mut request = http::Request::new(Vec::new());
        *request.method_mut() = http::Method::GET;
        *request.uri_mut() = self.uri.clone();
        request.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        if let Some(token) = authorization {
            if !token.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(ContainerError::InvalidAuthorization);
            }
            let mut value = http::HeaderValue::from_str(token)
                .map_err(|_| ContainerError::InvalidAuthorization)?;
            value.set_sensitive(true);
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, value);
        }
        request
            .extensions_mut()
            .insert(OperationName(OPERATION_NAME));
        Ok(request)
    }
}

fn allowed_ip(ip: IpAddr) -> bool {
    ip.is_loopback() || ALLOWED_IPS.contains(&ip)
}

fn not_allowed(host: &str) -> ContainerError {
    ContainerError::NotAllowedHost {
        host: printable(host),
    }
}

/// Reads a container credentials response: `200` with a JSON object of
/// `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration` (RFC 3339), all
/// required as in botocore, and optional `AccountId` (12 digits; `null` or
/// absent). Another status is [`ContainerError::Status`] with the `code`
/// and `message` of a JSON error body when there is one.
///
/// ```
/// use oidc_core::container::{parse_response, ContainerError};
///
/// let response = http::Response::builder()
///     .status(401)
///     .body(br#"{"code": "AccessDeniedException", "message": "bad token\u001b[2J"}"#.to_vec())
///     .unwrap();
/// let err = parse_response(&response).unwrap_err();
/// assert_eq!(err.to_string(), "container credentials request failed: HTTP 401 AccessDeniedException: bad token[2J");
/// assert!(err.is_retryable());
/// ```
///
/// # Errors
///
/// [`ContainerError`], naming the member, never its value.
pub fn parse_response<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<Credentials, ContainerError> {
    let body = response.body().as_ref();
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(ContainerError::BodyTooLarge {
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let status = response.status().as_u16();
    if status != 200 {
        let (code, message) = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => (bounded(map.get("code")), bounded(map.get("message"))),
            _ => (None, None),
        };
        return Err(ContainerError::Status {
            status,
            code,
            message,
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ContainerError::NotAnObject,
        _ => ContainerError::InvalidJson {
            line: e.line(),
            column: e.column(),
        },
    })?;
    let Value::Object(mut map) = value else {
        return Err(ContainerError::NotAnObject);
    };
    let access_key_id = required(&mut map, "AccessKeyId")?;
    valid("AccessKeyId", check::access_key_id(&access_key_id, 1))?;
    let secret = required(&mut map, "SecretAccessKey")?;
    valid("SecretAccessKey", check::secret_access_key(&secret))?;
    let token = required(&mut map, "Token")?;
    valid("Token", check::session_token(&token))?;
    let expiration = required(&mut map, "Expiration")?;
    let expiry = parse_expiration(&expiration).ok_or(ContainerError::InvalidTimestamp {
        member: "Expiration",
    })?;
    valid("Expiration", check::expiry(expiry))?;
    let mut credentials = Credentials::new(access_key_id, secret)
        .with_session_token(token)
        .with_expiry(expiry);
    match map.remove("AccountId") {
        Some(Value::String(account_id)) => {
            valid("AccountId", check::account_id(&account_id))?;
            credentials = credentials.with_account_id(account_id);
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(ContainerError::NotAString {
                member: "AccountId",
            })
        }
    }
    Ok(credentials)
}

/// A server's string, printable and at most [`MAX_MESSAGE_CHARS`].
fn bounded(value: Option<&Value>) -> Option<String> {
    let text = value?.as_str()?;
    let shown: String = printable(text).chars().take(MAX_MESSAGE_CHARS).collect();
    Some(shown)
}

fn required(map: &mut Map<String, Value>, member: &'static str) -> Result<String, ContainerError> {
    match map.remove(member) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ContainerError::NotAString { member }),
        None => Err(ContainerError::MissingMember { member }),
    }
}

fn valid(member: &'static str, checked: Result<(), &'static str>) -> Result<(), ContainerError> {
    checked.map_err(|detail| ContainerError::InvalidValue { member, detail })
}

/// What a local credential server answers: `{"AccessKeyId": ..,
/// "SecretAccessKey": .., "Token": .., "Expiration":
/// "%Y-%m-%dT%H:%M:%SZ", "AccountId": ..}` (compact JSON; `Token`,
/// `Expiration` and `AccountId` only when the credentials have them, and
/// botocore needs the first two). The bytes hold the secrets.
pub fn response_body(credentials: &Credentials) -> Vec<u8> {
    let expiration = credentials.expires_at.map(crate::cache::format_timestamp);
    let members = [
        ("AccessKeyId", Some(credentials.access_key_id.as_str())),
        (
            "SecretAccessKey",
            Some(credentials.secret_access_key.secret()),
        ),
        (
            "Token",
            credentials.session_token.as_ref().map(SessionToken::secret),
        ),
        ("Expiration", expiration.as_deref()),
        ("AccountId", credentials.account_id.as_deref()),
    ];
    let mut out = Vec::from(&b"{"[..]);
    for (name, value) in members {
        let Some(value) = value else { continue };
        if out.len() > 1 {
            out.push(b',');
        }
        // Writing strings to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.push(b'}');
    out
}

/// Whether the `Authorization` header a local credential server received
/// equals the token it expects, compared in constant time (only the
/// length may show).
pub fn authorization_matches(expected: &str, got: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    bool::from(expected.as_bytes().ct_eq(got))
}
