//! Secret newtypes.
//!
//! Every value that grants access (client secrets, tokens, device codes, PKCE
//! verifiers, assertions) is wrapped in a type whose `Debug` prints
//! `Name([redacted])`, which has **no** `Display`, does not derive `PartialEq`,
//! and whose memory is zeroed on drop. The only way to see the value is the
//! explicitly named [`secret`](AccessToken::secret) accessor.

use serde::{Deserialize, Deserializer};
use zeroize::Zeroize;

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wraps a value as a `", stringify!($name), "`.")]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// Returns the secret value.
            ///
            /// # Security warning
            ///
            /// The value grants access. Do not log it, print it or put it in
            /// an error message.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper and returns the secret value.
            ///
            /// # Security warning
            ///
            /// See [`secret`](Self::secret).
            pub fn into_secret(mut self) -> String {
                std::mem::take(&mut self.0)
            }

            /// True when the wrapped value is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }
    };
}

secret_type!(
    /// The client secret returned by RegisterClient.
    ClientSecret
);
secret_type!(
    /// An SSO OIDC access token (the portal's bearer token).
    AccessToken
);
secret_type!(
    /// An SSO OIDC refresh token.
    RefreshToken
);
secret_type!(
    /// An OpenID Connect ID token (a JWT naming the user).
    IdToken
);
secret_type!(
    /// The device code of a device authorization; whoever holds it can poll
    /// for the user's token.
    DeviceCode
);
secret_type!(
    /// An authorization code received on the PKCE redirect.
    AuthorizationCode
);
secret_type!(
    /// A PKCE code verifier (RFC 7636).
    CodeVerifier
);
secret_type!(
    /// A JWT assertion from a trusted token issuer (jwt-bearer grant).
    Assertion
);
secret_type!(
    /// A subject token for the token-exchange grant.
    SubjectToken
);
secret_type!(
    /// The opaque identity context STS accepts as a provided context.
    IdentityContext
);
secret_type!(
    /// An AWS secret access key.
    SecretAccessKey
);
secret_type!(
    /// An AWS session token.
    SessionToken
);
secret_type!(
    /// An OAuth 2.0 access token or OpenID Connect ID token exchanged with
    /// STS AssumeRoleWithWebIdentity, or the JWT STS GetWebIdentityToken
    /// issues.
    WebIdentityToken
);
secret_type!(
    /// A base64-encoded SAML 2.0 response exchanged with STS
    /// AssumeRoleWithSAML.
    SamlAssertion
);
secret_type!(
    /// The trade-in token STS GetDelegatedAccessToken exchanges for
    /// credentials.
    TradeInToken
);
secret_type!(
    /// A one-time code from an MFA device (STS `TokenCode`).
    TokenCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_accessor_returns_value() {
        let token = AccessToken::new("planted-secret");
        assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
        assert_eq!(format!("{token:#?}"), "AccessToken([redacted])");
        assert_eq!(token.secret(), "planted-secret");
        assert_eq!(token.into_secret(), "planted-secret");
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        // Secrets deserialize (responses carry them) but do not implement
        // `Serialize`: writing one out is always an explicit `.secret()`.
        let secret: ClientSecret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(secret.secret(), "abc");
    }
}
