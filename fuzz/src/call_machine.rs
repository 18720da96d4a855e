//! Fuzz target `call_machine`: a `Call` driven by scripted responses and
//! transport errors.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::endpoint::Endpoint;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::step::Step;
use oidc_core::{Error, Operation, TimeoutPhase, TransportError, TransportErrorKind};

/// Drives a [`Call`](oidc_core::Call) with a script of answers.
///
/// Input: the first line is `<op> <max attempts> <quota>`: op `sts`
/// (GetCallerIdentity, SigV4-signed) or anything else (RegisterClient,
/// unsigned); max attempts 1 to 10 (default 3); quota capacity (default
/// 500). Each further line answers one attempt:
///
/// * `r <status> <x-amzn-ErrorType or -> <body>`: a response;
/// * `t` / `timeout`: a transport error / a read timeout;
/// * `poll`: poll again while the attempt is in flight (a driver error);
/// * `early`: hand a response over before polling (ignored by the call),
///   then a transport error.
///
/// When the script runs out, every attempt gets a transport error.
///
/// Invariants: the call is done within max attempts (and a bounded number
/// of polls); never more sends than max attempts; `attempts()` counts the
/// sends; waits lie in the future; every attempt carries the user agent,
/// and SigV4 attempts a valid signature at the poll's wall-clock time;
/// an early response is ignored; polling in flight ends the call with
/// `PolledInFlight`; once done, `poll` answers `AlreadyFinished`; a
/// success comes from a 2xx; the quota never exceeds its capacity.
pub fn call_machine(data: &[u8]) {
    use oidc_core::sts::get_caller_identity::GetCallerIdentityInput;
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let mut words = header.split_whitespace();
    let sts = words.next() == Some("sts");
    let max_attempts = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(3)
        .clamp(1, 10);
    let capacity = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(500)
        .min(100_000);
    let script: Vec<&str> = lines.collect();
    // Built once: the endpoints are the same for every input.
    static ENDPOINTS: OnceLock<(Endpoint, Endpoint)> = OnceLock::new();
    let (sts_endpoint, oidc_endpoint) = ENDPOINTS.get_or_init(|| {
        (
            Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint"),
            Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").expect("a valid endpoint"),
        )
    });
    if sts {
        drive_call(
            &GetCallerIdentityInput::new(),
            sts_endpoint,
            true,
            max_attempts,
            capacity,
            &script,
        );
    } else {
        drive_call(
            &RegisterClientInput::new("fuzz"),
            oidc_endpoint,
            false,
            max_attempts,
            capacity,
            &script,
        );
    }
}

const CALL_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYCALLFUZZKEY";

