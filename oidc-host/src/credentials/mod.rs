//! AWS credentials for signing: where they come from ([`CredentialsSource`]),
//! the AWS CLI's role-credential cache on disk ([`CredentialsCacheDir`]),
//! the environment variables ([`credentials_from_lookup`]), and a
//! [`CredentialsProvider`] many threads or tasks can share: it keeps the
//! last credentials in memory and, when they are due, lets exactly one
//! caller fetch new ones while the others wait for that fetch.
//!
//! The fetch itself is a [`CredentialsFlow`](crate::CredentialsFlow), driven
//! by an adapter like any [`Flow`](crate::Flow); whether credentials are
//! still good is [`credentials_decision`], shared with the disk cache.
//!
//! ```
//! use std::time::SystemTime;
//! use oidc_host::oidc_core::Credentials;
//! use oidc_host::{Begin, CredentialsProvider, CredentialsSource};
//!
//! let provider = CredentialsProvider::new(CredentialsSource::Static(
//!     Credentials::new("AKIDEXAMPLE", "secret"),
//! ));
//! // Nothing in memory yet: this caller fetches (an adapter drives the flow).
//! let Begin::Fetch(fetch) = provider.begin(SystemTime::now()) else { unreachable!() };
//! // Meanwhile every other caller is told to wait for it.
//! assert!(matches!(provider.begin(SystemTime::now()), Begin::Wait(_)));
//! let fetched = fetch.finish(Ok(Credentials::new("AKIDEXAMPLE", "secret")))?;
//! assert_eq!(fetched.access_key_id, "AKIDEXAMPLE");
//! // Now it is in memory, fresh (no expiry), and handed out directly.
//! assert!(matches!(provider.begin(SystemTime::now()), Begin::Ready(_)));
//! assert_eq!(provider.fetches(), 1);
//! # Ok::<(), oidc_host::Error>(())
//! ```

pub(crate) mod fetch;
pub(crate) mod flow;
pub(crate) mod process;
pub(crate) mod sources;

use std::ffi::OsString;
use std::fmt;
use std::future::Future as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::SystemTime;
use std::time::{Duration, Instant};

use oidc_core::cache::credentials::{
    credentials_decision, parse_expiration, sso_credentials_file_name, CachedCredentials,
    CredentialsRefreshPolicy, SsoSessionId,
};
use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::Credentials;

use crate::drive::signal::{CancelToken, Signal};
use crate::error::{CacheProblem, CacheWarning, Error, HostError};
use crate::fs;
use crate::token::dir::{CacheDir, Platform};
use crate::token::lock::SessionLock;
use crate::token::session::Session;
use crate::token::session_flow::SignInMode;

/// `AWS_ACCESS_KEY_ID`.
pub const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// `AWS_SECRET_ACCESS_KEY`.
pub const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// `AWS_SESSION_TOKEN` (botocore also reads the legacy
/// `AWS_SECURITY_TOKEN` when it is unset; so does this crate).
pub const ENV_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// `AWS_SECURITY_TOKEN`, the legacy name of `AWS_SESSION_TOKEN`.
pub const ENV_SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
/// `AWS_CREDENTIAL_EXPIRATION`: RFC 3339 expiry of the credentials.
pub const ENV_CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// `AWS_ACCOUNT_ID`: the account the credentials belong to (optional).
pub const ENV_ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";

/// Why the environment holds no usable credentials. Names the variable,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvCredentialsError {
    /// A required variable is unset or empty.
    #[error(
        "the environment variable {variable} is not set (credentials from the environment need \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    )]
    Missing {
        /// The variable.
        variable: &'static str,
    },
    /// `AWS_CREDENTIAL_EXPIRATION` is not an RFC 3339 timestamp.
    #[error("the environment variable {variable} is not an RFC 3339 timestamp")]
    InvalidExpiration {
        /// The variable.
        variable: &'static str,
    },
}

impl EnvCredentialsError {
    /// The environment error inside an adapter [`Error`] (it travels as
    /// [`Error::Local`] with this as the source).
    pub fn find(error: &Error) -> Option<&EnvCredentialsError> {
        match error {
            Error::Local { source, .. } => source.get_ref()?.downcast_ref(),
            _ => None,
        }
    }
}

