//! Which session a command works on, and the client that reaches it.
//!
//! A session is named by `--profile` (or `AWS_PROFILE`) or `--sso-session`;
//! its start URL and region come from the AWS config file or, for a session
//! only in the token cache, from its cache entry; never from a default.
//! `--start-url` with `--region` names one directly.

use std::time::Duration;

use oidc_core::cache::CachedToken;
use oidc_host::{CacheDir, DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};
use oidc_ureq::{Client, Config, Session, SignInMode};

use crate::awscfg::{AwsConfig, Profile};
use crate::exit::{self, Failure};
use crate::runtime::Runtime;
use crate::{Global, NewSession};

/// The error type of every command.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Scopes of a named session when none are configured: what
/// `aws configure sso` writes, and what makes the token refreshable.
pub(crate) const DEFAULT_SCOPE: &str = "sso:account:access";

/// A resolved session.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) session: Session,
    /// The SSO region.
    pub(crate) region: String,
    /// How to name this session on the command line (`--profile dev`).
    pub(crate) args: String,
    /// How to name it in a sentence (`profile dev`).
    pub(crate) label: String,
    /// The profile, when one named the session.
    pub(crate) profile: Option<Profile>,
}

impl Resolved {
    /// The exact command that signs in to this session.
    pub(crate) fn login_command(&self) -> String {
        format!("oidc-cli login {}", self.args)
    }
}

fn usage(message: impl Into<String>) -> BoxError {
    Failure::new(exit::USAGE, message).into()
}

/// Refuses what cannot be a start URL: empty, not a URL, not https
/// (plain http only to this machine, for emulators).
pub(crate) fn check_start_url(url: &str) -> Result<(), BoxError> {
    let problem = if url.trim().is_empty() {
        Some("it is empty")
    } else if oidc_core::untrusted::openable_uri(url).is_some() {
        None
    } else if url
        .parse::<oidc_core::http::Uri>()
        .is_ok_and(|u| u.scheme().is_some())
    {
        Some("it must start with https://")
    } else {
        Some("it is not a URL")
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(usage(format!(
            "the start URL {:?} is not usable: {why} (it looks like \
             https://d-1234567890.awsapps.com/start)",
            oidc_core::untrusted::printable(url)
        ))),
    }
}

/// Refuses what is not a region name (`eu-west-1`, `us-gov-west-1`).
pub(crate) fn check_region(region: &str) -> Result<(), BoxError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(usage(format!(
            "{:?} is not an AWS region name (like us-east-1 or eu-west-1)",
            oidc_core::untrusted::printable(region)
        )))
    }
}

/// The token cache directory with the session's settings applied.
fn session_for(
    rt: &Runtime,
    dir: CacheDir,
    name: Option<&str>,
    start_url: &str,
    region: &str,
    scopes: &[String],
) -> Session {
    let session = match name {
        Some(name) => {
            let scopes = if scopes.is_empty() {
                vec![DEFAULT_SCOPE.to_owned()]
            } else {
                scopes.to_vec()
            };
            Session::new(dir, name, start_url).with_scopes(scopes)
        }
        None => Session::legacy(dir, start_url).with_scopes(scopes.to_vec()),
    };
    // A second process for the same session waits as long as a sign-in
    // may take.
    session.with_region(region).with_lock_timeout(rt.timeout())
}

