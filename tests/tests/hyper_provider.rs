//! oidc-hyper's token provider (oidc-host's cache and lock) on tokio
//! against the emulator: sign-in into an empty cache, reuse, refresh,
//! session ended, transient failure, lock waiting that never blocks the
//! executor, and one refresh for many concurrent callers.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_emulator::{Emulator, FaultKind, FaultRule, FaultTarget, IssuedToken};
use oidc_host::{CacheDir, HostError, LoginReason, TokenError};
use oidc_hyper::{CancelToken, Client, Config, Error, Session};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

async fn bounded<F: Future>(limit_secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(limit_secs), fut)
        .await
        .expect("the test did not finish in time")
}

/// A fresh cache directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "oidc-hyper-provider-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        Scratch(path)
    }

    fn dir(&self) -> CacheDir {
        CacheDir::new(&self.0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn client(emu: &Emulator) -> Client {
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_read_timeout(Duration::from_secs(5));
    Client::tokio(config).expect("client")
}

/// A cached token that is inside the refresh window (60 s left) and can be
/// refreshed with the emulator's issued refresh token.
fn expiring(issued: &IssuedToken) -> CachedToken {
    let now = SystemTime::now();
    CachedToken::new(
        AccessToken::new(issued.access_token.clone()),
        now + Duration::from_secs(60),
    )
    .with_start_url(START_URL)
    .with_region("us-east-1")
    .with_client_id(issued.client_id.clone())
    .with_client_secret(ClientSecret::new(issued.client_secret.clone()))
    .with_registration_expires_at(now + Duration::from_secs(86_400))
    .with_refresh_token(RefreshToken::new(issued.refresh_token.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_cache_signs_in_then_the_cache_is_used() {
    let emu = Arc::new(Emulator::start_default().unwrap());
    let client = client(&emu);
    let scratch = Scratch::new();
    let session = Session::new(scratch.dir(), "my-sso", START_URL);
    let prompts = Arc::new(AtomicUsize::new(0));
    let approve = {
        let (emu, prompts) = (Arc::clone(&emu), Arc::clone(&prompts));
        move |p: &oidc_core::Prompt| {
            prompts.fetch_add(1, Ordering::SeqCst);
            assert!(emu.approve(&p.user_code));
        }
    };
    let first = bounded(
        10,
        client.session_token(&session, approve.clone(), &CancelToken::new()),
    )
    .await
    .expect("sign-in");
    assert_eq!(first.start_url.as_deref(), Some(START_URL));
    assert_eq!(first.region.as_deref(), Some("us-east-1"));
    let on_disk = scratch.dir().read_token("my-sso").unwrap().token.unwrap();
    assert_eq!(on_disk.access_token.secret(), first.access_token.secret());

    // Second call: straight from the cache, no network.
    let before = emu.stats().total;
    let second = bounded(
        5,
        client.session_token(&session, approve.clone(), &CancelToken::new()),
    )
    .await
    .unwrap();
    assert_eq!(second.access_token.secret(), first.access_token.secret());
    assert_eq!(emu.stats().total, before);

    // Without the token, a new sign-in reuses the cached registration.
    scratch.dir().remove_token("my-sso").unwrap();
    bounded(
        10,
        client.session_token(&session, approve, &CancelToken::new()),
    )
    .await
    .unwrap();
    assert_eq!(emu.stats().register_client, 1);
    assert_eq!(prompts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_and_written() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let scratch = Scratch::new();
    let issued = emu.issue_token(&["sso:account:access"]);
    scratch
        .dir()
        .write_token("my-sso", &expiring(&issued))
        .unwrap();
    let token = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_secs(5)),
    )
    .await
    .expect("refreshed");
    assert_ne!(token.access_token.secret(), issued.access_token);
    let on_disk = scratch.dir().read_token("my-sso").unwrap().token.unwrap();
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
    assert_eq!(emu.stats().create_token_refresh, 1);
}

#[tokio::test]
async fn no_token_means_login_required_without_a_prompt() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let scratch = Scratch::new();
    let e = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LoginRequired {
                reason: LoginReason::Absent
            }
        ),
        "{e:?}"
    );
    assert_eq!(emu.stats().total, 0);
}

#[tokio::test]
async fn a_revoked_refresh_token_ends_the_session() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let scratch = Scratch::new();
    let issued = emu.issue_token(&["sso:account:access"]);
    scratch
        .dir()
        .write_token("my-sso", &expiring(&issued))
        .unwrap();
    assert!(emu.revoke_refresh_token(&issued.refresh_token));
    let e = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    match &e {
        Error::Token(t @ TokenError::SessionEnded { .. }) => {
            // The old token still has a minute: it comes back for use.
            assert_eq!(
                t.still_valid().map(|t| t.access_token.secret()),
                Some(issued.access_token.as_str())
            );
        }
        other => panic!("expected SessionEnded, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failing_service_is_a_transient_refresh_failure() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(
        FaultRule::new(
            FaultTarget::CreateTokenRefresh,
            FaultKind::status(503, None),
        )
        .times(3),
    );
    let client = client(&emu);
    let scratch = Scratch::new();
    let issued = emu.issue_token(&["sso:account:access"]);
    scratch
        .dir()
        .write_token("my-sso", &expiring(&issued))
        .unwrap();
    let e = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    match &e {
        Error::Token(t @ TokenError::RefreshFailed { transient, .. }) => {
            assert!(*transient, "{t}");
            assert!(t.still_valid().is_some());
        }
        other => panic!("expected RefreshFailed, got {other:?}"),
    }
    // Retried per the policy (3 attempts), and the cache is untouched.
    assert_eq!(emu.stats().create_token_refresh, 3);
    let on_disk = scratch.dir().read_token("my-sso").unwrap().token.unwrap();
    assert_eq!(on_disk.access_token.secret(), issued.access_token);
}

#[tokio::test(flavor = "current_thread")]
async fn waiting_for_the_lock_never_blocks_the_executor() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let scratch = Scratch::new();
    let issued = emu.issue_token(&["sso:account:access"]);
    scratch
        .dir()
        .write_token("my-sso", &expiring(&issued))
        .unwrap();

    // Another "process" holds the lock for the whole wait: timeout.
    let held = scratch.dir().try_lock("my-sso").unwrap().expect("free");
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let ticks = Arc::clone(&ticks);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let started = Instant::now();
    let e = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::Host(HostError::LockTimeout { .. })),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // On a single-threaded runtime, the ticker ran while we waited.
    assert!(ticks.load(Ordering::SeqCst) >= 10, "{ticks:?}");

    // Released during the wait: the call proceeds.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(held);
    });
    let token = bounded(
        5,
        client.cached_token(&scratch.dir(), "my-sso", Duration::from_secs(3)),
    )
    .await
    .expect("token after the lock was released");
    assert_ne!(token.access_token.secret(), issued.access_token);
    release.await.unwrap();
    ticker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_callers_refresh_once() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let scratch = Scratch::new();
    let issued = emu.issue_token(&["sso:account:access"]);
    scratch
        .dir()
        .write_token("my-sso", &expiring(&issued))
        .unwrap();
    let tokens = bounded(10, async {
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let (client, dir) = (client.clone(), scratch.dir());
                tokio::spawn(async move {
                    client
                        .cached_token(&dir, "my-sso", Duration::from_secs(5))
                        .await
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for call in calls {
            tokens.push(call.await.unwrap().expect("token"));
        }
        tokens
    })
    .await;
    let first = tokens[0].access_token.secret().to_owned();
    assert_ne!(first, issued.access_token);
    assert!(tokens.iter().all(|t| t.access_token.secret() == first));
    assert_eq!(emu.stats().create_token_refresh, 1);
}
