//! `login`, `token`, `status`, `logout`, `emulator`, and the sign-in
//! prompt they share with `configure` and the demo. Progress and prompts
//! go to stderr; stdout carries what a script would capture.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::{refresh_decision, CachedToken, RefreshDecision};
use oidc_core::device_flow::Prompt;
use oidc_core::portal::logout::LogoutInput;
use oidc_host::{CacheDir, CredentialsCacheDir, SessionState};
use oidc_ureq::{Client, Session, SignInMode, SignInPrompt};
use serde_json::json;

use crate::awscfg::AwsConfig;
use crate::embedded::Embedded;
use crate::exit::{self, Failure};
use crate::runtime::Runtime;
use crate::target::{self, BoxError, Resolved};
use crate::ui::{self, Countdown, Style};
use crate::{opener, EmulatorArgs, Global, LoginArgs, LogoutArgs, Output, SignInArgs, StatusArgs};

/// Prints one JSON object as a line on stdout.
pub(crate) fn emit(value: &serde_json::Value) {
    println!("{value}");
}

/// How the sign-in prompt is shown.
pub(crate) struct PromptUi<'a> {
    pub(crate) args: &'a SignInArgs,
    pub(crate) output: Output,
    /// The embedded emulator, whose simulated user approves.
    pub(crate) embedded: Option<&'a Embedded>,
    /// The command that signs in with the device flow instead.
    pub(crate) device_code_command: String,
}

/// The session's token: the cached one (refreshed when due) unless
/// `force`, else a sign-in with `mode`, showing its prompt.
pub(crate) fn sign_in(
    rt: &Runtime,
    client: &Client,
    session: &Session,
    label: &str,
    mode: SignInMode,
    force: bool,
    prompt_ui: &PromptUi<'_>,
) -> Result<CachedToken, oidc_ureq::Error> {
    let style = Style::stderr();
    // Another process signing in holds the session lock: say so, then wait
    // for it (as long as a sign-in may take).
    if let Ok(None) = session.dir.try_lock(&session.session_key) {
        eprintln!(
            "{} another sign-in to {} is in progress (another oidc-cli, in another \
             terminal?); waiting for it to finish (up to {})...",
            style.warn("Waiting:"),
            ui::shown(label),
            ui::humanize(rt.timeout())
        );
        rt.step(format!("waiting for another process signing in to {label}"));
    } else {
        rt.step(format!("signing in to {label}"));
    }
    let mut countdown: Option<Countdown> = None;
    let prompt = |p: &SignInPrompt| match p {
        SignInPrompt::DeviceCode(p) => {
            rt.step(format!(
                "waiting for the device code of {label} to be approved"
            ));
            show_device_prompt(p, prompt_ui);
            if prompt_ui.output == Output::Text && ui::stderr_is_tty() {
                countdown = Some(Countdown::start(
                    "Waiting for approval".to_owned(),
                    Instant::now() + p.expires_in.min(rt.timeout()),
                ));
            }
        }
        SignInPrompt::Browser { url } => {
            rt.step(format!("waiting for the browser sign-in to {label}"));
            show_browser_prompt(url, prompt_ui);
            if prompt_ui.output == Output::Text && ui::stderr_is_tty() {
                countdown = Some(Countdown::start(
                    "Waiting for the browser".to_owned(),
                    Instant::now() + rt.timeout().min(Duration::from_secs(600)),
                ));
            }
        }
        _ => {}
    };
    let result = if force {
        client.sign_in(session, mode, prompt, &rt.options())
    } else {
        client.session_token(session, mode, prompt, &rt.options())
    };
    drop(countdown);
    result
}

