//! Every file of `tests/fixtures/sts-wire-examples/` (a byte-identical copy
//! of the project's hand-made STS wire examples): each `<Op>.request.txt`
//! is produced byte for byte by our request builder from the member values
//! it shows, each `<Op>.response.xml` parses into the typed output with the
//! values it carries, and each `error-<Code>.xml` parses into the typed
//! service error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oidc_core::endpoint::Endpoint;
use oidc_core::sts::{
    assume_role::AssumeRoleInput, assume_role_with_saml::AssumeRoleWithSamlInput,
    assume_role_with_web_identity::AssumeRoleWithWebIdentityInput, assume_root::AssumeRootInput,
    decode_authorization_message::DecodeAuthorizationMessageInput,
    get_access_key_info::GetAccessKeyInfoInput, get_caller_identity::GetCallerIdentityInput,
    get_delegated_access_token::GetDelegatedAccessTokenInput,
    get_federation_token::GetFederationTokenInput, get_session_token::GetSessionTokenInput,
    get_web_identity_token::GetWebIdentityTokenInput, ProvidedContext, Tag,
};
use oidc_core::{sts, Auth, Credentials, Error, ErrorCode, Fault, Operation};

const OPERATIONS: [&str; 11] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetDelegatedAccessToken",
    "GetFederationToken",
    "GetSessionToken",
    "GetWebIdentityToken",
];

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#;
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEBYaDHqa0AP1Q5u6EXAMPLESESSIONTOKENr/c8fJ+YcwWdc0MBZ8lbGeXPYp3wl7kYqJ3z0NNXEXAMPLE+tokenEXAMPLE==";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sts-wire-examples")
}

