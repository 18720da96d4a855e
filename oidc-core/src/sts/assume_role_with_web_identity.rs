//! `AssumeRoleWithWebIdentity`: role credentials for an OpenID Connect ID
//! token or OAuth 2.0 access token, **unsigned** (the model marks it
//! `noAuth`). `IDPCommunicationError` is the one modelled STS error worth
//! retrying.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::assume_role_with_web_identity::{self, AssumeRoleWithWebIdentityInput};
//! use oidc_core::{Auth, Operation};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = AssumeRoleWithWebIdentityInput::new(
//!     "arn:aws:iam::123456789012:role/FederatedWebIdentityRole",
//!     "app1",
//!     "eyJraWQiOiJFWEFNUExFIn0.eyJzdWIiOiJ4In0.sig",
//! );
//! assert_eq!(AssumeRoleWithWebIdentityInput::AUTH, Auth::None);
//! let request = assume_role_with_web_identity::request(&input, &endpoint).unwrap();
//! assert!(request.headers().get("authorization").is_none());
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use super::types::{AssumedRoleUser, PolicyDescriptor};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::operation::Auth;
use crate::secret::WebIdentityToken;

const OPERATION: &str = "AssumeRoleWithWebIdentity";

/// Input of `AssumeRoleWithWebIdentity`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleWithWebIdentityInput {
    /// `RoleArn` (required): the role to assume.
    pub role_arn: String,
    /// `RoleSessionName` (required): 2 to 64 characters of `[\w+=,.@-]`.
    pub role_session_name: String,
    /// `WebIdentityToken` (required): the token from the identity provider
    /// (4 to 20000 characters).
    pub web_identity_token: WebIdentityToken,
    /// `ProviderId`: only for OAuth 2.0 providers (`www.amazon.com`,
    /// `graph.facebook.com`); leave out for OpenID Connect.
    pub provider_id: Option<String>,
    /// `PolicyArns`: managed session policies.
    pub policy_arns: Option<Vec<PolicyDescriptor>>,
    /// `Policy`: an inline session policy (1 to 2048 characters).
    pub policy: Option<String>,
    /// `DurationSeconds`: 900 to 43200.
    pub duration_seconds: Option<u32>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl AssumeRoleWithWebIdentityInput {
    /// Assume `role_arn` as `role_session_name` with `web_identity_token`.
    pub fn new(
        role_arn: impl Into<String>,
        role_session_name: impl Into<String>,
        web_identity_token: impl Into<WebIdentityToken>,
    ) -> Self {
        AssumeRoleWithWebIdentityInput {
            role_arn: role_arn.into(),
            role_session_name: role_session_name.into(),
            web_identity_token: web_identity_token.into(),
            provider_id: None,
            policy_arns: None,
            policy: None,
            duration_seconds: None,
            minimum_session_token_size: None,
        }
    }

    /// Sets `ProviderId`.
    pub fn with_provider_id(mut self, provider_id: impl Into<String>) -> Self {
        self.provider_id = Some(provider_id.into());
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

    /// Sets `Policy`.
    pub fn with_policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into());
        self
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
        common::arn(&check, "RoleArn", &self.role_arn)?;
        check.required(
            "RoleSessionName",
            &self.role_session_name,
            2,
            64,
            Chars::SessionName,
        )?;
        check.required(
            "WebIdentityToken",
            self.web_identity_token.secret(),
            4,
            20_000,
            Chars::Any,
        )?;
        check.optional(
            "ProviderId",
            self.provider_id.as_deref(),
            4,
            2048,
            Chars::Any,
        )?;
        common::policy_arns(&check, self.policy_arns.as_deref())?;
        check.optional("Policy", self.policy.as_deref(), 1, 2048, Chars::Latin1)?;
        check.range("DurationSeconds", self.duration_seconds, 900, 43200)?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `AssumeRoleWithWebIdentity`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleWithWebIdentityOutput {
    /// `Credentials`, with the account id of the assumed role's ARN.
    /// Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `SubjectFromWebIdentityToken`: the token's `sub`.
    pub subject_from_web_identity_token: Option<String>,
    /// `AssumedRoleUser`.
    pub assumed_role_user: Option<AssumedRoleUser>,
    /// `PackedPolicySize` (deprecated).
    pub packed_policy_size: Option<u32>,
    /// `Provider`: the token's issuer (`iss`) or the `ProviderId`.
    pub provider: Option<String>,
    /// `Audience`: the token's `aud`.
    pub audience: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 15] = paths_with_credentials![
    &["SubjectFromWebIdentityToken"],
    &["AssumedRoleUser"],
    &["AssumedRoleUser", "AssumedRoleId"],
    &["AssumedRoleUser", "Arn"],
    &["PackedPolicySize"],
    &["Provider"],
    &["Audience"],
    &["SourceIdentity"],
    &["SessionTokenUtilization"],
    &["SessionTokenSize"],
];

/// Builds the `AssumeRoleWithWebIdentity` request. Pure. Send it unsigned.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &AssumeRoleWithWebIdentityInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.role_arn.len()
        + input.role_session_name.len()
        + input.web_identity_token.secret().len()
        + common::len(input.provider_id.as_deref())
        + common::len(input.policy.as_deref())
        + input
            .policy_arns
            .iter()
            .flatten()
            .map(|p| p.arn.len() + 32)
            .sum::<usize>();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.string("RoleArn", &input.role_arn)
        .string("RoleSessionName", &input.role_session_name)
        .string("WebIdentityToken", input.web_identity_token.secret())
        .opt_string("ProviderId", input.provider_id.as_deref());
    common::write_policy_arns(&mut body, input.policy_arns.as_deref());
    body.opt_string("Policy", input.policy.as_deref())
        .opt_u32("DurationSeconds", input.duration_seconds)
        .opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses an `AssumeRoleWithWebIdentity` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<AssumeRoleWithWebIdentityOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    let assumed_role_user =
        common::pair(&mut p, C + 1)?.map(|(assumed_role_id, arn)| AssumedRoleUser {
            assumed_role_id,
            arn,
        });
    let account = assumed_role_user
        .as_ref()
        .and_then(|u| common::account_of_arn(&u.arn));
    Ok(AssumeRoleWithWebIdentityOutput {
        credentials: common::credentials(&mut p, account)?,
        subject_from_web_identity_token: p.optional(C),
        assumed_role_user,
        packed_policy_size: p.u32(C + 4)?,
        provider: p.optional(C + 5),
        audience: p.optional(C + 6),
        source_identity: common::source_identity(&mut p, C + 7)?,
        session_token_utilization: p.u32(C + 8)?,
        session_token_size: p.u32(C + 9)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    AssumeRoleWithWebIdentityInput,
    AssumeRoleWithWebIdentityOutput,
    Auth::None,
    secrets = secrets
);

/// The web identity token.
fn secrets(input: &AssumeRoleWithWebIdentityInput) -> Vec<&str> {
    vec![input.web_identity_token.secret()]
}
