//! Profile resolution: the AWS config file, the shared credentials file and
//! the environment turned into one [`CredentialsSource`], with botocore's
//! precedence and semantics, so that a profile gives the same identity here
//! as in the AWS CLI.
//!
//! [`resolve`] is pure: it reads no file and no variable itself (the files
//! are a [`ProfileFiles`], the variables an [`Environment`], the time an
//! argument). What it returns is a [`Resolution`]: the source to fetch
//! (any adapter's `credentials` drives it), the chain of links from the
//! profile to where the credentials finally come from (for `status`-like
//! displays), the region and the client configuration (endpoints with the
//! SDKs' precedence).
//!
//! Within one profile the first of these that applies wins (botocore's
//! `create_credential_resolver` and `ProfileProviderBuilder`):
//!
//! 1. the environment's keys (`AWS_ACCESS_KEY_ID` ...), unless the profile
//!    was named explicitly ([`ResolveOptions::profile`]);
//! 2. **assume role**: `role_arn` (without `web_identity_token_file`) with
//!    `source_profile` or `credential_source` (`Environment`,
//!    `EcsContainer`, `Ec2InstanceMetadata`); `role_session_name`,
//!    `external_id`, `duration_seconds` and `mfa_serial` are passed on,
//!    and the result is cached in the AWS CLI's `~/.aws/cli/cache` under
//!    botocore's key;
//! 3. **web identity**: `web_identity_token_file` and `role_arn` (the
//!    environment's `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and
//!    `AWS_ROLE_SESSION_NAME` first, unless the profile was named
//!    explicitly);
//! 4. **IAM Identity Center** (`sso_session` or the legacy `sso_*` keys);
//! 5. static keys in the shared credentials file;
//! 6. `credential_process`;
//! 7. static keys in the config file;
//! 8. container credentials (`AWS_CONTAINER_CREDENTIALS_*`), then the
//!    instance metadata service (unless `AWS_EC2_METADATA_DISABLED`).
//!
//! A source profile is resolved the same way, with two of botocore's rules:
//! one with static keys uses them even if it also has `role_arn`, and the
//! environment is never consulted for it. A profile may name itself as its
//! source only when it has static keys; any other loop is
//! [`ResolveError::Cycle`].
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_host::aws_config::{AwsConfig, Environment};
//! use oidc_host::profile::{resolve, LinkKind, ProfileFiles, ResolveOptions};
//! use oidc_host::{CacheDir, CredentialsCacheDir, Platform};
//!
//! let files = ProfileFiles::new(
//!     AwsConfig::parse(
//!         "[profile deploy]\n\
//!          role_arn = arn:aws:iam::333333333333:role/Deploy\n\
//!          source_profile = base\n\
//!          role_session_name = ana\n\
//!          region = eu-west-1\n",
//!     )?,
//!     AwsConfig::parse_credentials(
//!         "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
//!     )?,
//! );
//! let env = Environment::new(|_| None, Platform::Unix, None);
//! let options = ResolveOptions::new(
//!     CacheDir::new("/tmp/doc/sso/cache"),
//!     CredentialsCacheDir::new("/tmp/doc/cli/cache"),
//! )
//! .with_profile("deploy");
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let resolution = resolve(&files, &env, &options, now)?;
//! assert_eq!(resolution.region.as_deref(), Some("eu-west-1"));
//! let kinds: Vec<_> = resolution.links.iter().map(|l| l.kind.name()).collect();
//! assert_eq!(kinds, ["assume-role", "static keys"]);
//! assert!(matches!(
//!     &resolution.links[0].kind,
//!     LinkKind::AssumeRole { role_arn, .. } if role_arn == "arn:aws:iam::333333333333:role/Deploy"
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod list;
mod resolve;

use std::path::PathBuf;
use std::time::Duration;

use crate::aws_config::{AwsConfig, ConfigFileError, Environment, Profile, ProfileSso};
use crate::config::Config;
use crate::credentials::{CredentialsCacheDir, CredentialsSource, MfaPrompt};
use crate::token::dir::CacheDir;
use crate::token::session::DEFAULT_LOCK_TIMEOUT;
use crate::token::session_flow::SignInMode;

pub use error::ResolveError;
pub use list::{list_profiles, sso_session_names, ProfileKind, ProfileSummary};
pub use resolve::{resolve, with_endpoints};

