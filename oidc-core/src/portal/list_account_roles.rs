//! `ListAccountRoles`: `GET /assignment/roles?next_token=..&max_result=..&account_id=..`,
//! authenticated by the access token in `x-amz-sso_bearer_token`.
//!
//! Lists the roles the user may assume in one account, one page per call;
//! follow [`ListAccountRolesOutput::next_token`] by hand or with the
//! [`Paginator`](super::paginator::Paginator).
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::AccessToken;
//! use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
//!
//! let endpoint = Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap();
//! let input = ListAccountRolesInput::new(AccessToken::new("aoal-x"), "123456789012");
//! let request = list_account_roles::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.uri(),
//!     "https://portal.sso.us-east-1.amazonaws.com/assignment/roles?account_id=123456789012"
//! );
//!
//! let response = http::Response::builder().status(200).body(
//!     r#"{"nextToken":null,"roleList":[{"roleName":"ReadOnly","accountId":"123456789012"},{"roleName":"AdministratorAccess","accountId":"123456789012"}]}"#,
//! ).unwrap();
//! let output = list_account_roles::parse(&response).unwrap();
//! assert_eq!(output.next_token, None);
//! let names: Vec<_> = output.role_list.iter().map(|r| r.role_name.as_str()).collect();
//! assert_eq!(names, ["ReadOnly", "AdministratorAccess"]);
//! ```

use serde::Deserialize;

use crate::endpoint::{Endpoint, Service};
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, QueryString, ResponseContext};
use crate::secret::AccessToken;

const OPERATION: &str = "ListAccountRoles";

/// Input of `ListAccountRoles`.
///
/// `Debug` never shows the access token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ListAccountRolesInput {
    /// `accessToken` (header `x-amz-sso_bearer_token`): from CreateToken.
    pub access_token: AccessToken,
    /// `accountId` (query `account_id`): the account whose roles to list.
    pub account_id: String,
    /// `nextToken` (query `next_token`): the page token of the previous
    /// response; unset for the first page. Must not be empty when set.
    pub next_token: Option<String>,
    /// `maxResults` (query `max_result`, singular): page size, 1 to 100.
    pub max_results: Option<u32>,
}

impl ListAccountRolesInput {
    /// The first page of the roles of `account_id`.
    pub fn new(access_token: impl Into<AccessToken>, account_id: impl Into<String>) -> Self {
        ListAccountRolesInput {
            access_token: access_token.into(),
            account_id: account_id.into(),
            next_token: None,
            max_results: None,
        }
    }

    /// Sets `nextToken`.
    #[must_use]
    pub fn with_next_token(mut self, next_token: impl Into<String>) -> Self {
        self.next_token = Some(next_token.into());
        self
    }

    /// Sets `maxResults` (1 to 100).
    #[must_use]
    pub fn with_max_results(mut self, max_results: u32) -> Self {
        self.max_results = Some(max_results);
        self
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        rest_json::require(OPERATION, "accountId", &self.account_id)?;
        super::validate_paging(OPERATION, self.next_token.as_deref(), self.max_results)
    }
}

/// Output of `ListAccountRoles`: one page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListAccountRolesOutput {
    /// `nextToken`: the token of the next page; `None` on the last page
    /// (the wire's absent, `null` and empty string all read as `None`).
    pub next_token: Option<String>,
    /// `roleList` (empty when absent or `null`).
    pub role_list: Vec<RoleInfo>,
}

/// `RoleInfo`: a role assigned to the user in an account.
///
/// The model makes both members optional; an entry without `roleName` or
/// `accountId` cannot be assumed, so [`parse`] rejects it
/// ([`ParseErrorKind::MissingMember`](crate::ParseErrorKind::MissingMember)
/// at `roleList[i].roleName` / `roleList[i].accountId`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleInfo {
    /// `roleName`: pass it to GetRoleCredentials.
    pub role_name: String,
    /// `accountId`.
    pub account_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    next_token: Option<String>,
    role_list: Option<Vec<WireRole>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRole {
    role_name: Option<String>,
    account_id: Option<String>,
}

/// Builds the `ListAccountRoles` request. Pure.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming `accessToken` (empty or not a header
/// value), `accountId` (empty), `nextToken` (set but empty) or
/// `maxResults` (outside 1 to 100).
pub fn request(
    input: &ListAccountRolesInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let bearer = super::bearer_header(OPERATION, &input.access_token)?;
    let max_results = input.max_results.map(|n| n.to_string());
    let mut query = QueryString::new();
    query
        .opt_param("next_token", input.next_token.as_deref())
        .opt_param("max_result", max_results.as_deref())
        .param("account_id", &input.account_id);
    rest_json::get(OPERATION, endpoint, "/assignment/roles", &query, [bearer])
}

/// Parses a `ListAccountRoles` response. Pure.
///
/// # Errors
///
/// [`Error::Service`] for an error response (`ResourceNotFoundException`
/// when the account is not assigned to the user), [`Error::Parse`] for a
/// body that does not match the model.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<ListAccountRolesOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoPortal, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let role_list = wire
        .role_list
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("roleList[{i}].roleName");
            let role_name = r
                .role_name
                .ok_or_else(|| ctx.missing_at(&path, "roleName"))?;
            // A role name and an account id go into file names, config
            // files and shells.
            super::checked(&ctx, &path, "roleName", || {
                crate::credentials::check::role_name(&role_name)
            })?;
            let path = format!("roleList[{i}].accountId");
            let account_id = r
                .account_id
                .ok_or_else(|| ctx.missing_at(&path, "accountId"))?;
            super::checked(&ctx, &path, "accountId", || {
                crate::credentials::check::account_id(&account_id)
            })?;
            Ok(RoleInfo {
                role_name,
                account_id,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(ListAccountRolesOutput {
        next_token: super::next_token(wire.next_token),
        role_list,
    })
}

impl Operation for ListAccountRolesInput {
    type Output = ListAccountRolesOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoPortal;
    const AUTH: Auth = Auth::Bearer;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<ListAccountRolesOutput, Error> {
        parse(response)
    }
}
