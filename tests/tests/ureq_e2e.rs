//! End-to-end tests of `oidc-ureq` against the local emulator: the device
//! flow, refresh, authorization code + PKCE, every error code, every fault
//! kind, the HTTPS rule, cancellation and 50 parallel flows.
//!
//! Every test is bounded: short client timeouts, fast retry back-off, and
//! bounded waits for the approver threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use oidc_core::device_flow::DeviceFlowError;
use oidc_core::pkce::RedirectError;
use oidc_core::retry::RetryPolicy;
use oidc_core::secret::{ClientSecret, RefreshToken};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, Grant};
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_core::sso_oidc::GrantType;
use oidc_core::{ErrorCode, Operation, ParseErrorKind};
use oidc_emulator::{AuthorizeMode, Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use oidc_ureq::{CancelToken, Client, Config, Error};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const SCOPES: &[&str] = &["sso:account:access"];

fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).expect("the emulator starts on 127.0.0.1")
}

/// Short timeouts and a fast back-off so faults resolve in milliseconds.
fn config_for(emu: &Emulator) -> Config {
    Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_connect_timeout(Duration::from_secs(2))
        .with_read_timeout(Duration::from_secs(3))
        .with_call_timeout(Duration::from_secs(5))
        .with_retry_policy(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
}

fn client_for(emu: &Emulator) -> Client {
    Client::new(config_for(emu)).expect("client for the emulator")
}

/// Polls `condition` every few milliseconds for at most `limit`.
fn wait_for(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    condition()
}

fn refresh_input(client_id: &str, client_secret: &str, refresh_token: &str) -> CreateTokenInput {
    CreateTokenInput::new(
        client_id,
        ClientSecret::new(client_secret),
        Grant::RefreshToken {
            refresh_token: RefreshToken::new(refresh_token),
        },
    )
}

/// Runs a device sign-in while `approver` (given the user code from the
/// prompt) acts on the emulator. Returns the outcome and the prompt count.
fn sign_in_with(
    emu: &Emulator,
    client: &Client,
    approver: impl FnOnce(&Emulator, String) + Send,
) -> (Result<oidc_ureq::SignIn, Error>, usize) {
    let (tx, rx) = mpsc::channel::<String>();
    let prompts = AtomicUsize::new(0);
    let outcome = thread::scope(|s| {
        s.spawn(move || {
            if let Ok(code) = rx.recv_timeout(Duration::from_secs(5)) {
                approver(emu, code);
            }
        });
        let outcome = client.sign_in(
            "ureq-e2e",
            START_URL,
            SCOPES,
            |prompt| {
                prompts.fetch_add(1, Ordering::SeqCst);
                assert!(prompt.verification_uri.starts_with(&emu.base_url()));
                tx.send(prompt.user_code.clone()).expect("approver listens");
            },
            &CancelToken::new(),
        );
        drop(tx);
        outcome
    });
    (outcome, prompts.load(Ordering::SeqCst))
}

#[test]
fn device_flow_pending_several_times_then_approved() {
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = client_for(&emu);
    let (outcome, prompts) = sign_in_with(&emu, &client, |emu, code| {
        assert!(wait_for(Duration::from_secs(8), || emu
            .stats()
            .create_token_device_code
            >= 3));
        assert!(emu.approve(&code));
    });
    let signed_in = outcome.expect("approved sign-in");
    assert_eq!(prompts, 1, "the prompt is shown exactly once");
    assert!(!signed_in.token.access_token.secret().is_empty());
    assert!(signed_in.token.refresh_token.is_some());
    assert_eq!(signed_in.token.expires_in, 3600);
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(stats.start_device_authorization, 1);
    assert!(stats.create_token_device_code >= 4, "{stats:?}");
    // The registration carried the device-flow grants and the start URL.
    let registered = &emu.clients()[0];
    assert_eq!(registered.issuer_url.as_deref(), Some(START_URL));
    assert!(registered
        .grant_types
        .contains(&GrantType::DeviceCode.as_str().to_owned()));
}

#[test]
fn device_flow_slow_down_adds_five_seconds() {
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = client_for(&emu);
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenDeviceCode,
        FaultKind::status(400, Some("SlowDownException")),
    ));
    let started = Instant::now();
    let (outcome, _) = sign_in_with(&emu, &client, |emu, code| {
        assert!(emu.approve(&code));
    });
    outcome.expect("approved after slow_down");
    // First poll at once (slow_down), the next one 1 s + 5 s later.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(6), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(9), "{elapsed:?}");
    assert_eq!(emu.stats().create_token_device_code, 2);
}

