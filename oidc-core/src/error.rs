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
//! * [`Error::Signing`]: the request could not be signed.
//!
//! No error ever contains a request or response body, or a secret.

use std::fmt;

use crate::endpoint::{EndpointError, Service};
use crate::transport_error::TransportError;
use crate::{portal, sso_oidc, sts};

/// Every error `oidc-core` returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error.
    // The service's answer is this error's content, not its cause: in the
    // message, and no source.
    #[error("{operation} failed: {0}", operation = .0.operation)]
    Service(ServiceError),
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
    Endpoint(EndpointError),
    /// No usable response arrived (connection refused or dropped, timeout,
    /// a body over the size cap). Transports report this, e.g. to
    /// [`Call::handle_transport_error`](crate::call::Call::handle_transport_error);
    /// the core never produces it.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The request could not be signed.
    #[error("cannot sign the {operation} request")]
    Signing {
        /// The operation being signed.
        operation: &'static str,
        /// What is wrong (never a secret).
        #[source]
        cause: crate::sigv4::SigningError,
    },
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(e)
    }
}

impl From<EndpointError> for Error {
    fn from(e: EndpointError) -> Self {
        Error::Endpoint(e)
    }
}

impl Error {
    /// The parse error, when the response did not match the model.
    pub fn parse_error(&self) -> Option<&ParseError> {
        match self {
            Error::Parse(e) => Some(e),
            _ => None,
        }
    }

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

    /// The SSO OIDC error code, when SSO OIDC answered with a modelled one.
    pub fn sso_oidc_code(&self) -> Option<sso_oidc::ErrorCode> {
        self.code().and_then(ErrorCode::sso_oidc)
    }

    /// The HTTP status of the response this error came from, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Parse(e) => Some(e.status),
            Error::Transport(e) => e.status(),
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

    /// The transport's report, when no usable response arrived.
    pub fn transport_error(&self) -> Option<&TransportError> {
        match self {
            Error::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// Whether a transport timeout ended the call.
    pub fn is_timeout(&self) -> bool {
        self.transport_error()
            .is_some_and(TransportError::is_timeout)
    }

    /// Removes every occurrence of `secrets` from the service's text.
    pub(crate) fn scrub_secrets(&mut self, secrets: &[&str]) {
        match self {
            Error::Service(e) => e.scrub_secrets(secrets),
            Error::Signing {
                cause: crate::sigv4::SigningError::Signer(said),
                ..
            } if !secrets.is_empty() => {
                *said = crate::scrub::remove_secrets(std::mem::take(said), secrets);
            }
            _ => {}
        }
    }
}

/// An error code, per service: the modelled codes of each service, plus
/// every code a service may send that its model does not name (kept
/// verbatim in [`ErrorCode::Other`]).
///
/// ```
/// use oidc_core::{sso_oidc, ErrorCode};
///
/// let code = ErrorCode::from(sso_oidc::ErrorCode::SlowDown);
/// assert_eq!(code.as_str(), "SlowDownException");
/// assert_eq!(code, sso_oidc::ErrorCode::SlowDown);
/// assert_eq!(ErrorCode::Other("ThrottlingException".into()).as_str(), "ThrottlingException");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A code of the SSO OIDC model.
    SsoOidc(sso_oidc::ErrorCode),
    /// A code of the SSO portal model.
    Portal(portal::ErrorCode),
    /// A code of the STS model.
    Sts(sts::ErrorCode),
    /// Any other code, verbatim after sanitising (e.g.
    /// `ThrottlingException`, `AccessDenied`), or the HTTP status as text
    /// when the service sent no code.
    Other(String),
}

impl ErrorCode {
    /// Resolves a sanitised wire code for `service`: its modelled code, or
    /// [`ErrorCode::Other`].
    pub fn for_service(service: Service, code: &str) -> ErrorCode {
        let modelled = match service {
            Service::SsoOidc => sso_oidc::ErrorCode::from_shape_name(code).map(ErrorCode::SsoOidc),
            Service::SsoPortal => portal::ErrorCode::from_shape_name(code).map(ErrorCode::Portal),
            Service::Sts => sts::ErrorCode::from_wire(code).map(ErrorCode::Sts),
        };
        modelled.unwrap_or_else(|| ErrorCode::Other(code.to_owned()))
    }

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::SsoOidc(c) => c.as_str(),
            ErrorCode::Portal(c) => c.as_str(),
            ErrorCode::Sts(c) => c.as_str(),
            ErrorCode::Other(s) => s,
        }
    }

    /// The SSO OIDC code, if this is one.
    pub fn sso_oidc(&self) -> Option<sso_oidc::ErrorCode> {
        match self {
            ErrorCode::SsoOidc(c) => Some(*c),
            _ => None,
        }
    }

    /// The SSO portal code, if this is one.
    pub fn portal(&self) -> Option<portal::ErrorCode> {
        match self {
            ErrorCode::Portal(c) => Some(*c),
            _ => None,
        }
    }

    /// The STS code, if this is one.
    pub fn sts(&self) -> Option<sts::ErrorCode> {
        match self {
            ErrorCode::Sts(c) => Some(*c),
            _ => None,
        }
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
    /// // Nothing but white space and control characters after the `#`: no code.
    /// assert_eq!(ErrorCode::sanitize("RegionDisabledException\n\0#\0"), "");
    /// ```
    pub fn sanitize(raw: &str) -> &str {
        let raw = raw.split(':').next().unwrap_or(raw);
        let raw = raw.rsplit('#').next().unwrap_or(raw);
        raw.trim_matches(|c: char| c.is_whitespace() || c.is_control())
    }
}

