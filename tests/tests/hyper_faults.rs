//! oidc-hyper against the emulator on tokio: service error codes, refresh,
//! injected faults (5xx/429 recovery, delays and timeouts, oversized,
//! malformed, truncated, HTML, dropped connections), the HTTPS rule and
//! connection reuse. Every test is bounded; none hangs.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oidc_core::secret::{ClientSecret, RefreshToken};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, Grant};
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::{ErrorCode, ParseErrorKind};
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use oidc_hyper::rt::{BoxFuture, BoxIo, Connector, Target};
use oidc_hyper::tokio::{TokioConnector, TokioExecutor, TokioTimer};
use oidc_hyper::{CancelToken, Client, Config, Error, TimeoutPhase, TransportKind};

async fn bounded<F: Future>(limit_secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(limit_secs), fut)
        .await
        .expect("the test did not finish in time")
}

fn config(emu: &Emulator) -> Config {
    Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_connect_timeout(Duration::from_secs(2))
        .with_read_timeout(Duration::from_secs(3))
}

fn client(emu: &Emulator) -> Client {
    Client::tokio(config(emu)).expect("client")
}

fn register_input() -> RegisterClientInput {
    RegisterClientInput::new("hyper-faults")
}

fn fault(kind: FaultKind, times: u32) -> FaultRule {
    FaultRule::new(FaultTarget::RegisterClient, kind).times(times)
}

#[tokio::test]
async fn service_error_codes_carry_status_code_and_request_id() {
    let emu = Emulator::start(EmulatorConfig::default().with_invalid_scope("bad:scope")).unwrap();
    let client = client(&emu);
    bounded(10, async {
        // Unknown client: InvalidClientException, HTTP 401.
        let input = CreateTokenInput::new(
            "no-such-client",
            ClientSecret::new("nope"),
            Grant::RefreshToken {
                refresh_token: RefreshToken::new("aorAAAA-nope"),
            },
        );
        let e = client.create_token(&input).await.unwrap_err();
        let service = e.service_error().expect("a service error");
        assert_eq!(
            (service.status, &service.code),
            (401, &ErrorCode::InvalidClient)
        );
        assert!(service.request_id.is_some());
        assert_eq!(e.status(), Some(401));

        // A scope the service rejects.
        let e = client
            .register_client(&register_input().with_scopes(["bad:scope"]))
            .await
            .unwrap_err();
        assert_eq!(
            e.service_error().map(|s| &s.code),
            Some(&ErrorCode::InvalidScope),
            "{e}"
        );
        // Not retryable: sent once.
        assert_eq!(emu.stats().register_client, 1);
    })
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_revoked_token_is_invalid_grant() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let issued = emu.issue_token(&["sso:account:access"]);
    bounded(10, async {
        let input = CreateTokenInput::new(
            issued.client_id.clone(),
            ClientSecret::new(issued.client_secret.clone()),
            Grant::RefreshToken {
                refresh_token: RefreshToken::new(issued.refresh_token.clone()),
            },
        );
        let token = client.create_token(&input).await.expect("refresh");
        assert_ne!(token.access_token.secret(), issued.access_token);
        assert!(token.expires_in > 0);

        assert!(emu.revoke_refresh_token(&issued.refresh_token) || token.refresh_token.is_some());
        let input = CreateTokenInput::new(
            issued.client_id.clone(),
            ClientSecret::new(issued.client_secret.clone()),
            Grant::RefreshToken {
                refresh_token: RefreshToken::new("aorAAAA-never-issued"),
            },
        );
        let e = client.create_token(&input).await.unwrap_err();
        assert_eq!(
            e.service_error().map(|s| &s.code),
            Some(&ErrorCode::InvalidGrant),
            "{e}"
        );
    })
    .await;
    assert_eq!(emu.stats().create_token_refresh, 2);
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_until_success() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(fault(
        FaultKind::status(500, Some("InternalServerException")),
        1,
    ));
    emu.push_fault(fault(
        FaultKind::status(429, Some("ThrottlingException")),
        1,
    ));
    let client = client(&emu);
    let quota_before = client.retry_quota_available();
    let out = bounded(10, client.register_client(&register_input())).await;
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(emu.stats().register_client, 3);
    // Two retries took 5 each; the success gave them back.
    assert_eq!(client.retry_quota_available(), quota_before);
}

