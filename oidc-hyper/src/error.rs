//! The adapter's error type.

use std::time::Duration;

use oidc_core::pkce::RedirectError;
use oidc_core::{DeviceFlowError, Operation};

use oidc_host::BoxError;

/// Everything that can go wrong in a call or a flow.
///
/// Protocol outcomes (service errors with status, code, message and request
/// id; parse errors) are oidc-core's, unchanged, in [`Error::Core`] and
/// [`Error::DeviceFlow`]; the other variants are the transport's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error, or the answer did not parse, or
    /// the input could not form a request (oidc-core's error).
    #[error(transparent)]
    Core(#[from] oidc_core::Error),
    /// The device flow ended without a token.
    #[error(transparent)]
    DeviceFlow(#[from] DeviceFlowError),
    /// No response: the connection could not be opened or broke.
    #[error("{operation}: {kind} to {target}: {message}")]
    Transport {
        /// The operation being sent.
        operation: Operation,
        /// Where it was sent (`scheme://host:port`).
        target: String,
        /// What failed.
        kind: TransportKind,
        /// The underlying error's message.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A timeout fired.
    #[error("{operation}: {phase} to {target} timed out after {after:?}")]
    Timeout {
        /// The operation being sent.
        operation: Operation,
        /// Where it was sent.
        target: String,
        /// Which timeout fired.
        phase: TimeoutPhase,
        /// The configured limit.
        after: Duration,
    },
    /// The response body is larger than
    /// [`Config::max_body_bytes`](crate::Config::max_body_bytes);
    /// reading stopped at the cap.
    #[error("{operation}: the response body (HTTP {status}) exceeds the limit of {limit} bytes{}", request_id.as_ref().map(|id| format!(" [request id: {id}]")).unwrap_or_default())]
    BodyTooLarge {
        /// The operation being sent.
        operation: Operation,
        /// The response status.
        status: u16,
        /// The configured cap.
        limit: u64,
        /// The response's request id, when sent.
        request_id: Option<String>,
    },
    /// The endpoint is plain `http` to a host that is not loopback and
    /// [`Config::allow_insecure_http`](crate::Config::allow_insecure_http)
    /// is off.
    #[error("refusing to send credentials over plain HTTP to `{url}`; use https (plain http is allowed to loopback only, unless allow_insecure_http is set)")]
    InsecureEndpoint {
        /// The refused URL.
        url: String,
    },
    /// A request signer passed to
    /// [`Client::create_token_with_iam`](crate::Client::create_token_with_iam)
    /// failed.
    #[error("cannot sign the {operation} request: {source}")]
    Signing {
        /// The operation being signed.
        operation: Operation,
        /// The signer's error.
        #[source]
        source: BoxError,
    },
    /// The flow was cancelled with a [`CancelToken`](crate::CancelToken).
    #[error("cancelled")]
    Cancelled,
    /// The browser redirect did not carry a usable authorization code
    /// (authorization refused, state mismatch).
    #[error("the authorization-code login failed: {0}")]
    Pkce(#[from] RedirectError),
    /// No valid redirect reached the loopback listener in time.
    #[error(
        "no authorization redirect arrived within {waited:?}; the pending authorization expired"
    )]
    TimedOut {
        /// How long the listener waited.
        waited: Duration,
    },
    /// The loopback listener failed.
    #[error("the loopback listener failed: {0}")]
    Listener(#[source] std::io::Error),
    /// The [`Config`](crate::Config) is unusable for a reason other than an
    /// unresolvable endpoint ([`Error::Core`]) or the HTTPS rule
    /// ([`Error::InsecureEndpoint`]).
    #[error("invalid configuration: {0}")]
    Config(#[source] oidc_host::ConfigError),
    /// The TLS configuration was rejected.
    #[error("cannot configure TLS: {0}")]
    Tls(String),
    /// The operating system's random number generator failed.
    #[error("cannot draw random bytes: {0}")]
    Random(String),
    /// The token cache (file system) failed.
    #[error(transparent)]
    Host(#[from] oidc_host::HostError),
    /// The token provider failed (session ended, refresh failed, cache error).
    #[error(transparent)]
    Token(#[from] oidc_host::TokenError),
    /// No usable cached token, and the call may not sign in interactively
    /// ([`Client::cached_token`](crate::Client::cached_token)).
    #[error("a sign-in is required: {reason}")]
    LoginRequired {
        /// Why the cached token cannot be used.
        reason: oidc_host::LoginReason,
    },
}

/// What a [`Error::Transport`] failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// Opening the connection (DNS, TCP, TLS).
    Connect,
    /// Sending the request or reading the response (connection reset or
    /// closed early, malformed HTTP).
    Exchange,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "cannot connect",
            TransportKind::Exchange => "the exchange failed",
        })
    }
}

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// [`Config::connect_timeout`](crate::Config::connect_timeout).
    Connect,
    /// [`Config::read_timeout`](crate::Config::read_timeout).
    Read,
    /// [`Config::call_timeout`](crate::Config::call_timeout): the whole
    /// attempt, connect to last body byte.
    Call,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Read => "waiting for the response",
            TimeoutPhase::Call => "the whole exchange",
        })
    }
}

impl Error {
    /// The service error, when the service answered with one (also inside a
    /// device-flow outcome).
    pub fn service_error(&self) -> Option<&oidc_core::ServiceError> {
        match self {
            Error::Core(e) => e.service_error(),
            Error::DeviceFlow(e) => match e {
                DeviceFlowError::Expired { service } => service.as_ref(),
                DeviceFlowError::Denied(s)
                | DeviceFlowError::InvalidGrant(s)
                | DeviceFlowError::InvalidClient(s) => Some(s),
                DeviceFlowError::Failed(e) => e.service_error(),
                _ => None,
            },
            _ => None,
        }
    }

    /// The HTTP status of the response that caused this error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Core(e) => e.status(),
            Error::BodyTooLarge { status, .. } => Some(*status),
            Error::DeviceFlow(DeviceFlowError::Failed(e)) => e.status(),
            _ => self.service_error().map(|e| e.status),
        }
    }

    /// Whether a timeout fired (connect, read, or the PKCE listener's).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::TimedOut { .. })
    }

    /// The core error, when the service answered (or its answer did not
    /// parse).
    pub fn core(&self) -> Option<&oidc_core::Error> {
        match self {
            Error::Core(e) | Error::DeviceFlow(DeviceFlowError::Failed(e)) => Some(e),
            _ => None,
        }
    }

    /// The service error code, when the service answered with one.
    pub fn code(&self) -> Option<&oidc_core::ErrorCode> {
        self.service_error().map(|e| &e.code)
    }
}
