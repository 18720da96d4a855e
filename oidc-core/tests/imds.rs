//! The IMDS credentials machine, end to end with canned answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::debug::DebugRequest;
use oidc_core::imds::{
    ImdsCredentials, ImdsError, ImdsRoleCredentials, DEFAULT_ENDPOINT, MAX_RESPONSE_BYTES,
};
use oidc_core::step::{operation_name, send_deadline};
use oidc_core::{Step, TimeoutPhase, TransportError, TransportErrorKind};

enum Answer {
    Status(u16, &'static str),
    Body(u16, String),
    Fail(TransportErrorKind),
}
use Answer::{Body, Fail, Status};

const TOKEN: &str = "AQAEAPlantedTokenValue==";
const ROLES: &str = "/latest/meta-data/iam/security-credentials/";
const CREDS: &str = r#"{"Code": "Success", "LastUpdated": "2024-01-01T00:00:00Z", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Token": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T06:00:00Z"}"#;

struct Sent {
    method: String,
    path: String,
    token: Option<String>,
    ttl: Option<String>,
    operation: &'static str,
    deadline: Option<Instant>,
}

fn drive(
    mut imds: ImdsCredentials,
    answers: Vec<Answer>,
) -> (Vec<Sent>, Result<ImdsRoleCredentials, ImdsError>) {
    let now = Instant::now();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
    let mut answers: VecDeque<Answer> = answers.into();
    let mut sent = Vec::new();
    loop {
        match imds.poll(now, wall) {
            Step::Send(request) => {
                let header = |name: &str| {
                    request
                        .headers()
                        .get(name)
                        .map(|v| v.to_str().unwrap().to_owned())
                };
                if let Some(v) = request.headers().get("x-aws-ec2-metadata-token") {
                    assert!(v.is_sensitive());
                }
                let shown = format!("{:?}", DebugRequest(&request));
                assert!(!shown.contains("Planted"), "{shown}");
                sent.push(Sent {
                    method: request.method().to_string(),
                    path: request.uri().path().to_owned(),
                    token: header("x-aws-ec2-metadata-token"),
                    ttl: header("x-aws-ec2-metadata-token-ttl-seconds"),
                    operation: operation_name(&request),
                    deadline: send_deadline(&request)
                        .map(|d| d.duration_since(now))
                        .map(|d| now + d),
                });
                match answers.pop_front().expect("more requests than answers") {
                    Status(status, body) => imds.handle_response(
                        now,
                        &http::Response::builder()
                            .status(status)
                            .body(body.as_bytes())
                            .unwrap(),
                    ),
                    Body(status, body) => imds.handle_response(
                        now,
                        &http::Response::builder()
                            .status(status)
                            .body(body.into_bytes())
                            .unwrap(),
                    ),
                    Fail(kind) => imds.handle_transport_error(now, TransportError::new("", kind)),
                }
            }
            Step::WaitUntil(_) => panic!("IMDS never waits"),
            Step::Local(none) => match none {},
            Step::Done(result) => {
                assert!(answers.is_empty(), "unused answers");
                if let Err(e) = &result {
                    assert!(!e.to_string().contains("Planted"), "{e}");
                    assert!(!format!("{e:?}").contains("Planted"), "{e:?}");
                }
                return (sent, result);
            }
        }
    }
}

fn imds() -> ImdsCredentials {
    ImdsCredentials::new(DEFAULT_ENDPOINT).unwrap()
}

fn read_timeout() -> TransportErrorKind {
    TransportErrorKind::Timeout {
        phase: TimeoutPhase::Read,
        after: Duration::from_secs(1),
    }
}

#[test]
fn imds_v2_happy_path() {
    let (sent, result) = drive(
        imds(),
        vec![
            Status(200, TOKEN),
            Status(200, "my-role\nsecond-line\n"),
            Status(200, CREDS),
        ],
    );
    let out = result.unwrap();
    assert_eq!(out.role_name, "my-role");
    assert!(!out.imds_v1);
    let c = &out.credentials;
    assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        c.session_token.as_ref().map(|t| t.secret()),
        Some("IQoJb3JpZ2luX2VjEXAMPLE")
    );
    assert_eq!(
        c.expires_at,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_088_800))
    );
    let shape: Vec<(&str, &str, &str)> = sent
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str(), s.operation))
        .collect();
    assert_eq!(
        shape,
        [
            ("PUT", "/latest/api/token", "IMDS GetToken"),
            ("GET", ROLES, "IMDS GetRoleName"),
            (
                "GET",
                "/latest/meta-data/iam/security-credentials/my-role",
                "IMDS GetCredentials"
            ),
        ]
    );
    assert_eq!(sent[0].ttl.as_deref(), Some("21600"));
    assert_eq!(sent[0].token, None);
    assert_eq!(sent[1].token.as_deref(), Some(TOKEN));
    assert_eq!(sent[2].token.as_deref(), Some(TOKEN));
    assert!(sent[1].ttl.is_none());
    assert!(sent.iter().all(|s| s.deadline.is_some()));
}