impl From<sso_oidc::ErrorCode> for ErrorCode {
    fn from(c: sso_oidc::ErrorCode) -> Self {
        ErrorCode::SsoOidc(c)
    }
}

impl From<portal::ErrorCode> for ErrorCode {
    fn from(c: portal::ErrorCode) -> Self {
        ErrorCode::Portal(c)
    }
}

impl From<sts::ErrorCode> for ErrorCode {
    fn from(c: sts::ErrorCode) -> Self {
        ErrorCode::Sts(c)
    }
}

impl PartialEq<sso_oidc::ErrorCode> for ErrorCode {
    fn eq(&self, other: &sso_oidc::ErrorCode) -> bool {
        self.sso_oidc() == Some(*other)
    }
}

impl PartialEq<portal::ErrorCode> for ErrorCode {
    fn eq(&self, other: &portal::ErrorCode) -> bool {
        self.portal() == Some(*other)
    }
}

impl PartialEq<sts::ErrorCode> for ErrorCode {
    fn eq(&self, other: &sts::ErrorCode) -> bool {
        self.sts() == Some(*other)
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
/// The text members (the code when not modelled, the message and every
/// member of the [details](ErrorDetails)) come from the service. A service
/// that echoes a credential back must not put it into logs, so when the
/// response is parsed every credential-like word in them (32 or more
/// characters from the token alphabet `A-Z a-z 0-9 - . _ ~ + / = | :` with
/// at least one letter and one digit, except URLs and ARNs) is replaced with
/// `[redacted]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The operation that failed.
    pub operation: &'static str,
    /// The service that answered.
    pub service: Service,
    /// HTTP status of the response.
    pub status: u16,
    /// The error code.
    pub code: ErrorCode,
    /// The service's message (`error_description`, `message` or the XML
    /// `Message`), when present.
    pub message: Option<String>,
    /// The request id of the response (`x-amzn-RequestId` or the XML
    /// `RequestId`), when present.
    pub request_id: Option<String>,
    /// What the protocol adds to the code and message.
    pub details: ErrorDetails,
}

/// The protocol-specific parts of a [`ServiceError`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorDetails {
    /// Nothing beyond code and message.
    #[default]
    None,
    /// SSO OIDC's OAuth 2.0 members.
    OAuth(OAuthDetails),
    /// The awsQuery (STS) XML error envelope's members.
    Query(QueryDetails),
}

/// The OAuth 2.0 members of an SSO OIDC error body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OAuthDetails {
    /// The OAuth `error` member, when the body had one.
    pub error: Option<String>,
    /// The `reason` member (KMS failure details), when present.
    pub reason: Option<String>,
    /// InvalidRequestRegionException: the endpoint to call instead.
    pub endpoint: Option<String>,
    /// InvalidRequestRegionException: the region to call instead.
    pub region: Option<String>,
}

/// The members of an awsQuery XML error envelope besides code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueryDetails {
    /// `Type`: whose fault it is.
    pub fault: Fault,
}

/// Whose fault an awsQuery error is (`<Type>` of the envelope).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// `Sender`: the request was wrong.
    Sender,
    /// `Receiver`: the service failed.
    Receiver,
    /// Any other value, verbatim; or absent (empty).
    Other(String),
}

impl Fault {
    /// Reads the `<Type>` text.
    pub fn from_wire(s: &str) -> Fault {
        match s.trim() {
            "Sender" => Fault::Sender,
            "Receiver" => Fault::Receiver,
            other => Fault::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
            Fault::Other(s) => s,
        })
    }
}

