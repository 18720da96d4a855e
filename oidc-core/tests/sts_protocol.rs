//! The awsQuery protocol as STS uses it: form encoding (lists, structures,
//! percent-encoding, empty lists), input validation naming the member, and
//! the XML parser's typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::endpoint::Endpoint;
use oidc_core::sts::assume_role::{self, AssumeRoleInput};
use oidc_core::sts::assume_role_with_saml::AssumeRoleWithSamlInput;
use oidc_core::sts::assume_role_with_web_identity::AssumeRoleWithWebIdentityInput;
use oidc_core::sts::assume_root::AssumeRootInput;
use oidc_core::sts::decode_authorization_message::DecodeAuthorizationMessageInput;
use oidc_core::sts::get_access_key_info::GetAccessKeyInfoInput;
use oidc_core::sts::get_caller_identity::{self, GetCallerIdentityInput};
use oidc_core::sts::get_delegated_access_token::GetDelegatedAccessTokenInput;
use oidc_core::sts::get_federation_token::GetFederationTokenInput;
use oidc_core::sts::get_session_token::{self, GetSessionTokenInput};
use oidc_core::sts::get_web_identity_token::GetWebIdentityTokenInput;
use oidc_core::sts::{ProvidedContext, Tag};
use oidc_core::{Error, ErrorCode, Fault, InvalidInput, Operation, ParseErrorKind};

const ROLE: &str = "arn:aws:iam::123456789012:role/demo-role";

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap()
}

fn body<O: Operation>(input: &O) -> String {
    String::from_utf8(input.request(&endpoint()).unwrap().into_body()).unwrap()
}

