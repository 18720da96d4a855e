//! End-to-end tests of the `oidc-ureq` token provider (`cached_token`,
//! `session_token`) over the `oidc-host` token cache, against the emulator.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::cache::CachedToken;
use oidc_core::retry::RetryPolicy;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget, IssuedToken};
use oidc_host::{CacheDir, LoginReason, TokenError};
use oidc_ureq::{CancelToken, Client, Config, Error, Session};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const SESSION: &str = "ureq-session";
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

fn setup() -> (Emulator, Client, tempfile::TempDir) {
    let emu = Emulator::start(EmulatorConfig::default().with_interval(1)).expect("emulator");
    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(emu.base_url())
            .with_read_timeout(Duration::from_secs(3))
            .with_call_timeout(Duration::from_secs(5))
            .with_retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(3)
                    .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
            ),
    )
    .expect("client");
    let dir = tempfile::tempdir().expect("temp dir");
    (emu, client, dir)
}

/// A cached token for `issued` that expires in `expires_in`.
fn cached(issued: &IssuedToken, expires_in: Duration) -> CachedToken {
    let now = SystemTime::now();
    CachedToken::new(
        AccessToken::new(issued.access_token.clone()),
        now + expires_in,
    )
    .with_start_url(START_URL)
    .with_region("us-east-1")
    .with_client_id(issued.client_id.clone())
    .with_client_secret(ClientSecret::new(issued.client_secret.clone()))
    .with_registration_expires_at(
        UNIX_EPOCH + Duration::from_secs(issued.client_secret_expires_at as u64),
    )
    .with_refresh_token(RefreshToken::new(issued.refresh_token.clone()))
}

/// Runs `session_token`, approving the device code from the prompt.
fn sign_in(emu: &Emulator, client: &Client, session: &Session) -> Result<CachedToken, Error> {
    let (tx, rx) = mpsc::channel::<String>();
    thread::scope(|s| {
        s.spawn(move || {
            if let Ok(code) = rx.recv_timeout(Duration::from_secs(5)) {
                assert!(emu.approve(&code));
            }
        });
        client.session_token(
            session,
            |prompt| tx.send(prompt.user_code.clone()).expect("approver"),
            &CancelToken::new(),
        )
    })
}

#[test]
fn session_token_signs_in_once_then_serves_the_cache() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let session = Session::new(dir.clone(), SESSION, START_URL).with_scopes(["sso:account:access"]);

    let first = sign_in(&emu, &client, &session).expect("device sign-in");
    assert_eq!(first.start_url.as_deref(), Some(START_URL));
    assert_eq!(first.region.as_deref(), Some("us-east-1"));
    assert!(first.refresh_token.is_some());
    let on_disk = dir
        .read_token(SESSION)
        .expect("read")
        .token
        .expect("written");
    assert_eq!(on_disk.access_token.secret(), first.access_token.secret());

    // Served from the cache: no request at all.
    let before = emu.stats().total;
    let second = client
        .session_token(&session, |_| panic!("no prompt"), &CancelToken::new())
        .expect("cached");
    assert_eq!(second.access_token.secret(), first.access_token.secret());
    let cached = client
        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
        .expect("cached");
    assert_eq!(cached.access_token.secret(), first.access_token.secret());
    assert_eq!(emu.stats().total, before);

    // Signed out: a new sign-in reuses the cached registration.
    dir.remove_token(SESSION).expect("remove");
    sign_in(&emu, &client, &session).expect("second sign-in");
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1, "the registration is reused");
    assert_eq!(stats.start_device_authorization, 2);
}

#[test]
fn cached_token_without_a_token_requires_a_sign_in() {
    let (emu, client, tmp) = setup();
    let err = client
        .cached_token(&CacheDir::new(tmp.path()), SESSION, LOCK_TIMEOUT)
        .expect_err("empty cache");
    assert!(
        matches!(
            err,
            Error::LoginRequired {
                reason: LoginReason::Absent
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("sign-in"), "{err}");
    assert_eq!(emu.stats().total, 0);
}

#[test]
fn cached_token_refreshes_inside_the_window() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let issued = emu.issue_token(&["sso:account:access"]);
    dir.write_token(SESSION, &cached(&issued, Duration::from_secs(120)))
        .expect("write");

    let token = client
        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
        .expect("refreshed");
    assert_ne!(token.access_token.secret(), issued.access_token);
    assert!(token.remaining(SystemTime::now()) > Some(Duration::from_secs(3000)));
    let on_disk = dir
        .read_token(SESSION)
        .expect("read")
        .token
        .expect("written");
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
    assert_eq!(emu.stats().create_token_refresh, 1);
}

#[test]
fn parallel_callers_refresh_once() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let issued = emu.issue_token(&["sso:account:access"]);
    dir.write_token(SESSION, &cached(&issued, Duration::from_secs(60)))
        .expect("write");
    let tokens: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    client
                        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
                        .expect("token")
                        .access_token
                        .secret()
                        .to_owned()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "one new token for all"
    );
    assert_eq!(
        emu.stats().create_token_refresh,
        1,
        "the lock prevents double refreshes"
    );
}

