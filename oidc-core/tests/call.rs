//! Virtual-time tests of the [`Call`] state machine: `now` jumps to
//! whatever `WaitUntil` says and every answer is scripted, so no socket,
//! sleep or clock read is involved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use oidc_core::call::{Call, CallOptions, SignRequest};
use oidc_core::endpoint::Endpoint;
use oidc_core::retry::{self, RetryClass, RetryPolicy, RetryQuota, THROTTLING_CODES};
use oidc_core::secret::RefreshToken;
use oidc_core::sigv4::SigningError;
use oidc_core::sso_oidc::create_token_with_iam::{CreateTokenWithIamInput, IamGrant};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::sso_oidc::{self, SIGNING_NAME};
use oidc_core::step::Step;
use oidc_core::{
    Auth, Error, ErrorCode, Misuse, Operation, TimeoutPhase, TransportError, TransportErrorKind,
};

// ---------------------------------------------------------------------------
// Scripted answers and a virtual-time driver
// ---------------------------------------------------------------------------

const REGISTER: &str = RegisterClientInput::NAME;
const IAM: &str = CreateTokenWithIamInput::NAME;
const APP: &str =
    "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222";
const REGISTERED: &str = r#"{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":1}"#;
const IAM_TOKEN: &str = r#"{"accessToken":"at","tokenType":"Bearer","expiresIn":3600}"#;
/// How long every scripted answer takes to arrive, in virtual time.
const LATENCY: Duration = Duration::from_millis(250);

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap()
}

fn register_input() -> RegisterClientInput {
    RegisterClientInput::new("my-tool")
}

fn iam_input() -> CreateTokenWithIamInput {
    CreateTokenWithIamInput::new(
        APP,
        IamGrant::RefreshToken {
            refresh_token: RefreshToken::new("aorvEXAMPLE"),
        },
    )
}

fn register_call(options: CallOptions) -> Call<RegisterClientInput> {
    Call::new(&register_input(), &endpoint(), options).unwrap()
}

/// The wall clock that goes with `now` in a run that started at `start`.
fn wall_at(start: Instant, now: Instant) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000) + (now - start)
}

/// What the transport reports for one attempt.
enum Answer {
    Response(http::Response<Vec<u8>>),
    Transport(TransportError),
}

fn respond(status: u16, error_type: Option<&str>, request_id: &str, body: &str) -> Answer {
    let mut builder = http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id);
    if let Some(code) = error_type {
        builder = builder.header("x-amzn-ErrorType", code);
    }
    Answer::Response(builder.body(body.as_bytes().to_vec()).unwrap())
}

fn ok(body: &str) -> Answer {
    respond(200, None, "req-ok", body)
}

fn status(status: u16) -> Answer {
    respond(status, None, "req-status", "")
}

fn coded(status: u16, code: &str) -> Answer {
    respond(status, Some(code), "req-coded", "{}")
}

fn transport(operation: &'static str, kind: TransportErrorKind) -> Answer {
    Answer::Transport(TransportError::new(operation, kind))
}

/// One attempt as the transport saw it.
struct Sent {
    at: Instant,
    wall: SystemTime,
    request: http::Request<Vec<u8>>,
}

/// Everything a run did.
struct Trace<T> {
    result: Result<T, Error>,
    sent: Vec<Sent>,
    /// `(polled at, wait until)` for every `WaitUntil`.
    waits: Vec<(Instant, Instant)>,
    /// When each failed attempt was answered (the back-off starts there).
    answered: Vec<Instant>,
}

/// Drives `call` to its end in virtual time: each `Send` is answered with
/// the next answer [`LATENCY`] later, each `WaitUntil` jumps the clock.
fn drive<O: Operation>(
    call: &mut Call<O>,
    start: Instant,
    quota: &mut RetryQuota,
    answers: impl IntoIterator<Item = Answer>,
    randoms: impl IntoIterator<Item = u32>,
) -> Trace<O::Output> {
    let mut answers = answers.into_iter();
    let mut randoms = randoms.into_iter();
    let mut now = start;
    let mut trace = Trace {
        result: Err(Misuse::AlreadyFinished.into()),
        sent: Vec::new(),
        waits: Vec::new(),
        answered: Vec::new(),
    };
    for _ in 0..1_000 {
        let wall = wall_at(start, now);
        match call.poll(now, wall) {
            Step::Send(request) => {
                assert!(!call.is_finished());
                assert_eq!(call.attempts(), trace.sent.len() as u32 + 1);
                trace.sent.push(Sent {
                    at: now,
                    wall,
                    request,
                });
                let answer = answers
                    .next()
                    .expect("the call sent more attempts than the script answers");
                now += LATENCY;
                trace.answered.push(now);
                let random = randoms.next().unwrap_or(u32::MAX);
                match answer {
                    Answer::Response(response) => {
                        call.handle_response(now, &response, quota, random)
                    }
                    Answer::Transport(error) => {
                        call.handle_transport_error(now, error, quota, random)
                    }
                }
            }
            Step::WaitUntil(at) => {
                assert!(
                    at > now,
                    "WaitUntil({at:?}) is not in the future of {now:?}"
                );
                assert!(!call.is_finished());
                trace.waits.push((now, at));
                now = at;
            }
            Step::Done(result) => {
                assert!(call.is_finished());
                trace.result = result;
                return trace;
            }
        }
    }
    panic!("the call did not finish in 1000 steps");
}

/// The next poll of a finished call, at any time.
#[track_caller]
fn assert_already_finished<O: Operation>(call: &mut Call<O>, start: Instant) {
    for later in [Duration::ZERO, Duration::from_secs(3600)] {
        match call.poll(start + later, wall_at(start, start + later)) {
            Step::Done(Err(Error::Misuse(Misuse::AlreadyFinished))) => {}
            other => panic!(
                "expected Done(AlreadyFinished), got {:?}",
                other.map_done(|r| r.map(|_| ()))
            ),
        }
        assert!(call.is_finished());
    }
}

