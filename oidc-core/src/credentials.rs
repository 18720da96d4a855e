//! AWS credentials: an access key pair, optionally temporary.
//!
//! [`Credentials`] is what the [SigV4 signer](crate::sigv4) signs with. The
//! secret access key and the session token are [secret
//! newtypes](crate::secret): the `Debug` output of `Credentials` shows the
//! access key id, the expiry and the account id, never the secret key or the
//! token.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::Credentials;
//!
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let credentials = Credentials::new("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
//!     .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
//!     .with_expiry(now + Duration::from_secs(3600))
//!     .with_account_id("111122223333");
//!
//! assert!(!credentials.is_expired(now));
//! assert!(credentials.is_expired(now + Duration::from_secs(3600)));
//! let shown = format!("{credentials:?}");
//! assert!(shown.contains("ASIAIOSFODNN7EXAMPLE"));
//! assert!(!shown.contains("wJalrXUtnFEMI"));
//! assert!(!shown.contains("IQoJb3JpZ2luX2VjEXAMPLE"));
//! ```

use std::time::SystemTime;

use crate::secret::{SecretAccessKey, SessionToken};

/// An AWS access key pair, with the session token and expiry of temporary
/// credentials.
///
/// `Debug` shows the access key id (which is not a secret: it travels in
/// every `Authorization` header), the expiry and the account id; the secret
/// access key and the session token print as `[redacted]`. There is no
/// `Display`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Credentials {
    /// The access key id (`AKIA...` for long-term keys, `ASIA...` for
    /// temporary ones).
    pub access_key_id: String,
    /// The secret access key; it derives the signing key and is never sent.
    pub secret_access_key: SecretAccessKey,
    /// The session token of temporary credentials, sent as
    /// `X-Amz-Security-Token` and signed.
    pub session_token: Option<SessionToken>,
    /// When temporary credentials stop working; `None` for long-term keys.
    pub expires_at: Option<SystemTime>,
    /// The AWS account the credentials belong to, when known.
    pub account_id: Option<String>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret access key,
    /// with no session token, expiry or account id.
    ///
    /// ```
    /// use oidc_core::Credentials;
    ///
    /// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    /// assert_eq!(credentials.access_key_id, "AKIDEXAMPLE");
    /// assert_eq!(credentials.secret_access_key.secret(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    /// assert!(credentials.session_token.is_none());
    /// assert!(credentials.expires_at.is_none());
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<SecretAccessKey>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            expires_at: None,
            account_id: None,
        }
    }

    /// Adds the session token of temporary credentials.
    ///
    /// ```
    /// use oidc_core::Credentials;
    ///
    /// let credentials = Credentials::new("ASIAEXAMPLE", "secret").with_session_token("token");
    /// assert_eq!(credentials.session_token.as_ref().map(|t| t.secret()), Some("token"));
    /// ```
    pub fn with_session_token(mut self, session_token: impl Into<SessionToken>) -> Self {
        self.session_token = Some(session_token.into());
        self
    }

    /// Sets the instant the credentials expire.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use oidc_core::Credentials;
    ///
    /// let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_003_600);
    /// let credentials = Credentials::new("ASIAEXAMPLE", "secret").with_expiry(expiry);
    /// assert_eq!(credentials.expires_at, Some(expiry));
    /// ```
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Records the AWS account id the credentials belong to.
    ///
    /// ```
    /// use oidc_core::Credentials;
    ///
    /// let credentials = Credentials::new("AKIDEXAMPLE", "secret").with_account_id("111122223333");
    /// assert_eq!(credentials.account_id.as_deref(), Some("111122223333"));
    /// ```
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// True when the credentials have an expiry and `now` is at or after it.
    /// Credentials without an expiry never expire. `now` is an argument: this
    /// crate never reads the clock.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use oidc_core::Credentials;
    ///
    /// let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    /// let temporary = Credentials::new("ASIAEXAMPLE", "secret").with_expiry(expiry);
    /// assert!(!temporary.is_expired(expiry - Duration::from_secs(1)));
    /// assert!(temporary.is_expired(expiry));
    /// assert!(!Credentials::new("AKIDEXAMPLE", "secret").is_expired(expiry));
    /// ```
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|expiry| now >= expiry)
    }
}

