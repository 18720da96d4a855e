//! The AWS CLI's client-registration cache entry.

use std::time::{Duration, SystemTime};

use super::json::{read_object, PyObjectWriter};
use super::{sha1_file_name, timestamp, CacheFormatError};
use crate::secret::ClientSecret;

/// A cached registration is reused only while it stays valid for at least
/// this long (the CLI's 15-minute expiry window).
pub const REGISTRATION_REUSE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The grant type whose presence marks a PKCE (authorization-code)
/// registration.
const AUTHORIZATION_CODE: &str = "authorization_code";

/// File name of the AWS CLI's registration cache entry.
///
/// It is the lowercase hex SHA-1 (plus `.json`) of Python's
/// `json.dumps({"tool": "botocore", "startUrl": start_url, "region": region,
/// "scopes": scopes, "session_name": session_name}, sort_keys=True)`: keys
/// sorted, separators `", "`/`": "`, non-ASCII escaped as `\uXXXX`, `null`
/// for `None`.
///
/// `start_url` is the start URL as configured; `scopes` is the *configured*
/// `sso_registration_scopes` list (`None` when not configured, even though
/// the PKCE flow then registers the default scope); `session_name` is `None`
/// for legacy profiles.
///
/// ```rust
/// use oidc_core::cache::registration_cache_file_name;
///
/// let scopes = vec!["sso:account:access".to_owned()];
/// assert_eq!(
///     registration_cache_file_name(
///         "https://my-sso-portal.awsapps.com/start",
///         "us-east-1",
///         Some(&scopes),
///         Some("my-sso"),
///     ),
///     "c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json"
/// );
/// ```
pub fn registration_cache_file_name(
    start_url: &str,
    region: &str,
    scopes: Option<&[String]>,
    session_name: Option<&str>,
) -> String {
    sha1_file_name(registration_cache_key(start_url, region, scopes, session_name).as_bytes())
}

/// The JSON text hashed by [`registration_cache_file_name`].
fn registration_cache_key(
    start_url: &str,
    region: &str,
    scopes: Option<&[String]>,
    session_name: Option<&str>,
) -> String {
    // Alphabetical order, as `sort_keys=True` produces.
    let mut w = PyObjectWriter::new();
    w.str("region", region);
    w.list_or_null("scopes", scopes);
    w.str_or_null("session_name", session_name);
    w.str("startUrl", start_url);
    w.str("tool", "botocore");
    w.finish()
}

/// Which login flow a cached registration is to be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistrationUse {
    /// The device authorization flow (RFC 8628).
    DeviceCode,
    /// The authorization-code flow with PKCE.
    AuthorizationCode,
}

/// A client registration as the AWS CLI caches it.
///
/// `Debug` is safe to log (the secret prints as `ClientSecret([redacted])`).
/// The struct is `#[non_exhaustive]`; build it with [`new`](Self::new) and
/// the `with_*` methods.
///
/// ```rust
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::{CachedRegistration, RegistrationUse};
///
/// let json = br#"{"clientId": "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID", "clientSecret": "VERYLONGSECRETSTRINGEXAMPLE", "expiresAt": "2024-03-31T00:00:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#;
/// let registration = CachedRegistration::from_json(json)?;
/// assert_eq!(registration.to_json(), json.to_vec());
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000); // 2024-01-01
/// assert!(registration.usable_for(RegistrationUse::AuthorizationCode, now));
/// assert!(!registration.usable_for(RegistrationUse::DeviceCode, now));
/// # Ok::<(), oidc_core::cache::CacheFormatError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CachedRegistration {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: ClientSecret,
    /// `expiresAt`: the registration's `clientSecretExpiresAt`.
    pub expires_at: SystemTime,
    /// `scopes`: the registered scopes, when scopes were registered.
    pub scopes: Option<Vec<String>>,
    /// `grantTypes`: present only for PKCE registrations.
    pub grant_types: Option<Vec<String>>,
}

/// The keys, in the order the AWS CLI writes them.
const KEYS: &[&str] = &[
    "clientId",
    "clientSecret",
    "expiresAt",
    "scopes",
    "grantTypes",
];

