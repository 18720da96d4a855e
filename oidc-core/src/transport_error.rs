//! The one type every transport uses to say "no usable response arrived".

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A transport's report that a request got no usable response.
///
/// Both adapters (and any transport a caller writes) build it from their
/// HTTP library's error, keeping that error as the [`source`](std::error::Error::source).
/// How it is retried is decided once, by [`crate::retry::classify`], from
/// its [`kind`](TransportError::kind).
///
/// ```
/// use std::time::Duration;
/// use oidc_core::{Error, TimeoutPhase, TransportError};
/// use oidc_core::retry::{classify, RetryClass};
///
/// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out");
/// let e = TransportError::timeout("CreateToken", TimeoutPhase::Read, Duration::from_secs(30))
///     .with_source(io);
/// assert_eq!(e.to_string(), "CreateToken: no response: timed out waiting for the response after 30s");
/// assert!(std::error::Error::source(&e).is_some());
/// assert_eq!(classify(&Error::from(e)), RetryClass::Timeout);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TransportError {
    /// The operation whose request failed.
    pub operation: &'static str,
    /// What failed.
    pub kind: TransportErrorKind,
    /// Where the request went (`scheme://host:port`), when known.
    pub target: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What a [`TransportError`] failed at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be opened (DNS, TCP refused or unreachable).
    Connect,
    /// TLS failed (certificate, handshake): retrying does not help.
    Tls,
    /// The connection broke while sending or receiving (reset, closed
    /// early, malformed HTTP).
    Exchange,
    /// A timeout fired.
    Timeout {
        /// Which one.
        phase: TimeoutPhase,
        /// The configured limit.
        after: Duration,
    },
    /// The response body is larger than the configured cap; reading stopped.
    BodyTooLarge {
        /// The response status.
        status: u16,
        /// The cap in bytes.
        limit: u64,
    },
    /// The request was refused before sending: it would have gone over
    /// plain HTTP to a host that is not loopback.
    InsecureEndpoint {
        /// The refused URL.
        url: String,
    },
    /// The call was cancelled by the caller.
    Cancelled,
}

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection (DNS, TCP, TLS).
    Connect,
    /// Waiting for (part of) the response.
    Read,
    /// The whole attempt, connect to last body byte.
    Call,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Read => "waiting for the response",
            TimeoutPhase::Call => "for the whole exchange",
        })
    }
}

impl TransportError {
    /// A failure of `kind` for `operation`.
    pub fn new(operation: &'static str, kind: TransportErrorKind) -> Self {
        TransportError {
            operation,
            kind,
            target: None,
            source: None,
        }
    }

    /// A timeout.
    pub fn timeout(operation: &'static str, phase: TimeoutPhase, after: Duration) -> Self {
        TransportError::new(operation, TransportErrorKind::Timeout { phase, after })
    }

    /// Keeps the HTTP library's error as the source.
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// Sets where the request went.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Whether a timeout fired.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, TransportErrorKind::Timeout { .. })
    }

    /// The response status, for a body over the cap.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            TransportErrorKind::BodyTooLarge { status, .. } => Some(status),
            _ => None,
        }
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("operation", &self.operation)
            .field("kind", &self.kind)
            .field("target", &self.target)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        match &self.kind {
            TransportErrorKind::Connect => f.write_str("cannot connect")?,
            TransportErrorKind::Tls => f.write_str("TLS failed")?,
            TransportErrorKind::Exchange => f.write_str("the connection failed")?,
            TransportErrorKind::Timeout { phase, after } => {
                write!(f, "no response: timed out {phase} after {after:?}")?
            }
            TransportErrorKind::BodyTooLarge { status, limit } => write!(
                f,
                "the response body (HTTP {status}) exceeds the limit of {limit} bytes"
            )?,
            TransportErrorKind::InsecureEndpoint { url } => write!(
                f,
                "refusing to send over plain HTTP to `{url}` (use https; plain http is allowed to loopback only)"
            )?,
            TransportErrorKind::Cancelled => f.write_str("cancelled")?,
        }
        if let Some(target) = &self.target {
            write!(f, " ({target})")?;
        }
        // The source's own words follow only when they add something; a
        // caller walking `source()` sees the whole error either way.
        if let (
            TransportErrorKind::Connect | TransportErrorKind::Tls | TransportErrorKind::Exchange,
            Some(source),
        ) = (&self.kind, &self.source)
        {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for TransportError {
    /// Equal when operation, kind and target are; the source is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.operation == other.operation && self.kind == other.kind && self.target == other.target
    }
}