#[test]
fn device_flow_denied() {
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = client_for(&emu);
    let (outcome, _) = sign_in_with(&emu, &client, |emu, code| {
        assert!(emu.deny(&code));
    });
    let err = outcome.expect_err("denied");
    match &err {
        Error::DeviceFlow(DeviceFlowError::Denied(e)) => {
            assert_eq!(e.code, ErrorCode::AccessDenied);
            assert_eq!(e.status, 400);
            assert!(e.request_id.is_some());
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert!(err.to_string().contains("denied"), "{err}");
}

#[test]
fn device_flow_expired_by_the_service() {
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = client_for(&emu);
    let (outcome, _) = sign_in_with(&emu, &client, |emu, _code| {
        // Past the device code's 600 s on the emulator clock: no sleeping.
        emu.advance(Duration::from_secs(601));
    });
    match outcome.expect_err("expired") {
        Error::DeviceFlow(DeviceFlowError::Expired { service: Some(e) }) => {
            assert_eq!(e.code, ErrorCode::ExpiredToken);
        }
        other => panic!("expected Expired from the service, got {other:?}"),
    }
}

#[test]
fn device_flow_expires_at_the_local_deadline() {
    let emu = emulator(
        EmulatorConfig::default()
            .with_interval(1)
            .with_device_code_expires_in(2),
    );
    let client = client_for(&emu);
    let started = Instant::now();
    let (outcome, _) = sign_in_with(&emu, &client, |_, _| {});
    assert!(
        matches!(
            outcome,
            Err(Error::DeviceFlow(DeviceFlowError::Expired { .. }))
        ),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn refresh_and_revoked_refresh_token() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let issued = emu.issue_token(SCOPES);
    let input = refresh_input(
        &issued.client_id,
        &issued.client_secret,
        &issued.refresh_token,
    );
    let refreshed = client.create_token(&input).expect("refresh");
    assert_ne!(refreshed.access_token.secret(), issued.access_token);
    assert_eq!(emu.stats().create_token_refresh, 1);

    let current = refreshed
        .refresh_token
        .as_ref()
        .map_or(issued.refresh_token.clone(), |t| t.secret().to_owned());
    assert!(emu.revoke_refresh_token(&current));
    let input = refresh_input(&issued.client_id, &issued.client_secret, &current);
    let err = client.create_token(&input).expect_err("revoked");
    assert_eq!(err.code(), Some(&ErrorCode::InvalidGrant));
    let core = err.core().expect("a service error");
    assert_eq!(core.status(), Some(400));
    assert!(core.request_id().is_some());
    // Not retried: InvalidGrant cannot heal.
    assert_eq!(emu.stats().create_token_refresh, 2);
}

/// The browser: follows the emulator's redirect to the loopback listener
/// by hand. Returns the listener's status and page.
fn browse(authorize_url: &str, edit_location: impl FnOnce(String) -> String) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let response = agent.get(authorize_url).call().expect("GET /authorize");
    assert!(
        response.status().is_redirection(),
        "authorize answered {}",
        response.status()
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned();
    // Like a real browser, ask for a favicon first: it must be ignored.
    let origin = location
        .split("/oauth/callback")
        .next()
        .expect("a callback URL")
        .to_owned();
    let favicon = agent
        .get(format!("{origin}/favicon.ico"))
        .call()
        .expect("favicon");
    assert_eq!(favicon.status(), 404);
    let mut page = agent
        .get(edit_location(location))
        .call()
        .expect("GET the redirect");
    let status = page.status().as_u16();
    (status, page.body_mut().read_to_string().expect("a page"))
}

#[test]
fn pkce_login_round_trip() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let registration = client
        .register_for_authorization_code("ureq-pkce", START_URL, &[])
        .expect("register");
    let login = client
        .begin_authorization_code(
            registration.client_id.clone(),
            registration.client_secret.clone(),
            &[],
        )
        .expect("listener");
    assert!(login.redirect_uri().starts_with("http://127.0.0.1:"));
    let url = login.authorize_url().to_owned();
    assert!(url.starts_with(&format!("{}/authorize?response_type=code&", emu.base_url())));
    let (token, (status, page)) = thread::scope(|s| {
        let browser = s.spawn(|| browse(&url, |l| l));
        let token = login.finish(Duration::from_secs(10), &CancelToken::new());
        (token, browser.join().expect("browser thread"))
    });
    let token = token.expect("token");
    assert!(!token.access_token.secret().is_empty());
    assert!(token.refresh_token.is_some());
    assert_eq!(status, 200);
    assert!(page.contains("Signed in"), "{page}");
    assert_eq!(emu.stats().create_token_authorization_code, 1);
}

#[test]
fn pkce_login_denied_by_the_server() {
    let emu = emulator(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny));
    let client = client_for(&emu);
    let registration = client
        .register_for_authorization_code("ureq-pkce", START_URL, &[])
        .expect("register");
    let login = client
        .begin_authorization_code(registration.client_id, registration.client_secret, &[])
        .expect("listener");
    let url = login.authorize_url().to_owned();
    let (outcome, (status, page)) = thread::scope(|s| {
        let browser = s.spawn(|| browse(&url, |l| l));
        let outcome = login.finish(Duration::from_secs(10), &CancelToken::new());
        (outcome, browser.join().expect("browser thread"))
    });
    match outcome.expect_err("denied") {
        Error::Pkce(RedirectError::Authorization { error, .. }) => {
            assert_eq!(error, "access_denied")
        }
        other => panic!("expected an authorization error, got {other:?}"),
    }
    assert_eq!(status, 400);
    assert!(page.contains("failed"), "{page}");
    assert_eq!(emu.stats().create_token_authorization_code, 0);
}

#[test]
fn pkce_login_rejects_a_forged_state() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let registration = client
        .register_for_authorization_code("ureq-pkce", START_URL, &[])
        .expect("register");
    let login = client
        .begin_authorization_code(registration.client_id, registration.client_secret, &[])
        .expect("listener");
    let url = login.authorize_url().to_owned();
    let forge = |location: String| {
        let (before, _) = location.split_once("state=").expect("a state");
        let rest = location.split_once("state=").expect("a state").1;
        let after = rest.split_once('&').map(|(_, a)| a).unwrap_or("");
        format!("{before}state=00000000-0000-4000-8000-000000000000&{after}")
    };
    let (outcome, (status, _)) = thread::scope(|s| {
        let browser = s.spawn(|| browse(&url, forge));
        let outcome = login.finish(Duration::from_secs(10), &CancelToken::new());
        (outcome, browser.join().expect("browser thread"))
    });
    assert!(
        matches!(outcome, Err(Error::Pkce(RedirectError::StateMismatch))),
        "{outcome:?}"
    );
    assert_eq!(status, 400);
    assert_eq!(emu.stats().create_token_authorization_code, 0);
}

