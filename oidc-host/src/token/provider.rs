//! The token provider: what to do with the cached token, and writing back
//! what the service returned.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::{
    refresh_decision, CachedRegistration, CachedToken, RefreshDecision, RefreshPolicy,
};
use oidc_core::device_flow::DeviceFlow;
use oidc_core::endpoint::Endpoint;
use oidc_core::retry::{self, RetryClass};
use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::register_client::RegisterClientOutput;
use oidc_core::sso_oidc::start_device_authorization::{
    StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput,
};
use oidc_core::sso_oidc::ErrorCode;

use crate::config::Config;
use crate::error::{CacheWarning, TokenError};
use crate::token::dir::{CacheDir, RefreshOutcome, RefreshRecord};
use crate::token::lock::SessionLock;

/// Hands out a session's SSO token from the cache, deciding when to refresh
/// it and when a sign-in is needed. It does no HTTP: it gives the adapter a
/// request to send and takes the response back.
///
/// The sequence, for every token request:
///
/// 1. take the session lock ([`lock`](Self::lock) or, in async code,
///    [`try_lock`](Self::try_lock) in a loop with the runtime's timer);
/// 2. [`begin`](Self::begin) reads the cache under that lock and returns
///    [`Next`];
/// 3. for [`Next::Refresh`], send [`Refresh::request`] and pass the
///    response (or the transport failure) to [`Refresh::finish`]; for
///    [`Next::LoginRequired`], run the device flow or PKCE and pass the
///    token to [`Login::store`].
///
/// The lock travels inside [`Refresh`] and [`Login`] and is released when
/// they are consumed or dropped, so no other process refreshes or signs in
/// to the same session meanwhile; a process that waited for the lock then
/// finds the new token in the cache.
///
/// Refresh attempts are throttled (at most one per
/// `RefreshPolicy::min_time_between_attempts`) using a record of the last
/// attempt kept in the provider and shared by its clones. Keep one
/// provider per session for the life of the process to get that
/// protection; a provider created for a single call starts with no record
/// and so never throttles. A provider is cheap to clone.
#[derive(Clone)]
pub(crate) struct TokenProvider {
    dir: CacheDir,
    session_key: String,
    endpoint: Endpoint,
    policy: RefreshPolicy,
    regional: Option<Config>,
    last_attempt: Arc<Mutex<Option<SystemTime>>>,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProvider")
            .field("dir", &self.dir)
            .field("session_key", &self.session_key)
            .field("endpoint", &self.endpoint.url())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl TokenProvider {
    /// A provider for the session `session_key` (the sso-session name, or
    /// the start URL of a legacy profile) whose refresh requests go to
    /// `endpoint` (the SSO OIDC endpoint of the session's region).
    pub(crate) fn new(
        dir: CacheDir,
        session_key: impl Into<String>,
        endpoint: Endpoint,
    ) -> TokenProvider {
        TokenProvider {
            dir,
            session_key: session_key.into(),
            endpoint,
            policy: RefreshPolicy::default(),
            regional: None,
            last_attempt: Arc::new(Mutex::new(None)),
        }
    }

    /// Refreshes each token in the region its cache entry names, with the
    /// endpoint choice of `config` (FIPS, dual-stack, override); the
    /// provider's endpoint is then used only for entries that name no
    /// region.
    pub(crate) fn with_regional_endpoints(mut self, config: Config) -> TokenProvider {
        self.regional = Some(config);
        self
    }

    /// Sets when to refresh (default: aws-sdk-rust's 5-minute window, at
    /// most one attempt per 30 s).
    pub(crate) fn with_policy(mut self, policy: RefreshPolicy) -> TokenProvider {
        self.policy = policy;
        self
    }

    #[cfg(test)]
    /// The refresh policy.
    pub(crate) fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// Takes this session's lock, waiting at most `timeout`
    /// ([`CacheDir::lock`]).
    pub(crate) fn lock(&self, timeout: Duration) -> Result<SessionLock, TokenError> {
        Ok(self.dir.lock(&self.session_key, timeout)?)
    }

    /// Reads the cache under `lock` and decides what to do at `now`
    /// (wall-clock time).
    ///
    /// | cached token | result |
    /// |---|---|
    /// | outside the refresh window | [`Next::Ready`] |
    /// | in the window, refreshable | [`Next::Refresh`] |
    /// | expired, refreshable | [`Next::Refresh`] |
    /// | in the window, not refreshable, not expired | [`Next::Ready`] (usable until it expires) |
    /// | expired, not refreshable | [`Next::LoginRequired`] |
    /// | absent or corrupt (with a [`CacheWarning`]) | [`Next::LoginRequired`] |
    /// | refreshable, but the last attempt was under `min_time_between_attempts` ago | [`Next::Ready`] if still valid, else [`TokenError::RefreshThrottled`] |
    ///
    /// Refreshable means `refreshToken`, `clientId`, `clientSecret` and a
    /// future `registrationExpiresAt` are present. Fails with
    /// [`TokenError::WrongLock`] when `lock` belongs to another session.
    pub(crate) fn begin(&self, lock: SessionLock, now: SystemTime) -> Result<Next, TokenError> {
        self.check_lock(&lock)?;
        let outcome = self.dir.read_token(&self.session_key)?;
        let Some(token) = outcome.token else {
            let reason = match outcome.warning {
                Some(warning) => LoginReason::Corrupt(warning),
                None => LoginReason::Absent,
            };
            return Ok(Next::LoginRequired(self.login_handle(lock, reason, None)));
        };
        // The last refresh attempt of this token, by this process or
        // another (the record written before each refresh), so concurrent
        // processes never retry a failing refresh one after another. A
        // file's modification time says nothing about that: a token copied
        // or restored moments ago has never been refreshed.
        let local = *self
            .last_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Of the two records, the one closest to `now` decides (a file
        // time ahead of `now`, from clock skew, must not hide a fresh
        // local record).
        let distance = |t: &SystemTime| match now.duration_since(*t) {
            Ok(d) => d,
            Err(ahead) => ahead.duration(),
        };
        let record = self.dir.refresh_record(&self.session_key, &token);
        if record.is_some_and(|r| r.outcome == RefreshOutcome::Ended) && token.is_expired(now) {
            // The service refused this token's refresh token: asking again
            // is pointless, the session has ended (as `status` says).
            return Ok(Next::LoginRequired(self.login_handle(
                lock,
                LoginReason::SessionEnded,
                Some(token),
            )));
        }
        let recorded = record.map(|r| r.attempted_at);
        let last_attempt = [local, recorded].into_iter().flatten().min_by_key(distance);
        match refresh_decision(&token, now, last_attempt, &self.policy) {
            RefreshDecision::Fresh | RefreshDecision::ExpiringNotRefreshable => {
                Ok(Next::Ready(token))
            }
            RefreshDecision::Expired => Ok(Next::LoginRequired(self.login_handle(
                lock,
                LoginReason::Expired,
                None,
            ))),
            RefreshDecision::Throttled => {
                if token.is_expired(now) {
                    let next_attempt =
                        last_attempt.unwrap_or(now) + self.policy.min_time_between_attempts;
                    let retry_after = next_attempt
                        .duration_since(now)
                        .unwrap_or(self.policy.min_time_between_attempts);
                    Err(TokenError::RefreshThrottled { retry_after })
                } else {
                    Ok(Next::Ready(token))
                }
            }
            RefreshDecision::RefreshNow { .. } => {
                match refresh_request(&token, &self.endpoint_of(&token)) {
                    Some(request) => {
                        *self
                            .last_attempt
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(now);
                        let record = RefreshRecord::new(now, RefreshOutcome::Started);
                        if let Err(e) = self.dir.record_refresh(&self.session_key, &token, record) {
                            // Only other processes miss the record.
                            log::warn!("the refresh attempt could not be recorded: {e}");
                        }
                        Ok(Next::Refresh(Refresh {
                            request,
                            old: token,
                            dir: self.dir.clone(),
                            session_key: self.session_key.clone(),
                            lock,
                        }))
                    }
                    // The entry looks refreshable but cannot form a request
                    // (an empty refresh token or client id): treat it as not
                    // refreshable.
                    None if token.is_expired(now) => Ok(Next::LoginRequired(self.login_handle(
                        lock,
                        LoginReason::Expired,
                        None,
                    ))),
                    None => Ok(Next::Ready(token)),
                }
            }
            // RefreshDecision is non_exhaustive: anything new that is not
            // understood here is handled as "sign in again".
            _ => Ok(Next::LoginRequired(self.login_handle(
                lock,
                LoginReason::Expired,
                Some(token),
            ))),
        }
    }

    /// Starts a sign-in under `lock` whatever the cache holds (after
    /// [`TokenError::SessionEnded`], or when the user asked for a new
    /// sign-in). The current token, if any, is available from
    /// [`Login::previous`] and is replaced only by [`Login::store`].
    pub(crate) fn login(&self, lock: SessionLock) -> Result<Login, TokenError> {
        self.check_lock(&lock)?;
        let outcome = self.dir.read_token(&self.session_key)?;
        let reason = match outcome.warning {
            Some(warning) => LoginReason::Corrupt(warning),
            None => LoginReason::Requested,
        };
        Ok(self.login_handle(lock, reason, outcome.token))
    }

    fn check_lock(&self, lock: &SessionLock) -> Result<(), TokenError> {
        let expected = self.dir.lock_path(&self.session_key);
        if lock.path() != expected {
            return Err(TokenError::WrongLock {
                expected,
                got: lock.path().to_owned(),
            });
        }
        Ok(())
    }

    /// The SSO OIDC endpoint of the region `token` names (or the
    /// provider's endpoint).
    fn endpoint_of(&self, token: &CachedToken) -> Endpoint {
        match (&self.regional, token.region.as_deref()) {
            (Some(config), Some(region)) if !region.is_empty() => {
                match config.endpoint_for(oidc_core::endpoint::Service::SsoOidc, region) {
                    Ok(endpoint) => endpoint,
                    Err(e) => {
                        log::warn!(
                            "the cached SSO token names region {region:?}, which does not resolve ({e}); refreshing at {}",
                            self.endpoint.url()
                        );
                        self.endpoint.clone()
                    }
                }
            }
            _ => self.endpoint.clone(),
        }
    }

    fn login_handle(
        &self,
        lock: SessionLock,
        reason: LoginReason,
        previous: Option<CachedToken>,
    ) -> Login {
        Login {
            dir: self.dir.clone(),
            session_key: self.session_key.clone(),
            lock,
            reason,
            previous,
        }
    }
}

/// The CreateToken refresh request for `token`, or `None` when the entry
/// lacks (or has empty) refresh material.
fn refresh_request(token: &CachedToken, endpoint: &Endpoint) -> Option<http::Request<Vec<u8>>> {
    let input = CreateTokenInput::new(
        token.client_id.clone()?,
        token.client_secret.clone()?,
        Grant::RefreshToken {
            refresh_token: token.refresh_token.clone()?,
        },
    );
    match create_token::request(&input, endpoint) {
        Ok(request) => Some(request),
        Err(e) => {
            log::warn!("the cached SSO token cannot be refreshed: {e}");
            None
        }
    }
}

/// What the caller must do next; see [`TokenProvider::begin`].
#[derive(Debug)]
#[must_use = "a Refresh or Login holds the session lock and must be finished"]
pub(crate) enum Next {
    /// A valid cached token: use it. The lock has been released.
    Ready(CachedToken),
    /// Refresh the token: send [`Refresh::request`], then call
    /// [`Refresh::finish`].
    Refresh(Refresh),
    /// No usable token: sign in (device flow or PKCE) while holding the
    /// lock inside [`Login`], then call [`Login::store`]. A background
    /// caller that must not start an interactive flow drops the `Login` and
    /// reports that a sign-in is needed.
    LoginRequired(Login),
}

/// A refresh in progress, holding the session lock.
pub(crate) struct Refresh {
    request: http::Request<Vec<u8>>,
    old: CachedToken,
    dir: CacheDir,
    session_key: String,
    lock: SessionLock,
}

impl fmt::Debug for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresh")
            .field("request", &oidc_core::debug::DebugRequest(&self.request))
            .field("old", &self.old)
            .field("lock", &self.lock.path())
            .finish_non_exhaustive()
    }
}

