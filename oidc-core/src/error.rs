//! Errors, layered by who is at fault.
//!
//! * [`Error::Service`]: the service answered with an error ([`ServiceError`]).
//! * [`Error::Parse`]: the response does not match the model ([`ParseError`]).
//! * [`Error::InvalidInput`]: the caller's data cannot form a valid request
//!   ([`InvalidInput`]); no request was built.
//! * [`Error::Misuse`]: a state machine was driven wrongly ([`Misuse`]).
//! * [`Error::Endpoint`]: the endpoint configuration is invalid.
//! * [`Error::Transport`]: no usable response arrived; reported by a
//!   transport ([`TransportError`]), never produced by the core itself.
//!
//! No error ever contains a request or response body, or a secret.

use std::fmt;

use crate::endpoint::EndpointError;
use crate::operation::Operation;

/// Every error `oidc-core` returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error.
    #[error("{operation} failed: {0}", operation = .0.operation)]
    Service(#[source] ServiceError),
    /// The response could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The input cannot form a valid request.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// A state machine was driven in an order its contract forbids.
    #[error(transparent)]
    Misuse(#[from] Misuse),
    /// The endpoint could not be resolved.
    #[error("cannot resolve the endpoint: {0}")]
    Endpoint(#[from] EndpointError),
    /// No usable response arrived (connection refused or dropped, timeout).
    /// Transports report this, e.g. to
    /// [`DeviceFlow::handle_transport_error`](crate::DeviceFlow::handle_transport_error);
    /// the core never produces it.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// A transport's report that a request got no usable response.
///
/// ```
/// use oidc_core::{Error, Operation, TransportError};
/// use oidc_core::retry::{classify, RetryClass};
///
/// let e = Error::from(TransportError::timeout(Operation::CreateToken, "read timed out after 30 s"));
/// assert_eq!(classify(&e), RetryClass::Timeout);
/// assert_eq!(e.to_string(), "CreateToken: no response (timed out): read timed out after 30 s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: no response{}: {message}", if *.timeout { " (timed out)" } else { "" })]
#[non_exhaustive]
pub struct TransportError {
    /// The operation whose request failed.
    pub operation: Operation,
    /// What went wrong, as the transport describes it (never a secret).
    pub message: String,
    /// Whether a connect, read or whole-call timeout fired.
    pub timeout: bool,
}

impl TransportError {
    /// A failure other than a timeout (refused, reset, dropped).
    pub fn new(operation: Operation, message: impl Into<String>) -> Self {
        TransportError {
            operation,
            message: message.into(),
            timeout: false,
        }
    }

    /// A timeout.
    pub fn timeout(operation: Operation, message: impl Into<String>) -> Self {
        TransportError {
            operation,
            message: message.into(),
            timeout: true,
        }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(e)
    }
}

impl Error {
    /// The service error, when the service answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The service error code, when the service answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.service_error().map(|e| &e.code)
    }

    /// The HTTP status of the response this error came from, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Parse(e) => Some(e.status),
            _ => None,
        }
    }

    /// The request id the service sent (`x-amzn-RequestId`), if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Parse(e) => e.request_id.as_deref(),
            _ => None,
        }
    }
}

