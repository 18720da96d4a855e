//! `GetDelegatedAccessToken`: exchanges a trade-in token for credentials of
//! the delegating principal, **signed with SigV4**. A newer operation (not
//! in older SDKs); its semantics beyond the model's shapes are not
//! documented.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_delegated_access_token::{self, GetDelegatedAccessTokenInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = GetDelegatedAccessTokenInput::new("EXAMPLEtradeInToken==");
//! let request = get_delegated_access_token::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=GetDelegatedAccessToken&Version=2011-06-15&TradeInToken=EXAMPLEtradeInToken%3D%3D"
//! );
//! assert!(!format!("{input:?}").contains("EXAMPLEtradeInToken"));
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::secret::TradeInToken;

const OPERATION: &str = "GetDelegatedAccessToken";

/// Input of `GetDelegatedAccessToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetDelegatedAccessTokenInput {
    /// `TradeInToken` (required).
    pub trade_in_token: TradeInToken,
}

impl GetDelegatedAccessTokenInput {
    /// Trade in `trade_in_token`.
    pub fn new(trade_in_token: impl Into<TradeInToken>) -> Self {
        GetDelegatedAccessTokenInput {
            trade_in_token: trade_in_token.into(),
        }
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        Check {
            operation: OPERATION,
        }
        .required(
            "TradeInToken",
            self.trade_in_token.secret(),
            1,
            usize::MAX,
            Chars::Any,
        )
    }
}

/// Output of `GetDelegatedAccessToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetDelegatedAccessTokenOutput {
    /// `Credentials`, with the account id of `AssumedPrincipal`. Required by
    /// this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `PackedPolicySize` (deprecated; the model says it is not populated
    /// for this operation).
    pub packed_policy_size: Option<u32>,
    /// `AssumedPrincipal`: the ARN of the principal the credentials act as.
    pub assumed_principal: Option<String>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 7] = paths_with_credentials![&["PackedPolicySize"], &["AssumedPrincipal"]];

/// Builds the unsigned `GetDelegatedAccessToken` request. Pure. Sign it
/// before sending.
///
/// Fails with [`Error::InvalidInput`] when the token is empty.
pub fn request(
    input: &GetDelegatedAccessTokenInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = QueryBody::new(
        OPERATION,
        common::capacity(input.trade_in_token.secret().len()),
    );
    body.string("TradeInToken", input.trade_in_token.secret());
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `GetDelegatedAccessToken` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetDelegatedAccessTokenOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    let assumed_principal = common::optional_arn(&mut p, C + 1)?;
    let account = assumed_principal
        .as_deref()
        .and_then(common::account_of_arn);
    Ok(GetDelegatedAccessTokenOutput {
        credentials: common::credentials(&mut p, account)?,
        packed_policy_size: p.u32(C)?,
        assumed_principal,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    GetDelegatedAccessTokenInput,
    GetDelegatedAccessTokenOutput,
    super::SIGV4,
    secrets = secrets
);

/// The trade-in token.
fn secrets(input: &GetDelegatedAccessTokenInput) -> Vec<&str> {
    vec![input.trade_in_token.secret()]
}