/// How long a `credential_process` command may run: botocore has no
/// bound; this one is generous for commands that sign in interactively.
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The AWS config file and the shared credentials file, as botocore
/// merges them: a profile's keys are those of the config file's section,
/// updated with those of the credentials file's section of the same name.
#[derive(Debug, Clone, Default)]
pub struct ProfileFiles {
    /// `~/.aws/config` (`AWS_CONFIG_FILE`).
    pub config: AwsConfig,
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`).
    pub credentials: AwsConfig,
}

impl ProfileFiles {
    /// The two files, parsed.
    pub fn new(config: AwsConfig, credentials: AwsConfig) -> ProfileFiles {
        ProfileFiles {
            config,
            credentials,
        }
    }

    /// Reads both files `env` names, each with the one safe read
    /// ([`read_config_text`](crate::aws_config::read_config_text)); an
    /// absent file is empty.
    ///
    /// # Errors
    ///
    /// Those of [`AwsConfig::load_file`], for either file.
    pub fn load(env: &Environment) -> Result<ProfileFiles, ConfigFileError> {
        let config = AwsConfig::load(env)?;
        let credentials = match crate::aws_config::read_config_text(&env.credentials_file()?) {
            Ok(Some(text)) => AwsConfig::parse_credentials(&text)?,
            Ok(None)
            | Err(ConfigFileError::NotAFile {
                kind: crate::aws_config::FileKind::Directory,
                ..
            }) => AwsConfig::default(),
            Err(e) => return Err(e),
        };
        Ok(ProfileFiles::new(config, credentials))
    }

    /// Whether either file has the profile.
    pub fn has_profile(&self, name: &str) -> bool {
        self.config.profiles.contains_key(name) || self.credentials.profiles.contains_key(name)
    }

    /// Every profile name of both files, sorted, each once.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .profiles
            .keys()
            .chain(self.credentials.profiles.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The profile `name` as botocore sees it (both files merged), or
    /// `None` when neither has it.
    pub fn merged(&self, name: &str) -> Option<Profile> {
        let config = self.config.profiles.get(name);
        let credentials = self.credentials.profiles.get(name);
        match (config, credentials) {
            (None, None) => None,
            (Some(p), None) | (None, Some(p)) => Some(p.clone()),
            (Some(c), Some(k)) => {
                let mut merged = c.clone();
                merged
                    .properties
                    .extend(k.properties.iter().map(|(k, v)| (k.clone(), v.clone())));
                Some(merged)
            }
        }
    }
}

/// What [`resolve`] needs besides the files and the environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResolveOptions {
    /// The profile named by the caller (`--profile`); `None`: the
    /// environment's (`AWS_PROFILE`), else `default`. A profile named here
    /// switches the environment's keys off, as in the AWS CLI.
    pub profile: Option<String>,
    /// A region given by the caller (`--region`); wins over the
    /// environment and the profile.
    pub region: Option<String>,
    /// An endpoint URL given by the caller (`--endpoint-url`), for every
    /// service; wins over every configured one.
    pub endpoint_url: Option<String>,
    /// The SSO token cache.
    pub cache_dir: CacheDir,
    /// The AWS CLI's credential cache (`~/.aws/cli/cache`).
    pub credentials_cache: CredentialsCacheDir,
    /// What an SSO link does when its session has no usable token.
    pub sign_in: SignInMode,
    /// Asks for an MFA code (`mfa_serial`); `None`: such a profile fails
    /// when it needs a code.
    pub mfa: Option<MfaPrompt>,
    /// How long a `credential_process` command may run.
    pub process_timeout: Duration,
    /// How long to wait for another process's lock on a cache entry.
    pub lock_timeout: Duration,
}

impl ResolveOptions {
    /// Options with the caches at `cache_dir` and `credentials_cache`, the
    /// environment's profile, no sign-in ([`SignInMode::CachedOnly`]), no
    /// MFA prompt.
    pub fn new(cache_dir: CacheDir, credentials_cache: CredentialsCacheDir) -> ResolveOptions {
        ResolveOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            cache_dir,
            credentials_cache,
            sign_in: SignInMode::CachedOnly,
            mfa: None,
            process_timeout: DEFAULT_PROCESS_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// The caches of `env` ([`Environment::cache_dir`],
    /// [`Environment::credentials_cache_dir`]).
    ///
    /// # Errors
    ///
    /// [`HostError::NoHomeDirectory`](crate::HostError::NoHomeDirectory).
    pub fn from_env(env: &Environment) -> Result<ResolveOptions, crate::HostError> {
        Ok(ResolveOptions::new(
            env.cache_dir()?,
            env.credentials_cache_dir()?,
        ))
    }

    /// Names the profile explicitly.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> ResolveOptions {
        self.profile = Some(profile.into());
        self
    }

    /// Sets the region.
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> ResolveOptions {
        self.region = Some(region.into());
        self
    }

    /// Sets the endpoint URL of every service.
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> ResolveOptions {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Sets what an SSO link does without a usable token.
    #[must_use]
    pub fn with_sign_in(mut self, sign_in: SignInMode) -> ResolveOptions {
        self.sign_in = sign_in;
        self
    }

    /// Sets the MFA prompt.
    #[must_use]
    pub fn with_mfa(mut self, prompt: MfaPrompt) -> ResolveOptions {
        self.mfa = Some(prompt);
        self
    }

    /// Sets the lock timeout (also of SSO sessions).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> ResolveOptions {
        self.lock_timeout = timeout;
        self
    }

    /// Sets how long a `credential_process` command may run.
    #[must_use]
    pub fn with_process_timeout(mut self, timeout: Duration) -> ResolveOptions {
        self.process_timeout = timeout;
        self
    }
}

/// A resolved profile.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resolution {
    /// The profile resolved.
    pub profile: String,
    /// Where its credentials come from (fetch it with an adapter's
    /// `credentials`).
    pub source: CredentialsSource,
    /// The chain from the profile (first) to where the credentials finally
    /// come from (last).
    pub links: Vec<Link>,
    /// The region for service calls: `--region`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, the profile's `region`.
    pub region: Option<String>,
    /// The client configuration: the region (`us-east-1` when none is
    /// configured, as STS's global endpoint) and each service's endpoint
    /// URL with the SDKs' precedence (the caller's, `AWS_ENDPOINT_URL_*`,
    /// `AWS_ENDPOINT_URL`, the profile's `[services]` section, its
    /// `endpoint_url`; none with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`).
    pub config: Config,
}

