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
        let path = self.token_path(session_key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(HostError::io("remove", path, e)),
        }
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
