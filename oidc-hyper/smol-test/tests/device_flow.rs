//! The full device flow (register → start → pending → approve → token) on
//! smol's executor, with no tokio runtime anywhere: connections, timers,
//! waits and connection tasks all run on smol.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oidc_core::DeviceFlowError;
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use oidc_hyper::{CancelToken, Client, Config, Error};
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

#[test]
fn full_device_flow_on_smol() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default().with_interval(1)).unwrap());
    let client = client(&emu);
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let signed_in = run_bounded(Duration::from_secs(15), {
        let (emu, prompts) = (Arc::clone(&emu), Arc::clone(&prompts));
        async move {
            client
                .sign_in(
                    "smol-e2e",
                    START_URL,
                    &["sso:account:access"],
                    move |prompt| {
                        prompts.lock().unwrap().push(prompt.user_code.clone());
                        assert!(emu.approve(&prompt.user_code));
                    },
                    &CancelToken::new(),
                )
                .await
        }
    })
    .expect("sign-in");
    assert!(!signed_in.token.access_token.secret().is_empty());
    assert!(signed_in.token.refresh_token.is_some());
    assert!(signed_in.registration.client_id.starts_with("emu"));
    assert_eq!(prompts.lock().unwrap().len(), 1);
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(stats.start_device_authorization, 1);
    // Pending once (the first poll goes out at once), then the token.
    assert_eq!(stats.create_token_device_code, 2);
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
    let result = run_bounded(Duration::from_secs(10), {
        let emu = Arc::clone(&emu);
        async move {
            client
                .sign_in(
                    "smol-e2e",
                    START_URL,
                    &[],
                    move |p| assert!(emu.deny(&p.user_code)),
                    &CancelToken::new(),
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
}

#[test]
fn cancel_interrupts_a_wait_on_smol() {
    let emu = Emulator::start(EmulatorConfig::default().with_interval(30)).unwrap();
    let client = client(&emu);
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let (result, after_cancel) = run_bounded(Duration::from_secs(5), async move {
        let stop = smol::spawn(async move {
            smol::Timer::after(Duration::from_millis(300)).await;
            canceller.cancel();
            Instant::now()
        });
        let result = client
            .sign_in("smol-e2e", START_URL, &[], |_| {}, &cancel)
            .await;
        (result, stop.await.elapsed())
    });
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(
        after_cancel < Duration::from_millis(500),
        "{after_cancel:?}"
    );
}

#[test]
fn https_targets_are_refused_by_the_plain_connector() {
    // The client resolves the real endpoint; the smol connector refuses TLS
    // with a clear connect error instead of sending anything.
    let config = Config::for_region("us-east-1").with_max_attempts(1);
    let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor).unwrap();
    let e = run_bounded(
        Duration::from_secs(5),
        client
            .register_client(&oidc_core::sso_oidc::register_client::RegisterClientInput::new("x")),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: oidc_hyper::TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("plain TCP only"), "{e}");
}
