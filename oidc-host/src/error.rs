//! Errors of the cache and of the token provider.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use oidc_core::cache::{CacheFormatError, CachedToken};
use oidc_core::pkce::RedirectError;
use oidc_core::DeviceFlowError;

use crate::config::ConfigError;
use crate::token::provider::LoginReason;

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
    #[error("cannot {action} {path}", path = .path.display())]
    Io {
        /// What was being done ("read", "create the directory", "rename", ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A cache path is not what it must be (a symbolic link, FIFO or
    /// device instead of a regular file; a directory writable by others
    /// or owned by another user): refused rather than read or written.
    #[error("refusing to use {path}: {reason}", path = .path.display())]
    Unsafe {
        /// The path refused.
        path: PathBuf,
        /// Why.
        reason: &'static str,
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
        "the SSO session has ended{}; run the sign-in again",
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
        "refreshing the SSO token failed{}; {}",
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
        /// What failed: the service's error, an unparsable answer, or no
        /// answer at all ([`oidc_core::Error::Transport`]).
        #[source]
        cause: oidc_core::Error,
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
    #[error("a new SSO token was obtained but could not be saved")]
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
    /// The session lock held for a cache read belongs to another session.
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

/// Every error of the adapters (`oidc_ureq::Error` and `oidc_hyper::Error`
/// are this type): one shape, whatever the transport.
///
/// Service errors keep their status, code, message and request id, and
/// transport failures their source, inside [`Error::Core`]. No variant
/// ever contains a request or response body, or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error, its answer could not be parsed,
    /// no usable answer arrived, or the input could not form a request
    /// (see [`oidc_core::Error`]).
    #[error(transparent)]
    Core(#[from] oidc_core::Error),
    /// The device flow ended without a token (denied, expired, ...).
    #[error(transparent)]
    DeviceFlow(#[from] DeviceFlowError),
    /// The browser's redirect said the authorization failed.
    #[error("the browser sign-in failed")]
    Redirect(#[from] RedirectError),
    /// The token cache: session ended, refresh failed, cache unreadable.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// No usable cached token, and the call may not sign in interactively.
    #[error("a sign-in is required: {reason}")]
    LoginRequired {
        /// Why the cached token cannot be used.
        reason: LoginReason,
    },
    /// The configuration is unusable.
    #[error("invalid configuration")]
    Config(#[from] ConfigError),
    /// A local resource failed: the loopback listener, the system random
    /// number generator, a blocking-task runner.
    #[error("{context}")]
    Local {
        /// What was being done.
        context: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A credentials source outside the AWS services failed: a
    /// `credential_process` command, a web identity token file, the
    /// container endpoint, the instance metadata service, an MFA prompt.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A profile does not resolve to a credentials source.
    #[error(transparent)]
    Profile(#[from] crate::profile::ResolveError),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The run's deadline passed before it ended.
    #[error("the deadline passed before the work was done")]
    DeadlineExceeded,
    /// No browser redirect arrived in time: the authorization-code sign-in
    /// was abandoned.
    #[error(
        "no browser redirect arrived within {} s; the sign-in was abandoned",
        waited.as_secs()
    )]
    RedirectTimedOut {
        /// How long was waited.
        waited: Duration,
    },
    /// The console federation endpoint refused or garbled the sign-in
    /// token, or its request could not be formed.
    #[error(transparent)]
    Federation(#[from] oidc_core::federation::FederationError),
}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        Error::Token(TokenError::Cache(e))
    }
}

impl Error {
    /// The core error, when the service answered (or its answer did not
    /// parse, or no answer arrived).
    pub fn core(&self) -> Option<&oidc_core::Error> {
        match self {
            Error::Core(e) | Error::DeviceFlow(DeviceFlowError::Failed(e)) => Some(e),
            Error::Token(TokenError::SessionEnded { error, .. }) => Some(error),
            Error::Token(TokenError::RefreshFailed { cause, .. }) => Some(cause),
            _ => None,
        }
    }

    /// The service error, when the service answered with one.
    pub fn service_error(&self) -> Option<&oidc_core::ServiceError> {
        match self {
            Error::DeviceFlow(
                DeviceFlowError::Denied(e)
                | DeviceFlowError::InvalidGrant(e)
                | DeviceFlowError::InvalidClient(e),
            ) => Some(e),
            Error::DeviceFlow(DeviceFlowError::Expired { service }) => service.as_ref(),
            _ => self.core().and_then(oidc_core::Error::service_error),
        }
    }

    /// The service error code, when the service answered with one.
    pub fn code(&self) -> Option<&oidc_core::ErrorCode> {
        self.service_error().map(|e| &e.code)
    }

    /// The HTTP status of the response behind this error, if any.
    pub fn status(&self) -> Option<u16> {
        self.service_error()
            .map(|e| e.status)
            .or_else(|| self.core().and_then(oidc_core::Error::status))
    }

    /// The transport's report, when no usable response arrived.
    pub fn transport_error(&self) -> Option<&oidc_core::TransportError> {
        self.core().and_then(oidc_core::Error::transport_error)
    }

    /// Whether a transport timeout, or a deadline, ended the call.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::RedirectTimedOut { .. } | Error::DeadlineExceeded
        ) || self.core().is_some_and(oidc_core::Error::is_timeout)
    }

    /// Whether the caller cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }
}

/// Why a credentials source outside the AWS services gave no credentials.
/// Names commands, files and members, never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The `credential_process` command line does not split.
    #[error("the credential_process command line cannot be used")]
    ProcessCommandLine(#[source] oidc_core::credential_process::CommandLineError),
    /// The command could not be started.
    #[error("the credential_process command `{program}` could not be started")]
    ProcessSpawn {
        /// The program (first word of the command line).
        program: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The command exited unsuccessfully (its stderr went to this
    /// process's stderr).
    #[error("the credential_process command `{program}` failed ({status})")]
    ProcessFailed {
        /// The program.
        program: String,
        /// How it ended (`exit status: 1`, `signal: 9` ...).
        status: String,
    },
    /// The command ran longer than allowed and was killed.
    #[error("the credential_process command `{program}` did not finish within {} s and was stopped", after.as_secs())]
    ProcessTimedOut {
        /// The program.
        program: String,
        /// The time allowed.
        after: Duration,
    },
    /// The command printed more than the credential_process JSON can be.
    #[error("the credential_process command `{program}` printed more than {limit} bytes")]
    ProcessOutputTooLarge {
        /// The program.
        program: String,
        /// The bound.
        limit: usize,
    },
    /// The command's output is not usable credential_process JSON.
    #[error("the output of the credential_process command `{program}` is not usable: {cause}")]
    ProcessOutput {
        /// The program.
        program: String,
        /// What is wrong.
        cause: oidc_core::credential_process::ProcessOutputError,
    },
    /// The web identity token file cannot be read.
    #[error("the web identity token file {} cannot be read", path.display())]
    WebIdentityToken {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The container credentials endpoint or its answer is not usable.
    #[error("the container credentials failed: {0}")]
    Container(oidc_core::container::ContainerError),
    /// Neither `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` nor
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is set.
    #[error(
        "no container credentials endpoint is configured (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
         or AWS_CONTAINER_CREDENTIALS_FULL_URI)"
    )]
    ContainerNotConfigured,
    /// The container authorization token file cannot be read.
    #[error("the container authorization token file {} cannot be read", path.display())]
    ContainerToken {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The instance metadata service gave no credentials.
    #[error("the instance metadata service gave no credentials: {0}")]
    InstanceMetadata(oidc_core::imds::ImdsError),
    /// Asking for the MFA code failed (no terminal, end of input ...).
    #[error("the MFA code could not be read")]
    MfaPrompt(#[source] io::Error),
    /// The role needs an MFA code and no prompt was configured.
    #[error("the role needs an MFA code from {serial} and there is no way to ask for it")]
    MfaUnavailable {
        /// The MFA device.
        serial: String,
    },
}
