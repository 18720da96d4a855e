//! The AWS CLI's role-credential cache (`~/.aws/cli/cache/<key>.json`)
//! and the pure "are these credentials still
//! good?" decision.
//!
//! * [`sso_credentials_file_name`]: the file name of SSO role credentials,
//!   derived exactly as the AWS CLI v2 / botocore do (lowercase hex SHA-1 of
//!   the compact, sorted JSON of account id, role name and session name or
//!   start URL), so both tools find each other's entries.
//! * [`CachedCredentials`]: an entry, read leniently
//!   ([`CachedCredentials::from_json`]: SSO entries and the raw STS responses
//!   the CLI caches for assume-role alike) and written byte-for-byte like the
//!   AWS CLI ([`CachedCredentials::to_json`]).
//! * [`credentials_decision`] says [`Fresh`](CredentialsDecision::Fresh),
//!   [`RefreshNow`](CredentialsDecision::RefreshNow) or
//!   [`Expired`](CredentialsDecision::Expired), with a configurable window
//!   ([`CredentialsRefreshPolicy`], 15 minutes by default like the CLI).
//!   Credentials without an expiry never need a refresh.
//!
//! Nothing here reads a clock or a file. The AWS CLI's key for assume-role
//! entries is not part of the shared specification, so this module derives
//! none; readers still accept such entries.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::cache::credentials::{
//!     credentials_decision, sso_credentials_file_name, CachedCredentials, CredentialsDecision,
//!     CredentialsRefreshPolicy, SsoSessionId,
//! };
//!
//! let name = sso_credentials_file_name("123456789012", "ReadOnly", SsoSessionId::SessionName("my-sso"));
//! assert_eq!(name, "31b260dab331b2af063485cea75f7b8b3cf54c71.json");
//!
//! let entry = CachedCredentials::from_json(
//!     br#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T01:00:00Z", "AccountId": "123456789012"}}"#,
//! )?;
//! let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800); // 2024-01-01T01:00:00Z
//! let policy = CredentialsRefreshPolicy::default();
//! let decide = |left: u64| credentials_decision(&entry.credentials, expiry - Duration::from_secs(left), &policy);
//! assert_eq!(decide(3600), CredentialsDecision::Fresh);
//! assert_eq!(decide(600), CredentialsDecision::RefreshNow);
//! assert_eq!(decide(0), CredentialsDecision::Expired);
//! # Ok::<(), oidc_core::cache::CacheFormatError>(())
//! ```

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::json::{write_py_str, PyObjectWriter};
use super::{sha1_file_name, timestamp, CacheFormatError};
use crate::credentials::{check, Credentials};
use crate::secret::{SecretAccessKey, SessionToken};

/// The AWS CLI's expiry window for cached role credentials
/// (`DEFAULT_EXPIRY_WINDOW_SECONDS = 900`): an entry with less than this
/// left is fetched again.
pub const DEFAULT_CREDENTIALS_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The `ProviderType` the AWS CLI writes for SSO role credentials.
pub const SSO_PROVIDER_TYPE: &str = "sso";