/// The modelled error codes of SSO OIDC, plus every code the service may
/// send that the model does not name (kept verbatim in [`ErrorCode::Other`]).
///
/// Two codes are equal when their [`as_str`](ErrorCode::as_str) is equal, so
/// `ErrorCode::Other("SlowDownException".into()) == ErrorCode::SlowDown`
/// (parsing never builds such an `Other`, but callers may).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `AccessDeniedException` (`access_denied`): the user denied the
    /// request, or KMS denied access (see `reason`).
    AccessDenied,
    /// `AuthorizationPendingException` (`authorization_pending`): the user
    /// has not approved the device yet.
    AuthorizationPending,
    /// `ExpiredTokenException` (`expired_token`): the device code, code or
    /// token has expired.
    ExpiredToken,
    /// `InternalServerException` (`server_error`, HTTP 500).
    InternalServer,
    /// `InvalidClientException` (`invalid_client`, HTTP 401): the client
    /// registration is unknown or expired.
    InvalidClient,
    /// `InvalidClientMetadataException` (`invalid_client_metadata`).
    InvalidClientMetadata,
    /// `InvalidGrantException` (`invalid_grant`).
    InvalidGrant,
    /// `InvalidRedirectUriException` (`invalid_redirect_uri`).
    InvalidRedirectUri,
    /// `InvalidRequestException` (`invalid_request`).
    InvalidRequest,
    /// `InvalidRequestRegionException` (`invalid_request`, with `endpoint`
    /// and `region` naming where to call instead).
    InvalidRequestRegion,
    /// `InvalidScopeException` (`invalid_scope`).
    InvalidScope,
    /// `SlowDownException` (`slow_down`): polling too fast.
    SlowDown,
    /// `UnauthorizedClientException` (`unauthorized_client`).
    UnauthorizedClient,
    /// `UnsupportedGrantTypeException` (`unsupported_grant_type`).
    UnsupportedGrantType,
    /// Any other code, verbatim after sanitising (e.g. `ThrottlingException`,
    /// or the HTTP status as text when the service sent no code).
    Other(String),
}

const MODELLED: [(ErrorCode, &str, &str); 14] = [
    (
        ErrorCode::AccessDenied,
        "AccessDeniedException",
        "access_denied",
    ),
    (
        ErrorCode::AuthorizationPending,
        "AuthorizationPendingException",
        "authorization_pending",
    ),
    (
        ErrorCode::ExpiredToken,
        "ExpiredTokenException",
        "expired_token",
    ),
    (
        ErrorCode::InternalServer,
        "InternalServerException",
        "server_error",
    ),
    (
        ErrorCode::InvalidClient,
        "InvalidClientException",
        "invalid_client",
    ),
    (
        ErrorCode::InvalidClientMetadata,
        "InvalidClientMetadataException",
        "invalid_client_metadata",
    ),
    (
        ErrorCode::InvalidGrant,
        "InvalidGrantException",
        "invalid_grant",
    ),
    (
        ErrorCode::InvalidRedirectUri,
        "InvalidRedirectUriException",
        "invalid_redirect_uri",
    ),
    (
        ErrorCode::InvalidRequest,
        "InvalidRequestException",
        "invalid_request",
    ),
    (
        ErrorCode::InvalidRequestRegion,
        "InvalidRequestRegionException",
        "invalid_request",
    ),
    (
        ErrorCode::InvalidScope,
        "InvalidScopeException",
        "invalid_scope",
    ),
    (ErrorCode::SlowDown, "SlowDownException", "slow_down"),
    (
        ErrorCode::UnauthorizedClient,
        "UnauthorizedClientException",
        "unauthorized_client",
    ),
    (
        ErrorCode::UnsupportedGrantType,
        "UnsupportedGrantTypeException",
        "unsupported_grant_type",
    ),
];

impl ErrorCode {
    /// Every modelled code (not [`ErrorCode::Other`]).
    pub fn modelled() -> impl Iterator<Item = ErrorCode> {
        MODELLED.iter().map(|(c, _, _)| c.clone())
    }

