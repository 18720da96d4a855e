//! What `configure` writes for an sso-session's accounts and roles, decided
//! before anything is written: one profile per account and role, named as
//! `aws configure sso` names them, and never a surprise for a profile that
//! is already there.

use std::collections::HashSet;

use super::{AwsConfig, ConfigFileError, Profile};

/// One account and role the portal lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalRole {
    /// The account (12 digits).
    pub account_id: String,
    /// The role (permission set) name.
    pub role_name: String,
}

impl PortalRole {
    /// `role_name` in `account_id`.
    pub fn new(account_id: impl Into<String>, role_name: impl Into<String>) -> PortalRole {
        PortalRole {
            account_id: account_id.into(),
            role_name: role_name.into(),
        }
    }
}

/// What happens to one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanAction {
    /// A new profile.
    Add,
    /// The profile exists with exactly these settings: left alone.
    Unchanged,
    /// The profile exists with other settings and is replaced (`force`).
    Replace,
    /// The profile exists with other settings and is left alone; `force`
    /// would replace it.
    Conflict {
        /// What differs, in a few words (`it uses sso-session other`,
        /// `it assumes a role (role_arn)` ...).
        reason: String,
    },
}

/// One profile of a [`ConfigurePlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedProfile {
    /// The profile name.
    pub name: String,
    /// The account and role it is for.
    pub role: PortalRole,
    /// What happens to it.
    pub action: PlanAction,
}

/// What `configure` will write ([`plan_profiles`]) and the text it writes
/// ([`ConfigurePlan::apply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigurePlan {
    /// The sso-session the profiles use.
    pub sso_session: String,
    /// The `region` of new profiles.
    pub region: String,
    /// One entry per account and role, in the order given.
    pub profiles: Vec<PlannedProfile>,
}

/// Keys that decide where a profile's credentials come from: a replaced
/// profile loses them, so that it resolves to the SSO role it names.
const SOURCE_KEYS: [&str; 10] = [
    "role_arn",
    "source_profile",
    "credential_source",
    "web_identity_token_file",
    "credential_process",
    "sso_start_url",
    "sso_region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

/// The name `aws configure sso` proposes for a role: `RoleName-AccountId`
/// (with `prefix` in front).
pub fn default_profile_name(prefix: &str, role: &PortalRole) -> String {
    format!("{prefix}{}-{}", role.role_name, role.account_id)
}

/// Decides, for every account and role of `sso_session`, which profile it
/// gets and what happens to it:
///
/// * the name is [`default_profile_name`]; two pairs that would share a
///   name get distinct ones (`-2`, `-3` ...);
/// * a profile that does not exist is added;
/// * one that exists with this session, account and role is unchanged;
/// * any other existing profile of that name (another session, account or
///   role, a role chain, static keys, a `credential_process` ...) is a
///   [`PlanAction::Conflict`] and is not touched, unless `force`: then it
///   is replaced ([`PlanAction::Replace`]: its SSO keys are set and the
///   keys that would take precedence over them are removed).
///
/// ```
/// use oidc_host::aws_config::{plan_profiles, AwsConfig, PlanAction, PortalRole};
///
/// let config = AwsConfig::parse(
///     "[profile ReadOnly-111111111111]\nrole_arn = arn:aws:iam::333333333333:role/Deploy\nsource_profile = base\n",
/// )?;
/// let roles = [
///     PortalRole::new("111111111111", "ReadOnly"),
///     PortalRole::new("222222222222", "Admin"),
/// ];
/// let plan = plan_profiles(&config, "corp", "eu-west-1", &roles, "", false);
/// assert!(matches!(plan.profiles[0].action, PlanAction::Conflict { .. }));
/// assert_eq!(plan.profiles[1].name, "Admin-222222222222");
/// assert_eq!(plan.profiles[1].action, PlanAction::Add);
///
/// let text = plan.apply("")?;
/// assert!(text.contains("[profile Admin-222222222222]"));
/// assert!(!text.contains("ReadOnly"));
/// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
/// ```
pub fn plan_profiles(
    config: &AwsConfig,
    sso_session: &str,
    region: &str,
    roles: &[PortalRole],
    prefix: &str,
    force: bool,
) -> ConfigurePlan {
    let mut taken: HashSet<String> = HashSet::with_capacity(roles.len());
    let mut profiles = Vec::with_capacity(roles.len());
    for role in roles {
        let base = default_profile_name(prefix, role);
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.clone());
        let action = match config.profiles.get(&name) {
            None => PlanAction::Add,
            Some(existing) => match conflict(existing, sso_session, role) {
                None => PlanAction::Unchanged,
                Some(_) if force => PlanAction::Replace,
                Some(reason) => PlanAction::Conflict { reason },
            },
        };
        profiles.push(PlannedProfile {
            name,
            role: role.clone(),
            action,
        });
    }
    ConfigurePlan {
        sso_session: sso_session.to_owned(),
        region: region.to_owned(),
        profiles,
    }
}

