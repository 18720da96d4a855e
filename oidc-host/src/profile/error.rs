//! Why a profile cannot be resolved to a credentials source.

use crate::aws_config::ConfigFileError;

/// Why [`resolve`](super::resolve) found no credentials source for a
/// profile. Names profiles and keys, never a value (a value may be a
/// secret). The texts follow botocore's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The config or credentials file cannot be used (a profile that does
    /// not exist, an `sso_session` that does not, a parse error ...).
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    /// `source_profile` names a profile that exists in neither file.
    #[error("the source_profile `{source_profile}` referenced in the profile `{profile}` does not exist")]
    SourceProfileNotFound {
        /// The profile with the `source_profile` key.
        profile: String,
        /// The missing profile.
        source_profile: String,
    },
    /// The `source_profile` links loop back to a profile already on the
    /// chain.
    #[error("infinite loop in the source_profile chain: {}", chain.join(" -> "))]
    Cycle {
        /// The profiles in the order they were followed, ending with the one
        /// seen twice.
        chain: Vec<String>,
    },
    /// `role_arn` with both `source_profile` and `credential_source`.
    #[error("the profile `{profile}` contains both source_profile and credential_source")]
    BothSources {
        /// The profile.
        profile: String,
    },
    /// `role_arn` with neither `source_profile` nor `credential_source`.
    #[error(
        "the profile `{profile}` has role_arn but neither source_profile nor credential_source"
    )]
    NoRoleSource {
        /// The profile.
        profile: String,
    },
    /// `credential_source` is not `Environment`, `Ec2InstanceMetadata` or
    /// `EcsContainer`.
    #[error(
        "the credential_source of the profile `{profile}` is not valid (use Environment, \
         Ec2InstanceMetadata or EcsContainer)"
    )]
    UnknownCredentialSource {
        /// The profile.
        profile: String,
    },
    /// A source profile offers no credentials of its own.
    #[error("the source profile `{profile}` must have credentials")]
    SourceHasNoCredentials {
        /// The source profile.
        profile: String,
    },
    /// Web identity without a role ARN.
    #[error(
        "the profile `{profile}` (or the environment) is configured to assume a role with a web \
         identity but has no role ARN (set role_arn or AWS_ROLE_ARN)"
    )]
    WebIdentityWithoutRole {
        /// The profile.
        profile: String,
    },
    /// An access key id without its secret (or the other way round).
    #[error("partial credentials in {place}: {missing} is missing")]
    PartialCredentials {
        /// Where: `the environment`, `the profile \`dev\` of the credentials file` ...
        place: String,
        /// The missing key or variable.
        missing: &'static str,
    },
    /// A key or variable holds control characters or is otherwise unusable.
    #[error("{key} in {place} is not a usable value")]
    InvalidValue {
        /// Where the value is.
        place: String,
        /// The key or variable.
        key: &'static str,
    },
    /// Nothing in the profile, the environment or the machine provides
    /// credentials.
    #[error("unable to locate credentials for the profile `{profile}`")]
    NoCredentials {
        /// The profile.
        profile: String,
    },
}
