//! `GetFederationToken`: credentials for a federated user, **signed with
//! SigV4** using long-term IAM user (or root) credentials.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_federation_token::{self, GetFederationTokenInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = GetFederationTokenInput::new("bob").with_duration_seconds(3600);
//! let request = get_federation_token::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=GetFederationToken&Version=2011-06-15&Name=bob&DurationSeconds=3600"
//! );
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use super::types::{FederatedUser, PolicyDescriptor, Tag};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};

const OPERATION: &str = "GetFederationToken";

/// Input of `GetFederationToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetFederationTokenInput {
    /// `Name` (required): the federated user's name, 2 to 32 characters of
    /// `[\w+=,.@-]`.
    pub name: String,
    /// `Policy`: an inline session policy (1 to 2048 characters).
    pub policy: Option<String>,
    /// `PolicyArns`: managed session policies.
    pub policy_arns: Option<Vec<PolicyDescriptor>>,
    /// `DurationSeconds`: 900 to 129600 (root credentials: at most 3600).
    pub duration_seconds: Option<u32>,
    /// `Tags`: session tags (at most 50).
    pub tags: Option<Vec<Tag>>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl GetFederationTokenInput {
    /// Credentials for the federated user `name`.
    pub fn new(name: impl Into<String>) -> Self {
        GetFederationTokenInput {
            name: name.into(),
            policy: None,
            policy_arns: None,
            duration_seconds: None,
            tags: None,
            minimum_session_token_size: None,
        }
    }

    /// Sets `Policy`.
    pub fn with_policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into());
        self
    }

    /// Sets `PolicyArns`.
    pub fn with_policy_arns<I: IntoIterator<Item = P>, P: Into<PolicyDescriptor>>(
        mut self,
        arns: I,
    ) -> Self {
        self.policy_arns = Some(arns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `DurationSeconds`.
    pub fn with_duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = Some(seconds);
        self
    }

    /// Sets `Tags`.
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.tags = Some(tags.into_iter().collect());
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
        check.required("Name", &self.name, 2, 32, Chars::SessionName)?;
        check.optional("Policy", self.policy.as_deref(), 1, 2048, Chars::Latin1)?;
        common::policy_arns(&check, self.policy_arns.as_deref())?;
        check.range("DurationSeconds", self.duration_seconds, 900, 129_600)?;
        common::tags(&check, self.tags.as_deref())?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `GetFederationToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetFederationTokenOutput {
    /// `Credentials`, with the account id of the federated user's ARN.
    /// Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `FederatedUser`.
    pub federated_user: Option<FederatedUser>,
    /// `PackedPolicySize` (deprecated).
    pub packed_policy_size: Option<u32>,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 11] = paths_with_credentials![
    &["FederatedUser"],
    &["FederatedUser", "FederatedUserId"],
    &["FederatedUser", "Arn"],
    &["PackedPolicySize"],
    &["SessionTokenUtilization"],
    &["SessionTokenSize"],
];

/// Builds the unsigned `GetFederationToken` request. Pure. Sign it before
/// sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &GetFederationTokenInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.name.len()
        + common::len(input.policy.as_deref())
        + input
            .policy_arns
            .iter()
            .flatten()
            .map(|p| p.arn.len() + 32)
            .sum::<usize>()
        + input
            .tags
            .iter()
            .flatten()
            .map(|t| t.key.len() + t.value.len() + 48)
            .sum::<usize>();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.string("Name", &input.name)
        .opt_string("Policy", input.policy.as_deref());
    common::write_policy_arns(&mut body, input.policy_arns.as_deref());
    body.opt_u32("DurationSeconds", input.duration_seconds);
    common::write_tags(&mut body, input.tags.as_deref());
    body.opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `GetFederationToken` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetFederationTokenOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    let federated_user = common::pair(&mut p, C)?.map(|(federated_user_id, arn)| FederatedUser {
        federated_user_id,
        arn,
    });
    let account = federated_user
        .as_ref()
        .and_then(|u| common::account_of_arn(&u.arn));
    Ok(GetFederationTokenOutput {
        credentials: common::credentials(&mut p, account)?,
        federated_user,
        packed_policy_size: p.u32(C + 3)?,
        session_token_utilization: p.u32(C + 4)?,
        session_token_size: p.u32(C + 5)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    GetFederationTokenInput,
    GetFederationTokenOutput,
    super::SIGV4
);
