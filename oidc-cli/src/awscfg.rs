//! The AWS config file as far as this tool needs it: its `[sso-session]`
//! sections and the SSO settings of its profiles, and text edits that
//! change only the sections they write.
//!
//! Found as the AWS CLI finds it: `AWS_CONFIG_FILE`, else `~/.aws/config`.

use std::path::{Path, PathBuf};

use crate::target::BoxError;

/// An `[sso-session NAME]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SsoSession {
    pub(crate) name: String,
    pub(crate) start_url: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) scopes: Vec<String>,
}

/// A profile's SSO settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) name: String,
    pub(crate) sso_session: Option<String>,
    pub(crate) sso_start_url: Option<String>,
    pub(crate) sso_region: Option<String>,
    pub(crate) sso_account_id: Option<String>,
    pub(crate) sso_role_name: Option<String>,
    pub(crate) region: Option<String>,
}

impl Profile {
    /// Whether the profile uses IAM Identity Center at all.
    pub(crate) fn is_sso(&self) -> bool {
        self.sso_session.is_some() || self.sso_start_url.is_some()
    }
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsConfig {
    pub(crate) path: PathBuf,
    pub(crate) exists: bool,
    pub(crate) text: String,
    pub(crate) sessions: Vec<SsoSession>,
    pub(crate) profiles: Vec<Profile>,
}

impl AwsConfig {
    /// Reads the file (absent: empty) with `oidc_host`'s safe read: only
    /// a regular file (symbolic links followed), opened non-blocking (a
    /// FIFO is refused at once, never waited on), at most 16 MiB.
    pub(crate) fn load() -> Result<AwsConfig, BoxError> {
        let path = config_path()?;
        let (exists, text) = match oidc_host::aws_config::read_config_text(&path)? {
            Some(text) => (true, text),
            None => (false, String::new()),
        };
        let mut config = parse(&text)?;
        config.path = path;
        config.exists = exists;
        config.text = text;
        Ok(config)
    }

    pub(crate) fn session(&self, name: &str) -> Option<&SsoSession> {
        self.sessions.iter().find(|s| s.name == name)
    }

    pub(crate) fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Nothing about IAM Identity Center in it.
    pub(crate) fn has_no_sso(&self) -> bool {
        self.sessions.is_empty() && !self.profiles.iter().any(Profile::is_sso)
    }
}

fn config_path() -> Result<PathBuf, BoxError> {
    Ok(oidc_host::Environment::from_env().config_file()?)
}

/// Parses with the AWS CLI's rules (`oidc_host::aws_config`) and keeps
/// what this tool uses.
fn parse(text: &str) -> Result<AwsConfig, BoxError> {
    let parsed = oidc_host::AwsConfig::parse(text).map_err(|e| {
        crate::exit::Failure::caused_by(crate::exit::LOCAL, "the AWS config file cannot be used", e)
    })?;
    let mut config = AwsConfig::default();
    for (name, s) in &parsed.sso_sessions {
        config.sessions.push(SsoSession {
            name: name.clone(),
            start_url: s.start_url().map(str::to_owned),
            region: s.region().map(str::to_owned),
            scopes: s.registration_scopes(),
        });
    }
    for (name, p) in &parsed.profiles {
        let get = |key: &str| p.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
        config.profiles.push(Profile {
            name: name.clone(),
            sso_session: get("sso_session"),
            sso_start_url: get("sso_start_url"),
            sso_region: get("sso_region"),
            sso_account_id: get("sso_account_id"),
            sso_role_name: get("sso_role_name"),
            region: get("region"),
        });
    }
    Ok(config)
}

/// Sets the `[sso-session NAME]` section (`oidc_host::aws_config`'s text
/// writer: every other byte stays as it was).
pub(crate) fn upsert_sso_session(
    text: &str,
    name: &str,
    start_url: &str,
    region: &str,
    scopes: &[String],
) -> Result<String, BoxError> {
    Ok(oidc_host::aws_config::upsert_sso_session(
        text, name, start_url, region, scopes,
    )?)
}

/// Writes `text` to `path` atomically, creating the directory when missing.
pub(crate) fn write_config(path: &Path, text: &str) -> Result<(), BoxError> {
    Ok(oidc_host::aws_config::write_file(path, text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# mine\n[default]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n\n[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\n[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";

    #[test]
    fn parses_sessions_and_profiles() {
        let c = parse(TEXT).unwrap();
        assert_eq!(c.sessions.len(), 1);
        assert_eq!(c.sessions[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.sessions[0].scopes, ["sso:account:access"]);
        let dev = c.profile("dev").unwrap();
        assert_eq!(dev.sso_session.as_deref(), Some("corp"));
        assert!(dev.is_sso());
        assert!(!c.profile("default").unwrap().is_sso());
    }
}
