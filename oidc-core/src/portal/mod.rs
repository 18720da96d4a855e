//! The SSO portal API (`portal.sso`, rest-json, bearer token): one module
//! per operation, each with a typed input, a pure `request` builder and a
//! pure `parse` function, plus a pure [`paginator`] for the two list
//! operations.
//!
//! Every operation is unsigned (`authtype: none`): the SSO OIDC access
//! token travels in the `x-amz-sso_bearer_token` header, marked sensitive
//! ([`Auth::Bearer`](crate::Auth::Bearer)). There is never an
//! `Authorization` header.
//!
//! | operation | request | auth |
//! |---|---|---|
//! | [`get_role_credentials`] | `GET /federation/credentials?role_name=&account_id=` | bearer (`x-amz-sso_bearer_token`) |
//! | [`list_accounts`] | `GET /assignment/accounts?next_token=&max_result=` | bearer (`x-amz-sso_bearer_token`) |
//! | [`list_account_roles`] | `GET /assignment/roles?next_token=&max_result=&account_id=` | bearer (`x-amz-sso_bearer_token`) |
//! | [`logout`] | `POST /logout` (empty body) | bearer (`x-amz-sso_bearer_token`) |
//!
//! Errors come back as [`Error::Service`](crate::Error::Service) with an
//! [`ErrorCode::Portal`](crate::ErrorCode::Portal) code for the four modelled
//! exceptions (`InvalidRequestException`, `UnauthorizedException`,
//! `ResourceNotFoundException`, `TooManyRequestsException`) and
//! [`ErrorCode::Other`](crate::ErrorCode::Other) for anything else; the
//! message is the body's `message` (or `Message`).

pub mod get_role_credentials;
pub mod list_account_roles;
pub mod list_accounts;
pub mod logout;
pub mod paginator;

mod error_code;

pub use error_code::ErrorCode;

use http::header::{HeaderName, HeaderValue};

use crate::error::InvalidInput;
use crate::rest_json;
use crate::secret::AccessToken;

/// The header that carries the access token on every portal request.
pub const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// The model's bounds of `maxResults` (`MaxResultType`).
pub const MAX_RESULTS_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

/// Checks the access token and turns it into the sensitive bearer header.
fn bearer_header(
    operation: &'static str,
    access_token: &AccessToken,
) -> Result<(HeaderName, HeaderValue), InvalidInput> {
    rest_json::require(operation, "accessToken", access_token.secret())?;
    let value = rest_json::sensitive_header_value(operation, "accessToken", access_token.secret())?;
    Ok((HeaderName::from_static(BEARER_TOKEN_HEADER), value))
}

/// Checks the optional paging members of a list operation.
fn validate_paging(
    operation: &'static str,
    next_token: Option<&str>,
    max_results: Option<u32>,
) -> Result<(), InvalidInput> {
    if next_token.is_some_and(str::is_empty) {
        return Err(InvalidInput::Invalid {
            operation,
            member: "nextToken",
            reason: "must not be empty when set (leave it unset for the first page)".to_owned(),
        });
    }
    if let Some(n) = max_results {
        if !MAX_RESULTS_RANGE.contains(&n) {
            return Err(InvalidInput::Invalid {
                operation,
                member: "maxResults",
                reason: format!("must be between 1 and 100, got {n}"),
            });
        }
    }
    Ok(())
}

/// A `nextToken` as the paginator reads it: absent, `null` and empty all
/// mean "no more pages".
fn next_token(token: Option<String>) -> Option<String> {
    token.filter(|t| !t.is_empty())
}

/// Runs `check` on a member at `path`; its failure is a
/// [`ParseErrorKind::OutOfRange`](crate::ParseErrorKind::OutOfRange)
/// naming `member`, never quoting the value.
fn checked(
    ctx: &rest_json::ResponseContext<'_>,
    path: &str,
    member: &'static str,
    check: impl FnOnce() -> Result<(), &'static str>,
) -> Result<(), crate::ParseError> {
    check().map_err(|detail| {
        let mut error = ctx.missing_at(path, member);
        error.kind = crate::ParseErrorKind::OutOfRange { member, detail };
        error
    })
}
