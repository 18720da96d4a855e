//! `RegisterClient`: request building and response parsing, checked against
//! the service model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
use oidc_core::sso_oidc::GrantType;
use oidc_core::{Error, Operation, ParseErrorKind};
use op_support::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const OP: &str = RegisterClientInput::NAME;

fn full_input() -> RegisterClientInput {
    RegisterClientInput::new("botocore-client-my-sso")
        .with_scopes(["sso:account:access", "openid"])
        .with_redirect_uris(["http://127.0.0.1/oauth/callback"])
        .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken])
        .with_issuer_url("https://my-sso-portal.awsapps.com/start")
        .with_entitled_application_arn(
            "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222",
        )
}

#[test]
fn request_line_headers_and_required_members_match_the_model() {
    let model = operation("RegisterClient");
    assert_eq!(model.authtype.as_deref(), Some("none"), "sent unsigned");
    let request = register_client::request(&full_input(), &endpoint()).unwrap();
    assert_request_matches_model(&request, "RegisterClient");
    assert_eq!(request.uri().path(), "/client/register");
    assert_eq!(request.uri().query(), None);
}

#[test]
fn every_model_member_is_sent_with_its_wire_name() {
    let request = register_client::request(&full_input(), &endpoint()).unwrap();
    let body = body_json(&request);
    assert_eq!(keys(&body), operation("RegisterClient").input_members);
    assert_eq!(str_member(&body, "clientName"), "botocore-client-my-sso");
    assert_eq!(str_member(&body, "clientType"), "public");
    assert_eq!(
        list_member(&body, "scopes"),
        ["sso:account:access", "openid"]
    );
    assert_eq!(
        list_member(&body, "redirectUris"),
        ["http://127.0.0.1/oauth/callback"]
    );
    assert_eq!(
        list_member(&body, "grantTypes"),
        ["authorization_code", "refresh_token"]
    );
    assert_eq!(
        str_member(&body, "issuerUrl"),
        "https://my-sso-portal.awsapps.com/start"
    );
    assert_eq!(
        str_member(&body, "entitledApplicationArn"),
        "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222"
    );
}

#[test]
fn unset_optional_members_are_omitted() {
    let request =
        register_client::request(&RegisterClientInput::new("my-tool"), &endpoint()).unwrap();
    assert_eq!(
        request.body().as_slice(),
        br#"{"clientName":"my-tool","clientType":"public"}"#
    );
}

#[test]
fn the_pkce_registration_of_the_spec_serialises_as_the_cli_sends_it() {
    let input = RegisterClientInput::new("botocore-client-my-sso")
        .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken])
        .with_redirect_uris(["http://127.0.0.1/oauth/callback"])
        .with_issuer_url("https://my-sso-portal.awsapps.com/start")
        .with_scopes(["sso:account:access"]);
    let body: Value = serde_json::from_slice(
        register_client::request(&input, &endpoint())
            .unwrap()
            .body(),
    )
    .unwrap();
    let expected: Value = serde_json::from_str(
        r#"{"clientName":"botocore-client-my-sso","clientType":"public","grantTypes":["authorization_code","refresh_token"],"redirectUris":["http://127.0.0.1/oauth/callback"],"issuerUrl":"https://my-sso-portal.awsapps.com/start","scopes":["sso:account:access"]}"#,
    )
    .unwrap();
    assert_eq!(body, expected);
}

#[test]
fn grant_types_are_sent_as_their_urns() {
    let input = RegisterClientInput::new("x").with_grant_types([
        GrantType::DeviceCode,
        GrantType::RefreshToken,
        GrantType::AuthorizationCode,
        GrantType::Other("urn:example:custom".to_owned()),
    ]);
    let body = body_json(&register_client::request(&input, &endpoint()).unwrap());
    assert_eq!(
        list_member(&body, "grantTypes"),
        [
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token",
            "authorization_code",
            "urn:example:custom"
        ]
    );
}

#[test]
fn every_required_member_is_checked_before_a_request_exists() {
    for blank in ["", " ", "\t\n"] {
        let mut input = RegisterClientInput::new(blank);
        assert_empty(
            register_client::request(&input, &endpoint()),
            OP,
            "clientName",
        );
        input.client_name = "ok".to_owned();
        input.client_type = blank.to_owned();
        assert_empty(
            register_client::request(&input, &endpoint()),
            OP,
            "clientType",
        );
    }
}

