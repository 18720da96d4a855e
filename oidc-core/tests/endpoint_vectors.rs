//! The official endpoint-resolution test vectors of SSO OIDC, the SSO
//! portal and STS (`tests/fixtures/endpoint-tests/`, verbatim from
//! botocore), run through the public API. Each test walks one file and
//! names every failing vector by its `documentation` string.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::endpoint::{resolve, EndpointConfig, EndpointError, Service};
use serde_json::Value;

#[test]
fn sso_oidc_vectors() {
    walk(
        Service::SsoOidc,
        include_str!("fixtures/endpoint-tests/sso-oidc.json"),
        40,
    );
}

#[test]
fn sso_portal_vectors() {
    walk(
        Service::SsoPortal,
        include_str!("fixtures/endpoint-tests/sso.json"),
        40,
    );
}

#[test]
fn sts_vectors() {
    walk(
        Service::Sts,
        include_str!("fixtures/endpoint-tests/sts.json"),
        69,
    );
}

/// Runs every case of one vector file and panics with the list of failures.
fn walk(service: Service, file: &str, expected_cases: usize) {
    let doc: Value = serde_json::from_str(file).expect("vector file is JSON");
    let cases = doc["testCases"].as_array().expect("testCases is an array");
    assert_eq!(
        cases.len(),
        expected_cases,
        "number of vectors for {service:?}"
    );

    let mut failures = Vec::new();
    for case in cases {
        let name = case["documentation"].as_str().unwrap_or("<undocumented>");
        if let Err(why) = check(service, case) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {service:?} vectors failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// Maps the vector's `params` onto an [`EndpointConfig`].
fn config(params: &Value) -> Result<EndpointConfig, String> {
    let mut config = EndpointConfig::new();
    let Some(params) = params.as_object() else {
        return Ok(config); // no `params`: everything unset
    };
    for (key, value) in params {
        let flag = || value.as_bool().ok_or(format!("{key} is not a boolean"));
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("{key} is not a string"))
        };
        match key.as_str() {
            "Region" => config.region = Some(text()?),
            "Endpoint" => config.endpoint_url = Some(text()?),
            "UseFIPS" => config.use_fips = flag()?,
            "UseDualStack" => config.use_dual_stack = flag()?,
            "UseGlobalEndpoint" => config.use_global_endpoint = flag()?,
            other => return Err(format!("unknown parameter {other}")),
        }
    }
    Ok(config)
}

fn check(service: Service, case: &Value) -> Result<(), String> {
    let config = config(&case["params"])?;
    let result = resolve(service, &config);
    let expect = &case["expect"];
    if let Some(message) = expect["error"].as_str() {
        return match result {
            Err(EndpointError::Rule { message: got }) if got == message => Ok(()),
            other => Err(format!("expected error {message:?}, got {other:?}")),
        };
    }
    let want = &expect["endpoint"];
    let want_url = want["url"].as_str().ok_or("vector has no expected url")?;
    let endpoint = result.map_err(|e| format!("expected {want_url}, got error {e:?}"))?;
    if endpoint.url() != want_url {
        return Err(format!("url {:?} != expected {want_url:?}", endpoint.url()));
    }
    // Without expected properties the resolver must not invent signing overrides.
    let scheme = &want["properties"]["authSchemes"][0];
    let expected = [
        ("name", endpoint.auth_scheme()),
        ("signingName", endpoint.signing_name()),
        ("signingRegion", endpoint.signing_region()),
    ];
    for (field, got) in expected {
        if scheme[field].as_str() != got {
            return Err(format!(
                "authSchemes[0].{field}: {got:?} != expected {}",
                scheme[field]
            ));
        }
    }
    if let Some(props) = want["properties"].as_object() {
        if props.keys().any(|k| k != "authSchemes") {
            return Err(format!("unchecked expected properties: {props:?}"));
        }
    }
    if !want["headers"].is_null() {
        return Err("vector expects headers; compare them".to_owned());
    }
    Ok(())
}
