//! The session token with a device sign-in (register → start → pending →
//! approve → token → cache) on smol's executor, with no tokio runtime
//! anywhere: connections, timers, waits, connection tasks and the blocking
//! file work all run on smol.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::{DeviceFlowError, TransportErrorKind};
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use oidc_hyper::oidc_host::CacheDir;
use oidc_hyper::{
    CancelToken, Client, Config, Error, RunOptions, Session, SignInMode, SignInPrompt,
};
use oidc_hyper_smol_test::{SmolConnector, SmolExecutor, SmolTimer};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

/// Runs `fut` on smol, failing the test if it takes longer than `limit`.
fn run_bounded<T>(limit: Duration, fut: impl Future<Output = T>) -> T {
    smol::block_on(smol::future::or(async { Some(fut.await) }, async {
        smol::Timer::after(limit).await;
        None
    }))
    .expect("the test did not finish in time")
}

fn client(emu: &Emulator) -> Client {
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_read_timeout(Duration::from_secs(5));
    Client::new(config, SmolConnector, SmolTimer, SmolExecutor).expect("client")
}

/// A scratch cache directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("oidc-smol-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    fn session(&self) -> Session {
        Session::new(CacheDir::new(&self.0), "smol-e2e", START_URL)
            .with_scopes(["sso:account:access"])
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn device_code_session_token_on_smol() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default().with_interval(1)).unwrap());
    let client = client(&emu);
    let scratch = Scratch::new("device");
    let session = scratch.session();
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let token = run_bounded(Duration::from_secs(15), {
        let (emu, prompts, client, session) = (
            Arc::clone(&emu),
            Arc::clone(&prompts),
            client.clone(),
            session.clone(),
        );
        async move {
            client
                .session_token(
                    &session,
                    SignInMode::DeviceCode,
                    move |prompt| {
                        let SignInPrompt::DeviceCode(p) = prompt else {
                            panic!("{prompt:?}");
                        };
                        prompts.lock().unwrap().push(p.user_code.clone());
                        // The user approves in the browser, elsewhere.
                        let (emu, code) = (Arc::clone(&emu), p.user_code.clone());
                        std::thread::spawn(move || assert!(emu.approve(&code)));
                    },
                    &RunOptions::new(),
                )
                .await
        }
    })
    .expect("sign-in");
    assert!(!token.access_token.secret().is_empty());
    assert!(token.refresh_token.is_some());
    assert!(token.client_id.as_deref().unwrap().starts_with("emu"));
    assert_eq!(token.region.as_deref(), Some("us-east-1"));
    assert_eq!(prompts.lock().unwrap().len(), 1);
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(stats.start_device_authorization, 1);
    assert!(stats.create_token_device_code >= 2, "{stats:?}");

    // Written to the cache: the next call needs no network.
    let on_disk = session.dir.read_token("smol-e2e").unwrap().token.unwrap();
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
    emu.reset_stats();
    let again = run_bounded(
        Duration::from_secs(5),
        client.session_token(&session, SignInMode::CachedOnly, |_| {}, &RunOptions::new()),
    )
    .unwrap();
    assert_eq!(again.access_token.secret(), token.access_token.secret());
    let stats = emu.stats();
    assert_eq!(
        stats.register_client + stats.start_device_authorization + stats.create_token_device_code,
        0
    );
}

#[test]
fn a_call_rides_out_a_fault_on_smol() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::status(503, None),
    ));
    let client = client(&emu);
    let before = client.retry_quota_available();
    let out = run_bounded(
        Duration::from_secs(10),
        client.call(&RegisterClientInput::new("smol-tool")),
    )
    .expect("registered after a retry");
    assert!(out.client_id.starts_with("emu"));
    assert_eq!(emu.stats().register_client, 2, "the 503 was retried");
    // The success refunded what the retry took.
    assert_eq!(client.retry_quota_available(), before);
}

#[test]
fn retries_timeouts_and_denial_on_smol() {
    let emu = Arc::new(Emulator::start_default().unwrap());
    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::status(503, None),
    ));
    emu.push_fault(FaultRule::new(
        FaultTarget::StartDeviceAuthorization,
        FaultKind::Delay { ms: 2_000 },
    ));
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_read_timeout(Duration::from_millis(300));
    let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor).unwrap();
    let scratch = Scratch::new("denied");
    let session = scratch.session();
    let result = run_bounded(Duration::from_secs(10), {
        let emu = Arc::clone(&emu);
        async move {
            client
                .session_token(
                    &session,
                    SignInMode::DeviceCode,
                    move |p| {
                        let SignInPrompt::DeviceCode(p) = p else {
                            panic!("{p:?}");
                        };
                        assert!(emu.deny(&p.user_code));
                    },
                    &RunOptions::new(),
                )
                .await
        }
    });
    assert!(
        matches!(result, Err(Error::DeviceFlow(DeviceFlowError::Denied(_)))),
        "{result:?}"
    );
    let stats = emu.stats();
    // The 503 and the timed-out start were both retried on smol's timer.
    assert_eq!(stats.register_client, 2);
    assert_eq!(stats.start_device_authorization, 2);
    assert!(scratch
        .session()
        .dir
        .read_token("smol-e2e")
        .unwrap()
        .token
        .is_none());
}

#[test]
fn cancel_interrupts_a_device_sign_in_on_smol() {
    let emu = Emulator::start(EmulatorConfig::default().with_interval(30)).unwrap();
    let client = client(&emu);
    let scratch = Scratch::new("cancel");
    let session = scratch.session();
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let (result, after_cancel) = run_bounded(Duration::from_secs(5), async move {
        let stop = smol::spawn(async move {
            smol::Timer::after(Duration::from_millis(300)).await;
            canceller.cancel();
            Instant::now()
        });
        let result = client
            .session_token(
                &session,
                SignInMode::DeviceCode,
                |_| {},
                &RunOptions::new().with_cancel(cancel.clone()),
            )
            .await;
        (result, stop.await.elapsed())
    });
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(result.unwrap_err().is_cancelled());
    assert!(
        after_cancel < Duration::from_millis(500),
        "{after_cancel:?}"
    );
    // The session lock was released: another flow can take it at once.
    let lock = scratch.session().dir.try_lock("smol-e2e").unwrap();
    assert!(lock.is_some(), "the cancelled flow left the lock held");
}

#[test]
fn https_targets_are_refused_by_the_plain_connector() {
    // The client resolves the real endpoint; the smol connector refuses TLS
    // with a clear connect error instead of sending anything.
    let config = Config::for_region("us-east-1").with_max_attempts(1);
    let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor).unwrap();
    let e = run_bounded(
        Duration::from_secs(5),
        client.call(&RegisterClientInput::new("x")),
    )
    .unwrap_err();
    let t = e.transport_error().expect("a transport error");
    assert_eq!(t.kind, TransportErrorKind::Connect, "{e:?}");
    assert_eq!(t.operation, "RegisterClient");
    assert!(e.to_string().contains("plain TCP only"), "{e}");
}