    /// The wire name: the model's shape name for modelled codes, the
    /// verbatim code otherwise.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::AuthorizationPending => "AuthorizationPendingException",
            ErrorCode::ExpiredToken => "ExpiredTokenException",
            ErrorCode::InternalServer => "InternalServerException",
            ErrorCode::InvalidClient => "InvalidClientException",
            ErrorCode::InvalidClientMetadata => "InvalidClientMetadataException",
            ErrorCode::InvalidGrant => "InvalidGrantException",
            ErrorCode::InvalidRedirectUri => "InvalidRedirectUriException",
            ErrorCode::InvalidRequest => "InvalidRequestException",
            ErrorCode::InvalidRequestRegion => "InvalidRequestRegionException",
            ErrorCode::InvalidScope => "InvalidScopeException",
            ErrorCode::SlowDown => "SlowDownException",
            ErrorCode::UnauthorizedClient => "UnauthorizedClientException",
            ErrorCode::UnsupportedGrantType => "UnsupportedGrantTypeException",
            ErrorCode::Other(s) => s,
        }
    }

    /// The OAuth 2.0 `error` value the model promises for this code.
    pub fn oauth_error(&self) -> Option<&'static str> {
        MODELLED
            .iter()
            .find(|(c, _, _)| c == self)
            .map(|(_, _, oauth)| *oauth)
    }

    /// Maps a sanitised wire code (a shape name) to a code. Unknown codes are
    /// kept verbatim.
    pub fn from_shape_name(name: &str) -> ErrorCode {
        MODELLED
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(c, _, _)| c.clone())
            .unwrap_or_else(|| ErrorCode::Other(name.to_owned()))
    }

    /// Maps an OAuth `error` value to a code (the fallback used when the
    /// service sent no shape name). `invalid_request` is ambiguous; pass
    /// `has_region_members` to pick `InvalidRequestRegion`.
    pub fn from_oauth_error(error: &str, has_region_members: bool) -> Option<ErrorCode> {
        if error == "invalid_request" {
            return Some(if has_region_members {
                ErrorCode::InvalidRequestRegion
            } else {
                ErrorCode::InvalidRequest
            });
        }
        MODELLED
            .iter()
            .find(|(_, _, oauth)| *oauth == error)
            .map(|(c, _, _)| c.clone())
    }

    /// Cuts a raw wire code to its shape name: everything from the first `:`
    /// is dropped, then only what follows a `#` is kept.
    ///
    /// ```
    /// use oidc_core::ErrorCode;
    /// assert_eq!(
    ///     ErrorCode::sanitize("AuthorizationPendingException:http://internal.amazon.com/coral/x/"),
    ///     "AuthorizationPendingException"
    /// );
    /// assert_eq!(ErrorCode::sanitize("com.amazonaws.ssooidc#SlowDownException"), "SlowDownException");
    /// ```
    pub fn sanitize(raw: &str) -> &str {
        let raw = raw.split(':').next().unwrap_or(raw);
        let raw = raw.rsplit('#').next().unwrap_or(raw);
        raw.trim()
    }
}

impl PartialEq for ErrorCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ErrorCode {}

impl std::hash::Hash for ErrorCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error the service sent.
///
/// `Display` includes the code, the message and the request id.
///
/// The text members (`code` when not modelled, `error`, `description`,
/// `reason`, `endpoint`, `region`) come from the service. A service that echoes a credential
/// back must not put it into logs, so when the response is parsed every
/// credential-like word in them (32 or more characters from the token
/// alphabet `A-Z a-z 0-9 - . _ ~ + / = | :` with at least one letter and
/// one digit, except URLs and ARNs) is replaced with `[redacted]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The operation that failed.
    pub operation: Operation,
    /// HTTP status of the response.
    pub status: u16,
    /// The error code.
    pub code: ErrorCode,
    /// The OAuth `error` member, when the body had one.
    pub error: Option<String>,
    /// The `error_description` member (or a generic `message`), when present.
    pub description: Option<String>,
    /// The `reason` member (KMS failure details), when present.
    pub reason: Option<String>,
    /// `x-amzn-RequestId` of the response, when present.
    pub request_id: Option<String>,
    /// InvalidRequestRegionException: the endpoint to call instead.
    pub endpoint: Option<String>,
    /// InvalidRequestRegionException: the region to call instead.
    pub region: Option<String>,
}