#[test]
fn pkce_login_times_out_and_cancels() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let login = client
        .begin_authorization_code("client-id", ClientSecret::new("secret"), &[])
        .expect("listener");
    let started = Instant::now();
    let err = login
        .finish(Duration::from_millis(300), &CancelToken::new())
        .expect_err("nobody comes");
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert!(err.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(2));

    let login = client
        .begin_authorization_code("client-id", ClientSecret::new("secret"), &[])
        .expect("listener");
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let started = Instant::now();
    let err = thread::scope(|s| {
        s.spawn(move || {
            thread::sleep(Duration::from_millis(100));
            canceller.cancel();
        });
        login.finish(Duration::from_secs(30), &cancel)
    })
    .expect_err("cancelled");
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Error codes the emulator produces from its own logic.
#[test]
fn natural_service_errors_are_typed() {
    let emu = emulator(EmulatorConfig::default().with_invalid_scope("bad:scope"));
    let client = client_for(&emu);
    let check = |err: Error, code: ErrorCode, status: u16| {
        assert_eq!(err.code(), Some(&code), "{err}");
        let core = err.core().expect("core error");
        assert_eq!(core.status(), Some(status), "{err}");
        assert!(core.request_id().is_some(), "{err}");
        assert!(err.to_string().contains(code.as_str()), "{err}");
    };

    let mut confidential = RegisterClientInput::new("x");
    confidential.client_type = "confidential".to_owned();
    check(
        client.register_client(&confidential).unwrap_err(),
        ErrorCode::InvalidClientMetadata,
        400,
    );
    check(
        client
            .register_client(&RegisterClientInput::new("x").with_scopes(["bad:scope"]))
            .unwrap_err(),
        ErrorCode::InvalidScope,
        400,
    );
    check(
        client
            .register_client(
                &RegisterClientInput::new("x").with_grant_types([GrantType::JwtBearer]),
            )
            .unwrap_err(),
        ErrorCode::UnsupportedGrantType,
        400,
    );
    check(
        client
            .register_client(
                &RegisterClientInput::new("x").with_grant_types([GrantType::AuthorizationCode]),
            )
            .unwrap_err(),
        ErrorCode::InvalidRequest,
        400,
    );
    check(
        client
            .start_device_authorization(&StartDeviceAuthorizationInput::new(
                "no-such-client",
                ClientSecret::new("nope"),
                START_URL,
            ))
            .unwrap_err(),
        ErrorCode::InvalidClient,
        401,
    );
    let pkce_only = client
        .register_for_authorization_code("x", START_URL, &[])
        .expect("register");
    check(
        client
            .start_device_authorization(&StartDeviceAuthorizationInput::new(
                pkce_only.client_id,
                pkce_only.client_secret,
                START_URL,
            ))
            .unwrap_err(),
        ErrorCode::UnauthorizedClient,
        400,
    );
    let issued = emu.issue_token(SCOPES);
    check(
        client
            .create_token(&refresh_input(
                &issued.client_id,
                &issued.client_secret,
                "bogus",
            ))
            .unwrap_err(),
        ErrorCode::InvalidGrant,
        400,
    );
    // None of these is retried.
    assert_eq!(emu.stats().total, 8);
}

