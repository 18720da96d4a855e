//! The cache directory: where it is, and reading and writing its entries.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use oidc_core::cache::{
    registration_cache_file_name, token_cache_file_name, CacheFormatError, CachedRegistration,
    CachedToken,
};

use crate::error::{CacheProblem, CacheWarning, HostError};
use crate::fs;
use crate::token::lock::SessionLock;

/// Which platform's home-directory rules to apply (see
/// [`CacheDir::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// Unix-like systems: `HOME`.
    Unix,
    /// Windows: `USERPROFILE`, then `HOMEDRIVE` + `HOMEPATH`.
    Windows,
}

impl Platform {
    /// The platform this program was compiled for.
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }
}

/// The directory holding the SSO token cache, `~/.aws/sso/cache` by
/// default: the same directory the AWS CLI v2, botocore and aws-sdk-rust
/// use, with the same file names and JSON.
///
/// All entries are read leniently and written atomically, `0600` on Unix,
/// in a directory created `0700`. Reads never fail because of a file's
/// *contents*: a corrupt entry is reported as absent with a
/// [`CacheWarning`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheDir {
    path: PathBuf,
}

impl CacheDir {
    /// A cache in `path` (created on the first write if missing).
    pub fn new(path: impl Into<PathBuf>) -> CacheDir {
        CacheDir { path: path.into() }
    }

    /// The AWS CLI's cache directory for the current user, from the process
    /// environment; see [`resolve`](Self::resolve) for the rules.
    pub fn from_env() -> Result<CacheDir, HostError> {
        let platform = Platform::current();
        // Only consulted when the variables are unset: then it is the
        // account's home directory from the OS (the password database on
        // Unix), as Python's `expanduser` falls back to.
        let os_home = std::env::home_dir();
        CacheDir::resolve(|name| std::env::var_os(name), platform, os_home)
    }