impl ServiceError {
    /// A service error with only the mandatory parts set.
    pub fn new(operation: Operation, status: u16, code: ErrorCode) -> Self {
        ServiceError {
            operation,
            status,
            code,
            error: None,
            description: None,
            reason: None,
            request_id: None,
            endpoint: None,
            region: None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.status)?;
        match (&self.error, &self.description) {
            (Some(e), Some(d)) => write!(f, ": {e}: {d}")?,
            (Some(e), None) => write!(f, ": {e}")?,
            (None, Some(d)) => write!(f, ": {d}")?,
            (None, None) => {}
        }
        if let Some(reason) = &self.reason {
            write!(f, " (reason: {reason})")?;
        }
        match (&self.region, &self.endpoint) {
            (Some(region), Some(endpoint)) => write!(f, " (use region {region} at {endpoint})")?,
            (Some(region), None) => write!(f, " (use region {region})")?,
            (None, Some(endpoint)) => write!(f, " (use endpoint {endpoint})")?,
            (None, None) => {}
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id: {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// A response body that does not match the model.
///
/// Carries the operation, the HTTP status and the JSON path of the problem;
/// never the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse the {operation} response (HTTP {status}) at `{path}`: {kind}{}", fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct ParseError {
    /// The operation whose response failed to parse.
    pub operation: Operation,
    /// HTTP status of the response.
    pub status: u16,
    /// JSON path of the problem (`.` for the whole document; for a missing
    /// required member, the member's path).
    pub path: String,
    /// What is wrong.
    #[source]
    pub kind: ParseErrorKind,
    /// `x-amzn-RequestId` of the response, when present.
    pub request_id: Option<String>,
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" [request id: {id}]"))
        .unwrap_or_default()
}

/// What is wrong with a response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The body is empty.
    #[error("the body is empty")]
    EmptyBody,
    /// The body ended before the JSON document did.
    #[error("the body is truncated (line {line}, column {column})")]
    Truncated {
        /// Line where input ended.
        line: usize,
        /// Column where input ended.
        column: usize,
    },
    /// The body is not JSON (for example an HTML error page).
    #[error("the body is not JSON (line {line}, column {column}){}", if *.looks_like_html { "; it looks like HTML" } else { "" })]
    NotJson {
        /// Line of the syntax error.
        line: usize,
        /// Column of the syntax error.
        column: usize,
        /// Whether the body starts like an HTML page.
        looks_like_html: bool,
    },
    /// A JSON value has the wrong type or an invalid value. `detail` names
    /// the expected type, never the value found.
    #[error("wrong shape: {detail}")]
    WrongShape {
        /// What was expected.
        detail: String,
    },
    /// A member the client needs is absent or null.
    #[error("required member `{member}` is missing")]
    MissingMember {
        /// The JSON member name.
        member: &'static str,
    },
    /// A member has a value outside its allowed range.
    #[error("member `{member}` is out of range: {detail}")]
    OutOfRange {
        /// The JSON member name.
        member: &'static str,
        /// What range was expected.
        detail: &'static str,
    },
}

/// Caller data that cannot form a valid request. Names the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// A required member is empty.
    #[error("{operation}: required member `{member}` is empty")]
    Empty {
        /// The operation being built.
        operation: Operation,
        /// The wire name of the member.
        member: &'static str,
    },
    /// A member has an invalid value.
    #[error("{operation}: member `{member}` is invalid: {reason}")]
    Invalid {
        /// The operation being built.
        operation: Operation,
        /// The wire name of the member.
        member: &'static str,
        /// Why (never contains a secret).
        reason: String,
    },
}

/// A state machine was driven in an order its contract forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misuse {
    /// `handle_response` was called while no request was outstanding
    /// (call `poll` and send the request it returns first).
    #[error("a response was handled while no request was outstanding; call poll() and send its request first")]
    UnexpectedResponse,
    /// The flow already finished; its outcome was returned by `poll`.
    #[error("the flow has already finished")]
    AlreadyFinished,
}
