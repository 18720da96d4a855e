//! What is specific to one adapter's concurrency model (the shared
//! behaviour is in `conformance.rs`): 50 device flows in parallel on one
//! client (threads for oidc-ureq, tasks for oidc-hyper), and oidc-hyper's
//! connection pool (reuse, and no reuse of a connection whose answer went
//! past the body cap).

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oidc_core::device_flow::DeviceFlow;
use oidc_core::endpoint::Service;
use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_emulator::{Emulator, FaultKind, FaultRule, FaultTarget, IssuedToken};
use oidc_host::adapter::RunOptions;
use oidc_host::Config;
use oidc_hyper::rt::{BoxFuture, BoxIo, Connector, Target};
use oidc_hyper::tokio::{TokioConnector, TokioExecutor, TokioTimer};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const FLOWS: usize = 50;

fn config(emu: &Emulator) -> Config {
    Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_call_timeout(Duration::from_secs(10))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn start_input(issued: &IssuedToken) -> StartDeviceAuthorizationInput {
    StartDeviceAuthorizationInput::new(
        issued.client_id.clone(),
        ClientSecret::new(issued.client_secret.clone()),
        START_URL,
    )
}

fn check_fifty(emu: &Emulator, started: Instant) {
    let stats = emu.stats();
    assert_eq!(stats.start_device_authorization, FLOWS as u64, "{stats:?}");
    assert_eq!(stats.create_token_device_code, FLOWS as u64, "{stats:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{FLOWS} flows took {:?}",
        started.elapsed()
    );
}

#[test]
fn ureq_fifty_device_flows_on_threads() {
    let emu = Emulator::start_default().expect("emulator");
    let client = oidc_ureq::Client::new(config(&emu)).expect("client");
    let issued = emu.issue_token(&["sso:account:access"]);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..FLOWS {
            s.spawn(|| {
                let start = client.call(&start_input(&issued)).expect("started");
                assert!(emu.approve(&start.user_code));
                let mut flow = DeviceFlow::new(
                    issued.client_id.clone(),
                    ClientSecret::new(issued.client_secret.clone()),
                    start,
                    client.endpoint(Service::SsoOidc).expect("endpoint").clone(),
                    Instant::now(),
                );
                let token = client
                    .run_device_flow(&mut flow, |_| {}, &RunOptions::new())
                    .expect("token");
                assert!(!token.access_token.secret().is_empty());
            });
        }
    });
    check_fifty(&emu, started);
}

#[test]
fn hyper_fifty_device_flows_as_tasks() {
    let emu = Emulator::start_default().expect("emulator");
    let issued = Arc::new(emu.issue_token(&["sso:account:access"]));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = oidc_hyper::Client::tokio(config(&emu)).expect("client");
    let emu = Arc::new(emu);
    let started = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..FLOWS)
            .map(|_| {
                let (client, issued, emu) = (client.clone(), Arc::clone(&issued), Arc::clone(&emu));
                tokio::spawn(async move {
                    let start = client.call(&start_input(&issued)).await.expect("started");
                    assert!(emu.approve(&start.user_code));
                    let mut flow = DeviceFlow::new(
                        issued.client_id.clone(),
                        ClientSecret::new(issued.client_secret.clone()),
                        start,
                        client.endpoint(Service::SsoOidc).expect("endpoint").clone(),
                        Instant::now(),
                    );
                    client
                        .run_device_flow(&mut flow, |_| {}, &RunOptions::new())
                        .await
                        .expect("token")
                })
            })
            .collect();
        let limit = Duration::from_secs(30);
        for task in tasks {
            let token = tokio::time::timeout(limit, task)
                .await
                .expect("bounded")
                .expect("task");
            assert!(!token.access_token.secret().is_empty());
        }
    });
    check_fifty(&emu, started);
}

/// Counts the connections it opens, delegating to tokio's connector.
struct Counting {
    inner: TokioConnector,
    opened: Arc<AtomicUsize>,
}

impl Connector for Counting {
    fn connect<'a>(&'a self, target: &'a Target) -> BoxFuture<'a, std::io::Result<BoxIo>> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        self.inner.connect(target)
    }
}

#[test]
fn hyper_pool_reuses_one_connection_and_drops_an_oversized_one() {
    let emu = Emulator::start_default().expect("emulator");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let opened = Arc::new(AtomicUsize::new(0));
    let connector = Counting {
        inner: TokioConnector::new().expect("connector"),
        opened: Arc::clone(&opened),
    };
    let client = oidc_hyper::Client::new(config(&emu), connector, TokioTimer, TokioExecutor)
        .expect("client");
    let input = RegisterClientInput::new("pool");
    rt.block_on(async {
        for _ in 0..5 {
            client.call(&input).await.expect("registered");
        }
        assert_eq!(opened.load(Ordering::SeqCst), 1);
        assert_eq!(client.idle_connections(), 1);

        // An answer past the body cap is never read to its end: its
        // connection is not pooled again.
        emu.push_fault(FaultRule::new(
            FaultTarget::RegisterClient,
            FaultKind::Oversized { bytes: 2_000_000 },
        ));
        assert!(client.call(&input).await.is_err());
        assert_eq!(client.idle_connections(), 0);
        client.call(&input).await.expect("registered");
        assert_eq!(opened.load(Ordering::SeqCst), 2);
    });
}