/// Every modelled error shape, as the emulator's fault injection renders it.
#[test]
fn every_modelled_error_code_reaches_the_parser() {
    let emu = emulator(EmulatorConfig::default());
    let client = Client::new(config_for(&emu).with_max_attempts(1)).expect("client");
    for code in ErrorCode::modelled() {
        let status = match code {
            ErrorCode::InternalServer => 500,
            ErrorCode::InvalidClient => 401,
            _ => 400,
        };
        emu.push_fault(FaultRule::new(
            FaultTarget::RegisterClient,
            FaultKind::status(status, Some(code.as_str())),
        ));
        let err = client
            .register_client(&RegisterClientInput::new("x"))
            .expect_err("fault");
        assert_eq!(err.code(), Some(&code), "{err}");
        let service = err
            .core()
            .and_then(|e| e.service_error())
            .expect("service error");
        assert_eq!(service.status, status);
        assert_eq!(service.operation, Operation::RegisterClient);
        assert!(service.request_id.is_some());
    }
    // An unmodelled code is kept verbatim.
    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::status(400, Some("SomethingNewException")),
    ));
    let err = client
        .register_client(&RegisterClientInput::new("x"))
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&ErrorCode::Other("SomethingNewException".to_owned()))
    );
}

#[test]
fn transient_statuses_recover_within_the_attempt_budget() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let register = || client.register_client(&RegisterClientInput::new("x"));

    emu.push_fault(
        FaultRule::new(
            FaultTarget::RegisterClient,
            FaultKind::status(500, Some("InternalServerException")),
        )
        .times(2),
    );
    register().expect("recovers after two 500s");
    assert_eq!(emu.stats().register_client, 3);

    emu.reset_stats();
    emu.push_fault(
        FaultRule::new(
            FaultTarget::RegisterClient,
            FaultKind::status(429, Some("ThrottlingException")),
        )
        .times(2),
    );
    register().expect("recovers after two 429s");
    assert_eq!(emu.stats().register_client, 3);

    emu.reset_stats();
    emu.push_fault(
        FaultRule::new(FaultTarget::RegisterClient, FaultKind::status(503, None)).times(3),
    );
    let err = register().expect_err("three 503s exhaust the budget");
    assert_eq!(err.core().and_then(|e| e.status()), Some(503), "{err}");
    assert_eq!(emu.stats().register_client, 3);

    emu.reset_stats();
    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Html).times(3));
    let err = register().expect_err("gateway pages exhaust the budget");
    assert_eq!(err.core().and_then(|e| e.status()), Some(502), "{err}");
    assert_eq!(emu.stats().register_client, 3);
    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Html));
    register().expect("recovers after one gateway page");
}

