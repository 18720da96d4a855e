//! Structures shared by several STS operations.

use crate::secret::IdentityContext;

/// `PolicyDescriptorType`: a managed policy, by ARN (the wire member is the
/// lower-case `arn`). Used for session policies (`PolicyArns`) and the
/// AssumeRoot task policy (`TaskPolicyArn`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PolicyDescriptor {
    /// `arn`: the policy ARN (20 to 2048 characters).
    pub arn: String,
}

impl PolicyDescriptor {
    /// The policy `arn`.
    pub fn new(arn: impl Into<String>) -> Self {
        PolicyDescriptor { arn: arn.into() }
    }
}

impl From<&str> for PolicyDescriptor {
    fn from(arn: &str) -> Self {
        PolicyDescriptor::new(arn)
    }
}

impl From<String> for PolicyDescriptor {
    fn from(arn: String) -> Self {
        PolicyDescriptor::new(arn)
    }
}

/// `Tag`: a session tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Tag {
    /// `Key` (1 to 128 characters: letters, numbers, spaces, `_ . : / = + - @`).
    pub key: String,
    /// `Value` (0 to 256 characters of the same set).
    pub value: String,
}

impl Tag {
    /// A tag `key` = `value`.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `ProvidedContext`: context asserted by a trusted provider, passed to
/// AssumeRole (e.g. the Identity Center identity context of an
/// identity-enhanced session, see [`crate::identity_context`]).
///
/// The assertion is kept as a secret: `Debug` shows the provider only.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProvidedContext {
    /// `ProviderArn` (20 to 2048 characters).
    pub provider_arn: String,
    /// `ContextAssertion` (4 to 2048 characters), opaque.
    pub context_assertion: IdentityContext,
}

impl ProvidedContext {
    /// A context `assertion` from the provider `provider_arn`.
    pub fn new(provider_arn: impl Into<String>, assertion: impl Into<IdentityContext>) -> Self {
        ProvidedContext {
            provider_arn: provider_arn.into(),
            context_assertion: assertion.into(),
        }
    }

    /// The IAM Identity Center identity context `context`: provider
    /// [`IDENTITY_CENTER_CONTEXT_PROVIDER`](crate::identity_context::IDENTITY_CENTER_CONTEXT_PROVIDER).
    pub fn identity_center(context: impl Into<IdentityContext>) -> Self {
        ProvidedContext::new(
            crate::identity_context::IDENTITY_CENTER_CONTEXT_PROVIDER,
            context,
        )
    }
}

/// `AssumedRoleUser`: the role session the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AssumedRoleUser {
    /// `AssumedRoleId`: `ROLEID:session-name`.
    pub assumed_role_id: String,
    /// `Arn`: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
}

/// `FederatedUser`: the federated user the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FederatedUser {
    /// `FederatedUserId`: `ACCOUNT:name`.
    pub federated_user_id: String,
    /// `Arn`: `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub arn: String,
}