fn show_device_prompt(p: &Prompt, ui: &PromptUi<'_>) {
    let style = Style::stderr();
    let uri = oidc_core::untrusted::printable(&p.verification_uri);
    let code = oidc_core::untrusted::printable(&p.user_code);
    let complete = p
        .verification_uri_complete
        .as_deref()
        .map(oidc_core::untrusted::printable);
    if ui.output == Output::Json {
        emit(&json!({
            "event": "prompt",
            "flow": "device_code",
            "verificationUri": uri,
            "verificationUriComplete": complete,
            "userCode": code,
            "expiresAt": ui::rfc3339(SystemTime::now() + p.expires_in),
        }));
    }
    eprintln!("\nTo sign in, open this page in a browser, on this or any other device:\n");
    eprintln!("    {}\n", style.bold(&uri));
    eprintln!("and check that it shows this code:\n");
    eprintln!("    {}\n", style.bold(&code));
    if let Some(complete) = complete.as_deref() {
        // As text too: a QR code cannot be copied into another machine's
        // browser.
        eprintln!("The same page with the code filled in:\n");
        eprintln!("    {complete}\n");
    }
    if ui.output == Output::Text && !ui.args.no_qr && ui::stderr_is_tty() {
        if let Some(qr) = complete.as_deref().and_then(ui::qr) {
            eprintln!("Or scan this QR code with a phone (the code is filled in):\n");
            eprintln!("{qr}");
        }
    }
    eprintln!("The code expires in {}.", ui::humanize(p.expires_in));
    match ui.embedded {
        Some(embedded) if !embedded.is_manual() => {
            eprintln!(
                "{} a simulated user opens the page and approves code {code}",
                style.dim("[embedded emulator]")
            );
            std::thread::sleep(Duration::from_millis(300));
            if !embedded.approve(&p.user_code) {
                eprintln!("[embedded emulator] the code was not pending any more");
            }
        }
        _ if ui.args.no_browser => {}
        _ => {
            if let Some(uri) = p.browser_uri() {
                if let Err(note) = opener::open(uri) {
                    eprintln!("{note}");
                }
            }
        }
    }
}

fn show_browser_prompt(url: &str, ui: &PromptUi<'_>) {
    let style = Style::stderr();
    let url = oidc_core::untrusted::printable(url);
    if ui.output == Output::Json {
        emit(&json!({"event": "prompt", "flow": "authorization_code", "url": url}));
    }
    let opening = ui.embedded.is_none() && !ui.args.no_browser;
    if opening {
        eprintln!("\nOpening the sign-in page in your browser. If it does not open, open this URL on this machine:\n");
    } else {
        eprintln!("\nTo sign in, open this URL in a browser on this machine:\n");
    }
    eprintln!("    {}\n", style.bold(&url));
    eprintln!(
        "{}",
        style.dim(&format!(
            "(Browser on another device? Run `{}`.)",
            ui.device_code_command
        ))
    );
    match ui.embedded {
        Some(embedded) if !embedded.is_manual() => simulated_browser(&url),
        Some(_) => {}
        None if opening => {
            if let Err(note) = opener::open(&url) {
                eprintln!("{note}");
            }
        }
        None => {}
    }
}

/// The embedded emulator approves `/authorize` at once and redirects to the
/// loopback listener; a thread plays the browser that follows it.
fn simulated_browser(url: &str) {
    eprintln!(
        "{} a simulated browser opens the page and the user allows access",
        Style::stderr().dim("[embedded emulator]")
    );
    let url = url.to_owned();
    std::thread::spawn(move || {
        // The flow reports the outcome (a failure here shows as its
        // timeout), so the result is not needed.
        let _ = ureq::get(&url).call();
    });
}

/// `login`.
pub(crate) fn login(rt: &Runtime, g: &Global, args: &LoginArgs) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let Some(r) = target::resolve(rt, g, Some(&args.new), &config)? else {
        if g.profile.is_some() || !args.new.scopes.is_empty() || args.new.region.is_some() {
            return Err(Failure::new(
                exit::USAGE,
                "nothing is configured: give --start-url and --region, or run `oidc-cli configure`",
            )
            .into());
        }
        return crate::demo::run(rt, g, args);
    };
    let client = target::client(rt, g, &r.region)?;
    let mode = target::sign_in_mode(&r.session, args.sign_in.use_device_code);
    let prompt_ui = PromptUi {
        args: &args.sign_in,
        output: g.output,
        embedded: None,
        device_code_command: format!("{} --use-device-code", r.login_command()),
    };
    let token = sign_in(
        rt, &client, &r.session, &r.label, mode, args.force, &prompt_ui,
    )
    .map_err(|e| target::explain(e, &r))?;
    report_signed_in(g.output, &r, &token);
    Ok(())
}

fn report_signed_in(output: Output, r: &Resolved, token: &CachedToken) {
    let now = SystemTime::now();
    match output {
        Output::Json => emit(&json!({
            "event": "signed_in",
            "session": r.label,
            "startUrl": r.session.start_url,
            "region": r.region,
            "expiresAt": ui::rfc3339(token.expires_at),
            "refreshable": token.is_refreshable(now),
        })),
        Output::Text => {
            let style = Style::stdout();
            println!(
                "{} to {} ({}); the token expires at {} ({}){}.",
                style.good("Signed in"),
                ui::shown(&r.label),
                ui::shown(&r.session.start_url),
                ui::rfc3339(token.expires_at),
                ui::relative(token.expires_at, now),
                if token.is_refreshable(now) {
                    " and refreshes by itself"
                } else {
                    ""
                }
            );
        }
    }
}

