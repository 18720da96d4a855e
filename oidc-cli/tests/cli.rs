//! Runs the `oidc-cli` binary: the embedded-emulator login (the README's
//! main job), then `status`, `token` and `logout` on the cache it wrote,
//! and checks that no secret ever reaches the terminal except the token
//! that `token` exists to print.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use oidc_core::cache::CachedToken;
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::CacheDir;

const SESSION: &str = "embedded-demo";

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oidc-cli"))
        .args(args)
        .env_remove("OIDC_START_URL")
        .env_remove("OIDC_REGION")
        .output()
        .expect("run oidc-cli")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        TempDir(std::env::temp_dir().join(format!(
            "oidc-cli-test-{tag}-{}-{nanos}-{n}",
            std::process::id()
        )))
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cached(dir: &Path, key: &str) -> CachedToken {
    CacheDir::new(dir)
        .read_token(key)
        .expect("read cache")
        .token
        .expect("a token is cached")
}

fn assert_no_secrets(output: &str, token: &CachedToken) {
    assert!(
        !output.contains(token.access_token.secret()),
        "access token printed"
    );
    if let Some(refresh) = &token.refresh_token {
        assert!(!output.contains(refresh.secret()), "refresh token printed");
    }
    if let Some(secret) = &token.client_secret {
        assert!(!output.contains(secret.secret()), "client secret printed");
    }
}

/// The numbers of `4 callers asked for the token at once: R got the
/// refreshed token, C refresh call reached the service ...`.
fn callers_line(stdout: &str) -> (u32, u32) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("4 callers asked for the token at once: "))
        .unwrap_or_else(|| panic!("no callers line in {stdout}"));
    let rest = line.trim_start_matches("4 callers asked for the token at once: ");
    let (refreshed, rest) = rest.split_once(" got the refreshed token, ").unwrap();
    let (calls, _) = rest.split_once(" refresh call").unwrap();
    (refreshed.parse().unwrap(), calls.parse().unwrap())
}

