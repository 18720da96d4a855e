//! Fuzz target `device_flow`: a `DeviceFlow` driven by a script of polls,
//! responses, transport errors and clock jumps.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use oidc_core::device_flow::{DeviceFlow, DeviceFlowError, MIN_INTERVAL};
use oidc_core::endpoint::Endpoint;
use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::create_token::CreateTokenInput;
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationOutput};
use oidc_core::step::Step;
use oidc_core::{Error, Operation, TimeoutPhase, TransportError, TransportErrorKind};

use super::support::sampled;

/// The client secret the device-flow target registers with; it must never
/// show in the `Debug` output of the flow or of its actions.
const CLIENT_SECRET: &str = "fuzz-client-secret-5f0c2e";

/// Used when the script's first line is not a valid
/// `StartDeviceAuthorization` body.
const DEFAULT_AUTHORIZATION: &str = r#"{"deviceCode":"device-code","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","expiresIn":600,"interval":1}"#;

/// Drives a [`DeviceFlow`] by a script and checks its contract.
///
/// The first line is the `StartDeviceAuthorization` response body the flow
/// starts from (a default one when it does not parse). Each further line is
/// one event:
///
/// * `poll`: call `poll` at the current time and check the action;
/// * `respond <status> <x-amzn-ErrorType or -> <body>`: hand a response to
///   `handle_response`;
/// * `transport` / `transport timeout`: report a transport error;
/// * `advance <ms>` / `back <ms>`: move the clock;
/// * `wait`: move the clock to the last `WaitUntil` instant.
///
/// Other lines are ignored. After the script, the flow is driven (answering
/// "authorization pending") for a bounded number of steps, and then polled
/// at its deadline, where it must be done.
///
/// Invariants: no panic; never two requests in flight; a poll is never sent
/// sooner than the interval in force after the previous answer, nor at or
/// after the deadline; `WaitUntil` lies strictly in the future and not
/// after the deadline; the prompt is shown once, after the first request;
/// once done the flow stays done with the same outcome; at the deadline an
/// unfinished flow ends `Expired`; after more than
/// `MAX_CONSECUTIVE_TRANSIENT_FAILURES` transport errors in a row it has
/// ended; responses are refused unless a request is in flight; the client
/// secret never shows in `Debug` output.
pub fn device_flow(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    // Parsed and built once: the same for every input.
    static DEFAULTS: OnceLock<(StartDeviceAuthorizationOutput, Endpoint)> = OnceLock::new();
    let (default_authorization, endpoint) = DEFAULTS.get_or_init(|| {
        (
            start_device_authorization::parse(&http::Response::new(DEFAULT_AUTHORIZATION))
                .expect("the default authorization parses"),
            Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").expect("a valid endpoint"),
        )
    });
    let authorization = start_device_authorization::parse(&http::Response::new(first))
        .unwrap_or_else(|_| default_authorization.clone());
    let hidden = hidden_values(&text, authorization.device_code.secret());
    let start = Instant::now();
    let flow = DeviceFlow::new(
        "client-id",
        ClientSecret::new(CLIENT_SECRET),
        authorization,
        endpoint.clone(),
        start,
    );
    let mut driver = Driver::new(flow, start, hidden, sampled(data, 8));
    for line in lines {
        let mut words = line.splitn(4, ' ');
        match words.next().unwrap_or_default() {
            "poll" => {
                driver.poll();
            }
            "respond" => {
                let status = words.next().and_then(|s| s.parse::<u16>().ok());
                let error_type = words.next().filter(|t| *t != "-");
                let body = words.next().unwrap_or_default();
                driver.respond(status, error_type, body);
            }
            "transport" => driver.transport(words.next() == Some("timeout")),
            "advance" => {
                if let Some(ms) = words.next().and_then(|s| s.parse::<u64>().ok()) {
                    driver.now = driver
                        .now
                        .checked_add(Duration::from_millis(ms))
                        .unwrap_or(driver.now);
                }
            }
            "back" => {
                if let Some(ms) = words.next().and_then(|s| s.parse::<u64>().ok()) {
                    driver.now = driver
                        .now
                        .checked_sub(Duration::from_millis(ms))
                        .unwrap_or(driver.now);
                }
            }
            "wait" => {
                if let Some(t) = driver.last_wait {
                    driver.now = driver.now.max(t);
                }
            }
            _ => {}
        }
    }
    driver.finish();
}