#[test]
fn deadline_is_the_timeout() {
    let mut m = imds().with_timeout(Duration::from_millis(250));
    let now = Instant::now();
    let Step::Send(request) = m.poll(now, SystemTime::UNIX_EPOCH) else {
        panic!()
    };
    assert_eq!(
        send_deadline(&request),
        Some(now + Duration::from_millis(250))
    );
    let mut m = imds();
    let Step::Send(request) = m.poll(now, SystemTime::UNIX_EPOCH) else {
        panic!()
    };
    assert_eq!(send_deadline(&request), Some(now + Duration::from_secs(1)));
}

#[test]
fn token_refusals_fall_back_to_v1() {
    for status in [403, 404, 405] {
        let (sent, result) = drive(
            imds(),
            vec![Status(status, ""), Status(200, "r"), Status(200, CREDS)],
        );
        let out = result.unwrap();
        assert!(out.imds_v1, "{status}");
        assert!(sent[1].token.is_none() && sent[2].token.is_none());
    }
    // An unexpected status on the last attempt, and a read timeout at once
    // even with attempts left, fall back too (botocore returns no token).
    let (_, result) = drive(
        imds(),
        vec![Status(503, ""), Status(200, "r"), Status(200, CREDS)],
    );
    assert!(result.unwrap().imds_v1);
    let (sent, result) = drive(
        imds().with_attempts(3),
        vec![Fail(read_timeout()), Status(200, "r"), Status(200, CREDS)],
    );
    assert!(result.unwrap().imds_v1);
    assert_eq!(sent.len(), 3);
    // A connection failure is retried while attempts last.
    let (sent, result) = drive(
        imds().with_attempts(2),
        vec![
            Fail(TransportErrorKind::Connect),
            Status(200, TOKEN),
            Status(200, "r"),
            Status(200, CREDS),
        ],
    );
    assert!(!result.unwrap().imds_v1);
    assert_eq!(sent[0].path, sent[1].path);
    let (sent, result) = drive(
        imds().with_attempts(2),
        vec![
            Status(500, ""),
            Status(500, ""),
            Status(200, "r"),
            Status(200, CREDS),
        ],
    );
    assert!(result.unwrap().imds_v1);
    assert_eq!(sent.len(), 4);
}

#[test]
fn v1_disabled() {
    let (_, result) = drive(imds().with_imds_v1_fallback(false), vec![Status(404, "")]);
    assert!(matches!(
        result,
        Err(ImdsError::TokenUnavailable { status: Some(404) })
    ));
    let (_, result) = drive(
        imds().with_imds_v1_fallback(false),
        vec![Fail(read_timeout())],
    );
    assert!(matches!(
        result,
        Err(ImdsError::TokenUnavailable { status: None })
    ));
}

#[test]
fn token_400_and_hostile_tokens() {
    let (_, result) = drive(imds(), vec![Status(400, "")]);
    assert!(matches!(result, Err(ImdsError::TokenRefused)));
    for bad in ["", "Planted\r\nX-Evil: 1", "Planted token", "Planted\u{0}"] {
        let (_, result) = drive(imds(), vec![Status(200, bad)]);
        assert!(matches!(result, Err(ImdsError::InvalidToken)), "{bad:?}");
    }
    let (_, result) = drive(imds(), vec![Body(200, "P".repeat(5000))]);
    assert!(matches!(result, Err(ImdsError::InvalidToken)));
}

