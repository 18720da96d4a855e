//! A cached SSO session (where its token lives and how to sign in again),
//! the reuse rule for its cached device-flow registration, and the result
//! of a device sign-in. Shared by both adapters, which re-export the types.

use std::time::{Duration, SystemTime};

use oidc_core::cache::{CachedRegistration, RefreshPolicy, RegistrationUse};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::sso_oidc::GrantType;

use crate::error::HostError;
use crate::token::dir::{CacheDir, RegistrationKey};
use crate::token::provider::RegistrationInfo;

/// Default wait for another process holding the session lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// A cached SSO session: where its token lives and how to sign in again.
///
/// ```
/// use std::time::Duration;
/// use oidc_host::{CacheDir, Session};
///
/// let session = Session::new(CacheDir::new("/tmp/sso-cache"), "my-sso", "https://my-sso-portal.awsapps.com/start")
///     .with_scopes(["sso:account:access"])
///     .with_lock_timeout(Duration::from_secs(30));
/// assert_eq!(session.session_key, "my-sso");
/// assert_eq!(session.client_name, "botocore-client-my-sso");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Session {
    /// The token cache directory.
    pub dir: CacheDir,
    /// The cache key: the sso-session name, or the start URL of a legacy
    /// profile.
    pub session_key: String,
    /// The sso-session name (`None` for legacy profiles); part of the
    /// registration cache key.
    pub session_name: Option<String>,
    /// The AWS access portal URL.
    pub start_url: String,
    /// The session's SSO region (`sso_region`): where sign-ins go. `None`:
    /// the client's configured region. A cached token is always refreshed
    /// in the region its cache entry names.
    pub region: Option<String>,
    /// Configured registration scopes (empty: none configured).
    pub scopes: Vec<String>,
    /// `clientName` for a new registration.
    pub client_name: String,
    /// How long to wait for another process holding the session lock.
    pub lock_timeout: Duration,
    /// When to refresh.
    pub refresh_policy: RefreshPolicy,
}

