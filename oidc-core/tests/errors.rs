//! Service errors, parse errors and their `Display`/`source` chains, for
//! every modelled exception of every operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use std::collections::{BTreeSet, HashSet};
use std::error::Error as _;

use oidc_core::endpoint::Service;
use oidc_core::sso_oidc::create_token::CreateTokenInput;
use oidc_core::sso_oidc::create_token_with_iam::CreateTokenWithIamInput;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_core::sso_oidc::{
    self, create_token, create_token_with_iam, register_client, start_device_authorization,
};
use oidc_core::{
    Error, ErrorCode, ErrorDetails, OAuthDetails, Operation, ParseErrorKind, ServiceError,
};
use op_support::*;

type Parser = fn(&http::Response<Vec<u8>>) -> Result<(), Error>;

/// Every operation with its name (`Operation::NAME`), its model name and
/// its parser (output dropped).
fn operations() -> [(&'static str, &'static str, Parser); 4] {
    [
        (RegisterClientInput::NAME, "RegisterClient", |r| {
            register_client::parse(r).map(drop)
        }),
        (
            StartDeviceAuthorizationInput::NAME,
            "StartDeviceAuthorization",
            |r| start_device_authorization::parse(r).map(drop),
        ),
        (CreateTokenInput::NAME, "CreateToken", |r| {
            create_token::parse(r).map(drop)
        }),
        (CreateTokenWithIamInput::NAME, "CreateTokenWithIAM", |r| {
            create_token_with_iam::parse(r).map(drop)
        }),
    ]
}

/// The modelled SSO OIDC code named by `shape`.
fn modelled(shape: &str) -> sso_oidc::ErrorCode {
    sso_oidc::ErrorCode::from_shape_name(shape)
        .unwrap_or_else(|| panic!("{shape} is a modelled code"))
}

/// The OAuth members of an SSO OIDC service error.
fn oauth(e: &ServiceError) -> &OAuthDetails {
    e.oauth()
        .unwrap_or_else(|| panic!("an SSO OIDC error carries OAuth details: {e:?}"))
}

fn service_error(result: Result<(), Error>) -> ServiceError {
    match result {
        Err(Error::Service(e)) => e,
        other => panic!("expected a service error, got {other:?}"),
    }
}

fn error_response(status: u16, header: Option<&str>, body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder()
        .status(status)
        .header("x-amzn-RequestId", REQUEST_ID);
    if let Some(code) = header {
        builder = builder.header("x-amzn-ErrorType", code);
    }
    builder.body(body.as_bytes().to_vec()).unwrap()
}

/// A body with every member the model gives `shape`, with the `error` value
/// the model documents.
fn modelled_body(shape: &str, members: &BTreeSet<String>) -> (String, sso_oidc::ErrorCode) {
    let code = modelled(shape);
    let mut json = serde_json::Map::new();
    for member in members {
        let value = match member.as_str() {
            "error" => code.oauth_error().unwrap().to_owned(),
            "error_description" => format!("description of {shape}"),
            "reason" if shape == "AccessDeniedException" => "KMS_AccessDeniedException".to_owned(),
            "reason" => "KMS_DisabledException".to_owned(),
            "endpoint" => "https://oidc.eu-west-1.amazonaws.com".to_owned(),
            "region" => "eu-west-1".to_owned(),
            other => panic!("unexpected error member {other} in {shape}"),
        };
        json.insert(member.clone(), value.into());
    }
    (serde_json::Value::Object(json).to_string(), code)
}

