//! Runs the whole SSO OIDC device flow against canned responses, offline,
//! and prints every step: what would be sent, what came back, what the
//! state machine decided. Time is virtual: waits are skipped, not slept.
//!
//! `cargo run -p oidc-core --example device_flow`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use oidc_core::debug::{DebugRequest, DebugResponse};
use oidc_core::endpoint::{resolve, EndpointConfig, Service};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationInput};
use oidc_core::{DeviceFlow, Step};

const START_URL: &str = "https://my-sso-portal.awsapps.com/start";

fn response(status: u16, error_type: Option<&str>, body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", "4f1b2c3d-0000-4000-8000-canned");
    if let Some(t) = error_type {
        builder = builder.header("x-amzn-ErrorType", t);
    }
    builder
        .body(body.as_bytes().to_vec())
        .expect("static response")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = resolve(Service::SsoOidc, &EndpointConfig::for_region("us-east-1"))?;
    println!("endpoint: {}", endpoint.url());

    // 1. RegisterClient
    let input =
        RegisterClientInput::new("botocore-client-my-sso").with_scopes(["sso:account:access"]);
    let request = register_client::request(&input, &endpoint)?;
    println!("\n[1] send {:?}", DebugRequest(&request));
    let answer = response(
        200,
        None,
        r#"{"clientId":"_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID","clientSecret":"VERYLONGSECRETSTRINGEXAMPLE","clientIdIssuedAt":1700000000,"clientSecretExpiresAt":1707776000}"#,
    );
    println!("    got  {:?}", DebugResponse(&answer));
    let registration = register_client::parse(&answer)?;
    println!("    registered {registration:?}");

    // 2. StartDeviceAuthorization
    let input = StartDeviceAuthorizationInput::new(
        registration.client_id.clone(),
        registration.client_secret.clone(),
        START_URL,
    );
    let request = start_device_authorization::request(&input, &endpoint)?;
    println!("\n[2] send {:?}", DebugRequest(&request));
    let answer = response(
        200,
        None,
        r#"{"deviceCode":"yJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0EXAMPLEDEVICECODE","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK","expiresIn":600,"interval":1}"#,
    );
    println!("    got  {:?}", DebugResponse(&answer));
    let authorization = start_device_authorization::parse(&answer)?;

    // 3. Poll CreateToken until the (canned) user approves.
    let pending = || {
        response(
            400,
            Some("AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"),
            r#"{"error":"authorization_pending","error_description":null}"#,
        )
    };
    let mut answers: VecDeque<_> = [
        pending(),
        pending(),
        response(400, Some("SlowDownException"), r#"{"error":"slow_down","error_description":null}"#),
        pending(),
        response(
            200,
            None,
            r#"{"accessToken":"aoal-EXAMPLEACCESSTOKEN","tokenType":"Bearer","expiresIn":28800,"refreshToken":"Atrt|EXAMPLEREFRESHTOKEN"}"#,
        ),
    ]
    .into();

    let start = Instant::now();
    let mut now = start;
    let mut flow = DeviceFlow::for_registration(&registration, authorization, endpoint, now);
    let mut step = 3;
    let token = loop {
        let t = (now - start).as_secs();
        match flow.poll(now) {
            Step::Send(request) => {
                println!("\n[{step}] t={t:>3}s send {:?}", DebugRequest(&request));
                step += 1;
                let answer = answers
                    .pop_front()
                    .ok_or("the canned service ran out of answers")?;
                println!("         got  {:?}", DebugResponse(&answer));
                flow.handle_response(now, &answer)?;
            }
            Step::Local(prompt) => {
                println!(
                    "\n    >>> To sign in, open {} and confirm the code {}",
                    prompt.uri_to_open(),
                    prompt.user_code
                );
                println!(
                    "    >>> (the code expires in {} s)",
                    prompt.expires_in.as_secs()
                );
            }
            Step::WaitUntil(until) => {
                let wait = until - now;
                println!(
                    "    wait {} s (interval now {} s)",
                    wait.as_secs(),
                    flow.interval().as_secs()
                );
                now = until;
            }
            Step::Done(outcome) => break outcome?,
        }
    };
    println!(
        "\ndone after {} s of virtual time: {token:?} (expires in {} s)",
        (now - start).as_secs(),
        Duration::from_secs(u64::from(token.expires_in)).as_secs()
    );
    Ok(())
}