impl CachedRegistration {
    /// A registration without `scopes` and `grantTypes`.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        expires_at: SystemTime,
    ) -> Self {
        CachedRegistration {
            client_id: client_id.into(),
            client_secret,
            expires_at,
            scopes: None,
            grant_types: None,
        }
    }

    /// Sets `scopes`.
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Sets `grantTypes`.
    pub fn with_grant_types(mut self, grant_types: Vec<String>) -> Self {
        self.grant_types = Some(grant_types);
        self
    }

    /// Reads a registration entry with the same leniency as
    /// [`CachedToken::from_json`](super::CachedToken::from_json):
    /// case-insensitive keys, unknown keys ignored. `clientId`,
    /// `clientSecret` and `expiresAt` are required strings; `scopes` and
    /// `grantTypes` are ignored unless they are arrays of strings.
    pub fn from_json(bytes: &[u8]) -> Result<CachedRegistration, CacheFormatError> {
        let mut m = read_object(bytes, KEYS)?;
        let client_id = m.required_str("clientId")?;
        let client_secret = ClientSecret::new(m.required_str("clientSecret")?);
        let expires_at = m.required_time("expiresAt")?;
        Ok(CachedRegistration {
            client_id,
            client_secret,
            expires_at,
            scopes: m.optional_str_list("scopes"),
            grant_types: m.optional_str_list("grantTypes"),
        })
    }

    /// Serializes the entry byte-for-byte as the AWS CLI writes it: keys
    /// `clientId, clientSecret, expiresAt, scopes, grantTypes` (the last two
    /// omitted when `None`), Python `json.dumps` layout and escaping,
    /// `expiresAt` as `%Y-%m-%dT%H:%M:%SZ`.
    ///
    /// The returned bytes contain the client secret.
    pub fn to_json(&self) -> Vec<u8> {
        let mut w = PyObjectWriter::new();
        w.str("clientId", &self.client_id);
        w.str("clientSecret", self.client_secret.secret());
        w.str("expiresAt", &timestamp::format(self.expires_at));
        w.opt_list("scopes", self.scopes.as_deref());
        w.opt_list("grantTypes", self.grant_types.as_deref());
        w.finish().into_bytes()
    }

    /// Whether the registration was made for the PKCE flow (`grantTypes`
    /// contains `authorization_code`).
    pub fn supports_authorization_code(&self) -> bool {
        self.grant_types
            .as_ref()
            .is_some_and(|g| g.iter().any(|t| t == AUTHORIZATION_CODE))
    }

    /// Whether the CLI would reuse this registration for `flow` at `now`:
    ///
    /// * it stays valid for at least [`REGISTRATION_REUSE_WINDOW`] (15 min):
    ///   `expires_at - now >= 15 min`, as the CLI computes it;
    /// * for [`RegistrationUse::AuthorizationCode`], `grantTypes` contains
    ///   `authorization_code`;
    /// * for [`RegistrationUse::DeviceCode`], it does **not** (a registration
    ///   without `grantTypes` is a device-flow registration).
    ///
    /// Otherwise the caller registers anew.
    pub fn usable_for(&self, flow: RegistrationUse, now: SystemTime) -> bool {
        let long_enough = match now.checked_add(REGISTRATION_REUSE_WINDOW) {
            Some(limit) => self.expires_at >= limit,
            None => false,
        };
        let right_kind = match flow {
            RegistrationUse::AuthorizationCode => self.supports_authorization_code(),
            RegistrationUse::DeviceCode => !self.supports_authorization_code(),
        };
        long_enough && right_kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_key_text() {
        let scopes = vec!["sso:account:access".to_owned()];
        assert_eq!(
            registration_cache_key(
                "https://my-sso-portal.awsapps.com/start",
                "us-east-1",
                Some(&scopes),
                Some("my-sso")
            ),
            r#"{"region": "us-east-1", "scopes": ["sso:account:access"], "session_name": "my-sso", "startUrl": "https://my-sso-portal.awsapps.com/start", "tool": "botocore"}"#
        );
        assert_eq!(
            registration_cache_key("https://x/é", "us-east-1", None, None),
            r#"{"region": "us-east-1", "scopes": null, "session_name": null, "startUrl": "https://x/\u00e9", "tool": "botocore"}"#
        );
    }
}