    /// Computes the AWS CLI's cache directory from environment values,
    /// without reading the process environment (so tests need not change
    /// it).
    ///
    /// The AWS CLI v2 and botocore locate the cache with Python's
    /// `os.path.expanduser("~/.aws/sso/cache")`; no environment variable
    /// names the cache directory itself (`AWS_CONFIG_FILE` and
    /// `AWS_SHARED_CREDENTIALS_FILE` move only those files). The home
    /// directory therefore comes from:
    ///
    /// * Unix: `HOME`, else the account's home directory (`os_home`);
    /// * Windows: `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH`, else
    ///   `os_home`. `HOME` is ignored on Windows, as Python ≥ 3.8 ignores it
    ///   (aws-sdk-rust would consult it first).
    ///
    /// Empty values count as unset. `lookup` returns a variable's value.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use oidc_host::{CacheDir, Platform};
    ///
    /// let dir = CacheDir::resolve(
    ///     |name| (name == "HOME").then(|| "/home/ana".into()),
    ///     Platform::Unix,
    ///     None,
    /// )?;
    /// assert_eq!(dir.path(), PathBuf::from("/home/ana/.aws/sso/cache"));
    /// # Ok::<(), oidc_host::HostError>(())
    /// ```
    pub fn resolve(
        lookup: impl Fn(&str) -> Option<OsString>,
        platform: Platform,
        os_home: Option<PathBuf>,
    ) -> Result<CacheDir, HostError> {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let home = match platform {
            Platform::Unix => var("HOME").map(PathBuf::from),
            Platform::Windows => var("USERPROFILE").map(PathBuf::from).or_else(|| {
                let path = var("HOMEPATH")?;
                let mut home = var("HOMEDRIVE").unwrap_or_default();
                home.push(path);
                Some(PathBuf::from(home))
            }),
        };
        let home = home
            .or(os_home.filter(|p| !p.as_os_str().is_empty()))
            .ok_or(HostError::NoHomeDirectory {
                hint: match platform {
                    Platform::Unix => "HOME",
                    Platform::Windows => "USERPROFILE",
                },
            })?;
        Ok(CacheDir::new(home.join(".aws").join("sso").join("cache")))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The token file of a session: `<dir>/<sha1 hex of session_key>.json`.
    ///
    /// `session_key` is the **sso-session name** for profiles using
    /// `sso_session`, or the **start URL exactly as configured** for legacy
    /// profiles.
    pub fn token_path(&self, session_key: &str) -> PathBuf {
        self.path.join(token_cache_file_name(session_key))
    }

    /// The lock file of a session: the token file's name plus `.lock`.
    pub fn lock_path(&self, session_key: &str) -> PathBuf {
        let mut name = OsString::from(token_cache_file_name(session_key));
        name.push(".lock");
        self.path.join(name)
    }

    /// The registration file for `key`.
    pub fn registration_path(&self, key: &RegistrationKey) -> PathBuf {
        self.path.join(key.file_name())
    }

    /// Reads a session's token.
    ///
    /// * absent file: `token: None`, no warning;
    /// * unusable contents (empty, truncated, not JSON, an HTML page, a
    ///   required key missing, too large): `token: None` and a
    ///   [`CacheWarning`] (also logged with `log::warn!`); the file is left
    ///   in place;
    /// * the file cannot be read at all (permissions, a directory in its
    ///   place): [`HostError::Io`].
    ///
    /// Hold the session's lock around read → refresh → write.
    pub fn read_token(&self, session_key: &str) -> Result<ReadOutcome, HostError> {
        let path = self.token_path(session_key);
        let (token, warning) = read_entry(&path, CachedToken::from_json)?;
        let modified = token
            .as_ref()
            .and_then(|_| std::fs::metadata(&path).ok())
            .and_then(|m| m.modified().ok());
        Ok(ReadOutcome {
            token,
            warning,
            modified,
        })
    }

    /// The file recording this tool's last refresh attempt of a session's
    /// token: `<token file>.refresh` (not a `.json` file, so no other tool
    /// reads it as a cache entry).
    pub fn refresh_record_path(&self, session_key: &str) -> PathBuf {
        let mut name = self.token_path(session_key).into_os_string();
        name.push(".refresh");
        PathBuf::from(name)
    }

    /// Records this tool's refresh attempt of `token` (started at
    /// `attempted_at`, under the session's lock) and, once known, how it
    /// ended, so that other processes do not retry a failing refresh at
    /// once and every command reports the same state
    /// ([`SessionState::of`]). The record names the token by a fingerprint
    /// of its refresh token: a different token (signed in again, restored
    /// from a backup, copied from another machine) is not affected by it.
    ///
    /// # Errors
    ///
    /// [`HostError::Io`].
    pub fn record_refresh(
        &self,
        session_key: &str,
        token: &CachedToken,
        record: RefreshRecord,
    ) -> Result<(), HostError> {
        let text = serde_json::json!({
            "attemptedAt": time::OffsetDateTime::from(record.attempted_at)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "outcome": record.outcome.name(),
            "token": token_fingerprint(token),
        });
        fs::write_atomic(
            &self.refresh_record_path(session_key),
            text.to_string().as_bytes(),
        )
    }

    /// This tool's last refresh attempt of `token` (see
    /// [`record_refresh`](Self::record_refresh)); `None` when there is no
    /// record, or it is about another token.
    pub fn refresh_record(&self, session_key: &str, token: &CachedToken) -> Option<RefreshRecord> {
        read_refresh_record(&self.refresh_record_path(session_key), token)
    }

    /// Every token entry ([`tokens`](Self::tokens)) with its state at
    /// `now` ([`SessionState::of`], with its refresh record).
    pub fn token_states(&self, now: SystemTime) -> Vec<(String, CachedToken, SessionState)> {
        self.tokens()
            .into_iter()
            .map(|(name, token)| {
                let record =
                    read_refresh_record(&self.path.join(format!("{name}.refresh")), &token);
                let state = SessionState::of(Some(&token), record.as_ref(), now);
                (name, token, state)
            })
            .collect()
    }

    /// The state of a session's cached token at `now`, from the cache and
    /// the refresh record ([`SessionState::of`]).
    ///
    /// # Errors
    ///
    /// Those of [`read_token`](Self::read_token).
    pub fn session_state(
        &self,
        session_key: &str,
        now: SystemTime,
    ) -> Result<(SessionState, Option<CachedToken>), HostError> {
        let token = self.read_token(session_key)?.token;
        let record = token
            .as_ref()
            .and_then(|t| self.refresh_record(session_key, t));
        Ok((
            SessionState::of(token.as_ref(), record.as_ref(), now),
            token,
        ))
    }

    /// Every token entry in the directory, configured or not (file name,
    /// token), sorted by file name: each file read as any cache entry is
    /// (a symbolic link, FIFO, device or oversized file is skipped, never
    /// waited on); registrations and foreign files are not tokens.
    pub fn tokens(&self) -> Vec<(String, CachedToken)> {
        fs::json_entries(&self.path)
            .into_iter()
            .filter_map(|(name, bytes)| Some((name, CachedToken::from_json(&bytes).ok()?)))
            .collect()
    }

    /// Writes a session's token atomically, byte-for-byte as the AWS CLI
    /// does ([`CachedToken::to_json`]): a temporary `0600` file in the same
    /// directory is written, flushed to disk and renamed over the old file,
    /// then the directory is flushed. The directory is created (`0700`)
    /// when missing. If anything fails the old file is untouched.
    pub fn write_token(&self, session_key: &str, token: &CachedToken) -> Result<(), HostError> {
        fs::write_atomic(
            &self.token_path(session_key),
            &zeroize::Zeroizing::new(token.to_json()),
        )
    }

    /// Takes the session's exclusive cross-process lock, waiting at most
    /// `timeout` (polling with short sleeps) for another holder.
    ///
    /// Fails with [`HostError::LockTimeout`] naming the lock file when the
    /// lock stays taken.
    pub fn lock(&self, session_key: &str, timeout: Duration) -> Result<SessionLock, HostError> {
        SessionLock::acquire(self.lock_path(session_key), timeout)
    }

    /// Takes the session's lock if it is free now, without waiting
    /// (`Ok(None)` when it is held): whether another process is signing
    /// in or refreshing right now.
    pub fn try_lock(&self, session_key: &str) -> Result<Option<SessionLock>, HostError> {
        SessionLock::try_acquire(self.lock_path(session_key))
    }

    /// Reads a cached client registration, with the same rules as
    /// [`read_token`](Self::read_token).
    pub fn read_registration(
        &self,
        key: &RegistrationKey,
    ) -> Result<RegistrationOutcome, HostError> {
        let path = self.registration_path(key);
        let (registration, warning) = read_entry(&path, CachedRegistration::from_json)?;
        Ok(RegistrationOutcome {
            registration,
            warning,
        })
    }

    /// Writes a client registration atomically, as
    /// [`write_token`](Self::write_token) does.
    pub fn write_registration(
        &self,
        key: &RegistrationKey,
        registration: &CachedRegistration,
    ) -> Result<(), HostError> {
        fs::write_atomic(
            &self.registration_path(key),
            &zeroize::Zeroizing::new(registration.to_json()),
        )
    }

    /// Deletes a session's token file (sign-out). Absent is not an error.
    pub fn remove_token(&self, session_key: &str) -> Result<(), HostError> {
        remove_if_present(&self.refresh_record_path(session_key))?;
        remove_if_present(&self.token_path(session_key))
    }

    /// Removes the token entry named `file_name` (as [`tokens`](Self::tokens)
    /// lists it) and its refresh record; an absent file is not an error.
    ///
    /// # Errors
    ///
    /// [`HostError::Io`] when a file exists but cannot be removed.
    pub fn remove_token_file(&self, file_name: &str) -> Result<(), HostError> {
        remove_if_present(&self.path.join(format!("{file_name}.refresh")))?;
        remove_if_present(&self.path.join(file_name))
    }
}

/// Removes `path`; an absent file is not an error.
pub(crate) fn remove_if_present(path: &Path) -> Result<(), HostError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(HostError::io("remove", path.to_owned(), e)),
    }
}

