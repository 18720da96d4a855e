//! The resolution algorithm (botocore's provider chain), pure.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use oidc_core::cache::assume_role::{assume_role_cache_key, AssumeRoleCacheArgs};
use oidc_core::endpoint::Service;
use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::Credentials;

use super::{KeysFile, Link, LinkKind, ProfileFiles, Resolution, ResolveError, ResolveOptions};
use crate::aws_config::{resolved_endpoint_url, service_id, Environment, Profile};
use crate::config::Config;
use crate::credentials::{
    CredentialsSource, EnvLookup, RoleCache, ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY,
};

/// The region of STS's global endpoint, used when none is configured.
const GLOBAL_REGION: &str = "us-east-1";

/// Resolves the profile `options` selects to a credentials source, with
/// botocore's precedence (see the [module docs](crate::profile)). `now`
/// dates a generated role session name (`botocore-session-<seconds>`).
///
/// # Errors
///
/// [`ResolveError`]: a profile named but missing, a broken chain, partial
/// keys, or nothing that provides credentials.
pub fn resolve(
    files: &ProfileFiles,
    env: &Environment,
    options: &ResolveOptions,
    now: SystemTime,
) -> Result<Resolution, ResolveError> {
    let explicit = options.profile.is_some();
    let name = options
        .profile
        .clone()
        .or_else(|| env.profile_name())
        .unwrap_or_else(|| "default".to_owned());
    let profile = match files.merged(&name) {
        Some(p) => p,
        None if options.profile.is_none() && env.profile_name().is_none() => Profile::empty(&name),
        None => {
            return Err(crate::aws_config::ConfigFileError::ProfileNotFound {
                name,
                available: files.profile_names(),
            }
            .into())
        }
    };
    let region = options
        .region
        .clone()
        .or_else(|| crate::aws_config::resolved_region(env, &profile));
    let config = client_config(files, env, &profile, options, region.as_deref())?;
    let mut r = Resolver {
        files,
        env,
        options,
        now,
        region: region.clone(),
        links: Vec::new(),
        visited: vec![name.clone()],
    };
    let source = r.top(&profile, !explicit)?;
    Ok(Resolution {
        profile: name,
        source,
        links: r.links,
        region,
        config,
    })
}

/// The client configuration of the profile: region and endpoint URLs.
fn client_config(
    files: &ProfileFiles,
    env: &Environment,
    profile: &Profile,
    options: &ResolveOptions,
    region: Option<&str>,
) -> Result<Config, ResolveError> {
    let config = Config::for_region(region.unwrap_or(GLOBAL_REGION));
    with_endpoints(
        config,
        env,
        &files.config,
        Some(profile),
        options.endpoint_url.as_deref(),
    )
}

/// `config` with the endpoint URL of each service (SSO OIDC, the portal,
/// STS) set with the SDKs' precedence: `endpoint_url` (the caller's, e.g.
/// `--endpoint-url`), `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`,
/// the profile's `[services]` section, the profile's `endpoint_url`; the
/// configured ones are skipped with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
/// ([`resolved_endpoint_url`]).
///
/// # Errors
///
/// [`ResolveError::Config`] when the profile names a `[services]`
/// section that does not exist.
///
/// ```
/// use oidc_host::aws_config::{AwsConfig, Environment};
/// use oidc_host::oidc_core::endpoint::Service;
/// use oidc_host::profile::with_endpoints;
/// use oidc_host::{Config, Platform};
///
/// let file = AwsConfig::parse("[profile dev]\nendpoint_url = http://127.0.0.1:9000\n")?;
/// let env = Environment::new(
///     |name| (name == "AWS_ENDPOINT_URL_STS").then(|| "http://127.0.0.1:9001".into()),
///     Platform::Unix,
///     None,
/// );
/// let config = with_endpoints(Config::for_region("eu-west-1"), &env, &file, file.profiles.get("dev"), None)?;
/// assert_eq!(config.endpoint_for(Service::Sts, "eu-west-1")?.url(), "http://127.0.0.1:9001");
/// assert_eq!(config.endpoint_for(Service::SsoPortal, "eu-west-1")?.url(), "http://127.0.0.1:9000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn with_endpoints(
    mut config: Config,
    env: &Environment,
    file: &crate::aws_config::AwsConfig,
    profile: Option<&Profile>,
    endpoint_url: Option<&str>,
) -> Result<Config, ResolveError> {
    let empty = Profile::default();
    let profile = profile.unwrap_or(&empty);
    for service in [Service::SsoOidc, Service::SsoPortal, Service::Sts] {
        let url = match endpoint_url.filter(|u| !u.is_empty()) {
            Some(url) => Some(url.to_owned()),
            None => resolved_endpoint_url(service_id(service), env, file, profile)?,
        };
        if let Some(url) = url.filter(|u| !u.is_empty()) {
            config = config.with_service_endpoint_url(service, url);
        }
    }
    Ok(config)
}

