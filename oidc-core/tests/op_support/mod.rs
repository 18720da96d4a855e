//! Helpers shared by the operation tests: the SSO OIDC service model (a
//! verbatim botocore copy, see `tests/model/NOTICE.md`), canned responses,
//! request checks and error assertions.
//!
//! Each test crate uses a subset.
#![allow(dead_code, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use oidc_core::endpoint::Endpoint;
use oidc_core::{Error, InvalidInput, ParseErrorKind};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The botocore model of SSO OIDC.
pub const MODEL: &str = include_str!("../model/sso-oidc.service-2.json");

/// The request id every canned response carries.
pub const REQUEST_ID: &str = "b6d5c1a0-req-id-for-tests";

/// What the model says about one operation.
#[derive(Debug)]
pub struct OperationModel {
    /// `http.method`.
    pub method: String,
    /// `http.requestUri` (path and fixed query).
    pub request_uri: String,
    /// `authtype`, when overridden (`none` for the unsigned operations).
    pub authtype: Option<String>,
    /// Every member of the input shape.
    pub input_members: BTreeSet<String>,
    /// The input shape's `required` list.
    pub required: BTreeSet<String>,
    /// Every member of the output shape.
    pub output_members: BTreeSet<String>,
    /// The modelled error shapes.
    pub errors: Vec<String>,
}

fn model() -> Value {
    serde_json::from_str(MODEL).expect("the model is JSON")
}

fn members(model: &Value, shape: &str) -> BTreeSet<String> {
    model["shapes"][shape]["members"]
        .as_object()
        .unwrap_or_else(|| panic!("shape {shape} has members"))
        .keys()
        .cloned()
        .collect()
}