/// Reads and parses one entry; see [`CacheDir::read_token`].
fn read_entry<T>(
    path: &Path,
    parse: impl FnOnce(&[u8]) -> Result<T, CacheFormatError>,
) -> Result<(Option<T>, Option<CacheWarning>), HostError> {
    let problem = match fs::read_bounded(path)? {
        None => return Ok((None, None)),
        Some(Err(_)) => CacheProblem::TooLarge {
            limit: fs::MAX_ENTRY_BYTES,
        },
        Some(Ok(bytes)) if bytes.iter().all(u8::is_ascii_whitespace) => CacheProblem::Empty,
        Some(Ok(bytes)) => match parse(&bytes) {
            Ok(entry) => return Ok((Some(entry), None)),
            Err(e) => CacheProblem::Format(e),
        },
    };
    let warning = CacheWarning {
        path: path.to_owned(),
        problem,
    };
    log::warn!("{warning}");
    Ok((None, Some(warning)))
}

/// The result of [`CacheDir::read_token`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ReadOutcome {
    /// The token, when the file exists and is valid.
    pub token: Option<CachedToken>,
    /// Why an existing file was ignored.
    pub warning: Option<CacheWarning>,
    /// When the file was last written (by any process), when known.
    pub modified: Option<SystemTime>,
}