/// What the SSO session part of a role-credential cache key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SsoSessionId<'a> {
    /// An `sso-session` profile: the session's name (`sessionName`).
    SessionName(&'a str),
    /// A legacy profile: the start URL exactly as configured (`startUrl`).
    LegacyStartUrl(&'a str),
}

/// The text the AWS CLI hashes into the file name of SSO role credentials:
/// `json.dumps({"accountId": .., "roleName": .., "sessionName" | "startUrl": ..},
/// sort_keys=True, separators=(',', ':'))` (non-ASCII escaped as
/// `\uXXXX`, as Python does).
///
/// ```
/// use oidc_core::cache::credentials::{sso_credentials_cache_key, SsoSessionId};
///
/// assert_eq!(
///     sso_credentials_cache_key("123456789012", "ReadOnly", SsoSessionId::SessionName("my-sso")),
///     r#"{"accountId":"123456789012","roleName":"ReadOnly","sessionName":"my-sso"}"#
/// );
/// ```
pub fn sso_credentials_cache_key(
    account_id: &str,
    role_name: &str,
    session: SsoSessionId<'_>,
) -> String {
    // Sorted: accountId < roleName < sessionName < startUrl.
    let (key, value) = match session {
        SsoSessionId::SessionName(name) => ("sessionName", name),
        SsoSessionId::LegacyStartUrl(url) => ("startUrl", url),
    };
    let mut out = String::from("{");
    for (i, (k, v)) in [
        ("accountId", account_id),
        ("roleName", role_name),
        (key, value),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        write_py_str(&mut out, k);
        out.push(':');
        write_py_str(&mut out, v);
    }
    out.push('}');
    out
}

/// The file name of SSO role credentials in `~/.aws/cli/cache`: lowercase
/// hex SHA-1 of [`sso_credentials_cache_key`], `:` and `/` replaced by `_`
/// (a no-op for hex, kept for fidelity), plus `.json`.
///
/// ```
/// use oidc_core::cache::credentials::{sso_credentials_file_name, SsoSessionId};
///
/// assert_eq!(
///     sso_credentials_file_name(
///         "123456789012",
///         "ReadOnly",
///         SsoSessionId::LegacyStartUrl("https://my-sso-portal.awsapps.com/start"),
///     ),
///     "107af63d78e24f5ce0fbb60ccb8244f20f6e19e6.json"
/// );
/// ```
pub fn sso_credentials_file_name(
    account_id: &str,
    role_name: &str,
    session: SsoSessionId<'_>,
) -> String {
    sha1_file_name(sso_credentials_cache_key(account_id, role_name, session).as_bytes())
        .replace([':', '/'], "_")
}

/// An entry of the AWS CLI's role-credential cache.
///
/// `Debug` is safe to log: the secret access key and the session token
/// print as `[redacted]`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::credentials::CachedCredentials;
/// use oidc_core::Credentials;
///
/// let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800);
/// let entry = CachedCredentials::sso(
///     Credentials::new("ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
///         .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
///         .with_expiry(expiry)
///         .with_account_id("123456789012"),
/// );
/// assert_eq!(
///     String::from_utf8(entry.to_json()).unwrap(),
///     r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T01:00:00Z", "AccountId": "123456789012"}}"#
/// );
/// assert!(!format!("{entry:?}").contains("wJalrXUtnFEMI"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CachedCredentials {
    /// `ProviderType` (`"sso"` for SSO role credentials; absent from the
    /// raw STS responses the CLI caches for assume-role).
    pub provider_type: Option<String>,
    /// `Credentials`: `AccessKeyId`, `SecretAccessKey`, `SessionToken`,
    /// `Expiration`, `AccountId`.
    pub credentials: Credentials,
}

const KEY_CREDENTIALS: &str = "Credentials";
const KEY_PROVIDER_TYPE: &str = "ProviderType";

impl CachedCredentials {
    /// An SSO entry (`ProviderType` `sso`) for `credentials`.
    pub fn sso(credentials: Credentials) -> CachedCredentials {
        CachedCredentials {
            provider_type: Some(SSO_PROVIDER_TYPE.to_owned()),
            credentials,
        }
    }

    /// An entry with no `ProviderType`.
    pub fn new(credentials: Credentials) -> CachedCredentials {
        CachedCredentials {
            provider_type: None,
            credentials,
        }
    }