/// The session a command names, `None` when nothing is configured or
/// given at all (then `login` runs the embedded demo).
pub(crate) fn resolve(
    rt: &Runtime,
    g: &Global,
    new: Option<&NewSession>,
    config: &AwsConfig,
) -> Result<Option<Resolved>, BoxError> {
    let dir = CacheDir::from_env()?;
    let empty = NewSession::default();
    let new = new.unwrap_or(&empty);
    if let Some(url) = &new.start_url {
        check_start_url(url)?;
    }
    if let Some(region) = &new.region {
        check_region(region)?;
    }

    // A start URL given outright.
    if let Some(url) = &new.start_url {
        let configured = g.sso_session.as_deref().and_then(|n| config.session(n));
        let region = new
            .region
            .clone()
            .or_else(|| configured.and_then(|s| s.region.clone()))
            .ok_or_else(|| {
                usage("--start-url needs --region (the IAM Identity Center region, like eu-west-1)")
            })?;
        let scopes = if new.scopes.is_empty() {
            configured.map(|s| s.scopes.clone()).unwrap_or_default()
        } else {
            new.scopes.clone()
        };
        let mut args = format!("--start-url {url} --region {region}");
        let label = match &g.sso_session {
            Some(name) => {
                args.push_str(&format!(" --sso-session {name}"));
                format!("sso-session {name}")
            }
            None => format!("the session of {url}"),
        };
        let session = session_for(rt, dir, g.sso_session.as_deref(), url, &region, &scopes);
        return Ok(Some(Resolved {
            session,
            region,
            args,
            label,
            profile: None,
        }));
    }

    if let Some(name) = &g.sso_session {
        return named_session(rt, dir, name, new, config, None).map(Some);
    }

    let profile_name = match &g.profile {
        Some(p) => Some(p.clone()),
        None if config.profile("default").is_some_and(Profile::is_sso) => {
            Some("default".to_owned())
        }
        None => None,
    };
    if let Some(name) = profile_name {
        let Some(profile) = config.profile(&name) else {
            let known: Vec<_> = config.profiles.iter().map(|p| p.name.as_str()).collect();
            return Err(usage(format!(
                "no profile named {name:?} in {}; {}",
                config.path.display(),
                if known.is_empty() {
                    "it has no profiles: run `oidc-cli configure --start-url URL --region REGION`"
                        .to_owned()
                } else {
                    format!("the profiles are: {}", known.join(", "))
                }
            )));
        };
        return profile_session(rt, dir, profile, new, config).map(Some);
    }

    if config.has_no_sso() {
        return Ok(None);
    }
    if let [only] = config.sessions.as_slice() {
        return named_session(rt, dir, &only.name, new, config, None).map(Some);
    }
    let mut names: Vec<String> = config
        .sessions
        .iter()
        .map(|s| format!("--sso-session {}", s.name))
        .collect();
    names.extend(
        config
            .profiles
            .iter()
            .filter(|p| p.is_sso())
            .map(|p| format!("--profile {}", p.name)),
    );
    Err(usage(format!(
        "which session? {} configures several; give one of: {}",
        config.path.display(),
        names.join(", ")
    )))
}

fn profile_session(
    rt: &Runtime,
    dir: CacheDir,
    profile: &Profile,
    new: &NewSession,
    config: &AwsConfig,
) -> Result<Resolved, BoxError> {
    if let Some(session) = &profile.sso_session {
        let mut r = named_session(rt, dir, session, new, config, Some(profile))?;
        r.args = format!("--profile {}", profile.name);
        r.label = format!("profile {}", profile.name);
        return Ok(r);
    }
    let Some(url) = &profile.sso_start_url else {
        // A chain (`source_profile`) whose root signs in with IAM Identity
        // Center: that root's session.
        let root = chain_root(rt, &profile.name)?;
        if let Some(root) = root.as_deref().and_then(|name| config.profile(name)) {
            if root.name != profile.name && root.is_sso() {
                let mut r = profile_session(rt, dir, root, new, config)?;
                r.args = format!("--profile {}", profile.name);
                r.label = format!("profile {} (through profile {})", profile.name, root.name);
                return Ok(r);
            }
        }
        return Err(usage(format!(
            "profile {} does not use IAM Identity Center (neither it nor its source profiles \
             have sso_session or sso_start_url)",
            profile.name
        )));
    };
    check_start_url(url)?;
    let region = profile.sso_region.clone().ok_or_else(|| {
        usage(format!(
            "profile {} has sso_start_url but no sso_region in {}",
            profile.name,
            config.path.display()
        ))
    })?;
    check_region(&region)?;
    let session = session_for(rt, dir, None, url, &region, &new.scopes);
    Ok(Resolved {
        session,
        region,
        args: format!("--profile {}", profile.name),
        label: format!("profile {}", profile.name),
        profile: Some(profile.clone()),
    })
}

