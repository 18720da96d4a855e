//! The portal's commands: `accounts`, `roles`, `credentials`, `configure`.

use std::sync::Arc;

use oidc_core::cache::CachedToken;
use oidc_core::portal::list_account_roles::{ListAccountRolesInput, RoleInfo};
use oidc_core::portal::list_accounts::{AccountInfo, ListAccountsInput};
use oidc_core::portal::paginator::{Paginated, Paginator};
use oidc_core::sigv4::SigV4Signer;
use oidc_core::sts::get_caller_identity::{GetCallerIdentityInput, GetCallerIdentityOutput};
use oidc_core::Credentials;
use oidc_host::aws_config::{plan_profiles, ConfigurePlan, PlanAction, PlannedProfile, PortalRole};
use oidc_host::export::{Export, ExportFormat};
use oidc_host::{CredentialsCacheDir, CredentialsProvider, CredentialsSource};
use oidc_ureq::{Client, SignInMode};
use serde_json::json;

use crate::awscfg::{self, AwsConfig};
use crate::commands::{emit, require, sign_in, PromptUi};
use crate::exit::{self, Failure};
use crate::profiles;
use crate::runtime::Runtime;
use crate::target::{self, BoxError, Resolved};
use crate::ui::{self, Style};
use crate::{ConfigureArgs, CredentialsArgs, CredentialsFormat, Global, Output, RolesArgs};

/// Every page of a portal listing.
pub(crate) fn list_all<I>(rt: &Runtime, client: &Client, input: I) -> Result<Vec<I::Item>, BoxError>
where
    I: Paginated,
{
    let mut pages = Paginator::new(input);
    let mut items = Vec::new();
    while let Some(input) = pages.next_input()? {
        let output = client.call_with(&input, &rt.options())?;
        items.extend(pages.handle_page(output)?);
    }
    Ok(items)
}

/// The session's token without signing in.
fn cached_token(rt: &Runtime, client: &Client, r: &Resolved) -> Result<CachedToken, BoxError> {
    rt.step(format!("reading or refreshing the token of {}", r.label));
    client
        .session_token(&r.session, SignInMode::CachedOnly, |_| {}, &rt.options())
        .map_err(|e| target::explain(e, r))
}

/// The accounts, sorted by name.
pub(crate) fn accounts_of(
    rt: &Runtime,
    client: &Client,
    token: &CachedToken,
) -> Result<Vec<AccountInfo>, BoxError> {
    rt.step("listing the accounts");
    let mut accounts = list_all(
        rt,
        client,
        ListAccountsInput::new(token.access_token.clone()).with_max_results(100),
    )?;
    accounts.sort_by(|a, b| {
        a.account_name
            .cmp(&b.account_name)
            .then(a.account_id.cmp(&b.account_id))
    });
    Ok(accounts)
}

/// The roles of one account, sorted.
pub(crate) fn roles_of(
    rt: &Runtime,
    client: &Client,
    token: &CachedToken,
    account_id: &str,
) -> Result<Vec<RoleInfo>, BoxError> {
    rt.step(format!("listing the roles of account {account_id}"));
    let mut roles = list_all(
        rt,
        client,
        ListAccountRolesInput::new(token.access_token.clone(), account_id).with_max_results(100),
    )?;
    roles.sort_by(|a, b| a.role_name.cmp(&b.role_name));
    Ok(roles)
}

fn name_of(a: &AccountInfo) -> String {
    ui::shown(a.account_name.as_deref().unwrap_or("-"))
}

/// `accounts`.
pub(crate) fn accounts(rt: &Runtime, g: &Global) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let r = require(rt, g, &config, "accounts")?;
    let client = target::client(rt, g, &r.region)?;
    let token = cached_token(rt, &client, &r)?;
    let accounts = accounts_of(rt, &client, &token).map_err(|e| portal_error(e, &r))?;
    for a in &accounts {
        match g.output {
            Output::Json => emit(&json!({
                "accountId": a.account_id,
                "accountName": a.account_name,
                "emailAddress": a.email_address,
            })),
            Output::Text => println!(
                "{}  {}  {}",
                ui::shown(&a.account_id),
                name_of(a),
                ui::shown(a.email_address.as_deref().unwrap_or(""))
            ),
        }
    }
    Ok(())
}