    /// Reads an entry leniently:
    ///
    /// * the top level must be an object with a `Credentials` object;
    /// * inside it `AccessKeyId` and `SecretAccessKey` are required strings;
    ///   `SessionToken`, `Expiration` and `AccountId` are optional (values
    ///   that are not strings count as absent; `AccountId` is missing from
    ///   entries of older botocore);
    /// * key names match exactly, else ASCII-case-insensitively; unknown keys
    ///   (`AssumedRoleUser`, `ResponseMetadata`, ...) are ignored;
    /// * `Expiration` accepts what the token cache accepts: `Z`, numeric
    ///   offsets (`+00:00`), fractions, and the `...UTC` form botocore writes
    ///   for assume-role entries.
    ///
    /// Every value is checked like a service's answer (see
    /// [`get_role_credentials::parse`](crate::portal::get_role_credentials::parse)):
    /// `AccessKeyId` 1 to 128 characters of `A-Z a-z 0-9 _`, `SecretAccessKey`
    /// and `SessionToken` of `A-Z a-z 0-9 + / = . _ -`, `Expiration` from
    /// 1970 to 9999-12-31T23:59:59Z, `AccountId` 12 digits. A planted entry
    /// with a value outside them is [`CacheFormatError::InvalidValue`], like
    /// any other corrupt entry.
    ///
    /// The error names the key (as `Credentials.AccessKeyId` for nested
    /// keys) and the reason, never a value.
    ///
    /// ```
    /// use oidc_core::cache::credentials::CachedCredentials;
    /// use oidc_core::cache::CacheFormatError;
    ///
    /// // An assume-role entry as botocore caches it.
    /// let entry = CachedCredentials::from_json(
    ///     br#"{"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2024-05-14T17:48:09UTC"}, "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/r/s"}}"#,
    /// )?;
    /// assert_eq!(entry.credentials.access_key_id, "ASIA1");
    /// assert!(entry.provider_type.is_none());
    ///
    /// let err = CachedCredentials::from_json(br#"{"Credentials": {"AccessKeyId": "ASIA1"}}"#).unwrap_err();
    /// assert_eq!(err, CacheFormatError::MissingKey { key: "Credentials.SecretAccessKey" });
    /// # Ok::<(), CacheFormatError>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<CachedCredentials, CacheFormatError> {
        let value: Value = serde_json::from_slice(bytes).map_err(classify)?;
        let Value::Object(mut top) = value else {
            return Err(CacheFormatError::NotAnObject);
        };
        let provider_type = match take(&mut top, KEY_PROVIDER_TYPE) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let Some(Value::Object(mut inner)) = take(&mut top, KEY_CREDENTIALS) else {
            return Err(CacheFormatError::MissingKey {
                key: KEY_CREDENTIALS,
            });
        };
        let access_key_id = required_str(&mut inner, "AccessKeyId", "Credentials.AccessKeyId")?;
        valid(
            "Credentials.AccessKeyId",
            check::access_key_id(&access_key_id, 1),
        )?;
        let secret = required_str(&mut inner, "SecretAccessKey", "Credentials.SecretAccessKey")?;
        valid(
            "Credentials.SecretAccessKey",
            check::secret_access_key(&secret),
        )?;
        let mut credentials = Credentials::new(access_key_id, SecretAccessKey::new(secret));
        if let Some(token) = optional_str(&mut inner, "SessionToken") {
            valid("Credentials.SessionToken", check::session_token(&token))?;
            credentials = credentials.with_session_token(SessionToken::new(token));
        }
        if let Some(text) = optional_str(&mut inner, "Expiration") {
            let expiry = timestamp::parse(&text).ok_or(CacheFormatError::InvalidTimestamp {
                key: "Credentials.Expiration",
            })?;
            valid("Credentials.Expiration", check::expiry(expiry))?;
            credentials = credentials.with_expiry(expiry);
        }
        if let Some(account_id) = optional_str(&mut inner, "AccountId") {
            valid("Credentials.AccountId", check::account_id(&account_id))?;
            credentials = credentials.with_account_id(account_id);
        }
        Ok(CachedCredentials {
            provider_type,
            credentials,
        })
    }

    /// Serializes the entry byte-for-byte as the AWS CLI writes it:
    /// `{"ProviderType": .., "Credentials": {"AccessKeyId": ..,
    /// "SecretAccessKey": .., "SessionToken": .., "Expiration": ..,
    /// "AccountId": ..}}` in that order, absent members omitted, Python
    /// `json.dumps` separators (`", "`, `": "`) and escaping, `Expiration`
    /// as `%Y-%m-%dT%H:%M:%SZ` (sub-seconds dropped), no trailing newline.
    ///
    /// The bytes contain the secrets: write them to a `0600` file and never
    /// log them.
    pub fn to_json(&self) -> Vec<u8> {
        let c = &self.credentials;
        let mut inner = PyObjectWriter::new();
        inner.str("AccessKeyId", &c.access_key_id);
        inner.str("SecretAccessKey", c.secret_access_key.secret());
        inner.opt_str(
            "SessionToken",
            c.session_token.as_ref().map(SessionToken::secret),
        );
        inner.opt_str("Expiration", c.expires_at.map(timestamp::format).as_deref());
        inner.opt_str("AccountId", c.account_id.as_deref());
        let mut out = String::from("{");
        if let Some(provider_type) = &self.provider_type {
            write_py_str(&mut out, KEY_PROVIDER_TYPE);
            out.push_str(": ");
            write_py_str(&mut out, provider_type);
            out.push_str(", ");
        }
        write_py_str(&mut out, KEY_CREDENTIALS);
        out.push_str(": ");
        out.push_str(&inner.finish());
        out.push('}');
        out.into_bytes()
    }
}

