//! The AWS shared config file (`~/.aws/config`), read exactly as the AWS
//! CLI v2 reads it, and edited the way `aws configure` needs.
//!
//! * [`AwsConfig::parse`] follows botocore's `raw_config_parse` and
//!   `build_profile_map` (Python's `configparser.RawConfigParser()` with
//!   its defaults), quirks included; see [`AwsConfig::parse`] for the list.
//! * [`Environment`] is the AWS CLI's environment variables as a pure
//!   function over a lookup closure ([`Environment::from_env`] for the
//!   process); [`AwsConfig::load`] finds and reads the file (a missing file
//!   is an empty configuration) through [`read_config_text`], the one
//!   bounded, non-blocking read for the config and credentials files
//!   (regular files only, symbolic links followed, at most
//!   [`MAX_CONFIG_BYTES`]).
//! * Typed views: [`Profile`] (with [`Profile::sso`] resolving its
//!   `sso_session` or legacy SSO settings into a [`ProfileSso`]),
//!   [`SsoSessionConfig`], [`ServicesConfig`].
//! * Conversions: [`ProfileSso::session`] → [`Session`],
//!   [`Profile::credentials_source`] → [`CredentialsSource`],
//!   [`resolved_endpoint_url`] (the SDKs' endpoint precedence) and
//!   [`resolved_region`].
//! * Writers: [`upsert_sso_session`] and [`upsert_profile`] edit the file's
//!   text in place, leaving every other byte alone; [`upsert_profiles`]
//!   applies many profile edits in one pass.
//!
//! Reading and writing are linear in the size of the file: duplicate
//! sections and keys are found with hash sets, and a writer scans the text
//! once, however many sections it edits.
//!
//! Errors name line numbers, sections and keys, never a value (a value may
//! be a secret).
//!
//! ```
//! use oidc_host::aws_config::{AwsConfig, ProfileSso};
//! use oidc_host::CacheDir;
//!
//! let config = AwsConfig::parse(
//!     "[sso-session my-sso]\n\
//!      sso_start_url = https://my-sso-portal.awsapps.com/start\n\
//!      sso_region = us-east-1\n\
//!      sso_registration_scopes = sso:account:access\n\
//!      \n\
//!      [profile dev]\n\
//!      sso_session = my-sso\n\
//!      sso_account_id = 123456789012\n\
//!      sso_role_name = ReadOnly\n\
//!      region = us-west-2\n",
//! )?;
//! let dev = config.profile("dev")?;
//! assert_eq!(dev.region(), Some("us-west-2"));
//! let sso: ProfileSso = dev.sso(&config)?.expect("an SSO profile");
//! assert_eq!(sso.sso_session.as_deref(), Some("my-sso"));
//! assert_eq!(sso.scopes, ["sso:account:access"]);
//!
//! let session = sso.session(CacheDir::new("/tmp/sso-cache"));
//! assert_eq!(session.session_key, "my-sso");
//! assert_eq!(session.region.as_deref(), Some("us-east-1"));
//!
//! // An unknown profile's error lists the profiles that exist.
//! let err = config.profile("prod").unwrap_err();
//! assert_eq!(err.to_string(), "the config profile `prod` could not be found; profiles: dev");
//! # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oidc_core::endpoint::Service;

use crate::credentials::{CredentialsCacheDir, CredentialsSource};
use crate::error::HostError;
use crate::fs::{ReadError, Symlinks};
use crate::token::dir::{CacheDir, Platform};
use crate::token::session::Session;

mod parse;
mod plan;
mod write;

pub use crate::fs::FileKind;
pub use plan::{
    default_profile_name, plan_profiles, ConfigurePlan, PlanAction, PlannedProfile, PortalRole,
};
pub use write::{upsert_profile, upsert_profiles, upsert_sso_session, write_file};

/// A property's value: a string, or a nested block (`s3 =` followed by
/// indented `key = value` lines) as botocore's `_parse_nested` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A plain value (continuation lines joined with `\n`).
    Text(String),
    /// An indented sub-section: its keys keep their case (botocore does
    /// not lower-case them), values are trimmed.
    Nested(BTreeMap<String, String>),
}

impl Value {
    /// The text of a plain value (`None` for a nested block).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Nested(_) => None,
        }
    }

    /// The map of a nested block (`None` for a plain value).
    pub fn as_nested(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Value::Text(_) => None,
            Value::Nested(map) => Some(map),
        }
    }
}

/// A section's properties, keyed by lower-cased name.
pub type Properties = BTreeMap<String, Value>;

/// Why a config file could not be parsed (see [`ConfigFileError::Parse`]).
/// Names sections and keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseProblem {
    /// A non-comment line before the first `[section]`.
    #[error("a setting appears before the first [section] header")]
    MissingSectionHeader,
    /// The same `[header]` twice (configparser's strict mode; only
    /// `[DEFAULT]` may be repeated).
    #[error("the section [{section}] appears twice")]
    DuplicateSection {
        /// The header text.
        section: String,
    },
    /// The same key twice in one section (compared lower-cased).
    #[error("the key `{key}` appears twice in [{section}]")]
    DuplicateKey {
        /// The header text.
        section: String,
        /// The key, lower-cased.
        key: String,
    },
    /// A line with neither `=` nor `:`.
    #[error("the line is not `key = value`, a [section] header or a comment")]
    NoSeparator,
    /// A line starting with `=` or `:`.
    #[error("the line has no key before its `=` or `:`")]
    EmptyKey,
    /// A line of an indented sub-section without `=`.
    #[error("a line of the sub-section `{key}` in [{section}] is not `key = value`")]
    NestedWithoutEquals {
        /// The header text.
        section: String,
        /// The key holding the sub-section.
        key: String,
    },
}