impl From<EnvCredentialsError> for Error {
    fn from(e: EnvCredentialsError) -> Error {
        Error::Local {
            context: "no AWS credentials in the environment",
            source: io::Error::new(io::ErrorKind::NotFound, e),
        }
    }
}

/// Reads AWS credentials from environment variables as the AWS CLI and
/// SDKs do, through `lookup` (a variable's value, `None` when unset), so
/// tests need not touch the process environment: `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` (required), `AWS_SESSION_TOKEN` (else
/// `AWS_SECURITY_TOKEN`), `AWS_CREDENTIAL_EXPIRATION` (RFC 3339) and
/// `AWS_ACCOUNT_ID`. Empty values count as unset.
///
/// # Errors
///
/// [`EnvCredentialsError`] naming the missing or malformed variable.
///
/// ```
/// use oidc_host::{credentials_from_lookup, EnvCredentialsError};
///
/// let env = |name: &str| match name {
///     "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".to_owned()),
///     "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
///     _ => None,
/// };
/// let credentials = credentials_from_lookup(env)?;
/// assert_eq!(credentials.access_key_id, "AKIDEXAMPLE");
/// assert!(credentials.expires_at.is_none());
///
/// let missing = credentials_from_lookup(|_| None).unwrap_err();
/// assert_eq!(missing, EnvCredentialsError::Missing { variable: "AWS_ACCESS_KEY_ID" });
/// # Ok::<(), EnvCredentialsError>(())
/// ```
pub fn credentials_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, EnvCredentialsError> {
    let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let access_key_id = var(ENV_ACCESS_KEY_ID).ok_or(EnvCredentialsError::Missing {
        variable: ENV_ACCESS_KEY_ID,
    })?;
    let secret = var(ENV_SECRET_ACCESS_KEY).ok_or(EnvCredentialsError::Missing {
        variable: ENV_SECRET_ACCESS_KEY,
    })?;
    let mut credentials = Credentials::new(access_key_id, secret);
    if let Some(token) = var(ENV_SESSION_TOKEN).or_else(|| var(ENV_SECURITY_TOKEN)) {
        credentials = credentials.with_session_token(token);
    }
    if let Some(text) = var(ENV_CREDENTIAL_EXPIRATION) {
        let expiry =
            parse_expiration(text.trim()).ok_or(EnvCredentialsError::InvalidExpiration {
                variable: ENV_CREDENTIAL_EXPIRATION,
            })?;
        credentials = credentials.with_expiry(expiry);
    }
    if let Some(account_id) = var(ENV_ACCOUNT_ID) {
        credentials = credentials.with_account_id(account_id);
    }
    Ok(credentials)
}

/// [`credentials_from_lookup`] over the process environment (values that
/// are not valid Unicode count as unset).
///
/// # Errors
///
/// As [`credentials_from_lookup`].
pub fn credentials_from_env() -> Result<Credentials, EnvCredentialsError> {
    credentials_from_lookup(|name| std::env::var(name).ok())
}

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where [`CredentialsSource::Environment`] reads variables: the process
/// environment, or a lookup function (for tests and embedders).
#[derive(Clone, Default)]
pub struct EnvLookup(Option<Arc<LookupFn>>);

impl EnvLookup {
    /// The process environment, read each time credentials are fetched.
    pub fn process() -> EnvLookup {
        EnvLookup(None)
    }

    /// Variables from `lookup`.
    pub fn new(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> EnvLookup {
        EnvLookup(Some(Arc::new(lookup)))
    }

    /// A variable's value now; `None` when unset or empty.
    pub fn var(&self, name: &str) -> Option<String> {
        match &self.0 {
            None => std::env::var(name).ok(),
            Some(lookup) => lookup(name),
        }
        .filter(|v| !v.is_empty())
    }

    /// Reads the credentials now.
    ///
    /// # Errors
    ///
    /// As [`credentials_from_lookup`].
    pub fn credentials(&self) -> Result<Credentials, EnvCredentialsError> {
        match &self.0 {
            None => credentials_from_env(),
            Some(lookup) => credentials_from_lookup(|name| lookup(name)),
        }
    }
}

impl fmt::Debug for EnvLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("EnvLookup(process)"),
            Some(_) => f.write_str("EnvLookup(custom)"),
        }
    }
}