/// Parses a credentials expiry as [`CachedCredentials::from_json`] reads
/// `Expiration` (and as `AWS_CREDENTIAL_EXPIRATION` is written): RFC 3339
/// with `Z` or a numeric offset, optional fraction, or the `...UTC` form.
/// `None` when it is not such a timestamp.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::credentials::parse_expiration;
///
/// let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800);
/// assert_eq!(parse_expiration("2024-01-01T01:00:00Z"), Some(expiry));
/// assert_eq!(parse_expiration("2024-01-01T02:00:00+01:00"), Some(expiry));
/// assert_eq!(parse_expiration("tomorrow"), None);
/// ```
pub fn parse_expiration(text: &str) -> Option<SystemTime> {
    timestamp::parse(text)
}

/// A failed [`check`] as [`CacheFormatError::InvalidValue`] naming `key`.
fn valid(key: &'static str, checked: Result<(), &'static str>) -> Result<(), CacheFormatError> {
    checked.map_err(|detail| CacheFormatError::InvalidValue { key, detail })
}

/// Maps a `serde_json` error without its message (which may quote input).
fn classify(error: serde_json::Error) -> CacheFormatError {
    match error.classify() {
        serde_json::error::Category::Data => CacheFormatError::NotAnObject,
        _ => CacheFormatError::InvalidJson {
            line: error.line(),
            column: error.column(),
        },
    }
}

/// Removes `key` (exact spelling first, else ASCII-case-insensitively).
fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(v) = map.remove(key) {
        return Some(v);
    }
    let found = map.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
    map.remove(&found)
}

fn required_str(
    map: &mut Map<String, Value>,
    key: &str,
    name: &'static str,
) -> Result<String, CacheFormatError> {
    match take(map, key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(CacheFormatError::NotAString { key: name }),
        None => Err(CacheFormatError::MissingKey { key: name }),
    }
}

fn optional_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match take(map, key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// When cached credentials are fetched again.
///
/// The default window is the AWS CLI's 15 minutes
/// ([`DEFAULT_CREDENTIALS_REFRESH_WINDOW`]), so an entry this project
/// considers fresh is one the CLI reuses too. Credentials that live no
/// longer than the window (an AssumeRole of 900 s) are fetched on every
/// use; shorten the window for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialsRefreshPolicy {
    /// Fetch again when `expires_at - refresh_window <= now`.
    pub refresh_window: Duration,
}

impl Default for CredentialsRefreshPolicy {
    fn default() -> Self {
        CredentialsRefreshPolicy {
            refresh_window: DEFAULT_CREDENTIALS_REFRESH_WINDOW,
        }
    }
}

impl CredentialsRefreshPolicy {
    /// A policy with `refresh_window`.
    pub fn with_refresh_window(refresh_window: Duration) -> CredentialsRefreshPolicy {
        CredentialsRefreshPolicy { refresh_window }
    }
}

/// What to do with cached credentials; see [`credentials_decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialsDecision {
    /// Use them: no expiry, or more than the window left.
    Fresh,
    /// Inside the window but not expired: fetch new ones now (the old ones
    /// still work until they expire).
    RefreshNow,
    /// Expired (`expires_at <= now`): fetch new ones; do not use these.
    Expired,
}

impl CredentialsDecision {
    /// Whether the credentials may be handed out as they are.
    pub fn is_fresh(self) -> bool {
        self == CredentialsDecision::Fresh
    }
}