fn drive_call<O: Operation>(
    input: &O,
    endpoint: &Endpoint,
    signed: bool,
    max_attempts: u32,
    capacity: u32,
    script: &[&str],
) {
    use oidc_core::call::{Call, CallOptions};
    use oidc_core::retry::{RetryPolicy, RetryQuota};
    use oidc_core::secret::SecretAccessKey;
    use oidc_core::sigv4::SigV4Signer;
    use oidc_core::Misuse;
    use std::sync::Arc;

    let mut options =
        CallOptions::default().with_retry(RetryPolicy::default().with_max_attempts(max_attempts));
    let credentials =
        oidc_core::Credentials::new("AKIDEXAMPLE", SecretAccessKey::new(CALL_SECRET_KEY));
    if signed {
        options = options.with_signer(Arc::new(SigV4Signer::new(credentials.clone(), "us-east-1")));
    }
    let mut call = Call::<O>::new(input, endpoint, options).expect("the call starts");
    let mut quota = RetryQuota::new(capacity);
    let start = Instant::now();
    let mut now = start;
    let wall = UNIX_EPOCH + Duration::from_secs(1_715_708_889);
    let mut sends = 0u32;
    let mut events = script.iter().copied();
    let mut done = None;
    let mut last_ok_status = None;
    // Each attempt takes at most a send and a wait.
    for _ in 0..(2 * max_attempts + 2) {
        assert!(
            quota.available() <= capacity,
            "the quota grew over its capacity"
        );
        match call.poll(now, wall) {
            Step::Send(request) => {
                sends += 1;
                assert!(sends <= max_attempts, "more than {max_attempts} sends");
                assert_eq!(call.attempts(), sends);
                assert!(request.headers().contains_key(http::header::USER_AGENT));
                if signed {
                    check_call_signature(&request, &credentials, wall);
                }
                let event = events.next().unwrap_or("t");
                let mut words = event.splitn(4, ' ');
                match words.next().unwrap_or_default() {
                    "r" => {
                        let status = words
                            .next()
                            .and_then(|s| s.parse::<u16>().ok())
                            .and_then(|s| http::StatusCode::from_u16(s).ok())
                            .unwrap_or(http::StatusCode::OK);
                        let error_type = words.next().filter(|t| *t != "-");
                        let body = words.next().unwrap_or_default();
                        let mut response = http::Response::new(body.as_bytes().to_vec());
                        *response.status_mut() = status;
                        if let Some(v) =
                            error_type.and_then(|t| http::HeaderValue::from_str(t).ok())
                        {
                            response.headers_mut().insert("x-amzn-errortype", v);
                        }
                        last_ok_status = Some(status);
                        call.handle_response(
                            now,
                            &response,
                            &mut quota,
                            sends.wrapping_mul(2_654_435_761),
                        );
                    }
                    "poll" => {
                        let step = call.poll(now, wall);
                        assert!(
                            matches!(step, Step::Done(Err(Error::Misuse(Misuse::PolledInFlight)))),
                            "polled in flight: {:?}",
                            step.map_done(|r| r.map(|_| ()))
                        );
                        done = Some(false);
                        break;
                    }
                    "timeout" => {
                        let e = TransportError::timeout(
                            O::NAME,
                            TimeoutPhase::Read,
                            Duration::from_secs(30),
                        );
                        call.handle_transport_error(now, e, &mut quota, 7);
                    }
                    _ => {
                        let e = TransportError::new("Other", TransportErrorKind::Exchange)
                            .with_source("connection reset");
                        call.handle_transport_error(now, e, &mut quota, 7);
                    }
                }
            }
            Step::WaitUntil(at) => {
                assert!(at > now, "WaitUntil is not in the future");
                // An answer before the attempt is ignored.
                if events.clone().next() == Some("early") {
                    let attempts = call.attempts();
                    call.handle_response(
                        now,
                        &http::Response::new(Vec::<u8>::new()),
                        &mut quota,
                        0,
                    );
                    assert_eq!(call.attempts(), attempts);
                    assert!(!call.is_finished(), "an early response finished the call");
                }
                now = at;
            }
            Step::Done(result) => {
                assert!(call.is_finished());
                match &result {
                    Ok(_) => assert!(
                        last_ok_status.is_some_and(|s| s.is_success()),
                        "success without a 2xx"
                    ),
                    Err(e) => {
                        let shown = format!("{e}\n{e:?}");
                        assert!(
                            !shown.contains(CALL_SECRET_KEY),
                            "the error shows the secret key"
                        );
                        if let Error::Transport(t) = e {
                            assert_eq!(t.operation, O::NAME, "transport error not relabelled");
                        }
                    }
                }
                done = Some(result.is_ok());
                break;
            }
        }
    }
    assert!(
        done.is_some(),
        "the call is not done after {max_attempts} attempts"
    );
    assert!(call.is_finished());
    let step = call.poll(now, wall);
    assert!(
        matches!(
            step,
            Step::Done(Err(Error::Misuse(Misuse::AlreadyFinished)))
        ),
        "poll after done: {:?}",
        step.map_done(|r| r.map(|_| ()))
    );
    assert!(sends <= max_attempts);
}

/// A SigV4 attempt of [`call_machine`] carries a valid signature.
fn check_call_signature(
    request: &http::Request<Vec<u8>>,
    credentials: &oidc_core::Credentials,
    wall: SystemTime,
) {
    use oidc_core::sigv4::{self, SigningSettings};
    let amz_date = sigv4::amz_date(wall).expect("a valid time");
    assert_eq!(request.headers()["x-amz-date"], amz_date.as_str());
    let authorization = request.headers()[http::header::AUTHORIZATION]
        .to_str()
        .expect("ASCII");
    let signature = authorization
        .rsplit_once("Signature=")
        .map(|(_, s)| s)
        .expect("a signature");
    let creq = sigv4::canonical_request(request, &SigningSettings::default()).expect("canonical");
    let sts = sigv4::string_to_sign(&creq, wall, "us-east-1", "sts").expect("string to sign");
    // The key and the clock are the same for every input: derived once (four
    // HMACs less per attempt).
    static KEY: OnceLock<(String, [u8; 32])> = OnceLock::new();
    let (date, key) = KEY.get_or_init(|| {
        let key = sigv4::signing_key(
            &credentials.secret_access_key,
            &amz_date[..8],
            "us-east-1",
            "sts",
        );
        (amz_date[..8].to_owned(), key)
    });
    assert_eq!(date, &amz_date[..8], "the wall clock is fixed");
    assert_eq!(sigv4::signature(key, &sts), signature);
}
