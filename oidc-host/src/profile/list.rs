//! Every profile of the files, each summarised from its own resolution
//! (what `oidc-cli profiles` lists).

use std::time::SystemTime;

use super::{resolve, LinkKind, ProfileFiles, Resolution, ResolveOptions};
use crate::aws_config::Environment;

/// Where a profile's credentials come from, as [`list_profiles`] names it:
/// the kind of the first link of its resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileKind {
    /// IAM Identity Center role credentials (`sso_session` or the legacy
    /// `sso_*` keys).
    Sso,
    /// A role assumed with another profile's (or a `credential_source`'s)
    /// credentials (`role_arn`).
    Chained,
    /// Static keys in the config or the credentials file.
    Static,
    /// `credential_process`.
    Process,
    /// A role assumed with a web identity token file.
    WebIdentity,
    /// The container credentials endpoint (a profile with nothing of its
    /// own, in an environment that points at one).
    Container,
    /// The EC2 instance metadata service (a profile with nothing of its
    /// own).
    InstanceMetadata,
    /// The environment's keys.
    Environment,
    /// The profile does not resolve.
    Invalid {
        /// Why: the resolution error's text, which names profiles and keys,
        /// never a value of the files.
        reason: String,
    },
}

impl ProfileKind {
    /// A short name: `sso`, `chained`, `static`, `process`,
    /// `web-identity`, `container`, `instance-metadata`, `environment`,
    /// `invalid`.
    pub fn name(&self) -> &'static str {
        match self {
            ProfileKind::Sso => "sso",
            ProfileKind::Chained => "chained",
            ProfileKind::Static => "static",
            ProfileKind::Process => "process",
            ProfileKind::WebIdentity => "web-identity",
            ProfileKind::Container => "container",
            ProfileKind::InstanceMetadata => "instance-metadata",
            ProfileKind::Environment => "environment",
            ProfileKind::Invalid { .. } => "invalid",
        }
    }
}

/// One profile, as [`list_profiles`] sums it up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileSummary {
    /// The profile's name.
    pub name: String,
    /// Where its credentials come from.
    pub kind: ProfileKind,
    /// The sso-session the credentials finally come from (an SSO profile's
    /// own, or the SSO root of a role chain); `None` for a legacy SSO
    /// profile and for every other kind.
    pub sso_session: Option<String>,
    /// The AWS access portal URL of that SSO root.
    pub start_url: Option<String>,
    /// The account: an SSO profile's `sso_account_id`, or the account of
    /// the role ARN of a chained or web identity profile.
    pub account_id: Option<String>,
    /// The role: an SSO profile's `sso_role_name`, or the role name of the
    /// role ARN of a chained or web identity profile.
    pub role_name: Option<String>,
    /// A chained profile's source profile (`None` with a
    /// `credential_source`).
    pub source: Option<String>,
    /// The region of the profile's service calls, with the AWS CLI's
    /// precedence ([`Resolution::region`]: the caller's, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, the profile's `region`).
    pub region: Option<String>,
}

impl ProfileSummary {
    fn empty(name: String, kind: ProfileKind) -> ProfileSummary {
        ProfileSummary {
            name,
            kind,
            sso_session: None,
            start_url: None,
            account_id: None,
            role_name: None,
            source: None,
            region: None,
        }
    }

    fn from_resolution(name: String, resolution: &Resolution) -> ProfileSummary {
        let first = resolution.links.first().map(|l| &l.kind);
        let kind = match first {
            Some(LinkKind::Sso(_)) => ProfileKind::Sso,
            Some(LinkKind::AssumeRole { .. }) => ProfileKind::Chained,
            Some(LinkKind::StaticKeys { .. }) => ProfileKind::Static,
            Some(LinkKind::Process { .. }) => ProfileKind::Process,
            Some(LinkKind::WebIdentity { .. }) => ProfileKind::WebIdentity,
            Some(LinkKind::Container) => ProfileKind::Container,
            Some(LinkKind::Environment) => ProfileKind::Environment,
            Some(LinkKind::InstanceMetadata) | None => ProfileKind::InstanceMetadata,
        };
        let mut summary = ProfileSummary::empty(name, kind);
        summary.region.clone_from(&resolution.region);
        if let Some(sso) = resolution.sso() {
            summary.sso_session.clone_from(&sso.sso_session);
            summary.start_url = Some(sso.start_url.clone());
        }
        match first {
            Some(LinkKind::Sso(sso)) => {
                summary.account_id.clone_from(&sso.account_id);
                summary.role_name.clone_from(&sso.role_name);
            }
            Some(
                LinkKind::AssumeRole { role_arn, .. } | LinkKind::WebIdentity { role_arn, .. },
            ) => {
                let (account, role) = role_arn_parts(role_arn);
                summary.account_id = account;
                summary.role_name = role;
                if matches!(first, Some(LinkKind::AssumeRole { .. })) {
                    summary.source = resolution.links.get(1).and_then(|l| l.profile.clone());
                }
            }
            _ => {}
        }
        summary
    }
}

impl Resolution {
    /// What [`list_profiles`] says of this profile: its kind, session,
    /// account and role (an assumed role's from its ARN), region.
    pub fn summary(&self) -> ProfileSummary {
        ProfileSummary::from_resolution(self.profile.clone(), self)
    }
}