#[test]
fn role_name_failures() {
    let (_, result) = drive(imds(), vec![Status(200, TOKEN), Status(404, "Planted")]);
    assert!(matches!(
        result,
        Err(ImdsError::Status {
            operation: "IMDS GetRoleName",
            status: 404
        })
    ));
    let (_, result) = drive(imds(), vec![Status(200, TOKEN), Status(200, "")]);
    assert!(matches!(
        result,
        Err(ImdsError::EmptyResponse {
            operation: "IMDS GetRoleName"
        })
    ));
    let (sent, result) = drive(
        imds().with_attempts(2),
        vec![
            Status(200, TOKEN),
            Status(500, ""),
            Status(200, "r\r\n"),
            Status(200, CREDS),
        ],
    );
    assert_eq!(result.unwrap().role_name, "r");
    assert_eq!(sent[3].path, format!("{ROLES}r"));
    for hostile in [
        "../../../latest/user-data",
        "r?x=1",
        "role name",
        "Planted\u{1b}[2J",
        "",
        "\nr",
    ] {
        let (_, result) = drive(imds(), vec![Status(200, TOKEN), Status(200, hostile)]);
        let expected_empty = hostile.is_empty();
        match result {
            Err(ImdsError::InvalidRoleName { .. }) => assert!(!expected_empty),
            Err(ImdsError::EmptyResponse { .. }) => assert!(expected_empty),
            other => panic!("{hostile:?}: {other:?}"),
        }
    }
    let (_, result) = drive(imds(), vec![Status(200, TOKEN), Body(200, "r".repeat(65))]);
    assert!(matches!(result, Err(ImdsError::InvalidRoleName { .. })));
    let (_, result) = drive(
        imds(),
        vec![Status(200, TOKEN), Fail(TransportErrorKind::Exchange)],
    );
    let Err(ImdsError::Transport(e)) = result else {
        panic!()
    };
    assert_eq!(e.operation, "IMDS GetRoleName");
}

fn creds_answer(body: &str) -> Result<ImdsRoleCredentials, ImdsError> {
    drive(
        imds(),
        vec![
            Status(200, TOKEN),
            Status(200, "r"),
            Body(200, body.to_owned()),
        ],
    )
    .1
}

