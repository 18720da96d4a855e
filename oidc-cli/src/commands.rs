//! The subcommands. Progress and prompts go to stderr; stdout carries only
//! what a script would capture (the token of `token`, the summary lines).

use std::thread;
use std::time::{Duration, SystemTime};

use oidc_core::cache::{refresh_decision, CachedToken, RefreshDecision};
use oidc_core::device_flow::Prompt;
use oidc_host::CacheDir;
use oidc_ureq::{CancelToken, SignInMode, SignInPrompt};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::embedded::{Embedded, ACCESS_TOKEN_SECONDS};
use crate::exit::{self, Failure};
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

    let mode = if login.pkce {
        SignInMode::AuthorizationCode
    } else {
        SignInMode::DeviceCode
    };
    let prompt = |prompt: &SignInPrompt| match prompt {
        SignInPrompt::DeviceCode(p) => show_prompt(p, login.open, target.embedded.as_ref()),
        SignInPrompt::Browser { url } => show_browser_prompt(url, login.open, &target),
        _ => {}
    };
    let token = if login.force {
        target
            .client
            .sign_in(&target.session, mode, prompt, &cancel)
    } else {
        target
            .client
            .session_token(&target.session, mode, prompt, &cancel)
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
    let token = match target.client.cached_token(session) {
        Ok(token) => token,
        Err(oidc_ureq::Error::LoginRequired { reason }) => {
            return Err(Failure::new(
                exit::NOT_SIGNED_IN,
                format!("not signed in ({reason}); run `oidc-cli login` first"),
            )
            .into())
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
            Err(Failure::new(exit::NOT_SIGNED_IN, "not signed in").into())
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
            if token.is_expired(now) && !token.is_refreshable(now) {
                Err(Failure::new(
                    exit::SESSION_ENDED,
                    "the session has ended; run `login` again",
                )
                .into())
            } else {
                Ok(())
            }
        }
    }
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
            return Err(Failure::new(
                exit::USAGE,
                format!("`{command}` needs --session or --start-url"),
            )
            .into());
        }
    };
    Ok((dir, key))
}

/// The authorization-code prompt: the URL to open, opened by a simulated
/// browser for the embedded emulator, or by the system's browser with
/// `--open`.
fn show_browser_prompt(url: &str, open: bool, target: &Target) {
    let url = &oidc_core::untrusted::printable(url);
    eprintln!("To sign in, open this page in a browser on this machine:\n\n    {url}\n");
    match &target.embedded {
        Some(embedded) if !embedded.is_manual() => simulated_browser(url),
        _ if open => match oidc_core::untrusted::openable_uri(url) {
            Some(url) => {
                if let Err(note) = opener::open(url) {
                    eprintln!("{note}");
                }
            }
            None => eprintln!("the sign-in URL is not an https URL; not opening it"),
        },
        _ => {}
    }
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
        _ if open => match prompt.browser_uri() {
            Some(uri) => {
                if let Err(note) = opener::open(uri) {
                    eprintln!("{note}");
                }
            }
            None => eprintln!("the verification URI is not an https URL; not opening it"),
        },
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
         window. A token written moments ago is never refreshed again, so the demo first ages \
         the cache entry by a minute; then the next caller refreshes:"
    );
    let aged = SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(target.token_path())
        .and_then(|file| file.set_modified(aged))?;
    let before = embedded.refreshes();
    let callers = thread::scope(|scope| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| scope.spawn(|| target.client.cached_token(session)))
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
        "{CALLERS} callers asked for the token at once: {refreshed} got the refreshed token, \
         {calls} refresh call(s) reached the service (the others waited for the session lock \
         and read the new token from the cache)."
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
        oidc_ureq::Error::Cancelled { waited: None } if cancel.is_cancelled() => Failure::new(
            exit::NETWORK,
            format!(
                "gave up after {} s without an approval (--timeout)",
                timeout.as_secs()
            ),
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
