//! `GetCallerIdentity`: who signed the request, **signed with SigV4**. It
//! needs no permission, so it is the usual way to check credentials.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_caller_identity::{self, GetCallerIdentityInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let request = get_caller_identity::request(&GetCallerIdentityInput::new(), &endpoint).unwrap();
//! assert_eq!(request.body().as_slice(), b"Action=GetCallerIdentity&Version=2011-06-15");
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(concat!(
//!         "<GetCallerIdentityResponse><GetCallerIdentityResult>",
//!         "<Arn>arn:aws:iam::123456789012:user/Bob</Arn><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>",
//!         "<Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
//!     ))
//!     .unwrap();
//! let output = get_caller_identity::parse(&response).unwrap();
//! assert_eq!(output.account, "123456789012");
//! assert_eq!(output.arn, "arn:aws:iam::123456789012:user/Bob");
//! ```

use crate::aws_query::{self, QueryBody};
use crate::endpoint::Endpoint;
use crate::error::Error;

const OPERATION: &str = "GetCallerIdentity";

/// Input of `GetCallerIdentity` (the operation has no members).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetCallerIdentityInput {}

impl GetCallerIdentityInput {
    /// The (empty) input.
    pub fn new() -> Self {
        GetCallerIdentityInput {}
    }
}

/// Output of `GetCallerIdentity`. The three members are required by this
/// client (the model leaves them optional; STS always sends them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetCallerIdentityOutput {
    /// `UserId`: the unique id of the caller (`AIDA...`, or
    /// `AROA...:session` for a role session).
    pub user_id: String,
    /// `Account`: the caller's account id.
    pub account: String,
    /// `Arn`: the caller's ARN.
    pub arn: String,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 3] = [&["UserId"], &["Account"], &["Arn"]];

/// Builds the unsigned `GetCallerIdentity` request. Pure. Sign it before
/// sending.
pub fn request(
    _input: &GetCallerIdentityInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    aws_query::post_form(OPERATION, endpoint, QueryBody::new(OPERATION, 0))
}

/// Parses a `GetCallerIdentity` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetCallerIdentityOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(GetCallerIdentityOutput {
        user_id: p.required(0)?,
        account: p.required(1)?,
        arn: p.required(2)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    GetCallerIdentityInput,
    GetCallerIdentityOutput,
    super::SIGV4
);
