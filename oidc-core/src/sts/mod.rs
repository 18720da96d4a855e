//! AWS STS (API version `2011-06-15`): one module per operation of the
//! model, each with a typed input, a pure `request` builder and a pure
//! `parse` function, over the awsQuery protocol (a form-encoded `POST /`,
//! XML responses).
//!
//! | operation | auth | returns |
//! |---|---|---|
//! | [`assume_role`] | SigV4 (`sts`) | role [`Credentials`](crate::Credentials) |
//! | [`assume_role_with_saml`] | **none** (unsigned) | role credentials for a SAML assertion |
//! | [`assume_role_with_web_identity`] | **none** (unsigned) | role credentials for an OIDC / OAuth token |
//! | [`assume_root`] | SigV4 (`sts`) | root-session credentials on a member account |
//! | [`decode_authorization_message`] | SigV4 (`sts`) | the decoded authorization failure (JSON) |
//! | [`get_access_key_info`] | SigV4 (`sts`) | the account owning an access key |
//! | [`get_caller_identity`] | SigV4 (`sts`) | user id, account and ARN of the caller |
//! | [`get_delegated_access_token`] | SigV4 (`sts`) | credentials for a trade-in token |
//! | [`get_federation_token`] | SigV4 (`sts`) | federated-user credentials |
//! | [`get_session_token`] | SigV4 (`sts`) | session credentials (optionally MFA) |
//! | [`get_web_identity_token`] | SigV4 (`sts`) | a JWT signed by AWS ([`WebIdentityToken`](crate::secret::WebIdentityToken)) |
//!
//! Every `request` is an unsigned `POST /` with
//! `Content-Type: application/x-www-form-urlencoded; charset=utf-8` and the
//! body `Action=<Op>&Version=2011-06-15&...`, members in model order; the
//! SigV4 operations are signed by [`Call`](crate::Call) (or any signer)
//! with [`SIGNING_NAME`]. Inputs are validated against the model's
//! constraints (required members, lengths, ranges, list sizes and the
//! cheap character classes) before a request exists, and the error names
//! the member.
//!
//! Every `parse` reads a 2xx `<Op>Response` in one pass (element order does
//! not matter, unknown elements are ignored), and any other status as the
//! XML error envelope: [`Error::Service`](crate::Error::Service) with the
//! code ([`ErrorCode`] for modelled codes, [`crate::ErrorCode::Other`] for
//! `AccessDenied`, `Throttling`, ...), the `Sender`/`Receiver`
//! [fault](crate::Fault), the scrubbed message and the request id.
//! Credentials come back as [`Credentials`](crate::Credentials) with
//! `expires_at` from `Expiration` and, where the response names an ARN of
//! the session, `account_id`.
//!
//! ```
//! use oidc_core::endpoint::{resolve, EndpointConfig, Service};
//! use oidc_core::sts::assume_role::AssumeRoleInput;
//! use oidc_core::{Auth, Operation};
//!
//! let endpoint = resolve(Service::Sts, &EndpointConfig::for_region("eu-west-1")).unwrap();
//! let input = AssumeRoleInput::new("arn:aws:iam::123456789012:role/demo", "alice");
//! assert_eq!(AssumeRoleInput::AUTH, Auth::SigV4 { signing_name: "sts" });
//! let request = input.request(&endpoint).unwrap();
//! assert_eq!(request.uri(), "https://sts.eu-west-1.amazonaws.com/");
//!
//! let response = http::Response::builder()
//!     .status(403)
//!     .body(concat!(
//!         "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>",
//!         "<Message>not authorized</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
//!     ))
//!     .unwrap();
//! let error = AssumeRoleInput::parse(&response).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "AssumeRole failed: AccessDenied (HTTP 403): not authorized (Sender fault) [request id: r-1]"
//! );
//! ```

pub mod assume_role;
pub mod assume_role_with_saml;
pub mod assume_role_with_web_identity;
pub mod assume_root;
pub mod decode_authorization_message;
pub mod get_access_key_info;
pub mod get_caller_identity;
pub mod get_delegated_access_token;
pub mod get_federation_token;
pub mod get_session_token;
pub mod get_web_identity_token;

mod common;
mod error_code;
mod types;

pub use error_code::ErrorCode;
pub use types::{AssumedRoleUser, FederatedUser, PolicyDescriptor, ProvidedContext, Tag};

/// The SigV4 signing name of STS.
pub const SIGNING_NAME: &str = "sts";

/// Implements [`Operation`](crate::Operation) for an STS input by calling
/// the module's `request` and `parse`.
macro_rules! sts_operation {
    ($input:ty, $output:ty, $auth:expr $(, secrets = $secrets:path)?) => {
        impl $crate::operation::Operation for $input {
            type Output = $output;
            const NAME: &'static str = OPERATION;
            const SERVICE: $crate::endpoint::Service = $crate::endpoint::Service::Sts;
            const AUTH: $crate::operation::Auth = $auth;

            fn request(
                &self,
                endpoint: &$crate::endpoint::Endpoint,
            ) -> Result<http::Request<Vec<u8>>, $crate::error::Error> {
                request(self, endpoint)
            }

            fn parse<B: AsRef<[u8]>>(
                response: &http::Response<B>,
            ) -> Result<$output, $crate::error::Error> {
                parse(response)
            }

            $(
                fn secrets(&self) -> Vec<&str> {
                    $secrets(self)
                }
            )?
        }
    };
}

/// [`Auth`](crate::Auth) of the signed STS operations.
const SIGV4: crate::operation::Auth = crate::operation::Auth::SigV4 {
    signing_name: SIGNING_NAME,
};

use sts_operation;
