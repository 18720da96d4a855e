//! Properties of the SigV4 signer: for fixed inputs signing is
//! deterministic and equals the composition of the public step functions;
//! for any method, path, query, headers, body, region, signing name,
//! credentials and time, nothing panics (errors are fine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oidc_core::http::{HeaderName, HeaderValue, Method, Request};
use oidc_core::sigv4::{self, PathEncoding, SigningParams, SigningSettings};
use oidc_core::Credentials;
use proptest::prelude::*;

fn time_strategy() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        // Around today.
        3 => (1_400_000_000u64..2_000_000_000).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        // Anything, including before 1970 and past the year 9999.
        1 => any::<i64>().prop_map(|s| {
            let magnitude = Duration::from_secs(s.unsigned_abs());
            let shifted = if s < 0 {
                UNIX_EPOCH.checked_sub(magnitude)
            } else {
                UNIX_EPOCH.checked_add(magnitude)
            };
            shifted.unwrap_or(UNIX_EPOCH)
        }),
    ]
}

fn settings_strategy() -> impl Strategy<Value = SigningSettings> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(sha, normalize, single)| {
        SigningSettings::default()
            .with_content_sha256_header(sha)
            .with_normalize_path(normalize)
            .with_path_encoding(if single {
                PathEncoding::Single
            } else {
                PathEncoding::Double
            })
    })
}

fn method_strategy() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        "[A-Za-z]{1,8}".prop_filter_map("valid method", |m| Method::from_bytes(m.as_bytes()).ok()),
    ]
}

/// Path and query characters: unreserved, reserved, `%` escapes (valid and
/// broken), dots and slashes for normalisation, `+`.
const URI_CHARS: &str = "[a-zA-Z0-9/._~%!$&'()*+,;=:@-]{0,40}";

fn headers_strategy() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec(
        (
            prop_oneof![
                "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,20}",
                Just("host".to_owned()),
                Just("x-amz-date".to_owned()),
                Just("x-amz-security-token".to_owned()),
                Just("authorization".to_owned()),
                Just("user-agent".to_owned()),
            ],
            prop_oneof![
                "[ \t!-~]{0,30}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..30),
            ],
        ),
        0..8,
    )
}

fn build_request(
    method: Method,
    authority: &str,
    path: &str,
    query: &str,
    headers: &[(String, Vec<u8>)],
    body: Vec<u8>,
) -> Option<Request<Vec<u8>>> {
    let uri = format!("https://{authority}/{path}?{query}");
    let mut request = Request::builder().method(method).uri(uri).body(body).ok()?;
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) else {
            continue;
        };
        request.headers_mut().append(name, value);
    }
    Some(request)
}

