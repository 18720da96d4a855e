//! One classification of transport failures for every adapter.

use std::io;

use oidc_core::{http, step, TimeoutPhase, TransportError, TransportErrorKind};

use crate::config::Config;
use crate::BoxError;

/// Where in an attempt an I/O error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoStage {
    /// Resolving the host name, connecting, the TLS handshake: nothing of
    /// the request was sent.
    Connect,
    /// Writing the request or reading the response.
    Exchange,
}

/// Why an attempt got no usable response, before it is tied to its
/// request: an adapter builds one where the failure happens and turns it
/// into the core's [`TransportError`] with [`into_error`](Self::into_error),
/// which names the request's operation and target.
///
/// ```
/// use std::io;
/// use oidc_host::adapter::{Failure, IoStage};
/// use oidc_host::oidc_core::TransportErrorKind;
/// use oidc_host::Config;
///
/// let config = Config::for_region("eu-west-1");
/// // A failed name lookup is a connect failure, whatever the OS calls it.
/// let dns = io::Error::other("failed to lookup address information");
/// let failure = Failure::io(&config, IoStage::Connect, dns);
/// assert_eq!(failure.kind(), &TransportErrorKind::Connect);
/// ```
#[derive(Debug)]
pub struct Failure {
    kind: TransportErrorKind,
    source: Option<BoxError>,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: TransportErrorKind) -> Failure {
        Failure { kind, source: None }
    }

    /// A timeout of `phase` after the configured time for that phase.
    pub fn timeout(config: &Config, phase: TimeoutPhase) -> Failure {
        let after = match phase {
            TimeoutPhase::Connect => config.connect_timeout,
            TimeoutPhase::Read => config.read_timeout,
            _ => config.call_timeout,
        };
        Failure::new(TransportErrorKind::Timeout { phase, after })
    }

    /// An I/O error at `stage`, classified by the one rule of every
    /// adapter: invalid data (how rustls reports a failed handshake or
    /// certificate) is a TLS failure; a timeout is a timeout of the stage;
    /// anything else before the request was sent, or a refused, unreachable
    /// or unknown peer, is a connect failure; the rest is an exchange
    /// failure.
    pub fn io(config: &Config, stage: IoStage, error: io::Error) -> Failure {
        let kind = match (error.kind(), stage) {
            (io::ErrorKind::InvalidData, _) => TransportErrorKind::Tls,
            (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, IoStage::Connect) => {
                return Failure::timeout(config, TimeoutPhase::Connect).with_source(error)
            }
            (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, IoStage::Exchange) => {
                return Failure::timeout(config, TimeoutPhase::Read).with_source(error)
            }
            (_, IoStage::Connect)
            | (
                io::ErrorKind::ConnectionRefused
                | io::ErrorKind::NotFound
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable,
                IoStage::Exchange,
            ) => TransportErrorKind::Connect,
            _ => TransportErrorKind::Exchange,
        };
        Failure::new(kind).with_source(error)
    }

    /// Keeps `source` as the cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Failure {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> &TransportErrorKind {
        &self.kind
    }

    /// The core's error for this failure of `request`: named after its
    /// operation, with its `scheme://host:port`.
    pub fn into_error<B>(self, request: &http::Request<B>) -> TransportError {
        self.into_error_of(step::operation_name(request), request.uri())
    }

    /// [`into_error`](Self::into_error) when the request itself has been
    /// handed on: its operation ([`step::operation_name`]) and URI.
    pub fn into_error_of(self, operation: &'static str, uri: &http::Uri) -> TransportError {
        let error = TransportError::new(operation, self.kind).with_target(target_of(uri));
        match self.source {
            Some(source) => error.with_source(source),
            None => error,
        }
    }
}

/// `scheme://host:port` of a request, for error messages.
fn target_of(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    match uri.authority() {
        Some(a) => format!("{scheme}://{a}"),
        None => scheme.to_owned(),
    }
}