fn header<'a>(request: &'a http::Request<Vec<u8>>, name: &str) -> Vec<&'a str> {
    request
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// Asserts every attempt is the same request (a fresh copy of it).
#[track_caller]
fn assert_same_requests(sent: &[Sent]) {
    let first = &sent[0].request;
    for s in sent {
        assert_eq!(s.request.method(), first.method());
        assert_eq!(s.request.uri(), first.uri());
        assert_eq!(s.request.headers(), first.headers());
        assert_eq!(s.request.body(), first.body());
    }
}

// ---------------------------------------------------------------------------
// Success and retries
// ---------------------------------------------------------------------------

#[test]
fn success_the_first_time_sends_the_built_request_once() {
    let start = Instant::now();
    let mut call = register_call(CallOptions::default());
    assert_eq!(call.attempts(), 0);
    assert!(!call.is_finished());
    let mut quota = RetryQuota::default();
    let trace = drive(&mut call, start, &mut quota, [ok(REGISTERED)], []);
    let output: RegisterClientOutput = trace.result.unwrap();
    assert_eq!(output.client_id, "c");
    assert_eq!(call.attempts(), 1);
    assert_eq!(trace.sent.len(), 1);
    assert!(trace.waits.is_empty());
    assert_eq!(trace.sent[0].at, start);
    // Exactly what the operation's builder makes.
    let built = register_input().request(&endpoint()).unwrap();
    let sent = &trace.sent[0].request;
    assert_eq!(sent.method(), built.method());
    assert_eq!(sent.uri(), built.uri());
    assert_eq!(sent.headers(), built.headers());
    assert_eq!(sent.body(), built.body());
    assert_eq!(quota, RetryQuota::default());
    assert_already_finished(&mut call, start);
}

#[test]
fn a_503_then_success_takes_two_attempts_after_the_jittered_backoff() {
    let policy = RetryPolicy::default();
    for random in [0, 1, u32::MAX / 4, u32::MAX / 2, u32::MAX - 1, u32::MAX] {
        let start = Instant::now();
        let mut call = register_call(CallOptions::default());
        let mut quota = RetryQuota::default();
        let trace = drive(
            &mut call,
            start,
            &mut quota,
            [status(503), ok(REGISTERED)],
            [random],
        );
        assert_eq!(trace.result.unwrap().client_id, "c", "{random}");
        assert_eq!(call.attempts(), 2);
        assert_eq!(trace.sent.len(), 2);
        assert_same_requests(&trace.sent);

        // The wait is the full-jitter back-off of the first failure,
        // counted from when the failure was reported.
        let backoff = policy.backoff(1, random);
        assert!(backoff <= policy.initial_backoff, "{random}: {backoff:?}");
        let failed_at = trace.answered[0];
        assert_eq!(trace.sent[1].at, failed_at + backoff, "{random}");
        if backoff.is_zero() {
            assert!(trace.waits.is_empty(), "{random}");
        } else {
            assert_eq!(trace.waits, [(failed_at, failed_at + backoff)], "{random}");
        }
        assert_already_finished(&mut call, start);
    }
}

#[test]
fn polling_early_keeps_waiting_until_the_backoff_ends() {
    let start = Instant::now();
    let mut call = register_call(CallOptions::default());
    let mut quota = RetryQuota::default();
    let Step::Send(_) = call.poll(start, wall_at(start, start)) else {
        panic!("the first poll sends")
    };
    let failed_at = start + LATENCY;
    call.handle_response(
        failed_at,
        &http::Response::builder()
            .status(502)
            .body(Vec::<u8>::new())
            .unwrap(),
        &mut quota,
        u32::MAX,
    );
    let at = failed_at + Duration::from_secs(1);
    for now in [
        failed_at,
        failed_at + Duration::from_millis(999),
        at - Duration::from_nanos(1),
    ] {
        match call.poll(now, wall_at(start, now)) {
            Step::WaitUntil(until) => assert_eq!(until, at),
            other => panic!("expected WaitUntil, got {other:?}"),
        }
        assert_eq!(call.attempts(), 1);
    }
    // At (or after) the instant, the retry goes out.
    let Step::Send(_) = call.poll(at + Duration::from_secs(5), wall_at(start, at)) else {
        panic!("the retry is sent once the back-off is over")
    };
    assert_eq!(call.attempts(), 2);
}

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let policy = RetryPolicy::default()
        .with_max_attempts(6)
        .with_backoff(Duration::from_millis(100), Duration::from_millis(300));
    let randoms = [u32::MAX, u32::MAX / 2, u32::MAX, u32::MAX, 7];
    let start = Instant::now();
    let mut call = register_call(CallOptions::default().with_retry(policy));
    let mut quota = RetryQuota::default();
    let answers = (0..6).map(|_| status(500));
    let trace = drive(&mut call, start, &mut quota, answers, randoms);
    assert_eq!(trace.result.unwrap_err().status(), Some(500));
    assert_eq!(call.attempts(), 6);
    for (n, random) in randoms.iter().enumerate() {
        let attempt = n as u32 + 1;
        let wait = trace.sent[n + 1].at - trace.answered[n];
        assert_eq!(
            wait,
            policy.backoff(attempt, *random),
            "after attempt {attempt}"
        );
        let ceiling = (Duration::from_millis(100) * (1 << n)).min(Duration::from_millis(300));
        assert!(
            wait <= ceiling,
            "after attempt {attempt}: {wait:?} > {ceiling:?}"
        );
    }
    assert_eq!(
        trace.sent[1].at - trace.answered[0],
        Duration::from_millis(100)
    );
    assert_eq!(
        trace.sent[3].at - trace.answered[2],
        Duration::from_millis(300)
    );
    assert_eq!(
        trace.sent[4].at - trace.answered[3],
        Duration::from_millis(300)
    );
}