#[test]
fn delays_trigger_the_read_timeout() {
    let emu = emulator(EmulatorConfig::default());
    let client = Client::new(
        config_for(&emu)
            .with_read_timeout(Duration::from_millis(200))
            .with_max_attempts(2),
    )
    .expect("client");
    emu.push_fault(
        FaultRule::new(FaultTarget::RegisterClient, FaultKind::Delay { ms: 800 }).times(2),
    );
    let started = Instant::now();
    let err = client
        .register_client(&RegisterClientInput::new("x"))
        .expect_err("both attempts time out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(
        err,
        Error::Transport {
            operation: Operation::RegisterClient,
            ..
        }
    ));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );

    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::Delay { ms: 800 },
    ));
    client
        .register_client(&RegisterClientInput::new("x"))
        .expect("the retry after one timeout succeeds");
}

#[test]
fn oversized_bodies_are_refused_without_reading_them() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let issued = emu.issue_token(SCOPES);
    let input = refresh_input(
        &issued.client_id,
        &issued.client_secret,
        &issued.refresh_token,
    );

    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Oversized { bytes: 2_000_000 },
    ));
    let err = client.create_token(&input).expect_err("2 MB body");
    assert!(
        matches!(
            err,
            Error::BodyTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1048576"), "{err}");
    assert_eq!(emu.stats().create_token_refresh, 1, "not retried");

    // Within the cap the same kind of body parses.
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Oversized { bytes: 50_000 },
    ));
    client.create_token(&input).expect("50 kB token document");

    let small = Client::new(config_for(&emu).with_max_body_bytes(1_000)).expect("client");
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Oversized { bytes: 5_000 },
    ));
    let err = small
        .create_token(&input)
        .expect_err("5 kB over a 1 kB cap");
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1_000, .. }),
        "{err:?}"
    );
}

#[test]
fn bad_bodies_are_typed_parse_errors() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let issued = emu.issue_token(SCOPES);
    let input = refresh_input(
        &issued.client_id,
        &issued.client_secret,
        &issued.refresh_token,
    );
    let parse_kind = |err: &Error| match err.core() {
        Some(oidc_core::Error::Parse(p)) => p.kind.clone(),
        _ => panic!("expected a parse error, got {err:?}"),
    };

    // The emulator's malformed body is complete but not JSON: a typed
    // parse error at once, not retried.
    let before = emu.stats().create_token_refresh;
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Malformed,
    ));
    let err = client.create_token(&input).expect_err("malformed");
    assert!(
        matches!(parse_kind(&err), ParseErrorKind::NotJson { .. }),
        "{err}"
    );
    assert_eq!(emu.stats().create_token_refresh, before + 1, "not retried");

    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Empty,
    ));
    let err = client.create_token(&input).expect_err("empty");
    assert_eq!(parse_kind(&err), ParseErrorKind::EmptyBody);

    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::WrongShape,
    ));
    let err = client.create_token(&input).expect_err("wrong shape");
    assert!(
        matches!(parse_kind(&err), ParseErrorKind::WrongShape { .. }),
        "{err}"
    );

    emu.reset_stats();
    emu.push_fault(FaultRule::new(FaultTarget::CreateTokenRefresh, FaultKind::Truncated).times(3));
    let err = client.create_token(&input).expect_err("truncated thrice");
    assert!(
        matches!(parse_kind(&err), ParseErrorKind::Truncated { .. }),
        "{err}"
    );
    assert_eq!(emu.stats().create_token_refresh, 3, "truncation is retried");
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Truncated,
    ));
    client
        .create_token(&input)
        .expect("recovers after one truncated body");
}