/// Decides what to do with `credentials` at `now`: credentials without an
/// expiry are always [`Fresh`](CredentialsDecision::Fresh); otherwise
/// `expires_at <= now` is [`Expired`](CredentialsDecision::Expired),
/// `expires_at - refresh_window <= now` is
/// [`RefreshNow`](CredentialsDecision::RefreshNow), and anything later
/// [`Fresh`](CredentialsDecision::Fresh).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::credentials::{credentials_decision, CredentialsDecision, CredentialsRefreshPolicy};
/// use oidc_core::Credentials;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000);
/// let policy = CredentialsRefreshPolicy::with_refresh_window(Duration::from_secs(300));
/// let long_term = Credentials::new("AKIDEXAMPLE", "secret");
/// assert_eq!(credentials_decision(&long_term, now, &policy), CredentialsDecision::Fresh);
///
/// let temporary = long_term.with_expiry(now + Duration::from_secs(240));
/// assert_eq!(credentials_decision(&temporary, now, &policy), CredentialsDecision::RefreshNow);
/// ```
pub fn credentials_decision(
    credentials: &Credentials,
    now: SystemTime,
    policy: &CredentialsRefreshPolicy,
) -> CredentialsDecision {
    let Some(expires_at) = credentials.expires_at else {
        return CredentialsDecision::Fresh;
    };
    if expires_at <= now {
        return CredentialsDecision::Expired;
    }
    match expires_at.checked_sub(policy.refresh_window) {
        Some(start) if start > now => CredentialsDecision::Fresh,
        // In the window, or the window reaches back beyond what SystemTime
        // can represent.
        _ => CredentialsDecision::RefreshNow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_ENTRY: &str = r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T01:00:00Z", "AccountId": "123456789012"}}"#;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn spec_key_examples() {
        let session = sso_credentials_cache_key(
            "123456789012",
            "ReadOnly",
            SsoSessionId::SessionName("my-sso"),
        );
        assert_eq!(
            session,
            r#"{"accountId":"123456789012","roleName":"ReadOnly","sessionName":"my-sso"}"#
        );
        assert_eq!(
            sso_credentials_file_name(
                "123456789012",
                "ReadOnly",
                SsoSessionId::SessionName("my-sso")
            ),
            "31b260dab331b2af063485cea75f7b8b3cf54c71.json"
        );
        let legacy = sso_credentials_cache_key(
            "123456789012",
            "ReadOnly",
            SsoSessionId::LegacyStartUrl("https://my-sso-portal.awsapps.com/start"),
        );
        assert_eq!(
            legacy,
            r#"{"accountId":"123456789012","roleName":"ReadOnly","startUrl":"https://my-sso-portal.awsapps.com/start"}"#
        );
        assert_eq!(
            sso_credentials_file_name(
                "123456789012",
                "ReadOnly",
                SsoSessionId::LegacyStartUrl("https://my-sso-portal.awsapps.com/start")
            ),
            "107af63d78e24f5ce0fbb60ccb8244f20f6e19e6.json"
        );
    }

    #[test]
    fn key_escapes_like_python() {
        // json.dumps({"accountId": "1", "roleName": "R\u00e9\"", "sessionName": "s"},
        //            sort_keys=True, separators=(',', ':'))
        assert_eq!(
            sso_credentials_cache_key("1", "Ré\"", SsoSessionId::SessionName("s")),
            r#"{"accountId":"1","roleName":"R\u00e9\"","sessionName":"s"}"#
        );
    }

    #[test]
    fn spec_entry_round_trips_byte_for_byte() {
        let entry = CachedCredentials::from_json(SPEC_ENTRY.as_bytes()).unwrap();
        assert_eq!(entry.provider_type.as_deref(), Some("sso"));
        let c = &entry.credentials;
        assert_eq!(c.access_key_id, "ASIAEXAMPLE");
        assert_eq!(
            c.secret_access_key.secret(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        assert_eq!(
            c.session_token.as_ref().map(SessionToken::secret),
            Some("IQoJb3JpZ2luX2VjEXAMPLE")
        );
        assert_eq!(c.expires_at, Some(at(1_704_070_800)));
        assert_eq!(c.account_id.as_deref(), Some("123456789012"));
        assert_eq!(String::from_utf8(entry.to_json()).unwrap(), SPEC_ENTRY);
    }

    #[test]
    fn lenient_reading() {
        // Case-insensitive keys, no AccountId (older botocore), offset time,
        // non-string optional members ignored, unknown keys ignored.
        let entry = CachedCredentials::from_json(
            br#"{"providertype": 5, "credentials": {"accesskeyid": "A", "SECRETACCESSKEY": "S", "SessionToken": null, "Expiration": "2024-01-01T02:00:00+01:00", "Extra": [1]}, "ResponseMetadata": {}}"#,
        )
        .unwrap();
        assert!(entry.provider_type.is_none());
        assert!(entry.credentials.session_token.is_none());
        assert!(entry.credentials.account_id.is_none());
        assert_eq!(entry.credentials.expires_at, Some(at(1_704_070_800)));
        // Without an expiry.
        let entry = CachedCredentials::from_json(
            br#"{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S"}}"#,
        )
        .unwrap();
        assert!(entry.credentials.expires_at.is_none());
        assert_eq!(
            String::from_utf8(entry.to_json()).unwrap(),
            r#"{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S"}}"#
        );
    }

    #[test]
    fn errors_never_contain_values() {
        let cases: &[(&[u8], CacheFormatError)] = &[
            (b"[]", CacheFormatError::NotAnObject),
            (
                b"{}",
                CacheFormatError::MissingKey {
                    key: "Credentials",
                },
            ),
            (
                br#"{"Credentials": "planted-secret"}"#,
                CacheFormatError::MissingKey {
                    key: "Credentials",
                },
            ),
            (
                br#"{"Credentials": {"AccessKeyId": 1, "SecretAccessKey": "planted-secret"}}"#,
                CacheFormatError::NotAString {
                    key: "Credentials.AccessKeyId",
                },
            ),
            (
                br#"{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "planted-secret", "Expiration": "planted-secret"}}"#,
                CacheFormatError::InvalidTimestamp {
                    key: "Credentials.Expiration",
                },
            ),
        ];
        for (bytes, expected) in cases {
            let err = CachedCredentials::from_json(bytes).unwrap_err();
            assert_eq!(&err, expected);
            assert!(!err.to_string().contains("planted"));
            assert!(!format!("{err:?}").contains("planted"));
        }
        let err = CachedCredentials::from_json(br#"{"Credentials": {"planted-secret"#).unwrap_err();
        assert!(matches!(err, CacheFormatError::InvalidJson { .. }));
        assert!(!err.to_string().contains("planted"));
    }

    #[test]
    fn debug_redacts() {
        let entry = CachedCredentials::from_json(SPEC_ENTRY.as_bytes()).unwrap();
        for shown in [format!("{entry:?}"), format!("{entry:#?}")] {
            assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
            assert!(!shown.contains("IQoJb3JpZ2lu"), "{shown}");
            assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        }
    }

    #[test]
    fn decision_table() {
        let policy = CredentialsRefreshPolicy::default();
        let expiry = at(1_704_070_800);
        let c = Credentials::new("A", "S").with_expiry(expiry);
        let before = |secs: u64| expiry - Duration::from_secs(secs);
        assert_eq!(
            credentials_decision(&c, before(901), &policy),
            CredentialsDecision::Fresh
        );
        assert_eq!(
            credentials_decision(&c, before(900), &policy),
            CredentialsDecision::RefreshNow
        );
        assert_eq!(
            credentials_decision(&c, before(1), &policy),
            CredentialsDecision::RefreshNow
        );
        assert_eq!(
            credentials_decision(&c, expiry, &policy),
            CredentialsDecision::Expired
        );
        assert_eq!(
            credentials_decision(&c, expiry + Duration::from_secs(5), &policy),
            CredentialsDecision::Expired
        );
        // No expiry: never refreshed.
        let long_term = Credentials::new("A", "S");
        assert!(credentials_decision(&long_term, at(u64::from(u32::MAX)), &policy).is_fresh());
        // A zero window: fresh until expiry.
        let zero = CredentialsRefreshPolicy::with_refresh_window(Duration::ZERO);
        assert!(credentials_decision(&c, before(1), &zero).is_fresh());
        // A window reaching before the epoch.
        let huge = CredentialsRefreshPolicy::with_refresh_window(Duration::from_secs(u64::MAX / 4));
        assert_eq!(
            credentials_decision(&c, before(10), &huge),
            CredentialsDecision::RefreshNow
        );
    }
}