fn invalid<O: Operation>(input: &O) -> (&'static str, String) {
    match input.request(&endpoint()).unwrap_err() {
        Error::InvalidInput(InvalidInput::Invalid { member, reason, .. }) => (member, reason),
        Error::InvalidInput(InvalidInput::Empty { member, .. }) => (member, "empty".to_owned()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_list_of_three_strings_is_member_1_to_3() {
    let input = AssumeRoleInput::new(ROLE, "s1").with_transitive_tag_keys(["a", "b", "c"]);
    assert!(body(&input).ends_with(
        "&TransitiveTagKeys.member.1=a&TransitiveTagKeys.member.2=b&TransitiveTagKeys.member.3=c"
    ));
    let input = GetWebIdentityTokenInput::new(["x", "y", "z"], "ES384");
    assert_eq!(
        body(&input),
        "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=x&Audience.member.2=y&Audience.member.3=z&SigningAlgorithm=ES384"
    );
}

#[test]
fn a_list_of_three_structures_is_member_1_to_3_with_fields() {
    let input = AssumeRoleInput::new(ROLE, "s1")
        .with_policy_arns([
            "arn:aws:iam::aws:policy/One12345",
            "arn:aws:iam::aws:policy/Two12345",
            "arn:aws:iam::aws:policy/Thr12345",
        ])
        .with_tags([
            Tag::new("k1", "v1"),
            Tag::new("k2", ""),
            Tag::new("k3", "v 3"),
        ])
        .with_provided_contexts([
            ProvidedContext::new("arn:aws:iam::aws:contextProvider/A", "ctx1"),
            ProvidedContext::new("arn:aws:iam::aws:contextProvider/B", "ctx2"),
            ProvidedContext::new("arn:aws:iam::aws:contextProvider/C", "ctx3"),
        ]);
    let b = body(&input);
    for expected in [
        "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FOne12345",
        "&PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FTwo12345",
        "&PolicyArns.member.3.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FThr12345",
        "&Tags.member.1.Key=k1&Tags.member.1.Value=v1",
        "&Tags.member.2.Key=k2&Tags.member.2.Value=&",
        "&Tags.member.3.Key=k3&Tags.member.3.Value=v%203",
        "&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FA&ProvidedContexts.member.1.ContextAssertion=ctx1",
        "&ProvidedContexts.member.3.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FC&ProvidedContexts.member.3.ContextAssertion=ctx3",
    ] {
        assert!(b.contains(expected), "{expected} in {b}");
    }
    assert!(!b.contains("member.0"));
    assert!(!b.contains("member.4"));
}

#[test]
fn an_explicitly_empty_list_is_the_key_with_an_empty_value() {
    let input = AssumeRoleInput::new(ROLE, "s1")
        .with_tags([])
        .with_transitive_tag_keys(Vec::<String>::new())
        .with_policy_arns(Vec::<String>::new());
    assert_eq!(
        body(&input),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=s1&PolicyArns=&Tags=&TransitiveTagKeys="
    );
    // Absent members produce nothing.
    assert_eq!(
        body(&AssumeRoleInput::new(ROLE, "s1")),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=s1"
    );
}

#[test]
fn reserved_characters_are_percent_encoded() {
    let input = GetFederationTokenInput::new("bob")
        .with_policy("{\"a\": \"b+c/d?e=f&g#h%i*j'k(l)m!n~o-p_q.r\tü\"}");
    let b = body(&input);
    let policy = b.split("&Policy=").nth(1).unwrap();
    assert_eq!(
        policy,
        "%7B%22a%22%3A%20%22b%2Bc%2Fd%3Fe%3Df%26g%23h%25i%2Aj%27k%28l%29m%21n~o-p_q.r%09%C3%BC%22%7D"
    );
    // Every byte outside the unreserved set is escaped, upper-case hex.
    for c in policy.split('%').skip(1) {
        let hex = &c[..2];
        assert_eq!(hex, hex.to_uppercase());
    }
    // Multi-byte UTF-8: every byte escaped.
    assert!(body(&DecodeAuthorizationMessageInput::new("€ 𝄞"))
        .ends_with("&EncodedMessage=%E2%82%AC%20%F0%9D%84%9E"));
    let tag = AssumeRoleInput::new(ROLE, "s1").with_tags([Tag::new("a b", "x@y:z/=+")]);
    assert!(body(&tag).ends_with("&Tags.member.1.Key=a%20b&Tags.member.1.Value=x%40y%3Az%2F%3D%2B"));
}

#[test]
fn requests_are_a_form_post_to_the_root() {
    let endpoint = Endpoint::from_url("http://127.0.0.1:9/prefix").unwrap();
    let request = get_caller_identity::request(&GetCallerIdentityInput::new(), &endpoint).unwrap();
    assert_eq!(request.uri(), "http://127.0.0.1:9/prefix/");
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.headers()["content-type"],
        "application/x-www-form-urlencoded; charset=utf-8"
    );
    assert_eq!(request.headers()["user-agent"], oidc_core::USER_AGENT);
}

#[test]
fn validation_names_the_member() {
    let cases: Vec<((&str, String), &str)> = vec![
        (invalid(&AssumeRoleInput::new("", "s1")), "RoleArn"),
        (invalid(&AssumeRoleInput::new("arn:short", "s1")), "RoleArn"),
        (invalid(&AssumeRoleInput::new(ROLE, "x")), "RoleSessionName"),
        (
            invalid(&AssumeRoleInput::new(ROLE, "has space")),
            "RoleSessionName",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_duration_seconds(899)),
            "DurationSeconds",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_duration_seconds(43201)),
            "DurationSeconds",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_mfa("arn:aws:iam::1:mfa/x", "12345")),
            "TokenCode",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_mfa("arn:aws:iam::1:mfa/x", "12345a")),
            "TokenCode",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_mfa("short", "123456")),
            "SerialNumber",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_external_id("x")),
            "ExternalId",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_source_identity("a b")),
            "SourceIdentity",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_policy("")),
            "Policy",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_policy("\u{2603}")),
            "Policy",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_provided_contexts([])),
            "ProvidedContexts",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_provided_contexts(
                (0..6).map(|_| ProvidedContext::identity_center("ctx-assertion")),
            )),
            "ProvidedContexts",
        ),
        (
            invalid(
                &AssumeRoleInput::new(ROLE, "s1")
                    .with_provided_contexts([ProvidedContext::identity_center("abc")]),
            ),
            "ProvidedContexts",
        ),
        (
            invalid(
                &AssumeRoleInput::new(ROLE, "s1")
                    .with_tags((0..51).map(|i| Tag::new(format!("k{i}"), "v"))),
            ),
            "Tags",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_tags([Tag::new("", "v")])),
            "Tags",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_tags([Tag::new("k", "a;b")])),
            "Tags",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_transitive_tag_keys([""])),
            "TransitiveTagKeys",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_policy_arns(["arn:x"])),
            "PolicyArns",
        ),
        (
            invalid(&AssumeRoleInput::new(ROLE, "s1").with_minimum_session_token_size(4097)),
            "MinimumSessionTokenSize",
        ),
        (
            invalid(&AssumeRoleWithSamlInput::new(ROLE, ROLE, "abc")),
            "SAMLAssertion",
        ),
        (
            invalid(&AssumeRoleWithSamlInput::new(ROLE, "", "abcd")),
            "PrincipalArn",
        ),
        (
            invalid(
                &AssumeRoleWithSamlInput::new(ROLE, ROLE, "abcd").with_policy("x".repeat(2049)),
            ),
            "Policy",
        ),
        (
            invalid(&AssumeRoleWithWebIdentityInput::new(ROLE, "s1", "")),
            "WebIdentityToken",
        ),
        (
            invalid(
                &AssumeRoleWithWebIdentityInput::new(ROLE, "s1", "abcd").with_provider_id("ab"),
            ),
            "ProviderId",
        ),
        (
            invalid(&AssumeRootInput::new(
                "12345",
                "arn:aws:iam::aws:policy/root-task/X",
            )),
            "TargetPrincipal",
        ),
        (
            invalid(&AssumeRootInput::new("111122223333", "")),
            "TaskPolicyArn",
        ),
        (
            invalid(
                &AssumeRootInput::new("111122223333", "arn:aws:iam::aws:policy/root-task/X")
                    .with_duration_seconds(901),
            ),
            "DurationSeconds",
        ),
        (
            invalid(&DecodeAuthorizationMessageInput::new("")),
            "EncodedMessage",
        ),
        (
            invalid(&DecodeAuthorizationMessageInput::new("x".repeat(10241))),
            "EncodedMessage",
        ),
        (invalid(&GetAccessKeyInfoInput::new("AKIA")), "AccessKeyId"),
        (
            invalid(&GetAccessKeyInfoInput::new("AKIA-IOSFODNN7EXAMPLE")),
            "AccessKeyId",
        ),
        (
            invalid(&GetDelegatedAccessTokenInput::new("")),
            "TradeInToken",
        ),
        (invalid(&GetFederationTokenInput::new("b")), "Name"),
        (
            invalid(&GetFederationTokenInput::new("x".repeat(33))),
            "Name",
        ),
        (
            invalid(&GetFederationTokenInput::new("bob").with_duration_seconds(129_601)),
            "DurationSeconds",
        ),
        (
            invalid(&GetSessionTokenInput::new().with_duration_seconds(100)),
            "DurationSeconds",
        ),
        (
            invalid(&GetWebIdentityTokenInput::new(
                Vec::<String>::new(),
                "RS256",
            )),
            "Audience",
        ),
        (
            invalid(&GetWebIdentityTokenInput::new(
                (0..11).map(|i| format!("a{i}")),
                "RS256",
            )),
            "Audience",
        ),
        (
            invalid(&GetWebIdentityTokenInput::new([""], "RS256")),
            "Audience",
        ),
        (
            invalid(&GetWebIdentityTokenInput::new(["a"], "RS2566")),
            "SigningAlgorithm",
        ),
        (
            invalid(&GetWebIdentityTokenInput::new(["a"], "RS256").with_duration_seconds(59)),
            "DurationSeconds",
        ),
    ];
    for ((member, reason), expected) in cases {
        assert_eq!(member, expected, "{reason}");
    }
    // Model boundaries are accepted.
    for input in [
        AssumeRoleInput::new(ROLE, "s1").with_duration_seconds(900),
        AssumeRoleInput::new(ROLE, "s1").with_duration_seconds(43200),
        AssumeRoleInput::new(ROLE, "a".repeat(64)),
        AssumeRoleInput::new(ROLE, "s1").with_tags([Tag::new("Ключ 1", "värde é")]),
        AssumeRoleInput::new(ROLE, "s1").with_policy("\u{ff}"),
    ] {
        assert!(input.request(&endpoint()).is_ok(), "{input:?}");
    }
}