impl ServiceError {
    /// A service error with only the mandatory parts set.
    pub fn new(
        operation: &'static str,
        service: Service,
        status: u16,
        code: impl Into<ErrorCode>,
    ) -> Self {
        ServiceError {
            operation,
            service,
            status,
            code: code.into(),
            message: None,
            request_id: None,
            details: ErrorDetails::None,
        }
    }

    /// Sets the message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the details.
    #[must_use]
    pub fn with_details(mut self, details: ErrorDetails) -> Self {
        self.details = details;
        self
    }

    /// Removes every occurrence of `secrets` from the service's text (the
    /// code when unmodelled, the message and every detail).
    pub(crate) fn scrub_secrets(&mut self, secrets: &[&str]) {
        if secrets.is_empty() {
            return;
        }
        let clean =
            |text: &mut String| *text = crate::scrub::remove_secrets(std::mem::take(text), secrets);
        if let ErrorCode::Other(code) = &mut self.code {
            clean(code);
        }
        if let Some(message) = &mut self.message {
            clean(message);
        }
        if let ErrorDetails::OAuth(d) = &mut self.details {
            for text in [&mut d.error, &mut d.reason, &mut d.endpoint, &mut d.region]
                .into_iter()
                .flatten()
            {
                clean(text);
            }
        }
    }

    /// The OAuth members, for SSO OIDC errors.
    pub fn oauth(&self) -> Option<&OAuthDetails> {
        match &self.details {
            ErrorDetails::OAuth(d) => Some(d),
            _ => None,
        }
    }

    /// The awsQuery envelope members, for STS errors.
    pub fn query(&self) -> Option<&QueryDetails> {
        match &self.details {
            ErrorDetails::Query(d) => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.status)?;
        let oauth = self.oauth();
        let error = oauth.and_then(|d| d.error.as_deref());
        match (error, &self.message) {
            (Some(e), Some(d)) => write!(f, ": {e}: {d}")?,
            (Some(e), None) => write!(f, ": {e}")?,
            (None, Some(d)) => write!(f, ": {d}")?,
            (None, None) => {}
        }
        if let Some(oauth) = oauth {
            if let Some(reason) = &oauth.reason {
                write!(f, " (reason: {reason})")?;
            }
            match (&oauth.region, &oauth.endpoint) {
                (Some(region), Some(endpoint)) => {
                    write!(f, " (use region {region} at {endpoint})")?
                }
                (Some(region), None) => write!(f, " (use region {region})")?,
                (None, Some(endpoint)) => write!(f, " (use endpoint {endpoint})")?,
                (None, None) => {}
            }
        }
        if let Some(query) = self.query() {
            match &query.fault {
                Fault::Other(s) if s.is_empty() => {}
                fault => write!(f, " ({fault} fault)")?,
            }
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
/// Carries the operation, the HTTP status and the path of the problem (a
/// JSON path, or an XML element path); never the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse the {operation} response (HTTP {status}) at `{path}`: {kind}{}", fmt_request_id(.request_id))]
#[non_exhaustive]
pub struct ParseError {
    /// The operation whose response failed to parse.
    pub operation: &'static str,
    /// HTTP status of the response.
    pub status: u16,
    /// JSON or XML path of the problem (`.` for the whole document; for a missing
    /// required member, the member's path).
    pub path: String,
    /// What is wrong (in the message: it is this error's content, not its
    /// cause).
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
    /// The body ended before the JSON or XML document did.
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
    /// The body is not well-formed XML (for example an HTML error page).
    #[error("the body is not XML (at byte {position}){}", if *.looks_like_html { "; it looks like HTML" } else { "" })]
    NotXml {
        /// Byte offset of the syntax error.
        position: u64,
        /// Whether the body starts like an HTML page.
        looks_like_html: bool,
    },
    /// A JSON or XML value has the wrong type or an invalid value. `detail` names
    /// the expected type, never the value found.
    #[error("wrong shape: {detail}")]
    WrongShape {
        /// What was expected.
        detail: String,
    },
    /// A member (JSON member or XML element) the client needs is absent or null.
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
        operation: &'static str,
        /// The wire name of the member.
        member: &'static str,
    },
    /// A member has an invalid value.
    #[error("{operation}: member `{member}` is invalid: {reason}")]
    Invalid {
        /// The operation being built.
        operation: &'static str,
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
    /// `poll` was called while a request was outstanding (hand its response
    /// or transport error over first).
    #[error(
        "polled while a request was outstanding; hand over its response or transport error first"
    )]
    PolledInFlight,
}