// ---------------------------------------------------------------------------
// The retry quota
// ---------------------------------------------------------------------------

#[test]
fn the_quota_is_refunded_when_the_call_succeeds() {
    // A bucket with room to refill, so refunds are visible.
    let drained = || {
        let mut quota = RetryQuota::new(500);
        for _ in 0..2 {
            quota.acquire(RetryClass::Transient).unwrap();
        }
        assert_eq!(quota.available(), 490);
        quota
    };

    // No retry: a success returns one token.
    let start = Instant::now();
    let mut quota = drained();
    let mut call = register_call(CallOptions::default());
    drive(&mut call, start, &mut quota, [ok(REGISTERED)], [])
        .result
        .unwrap();
    assert_eq!(quota.available(), 491);

    // Retries: what they took is taken while the call runs, and returned
    // when it succeeds.
    let mut quota = drained();
    let mut call = register_call(CallOptions::default());
    let Step::Send(_) = call.poll(start, wall_at(start, start)) else {
        panic!()
    };
    let Answer::Response(r) = status(503) else {
        unreachable!()
    };
    call.handle_response(start, &r, &mut quota, 0);
    assert_eq!(quota.available(), 490 - RetryQuota::RETRY_COST);
    let Step::Send(_) = call.poll(start, wall_at(start, start)) else {
        panic!()
    };
    call.handle_transport_error(
        start,
        TransportError::timeout(REGISTER, TimeoutPhase::Read, Duration::from_secs(30)),
        &mut quota,
        0,
    );
    assert_eq!(
        quota.available(),
        490 - RetryQuota::RETRY_COST - RetryQuota::TIMEOUT_RETRY_COST
    );
    let Step::Send(_) = call.poll(start, wall_at(start, start)) else {
        panic!()
    };
    let Answer::Response(r) = ok(REGISTERED) else {
        unreachable!()
    };
    call.handle_response(start, &r, &mut quota, 0);
    assert!(matches!(
        call.poll(start, wall_at(start, start)),
        Step::Done(Ok(_))
    ));
    assert_eq!(quota.available(), 490);

    // A refund never overfills the bucket.
    let mut quota = RetryQuota::new(500);
    let mut call = register_call(CallOptions::default());
    drive(
        &mut call,
        start,
        &mut quota,
        [status(503), ok(REGISTERED)],
        [0],
    )
    .result
    .unwrap();
    assert_eq!(quota.available(), 500);
}

#[test]
fn a_failed_call_keeps_what_its_retries_took() {
    let start = Instant::now();
    let mut quota = RetryQuota::new(100);
    let mut call = register_call(CallOptions::default());
    let trace = drive(
        &mut call,
        start,
        &mut quota,
        (0..3).map(|_| status(503)),
        [],
    );
    assert!(trace.result.is_err());
    assert_eq!(call.attempts(), 3);
    assert_eq!(quota.available(), 100 - 2 * RetryQuota::RETRY_COST);
}

#[test]
fn an_exhausted_quota_gives_up() {
    let start = Instant::now();
    // Not even one retry's worth: the first failure is final.
    let mut quota = RetryQuota::new(RetryQuota::RETRY_COST - 1);
    let mut call = register_call(CallOptions::default());
    let trace = drive(&mut call, start, &mut quota, [status(503)], []);
    assert_eq!(trace.result.unwrap_err().status(), Some(503));
    assert_eq!(call.attempts(), 1);
    assert!(trace.waits.is_empty());
    assert_eq!(quota.available(), RetryQuota::RETRY_COST - 1);
    assert_already_finished(&mut call, start);

    // One retry's worth: two attempts, then the bucket is empty.
    let mut quota = RetryQuota::new(RetryQuota::RETRY_COST);
    let mut call = register_call(CallOptions::default());
    let trace = drive(
        &mut call,
        start,
        &mut quota,
        [status(503), status(502)],
        [u32::MAX, u32::MAX],
    );
    assert_eq!(trace.result.unwrap_err().status(), Some(502));
    assert_eq!(call.attempts(), 2);
    assert_eq!(quota.available(), 0);

    // A timeout costs more than a transient failure.
    let timeout = || {
        transport(
            REGISTER,
            TransportErrorKind::Timeout {
                phase: TimeoutPhase::Call,
                after: Duration::from_secs(10),
            },
        )
    };
    let mut quota = RetryQuota::new(RetryQuota::TIMEOUT_RETRY_COST - 1);
    let mut call = register_call(CallOptions::default());
    let trace = drive(&mut call, start, &mut quota, [timeout()], []);
    assert!(trace.result.unwrap_err().is_timeout());
    assert_eq!(call.attempts(), 1);
    assert_eq!(quota.available(), RetryQuota::TIMEOUT_RETRY_COST - 1);
    let mut call = register_call(CallOptions::default());
    let trace = drive(
        &mut call,
        start,
        &mut quota,
        [status(500), ok(REGISTERED)],
        [],
    );
    assert!(trace.result.is_ok());
    assert_eq!(call.attempts(), 2);

    // An empty bucket stops every call of the client, until successes
    // refill it.
    let mut quota = RetryQuota::new(0);
    for answer in [status(500), coded(400, "ThrottlingException"), timeout()] {
        let mut call = register_call(CallOptions::default());
        let trace = drive(&mut call, start, &mut quota, [answer], []);
        assert!(trace.result.is_err());
        assert_eq!(call.attempts(), 1);
    }
}

// ---------------------------------------------------------------------------
// What is retried, and how often
// ---------------------------------------------------------------------------

