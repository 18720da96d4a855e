//! `GetSessionToken`: session credentials for an IAM user (optionally
//! MFA-authenticated), **signed with SigV4** using long-term credentials.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_session_token::{self, GetSessionTokenInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = GetSessionTokenInput::new()
//!     .with_duration_seconds(3600)
//!     .with_mfa("arn:aws:iam::123456789012:mfa/bob", "123456");
//! let request = get_session_token::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=3600\
//!       &SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fbob&TokenCode=123456"
//! );
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::secret::TokenCode;

const OPERATION: &str = "GetSessionToken";

/// Input of `GetSessionToken` (every member optional).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct GetSessionTokenInput {
    /// `DurationSeconds`: 900 to 129600 (the service default is 43200).
    pub duration_seconds: Option<u32>,
    /// `SerialNumber`: the MFA device (9 to 256 characters).
    pub serial_number: Option<String>,
    /// `TokenCode`: the six-digit MFA code.
    pub token_code: Option<TokenCode>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl GetSessionTokenInput {
    /// An input with no members.
    pub fn new() -> Self {
        GetSessionTokenInput::default()
    }

    /// Sets `DurationSeconds`.
    pub fn with_duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = Some(seconds);
        self
    }

    /// Sets `SerialNumber` and `TokenCode` (MFA).
    pub fn with_mfa(
        mut self,
        serial_number: impl Into<String>,
        code: impl Into<TokenCode>,
    ) -> Self {
        self.serial_number = Some(serial_number.into());
        self.token_code = Some(code.into());
        self
    }

    /// Sets `MinimumSessionTokenSize`.
    pub fn with_minimum_session_token_size(mut self, size: u32) -> Self {
        self.minimum_session_token_size = Some(size);
        self
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        let check = Check {
            operation: OPERATION,
        };
        check.range("DurationSeconds", self.duration_seconds, 900, 129_600)?;
        check.optional(
            "SerialNumber",
            self.serial_number.as_deref(),
            9,
            256,
            Chars::SerialNumber,
        )?;
        check.optional(
            "TokenCode",
            self.token_code.as_ref().map(TokenCode::secret),
            6,
            6,
            Chars::Digits,
        )?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `GetSessionToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetSessionTokenOutput {
    /// `Credentials` (the response names no ARN, so `account_id` is not
    /// set). Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 7] =
    paths_with_credentials![&["SessionTokenUtilization"], &["SessionTokenSize"]];

/// Builds the unsigned `GetSessionToken` request. Pure. Sign it before
/// sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &GetSessionTokenInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = QueryBody::new(
        OPERATION,
        common::capacity(common::len(input.serial_number.as_deref())),
    );
    body.opt_u32("DurationSeconds", input.duration_seconds)
        .opt_string("SerialNumber", input.serial_number.as_deref())
        .opt_string(
            "TokenCode",
            input.token_code.as_ref().map(TokenCode::secret),
        )
        .opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `GetSessionToken` response. Pure.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<GetSessionTokenOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(GetSessionTokenOutput {
        credentials: common::credentials(&mut p, None)?,
        session_token_utilization: p.u32(C)?,
        session_token_size: p.u32(C + 1)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    GetSessionTokenInput,
    GetSessionTokenOutput,
    super::SIGV4,
    secrets = secrets
);

/// The MFA code.
fn secrets(input: &GetSessionTokenInput) -> Vec<&str> {
    input.token_code.iter().map(|c| c.secret()).collect()
}
