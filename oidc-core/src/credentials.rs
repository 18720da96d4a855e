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