#[test]
fn validation_messages_never_quote_secret_values() {
    let input = AssumeRoleWithWebIdentityInput::new(ROLE, "s1", "x".repeat(20_001) + "PLANTED");
    let error = input.request(&endpoint()).unwrap_err();
    assert!(!error.to_string().contains("PLANTED"));
    let input = AssumeRoleInput::new(ROLE, "s1").with_mfa("arn:aws:iam::1:mfa/x", "98765x");
    let error = input.request(&endpoint()).unwrap_err().to_string();
    assert!(!error.contains("98765"), "{error}");
}

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn parse_kind(status: u16, body: &str) -> ParseErrorKind {
    match assume_role::parse(&response(status, body)).unwrap_err() {
        Error::Parse(e) => {
            assert_eq!(e.status, status);
            assert_eq!(e.operation, "AssumeRole");
            e.kind
        }
        other => panic!("{other:?}"),
    }
}

const OK: &str = concat!(
    "<AssumeRoleResponse><AssumeRoleResult><Credentials>",
    "<AccessKeyId>ASIAEXAMPLEEXAMPLE</AccessKeyId><SecretAccessKey>PLANTED-SECRET-KEY</SecretAccessKey>",
    "<SessionToken>PLANTED-SESSION-TOKEN</SessionToken><Expiration>2024-05-14T17:48:09Z</Expiration>",
    "</Credentials></AssumeRoleResult></AssumeRoleResponse>"
);