fn assert_modelled_members(e: &ServiceError, shape: &str, members: &BTreeSet<String>) {
    let code = modelled(shape);
    assert_eq!(e.service, Service::SsoOidc, "{shape}: service");
    let details = oauth(e);
    assert_eq!(
        details.error.as_deref(),
        code.oauth_error(),
        "{shape}: error"
    );
    assert_eq!(
        e.message.as_deref(),
        Some(format!("description of {shape}").as_str()),
        "{shape}: error_description"
    );
    assert_eq!(
        details.reason.is_some(),
        members.contains("reason"),
        "{shape}"
    );
    assert_eq!(
        details.endpoint.is_some(),
        members.contains("endpoint"),
        "{shape}"
    );
    assert_eq!(
        details.region.is_some(),
        members.contains("region"),
        "{shape}"
    );
    if shape == "InvalidRequestRegionException" {
        assert_eq!(
            details.endpoint.as_deref(),
            Some("https://oidc.eu-west-1.amazonaws.com")
        );
        assert_eq!(details.region.as_deref(), Some("eu-west-1"));
    }
    assert_eq!(e.request_id.as_deref(), Some(REQUEST_ID));
}

#[test]
fn the_code_enum_covers_exactly_the_models_exceptions() {
    let shapes = error_shapes();
    let model: BTreeSet<String> = shapes.iter().map(|(n, _, _)| n.clone()).collect();
    let ours: BTreeSet<String> = sso_oidc::ErrorCode::modelled()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(ours, model);
    assert_eq!(shapes.len(), 14);
    for (name, status, _) in &shapes {
        let expected = match name.as_str() {
            "InternalServerException" => 500,
            "InvalidClientException" => 401,
            _ => 400,
        };
        assert_eq!(*status, expected, "{name}");
    }
}

#[test]
fn every_modelled_error_of_every_operation_is_typed_from_the_header() {
    let shapes = error_shapes();
    for (op, model_name, parse) in operations() {
        for shape in operation(model_name).errors {
            let (_, status, members) = shapes.iter().find(|(n, _, _)| *n == shape).unwrap();
            let (body, code) = modelled_body(&shape, members);
            let header =
                format!("{shape}:http://internal.amazon.com/coral/com.amazon.switchboard/");
            let e = service_error(parse(&error_response(*status, Some(&header), &body)));
            assert_eq!(e.operation, op);
            assert_eq!(e.status, *status);
            assert_eq!(e.code, code, "{model_name} {shape}");
            assert_eq!(e.code, ErrorCode::SsoOidc(code), "{model_name} {shape}");
            assert!(!matches!(e.code, ErrorCode::Other(_)));
            assert_modelled_members(&e, &shape, members);

            let error = Error::Service(e.clone());
            assert_eq!(error.code(), Some(&ErrorCode::from(code)));
            assert_eq!(error.sso_oidc_code(), Some(code));
            assert_eq!(error.status(), Some(*status));
            assert_eq!(error.request_id(), Some(REQUEST_ID));
            let text = error.to_string();
            for needle in [
                model_name,
                shape.as_str(),
                &format!("HTTP {status}"),
                &format!("description of {shape}"),
                REQUEST_ID,
            ] {
                assert!(text.contains(needle), "{text:?} lacks {needle:?}");
            }
            if let Some(reason) = &oauth(&e).reason {
                assert!(text.contains(reason.as_str()), "{text}");
            }
        }
    }
}

#[test]
fn without_the_header_the_body_code_type_and_oauth_error_are_used_in_that_order() {
    for (name, status, members) in error_shapes() {
        let (body, code) = modelled_body(&name, &members);
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&body).unwrap();
        let parse = |object: &serde_json::Map<String, serde_json::Value>| {
            service_error(
                create_token_with_iam::parse(&error_response(
                    status,
                    None,
                    &serde_json::Value::Object(object.clone()).to_string(),
                ))
                .map(drop),
            )
        };
        // OAuth `error` alone (the project's fallback; InvalidRequestRegion is
        // told apart from InvalidRequest by its endpoint/region members).
        let e = parse(&object);
        assert_eq!(e.code, code, "{name} from the OAuth error");
        assert_modelled_members(&e, &name, &members);
        // `__type` with a namespace beats `error`.
        object.insert("error".into(), "slow_down".into());
        object.insert(
            "__type".into(),
            format!("com.amazonaws.ssooidc#{name}").into(),
        );
        assert_eq!(parse(&object).code, code, "{name} from __type");
        // `code` beats `__type`.
        object.insert("__type".into(), "ExpiredTokenException".into());
        object.insert("code".into(), format!("{name}:http://x/").into());
        assert_eq!(parse(&object).code, code, "{name} from code");
        // The header beats everything.
        let e = service_error(
            create_token_with_iam::parse(&error_response(
                status,
                Some(&name),
                r#"{"code":"InvalidGrantException","__type":"SlowDownException","error":"expired_token"}"#,
            ))
            .map(drop),
        );
        assert_eq!(e.code, code, "{name} from the header");
    }
}

