//! SSO OIDC: one module per operation, each with a typed input, a pure
//! `request` builder and a pure `parse` function.
//!
//! | operation | path | auth |
//! |---|---|---|
//! | [`register_client`] | `POST /client/register` | none |
//! | [`start_device_authorization`] | `POST /device_authorization` | none |
//! | [`create_token`] | `POST /token` | none |
//! | [`create_token_with_iam`] | `POST /token?aws_iam=t` | SigV4 (`sso-oauth`) |

pub mod create_token;
pub mod create_token_with_iam;
pub mod register_client;
pub mod start_device_authorization;

mod error_code;
mod grant_type;

pub use error_code::ErrorCode;
pub use grant_type::{GrantType, TokenType};

/// The SigV4 signing name of SSO OIDC (differs from the endpoint prefix
/// `oidc`).
pub const SIGNING_NAME: &str = "sso-oauth";

/// RFC 7636 §4.1: 43 to 128 characters from `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn validate_verifier(v: &crate::secret::CodeVerifier) -> Result<(), &'static str> {
    let s = v.secret();
    if !(43..=128).contains(&s.len()) {
        return Err("must be 43 to 128 characters long (RFC 7636)");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        return Err("may only contain A-Z a-z 0-9 - . _ ~ (RFC 7636)");
    }
    Ok(())
}