/// The AWS CLI's role-credential cache, `~/.aws/cli/cache` by default: the
/// same directory, file names ([`sso_credentials_file_name`]) and JSON
/// ([`CachedCredentials`]) as the AWS CLI v2, so each reuses the other's
/// entries.
///
/// Writes are atomic, files `0600` and a created directory `0700` on Unix.
/// A corrupt entry reads as absent with a [`CacheWarning`]. Each entry has
/// a lock file next to it (`<entry>.json.lock`) that a fetch holds from the
/// read to the write, so concurrent processes fetch once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsCacheDir {
    path: PathBuf,
}

impl CredentialsCacheDir {
    /// A cache in `path` (created on the first write if missing).
    pub fn new(path: impl Into<PathBuf>) -> CredentialsCacheDir {
        CredentialsCacheDir { path: path.into() }
    }

    /// `~/.aws/cli/cache` of the current user (the home directory found as
    /// in [`CacheDir::from_env`]).
    ///
    /// # Errors
    ///
    /// [`HostError::NoHomeDirectory`].
    pub fn from_env() -> Result<CredentialsCacheDir, HostError> {
        let os_home = std::env::home_dir();
        CredentialsCacheDir::resolve(|name| std::env::var_os(name), Platform::current(), os_home)
    }

    /// `<home>/.aws/cli/cache`, with the home directory found from
    /// environment values as in [`CacheDir::resolve`].
    ///
    /// # Errors
    ///
    /// [`HostError::NoHomeDirectory`].
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use oidc_host::{CredentialsCacheDir, Platform};
    ///
    /// let dir = CredentialsCacheDir::resolve(
    ///     |name| (name == "HOME").then(|| "/home/ana".into()),
    ///     Platform::Unix,
    ///     None,
    /// )?;
    /// assert_eq!(dir.path(), PathBuf::from("/home/ana/.aws/cli/cache"));
    /// # Ok::<(), oidc_host::HostError>(())
    /// ```
    pub fn resolve(
        lookup: impl Fn(&str) -> Option<OsString>,
        platform: Platform,
        os_home: Option<PathBuf>,
    ) -> Result<CredentialsCacheDir, HostError> {
        let sso = CacheDir::resolve(lookup, platform, os_home)?;
        // `<home>/.aws/sso/cache` → `<home>/.aws/cli/cache`.
        let aws = sso
            .path()
            .parent()
            .and_then(Path::parent)
            .unwrap_or(sso.path());
        Ok(CredentialsCacheDir::new(aws.join("cli").join("cache")))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry file `file_name` (e.g. from [`sso_credentials_file_name`]).
    pub fn entry_path(&self, file_name: &str) -> PathBuf {
        self.path.join(file_name)
    }

    /// The lock file of entry `file_name`: `<entry>.lock`.
    pub fn lock_path(&self, file_name: &str) -> PathBuf {
        self.path.join(format!("{file_name}.lock"))
    }

    /// Reads entry `file_name`: `None` when absent, or (with a warning,
    /// also logged) when its contents are not an entry.
    ///
    /// # Errors
    ///
    /// [`HostError::Io`] when the file exists but cannot be read.
    pub fn read(
        &self,
        file_name: &str,
    ) -> Result<(Option<CachedCredentials>, Option<CacheWarning>), HostError> {
        let path = self.entry_path(file_name);
        let problem = match fs::read_bounded(&path)? {
            None => return Ok((None, None)),
            Some(Err(_)) => CacheProblem::TooLarge {
                limit: fs::MAX_ENTRY_BYTES,
            },
            Some(Ok(bytes)) if bytes.iter().all(u8::is_ascii_whitespace) => CacheProblem::Empty,
            Some(Ok(bytes)) => match CachedCredentials::from_json(&bytes) {
                Ok(entry) => return Ok((Some(entry), None)),
                Err(e) => CacheProblem::Format(e),
            },
        };
        let warning = CacheWarning { path, problem };
        log::warn!("{warning}");
        Ok((None, Some(warning)))
    }

    /// Removes every SSO entry (`ProviderType` `sso`), as `aws sso logout`
    /// does; other entries (assume-role) stay. Each file is read as any
    /// cache entry is (a symbolic link, FIFO, device or oversized file is
    /// skipped, never waited on). Returns how many were removed.
    pub fn remove_sso_entries(&self) -> usize {
        fs::json_entries(&self.path)
            .into_iter()
            .filter(|(_, bytes)| {
                CachedCredentials::from_json(bytes)
                    .is_ok_and(|e| e.provider_type.as_deref() == Some("sso"))
            })
            .filter(|(name, _)| std::fs::remove_file(self.path.join(name)).is_ok())
            .count()
    }

    /// Removes the role-credential entries of `session` (what `aws sso
    /// logout` leaves behind for one session): the entry of every profile
    /// of `config` that uses the session (its `sso_session`, or for a
    /// legacy session the same `sso_start_url`) with an account and a
    /// role, and of the `extra` (account id, role name) pairs. Returns how
    /// many were removed.
    pub fn remove_session_entries(
        &self,
        config: &crate::aws_config::AwsConfig,
        session: &Session,
        extra: &[(String, String)],
    ) -> usize {
        let of_session = config
            .profiles
            .values()
            .filter(|p| match &session.session_name {
                Some(name) => p.sso_session() == Some(name.as_str()),
                None => {
                    p.sso_session().is_none() && p.get("sso_start_url") == Some(&session.start_url)
                }
            });
        let mut pairs: Vec<(String, String)> = of_session
            .filter_map(|p| {
                Some((
                    p.sso_account_id()?.to_owned(),
                    p.sso_role_name()?.to_owned(),
                ))
            })
            .chain(extra.iter().cloned())
            .collect();
        pairs.sort();
        pairs.dedup();
        pairs
            .iter()
            .filter(|(account, role)| {
                self.remove(&Self::sso_role_file_name(session, account, role))
                    .unwrap_or(false)
            })
            .count()
    }

    /// Writes entry `file_name` atomically (`0600`).
    ///
    /// # Errors
    ///
    /// [`HostError::Io`].
    pub fn write(&self, file_name: &str, entry: &CachedCredentials) -> Result<(), HostError> {
        fs::write_atomic(&self.entry_path(file_name), &entry.to_json())
    }

    /// Removes entry `file_name`; `Ok(false)` when it was not there.
    ///
    /// # Errors
    ///
    /// [`HostError::Io`] when it exists but cannot be removed.
    pub fn remove(&self, file_name: &str) -> Result<bool, HostError> {
        let path = self.entry_path(file_name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(HostError::io("remove", path, e)),
        }
    }

    /// Writes entry `file_name` atomically (`0600`) with exactly `bytes`
    /// (an assumed role's entry in botocore's layout).
    ///
    /// # Errors
    ///
    /// [`HostError::Io`].
    pub fn write_bytes(&self, file_name: &str, bytes: &[u8]) -> Result<(), HostError> {
        fs::write_atomic(&self.entry_path(file_name), bytes)
    }

    /// Takes the cross-process lock of entry `file_name`, waiting at most
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// [`HostError::LockTimeout`], [`HostError::Io`].
    pub fn lock(&self, file_name: &str, timeout: Duration) -> Result<SessionLock, HostError> {
        SessionLock::acquire(self.lock_path(file_name), timeout)
    }

    /// The entry file name of `role_name` in `account_id` through
    /// `session` ([`sso_credentials_file_name`]: keyed by the session name,
    /// or the start URL for a legacy session).
    pub fn sso_role_file_name(session: &Session, account_id: &str, role_name: &str) -> String {
        let id = match &session.session_name {
            Some(name) => SsoSessionId::SessionName(name),
            None => SsoSessionId::LegacyStartUrl(&session.start_url),
        };
        sso_credentials_file_name(account_id, role_name, id)
    }
}

/// Where AWS credentials come from.
///
/// `Debug` never shows a secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CredentialsSource {
    /// Fixed credentials.
    Static(Credentials),
    /// `AWS_ACCESS_KEY_ID` and friends ([`credentials_from_lookup`]), read
    /// at every fetch.
    Environment(EnvLookup),
    /// IAM Identity Center role credentials: the session's SSO token (from
    /// its cache, refreshed, or signing in with `sign_in`), then the
    /// portal's GetRoleCredentials; cached in `cache` in the AWS CLI's
    /// layout until less than the refresh window remains.
    SsoRole {
        /// The SSO session whose token authorises the call.
        session: Session,
        /// The account (12 digits).
        account_id: String,
        /// The permission set's role name.
        role_name: String,
        /// What to do when the session has no usable token.
        sign_in: SignInMode,
        /// Where the role credentials are cached.
        cache: CredentialsCacheDir,
    },
    /// STS AssumeRole, signed with the credentials of `source` (any source,
    /// also another AssumeRole).
    AssumeRole {
        /// The credentials that call AssumeRole.
        source: Box<CredentialsSource>,
        /// The call's input (role ARN, session name, ...).
        input: AssumeRoleInput,
        /// The STS region (and signing region); `None`: the client's.
        region: Option<String>,
        /// Where the result is cached across processes (the AWS CLI's
        /// `~/.aws/cli/cache` entry under botocore's key); `None`: in
        /// memory only.
        cache: Option<RoleCache>,
        /// Asks for the MFA code when `input` has a `serial_number` and no
        /// code (at every fetch, as the AWS CLI asks).
        mfa: Option<MfaPrompt>,
    },
    /// STS AssumeRoleWithWebIdentity (unsigned) with the token in
    /// `token_file`, read again at every fetch.
    WebIdentity {
        /// The file holding the OIDC token (EKS, GitHub Actions ...).
        token_file: PathBuf,
        /// The role.
        role_arn: String,
        /// The session name.
        role_session_name: String,
        /// The STS region; `None`: the client's.
        region: Option<String>,
        /// Where the result is cached across processes; `None`: memory.
        cache: Option<RoleCache>,
    },
    /// A `credential_process` command line: split as the AWS CLI splits
    /// it, run without a shell (its stderr goes to this process's), its
    /// output read as the credential_process JSON; killed after `timeout`.
    Process {
        /// The command line.
        command: String,
        /// How long it may run.
        timeout: Duration,
    },
    /// The container credentials endpoint the environment names
    /// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`, with
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `_TOKEN`), read at every
    /// fetch.
    Container(EnvLookup),
    /// The EC2 instance metadata service, IMDSv2
    /// (`AWS_EC2_METADATA_SERVICE_ENDPOINT` overrides its address).
    InstanceMetadata(EnvLookup),
}