impl Resolution {
    /// The IAM Identity Center settings at the root of the chain, if the
    /// credentials come from there (what `login` signs in to).
    pub fn sso(&self) -> Option<&ProfileSso> {
        self.links.iter().find_map(|link| match &link.kind {
            LinkKind::Sso(sso) => Some(sso),
            _ => None,
        })
    }
}

/// One link of a [`Resolution`]'s chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The profile of this link; `None` for the environment, the container
    /// and the instance metadata service.
    pub profile: Option<String>,
    /// What the link does.
    pub kind: LinkKind,
}

impl Link {
    /// When the credentials this link's own cache holds expire: an
    /// assumed role's entry in `~/.aws/cli/cache`, or an SSO role's (in
    /// `credentials_cache`, with the token cache `cache_dir` naming the
    /// session). `None`: nothing cached (or nothing to cache).
    pub fn cached_until(
        &self,
        cache_dir: &CacheDir,
        credentials_cache: &CredentialsCacheDir,
    ) -> Option<std::time::SystemTime> {
        let (dir, file) = match &self.kind {
            LinkKind::AssumeRole { cache_file, .. } => (
                CredentialsCacheDir::new(cache_file.parent()?),
                cache_file.file_name()?.to_str()?.to_owned(),
            ),
            LinkKind::Sso(sso) => {
                let (account, role) = sso.role().ok()?;
                let session = sso.session(cache_dir.clone());
                (
                    credentials_cache.clone(),
                    CredentialsCacheDir::sso_role_file_name(&session, account, role),
                )
            }
            _ => return None,
        };
        dir.read(&file).ok()?.0?.credentials.expires_at
    }
}

/// Which file a profile's static keys are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeysFile {
    /// The shared credentials file.
    Credentials,
    /// The config file.
    Config,
}

/// What a [`Link`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKind {
    /// `AWS_ACCESS_KEY_ID` and friends.
    Environment,
    /// `aws_access_key_id` in a file.
    StaticKeys {
        /// Which file.
        file: KeysFile,
    },
    /// STS AssumeRole with the next link's credentials.
    AssumeRole {
        /// The role.
        role_arn: String,
        /// The session name (generated as botocore does when not configured).
        role_session_name: String,
        /// The MFA device, when one is configured.
        mfa_serial: Option<String>,
        /// The cache entry's path (`~/.aws/cli/cache/<key>.json`).
        cache_file: PathBuf,
    },
    /// STS AssumeRoleWithWebIdentity with a token file.
    WebIdentity {
        /// The role.
        role_arn: String,
        /// The token file.
        token_file: PathBuf,
    },
    /// IAM Identity Center role credentials.
    Sso(ProfileSso),
    /// `credential_process`.
    Process {
        /// The command line.
        command: String,
    },
    /// The container credentials endpoint.
    Container,
    /// The EC2 instance metadata service.
    InstanceMetadata,
}

impl LinkKind {
    /// A short name: `environment`, `static keys`, `assume-role`,
    /// `web-identity`, `sso`, `credential_process`, `container`,
    /// `instance-metadata`.
    pub fn name(&self) -> &'static str {
        match self {
            LinkKind::Environment => "environment",
            LinkKind::StaticKeys { .. } => "static keys",
            LinkKind::AssumeRole { .. } => "assume-role",
            LinkKind::WebIdentity { .. } => "web-identity",
            LinkKind::Sso(_) => "sso",
            LinkKind::Process { .. } => "credential_process",
            LinkKind::Container => "container",
            LinkKind::InstanceMetadata => "instance-metadata",
        }
    }
}
