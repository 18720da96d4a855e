//! The subcommands. Progress and prompts go to stderr; stdout carries only
//! what a script would capture (the token of `token`, the summary lines).

use std::thread;
use std::time::{Duration, SystemTime};

use oidc_core::cache::{refresh_decision, CachedToken, RefreshDecision};
use oidc_core::device_flow::Prompt;
use oidc_host::{CacheDir, Next, RegistrationInfo, TokenProvider};
use oidc_ureq::CancelToken;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::embedded::{Embedded, ACCESS_TOKEN_SECONDS};
use crate::opener;
use crate::target::{BoxError, Target};
use crate::{LoginArgs, TargetArgs, TokenArgs};

/// `login`: a valid cached token is reused (refreshed when due); otherwise
/// the device flow (or PKCE) runs and the token is cached.
pub(crate) fn login(args: &TargetArgs, login: &LoginArgs) -> Result<(), BoxError> {
    let target = Target::for_login(args, login.manual)?;
    if let Some(embedded) = &target.embedded {
        eprintln!(
            "Using the embedded IAM Identity Center emulator at {} (offline).",
            embedded.base_url()
        );
        eprintln!("Give --start-url to sign in to a real one.");
        if embedded.is_temporary() {
            eprintln!(
                "Tokens go to a temporary cache, removed at exit: {}",
                embedded.cache_dir().display()
            );
        }
        eprintln!();
    }
    let cancel = CancelToken::new();
    let timeout = Duration::from_secs(login.timeout);
    start_watchdog(cancel.clone(), timeout);

    let token = if login.pkce {
        pkce_login(&target, login.open, timeout, &cancel)
    } else {
        target.client.session_token(
            &target.session,
            |prompt| show_prompt(prompt, login.open, target.embedded.as_ref()),
            &cancel,
        )
    }
    .map_err(|e| timed_out_or(e, &cancel, timeout))?;
    println!("Signed in. {}", describe(&token, SystemTime::now()));
    println!("Token cached in {}", target.token_path().display());

    if let Some(embedded) = &target.embedded {
        demonstrate_cache(&target, embedded, &token)?;
    }
    Ok(())
}

/// `token`: prints a valid access token, refreshing it when due. Never
/// signs in (that is `login`'s job, which may need a person).
pub(crate) fn token(args: &TargetArgs, token_args: &TokenArgs) -> Result<(), BoxError> {
    let target = Target::existing(args, "token")?;
    let session = &target.session;
    let token =
        match target
            .client
            .cached_token(&session.dir, &session.session_key, session.lock_timeout)
        {
            Ok(token) => token,
            Err(oidc_ureq::Error::LoginRequired { reason }) => {
                return Err(format!("not signed in ({reason}); run `oidc-cli login` first").into())
            }
            Err(oidc_ureq::Error::Token(e))
                if !e.is_session_ended() && e.still_valid().is_some() =>
            {
                eprintln!("warning: {e}; using the cached token, which is still valid");
                e.into_still_valid()
                    .ok_or("the still-valid token vanished")?
            }
            Err(e) => return Err(e.into()),
        };
    if token_args.json {
        let json = serde_json::json!({
            "accessToken": token.access_token.secret(),
            "expiresAt": rfc3339(token.expires_at),
        });
        println!("{json}");
    } else {
        println!("{}", token.access_token.secret());
    }
    Ok(())
}

/// `status`: what the cache holds for the session, without the token.
pub(crate) fn status(args: &TargetArgs) -> Result<(), BoxError> {
    let (dir, key) = cache_entry(args, "status")?;
    let path = dir.token_path(&key);
    let outcome = dir.read_token(&key)?;
    if let Some(warning) = &outcome.warning {
        eprintln!("warning: {warning}");
    }
    match outcome.token {
        None => {
            println!("Not signed in: no usable token in {}", path.display());
        }
        Some(token) => {
            let now = SystemTime::now();
            println!("Cache file: {}", path.display());
            if let Some(url) = &token.start_url {
                println!("Start URL:  {url}");
            }
            if let Some(region) = &token.region {
                println!("Region:     {region}");
            }
            println!("{}", describe(&token, now));
        }
    }
    Ok(())
}