#[test]
fn credentials_failures() {
    let err = creds_answer(
        r#"{"Code": "AssumeRoleUnauthorizedAccess", "Message": "EC2 cannot assume the role\u001b[2J", "LastUpdated": "2024-01-01T00:00:00Z"}"#,
    )
    .unwrap_err();
    let ImdsError::Unsuccessful { code, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "AssumeRoleUnauthorizedAccess");
    assert_eq!(message.as_deref(), Some("EC2 cannot assume the role[2J"));
    assert_eq!(
        err.to_string(),
        "IMDS GetCredentials: AssumeRoleUnauthorizedAccess: EC2 cannot assume the role[2J"
    );
    // No Code: accepted, as in botocore.
    let no_code = CREDS.replace(r#""Code": "Success", "#, "");
    assert!(creds_answer(&no_code).is_ok());
    let cases = [
        (
            CREDS.replace(r#""Token": "IQoJb3JpZ2luX2VjEXAMPLE", "#, ""),
            "Token",
        ),
        (
            CREDS.replace(r#""AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "#, ""),
            "AccessKeyId",
        ),
        (
            CREDS.replace(r#", "Expiration": "2024-01-01T06:00:00Z""#, ""),
            "Expiration",
        ),
    ];
    for (body, member) in cases {
        let err = creds_answer(&body).unwrap_err();
        assert!(
            matches!(err, ImdsError::MissingMember { member: m } if m == member),
            "{err:?}"
        );
    }
    let hostile = CREDS.replace(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Planted\\r\\nsecret",
    );
    assert!(matches!(
        creds_answer(&hostile).unwrap_err(),
        ImdsError::InvalidValue {
            member: "SecretAccessKey",
            ..
        }
    ));
    let bad_time = CREDS.replace("2024-01-01T06:00:00Z", "Planted");
    assert!(matches!(
        creds_answer(&bad_time).unwrap_err(),
        ImdsError::InvalidTimestamp {
            member: "Expiration"
        }
    ));
    assert!(matches!(
        creds_answer("{\"Planted"),
        Err(ImdsError::InvalidJson { .. })
    ));
    assert!(matches!(creds_answer("[1]"), Err(ImdsError::NotAnObject)));
    let (_, result) = drive(
        imds(),
        vec![
            Status(200, TOKEN),
            Status(200, "r"),
            Body(200, " ".repeat(MAX_RESPONSE_BYTES + 1)),
        ],
    );
    assert!(matches!(
        result,
        Err(ImdsError::BodyTooLarge {
            operation: "IMDS GetCredentials",
            ..
        })
    ));
    // Invalid JSON is retried like botocore when attempts allow.
    let (sent, result) = drive(
        imds().with_attempts(2),
        vec![
            Status(200, TOKEN),
            Status(200, "r"),
            Status(200, "not json"),
            Status(200, CREDS),
        ],
    );
    assert!(result.is_ok());
    assert_eq!(sent.len(), 4);
    let (_, result) = drive(
        imds(),
        vec![Status(200, TOKEN), Status(200, "r"), Status(500, "")],
    );
    assert!(matches!(
        result,
        Err(ImdsError::Status {
            operation: "IMDS GetCredentials",
            status: 500
        })
    ));
}

#[test]
fn endpoints() {
    for (base, token_uri) in [
        (
            "http://169.254.169.254",
            "http://169.254.169.254/latest/api/token",
        ),
        (
            "http://169.254.169.254/",
            "http://169.254.169.254/latest/api/token",
        ),
        (
            "http://[fd00:ec2::254]",
            "http://[fd00:ec2::254]/latest/api/token",
        ),
        (
            "https://imds.example:8443/prefix",
            "https://imds.example:8443/prefix/latest/api/token",
        ),
    ] {
        let mut m = ImdsCredentials::new(base).unwrap();
        let Step::Send(request) = m.poll(Instant::now(), SystemTime::UNIX_EPOCH) else {
            panic!()
        };
        assert_eq!(request.uri(), token_uri);
        assert_eq!(request.method(), "PUT");
    }
    for bad in [
        "",
        "169.254.169.254",
        "ftp://host/",
        "http://u:p@host/",
        "http://host/?q",
        "http://host/#f",
        "http:///x",
    ] {
        assert!(
            matches!(ImdsCredentials::new(bad), Err(ImdsError::InvalidEndpoint)),
            "{bad}"
        );
    }
}

#[test]
fn misuse_and_debug() {
    let mut m = imds();
    let now = Instant::now();
    assert!(matches!(m.poll(now, SystemTime::UNIX_EPOCH), Step::Send(_)));
    assert!(matches!(
        m.poll(now, SystemTime::UNIX_EPOCH),
        Step::Done(Err(ImdsError::PolledInFlight))
    ));
    assert!(m.is_finished());
    assert!(matches!(
        m.poll(now, SystemTime::UNIX_EPOCH),
        Step::Done(Err(ImdsError::AlreadyFinished))
    ));
    // Answers without an outstanding request are ignored.
    m.handle_response(now, &http::Response::new(Vec::<u8>::new()));
    m.handle_transport_error(now, TransportError::new("", TransportErrorKind::Connect));

    let mut m = imds();
    let Step::Send(_) = m.poll(now, SystemTime::UNIX_EPOCH) else {
        panic!()
    };
    m.handle_response(now, &http::Response::new(TOKEN.as_bytes()));
    let shown = format!("{m:?}");
    assert!(!shown.contains("Planted"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

proptest::proptest! {
    /// Any answers, in any order, end the machine within a bounded number
    /// of requests, without a panic.
    #[test]
    fn any_answers_end_the_machine(
        answers in proptest::collection::vec(
            (100u16..600, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), proptest::prelude::any::<bool>()),
            12,
        ),
        attempts in 1u32..3,
    ) {
        let mut m = imds().with_attempts(attempts);
        let now = Instant::now();
        let mut answers = answers.into_iter();
        let mut sent = 0;
        loop {
            match m.poll(now, SystemTime::UNIX_EPOCH) {
                Step::Send(_) => {
                    sent += 1;
                    let Some((status, body, fail)) = answers.next() else { panic!("too many requests") };
                    if fail {
                        m.handle_transport_error(now, TransportError::new("", TransportErrorKind::Exchange));
                    } else {
                        m.handle_response(now, &http::Response::builder().status(status).body(body).unwrap());
                    }
                }
                Step::WaitUntil(_) => panic!("IMDS never waits"),
                Step::Local(none) => match none {},
                Step::Done(_) => break,
            }
        }
        proptest::prop_assert!(sent <= 3 * attempts as usize);
    }
}
