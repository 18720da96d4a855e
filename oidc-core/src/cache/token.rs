//! The SSO token cache entry (`~/.aws/sso/cache/<sha1>.json`).

use std::time::{Duration, SystemTime};

use super::json::{read_object, PyObjectWriter};
use super::{sha1_file_name, timestamp, CacheFormatError};
use crate::secret::{AccessToken, ClientSecret, RefreshToken};

/// File name of the SSO token cache entry for `key`: lowercase hex SHA-1 of
/// the UTF-8 bytes of `key`, plus `.json`.
///
/// `key` is the **sso-session name** for profiles using `sso_session`, or the
/// **start URL exactly as configured** for legacy profiles (no trimming: a
/// trailing `/` changes the name).
///
/// ```rust
/// use oidc_core::cache::token_cache_file_name;
///
/// assert_eq!(token_cache_file_name("my-sso"), "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
/// assert_eq!(
///     token_cache_file_name("https://my-sso-portal.awsapps.com/start"),
///     "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json"
/// );
/// ```
pub fn token_cache_file_name(key: &str) -> String {
    sha1_file_name(key.as_bytes())
}

/// An SSO token cache entry as AWS CLI v2, botocore and aws-sdk-rust share
/// it.
///
/// `Debug` is safe to log: the secret fields print as `Name([redacted])`.
/// The struct is `#[non_exhaustive]`; build it with [`new`](Self::new) and
/// the `with_*` methods, or read it with [`from_json`](Self::from_json).
///
/// ```rust
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::CachedToken;
/// use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
///
/// let expires_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000);
/// let token = CachedToken::new(AccessToken::new("aoal-EXAMPLEACCESSTOKEN"), expires_at)
///     .with_start_url("https://my-sso-portal.awsapps.com/start")
///     .with_region("us-east-1");
/// assert_eq!(
///     String::from_utf8(token.to_json()).unwrap(),
///     r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoal-EXAMPLEACCESSTOKEN", "expiresAt": "2024-01-01T08:00:00Z"}"#
/// );
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CachedToken {
    /// `startUrl`: the configured start URL.
    pub start_url: Option<String>,
    /// `region`: the SSO region.
    pub region: Option<String>,
    /// `accessToken` (required).
    pub access_token: AccessToken,
    /// `expiresAt` (required): when the access token expires.
    pub expires_at: SystemTime,
    /// `clientId`: the registration used to obtain the token.
    pub client_id: Option<String>,
    /// `clientSecret`: that registration's secret.
    pub client_secret: Option<ClientSecret>,
    /// `registrationExpiresAt`: when that registration expires.
    pub registration_expires_at: Option<SystemTime>,
    /// `refreshToken`.
    pub refresh_token: Option<RefreshToken>,
}

/// The keys, in the order the AWS CLI writes them.
const KEYS: &[&str] = &[
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
];

impl CachedToken {
    /// A token with only the two required members set.
    pub fn new(access_token: AccessToken, expires_at: SystemTime) -> Self {
        CachedToken {
            start_url: None,
            region: None,
            access_token,
            expires_at,
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: None,
        }
    }

    /// Sets `startUrl`.
    pub fn with_start_url(mut self, start_url: impl Into<String>) -> Self {
        self.start_url = Some(start_url.into());
        self
    }

    /// Sets `region`.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets `clientId`.
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Sets `clientSecret`.
    pub fn with_client_secret(mut self, client_secret: ClientSecret) -> Self {
        self.client_secret = Some(client_secret);
        self
    }

    /// Sets `registrationExpiresAt`.
    pub fn with_registration_expires_at(mut self, registration_expires_at: SystemTime) -> Self {
        self.registration_expires_at = Some(registration_expires_at);
        self
    }