/// Runs `max_attempts` failures of `failure` (numbered from 1) and checks
/// the call makes exactly `max_attempts` attempts and returns the last error.
#[track_caller]
fn assert_retried_up_to_max(
    name: &str,
    failure: impl Fn(u32) -> Answer,
    check: impl Fn(&Error, u32),
) {
    for max_attempts in [1, 2, 3, 5] {
        let start = Instant::now();
        let options = CallOptions::default()
            .with_retry(RetryPolicy::default().with_max_attempts(max_attempts));
        let mut call = register_call(options);
        let mut quota = RetryQuota::default();
        // One more answer than allowed: it must not be asked for.
        let answers = (1..=max_attempts + 1).map(&failure);
        let trace = drive(&mut call, start, &mut quota, answers, []);
        assert_eq!(
            call.attempts(),
            max_attempts,
            "{name}, {max_attempts} attempts"
        );
        assert_eq!(trace.sent.len() as u32, max_attempts);
        assert_eq!(trace.waits.len() as u32, max_attempts - 1, "{name}");
        assert_same_requests(&trace.sent);
        let error = trace.result.expect_err(name);
        check(&error, max_attempts);
        assert_already_finished(&mut call, start);
    }
    // The default is the standard mode's three attempts.
    let mut call = register_call(CallOptions::default());
    let trace = drive(
        &mut call,
        Instant::now(),
        &mut RetryQuota::default(),
        (1..=4).map(&failure),
        [],
    );
    assert!(trace.result.is_err());
    assert_eq!(call.attempts(), 3, "{name}");
}

/// A service error answer whose request id names the attempt.
fn numbered(status: u16, code: Option<&str>, attempt: u32) -> Answer {
    respond(status, code, &format!("req-{attempt}"), "{}")
}

#[test]
fn throttling_is_retried_up_to_max_attempts() {
    for code in [
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    ] {
        assert_retried_up_to_max(
            code,
            |n| numbered(400, Some(code), n),
            |e, last| {
                assert_eq!(retry::classify(e), RetryClass::Throttling);
                assert_eq!(e.code(), Some(&ErrorCode::Other(code.to_owned())));
                assert_eq!(e.status(), Some(400));
                assert_eq!(e.request_id(), Some(format!("req-{last}").as_str()));
            },
        );
    }
    // A 429 without a code any model names.
    assert_retried_up_to_max(
        "429",
        |n| numbered(429, None, n),
        |e, last| {
            assert_eq!(retry::classify(e), RetryClass::Throttling);
            assert_eq!(e.status(), Some(429));
            assert_eq!(e.request_id(), Some(format!("req-{last}").as_str()));
        },
    );
}