/// The model of the operation `name` (as the model spells it).
pub fn operation(name: &str) -> OperationModel {
    let model = model();
    let op = &model["operations"][name];
    assert!(op.is_object(), "operation {name} is in the model");
    let input = op["input"]["shape"].as_str().unwrap();
    let output = op["output"]["shape"].as_str().unwrap();
    OperationModel {
        method: op["http"]["method"].as_str().unwrap().to_owned(),
        request_uri: op["http"]["requestUri"].as_str().unwrap().to_owned(),
        authtype: op["authtype"].as_str().map(str::to_owned),
        input_members: members(&model, input),
        required: model["shapes"][input]["required"]
            .as_array()
            .map(|r| r.iter().map(|m| m.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
        output_members: members(&model, output),
        errors: op["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["shape"].as_str().unwrap().to_owned())
            .collect(),
    }
}

/// Every error shape of the model with its HTTP status and members.
pub fn error_shapes() -> Vec<(String, u16, BTreeSet<String>)> {
    let model = model();
    let mut out = Vec::new();
    for (name, shape) in model["shapes"].as_object().unwrap() {
        if shape["exception"].as_bool() == Some(true) {
            let status = shape["error"]["httpStatusCode"].as_u64().unwrap();
            out.push((
                name.clone(),
                u16::try_from(status).unwrap(),
                members(&model, name),
            ));
        }
    }
    out
}

/// The members of `shape` the model flags as sensitive (directly or through
/// their target shape).
pub fn sensitive_members(shape: &str) -> BTreeSet<String> {
    let model = model();
    model["shapes"][shape]["members"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| {
            let target = m["shape"].as_str().unwrap();
            model["shapes"][target]["sensitive"].as_bool() == Some(true)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// A production-looking endpoint.
pub fn endpoint() -> Endpoint {
    Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap()
}

/// The request body decoded as a JSON object.
pub fn body_json(request: &http::Request<Vec<u8>>) -> Map<String, Value> {
    match serde_json::from_slice(request.body()).expect("the body is JSON") {
        Value::Object(map) => map,
        other => panic!("the body is not a JSON object: {other}"),
    }
}

/// The keys of a JSON object.
pub fn keys(map: &Map<String, Value>) -> BTreeSet<String> {
    map.keys().cloned().collect()
}

/// A set of `&str`s as owned strings.
pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The JSON string member `key` of `map`.
pub fn str_member<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` is a JSON string in the body"))
}

/// The JSON list-of-strings member `key` of `map`.
pub fn list_member(map: &Map<String, Value>, key: &str) -> Vec<String> {
    map.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("`{key}` is a JSON array in the body"))
        .iter()
        .map(|v| v.as_str().expect("a string element").to_owned())
        .collect()
}

/// Checks what every SSO OIDC request shares, against the model.
pub fn assert_request_matches_model(request: &http::Request<Vec<u8>>, model_name: &str) {
    let model = operation(model_name);
    assert_eq!(request.method().as_str(), model.method, "method");
    assert_eq!(
        request.uri().to_string(),
        format!("https://oidc.us-east-1.amazonaws.com{}", model.request_uri),
        "URI"
    );
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    let user_agent = header("user-agent").expect("a user agent");
    assert_eq!(
        user_agent,
        concat!("oidc-core/", env!("CARGO_PKG_VERSION")),
        "the user agent names the crate and its version"
    );
    assert_eq!(user_agent, oidc_core::USER_AGENT);
    // `request` builds unsigned requests: nothing of SigV4 may be present
    // (CreateTokenWithIAM is signed afterwards by the caller).
    for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
        assert!(header(name).is_none(), "{name} must not be set");
    }
    let body = body_json(request);
    for member in &model.required {
        assert!(
            body.contains_key(member),
            "required member {member} is in the body"
        );
    }
    let unknown: Vec<_> = keys(&body)
        .difference(&model.input_members)
        .cloned()
        .collect();
    assert!(unknown.is_empty(), "members not in the model: {unknown:?}");
    for (key, value) in &body {
        assert!(
            !value.is_null(),
            "`{key}` is null; unset members are omitted"
        );
    }
}

/// A canned response with a JSON content type and [`REQUEST_ID`].
pub fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", REQUEST_ID)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// A JSON object built from `(key, value)` pairs, as text.
pub fn object(members: &[(&str, Value)]) -> String {
    let map: Map<String, Value> = members
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Value::Object(map).to_string()
}

/// Asserts `result` is a parse error for a missing required member.
#[track_caller]
pub fn assert_missing<T: std::fmt::Debug>(
    result: Result<T, Error>,
    operation: &'static str,
    member: &str,
) {
    match result {
        Err(Error::Parse(e)) => {
            assert_eq!(e.operation, operation);
            assert_eq!(e.status, 200);
            assert_eq!(e.path, member, "the path names the member");
            assert!(
                matches!(e.kind, ParseErrorKind::MissingMember { member: m } if m == member),
                "{:?}",
                e.kind
            );
            assert_eq!(e.request_id.as_deref(), Some(REQUEST_ID));
            let text = e.to_string();
            assert!(text.contains(member), "{text}");
            assert!(text.contains(operation), "{text}");
        }
        other => panic!("expected a missing-member parse error for {member}, got {other:?}"),
    }
}

/// Asserts `result` is a parse error at `path` whose kind satisfies `kind`.
#[track_caller]
pub fn assert_parse_error<T: std::fmt::Debug>(
    result: Result<T, Error>,
    operation: &'static str,
    status: u16,
    path: &str,
    kind: impl Fn(&ParseErrorKind) -> bool,
) {
    match result {
        Err(Error::Parse(e)) => {
            assert_eq!(e.operation, operation);
            assert_eq!(e.status, status);
            assert_eq!(e.path, path);
            assert!(kind(&e.kind), "unexpected kind {:?}", e.kind);
        }
        other => panic!("expected a parse error at {path}, got {other:?}"),
    }
}

/// Asserts `result` is `InvalidInput::Empty` for `member`.
#[track_caller]
pub fn assert_empty<T: std::fmt::Debug>(
    result: Result<T, Error>,
    operation: &'static str,
    member: &'static str,
) {
    match result {
        Err(Error::InvalidInput(e)) => {
            assert_eq!(e, InvalidInput::Empty { operation, member });
            assert!(e.to_string().contains(member));
        }
        other => panic!("expected InvalidInput::Empty for {member}, got {other:?}"),
    }
}

/// Asserts `result` is `InvalidInput::Invalid` for `member`.
#[track_caller]
pub fn assert_invalid<T: std::fmt::Debug>(
    result: Result<T, Error>,
    operation: &'static str,
    member: &'static str,
) {
    match result {
        Err(Error::InvalidInput(InvalidInput::Invalid {
            operation: op,
            member: m,
            reason,
        })) => {
            assert_eq!((op, m), (operation, member));
            assert!(!reason.is_empty());
        }
        other => panic!("expected InvalidInput::Invalid for {member}, got {other:?}"),
    }
}

/// Any string that is not blank (what a required member must be).
pub fn non_blank() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not blank", |s| !s.trim().is_empty())
}

/// Blank strings: empty, or only whitespace.
pub fn blank() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[ \t\r\n]{1,4}"]
}

/// A list of non-blank strings.
pub fn non_blank_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(non_blank(), 0..4)
}

/// An absolute http(s) URI.
pub fn http_uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http://"), Just("https://")],
        "[a-z0-9.-]{1,20}",
        "(:[0-9]{1,5})?",
        "(/[a-zA-Z0-9._~-]{0,10}){0,3}",
    )
        .prop_map(|(scheme, host, port, path)| format!("{scheme}{host}{port}{path}"))
}

/// A PKCE verifier that satisfies RFC 7636.
pub fn verifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}
