//! `StartDeviceAuthorization`: request building and response parsing,
//! checked against the service model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationInput};
use oidc_core::{Operation, ParseErrorKind};
use op_support::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const OP: &str = StartDeviceAuthorizationInput::NAME;

fn input() -> StartDeviceAuthorizationInput {
    StartDeviceAuthorizationInput::new(
        "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID",
        ClientSecret::new("VERYLONGSECRETSTRINGEXAMPLE"),
        "https://my-sso-portal.awsapps.com/start",
    )
}

#[test]
fn request_matches_the_model_and_the_spec_example() {
    assert_eq!(
        operation("StartDeviceAuthorization").authtype.as_deref(),
        Some("none")
    );
    let request = start_device_authorization::request(&input(), &endpoint()).unwrap();
    assert_request_matches_model(&request, "StartDeviceAuthorization");
    let body = body_json(&request);
    assert_eq!(
        keys(&body),
        operation("StartDeviceAuthorization").input_members
    );
    let expected: Value = serde_json::from_str(
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","startUrl":"https://my-sso-portal.awsapps.com/start"}"#,
    )
    .unwrap();
    assert_eq!(Value::Object(body), expected);
}

#[test]
fn every_required_member_is_checked_before_a_request_exists() {
    for member in ["clientId", "clientSecret", "startUrl"] {
        for blank in ["", "  "] {
            let mut input = input();
            match member {
                "clientId" => input.client_id = blank.to_owned(),
                "clientSecret" => input.client_secret = ClientSecret::new(blank),
                _ => input.start_url = blank.to_owned(),
            }
            assert_empty(
                start_device_authorization::request(&input, &endpoint()),
                OP,
                member,
            );
        }
    }
}

proptest! {
    #[test]
    fn request_round_trips_every_member(id in non_blank(), secret in non_blank(), url in non_blank()) {
        let input = StartDeviceAuthorizationInput::new(id.clone(), ClientSecret::new(secret.clone()), url.clone());
        let request = start_device_authorization::request(&input, &endpoint()).unwrap();
        assert_request_matches_model(&request, "StartDeviceAuthorization");
        let body = body_json(&request);
        prop_assert_eq!(body.len(), 3);
        prop_assert_eq!(str_member(&body, "clientId"), id.as_str());
        prop_assert_eq!(str_member(&body, "clientSecret"), secret.as_str());
        prop_assert_eq!(str_member(&body, "startUrl"), url.as_str());
    }

    #[test]
    fn response_round_trips_every_member(
        device_code in non_blank(),
        user_code in non_blank(),
        uri in non_blank(),
        complete in proptest::option::of(any::<String>()),
        expires_in in any::<u32>(),
        interval in proptest::option::of(any::<u32>()),
    ) {
        let mut members = vec![
            ("deviceCode", json!(device_code)),
            ("userCode", json!(user_code)),
            ("verificationUri", json!(uri)),
            ("expiresIn", json!(expires_in)),
        ];
        if let Some(c) = &complete { members.push(("verificationUriComplete", json!(c))); }
        if let Some(i) = interval { members.push(("interval", json!(i))); }
        let output = start_device_authorization::parse(&response(200, &object(&members))).unwrap();
        prop_assert_eq!(output.device_code.secret(), device_code.as_str());
        prop_assert_eq!(output.user_code, user_code);
        prop_assert_eq!(output.verification_uri, uri);
        prop_assert_eq!(output.verification_uri_complete, complete);
        prop_assert_eq!(output.expires_in, expires_in);
        prop_assert_eq!(output.interval, interval);
    }

    #[test]
    fn negative_or_oversized_seconds_are_out_of_range(
        value in prop_oneof![i64::MIN..0, i64::from(u32::MAX) + 1..=i64::MAX],
        member in prop_oneof![Just("expiresIn"), Just("interval")],
    ) {
        let mut members = vec![
            ("deviceCode", json!("dc")),
            ("userCode", json!("BCDF-GHJK")),
            ("verificationUri", json!("https://device.sso.us-east-1.amazonaws.com/")),
            ("expiresIn", json!(600)),
        ];
        members.retain(|(k, _)| *k != member);
        members.push((member, json!(value)));
        assert_parse_error(
            start_device_authorization::parse(&response(200, &object(&members))),
            OP,
            200,
            member,
            |k| matches!(k, ParseErrorKind::OutOfRange { member: m, .. } if *m == member),
        );
    }
}