/// The result of [`CacheDir::read_registration`].
#[derive(Debug)]
#[non_exhaustive]
pub struct RegistrationOutcome {
    /// The registration, when the file exists and is valid.
    pub registration: Option<CachedRegistration>,
    /// Why an existing file was ignored.
    pub warning: Option<CacheWarning>,
}

/// What identifies a cached client registration, as the AWS CLI keys it
/// (see [`registration_cache_file_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RegistrationKey {
    /// The start URL as configured.
    pub start_url: String,
    /// The SSO region.
    pub region: String,
    /// The *configured* `sso_registration_scopes` (`None` when not
    /// configured).
    pub scopes: Option<Vec<String>>,
    /// The sso-session name (`None` for legacy profiles).
    pub session_name: Option<String>,
}

impl RegistrationKey {
    /// A key for a legacy profile without configured scopes.
    pub fn new(start_url: impl Into<String>, region: impl Into<String>) -> RegistrationKey {
        RegistrationKey {
            start_url: start_url.into(),
            region: region.into(),
            scopes: None,
            session_name: None,
        }
    }

    /// Sets the configured scopes.
    pub fn with_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the sso-session name.
    pub fn with_session_name(mut self, session_name: impl Into<String>) -> Self {
        self.session_name = Some(session_name.into());
        self
    }

    /// The file name, e.g. `c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json`.
    pub fn file_name(&self) -> String {
        registration_cache_file_name(
            &self.start_url,
            &self.region,
            self.scopes.as_deref(),
            self.session_name.as_deref(),
        )
    }
}