/// A cross-process cache entry for assumed-role credentials (see
/// [`CredentialsSource::AssumeRole`]): locked while one process fetches,
/// read by every other.
#[derive(Debug, Clone)]
pub struct RoleCache {
    /// The directory (`~/.aws/cli/cache`).
    pub dir: CredentialsCacheDir,
    /// The entry's file name (`<key>.json`).
    pub file_name: String,
    /// How long to wait for another process's lock.
    pub lock_timeout: Duration,
}

type MfaFn = dyn Fn(&str) -> io::Result<String> + Send + Sync;

/// Asks the user for an MFA code: called with the device's serial number
/// (its ARN), returns the code. It runs as a blocking job.
///
/// ```
/// use oidc_host::MfaPrompt;
///
/// let prompt = MfaPrompt::new(|serial| Ok(format!("123456 for {serial}")));
/// assert_eq!(prompt.ask("arn:aws:iam::111111111111:mfa/ana")?, "123456 for arn:aws:iam::111111111111:mfa/ana");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct MfaPrompt(Arc<MfaFn>);

impl MfaPrompt {
    /// A prompt calling `ask`.
    pub fn new(ask: impl Fn(&str) -> io::Result<String> + Send + Sync + 'static) -> MfaPrompt {
        MfaPrompt(Arc::new(ask))
    }

