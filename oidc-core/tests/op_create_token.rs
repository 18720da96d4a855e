//! `CreateToken`: request building per grant and response parsing, checked
//! against the service model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use std::collections::BTreeSet;

use oidc_core::secret::{AuthorizationCode, ClientSecret, CodeVerifier, DeviceCode, RefreshToken};
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, Grant};
use oidc_core::sso_oidc::ErrorCode;
use oidc_core::sso_oidc::GrantType;
use oidc_core::{Operation, ParseErrorKind};
use op_support::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const OP: &str = CreateTokenInput::NAME;
const VERIFIER: &str = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2";

fn grants() -> Vec<Grant> {
    vec![
        Grant::DeviceCode {
            device_code: DeviceCode::new("yJraWQiOiJEXAMPLEDEVICECODE"),
        },
        Grant::RefreshToken {
            refresh_token: RefreshToken::new("Atrt|EXAMPLEREFRESHTOKEN"),
        },
        Grant::AuthorizationCode {
            code: AuthorizationCode::new("EXAMPLEAUTHCODE"),
            redirect_uri: "http://127.0.0.1:53127/oauth/callback".to_owned(),
            code_verifier: Some(CodeVerifier::new(VERIFIER)),
        },
        Grant::AuthorizationCode {
            code: AuthorizationCode::new("EXAMPLEAUTHCODE"),
            redirect_uri: "http://127.0.0.1:53127/oauth/callback".to_owned(),
            code_verifier: None,
        },
    ]
}

fn input(grant: Grant) -> CreateTokenInput {
    CreateTokenInput::new(
        "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID",
        ClientSecret::new("VERYLONGSECRETSTRINGEXAMPLE"),
        grant,
    )
}

#[test]
fn every_grant_builds_the_request_the_model_describes() {
    assert_eq!(operation("CreateToken").authtype.as_deref(), Some("none"));
    let mut seen = BTreeSet::new();
    for grant in grants() {
        let request = create_token::request(
            &input(grant).with_scope(["sso:account:access"]),
            &endpoint(),
        )
        .unwrap();
        assert_request_matches_model(&request, "CreateToken");
        assert_eq!(request.uri().path(), "/token");
        assert_eq!(request.uri().query(), None);
        seen.extend(keys(&body_json(&request)));
    }
    assert_eq!(
        seen,
        operation("CreateToken").input_members,
        "together the grants send every model member"
    );
}

#[test]
fn each_grant_sends_exactly_its_members_with_the_spec_values() {
    let expected = [
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","grantType":"urn:ietf:params:oauth:grant-type:device_code","deviceCode":"yJraWQiOiJEXAMPLEDEVICECODE"}"#,
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","grantType":"refresh_token","refreshToken":"Atrt|EXAMPLEREFRESHTOKEN"}"#,
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","grantType":"authorization_code","redirectUri":"http://127.0.0.1:53127/oauth/callback","codeVerifier":"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2","code":"EXAMPLEAUTHCODE"}"#,
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","grantType":"authorization_code","redirectUri":"http://127.0.0.1:53127/oauth/callback","code":"EXAMPLEAUTHCODE"}"#,
    ];
    for (grant, expected) in grants().into_iter().zip(expected) {
        let request = create_token::request(&input(grant), &endpoint()).unwrap();
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(body, serde_json::from_str::<Value>(expected).unwrap());
    }
}

#[test]
fn grants_are_types_with_their_grant_type() {
    let types: Vec<_> = grants().iter().map(Grant::grant_type).collect();
    assert_eq!(
        types,
        [
            GrantType::DeviceCode,
            GrantType::RefreshToken,
            GrantType::AuthorizationCode,
            GrantType::AuthorizationCode
        ]
    );
}

#[test]
fn scope_is_singular_and_omitted_when_unset() {
    let grant = || Grant::RefreshToken {
        refresh_token: RefreshToken::new("r"),
    };
    let body = body_json(&create_token::request(&input(grant()), &endpoint()).unwrap());
    assert!(!body.contains_key("scope"));
    let body = body_json(
        &create_token::request(&input(grant()).with_scope(["a", "b"]), &endpoint()).unwrap(),
    );
    assert_eq!(list_member(&body, "scope"), ["a", "b"]);
    assert!(!body.contains_key("scopes"));
}

