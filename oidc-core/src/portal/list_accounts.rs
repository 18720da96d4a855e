//! `ListAccounts`: `GET /assignment/accounts?next_token=..&max_result=..`,
//! authenticated by the access token in `x-amz-sso_bearer_token`.
//!
//! Lists the AWS accounts assigned to the user, one page per call; follow
//! [`ListAccountsOutput::next_token`] by hand or with the
//! [`Paginator`](super::paginator::Paginator).
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::AccessToken;
//! use oidc_core::portal::list_accounts::{self, ListAccountsInput};
//!
//! let endpoint = Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap();
//! let input = ListAccountsInput::new(AccessToken::new("aoal-x"))
//!     .with_max_results(100)
//!     .with_next_token("page/2+");
//! let request = list_accounts::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.uri(),
//!     "https://portal.sso.us-east-1.amazonaws.com/assignment/accounts?next_token=page%2F2%2B&max_result=100"
//! );
//!
//! let response = http::Response::builder().status(200).body(
//!     r#"{"nextToken":"EXAMPLENEXTTOKEN","accountList":[{"accountId":"123456789012","accountName":"Dev","emailAddress":"dev@example.com"}]}"#,
//! ).unwrap();
//! let output = list_accounts::parse(&response).unwrap();
//! assert_eq!(output.next_token.as_deref(), Some("EXAMPLENEXTTOKEN"));
//! assert_eq!(output.account_list[0].account_id, "123456789012");
//! assert_eq!(output.account_list[0].account_name.as_deref(), Some("Dev"));
//! ```

use serde::Deserialize;

use crate::endpoint::{Endpoint, Service};
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, QueryString, ResponseContext};
use crate::secret::AccessToken;

const OPERATION: &str = "ListAccounts";

/// Input of `ListAccounts`.
///
/// `Debug` never shows the access token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ListAccountsInput {
    /// `accessToken` (header `x-amz-sso_bearer_token`): from CreateToken.
    pub access_token: AccessToken,
    /// `nextToken` (query `next_token`): the page token of the previous
    /// response; unset for the first page. Must not be empty when set.
    pub next_token: Option<String>,
    /// `maxResults` (query `max_result`, singular): page size, 1 to 100.
    pub max_results: Option<u32>,
}

impl ListAccountsInput {
    /// The first page of the accounts `access_token` can see.
    pub fn new(access_token: impl Into<AccessToken>) -> Self {
        ListAccountsInput {
            access_token: access_token.into(),
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
        super::validate_paging(OPERATION, self.next_token.as_deref(), self.max_results)
    }
}

/// Output of `ListAccounts`: one page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListAccountsOutput {
    /// `nextToken`: the token of the next page; `None` on the last page
    /// (the wire's absent, `null` and empty string all read as `None`).
    pub next_token: Option<String>,
    /// `accountList` (empty when absent or `null`).
    pub account_list: Vec<AccountInfo>,
}

/// `AccountInfo`: an account assigned to the user.
///
/// The model makes every member optional; an entry without `accountId`
/// cannot be used for anything, so [`parse`] rejects it
/// ([`ParseErrorKind::MissingMember`](crate::ParseErrorKind::MissingMember)
/// at `accountList[i].accountId`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountInfo {
    /// `accountId`.
    pub account_id: String,
    /// `accountName`: the display name, when sent.
    pub account_name: Option<String>,
    /// `emailAddress`: the account's root email address, when sent.
    pub email_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    next_token: Option<String>,
    account_list: Option<Vec<WireAccount>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccount {
    account_id: Option<String>,
    account_name: Option<String>,
    email_address: Option<String>,
}

/// Builds the `ListAccounts` request. Pure.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming `accessToken` (empty or not a header
/// value), `nextToken` (set but empty) or `maxResults` (outside 1 to 100).
pub fn request(
    input: &ListAccountsInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let bearer = super::bearer_header(OPERATION, &input.access_token)?;
    let max_results = input.max_results.map(|n| n.to_string());
    let mut query = QueryString::new();
    query
        .opt_param("next_token", input.next_token.as_deref())
        .opt_param("max_result", max_results.as_deref());
    rest_json::get(
        OPERATION,
        endpoint,
        "/assignment/accounts",
        &query,
        [bearer],
    )
}

/// Parses a `ListAccounts` response. Pure.
///
/// # Errors
///
/// [`Error::Service`] for an error response, [`Error::Parse`] for a body
/// that does not match the model.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<ListAccountsOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoPortal, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let account_list = wire
        .account_list
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let path = format!("accountList[{i}].accountId");
            let account_id = a
                .account_id
                .ok_or_else(|| ctx.missing_at(&path, "accountId"))?;
            // An account id goes into file names, config files and shells.
            super::checked(&ctx, &path, "accountId", || {
                crate::credentials::check::account_id(&account_id)
            })?;
            Ok(AccountInfo {
                account_id,
                account_name: a.account_name,
                email_address: a.email_address,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(ListAccountsOutput {
        next_token: super::next_token(wire.next_token),
        account_list,
    })
}

impl Operation for ListAccountsInput {
    type Output = ListAccountsOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoPortal;
    const AUTH: Auth = Auth::Bearer;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<ListAccountsOutput, Error> {
        parse(response)
    }
}