impl Refresh {
    /// The `CreateToken` request (`grantType=refresh_token`) to send. It
    /// carries the client secret and refresh token in its body: do not log
    /// it (use `oidc_core::debug::DebugRequest`).
    pub(crate) fn request(&self) -> &http::Request<Vec<u8>> {
        &self.request
    }

    /// The cached token being refreshed.
    pub(crate) fn old_token(&self) -> &CachedToken {
        &self.old
    }

    #[cfg(test)]
    /// Completes the refresh with the response (or the transport failure)
    /// at `now`, then releases the lock.
    ///
    /// * Success: the new entry keeps the start URL, region and
    ///   registration, takes the new access token, `expiresAt = now +
    ///   expiresIn` and the rotated refresh token (the old one when the
    ///   response has none); it is written to the cache and returned. If
    ///   it cannot be written: [`TokenError::NotSaved`] carrying it.
    /// * `InvalidGrantException`, `ExpiredTokenException`,
    ///   `InvalidClientException`, `AccessDeniedException`,
    ///   `UnauthorizedClientException`: [`TokenError::SessionEnded`].
    /// * Throttling, HTTP 5xx, a truncated body, a transport failure:
    ///   [`TokenError::RefreshFailed`] with `transient: true`.
    /// * Anything else: [`TokenError::RefreshFailed`] with `transient:
    ///   false`.
    ///
    /// On every failure the cache file is left untouched and the old token
    /// comes back in the error when it is still valid
    /// ([`TokenError::still_valid`]).
    pub(crate) fn finish(
        self,
        now: SystemTime,
        outcome: Result<CreateTokenOutput, oidc_core::Error>,
    ) -> Result<CachedToken, TokenError> {
        self.complete(now, outcome)
    }