    /// Asks for the code of `serial`.
    ///
    /// # Errors
    ///
    /// The prompt's.
    pub fn ask(&self, serial: &str) -> io::Result<String> {
        (self.0)(serial)
    }
}

impl fmt::Debug for MfaPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaPrompt")
    }
}

impl CredentialsSource {
    /// The process environment's credentials.
    pub fn environment() -> CredentialsSource {
        CredentialsSource::Environment(EnvLookup::process())
    }

    /// Credentials from environment values given by `lookup`.
    pub fn environment_from(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> CredentialsSource {
        CredentialsSource::Environment(EnvLookup::new(lookup))
    }

    /// Role credentials of `role_name` in `account_id` through `session`,
    /// cached in `cache`; never signs in ([`SignInMode::CachedOnly`]; set
    /// the `sign_in` field for another mode).
    pub fn sso_role(
        session: Session,
        account_id: impl Into<String>,
        role_name: impl Into<String>,
        cache: CredentialsCacheDir,
    ) -> CredentialsSource {
        CredentialsSource::SsoRole {
            session,
            account_id: account_id.into(),
            role_name: role_name.into(),
            sign_in: SignInMode::CachedOnly,
            cache,
        }
    }

    /// The credentials this source would hand out without any call, lock
    /// or job, when they are fresh under `policy` at `now`: static keys, or
    /// a fresh entry of the source's own cross-process cache (an SSO role,
    /// an assumed role, a web identity). `None`: fetch (the flow reads the
    /// entry again under its lock).
    ///
    /// This is the warm path of a `credential_process` call: one bounded
    /// read of one file.
    pub fn cached(
        &self,
        now: SystemTime,
        policy: &CredentialsRefreshPolicy,
    ) -> Option<Credentials> {
        let (dir, file_name) = match self {
            CredentialsSource::Static(credentials) => return Some(credentials.clone()),
            CredentialsSource::SsoRole {
                session,
                account_id,
                role_name,
                cache,
                ..
            } => (
                cache,
                CredentialsCacheDir::sso_role_file_name(session, account_id, role_name),
            ),
            CredentialsSource::AssumeRole {
                cache: Some(cache), ..
            }
            | CredentialsSource::WebIdentity {
                cache: Some(cache), ..
            } => (&cache.dir, cache.file_name.clone()),
            _ => return None,
        };
        let (entry, _) = dir.read(&file_name).ok()?;
        let credentials = entry?.credentials;
        credentials_decision(&credentials, now, policy)
            .is_fresh()
            .then_some(credentials)
    }

    /// AssumeRole with `input`, signed with this source's credentials, in
    /// the client's region.
    #[must_use]
    pub fn assume_role(self, input: AssumeRoleInput) -> CredentialsSource {
        CredentialsSource::AssumeRole {
            source: Box::new(self),
            input,
            region: None,
            cache: None,
            mfa: None,
        }
    }
}

/// Hands out credentials from `source`, fetching new ones only when the
/// last ones are due ([`credentials_decision`] with its policy), and then
/// once for all callers: while one caller fetches, the others wait for
/// that fetch ([`Begin::Wait`]) and take its result. Clones share the
/// memory; `Send + Sync`.
///
/// Adapters use it through their `credentials` method; the protocol is
/// [`begin`](Self::begin) → [`Begin::Fetch`] → drive
/// [`ClientState::credentials_flow`](crate::adapter::ClientState::credentials_flow)
/// → [`Fetch::finish`].
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<ProviderInner>,
}