/// `roles`.
pub(crate) fn roles(rt: &Runtime, g: &Global, args: &RolesArgs) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let r = require(rt, g, &config, "roles")?;
    let client = target::client(rt, g, &r.region)?;
    let token = cached_token(rt, &client, &r)?;
    let accounts: Vec<(String, String)> = match &args.account_id {
        Some(id) => {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Failure::new(
                    exit::USAGE,
                    format!("{id:?} is not an account id (12 digits)"),
                )
                .into());
            }
            vec![(id.clone(), String::new())]
        }
        None => accounts_of(rt, &client, &token)
            .map_err(|e| portal_error(e, &r))?
            .iter()
            .map(|a| (a.account_id.clone(), name_of(a)))
            .collect(),
    };
    for (id, name) in accounts {
        for role in roles_of(rt, &client, &token, &id).map_err(|e| portal_error(e, &r))? {
            match g.output {
                Output::Json => emit(&json!({
                    "accountId": id,
                    "accountName": (!name.is_empty()).then_some(&name),
                    "roleName": role.role_name,
                })),
                Output::Text if name.is_empty() => {
                    println!("{}  {}", ui::shown(&id), ui::shown(&role.role_name))
                }
                Output::Text => {
                    println!("{}  {name}  {}", ui::shown(&id), ui::shown(&role.role_name))
                }
            }
        }
    }
    Ok(())
}

/// A portal "unauthorized" means the token no longer works: say what to
/// run.
fn portal_error(e: BoxError, r: &Resolved) -> BoxError {
    let unauthorized = e
        .downcast_ref::<oidc_ureq::Error>()
        .and_then(oidc_ureq::Error::status)
        == Some(401);
    if unauthorized {
        Failure::caused_by(
            exit::SESSION_ENDED,
            format!(
                "the portal no longer accepts the token of {}; run `{}`",
                r.label,
                r.login_command()
            ),
            e,
        )
        .into()
    } else {
        e
    }
}

/// `credentials`: any profile's credentials, resolved as the AWS CLI
/// resolves them (role chains, `credential_source`, web identity,
/// `credential_process`, SSO, static keys).
pub(crate) fn credentials(
    rt: &Runtime,
    g: &Global,
    args: &CredentialsArgs,
) -> Result<(), BoxError> {
    if g.sso_session.is_some() {
        return Err(Failure::new(
            exit::USAGE,
            "`credentials` takes a profile (--profile), not an sso-session: the profile names \
             the account and role",
        )
        .into());
    }
    let resolution = profiles::resolve_profile(rt, g)?;
    let creds = match profiles::credentials(rt, &resolution) {
        Err(e)
            if matches!(
                exit::code_of(&*e),
                exit::NOT_SIGNED_IN | exit::SESSION_ENDED
            ) && (args.auto_login || profiles::auto_login_configured(&resolution.profile)) =>
        {
            auto_login(rt, g)?;
            profiles::credentials(rt, &resolution)?
        }
        other => other?,
    };
    let (account_id, role_name) = profiles::account_and_role(&resolution);
    print_credentials(
        args.format,
        &creds,
        Some(resolution.profile.as_str()),
        account_id.as_deref(),
        role_name.as_deref(),
        args.export_region.as_deref(),
    )
}

/// Signs in to the session at the root of the profile's chain, as `login`
/// would, with every prompt on stderr: stdout stays the credentials'
/// (a `credential_process` reads it).
fn auto_login(rt: &Runtime, g: &Global) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let r = require(rt, g, &config, "credentials --auto-login")?;
    let client = target::client(rt, g, &r.region)?;
    let mode = target::sign_in_mode(&r.session, false);
    let sign_in_args = crate::SignInArgs::default();
    let prompt_ui = PromptUi {
        args: &sign_in_args,
        output: Output::Text,
        embedded: None,
        device_code_command: format!("{} --use-device-code", r.login_command()),
    };
    eprintln!(
        "{} {} is not signed in; signing in (--auto-login)",
        Style::stderr().warn("Note:"),
        ui::shown(&r.label)
    );
    sign_in(rt, &client, &r.session, &r.label, mode, false, &prompt_ui)
        .map_err(|e| target::explain(e, &r))?;
    Ok(())
}

