//! Properties of the SSO portal operations: the parsers return a value or
//! a typed error for any response; query values round-trip through the
//! percent-encoding; any access token either becomes a sensitive header or
//! is rejected naming `accessToken`; planted secrets never reach `Debug`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::endpoint::Endpoint;
use oidc_core::portal::get_role_credentials::{self, GetRoleCredentialsInput};
use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
use oidc_core::portal::list_accounts::{self, ListAccountsInput};
use oidc_core::portal::logout::{self, LogoutInput};
use oidc_core::portal::paginator::Paginator;
use oidc_core::{Error, InvalidInput};
use proptest::prelude::*;
use serde_json::Value;

const KEYS: &[&str] = &[
    "roleCredentials",
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "expiration",
    "nextToken",
    "accountList",
    "accountId",
    "accountName",
    "emailAddress",
    "roleList",
    "roleName",
    "message",
    "Message",
    "code",
    "__type",
    "error",
];

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        Just(Value::from(1_704_070_800_000_i64)),
        Just(Value::from(i64::MAX)),
        Just(Value::String(String::new())),
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

fn body() -> impl Strategy<Value = Vec<u8>> {
    let document = prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..8)
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
        (document, any::<prop::sample::Index>()).prop_map(|(d, cut)| {
            let at = cut.index(d.len() + 1);
            d[..at].to_vec()
        }),
    ]
}

fn response() -> impl Strategy<Value = http::Response<Vec<u8>>> {
    (
        prop_oneof![
            Just(200u16),
            Just(204),
            Just(400),
            Just(401),
            Just(404),
            Just(429),
            Just(500),
            100u16..600
        ],
        proptest::option::of(prop_oneof![
            Just("UnauthorizedException".to_owned()),
            Just("TooManyRequestsException:http://x/".to_owned()),
            "[ -~]{0,40}",
        ]),
        body(),
    )
        .prop_map(|(status, code, body)| {
            let mut builder = http::Response::builder().status(status);
            if let Some(code) = code {
                builder = builder.header("x-amzn-ErrorType", code);
            }
            builder.body(body).unwrap()
        })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_pairs(request: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            assert!(
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%')),
                "{v}"
            );
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(response in response()) {
        let outcomes = [
            get_role_credentials::parse(&response).map(|_| ()),
            list_accounts::parse(&response).map(|_| ()),
            list_account_roles::parse(&response).map(|_| ()),
            logout::parse(&response).map(|_| ()),
        ];
        for outcome in outcomes {
            match outcome {
                Ok(()) => prop_assert!(response.status().is_success()),
                Err(Error::Service(e)) => {
                    prop_assert!(!response.status().is_success());
                    prop_assert_eq!(e.status, response.status().as_u16());
                }
                Err(Error::Parse(e)) => prop_assert_eq!(e.status, response.status().as_u16()),
                Err(other) => prop_assert!(false, "unexpected error {:?}", other),
            }
        }
    }

    #[test]
    fn query_values_round_trip(role in any::<String>(), account in any::<String>(), next in any::<String>()) {
        prop_assume!(!role.trim().is_empty() && !account.trim().is_empty() && !next.is_empty());
        let input = GetRoleCredentialsInput::new(role.clone(), account.clone(), "tok");
        let request = get_role_credentials::request(&input, &endpoint()).unwrap();
        prop_assert_eq!(request.uri().path(), "/federation/credentials");
        prop_assert_eq!(
            query_pairs(&request),
            vec![("role_name".to_owned(), role), ("account_id".to_owned(), account.clone())]
        );
        let input = ListAccountRolesInput::new("tok", account.clone())
            .with_next_token(next.clone())
            .with_max_results(7);
        let request = list_account_roles::request(&input, &endpoint()).unwrap();
        prop_assert_eq!(
            query_pairs(&request),
            vec![
                ("next_token".to_owned(), next),
                ("max_result".to_owned(), "7".to_owned()),
                ("account_id".to_owned(), account),
            ]
        );
    }

    #[test]
    fn any_token_is_a_sensitive_header_or_rejected(token in any::<String>()) {
        let result = list_accounts::request(&ListAccountsInput::new(token.clone()), &endpoint());
        match result {
            Ok(request) => {
                let value = &request.headers()["x-amz-sso_bearer_token"];
                prop_assert!(value.is_sensitive());
                prop_assert_eq!(value.as_bytes(), token.as_bytes());
            }
            Err(Error::InvalidInput(e)) => {
                let member = match &e {
                    InvalidInput::Empty { member, .. } | InvalidInput::Invalid { member, .. } => *member,
                    other => return Err(TestCaseError::fail(format!("{other:?}"))),
                };
                prop_assert_eq!(member, "accessToken");
                if token.len() > 8 {
                    prop_assert!(!e.to_string().contains(&token));
                }
            }
            Err(other) => prop_assert!(false, "{:?}", other),
        }
        // Logout behaves the same way.
        prop_assert_eq!(
            logout::request(&LogoutInput::new(token.clone()), &endpoint()).is_ok(),
            list_accounts::request(&ListAccountsInput::new(token), &endpoint()).is_ok()
        );
    }

    #[test]
    fn planted_secrets_never_reach_debug(
        key in "[A-Za-z0-9/+]{8,40}",
        session in "[A-Za-z0-9/+=]{8,80}",
        token in "[A-Za-z0-9._-]{8,60}",
        millis in 0i64..4_102_444_800_000,
    ) {
        let key = format!("PLANTEDKEY{key}");
        let session = format!("PLANTEDSESSION{session}");
        let token = format!("PLANTEDTOKEN{token}");
        let body = serde_json::json!({"roleCredentials": {
            "accessKeyId": "ASIAEXAMPLE", "secretAccessKey": key, "sessionToken": session, "expiration": millis
        }}).to_string();
        let response = http::Response::builder().status(200).body(body).unwrap();
        let output = get_role_credentials::parse(&response).unwrap();
        let credentials = output.clone().into_credentials("123456789012");
        prop_assert_eq!(
            credentials.expires_at,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(millis).unwrap()))
        );
        let input = GetRoleCredentialsInput::new("R", "1", token.clone());
        let request = get_role_credentials::request(&input, &endpoint()).unwrap();
        let paginator = Paginator::new(ListAccountsInput::new(token.clone()));
        for shown in [
            format!("{output:?}"),
            format!("{output:#?}"),
            format!("{credentials:?}"),
            format!("{input:?}"),
            format!("{request:?}"),
            format!("{paginator:?}"),
        ] {
            prop_assert!(!shown.contains("PLANTED"), "{}", shown);
        }
    }
}