struct ProviderInner {
    source: CredentialsSource,
    policy: CredentialsRefreshPolicy,
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    credentials: Option<Credentials>,
    in_flight: Option<Arc<Signal<()>>>,
    fetches: u64,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let memory = self.memory();
        f.debug_struct("CredentialsProvider")
            .field("source", &self.inner.source)
            .field("policy", &self.inner.policy)
            .field("credentials", &memory.credentials)
            .field("fetching", &memory.in_flight.is_some())
            .finish()
    }
}

impl CredentialsProvider {
    /// A provider for `source` with the default policy (fetch again when
    /// less than 15 minutes remain, as the AWS CLI does).
    pub fn new(source: CredentialsSource) -> CredentialsProvider {
        CredentialsProvider::with_policy(source, CredentialsRefreshPolicy::default())
    }

    /// A provider for `source` with `policy` (also used for the disk
    /// cache's entries).
    pub fn with_policy(
        source: CredentialsSource,
        policy: CredentialsRefreshPolicy,
    ) -> CredentialsProvider {
        CredentialsProvider {
            inner: Arc::new(ProviderInner {
                source,
                policy,
                memory: Mutex::new(Memory::default()),
            }),
        }
    }

    /// The source.
    pub fn source(&self) -> &CredentialsSource {
        &self.inner.source
    }