#[test]
fn parse_errors_are_typed_and_carry_no_body_text() {
    assert_eq!(parse_kind(200, ""), ParseErrorKind::EmptyBody);
    assert_eq!(parse_kind(200, " \n "), ParseErrorKind::EmptyBody);
    assert!(matches!(
        parse_kind(200, &OK[..OK.len() - 30]),
        ParseErrorKind::Truncated { line: 1, .. }
    ));
    assert!(matches!(
        parse_kind(200, &OK[..OK.len() - 3]),
        ParseErrorKind::Truncated { .. }
    ));
    assert!(matches!(
        parse_kind(200, "{\"json\": true}"),
        ParseErrorKind::NotXml {
            looks_like_html: false,
            ..
        }
    ));
    assert!(matches!(
        parse_kind(
            502,
            "<!DOCTYPE html><html><body><p>Bad gateway<br></body></html>"
        ),
        ParseErrorKind::NotXml {
            looks_like_html: true,
            ..
        }
    ));
    assert!(matches!(
        parse_kind(503, "<html><body>Service Unavailable</body></html>"),
        ParseErrorKind::NotXml {
            looks_like_html: true,
            ..
        }
    ));
    assert!(matches!(
        parse_kind(200, "<AssumeRoleResponse></Other>"),
        ParseErrorKind::NotXml { .. }
    ));
    assert!(matches!(
        parse_kind(200, "<GetCallerIdentityResponse/>"),
        ParseErrorKind::WrongShape { .. }
    ));
    // A required element is missing: named, with its path.
    let missing = OK.replace("<SessionToken>PLANTED-SESSION-TOKEN</SessionToken>", "");
    match assume_role::parse(&response(200, &missing)).unwrap_err() {
        Error::Parse(e) => {
            assert_eq!(
                e.kind,
                ParseErrorKind::MissingMember {
                    member: "SessionToken"
                }
            );
            assert_eq!(e.path, "AssumeRoleResult/Credentials/SessionToken");
        }
        other => panic!("{other:?}"),
    }
    let no_credentials = "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>";
    assert_eq!(
        parse_kind(200, no_credentials),
        ParseErrorKind::MissingMember {
            member: "Credentials"
        }
    );
    // Bad values: the kind names the expectation, never the value.
    let bad_time = OK.replace("2024-05-14T17:48:09Z", "PLANTED-NOT-A-TIME");
    let error = assume_role::parse(&response(200, &bad_time)).unwrap_err();
    assert!(
        matches!(&error, Error::Parse(e) if matches!(e.kind, ParseErrorKind::WrongShape { .. }))
    );
    let bad_int = OK.replace(
        "</Credentials>",
        "</Credentials><PackedPolicySize>-1</PackedPolicySize>",
    );
    assert!(matches!(
        parse_kind(200, &bad_int),
        ParseErrorKind::OutOfRange {
            member: "PackedPolicySize",
            ..
        }
    ));
    for body in [&bad_time, &missing, &OK[..OK.len() - 30]] {
        let text = format!(
            "{:?} {}",
            assume_role::parse(&response(200, body)).unwrap_err(),
            assume_role::parse(&response(200, body)).unwrap_err()
        );
        assert!(!text.contains("PLANTED"), "{text}");
    }
}