    #[cfg(test)]
    /// [`finish`](Self::finish) with the response as received.
    pub(crate) fn finish_response<B: AsRef<[u8]>>(
        self,
        now: SystemTime,
        response: &http::Response<B>,
    ) -> Result<CachedToken, TokenError> {
        self.complete(now, create_token::parse(response))
    }

    #[cfg(test)]
    /// Gives up the refresh and keeps the session lock, e.g. to sign in
    /// instead ([`TokenProvider::login`]). Nothing is sent or written.
    pub(crate) fn into_lock(self) -> SessionLock {
        self.lock
    }

    /// Like [`finish`](Self::finish), but when the service says the session
    /// has ended, hands back a [`Login`] that still holds the session lock,
    /// so an interactive caller can sign in again without another process
    /// slipping in between. The [`TokenError::SessionEnded`] comes along
    /// for the message; [`Login::reason`] is
    /// [`LoginReason::SessionEnded`] and [`Login::previous`] the old token.
    pub(crate) fn finish_or_login(
        self,
        now: SystemTime,
        outcome: Result<CreateTokenOutput, oidc_core::Error>,
    ) -> Result<Refreshed, TokenError> {
        match self.complete(now, outcome) {
            Ok(token) => Ok(Refreshed::Token(token)),
            Err(error @ TokenError::SessionEnded { .. }) => Ok(Refreshed::LoginRequired {
                error: Box::new(error),
                login: Login {
                    dir: self.dir,
                    session_key: self.session_key,
                    lock: self.lock,
                    reason: LoginReason::SessionEnded,
                    previous: Some(self.old),
                },
            }),
            Err(other) => Err(other),
        }
    }