/// `logout`: removes the session's cached token (the registration stays,
/// as with the AWS CLI).
pub(crate) fn logout(args: &TargetArgs) -> Result<(), BoxError> {
    let (dir, key) = cache_entry(args, "logout")?;
    let lock = dir.lock(&key, Duration::from_secs(120))?;
    dir.remove_token(&key)?;
    drop(lock);
    println!("Signed out: removed {}", dir.token_path(&key).display());
    Ok(())
}

/// The cache directory and key of the session: the sso-session name, or
/// the start URL for legacy profiles.
fn cache_entry(args: &TargetArgs, command: &str) -> Result<(CacheDir, String), BoxError> {
    let dir = match &args.cache_dir {
        Some(path) => CacheDir::new(path.clone()),
        None => CacheDir::from_env()?,
    };
    let key = match (&args.session, &args.start_url) {
        (Some(session), _) => session.clone(),
        (None, Some(start_url)) => start_url.clone(),
        (None, None) => {
            return Err(format!("`{command}` needs --session or --start-url").into());
        }
    };
    Ok((dir, key))
}

/// Authorization code + PKCE: a usable cached token is returned (refreshed
/// when due, by the client's provider); otherwise, under the session lock,
/// register, send the user to the browser, receive the redirect on
/// 127.0.0.1 and cache the token.
fn pkce_login(
    target: &Target,
    open: bool,
    timeout: Duration,
    cancel: &CancelToken,
) -> Result<CachedToken, oidc_ureq::Error> {
    let session = &target.session;
    let client = &target.client;
    let session_ended =
        match client.cached_token(&session.dir, &session.session_key, session.lock_timeout) {
            Ok(token) => return Ok(token),
            Err(oidc_ureq::Error::LoginRequired { .. }) => false,
            Err(oidc_ureq::Error::Token(e)) if e.is_session_ended() => true,
            Err(e) => return Err(e),
        };
    let provider = TokenProvider::new(
        session.dir.clone(),
        session.session_key.clone(),
        client.endpoint().clone(),
    )
    .with_policy(session.refresh_policy);
    let lock = provider.lock(session.lock_timeout)?;
    // Another process may have signed in while the lock was free.
    let login = if session_ended {
        provider.login(lock)?
    } else {
        match provider.begin(lock, SystemTime::now())? {
            Next::Ready(token) => return Ok(token),
            Next::LoginRequired(login) => login,
            Next::Refresh(refresh) => provider.login(refresh.into_lock())?,
        }
    };
    let scopes: Vec<&str> = session.scopes.iter().map(String::as_str).collect();
    let registration = client.register_for_authorization_code(
        &session.client_name,
        &session.start_url,
        &scopes,
    )?;
    let token = client.authorization_code_sign_in(
        &registration,
        &scopes,
        |url| {
            eprintln!("To sign in, open this page in a browser on this machine:\n\n    {url}\n");
            match &target.embedded {
                Some(embedded) if !embedded.is_manual() => simulated_browser(url),
                _ if open => {
                    if let Err(note) = opener::open(url) {
                        eprintln!("{note}");
                    }
                }
                _ => {}
            }
        },
        timeout,
        cancel,
    )?;
    Ok(login.store(
        SystemTime::now(),
        &token,
        &RegistrationInfo::from(&registration),
        &session.start_url,
        &client.config().region,
    )?)
}

/// The embedded emulator approves `/authorize` at once and redirects to the
/// loopback listener; a thread plays the browser that follows it.
fn simulated_browser(url: &str) {
    eprintln!("[embedded emulator] a simulated browser opens the page and the user allows access");
    let url = url.to_owned();
    thread::spawn(move || {
        // Follows the emulator's redirect to the loopback listener. The
        // driver reports the outcome (a failure here shows as its timeout),
        // so the result is not needed.
        let _ = ureq::get(&url).call();
    });
}