/// Role credentials through the AWS CLI's cache (one fetch however many
/// processes ask).
pub(crate) fn role_credentials(
    rt: &Runtime,
    client: &Client,
    r: &Resolved,
    account_id: &str,
    role_name: &str,
    cache: CredentialsCacheDir,
) -> Result<Credentials, BoxError> {
    rt.step(format!(
        "getting the credentials of role {role_name} in account {account_id}"
    ));
    let source = CredentialsSource::sso_role(r.session.clone(), account_id, role_name, cache);
    let provider = CredentialsProvider::new(source);
    client
        .credentials(&provider, |_| {}, &rt.options())
        .map_err(|e| {
            let status = e.status();
            let e = target::explain(e, r);
            if status == Some(401) {
                portal_error(e, r)
            } else {
                e
            }
        })
}

/// Prints `c` in `format` through [`oidc_host::export`], which quotes every
/// value for its shell (and refuses what `cmd.exe` cannot carry).
fn print_credentials(
    format: CredentialsFormat,
    c: &Credentials,
    profile: Option<&str>,
    account_id: Option<&str>,
    role_name: Option<&str>,
    region: Option<&str>,
) -> Result<(), BoxError> {
    let format = export_format(format)?;
    let mut export = Export::new();
    if let Some(account_id) = account_id {
        export = export.with_account_id(account_id);
    }
    if let Some(role_name) = role_name {
        export = export.with_role_name(role_name);
    }
    if let Some(profile) = profile {
        export = export.with_profile(profile);
    }
    if let Some(region) = region {
        export = export.with_region(region);
    }
    print!("{}", export.render(c, format)?);
    Ok(())
}

/// The library's format of the same name as a `--format` choice.
fn export_format(format: CredentialsFormat) -> Result<ExportFormat, BoxError> {
    use clap::ValueEnum as _;
    let name = format
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    Ok(name.parse::<ExportFormat>()?)
}

/// STS GetCallerIdentity signed with `credentials`.
pub(crate) fn caller_identity(
    rt: &Runtime,
    client: &Client,
    credentials: Credentials,
    region: &str,
) -> Result<GetCallerIdentityOutput, BoxError> {
    rt.step("calling STS GetCallerIdentity");
    let signer = Arc::new(SigV4Signer::new(credentials, region));
    let options = rt.options().with_signer(signer);
    Ok(client.call_with(&GetCallerIdentityInput::new(), &options)?)
}

/// A session name from a start URL: `d-1234567890` from
/// `https://d-1234567890.awsapps.com/start`.
fn session_name_from(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .unwrap_or("sso");
    let first = host.split('.').next().unwrap_or("sso");
    if first.is_empty() || first.bytes().all(|b| b.is_ascii_digit()) {
        "sso".to_owned()
    } else {
        first.to_owned()
    }
}

/// `configure`.
pub(crate) fn configure(rt: &Runtime, g: &Global, args: &ConfigureArgs) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let mut g = g.clone();
    if args.new.start_url.is_some() && g.sso_session.is_none() && g.profile.is_none() {
        let url = args.new.start_url.as_deref().unwrap_or_default();
        target::check_start_url(url)?;
        g.sso_session = Some(session_name_from(url));
    }
    if args.new.start_url.is_none()
        && g.sso_session.is_none()
        && g.profile.is_none()
        && config.has_no_sso()
    {
        return Err(Failure::new(
            exit::USAGE,
            "`configure` needs --start-url URL and --region REGION (the AWS access portal URL \
             and its IAM Identity Center region)",
        )
        .into());
    }
    let r = target::resolve(rt, &g, Some(&args.new), &config)?.ok_or_else(|| {
        Failure::new(
            exit::USAGE,
            "`configure` needs --start-url URL and --region REGION",
        )
    })?;
    let Some(session_name) = r.session.session_name.clone() else {
        return Err(Failure::new(
            exit::USAGE,
            "`configure` writes an sso-session: give --sso-session NAME",
        )
        .into());
    };
    let client = target::client(rt, &g, &r.region)?;
    let mode = target::sign_in_mode(&r.session, args.sign_in.use_device_code);
    let prompt_ui = PromptUi {
        args: &args.sign_in,
        output: g.output,
        embedded: None,
        device_code_command: format!("oidc-cli configure {} --use-device-code", r.args),
    };
    let token = sign_in(rt, &client, &r.session, &r.label, mode, false, &prompt_ui)
        .map_err(|e| target::explain(e, &r))?;
    let accounts = accounts_of(rt, &client, &token).map_err(|e| portal_error(e, &r))?;
    let mut roles = Vec::new();
    for account in &accounts {
        for role in
            roles_of(rt, &client, &token, &account.account_id).map_err(|e| portal_error(e, &r))?
        {
            roles.push(PortalRole::new(account.account_id.clone(), role.role_name));
        }
    }
    // Re-read: the file may have changed while the user signed in.
    let fresh = AwsConfig::load()?;
    let parsed = oidc_host::AwsConfig::parse(&fresh.text)?;
    let plan = plan_profiles(
        &parsed,
        &session_name,
        &r.region,
        &roles,
        &args.prefix,
        args.force,
    );
    if !args.dry_run {
        let text = awscfg::upsert_sso_session(
            &fresh.text,
            &session_name,
            &r.session.start_url,
            &r.region,
            &r.session.scopes,
        )?;
        // Every profile in one pass over the file (linear in its size).
        let text = plan.apply(&text)?;
        rt.step(format!("writing {}", fresh.path.display()));
        awscfg::write_config(&fresh.path, &text)?;
    }
    report_plan(g.output, &plan, &fresh.path, args.dry_run);
    Ok(())
}