#[test]
fn transient_statuses_are_retried_up_to_max_attempts() {
    for code in [500, 502, 503, 504] {
        assert_retried_up_to_max(
            &code.to_string(),
            |n| numbered(code, None, n),
            |e, last| {
                assert_eq!(retry::classify(e), RetryClass::Transient);
                assert_eq!(e.status(), Some(code));
                assert_eq!(e.request_id(), Some(format!("req-{last}").as_str()));
            },
        );
    }
    // 5xx is transient whatever the code, modelled or not.
    assert_retried_up_to_max(
        "InternalServerException",
        |n| numbered(500, Some("InternalServerException"), n),
        |e, _| {
            assert_eq!(e.sso_oidc_code(), Some(sso_oidc::ErrorCode::InternalServer));
        },
    );
    assert_retried_up_to_max(
        "503 InvalidRequestException",
        |n| numbered(503, Some("InvalidRequestException"), n),
        |e, _| {
            assert_eq!(e.sso_oidc_code(), Some(sso_oidc::ErrorCode::InvalidRequest));
        },
    );
    assert_retried_up_to_max(
        "RequestTimeout",
        |n| numbered(400, Some("RequestTimeout"), n),
        |e, _| {
            assert_eq!(retry::classify(e), RetryClass::Transient);
        },
    );
    // A 2xx body cut short: the connection dropped.
    assert_retried_up_to_max(
        "truncated 200",
        |_| ok(r#"{"clientId":"c","#),
        |e, _| {
            assert!(matches!(e, Error::Parse(p) if p.status == 200));
        },
    );
}

/// A transport failure whose target names the attempt.
fn failed(kind: TransportErrorKind, attempt: u32) -> Answer {
    Answer::Transport(
        TransportError::new(REGISTER, kind)
            .with_target(format!("attempt-{attempt}"))
            .with_source(std::io::Error::other("boom")),
    )
}

#[test]
fn timeouts_are_retried_up_to_max_attempts() {
    for phase in [
        TimeoutPhase::Connect,
        TimeoutPhase::Read,
        TimeoutPhase::Call,
    ] {
        let after = Duration::from_secs(7);
        assert_retried_up_to_max(
            &format!("{phase:?} timeout"),
            |n| {
                let mut e = TransportError::timeout(REGISTER, phase, after);
                e.target = Some(format!("attempt-{n}"));
                Answer::Transport(e)
            },
            |e, last| {
                assert!(e.is_timeout());
                assert_eq!(retry::classify(e), RetryClass::Timeout);
                let t = e.transport_error().unwrap();
                assert_eq!(t.kind, TransportErrorKind::Timeout { phase, after });
                assert_eq!(
                    t.target.as_deref(),
                    Some(format!("attempt-{last}").as_str())
                );
            },
        );
    }
}

#[test]
fn connect_and_exchange_failures_are_retried_up_to_max_attempts() {
    for kind in [TransportErrorKind::Connect, TransportErrorKind::Exchange] {
        assert_retried_up_to_max(
            &format!("{kind:?}"),
            |n| failed(kind.clone(), n),
            |e, last| {
                assert_eq!(retry::classify(e), RetryClass::Transient);
                let t = e.transport_error().unwrap();
                assert_eq!(t.kind, kind);
                assert_eq!(t.operation, REGISTER);
                assert_eq!(
                    t.target.as_deref(),
                    Some(format!("attempt-{last}").as_str())
                );
                assert!(std::error::Error::source(t).is_some(), "the source is kept");
            },
        );
    }
}

/// Asserts `answer` ends the call after one attempt, touching no quota.
#[track_caller]
fn assert_not_retried(name: &str, answer: Answer) -> Error {
    let start = Instant::now();
    let mut call = register_call(
        CallOptions::default().with_retry(RetryPolicy::default().with_max_attempts(10)),
    );
    let mut quota = RetryQuota::new(500);
    quota.acquire(RetryClass::Transient).unwrap();
    let before = quota.clone();
    let trace = drive(&mut call, start, &mut quota, [answer], []);
    assert_eq!(call.attempts(), 1, "{name}");
    assert!(trace.waits.is_empty(), "{name}");
    assert_eq!(quota, before, "{name}: the quota is untouched");
    let error = trace.result.expect_err(name);
    assert_eq!(retry::classify(&error), RetryClass::NotRetryable, "{name}");
    assert_already_finished(&mut call, start);
    error
}

#[test]
fn modelled_4xx_codes_are_not_retried() {
    for code in
        sso_oidc::ErrorCode::modelled().filter(|c| *c != sso_oidc::ErrorCode::InternalServer)
    {
        let status = if code == sso_oidc::ErrorCode::InvalidClient {
            401
        } else {
            400
        };
        let error = assert_not_retried(code.as_str(), coded(status, code.as_str()));
        assert_eq!(error.sso_oidc_code(), Some(code));
        assert_eq!(error.status(), Some(status));
        let service = error.service_error().unwrap();
        assert_eq!(service.operation, REGISTER);
    }
    // By design, `authorization_pending` and `slow_down` are device-flow
    // states, not throttling: a plain call does not retry them, even on 429.
    for code in ["AuthorizationPendingException", "SlowDownException"] {
        assert_not_retried(code, coded(400, code));
        assert_not_retried(code, coded(429, code));
    }
    // Other 4xx without a known code.
    assert_not_retried("403", status(403));
    assert_not_retried("AccessDenied", coded(400, "AccessDenied"));
    // A 2xx body that does not fit the model.
    let error = assert_not_retried("wrong shape", ok("[1]"));
    assert!(matches!(error, Error::Parse(_)));
}

#[test]
fn tls_oversized_refused_and_cancelled_transport_errors_are_not_retried() {
    for kind in [
        TransportErrorKind::Tls,
        TransportErrorKind::BodyTooLarge {
            status: 200,
            limit: 1 << 20,
        },
        TransportErrorKind::InsecureEndpoint {
            url: "http://example.com/client/register".to_owned(),
        },
        TransportErrorKind::Cancelled,
    ] {
        let error = assert_not_retried(&format!("{kind:?}"), failed(kind.clone(), 1));
        let t = error.transport_error().unwrap();
        assert_eq!(t.kind, kind);
        assert!(!error.is_timeout());
    }
}

// ---------------------------------------------------------------------------
// Driving mistakes
// ---------------------------------------------------------------------------

#[test]
fn poll_after_done_returns_already_finished() {
    let start = Instant::now();
    // After a success...
    let mut call = register_call(CallOptions::default());
    drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [ok(REGISTERED)],
        [],
    )
    .result
    .unwrap();
    assert_already_finished(&mut call, start);
    // ...and after a failure.
    let mut call = register_call(CallOptions::default());
    drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [status(400)],
        [],
    )
    .result
    .unwrap_err();
    assert_already_finished(&mut call, start);
    // Late answers change nothing.
    let mut quota = RetryQuota::new(50);
    let Answer::Response(r) = ok(REGISTERED) else {
        unreachable!()
    };
    call.handle_response(start, &r, &mut quota, 0);
    call.handle_transport_error(
        start,
        TransportError::new(REGISTER, TransportErrorKind::Connect),
        &mut quota,
        0,
    );
    assert_eq!(quota.available(), 50);
    assert_eq!(call.attempts(), 1);
    assert_already_finished(&mut call, start);
}

#[test]
fn answers_without_a_request_in_flight_are_ignored() {
    let start = Instant::now();
    let mut call = register_call(CallOptions::default());
    let mut quota = RetryQuota::new(50);
    // Before the first poll.
    let Answer::Response(r) = status(503) else {
        unreachable!()
    };
    call.handle_response(start, &r, &mut quota, 0);
    call.handle_transport_error(
        start,
        TransportError::new(REGISTER, TransportErrorKind::Connect),
        &mut quota,
        0,
    );
    assert_eq!(call.attempts(), 0);
    assert!(!call.is_finished());
    assert_eq!(quota.available(), 50);
    // The call still runs normally.
    let trace = drive(&mut call, start, &mut quota, [ok(REGISTERED)], []);
    assert!(trace.result.is_ok());
    assert_eq!(call.attempts(), 1);
}

#[test]
fn polling_while_a_request_is_in_flight_sends_nothing() {
    let start = Instant::now();
    let mut call = register_call(CallOptions::default());
    let Step::Send(_) = call.poll(start, wall_at(start, start)) else {
        panic!()
    };
    match call.poll(start, wall_at(start, start)) {
        Step::Done(Err(Error::Misuse(_))) => {}
        other => panic!("expected a misuse error, got {other:?}"),
    }
    assert_eq!(call.attempts(), 1);
}

// ---------------------------------------------------------------------------
// User agent and signing
// ---------------------------------------------------------------------------

#[test]
fn the_user_agent_option_is_set_on_every_attempt() {
    let start = Instant::now();
    let ua = http::HeaderValue::from_static("my-app/1.2.3 oidc-core");
    let mut call = register_call(CallOptions::default().with_user_agent(ua.clone()));
    let trace = drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [
            status(503),
            transport(REGISTER, TransportErrorKind::Exchange),
            ok(REGISTERED),
        ],
        [],
    );
    assert!(trace.result.is_ok());
    assert_eq!(trace.sent.len(), 3);
    for sent in &trace.sent {
        assert_eq!(
            header(&sent.request, "user-agent"),
            ["my-app/1.2.3 oidc-core"]
        );
    }

    // Without the option: the core's own, on every attempt.
    let mut call = register_call(CallOptions::default());
    let trace = drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [status(500), ok(REGISTERED)],
        [],
    );
    assert_eq!(trace.sent.len(), 2);
    for sent in &trace.sent {
        assert_eq!(header(&sent.request, "user-agent"), [oidc_core::USER_AGENT]);
    }
}

