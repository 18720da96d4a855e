//! `GetRoleCredentials`: `GET /federation/credentials?role_name=..&account_id=..`,
//! authenticated by the access token in `x-amz-sso_bearer_token`.
//!
//! Returns short-term STS credentials for a role assigned to the user.
//! [`GetRoleCredentialsOutput::into_credentials`] turns them into the
//! crate's [`Credentials`].
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::AccessToken;
//! use oidc_core::portal::get_role_credentials::{self, GetRoleCredentialsInput};
//!
//! let endpoint = Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap();
//! let input = GetRoleCredentialsInput::new("ReadOnly", "123456789012", AccessToken::new("aoal-x"));
//! let request = get_role_credentials::request(&input, &endpoint).unwrap();
//! assert_eq!(request.method(), "GET");
//! assert_eq!(
//!     request.uri(),
//!     "https://portal.sso.us-east-1.amazonaws.com/federation/credentials?role_name=ReadOnly&account_id=123456789012"
//! );
//! assert!(request.headers()["x-amz-sso_bearer_token"].is_sensitive());
//!
//! let response = http::Response::builder().status(200).body(
//!     r#"{"roleCredentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"wJalr/KEY","sessionToken":"IQoJ","expiration":1704070800000}}"#,
//! ).unwrap();
//! let output = get_role_credentials::parse(&response).unwrap();
//! let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800);
//! assert_eq!(output.role_credentials.expiration, expiry);
//!
//! let credentials = output.into_credentials("123456789012");
//! assert_eq!(credentials.access_key_id, "ASIAEXAMPLE");
//! assert_eq!(credentials.expires_at, Some(expiry));
//! assert_eq!(credentials.account_id.as_deref(), Some("123456789012"));
//! ```

use std::time::SystemTime;

use serde::Deserialize;

use crate::credentials::{check, Credentials};
use crate::endpoint::{Endpoint, Service};
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, QueryString, ResponseContext};
use crate::secret::{AccessToken, SecretAccessKey, SessionToken};

const OPERATION: &str = "GetRoleCredentials";

/// Input of `GetRoleCredentials`.
///
/// `Debug` shows the role and account, never the access token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetRoleCredentialsInput {
    /// `roleName` (query `role_name`): the permission set's role name.
    pub role_name: String,
    /// `accountId` (query `account_id`): the 12-digit account id.
    pub account_id: String,
    /// `accessToken` (header `x-amz-sso_bearer_token`): from CreateToken.
    pub access_token: AccessToken,
}

impl GetRoleCredentialsInput {
    /// Credentials for `role_name` in `account_id`, authorised by
    /// `access_token`.
    pub fn new(
        role_name: impl Into<String>,
        account_id: impl Into<String>,
        access_token: impl Into<AccessToken>,
    ) -> Self {
        GetRoleCredentialsInput {
            role_name: role_name.into(),
            account_id: account_id.into(),
            access_token: access_token.into(),
        }
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        rest_json::require(OPERATION, "roleName", &self.role_name)?;
        rest_json::require(OPERATION, "accountId", &self.account_id)
    }
}

/// Output of `GetRoleCredentials`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetRoleCredentialsOutput {
    /// `roleCredentials`.
    pub role_credentials: RoleCredentials,
}

impl GetRoleCredentialsOutput {
    /// The crate's [`Credentials`]: the key pair, the session token, the
    /// expiry and `account_id` (the account the credentials were requested
    /// for; the response does not repeat it).
    pub fn into_credentials(self, account_id: impl Into<String>) -> Credentials {
        self.role_credentials.into_credentials(account_id)
    }
}

/// `RoleCredentials`: temporary credentials of the role.
///
/// The model makes every member optional; credentials lacking any of them
/// are unusable, so [`parse`] rejects them with
/// [`ParseErrorKind::MissingMember`](crate::ParseErrorKind::MissingMember).
/// `Debug` shows the access key id and the expiry, never the secret key or
/// the session token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RoleCredentials {
    /// `accessKeyId` (`ASIA...`).
    pub access_key_id: String,
    /// `secretAccessKey` (sensitive).
    pub secret_access_key: SecretAccessKey,
    /// `sessionToken` (sensitive).
    pub session_token: SessionToken,
    /// `expiration`: on the wire, milliseconds since the Unix epoch (a
    /// `long`, not a timestamp).
    pub expiration: SystemTime,
}