/// A short fingerprint of a token's refresh token (or, without one, its
/// access token): the first 16 hex digits of its SHA-256. It identifies
/// the token without revealing it.
fn token_fingerprint(token: &CachedToken) -> String {
    use sha2::Digest as _;
    let secret = token
        .refresh_token
        .as_ref()
        .map_or_else(|| token.access_token.secret(), |t| t.secret());
    let digest = sha2::Sha256::digest(secret.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A refresh attempt this tool recorded ([`CacheDir::record_refresh`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshRecord {
    /// When the refresh started.
    pub attempted_at: SystemTime,
    /// How it ended.
    pub outcome: RefreshOutcome,
}

impl RefreshRecord {
    /// A record of an attempt at `attempted_at` that ended with `outcome`.
    pub fn new(attempted_at: SystemTime, outcome: RefreshOutcome) -> RefreshRecord {
        RefreshRecord {
            attempted_at,
            outcome,
        }
    }
}

/// How a recorded refresh attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshOutcome {
    /// Started (or it succeeded: then the token is another one).
    Started,
    /// Failed for now (network, throttling, a server error).
    Failed,
    /// The service refused the refresh token: the session has ended.
    Ended,
}

impl RefreshOutcome {
    fn name(self) -> &'static str {
        match self {
            RefreshOutcome::Started => "started",
            RefreshOutcome::Failed => "failed",
            RefreshOutcome::Ended => "ended",
        }
    }
}

/// The state of a session, the one classification `token`, `credentials`
/// and `status` report.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_host::oidc_core::cache::CachedToken;
/// use oidc_host::oidc_core::secret::AccessToken;
/// use oidc_host::{RefreshOutcome, RefreshRecord, SessionState};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let token = CachedToken::new(AccessToken::new("t"), now - Duration::from_secs(60));
/// assert_eq!(SessionState::of(None, None, now), SessionState::NotSignedIn);
/// assert_eq!(SessionState::of(Some(&token), None, now), SessionState::Expired);
/// let ended = RefreshRecord::new(now, RefreshOutcome::Ended);
/// assert_eq!(SessionState::of(Some(&token), Some(&ended), now), SessionState::Ended);
/// assert_eq!(SessionState::Ended.name(), "ended");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionState {
    /// No cached token: sign in.
    NotSignedIn,
    /// A token that has not expired.
    Valid,
    /// Expired, and the next use refreshes it.
    Refreshable,
    /// Expired, and it cannot be refreshed: sign in again.
    Expired,
    /// The service refused its refresh token: sign in again.
    Ended,
    /// Expired, and the last refresh failed moments ago (the next use
    /// retries after a short pause).
    RefreshFailed,
}

/// How long after a failed refresh the session counts as
/// [`SessionState::RefreshFailed`] (the refresh throttle's pause).
const REFRESH_FAILED_FOR: Duration = Duration::from_secs(30);

impl SessionState {
    /// The state of `token` (with its refresh `record`) at `now`.
    pub fn of(
        token: Option<&CachedToken>,
        record: Option<&RefreshRecord>,
        now: SystemTime,
    ) -> SessionState {
        let Some(token) = token else {
            return SessionState::NotSignedIn;
        };
        if !token.is_expired(now) {
            // Usable until it expires, even if its refresh was refused.
            return SessionState::Valid;
        }
        if record.is_some_and(|r| r.outcome == RefreshOutcome::Ended) {
            return SessionState::Ended;
        }
        if !token.is_refreshable(now) {
            return SessionState::Expired;
        }
        let failed_moments_ago = record.is_some_and(|r| {
            r.outcome == RefreshOutcome::Failed
                && now
                    .duration_since(r.attempted_at)
                    .is_ok_and(|d| d < REFRESH_FAILED_FOR)
        });
        if failed_moments_ago {
            SessionState::RefreshFailed
        } else {
            SessionState::Refreshable
        }
    }

    /// `not_signed_in`, `signed_in`, `expired_refreshable`, `expired`,
    /// `ended`, `refresh_failed`.
    pub fn name(self) -> &'static str {
        match self {
            SessionState::NotSignedIn => "not_signed_in",
            SessionState::Valid => "signed_in",
            SessionState::Refreshable => "expired_refreshable",
            SessionState::Expired => "expired",
            SessionState::Ended => "ended",
            SessionState::RefreshFailed => "refresh_failed",
        }
    }

    /// Whether a command can get a token without signing in.
    pub fn is_usable(self) -> bool {
        matches!(self, SessionState::Valid | SessionState::Refreshable)
    }
}

/// The refresh record at `path`, when it is about `token`.
fn read_refresh_record(path: &Path, token: &CachedToken) -> Option<RefreshRecord> {
    let bytes = fs::read_bounded(path).ok()??.ok()?;
    let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if record.get("token")?.as_str()? != token_fingerprint(token) {
        return None;
    }
    let attempted_at =
        oidc_core::cache::credentials::parse_expiration(record.get("attemptedAt")?.as_str()?)?;
    let outcome = match record.get("outcome").and_then(serde_json::Value::as_str) {
        Some("failed") => RefreshOutcome::Failed,
        Some("ended") => RefreshOutcome::Ended,
        _ => RefreshOutcome::Started,
    };
    Some(RefreshRecord {
        attempted_at,
        outcome,
    })
}