    /// Sets `refreshToken`.
    pub fn with_refresh_token(mut self, refresh_token: RefreshToken) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// Reads a cache entry leniently, like aws-sdk-rust and botocore:
    ///
    /// * key names match ASCII-case-insensitively (the last occurrence wins);
    /// * unknown keys are ignored;
    /// * `accessToken` and `expiresAt` are required and must be strings;
    /// * optional keys whose value is not a string are ignored (treated as
    ///   absent); an optional `registrationExpiresAt` string that is not a
    ///   valid timestamp is an error;
    /// * timestamps may use `Z`, a numeric offset (`+00:00`, `-05:00`,
    ///   converted to UTC), fractional seconds of any length, a space instead
    ///   of `T`, or the CLI v1 form `2019-11-14T04:05:45UTC`.
    ///
    /// The error names the key and the reason, never a value.
    ///
    /// ```rust
    /// use oidc_core::cache::{CacheFormatError, CachedToken};
    ///
    /// let token = CachedToken::from_json(
    ///     br#"{"ACCESSTOKEN": "x", "expiresat": "2024-01-01T03:00:00.5-05:00", "extra": 1}"#,
    /// )?;
    /// assert_eq!(token.access_token.secret(), "x");
    ///
    /// let err = CachedToken::from_json(br#"{"accessToken": "x"}"#).unwrap_err();
    /// assert_eq!(err, CacheFormatError::MissingKey { key: "expiresAt" });
    /// # Ok::<(), CacheFormatError>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<CachedToken, CacheFormatError> {
        let mut m = read_object(bytes, KEYS)?;
        let access_token = AccessToken::new(m.required_str("accessToken")?);
        let expires_at = m.required_time("expiresAt")?;
        Ok(CachedToken {
            start_url: m.optional_str("startUrl"),
            region: m.optional_str("region"),
            access_token,
            expires_at,
            client_id: m.optional_str("clientId"),
            client_secret: m.optional_str("clientSecret").map(ClientSecret::new),
            registration_expires_at: m.optional_time("registrationExpiresAt")?,
            refresh_token: m.optional_str("refreshToken").map(RefreshToken::new),
        })
    }

    /// Serializes the entry byte-for-byte as the AWS CLI writes it: keys in
    /// the order `startUrl, region, accessToken, expiresAt, clientId,
    /// clientSecret, registrationExpiresAt, refreshToken`, absent optional
    /// keys omitted, Python `json.dumps` separators (`", "`, `": "`) and
    /// escaping (non-ASCII as `\uXXXX`), timestamps as
    /// `%Y-%m-%dT%H:%M:%SZ` (sub-seconds truncated), no trailing newline.
    ///
    /// The returned bytes contain the secrets; write them to a `0600` file
    /// and do not log them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut w = PyObjectWriter::new();
        w.opt_str("startUrl", self.start_url.as_deref());
        w.opt_str("region", self.region.as_deref());
        w.str("accessToken", self.access_token.secret());
        w.str("expiresAt", &timestamp::format(self.expires_at));
        w.opt_str("clientId", self.client_id.as_deref());
        w.opt_str(
            "clientSecret",
            self.client_secret.as_ref().map(ClientSecret::secret),
        );
        w.opt_str(
            "registrationExpiresAt",
            self.registration_expires_at
                .map(timestamp::format)
                .as_deref(),
        );
        w.opt_str(
            "refreshToken",
            self.refresh_token.as_ref().map(RefreshToken::secret),
        );
        w.finish().into_bytes()
    }

    /// Whether the access token has expired: `expires_at <= now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at <= now
    }

    /// Remaining lifetime of the access token; `None` when it has expired
    /// (so `Some` always holds a non-zero duration).
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
    }

    /// Whether the token can be refreshed without user interaction:
    /// `refreshToken`, `clientId`, `clientSecret` and `registrationExpiresAt`
    /// are all present and `registrationExpiresAt > now`.
    pub fn is_refreshable(&self, now: SystemTime) -> bool {
        self.refresh_token.is_some()
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self.registration_expires_at.is_some_and(|t| t > now)
    }

    /// The entry to write after a successful refresh-token grant.
    ///
    /// `access_token` replaces the old one and `expires_at = now +
    /// expires_in_secs` (a negative `expires_in_secs` counts as 0; a lifetime
    /// the platform cannot represent yields an already expired token,
    /// `expires_at = now`). `refresh_token` replaces the old refresh token
    /// when the response carried one; otherwise the old one is **kept** (as
    /// aws-sdk-rust does; botocore would drop it). Every other member is
    /// kept.
    ///
    /// ```rust
    /// use std::time::{Duration, SystemTime};
    /// use oidc_core::cache::CachedToken;
    /// use oidc_core::secret::{AccessToken, RefreshToken};
    ///
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000);
    /// let old = CachedToken::new(AccessToken::new("old"), now)
    ///     .with_refresh_token(RefreshToken::new("rt"));
    /// let new = old.refreshed(AccessToken::new("new"), 3600, None, now);
    /// assert_eq!(new.access_token.secret(), "new");
    /// assert_eq!(new.expires_at, now + Duration::from_secs(3600));
    /// assert_eq!(new.refresh_token.unwrap().secret(), "rt");
    /// ```
    pub fn refreshed(
        &self,
        access_token: AccessToken,
        expires_in_secs: i64,
        refresh_token: Option<RefreshToken>,
        now: SystemTime,
    ) -> CachedToken {
        let lifetime = Duration::from_secs(expires_in_secs.max(0).unsigned_abs());
        let mut next = self.clone();
        next.access_token = access_token;
        next.expires_at = now.checked_add(lifetime).unwrap_or(now);
        if let Some(refresh_token) = refresh_token {
            next.refresh_token = Some(refresh_token);
        }
        next
    }

    /// A cache entry for a token `CreateToken` just issued at `now`:
    /// `accessToken`, `expiresAt = now + expiresIn` and `refreshToken` (when
    /// sent). Add the start URL, region and registration with the `with_*`
    /// setters.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use oidc_core::cache::CachedToken;
    /// use oidc_core::sso_oidc::create_token;
    ///
    /// let output = create_token::parse(&http::Response::new(
    ///     r#"{"accessToken":"aoal-x","expiresIn":3600,"refreshToken":"Atrt|y"}"#,
    /// )).unwrap();
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let token = CachedToken::issued(&output, now).with_region("us-east-1");
    /// assert_eq!(token.expires_at, now + Duration::from_secs(3600));
    /// assert!(token.refresh_token.is_some());
    /// ```
    pub fn issued(
        output: &crate::sso_oidc::create_token::CreateTokenOutput,
        now: SystemTime,
    ) -> CachedToken {
        let lifetime = Duration::from_secs(u64::from(output.expires_in));
        let mut token = CachedToken::new(
            output.access_token.clone(),
            now.checked_add(lifetime).unwrap_or(now),
        );
        token.refresh_token = output.refresh_token.clone();
        token
    }
}