#[test]
fn revoked_refresh_token_ends_the_session() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let issued = emu.issue_token(&["sso:account:access"]);
    dir.write_token(SESSION, &cached(&issued, Duration::from_secs(60)))
        .expect("write");
    assert!(emu.revoke_refresh_token(&issued.refresh_token));
    let err = client
        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
        .expect_err("revoked");
    match &err {
        Error::Token(e @ TokenError::SessionEnded { .. }) => {
            // Still valid for a minute: handed back.
            assert_eq!(
                e.still_valid().map(|t| t.access_token.secret()),
                Some(issued.access_token.as_str())
            );
        }
        other => panic!("expected SessionEnded, got {other:?}"),
    }
    // The old entry is untouched on disk.
    let on_disk = dir.read_token(SESSION).expect("read").token.expect("kept");
    assert_eq!(on_disk.access_token.secret(), issued.access_token);
}

#[test]
fn transient_refresh_failures_keep_the_old_token() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let issued = emu.issue_token(&["sso:account:access"]);
    dir.write_token(SESSION, &cached(&issued, Duration::from_secs(60)))
        .expect("write");
    emu.push_fault(
        FaultRule::new(
            FaultTarget::CreateTokenRefresh,
            FaultKind::status(503, None),
        )
        .times(3),
    );
    let started = Instant::now();
    let err = client
        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
        .expect_err("503 three times");
    assert!(started.elapsed() < Duration::from_secs(3));
    match &err {
        Error::Token(e) => {
            assert!(e.is_transient(), "{e}");
            assert!(e.still_valid().is_some());
        }
        other => panic!("expected RefreshFailed, got {other:?}"),
    }
    assert_eq!(emu.stats().create_token_refresh, 3, "the sender retried");

    // A second call moments later is throttled (one attempt per 30 s): the
    // old token, still valid, is handed out without a request.
    let again = client
        .cached_token(&dir, SESSION, LOCK_TIMEOUT)
        .expect("throttled: the old token");
    assert_eq!(again.access_token.secret(), issued.access_token);
    assert_eq!(emu.stats().create_token_refresh, 3);

    // Dropped connections are transport failures, also transient (a new
    // client has no throttling record yet).
    let fresh = Client::new(client.config().clone()).expect("client");
    emu.push_fault(FaultRule::new(FaultTarget::CreateTokenRefresh, FaultKind::Drop).times(3));
    let session = Session::new(dir.clone(), SESSION, START_URL);
    let err = fresh
        .session_token(&session, |_| panic!("no prompt"), &CancelToken::new())
        .expect_err("dropped connections");
    emu.clear_faults();
    match &err {
        Error::Token(e @ TokenError::RefreshFailed { .. }) => {
            assert!(e.is_transient(), "{e}");
            assert!(e.to_string().contains("did not complete"), "{e}");
        }
        other => panic!("expected RefreshFailed, got {other:?}"),
    }
}

#[test]
fn session_token_signs_in_again_when_the_session_ended() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let issued = emu.issue_token(&["sso:account:access"]);
    dir.write_token(SESSION, &cached(&issued, Duration::from_secs(60)))
        .expect("write");
    assert!(emu.revoke_refresh_token(&issued.refresh_token));
    let session = Session::new(dir.clone(), SESSION, START_URL).with_scopes(["sso:account:access"]);
    let token = sign_in(&emu, &client, &session).expect("signed in again");
    assert_ne!(token.access_token.secret(), issued.access_token);
    let stats = emu.stats();
    assert_eq!(stats.create_token_refresh, 1);
    assert_eq!(stats.start_device_authorization, 1);
    let on_disk = dir
        .read_token(SESSION)
        .expect("read")
        .token
        .expect("written");
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
}

#[test]
fn a_rejected_cached_registration_is_replaced() {
    let (emu, client, tmp) = setup();
    let dir = CacheDir::new(tmp.path());
    let session = Session::new(dir.clone(), SESSION, START_URL);
    // A registration the service has never heard of, valid for a day.
    let key = oidc_host::RegistrationKey::new(START_URL, "us-east-1").with_session_name(SESSION);
    let bogus = oidc_core::cache::CachedRegistration::new(
        "unknown-client",
        ClientSecret::new("unknown-secret"),
        SystemTime::now() + Duration::from_secs(86_400),
    );
    dir.write_registration(&key, &bogus).expect("write");
    sign_in(&emu, &client, &session).expect("signed in with a new registration");
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(
        stats.start_device_authorization, 2,
        "one rejected, one accepted"
    );
    let cached = dir
        .read_registration(&key)
        .expect("read")
        .registration
        .expect("replaced");
    assert_ne!(cached.client_id, "unknown-client");
}
