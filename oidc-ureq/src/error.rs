//! The adapter's error type.

use std::time::Duration;

use oidc_core::pkce::RedirectError;
use oidc_core::{DeviceFlowError, Operation};

use oidc_host::BoxError;

/// Every error `oidc-ureq` returns.
///
/// Service errors keep their HTTP status, error code, message and request id
/// (inside [`Error::Core`]); transport errors say whether they were timeouts.
/// No variant ever contains a request or response body, or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error, or its answer could not be
    /// parsed (see [`oidc_core::Error`]).
    #[error(transparent)]
    Core(#[from] oidc_core::Error),
    /// No usable response: the connection failed, was dropped, or timed out
    /// (after the retries the policy allows).
    #[error("{operation}: the request to {url} failed{}: {message}", if *.is_timeout { " (timed out)" } else { "" })]
    Transport {
        /// The operation being sent.
        operation: Operation,
        /// The request URL (endpoint and path; never a secret).
        url: String,
        /// What went wrong, as text.
        message: String,
        /// Whether a connect, read or whole-call timeout fired.
        is_timeout: bool,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The response body was larger than the configured cap; it was not read.
    #[error("{operation}: the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The operation being sent.
        operation: Operation,
        /// The configured cap ([`Config::max_body_bytes`](crate::Config::max_body_bytes)).
        limit: u64,
    },
    /// A request would have gone over plain HTTP to a host that is not a
    /// loopback address, and that was not explicitly allowed.
    #[error("refusing to send a request over plain HTTP to `{url}`: use https, a loopback host, or Config::with_insecure_http(true)")]
    InsecureEndpoint {
        /// The refused URL.
        url: String,
    },
    /// The configuration is invalid (e.g. the endpoint cannot be resolved).
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The caller cancelled the operation through its [`CancelToken`](crate::CancelToken).
    #[error("the operation was cancelled")]
    Cancelled,
    /// The browser did not come back to the loopback listener in time.
    #[error(
        "no authorization redirect arrived within {waited:?}; the pending authorization expired"
    )]
    TimedOut {
        /// How long the listener waited.
        waited: Duration,
    },
    /// The device flow ended without a token (denied, expired, ...).
    #[error(transparent)]
    DeviceFlow(#[from] DeviceFlowError),
    /// The browser redirect did not carry a usable authorization code
    /// (authorization refused, state mismatch, ...).
    #[error("the authorization-code login failed: {0}")]
    Pkce(#[from] RedirectError),
    /// The loopback listener could not be bound or used.
    #[error("the loopback listener failed: {context}: {source}")]
    Listener {
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A request signer passed to [`Client::create_token_with_iam`](crate::Client::create_token_with_iam) failed.
    #[error("cannot sign the {operation} request: {source}")]
    Signing {
        /// The operation being signed.
        operation: Operation,
        /// The signer's error.
        #[source]
        source: BoxError,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
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

impl Error {
    /// Whether this is a transport timeout (connect, read or whole call), or
    /// the loopback listener's deadline.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::Transport {
                is_timeout: true,
                ..
            } | Error::TimedOut { .. }
        )
    }

    /// The core error, when the service answered (or its answer did not
    /// parse).
    pub fn core(&self) -> Option<&oidc_core::Error> {
        match self {
            Error::Core(e) => Some(e),
            Error::DeviceFlow(DeviceFlowError::Failed(e)) => Some(e),
            _ => None,
        }
    }

    /// The service error code, when the service answered with one.
    pub fn code(&self) -> Option<&oidc_core::ErrorCode> {
        match self {
            Error::DeviceFlow(
                DeviceFlowError::Denied(e)
                | DeviceFlowError::InvalidGrant(e)
                | DeviceFlowError::InvalidClient(e),
            ) => Some(&e.code),
            Error::DeviceFlow(DeviceFlowError::Expired { service: Some(e) }) => Some(&e.code),
            _ => self.core().and_then(oidc_core::Error::code),
        }
    }
}