fn files(suffix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(suffix))
        .map(|n| {
            let bytes = fs::read(dir().join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    out.sort();
    out
}

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap()
}

fn request_of<O: Operation>(input: &O) -> http::Request<Vec<u8>> {
    input.request(&endpoint()).unwrap()
}

/// The request each `<Op>.request.txt` shows, built from its member values.
fn build(op: &str) -> http::Request<Vec<u8>> {
    match op {
        "AssumeRole" => request_of(
            &AssumeRoleInput::new("arn:aws:iam::123456789012:role/demo-role", "john.doe@example.com")
                .with_policy_arns([
                    "arn:aws:iam::123456789012:policy/demopolicy1",
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                ])
                .with_policy(POLICY)
                .with_duration_seconds(3600)
                .with_tags([Tag::new("Project", "Unicorn"), Tag::new("Cost-Center", "12345")])
                .with_transitive_tag_keys(["Project"])
                .with_external_id("123ABC")
                .with_mfa("arn:aws:iam::123456789012:mfa/john.doe", "123456")
                .with_source_identity("john.doe")
                .with_provided_contexts([ProvidedContext::new(
                    "arn:aws:iam::aws:contextProvider/IdentityCenter",
                    "AQoDYXdzEXAMPLEcontextAssertion==",
                )])
                .with_minimum_session_token_size(2048),
        ),
        "AssumeRoleWithSAML" => request_of(
            &AssumeRoleWithSamlInput::new(
                "arn:aws:iam::123456789012:role/TestSaml",
                "arn:aws:iam::123456789012:saml-provider/SAML-test",
                "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiPkVYQU1QTEU8L3NhbWxwOlJlc3BvbnNlPg==",
            )
            .with_duration_seconds(3600),
        ),
        "AssumeRoleWithWebIdentity" => request_of(
            &AssumeRoleWithWebIdentityInput::new(
                "arn:aws:iam::123456789012:role/FederatedWebIdentityRole",
                "app1",
                "eyJraWQiOiJFWEFNUExFIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJhbXpuMXN1YmplY3QiLCJhdWQiOiJjbGllbnQuNTQ5ODc2NTQzMjEwIiwiaXNzIjoiaHR0cHM6Ly9leGFtcGxlLmNvbSJ9.EXAMPLESIGNATURE",
            )
            .with_provider_id("www.amazon.com")
            .with_policy_arns(["arn:aws:iam::123456789012:policy/q=webidentitydemopolicy1"])
            .with_duration_seconds(3600),
        ),
        "AssumeRoot" => request_of(
            &AssumeRootInput::new(
                "111122223333",
                "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
            )
            .with_duration_seconds(900),
        ),
        "DecodeAuthorizationMessage" => request_of(&DecodeAuthorizationMessageInput::new(
            "EXAMPLE-4Lx1z6x0Qz8Yj0mVtEXAMPLE_encoded-message_xYzAbC",
        )),
        "GetAccessKeyInfo" => request_of(&GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE")),
        "GetCallerIdentity" => request_of(&GetCallerIdentityInput::new()),
        "GetDelegatedAccessToken" => request_of(&GetDelegatedAccessTokenInput::new(
            "EXAMPLEtradeInTokenAQoDYXdzEJr1K2kEXAMPLE==",
        )),
        "GetFederationToken" => request_of(
            &GetFederationTokenInput::new("testFedUserSession")
                .with_policy(POLICY)
                .with_duration_seconds(3600)
                .with_tags([Tag::new("Project", "Pegasus"), Tag::new("Cost-Center", "98765")]),
        ),
        "GetSessionToken" => request_of(
            &GetSessionTokenInput::new()
                .with_duration_seconds(3600)
                .with_mfa("YourMFASerialNumber", "123456"),
        ),
        "GetWebIdentityToken" => request_of(
            &GetWebIdentityTokenInput::new(
                ["https://api.example.com", "https://auth.example.org"],
                "RS256",
            )
            .with_duration_seconds(300)
            .with_tags([Tag::new("team", "platform")]),
        ),
        other => panic!("no request builder for {other}"),
    }
}

/// Splits a form body into its decoded `(key, value)` pairs.
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

#[test]
fn the_fixture_directory_covers_every_operation() {
    let requests: BTreeSet<String> = files(".request.txt")
        .into_iter()
        .map(|(n, _)| n.trim_end_matches(".request.txt").to_owned())
        .collect();
    let responses: BTreeSet<String> = files(".response.xml")
        .into_iter()
        .map(|(n, _)| n.trim_end_matches(".response.xml").to_owned())
        .collect();
    let all: BTreeSet<String> = OPERATIONS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(requests, all);
    assert_eq!(responses, all);
    assert_eq!(files(".xml").len(), 11 + 14, "11 responses and 14 errors");
}

#[test]
fn every_request_file_is_built_byte_for_byte() {
    for (name, expected) in files(".request.txt") {
        let op = name.trim_end_matches(".request.txt");
        let request = build(op);
        assert_eq!(
            String::from_utf8_lossy(request.body()),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        // The same as a multiset of decoded pairs, Action and Version first.
        let ours = pairs(request.body());
        assert_eq!(ours[0], ("Action".to_owned(), op.to_owned()), "{name}");
        assert_eq!(
            ours[1],
            ("Version".to_owned(), "2011-06-15".to_owned()),
            "{name}"
        );
        let mut a = ours.clone();
        let mut b = pairs(&expected);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}");
        // The request itself.
        assert_eq!(request.method(), http::Method::POST, "{name}");
        assert_eq!(
            request.uri(),
            "https://sts.us-east-1.amazonaws.com/",
            "{name}"
        );
        assert_eq!(
            request.headers()["content-type"],
            "application/x-www-form-urlencoded; charset=utf-8",
            "{name}"
        );
        assert_eq!(
            request.headers()["user-agent"],
            oidc_core::USER_AGENT,
            "{name}"
        );
        assert!(request.headers().get("authorization").is_none(), "{name}");
    }
}

#[test]
fn the_decoded_pairs_of_assume_role_hold_the_policy_verbatim() {
    let body = build("AssumeRole");
    let pairs = pairs(body.body());
    let policy = pairs.iter().find(|(k, _)| k == "Policy").unwrap();
    assert_eq!(policy.1, POLICY);
    let session = pairs.iter().find(|(k, _)| k == "RoleSessionName").unwrap();
    assert_eq!(session.1, "john.doe@example.com");
}

fn ok(body: &[u8]) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("content-type", "text/xml")
        .body(body.to_vec())
        .unwrap()
}

fn at(s: &str) -> SystemTime {
    // Seconds for the fixture dates: 2024-05-14T00:00:00Z is 1_715_644_800.
    let (date, time) = s.split_once('T').unwrap();
    let day: u64 = match date {
        "2024-05-14" => 1_715_644_800,
        "2024-05-15" => 1_715_731_200,
        other => panic!("{other}"),
    };
    let time = time.trim_end_matches('Z');
    let (hms, millis) = time.split_once('.').unwrap_or((time, "0"));
    let mut parts = hms.split(':').map(|p| p.parse::<u64>().unwrap());
    let (h, m, sec) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    UNIX_EPOCH
        + Duration::from_secs(day + h * 3600 + m * 60 + sec)
        + Duration::from_millis(millis.parse().unwrap())
}

fn check_credentials(c: &Credentials, expiration: &str, account: Option<&str>) {
    assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(c.secret_access_key.secret(), SECRET_KEY);
    assert_eq!(c.session_token.as_ref().unwrap().secret(), SESSION_TOKEN);
    assert_eq!(c.expires_at, Some(at(expiration)));
    assert_eq!(c.account_id.as_deref(), account);
}

fn parse_fixture(op: &str, body: &[u8]) {
    let response = ok(body);
    match op {
        "AssumeRole" => {
            let o = AssumeRoleInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T17:48:09Z", Some("123456789012"));
            let user = o.assumed_role_user.unwrap();
            assert_eq!(
                user.assumed_role_id,
                "AROA3XFRBF535PLBIFPI4:john.doe@example.com"
            );
            assert_eq!(
                user.arn,
                "arn:aws:sts::123456789012:assumed-role/demo-role/john.doe@example.com"
            );
            assert_eq!(o.source_identity.as_deref(), Some("john.doe"));
            assert_eq!(o.packed_policy_size, Some(8));
            assert_eq!(o.session_token_utilization, Some(24));
            assert_eq!(o.session_token_size, Some(1024));
            assert_eq!(
                o.request_id.as_deref(),
                Some("c6104cbe-af31-11e0-8154-cbc7ccf896c7")
            );
        }
        "AssumeRoleWithSAML" => {
            let o = AssumeRoleWithSamlInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T18:02:11Z", Some("123456789012"));
            let user = o.assumed_role_user.unwrap();
            assert_eq!(user.assumed_role_id, "AROA3XFRBF535PLBQAARL:TestSaml");
            assert_eq!(
                user.arn,
                "arn:aws:sts::123456789012:assumed-role/TestSaml/TestSaml"
            );
            assert_eq!(o.subject.as_deref(), Some("SamlExample"));
            assert_eq!(o.subject_type.as_deref(), Some("transient"));
            assert_eq!(
                o.issuer.as_deref(),
                Some("https://integ.example.com/idp/shibboleth")
            );
            assert_eq!(
                o.audience.as_deref(),
                Some("https://signin.aws.amazon.com/saml")
            );
            assert_eq!(
                o.name_qualifier.as_deref(),
                Some("SbdGOnUkh1i4+EXAMPLExL/jEvs=")
            );
            assert_eq!(o.source_identity, None);
            assert_eq!(o.packed_policy_size, Some(6));
            assert_eq!(o.session_token_utilization, Some(18));
            assert_eq!(o.session_token_size, Some(1024));
            assert_eq!(
                o.request_id.as_deref(),
                Some("7ad7e9b2-2b7d-4d1c-9d3e-0f6a2b5c8e11")
            );
        }
        "AssumeRoleWithWebIdentity" => {
            let o = AssumeRoleWithWebIdentityInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T18:05:30Z", Some("123456789012"));
            assert_eq!(
                o.subject_from_web_identity_token.as_deref(),
                Some("amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A")
            );
            assert_eq!(
                o.audience.as_deref(),
                Some("client.5498841531868486423.1548@apps.example.com")
            );
            let user = o.assumed_role_user.unwrap();
            assert_eq!(user.assumed_role_id, "AROACLKWSDQRAOEXAMPLE:app1");
            assert_eq!(
                user.arn,
                "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1"
            );
            assert_eq!(o.provider.as_deref(), Some("www.amazon.com"));
            assert_eq!(o.packed_policy_size, Some(12));
            assert_eq!(o.source_identity, None);
            assert_eq!(o.session_token_utilization, None);
            assert_eq!(o.session_token_size, None);
            assert_eq!(
                o.request_id.as_deref(),
                Some("ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE")
            );
        }
        "AssumeRoot" => {
            let o = AssumeRootInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T17:33:09Z", None);
            assert_eq!(o.source_identity.as_deref(), Some("Alice"));
            assert_eq!(o.session_token_utilization, None);
            assert_eq!(
                o.request_id.as_deref(),
                Some("5e5a3e1f-6b7d-4f0a-9a55-2f4c0c9d1e77")
            );
        }
        "DecodeAuthorizationMessage" => {
            let o = DecodeAuthorizationMessageInput::parse(&response).unwrap();
            let v: serde_json::Value = serde_json::from_str(&o.decoded_message).unwrap();
            assert_eq!(v["allowed"], false);
            assert_eq!(v["context"]["principal"]["name"], "Bob");
            assert_eq!(v["context"]["action"], "ec2:StopInstances");
            assert!(o
                .decoded_message
                .starts_with(r#"{"allowed":false,"explicitDeny":false,"#));
            assert_eq!(
                o.request_id.as_deref(),
                Some("b2c7d7f5-1e2a-4c3b-8d9e-0a1b2c3d4e5f")
            );
        }
        "GetAccessKeyInfo" => {
            let o = GetAccessKeyInfoInput::parse(&response).unwrap();
            assert_eq!(o.account, "111122223333");
            assert_eq!(
                o.request_id.as_deref(),
                Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
            );
        }
        "GetCallerIdentity" => {
            let o = GetCallerIdentityInput::parse(&response).unwrap();
            assert_eq!(o.user_id, "AROA3XFRBF535PLBIFPI4:john.doe@example.com");
            assert_eq!(o.account, "123456789012");
            assert_eq!(
                o.arn,
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/john.doe@example.com"
            );
            assert_eq!(
                o.request_id.as_deref(),
                Some("01234567-89ab-cdef-0123-456789abcdef")
            );
        }
        "GetDelegatedAccessToken" => {
            let o = GetDelegatedAccessTokenInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T18:48:09Z", Some("123456789012"));
            assert_eq!(
                o.assumed_principal.as_deref(),
                Some("arn:aws:sts::123456789012:assumed-role/demo-role/delegated-session")
            );
            assert_eq!(o.packed_policy_size, None);
            assert_eq!(
                o.request_id.as_deref(),
                Some("9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4")
            );
        }
        "GetFederationToken" => {
            let o = GetFederationTokenInput::parse(&response).unwrap();
            check_credentials(&o.credentials, "2024-05-14T18:48:09Z", Some("123456789012"));
            let user = o.federated_user.unwrap();
            assert_eq!(user.federated_user_id, "123456789012:testFedUserSession");
            assert_eq!(
                user.arn,
                "arn:aws:sts::123456789012:federated-user/testFedUserSession"
            );
            assert_eq!(o.packed_policy_size, Some(8));
            assert_eq!(o.session_token_utilization, Some(24));
            assert_eq!(o.session_token_size, Some(1024));
            assert_eq!(
                o.request_id.as_deref(),
                Some("c6104cbe-af31-11e0-8154-cbc7ccf896c7")
            );
        }
        "GetSessionToken" => {
            let o = GetSessionTokenInput::parse(&response).unwrap();
            // Milliseconds are kept.
            check_credentials(&o.credentials, "2024-05-15T05:48:09.123Z", None);
            assert_eq!(o.session_token_utilization, None);
            assert_eq!(
                o.request_id.as_deref(),
                Some("58c5dbae-abef-11e0-8cfe-09039844ac7d")
            );
        }
        "GetWebIdentityToken" => {
            let o = GetWebIdentityTokenInput::parse(&response).unwrap();
            assert_eq!(
                o.web_identity_token.secret(),
                "eyJraWQiOiJFWEFNUExFIiwiYWxnIjoiUlMyNTYifQ.eyJhdWQiOlsiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20iXX0.EXAMPLESIGNATURE"
            );
            assert_eq!(o.expiration, Some(at("2024-05-14T17:53:09Z")));
            assert_eq!(
                o.request_id.as_deref(),
                Some("3c2b1a09-8f7e-6d5c-4b3a-29180f7e6d5c")
            );
        }
        other => panic!("no parser for {other}"),
    }
}

#[test]
fn every_response_file_parses_into_its_typed_output() {
    for (name, body) in files(".response.xml") {
        parse_fixture(name.trim_end_matches(".response.xml"), &body);
    }
}

#[test]
fn the_request_id_header_wins_over_the_body() {
    let body = fs::read(dir().join("GetAccessKeyInfo.response.xml")).unwrap();
    let response = http::Response::builder()
        .status(200)
        .header("x-amzn-RequestId", "from-header")
        .body(body)
        .unwrap();
    let o = GetAccessKeyInfoInput::parse(&response).unwrap();
    assert_eq!(o.request_id.as_deref(), Some("from-header"));
}

/// The HTTP status spec/sts.md pairs with each error code.
fn status_of(code: &str) -> u16 {
    match code {
        "AccessDenied"
        | "IDPRejectedClaim"
        | "InvalidClientTokenId"
        | "RegionDisabledException"
        | "SignatureDoesNotMatch" => 403,
        _ => 400,
    }
}

/// The message each error file carries (entities resolved).
fn message_of(code: &str) -> &'static str {
    match code {
        "AccessDenied" => "User: arn:aws:iam::123456789012:user/Bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo-role",
        "ExpiredToken" => "The security token included in the request is expired",
        "ExpiredTokenException" => "Token expired: current date/time 1715710000 must be before the expiration date/time 1715706400",
        "IDPCommunicationError" => "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        "IDPRejectedClaim" => "Untrusted SAML assertion",
        "InvalidAuthorizationMessageException" => "The encoded authorization message is not valid.",
        "InvalidClientTokenId" => "The security token included in the request is invalid.",
        "InvalidIdentityToken" => "No OpenIDConnect provider found in your account for https://oidc.example.com",
        "MalformedPolicyDocument" => "The policy is not in the valid JSON format.",
        "PackedPolicyTooLarge" => "Serialized token too large for session",
        "RegionDisabledException" => "STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.",
        "SignatureDoesNotMatch" => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        "Throttling" => "Rate exceeded",
        "ValidationError" => "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
        other => panic!("unknown fixture {other}"),
    }
}

fn request_id_in(body: &[u8]) -> String {
    let text = std::str::from_utf8(body).unwrap();
    let start = text.find("<RequestId>").unwrap() + "<RequestId>".len();
    let end = text.find("</RequestId>").unwrap();
    text[start..end].to_owned()
}

fn error_of(op: &str, response: &http::Response<Vec<u8>>) -> Error {
    match op {
        "AssumeRole" => AssumeRoleInput::parse(response).unwrap_err(),
        "AssumeRoleWithSAML" => AssumeRoleWithSamlInput::parse(response).unwrap_err(),
        "AssumeRoleWithWebIdentity" => AssumeRoleWithWebIdentityInput::parse(response).unwrap_err(),
        "AssumeRoot" => AssumeRootInput::parse(response).unwrap_err(),
        "DecodeAuthorizationMessage" => {
            DecodeAuthorizationMessageInput::parse(response).unwrap_err()
        }
        "GetAccessKeyInfo" => GetAccessKeyInfoInput::parse(response).unwrap_err(),
        "GetCallerIdentity" => GetCallerIdentityInput::parse(response).unwrap_err(),
        "GetDelegatedAccessToken" => GetDelegatedAccessTokenInput::parse(response).unwrap_err(),
        "GetFederationToken" => GetFederationTokenInput::parse(response).unwrap_err(),
        "GetSessionToken" => GetSessionTokenInput::parse(response).unwrap_err(),
        "GetWebIdentityToken" => GetWebIdentityTokenInput::parse(response).unwrap_err(),
        other => panic!("{other}"),
    }
}

#[test]
fn every_error_file_parses_into_a_typed_service_error_for_every_operation() {
    let errors = files(".xml")
        .into_iter()
        .filter(|(n, _)| n.starts_with("error-"))
        .collect::<Vec<_>>();
    assert_eq!(errors.len(), 14);
    for (name, body) in errors {
        let code = name.trim_start_matches("error-").trim_end_matches(".xml");
        let status = status_of(code);
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .body(body.clone())
            .unwrap();
        for op in OPERATIONS {
            let error = error_of(op, &response);
            let e = error
                .service_error()
                .unwrap_or_else(|| panic!("{name}: {error:?}"));
            assert_eq!(e.operation, op);
            assert_eq!(e.service, oidc_core::endpoint::Service::Sts);
            assert_eq!(e.status, status, "{name}");
            assert_eq!(e.code.as_str(), code, "{name}");
            assert_eq!(e.message.as_deref(), Some(message_of(code)), "{name}");
            assert_eq!(
                e.request_id.as_deref(),
                Some(request_id_in(&body).as_str()),
                "{name}"
            );
            assert_eq!(e.query().unwrap().fault, Fault::Sender, "{name}");
            assert_eq!(error.status(), Some(status));
        }
        // Modelled codes map to the STS enum, the others stay verbatim.
        let error = error_of("AssumeRole", &response);
        let modelled = sts::ErrorCode::from_wire(code);
        match modelled {
            Some(c) => assert_eq!(error.code(), Some(&ErrorCode::Sts(c)), "{name}"),
            None => assert_eq!(
                error.code(),
                Some(&ErrorCode::Other(code.to_owned())),
                "{name}"
            ),
        }
    }
}

#[test]
fn modelled_fixture_codes_are_the_sts_codes() {
    for (code, expected) in [
        ("ExpiredTokenException", sts::ErrorCode::ExpiredToken),
        (
            "IDPCommunicationError",
            sts::ErrorCode::IdpCommunicationError,
        ),
        ("IDPRejectedClaim", sts::ErrorCode::IdpRejectedClaim),
        (
            "InvalidAuthorizationMessageException",
            sts::ErrorCode::InvalidAuthorizationMessage,
        ),
        ("InvalidIdentityToken", sts::ErrorCode::InvalidIdentityToken),
        (
            "MalformedPolicyDocument",
            sts::ErrorCode::MalformedPolicyDocument,
        ),
        ("PackedPolicyTooLarge", sts::ErrorCode::PackedPolicyTooLarge),
        ("RegionDisabledException", sts::ErrorCode::RegionDisabled),
    ] {
        let body = fs::read(dir().join(format!("error-{code}.xml"))).unwrap();
        let response = http::Response::builder()
            .status(status_of(code))
            .body(body)
            .unwrap();
        let error = AssumeRoleWithWebIdentityInput::parse(&response).unwrap_err();
        assert_eq!(error.code(), Some(&ErrorCode::Sts(expected)));
        assert_eq!(*error.code().unwrap(), expected);
    }
    // `ExpiredToken` (the caller's own credentials) is not the modelled
    // `ExpiredTokenException`.
    let body = fs::read(dir().join("error-ExpiredToken.xml")).unwrap();
    let response = http::Response::builder().status(400).body(body).unwrap();
    let error = AssumeRoleInput::parse(&response).unwrap_err();
    assert_eq!(
        error.code(),
        Some(&ErrorCode::Other("ExpiredToken".to_owned()))
    );
}

#[test]
fn the_error_display_names_code_status_message_fault_and_request_id() {
    let body = fs::read(dir().join("error-Throttling.xml")).unwrap();
    let response = http::Response::builder().status(400).body(body).unwrap();
    let error = GetCallerIdentityInput::parse(&response).unwrap_err();
    assert_eq!(
        error.to_string(),
        "GetCallerIdentity failed: Throttling (HTTP 400): Rate exceeded (Sender fault) [request id: 92276658-1e27-41c0-8a6a-63ec24ede6a4]"
    );
}

#[test]
fn auth_of_every_operation() {
    let sigv4 = Auth::SigV4 {
        signing_name: "sts",
    };
    assert_eq!(AssumeRoleWithSamlInput::AUTH, Auth::None);
    assert_eq!(AssumeRoleWithWebIdentityInput::AUTH, Auth::None);
    assert_eq!(AssumeRoleInput::AUTH, sigv4);
    assert_eq!(AssumeRootInput::AUTH, sigv4);
    assert_eq!(DecodeAuthorizationMessageInput::AUTH, sigv4);
    assert_eq!(GetAccessKeyInfoInput::AUTH, sigv4);
    assert_eq!(GetCallerIdentityInput::AUTH, sigv4);
    assert_eq!(GetDelegatedAccessTokenInput::AUTH, sigv4);
    assert_eq!(GetFederationTokenInput::AUTH, sigv4);
    assert_eq!(GetSessionTokenInput::AUTH, sigv4);
    assert_eq!(GetWebIdentityTokenInput::AUTH, sigv4);
    let names = [
        AssumeRoleInput::NAME,
        AssumeRoleWithSamlInput::NAME,
        AssumeRoleWithWebIdentityInput::NAME,
        AssumeRootInput::NAME,
        DecodeAuthorizationMessageInput::NAME,
        GetAccessKeyInfoInput::NAME,
        GetCallerIdentityInput::NAME,
        GetDelegatedAccessTokenInput::NAME,
        GetFederationTokenInput::NAME,
        GetSessionTokenInput::NAME,
        GetWebIdentityTokenInput::NAME,
    ];
    assert_eq!(names, OPERATIONS);
    assert_eq!(AssumeRoleInput::SERVICE, oidc_core::endpoint::Service::Sts);
    assert_eq!(
        GetWebIdentityTokenInput::SERVICE,
        oidc_core::endpoint::Service::Sts
    );
}