/// `token`: a valid access token, refreshed when due; never signs in.
pub(crate) fn token(rt: &Runtime, g: &Global) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let r = require(rt, g, &config, "token")?;
    // A cached token outside its refresh window is answered without a
    // client, a lock or a thread.
    let now = SystemTime::now();
    let fresh = target::cached_entry(&r.session.dir, &r.session.session_key).filter(|t| {
        refresh_decision(t, now, None, &r.session.refresh_policy) == RefreshDecision::Fresh
    });
    let token = match fresh {
        Some(token) => token,
        None => {
            let client = target::client(rt, g, &r.region)?;
            rt.step(format!("refreshing the token of {}", r.label));
            client
                .session_token(&r.session, SignInMode::CachedOnly, |_| {}, &rt.options())
                .map_err(|e| target::explain(e, &r))?
        }
    };
    match g.output {
        Output::Json => emit(&json!({
            "accessToken": token.access_token.secret(),
            "expiresAt": ui::rfc3339(token.expires_at),
        })),
        Output::Text => println!("{}", token.access_token.secret()),
    }
    Ok(())
}

/// The session a command that needs one works on.
pub(crate) fn require(
    rt: &Runtime,
    g: &Global,
    config: &AwsConfig,
    command: &str,
) -> Result<Resolved, BoxError> {
    target::resolve(rt, g, None, config)?.ok_or_else(|| {
        Failure::new(
            exit::USAGE,
            format!(
                "`{command}` needs a session, and {} configures none: run `oidc-cli configure \
                 --start-url URL --region REGION` first (or give --profile or --sso-session)",
                config.path.display()
            ),
        )
        .into()
    })
}

