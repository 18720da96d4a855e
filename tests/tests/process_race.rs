//! Several processes racing to refresh the same cached token: the
//! cross-process session lock must let exactly one of them refresh, and the
//! others must pick up the token it wrote instead of refreshing again (the
//! emulator rotates refresh tokens, so a second refresh with the old one
//! would fail with InvalidGrant).
//!
//! Each child is `race_child` (tests/src/bin/race_child.rs), which uses
//! oidc-ureq's token provider on a shared temporary cache directory. The
//! children are released together through a file barrier.

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::cache::CachedToken;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_emulator::Emulator;
use oidc_host::CacheDir;

const SESSION: &str = "race-session";
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// How long the children may take to signal they are ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long each child may take, once released, to finish.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// What one child produced.
struct Outcome {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Kills children still running when the test fails early.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Writes a refreshable token for the emulator-issued registration that
/// expires `remaining` from now (inside the 5-minute refresh window).
fn seed_cache(dir: &CacheDir, emulator: &Emulator, remaining: Duration) -> CachedToken {
    let issued = emulator.issue_token(&["sso:account:access"]);
    let now = SystemTime::now();
    let registration_expires =
        UNIX_EPOCH + Duration::from_secs(u64::try_from(issued.client_secret_expires_at).unwrap());
    let token = CachedToken::new(AccessToken::new(issued.access_token), now + remaining)
        .with_start_url(START_URL)
        .with_region("us-east-1")
        .with_client_id(issued.client_id)
        .with_client_secret(ClientSecret::new(issued.client_secret))
        .with_registration_expires_at(registration_expires)
        .with_refresh_token(RefreshToken::new(issued.refresh_token));
    dir.write_token(SESSION, &token).expect("seed the cache");
    // A token written moments ago counts as a refresh attempt (by any
    // process) and is not refreshed again at once: make it look old.
    std::fs::File::options()
        .write(true)
        .open(dir.token_path(SESSION))
        .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(3600)))
        .expect("backdate the cache entry");
    token
}

/// Starts `n` children on the same cache, releases them together and
/// collects what they printed (every wait bounded).
fn race(n: usize, cache: &Path, endpoint: &str) -> Vec<Outcome> {
    let barrier = tempfile::tempdir().expect("barrier dir");
    let go = barrier.path().join("go");
    let mut children = Children(Vec::new());
    let mut ready_files = Vec::new();
    for i in 0..n {
        let ready = barrier.path().join(format!("ready-{i}"));
        let child = Command::new(env!("CARGO_BIN_EXE_race_child"))
            .arg(cache)
            .arg(endpoint)
            .arg(SESSION)
            .arg(&ready)
            .arg(&go)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn race_child");
        children.0.push(child);
        ready_files.push(ready);
    }

    let deadline = Instant::now() + READY_TIMEOUT;
    while !ready_files.iter().all(|f| f.exists()) {
        for child in &mut children.0 {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("a child exited before the go signal: {status}");
            }
        }
        assert!(
            Instant::now() < deadline,
            "children not ready within {READY_TIMEOUT:?}"
        );
        // Waiting on other processes to start.
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(&go, b"go").expect("write the go file");

    let deadline = Instant::now() + CHILD_TIMEOUT;
    let mut outcomes = Vec::new();
    for child in &mut children.0 {
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "a child did not finish within {CHILD_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        child
            .stdout
            .take()
            .expect("piped stdout")
            .read_to_string(&mut stdout)
            .expect("read stdout");
        child
            .stderr
            .take()
            .expect("piped stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        outcomes.push(Outcome {
            success: status.success(),
            stdout: stdout.trim().to_string(),
            stderr,
        });
    }
    outcomes
}

/// Whether the emulator accepts `access_token` (portal ListAccounts).
fn token_is_accepted(emulator: &Emulator, access_token: &str) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let status = agent
        .get(format!(
            "{}/assignment/accounts?max_result=10",
            emulator.base_url()
        ))
        .header("x-amz-sso_bearer_token", access_token)
        .call()
        .expect("portal call")
        .status();
    status == 200
}

fn check_race(n: usize) {
    let emulator = Emulator::start_default().expect("start the emulator");
    let cache = tempfile::tempdir().expect("cache dir");
    let dir = CacheDir::new(cache.path());
    let old = seed_cache(&dir, &emulator, Duration::from_secs(120));
    emulator.reset_stats();

    let outcomes = race(n, cache.path(), &emulator.base_url());

    for (i, o) in outcomes.iter().enumerate() {
        assert!(o.success, "child {i} failed: {}", o.stderr.trim());
    }
    let first = &outcomes[0].stdout;
    assert!(!first.is_empty(), "child 0 printed a token");
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(
            &o.stdout, first,
            "child {i} printed another token than child 0"
        );
    }
    assert_ne!(
        first.as_str(),
        old.access_token.secret(),
        "the token was refreshed, not reused"
    );

    let stats = emulator.stats();
    assert_eq!(
        stats.create_token_refresh, 1,
        "exactly one refresh reached the emulator: {stats:?}"
    );
    assert_eq!(stats.create_token(), 1, "no other CreateToken: {stats:?}");
    assert_eq!(
        stats.register_client, 0,
        "nobody signed in again: {stats:?}"
    );
    assert_eq!(stats.start_device_authorization, 0);

    let on_disk = dir
        .read_token(SESSION)
        .expect("read the cache")
        .token
        .expect("a token in the cache");
    assert_eq!(on_disk.access_token.secret(), first.as_str());
    assert!(
        on_disk.expires_at > old.expires_at,
        "the cached token has the new expiry"
    );
    let new_refresh = on_disk.refresh_token.expect("rotated refresh token kept");
    assert_ne!(
        new_refresh.secret(),
        old.refresh_token.as_ref().unwrap().secret()
    );
    assert!(
        token_is_accepted(&emulator, first),
        "the new token is valid"
    );
    // The old refresh token was rotated exactly once, so it is no longer
    // active; the new one is.
    assert!(!emulator.revoke_refresh_token(old.refresh_token.as_ref().unwrap().secret()));
    assert!(emulator.revoke_refresh_token(new_refresh.secret()));
}

#[test]
fn two_processes_refresh_once() {
    check_race(2);
}

#[test]
fn four_processes_refresh_once() {
    check_race(4);
}