/// What `configure` wrote (or, with `--dry-run`, would write).
fn report_plan(output: Output, plan: &ConfigurePlan, path: &std::path::Path, dry_run: bool) {
    let action_name = |a: &PlanAction| match a {
        PlanAction::Add => "add",
        PlanAction::Unchanged => "unchanged",
        PlanAction::Replace => "replace",
        PlanAction::Conflict { .. } => "conflict",
        _ => "other",
    };
    let written = plan.written().count();
    let conflicts: Vec<&PlannedProfile> = plan
        .profiles
        .iter()
        .filter(|p| matches!(p.action, PlanAction::Conflict { .. }))
        .collect();
    let style = Style::stdout();
    match output {
        Output::Json => {
            for p in &plan.profiles {
                let reason = match &p.action {
                    PlanAction::Conflict { reason } => Some(reason.as_str()),
                    _ => None,
                };
                emit(&json!({
                    "event": "profile",
                    "profile": p.name,
                    "ssoSession": plan.sso_session,
                    "accountId": p.role.account_id,
                    "roleName": p.role.role_name,
                    "action": action_name(&p.action),
                    "reason": reason,
                }));
            }
            emit(&json!({
                "event": if dry_run { "dry-run" } else { "configured" },
                "ssoSession": plan.sso_session,
                "configFile": path.display().to_string(),
                "profiles": written,
                "conflicts": conflicts.len(),
            }));
        }
        Output::Text => {
            println!(
                "{} [sso-session {}] and {} profile(s) in {}:",
                if dry_run {
                    style.warn("Would write")
                } else {
                    style.good("Wrote")
                },
                ui::shown(&plan.sso_session),
                written,
                ui::shown(path.display())
            );
            for p in &plan.profiles {
                let note = match &p.action {
                    PlanAction::Conflict { reason } => format!("left alone: {reason}"),
                    a => action_name(a).to_owned(),
                };
                println!(
                    "  {}  ({}, {}) {}",
                    ui::shown(&p.name),
                    ui::shown(&p.role.account_id),
                    ui::shown(&p.role.role_name),
                    ui::shown(note)
                );
            }
            if !conflicts.is_empty() {
                println!(
                    "\n{} profile(s) of the same name already exist with other settings and were \
                     left alone; --force replaces them, --prefix names the new ones apart.",
                    conflicts.len()
                );
            }
            if let Some(p) = plan.written().next() {
                let name = ui::shown(&p.name);
                println!("\nUse one with: oidc-cli credentials --profile {name}");
                println!("or, for any AWS tool: credential_process = oidc-cli credentials --profile {name}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            session_name_from("https://d-1234567890.awsapps.com/start"),
            "d-1234567890"
        );
        assert_eq!(session_name_from("http://127.0.0.1:9/start"), "sso");
    }

    #[test]
    fn every_format_choice_is_a_library_format() {
        use clap::ValueEnum as _;
        for choice in CredentialsFormat::value_variants() {
            let format = export_format(*choice).unwrap();
            let name = choice.to_possible_value().unwrap();
            assert_eq!(format.name(), name.get_name());
        }
    }
}