/// The profile at the root of `name`'s chain that signs in with IAM
/// Identity Center, if any (the resolution engine decides).
fn chain_root(rt: &Runtime, name: &str) -> Result<Option<String>, BoxError> {
    let env = oidc_host::aws_config::Environment::from_env();
    let files = oidc_host::profile::ProfileFiles::load(&env)?;
    let options = oidc_host::profile::ResolveOptions::from_env(&env)?
        .with_profile(name)
        .with_lock_timeout(rt.timeout());
    match oidc_host::profile::resolve(&files, &env, &options, std::time::SystemTime::now()) {
        Ok(resolution) => Ok(resolution.sso().map(|sso| sso.profile.clone())),
        Err(e) => Err(Failure::caused_by(
            exit::USAGE,
            format!("profile {name} does not resolve to credentials"),
            e,
        )
        .into()),
    }
}

fn named_session(
    rt: &Runtime,
    dir: CacheDir,
    name: &str,
    new: &NewSession,
    config: &AwsConfig,
    profile: Option<&Profile>,
) -> Result<Resolved, BoxError> {
    let (start_url, region, scopes) = match config.session(name) {
        Some(s) => {
            let url = s.start_url.clone().ok_or_else(|| {
                usage(format!(
                    "[sso-session {name}] in {} has no sso_start_url",
                    config.path.display()
                ))
            })?;
            let region = new
                .region
                .clone()
                .or_else(|| s.region.clone())
                .ok_or_else(|| {
                    usage(format!(
                        "[sso-session {name}] in {} has no sso_region",
                        config.path.display()
                    ))
                })?;
            (url, region, s.scopes.clone())
        }
        None => match cached_entry(&dir, name) {
            Some(CachedToken {
                start_url: Some(url),
                region: Some(region),
                ..
            }) => (url, region, Vec::new()),
            _ => {
                let known: Vec<_> = config.sessions.iter().map(|s| s.name.as_str()).collect();
                return Err(usage(format!(
                    "no sso-session named {name:?} in {} nor in the token cache; {}",
                    config.path.display(),
                    if known.is_empty() {
                        "create one with `oidc-cli configure --start-url URL --region REGION \
                         --sso-session NAME`"
                            .to_owned()
                    } else {
                        format!("the sessions are: {}", known.join(", "))
                    }
                )));
            }
        },
    };
    check_start_url(&start_url)?;
    check_region(&region)?;
    let scopes = if new.scopes.is_empty() {
        scopes
    } else {
        new.scopes.clone()
    };
    let session = session_for(rt, dir, Some(name), &start_url, &region, &scopes);
    Ok(Resolved {
        session,
        region,
        args: format!("--sso-session {name}"),
        label: format!("sso-session {name}"),
        profile: profile.cloned(),
    })
}

/// The cached token of `key`, if readable.
pub(crate) fn cached_entry(dir: &CacheDir, key: &str) -> Option<CachedToken> {
    dir.read_token(key).ok().and_then(|o| o.token)
}

/// A client for `region`, every timeout bounded by `--timeout`.
pub(crate) fn client(rt: &Runtime, g: &Global, region: &str) -> Result<Client, BoxError> {
    rt.arm();
    client_with_endpoint(rt, region, g.endpoint_url.as_deref())
}

