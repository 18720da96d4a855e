//! No secret that was sent appears in any error the service's answer
//! produces, however the service echoes it: verbatim, percent-encoded,
//! inside a URL or an ARN, comma-separated, short or long.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::step::Step;
use std::time::{Instant, SystemTime};

use oidc_core::call::{Call, CallOptions};
use oidc_core::endpoint::Endpoint;
use oidc_core::retry::{RetryPolicy, RetryQuota};
use oidc_core::secret::{ClientSecret, RefreshToken};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, Grant};
use proptest::prelude::*;

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn error_for(secret: &str, refresh: &str, description: &str) -> String {
    let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    let input = CreateTokenInput::new(
        "client-id",
        ClientSecret::new(secret),
        Grant::RefreshToken {
            refresh_token: RefreshToken::new(refresh),
        },
    );
    let options = CallOptions::default().with_retry(RetryPolicy::default().with_max_attempts(1));
    let mut call = Call::new(&input, &endpoint, options).unwrap();
    let now = Instant::now();
    let Step::Send(_) = call.poll(now, SystemTime::now()) else {
        panic!("expected a request")
    };
    let body = serde_json::json!({
        "error": "invalid_grant",
        "error_description": description,
        "reason": description,
    });
    let response = http::Response::builder()
        .status(400)
        .header("x-amzn-ErrorType", "InvalidGrantException")
        .body(body.to_string())
        .unwrap();
    call.handle_response(now, &response, &mut RetryQuota::default(), 0);
    let Step::Done(Err(e)) = call.poll(now, SystemTime::now()) else {
        panic!("expected the error")
    };
    format!("{e}\n{e:?}")
}

fn secret_strategy() -> impl Strategy<Value = String> {
    // Short and long, any printable ASCII a token or secret may hold.
    "[A-Za-z0-9+/=_.~|:-]{6,80}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_sent_secret_survives_in_error_text(
        secret in secret_strategy(),
        refresh in secret_strategy(),
        form in 0usize..6,
    ) {
        let description = match form {
            0 => format!("client secret {secret} and token {refresh} are invalid"),
            1 => format!("see https://example.com/cb?token={}&s={}", encode(&refresh), encode(&secret)),
            2 => format!("arn:aws:iam::123456789012:role/{refresh}"),
            3 => format!("{secret},{refresh}"),
            4 => format!("arn:{refresh}"),
            _ => format!("{}/{}", encode(&secret), encode(&refresh)),
        };
        let text = error_for(&secret, &refresh, &description);
        prop_assert!(!text.contains(&secret), "client secret leaked: {text}");
        prop_assert!(!text.contains(&refresh), "refresh token leaked: {text}");
        prop_assert!(!text.contains(&encode(&secret)) || encode(&secret) == secret);
        prop_assert!(!text.contains(&encode(&refresh)) || encode(&refresh) == refresh);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A service that echoes only part of a secret (a prefix, a middle
    /// piece) leaks none of it: every run of 12 or more characters of a
    /// sent secret is redacted.
    #[test]
    fn no_run_of_twelve_characters_of_a_sent_secret_survives(
        secret in "[A-Za-z0-9]{24,80}",
        start in 0usize..12,
        len in 12usize..24,
        prefix in "[ a-z]{0,10}",
    ) {
        let piece = &secret[start..(start + len).min(secret.len())];
        let description = format!("{prefix}{piece}... was not accepted");
        let text = error_for("client-secret-value", &secret, &description);
        for window in secret.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            prop_assert!(!text.contains(window), "`{window}` of the token leaked: {text}");
        }
    }
}