/// The exit code `status` gives for a session in `state`: the code
/// `token` would exit with (see exit.rs).
fn state_exit_code(state: SessionState) -> u8 {
    match state {
        SessionState::Valid | SessionState::Refreshable => exit::OK,
        SessionState::Expired | SessionState::Ended => exit::SESSION_ENDED,
        _ => exit::NOT_SIGNED_IN,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `status`.
pub(crate) fn status(rt: &Runtime, g: &Global, args: &StatusArgs) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let dir = CacheDir::from_env()?;
    let json = args.json || g.output == Output::Json;
    let now = SystemTime::now();
    // A profile named (flag or AWS_PROFILE): its whole chain, resolved as
    // the AWS CLI resolves it.
    let chain = match (&g.profile, &g.sso_session) {
        (Some(_), None) => Some(crate::profiles::resolve_profile(rt, g)?),
        _ => None,
    };
    let chain_is_sso = chain.as_ref().is_none_or(|c| c.sso().is_some());
    let asked = if g.sso_session.is_some() || (g.profile.is_some() && chain_is_sso) {
        Some(require(rt, g, &config, "status")?)
    } else if g.profile.is_some() {
        None
    } else {
        target::resolve(rt, g, None, &config).ok().flatten()
    };

    // The configured sessions: sso-sessions, then legacy profiles.
    let mut rows: Vec<(String, Option<String>, Option<String>, String)> = Vec::new();
    for s in &config.sessions {
        rows.push((
            format!("sso-session {}", s.name),
            s.start_url.clone(),
            s.region.clone(),
            s.name.clone(),
        ));
    }
    for p in config.profiles.iter().filter(|p| p.sso_session.is_none()) {
        if let Some(url) = &p.sso_start_url {
            rows.push((
                format!("profile {}", p.name),
                Some(url.clone()),
                p.sso_region.clone(),
                url.clone(),
            ));
        }
    }
    let style = Style::stdout();
    let mut seen = std::collections::HashSet::new();
    if !json {
        if config.exists {
            println!("Config file: {}", ui::shown(config.path.display()));
        } else {
            println!("Config file: {} (none)", ui::shown(config.path.display()));
        }
        println!("Token cache: {}", ui::shown(dir.path().display()));
    }
    let mut warnings = Vec::new();
    for (label, start_url, region, key) in &rows {
        let outcome = dir.read_token(key)?;
        if let Some(w) = outcome.warning {
            warnings.push(w.to_string());
        }
        seen.insert(file_name(&dir.token_path(key)));
        let (state, token) = dir.session_state(key, now)?;
        show_session(
            json,
            style,
            label,
            start_url.as_deref(),
            region.as_deref(),
            token.as_ref(),
            state,
            true,
            now,
        );
    }
    // What the cache holds beyond the configured sessions.
    for (name, token, state) in dir.token_states(now) {
        if seen.contains(&name) {
            continue;
        }
        let label = match &token.start_url {
            Some(url) => format!("cached session of {url}"),
            None => format!("cached entry {name}"),
        };
        show_session(
            json,
            style,
            &label,
            token.start_url.as_deref(),
            token.region.as_deref(),
            Some(&token),
            state,
            false,
            now,
        );
    }
    if rows.is_empty() && !json {
        println!("No IAM Identity Center session is configured; `oidc-cli configure` writes one.");
    }
    for w in warnings {
        eprintln!("{} {}", Style::stderr().warn("warning:"), ui::shown(w));
    }
    if let Some(chain) = &chain {
        show_chain(json, style, chain, &dir, now)?;
    }
    let Some(r) = asked else {
        return Ok(());
    };
    let (state, token) = r.session.dir.session_state(&r.session.session_key, now)?;
    if g.profile.is_some() || g.sso_session.is_some() {
        // Shown above only when configured; say it for the one asked for.
        if !json && config.session(r.session.session_key.as_str()).is_none() && r.profile.is_none()
        {
            show_session(
                json,
                style,
                &r.label,
                Some(&r.session.start_url),
                Some(&r.region),
                token.as_ref(),
                state,
                true,
                now,
            );
        }
    }
    match state_exit_code(state) {
        exit::OK => Ok(()),
        exit::SESSION_ENDED => Err(Failure::new(
            exit::SESSION_ENDED,
            format!(
                "the session of {} has ended; run `{}`",
                r.label,
                r.login_command()
            ),
        )
        .into()),
        code => Err(Failure::new(
            code,
            format!("not signed in to {}; run `{}`", r.label, r.login_command()),
        )
        .into()),
    }
}

/// A profile's chain, from the profile to where its credentials come
/// from, with what each link has cached.
fn show_chain(
    json: bool,
    style: Style,
    chain: &oidc_host::profile::Resolution,
    dir: &CacheDir,
    now: SystemTime,
) -> Result<(), BoxError> {
    use oidc_host::profile::{KeysFile, LinkKind};
    let creds = CredentialsCacheDir::from_env()?;
    let mut links = Vec::new();
    if !json {
        println!(
            "\n{}",
            style.bold(&ui::shown(format!("profile {}", chain.profile)))
        );
    }
    for (i, link) in chain.links.iter().enumerate() {
        let cached = link.cached_until(dir, &creds);
        let what = match &link.kind {
            LinkKind::Environment => "keys from the environment".to_owned(),
            LinkKind::StaticKeys { file } => format!(
                "static keys in the {} file",
                match file {
                    KeysFile::Credentials => "credentials",
                    _ => "config",
                }
            ),
            LinkKind::AssumeRole {
                role_arn,
                role_session_name,
                mfa_serial,
                ..
            } => format!(
                "assumes {role_arn} as {role_session_name}{}",
                mfa_serial
                    .as_ref()
                    .map(|m| format!(" with MFA {m}"))
                    .unwrap_or_default()
            ),
            LinkKind::WebIdentity {
                role_arn,
                token_file,
            } => format!(
                "assumes {role_arn} with the web identity token in {}",
                token_file.display()
            ),
            LinkKind::Sso(sso) => format!(
                "IAM Identity Center role {} in account {} ({})",
                sso.role_name.as_deref().unwrap_or("?"),
                sso.account_id.as_deref().unwrap_or("?"),
                sso.sso_session
                    .as_ref()
                    .map_or_else(|| sso.start_url.clone(), |s| format!("sso-session {s}"))
            ),
            LinkKind::Process { command } => format!("runs `{command}`"),
            LinkKind::Container => "the container credentials endpoint".to_owned(),
            LinkKind::InstanceMetadata => "the EC2 instance metadata service".to_owned(),
            _ => link.kind.name().to_owned(),
        };
        let cache_text = match cached {
            Some(until) if until > now => format!(
                "; credentials cached until {} ({})",
                ui::rfc3339(until),
                ui::relative(until, now)
            ),
            Some(until) => format!("; cached credentials expired at {}", ui::rfc3339(until)),
            None if matches!(link.kind, LinkKind::AssumeRole { .. } | LinkKind::Sso(_)) => {
                "; nothing cached".to_owned()
            }
            None => String::new(),
        };
        if json {
            links.push(json!({
                "profile": link.profile,
                "kind": link.kind.name(),
                "description": what,
                "cachedUntil": cached.map(ui::rfc3339),
            }));
        } else {
            let from = link
                .profile
                .as_ref()
                .map(|p| format!("profile {p}: "))
                .unwrap_or_default();
            println!(
                "  {}. {}{}",
                i + 1,
                ui::shown(format!("{from}{what}")),
                cache_text
            );
        }
    }
    if json {
        emit(&json!({"profile": chain.profile, "chain": links}));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn show_session(
    json: bool,
    style: Style,
    label: &str,
    start_url: Option<&str>,
    region: Option<&str>,
    token: Option<&CachedToken>,
    state: SessionState,
    configured: bool,
    now: SystemTime,
) {
    if json {
        emit(&json!({
            "session": label,
            "configured": configured,
            "startUrl": start_url,
            "region": region,
            "state": state.name(),
            "expiresAt": token.map(|t| ui::rfc3339(t.expires_at)),
            "refreshable": token.map(|t| t.is_refreshable(now)),
        }));
        return;
    }
    let what = match (state, token) {
        (SessionState::Valid, Some(t)) => format!(
            "{} until {} ({}{})",
            style.good("signed in"),
            ui::rfc3339(t.expires_at),
            ui::relative(t.expires_at, now),
            if t.is_refreshable(now) {
                ", refreshable"
            } else {
                ", not refreshable"
            }
        ),
        (SessionState::Refreshable, Some(t)) => format!(
            "{} at {}; the next use refreshes it",
            style.warn("token expired"),
            ui::rfc3339(t.expires_at)
        ),
        (SessionState::RefreshFailed, Some(t)) => format!(
            "{} at {}; the last refresh failed moments ago (it is retried shortly)",
            style.warn("token expired"),
            ui::rfc3339(t.expires_at)
        ),
        (SessionState::Expired, Some(t)) => format!(
            "{} (expired at {}, not refreshable)",
            style.error("session ended"),
            ui::rfc3339(t.expires_at)
        ),
        (SessionState::Ended, Some(_)) => format!(
            "{} (the service refused its refresh token)",
            style.error("session ended"),
        ),
        _ => "not signed in".to_owned(),
    };
    println!("\n{}", style.bold(&ui::shown(label)));
    if let Some(url) = start_url {
        println!("  start URL: {}", ui::shown(url));
    }
    if let Some(region) = region {
        println!("  region:    {}", ui::shown(region));
    }
    println!("  status:    {what}");
}

/// `logout`.
pub(crate) fn logout(rt: &Runtime, g: &Global, args: &LogoutArgs) -> Result<(), BoxError> {
    let config = AwsConfig::load()?;
    let dir = CacheDir::from_env()?;
    let creds = CredentialsCacheDir::from_env()?;
    if args.all {
        let tokens = dir.tokens();
        if tokens.is_empty() {
            say(
                g.output,
                json!({"event": "logout", "sessions": 0}),
                "No session is signed in; nothing to do.",
            );
        }
        for (name, token) in tokens {
            let label = token.start_url.clone().map_or_else(
                || format!("cache entry {name}"),
                |u| format!("the session of {u}"),
            );
            portal_logout(rt, g, &label, &token);
            match dir.remove_token_file(&name) {
                Ok(()) => say(
                    g.output,
                    json!({"event": "token_removed", "session": label}),
                    &format!("Removed the cached token of {label}."),
                ),
                Err(e) => eprintln!(
                    "could not remove the cached token of {}: {}",
                    ui::shown(&label),
                    ui::shown(e)
                ),
            }
        }
        let removed = creds.remove_sso_entries();
        say(
            g.output,
            json!({"event": "credentials_removed", "files": removed}),
            &format!("Removed {removed} cached role credential file(s)."),
        );
        return Ok(());
    }
    let mut g = g.clone();
    if let Some(s) = &args.session {
        g.sso_session = Some(s.clone());
    }
    let r = require(rt, &g, &config, "logout")?;
    let key = &r.session.session_key;
    rt.step(format!("waiting for the lock of {}", r.label));
    let lock = dir.lock(key, rt.timeout())?;
    let token = dir.read_token(key)?.token;
    match &token {
        Some(token) => {
            portal_logout(rt, &g, &r.label, token);
            dir.remove_token(key)?;
            say(
                g.output,
                json!({"event": "token_removed", "session": r.label}),
                &format!("Removed the cached token of {}.", r.label),
            );
        }
        None => say(
            g.output,
            json!({"event": "not_signed_in", "session": r.label}),
            &format!(
                "No token is cached for {}; nothing to sign out of at the portal.",
                r.label
            ),
        ),
    }
    drop(lock);
    // The role credentials of the session's profiles.
    let parsed = oidc_host::AwsConfig::parse(&config.text).unwrap_or_default();
    let asked: Vec<(String, String)> = r
        .profile
        .iter()
        .filter_map(|p| Some((p.sso_account_id.clone()?, p.sso_role_name.clone()?)))
        .collect();
    let removed = creds.remove_session_entries(&parsed, &r.session, &asked);
    say(
        g.output,
        json!({"event": "credentials_removed", "session": r.label, "files": removed}),
        &format!(
            "Removed {removed} cached role credential file(s) of {}.",
            r.label
        ),
    );
    Ok(())
}

fn say(output: Output, value: serde_json::Value, text: &str) {
    match output {
        Output::Json => emit(&value),
        Output::Text => println!("{}", ui::shown(text)),
    }
}

/// The portal's Logout with the token, in the region its entry names;
/// reports the outcome (a failure does not stop the local sign-out).
fn portal_logout(rt: &Runtime, g: &Global, label: &str, token: &CachedToken) {
    let now = SystemTime::now();
    if token.is_expired(now) {
        say(
            g.output,
            json!({"event": "portal_logout", "session": label, "done": false, "reason": "token expired"}),
            &format!("The token of {label} has expired; no sign-out at the portal is needed."),
        );
        return;
    }
    let Some(region) = &token.region else {
        say(
            g.output,
            json!({"event": "portal_logout", "session": label, "done": false, "reason": "no region cached"}),
            &format!("The cached token of {label} names no region; not signing out at the portal."),
        );
        return;
    };
    rt.step(format!("signing out of {label} at the portal"));
    let result = target::client(rt, g, region).and_then(|client| {
        client
            .call_with(&LogoutInput::new(token.access_token.clone()), &rt.options())
            .map_err(BoxError::from)
    });
    match result {
        Ok(_) => say(
            g.output,
            json!({"event": "portal_logout", "session": label, "done": true}),
            &format!("Signed out of {label} at the portal."),
        ),
        Err(e) => {
            say(g.output, json!({"event": "portal_logout", "session": label, "done": false, "reason": e.to_string()}),
                &format!("Could not sign out of {label} at the portal ({e}); removing the local token anyway."));
        }
    }
}

/// `emulator`: the local service standalone, until Ctrl-C.
pub(crate) fn emulator(rt: &Runtime, g: &Global, args: &EmulatorArgs) -> Result<(), BoxError> {
    let emulator = oidc_emulator::Emulator::start(
        oidc_emulator::EmulatorConfig::default().with_port(args.port),
    )
    .map_err(|e| {
        Failure::new(
            exit::LOCAL,
            format!("cannot listen on 127.0.0.1:{}: {e}", args.port),
        )
    })?;
    let base = emulator.base_url();
    let start_url = format!("{base}/start");
    match g.output {
        Output::Json => emit(&json!({
            "event": "listening",
            "endpointUrl": base,
            "startUrl": start_url,
            "region": crate::embedded::REGION,
        })),
        Output::Text => {
            let style = Style::stdout();
            println!(
                "{} at {}",
                style.good("IAM Identity Center emulator listening"),
                style.bold(&base)
            );
            println!(
                "(OIDC, the SSO portal and STS; region {}). Try:\n",
                crate::embedded::REGION
            );
            println!("  export AWS_ENDPOINT_URL={base}");
            println!(
                "  oidc-cli configure --start-url {start_url} --region {} --sso-session local\n",
                crate::embedded::REGION
            );
            println!("Approve device codes at {base}/device. Ctrl-C stops.");
        }
    }
    rt.step("running the emulator");
    while !rt
        .cancel()
        .wait_until(Instant::now() + Duration::from_secs(3600))
    {}
    emulator.shutdown();
    if rt.is_interrupted() {
        eprintln!("\nStopped.");
    }
    Ok(())
}