#[test]
fn invalid_optional_members_are_named() {
    let base = || RegisterClientInput::new("ok");
    assert_empty(
        register_client::request(&base().with_scopes(["a", " "]), &endpoint()),
        OP,
        "scopes",
    );
    assert_invalid(
        register_client::request(&base().with_redirect_uris(["/oauth/callback"]), &endpoint()),
        OP,
        "redirectUris",
    );
    assert_invalid(
        register_client::request(
            &base().with_redirect_uris(["ftp://127.0.0.1/cb"]),
            &endpoint(),
        ),
        OP,
        "redirectUris",
    );
    assert_empty(
        register_client::request(&base().with_issuer_url(""), &endpoint()),
        OP,
        "issuerUrl",
    );
    assert_empty(
        register_client::request(&base().with_entitled_application_arn(" "), &endpoint()),
        OP,
        "entitledApplicationArn",
    );
    assert_empty(
        register_client::request(
            &base().with_grant_types([GrantType::Other(String::new())]),
            &endpoint(),
        ),
        OP,
        "grantTypes",
    );
}

fn grant_type() -> impl Strategy<Value = GrantType> {
    prop_oneof![
        Just(GrantType::AuthorizationCode),
        Just(GrantType::DeviceCode),
        Just(GrantType::RefreshToken),
        Just(GrantType::JwtBearer),
        Just(GrantType::TokenExchange),
        "[a-z:_-]{1,30}".prop_map(|s| GrantType::from_wire(&s)),
    ]
}

proptest! {
    #[test]
    fn request_round_trips_every_member(
        name in non_blank(),
        scopes in proptest::option::of(non_blank_list()),
        uris in proptest::option::of(prop::collection::vec(http_uri(), 0..3)),
        grants in proptest::option::of(prop::collection::vec(grant_type(), 0..4)),
        issuer in proptest::option::of(non_blank()),
        arn in proptest::option::of(non_blank()),
    ) {
        let mut input = RegisterClientInput::new(name.clone());
        if let Some(s) = &scopes { input = input.with_scopes(s.clone()); }
        if let Some(u) = &uris { input = input.with_redirect_uris(u.clone()); }
        if let Some(g) = &grants { input = input.with_grant_types(g.clone()); }
        if let Some(i) = &issuer { input = input.with_issuer_url(i.clone()); }
        if let Some(a) = &arn { input = input.with_entitled_application_arn(a.clone()); }

        let request = register_client::request(&input, &endpoint()).unwrap();
        assert_request_matches_model(&request, "RegisterClient");
        let body = body_json(&request);
        prop_assert_eq!(str_member(&body, "clientName"), name.as_str());
        prop_assert_eq!(str_member(&body, "clientType"), "public");
        prop_assert_eq!(body.get("scopes").map(|_| list_member(&body, "scopes")), scopes);
        prop_assert_eq!(body.get("redirectUris").map(|_| list_member(&body, "redirectUris")), uris);
        prop_assert_eq!(
            body.get("grantTypes").map(|_| list_member(&body, "grantTypes")
                .iter().map(|g| GrantType::from_wire(g)).collect::<Vec<_>>()),
            grants
        );
        prop_assert_eq!(body.get("issuerUrl").map(|_| str_member(&body, "issuerUrl").to_owned()), issuer);
        prop_assert_eq!(
            body.get("entitledApplicationArn").map(|_| str_member(&body, "entitledApplicationArn").to_owned()),
            arn
        );
    }

    #[test]
    fn a_blank_client_name_never_builds(name in blank()) {
        assert_empty(register_client::request(&RegisterClientInput::new(name), &endpoint()), OP, "clientName");
    }

    #[test]
    fn response_round_trips_every_member(
        id in non_blank(),
        secret in non_blank(),
        issued in proptest::option::of(any::<i64>()),
        expires in any::<i64>(),
        auth in proptest::option::of(any::<String>()),
        token in proptest::option::of(any::<String>()),
    ) {
        let mut members = vec![
            ("clientId", json!(id)),
            ("clientSecret", json!(secret)),
            ("clientSecretExpiresAt", json!(expires)),
        ];
        if let Some(v) = issued { members.push(("clientIdIssuedAt", json!(v))); }
        if let Some(v) = &auth { members.push(("authorizationEndpoint", json!(v))); }
        if let Some(v) = &token { members.push(("tokenEndpoint", json!(v))); }
        let output = register_client::parse(&response(200, &object(&members))).unwrap();
        let at = output.expires_at();
        prop_assert_eq!(output.client_id, id);
        prop_assert_eq!(output.client_secret.secret(), secret.as_str());
        prop_assert_eq!(output.client_id_issued_at, issued);
        prop_assert_eq!(output.client_secret_expires_at, expires);
        if expires >= 0 {
            prop_assert!(at >= std::time::UNIX_EPOCH);
        } else {
            prop_assert_eq!(at, std::time::UNIX_EPOCH);
        }
        prop_assert_eq!(output.authorization_endpoint, auth);
        prop_assert_eq!(output.token_endpoint, token);
    }
}

