//! Container credentials: endpoint rules against botocore's
//! `ContainerMetadataFetcher._validate_allowed_url`, requests, responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use oidc_core::container::{
    authorization_matches, parse_response, response_body, ContainerEndpoint, ContainerError,
    MAX_RESPONSE_BYTES,
};
use oidc_core::debug::DebugRequest;
use oidc_core::step::operation_name;
use oidc_core::Credentials;

fn full(uri: &str) -> Result<Option<ContainerEndpoint>, ContainerError> {
    ContainerEndpoint::from_env(None, Some(uri))
}

#[test]
fn relative_wins_and_goes_to_the_ecs_agent() {
    let e =
        ContainerEndpoint::from_env(Some("/v2/credentials/id?x=1"), Some("https://example.com/"))
            .unwrap()
            .unwrap();
    assert_eq!(e.uri(), "http://169.254.170.2/v2/credentials/id?x=1");
    assert_eq!(e.host(), "169.254.170.2");
    assert!(!e.needs_resolution());
    // Empty values count as unset.
    let e = ContainerEndpoint::from_env(Some(""), Some("https://example.com/creds"))
        .unwrap()
        .unwrap();
    assert_eq!(e.host(), "example.com");
    assert!(ContainerEndpoint::from_env(Some(""), Some(""))
        .unwrap()
        .is_none());
    assert!(ContainerEndpoint::from_env(None, None).unwrap().is_none());
    // A relative URI that would move the host.
    for bad in [
        "@evil.example/",
        "evil",
        ".evil.example/",
        ":8080/x",
        "/a b",
    ] {
        assert_eq!(
            ContainerEndpoint::from_env(Some(bad), None).unwrap_err(),
            ContainerError::InvalidRelativeUri,
            "{bad}"
        );
    }
}

#[test]
fn allowed_hosts_as_botocore() {
    // botocore 1.x `_validate_allowed_url`: allowed.
    for uri in [
        "http://127.0.0.1/x",
        "http://127.1.2.3:80/",
        "http://[::1]/",
        "http://localhost/",
        "http://LOCALHOST/",
        "http://169.254.170.2/",
        "http://169.254.170.23/",
        "http://[fd00:ec2::23]/",
        "https://example.com/",
    ] {
        let e = full(uri).unwrap().unwrap();
        assert!(!e.needs_resolution(), "{uri}");
        assert!(e.check_resolved(&[]).is_ok());
    }
    // botocore: refused. IP literals are refused here too.
    for uri in [
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/",
    ] {
        assert!(
            matches!(full(uri), Err(ContainerError::NotAllowedHost { .. })),
            "{uri}"
        );
    }
    // botocore refuses names; here they must be resolved and checked.
    for uri in [
        "http://example.com/",
        "http://localhost.localdomain/",
        "http://127.1/",
    ] {
        assert!(full(uri).unwrap().unwrap().needs_resolution(), "{uri}");
    }
    assert_eq!(
        full("http://[FD00:EC2:0::23]/").unwrap().unwrap().host(),
        "fd00:ec2:0::23"
    );
    for uri in [
        "ftp://127.0.0.1/",
        "/relative",
        "http://",
        "http://user:pw@127.0.0.1/",
        "not a url",
    ] {
        assert_eq!(
            full(uri).unwrap_err(),
            ContainerError::InvalidFullUri,
            "{uri}"
        );
    }
}

#[test]
fn resolved_addresses() {
    let e = full("http://creds.internal:8080/").unwrap().unwrap();
    assert_eq!(e.host(), "creds.internal");
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(e.check_resolved(&[ip("127.0.0.1"), ip("::1")]).is_ok());
    assert!(e
        .check_resolved(&[ip("169.254.170.23"), ip("fd00:ec2::23")])
        .is_ok());
    assert!(matches!(
        e.check_resolved(&[ip("127.0.0.1"), ip("192.168.1.1")]),
        Err(ContainerError::NotAllowedHost { .. })
    ));
    assert!(matches!(
        e.check_resolved(&[]),
        Err(ContainerError::NoAddresses { .. })
    ));
}

#[test]
fn request_headers_and_secret_token() {
    let e = full("http://169.254.170.23/v1/credentials")
        .unwrap()
        .unwrap();
    let r = e.request(Some("planted-token-value")).unwrap();
    assert_eq!(r.method(), "GET");
    assert_eq!(r.headers()["accept"], "application/json");
    assert_eq!(r.headers()["authorization"], "planted-token-value");
    assert!(r.headers()["authorization"].is_sensitive());
    assert_eq!(operation_name(&r), "ContainerCredentials");
    assert!(!format!("{:?}", DebugRequest(&r)).contains("planted"));
    assert!(e
        .request(None)
        .unwrap()
        .headers()
        .get("authorization")
        .is_none());
    for bad in [
        "a\r\nX-Evil: 1",
        "tok\n",
        "t\u{0}",
        "t\u{7f}",
        "tab\tbed",
        "caf\u{e9}",
    ] {
        let err = e.request(Some(bad)).unwrap_err();
        assert_eq!(err, ContainerError::InvalidAuthorization);
        assert!(!err.to_string().contains(bad));
    }
}

fn ok(body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

#[test]
fn parses_credentials() {
    let c = parse_response(&ok(
        r#"{"AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Token": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T01:00:00Z", "RoleArn": "arn:aws:iam::123456789012:role/task", "AccountId": "123456789012"}"#,
    ))
    .unwrap();
    assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        c.expires_at,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800))
    );
    assert_eq!(c.account_id.as_deref(), Some("123456789012"));
    assert_eq!(
        c.session_token.as_ref().map(|t| t.secret()),
        Some("IQoJb3JpZ2luX2VjEXAMPLE")
    );
}