/// An error reading, resolving or editing the AWS config file. Messages
/// name paths, line numbers, sections, profiles and keys, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// The file exists but could not be read.
    #[error("cannot read the AWS config file {path}", path = .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Something other than a regular file is at the path (after
    /// following symbolic links): a FIFO, a device, a socket, a directory.
    /// Nothing was read from it.
    #[error("the AWS config file {path} is {kind}, not a regular file", path = .path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What is there.
        kind: FileKind,
    },
    /// The file is larger than [`MAX_CONFIG_BYTES`]; it was not read
    /// (or not past the limit).
    #[error(
        "the AWS config file {path} is larger than {limit} MiB",
        path = .path.display(),
        limit = .limit >> 20
    )]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The limit in bytes ([`MAX_CONFIG_BYTES`]).
        limit: u64,
    },
    /// Neither `AWS_CONFIG_FILE` nor a home directory is set.
    #[error("cannot find the AWS config file: set AWS_CONFIG_FILE or {hint}")]
    NoHomeDirectory {
        /// The variable that names the home directory on this platform.
        hint: &'static str,
    },
    /// The file is not UTF-8.
    #[error("the AWS config file is not valid UTF-8 (line {line})")]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// The file is not valid configparser syntax.
    #[error("the AWS config file cannot be parsed: line {line}: {problem}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: ParseProblem,
    },
    /// The profile does not exist.
    #[error(
        "the config profile `{name}` could not be found; {}",
        if available.is_empty() { "no profiles are configured".to_owned() }
        else { format!("profiles: {}", available.join(", ")) }
    )]
    ProfileNotFound {
        /// The name asked for.
        name: String,
        /// The profiles that exist, sorted.
        available: Vec<String>,
    },
    /// A profile's `sso_session` names no `[sso-session ...]` section.
    #[error("profile `{profile}`: the sso-session `{sso_session}` does not exist")]
    SsoSessionNotFound {
        /// The profile.
        profile: String,
        /// The sso-session it names.
        sso_session: String,
    },
    /// A profile's `services` names no (or an empty) `[services ...]` section.
    #[error("profile `{profile}`: the services section `{services}` does not exist")]
    ServicesNotFound {
        /// The profile.
        profile: String,
        /// The services section it names.
        services: String,
    },
    /// A key set both in the profile and in its sso-session, differently.
    #[error(
        "profile `{profile}`: the value of `{key}` differs between the profile and its \
         sso-session `{sso_session}`"
    )]
    SsoMismatch {
        /// The profile.
        profile: String,
        /// The sso-session.
        sso_session: String,
        /// The key.
        key: String,
    },
    /// A profile is configured for SSO but lacks required keys.
    #[error(
        "profile `{profile}` is configured to use SSO but is missing required configuration: {}",
        missing.join(", ")
    )]
    MissingSsoKeys {
        /// The profile.
        profile: String,
        /// The missing keys.
        missing: Vec<&'static str>,
    },
    /// The profile has no SSO settings at all.
    #[error("profile `{profile}` is not configured for SSO (no sso_session or sso_* keys)")]
    NotSso {
        /// The profile.
        profile: String,
    },
    /// A writer was given something that cannot be written faithfully.
    #[error("cannot write {what}: {reason}")]
    InvalidWrite {
        /// What: "a profile name", "the key `region`", ...
        what: String,
        /// Why.
        reason: &'static str,
    },
}

// ---------------------------------------------------------------------------
// Typed sections

/// A profile: `[profile NAME]`, or `[default]` for `default`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Profile {
    /// The profile name.
    pub name: String,
    /// Its properties (including those inherited from a `[DEFAULT]`
    /// section, as configparser does).
    pub properties: Properties,
}

/// An `[sso-session NAME]` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SsoSessionConfig {
    /// The sso-session name.
    pub name: String,
    /// Its properties.
    pub properties: Properties,
}

/// A `[services NAME]` section: per-service settings in nested blocks
/// keyed by snake-case service id (`sso_oidc`, `sso`, `sts`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServicesConfig {
    /// The services section name.
    pub name: String,
    /// Its properties.
    pub properties: Properties,
}

fn text<'a>(properties: &'a Properties, key: &str) -> Option<&'a str> {
    properties.get(key).and_then(Value::as_text)
}