#[test]
fn invalid_request_without_region_members_is_invalid_request() {
    let e = service_error(
        create_token::parse(&error_response(
            400,
            None,
            r#"{"error":"invalid_request","error_description":"bad","reason":"KMS_NotFoundException","region":null}"#,
        ))
        .map(drop),
    );
    assert_eq!(e.code, sso_oidc::ErrorCode::InvalidRequest);
    assert_eq!(oauth(&e).reason.as_deref(), Some("KMS_NotFoundException"));
    assert!(e.to_string().contains("(reason: KMS_NotFoundException)"));
}

#[test]
fn unknown_codes_are_kept_verbatim_after_sanitising() {
    let cases = [
        (
            Some("ThrottlingException:http://internal.amazon.com/coral/x/"),
            "{}",
            "ThrottlingException",
        ),
        (
            None,
            r#"{"__type":"com.amazonaws.ssooidc#BrandNewException"}"#,
            "BrandNewException",
        ),
        (
            None,
            r#"{"code":"RequestLimitExceeded"}"#,
            "RequestLimitExceeded",
        ),
        (None, r#"{"Code":"SomethingElse"}"#, "SomethingElse"),
        (None, r#"{"error":"temporarily_unavailable"}"#, "503"),
        (None, r#"{"message":"no code at all"}"#, "503"),
        (Some(":http://only-a-namespace/"), "{}", "503"),
        (None, "", "503"),
    ];
    for (header, body, expected) in cases {
        let e = service_error(register_client::parse(&error_response(503, header, body)).map(drop));
        assert_eq!(
            e.code,
            ErrorCode::Other(expected.to_owned()),
            "{header:?} {body}"
        );
        assert_eq!(e.code.as_str(), expected);
        assert_eq!(e.code.sso_oidc(), None);
        assert!(e.to_string().starts_with(&format!("{expected} (HTTP 503)")));
    }
    let e = service_error(
        register_client::parse(&error_response(
            503,
            None,
            r#"{"error":"temporarily_unavailable"}"#,
        ))
        .map(drop),
    );
    assert_eq!(oauth(&e).error.as_deref(), Some("temporarily_unavailable"));
}

#[test]
fn the_message_falls_back_to_message_members() {
    for (body, expected) in [
        (r#"{"error_description":"a","message":"b"}"#, "a"),
        (r#"{"message":"b","Message":"c"}"#, "b"),
        (r#"{"Message":"c","errorMessage":"d"}"#, "c"),
        (r#"{"errorMessage":"d"}"#, "d"),
        (r#"{"error_description":null,"message":"b"}"#, "b"),
        (r#"{"error_description":5,"message":"b"}"#, "b"),
    ] {
        let e = service_error(
            create_token::parse(&error_response(400, Some("InvalidGrantException"), body))
                .map(drop),
        );
        assert_eq!(e.message.as_deref(), Some(expected), "{body}");
    }
}

#[test]
fn the_request_id_falls_back_to_x_amz_request_id() {
    let response = http::Response::builder()
        .status(400)
        .header("x-amz-request-id", "alt-id")
        .header("x-amzn-ErrorType", "SlowDownException")
        .body(Vec::new())
        .unwrap();
    let e = service_error(create_token::parse(&response).map(drop));
    assert_eq!(e.request_id.as_deref(), Some("alt-id"));
    assert_eq!(
        e.to_string(),
        "SlowDownException (HTTP 400) [request id: alt-id]"
    );
}

#[test]
fn a_header_code_survives_any_body() {
    for body in [
        "",
        "<html><body>502 Bad Gateway</body></html>",
        "{\"error\":",
        "[1,2]",
        "null",
    ] {
        let e = service_error(
            start_device_authorization::parse(&error_response(
                500,
                Some("InternalServerException"),
                body,
            ))
            .map(drop),
        );
        assert_eq!(e.code, sso_oidc::ErrorCode::InternalServer, "{body}");
        assert_eq!(e.status, 500);
        assert_eq!(e.message, None);
    }
}

#[test]
fn unusable_bodies_without_a_code_are_parse_errors_naming_operation_status_and_path() {
    type KindCheck = fn(&ParseErrorKind) -> bool;
    let cases: [(u16, &str, &str, KindCheck); 10] = [
        (
            502,
            "<html><body>Bad Gateway SECRETBODY</body></html>",
            ".",
            |k| {
                matches!(
                    k,
                    ParseErrorKind::NotJson {
                        looks_like_html: true,
                        ..
                    }
                )
            },
        ),
        (400, "not json SECRETBODY", ".", |k| {
            matches!(
                k,
                ParseErrorKind::NotJson {
                    looks_like_html: false,
                    ..
                }
            )
        }),
        (400, r#"{"error":"SECRETBODY"#, "error", |k| {
            matches!(k, ParseErrorKind::Truncated { .. })
        }),
        (400, r#"["SECRETBODY"]"#, ".", |k| {
            matches!(k, ParseErrorKind::WrongShape { .. })
        }),
        (400, r#""SECRETBODY""#, ".", |k| {
            matches!(k, ParseErrorKind::WrongShape { .. })
        }),
        // Derived structs would take members by position from an array.
        (200, r#"["SECRETBODY",null,3600]"#, ".", |k| {
            matches!(k, ParseErrorKind::WrongShape { .. })
        }),
        (200, "", ".", |k| matches!(k, ParseErrorKind::EmptyBody)),
        (200, "  \n", ".", |k| matches!(k, ParseErrorKind::EmptyBody)),
        (200, r#"{"accessToken":"SECRETBODY"} trailing"#, ".", |k| {
            matches!(k, ParseErrorKind::NotJson { .. })
        }),
        (
            200,
            r#"{"accessToken":"SECRETBODY","expiresIn":"SECRETBODY, expected SECRETBODY"}"#,
            "expiresIn",
            |k| matches!(k, ParseErrorKind::WrongShape { .. }),
        ),
    ];
    for (op, _, parse) in operations() {
        for (status, body, path, kind) in cases {
            let response = error_response(status, None, body);
            match parse(&response) {
                Err(Error::Parse(e)) => {
                    assert_eq!(e.operation, op, "{body}");
                    assert_eq!(e.status, status, "{body}");
                    assert_eq!(e.request_id.as_deref(), Some(REQUEST_ID));
                    // The CreateToken-shaped bodies fail elsewhere for the
                    // other operations; the path is still a JSON path.
                    if op == CreateTokenInput::NAME
                        || op == CreateTokenWithIamInput::NAME
                        || status != 200
                    {
                        assert_eq!(e.path, path, "{op} {body}");
                        assert!(kind(&e.kind), "{op} {body}: {:?}", e.kind);
                    }
                    let error = Error::Parse(e.clone());
                    assert_eq!(error.status(), Some(status));
                    assert_eq!(error.code(), None);
                    for text in [
                        error.to_string(),
                        format!("{error:?}"),
                        format!("{error:#?}"),
                    ] {
                        assert!(!text.contains("SECRETBODY"), "{text}");
                        assert!(!text.contains("Bad Gateway"), "{text}");
                    }
                    let text = error.to_string();
                    assert!(text.contains(op), "{text}");
                    assert!(text.contains(&format!("HTTP {status}")), "{text}");
                    assert!(text.contains(&format!("`{}`", e.path)), "{text}");
                    assert!(text.contains(REQUEST_ID), "{text}");
                }
                other => panic!("{op} {status} {body}: expected a parse error, got {other:?}"),
            }
        }
    }
}

#[test]
fn source_chains_reach_the_root_cause() {
    // A cause is in the message or in source(), never both. The service's
    // answer is a service error's content: in the message, no source.
    let error = create_token::parse(&error_response(
        400,
        Some("ExpiredTokenException"),
        r#"{"error":"expired_token","error_description":"gone"}"#,
    ))
    .unwrap_err();
    assert!(error.source().is_none());
    let service = error.service_error().expect("a ServiceError").clone();
    assert_eq!(service.code, sso_oidc::ErrorCode::ExpiredToken);
    assert!(service.source().is_none());
    assert_eq!(
        error.to_string(),
        format!("CreateToken failed: ExpiredTokenException (HTTP 400): expired_token: gone [request id: {REQUEST_ID}]")
    );

    // Parse errors: what is wrong is in the message, no source.
    let error = create_token::parse(&error_response(200, None, "{")).unwrap_err();
    assert!(error.source().is_none());
    let Some(parse) = error.parse_error() else {
        panic!("{error:?}");
    };
    assert!(matches!(parse.kind, ParseErrorKind::Truncated { .. }));
    assert!(error.to_string().contains(&parse.kind.to_string()));

    // A device flow's denial says what the service said, once.
    let wrapped = oidc_core::DeviceFlowError::Denied(service.clone());
    assert!(wrapped.source().is_none());
    assert!(wrapped.to_string().ends_with(&service.to_string()));
    // A device flow that failed for another reason: the cause is the
    // source, not repeated.
    let failed = oidc_core::DeviceFlowError::Failed(error.clone());
    assert_eq!(failed.to_string(), "the device flow failed");
    assert_eq!(failed.source().unwrap().to_string(), error.to_string());

    // Invalid input is the root.
    let error = register_client::request(&RegisterClientInput::new(""), &endpoint()).unwrap_err();
    assert!(error.source().is_none());
    assert_eq!(
        error.to_string(),
        "RegisterClient: required member `clientName` is empty"
    );
    assert_eq!(error.status(), None);
    assert_eq!(error.request_id(), None);
}

#[test]
fn display_shows_region_and_endpoint_when_either_is_present() {
    let with = |endpoint: Option<&str>, region: Option<&str>| {
        let mut details = OAuthDetails::default();
        details.endpoint = endpoint.map(str::to_owned);
        details.region = region.map(str::to_owned);
        ServiceError::new(
            CreateTokenWithIamInput::NAME,
            Service::SsoOidc,
            400,
            sso_oidc::ErrorCode::InvalidRequestRegion,
        )
        .with_details(ErrorDetails::OAuth(details))
    };
    let e = with(Some("https://oidc.eu-west-1.amazonaws.com"), None);
    assert_eq!(
        e.to_string(),
        "InvalidRequestRegionException (HTTP 400) (use endpoint https://oidc.eu-west-1.amazonaws.com)"
    );
    let e = with(
        Some("https://oidc.eu-west-1.amazonaws.com"),
        Some("eu-west-1"),
    );
    assert_eq!(
        e.to_string(),
        "InvalidRequestRegionException (HTTP 400) (use region eu-west-1 at https://oidc.eu-west-1.amazonaws.com)"
    );
    let e = with(None, Some("eu-west-1"));
    assert_eq!(
        e.to_string(),
        "InvalidRequestRegionException (HTTP 400) (use region eu-west-1)"
    );
}

#[test]
fn codes_resolve_compare_and_hash_per_service() {
    for code in sso_oidc::ErrorCode::modelled() {
        // The wire name resolves to the modelled code, for SSO OIDC only.
        let generic = ErrorCode::for_service(Service::SsoOidc, code.as_str());
        assert_eq!(generic, ErrorCode::SsoOidc(code));
        assert_eq!(generic, ErrorCode::from(code));
        assert_eq!(generic, code);
        assert_eq!(generic.sso_oidc(), Some(code));
        assert_eq!(generic.as_str(), code.as_str());
        assert_eq!(generic.to_string(), code.as_str());
        let set: HashSet<ErrorCode> = [generic.clone(), ErrorCode::from(code)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 1);
        assert_eq!(
            sso_oidc::ErrorCode::from_shape_name(code.as_str()),
            Some(code)
        );
        assert_eq!(code.to_string(), code.as_str());
        let oauth = code
            .oauth_error()
            .expect("every modelled code has an OAuth error");
        let region = code == sso_oidc::ErrorCode::InvalidRequestRegion;
        assert_eq!(
            sso_oidc::ErrorCode::from_oauth_error(oauth, region),
            Some(code)
        );
        // Other services resolve the same wire name in their own model (or
        // keep it verbatim), never to an SSO OIDC code.
        for service in [Service::SsoPortal, Service::Sts] {
            let other = ErrorCode::for_service(service, code.as_str());
            assert_ne!(other, code, "{service:?}");
            assert_eq!(other.sso_oidc(), None);
            assert_eq!(other.as_str(), code.as_str());
        }
    }
    assert_eq!(
        ErrorCode::for_service(Service::Sts, "SlowDownException"),
        ErrorCode::Other("SlowDownException".to_owned())
    );
    assert_eq!(sso_oidc::ErrorCode::from_shape_name("SlowDown"), None);
    assert_eq!(
        ErrorCode::for_service(Service::SsoOidc, "SlowDown"),
        ErrorCode::Other("SlowDown".to_owned())
    );
    assert_ne!(
        ErrorCode::from(sso_oidc::ErrorCode::SlowDown),
        ErrorCode::Other("SlowDown".to_owned())
    );
    assert_eq!(
        sso_oidc::ErrorCode::from_oauth_error("temporarily_unavailable", false),
        None
    );
}

#[test]
fn sanitize_cuts_namespaces_and_suffixes() {
    for (raw, expected) in [
        (
            "AuthorizationPendingException:http://internal.amazon.com/coral/x/",
            "AuthorizationPendingException",
        ),
        (
            "com.amazonaws.ssooidc#SlowDownException",
            "SlowDownException",
        ),
        (
            "aws.protocoltests#SlowDownException:http://x",
            "SlowDownException",
        ),
        (" InvalidGrantException ", "InvalidGrantException"),
        ("", ""),
        (":", ""),
        ("#", ""),
    ] {
        assert_eq!(ErrorCode::sanitize(raw), expected, "{raw:?}");
    }
}

#[test]
fn credential_like_words_in_service_text_are_redacted_and_prose_is_kept() {
    let jwt = "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
    let token = "aoaAAAAAGVsb3dlcmNhc2UxMjM0NTY3ODkwYWJjZGVm:MGUCMQDexample+/=";
    let description = format!(
        "Invalid refresh token {token} for client {jwt}. See https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken12345.html or arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222 (InvalidClientMetadataException, sso:account:access)"
    );
    let body = serde_json::json!({
        "error": "invalid_grant",
        "error_description": description,
        "reason": format!("KMS_AccessDeniedException {jwt}"),
    })
    .to_string();
    let e = service_error(
        create_token::parse(&error_response(400, Some("InvalidGrantException"), &body)).map(drop),
    );
    let kept = e.message.as_deref().unwrap();
    assert_eq!(
        kept,
        "Invalid refresh token [redacted] for client [redacted] See https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken12345.html or arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222 (InvalidClientMetadataException, sso:account:access)"
    );
    assert_eq!(
        oauth(&e).reason.as_deref(),
        Some("KMS_AccessDeniedException [redacted]")
    );
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(jwt) && !text.contains("aoaAAAAAG"), "{text}");
    }
}