#[test]
fn every_required_member_is_checked_before_a_request_exists() {
    for blank in ["", " \t"] {
        let mut i = input(grants().remove(0));
        i.client_id = blank.to_owned();
        assert_empty(create_token::request(&i, &endpoint()), OP, "clientId");

        let mut i = input(grants().remove(0));
        i.client_secret = ClientSecret::new(blank);
        assert_empty(create_token::request(&i, &endpoint()), OP, "clientSecret");

        let cases: [(Grant, &'static str); 4] = [
            (
                Grant::DeviceCode {
                    device_code: DeviceCode::new(blank),
                },
                "deviceCode",
            ),
            (
                Grant::RefreshToken {
                    refresh_token: RefreshToken::new(blank),
                },
                "refreshToken",
            ),
            (
                Grant::AuthorizationCode {
                    code: AuthorizationCode::new(blank),
                    redirect_uri: "http://127.0.0.1/oauth/callback".to_owned(),
                    code_verifier: None,
                },
                "code",
            ),
            (
                Grant::AuthorizationCode {
                    code: AuthorizationCode::new("c"),
                    redirect_uri: blank.to_owned(),
                    code_verifier: None,
                },
                "redirectUri",
            ),
        ];
        for (grant, member) in cases {
            assert_empty(
                create_token::request(&input(grant), &endpoint()),
                OP,
                member,
            );
        }
        assert_empty(
            create_token::request(&input(grants().remove(1)).with_scope([blank]), &endpoint()),
            OP,
            "scope",
        );
    }
}

#[test]
fn a_verifier_outside_rfc_7636_is_invalid() {
    for bad in [
        "short".to_owned(),
        "a".repeat(129),
        format!("{}!", "a".repeat(50)),
        format!("{} ", "a".repeat(50)),
    ] {
        let grant = Grant::AuthorizationCode {
            code: AuthorizationCode::new("c"),
            redirect_uri: "http://127.0.0.1/oauth/callback".to_owned(),
            code_verifier: Some(CodeVerifier::new(bad.as_str())),
        };
        let error = create_token::request(&input(grant), &endpoint()).unwrap_err();
        assert!(
            !error.to_string().contains(&bad),
            "the verifier is not echoed"
        );
        assert_invalid(Err::<(), _>(error), OP, "codeVerifier");
    }
}

fn grant_and_members() -> impl Strategy<Value = (Grant, Vec<(&'static str, String)>)> {
    prop_oneof![
        non_blank().prop_map(|d| (
            Grant::DeviceCode {
                device_code: DeviceCode::new(d.as_str())
            },
            vec![
                (
                    "grantType",
                    "urn:ietf:params:oauth:grant-type:device_code".to_owned()
                ),
                ("deviceCode", d)
            ]
        )),
        non_blank().prop_map(|r| (
            Grant::RefreshToken {
                refresh_token: RefreshToken::new(r.as_str())
            },
            vec![
                ("grantType", "refresh_token".to_owned()),
                ("refreshToken", r)
            ]
        )),
        (non_blank(), non_blank(), proptest::option::of(verifier())).prop_map(|(c, u, v)| {
            let mut members = vec![
                ("grantType", "authorization_code".to_owned()),
                ("code", c.clone()),
                ("redirectUri", u.clone()),
            ];
            if let Some(v) = &v {
                members.push(("codeVerifier", v.clone()));
            }
            (
                Grant::AuthorizationCode {
                    code: AuthorizationCode::new(c),
                    redirect_uri: u,
                    code_verifier: v.map(CodeVerifier::new),
                },
                members,
            )
        }),
    ]
}

proptest! {
    #[test]
    fn request_round_trips_every_member(
        id in non_blank(),
        secret in non_blank(),
        (grant, members) in grant_and_members(),
        scope in proptest::option::of(non_blank_list()),
    ) {
        let mut input = CreateTokenInput::new(id.clone(), ClientSecret::new(secret.as_str()), grant);
        if let Some(s) = &scope { input = input.with_scope(s.clone()); }
        let request = create_token::request(&input, &endpoint()).unwrap();
        assert_request_matches_model(&request, "CreateToken");
        let body = body_json(&request);
        let mut expected: BTreeSet<&str> = members.iter().map(|(k, _)| *k).collect();
        expected.extend(["clientId", "clientSecret"]);
        if scope.is_some() { expected.insert("scope"); }
        prop_assert_eq!(body.keys().map(String::as_str).collect::<BTreeSet<_>>(), expected);
        prop_assert_eq!(str_member(&body, "clientId"), id.as_str());
        prop_assert_eq!(str_member(&body, "clientSecret"), secret.as_str());
        for (key, value) in &members {
            prop_assert_eq!(str_member(&body, key), value.as_str());
        }
        prop_assert_eq!(body.get("scope").map(|_| list_member(&body, "scope")), scope);
    }

    #[test]
    fn response_round_trips_every_member(
        access in non_blank(),
        token_type in proptest::option::of(any::<String>()),
        expires_in in any::<u32>(),
        refresh in proptest::option::of(any::<String>()),
        id_token in proptest::option::of(any::<String>()),
    ) {
        let mut members = vec![("accessToken", json!(access)), ("expiresIn", json!(expires_in))];
        if let Some(v) = &token_type { members.push(("tokenType", json!(v))); }
        if let Some(v) = &refresh { members.push(("refreshToken", json!(v))); }
        if let Some(v) = &id_token { members.push(("idToken", json!(v))); }
        let output = create_token::parse(&response(200, &object(&members))).unwrap();
        prop_assert_eq!(output.access_token.secret(), access.as_str());
        prop_assert_eq!(output.token_type, token_type);
        prop_assert_eq!(output.expires_in, expires_in);
        prop_assert_eq!(output.refresh_token.map(|t| t.secret().to_owned()), refresh);
        prop_assert_eq!(output.id_token.map(|t| t.secret().to_owned()), id_token);
    }
}

#[test]
fn every_output_member_of_the_model_is_parsed() {
    let body = r#"{"accessToken":"aoal-EXAMPLEACCESSTOKEN","tokenType":"Bearer","expiresIn":28800,"refreshToken":"Atrt|EXAMPLEREFRESHTOKEN","idToken":"eyJ.EXAMPLE.SIG"}"#;
    let sent: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
    assert_eq!(keys(&sent), operation("CreateToken").output_members);
    let output = create_token::parse(&response(200, body)).unwrap();
    assert_eq!(output.access_token.secret(), "aoal-EXAMPLEACCESSTOKEN");
    assert_eq!(output.token_type.as_deref(), Some("Bearer"));
    assert_eq!(output.expires_in, 28800);
    assert_eq!(
        output.refresh_token.as_ref().map(RefreshToken::secret),
        Some("Atrt|EXAMPLEREFRESHTOKEN")
    );
    assert_eq!(
        output.id_token.as_ref().map(|t| t.secret()),
        Some("eyJ.EXAMPLE.SIG")
    );
}

#[test]
fn each_required_output_member_missing_or_null_is_a_parse_error_naming_it() {
    let full = [("accessToken", json!("a")), ("expiresIn", json!(1))];
    for (i, (member, _)) in full.iter().enumerate() {
        let mut without = full.to_vec();
        without.remove(i);
        assert_missing(
            create_token::parse(&response(200, &object(&without))),
            OP,
            member,
        );
        let mut null = full.to_vec();
        null[i].1 = Value::Null;
        assert_missing(
            create_token::parse(&response(200, &object(&null))),
            OP,
            member,
        );
    }
}

#[test]
fn a_negative_expiry_is_out_of_range_and_a_string_is_the_wrong_shape() {
    assert_parse_error(
        create_token::parse(&response(200, r#"{"accessToken":"a","expiresIn":-1}"#)),
        OP,
        200,
        "expiresIn",
        |k| {
            matches!(
                k,
                ParseErrorKind::OutOfRange {
                    member: "expiresIn",
                    ..
                }
            )
        },
    );
    assert_parse_error(
        create_token::parse(&response(200, r#"{"accessToken":"a","expiresIn":"3600"}"#)),
        OP,
        200,
        "expiresIn",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
}

#[test]
fn device_flow_answers_are_typed_service_errors() {
    let pending = http::Response::builder()
        .status(400)
        .header(
            "x-amzn-ErrorType",
            "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/",
        )
        .header("x-amzn-RequestId", REQUEST_ID)
        .body(br#"{"error":"authorization_pending","error_description":null}"#.to_vec())
        .unwrap();
    let error = create_token::parse(&pending).unwrap_err();
    let service = error.service_error().unwrap();
    assert_eq!(service.code, ErrorCode::AuthorizationPending);
    let oauth = service.oauth().expect("OAuth members");
    assert_eq!(oauth.error.as_deref(), Some("authorization_pending"));
    assert_eq!(service.message, None);
    assert_eq!(service.status, 400);
}

#[test]
fn every_modelled_error_of_the_operation_is_typed() {
    let shapes = error_shapes();
    for shape in operation("CreateToken").errors {
        let (_, status, _) = shapes.iter().find(|(n, _, _)| *n == shape).unwrap();
        let code = ErrorCode::from_shape_name(&shape).expect("a modelled code");
        // Without the header: the OAuth `error` the model promises.
        let body = format!(
            r#"{{"error":"{}","error_description":"described"}}"#,
            code.oauth_error().unwrap()
        );
        let error = create_token::parse(&response(*status, &body)).unwrap_err();
        let service = error.service_error().expect("a service error");
        assert_eq!(service.code, code, "{shape}");
        assert_eq!(service.code.as_str(), shape);
        assert_eq!(service.status, *status);
        assert_eq!(service.message.as_deref(), Some("described"));
        assert_eq!(error.request_id(), Some(REQUEST_ID));
    }
}