#[test]
fn dropped_connections_are_retried_then_reported() {
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Drop).times(2));
    client
        .register_client(&RegisterClientInput::new("x"))
        .expect("recovers after two drops");

    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Drop).times(3));
    let err = client
        .register_client(&RegisterClientInput::new("x"))
        .expect_err("three drops");
    assert!(
        matches!(
            err,
            Error::Transport {
                is_timeout: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("RegisterClient"), "{err}");
}

#[test]
fn device_flow_rides_out_faults_between_polls() {
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = Client::new(config_for(&emu).with_max_attempts(1)).expect("client");
    // Without transport retries, the flow itself polls again next interval.
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenDeviceCode,
        FaultKind::Drop,
    ));
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenDeviceCode,
        FaultKind::status(503, None),
    ));
    let (outcome, _) = sign_in_with(&emu, &client, |emu, code| {
        assert!(emu.approve(&code));
    });
    outcome.expect("the flow survives a drop and a 503");
    assert_eq!(emu.stats().create_token_device_code, 3);

    // Four transport failures in a row end the flow with the transport error.
    emu.push_fault(FaultRule::new(FaultTarget::CreateTokenDeviceCode, FaultKind::Drop).times(4));
    let (outcome, _) = sign_in_with(&emu, &client, |_, _| {});
    assert!(
        matches!(outcome, Err(Error::Transport { .. })),
        "{outcome:?}"
    );
}

#[test]
fn plain_http_to_other_hosts_is_refused() {
    let err =
        Client::new(Config::for_region("us-east-1").with_endpoint_url("http://sso.example.com"))
            .expect_err("insecure");
    match &err {
        Error::InsecureEndpoint { url } => assert_eq!(url, "http://sso.example.com"),
        other => panic!("expected InsecureEndpoint, got {other:?}"),
    }
    assert!(err.to_string().contains("plain HTTP"), "{err}");
    // Explicitly allowed, the client builds (nothing is sent here).
    Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url("http://sso.example.com")
            .with_insecure_http(true),
    )
    .expect("allowed");
    // A loopback client still refuses an ad-hoc request elsewhere.
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    let request = http::Request::post("http://10.1.2.3/token")
        .body(Vec::new())
        .expect("request");
    let err = client
        .send(Operation::CreateToken, request)
        .expect_err("insecure request");
    assert!(matches!(err, Error::InsecureEndpoint { .. }), "{err:?}");
    assert_eq!(emu.stats().total, 0);
}

#[test]
fn cancel_returns_promptly() {
    let emu = emulator(EmulatorConfig::default().with_interval(5));
    let client = client_for(&emu);
    let cancel = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    let (outcome, cancelled_at) = thread::scope(|s| {
        let canceller = cancel.clone();
        let waiter = s.spawn(move || {
            rx.recv_timeout(Duration::from_secs(5)).expect("a prompt");
            // The driver is now waiting 5 s for the next poll.
            thread::sleep(Duration::from_millis(50));
            canceller.cancel();
            Instant::now()
        });
        let outcome = client.sign_in(
            "ureq-e2e",
            START_URL,
            SCOPES,
            |_| tx.send(()).expect("waiter"),
            &cancel,
        );
        (outcome, waiter.join().expect("waiter thread"))
    });
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    assert!(cancelled_at.elapsed() < Duration::from_millis(500));
    assert_eq!(emu.stats().create_token_device_code, 1);
}

