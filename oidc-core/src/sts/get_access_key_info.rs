//! `GetAccessKeyInfo`: the account that owns an access key id, **signed
//! with SigV4**.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_access_key_info::{self, GetAccessKeyInfoInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE");
//! let request = get_access_key_info::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAIOSFODNN7EXAMPLE"
//! );
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(concat!(
//!         "<GetAccessKeyInfoResponse><GetAccessKeyInfoResult><Account>111122223333</Account>",
//!         "</GetAccessKeyInfoResult></GetAccessKeyInfoResponse>",
//!     ))
//!     .unwrap();
//! assert_eq!(get_access_key_info::parse(&response).unwrap().account, "111122223333");
//! ```

use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};

const OPERATION: &str = "GetAccessKeyInfo";

/// Input of `GetAccessKeyInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetAccessKeyInfoInput {
    /// `AccessKeyId` (required): 16 to 128 characters of `[\w]`.
    pub access_key_id: String,
}

impl GetAccessKeyInfoInput {
    /// Look up `access_key_id`.
    pub fn new(access_key_id: impl Into<String>) -> Self {
        GetAccessKeyInfoInput {
            access_key_id: access_key_id.into(),
        }
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        Check {
            operation: OPERATION,
        }
        .required("AccessKeyId", &self.access_key_id, 16, 128, Chars::Word)
    }
}

/// Output of `GetAccessKeyInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetAccessKeyInfoOutput {
    /// `Account`: the owning account id. Required by this client (the model
    /// leaves it optional).
    pub account: String,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 1] = [&["Account"]];

/// Builds the unsigned `GetAccessKeyInfo` request. Pure. Sign it before
/// sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &GetAccessKeyInfoInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = QueryBody::new(OPERATION, input.access_key_id.len() + 16);
    body.string("AccessKeyId", &input.access_key_id);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `GetAccessKeyInfo` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetAccessKeyInfoOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(GetAccessKeyInfoOutput {
        account: p.required(0)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(GetAccessKeyInfoInput, GetAccessKeyInfoOutput, super::SIGV4);
