//! The offline demo: with no AWS configuration at all, `oidc-cli login`
//! runs the whole chain against an embedded emulator in a temporary home
//! directory: sign-in (the prompt is shown, a simulated user approves),
//! accounts, roles, role credentials, and STS GetCallerIdentity signed
//! with those credentials. Nothing is left behind.

use std::time::SystemTime;

use oidc_host::{CacheDir, CredentialsCacheDir};
use oidc_ureq::Session;
use serde_json::json;

use crate::commands::{emit, sign_in, PromptUi};
use crate::embedded::{Embedded, TempHome, REGION};
use crate::portal;
use crate::runtime::Runtime;
use crate::target::{self, BoxError, Resolved, DEFAULT_SCOPE};
use crate::ui::{self, Style};
use crate::{Global, LoginArgs, Output};

const SESSION: &str = "embedded-demo";

pub(crate) fn run(rt: &Runtime, g: &Global, args: &LoginArgs) -> Result<(), BoxError> {
    let err = Style::stderr();
    let json = g.output == Output::Json;
    eprintln!(
        "{}",
        err.warn("┌─ Offline demo ─────────────────────────────────────────────────────────┐")
    );
    eprintln!("  No AWS configuration was found, so this runs against an IAM Identity");
    eprintln!("  Center emulator inside this process, with a temporary home directory");
    eprintln!("  that is removed at the end. Nothing reaches AWS.");
    eprintln!("  To sign in to your own: oidc-cli configure --start-url URL --region REGION");
    eprintln!(
        "{}",
        err.warn("└────────────────────────────────────────────────────────────────────────┘")
    );
    let home = TempHome::create(rt)?;
    let embedded = Embedded::start(args.sign_in.manual)?;
    let base = embedded.base_url();
    let step = |n: u32, text: &str| {
        eprintln!("\n{} {text}", err.bold(&format!("[{n}/5]")));
    };

    // 1. Sign in.
    let dir = CacheDir::new(home.path().join(".aws").join("sso").join("cache"));
    let session = Session::new(dir, SESSION, embedded.start_url())
        .with_scopes([DEFAULT_SCOPE])
        .with_region(REGION)
        .with_lock_timeout(rt.timeout());
    let r = Resolved {
        session,
        region: REGION.to_owned(),
        args: String::new(),
        label: "the embedded emulator".to_owned(),
        profile: None,
    };
    let client = target::client_with_endpoint(rt, REGION, Some(&base))?;
    let mode = target::sign_in_mode(&r.session, args.sign_in.use_device_code);
    step(
        1,
        &format!(
            "Sign in ({})",
            match mode {
                oidc_ureq::SignInMode::AuthorizationCode =>
                    "authorization code with PKCE: a browser on this machine",
                _ => "device code: approve on any device",
            }
        ),
    );
    let prompt_ui = PromptUi {
        args: &args.sign_in,
        output: g.output,
        embedded: Some(&embedded),
        device_code_command: "oidc-cli login --use-device-code".to_owned(),
    };
    let token = sign_in(rt, &client, &r.session, &r.label, mode, true, &prompt_ui)?;
    let now = SystemTime::now();
    if json {
        emit(
            &json!({"event": "signed_in", "session": "embedded", "expiresAt": ui::rfc3339(token.expires_at)}),
        );
    }
    eprintln!(
        "{} the token expires at {} ({}) and is cached as the AWS CLI caches it.",
        err.good("Signed in:"),
        ui::rfc3339(token.expires_at),
        ui::relative(token.expires_at, now)
    );

    // 2. Accounts.
    step(
        2,
        "Accounts this user can access (portal ListAccounts, all pages)",
    );
    let accounts = portal::accounts_of(rt, &client, &token)?;
    for a in &accounts {
        eprintln!(
            "      {}  {}",
            ui::shown(&a.account_id),
            ui::shown(a.account_name.as_deref().unwrap_or("-"))
        );
        if json {
            emit(
                &json!({"event": "account", "accountId": a.account_id, "accountName": a.account_name}),
            );
        }
    }
    let Some(account) = accounts.first() else {
        return Err("the emulator lists no account".into());
    };

    // 3. Roles.
    step(
        3,
        &format!(
            "Roles in account {} (portal ListAccountRoles)",
            ui::shown(
                account
                    .account_name
                    .as_deref()
                    .unwrap_or(&account.account_id)
            )
        ),
    );
    let roles = portal::roles_of(rt, &client, &token, &account.account_id)?;
    for role in &roles {
        eprintln!("      {}", ui::shown(&role.role_name));
        if json {
            emit(
                &json!({"event": "role", "accountId": account.account_id, "roleName": role.role_name}),
            );
        }
    }
    let Some(role) = roles.first() else {
        return Err("the emulator lists no role".into());
    };

    // 4. Role credentials.
    step(
        4,
        &format!(
            "Credentials of role {} (portal GetRoleCredentials, cached in ~/.aws/cli/cache)",
            ui::shown(&role.role_name)
        ),
    );
    let cache = CredentialsCacheDir::new(home.path().join(".aws").join("cli").join("cache"));
    let creds =
        portal::role_credentials(rt, &client, &r, &account.account_id, &role.role_name, cache)?;
    let expires = creds
        .expires_at
        .map(ui::rfc3339)
        .unwrap_or_else(|| "never".to_owned());
    eprintln!(
        "      access key id {} (the secret is not shown), expires at {expires}",
        creds.access_key_id
    );
    if json {
        emit(
            &json!({"event": "credentials", "accessKeyId": creds.access_key_id, "expiration": expires}),
        );
    }

    // 5. STS, signed with them.
    step(
        5,
        "Who am I? (STS GetCallerIdentity, signed with SigV4 using those credentials)",
    );
    let identity = portal::caller_identity(rt, &client, creds, REGION)?;
    eprintln!("      account {}", ui::shown(&identity.account));
    eprintln!("      ARN     {}", ui::shown(&identity.arn));
    if json {
        emit(
            &json!({"event": "caller_identity", "account": identity.account, "arn": identity.arn, "userId": identity.user_id}),
        );
    }

    drop(home);
    let out = Style::stdout();
    if !json {
        println!(
            "{} signed in, listed {} account(s) and {} role(s), got role credentials and \
             called STS with them, all against the embedded emulator.",
            out.good("Demo complete:"),
            accounts.len(),
            roles.len()
        );
        println!("The temporary home directory has been removed.");
    }
    Ok(())
}
