//! Any profile's credentials through `oidc_host::profile`'s resolution
//! engine (the AWS CLI's precedence: role chains, `credential_source`, web
//! identity, `credential_process`, SSO, static keys), with this tool's
//! timeouts and its MFA prompt.

use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::time::SystemTime;

use oidc_core::cache::credentials::CredentialsRefreshPolicy;
use oidc_core::Credentials;
use oidc_host::aws_config::Environment;
use oidc_host::profile::{resolve, ProfileFiles, Resolution, ResolveOptions};
use oidc_host::{
    CredentialsProvider, MfaPrompt, DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
};
use oidc_ureq::Client;

use crate::exit::{self, Failure};
use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::Global;

/// The profile the command names, resolved.
pub(crate) fn resolve_profile(rt: &Runtime, g: &Global) -> Result<Resolution, BoxError> {
    let env = Environment::from_env();
    let files = ProfileFiles::load(&env)
        .map_err(|e| Failure::caused_by(exit::LOCAL, "the AWS configuration cannot be used", e))?;
    let mut options = ResolveOptions::from_env(&env)?
        .with_lock_timeout(rt.timeout())
        .with_process_timeout(rt.timeout())
        .with_mfa(MfaPrompt::new(ask_mfa_code));
    if g.profile_explicit {
        if let Some(profile) = &g.profile {
            options = options.with_profile(profile.clone());
        }
    }
    if let Some(url) = &g.endpoint_url {
        options = options.with_endpoint_url(url.clone());
    }
    resolve(&files, &env, &options, SystemTime::now()).map_err(|e| {
        Failure::caused_by(
            exit::USAGE,
            "the profile does not resolve to credentials",
            e,
        )
        .into()
    })
}

/// The profile's credentials: from its cache while fresh (one file read),
/// else fetched through the whole chain.
pub(crate) fn credentials(rt: &Runtime, resolution: &Resolution) -> Result<Credentials, BoxError> {
    let policy = CredentialsRefreshPolicy::default();
    if let Some(credentials) = resolution.source.cached(SystemTime::now(), &policy) {
        return Ok(credentials);
    }
    rt.arm();
    let client = client(rt, resolution)?;
    rt.step(format!(
        "getting the credentials of profile {}",
        resolution.profile
    ));
    let provider = CredentialsProvider::new(resolution.source.clone());
    client
        .credentials(&provider, |_| {}, &rt.options())
        .map_err(|e| explain(e, resolution))
}

/// A client for the resolution's region and endpoints, every timeout
/// bounded by `--timeout`.
pub(crate) fn client(rt: &Runtime, resolution: &Resolution) -> Result<Client, BoxError> {
    let bound = |d: std::time::Duration| d.min(rt.timeout());
    let config = resolution
        .config
        .clone()
        .with_connect_timeout(bound(DEFAULT_CONNECT_TIMEOUT))
        .with_read_timeout(bound(DEFAULT_READ_TIMEOUT))
        .with_call_timeout(bound(DEFAULT_CALL_TIMEOUT))
        .with_user_agent_suffix(format!("oidc-cli/{}", env!("CARGO_PKG_VERSION")));
    Client::new(config)
        .map_err(|e| Failure::caused_by(exit::USAGE, "the client cannot be configured", e).into())
}

/// The profile whose SSO session signs in for this resolution.
pub(crate) fn sso_profile(resolution: &Resolution) -> Option<&str> {
    resolution.sso().map(|sso| sso.profile.as_str())
}

/// Turns "not signed in" at the root of a chain into what to run.
fn explain(e: oidc_ureq::Error, resolution: &Resolution) -> BoxError {
    let login = format!("oidc-cli login --profile {}", resolution.profile);
    match e {
        oidc_ureq::Error::LoginRequired { reason } => Failure::new(
            exit::login_required(&reason),
            format!(
                "not signed in to the session of profile {} ({reason}); run `{login}`",
                sso_profile(resolution).unwrap_or(&resolution.profile)
            ),
        )
        .into(),
        oidc_ureq::Error::Token(oidc_host::TokenError::SessionEnded { .. }) => Failure::caused_by(
            exit::SESSION_ENDED,
            format!(
                "the session of profile {} has ended; run `{login}`",
                sso_profile(resolution).unwrap_or(&resolution.profile)
            ),
            e,
        )
        .into(),
        e => e.into(),
    }
}

/// The account and role of the credentials, for the `json` format: the
/// first link's role (an assumed role's, or the SSO role).
pub(crate) fn account_and_role(resolution: &Resolution) -> (Option<String>, Option<String>) {
    let summary = resolution.summary();
    (summary.account_id, summary.role_name)
}

/// Asks for an MFA code on stderr and reads one line: from the terminal,
/// or from stdin when stdin is not a terminal (a script pipes the code).
fn ask_mfa_code(serial: &str) -> std::io::Result<String> {
    let mut stderr = std::io::stderr();
    let shown = crate::ui::shown(serial);
    if std::io::stdin().is_terminal() {
        let _ = write!(stderr, "Enter MFA code for {shown}: ");
    } else {
        let _ = writeln!(stderr, "reading the MFA code for {shown} from stdin");
    }
    let _ = stderr.flush();
    let mut line = String::new();
    let read = std::io::stdin().lock().take(256).read_line(&mut line)?;
    let code = line.trim();
    if read == 0 || code.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "no MFA code was entered",
        ));
    }
    Ok(code.to_owned())
}

/// Whether `profile` asks for `credentials --auto-login` in the config
/// (`oidc_cli_auto_login = true`; the AWS CLI ignores the key).
pub(crate) fn auto_login_configured(profile: &str) -> bool {
    let env = Environment::from_env();
    ProfileFiles::load(&env)
        .ok()
        .and_then(|files| files.merged(profile))
        .and_then(|p| {
            p.get(AUTO_LOGIN_KEY)
                .map(|v| v.trim().eq_ignore_ascii_case("true"))
        })
        .unwrap_or(false)
}

/// The profile key that turns on `credentials --auto-login`.
pub(crate) const AUTO_LOGIN_KEY: &str = "oidc_cli_auto_login";