#[test]
fn hostile_and_broken_responses() {
    let p = "planted-secret";
    let cases: Vec<(http::Response<Vec<u8>>, ContainerError)> = vec![
        (
            ok(&format!(r#"{{"SecretAccessKey": "{p}"}}"#)),
            ContainerError::MissingMember {
                member: "AccessKeyId",
            },
        ),
        (
            ok(&format!(
                r#"{{"AccessKeyId": "A", "SecretAccessKey": "{p}", "Expiration": "2024-01-01T01:00:00Z"}}"#
            )),
            ContainerError::MissingMember { member: "Token" },
        ),
        (
            ok(&format!(
                r#"{{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "{p}"}}"#
            )),
            ContainerError::MissingMember {
                member: "Expiration",
            },
        ),
        (
            ok(&format!(
                r#"{{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "{p}\u001b]0;x", "Expiration": "2024-01-01T01:00:00Z"}}"#
            )),
            ContainerError::InvalidValue {
                member: "Token",
                detail: "may only contain A-Z a-z 0-9 + / = . _ -",
            },
        ),
        (
            ok(&format!(
                r#"{{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "t", "Expiration": "{p}"}}"#
            )),
            ContainerError::InvalidTimestamp {
                member: "Expiration",
            },
        ),
        (
            ok(&format!(
                r#"{{"AccessKeyId": "A", "SecretAccessKey": "s", "Token": "t", "Expiration": "2024-01-01T01:00:00Z", "AccountId": "{p}"}}"#
            )),
            ContainerError::InvalidValue {
                member: "AccountId",
                detail: "expected 12 digits",
            },
        ),
        (ok(&format!(r#"["{p}"]"#)), ContainerError::NotAnObject),
        (
            ok(&format!(
                r#"{{"AccessKeyId": 5, "SecretAccessKey": "{p}"}}"#
            )),
            ContainerError::NotAString {
                member: "AccessKeyId",
            },
        ),
    ];
    for (response, expected) in cases {
        let err = parse_response(&response).unwrap_err();
        assert_eq!(err, expected);
        assert!(!err.is_retryable());
        assert!(!err.to_string().contains("planted"));
        assert!(!format!("{err:?}").contains("planted"));
    }
    let err = parse_response(&ok(r#"{"AccessKeyId": "planted-secret"#)).unwrap_err();
    assert!(matches!(err, ContainerError::InvalidJson { .. }) && err.is_retryable());
    assert!(!err.to_string().contains("planted"));
    let big = ok(&" ".repeat(MAX_RESPONSE_BYTES + 1));
    assert_eq!(
        parse_response(&big).unwrap_err(),
        ContainerError::BodyTooLarge {
            limit: MAX_RESPONSE_BYTES
        }
    );
}

#[test]
fn error_statuses() {
    let response = http::Response::builder()
        .status(400)
        .body(
            format!(
                r#"{{"code": "InvalidToken\u001b[31m", "message": "{}"}}"#,
                "x".repeat(5000)
            )
            .into_bytes(),
        )
        .unwrap();
    let ContainerError::Status {
        status,
        code,
        message,
    } = parse_response(&response).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(status, 400);
    assert_eq!(code.as_deref(), Some("InvalidToken[31m"));
    assert_eq!(message.map(|m| m.chars().count()), Some(512));
    let plain = http::Response::builder()
        .status(500)
        .body(b"oops <html>".to_vec())
        .unwrap();
    let err = parse_response(&plain).unwrap_err();
    assert_eq!(
        err,
        ContainerError::Status {
            status: 500,
            code: None,
            message: None
        }
    );
    assert_eq!(
        err.to_string(),
        "container credentials request failed: HTTP 500"
    );
    assert!(err.is_retryable());
}

#[test]
fn server_body_round_trips() {
    let expiry =
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800) + Duration::from_millis(5);
    let c = Credentials::new(
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
    .with_expiry(expiry)
    .with_account_id("123456789012");
    let body = response_body(&c);
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        r#"{"AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Token":"IQoJb3JpZ2luX2VjEXAMPLE","Expiration":"2024-01-01T01:00:00Z","AccountId":"123456789012"}"#
    );
    let back = parse_response(&http::Response::new(body)).unwrap();
    assert_eq!(back.access_key_id, c.access_key_id);
    assert_eq!(
        back.expires_at,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800))
    );
    assert_eq!(back.account_id, c.account_id);
}

#[test]
fn authorization_comparison() {
    assert!(authorization_matches("Bearer abc", b"Bearer abc"));
    assert!(!authorization_matches("Bearer abc", b"Bearer abd"));
    assert!(!authorization_matches("Bearer abc", b"Bearer ab"));
    assert!(!authorization_matches("Bearer abc", b""));
    assert!(authorization_matches("", b""));
}

proptest::proptest! {
    #[test]
    fn parsers_never_panic(
        status in 100u16..600,
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        uri in "[a-z:/\\[\\]@.0-9%?#]{0,40}",
    ) {
        let response = http::Response::builder().status(status).body(body).unwrap();
        let _ = parse_response(&response);
        if let Ok(Some(e)) = ContainerEndpoint::from_env(None, Some(&uri)) {
            let _ = e.request(Some("t"));
        }
        let _ = ContainerEndpoint::from_env(Some(&uri), None);
    }
}
