//! oidc-hyper's device-flow driver on tokio against the emulator: pending,
//! slow_down, approve, deny, expiry (service and local), cancel, and 50
//! flows in parallel on one client.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::{DeviceFlowError, ErrorCode};
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use oidc_hyper::{CancelToken, Client, Config, Error};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

async fn bounded<F: Future>(limit_secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(limit_secs), fut)
        .await
        .expect("the test did not finish in time")
}

fn client(emu: &Emulator) -> Client {
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_connect_timeout(Duration::from_secs(2))
        .with_read_timeout(Duration::from_secs(5));
    Client::tokio(config).expect("client")
}

async fn register(client: &Client) -> RegisterClientOutput {
    client
        .register_client(&RegisterClientInput::new("hyper-e2e"))
        .await
        .expect("RegisterClient")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_then_approved_yields_a_token() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default().with_interval(1)).unwrap());
    let client = client(&emu);
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let token = bounded(10, async {
        let registration = register(&client).await;
        let (emu2, seen) = (Arc::clone(&emu), Arc::clone(&prompts));
        client
            .device_sign_in(
                &registration,
                START_URL,
                move |prompt| {
                    seen.lock().unwrap().push(prompt.user_code.clone());
                    assert!(prompt.verification_uri.starts_with(&emu2.base_url()));
                    assert!(
                        emu2.approve(&prompt.user_code),
                        "approve {}",
                        prompt.user_code
                    );
                },
                &CancelToken::new(),
            )
            .await
    })
    .await
    .expect("device flow");
    assert!(token.access_token.secret().len() > 10);
    assert_eq!(token.expires_in, 3600);
    assert_eq!(
        prompts.lock().unwrap().len(),
        1,
        "the prompt is shown exactly once"
    );
    let stats = emu.stats();
    assert_eq!(stats.start_device_authorization, 1);
    // The first poll is sent at once (pending), the second after approval.
    assert_eq!(stats.create_token_device_code, 2);
    // All calls reused one connection, which is back in the pool.
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default().with_interval(1)).unwrap());
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenDeviceCode,
        FaultKind::status(400, Some("SlowDownException")),
    ));
    let client = client(&emu);
    let approved_at = Arc::new(Mutex::new(None));
    let token = bounded(15, async {
        let registration = register(&client).await;
        let (emu2, at) = (Arc::clone(&emu), Arc::clone(&approved_at));
        client
            .device_sign_in(
                &registration,
                START_URL,
                move |prompt| {
                    *at.lock().unwrap() = Some(Instant::now());
                    assert!(emu2.approve(&prompt.user_code));
                },
                &CancelToken::new(),
            )
            .await
    })
    .await;
    assert!(token.is_ok(), "{token:?}");
    let waited = approved_at.lock().unwrap().unwrap().elapsed();
    // interval 1 s + slow_down 5 s before the next poll.
    assert!(
        waited >= Duration::from_secs(6),
        "polled again after {waited:?}"
    );
    assert_eq!(emu.stats().create_token_device_code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_is_a_typed_outcome() {
    let emu = Arc::new(Emulator::start_default().unwrap());
    let client = client(&emu);
    let result = bounded(10, async {
        let registration = register(&client).await;
        let emu2 = Arc::clone(&emu);
        client
            .device_sign_in(
                &registration,
                START_URL,
                move |p| assert!(emu2.deny(&p.user_code)),
                &CancelToken::new(),
            )
            .await
    })
    .await;
    match result {
        Err(Error::DeviceFlow(DeviceFlowError::Denied(e))) => {
            assert_eq!(e.code, ErrorCode::AccessDenied);
            assert_eq!(e.status, 400);
            assert!(e.request_id.is_some());
        }
        other => panic!("expected Denied, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_reported_by_the_service() {
    let emu = Arc::new(Emulator::start_default().unwrap());
    let client = client(&emu);
    let result = bounded(10, async {
        let registration = register(&client).await;
        let emu2 = Arc::clone(&emu);
        client
            .device_sign_in(
                &registration,
                START_URL,
                // The user walks away; the service's clock passes the expiry.
                move |_| emu2.advance(Duration::from_secs(601)),
                &CancelToken::new(),
            )
            .await
    })
    .await;
    match result {
        Err(Error::DeviceFlow(DeviceFlowError::Expired { service: Some(e) })) => {
            assert_eq!(e.code, ErrorCode::ExpiredToken)
        }
        other => panic!("expected Expired from the service, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_at_the_local_deadline() {
    // A 2 s code that nobody approves: the flow ends by itself.
    let emu = Emulator::start(EmulatorConfig::default().with_device_code_expires_in(2)).unwrap();
    let client = client(&emu);
    let started = Instant::now();
    let result = bounded(10, async {
        let registration = register(&client).await;
        client
            .device_sign_in(&registration, START_URL, |_| {}, &CancelToken::new())
            .await
    })
    .await;
    assert!(
        matches!(
            result,
            Err(Error::DeviceFlow(DeviceFlowError::Expired { .. }))
        ),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_interrupts_the_wait_promptly() {
    // A 30 s interval: without cancellation the flow would sleep 30 s.
    let emu = Emulator::start(EmulatorConfig::default().with_interval(30)).unwrap();
    let client = client(&emu);
    let cancel = CancelToken::new();
    let registration = bounded(5, register(&client)).await;
    let flow = {
        let (client, cancel) = (client.clone(), cancel.clone());
        tokio::spawn(async move {
            client
                .device_sign_in(&registration, START_URL, |_| {}, &cancel)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = bounded(2, flow).await.expect("task");
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(
        cancelled_at.elapsed() < Duration::from_millis(500),
        "returned {:?} after cancel",
        cancelled_at.elapsed()
    );
    assert_eq!(emu.stats().create_token_device_code, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_flows_in_parallel() {
    let emu = Arc::new(Emulator::start(EmulatorConfig::default().with_interval(1)).unwrap());
    let client = client(&emu);
    let tokens = bounded(15, async {
        let registration = Arc::new(register(&client).await);
        let flows: Vec<_> = (0..50)
            .map(|_| {
                let (client, emu, registration) =
                    (client.clone(), Arc::clone(&emu), Arc::clone(&registration));
                tokio::spawn(async move {
                    client
                        .device_sign_in(
                            &registration,
                            START_URL,
                            move |p| assert!(emu.approve(&p.user_code)),
                            &CancelToken::new(),
                        )
                        .await
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for flow in flows {
            tokens.push(flow.await.expect("task").expect("flow"));
        }
        tokens
    })
    .await;
    let mut distinct: Vec<&str> = tokens.iter().map(|t| t.access_token.secret()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 50);
    let stats = emu.stats();
    assert_eq!(stats.start_device_authorization, 50);
    assert_eq!(stats.create_token_device_code, 100);
    // Connections were pooled, within the per-host cap.
    assert!(client.idle_connections() <= client.config().max_idle_per_host);
}