    /// The outcome of the refresh; the lock stays with `self`.
    fn complete(
        &self,
        now: SystemTime,
        outcome: Result<CreateTokenOutput, oidc_core::Error>,
    ) -> Result<CachedToken, TokenError> {
        let still_valid = || (!self.old.is_expired(now)).then(|| Box::new(self.old.clone()));
        match outcome {
            Ok(output) => {
                let expires_in = i64::from(output.expires_in);
                let new =
                    self.old
                        .refreshed(output.access_token, expires_in, output.refresh_token, now);
                match self.dir.write_token(&self.session_key, &new) {
                    Ok(()) => Ok(new),
                    Err(source) => Err(TokenError::NotSaved {
                        token: Box::new(new),
                        source,
                    }),
                }
            }
            Err(error) => {
                log::debug!("refreshing the SSO token failed: {error}");
                let outcome = if ends_session(&error) {
                    RefreshOutcome::Ended
                } else {
                    RefreshOutcome::Failed
                };
                let record = RefreshRecord::new(now, outcome);
                if let Err(e) = self
                    .dir
                    .record_refresh(&self.session_key, &self.old, record)
                {
                    log::warn!("the refresh outcome could not be recorded: {e}");
                }
                if ends_session(&error) {
                    return Err(TokenError::SessionEnded {
                        error,
                        still_valid: still_valid(),
                    });
                }
                let transient = retry::classify(&error) != RetryClass::NotRetryable;
                Err(TokenError::RefreshFailed {
                    transient,
                    cause: error,
                    still_valid: still_valid(),
                })
            }
        }
    }
}