#[test]
fn responses_are_read_whatever_the_order_namespace_and_unknown_elements() {
    let body = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<sts:AssumeRoleResponse xmlns:sts=\"https://sts.amazonaws.com/doc/2011-06-15/\">",
        "<sts:ResponseMetadata><sts:RequestId>r-9</sts:RequestId></sts:ResponseMetadata>",
        "<sts:AssumeRoleResult><NewMember><Credentials>decoy</Credentials></NewMember>",
        "<sts:Credentials><sts:Expiration>2024-05-14T17:48:09.5+00:00</sts:Expiration>",
        "<sts:SessionToken><![CDATA[tok/en]]></sts:SessionToken>",
        "<sts:SecretAccessKey>a&#x2B;b&#x41;&#66;</sts:SecretAccessKey>",
        "<sts:AccessKeyId>ASIAEXAMPLEEXAMPLE</sts:AccessKeyId></sts:Credentials>",
        "<!-- a comment --></sts:AssumeRoleResult></sts:AssumeRoleResponse>"
    );
    let o = assume_role::parse(&response(200, body)).unwrap();
    assert_eq!(o.credentials.access_key_id, "ASIAEXAMPLEEXAMPLE");
    assert_eq!(o.credentials.secret_access_key.secret(), "a+bAB");
    assert_eq!(
        o.credentials.session_token.as_ref().unwrap().secret(),
        "tok/en"
    );
    assert_eq!(
        o.credentials.expires_at,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_715_708_889_500))
    );
    assert_eq!(o.request_id.as_deref(), Some("r-9"));
    assert_eq!(o.assumed_role_user, None);
    assert_eq!(o.credentials.account_id, None);
}

#[test]
fn error_envelopes() {
    // Receiver fault, no namespace, request id in the header.
    let r = http::Response::builder()
        .status(503)
        .header("x-amzn-RequestId", "hdr-1")
        .body(
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code></Error><RequestId>body-1</RequestId></ErrorResponse>"
                .as_bytes()
                .to_vec(),
        )
        .unwrap();
    let error = get_session_token::parse(&r).unwrap_err();
    let e = error.service_error().unwrap();
    assert_eq!(e.code, ErrorCode::Other("ServiceUnavailable".to_owned()));
    assert_eq!(e.query().unwrap().fault, Fault::Receiver);
    assert_eq!(e.message, None);
    assert_eq!(e.request_id.as_deref(), Some("hdr-1"));
    assert_eq!(e.status, 503);

    // No body: the status is the code.
    let error = get_session_token::parse(&response(500, "")).unwrap_err();
    let e = error.service_error().unwrap();
    assert_eq!(e.code, ErrorCode::Other("500".to_owned()));
    assert_eq!(e.query().unwrap().fault, Fault::Other(String::new()));

    // A body that is not XML: a parse error carrying the status.
    let error = get_session_token::parse(&response(502, "Bad Gateway")).unwrap_err();
    assert!(
        matches!(error, Error::Parse(ref p) if p.status == 502 && matches!(p.kind, ParseErrorKind::NotXml { .. }))
    );
    assert_eq!(error.status(), Some(502));

    // A modelled code, with a credential echoed in the message: scrubbed.
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>token eyJhbGciOiJSUzI1NiJ9PLANTED0123456789abcdefXYZ is bad</Message></Error></ErrorResponse>";
    let error = AssumeRoleWithWebIdentityInput::parse(&response(400, body)).unwrap_err();
    let e = error.service_error().unwrap();
    assert_eq!(e.code, oidc_core::sts::ErrorCode::InvalidIdentityToken);
    assert_eq!(e.message.as_deref(), Some("token [redacted] is bad"));
    assert_eq!(e.request_id, None);
    assert!(!format!("{error:?} {error}").contains("PLANTED"));

    // Unknown error code, well-formed but unrelated XML: code from status.
    let error = get_session_token::parse(&response(404, "<NotFound/>")).unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::Other("404".to_owned())));
}

/// The top-level wire members of a body (`Tags.member.1.Key` -> `Tags`),
/// in order of first appearance, without `Action` and `Version`.
fn members_of(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for pair in body.split('&').skip(2) {
        let key = pair.split('=').next().unwrap();
        let member = key.split('.').next().unwrap().to_owned();
        if !out.contains(&member) {
            out.push(member);
        }
    }
    out
}