#[test]
fn fifty_device_flows_in_parallel() {
    const FLOWS: usize = 50;
    let emu = emulator(EmulatorConfig::default().with_interval(1));
    let client = client_for(&emu);
    let done = AtomicUsize::new(0);
    let results: Vec<Result<oidc_ureq::SignIn, Error>> = thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(15);
            while done.load(Ordering::SeqCst) < FLOWS && Instant::now() < deadline {
                for code in emu.pending_user_codes() {
                    emu.approve(&code);
                }
                thread::sleep(Duration::from_millis(20));
            }
        });
        let handles: Vec<_> = (0..FLOWS)
            .map(|_| {
                s.spawn(|| {
                    let outcome = client.sign_in(
                        "ureq-parallel",
                        START_URL,
                        SCOPES,
                        |_| {},
                        &CancelToken::new(),
                    );
                    done.fetch_add(1, Ordering::SeqCst);
                    outcome
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("flow thread"))
            .collect()
    });
    let mut tokens = std::collections::HashSet::new();
    for result in results {
        let signed_in = result.expect("every flow completes");
        tokens.insert(signed_in.token.access_token.secret().to_owned());
    }
    assert_eq!(tokens.len(), FLOWS, "every flow got its own token");
    assert_eq!(emu.stats().register_client, FLOWS as u64);
}

#[test]
fn create_token_with_iam_signs_every_attempt() {
    use oidc_core::secret::Assertion;
    use oidc_core::sso_oidc::create_token_with_iam::{CreateTokenWithIamInput, IamGrant};

    const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sso-oauth/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123";
    let input = CreateTokenWithIamInput::new(
        "arn:aws:sso::123456789012:application/ssoins-1/apl-2",
        IamGrant::JwtBearer {
            assertion: Assertion::new("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        },
    );
    let emu = emulator(EmulatorConfig::default());
    let client = client_for(&emu);
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenWithIam,
        FaultKind::status(500, Some("InternalServerException")),
    ));
    let mut signatures = 0;
    let output = client
        .create_token_with_iam(&input, |request| {
            signatures += 1;
            request.headers_mut().insert(
                "authorization",
                http::HeaderValue::from_static(AUTHORIZATION),
            );
            Ok(())
        })
        .expect("token after one 500");
    assert!(!output.access_token.secret().is_empty());
    assert_eq!(signatures, 2, "each attempt is signed afresh");

    // Unsigned: the service refuses it.
    let err = client
        .create_token_with_iam(&input, |_| Ok(()))
        .expect_err("unsigned");
    assert_eq!(err.core().and_then(|e| e.status()), Some(403), "{err}");
    assert_eq!(err.code(), Some(&ErrorCode::AccessDenied));

    // A failing signer stops before anything is sent.
    let before = emu.stats().total;
    let err = client
        .create_token_with_iam(&input, |_| Err("no credentials".into()))
        .expect_err("signer fails");
    assert!(matches!(err, Error::Signing { .. }), "{err:?}");
    assert!(err.to_string().contains("no credentials"), "{err}");
    assert_eq!(emu.stats().total, before);

    // The service names the right region.
    let wrong = emulator(
        EmulatorConfig::default()
            .with_wrong_region("https://oidc.eu-west-1.amazonaws.com", "eu-west-1"),
    );
    let err = client_for(&wrong)
        .create_token_with_iam(&input, |request| {
            request.headers_mut().insert(
                "authorization",
                http::HeaderValue::from_static(AUTHORIZATION),
            );
            Ok(())
        })
        .expect_err("wrong region");
    assert_eq!(err.code(), Some(&ErrorCode::InvalidRequestRegion));
    let service = err
        .core()
        .and_then(|e| e.service_error())
        .expect("service error");
    assert_eq!(service.region.as_deref(), Some("eu-west-1"));
    assert!(err.to_string().contains("eu-west-1"), "{err}");
}

#[test]
fn the_whole_call_timeout_bounds_a_slow_exchange() {
    let emu = emulator(EmulatorConfig::default());
    let client = Client::new(
        config_for(&emu)
            .with_read_timeout(Duration::from_secs(5))
            .with_call_timeout(Duration::from_millis(300))
            .with_max_attempts(1),
    )
    .expect("client");
    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::Delay { ms: 1500 },
    ));
    let started = Instant::now();
    let err = client
        .register_client(&RegisterClientInput::new("x"))
        .expect_err("call timeout");
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_refused_connection_is_a_transport_error() {
    // A port nobody listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(format!("http://127.0.0.1:{port}"))
            .with_connect_timeout(Duration::from_secs(2))
            .with_retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(3)
                    .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
            ),
    )
    .expect("client");
    let started = Instant::now();
    let err = client
        .register_client(&RegisterClientInput::new("x"))
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Transport {
                is_timeout: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}