/// The result of [`Refresh::finish_or_login`].
#[derive(Debug)]
#[must_use = "a LoginRequired holds the session lock"]
pub(crate) enum Refreshed {
    /// The refreshed token, written to the cache.
    Token(CachedToken),
    /// The session has ended: sign in with `login` (which holds the lock),
    /// or drop it and report `error`.
    LoginRequired {
        /// The [`TokenError::SessionEnded`] the service caused.
        error: Box<TokenError>,
        /// A sign-in holding the session lock.
        login: Login,
    },
}

/// Whether the service's answer means the session (refresh token or client
/// registration) is over.
pub(crate) fn ends_session(error: &oidc_core::Error) -> bool {
    matches!(
        error.sso_oidc_code(),
        Some(
            ErrorCode::InvalidGrant
                | ErrorCode::ExpiredToken
                | ErrorCode::InvalidClient
                | ErrorCode::AccessDenied
                | ErrorCode::UnauthorizedClient
        )
    )
}

/// Why a sign-in is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginReason {
    /// There is no cached token.
    Absent,
    /// The cache file is unusable (the sign-in's token replaces it).
    Corrupt(CacheWarning),
    /// The cached token has expired and cannot be refreshed.
    Expired,
    /// The caller asked for a sign-in (`login --force`,
    /// [`SessionFlow::force_sign_in`](crate::SessionFlow::force_sign_in)).
    Requested,
    /// A refresh found the session ended.
    SessionEnded,
}

impl fmt::Display for LoginReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginReason::Absent => f.write_str("there is no cached SSO token"),
            LoginReason::Corrupt(warning) => write!(f, "{warning}"),
            LoginReason::Expired => {
                f.write_str("the cached SSO token has expired and cannot be refreshed")
            }
            LoginReason::Requested => f.write_str("a new sign-in was requested"),
            LoginReason::SessionEnded => f.write_str("the SSO session has ended"),
        }
    }
}

/// A sign-in in progress, holding the session lock.
#[derive(Debug)]
pub(crate) struct Login {
    dir: CacheDir,
    session_key: String,
    // Held, not read: dropping the sign-in releases the session lock.
    #[cfg_attr(not(test), allow(dead_code))]
    lock: SessionLock,
    reason: LoginReason,
    #[cfg_attr(not(test), allow(dead_code))]
    previous: Option<CachedToken>,
}

impl Login {
    /// Why the sign-in is needed.
    pub(crate) fn reason(&self) -> &LoginReason {
        &self.reason
    }

    #[cfg(test)]
    /// The token currently cached, when there is one (after
    /// [`TokenProvider::login`] and [`Refresh::finish_or_login`]).
    pub(crate) fn previous(&self) -> Option<&CachedToken> {
        self.previous.as_ref()
    }

    /// Writes the token a completed flow obtained at `now` and returns the
    /// entry written (then releases the lock): `accessToken`, `expiresAt =
    /// now + expiresIn`, `refreshToken` when sent, the registration's
    /// `clientId`, `clientSecret` and `registrationExpiresAt`, and
    /// `startUrl` and `region`.
    ///
    /// If the entry cannot be written: [`TokenError::NotSaved`] carrying it.
    pub(crate) fn store(
        self,
        now: SystemTime,
        token: &CreateTokenOutput,
        registration: &RegistrationInfo,
        start_url: &str,
        region: &str,
    ) -> Result<CachedToken, TokenError> {
        let entry = CachedToken::issued(token, now)
            .with_start_url(start_url)
            .with_region(region)
            .with_client_id(registration.client_id.clone())
            .with_client_secret(registration.client_secret.clone())
            .with_registration_expires_at(registration.expires_at);
        match self.dir.write_token(&self.session_key, &entry) {
            Ok(()) => Ok(entry),
            Err(source) => Err(TokenError::NotSaved {
                token: Box::new(entry),
                source,
            }),
        }
    }

    #[cfg(test)]
    /// The session lock held for the sign-in (for example, to check which
    /// file it guards).
    pub(crate) fn lock(&self) -> &SessionLock {
        &self.lock
    }
}

