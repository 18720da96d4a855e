//! `AssumeRole`: temporary credentials for a role, **signed with SigV4**
//! (service [`SIGNING_NAME`](super::SIGNING_NAME)).
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::assume_role::{self, AssumeRoleInput};
//! use oidc_core::sts::Tag;
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = AssumeRoleInput::new("arn:aws:iam::123456789012:role/demo-role", "alice")
//!     .with_duration_seconds(3600)
//!     .with_tags([Tag::new("Project", "Unicorn")]);
//! let request = assume_role::request(&input, &endpoint).unwrap();
//! assert_eq!(request.uri(), "https://sts.us-east-1.amazonaws.com/");
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=AssumeRole&Version=2011-06-15\
//!       &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=alice\
//!       &DurationSeconds=3600&Tags.member.1.Key=Project&Tags.member.1.Value=Unicorn"
//! );
//!
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(concat!(
//!         r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">"#,
//!         "<AssumeRoleResult><Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>",
//!         "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>",
//!         "<SessionToken>FwoGZXIvYXdzEXAMPLE</SessionToken>",
//!         "<Expiration>2024-05-14T17:48:09Z</Expiration></Credentials>",
//!         "<AssumedRoleUser><AssumedRoleId>AROA3XFRBF535PLBIFPI4:alice</AssumedRoleId>",
//!         "<Arn>arn:aws:sts::123456789012:assumed-role/demo-role/alice</Arn></AssumedRoleUser>",
//!         "</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>",
//!         "</AssumeRoleResponse>",
//!     ))
//!     .unwrap();
//! let output = assume_role::parse(&response).unwrap();
//! assert_eq!(output.credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
//! assert_eq!(output.credentials.account_id.as_deref(), Some("123456789012"));
//! assert_eq!(output.request_id.as_deref(), Some("r-1"));
//! ```

use super::common::{self, paths_with_credentials, AFTER_CREDENTIALS as C};
use super::types::{AssumedRoleUser, PolicyDescriptor, ProvidedContext, Tag};
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::secret::TokenCode;

const OPERATION: &str = "AssumeRole";

/// Input of `AssumeRole`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleInput {
    /// `RoleArn` (required): the role to assume.
    pub role_arn: String,
    /// `RoleSessionName` (required): 2 to 64 characters of `[\w+=,.@-]`.
    pub role_session_name: String,
    /// `PolicyArns`: managed session policies.
    pub policy_arns: Option<Vec<PolicyDescriptor>>,
    /// `Policy`: an inline session policy (JSON).
    pub policy: Option<String>,
    /// `DurationSeconds`: 900 to 43200 (the service default is 3600).
    pub duration_seconds: Option<u32>,
    /// `Tags`: session tags (at most 50).
    pub tags: Option<Vec<Tag>>,
    /// `TransitiveTagKeys`: tag keys that persist through role chaining (at
    /// most 50).
    pub transitive_tag_keys: Option<Vec<String>>,
    /// `ExternalId`: the id the role's trust policy expects (2 to 1224
    /// characters).
    pub external_id: Option<String>,
    /// `SerialNumber`: the MFA device (9 to 256 characters).
    pub serial_number: Option<String>,
    /// `TokenCode`: the six-digit MFA code.
    pub token_code: Option<TokenCode>,
    /// `SourceIdentity`: 2 to 64 characters of `[\w+=,.@-]`.
    pub source_identity: Option<String>,
    /// `ProvidedContexts`: 1 to 5 contexts from trusted providers (see
    /// [`crate::identity_context`]).
    pub provided_contexts: Option<Vec<ProvidedContext>>,
    /// `MinimumSessionTokenSize`: 0 to 4096.
    pub minimum_session_token_size: Option<u32>,
}

impl AssumeRoleInput {
    /// Assume `role_arn` as session `role_session_name`, with no optional
    /// members.
    pub fn new(role_arn: impl Into<String>, role_session_name: impl Into<String>) -> Self {
        AssumeRoleInput {
            role_arn: role_arn.into(),
            role_session_name: role_session_name.into(),
            policy_arns: None,
            policy: None,
            duration_seconds: None,
            tags: None,
            transitive_tag_keys: None,
            external_id: None,
            serial_number: None,
            token_code: None,
            source_identity: None,
            provided_contexts: None,
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

    /// Sets `Tags`.
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.tags = Some(tags.into_iter().collect());
        self
    }

    /// Sets `TransitiveTagKeys`.
    pub fn with_transitive_tag_keys<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        keys: I,
    ) -> Self {
        self.transitive_tag_keys = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `ExternalId`.
    pub fn with_external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
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

    /// Sets `SourceIdentity`.
    pub fn with_source_identity(mut self, identity: impl Into<String>) -> Self {
        self.source_identity = Some(identity.into());
        self
    }

    /// Sets `ProvidedContexts`.
    pub fn with_provided_contexts(
        mut self,
        contexts: impl IntoIterator<Item = ProvidedContext>,
    ) -> Self {
        self.provided_contexts = Some(contexts.into_iter().collect());
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
        common::policy_arns(&check, self.policy_arns.as_deref())?;
        check.optional(
            "Policy",
            self.policy.as_deref(),
            1,
            usize::MAX,
            Chars::Latin1,
        )?;
        check.range("DurationSeconds", self.duration_seconds, 900, 43200)?;
        common::tags(&check, self.tags.as_deref())?;
        check.items(
            "TransitiveTagKeys",
            self.transitive_tag_keys.as_deref(),
            0,
            50,
        )?;
        for (i, key) in self.transitive_tag_keys.iter().flatten().enumerate() {
            check.string("TransitiveTagKeys", Some(i + 1), key, 1, 128, Chars::Tag)?;
        }
        check.optional(
            "ExternalId",
            self.external_id.as_deref(),
            2,
            1224,
            Chars::ExternalId,
        )?;
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
        check.optional(
            "SourceIdentity",
            self.source_identity.as_deref(),
            2,
            64,
            Chars::SessionName,
        )?;
        common::provided_contexts(&check, self.provided_contexts.as_deref())?;
        common::minimum_session_token_size(&check, self.minimum_session_token_size)
    }
}

/// Output of `AssumeRole`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleOutput {
    /// `Credentials`, with the account id of the assumed role's ARN.
    /// Required by this client (the model leaves it optional).
    pub credentials: Credentials,
    /// `AssumedRoleUser`.
    pub assumed_role_user: Option<AssumedRoleUser>,
    /// `PackedPolicySize` (deprecated): percentage of the packed-policy
    /// limit used.
    pub packed_policy_size: Option<u32>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// `SessionTokenUtilization`.
    pub session_token_utilization: Option<u32>,
    /// `SessionTokenSize`.
    pub session_token_size: Option<u32>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 12] = paths_with_credentials![
    &["AssumedRoleUser"],
    &["AssumedRoleUser", "AssumedRoleId"],
    &["AssumedRoleUser", "Arn"],
    &["PackedPolicySize"],
    &["SourceIdentity"],
    &["SessionTokenUtilization"],
    &["SessionTokenSize"],
];

/// Builds the unsigned `AssumeRole` request. Pure. Sign it before sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &AssumeRoleInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.role_arn.len()
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
            .sum::<usize>()
        + input
            .provided_contexts
            .iter()
            .flatten()
            .map(|c| c.provider_arn.len() + c.context_assertion.secret().len() + 80)
            .sum::<usize>();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.string("RoleArn", &input.role_arn)
        .string("RoleSessionName", &input.role_session_name);
    common::write_policy_arns(&mut body, input.policy_arns.as_deref());
    body.opt_string("Policy", input.policy.as_deref())
        .opt_u32("DurationSeconds", input.duration_seconds);
    common::write_tags(&mut body, input.tags.as_deref());
    body.opt_strings("TransitiveTagKeys", input.transitive_tag_keys.as_deref())
        .opt_string("ExternalId", input.external_id.as_deref())
        .opt_string("SerialNumber", input.serial_number.as_deref())
        .opt_string(
            "TokenCode",
            input.token_code.as_ref().map(TokenCode::secret),
        )
        .opt_string("SourceIdentity", input.source_identity.as_deref())
        .opt_structures(
            "ProvidedContexts",
            input.provided_contexts.as_deref(),
            |c| {
                [
                    ("ProviderArn", Some(c.provider_arn.as_str())),
                    ("ContextAssertion", Some(c.context_assertion.secret())),
                ]
            },
        )
        .opt_u32("MinimumSessionTokenSize", input.minimum_session_token_size);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses an `AssumeRole` response. Pure.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<AssumeRoleOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    let assumed_role_user =
        common::pair(&mut p, C)?.map(|(assumed_role_id, arn)| AssumedRoleUser {
            assumed_role_id,
            arn,
        });
    let account = assumed_role_user
        .as_ref()
        .and_then(|u| common::account_of_arn(&u.arn));
    Ok(AssumeRoleOutput {
        credentials: common::credentials(&mut p, account)?,
        assumed_role_user,
        packed_policy_size: p.u32(C + 3)?,
        source_identity: common::source_identity(&mut p, C + 4)?,
        session_token_utilization: p.u32(C + 5)?,
        session_token_size: p.u32(C + 6)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    AssumeRoleInput,
    AssumeRoleOutput,
    super::SIGV4,
    secrets = secrets
);

/// The MFA code and the provided context assertions.
fn secrets(input: &AssumeRoleInput) -> Vec<&str> {
    let mut out: Vec<&str> = input.token_code.iter().map(|c| c.secret()).collect();
    for context in input.provided_contexts.iter().flatten() {
        out.push(context.context_assertion.secret());
    }
    out
}
