//! Every parser of untrusted input returns a value or a typed error for any
//! input: any status, any headers, any body bytes for the four operation
//! parsers; any bytes for the cache readers; any request target for the
//! PKCE redirect parser. Inputs are both raw bytes and JSON shaped like the
//! real documents (the known members with values of any type), so the
//! interesting paths are reached, not just "not JSON".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::cache::{CachedRegistration, CachedToken};
use oidc_core::debug::DebugResponse;
use oidc_core::pkce::{self, State};
use oidc_core::sso_oidc::{
    create_token, create_token_with_iam, register_client, start_device_authorization,
};
use oidc_core::{Error, ErrorCode};
use proptest::prelude::*;
use serde_json::Value;

const KEYS: &[&str] = &[
    // Outputs.
    "clientId",
    "clientSecret",
    "clientIdIssuedAt",
    "clientSecretExpiresAt",
    "authorizationEndpoint",
    "tokenEndpoint",
    "deviceCode",
    "userCode",
    "verificationUri",
    "verificationUriComplete",
    "expiresIn",
    "interval",
    "accessToken",
    "tokenType",
    "refreshToken",
    "idToken",
    "issuedTokenType",
    "scope",
    "awsAdditionalDetails",
    "identityContext",
    // Errors.
    "error",
    "error_description",
    "reason",
    "endpoint",
    "region",
    "code",
    "Code",
    "__type",
    "message",
    "Message",
    "errorMessage",
    // Cache files.
    "startUrl",
    "expiresAt",
    "registrationExpiresAt",
    "scopes",
    "grantTypes",
    "STARTURL",
    "accesstoken",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just("2024-01-01T00:00:00Z"),
            Just("2024-01-01T00:00:00UTC"),
            Just("9999-12-31T23:59:59+14:00"),
            Just("ThrottlingException:http://x/"),
            Just("invalid_request"),
            Just("urn:ietf:params:oauth:token-type:access_token"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// A body: raw bytes, a document of known members, or a cut or corrupted
/// document.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let document = prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..12)
        .prop_map(|members| {
            let map: serde_json::Map<String, Value> = members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            Value::Object(map).to_string().into_bytes()
        })
        .boxed();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        document.clone(),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (document.clone(), any::<prop::sample::Index>()).prop_map(|(d, cut)| {
            let at = cut.index(d.len() + 1);
            d[..at].to_vec()
        }),
        (document, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut d, at, byte)| {
            if !d.is_empty() {
                let i = at.index(d.len());
                d[i] = byte;
            }
            d
        }),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x-amzn-ErrorType".to_owned()),
        Just("x-amzn-RequestId".to_owned()),
        Just("x-amz-request-id".to_owned()),
        Just("content-type".to_owned()),
        Just("retry-after".to_owned()),
        "[a-z-]{1,20}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "[A-Za-z]{0,30}(Exception)?(:http://[a-z./]{0,20})?".prop_map(String::into_bytes),
        "(com\\.amazonaws\\.ssooidc#)?[A-Za-z]{0,30}Exception".prop_map(String::into_bytes),
    ]
}

fn response() -> impl Strategy<Value = http::Response<Vec<u8>>> {
    (
        100u16..=999,
        prop::collection::vec((header_name(), header_value()), 0..6),
        body(),
    )
        .prop_map(|(status, headers, body)| {
            let mut response = http::Response::new(body);
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            for (name, value) in headers {
                // Keep what `http` itself can represent; adapters cannot
                // hand over anything else.
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    http::HeaderValue::from_bytes(&value),
                ) {
                    response.headers_mut().append(name, value);
                }
            }
            response
        })
}

/// What holds for any outcome of any parser.
fn check<T>(response: &http::Response<Vec<u8>>, result: Result<T, Error>) {
    let status = response.status();
    match result {
        Ok(_) => assert!(status.is_success(), "only 2xx parses to an output"),
        Err(error) => {
            assert_eq!(error.status(), Some(status.as_u16()));
            match &error {
                Error::Service(e) => {
                    assert!(!status.is_success());
                    assert!(!e.code.as_str().is_empty());
                }
                Error::Parse(e) => assert!(!e.path.is_empty()),
                other => panic!("a parser returned {other:?}"),
            }
            assert!(!error.to_string().is_empty());
            let _ = format!("{error:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn operation_parsers_never_panic(response in response()) {
        check(&response, register_client::parse(&response));
        check(&response, start_device_authorization::parse(&response));
        check(&response, create_token::parse(&response));
        check(&response, create_token_with_iam::parse(&response));
        let _ = format!("{:?}", DebugResponse(&response));
    }

    #[test]
    fn cache_readers_never_panic(bytes in body()) {
        if let Err(e) = CachedToken::from_json(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
        if let Err(e) = CachedRegistration::from_json(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn the_redirect_parser_never_panics(
        target in prop_oneof![
            any::<String>(),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("code".to_owned()),
                        Just("state".to_owned()),
                        Just("error".to_owned()),
                        Just("error_description".to_owned()),
                        "[a-z%]{0,6}",
                    ],
                    "([A-Za-z0-9._~-]|%[0-9A-Fa-f]{0,2}|%[Ff][Ff]|\\+|=|&|#)*",
                ),
                0..6,
            )
            .prop_map(|pairs| {
                let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("/oauth/callback?{}", query.join("&"))
            }),
            "(http://127\\.0\\.0\\.1:[0-9]{1,5})?/oauth/callback[?#%&=a-z0-9]{0,40}",
        ],
        seed in any::<[u8; 16]>(),
    ) {
        let state = State::from_random_bytes(&seed);
        if let Err(e) = pkce::parse_redirect(&target, &state) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn sanitize_never_panics_and_is_idempotent(raw in any::<String>()) {
        let once = ErrorCode::sanitize(&raw);
        prop_assert_eq!(ErrorCode::sanitize(once), once);
        prop_assert!(!once.contains(':'));
    }
}

#[test]
fn deeply_nested_bodies_are_errors_not_stack_overflows() {
    for body in [
        "[".repeat(100_000),
        "{\"error\":".repeat(50_000),
        format!(
            "{{\"awsAdditionalDetails\":{}",
            "{\"identityContext\":".repeat(50_000)
        ),
    ] {
        for status in [200, 400] {
            let mut response = http::Response::new(body.clone().into_bytes());
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            check(&response, register_client::parse(&response));
            check(&response, start_device_authorization::parse(&response));
            check(&response, create_token::parse(&response));
            check(&response, create_token_with_iam::parse(&response));
        }
        assert!(CachedToken::from_json(body.as_bytes()).is_err());
        assert!(CachedRegistration::from_json(body.as_bytes()).is_err());
    }
}
