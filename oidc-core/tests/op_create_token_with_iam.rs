//! `CreateTokenWithIAM`: request building per grant and response parsing,
//! checked against the service model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use std::collections::BTreeSet;

use oidc_core::secret::{
    AccessToken, Assertion, AuthorizationCode, CodeVerifier, RefreshToken, SubjectToken,
};
use oidc_core::sso_oidc::create_token_with_iam::{self, CreateTokenWithIamInput, IamGrant};
use oidc_core::sso_oidc::ErrorCode;
use oidc_core::sso_oidc::{GrantType, TokenType, SIGNING_NAME};
use oidc_core::{Auth, Operation, ParseErrorKind};
use op_support::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const OP: &str = CreateTokenWithIamInput::NAME;
const APP: &str =
    "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn grants() -> Vec<IamGrant> {
    vec![
        IamGrant::AuthorizationCode {
            code: AuthorizationCode::new("EXAMPLEAUTHCODE"),
            redirect_uri: "https://app.example.com/callback".to_owned(),
            code_verifier: Some(CodeVerifier::new(VERIFIER)),
        },
        IamGrant::RefreshToken {
            refresh_token: RefreshToken::new("aorvEXAMPLE"),
        },
        IamGrant::JwtBearer {
            assertion: Assertion::new("eyJhbGciOiJSUzI1NiJ9.EXAMPLE.SIG"),
        },
        IamGrant::TokenExchange {
            subject_token: SubjectToken::new("aoakEXAMPLE"),
            subject_token_type: TokenType::AccessToken,
            requested_token_type: Some(TokenType::RefreshToken),
        },
        IamGrant::TokenExchange {
            subject_token: SubjectToken::new("aoakEXAMPLE"),
            subject_token_type: TokenType::AccessToken,
            requested_token_type: None,
        },
    ]
}

#[test]
fn the_operation_is_signed_and_its_uri_carries_the_fixed_query() {
    let model = operation("CreateTokenWithIAM");
    assert_eq!(model.authtype, None, "inherits the service's SigV4");
    assert_eq!(
        CreateTokenWithIamInput::AUTH,
        Auth::SigV4 {
            signing_name: SIGNING_NAME
        }
    );
    assert_eq!(OP, "CreateTokenWithIAM");
    assert_eq!(SIGNING_NAME, "sso-oauth");
    let request = create_token_with_iam::request(
        &CreateTokenWithIamInput::new(APP, grants().remove(2)),
        &endpoint(),
    )
    .unwrap();
    assert_eq!(request.uri().path(), "/token");
    assert_eq!(request.uri().query(), Some("aws_iam=t"));
    assert_request_matches_model(&request, "CreateTokenWithIAM");
}

#[test]
fn every_grant_builds_the_request_the_model_describes() {
    let mut seen = BTreeSet::new();
    for grant in grants() {
        let input = CreateTokenWithIamInput::new(APP, grant).with_scope(["openid", "aws"]);
        let request = create_token_with_iam::request(&input, &endpoint()).unwrap();
        assert_request_matches_model(&request, "CreateTokenWithIAM");
        let body = body_json(&request);
        assert!(
            !body.contains_key("clientSecret"),
            "IAM authenticates instead"
        );
        seen.extend(keys(&body));
    }
    assert_eq!(seen, operation("CreateTokenWithIAM").input_members);
}

#[test]
fn each_grant_sends_exactly_its_members() {
    let expected = [
        json!({"clientId": APP, "grantType": "authorization_code", "code": "EXAMPLEAUTHCODE",
               "redirectUri": "https://app.example.com/callback", "codeVerifier": VERIFIER}),
        json!({"clientId": APP, "grantType": "refresh_token", "refreshToken": "aorvEXAMPLE"}),
        json!({"clientId": APP, "grantType": "urn:ietf:params:oauth:grant-type:jwt-bearer",
               "assertion": "eyJhbGciOiJSUzI1NiJ9.EXAMPLE.SIG"}),
        json!({"clientId": APP, "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
               "subjectToken": "aoakEXAMPLE",
               "subjectTokenType": "urn:ietf:params:oauth:token-type:access_token",
               "requestedTokenType": "urn:ietf:params:oauth:token-type:refresh_token"}),
        json!({"clientId": APP, "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
               "subjectToken": "aoakEXAMPLE",
               "subjectTokenType": "urn:ietf:params:oauth:token-type:access_token"}),
    ];
    for (grant, expected) in grants().into_iter().zip(expected) {
        let request =
            create_token_with_iam::request(&CreateTokenWithIamInput::new(APP, grant), &endpoint())
                .unwrap();
        assert_eq!(Value::Object(body_json(&request)), expected);
    }
}