#[tokio::test]
async fn persistent_503_gives_up_after_max_attempts() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(fault(FaultKind::status(503, None), 10));
    let client = Client::tokio(config(&emu).with_max_attempts(3)).unwrap();
    let e = bounded(10, client.register_client(&register_input()))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert_eq!(emu.stats().register_client, 3);
}

#[tokio::test]
async fn a_delay_past_the_read_timeout_times_out_and_is_retried() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(fault(FaultKind::Delay { ms: 3_000 }, 1));
    let cfg = config(&emu).with_read_timeout(Duration::from_millis(300));
    // One attempt: the timeout is the answer, quickly.
    let client = Client::tokio(cfg.clone().with_max_attempts(1)).unwrap();
    let started = Instant::now();
    let e = bounded(5, client.register_client(&register_input()))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Timeout { phase: TimeoutPhase::Read, after, .. } if after == Duration::from_millis(300)),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // Two attempts: the second one (no delay) succeeds.
    emu.push_fault(fault(FaultKind::Delay { ms: 3_000 }, 1));
    let client = Client::tokio(cfg.with_max_attempts(2)).unwrap();
    let out = bounded(5, client.register_client(&register_input())).await;
    assert!(out.is_ok(), "{out:?}");
}

#[tokio::test]
async fn an_oversized_body_is_a_typed_error_not_buffered() {
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(fault(FaultKind::Oversized { bytes: 4_000_000 }, 1));
    let client = client(&emu);
    let e = bounded(10, client.register_client(&register_input()))
        .await
        .unwrap_err();
    match e {
        Error::BodyTooLarge { status, limit, .. } => {
            assert_eq!((status, limit), (200, 1024 * 1024))
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    // Not retried.
    assert_eq!(emu.stats().register_client, 1);

    // A small cap applies to ordinary answers too.
    let small = Client::tokio(config(&emu).with_max_body_bytes(64)).unwrap();
    let e = bounded(10, small.register_client(&register_input()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit: 64, .. }), "{e:?}");
}

#[tokio::test]
async fn empty_and_wrong_shape_bodies_are_parse_errors_not_retried() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    for (kind, what) in [
        (FaultKind::Empty, "empty"),
        (FaultKind::WrongShape, "wrong shape"),
    ] {
        emu.push_fault(fault(kind, 1));
        let out = bounded(10, client.register_client(&register_input())).await;
        let Err(Error::Core(oidc_core::Error::Parse(p))) = &out else {
            panic!("{what}: expected a parse error, got {out:?}");
        };
        assert_eq!(p.status, 200);
        let ok = match what {
            "empty" => matches!(p.kind, ParseErrorKind::EmptyBody),
            _ => matches!(
                p.kind,
                ParseErrorKind::WrongShape { .. } | ParseErrorKind::MissingMember { .. }
            ),
        };
        assert!(ok, "{what}: {p}");
    }
    // Parse errors of a complete 2xx body are not retried.
    assert_eq!(emu.stats().register_client, 2);
}

#[tokio::test]
async fn a_malformed_body_is_a_typed_parse_error_and_not_retried() {
    // The emulator's "malformed" body is complete but not JSON: retrying
    // cannot help, so it is reported at once.
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    emu.push_fault(fault(FaultKind::Malformed, 1));
    let out = bounded(10, client.register_client(&register_input())).await;
    let Err(Error::Core(oidc_core::Error::Parse(p))) = &out else {
        panic!("expected a parse error, got {out:?}");
    };
    assert!(matches!(p.kind, ParseErrorKind::NotJson { .. }), "{p}");
    assert_eq!(p.status, 200);
    assert_eq!(emu.stats().register_client, 1);
}