/// [`client`] with an explicit endpoint URL.
pub(crate) fn client_with_endpoint(
    rt: &Runtime,
    region: &str,
    endpoint_url: Option<&str>,
) -> Result<Client, BoxError> {
    let bound = |d: Duration| d.min(rt.timeout());
    let mut config = Config::for_region(region)
        .with_connect_timeout(bound(DEFAULT_CONNECT_TIMEOUT))
        .with_read_timeout(bound(DEFAULT_READ_TIMEOUT))
        .with_call_timeout(bound(DEFAULT_CALL_TIMEOUT))
        .with_user_agent_suffix(format!("oidc-cli/{}", env!("CARGO_PKG_VERSION")));
    // The flag, then `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the
    // profile's `[services]` and `endpoint_url` (the SDKs' precedence).
    let env = oidc_host::aws_config::Environment::from_env();
    let file = oidc_host::AwsConfig::load(&env).unwrap_or_default();
    let profile = env
        .profile_name()
        .and_then(|name| file.profiles.get(&name).cloned());
    config =
        oidc_host::profile::with_endpoints(config, &env, &file, profile.as_ref(), endpoint_url)
            .map_err(|e| {
                Failure::caused_by(exit::USAGE, "the endpoint configuration cannot be used", e)
            })?;
    Client::new(config).map_err(|e| {
        Failure::caused_by(
            exit::USAGE,
            match endpoint_url {
                Some(url) => format!("cannot use the endpoint URL {url:?} for region {region}"),
                None => format!("cannot reach IAM Identity Center in region {region}"),
            },
            e,
        )
        .into()
    })
}

/// How a session signs in: the browser on this machine with PKCE, as the
/// AWS CLI does for an sso-session; the device flow when asked, for a
/// legacy profile, and on a headless or remote machine.
pub(crate) fn sign_in_mode(session: &Session, use_device_code: bool) -> SignInMode {
    if use_device_code || session.session_name.is_none() || headless_or_remote() {
        SignInMode::DeviceCode
    } else {
        SignInMode::AuthorizationCode
    }
}

/// No display on Linux (and other X11/Wayland systems), or a remote login.
pub(crate) fn headless_or_remote() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("SSH_CONNECTION") || set("SSH_TTY") {
        return true;
    }
    cfg!(all(unix, not(target_os = "macos"))) && !set("DISPLAY") && !set("WAYLAND_DISPLAY")
}

/// Turns the library's "not signed in" and "session ended" into what to do
/// for this session; other errors pass through.
pub(crate) fn explain(e: oidc_ureq::Error, r: &Resolved) -> BoxError {
    use oidc_host::TokenError;
    match e {
        oidc_ureq::Error::LoginRequired { reason } => Failure::new(
            exit::login_required(&reason),
            format!(
                "not signed in to {} ({reason}); run `{}`",
                r.label,
                r.login_command()
            ),
        )
        .into(),
        oidc_ureq::Error::Token(TokenError::SessionEnded { error, .. }) => Failure::new(
            exit::SESSION_ENDED,
            format!(
                "the session of {} has ended ({}); run `{}`",
                r.label,
                error
                    .service_error()
                    .map_or_else(|| error.to_string(), |s| s.code.to_string()),
                r.login_command()
            ),
        )
        .into(),
        oidc_ureq::Error::Token(TokenError::RefreshThrottled { retry_after }) => Failure::new(
            exit::NOT_SIGNED_IN,
            format!(
                "the token of {} has expired and was refreshed moments ago; try again in {}, \
                 or run `{}`",
                r.label,
                crate::ui::humanize(retry_after),
                r.login_command()
            ),
        )
        .into(),
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls_and_regions_are_checked_before_any_call() {
        assert!(check_start_url("https://d-1234567890.awsapps.com/start").is_ok());
        assert!(check_start_url("http://127.0.0.1:9/start").is_ok());
        for bad in [
            "",
            "  ",
            "not a url",
            "http://example.com/start",
            "ftp://x/y",
            "d-123.awsapps.com",
        ] {
            assert!(check_start_url(bad).is_err(), "{bad}");
        }
        for good in ["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-5"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "useast1",
            "us-east",
            "US-EAST-1",
            "us east 1",
            "eu-west-1a",
        ] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }
}