proptest! {
    #[test]
    fn signing_is_deterministic_and_matches_the_steps(
        method in method_strategy(),
        path in URI_CHARS,
        query in URI_CHARS,
        headers in prop::collection::vec(
            ("x-[a-z0-9-]{1,12}", "[!-~]([ !-~]{0,20}[!-~])?"),
            0..6,
        ),
        body in prop::collection::vec(any::<u8>(), 0..64),
        token in proptest::option::of("[A-Za-z0-9/+=]{1,40}"),
        settings in settings_strategy(),
        seconds in 0u64..253_402_300_800,
    ) {
        let headers: Vec<(String, Vec<u8>)> =
            headers.into_iter().map(|(n, v)| (n, v.into_bytes())).collect();
        let Some(request) =
            build_request(method, "sts.us-east-1.amazonaws.com", &path, &query, &headers, body)
        else {
            return Ok(());
        };
        let mut credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        if let Some(token) = token {
            credentials = credentials.with_session_token(token);
        }
        let time = UNIX_EPOCH + Duration::from_secs(seconds);
        let params = SigningParams::new(&credentials, "us-east-1", "sts", time).with_settings(settings);

        let mut first = request.clone();
        let mut second = request.clone();
        sigv4::sign(&mut first, &params).unwrap();
        sigv4::sign(&mut second, &params).unwrap();
        prop_assert_eq!(first.headers(), second.headers());

        // Re-signing a signed request changes nothing.
        let mut again = first.clone();
        sigv4::sign(&mut again, &params).unwrap();
        prop_assert_eq!(again.headers(), first.headers());

        // sign() == canonical_request -> string_to_sign -> signing_key -> signature.
        let creq = sigv4::canonical_request(&first, &settings).unwrap();
        let sts = sigv4::string_to_sign(&creq, time, "us-east-1", "sts").unwrap();
        let date = sigv4::amz_date(time).unwrap();
        let key = sigv4::signing_key(&credentials.secret_access_key, &date[..8], "us-east-1", "sts");
        let signature = sigv4::signature(&key, &sts);
        let authorization = first.headers()["authorization"].to_str().unwrap();
        prop_assert!(authorization.ends_with(&format!("Signature={signature}")), "{}", authorization);
        prop_assert_eq!(first.headers()["x-amz-date"].to_str().unwrap(), date.as_str());
    }

    #[test]
    fn arbitrary_requests_never_panic(
        method in method_strategy(),
        authority in prop_oneof![
            Just("example.amazonaws.com".to_owned()),
            Just("127.0.0.1:9000".to_owned()),
            Just("[::1]:443".to_owned()),
            "[a-z0-9.:@-]{0,20}",
        ],
        path in URI_CHARS,
        query in URI_CHARS,
        headers in headers_strategy(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        access_key_id in prop_oneof![4 => Just("AKIDEXAMPLE".to_owned()), 1 => "\\PC{0,12}"],
        secret in "\\PC{0,80}",
        token in proptest::option::of(prop_oneof![3 => "[A-Za-z0-9/+=]{1,40}", 1 => ".{0,40}"]),
        region in prop_oneof![4 => Just("us-east-1".to_owned()), 1 => "\\PC{0,12}"],
        signing_name in prop_oneof![4 => Just("sso-oauth".to_owned()), 1 => "\\PC{0,12}"],
        settings in settings_strategy(),
        time in time_strategy(),
    ) {
        let Some(request) = build_request(method, &authority, &path, &query, &headers, body) else {
            return Ok(());
        };
        let mut credentials = Credentials::new(access_key_id, secret);
        if let Some(token) = token {
            credentials = credentials.with_session_token(token);
        }
        let params = SigningParams::new(&credentials, &region, &signing_name, time)
            .with_settings(settings);
        let mut signed = request.clone();
        match sigv4::sign(&mut signed, &params) {
            Ok(()) => prop_assert!(signed.headers().contains_key("authorization")),
            // A failed signing leaves the request as it was.
            Err(_) => prop_assert_eq!(signed.headers(), request.headers()),
        }
        let _ = sigv4::canonical_request(&request, &settings);
    }

    #[test]
    fn step_functions_never_panic(
        text in "\\PC{0,80}",
        bytes in prop::collection::vec(any::<u8>(), 0..80),
        region in "\\PC{0,12}",
        signing_name in "\\PC{0,12}",
        date in "\\PC{0,12}",
        secret in "\\PC{0,80}",
        settings in settings_strategy(),
        time in time_strategy(),
    ) {
        let _ = sigv4::canonical_uri(&text, &settings);
        let _ = sigv4::canonical_query(&text);
        let _ = sigv4::payload_hash(&bytes);
        let _ = sigv4::amz_date(time);
        let _ = sigv4::string_to_sign(&text, time, &region, &signing_name);
        let key = sigv4::signing_key(&secret.as_str().into(), &date, &region, &signing_name);
        let signature = sigv4::signature(&key, &text);
        prop_assert_eq!(signature.len(), 64);
        // Canonical URIs only hold unreserved characters, `/` and `%XX`.
        let uri = sigv4::canonical_uri(&text, &settings);
        prop_assert!(uri.starts_with('/'));
        prop_assert!(uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)), "{}", uri);
        let query = sigv4::canonical_query(&text);
        prop_assert!(query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%=&".contains(&b)), "{}", query);
    }
}