#[tokio::test]
async fn html_gateway_errors_are_retried_then_a_typed_parse_error() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    emu.push_fault(fault(FaultKind::Html, 1));
    assert!(bounded(10, client.register_client(&register_input()))
        .await
        .is_ok());

    emu.push_fault(fault(FaultKind::Html, 3));
    let e = bounded(10, client.register_client(&register_input()))
        .await
        .unwrap_err();
    match &e {
        Error::Core(oidc_core::Error::Parse(p)) => {
            assert_eq!(p.status, 502);
            assert!(
                matches!(
                    p.kind,
                    ParseErrorKind::NotJson {
                        looks_like_html: true,
                        ..
                    }
                ),
                "{p}"
            );
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_and_dropped_responses_are_retried_then_transport_errors() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    for kind in [FaultKind::Truncated, FaultKind::Drop] {
        emu.push_fault(fault(kind.clone(), 1));
        let out = bounded(10, client.register_client(&register_input())).await;
        assert!(out.is_ok(), "{kind:?} once: {out:?}");

        emu.push_fault(fault(kind.clone(), 3));
        let e = bounded(10, client.register_client(&register_input()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Transport {
                    kind: TransportKind::Exchange,
                    ..
                }
            ),
            "{kind:?}: {e:?}"
        );
        emu.clear_faults();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_flow_rides_out_a_dropped_poll() {
    let emu = Arc::new(Emulator::start_default().unwrap());
    let client = client(&emu);
    let token = bounded(10, async {
        let registration = client.register_client(&register_input()).await.unwrap();
        emu.push_fault(
            FaultRule::new(FaultTarget::CreateTokenDeviceCode, FaultKind::Drop).times(3),
        );
        emu.push_fault(FaultRule::new(
            FaultTarget::CreateTokenDeviceCode,
            FaultKind::status(503, None),
        ));
        let emu2 = Arc::clone(&emu);
        client
            .device_sign_in(
                &registration,
                "https://d-1234567890.awsapps.com/start",
                move |p| assert!(emu2.approve(&p.user_code)),
                &CancelToken::new(),
            )
            .await
    })
    .await;
    assert!(token.is_ok(), "{token:?}");
}

#[tokio::test]
async fn plain_http_is_refused_except_to_loopback() {
    let remote = Config::for_region("us-east-1").with_endpoint_url("http://oidc.example.com");
    assert!(matches!(
        Client::tokio(remote.clone()),
        Err(Error::InsecureEndpoint { .. })
    ));
    assert!(Client::tokio(remote.with_insecure_http(true)).is_ok());
    assert!(Client::tokio(Config::for_region("us-east-1")).is_ok());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_after_retries() {
    // Bind then drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = Config::for_region("us-east-1")
        .with_endpoint_url(format!("http://127.0.0.1:{port}"))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(10));
    let client = Client::tokio(cfg).unwrap();
    let e = bounded(10, client.register_client(&register_input()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
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

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let emu = Emulator::start_default().unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let connector = Counting {
        inner: TokioConnector::new().unwrap(),
        opened: Arc::clone(&opened),
    };
    let client = Client::new(config(&emu), connector, TokioTimer, TokioExecutor).unwrap();
    bounded(10, async {
        for _ in 0..5 {
            client.register_client(&register_input()).await.unwrap();
        }
    })
    .await;
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert_eq!(client.idle_connections(), 1);

    // An oversized answer poisons its connection: it is not pooled again.
    emu.push_fault(fault(FaultKind::Oversized { bytes: 2_000_000 }, 1));
    assert!(bounded(10, client.register_client(&register_input()))
        .await
        .is_err());
    assert_eq!(client.idle_connections(), 0);
    bounded(10, client.register_client(&register_input()))
        .await
        .unwrap();
    assert_eq!(opened.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn create_token_with_iam_signs_every_attempt() {
    use oidc_core::secret::Assertion;
    use oidc_core::sso_oidc::create_token_with_iam::{CreateTokenWithIamInput, IamGrant};

    let emu = Emulator::start_default().unwrap();
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenWithIam,
        FaultKind::status(500, Some("InternalServerException")),
    ));
    let client = client(&emu);
    let input = CreateTokenWithIamInput::new(
        "arn:aws:sso::123456789012:application/ssoins-1/apl-1",
        IamGrant::JwtBearer {
            assertion: Assertion::new("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        },
    );
    let signed = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&signed);
    let out = bounded(
        10,
        client.create_token_with_iam(&input, move |request| {
            count.fetch_add(1, Ordering::SeqCst);
            let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sso-oauth/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
            request
                .headers_mut()
                .insert("authorization", value.parse().unwrap());
            Ok(())
        }),
    )
    .await
    .expect("CreateTokenWithIAM");
    assert!(!out.access_token.secret().is_empty());
    // The 500 was retried, and the retry was signed afresh.
    assert_eq!(signed.load(Ordering::SeqCst), 2);

    // Unsigned: the service refuses it.
    let e = bounded(10, client.create_token_with_iam(&input, |_| Ok(())))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403), "{e}");

    // A failing signer is reported as such; nothing is sent.
    let before = emu.stats().create_token_with_iam;
    let e = bounded(
        10,
        client.create_token_with_iam(&input, |_| Err("no credentials".into())),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Signing { .. }), "{e:?}");
    assert_eq!(emu.stats().create_token_with_iam, before);
}