    /// The refresh policy.
    pub fn policy(&self) -> CredentialsRefreshPolicy {
        self.inner.policy
    }

    /// The credentials in memory, whether due or not.
    pub fn cached(&self) -> Option<Credentials> {
        self.memory().credentials.clone()
    }

    /// How many fetches were started so far.
    pub fn fetches(&self) -> u64 {
        self.memory().fetches
    }

    /// Forgets the credentials in memory (the next call fetches).
    pub fn invalidate(&self) {
        self.memory().credentials = None;
    }

    /// What the caller must do at wall-clock `now`: take the credentials in
    /// memory, fetch new ones (this caller alone), or wait for the fetch
    /// another caller is running and then call `begin` again.
    pub fn begin(&self, now: SystemTime) -> Begin {
        let mut memory = self.memory();
        if let Some(credentials) = &memory.credentials {
            if credentials_decision(credentials, now, &self.inner.policy).is_fresh() {
                return Begin::Ready(credentials.clone());
            }
        }
        if let Some(signal) = &memory.in_flight {
            return Begin::Wait(Wait(Arc::clone(signal)));
        }
        let signal = Arc::new(Signal::default());
        memory.in_flight = Some(Arc::clone(&signal));
        memory.fetches += 1;
        Begin::Fetch(Fetch {
            provider: self.clone(),
            signal,
            finished: false,
        })
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.inner
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the fetch `signal` marks: stores `credentials` (when fetched),
    /// clears the marker, wakes the waiters.
    fn end_fetch(&self, signal: &Signal<()>, credentials: Option<Credentials>) {
        {
            let mut memory = self.memory();
            if let Some(credentials) = credentials {
                memory.credentials = Some(credentials);
            }
            if memory
                .in_flight
                .as_ref()
                .is_some_and(|s| std::ptr::eq(&**s, signal))
            {
                memory.in_flight = None;
            }
        }
        signal.set(());
    }
}

/// What [`CredentialsProvider::begin`] tells the caller to do.
#[must_use = "a Begin is an instruction the caller must carry out"]
#[derive(Debug)]
pub enum Begin {
    /// Use these credentials.
    Ready(Credentials),
    /// Fetch new credentials (drive the source's flow) and hand the
    /// outcome to [`Fetch::finish`]. Dropping it unfinished (a cancelled
    /// task, a panic) lets the waiters fetch instead.
    Fetch(Fetch),
    /// Another caller is fetching: wait for it, then call `begin` again.
    Wait(Wait),
}

/// The one fetch in progress of a [`CredentialsProvider`]; see
/// [`Begin::Fetch`].
#[must_use = "finish the fetch with Fetch::finish"]
pub struct Fetch {
    provider: CredentialsProvider,
    signal: Arc<Signal<()>>,
    finished: bool,
}

impl fmt::Debug for Fetch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fetch")
    }
}

impl Fetch {
    /// Records the fetch's outcome (credentials are kept in memory for the
    /// next callers), wakes the waiters, and returns `result`. After a
    /// failure the waiters fetch again themselves.
    ///
    /// # Errors
    ///
    /// `result`'s error.
    pub fn finish(mut self, result: Result<Credentials, Error>) -> Result<Credentials, Error> {
        self.finished = true;
        self.provider
            .end_fetch(&self.signal, result.as_ref().ok().cloned());
        result
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        if !self.finished {
            self.provider.end_fetch(&self.signal, None);
        }
    }
}

