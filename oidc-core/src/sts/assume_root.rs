//! `AssumeRoot`: a short privileged root session on a member account of an
//! organization (centralized root access), **signed with SigV4**.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::assume_root::{self, AssumeRootInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = AssumeRootInput::new(
//!     "111122223333",
//!     "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
//! )
//! .with_duration_seconds(900);
//! let request = assume_root::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=111122223333\
//!       &TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMDeleteRootUserCredentials\
//!       &DurationSeconds=900"
//! );
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use super::types::PolicyDescriptor;
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};

const OPERATION: &str = "AssumeRoot";

/// Input of `AssumeRoot`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRootInput {
    /// `TargetPrincipal` (required): the member account (12 to 2048
    /// characters).
    pub target_principal: String,
    /// `TaskPolicyArn` (required): an AWS managed root-task policy
    /// (`arn:aws:iam::aws:policy/root-task/...`).
    pub task_policy_arn: PolicyDescriptor,
    /// `DurationSeconds`: 0 to 900 (the default and maximum is 900).
    pub duration_seconds: Option<u32>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl AssumeRootInput {
    /// A root session on `target_principal` scoped by `task_policy_arn`.
    pub fn new(
        target_principal: impl Into<String>,
        task_policy_arn: impl Into<PolicyDescriptor>,
    ) -> Self {
        AssumeRootInput {
            target_principal: target_principal.into(),
            task_policy_arn: task_policy_arn.into(),
            duration_seconds: None,
            minimum_session_token_size: None,
        }
    }

    /// Sets `DurationSeconds`.
    pub fn with_duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = Some(seconds);
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
        check.required(
            "TargetPrincipal",
            &self.target_principal,
            12,
            2048,
            Chars::Any,
        )?;
        common::arn(&check, "TaskPolicyArn", &self.task_policy_arn.arn)?;
        check.range("DurationSeconds", self.duration_seconds, 0, 900)?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `AssumeRoot`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRootOutput {
    /// `Credentials` (the response names no ARN, so `account_id` is not
    /// set; it is the input's `TargetPrincipal` when that is an account id).
    /// Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 8] = paths_with_credentials![
    &["SourceIdentity"],
    &["SessionTokenUtilization"],
    &["SessionTokenSize"],
];

/// Builds the unsigned `AssumeRoot` request. Pure. Sign it before sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &AssumeRootInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.target_principal.len() + input.task_policy_arn.arn.len();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.string("TargetPrincipal", &input.target_principal)
        .structure(
            "TaskPolicyArn",
            &[("arn", Some(&input.task_policy_arn.arn))],
        )
        .opt_u32("DurationSeconds", input.duration_seconds)
        .opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses an `AssumeRoot` response. Pure.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<AssumeRootOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(AssumeRootOutput {
        credentials: common::credentials(&mut p, None)?,
        source_identity: common::source_identity(&mut p, C)?,
        session_token_utilization: p.u32(C + 1)?,
        session_token_size: p.u32(C + 2)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(AssumeRootInput, AssumeRootOutput, super::SIGV4);
