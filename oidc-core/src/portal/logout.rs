//! `Logout`: `POST /logout` with an empty body, authenticated by the access
//! token in `x-amz-sso_bearer_token`.
//!
//! Invalidates the access token and the user's portal sign-in session.
//! Role sessions already issued keep working until they expire. The model
//! has no output: any 2xx is success and its body is ignored. (`aws sso
//! logout` ignores errors from this call and deletes the cached token
//! anyway.)
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::AccessToken;
//! use oidc_core::portal::logout::{self, LogoutInput};
//!
//! let endpoint = Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap();
//! let request = logout::request(&LogoutInput::new(AccessToken::new("aoal-x")), &endpoint).unwrap();
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri(), "https://portal.sso.us-east-1.amazonaws.com/logout");
//! assert!(request.body().is_empty());
//! assert_eq!(request.headers()["content-length"], "0");
//!
//! let response = http::Response::builder().status(200).body("").unwrap();
//! logout::parse(&response).unwrap();
//! ```

use crate::endpoint::{Endpoint, Service};
use crate::error::Error;
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, QueryString};
use crate::secret::AccessToken;

const OPERATION: &str = "Logout";

/// Input of `Logout`.
///
/// `Debug` never shows the access token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogoutInput {
    /// `accessToken` (header `x-amz-sso_bearer_token`): the token to
    /// invalidate.
    pub access_token: AccessToken,
}

impl LogoutInput {
    /// Signs out the session of `access_token`.
    pub fn new(access_token: impl Into<AccessToken>) -> Self {
        LogoutInput {
            access_token: access_token.into(),
        }
    }
}

/// Output of `Logout`: the model has none; success carries nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LogoutOutput;

/// Builds the `Logout` request. Pure.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming `accessToken` when it is empty or cannot
/// be a header value.
pub fn request(input: &LogoutInput, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
    let bearer = super::bearer_header(OPERATION, &input.access_token)?;
    rest_json::empty_body_request(
        OPERATION,
        http::Method::POST,
        endpoint,
        "/logout",
        &QueryString::new(),
        [bearer],
    )
}

/// Parses a `Logout` response: any 2xx is success (the body is ignored).
/// Pure.
///
/// # Errors
///
/// [`Error::Service`] for an error response (`UnauthorizedException` when
/// the token had already expired or been revoked), or [`Error::Parse`] for
/// an error response whose body is not JSON and carries no error code.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<LogoutOutput, Error> {
    if response.status().is_success() {
        Ok(LogoutOutput)
    } else {
        Err(rest_json::parse_error_response(
            Service::SsoPortal,
            OPERATION,
            response,
        ))
    }
}

impl Operation for LogoutInput {
    type Output = LogoutOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoPortal;
    const AUTH: Auth = Auth::Bearer;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<LogoutOutput, Error> {
        parse(response)
    }
}