/// `sso_registration_scopes`: comma-separated, entries trimmed, empty
/// entries dropped.
fn split_scopes(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(parse::py_strip)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// botocore's `ensure_boolean`: `true` in any case is true, anything
/// else false.
fn ensure_boolean(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

impl SsoSessionConfig {
    /// A plain property.
    pub fn get(&self, key: &str) -> Option<&str> {
        text(&self.properties, key)
    }
    /// `sso_start_url`.
    pub fn start_url(&self) -> Option<&str> {
        self.get("sso_start_url")
    }
    /// `sso_region`.
    pub fn region(&self) -> Option<&str> {
        self.get("sso_region")
    }
    /// `sso_registration_scopes`, split (empty when not configured).
    pub fn registration_scopes(&self) -> Vec<String> {
        self.get("sso_registration_scopes")
            .map(split_scopes)
            .unwrap_or_default()
    }
}

impl ServicesConfig {
    /// The nested block of `service` (any spelling of the service id:
    /// `SSO OIDC`, `sso-oidc` and `sso_oidc` are the same).
    pub fn service(&self, service: &str) -> Option<&BTreeMap<String, String>> {
        self.properties
            .get(&snake_service_id(service))
            .and_then(Value::as_nested)
    }

    /// `endpoint_url` in the block of `service`.
    pub fn endpoint_url(&self, service: &str) -> Option<&str> {
        self.service(service)?
            .get("endpoint_url")
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// A profile's resolved SSO settings: from its `[sso-session ...]`, or the
/// legacy keys in the profile itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileSso {
    /// The profile these came from.
    pub profile: String,
    /// The sso-session name; `None` for a legacy profile (token cache keyed
    /// by start URL, no refresh, no scopes).
    pub sso_session: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`: where Identity Center (OIDC, portal) is.
    pub region: String,
    /// `sso_registration_scopes` (always empty for a legacy profile).
    pub scopes: Vec<String>,
    /// `sso_account_id`.
    pub account_id: Option<String>,
    /// `sso_role_name`.
    pub role_name: Option<String>,
}

const SSO_ROLE_KEYS: [&str; 2] = ["sso_account_id", "sso_role_name"];
const SSO_LEGACY_KEYS: [&str; 2] = ["sso_start_url", "sso_region"];

impl ProfileSso {
    /// Whether this is the legacy form (no sso-session).
    pub fn is_legacy(&self) -> bool {
        self.sso_session.is_none()
    }

    /// The token-cache [`Session`] in `dir`: `Session::new(dir, name,
    /// start_url)` with the SSO region and scopes for an sso-session,
    /// `Session::legacy(dir, start_url)` with the SSO region otherwise.
    pub fn session(&self, dir: CacheDir) -> Session {
        match &self.sso_session {
            Some(name) => Session::new(dir, name.clone(), self.start_url.clone())
                .with_region(self.region.clone())
                .with_scopes(self.scopes.iter().cloned()),
            None => Session::legacy(dir, self.start_url.clone()).with_region(self.region.clone()),
        }
    }

    /// `(sso_account_id, sso_role_name)`.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::MissingSsoKeys`] naming whichever is missing.
    pub fn role(&self) -> Result<(&str, &str), ConfigFileError> {
        match (&self.account_id, &self.role_name) {
            (Some(account), Some(role)) => Ok((account, role)),
            (account, role) => Err(ConfigFileError::MissingSsoKeys {
                profile: self.profile.clone(),
                missing: [
                    (account.is_none(), SSO_ROLE_KEYS[0]),
                    (role.is_none(), SSO_ROLE_KEYS[1]),
                ]
                .into_iter()
                .filter_map(|(missing, key)| missing.then_some(key))
                .collect(),
            }),
        }
    }

    /// Role credentials through this session
    /// ([`CredentialsSource::sso_role`]: never signs in by itself).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::MissingSsoKeys`] without account id or role name.
    pub fn credentials_source(
        &self,
        dir: CacheDir,
        credentials_cache: CredentialsCacheDir,
    ) -> Result<CredentialsSource, ConfigFileError> {
        let (account, role) = self.role()?;
        Ok(CredentialsSource::sso_role(
            self.session(dir),
            account,
            role,
            credentials_cache,
        ))
    }
}

impl Profile {
    /// An empty profile named `name` (what an absent `default` profile
    /// reads as).
    pub fn empty(name: impl Into<String>) -> Profile {
        Profile {
            name: name.into(),
            properties: Properties::new(),
        }
    }

    /// A plain property (`None` if absent or a nested block).
    pub fn get(&self, key: &str) -> Option<&str> {
        text(&self.properties, key)
    }
    /// `region`: the region for *other* service calls (not the SSO region).
    pub fn region(&self) -> Option<&str> {
        self.get("region")
    }
    /// `output`.
    pub fn output(&self) -> Option<&str> {
        self.get("output")
    }
    /// `credential_process`.
    pub fn credential_process(&self) -> Option<&str> {
        self.get("credential_process")
    }
    /// `endpoint_url` (the profile's global endpoint).
    pub fn endpoint_url(&self) -> Option<&str> {
        self.get("endpoint_url")
    }
    /// `services`: the name of a `[services ...]` section.
    pub fn services(&self) -> Option<&str> {
        self.get("services")
    }
    /// `sso_session`.
    pub fn sso_session(&self) -> Option<&str> {
        self.get("sso_session")
    }
    /// `sso_account_id`.
    pub fn sso_account_id(&self) -> Option<&str> {
        self.get("sso_account_id")
    }
    /// `sso_role_name`.
    pub fn sso_role_name(&self) -> Option<&str> {
        self.get("sso_role_name")
    }
    /// `ignore_configured_endpoint_urls` (botocore's `ensure_boolean`).
    pub fn ignore_configured_endpoint_urls(&self) -> Option<bool> {
        self.get("ignore_configured_endpoint_urls")
            .map(ensure_boolean)
    }

    /// Whether the profile has any SSO setting (`sso_session`, or any of
    /// `sso_start_url`, `sso_region`, `sso_account_id`, `sso_role_name`).
    pub fn is_sso(&self) -> bool {
        self.properties.contains_key("sso_session")
            || SSO_ROLE_KEYS
                .iter()
                .chain(&SSO_LEGACY_KEYS)
                .any(|k| self.properties.contains_key(*k))
    }

    /// The profile's SSO settings, `None` if it has none ([`is_sso`]).
    ///
    /// With `sso_session`, the session's keys are merged in; any key set
    /// in both the profile and the session must be equal (botocore checks
    /// every key of the session, e.g. `sso_start_url`, `sso_region`).
    /// Without, the legacy `sso_start_url` + `sso_region` of the profile
    /// are used. `sso_account_id` and `sso_role_name` are optional here
    /// (a profile without them is a token provider only).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::SsoSessionNotFound`],
    /// [`ConfigFileError::SsoMismatch`] (naming the key, not the values),
    /// [`ConfigFileError::MissingSsoKeys`] without a start URL or region.
    ///
    /// [`is_sso`]: Profile::is_sso
    pub fn sso(&self, config: &AwsConfig) -> Result<Option<ProfileSso>, ConfigFileError> {
        if !self.is_sso() {
            return Ok(None);
        }
        let mut merged: Cow<'_, Properties> = Cow::Borrowed(&self.properties);
        let session_name = self.sso_session().map(str::to_owned);
        if let Some(name) = &session_name {
            let session = config.sso_sessions.get(name).ok_or_else(|| {
                ConfigFileError::SsoSessionNotFound {
                    profile: self.name.clone(),
                    sso_session: name.clone(),
                }
            })?;
            let merged = merged.to_mut();
            for (key, value) in &session.properties {
                if merged.get(key).is_some_and(|mine| mine != value) {
                    return Err(ConfigFileError::SsoMismatch {
                        profile: self.name.clone(),
                        sso_session: name.clone(),
                        key: key.clone(),
                    });
                }
                merged.insert(key.clone(), value.clone());
            }
        }
        let missing: Vec<&'static str> = SSO_LEGACY_KEYS
            .into_iter()
            .filter(|k| text(&merged, k).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ConfigFileError::MissingSsoKeys {
                profile: self.name.clone(),
                missing,
            });
        }
        let get = |key: &str| text(&merged, key).map(str::to_owned);
        Ok(Some(ProfileSso {
            profile: self.name.clone(),
            start_url: get("sso_start_url").unwrap_or_default(),
            region: get("sso_region").unwrap_or_default(),
            scopes: match &session_name {
                Some(_) => get("sso_registration_scopes")
                    .map(|s| split_scopes(&s))
                    .unwrap_or_default(),
                None => Vec::new(),
            },
            sso_session: session_name,
            account_id: get("sso_account_id"),
            role_name: get("sso_role_name"),
        }))
    }

    /// The role credentials of an SSO profile: its [`ProfileSso`]'s
    /// session in `cache_dir`, account and role, cached in
    /// `credentials_cache` ([`CredentialsSource::sso_role`]).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::NotSso`], [`ConfigFileError::MissingSsoKeys`]
    /// (also when `sso_account_id` or `sso_role_name` is missing), and the
    /// errors of [`sso`](Profile::sso).
    pub fn credentials_source(
        &self,
        config: &AwsConfig,
        cache_dir: CacheDir,
        credentials_cache: CredentialsCacheDir,
    ) -> Result<CredentialsSource, ConfigFileError> {
        let sso = self.sso(config)?.ok_or_else(|| ConfigFileError::NotSso {
            profile: self.name.clone(),
        })?;
        sso.credentials_source(cache_dir, credentials_cache)
    }
}

// ---------------------------------------------------------------------------
// The file

/// The config file's profiles, sso-sessions and services sections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AwsConfig {
    /// Profiles by name (`[default]` and `[profile default]` both name
    /// `default`).
    pub profiles: BTreeMap<String, Profile>,
    /// `[sso-session NAME]` sections by name.
    pub sso_sessions: BTreeMap<String, SsoSessionConfig>,
    /// `[services NAME]` sections by name.
    pub services: BTreeMap<String, ServicesConfig>,
}

impl AwsConfig {
    /// Parses the config file's text as the AWS CLI v2 does (botocore's
    /// `raw_config_parse` + `build_profile_map` over Python's
    /// `RawConfigParser()` with default settings):
    ///
    /// * Sections: `[default]`, `[profile NAME]`, `[sso-session NAME]`,
    ///   `[services NAME]`. The header is everything between `[` and the
    ///   *last* `]` on the line; the name is the second word of
    ///   `shlex.split(header)` (so `[profile   dev ]` is `dev`,
    ///   `[profile "my dev"]` is `my dev`) and headers that do not split
    ///   into exactly two words (`[profile]`, `[profile a b]`, an unclosed
    ///   quote) are ignored. As in botocore only the *prefix* is checked:
    ///   `[profiles x]` is profile `x`. `[dev]` (no prefix) and any other
    ///   section is ignored.
    /// * `[DEFAULT]` (upper case) is configparser's defaults section: its
    ///   keys are inherited by every section that does not set them.
    /// * When two headers name the same profile (`[default]` and
    ///   `[profile default]`, or `[profile dev]` and `[profile "dev"]`),
    ///   the one *later in the file* wins whole; nothing is merged. The
    ///   exact same header twice, or the same key twice in a section, is an
    ///   error ([`ParseProblem::DuplicateSection`],
    ///   [`ParseProblem::DuplicateKey`]): configparser is strict.
    /// * `key = value` or `key: value` (the first `=` or `:` splits); keys
    ///   are lower-cased, keys and values trimmed. A key-less line is an
    ///   error.
    /// * Full-line comments start with `#` or `;` (after any indentation).
    ///   There are **no inline comments**: `region = us-east-1 # prod` has
    ///   the value `us-east-1 # prod`, as the AWS CLI reads it.
    /// * Lines indented more than their option line continue its value
    ///   (joined with `\n`, blank lines inside kept, trailing ones
    ///   dropped). An empty value followed by indented `k = v` lines is a
    ///   nested block ([`Value::Nested`]; its keys keep their case, a line
    ///   without `=` is an error).
    /// * Lines end at `\n`, `\r\n` or `\r`. A byte-order mark is not
    ///   skipped (the AWS CLI rejects such a file too).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::Parse`] with the 1-based line of the first
    /// problem.
    pub fn parse(text: &str) -> Result<AwsConfig, ConfigFileError> {
        AwsConfig::parse_with(text, parse::classify)
    }

    /// Parses the shared credentials file (`~/.aws/credentials`) as
    /// botocore's `raw_config_parse` does: the same syntax as
    /// [`parse`](Self::parse), but every section is a profile named by its
    /// whole header (`[dev]` is profile `dev`; `[profile dev]` is a profile
    /// named `profile dev`), except `[DEFAULT]`, whose keys every section
    /// inherits.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::Parse`] with the 1-based line of the first
    /// problem.
    ///
    /// ```
    /// use oidc_host::AwsConfig;
    ///
    /// let file = AwsConfig::parse_credentials("[dev]\naws_access_key_id = AKIDEXAMPLE\n")?;
    /// assert_eq!(file.profile("dev")?.get("aws_access_key_id"), Some("AKIDEXAMPLE"));
    /// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
    /// ```
    pub fn parse_credentials(text: &str) -> Result<AwsConfig, ConfigFileError> {
        AwsConfig::parse_with(text, parse::classify_credentials)
    }

    fn parse_with(
        text: &str,
        classify: fn(&str) -> parse::SectionKind,
    ) -> Result<AwsConfig, ConfigFileError> {
        let lines = parse::split_lines(text);
        let doc = parse::scan(&lines);
        if let Some((line, problem)) = doc.problem {
            return Err(ConfigFileError::Parse {
                line: line + 1,
                problem,
            });
        }
        let nested_err = |(line, problem): (usize, ParseProblem)| ConfigFileError::Parse {
            line: line + 1,
            problem,
        };
        // configparser's defaults; duplicates were refused above.
        let kinds: Vec<parse::SectionKind> = doc
            .sections
            .iter()
            .map(|section| classify(section.header))
            .collect();
        let mut defaults = Properties::new();
        for (section, kind) in doc.sections.iter().zip(&kinds) {
            if *kind == parse::SectionKind::Defaults {
                for option in &section.options {
                    let value = parse::option_value(section.header, option).map_err(nested_err)?;
                    defaults.insert(option.key.clone().into_owned(), value);
                }
            }
        }
        let mut config = AwsConfig::default();
        for (section, kind) in doc.sections.iter().zip(kinds) {
            if kind == parse::SectionKind::Defaults {
                continue;
            }
            let mut properties = defaults.clone();
            for option in &section.options {
                let value = parse::option_value(section.header, option).map_err(nested_err)?;
                properties.insert(option.key.clone().into_owned(), value);
            }
            match kind {
                parse::SectionKind::Profile(name) => {
                    config
                        .profiles
                        .insert(name.clone(), Profile { name, properties });
                }
                parse::SectionKind::SsoSession(name) => {
                    config
                        .sso_sessions
                        .insert(name.clone(), SsoSessionConfig { name, properties });
                }
                parse::SectionKind::Services(name) => {
                    config
                        .services
                        .insert(name.clone(), ServicesConfig { name, properties });
                }
                parse::SectionKind::Defaults | parse::SectionKind::Other => {}
            }
        }
        Ok(config)
    }

    /// Parses the file's bytes: [`parse`](Self::parse) after checking they
    /// are UTF-8.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::NotUtf8`], [`ConfigFileError::Parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<AwsConfig, ConfigFileError> {
        AwsConfig::parse(utf8(bytes)?)
    }

    /// Reads ([`read_config_text`]) and parses the file at `path`. An
    /// absent file, or a directory, is an empty configuration, as for the
    /// AWS CLI.
    ///
    /// # Errors
    ///
    /// Those of [`read_config_text`] but [`ConfigFileError::NotAFile`] for
    /// a directory (the AWS CLI would silently treat any unreadable path
    /// as empty), and those of [`parse`](Self::parse).
    pub fn load_file(path: &Path) -> Result<AwsConfig, ConfigFileError> {
        match read_config_text(path) {
            Ok(Some(text)) => AwsConfig::parse(&text),
            Ok(None)
            | Err(ConfigFileError::NotAFile {
                kind: FileKind::Directory,
                ..
            }) => Ok(AwsConfig::default()),
            Err(e) => Err(e),
        }
    }

    /// Reads the config file `env` names ([`Environment::config_file`]).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::NoHomeDirectory`] and those of
    /// [`load_file`](Self::load_file).
    pub fn load(env: &Environment) -> Result<AwsConfig, ConfigFileError> {
        AwsConfig::load_file(&env.config_file()?)
    }

    /// The profile `name`.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::ProfileNotFound`], listing the profiles that
    /// exist.
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigFileError> {
        self.profiles
            .get(name)
            .ok_or_else(|| ConfigFileError::ProfileNotFound {
                name: name.to_owned(),
                available: self.profiles.keys().cloned().collect(),
            })
    }

    /// The profile the environment selects, as the AWS CLI does: the one
    /// [`Environment::profile_name`] names (which must exist), else
    /// `default`, else an empty profile named `default` (not an error).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::ProfileNotFound`].
    pub fn active_profile(&self, env: &Environment) -> Result<Profile, ConfigFileError> {
        match env.profile_name() {
            Some(name) => self.profile(&name).cloned(),
            None => Ok(self
                .profiles
                .get("default")
                .cloned()
                .unwrap_or_else(|| Profile::empty("default"))),
        }
    }

    /// The `[sso-session NAME]` section.
    pub fn sso_session(&self, name: &str) -> Option<&SsoSessionConfig> {
        self.sso_sessions.get(name)
    }

    /// The `[services NAME]` section the profile's `services` key names
    /// (`None` if it names none).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::ServicesNotFound`] when the section is missing
    /// or empty (botocore's rule).
    pub fn services_of(
        &self,
        profile: &Profile,
    ) -> Result<Option<&ServicesConfig>, ConfigFileError> {
        let Some(name) = profile.services() else {
            return Ok(None);
        };
        match self.services.get(name) {
            Some(section) if !section.properties.is_empty() => Ok(Some(section)),
            _ => Err(ConfigFileError::ServicesNotFound {
                profile: profile.name.clone(),
                services: name.to_owned(),
            }),
        }
    }
}

/// `bytes` as text, or [`ConfigFileError::NotUtf8`] with the line of the
/// first invalid byte.
fn utf8(bytes: &[u8]) -> Result<&str, ConfigFileError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let lines = parse::split_lines(&String::from_utf8_lossy(before)).len();
        let ends_open = !before.is_empty() && !before.ends_with(b"\n") && !before.ends_with(b"\r");
        ConfigFileError::NotUtf8 {
            line: if ends_open { lines } else { lines + 1 },
        }
    })
}