/// The checks a credential member read from a response or a cache file
/// must pass before it becomes part of [`Credentials`].
///
/// Each check returns what was expected (for
/// [`ParseErrorKind::OutOfRange`](crate::ParseErrorKind::OutOfRange)'s
/// `detail`), never the value. The constraints are the models' where they
/// have one (STS `accessKeyIdType`: 16 to 128 `[\w]` characters); where the
/// model only says "string" (the portal's `AccessKeyType`,
/// `SecretAccessKeyType`, `SessionTokenType`, STS `accessKeySecretType`,
/// `tokenType`), the alphabet AWS issues them in: word characters for key
/// ids, base64 (standard or URL-safe, with `.`) for secrets and tokens. So no
/// value that passes can carry a control character, white space, a quote or
/// any other character a shell or a terminal interprets.
pub(crate) mod check {
    use std::time::{Duration, SystemTime};

    /// The longest access key id (`accessKeyIdType` max).
    pub(crate) const ACCESS_KEY_ID_MAX: usize = 128;
    /// The shortest STS access key id (`accessKeyIdType` min).
    pub(crate) const STS_ACCESS_KEY_ID_MIN: usize = 16;
    /// The longest secret access key accepted (AWS issues 40 characters).
    pub(crate) const SECRET_ACCESS_KEY_MAX: usize = 1024;
    /// The longest session token accepted (STS documents no maximum; real
    /// ones are a few KiB).
    pub(crate) const SESSION_TOKEN_MAX: usize = 64 * 1024;
    /// `9999-12-31T23:59:59Z`, the latest expiry an SDK can read.
    pub(crate) const LATEST_EXPIRY_SECS: u64 = 253_402_300_799;