struct Resolver<'a> {
    files: &'a ProfileFiles,
    env: &'a Environment,
    options: &'a ResolveOptions,
    now: SystemTime,
    region: Option<String>,
    links: Vec<Link>,
    visited: Vec<String>,
}

impl Resolver<'_> {
    fn link(&mut self, profile: Option<&str>, kind: LinkKind) {
        self.links.push(Link {
            profile: profile.map(str::to_owned),
            kind,
        });
    }

    /// The whole chain for the top-level profile.
    fn top(
        &mut self,
        profile: &Profile,
        env_keys: bool,
    ) -> Result<CredentialsSource, ResolveError> {
        if env_keys {
            if let Some(source) = self.env_keys()? {
                return Ok(source);
            }
        }
        if has_assume_role_vars(profile) {
            return self.assume_role(profile);
        }
        if let Some(source) = self.profile_providers(profile, env_keys)? {
            return Ok(source);
        }
        if let Some(source) = self.container() {
            return Ok(source);
        }
        if let Some(source) = self.instance_metadata() {
            return Ok(source);
        }
        Err(ResolveError::NoCredentials {
            profile: profile.name.clone(),
        })
    }

    /// `AWS_ACCESS_KEY_ID` and friends, when set.
    fn env_keys(&mut self) -> Result<Option<CredentialsSource>, ResolveError> {
        let place = "the environment";
        let key = self.env.var(ENV_ACCESS_KEY_ID);
        let secret = self.env.var(ENV_SECRET_ACCESS_KEY);
        match (key, secret) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(partial(place, ENV_ACCESS_KEY_ID)),
            (Some(_), None) => Err(partial(place, ENV_SECRET_ACCESS_KEY)),
            (Some(_), Some(_)) => {
                self.link(None, LinkKind::Environment);
                Ok(Some(CredentialsSource::Environment(self.env_lookup())))
            }
        }
    }

    fn env_lookup(&self) -> EnvLookup {
        let env = self.env.clone();
        EnvLookup::new(move |name| env.var(name))
    }

    /// The profile-based providers, in botocore's order (web identity,
    /// SSO, credentials file, credential_process, config file).
    fn profile_providers(
        &mut self,
        profile: &Profile,
        env_vars: bool,
    ) -> Result<Option<CredentialsSource>, ResolveError> {
        if let Some(source) = self.web_identity(profile, env_vars)? {
            return Ok(Some(source));
        }
        if let Some(sso) = profile.sso(&self.files.config)? {
            let source = sso.credentials_source(
                self.options.cache_dir.clone(),
                self.options.credentials_cache.clone(),
            )?;
            let source = match source {
                CredentialsSource::SsoRole {
                    session,
                    account_id,
                    role_name,
                    cache,
                    ..
                } => CredentialsSource::SsoRole {
                    session: session.with_lock_timeout(self.options.lock_timeout),
                    account_id,
                    role_name,
                    sign_in: self.options.sign_in,
                    cache,
                },
                other => other,
            };
            self.link(Some(&profile.name), LinkKind::Sso(sso));
            return Ok(Some(source));
        }
        if let Some(keys) = self.files.credentials.profiles.get(&profile.name) {
            if let Some(source) = static_keys(keys, "the credentials file")? {
                self.link(
                    Some(&profile.name),
                    LinkKind::StaticKeys {
                        file: KeysFile::Credentials,
                    },
                );
                return Ok(Some(source));
            }
        }
        if let Some(command) = profile.credential_process().filter(|c| !c.is_empty()) {
            self.link(
                Some(&profile.name),
                LinkKind::Process {
                    command: command.to_owned(),
                },
            );
            return Ok(Some(CredentialsSource::Process {
                command: command.to_owned(),
                timeout: self.options.process_timeout,
            }));
        }
        if let Some(keys) = self.files.config.profiles.get(&profile.name) {
            if let Some(source) = static_keys(keys, "the config file")? {
                self.link(
                    Some(&profile.name),
                    LinkKind::StaticKeys {
                        file: KeysFile::Config,
                    },
                );
                return Ok(Some(source));
            }
        }
        Ok(None)
    }

    fn web_identity(
        &mut self,
        profile: &Profile,
        env_vars: bool,
    ) -> Result<Option<CredentialsSource>, ResolveError> {
        let get = |key: &str, var: &str| {
            env_vars.then(|| self.env.var(var)).flatten().or_else(|| {
                profile
                    .get(key)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            })
        };
        let Some(token_file) = get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE") else {
            return Ok(None);
        };
        let role_arn = get("role_arn", "AWS_ROLE_ARN").ok_or_else(|| {
            ResolveError::WebIdentityWithoutRole {
                profile: profile.name.clone(),
            }
        })?;
        let configured = get("role_session_name", "AWS_ROLE_SESSION_NAME");
        let token_file = PathBuf::from(token_file);
        let (session_name, generated) = self.session_name(configured);
        let key = assume_role_cache_key(&AssumeRoleCacheArgs {
            role_arn: &role_arn,
            role_session_name: (!generated).then_some(session_name.as_str()),
            ..AssumeRoleCacheArgs::default()
        })
        .map_err(|_| invalid(&profile.name, "role_arn"))?;
        self.link(
            Some(&profile.name),
            LinkKind::WebIdentity {
                role_arn: role_arn.clone(),
                token_file: token_file.clone(),
            },
        );
        Ok(Some(CredentialsSource::WebIdentity {
            token_file,
            role_arn,
            role_session_name: session_name,
            region: self.region.clone(),
            cache: Some(self.role_cache(&key)),
        }))
    }

    fn session_name(&self, configured: Option<String>) -> (String, bool) {
        match configured {
            Some(name) => (name, false),
            None => {
                let secs = self
                    .now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO)
                    .as_secs();
                (format!("botocore-session-{secs}"), true)
            }
        }
    }

    fn role_cache(&self, key: &str) -> RoleCache {
        RoleCache {
            dir: self.options.credentials_cache.clone(),
            file_name: format!("{key}.json"),
            lock_timeout: self.options.lock_timeout,
        }
    }

    /// A profile with `role_arn`: AssumeRole with its source's credentials.
    fn assume_role(&mut self, profile: &Profile) -> Result<CredentialsSource, ResolveError> {
        let name = profile.name.clone();
        let role_arn = profile.get("role_arn").unwrap_or_default().to_owned();
        let get = |key: &str| profile.get(key).map(str::to_owned);
        let source_profile = get("source_profile");
        let credential_source = get("credential_source");
        let mfa_serial = get("mfa_serial");
        let external_id = get("external_id");
        // botocore ignores a duration that is not an integer.
        let duration: Option<i64> = get("duration_seconds").and_then(|d| d.trim().parse().ok());
        let (session_name, generated) = self.session_name(get("role_session_name"));

        let mut input = AssumeRoleInput::new(role_arn.clone(), session_name.clone());
        if let Some(id) = &external_id {
            input = input.with_external_id(id.clone());
        }
        if let Some(d) = duration {
            // Out of the u32 range STS would refuse it anyway: pass the
            // nearest and let STS name the problem.
            input = input.with_duration_seconds(u32::try_from(d.max(0)).unwrap_or(u32::MAX));
        }
        input.serial_number.clone_from(&mfa_serial);
        let key = assume_role_cache_key(&AssumeRoleCacheArgs {
            role_arn: &role_arn,
            role_session_name: (!generated).then_some(session_name.as_str()),
            external_id: external_id.as_deref(),
            serial_number: mfa_serial.as_deref(),
            duration_seconds: duration,
            policy: None,
        })
        .map_err(|_| invalid(&name, "role_arn"))?;
        let cache = self.role_cache(&key);
        self.link(
            Some(&name),
            LinkKind::AssumeRole {
                role_arn,
                role_session_name: session_name,
                mfa_serial: mfa_serial.clone(),
                cache_file: cache.dir.entry_path(&cache.file_name),
            },
        );

        let source = match (credential_source, source_profile) {
            (Some(_), Some(_)) => return Err(ResolveError::BothSources { profile: name }),
            (None, None) => return Err(ResolveError::NoRoleSource { profile: name }),
            (Some(kind), None) => self.credential_source(&name, &kind)?,
            (None, Some(source)) => self.source_profile(&name, profile, &source)?,
        };
        Ok(CredentialsSource::AssumeRole {
            source: Box::new(source),
            input,
            region: self.region.clone(),
            cache: Some(cache),
            mfa: mfa_serial.and(self.options.mfa.clone()),
        })
    }

    fn credential_source(
        &mut self,
        profile: &str,
        kind: &str,
    ) -> Result<CredentialsSource, ResolveError> {
        let source = match kind {
            "Environment" => self.env_keys()?,
            "EcsContainer" => self.container(),
            "Ec2InstanceMetadata" => {
                self.link(None, LinkKind::InstanceMetadata);
                Some(CredentialsSource::InstanceMetadata(self.env_lookup()))
            }
            _ => {
                return Err(ResolveError::UnknownCredentialSource {
                    profile: profile.to_owned(),
                })
            }
        };
        source.ok_or_else(|| ResolveError::SourceHasNoCredentials {
            profile: profile.to_owned(),
        })
    }

    fn source_profile(
        &mut self,
        parent_name: &str,
        parent: &Profile,
        source_name: &str,
    ) -> Result<CredentialsSource, ResolveError> {
        let Some(source) = self.files.merged(source_name) else {
            return Err(ResolveError::SourceProfileNotFound {
                profile: parent_name.to_owned(),
                source_profile: source_name.to_owned(),
            });
        };
        if self.visited.iter().any(|v| v == source_name) {
            // A profile may source its own static keys.
            let own_keys = source_name == parent_name && has_static_keys(parent);
            if !own_keys {
                let mut chain = self.visited.clone();
                chain.push(source_name.to_owned());
                return Err(ResolveError::Cycle { chain });
            }
        }
        self.visited.push(source_name.to_owned());
        if has_static_keys(&source) || !has_assume_role_vars(&source) {
            return self.profile_providers(&source, false)?.ok_or_else(|| {
                ResolveError::SourceHasNoCredentials {
                    profile: source_name.to_owned(),
                }
            });
        }
        self.assume_role(&source)
    }

    /// Container credentials, when the environment points at them.
    fn container(&mut self) -> Option<CredentialsSource> {
        let set = self
            .env
            .var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            .or_else(|| self.env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
            .is_some();
        set.then(|| {
            self.link(None, LinkKind::Container);
            CredentialsSource::Container(self.env_lookup())
        })
    }

    /// The instance metadata service, unless disabled.
    fn instance_metadata(&mut self) -> Option<CredentialsSource> {
        let disabled = self
            .env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        (!disabled).then(|| {
            self.link(None, LinkKind::InstanceMetadata);
            CredentialsSource::InstanceMetadata(self.env_lookup())
        })
    }
}