#[test]
fn every_output_member_of_the_model_is_parsed() {
    let body = object(&[
        ("clientId", json!("_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID")),
        ("clientSecret", json!("VERYLONGSECRETSTRINGEXAMPLE")),
        ("clientIdIssuedAt", json!(1_700_000_000)),
        ("clientSecretExpiresAt", json!(1_707_776_000)),
        (
            "authorizationEndpoint",
            json!("https://oidc.us-east-1.amazonaws.com/authorize"),
        ),
        (
            "tokenEndpoint",
            json!("https://oidc.us-east-1.amazonaws.com/token"),
        ),
    ]);
    let sent: serde_json::Map<String, Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(keys(&sent), operation("RegisterClient").output_members);
    let output = register_client::parse(&response(200, &body)).unwrap();
    assert_eq!(output.client_id, "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID");
    assert_eq!(output.client_secret.secret(), "VERYLONGSECRETSTRINGEXAMPLE");
    assert_eq!(output.client_id_issued_at, Some(1_700_000_000));
    assert_eq!(output.client_secret_expires_at, 1_707_776_000);
    assert_eq!(
        output.expires_at(),
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_707_776_000)
    );
    assert_eq!(
        output.authorization_endpoint.as_deref(),
        Some("https://oidc.us-east-1.amazonaws.com/authorize")
    );
    assert_eq!(
        output.token_endpoint.as_deref(),
        Some("https://oidc.us-east-1.amazonaws.com/token")
    );
}

#[test]
fn optional_members_may_be_absent_or_null_and_unknown_members_are_ignored() {
    let output = register_client::parse(&response(
        200,
        r#"{"clientId":"id","clientSecret":"s","clientSecretExpiresAt":5,"clientIdIssuedAt":null,"tokenEndpoint":null,"somethingNew":{"a":[1]}}"#,
    ))
    .unwrap();
    assert_eq!(output.client_id_issued_at, None);
    assert_eq!(output.token_endpoint, None);
    assert_eq!(output.authorization_endpoint, None);
}

#[test]
fn a_negative_expiry_saturates_at_the_epoch() {
    let output = register_client::parse(&response(
        200,
        r#"{"clientId":"id","clientSecret":"s","clientSecretExpiresAt":-1}"#,
    ))
    .unwrap();
    assert_eq!(output.expires_at(), std::time::UNIX_EPOCH);
}

#[test]
fn each_required_output_member_missing_or_null_is_a_parse_error_naming_it() {
    let full = [
        ("clientId", json!("id")),
        ("clientSecret", json!("s")),
        ("clientSecretExpiresAt", json!(1)),
    ];
    for (i, (member, _)) in full.iter().enumerate() {
        let mut without: Vec<_> = full.to_vec();
        without.remove(i);
        assert_missing(
            register_client::parse(&response(200, &object(&without))),
            OP,
            member,
        );
        let mut null = full.to_vec();
        null[i].1 = Value::Null;
        assert_missing(
            register_client::parse(&response(200, &object(&null))),
            OP,
            member,
        );
    }
}

#[test]
fn a_member_of_the_wrong_type_is_named_by_its_path() {
    assert_parse_error(
        register_client::parse(&response(
            200,
            r#"{"clientId":"id","clientSecret":"s","clientSecretExpiresAt":"soon"}"#,
        )),
        OP,
        200,
        "clientSecretExpiresAt",
        |k| matches!(k, ParseErrorKind::WrongShape { detail } if detail.contains("i64")),
    );
    assert_parse_error(
        register_client::parse(&response(
            200,
            r#"{"clientId":["id"],"clientSecret":"s","clientSecretExpiresAt":1}"#,
        )),
        OP,
        200,
        "clientId",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
}

#[test]
fn every_modelled_error_of_the_operation_is_typed() {
    for shape in operation("RegisterClient").errors {
        let (_, status, _) = error_shapes()
            .into_iter()
            .find(|(name, _, _)| *name == shape)
            .unwrap();
        let response = http::Response::builder()
            .status(status)
            .header(
                "x-amzn-ErrorType",
                format!("{shape}:http://internal.amazon.com/coral/com.amazon.switchboard.portal/"),
            )
            .header("x-amzn-RequestId", REQUEST_ID)
            .body(br#"{"error":"e","error_description":"d"}"#.to_vec())
            .unwrap();
        let error = register_client::parse(&response).unwrap_err();
        let Error::Service(service) = &error else {
            panic!("{shape}: {error:?}")
        };
        assert_eq!(service.code.as_str(), shape);
        assert!(
            !matches!(service.code, oidc_core::ErrorCode::Other(_)),
            "{shape}"
        );
        assert_eq!(service.operation, OP);
        assert_eq!(service.status, status);
        assert_eq!(error.request_id(), Some(REQUEST_ID));
    }
}