#[test]
fn every_model_input_member_is_encoded_in_model_order() {
    // The input members of each operation, in the order of
    // data/aws-models/sts/service-2.json.
    let tag = || Tag::new("k", "v");
    let policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let cases: Vec<(String, &[&str])> = vec![
        (
            body(
                &AssumeRoleInput::new(ROLE, "s1")
                    .with_policy_arns([policy_arn])
                    .with_policy("{}")
                    .with_duration_seconds(900)
                    .with_tags([tag()])
                    .with_transitive_tag_keys(["k"])
                    .with_external_id("ext")
                    .with_mfa("arn:aws:iam::1:mfa/x", "123456")
                    .with_source_identity("me")
                    .with_provided_contexts([ProvidedContext::identity_center("ctx1")])
                    .with_minimum_session_token_size(0),
            ),
            &[
                "RoleArn",
                "RoleSessionName",
                "PolicyArns",
                "Policy",
                "DurationSeconds",
                "Tags",
                "TransitiveTagKeys",
                "ExternalId",
                "SerialNumber",
                "TokenCode",
                "SourceIdentity",
                "ProvidedContexts",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(
                &AssumeRoleWithSamlInput::new(ROLE, ROLE, "abcd")
                    .with_policy_arns([policy_arn])
                    .with_policy("{}")
                    .with_duration_seconds(900)
                    .with_minimum_session_token_size(1),
            ),
            &[
                "RoleArn",
                "PrincipalArn",
                "SAMLAssertion",
                "PolicyArns",
                "Policy",
                "DurationSeconds",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(
                &AssumeRoleWithWebIdentityInput::new(ROLE, "s1", "abcd")
                    .with_provider_id("www.amazon.com")
                    .with_policy_arns([policy_arn])
                    .with_policy("{}")
                    .with_duration_seconds(900)
                    .with_minimum_session_token_size(1),
            ),
            &[
                "RoleArn",
                "RoleSessionName",
                "WebIdentityToken",
                "ProviderId",
                "PolicyArns",
                "Policy",
                "DurationSeconds",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(
                &AssumeRootInput::new("111122223333", policy_arn)
                    .with_duration_seconds(0)
                    .with_minimum_session_token_size(4096),
            ),
            &[
                "TargetPrincipal",
                "TaskPolicyArn",
                "DurationSeconds",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(&DecodeAuthorizationMessageInput::new("m")),
            &["EncodedMessage"],
        ),
        (
            body(&GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE")),
            &["AccessKeyId"],
        ),
        (body(&GetCallerIdentityInput::new()), &[]),
        (
            body(&GetDelegatedAccessTokenInput::new("t")),
            &["TradeInToken"],
        ),
        (
            body(
                &GetFederationTokenInput::new("bob")
                    .with_policy("{}")
                    .with_policy_arns([policy_arn])
                    .with_duration_seconds(900)
                    .with_tags([tag()])
                    .with_minimum_session_token_size(1),
            ),
            &[
                "Name",
                "Policy",
                "PolicyArns",
                "DurationSeconds",
                "Tags",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(
                &GetSessionTokenInput::new()
                    .with_duration_seconds(900)
                    .with_mfa("arn:aws:iam::1:mfa/x", "123456")
                    .with_minimum_session_token_size(1),
            ),
            &[
                "DurationSeconds",
                "SerialNumber",
                "TokenCode",
                "MinimumSessionTokenSize",
            ],
        ),
        (
            body(
                &GetWebIdentityTokenInput::new(["a"], "RS256")
                    .with_duration_seconds(60)
                    .with_tags([tag()]),
            ),
            &["Audience", "DurationSeconds", "SigningAlgorithm", "Tags"],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(members_of(&body), expected, "{body}");
    }
}

/// A `<Code>` that is nothing but control characters after its `#` is no
/// code at all: the error falls back to the status, never an empty code
/// (found by the sts_parse fuzz target).
#[test]
fn an_error_code_of_control_characters_falls_back_to_the_status() {
    for raw in [
        "RegionDisabledException\n\0#\0",
        "Throttling#",
        "\u{1b}",
        " \t ",
    ] {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{raw}</Code><Message>m</Message></Error>\
             <RequestId>r</RequestId></ErrorResponse>"
        );
        let response = http::Response::builder()
            .status(403)
            .body(body.into_bytes())
            .unwrap();
        match get_caller_identity::parse(&response) {
            Err(Error::Service(e)) => {
                assert!(!e.code.as_str().is_empty(), "{raw:?}");
                assert_eq!(e.code, ErrorCode::Other("403".to_owned()), "{raw:?}");
            }
            other => panic!("{raw:?}: {other:?}"),
        }
    }
}