/// The account id and the role name of an IAM role ARN
/// (`arn:aws:iam::123456789012:role/path/Name`); `None` for a part the
/// ARN does not have.
fn role_arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut fields = arn.splitn(6, ':');
    let account = fields.nth(4).filter(|a| !a.is_empty()).map(str::to_owned);
    let role = fields
        .next()
        .and_then(|resource| resource.strip_prefix("role/"))
        .and_then(|path| path.rsplit('/').next())
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    (account, role)
}

/// Every profile of both files, sorted by name, each summarised from its
/// own resolution: `options` with the profile named explicitly
/// ([`ResolveOptions::with_profile`]), so the environment's keys and web
/// identity variables do not apply, as with `--profile` in the AWS CLI. A
/// profile that does not resolve is [`ProfileKind::Invalid`] with the
/// error's text. Reads nothing: `now` only dates generated session names.
///
/// The cost is one resolution per profile (each a few map look-ups per link
/// of its chain), so a file of thousands of profiles lists at once.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_host::aws_config::{AwsConfig, Environment};
/// use oidc_host::profile::{list_profiles, ProfileFiles, ProfileKind, ResolveOptions};
/// use oidc_host::{CacheDir, CredentialsCacheDir, Platform};
///
/// let files = ProfileFiles::new(
///     AwsConfig::parse(
///         "[sso-session corp]\n\
///          sso_start_url = https://d-1234567890.awsapps.com/start\n\
///          sso_region = us-east-1\n\
///          [profile dev]\n\
///          sso_session = corp\n\
///          sso_account_id = 111111111111\n\
///          sso_role_name = ReadOnly\n\
///          region = eu-west-1\n\
///          [profile deploy]\n\
///          role_arn = arn:aws:iam::222222222222:role/Deploy\n\
///          source_profile = dev\n\
///          [profile broken]\n\
///          role_arn = arn:aws:iam::222222222222:role/Deploy\n",
///     )?,
///     AwsConfig::default(),
/// );
/// let env = Environment::new(|_| None, Platform::Unix, None);
/// let options = ResolveOptions::new(
///     CacheDir::new("/tmp/doc/sso/cache"),
///     CredentialsCacheDir::new("/tmp/doc/cli/cache"),
/// );
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let list = list_profiles(&files, &env, &options, now);
/// let names: Vec<_> = list.iter().map(|p| p.name.as_str()).collect();
/// assert_eq!(names, ["broken", "deploy", "dev"]);
/// assert!(matches!(&list[0].kind, ProfileKind::Invalid { reason } if reason.contains("source_profile")));
/// assert_eq!(list[1].kind, ProfileKind::Chained);
/// assert_eq!(list[1].account_id.as_deref(), Some("222222222222"));
/// assert_eq!(list[1].role_name.as_deref(), Some("Deploy"));
/// assert_eq!(list[1].source.as_deref(), Some("dev"));
/// assert_eq!(list[1].sso_session.as_deref(), Some("corp"));
/// assert_eq!(list[2].kind, ProfileKind::Sso);
/// assert_eq!(list[2].role_name.as_deref(), Some("ReadOnly"));
/// assert_eq!(list[2].region.as_deref(), Some("eu-west-1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list_profiles(
    files: &ProfileFiles,
    env: &Environment,
    options: &ResolveOptions,
    now: SystemTime,
) -> Vec<ProfileSummary> {
    // `profile_names` is sorted and deduplicated.
    files
        .profile_names()
        .into_iter()
        .map(|name| {
            let options = options.clone().with_profile(name.clone());
            match resolve(files, env, &options, now) {
                Ok(resolution) => ProfileSummary::from_resolution(name, &resolution),
                Err(e) => ProfileSummary::empty(
                    name,
                    ProfileKind::Invalid {
                        reason: e.to_string(),
                    },
                ),
            }
        })
        .collect()
}

/// The names of the config file's `[sso-session NAME]` sections, sorted.
///
/// ```
/// use oidc_host::aws_config::AwsConfig;
/// use oidc_host::profile::{sso_session_names, ProfileFiles};
///
/// let files = ProfileFiles::new(
///     AwsConfig::parse(
///         "[sso-session b]\nsso_start_url = https://b.awsapps.com/start\nsso_region = us-east-1\n\
///          [sso-session a]\nsso_start_url = https://a.awsapps.com/start\nsso_region = us-east-1\n",
///     )?,
///     AwsConfig::default(),
/// );
/// assert_eq!(sso_session_names(&files), ["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sso_session_names(files: &ProfileFiles) -> Vec<String> {
    files.config.sso_sessions.keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::role_arn_parts;

    #[test]
    fn role_arns_split_into_account_and_role() {
        let parts = |arn| role_arn_parts(arn);
        assert_eq!(
            parts("arn:aws:iam::123456789012:role/Deploy"),
            (Some("123456789012".into()), Some("Deploy".into()))
        );
        assert_eq!(
            parts("arn:aws:iam::123456789012:role/path/to/Admin"),
            (Some("123456789012".into()), Some("Admin".into()))
        );
        assert_eq!(
            parts("arn:aws-cn:iam::123456789012:role/a:b"),
            (Some("123456789012".into()), Some("a:b".into()))
        );
        assert_eq!(parts("not-an-arn"), (None, None));
        assert_eq!(
            parts("arn:aws:iam::123456789012:user/ana"),
            (Some("123456789012".into()), None)
        );
        assert_eq!(parts("arn:aws:iam:::role/"), (None, None));
    }
}