/// Waiting for another caller's fetch; see [`Begin::Wait`].
#[derive(Debug)]
pub struct Wait(Arc<Signal<()>>);

/// How often a blocking waiter checks its cancel token.
const WAIT_SLICE: Duration = Duration::from_millis(10);

impl Wait {
    /// Blocks until the other fetch has ended.
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`] when `cancel` fires first.
    pub fn blocking(&self, cancel: &CancelToken) -> Result<(), Error> {
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            if self.0.wait_until(Instant::now() + WAIT_SLICE) {
                return Ok(());
            }
        }
    }

    /// Waits (on any executor) until the other fetch has ended.
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`] when `cancel` fires first.
    pub async fn wait(&self, cancel: &CancelToken) -> Result<(), Error> {
        let mut cancelled = std::pin::pin!(cancel.cancelled());
        std::future::poll_fn(|cx| {
            if self.0.poll_set(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Error::Cancelled));
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_are_send_and_sync() {
        assert_send_sync::<CredentialsProvider>();
        assert_send_sync::<CredentialsSource>();
        assert_send_sync::<Fetch>();
        assert_send_sync::<Wait>();
        fn assert_send<T: Send>() {}
        assert_send::<crate::CredentialsFlow>();
    }

    #[test]
    fn dropped_fetch_releases_waiters() {
        let provider = CredentialsProvider::new(CredentialsSource::Static(Credentials::new(
            "AKID",
            "planted-secret",
        )));
        let Begin::Fetch(fetch) = provider.begin(SystemTime::now()) else {
            panic!("first caller fetches")
        };
        let Begin::Wait(wait) = provider.begin(SystemTime::now()) else {
            panic!("second caller waits")
        };
        drop(fetch);
        wait.blocking(&CancelToken::new()).unwrap();
        assert!(matches!(provider.begin(SystemTime::now()), Begin::Fetch(_)));
        assert_eq!(provider.fetches(), 2);
        let shown = format!("{provider:?}");
        assert!(!shown.contains("planted-secret"), "{shown}");
    }

    #[test]
    fn expired_memory_is_fetched_again() {
        let now = SystemTime::now();
        let provider = CredentialsProvider::new(CredentialsSource::environment_from(|_| None));
        let Begin::Fetch(fetch) = provider.begin(now) else {
            panic!("fetch")
        };
        let soon = Credentials::new("A", "S").with_expiry(now + Duration::from_secs(600));
        fetch.finish(Ok(soon)).unwrap();
        // Ten minutes left is inside the 15-minute window.
        assert!(matches!(provider.begin(now), Begin::Fetch(_)));
        assert!(provider.cached().is_some());
        provider.invalidate();
        assert!(provider.cached().is_none());
    }

    #[test]
    fn env_error_is_typed_inside_error() {
        let e: Error = EnvCredentialsError::Missing {
            variable: ENV_SECRET_ACCESS_KEY,
        }
        .into();
        // The variable is named by the cause, not repeated in the message.
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert!(
            cause
                .as_deref()
                .is_some_and(|c| c.contains("AWS_SECRET_ACCESS_KEY")),
            "{cause:?}"
        );
        assert_eq!(
            EnvCredentialsError::find(&e),
            Some(&EnvCredentialsError::Missing {
                variable: ENV_SECRET_ACCESS_KEY
            })
        );
        let expired = credentials_from_lookup(|name| match name {
            ENV_ACCESS_KEY_ID => Some("A".into()),
            ENV_SECRET_ACCESS_KEY => Some("planted-secret".into()),
            ENV_CREDENTIAL_EXPIRATION => Some("planted-secret".into()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(
            expired,
            EnvCredentialsError::InvalidExpiration {
                variable: ENV_CREDENTIAL_EXPIRATION
            }
        );
        assert!(!expired.to_string().contains("planted"));
    }
}