fn show_prompt(prompt: &Prompt, open: bool, embedded: Option<&Embedded>) {
    eprintln!("To sign in, open this page in a browser (on any device):\n");
    eprintln!("    {}\n", prompt.verification_uri);
    eprintln!("and confirm this code:  {}\n", prompt.user_code);
    if let Some(complete) = &prompt.verification_uri_complete {
        eprintln!("(or open {complete} with the code filled in)");
    }
    eprintln!(
        "The code expires in {} min. Waiting for approval...",
        prompt.expires_in.as_secs().div_ceil(60)
    );
    match embedded {
        Some(embedded) if !embedded.is_manual() => {
            eprintln!(
                "[embedded emulator] a simulated user approves code {}",
                prompt.user_code
            );
            if !embedded.approve(&prompt.user_code) {
                eprintln!("[embedded emulator] the code was not pending any more");
            }
        }
        _ if open => {
            if let Err(note) = opener::open(prompt.uri_to_open()) {
                eprintln!("{note}");
            }
        }
        _ => {}
    }
}

/// Shows what the cache gives a second and third caller: the same token,
/// then (the emulator's tokens being short) a refresh, with one call to
/// the service however many callers there are.
/// How many concurrent callers the demo runs.
const CALLERS: usize = 4;

fn demonstrate_cache(
    target: &Target,
    embedded: &Embedded,
    first: &CachedToken,
) -> Result<(), BoxError> {
    let session = &target.session;
    eprintln!();
    eprintln!(
        "The emulator's access tokens live {ACCESS_TOKEN_SECONDS} s, inside the 5-minute refresh \
         window, so the next caller refreshes:"
    );
    let before = embedded.refreshes();
    let callers = thread::scope(|scope| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| {
                scope.spawn(|| {
                    target.client.cached_token(
                        &session.dir,
                        &session.session_key,
                        session.lock_timeout,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a caller thread panicked"))
            .collect::<Vec<_>>()
    });
    let mut refreshed = 0;
    for caller in callers {
        let token = caller??;
        if token.access_token.secret() != first.access_token.secret() {
            refreshed += 1;
        }
    }
    let calls = embedded.refreshes() - before;
    println!(
        "{CALLERS} callers asked for the token at once: {refreshed} got the refreshed token, {calls} refresh \
         call reached the service (the rest were served from the cache)."
    );
    Ok(())
}

/// A watchdog that cancels the sign-in after `timeout`.
fn start_watchdog(cancel: CancelToken, timeout: Duration) {
    thread::spawn(move || {
        let deadline = std::time::Instant::now() + timeout;
        if !cancel.wait_until(deadline) {
            cancel.cancel();
        }
    });
}

fn timed_out_or(e: oidc_ureq::Error, cancel: &CancelToken, timeout: Duration) -> BoxError {
    match e {
        oidc_ureq::Error::Cancelled if cancel.is_cancelled() => format!(
            "gave up after {} s without an approval (--timeout)",
            timeout.as_secs()
        )
        .into(),
        e => e.into(),
    }
}

/// One line about a token: when it expires and whether it refreshes.
fn describe(token: &CachedToken, now: SystemTime) -> String {
    let expires = rfc3339(token.expires_at);
    let remaining = match token.remaining(now) {
        Some(d) => format!("{} min left", d.as_secs() / 60),
        None => "expired".to_owned(),
    };
    let decision = refresh_decision(token, now, None, &Default::default());
    let what = match decision {
        RefreshDecision::Fresh => "valid",
        RefreshDecision::RefreshNow { .. } | RefreshDecision::Throttled => {
            "due for refresh (the next `token` refreshes it)"
        }
        RefreshDecision::ExpiringNotRefreshable => "valid but not refreshable: sign in again soon",
        RefreshDecision::Expired => "expired and not refreshable: sign in again",
        _ => "in an unknown state",
    };
    let refreshable = if token.is_refreshable(now) {
        "refreshable"
    } else {
        "not refreshable"
    };
    format!("Token expires at {expires} ({remaining}; {refreshable}); {what}.")
}

fn rfc3339(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "an unrepresentable time".to_owned())
}