#[test]
fn grants_are_types_with_their_grant_type() {
    let types: Vec<_> = grants().iter().map(IamGrant::grant_type).collect();
    assert_eq!(
        types,
        [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::JwtBearer,
            GrantType::TokenExchange,
            GrantType::TokenExchange
        ]
    );
}

#[test]
fn every_required_member_is_checked_before_a_request_exists() {
    for blank in ["", "  "] {
        assert_empty(
            create_token_with_iam::request(
                &CreateTokenWithIamInput::new(blank, grants().remove(1)),
                &endpoint(),
            ),
            OP,
            "clientId",
        );
        let cases: Vec<(IamGrant, &'static str)> = vec![
            (
                IamGrant::AuthorizationCode {
                    code: AuthorizationCode::new(blank),
                    redirect_uri: "https://a/cb".to_owned(),
                    code_verifier: None,
                },
                "code",
            ),
            (
                IamGrant::AuthorizationCode {
                    code: AuthorizationCode::new("c"),
                    redirect_uri: blank.to_owned(),
                    code_verifier: None,
                },
                "redirectUri",
            ),
            (
                IamGrant::RefreshToken {
                    refresh_token: RefreshToken::new(blank),
                },
                "refreshToken",
            ),
            (
                IamGrant::JwtBearer {
                    assertion: Assertion::new(blank),
                },
                "assertion",
            ),
            (
                IamGrant::TokenExchange {
                    subject_token: SubjectToken::new(blank),
                    subject_token_type: TokenType::AccessToken,
                    requested_token_type: None,
                },
                "subjectToken",
            ),
            (
                IamGrant::TokenExchange {
                    subject_token: SubjectToken::new("t"),
                    subject_token_type: TokenType::Other(blank.to_owned()),
                    requested_token_type: None,
                },
                "subjectTokenType",
            ),
            (
                IamGrant::TokenExchange {
                    subject_token: SubjectToken::new("t"),
                    subject_token_type: TokenType::AccessToken,
                    requested_token_type: Some(TokenType::Other(blank.to_owned())),
                },
                "requestedTokenType",
            ),
        ];
        for (grant, member) in cases {
            assert_empty(
                create_token_with_iam::request(
                    &CreateTokenWithIamInput::new(APP, grant),
                    &endpoint(),
                ),
                OP,
                member,
            );
        }
        assert_empty(
            create_token_with_iam::request(
                &CreateTokenWithIamInput::new(APP, grants().remove(1)).with_scope([blank]),
                &endpoint(),
            ),
            OP,
            "scope",
        );
    }
    let bad_verifier = IamGrant::AuthorizationCode {
        code: AuthorizationCode::new("c"),
        redirect_uri: "https://a/cb".to_owned(),
        code_verifier: Some(CodeVerifier::new("too-short")),
    };
    assert_invalid(
        create_token_with_iam::request(
            &CreateTokenWithIamInput::new(APP, bad_verifier),
            &endpoint(),
        ),
        OP,
        "codeVerifier",
    );
}

fn token_type() -> impl Strategy<Value = TokenType> {
    prop_oneof![
        Just(TokenType::AccessToken),
        Just(TokenType::RefreshToken),
        Just(TokenType::IdToken),
        non_blank().prop_map(|s| TokenType::from_wire(&s)),
    ]
}

