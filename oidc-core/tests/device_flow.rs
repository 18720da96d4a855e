//! Virtual-time tests of the device flow: `now` jumps to whatever
//! `WaitUntil` says, so a 10-minute flow runs in microseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::step::Step;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use oidc_core::device_flow::{DeviceFlow, DeviceFlowError, DEFAULT_INTERVAL};
use oidc_core::endpoint::Endpoint;
use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationOutput};
use oidc_core::{Error, Misuse};

fn started(interval: Option<u32>, expires_in: u32) -> StartDeviceAuthorizationOutput {
    let interval = interval
        .map(|i| format!(r#","interval":{i}"#))
        .unwrap_or_default();
    let body = format!(
        r#"{{"deviceCode":"dc-secret","userCode":"BCDF-GHJK","verificationUri":"https://device.example/","verificationUriComplete":"https://device.example/?user_code=BCDF-GHJK","expiresIn":{expires_in}{interval}}}"#
    );
    start_device_authorization::parse(&http::Response::new(body)).unwrap()
}

fn flow(interval: Option<u32>, expires_in: u32, now: Instant) -> DeviceFlow {
    let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    DeviceFlow::new(
        "client",
        ClientSecret::new("client-secret"),
        started(interval, expires_in),
        endpoint,
        now,
    )
}

fn error(status: u16, shape: &str, oauth: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("x-amzn-ErrorType", shape)
        .body(format!(r#"{{"error":"{oauth}","error_description":null}}"#).into_bytes())
        .unwrap()
}

fn pending() -> http::Response<Vec<u8>> {
    error(
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    )
}

fn slow_down() -> http::Response<Vec<u8>> {
    error(400, "SlowDownException", "slow_down")
}

fn token() -> http::Response<Vec<u8>> {
    http::Response::new(
        br#"{"accessToken":"at","tokenType":"Bearer","expiresIn":3600,"refreshToken":"rt"}"#
            .to_vec(),
    )
}

/// Drives the flow with canned responses, jumping time to each deadline.
/// Returns the times at which requests were sent and the outcome.
struct Run {
    sends: Vec<Instant>,
    prompts: usize,
    outcome: Result<CreateTokenOutput, DeviceFlowError>,
    end: Instant,
}

fn drive(mut flow: DeviceFlow, mut now: Instant, responses: Vec<http::Response<Vec<u8>>>) -> Run {
    let mut responses = responses.into_iter();
    let mut sends = Vec::new();
    let mut prompts = 0;
    for _ in 0..10_000 {
        match flow.poll(now) {
            Step::Send(request) => {
                assert_eq!(request.uri().path(), "/token");
                sends.push(now);
                match responses.next() {
                    Some(r) => flow.handle_response(now, &r).unwrap(),
                    None => flow.handle_response(now, &pending()).unwrap(),
                }
            }
            Step::Local(p) => {
                assert_eq!(p.user_code, "BCDF-GHJK");
                prompts += 1;
            }
            Step::WaitUntil(t) => {
                assert!(t > now, "WaitUntil must be in the future");
                now = t;
            }
            Step::Done(outcome) => {
                return Run {
                    sends,
                    prompts,
                    outcome,
                    end: now,
                }
            }
        }
    }
    panic!("the flow did not end");
}

#[test]
fn pending_three_times_then_success() {
    let t0 = Instant::now();
    let run = drive(
        flow(Some(2), 600, t0),
        t0,
        vec![pending(), pending(), pending(), token()],
    );
    let token = run.outcome.unwrap();
    assert_eq!(token.access_token.secret(), "at");
    assert_eq!(run.sends.len(), 4);
    assert_eq!(run.prompts, 1);
    assert_eq!(run.sends[0], t0, "the first poll goes out at once");
    for pair in run.sends.windows(2) {
        assert_eq!(pair[1] - pair[0], Duration::from_secs(2));
    }
}

#[test]
fn immediate_success_shows_no_prompt() {
    let t0 = Instant::now();
    let run = drive(flow(None, 600, t0), t0, vec![token()]);
    assert!(run.outcome.is_ok());
    assert_eq!(run.prompts, 0);
}

#[test]
fn interval_defaults_to_five_seconds() {
    let t0 = Instant::now();
    let run = drive(flow(None, 600, t0), t0, vec![pending(), token()]);
    assert_eq!(run.sends[1] - run.sends[0], DEFAULT_INTERVAL);
}

#[test]
fn slow_down_adds_five_seconds_for_good() {
    let t0 = Instant::now();
    let run = drive(
        flow(Some(1), 600, t0),
        t0,
        vec![slow_down(), pending(), slow_down(), pending(), token()],
    );
    let gaps: Vec<u64> = run
        .sends
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs())
        .collect();
    assert_eq!(gaps, vec![6, 6, 11, 11]);
}

#[test]
fn expires_exactly_at_expires_in() {
    let t0 = Instant::now();
    let run = drive(flow(Some(5), 30, t0), t0, vec![]);
    assert_eq!(
        run.outcome.unwrap_err(),
        DeviceFlowError::Expired { service: None }
    );
    assert_eq!(run.end, t0 + Duration::from_secs(30));
    assert!(run.sends.iter().all(|s| *s < t0 + Duration::from_secs(30)));
}

#[test]
fn terminal_answers() {
    let t0 = Instant::now();
    let cases = [
        (
            error(400, "AccessDeniedException", "access_denied"),
            "Denied",
        ),
        (
            error(400, "ExpiredTokenException", "expired_token"),
            "Expired",
        ),
        (
            error(400, "InvalidGrantException", "invalid_grant"),
            "InvalidGrant",
        ),
        (
            error(401, "InvalidClientException", "invalid_client"),
            "InvalidClient",
        ),
        (
            error(400, "InvalidScopeException", "invalid_scope"),
            "Failed",
        ),
        (http::Response::new(b"<html>oops</html>".to_vec()), "Failed"),
        (
            http::Response::new(br#"{"tokenType":"Bearer","expiresIn":1}"#.to_vec()),
            "Failed",
        ),
    ];
    for (response, want) in cases {
        let run = drive(flow(Some(1), 600, t0), t0, vec![pending(), response]);
        let got = match run.outcome.unwrap_err() {
            DeviceFlowError::Denied(_) => "Denied",
            DeviceFlowError::Expired { service: Some(_) } => "Expired",
            DeviceFlowError::InvalidGrant(_) => "InvalidGrant",
            DeviceFlowError::InvalidClient(_) => "InvalidClient",
            DeviceFlowError::Failed(_) => "Failed",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(got, want);
        assert_eq!(run.sends.len(), 2);
    }
}

#[test]
fn transient_failures_are_ridden_out_then_give_up() {
    let t0 = Instant::now();
    let five_hundred = || error(500, "InternalServerException", "server_error");
    let run = drive(
        flow(Some(1), 600, t0),
        t0,
        vec![five_hundred(), five_hundred(), five_hundred(), token()],
    );
    assert!(run.outcome.is_ok());
    let run = drive(
        flow(Some(1), 600, t0),
        t0,
        vec![
            five_hundred(),
            five_hundred(),
            five_hundred(),
            five_hundred(),
            token(),
        ],
    );
    assert!(matches!(run.outcome, Err(DeviceFlowError::Failed(_))));
}

#[test]
fn misuse_is_reported() {
    let t0 = Instant::now();
    let mut f = flow(Some(1), 600, t0);
    assert_eq!(
        f.handle_response(t0, &token()),
        Err(Error::Misuse(Misuse::UnexpectedResponse))
    );
    let Step::Send(_) = f.poll(t0) else {
        panic!("expected Send")
    };
    // Polling while in flight waits for the response (or the deadline).
    assert!(matches!(f.poll(t0), Step::WaitUntil(t) if t == f.deadline()));
    f.handle_response(t0, &token()).unwrap();
    assert!(matches!(f.poll(t0), Step::Done(Ok(_))));
    assert!(matches!(f.poll(t0), Step::Done(Ok(_))), "Done repeats");
    assert_eq!(
        f.handle_response(t0, &token()),
        Err(Error::Misuse(Misuse::AlreadyFinished))
    );
}

#[test]
fn in_flight_request_is_abandoned_at_the_deadline() {
    let t0 = Instant::now();
    let mut f = flow(Some(1), 10, t0);
    let Step::Send(_) = f.poll(t0) else {
        panic!("expected Send")
    };
    let late = t0 + Duration::from_secs(10);
    assert!(matches!(
        f.poll(late),
        Step::Done(Err(DeviceFlowError::Expired { service: None }))
    ));
}

#[derive(Debug, Clone)]
enum Event {
    Pending,
    SlowDown,
    Token,
    Denied,
    ServerError,
    Garbage(Vec<u8>),
    Transport,
    /// Jump the clock forward (or backward) by this many milliseconds
    /// before the next poll.
    Jump(i64),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => Just(Event::Pending),
        3 => Just(Event::SlowDown),
        1 => Just(Event::Token),
        1 => Just(Event::Denied),
        2 => Just(Event::ServerError),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Event::Garbage),
        2 => Just(Event::Transport),
        4 => (-5_000i64..700_000).prop_map(Event::Jump),
    ]
}

proptest! {
    // The saved failure seeds sit next to this file
    // (`device_flow.proptest-regressions`): read them from there, as
    // proptest only looks beside a `lib.rs` or `main.rs` by default.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    /// No sequence of responses or time jumps makes the flow panic, poll
    /// sooner than the interval in force, poll at or after the deadline,
    /// or go on past the deadline.
    #[test]
    fn invariants_hold(interval in proptest::option::of(0u32..20), expires_in in 0u32..1200, events in proptest::collection::vec(event(), 0..60)) {
        let base = Instant::now() + Duration::from_secs(10);
        let mut now = base;
        let mut f = flow(interval, expires_in, now);
        let deadline = f.deadline();
        let mut last_answer: Option<(Instant, Duration)> = None;
        let mut events = events.into_iter();
        for _ in 0..1_000 {
            match f.poll(now) {
                Step::Send(_) => {
                    prop_assert!(now < deadline, "sent at or after the deadline");
                    if let Some((answered, interval)) = last_answer {
                        prop_assert!(now >= answered + interval, "polled sooner than the interval");
                    }
                    let ev = events.next().unwrap_or(Event::Token);
                    let answered = now;
                    match ev {
                        Event::Pending => f.handle_response(now, &pending()).unwrap(),
                        Event::SlowDown => f.handle_response(now, &slow_down()).unwrap(),
                        Event::Token => f.handle_response(now, &token()).unwrap(),
                        Event::Denied => f.handle_response(now, &error(400, "AccessDeniedException", "access_denied")).unwrap(),
                        Event::ServerError => f.handle_response(now, &error(503, "ServiceUnavailable", "x")).unwrap(),
                        Event::Garbage(b) => f.handle_response(now, &http::Response::new(b)).unwrap(),
                        Event::Transport => f.handle_transport_error(now, Error::Misuse(Misuse::UnexpectedResponse)).unwrap(),
                        Event::Jump(ms) => {
                            f.handle_response(now, &pending()).unwrap();
                            now = if ms >= 0 { now + Duration::from_millis(ms as u64) } else { now.checked_sub(Duration::from_millis((-ms) as u64)).unwrap_or(now) };
                        }
                    }
                    last_answer = Some((answered, f.interval()));
                }
                Step::Local(_) => {}
                Step::WaitUntil(t) => {
                    prop_assert!(t <= deadline, "waits past the deadline");
                    prop_assert!(t > now);
                    now = t;
                }
                Step::Done(outcome) => {
                    if now >= deadline {
                        prop_assert!(outcome.is_err() || last_answer.is_some());
                    }
                    return Ok(());
                }
            }
        }
        prop_assert!(false, "the flow did not end");
    }
}

#[test]
fn what_the_service_sends_is_bounded_and_made_printable() {
    use oidc_core::device_flow::{MAX_EXPIRES_IN, MAX_INTERVAL};
    let now = Instant::now();
    // expiresIn = 2^32 - 1 would have a caller poll for 136 years.
    let f = flow(Some(u32::MAX), u32::MAX, now);
    assert_eq!(f.deadline(), now + MAX_EXPIRES_IN);
    assert_eq!(f.interval(), MAX_INTERVAL);

    let body = r#"{"deviceCode":"dc","userCode":"AB\u001b[2JCD\r","verificationUri":"javascript:alert(1)","verificationUriComplete":"-a/Applications/Calculator.app","expiresIn":600}"#;
    let hostile = start_device_authorization::parse(&http::Response::new(body)).unwrap();
    let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    let f = DeviceFlow::new("c", ClientSecret::new("s"), hostile, endpoint, now);
    let prompt = f.prompt();
    assert_eq!(prompt.user_code, "AB[2JCD");
    assert_eq!(prompt.browser_uri(), None, "neither URI may be opened");

    let body = r#"{"deviceCode":"dc","userCode":"X","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"file:///etc/passwd","expiresIn":600}"#;
    let mixed = start_device_authorization::parse(&http::Response::new(body)).unwrap();
    let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    let f = DeviceFlow::new("c", ClientSecret::new("s"), mixed, endpoint, now);
    assert_eq!(
        f.prompt().browser_uri(),
        Some("https://device.sso.us-east-1.amazonaws.com/"),
        "the plain URI when the complete one is unsafe"
    );
}