/// The client registration a token was obtained with, as written to the
/// token cache (`clientId`, `clientSecret`, `registrationExpiresAt`).
///
/// Build it from a fresh `RegisterClient` answer or a cached registration
/// with `From`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistrationInfo {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: ClientSecret,
    /// When the registration expires.
    pub expires_at: SystemTime,
}

impl RegistrationInfo {
    /// A registration from its parts.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        expires_at: SystemTime,
    ) -> Self {
        RegistrationInfo {
            client_id: client_id.into(),
            client_secret,
            expires_at,
        }
    }
}

impl RegistrationInfo {
    /// The `StartDeviceAuthorization` input of a device sign-in to
    /// `start_url` with this registration.
    pub fn start_device_authorization(&self, start_url: &str) -> StartDeviceAuthorizationInput {
        StartDeviceAuthorizationInput::new(
            self.client_id.clone(),
            self.client_secret.clone(),
            start_url,
        )
    }

    /// The device flow for this registration once `StartDeviceAuthorization`
    /// answered `started`; `now` is the caller's monotonic clock (the
    /// flow's deadlines count from it).
    ///
    /// ```
    /// use std::time::{Duration, Instant, SystemTime};
    /// use oidc_host::oidc_core::endpoint::Endpoint;
    /// use oidc_host::oidc_core::secret::ClientSecret;
    /// use oidc_host::oidc_core::sso_oidc::start_device_authorization;
    /// use oidc_host::RegistrationInfo;
    ///
    /// let registration = RegistrationInfo::new("cid", ClientSecret::new("cs"), SystemTime::UNIX_EPOCH);
    /// let input = registration.start_device_authorization("https://my-sso-portal.awsapps.com/start");
    /// assert_eq!(input.client_id, "cid");
    /// let response = http::Response::builder().status(200).body(
    ///     r#"{"deviceCode":"dc","userCode":"ABCD-EFGH","verificationUri":"https://v","expiresIn":600,"interval":5}"#,
    /// ).unwrap();
    /// let started = start_device_authorization::parse(&response).unwrap();
    /// let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    /// let now = Instant::now();
    /// let flow = registration.device_flow(started, endpoint, now);
    /// assert_eq!(flow.deadline(), now + Duration::from_secs(600));
    /// ```
    pub fn device_flow(
        &self,
        started: StartDeviceAuthorizationOutput,
        endpoint: Endpoint,
        now: Instant,
    ) -> DeviceFlow {
        DeviceFlow::new(
            self.client_id.clone(),
            self.client_secret.clone(),
            started,
            endpoint,
            now,
        )
    }
}

impl From<&RegisterClientOutput> for RegistrationInfo {
    fn from(output: &RegisterClientOutput) -> Self {
        RegistrationInfo::new(
            output.client_id.clone(),
            output.client_secret.clone(),
            output.expires_at(),
        )
    }
}

impl From<&CachedRegistration> for RegistrationInfo {
    fn from(registration: &CachedRegistration) -> Self {
        RegistrationInfo::new(
            registration.client_id.clone(),
            registration.client_secret.clone(),
            registration.expires_at,
        )
    }
}

/// The token providers of one client, one per (cache directory, session
/// key), kept for the client's lifetime so the refresh throttling of
/// `RefreshPolicy::min_time_between_attempts` holds across calls.
#[derive(Debug, Default)]
pub(crate) struct TokenProviders {
    providers: Mutex<HashMap<(PathBuf, String), TokenProvider>>,
}

impl TokenProviders {
    /// No providers yet.
    pub(crate) fn new() -> TokenProviders {
        TokenProviders::default()
    }

    /// The provider of `session_key` in `dir` (created on first use with
    /// `endpoint`), with `policy`. Clones share the throttling record.
    pub(crate) fn get(
        &self,
        dir: &CacheDir,
        session_key: &str,
        endpoint: &Endpoint,
        policy: RefreshPolicy,
    ) -> TokenProvider {
        let mut providers = self
            .providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        providers
            .entry((dir.path().to_path_buf(), session_key.to_owned()))
            .or_insert_with(|| TokenProvider::new(dir.clone(), session_key, endpoint.clone()))
            .clone()
            .with_policy(policy)
    }
}