fn grant_and_members() -> impl Strategy<Value = (IamGrant, Vec<(&'static str, String)>)> {
    prop_oneof![
        (non_blank(), non_blank(), proptest::option::of(verifier())).prop_map(|(c, u, v)| {
            let mut members = vec![
                ("grantType", "authorization_code".to_owned()),
                ("code", c.clone()),
                ("redirectUri", u.clone()),
            ];
            if let Some(v) = &v {
                members.push(("codeVerifier", v.clone()));
            }
            let grant = IamGrant::AuthorizationCode {
                code: AuthorizationCode::new(c),
                redirect_uri: u,
                code_verifier: v.map(CodeVerifier::new),
            };
            (grant, members)
        }),
        non_blank().prop_map(|r| (
            IamGrant::RefreshToken {
                refresh_token: RefreshToken::new(r.as_str())
            },
            vec![
                ("grantType", "refresh_token".to_owned()),
                ("refreshToken", r)
            ]
        )),
        non_blank().prop_map(|a| (
            IamGrant::JwtBearer {
                assertion: Assertion::new(a.as_str())
            },
            vec![
                (
                    "grantType",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned()
                ),
                ("assertion", a)
            ]
        )),
        (
            non_blank(),
            token_type(),
            proptest::option::of(token_type())
        )
            .prop_map(|(s, t, r)| {
                let mut members = vec![
                    (
                        "grantType",
                        "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
                    ),
                    ("subjectToken", s.clone()),
                    ("subjectTokenType", t.as_str().to_owned()),
                ];
                if let Some(r) = &r {
                    members.push(("requestedTokenType", r.as_str().to_owned()));
                }
                let grant = IamGrant::TokenExchange {
                    subject_token: SubjectToken::new(s),
                    subject_token_type: t,
                    requested_token_type: r,
                };
                (grant, members)
            }),
    ]
}

proptest! {
    #[test]
    fn request_round_trips_every_member(
        id in non_blank(),
        (grant, members) in grant_and_members(),
        scope in proptest::option::of(non_blank_list()),
    ) {
        let mut input = CreateTokenWithIamInput::new(id.clone(), grant);
        if let Some(s) = &scope { input = input.with_scope(s.clone()); }
        let request = create_token_with_iam::request(&input, &endpoint()).unwrap();
        assert_request_matches_model(&request, "CreateTokenWithIAM");
        let body = body_json(&request);
        let mut expected: BTreeSet<&str> = members.iter().map(|(k, _)| *k).collect();
        expected.insert("clientId");
        if scope.is_some() { expected.insert("scope"); }
        prop_assert_eq!(body.keys().map(String::as_str).collect::<BTreeSet<_>>(), expected);
        prop_assert_eq!(str_member(&body, "clientId"), id.as_str());
        for (key, value) in &members {
            prop_assert_eq!(str_member(&body, key), value.as_str());
        }
        prop_assert_eq!(body.get("scope").map(|_| list_member(&body, "scope")), scope);
    }

    #[test]
    fn response_round_trips_every_member(
        access in non_blank(),
        token_type_value in proptest::option::of(any::<String>()),
        expires_in in any::<u32>(),
        refresh in proptest::option::of(any::<String>()),
        id_token in proptest::option::of(any::<String>()),
        issued in proptest::option::of(token_type()),
        scope in proptest::option::of(prop::collection::vec(any::<String>(), 0..4)),
        context in proptest::option::of(proptest::option::of(any::<String>())),
    ) {
        let mut members = vec![("accessToken", json!(access)), ("expiresIn", json!(expires_in))];
        if let Some(v) = &token_type_value { members.push(("tokenType", json!(v))); }
        if let Some(v) = &refresh { members.push(("refreshToken", json!(v))); }
        if let Some(v) = &id_token { members.push(("idToken", json!(v))); }
        if let Some(v) = &issued { members.push(("issuedTokenType", json!(v.as_str()))); }
        if let Some(v) = &scope { members.push(("scope", json!(v))); }
        match &context {
            Some(Some(c)) => members.push(("awsAdditionalDetails", json!({"identityContext": c}))),
            Some(None) => members.push(("awsAdditionalDetails", json!({}))),
            None => {}
        }
        let output = create_token_with_iam::parse(&response(200, &object(&members))).unwrap();
        prop_assert_eq!(output.access_token.secret(), access.as_str());
        prop_assert_eq!(output.token_type, token_type_value);
        prop_assert_eq!(output.expires_in, expires_in);
        prop_assert_eq!(output.refresh_token.map(|t| t.secret().to_owned()), refresh);
        prop_assert_eq!(output.id_token.map(|t| t.secret().to_owned()), id_token);
        prop_assert_eq!(output.issued_token_type, issued);
        prop_assert_eq!(output.scope, scope);
        prop_assert_eq!(
            output.aws_additional_details.map(|d| d.identity_context.map(|c| c.secret().to_owned())),
            context
        );
    }
}

#[test]
fn the_spec_example_response_parses_with_every_model_member() {
    let body = r#"{"accessToken":"aoak-EXAMPLE","tokenType":"Bearer","expiresIn":3600,"refreshToken":"aorvJYubGpU6i91YnH7Mfo-AT2fIVa1zCfA_Rvq9yjVKIP3onFmmykuQ8E4ZEXAMPLE","idToken":"eyJraWQiOiJrZXktMTU2Njk2ODA4OCIsImFsZyI6IlJTMjU2In0.EXAMPLE.SIG","issuedTokenType":"urn:ietf:params:oauth:token-type:access_token","scope":["openid","aws","sts:identity_context"],"awsAdditionalDetails":{"identityContext":"EXAMPLEIDENTITYCONTEXT"}}"#;
    let sent: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
    assert_eq!(keys(&sent), operation("CreateTokenWithIAM").output_members);
    let output = create_token_with_iam::parse(&response(200, body)).unwrap();
    assert_eq!(output.access_token.secret(), "aoak-EXAMPLE");
    assert_eq!(output.token_type.as_deref(), Some("Bearer"));
    assert_eq!(output.expires_in, 3600);
    assert_eq!(
        output.refresh_token.as_ref().map(RefreshToken::secret),
        Some("aorvJYubGpU6i91YnH7Mfo-AT2fIVa1zCfA_Rvq9yjVKIP3onFmmykuQ8E4ZEXAMPLE")
    );
    assert_eq!(
        output.id_token.as_ref().map(|t| t.secret()),
        Some("eyJraWQiOiJrZXktMTU2Njk2ODA4OCIsImFsZyI6IlJTMjU2In0.EXAMPLE.SIG")
    );
    assert_eq!(output.issued_token_type, Some(TokenType::AccessToken));
    assert_eq!(
        output.scope,
        Some(vec![
            "openid".to_owned(),
            "aws".to_owned(),
            "sts:identity_context".to_owned()
        ])
    );
    let context = output
        .aws_additional_details
        .and_then(|d| d.identity_context)
        .expect("awsAdditionalDetails.identityContext");
    assert_eq!(context.secret(), "EXAMPLEIDENTITYCONTEXT");
    let _: &AccessToken = &output.access_token;
}

#[test]
fn each_required_output_member_missing_or_null_is_a_parse_error_naming_it() {
    let full = [("accessToken", json!("a")), ("expiresIn", json!(1))];
    for (i, (member, _)) in full.iter().enumerate() {
        let mut without = full.to_vec();
        without.remove(i);
        assert_missing(
            create_token_with_iam::parse(&response(200, &object(&without))),
            OP,
            member,
        );
        let mut null = full.to_vec();
        null[i].1 = Value::Null;
        assert_missing(
            create_token_with_iam::parse(&response(200, &object(&null))),
            OP,
            member,
        );
    }
}

#[test]
fn nested_members_of_the_wrong_shape_are_named_by_their_json_path() {
    assert_parse_error(
        create_token_with_iam::parse(&response(
            200,
            r#"{"accessToken":"a","expiresIn":1,"awsAdditionalDetails":{"identityContext":7}}"#,
        )),
        OP,
        200,
        "awsAdditionalDetails.identityContext",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
    assert_parse_error(
        create_token_with_iam::parse(&response(
            200,
            r#"{"accessToken":"a","expiresIn":1,"scope":["openid",5]}"#,
        )),
        OP,
        200,
        "scope[1]",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
}

#[test]
fn invalid_request_region_carries_endpoint_and_region() {
    let response = http::Response::builder()
        .status(400)
        .header("x-amzn-ErrorType", "InvalidRequestRegionException")
        .header("x-amzn-RequestId", REQUEST_ID)
        .body(
            br#"{"error":"invalid_request","error_description":"token issued in another region","endpoint":"https://oidc.eu-west-1.amazonaws.com","region":"eu-west-1"}"#
                .to_vec(),
        )
        .unwrap();
    let error = create_token_with_iam::parse(&response).unwrap_err();
    let service = error.service_error().unwrap();
    assert_eq!(service.code, ErrorCode::InvalidRequestRegion);
    let oauth = service.oauth().expect("OAuth members");
    assert_eq!(
        oauth.endpoint.as_deref(),
        Some("https://oidc.eu-west-1.amazonaws.com")
    );
    assert_eq!(oauth.region.as_deref(), Some("eu-west-1"));
    let text = error.to_string();
    assert!(text.contains("eu-west-1"), "{text}");
    assert!(
        text.contains("https://oidc.eu-west-1.amazonaws.com"),
        "{text}"
    );
}

#[test]
fn every_modelled_error_of_the_operation_is_typed() {
    let shapes = error_shapes();
    let errors = operation("CreateTokenWithIAM").errors;
    assert_eq!(errors.len(), 12);
    for shape in errors {
        let (_, status, _) = shapes.iter().find(|(n, _, _)| *n == shape).unwrap();
        let response = http::Response::builder()
            .status(*status)
            .header(
                "x-amzn-ErrorType",
                format!("{shape}:http://internal.amazon.com/coral/x/"),
            )
            .body(br#"{"error":"x","error_description":"y"}"#.to_vec())
            .unwrap();
        let error = create_token_with_iam::parse(&response).unwrap_err();
        let service = error.service_error().expect("a service error");
        assert_eq!(service.code.as_str(), shape);
        assert_eq!(service.status, *status);
        assert_eq!(service.operation, OP);
        assert_eq!(error.request_id(), None);
    }
}

#[test]
fn objects_given_as_arrays_are_the_wrong_shape() {
    assert_parse_error(
        create_token_with_iam::parse(&response(
            200,
            r#"{"accessToken":"a","expiresIn":1,"awsAdditionalDetails":["ctx"]}"#,
        )),
        OP,
        200,
        "awsAdditionalDetails",
        |k| matches!(k, ParseErrorKind::WrongShape { detail } if detail.contains("a JSON object")),
    );
    assert_parse_error(
        create_token_with_iam::parse(&response(200, r#"["a",null,1]"#)),
        OP,
        200,
        ".",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
}
