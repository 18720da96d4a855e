//! Errors of the cache and of the token provider.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use oidc_core::cache::{CacheFormatError, CachedToken};

/// A file-system problem with the token cache.
///
/// Every variant names the path involved; none carries file contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// No home directory could be found to place `~/.aws/sso/cache` in.
    #[error(
        "cannot find the home directory for the SSO token cache (~/.aws/sso/cache): \
         set {hint}, or pass the cache directory explicitly"
    )]
    NoHomeDirectory {
        /// The environment variables that were consulted, e.g. `HOME`.
        hint: &'static str,
    },
    /// An I/O operation on a cache path failed.
    #[error("cannot {action} {path}: {source}", path = .path.display())]
    Io {
        /// What was being done ("read", "create the directory", "rename", ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Another process held the session lock for longer than the timeout.
    #[error(
        "timed out after {waited:?} waiting for the lock {path}: another process is signing in \
         or refreshing this SSO session; wait for it to finish and try again",
        path = .path.display()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this process waited.
        waited: Duration,
    },
}

impl HostError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        HostError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Why a cache file was ignored (see [`CacheWarning`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheProblem {
    /// The file is empty (for example, a write was cut short by a crash of a
    /// tool that does not write atomically).
    #[error("the file is empty")]
    Empty,
    /// The contents are not a valid cache entry (truncated, not JSON, an HTML
    /// page, a required key missing, ...).
    #[error(transparent)]
    Format(#[from] CacheFormatError),
    /// The file is larger than any cache entry could be.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The size limit in bytes.
        limit: u64,
    },
}

/// A cache file that exists but could not be used; it is treated as absent.
///
/// The file is **not** deleted: it is replaced only when a new good entry is
/// written over it. The same warning is also logged with [`log::warn!`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "ignoring the SSO cache file {path}: {problem}; it is treated as absent and will be \
     replaced at the next sign-in",
    path = .path.display()
)]
#[non_exhaustive]
pub struct CacheWarning {
    /// The file that was ignored.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: CacheProblem,
}

/// The adapter's I/O failure while sending a request, as data.
///
/// The adapters build it from their transport errors (connection refused,
/// reset, TLS failure, timeout, truncated body ...). It is always treated as
/// transient. The message must not contain secrets (the adapters pass the
/// transport's error text, which never includes the request body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if *.is_timeout { "timed out: " } else { "" })]
#[non_exhaustive]
pub struct TransportFailure {
    /// What went wrong, for people.
    pub message: String,
    /// Whether the failure was a timeout.
    pub is_timeout: bool,
}

impl TransportFailure {
    /// A transport failure other than a timeout.
    pub fn new(message: impl Into<String>) -> Self {
        TransportFailure {
            message: message.into(),
            is_timeout: false,
        }
    }

    /// A timeout.
    pub fn timeout(message: impl Into<String>) -> Self {
        TransportFailure {
            message: message.into(),
            is_timeout: true,
        }
    }
}

impl From<&io::Error> for TransportFailure {
    fn from(e: &io::Error) -> Self {
        let is_timeout = matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        );
        TransportFailure {
            message: e.to_string(),
            is_timeout,
        }
    }
}

/// What made a refresh attempt fail (see [`TokenError::RefreshFailed`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// The service answered with an error, or with a body that could not be
    /// parsed.
    #[error(transparent)]
    Service(oidc_core::Error),
    /// The request did not complete.
    #[error("the request did not complete: {0}")]
    Transport(TransportFailure),
}

/// Why the token provider could not hand out a token.
///
/// Use [`still_valid`](Self::still_valid) to keep working with the old
/// token when a refresh failed but the old token has not expired yet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The service says the session is over: the refresh token was revoked
    /// or expired (`InvalidGrantException`, `ExpiredTokenException`), the
    /// client registration is no longer valid (`InvalidClientException`,
    /// `UnauthorizedClientException`), or access was denied
    /// (`AccessDeniedException`). Retrying cannot help; only a new sign-in
    /// can. The cache file is left untouched.
    #[error(
        "the SSO session has ended ({error}){}; run the sign-in again",
        if .still_valid.is_some() { "; the current token stays usable until it expires" } else { "" }
    )]
    SessionEnded {
        /// The service's answer (code, message, request id).
        #[source]
        error: oidc_core::Error,
        /// The old token, when it has not expired yet.
        still_valid: Option<Box<CachedToken>>,
    },
    /// The refresh failed for another reason. When `transient` (HTTP 5xx,
    /// throttling, timeouts, transport failures) a later attempt may
    /// succeed; the old token is kept on disk either way.
    #[error(
        "refreshing the SSO token failed{}: {cause}; {}",
        if *.transient { " (temporary)" } else { "" },
        match (.still_valid.is_some(), *.transient) {
            (true, _) => "the current token stays usable until it expires",
            (false, true) => "the token has expired; try again shortly or run the sign-in again",
            (false, false) => "the token has expired; run the sign-in again",
        }
    )]
    RefreshFailed {
        /// Whether a later attempt may succeed.
        transient: bool,
        /// What failed.
        #[source]
        cause: RefreshFailure,
        /// The old token, when it has not expired yet.
        still_valid: Option<Box<CachedToken>>,
    },
    /// The token has expired and its last refresh attempt was too recent to
    /// try again (see `RefreshPolicy::min_time_between_attempts`).
    #[error(
        "the SSO token has expired and the last refresh attempt was moments ago; \
         try again in {retry_after:?} or run the sign-in again"
    )]
    RefreshThrottled {
        /// How long until the next attempt is allowed.
        retry_after: Duration,
    },
    /// A new token was obtained from the service but could not be written to
    /// the cache. The token is usable for this process; other processes will
    /// not see it.
    #[error("a new SSO token was obtained but could not be saved: {source}")]
    NotSaved {
        /// The new token.
        token: Box<CachedToken>,
        /// Why it could not be written.
        #[source]
        source: HostError,
    },
    /// Reading the cache or taking its lock failed.
    #[error(transparent)]
    Cache(#[from] HostError),
    /// The lock passed to [`TokenProvider::begin`](crate::TokenProvider::begin)
    /// belongs to another session.
    #[error(
        "the lock {got} does not belong to this session (expected {expected})",
        got = .got.display(),
        expected = .expected.display()
    )]
    WrongLock {
        /// The lock file of this provider's session.
        expected: PathBuf,
        /// The lock file that was passed.
        got: PathBuf,
    },
}

impl TokenError {
    /// The old token when a refresh failed but that token has not expired
    /// yet (the caller may keep using it), or the new token that could not
    /// be saved.
    pub fn still_valid(&self) -> Option<&CachedToken> {
        match self {
            TokenError::SessionEnded { still_valid, .. }
            | TokenError::RefreshFailed { still_valid, .. } => still_valid.as_deref(),
            TokenError::NotSaved { token, .. } => Some(token),
            _ => None,
        }
    }

    /// Consumes the error and returns [`still_valid`](Self::still_valid)'s
    /// token.
    pub fn into_still_valid(self) -> Option<CachedToken> {
        match self {
            TokenError::SessionEnded { still_valid, .. }
            | TokenError::RefreshFailed { still_valid, .. } => still_valid.map(|t| *t),
            TokenError::NotSaved { token, .. } => Some(*token),
            _ => None,
        }
    }

    /// True when only a new sign-in can help.
    pub fn is_session_ended(&self) -> bool {
        matches!(self, TokenError::SessionEnded { .. })
    }

    /// True when a later attempt may succeed without user interaction.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TokenError::RefreshFailed {
                transient: true,
                ..
            } | TokenError::RefreshThrottled { .. }
        )
    }
}