/// The secrets whose absence from `Debug` output the device-flow target
/// can check: the client secret, and the device code when it is distinctive
/// (long, plain characters, written once in the script). A value the script
/// also puts in a non-secret place would show legitimately.
fn hidden_values(script: &str, device_code: &str) -> Vec<String> {
    let mut hidden = Vec::new();
    if !script.contains(CLIENT_SECRET) {
        hidden.push(CLIENT_SECRET.to_owned());
    }
    let plain = device_code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    // The code comes from the first line (or is the default one); it must
    // not be written anywhere else, not even through a JSON escape (no `\`
    // after the first line), where a key an error path shows could spell it.
    let rest = script.split_once('\n').map_or("", |(_, rest)| rest);
    if device_code.len() >= 8
        && plain
        && script.matches(device_code).count() <= 1
        && !rest.contains(device_code)
        && !rest.contains('\\')
    {
        hidden.push(device_code.to_owned());
    }
    hidden
}

/// What the driver knows of the flow's history.
struct Driver {
    /// Secrets that must never show in `Debug` output.
    hidden: Vec<String>,
    /// Whether `Debug` of every action and of the flow after every answer
    /// is checked (one input in 8: formatting a request and the flow costs
    /// more than the rest of a step). Otherwise the first request, every
    /// other action and the flow at the end are checked.
    debug_every_step: bool,
    /// Whether the first request's `Debug` has been checked.
    checked_first_send: bool,
    flow: DeviceFlow,
    now: Instant,
    deadline: Instant,
    in_flight: bool,
    sends: u32,
    prompt_shown: bool,
    /// When the last answer was handled, and the interval in force after it.
    last_answer: Option<(Instant, Duration)>,
    last_wait: Option<Instant>,
    /// `Some(is_ok)` once `poll` returned `Done`.
    done: Option<bool>,
    consecutive_transport_errors: u32,
}

impl Driver {
    fn new(flow: DeviceFlow, now: Instant, hidden: Vec<String>, debug_every_step: bool) -> Driver {
        let deadline = flow.deadline();
        assert_eq!(flow.prompt().expires_at, deadline);
        assert!(flow.interval() >= MIN_INTERVAL);
        Driver {
            hidden,
            debug_every_step,
            checked_first_send: false,
            flow,
            now,
            deadline,
            in_flight: false,
            sends: 0,
            prompt_shown: false,
            last_answer: None,
            last_wait: None,
            done: None,
            consecutive_transport_errors: 0,
        }
    }

    /// One `poll`, checked. Returns whether the flow is done.
    fn poll(&mut self) -> bool {
        let was_finished = self.flow.is_finished();
        let action = self.flow.poll(self.now);
        let is_send = matches!(action, Step::Send(_));
        if self.debug_every_step || !is_send || !self.checked_first_send {
            self.check_hidden(&format!("{action:?}"));
            self.checked_first_send |= is_send;
        }
        if self.now >= self.deadline {
            assert!(
                matches!(action, Step::Done(_)),
                "{:?} at the deadline",
                action.map_done(|r| r.map(|_| ()))
            );
        }
        match action {
            Step::Send(request) => {
                assert!(self.done.is_none(), "sent after done");
                assert!(!self.in_flight, "two requests in flight");
                assert!(self.now < self.deadline, "sent at the deadline");
                if let Some((answered, interval)) = self.last_answer {
                    assert!(
                        self.now
                            .checked_duration_since(answered)
                            .is_some_and(|d| d >= interval),
                        "polled sooner than {interval:?} after the last answer"
                    );
                }
                assert_eq!(request.method(), http::Method::POST);
                assert_eq!(request.uri().path(), "/token");
                let body: serde_json::Value =
                    serde_json::from_slice(request.body()).expect("the request body is JSON");
                assert_eq!(
                    body["grantType"],
                    "urn:ietf:params:oauth:grant-type:device_code"
                );
                self.in_flight = true;
                self.sends += 1;
                false
            }
            Step::Local(prompt) => {
                assert!(!self.prompt_shown, "prompt shown twice");
                assert!(self.sends >= 1, "prompt shown before the first request");
                assert_eq!(&prompt, self.flow.prompt());
                let _ = prompt.uri_to_open();
                self.prompt_shown = true;
                false
            }
            Step::WaitUntil(t) => {
                assert!(t > self.now, "WaitUntil is not in the future");
                assert!(t <= self.deadline, "WaitUntil is after the deadline");
                self.last_wait = Some(t);
                false
            }
            Step::Done(outcome) => {
                assert!(self.flow.is_finished());
                if let Some(was_ok) = self.done {
                    assert_eq!(was_ok, outcome.is_ok(), "the outcome changed");
                }
                if !was_finished && self.now >= self.deadline {
                    assert!(
                        matches!(outcome, Err(DeviceFlowError::Expired { service: None })),
                        "unfinished flow at the deadline ended {outcome:?}"
                    );
                }
                if let Err(e) = &outcome {
                    let _ = e.to_string();
                }
                self.done = Some(outcome.is_ok());
                self.in_flight = false;
                true
            }
        }
    }