#[test]
fn the_spec_example_response_parses_with_every_model_member() {
    let body = r#"{"deviceCode":"yJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0EXAMPLEDEVICECODE","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK","expiresIn":600,"interval":1}"#;
    let sent: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
    assert_eq!(
        keys(&sent),
        operation("StartDeviceAuthorization").output_members
    );
    let output = start_device_authorization::parse(&response(200, body)).unwrap();
    assert_eq!(
        output.device_code.secret(),
        "yJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0EXAMPLEDEVICECODE"
    );
    assert_eq!(output.user_code, "BCDF-GHJK");
    assert_eq!(
        output.verification_uri,
        "https://device.sso.us-east-1.amazonaws.com/"
    );
    assert_eq!(
        output.verification_uri_complete.as_deref(),
        Some("https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK")
    );
    assert_eq!(output.expires_in, 600);
    assert_eq!(output.interval, Some(1));
}

#[test]
fn an_absent_or_null_interval_is_none() {
    for extra in ["", r#","interval":null"#] {
        let body = format!(
            r#"{{"deviceCode":"dc","userCode":"u","verificationUri":"https://v/","expiresIn":600{extra}}}"#
        );
        let output = start_device_authorization::parse(&response(200, &body)).unwrap();
        assert_eq!(output.interval, None);
        assert_eq!(output.verification_uri_complete, None);
    }
}

#[test]
fn each_required_output_member_missing_or_null_is_a_parse_error_naming_it() {
    let full = [
        ("deviceCode", json!("dc")),
        ("userCode", json!("BCDF-GHJK")),
        (
            "verificationUri",
            json!("https://device.sso.us-east-1.amazonaws.com/"),
        ),
        ("expiresIn", json!(600)),
    ];
    for (i, (member, _)) in full.iter().enumerate() {
        let mut without = full.to_vec();
        without.remove(i);
        assert_missing(
            start_device_authorization::parse(&response(200, &object(&without))),
            OP,
            member,
        );
        let mut null = full.to_vec();
        null[i].1 = Value::Null;
        assert_missing(
            start_device_authorization::parse(&response(200, &object(&null))),
            OP,
            member,
        );
    }
}

#[test]
fn a_fractional_interval_is_a_wrong_shape_at_its_path() {
    assert_parse_error(
        start_device_authorization::parse(&response(
            200,
            r#"{"deviceCode":"dc","userCode":"u","verificationUri":"https://v/","expiresIn":600,"interval":1.5}"#,
        )),
        OP,
        200,
        "interval",
        |k| matches!(k, ParseErrorKind::WrongShape { .. }),
    );
}

#[test]
fn every_modelled_error_of_the_operation_is_typed() {
    let shapes = error_shapes();
    for shape in operation("StartDeviceAuthorization").errors {
        let (_, status, _) = shapes.iter().find(|(n, _, _)| *n == shape).unwrap();
        let response = http::Response::builder()
            .status(*status)
            .header("x-amzn-ErrorType", shape.as_str())
            .header("x-amzn-RequestId", REQUEST_ID)
            .body(Vec::new())
            .unwrap();
        let error = start_device_authorization::parse(&response).unwrap_err();
        let service = error.service_error().expect("a service error");
        assert_eq!(service.code.as_str(), shape);
        assert_eq!(service.status, *status);
        assert_eq!(service.operation, OP);
        assert_eq!(error.request_id(), Some(REQUEST_ID));
    }
}