fn has_assume_role_vars(profile: &Profile) -> bool {
    profile.get("role_arn").is_some() && profile.get("web_identity_token_file").is_none()
}

fn has_static_keys(profile: &Profile) -> bool {
    profile.get("aws_access_key_id").is_some() || profile.get("aws_secret_access_key").is_some()
}

fn partial(place: &str, missing: &'static str) -> ResolveError {
    ResolveError::PartialCredentials {
        place: place.to_owned(),
        missing,
    }
}

fn invalid(profile: &str, key: &'static str) -> ResolveError {
    ResolveError::InvalidValue {
        place: format!("the profile `{profile}`"),
        key,
    }
}

/// A profile section's `aws_access_key_id` (+ secret, + token), when set.
fn static_keys(profile: &Profile, file: &str) -> Result<Option<CredentialsSource>, ResolveError> {
    let Some(key) = profile.get("aws_access_key_id") else {
        return Ok(None);
    };
    let place = format!("the profile `{}` of {file}", profile.name);
    let secret = profile
        .get("aws_secret_access_key")
        .ok_or_else(|| partial(&place, "aws_secret_access_key"))?;
    let token = profile
        .get("aws_session_token")
        .or_else(|| profile.get("aws_security_token"));
    let usable = |v: &str| !v.is_empty() && !v.chars().any(char::is_control);
    if !usable(key) {
        return Err(ResolveError::InvalidValue {
            place,
            key: "aws_access_key_id",
        });
    }
    if !usable(secret) {
        return Err(ResolveError::InvalidValue {
            place,
            key: "aws_secret_access_key",
        });
    }
    let mut credentials = Credentials::new(key, secret);
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        if !usable(token) {
            return Err(ResolveError::InvalidValue {
                place,
                key: "aws_session_token",
            });
        }
        credentials = credentials.with_session_token(token);
    }
    Ok(Some(CredentialsSource::Static(credentials)))
}