#[test]
fn embedded_device_login_refreshes_once_for_many_callers() {
    let dir = TempDir::new("device");
    let out = cli(&["--cache-dir", dir.path(), "login", "--timeout", "60"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "login failed:\n{stdout}\n{stderr}");
    assert!(stderr.contains("confirm this code:"), "{stderr}");
    assert!(
        stderr.contains("a simulated user approves code"),
        "{stderr}"
    );
    assert!(stdout.contains("Signed in."), "{stdout}");
    // However many callers ask at once, at most one refresh reaches the
    // service, and every caller gets the same token. (The sign-in has just
    // written the token, and a token written under
    // `min_time_between_attempts` ago counts as a recent refresh attempt
    // by the file's mtime, so now no caller refreshes it yet.)
    let (refreshed, calls) = callers_line(&stdout);
    assert!(calls <= 1, "{stdout}");
    assert_eq!(refreshed, if calls == 1 { 4 } else { 0 }, "{stdout}");
    let token = cached(&dir.0, SESSION);
    assert!(token.refresh_token.is_some(), "the token is refreshable");
    assert_no_secrets(&stdout, &token);
    assert_no_secrets(&stderr, &token);

    // status reads the same cache and never prints the token.
    let out = cli(&["--cache-dir", dir.path(), "--session", SESSION, "status"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Token expires at"), "{stdout}");
    assert!(stdout.contains("refreshable"), "{stdout}");
    assert_no_secrets(&stdout, &token);
    assert_no_secrets(&stderr, &token);

    // logout removes the entry; status then says so.
    let out = cli(&["--cache-dir", dir.path(), "--session", SESSION, "logout"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = cli(&["--cache-dir", dir.path(), "--session", SESSION, "status"]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("Not signed in"), "{stdout}");
}

#[test]
fn embedded_pkce_login() {
    let dir = TempDir::new("pkce");
    let out = cli(&[
        "--cache-dir",
        dir.path(),
        "login",
        "--pkce",
        "--timeout",
        "60",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "login failed:\n{stdout}\n{stderr}");
    assert!(stderr.contains("/authorize?"), "{stderr}");
    assert!(stdout.contains("Signed in."), "{stdout}");
    let token = cached(&dir.0, SESSION);
    assert_no_secrets(&stdout, &token);
    assert_no_secrets(&stderr, &token);
}

#[test]
fn token_prints_the_cached_token_and_refreshes_when_due() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let dir = TempDir::new("token");
    let start_url = format!("{}/start", emulator.base_url());
    let issued = emulator.issue_token(&["sso:account:access"]);
    let now = SystemTime::now();
    // Inside the refresh window: `token` must refresh it.
    let entry = CachedToken::new(
        oidc_core::secret::AccessToken::new(issued.access_token.clone()),
        now + std::time::Duration::from_secs(60),
    )
    .with_start_url(start_url.clone())
    .with_region("us-east-1")
    .with_client_id(issued.client_id.clone())
    .with_client_secret(oidc_core::secret::ClientSecret::new(
        issued.client_secret.clone(),
    ))
    .with_registration_expires_at(now + std::time::Duration::from_secs(86_400))
    .with_refresh_token(oidc_core::secret::RefreshToken::new(
        issued.refresh_token.clone(),
    ));
    let cache = CacheDir::new(&dir.0);
    cache.write_token("s1", &entry).expect("write cache");
    // Written an hour ago: a file written moments ago counts as a refresh
    // attempt moments ago (by its mtime) and would not be refreshed yet.
    std::fs::File::options()
        .write(true)
        .open(cache.token_path("s1"))
        .and_then(|f| f.set_modified(now - std::time::Duration::from_secs(3600)))
        .expect("set the mtime");

    let base = emulator.base_url();
    let args = [
        "--cache-dir",
        dir.path(),
        "--session",
        "s1",
        "--start-url",
        &start_url,
        "--endpoint-url",
        &base,
    ];
    let mut with_token = args.to_vec();
    with_token.extend(["token", "--json"]);
    let out = cli(&with_token);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON output");
    let refreshed = cached(&dir.0, "s1");
    assert_eq!(json["accessToken"], refreshed.access_token.secret());
    assert_ne!(refreshed.access_token.secret(), issued.access_token);
    assert_eq!(emulator.stats().create_token_refresh, 1);
    assert!(json["expiresAt"].as_str().is_some_and(|s| s.ends_with('Z')));

    // A fresh token is served from the cache: no second refresh.
    let mut bare = args.to_vec();
    bare.push("token");
    let out = cli(&bare);
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    assert_eq!(stdout.trim(), refreshed.access_token.secret());
    assert_eq!(emulator.stats().create_token_refresh, 1);
}

#[test]
fn commands_without_a_target_explain_what_is_missing() {
    let out = cli(&["token"]);
    assert_eq!(out.status.code(), Some(2), "usage");
    let (_, stderr) = text(&out);
    assert!(stderr.contains("needs --start-url"), "{stderr}");

    let out = cli(&["status"]);
    assert_eq!(out.status.code(), Some(2), "usage");
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("needs --session or --start-url"),
        "{stderr}"
    );

    let out = cli(&["login", "--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects a zero timeout");
}

#[test]
fn token_without_a_cached_session_says_to_log_in() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let dir = TempDir::new("nologin");
    let start_url = format!("{}/start", emulator.base_url());
    let base = emulator.base_url();
    let out = cli(&[
        "--cache-dir",
        dir.path(),
        "--start-url",
        &start_url,
        "--endpoint-url",
        &base,
        "token",
    ]);
    assert_eq!(out.status.code(), Some(1), "not signed in");
    let (_, stderr) = text(&out);
    assert!(stderr.contains("run `oidc-cli login` first"), "{stderr}");
    assert_eq!(emulator.stats().total, 0, "no request without a token");
}

#[test]
fn status_exit_codes_tell_signed_in_from_not_signed_in_and_ended() {
    let dir = TempDir::new("status-codes");
    let status = |dir: &TempDir| cli(&["--cache-dir", dir.path(), "--session", "codes", "status"]);
    // Nothing cached: not signed in.
    assert_eq!(status(&dir).status.code(), Some(1));
    // A corrupt cache file: not signed in either (with a warning).
    let cache = CacheDir::new(dir.path());
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(cache.token_path("codes"), b"{not json").unwrap();
    let out = status(&dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("warning"), "{:?}", text(&out));
    // A valid token: signed in.
    let now = SystemTime::now();
    let token = CachedToken::new(
        oidc_core::secret::AccessToken::new("aoal-status"),
        now + std::time::Duration::from_secs(3600),
    );
    cache.write_token("codes", &token).unwrap();
    assert_eq!(status(&dir).status.code(), Some(0));
    // Expired and not refreshable: the session has ended.
    let ended = CachedToken::new(
        oidc_core::secret::AccessToken::new("aoal-ended"),
        now - std::time::Duration::from_secs(60),
    );
    cache.write_token("codes", &ended).unwrap();
    assert_eq!(status(&dir).status.code(), Some(3));
}

#[test]
fn an_unreachable_service_is_a_network_failure() {
    let dir = TempDir::new("network");
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let start_url = format!("{base}/start");
    let out = cli(&[
        "--cache-dir",
        dir.path(),
        "--start-url",
        &start_url,
        "--endpoint-url",
        &base,
        "login",
        "--timeout",
        "20",
    ]);
    assert_eq!(out.status.code(), Some(4), "{:?}", text(&out));
}