    fn respond(&mut self, status: Option<u16>, error_type: Option<&str>, body: &str) {
        let mut response = http::Response::new(body.as_bytes().to_vec());
        if let Some(status) = status.and_then(|s| http::StatusCode::from_u16(s).ok()) {
            *response.status_mut() = status;
        }
        if let Some(value) = error_type.and_then(|t| http::HeaderValue::from_str(t).ok()) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        let before = self.flow.interval();
        let result = self.flow.handle_response(self.now, &response);
        self.answered(result, before);
        self.consecutive_transport_errors = 0;
    }

    fn transport(&mut self, timeout: bool) {
        let error = if timeout {
            TransportError::timeout(
                CreateTokenInput::NAME,
                TimeoutPhase::Read,
                Duration::from_secs(30),
            )
        } else {
            TransportError::new(CreateTokenInput::NAME, TransportErrorKind::Exchange)
                .with_source("connection reset")
        };
        let before = self.flow.interval();
        let result = self.flow.handle_transport_error(self.now, error.into());
        let was_in_flight = self.in_flight;
        self.answered(result, before);
        if was_in_flight {
            self.consecutive_transport_errors += 1;
            if self.consecutive_transport_errors
                > oidc_core::device_flow::MAX_CONSECUTIVE_TRANSIENT_FAILURES
            {
                // The flow gave up on this very error (the flow's own count
                // of transient failures is at least the driver's).
                assert!(self.flow.is_finished(), "transport errors without end");
                let action = self.flow.poll(self.now);
                assert!(
                    matches!(
                        action,
                        Step::Done(Err(DeviceFlowError::Failed(Error::Transport(_))))
                    ),
                    "gave up with {action:?}"
                );
            }
        }
    }

    fn answered(&mut self, result: Result<(), Error>, interval_before: Duration) {
        if self.in_flight {
            assert!(result.is_ok(), "answer refused: {result:?}");
            self.in_flight = false;
            let interval = self.flow.interval();
            assert!(interval >= interval_before, "the interval shrank");
            self.last_answer = Some((self.now, interval));
        } else {
            assert!(
                matches!(result, Err(Error::Misuse(_))),
                "answer without a request in flight: {result:?}"
            );
        }
        if self.debug_every_step {
            self.check_hidden(&format!("{:?}", self.flow));
        }
    }

    fn check_hidden(&self, debug: &str) {
        for secret in &self.hidden {
            assert!(
                !debug.contains(secret.as_str()),
                "a secret shows in {debug}"
            );
        }
    }

    /// Drives the flow to its end: answers "pending" for a bounded number
    /// of steps, then polls at the deadline.
    fn finish(&mut self) {
        for _ in 0..8 {
            if self.in_flight {
                self.respond(
                    Some(400),
                    Some("AuthorizationPendingException"),
                    r#"{"error":"authorization_pending"}"#,
                );
            }
            if self.poll() {
                break;
            }
            if !self.in_flight {
                if let Some(t) = self.last_wait {
                    self.now = self.now.max(t);
                }
            }
        }
        self.check_hidden(&format!("{:?}", self.flow));
        self.now = self.now.max(self.deadline);
        assert!(self.poll(), "not done at the deadline");
        assert!(self.poll(), "not done after done");
    }
}