/// A signer that records every call and stamps the request with the time
/// it was given.
#[derive(Default)]
struct RecordingSigner {
    calls: Mutex<Vec<(&'static str, SystemTime)>>,
    /// Fails from this call on (0-based), when set.
    fail_from: Option<usize>,
}

fn nanos(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

impl SignRequest for RecordingSigner {
    fn sign(
        &self,
        request: &mut http::Request<Vec<u8>>,
        signing_name: &'static str,
        time: SystemTime,
    ) -> Result<(), Error> {
        let mut calls = self.calls.lock().unwrap();
        calls.push((signing_name, time));
        if self.fail_from.is_some_and(|n| calls.len() > n) {
            return Err(Error::Signing {
                operation: IAM,
                cause: SigningError::Signer("the test signer refuses".to_owned()),
            });
        }
        let ua = request
            .headers()
            .get(http::header::USER_AGENT)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let headers = request.headers_mut();
        headers.insert("x-amz-date", nanos(time).to_string().parse().unwrap());
        headers.insert(
            http::header::AUTHORIZATION,
            format!("TEST-SIG name={signing_name} at={} ua={ua}", nanos(time))
                .parse()
                .unwrap(),
        );
        // Appended, so a request signed twice would show two values.
        headers.append("x-test-signed", "1".parse().unwrap());
        Ok(())
    }
}

#[test]
fn a_sigv4_operation_without_a_signer_is_refused() {
    assert_eq!(
        CreateTokenWithIamInput::AUTH,
        Auth::SigV4 {
            signing_name: SIGNING_NAME
        }
    );
    match Call::new(&iam_input(), &endpoint(), CallOptions::default()) {
        Err(Error::Signing { operation, cause }) => {
            assert_eq!(operation, IAM);
            assert_eq!(cause, SigningError::NoCredentials);
        }
        other => panic!("expected a signing error, got {other:?}"),
    }
    let request = iam_input().request(&endpoint()).unwrap();
    assert!(matches!(
        Call::<CreateTokenWithIamInput>::with_request(request, CallOptions::default()),
        Err(Error::Signing { .. })
    ));
}

#[test]
fn the_signer_signs_every_attempt_at_its_wall_clock_time() {
    let start = Instant::now();
    let signer = Arc::new(RecordingSigner::default());
    let ua = http::HeaderValue::from_static("signed-app/1");
    let options = CallOptions::default()
        .with_signer(signer.clone())
        .with_user_agent(ua);
    let mut call = Call::new(&iam_input(), &endpoint(), options).unwrap();
    let trace = drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [
            status(503),
            transport(IAM, TransportErrorKind::Connect),
            ok(IAM_TOKEN),
        ],
        [u32::MAX / 3, u32::MAX],
    );
    let output = trace.result.unwrap();
    assert_eq!(output.access_token.secret(), "at");
    assert_eq!(call.attempts(), 3);

    let calls = signer.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "signed once per attempt");
    for (sent, (name, time)) in trace.sent.iter().zip(&calls) {
        assert_eq!(*name, SIGNING_NAME);
        assert_eq!(*time, sent.wall, "signed at the attempt's wall-clock time");
        assert_eq!(
            header(&sent.request, "x-amz-date"),
            [nanos(sent.wall).to_string()]
        );
        // The user agent is set before signing; each attempt is signed once,
        // on a fresh copy.
        assert_eq!(
            header(&sent.request, "authorization"),
            [format!(
                "TEST-SIG name=sso-oauth at={} ua=signed-app/1",
                nanos(sent.wall)
            )]
        );
        assert_eq!(header(&sent.request, "x-test-signed"), ["1"]);
        assert_eq!(header(&sent.request, "user-agent"), ["signed-app/1"]);
    }
    // Time moved between attempts, so did the signatures.
    assert!(calls[0].1 < calls[1].1 && calls[1].1 < calls[2].1);
    assert_ne!(
        header(&trace.sent[0].request, "authorization"),
        header(&trace.sent[2].request, "authorization")
    );
    // The body and URI stay the operation's.
    let built = iam_input().request(&endpoint()).unwrap();
    for sent in &trace.sent {
        assert_eq!(sent.request.uri(), built.uri());
        assert_eq!(sent.request.body(), built.body());
    }
}

#[test]
fn a_signing_failure_ends_the_call() {
    let start = Instant::now();
    // On the first attempt: nothing is sent.
    let signer = Arc::new(RecordingSigner {
        fail_from: Some(0),
        ..RecordingSigner::default()
    });
    let mut call = Call::new(
        &iam_input(),
        &endpoint(),
        CallOptions::default().with_signer(signer),
    )
    .unwrap();
    let trace = drive(&mut call, start, &mut RetryQuota::default(), [], []);
    assert!(matches!(
        trace.result,
        Err(Error::Signing { operation: IAM, .. })
    ));
    assert!(trace.sent.is_empty());
    assert_eq!(call.attempts(), 0);
    assert_already_finished(&mut call, start);

    // On a retry: the signing error is the outcome.
    let signer = Arc::new(RecordingSigner {
        fail_from: Some(1),
        ..RecordingSigner::default()
    });
    let mut call = Call::new(
        &iam_input(),
        &endpoint(),
        CallOptions::default().with_signer(signer.clone()),
    )
    .unwrap();
    let trace = drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [status(503)],
        [],
    );
    assert!(matches!(trace.result, Err(Error::Signing { .. })));
    assert_eq!(call.attempts(), 1);
    assert_eq!(signer.calls.lock().unwrap().len(), 2);
    assert_already_finished(&mut call, start);
}

