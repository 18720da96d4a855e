//! `AssumeRoleWithSAML`: role credentials for a SAML 2.0 assertion,
//! **unsigned** (the model marks it `noAuth`: no `Authorization`, no
//! `X-Amz-Security-Token`).
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::assume_role_with_saml::{self, AssumeRoleWithSamlInput};
//! use oidc_core::{Auth, Operation};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = AssumeRoleWithSamlInput::new(
//!     "arn:aws:iam::123456789012:role/TestSaml",
//!     "arn:aws:iam::123456789012:saml-provider/SAML-test",
//!     "PHNhbWxwOlJlc3BvbnNlPg==",
//! );
//! assert_eq!(AssumeRoleWithSamlInput::AUTH, Auth::None);
//! let request = assume_role_with_saml::request(&input, &endpoint).unwrap();
//! assert!(request.body().ends_with(b"&SAMLAssertion=PHNhbWxwOlJlc3BvbnNlPg%3D%3D"));
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use super::types::{AssumedRoleUser, PolicyDescriptor};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::operation::Auth;
use crate::secret::SamlAssertion;

const OPERATION: &str = "AssumeRoleWithSAML";

/// Input of `AssumeRoleWithSAML`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleWithSamlInput {
    /// `RoleArn` (required): the role to assume.
    pub role_arn: String,
    /// `PrincipalArn` (required): the SAML provider in IAM.
    pub principal_arn: String,
    /// `SAMLAssertion` (required): the base64-encoded SAML response (4 to
    /// 100000 characters).
    pub saml_assertion: SamlAssertion,
    /// `PolicyArns`: managed session policies.
    pub policy_arns: Option<Vec<PolicyDescriptor>>,
    /// `Policy`: an inline session policy (1 to 2048 characters).
    pub policy: Option<String>,
    /// `DurationSeconds`: 900 to 43200.
    pub duration_seconds: Option<u32>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl AssumeRoleWithSamlInput {
    /// Assume `role_arn` trusted through the SAML provider `principal_arn`
    /// with `saml_assertion`.
    pub fn new(
        role_arn: impl Into<String>,
        principal_arn: impl Into<String>,
        saml_assertion: impl Into<SamlAssertion>,
    ) -> Self {
        AssumeRoleWithSamlInput {
            role_arn: role_arn.into(),
            principal_arn: principal_arn.into(),
            saml_assertion: saml_assertion.into(),
            policy_arns: None,
            policy: None,
            duration_seconds: None,
            minimum_session_token_size: None,
        }
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
        common::arn(&check, "PrincipalArn", &self.principal_arn)?;
        check.required(
            "SAMLAssertion",
            self.saml_assertion.secret(),
            4,
            100_000,
            Chars::Any,
        )?;
        common::policy_arns(&check, self.policy_arns.as_deref())?;
        check.optional("Policy", self.policy.as_deref(), 1, 2048, Chars::Latin1)?;
        check.range("DurationSeconds", self.duration_seconds, 900, 43200)?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `AssumeRoleWithSAML`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleWithSamlOutput {
    /// `Credentials`, with the account id of the assumed role's ARN.
    /// Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `AssumedRoleUser`.
    pub assumed_role_user: Option<AssumedRoleUser>,
    /// `PackedPolicySize` (deprecated).
    pub packed_policy_size: Option<u32>,
    /// `Subject`: the `NameID` of the assertion's `Subject`.
    pub subject: Option<String>,
    /// `SubjectType`: the format of the name id (`persistent`, `transient`
    /// or a full URI).
    pub subject_type: Option<String>,
    /// `Issuer`: the assertion's issuer.
    pub issuer: Option<String>,
    /// `Audience`: the assertion's `Recipient`.
    pub audience: Option<String>,
    /// `NameQualifier`: hash of issuer, account id and provider name.
    pub name_qualifier: Option<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 17] = paths_with_credentials![
    &["AssumedRoleUser"],
    &["AssumedRoleUser", "AssumedRoleId"],
    &["AssumedRoleUser", "Arn"],
    &["PackedPolicySize"],
    &["Subject"],
    &["SubjectType"],
    &["Issuer"],
    &["Audience"],
    &["NameQualifier"],
    &["SourceIdentity"],
    &["SessionTokenUtilization"],
    &["SessionTokenSize"],
];

/// Builds the `AssumeRoleWithSAML` request. Pure. Send it unsigned.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &AssumeRoleWithSamlInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.role_arn.len()
        + input.principal_arn.len()
        + input.saml_assertion.secret().len()
        + common::len(input.policy.as_deref())
        + input
            .policy_arns
            .iter()
            .flatten()
            .map(|p| p.arn.len() + 32)
            .sum::<usize>();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.string("RoleArn", &input.role_arn)
        .string("PrincipalArn", &input.principal_arn)
        .string("SAMLAssertion", input.saml_assertion.secret());
    common::write_policy_arns(&mut body, input.policy_arns.as_deref());
    body.opt_string("Policy", input.policy.as_deref())
        .opt_u32("DurationSeconds", input.duration_seconds)
        .opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses an `AssumeRoleWithSAML` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<AssumeRoleWithSamlOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    let assumed_role_user =
        common::pair(&mut p, C)?.map(|(assumed_role_id, arn)| AssumedRoleUser {
            assumed_role_id,
            arn,
        });
    let account = assumed_role_user
        .as_ref()
        .and_then(|u| common::account_of_arn(&u.arn));
    Ok(AssumeRoleWithSamlOutput {
        credentials: common::credentials(&mut p, account)?,
        assumed_role_user,
        packed_policy_size: p.u32(C + 3)?,
        subject: p.optional(C + 4),
        subject_type: p.optional(C + 5),
        issuer: p.optional(C + 6),
        audience: p.optional(C + 7),
        name_qualifier: p.optional(C + 8),
        source_identity: common::source_identity(&mut p, C + 9)?,
        session_token_utilization: p.u32(C + 10)?,
        session_token_size: p.u32(C + 11)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    AssumeRoleWithSamlInput,
    AssumeRoleWithSamlOutput,
    Auth::None,
    secrets = secrets
);

/// The SAML assertion.
fn secrets(input: &AssumeRoleWithSamlInput) -> Vec<&str> {
    vec![input.saml_assertion.secret()]
}