impl Session {
    /// An `[sso-session NAME]` session: cache key and registration name
    /// from `name`, as the AWS CLI does.
    pub fn new(dir: CacheDir, name: impl Into<String>, start_url: impl Into<String>) -> Session {
        let name = name.into();
        Session {
            dir,
            client_name: format!("botocore-client-{name}"),
            session_key: name.clone(),
            session_name: Some(name),
            start_url: start_url.into(),
            region: None,
            scopes: Vec::new(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            refresh_policy: RefreshPolicy::default(),
        }
    }

    /// A legacy profile's session: keyed by the start URL.
    pub fn legacy(dir: CacheDir, start_url: impl Into<String>) -> Session {
        let start_url = start_url.into();
        Session {
            dir,
            client_name: "botocore-client".to_owned(),
            session_key: start_url.clone(),
            session_name: None,
            start_url,
            region: None,
            scopes: Vec::new(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            refresh_policy: RefreshPolicy::default(),
        }
    }

    /// Sets [`scopes`](Session::scopes).
    #[must_use]
    pub fn with_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Session {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`region`](Session::region).
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Session {
        self.region = Some(region.into());
        self
    }

    /// Sets [`client_name`](Session::client_name).
    #[must_use]
    pub fn with_client_name(mut self, name: impl Into<String>) -> Session {
        self.client_name = name.into();
        self
    }

    /// Sets [`lock_timeout`](Session::lock_timeout).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Session {
        self.lock_timeout = timeout;
        self
    }

    /// Sets [`refresh_policy`](Session::refresh_policy).
    #[must_use]
    pub fn with_refresh_policy(mut self, policy: RefreshPolicy) -> Session {
        self.refresh_policy = policy;
        self
    }

    /// The key of this session's cached registration in `region`: start
    /// URL, region, the configured scopes (if any) and the session name
    /// (if any), as the AWS CLI hashes them.
    pub fn registration_key(&self, region: &str) -> RegistrationKey {
        let mut key = RegistrationKey::new(self.start_url.clone(), region);
        if !self.scopes.is_empty() {
            key = key.with_scopes(self.scopes.iter().cloned());
        }
        if let Some(name) = &self.session_name {
            key = key.with_session_name(name.clone());
        }
        key
    }

    /// The `RegisterClient` input for a new authorization-code (PKCE)
    /// registration of this session, as the AWS CLI registers it.
    pub fn authorization_code_registration_input(&self) -> RegisterClientInput {
        RegisterClientInput::for_authorization_code(
            self.client_name.clone(),
            self.start_url.clone(),
            self.scopes.iter().cloned(),
        )
    }

    /// The `RegisterClient` input for a new registration of this session:
    /// [`client_name`](Session::client_name) and the configured scopes (if
    /// any), as the AWS CLI registers for a token-provider sign-in.
    pub fn registration_input(&self) -> RegisterClientInput {
        let input = RegisterClientInput::new(self.client_name.clone());
        if self.scopes.is_empty() {
            input
        } else {
            input.with_scopes(self.scopes.iter().cloned())
        }
    }

    /// The cached device-flow registration of this session in `region`,
    /// when there is one that is still usable at `now` (15 minutes left,
    /// per `oidc_core::cache`). An unreadable entry reads as absent.
    ///
    /// # Errors
    ///
    /// [`HostError`] when the cache file cannot be read.
    pub fn cached_registration(
        &self,
        region: &str,
        now: SystemTime,
    ) -> Result<Option<RegistrationInfo>, HostError> {
        self.cached_registration_for(RegistrationUse::DeviceCode, region, now)
    }

    /// [`cached_registration`](Session::cached_registration) for either
    /// flow: a registration is reused only by the flow it was made for.
    ///
    /// # Errors
    ///
    /// [`HostError`] when the cache file cannot be read.
    pub fn cached_registration_for(
        &self,
        flow: RegistrationUse,
        region: &str,
        now: SystemTime,
    ) -> Result<Option<RegistrationInfo>, HostError> {
        let key = self.registration_key(region);
        let cached = self.dir.read_registration(&key)?.registration;
        Ok(cached
            .filter(|r| r.usable_for(flow, now))
            .map(|r| RegistrationInfo::from(&r)))
    }

    /// Writes a new registration (the answer to
    /// [`registration_input`](Session::registration_input)) to the cache,
    /// with the configured scopes, and returns what a sign-in needs of it.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use oidc_host::oidc_core::sso_oidc::register_client;
    /// use oidc_host::{CacheDir, Session};
    ///
    /// # let scratch = std::env::temp_dir().join(format!("oidc-host-session-doc-{}", std::process::id()));
    /// let session = Session::new(CacheDir::new(&scratch), "my-sso", "https://my-sso-portal.awsapps.com/start");
    /// let issued_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// // Nothing cached yet: the adapter sends `session.registration_input()`.
    /// assert!(session.cached_registration("us-east-1", issued_at)?.is_none());
    /// let response = http::Response::builder()
    ///     .status(200)
    ///     .body(r#"{"clientId":"id","clientSecret":"s","clientSecretExpiresAt":1707776000}"#)
    ///     .unwrap();
    /// let output = register_client::parse(&response)?;
    /// session.store_registration("us-east-1", &output)?;
    /// let cached = session.cached_registration("us-east-1", issued_at)?.unwrap();
    /// assert_eq!(cached.client_id, "id");
    /// // Less than 15 minutes left: not reused for a new sign-in.
    /// let late = SystemTime::UNIX_EPOCH + Duration::from_secs(1_707_776_000 - 600);
    /// assert!(session.cached_registration("us-east-1", late)?.is_none());
    /// # std::fs::remove_dir_all(&scratch).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HostError`] when the cache file cannot be written.
    pub fn store_registration(
        &self,
        region: &str,
        output: &RegisterClientOutput,
    ) -> Result<RegistrationInfo, HostError> {
        self.store_registration_for(RegistrationUse::DeviceCode, region, output)
    }

    /// [`store_registration`](Session::store_registration) for either flow
    /// (an authorization-code registration records its `grantTypes`, as the
    /// AWS CLI does).
    ///
    /// # Errors
    ///
    /// [`HostError`] when the cache file cannot be written.
    pub fn store_registration_for(
        &self,
        flow: RegistrationUse,
        region: &str,
        output: &RegisterClientOutput,
    ) -> Result<RegistrationInfo, HostError> {
        let mut entry = CachedRegistration::new(
            output.client_id.clone(),
            output.client_secret.clone(),
            output.expires_at(),
        );
        if !self.scopes.is_empty() {
            entry = entry.with_scopes(self.scopes.clone());
        }
        if flow == RegistrationUse::AuthorizationCode {
            entry = entry.with_grant_types(vec![
                GrantType::AuthorizationCode.as_str().to_owned(),
                GrantType::RefreshToken.as_str().to_owned(),
            ]);
        }
        self.dir
            .write_registration(&self.registration_key(region), &entry)?;
        Ok(RegistrationInfo::from(output))
    }
}