#[test]
fn unsigned_operations_never_call_the_signer() {
    let start = Instant::now();
    let signer = Arc::new(RecordingSigner::default());
    let mut call = register_call(CallOptions::default().with_signer(signer.clone()));
    let trace = drive(
        &mut call,
        start,
        &mut RetryQuota::default(),
        [status(500), ok(REGISTERED)],
        [],
    );
    assert!(trace.result.is_ok());
    assert!(signer.calls.lock().unwrap().is_empty());
    for sent in &trace.sent {
        assert!(header(&sent.request, "authorization").is_empty());
    }
}

// ---------------------------------------------------------------------------
// The HTTPS rule
// ---------------------------------------------------------------------------

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let plain = Endpoint::from_url("http://example.com").unwrap();
    match Call::new(&register_input(), &plain, CallOptions::default()) {
        Err(Error::Transport(e)) => {
            assert_eq!(e.operation, REGISTER);
            match &e.kind {
                TransportErrorKind::InsecureEndpoint { url } => {
                    assert!(url.starts_with("http://example.com"), "{url}")
                }
                other => panic!("expected InsecureEndpoint, got {other:?}"),
            }
            assert!(e.to_string().contains("http://example.com"), "{e}");
            assert_eq!(
                retry::classify(&Error::Transport(e)),
                RetryClass::NotRetryable
            );
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    // Signing is not what refuses it.
    let signer = Arc::new(RecordingSigner::default());
    assert!(matches!(
        Call::new(
            &iam_input(),
            &plain,
            CallOptions::default().with_signer(signer.clone())
        ),
        Err(Error::Transport(TransportError {
            kind: TransportErrorKind::InsecureEndpoint { .. },
            ..
        }))
    ));
    assert!(signer.calls.lock().unwrap().is_empty());
    // A prebuilt request is checked too.
    let request = register_input().request(&plain).unwrap();
    assert!(matches!(
        Call::<RegisterClientInput>::with_request(request, CallOptions::default()),
        Err(Error::Transport(_))
    ));
    // Unless the caller allows it.
    assert!(Call::new(
        &register_input(),
        &plain,
        CallOptions::default().with_insecure_http(true)
    )
    .is_ok());

    // Loopback is allowed over plain HTTP.
    for url in [
        "http://127.0.0.1:1",
        "http://localhost:8080",
        "http://[::1]:1",
        "http://127.0.0.2",
    ] {
        let loopback = Endpoint::from_url(url).unwrap();
        let start = Instant::now();
        let mut call = Call::new(&register_input(), &loopback, CallOptions::default())
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let trace = drive(
            &mut call,
            start,
            &mut RetryQuota::default(),
            [ok(REGISTERED)],
            [],
        );
        assert!(trace.result.is_ok(), "{url}");
        assert!(
            trace.sent[0].request.uri().to_string().starts_with(url),
            "{url}: {}",
            trace.sent[0].request.uri()
        );
    }
}

// ---------------------------------------------------------------------------
// Any sequence of answers
// ---------------------------------------------------------------------------

/// A scripted answer, buildable any number of times.
#[derive(Debug, Clone)]
enum Script {
    Http {
        status: u16,
        error_type: Option<String>,
        body: Vec<u8>,
    },
    Transport(TransportErrorKind),
}

impl Script {
    fn answer(&self) -> Answer {
        match self {
            Script::Http {
                status,
                error_type,
                body,
            } => {
                let mut response = http::Response::new(body.clone());
                *response.status_mut() = http::StatusCode::from_u16(*status).unwrap();
                if let Some(value) = error_type
                    .as_deref()
                    .and_then(|t| http::HeaderValue::from_str(t).ok())
                {
                    response.headers_mut().insert("x-amzn-errortype", value);
                }
                response
                    .headers_mut()
                    .insert("x-amzn-requestid", "req-prop".parse().unwrap());
                Answer::Response(response)
            }
            Script::Transport(kind) => transport(REGISTER, kind.clone()),
        }
    }
}

fn script() -> impl Strategy<Value = Script> {
    let http = |status: BoxedStrategy<u16>,
                code: BoxedStrategy<Option<String>>,
                body: BoxedStrategy<Vec<u8>>| {
        (status, code, body).prop_map(|(status, error_type, body)| Script::Http {
            status,
            error_type,
            body,
        })
    };
    let modelled: Vec<String> = sso_oidc::ErrorCode::modelled()
        .map(|c| c.as_str().to_owned())
        .collect();
    let throttling: Vec<String> = THROTTLING_CODES.iter().map(|c| (*c).to_owned()).collect();
    prop_oneof![
        3 => Just(Script::Http { status: 200, error_type: None, body: REGISTERED.as_bytes().to_vec() }),
        1 => http(Just(200).boxed(), Just(None).boxed(), prop_oneof![
            Just(b"{\"clientId\":".to_vec()),
            Just(b"[1]".to_vec()),
            Just(Vec::new()),
        ].boxed()),
        2 => http(prop_oneof![Just(400u16), Just(401), Just(429), Just(500)].boxed(),
                  prop::sample::select(modelled).prop_map(Some).boxed(),
                  Just(b"{}".to_vec()).boxed()),
        2 => http(prop_oneof![Just(400u16), Just(429)].boxed(),
                  prop::sample::select(throttling).prop_map(Some).boxed(),
                  Just(Vec::new()).boxed()),
        3 => http(prop_oneof![Just(500u16), Just(502), Just(503), Just(504), Just(429), Just(408)].boxed(),
                  prop::option::of(prop_oneof![Just("RequestTimeout".to_owned()), "[A-Za-z:#]{0,12}"]).boxed(),
                  prop_oneof![Just(Vec::new()), Just(b"<html>bad gateway</html>".to_vec())].boxed()),
        2 => http((100u16..600).boxed(), prop::option::of("[ -~]{0,20}").boxed(),
                  prop::collection::vec(any::<u8>(), 0..40).boxed()),
        4 => prop_oneof![
            Just(TransportErrorKind::Connect),
            Just(TransportErrorKind::Tls),
            Just(TransportErrorKind::Exchange),
            (prop_oneof![Just(TimeoutPhase::Connect), Just(TimeoutPhase::Read), Just(TimeoutPhase::Call)], 0u64..100)
                .prop_map(|(phase, s)| TransportErrorKind::Timeout { phase, after: Duration::from_secs(s) }),
            (100u16..600, any::<u64>()).prop_map(|(status, limit)| TransportErrorKind::BodyTooLarge { status, limit }),
            Just(TransportErrorKind::InsecureEndpoint { url: "http://example.com/".to_owned() }),
            Just(TransportErrorKind::Cancelled),
        ].prop_map(Script::Transport),
    ]
}

/// What the standard policy says a run of `script` must do: the outcome
/// (Ok, or the error), the attempts and the quota left.
fn model(script: &[Script], max_attempts: u32, capacity: u32) -> (Result<(), Error>, u32, u32) {
    let mut available = capacity;
    let mut spent = 0;
    for (n, answer) in script.iter().enumerate() {
        let attempts = n as u32 + 1;
        let outcome = match answer.answer() {
            Answer::Response(r) => RegisterClientInput::parse(&r).map(drop),
            Answer::Transport(e) => Err(Error::Transport(e)),
        };
        let error = match outcome {
            Ok(()) => {
                let refund = if spent == 0 { 1 } else { spent };
                return (Ok(()), attempts, (available + refund).min(capacity));
            }
            Err(e) => e,
        };
        let cost = match retry::classify(&error) {
            RetryClass::NotRetryable => return (Err(error), attempts, available),
            RetryClass::Timeout => RetryQuota::TIMEOUT_RETRY_COST,
            _ => RetryQuota::RETRY_COST,
        };
        if attempts >= max_attempts || available < cost {
            return (Err(error), attempts, available);
        }
        available -= cost;
        spent += cost;
    }
    panic!("the script is shorter than max_attempts");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_answers_end_the_call_within_max_attempts(
        answers in prop::collection::vec(script(), 8),
        randoms in prop::collection::vec(any::<u32>(), 8),
        max_attempts in 1u32..=8,
        capacity in prop_oneof![0u32..40, Just(500)],
        initial_ms in 0u64..2_000,
        max_ms in 0u64..30_000,
    ) {
        let policy = RetryPolicy::default()
            .with_max_attempts(max_attempts)
            .with_backoff(Duration::from_millis(initial_ms), Duration::from_millis(max_ms));
        let start = Instant::now();
        let mut call = register_call(CallOptions::default().with_retry(policy));
        let mut quota = RetryQuota::new(capacity);
        let trace = drive(
            &mut call,
            start,
            &mut quota,
            answers.iter().map(Script::answer),
            randoms.iter().copied(),
        );

        prop_assert!(call.attempts() >= 1);
        prop_assert!(call.attempts() <= max_attempts);
        prop_assert_eq!(trace.sent.len() as u32, call.attempts());
        prop_assert!(quota.available() <= capacity);

        // Exactly what the standard policy prescribes.
        let (expected, attempts, available) = model(&answers, max_attempts, capacity);
        prop_assert_eq!(call.attempts(), attempts);
        prop_assert_eq!(quota.available(), available);
        match (&trace.result, &expected) {
            (Ok(output), Ok(())) => prop_assert_eq!(output.client_id.as_str(), "c"),
            (Err(got), Err(want)) => prop_assert_eq!(got, want),
            (got, want) => prop_assert!(false, "got {:?}, the policy says {:?}", got.as_ref().map(drop), want),
        }

        // Every retry waited its jittered back-off, from the failure.
        for n in 1..trace.sent.len() {
            let waited = trace.sent[n].at - trace.answered[n - 1];
            prop_assert_eq!(waited, policy.backoff(n as u32, randoms[n - 1]));
            prop_assert!(waited <= policy.max_backoff);
        }
        assert_same_requests(&trace.sent);

        // And it stays over.
        for _ in 0..2 {
            let polled = call.poll(start, wall_at(start, start));
            prop_assert!(
                matches!(polled, Step::Done(Err(Error::Misuse(Misuse::AlreadyFinished)))),
                "{:?}", polled
            );
        }
    }
}

/// A signer that fails and repeats a secret it saw.
struct LeakySigner;

impl SignRequest for LeakySigner {
    fn sign(
        &self,
        _request: &mut http::Request<Vec<u8>>,
        _signing_name: &'static str,
        _time: SystemTime,
    ) -> Result<(), Error> {
        Err(Error::Signing {
            operation: "",
            cause: SigningError::Signer("refused the refresh token aorvEXAMPLE".to_owned()),
        })
    }
}

#[test]
fn a_failing_signer_is_a_typed_error_of_the_call_without_its_secrets() {
    let options = CallOptions::default().with_signer(Arc::new(LeakySigner));
    let mut call = Call::new(&iam_input(), &endpoint(), options).unwrap();
    let Step::Done(Err(e)) = call.poll(Instant::now(), SystemTime::now()) else {
        panic!("a failed signing ends the call");
    };
    let Error::Signing { operation, cause } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*operation, IAM);
    assert!(matches!(cause, SigningError::Signer(_)));
    // The cause is the source, not repeated in the message.
    assert_eq!(e.to_string(), format!("cannot sign the {IAM} request"));
    let said = std::error::Error::source(&e).unwrap().to_string();
    assert!(said.starts_with("refused the refresh token"), "{said}");
    assert!(!said.contains("aorvEXAMPLE") && !format!("{e:?}").contains("aorvEXAMPLE"));
}