impl RoleCredentials {
    /// The crate's [`Credentials`], recording `account_id`.
    pub fn into_credentials(self, account_id: impl Into<String>) -> Credentials {
        Credentials::new(self.access_key_id, self.secret_access_key)
            .with_session_token(self.session_token)
            .with_expiry(self.expiration)
            .with_account_id(account_id)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    role_credentials: Option<WireCredentials>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCredentials {
    access_key_id: Option<String>,
    secret_access_key: Option<SecretAccessKey>,
    session_token: Option<SessionToken>,
    expiration: Option<i64>,
}

/// Builds the `GetRoleCredentials` request. Pure.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming `roleName`, `accountId` or `accessToken`
/// when it is empty (or the token cannot be a header value).
pub fn request(
    input: &GetRoleCredentialsInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let bearer = super::bearer_header(OPERATION, &input.access_token)?;
    let mut query = QueryString::new();
    query
        .param("role_name", &input.role_name)
        .param("account_id", &input.account_id);
    rest_json::get(
        OPERATION,
        endpoint,
        "/federation/credentials",
        &query,
        [bearer],
    )
}

/// Parses a `GetRoleCredentials` response. Pure.
///
/// # Errors
///
/// [`Error::Service`] for an error response (e.g. `UnauthorizedException`:
/// the access token expired or was revoked, sign in again), or
/// [`Error::Parse`] when a credential member is missing or malformed: every
/// member is checked, and one outside its range is a
/// [`ParseErrorKind::OutOfRange`] naming it (the value is never quoted):
/// `accessKeyId` 1 to 128 characters of `A-Z a-z 0-9 _`;
/// `secretAccessKey` 1 to 1024 and `sessionToken` 1 to 65536 characters of
/// `A-Z a-z 0-9 + / = . _ -`; `expiration` from 1970-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
///
/// ```
/// use oidc_core::portal::get_role_credentials;
/// use oidc_core::ParseErrorKind;
///
/// let response = http::Response::builder().status(200).body(
///     r#"{"roleCredentials":{"accessKeyId":"ASIA$(touch PWNED)","secretAccessKey":"k","sessionToken":"t","expiration":1704070800000}}"#,
/// ).unwrap();
/// let err = get_role_credentials::parse(&response).unwrap_err();
/// let parse = err.parse_error().unwrap();
/// assert!(matches!(parse.kind, ParseErrorKind::OutOfRange { member: "roleCredentials.accessKeyId", .. }));
/// assert!(!err.to_string().contains("PWNED"));
/// ```
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetRoleCredentialsOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoPortal, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let creds = ctx.required("roleCredentials", wire.role_credentials)?;
    let access_key_id = ctx.required(
        "roleCredentials.accessKeyId",
        creds.access_key_id.filter(|v| !v.is_empty()),
    )?;
    super::checked(
        &ctx,
        "roleCredentials.accessKeyId",
        "roleCredentials.accessKeyId",
        || check::access_key_id(&access_key_id, 1),
    )?;
    let secret_access_key = ctx.required(
        "roleCredentials.secretAccessKey",
        creds.secret_access_key.filter(|v| !v.is_empty()),
    )?;
    super::checked(
        &ctx,
        "roleCredentials.secretAccessKey",
        "roleCredentials.secretAccessKey",
        || check::secret_access_key(secret_access_key.secret()),
    )?;
    let session_token = ctx.required(
        "roleCredentials.sessionToken",
        creds.session_token.filter(|v| !v.is_empty()),
    )?;
    super::checked(
        &ctx,
        "roleCredentials.sessionToken",
        "roleCredentials.sessionToken",
        || check::session_token(session_token.secret()),
    )?;
    let expiration = ctx.required("roleCredentials.expiration", creds.expiration)?;
    let expiration = ctx.epoch_millis("roleCredentials.expiration", expiration)?;
    super::checked(
        &ctx,
        "roleCredentials.expiration",
        "roleCredentials.expiration",
        || check::expiry(expiration),
    )?;
    Ok(GetRoleCredentialsOutput {
        role_credentials: RoleCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        },
    })
}

impl Operation for GetRoleCredentialsInput {
    type Output = GetRoleCredentialsOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoPortal;
    const AUTH: Auth = Auth::Bearer;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<GetRoleCredentialsOutput, Error> {
        parse(response)
    }
}