/// Why `existing` is not already the profile of `role` through
/// `sso_session`; `None` when it is.
fn conflict(existing: &Profile, sso_session: &str, role: &PortalRole) -> Option<String> {
    if let Some(key) = SOURCE_KEYS
        .iter()
        .find(|k| existing.get(k).is_some() && !k.starts_with("sso_"))
    {
        return Some(format!("its credentials come from elsewhere ({key})"));
    }
    match existing.sso_session() {
        None if existing.is_sso() => return Some("it uses a legacy SSO configuration".to_owned()),
        None => return Some("it does not use this sso-session".to_owned()),
        Some(s) if s != sso_session => return Some(format!("it uses sso-session {s}")),
        Some(_) => {}
    }
    if existing.sso_account_id() != Some(role.account_id.as_str())
        || existing.sso_role_name() != Some(role.role_name.as_str())
    {
        return Some(format!(
            "it names account {} and role {}",
            existing.sso_account_id().unwrap_or("(none)"),
            existing.sso_role_name().unwrap_or("(none)")
        ));
    }
    None
}

impl ConfigurePlan {
    /// The profiles that will be written (added or replaced).
    pub fn written(&self) -> impl Iterator<Item = &PlannedProfile> {
        self.profiles
            .iter()
            .filter(|p| matches!(p.action, PlanAction::Add | PlanAction::Replace))
    }

    /// `text` (the config file) with the plan's profiles added or replaced,
    /// in one pass; every other byte as it was. The sso-session section
    /// itself is written by [`upsert_sso_session`](super::upsert_sso_session).
    ///
    /// # Errors
    ///
    /// [`ConfigFileError::InvalidWrite`] for a name or value the file
    /// cannot hold.
    pub fn apply(&self, text: &str) -> Result<String, ConfigFileError> {
        let edits: Vec<super::write::ProfileEdit<'_>> = self
            .written()
            .map(|p| super::write::ProfileEdit {
                name: &p.name,
                set: vec![
                    ("sso_session", self.sso_session.as_str()),
                    ("sso_account_id", p.role.account_id.as_str()),
                    ("sso_role_name", p.role.role_name.as_str()),
                    ("region", self.region.as_str()),
                ],
                remove: if p.action == PlanAction::Replace {
                    SOURCE_KEYS.to_vec()
                } else {
                    Vec::new()
                },
            })
            .collect();
        super::write::edit_profiles(text, &edits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXISTING: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1

[profile ReadOnly-111111111111]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
region = eu-west-1

[profile Admin-111111111111]
sso_session = other
sso_account_id = 111111111111
sso_role_name = Admin

[profile Deploy-222222222222]
role_arn = arn:aws:iam::333333333333:role/Deploy
source_profile = base
";

    fn roles() -> Vec<PortalRole> {
        vec![
            PortalRole::new("111111111111", "ReadOnly"),
            PortalRole::new("111111111111", "Admin"),
            PortalRole::new("222222222222", "Deploy"),
            PortalRole::new("222222222222", "Deploy"),
        ]
    }

    #[test]
    fn existing_profiles_are_never_changed_without_force() {
        let config = AwsConfig::parse(EXISTING).unwrap();
        let plan = plan_profiles(&config, "corp", "eu-west-1", &roles(), "", false);
        let actions: Vec<(&str, &PlanAction)> = plan
            .profiles
            .iter()
            .map(|p| (p.name.as_str(), &p.action))
            .collect();
        assert_eq!(
            actions[0],
            ("ReadOnly-111111111111", &PlanAction::Unchanged)
        );
        assert!(
            matches!(actions[1].1, PlanAction::Conflict { reason } if reason.contains("other"))
        );
        assert!(
            matches!(actions[2].1, PlanAction::Conflict { reason } if reason.contains("role_arn"))
        );
        // The same pair twice gets a distinct name.
        assert_eq!(actions[3], ("Deploy-222222222222-2", &PlanAction::Add));
        let text = plan.apply(EXISTING).unwrap();
        assert!(
            text.starts_with(EXISTING),
            "existing sections untouched:\n{text}"
        );
        assert!(text.contains("[profile Deploy-222222222222-2]"));
    }

    #[test]
    fn force_replaces_and_removes_what_would_win() {
        let config = AwsConfig::parse(EXISTING).unwrap();
        let plan = plan_profiles(&config, "corp", "eu-west-1", &roles(), "", true);
        assert_eq!(plan.profiles[2].action, PlanAction::Replace);
        let text = plan.apply(EXISTING).unwrap();
        let parsed = AwsConfig::parse(&text).unwrap();
        let deploy = parsed.profile("Deploy-222222222222").unwrap();
        assert_eq!(deploy.get("role_arn"), None);
        assert_eq!(deploy.get("source_profile"), None);
        assert_eq!(deploy.get("sso_session"), Some("corp"));
        assert_eq!(deploy.get("sso_role_name"), Some("Deploy"));
        let admin = parsed.profile("Admin-111111111111").unwrap();
        assert_eq!(admin.get("sso_session"), Some("corp"));
    }

    #[test]
    fn prefix_names_profiles_apart() {
        let config = AwsConfig::parse(EXISTING).unwrap();
        let plan = plan_profiles(&config, "corp", "eu-west-1", &roles(), "corp-", false);
        assert!(plan.profiles.iter().all(|p| p.name.starts_with("corp-")));
        assert!(plan.profiles.iter().all(|p| p.action == PlanAction::Add));
    }
}
