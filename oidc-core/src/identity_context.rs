//! Identity-enhanced IAM role sessions (trusted identity propagation).
//!
//! An application that obtained an Identity Center token with
//! [`CreateTokenWithIAM`](crate::sso_oidc::create_token_with_iam) can assume
//! an IAM role *as that user*: it passes the user's **identity context** to
//! STS AssumeRole as a provided context from the Identity Center context
//! provider ([`IDENTITY_CENTER_CONTEXT_PROVIDER`]). This module finds the
//! identity context in the CreateTokenWithIAM output and builds that
//! [`AssumeRoleInput`].
//!
//! Where the identity context comes from, in order:
//!
//! 1. `awsAdditionalDetails.identityContext` of the response;
//! 2. else the `sts:identity_context` claim of the `idToken`.
//!
//! # Security: the ID token is NOT verified
//!
//! To read the claim, the ID token's payload (the middle part of the JWT)
//! is base64url-decoded and parsed as JSON **without verifying the token's
//! signature**, its issuer, audience or expiry. That is sound only because
//! the token is taken from the body of a CreateTokenWithIAM response this
//! process just received from Identity Center over TLS, and the claim is
//! passed on unchanged to STS, which validates the identity context itself.
//! Do not use [`from_id_token`] on a token from any other source, and do
//! not base any local authorization decision on what it returns.
//!
//! ```
//! use base64::Engine as _;
//! use oidc_core::identity_context::{self, IdentityContextSource};
//! use oidc_core::sso_oidc::create_token_with_iam;
//!
//! // A CreateTokenWithIAM response whose ID token carries the claim.
//! let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
//!     .encode(r#"{"sub":"u-1","sts:identity_context":"AQoJb3JpZ2luEXAMPLE"}"#);
//! let body = format!(
//!     r#"{{"accessToken":"at","tokenType":"Bearer","expiresIn":3600,"idToken":"eyJhbGciOiJSUzI1NiJ9.{payload}.sig"}}"#
//! );
//! let response = http::Response::builder().status(200).body(body).unwrap();
//! let output = create_token_with_iam::parse(&response).unwrap();
//!
//! let (context, source) = identity_context::identity_context(&output).unwrap();
//! assert_eq!(context.secret(), "AQoJb3JpZ2luEXAMPLE");
//! assert_eq!(source, IdentityContextSource::IdTokenClaim);
//!
//! let input = identity_context::assume_role_input(
//!     &output,
//!     "arn:aws:iam::123456789012:role/data-analyst",
//!     "alice",
//! )
//! .unwrap();
//! let contexts = input.provided_contexts.as_deref().unwrap();
//! assert_eq!(contexts[0].provider_arn, "arn:aws:iam::aws:contextProvider/IdentityCenter");
//! assert_eq!(contexts[0].context_assertion.secret(), "AQoJb3JpZ2luEXAMPLE");
//! ```

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::secret::{IdToken, IdentityContext};
use crate::sso_oidc::create_token_with_iam::CreateTokenWithIamOutput;
use crate::sts::assume_role::AssumeRoleInput;
use crate::sts::ProvidedContext;

/// The `ProviderArn` of IAM Identity Center identity contexts.
pub const IDENTITY_CENTER_CONTEXT_PROVIDER: &str =
    "arn:aws:iam::aws:contextProvider/IdentityCenter";

/// The ID token claim that carries the identity context.
pub const IDENTITY_CONTEXT_CLAIM: &str = "sts:identity_context";

/// Where an identity context was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityContextSource {
    /// `awsAdditionalDetails.identityContext` of the CreateTokenWithIAM
    /// response.
    AwsAdditionalDetails,
    /// The `sts:identity_context` claim of its (unverified) ID token.
    IdTokenClaim,
}

/// Why no identity context could be taken. Never contains token text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityContextError {
    /// Neither `awsAdditionalDetails.identityContext` nor an ID token with
    /// the `sts:identity_context` claim is in the response.
    #[error("the CreateTokenWithIAM response carries no identity context (no awsAdditionalDetails.identityContext, and no sts:identity_context claim in an ID token)")]
    Missing,
    /// The ID token is not a JWT whose payload is a base64url-encoded JSON
    /// object, or its `sts:identity_context` claim is not a string.
    #[error("the ID token is malformed: {reason}")]
    MalformedIdToken {
        /// What is wrong.
        reason: &'static str,
    },
}

/// The identity context of a CreateTokenWithIAM output and where it was
/// found: `awsAdditionalDetails.identityContext` when present and not
/// empty, else the `sts:identity_context` claim of the ID token (decoded
/// **without signature verification**, see the [module docs](self)).
///
/// # Errors
///
/// [`IdentityContextError::Missing`] when neither source has it;
/// [`IdentityContextError::MalformedIdToken`] when the ID token had to be
/// read and is malformed.
pub fn identity_context(
    output: &CreateTokenWithIamOutput,
) -> Result<(IdentityContext, IdentityContextSource), IdentityContextError> {
    if let Some(context) = output
        .aws_additional_details
        .as_ref()
        .and_then(|d| d.identity_context.as_ref())
        .filter(|c| !c.secret().trim().is_empty())
    {
        return Ok((context.clone(), IdentityContextSource::AwsAdditionalDetails));
    }
    match &output.id_token {
        Some(token) => from_id_token(token).map(|c| (c, IdentityContextSource::IdTokenClaim)),
        None => Err(IdentityContextError::Missing),
    }
}

/// The `sts:identity_context` claim of an ID token's payload.
///
/// **The token's signature is not verified** (nor its issuer, audience or
/// expiry): use this only on an ID token just received from Identity
/// Center's CreateTokenWithIAM over TLS, see the [module docs](self).
///
/// # Errors
///
/// [`IdentityContextError::MalformedIdToken`] when the token is not three
/// `.`-separated parts with a base64url JSON-object payload, or the claim
/// is not a string; [`IdentityContextError::Missing`] when the claim is
/// absent or empty.
pub fn from_id_token(token: &IdToken) -> Result<IdentityContext, IdentityContextError> {
    let malformed = |reason| IdentityContextError::MalformedIdToken { reason };
    let mut parts = token.secret().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "not a JWT (expected three parts separated by `.`)",
        ));
    };
    const BASE64URL: GeneralPurpose = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let json = zeroize::Zeroizing::new(
        BASE64URL
            .decode(payload)
            .map_err(|_| malformed("the payload is not base64url"))?,
    );
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&json).map_err(|_| malformed("the payload is not a JSON object"))?;
    match claims.get(IDENTITY_CONTEXT_CLAIM) {
        None | Some(serde_json::Value::Null) => Err(IdentityContextError::Missing),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => {
            Err(IdentityContextError::Missing)
        }
        Some(serde_json::Value::String(s)) => Ok(IdentityContext::new(s.as_str())),
        Some(_) => Err(malformed("the sts:identity_context claim is not a string")),
    }
}

/// An [`AssumeRoleInput`] for an identity-enhanced session of `role_arn`
/// named `role_session_name`: `ProvidedContexts` holds the one Identity
/// Center context of `output` (see [`identity_context`]). Add other members
/// with the input's `with_*` methods.
///
/// # Errors
///
/// As [`identity_context`].
pub fn assume_role_input(
    output: &CreateTokenWithIamOutput,
    role_arn: impl Into<String>,
    role_session_name: impl Into<String>,
) -> Result<AssumeRoleInput, IdentityContextError> {
    let (context, _) = identity_context(output)?;
    Ok(AssumeRoleInput::new(role_arn, role_session_name)
        .with_provided_contexts([ProvidedContext::identity_center(context)]))
}