/// The largest AWS config (or credentials) file read: 16 MiB. A real file
/// is a few kilobytes; 100,000 profiles are about 11 MiB.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Reads the AWS config file, or the shared credentials file, at `path`
/// as text, safely: `Ok(None)` when nothing is there.
///
/// * Only a regular file is read. A FIFO, socket, device or directory is
///   refused with [`ConfigFileError::NotAFile`] without reading it: the
///   path is inspected first, and the file is opened non-blocking (a FIFO
///   never waits for a writer), then inspected again.
/// * Symbolic links are **followed**, as the AWS CLI follows them (many
///   users symlink their dotfiles), and the final target must be a
///   regular file. (The token and credential caches, which this crate
///   writes, refuse symbolic links.)
/// * At most [`MAX_CONFIG_BYTES`] are read; a larger file is refused with
///   [`ConfigFileError::TooLarge`].
///
/// # Errors
///
/// [`ConfigFileError::NotAFile`], [`ConfigFileError::TooLarge`],
/// [`ConfigFileError::Read`] (the operating system's error is its
/// source), [`ConfigFileError::NotUtf8`].
///
/// ```
/// use oidc_host::aws_config::{read_config_text, ConfigFileError, FileKind};
///
/// let dir = std::env::temp_dir().join(format!("read-config-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("config");
/// assert_eq!(read_config_text(&path)?, None);
/// std::fs::write(&path, "[default]\nregion = eu-west-1\n").unwrap();
/// assert_eq!(read_config_text(&path)?.as_deref(), Some("[default]\nregion = eu-west-1\n"));
/// assert!(matches!(
///     read_config_text(&dir),
///     Err(ConfigFileError::NotAFile { kind: FileKind::Directory, .. })
/// ));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ConfigFileError>(())
/// ```
pub fn read_config_text(path: &Path) -> Result<Option<String>, ConfigFileError> {
    let bytes = match crate::fs::read_regular(path, Symlinks::Follow, MAX_CONFIG_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(ReadError::NotRegular(kind)) => {
            return Err(ConfigFileError::NotAFile {
                path: path.to_owned(),
                kind,
            })
        }
        Err(ReadError::TooLarge) => {
            return Err(ConfigFileError::TooLarge {
                path: path.to_owned(),
                limit: MAX_CONFIG_BYTES,
            })
        }
        Err(ReadError::Io(_, source)) => {
            return Err(ConfigFileError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    Ok(Some(utf8(&bytes)?.to_owned()))
}

// ---------------------------------------------------------------------------
// Environment

type Lookup = dyn Fn(&str) -> Option<OsString> + Send + Sync;

/// The AWS CLI's environment variables, read through a lookup closure so
/// tests need not change the process environment.
///
/// Empty values count as unset (botocore would take an empty
/// `AWS_PROFILE` as the profile named ``""``; aws-sdk-rust ignores it).
#[derive(Clone)]
pub struct Environment {
    lookup: Arc<Lookup>,
    platform: Platform,
    os_home: Option<PathBuf>,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("platform", &self.platform)
            .field("os_home", &self.os_home)
            .finish_non_exhaustive()
    }
}

/// The SDK service id of an oidc-core [`Service`], in the snake case the
/// `[services]` section uses: `sso_oidc`, `sso`, `sts`.
pub fn service_id(service: Service) -> &'static str {
    match service {
        Service::SsoOidc => "sso_oidc",
        Service::SsoPortal => "sso",
        Service::Sts => "sts",
        // A service added to oidc-core later: its endpoint prefix is the
        // best guess until it is listed here.
        _ => service.endpoint_prefix(),
    }
}

/// `SSO OIDC`, `sso-oidc`, `sso_oidc` → `sso_oidc`.
fn snake_service_id(service: &str) -> String {
    service
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl Environment {
    /// An environment whose variables `lookup` returns; `platform` and
    /// `os_home` find the home directory as [`CacheDir::resolve`] does.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use std::path::PathBuf;
    /// use oidc_host::aws_config::Environment;
    /// use oidc_host::Platform;
    ///
    /// let env = Environment::new(
    ///     |name| match name {
    ///         "HOME" => Some(OsString::from("/home/ana")),
    ///         "AWS_PROFILE" => Some(OsString::from("dev")),
    ///         "AWS_DEFAULT_REGION" => Some(OsString::from("eu-west-1")),
    ///         _ => None,
    ///     },
    ///     Platform::Unix,
    ///     None,
    /// );
    /// assert_eq!(env.config_file()?, PathBuf::from("/home/ana/.aws/config"));
    /// assert_eq!(env.profile_name().as_deref(), Some("dev"));
    /// assert_eq!(env.region().as_deref(), Some("eu-west-1"));
    /// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
    /// ```
    pub fn new(
        lookup: impl Fn(&str) -> Option<OsString> + Send + Sync + 'static,
        platform: Platform,
        os_home: Option<PathBuf>,
    ) -> Environment {
        Environment {
            lookup: Arc::new(lookup),
            platform,
            os_home,
        }
    }

    /// The process environment.
    pub fn from_env() -> Environment {
        Environment::new(
            |name| std::env::var_os(name),
            Platform::current(),
            std::env::home_dir(),
        )
    }

    /// A variable's value; `None` if unset, empty or not UTF-8.
    pub fn var(&self, name: &str) -> Option<String> {
        self.var_os(name)?.into_string().ok()
    }

    fn var_os(&self, name: &str) -> Option<OsString> {
        (self.lookup)(name).filter(|v| !v.is_empty())
    }

    fn lookup_os(&self) -> impl Fn(&str) -> Option<OsString> + '_ {
        move |name| (self.lookup)(name)
    }

    fn home(&self) -> Result<PathBuf, ConfigFileError> {
        let sso = CacheDir::resolve(self.lookup_os(), self.platform, self.os_home.clone())
            .map_err(|e| match e {
                HostError::NoHomeDirectory { hint } => ConfigFileError::NoHomeDirectory { hint },
                _ => ConfigFileError::NoHomeDirectory { hint: "HOME" },
            })?;
        // `<home>/.aws/sso/cache` → `<home>`.
        Ok(sso
            .path()
            .ancestors()
            .nth(3)
            .map(Path::to_path_buf)
            .unwrap_or_default())
    }

    /// The config file: `AWS_CONFIG_FILE` (with `$VAR`/`${VAR}` and a
    /// leading `~` expanded, as botocore's `expandvars` + `expanduser`),
    /// else `~/.aws/config`.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::NoHomeDirectory`] when the home directory is
    /// needed and unknown.
    pub fn config_file(&self) -> Result<PathBuf, ConfigFileError> {
        match self.var_os("AWS_CONFIG_FILE") {
            Some(path) => {
                let path = match path.into_string() {
                    Ok(text) => self.expand_vars(&text),
                    Err(raw) => return Ok(PathBuf::from(raw)),
                };
                self.expand_user(&path)
            }
            None => Ok(self.home()?.join(".aws").join("config")),
        }
    }

    /// The shared credentials file: `AWS_SHARED_CREDENTIALS_FILE` (expanded
    /// like [`config_file`](Self::config_file)), else `~/.aws/credentials`.
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::NoHomeDirectory`] when the home directory is
    /// needed and unknown.
    pub fn credentials_file(&self) -> Result<PathBuf, ConfigFileError> {
        match self.var_os("AWS_SHARED_CREDENTIALS_FILE") {
            Some(path) => {
                let path = match path.into_string() {
                    Ok(text) => self.expand_vars(&text),
                    Err(raw) => return Ok(PathBuf::from(raw)),
                };
                self.expand_user(&path)
            }
            None => Ok(self.home()?.join(".aws").join("credentials")),
        }
    }

    /// Python's `posixpath.expandvars`: `$name` and `${name}` (name: word
    /// characters) replaced when set, left as they are otherwise.
    fn expand_vars(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(end) => (&braced[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            };
            match (consumed, self.var(name).filter(|_| !name.is_empty())) {
                (1.., Some(value)) => {
                    out.push_str(&value);
                    rest = &after[consumed..];
                }
                _ => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn expand_user(&self, path: &str) -> Result<PathBuf, ConfigFileError> {
        let separators: &[char] = match self.platform {
            Platform::Windows => &['/', '\\'],
            _ => &['/'],
        };
        match path.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with(separators) => {
                let mut home = self.home()?.into_os_string();
                home.push(rest);
                Ok(PathBuf::from(home))
            }
            _ => Ok(PathBuf::from(path)),
        }
    }

    /// The profile the environment selects: `AWS_PROFILE`, else
    /// `AWS_DEFAULT_PROFILE` (the AWS CLI v2 order; stock botocore checks
    /// them the other way round). `None`: the default profile.
    pub fn profile_name(&self) -> Option<String> {
        self.var("AWS_PROFILE")
            .or_else(|| self.var("AWS_DEFAULT_PROFILE"))
    }

    /// The region for service calls from the environment: `AWS_REGION`,
    /// else `AWS_DEFAULT_REGION` (the AWS CLI v2 reads both, in that order).
    pub fn region(&self) -> Option<String> {
        self.var("AWS_REGION")
            .or_else(|| self.var("AWS_DEFAULT_REGION"))
    }

    /// `AWS_ENDPOINT_URL_<SERVICE_ID>` (upper snake case: `SSO_OIDC`,
    /// `SSO`, `STS`; any spelling of the id is accepted).
    pub fn service_endpoint_url(&self, service: &str) -> Option<String> {
        self.var(&format!(
            "AWS_ENDPOINT_URL_{}",
            snake_service_id(service).to_ascii_uppercase()
        ))
    }

    /// `AWS_ENDPOINT_URL`.
    pub fn global_endpoint_url(&self) -> Option<String> {
        self.var("AWS_ENDPOINT_URL")
    }

    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (`true` in any case is true).
    pub fn ignore_configured_endpoint_urls(&self) -> Option<bool> {
        self.var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .map(|v| ensure_boolean(&v))
    }

    /// The SSO token cache directory ([`CacheDir::resolve`]).
    ///
    /// # Errors
    ///
    /// [`HostError::NoHomeDirectory`].
    pub fn cache_dir(&self) -> Result<CacheDir, HostError> {
        CacheDir::resolve(self.lookup_os(), self.platform, self.os_home.clone())
    }

    /// The CLI role-credential cache directory
    /// ([`CredentialsCacheDir::resolve`]).
    ///
    /// # Errors
    ///
    /// [`HostError::NoHomeDirectory`].
    pub fn credentials_cache_dir(&self) -> Result<CredentialsCacheDir, HostError> {
        CredentialsCacheDir::resolve(self.lookup_os(), self.platform, self.os_home.clone())
    }
}

/// The endpoint URL configured for `service` (`SSO OIDC`, `sso_oidc`, ...;
/// see [`service_id`]), with the AWS SDKs' precedence:
///
/// 1. `AWS_ENDPOINT_URL_<SERVICE>`,
/// 2. `AWS_ENDPOINT_URL`,
/// 3. `endpoint_url` in the service's block of the profile's
///    `[services ...]` section,
/// 4. the profile's `endpoint_url`;
///
/// none of them when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (else the
/// profile's `ignore_configured_endpoint_urls`) is true. `None`: use the
/// regional default.
///
/// # Errors
///
/// [`ConfigFileError::ServicesNotFound`] when the profile names a services
/// section that does not exist (botocore raises it when consulting it).
///
/// ```
/// use oidc_host::aws_config::{resolved_endpoint_url, AwsConfig, Environment};
/// use oidc_host::Platform;
///
/// let config = AwsConfig::parse(
///     "[profile dev]\nservices = local\nendpoint_url = http://global:1\n\
///      [services local]\nsso_oidc =\n  endpoint_url = http://oidc:2\n",
/// )?;
/// let dev = config.profile("dev")?;
/// let env = Environment::new(|_| None, Platform::Unix, None);
/// assert_eq!(resolved_endpoint_url("sso_oidc", &env, &config, dev)?.as_deref(), Some("http://oidc:2"));
/// assert_eq!(resolved_endpoint_url("sts", &env, &config, dev)?.as_deref(), Some("http://global:1"));
/// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
/// ```
pub fn resolved_endpoint_url(
    service: &str,
    env: &Environment,
    config: &AwsConfig,
    profile: &Profile,
) -> Result<Option<String>, ConfigFileError> {
    let ignore = env
        .ignore_configured_endpoint_urls()
        .or_else(|| profile.ignore_configured_endpoint_urls())
        .unwrap_or(false);
    if ignore {
        return Ok(None);
    }
    if let Some(url) = env
        .service_endpoint_url(service)
        .or_else(|| env.global_endpoint_url())
    {
        return Ok(Some(url));
    }
    if let Some(url) = config
        .services_of(profile)?
        .and_then(|s| s.endpoint_url(service))
    {
        return Ok(Some(url.to_owned()));
    }
    Ok(profile
        .endpoint_url()
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

/// The region for service calls (not the SSO region): `AWS_REGION`, else
/// `AWS_DEFAULT_REGION`, else the profile's `region`.
pub fn resolved_region(env: &Environment, profile: &Profile) -> Option<String> {
    env.region().or_else(|| {
        profile
            .region()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}