    /// `A-Z a-z 0-9`, without branches (so a loop over it vectorizes).
    #[inline(always)]
    fn alphanumeric(b: u8) -> bool {
        ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10)
    }

    #[inline(always)]
    fn word(b: u8) -> bool {
        alphanumeric(b) | (b == b'_')
    }

    #[inline(always)]
    fn token_char(b: u8) -> bool {
        alphanumeric(b)
            | (b == b'+')
            | (b == b'/')
            | (b == b'=')
            | (b == b'.')
            | (b == b'_')
            | (b == b'-')
    }

    /// Whether every byte of `value` passes `allowed`: one pass, 32 bytes
    /// at a time with no branch inside a block (the loop vectorizes), so a
    /// session token of several KiB costs a few hundred instructions.
    #[inline(always)]
    pub(crate) fn all_bytes(value: &[u8], allowed: impl Fn(u8) -> bool + Copy) -> bool {
        let mut blocks = value.chunks_exact(32);
        for block in &mut blocks {
            let mut bad = 0u8;
            for &b in block {
                bad |= u8::from(!allowed(b));
            }
            if bad != 0 {
                return false;
            }
        }
        blocks.remainder().iter().all(|&b| allowed(b))
    }

    /// Whether `value` is printable ASCII (`U+0020..=U+007E`), in one pass.
    pub(crate) fn printable_ascii(value: &[u8]) -> bool {
        all_bytes(value, |b| b.wrapping_sub(0x20) < 0x5f)
    }

    /// An access key id: `min..=128` characters of `[\w]` (ASCII).
    /// `min` is [`STS_ACCESS_KEY_ID_MIN`] for STS, 1 where the model sets
    /// no minimum.
    pub(crate) fn access_key_id(value: &str, min: usize) -> Result<(), &'static str> {
        if !all_bytes(value.as_bytes(), word) {
            return Err("may only contain A-Z a-z 0-9 _");
        }
        if value.len() < min || value.len() > ACCESS_KEY_ID_MAX {
            return Err(if min >= STS_ACCESS_KEY_ID_MIN {
                "expected 16 to 128 characters"
            } else {
                "expected 1 to 128 characters"
            });
        }
        Ok(())
    }

    /// A secret access key: 1 to [`SECRET_ACCESS_KEY_MAX`] characters of
    /// `A-Z a-z 0-9 + / = . _ -`.
    pub(crate) fn secret_access_key(value: &str) -> Result<(), &'static str> {
        if value.is_empty() || value.len() > SECRET_ACCESS_KEY_MAX {
            return Err("expected 1 to 1024 characters");
        }
        if !all_bytes(value.as_bytes(), token_char) {
            return Err("may only contain A-Z a-z 0-9 + / = . _ -");
        }
        Ok(())
    }

    /// A session token: 1 to [`SESSION_TOKEN_MAX`] characters of
    /// `A-Z a-z 0-9 + / = . _ -`.
    pub(crate) fn session_token(value: &str) -> Result<(), &'static str> {
        if value.is_empty() || value.len() > SESSION_TOKEN_MAX {
            return Err("expected 1 to 65536 characters");
        }
        if !all_bytes(value.as_bytes(), token_char) {
            return Err("may only contain A-Z a-z 0-9 + / = . _ -");
        }
        Ok(())
    }

    /// An expiry an SDK can read: from `1970-01-01T00:00:00Z` to
    /// `9999-12-31T23:59:59Z`.
    pub(crate) fn expiry(value: SystemTime) -> Result<(), &'static str> {
        let latest = SystemTime::UNIX_EPOCH + Duration::from_secs(LATEST_EXPIRY_SECS);
        if value < SystemTime::UNIX_EPOCH || value > latest {
            return Err("expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        }
        Ok(())
    }

    /// An AWS account id: 12 ASCII digits.
    pub(crate) fn account_id(value: &str) -> Result<(), &'static str> {
        if value.len() == 12 && all_bytes(value.as_bytes(), |b| b.wrapping_sub(b'0') < 10) {
            Ok(())
        } else {
            Err("expected 12 digits")
        }
    }

    /// An ARN (`arnType`: 20 to 2048 characters), starting with `arn:`.
    /// Stricter than the model's printable class: no control character at
    /// all (the model allows tab, LF and CR; no ARN AWS issues has them).
    pub(crate) fn arn(value: &str) -> Result<(), &'static str> {
        // The usual ARN is printable ASCII: one pass decides.
        if printable_ascii(value.as_bytes()) {
            return if (20..=2048).contains(&value.len()) && value.starts_with("arn:") {
                Ok(())
            } else {
                Err("expected an ARN: `arn:...`, 20 to 2048 printable characters")
            };
        }
        let n = value.chars().count();
        if !(20..=2048).contains(&n)
            || !value.starts_with("arn:")
            || value.chars().any(|c| {
                c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}')
            })
        {
            return Err("expected an ARN: `arn:...`, 20 to 2048 printable characters");
        }
        Ok(())
    }

    /// A role name (`roleNameType` of IAM; the portal's model sets no
    /// constraint): 1 to 64 characters of `[\w+=,.@-]`.
    pub(crate) fn role_name(value: &str) -> Result<(), &'static str> {
        if !(1..=64).contains(&value.len())
            || !all_bytes(value.as_bytes(), |b| {
                word(b)
                    | (b == b'+')
                    | (b == b'=')
                    | (b == b',')
                    | (b == b'.')
                    | (b == b'@')
                    | (b == b'-')
            })
        {
            return Err("expected 1 to 64 characters of A-Z a-z 0-9 _ + = , . @ -");
        }
        Ok(())
    }

    /// `assumedRoleIdType` / `federatedIdType`: 2 to 193 characters of
    /// `[\w+=,.@:-]`.
    pub(crate) fn principal_id(value: &str) -> Result<(), &'static str> {
        if !(2..=193).contains(&value.len())
            || !all_bytes(value.as_bytes(), |b| {
                word(b)
                    | (b == b'+')
                    | (b == b'=')
                    | (b == b',')
                    | (b == b'.')
                    | (b == b'@')
                    | (b == b':')
                    | (b == b'-')
            })
        {
            return Err("expected 2 to 193 characters of A-Z a-z 0-9 _ + = , . @ : -");
        }
        Ok(())
    }

    /// `sourceIdentityType`: 2 to 64 characters of `[\w+=,.@-]`.
    pub(crate) fn source_identity(value: &str) -> Result<(), &'static str> {
        if !(2..=64).contains(&value.len())
            || !all_bytes(value.as_bytes(), |b| {
                word(b)
                    | (b == b'+')
                    | (b == b'=')
                    | (b == b',')
                    | (b == b'.')
                    | (b == b'@')
                    | (b == b'-')
            })
        {
            return Err("expected 2 to 64 characters of A-Z a-z 0-9 _ + = , . @ -");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret_key_and_the_session_token() {
        let credentials = Credentials::new("AKIDEXAMPLE", "planted-secret-access-key")
            .with_session_token("planted-session-token")
            .with_account_id("111122223333");
        for shown in [format!("{credentials:?}"), format!("{credentials:#?}")] {
            assert!(!shown.contains("planted-secret-access-key"), "{shown}");
            assert!(!shown.contains("planted-session-token"), "{shown}");
            assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }
}
