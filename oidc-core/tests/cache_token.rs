//! Tests of the SSO token cache model through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::cache::{token_cache_file_name, CacheFormatError, CachedToken};
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use proptest::prelude::*;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// 2024-01-01T08:00:00Z
const T: u64 = 1_704_096_000;
/// 2024-03-31T00:00:00Z
const REG: u64 = 1_711_843_200;

const CLI_EXAMPLE: &str = r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoal-EXAMPLEACCESSTOKEN", "expiresAt": "2024-01-01T08:00:00Z", "clientId": "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID", "clientSecret": "VERYLONGSECRETSTRINGEXAMPLE", "registrationExpiresAt": "2024-03-31T00:00:00Z", "refreshToken": "Atrt|EXAMPLEREFRESHTOKEN"}"#;

#[test]
fn file_names_worked_examples() {
    let cases = [
        ("my-sso", "0ad374308c5a4e22f723adf10145eafad7c4031c.json"),
        ("dev", "34c6fceca75e456f25e7e99531e2425c6c1de443.json"),
        (
            "https://my-sso-portal.awsapps.com/start",
            "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json",
        ),
        (
            "https://d-abc123.awsapps.com/start",
            "40a89917e3175433e361b710a9d43528d7f1890a.json",
        ),
        // aws-sdk-rust's own pins.
        ("admin", "d033e22ae348aeb5660fc2140aec35850c4da997.json"),
        (
            "https://d-92671207e4.awsapps.com/start",
            "13f9d35043871d073ab260e020f0ffde092cb14b.json",
        ),
    ];
    for (key, name) in cases {
        assert_eq!(token_cache_file_name(key), name, "{key}");
    }
    // No normalisation: a trailing slash changes the name.
    assert_ne!(
        token_cache_file_name("https://my-sso-portal.awsapps.com/start/"),
        token_cache_file_name("https://my-sso-portal.awsapps.com/start")
    );
}

#[test]
fn cli_example_reads_and_round_trips_byte_for_byte() {
    let token = CachedToken::from_json(CLI_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(
        token.start_url.as_deref(),
        Some("https://my-sso-portal.awsapps.com/start")
    );
    assert_eq!(token.region.as_deref(), Some("us-east-1"));
    assert_eq!(token.access_token.secret(), "aoal-EXAMPLEACCESSTOKEN");
    assert_eq!(token.expires_at, at(T));
    assert_eq!(
        token.client_id.as_deref(),
        Some("_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID")
    );
    assert_eq!(
        token.client_secret.as_ref().map(ClientSecret::secret),
        Some("VERYLONGSECRETSTRINGEXAMPLE")
    );
    assert_eq!(token.registration_expires_at, Some(at(REG)));
    assert_eq!(
        token.refresh_token.as_ref().map(RefreshToken::secret),
        Some("Atrt|EXAMPLEREFRESHTOKEN")
    );
    assert_eq!(token.to_json(), CLI_EXAMPLE.as_bytes());
}

#[test]
fn built_token_writes_cli_example() {
    let token = CachedToken::new(AccessToken::new("aoal-EXAMPLEACCESSTOKEN"), at(T))
        .with_refresh_token(RefreshToken::new("Atrt|EXAMPLEREFRESHTOKEN"))
        .with_registration_expires_at(at(REG))
        .with_client_secret(ClientSecret::new("VERYLONGSECRETSTRINGEXAMPLE"))
        .with_client_id("_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID")
        .with_region("us-east-1")
        .with_start_url("https://my-sso-portal.awsapps.com/start");
    assert_eq!(String::from_utf8(token.to_json()).unwrap(), CLI_EXAMPLE);
}

#[test]
fn minimal_file() {
    let json = br#"{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z"}"#;
    let token = CachedToken::from_json(json).unwrap();
    assert_eq!(token.access_token.secret(), "x");
    assert_eq!(token.expires_at, at(T));
    assert!(token.start_url.is_none() && token.region.is_none());
    assert!(token.client_id.is_none() && token.client_secret.is_none());
    assert!(token.registration_expires_at.is_none() && token.refresh_token.is_none());
    assert_eq!(token.to_json(), json);
}

#[test]
fn aws_sdk_rust_layout_is_read() {
    let json = br#"{"accessToken":"a","expiresAt":"2024-01-01T08:00:00.123456Z","refreshToken":"r","clientId":"c","clientSecret":"s","registrationExpiresAt":"2024-03-31T00:00:00Z","region":"us-east-1","startUrl":"https://x"}"#;
    let token = CachedToken::from_json(json).unwrap();
    assert_eq!(token.expires_at, at(T) + Duration::from_micros(123_456));
    // Written back in CLI layout, sub-seconds truncated.
    assert_eq!(
        String::from_utf8(token.to_json()).unwrap(),
        r#"{"startUrl": "https://x", "region": "us-east-1", "accessToken": "a", "expiresAt": "2024-01-01T08:00:00Z", "clientId": "c", "clientSecret": "s", "registrationExpiresAt": "2024-03-31T00:00:00Z", "refreshToken": "r"}"#
    );
}

#[test]
fn every_timestamp_form() {
    let forms: &[(&str, SystemTime)] = &[
        ("2024-01-01T08:00:00Z", at(T)),
        ("2024-01-01T08:00:00.1Z", at(T) + Duration::from_millis(100)),
        (
            "2024-01-01T08:00:00.123Z",
            at(T) + Duration::from_millis(123),
        ),
        (
            "2024-01-01T08:00:00.123456Z",
            at(T) + Duration::from_micros(123_456),
        ),
        (
            "2024-01-01T08:00:00.123456789Z",
            at(T) + Duration::from_nanos(123_456_789),
        ),
        (
            "2024-01-01T08:00:00.12345678912345Z",
            at(T) + Duration::from_nanos(123_456_789),
        ),
        ("2024-01-01T08:00:00+00:00", at(T)),
        ("2024-01-01T03:00:00-05:00", at(T)),
        ("2024-01-01T09:00:00+01:00", at(T)),
        (
            "2024-01-01T03:00:00.5-05:00",
            at(T) + Duration::from_millis(500),
        ),
        ("2024-01-01 08:00:00Z", at(T)),
        ("2024-01-01 08:00:00+00:00", at(T)),
        ("2024-01-01T08:00:00UTC", at(T)),
        ("2019-11-14T04:05:45UTC", at(1_573_704_345)),
    ];
    for (form, expected) in forms {
        let json = format!(
            r#"{{"accessToken": "x", "expiresAt": "{form}", "registrationExpiresAt": "{form}"}}"#
        );
        let token = CachedToken::from_json(json.as_bytes()).unwrap();
        assert_eq!(token.expires_at, *expected, "{form}");
        assert_eq!(token.registration_expires_at, Some(*expected), "{form}");
        // Always written in the canonical form.
        let written = String::from_utf8(token.to_json()).unwrap();
        let canonical = if *form == "2019-11-14T04:05:45UTC" {
            "2019-11-14T04:05:45Z"
        } else {
            "2024-01-01T08:00:00Z"
        };
        assert!(
            written.contains(&format!(r#""expiresAt": "{canonical}""#)),
            "{written}"
        );
    }
}

#[test]
fn keys_case_insensitive_and_unknown_ignored() {
    let json = br#"{"STARTURL": "s", "Region": "r", "accesstoken": "a", "EXPIRESAT": "2024-01-01T08:00:00Z", "clientid": "c", "ClientSecret": "cs", "registrationexpiresat": "2024-03-31T00:00:00Z", "REFRESHTOKEN": "rt", "unknown": {"nested": [1, null, true]}, "other": 1.5}"#;
    let token = CachedToken::from_json(json).unwrap();
    assert_eq!(token.start_url.as_deref(), Some("s"));
    assert_eq!(token.region.as_deref(), Some("r"));
    assert_eq!(token.access_token.secret(), "a");
    assert_eq!(token.client_id.as_deref(), Some("c"));
    assert_eq!(token.client_secret.as_ref().unwrap().secret(), "cs");
    assert_eq!(token.registration_expires_at, Some(at(REG)));
    assert_eq!(token.refresh_token.as_ref().unwrap().secret(), "rt");
}

#[test]
fn non_string_optional_values_are_ignored() {
    let json = br#"{"startUrl": 1, "region": null, "accessToken": "a", "expiresAt": "2024-01-01T08:00:00Z", "clientId": [], "clientSecret": {}, "registrationExpiresAt": 1711843200, "refreshToken": false}"#;
    let token = CachedToken::from_json(json).unwrap();
    assert!(token.start_url.is_none());
    assert!(token.region.is_none());
    assert!(token.client_id.is_none());
    assert!(token.client_secret.is_none());
    assert!(token.registration_expires_at.is_none());
    assert!(token.refresh_token.is_none());
}

#[test]
fn non_ascii_values_round_trip_with_python_escaping() {
    let token = CachedToken::new(AccessToken::new("tök\"en\\😀\n"), at(T))
        .with_start_url("https://exämple.com/start");
    let written = String::from_utf8(token.to_json()).unwrap();
    assert_eq!(
        written,
        r#"{"startUrl": "https://ex\u00e4mple.com/start", "accessToken": "t\u00f6k\"en\\\ud83d\ude00\n", "expiresAt": "2024-01-01T08:00:00Z"}"#
    );
    let back = CachedToken::from_json(written.as_bytes()).unwrap();
    assert_eq!(back.access_token.secret(), "tök\"en\\😀\n");
    assert_eq!(back.start_url.as_deref(), Some("https://exämple.com/start"));
}

#[test]
fn missing_and_invalid_required_members() {
    let cases: &[(&str, CacheFormatError)] = &[
        (
            r#"{"expiresAt": "2024-01-01T08:00:00Z"}"#,
            CacheFormatError::MissingKey { key: "accessToken" },
        ),
        (
            r#"{"accessToken": "x"}"#,
            CacheFormatError::MissingKey { key: "expiresAt" },
        ),
        (r#"{}"#, CacheFormatError::MissingKey { key: "accessToken" }),
        (
            r#"{"accessToken": 5, "expiresAt": "2024-01-01T08:00:00Z"}"#,
            CacheFormatError::NotAString { key: "accessToken" },
        ),
        (
            r#"{"accessToken": null, "expiresAt": "2024-01-01T08:00:00Z"}"#,
            CacheFormatError::NotAString { key: "accessToken" },
        ),
        (
            r#"{"accessToken": "x", "expiresAt": 1704096000}"#,
            CacheFormatError::NotAString { key: "expiresAt" },
        ),
        (
            r#"{"accessToken": "x", "expiresAt": "tomorrow"}"#,
            CacheFormatError::InvalidTimestamp { key: "expiresAt" },
        ),
        (
            r#"{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00"}"#,
            CacheFormatError::InvalidTimestamp { key: "expiresAt" },
        ),
        (
            r#"{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z", "registrationExpiresAt": "soon"}"#,
            CacheFormatError::InvalidTimestamp {
                key: "registrationExpiresAt",
            },
        ),
        (r#"[]"#, CacheFormatError::NotAnObject),
        (r#"null"#, CacheFormatError::NotAnObject),
        (r#""text""#, CacheFormatError::NotAnObject),
    ];
    for (json, expected) in cases {
        assert_eq!(
            CachedToken::from_json(json.as_bytes()).unwrap_err(),
            *expected,
            "{json}"
        );
    }
    assert_eq!(
        CacheFormatError::MissingKey { key: "accessToken" }.to_string(),
        "cache file is missing the required key `accessToken`"
    );
    assert_eq!(
        CacheFormatError::NotAString { key: "expiresAt" }.to_string(),
        "cache file key `expiresAt` is not a string"
    );
    assert_eq!(
        CacheFormatError::InvalidTimestamp { key: "expiresAt" }.to_string(),
        "cache file key `expiresAt` is not a valid RFC 3339 timestamp"
    );
}

#[test]
fn invalid_json_reports_position() {
    let err = CachedToken::from_json(b"{\n  \"accessToken\": \"x\",\n  oops\n}").unwrap_err();
    assert_eq!(err, CacheFormatError::InvalidJson { line: 3, column: 3 });
    assert_eq!(
        err.to_string(),
        "cache file is not valid JSON (error at line 3, column 3)"
    );
    assert!(matches!(
        CachedToken::from_json(b"").unwrap_err(),
        CacheFormatError::InvalidJson { .. }
    ));
}

#[test]
fn errors_never_contain_planted_secrets() {
    const SECRET: &str = "PLANTED-SECRET-4f1d";
    let files = [
        // Secret next to an invalid required member.
        format!(r#"{{"accessToken": "{SECRET}", "expiresAt": "never"}}"#),
        format!(r#"{{"accessToken": "{SECRET}"}}"#),
        format!(r#"{{"refreshToken": "{SECRET}", "expiresAt": "2024-01-01T08:00:00Z"}}"#),
        // Secret as the invalid value itself.
        format!(r#"{{"accessToken": "x", "expiresAt": "{SECRET}"}}"#),
        format!(
            r#"{{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z", "registrationExpiresAt": "{SECRET}"}}"#
        ),
        format!(r#"{{"accessToken": ["{SECRET}"], "expiresAt": "2024-01-01T08:00:00Z"}}"#),
        // Syntax errors around the secret.
        format!(r#"{{"accessToken": "{SECRET}"#),
        format!(r#"{{"accessToken": "{SECRET}" "expiresAt": 1}}"#),
        format!(r#"{{"accessToken": {SECRET}}}"#),
        format!(r#"["{SECRET}"]"#),
        format!(r#""{SECRET}""#),
        format!(r#"{{"{SECRET}": 1}} {SECRET}"#),
    ];
    for file in &files {
        let err = CachedToken::from_json(file.as_bytes()).unwrap_err();
        let shown = format!("{err} | {err:?} | {err:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
}

#[test]
fn debug_of_token_hides_secrets() {
    let token = CachedToken::from_json(CLI_EXAMPLE.as_bytes()).unwrap();
    let debug = format!("{token:?}");
    assert!(!debug.contains("aoal-EXAMPLEACCESSTOKEN"));
    assert!(!debug.contains("VERYLONGSECRETSTRINGEXAMPLE"));
    assert!(!debug.contains("Atrt|EXAMPLEREFRESHTOKEN"));
    assert!(debug.contains("AccessToken([redacted])"));
}

#[test]
fn expiry_and_remaining() {
    let token = CachedToken::new(AccessToken::new("x"), at(T));
    assert!(!token.is_expired(at(T - 1)));
    assert!(token.is_expired(at(T)));
    assert!(token.is_expired(at(T + 1)));
    assert_eq!(token.remaining(at(T - 90)), Some(Duration::from_secs(90)));
    assert_eq!(
        token.remaining(at(T) - Duration::from_nanos(1)),
        Some(Duration::from_nanos(1))
    );
    assert_eq!(token.remaining(at(T)), None);
    assert_eq!(token.remaining(at(T + 1)), None);
}

#[test]
fn refreshed_keeps_everything_else() {
    let old = CachedToken::from_json(CLI_EXAMPLE.as_bytes()).unwrap();
    let now = at(T) + Duration::from_millis(250);

    let new = old.refreshed(AccessToken::new("new-at"), 28_800, None, now);
    assert_eq!(new.access_token.secret(), "new-at");
    assert_eq!(new.expires_at, now + Duration::from_secs(28_800));
    assert_eq!(
        new.refresh_token.as_ref().unwrap().secret(),
        "Atrt|EXAMPLEREFRESHTOKEN"
    );
    assert_eq!(new.start_url, old.start_url);
    assert_eq!(new.region, old.region);
    assert_eq!(new.client_id, old.client_id);
    assert_eq!(
        new.client_secret.as_ref().unwrap().secret(),
        "VERYLONGSECRETSTRINGEXAMPLE"
    );
    assert_eq!(new.registration_expires_at, old.registration_expires_at);
    // Sub-seconds of `now` are truncated when written.
    assert_eq!(
        String::from_utf8(new.to_json()).unwrap(),
        CLI_EXAMPLE
            .replace("aoal-EXAMPLEACCESSTOKEN", "new-at")
            .replace("2024-01-01T08:00:00Z", "2024-01-01T16:00:00Z")
    );
    // The old value is unchanged.
    assert_eq!(old.access_token.secret(), "aoal-EXAMPLEACCESSTOKEN");

    let new = old.refreshed(
        AccessToken::new("a2"),
        60,
        Some(RefreshToken::new("rt2")),
        now,
    );
    assert_eq!(new.refresh_token.as_ref().unwrap().secret(), "rt2");

    // Negative lifetimes count as zero; unrepresentable ones as expired now.
    let new = old.refreshed(AccessToken::new("a3"), -5, None, now);
    assert_eq!(new.expires_at, now);
    let new = old.refreshed(AccessToken::new("a4"), i64::MAX, None, now);
    assert!(new.expires_at == now || new.expires_at > now + Duration::from_secs(1 << 40));
}

fn opt_string() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

/// Seconds between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
fn instant() -> impl Strategy<Value = SystemTime> {
    (
        -62_167_219_200i64..=253_402_300_799i64,
        0u32..1_000_000_000u32,
    )
        .prop_map(|(s, n)| {
            let base = if s >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
            } else {
                SystemTime::UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
            };
            base + Duration::from_nanos(u64::from(n))
        })
}

fn truncate(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(e) => {
            let d = e.duration();
            let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            SystemTime::UNIX_EPOCH - Duration::from_secs(whole)
        }
    }
}

proptest! {
    #[test]
    fn round_trip(
        start_url in opt_string(),
        region in opt_string(),
        access_token in any::<String>(),
        expires_at in instant(),
        client_id in opt_string(),
        client_secret in opt_string(),
        registration_expires_at in proptest::option::of(instant()),
        refresh_token in opt_string(),
    ) {
        let mut token = CachedToken::new(AccessToken::new(access_token.clone()), expires_at);
        token.start_url = start_url.clone();
        token.region = region.clone();
        token.client_id = client_id.clone();
        token.client_secret = client_secret.clone().map(ClientSecret::new);
        token.registration_expires_at = registration_expires_at;
        token.refresh_token = refresh_token.clone().map(RefreshToken::new);

        let bytes = token.to_json();
        prop_assert!(bytes.is_ascii());
        let back = CachedToken::from_json(&bytes).unwrap();
        prop_assert_eq!(back.start_url, start_url);
        prop_assert_eq!(back.region, region);
        prop_assert_eq!(back.access_token.secret(), access_token.as_str());
        prop_assert_eq!(back.expires_at, truncate(expires_at));
        prop_assert_eq!(back.client_id, client_id);
        prop_assert_eq!(back.client_secret.map(ClientSecret::into_secret), client_secret);
        prop_assert_eq!(back.registration_expires_at, registration_expires_at.map(truncate));
        prop_assert_eq!(back.refresh_token.map(RefreshToken::into_secret), refresh_token);
        // Writing again is stable.
        let again = CachedToken::from_json(&bytes).unwrap().to_json();
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = CachedToken::from_json(&bytes);
    }

    #[test]
    fn arbitrary_timestamps_never_panic(text in "[0-9T:.Z+\\- UTC]{0,40}") {
        let json = format!(r#"{{"accessToken": "x", "expiresAt": "{text}"}}"#);
        let _ = CachedToken::from_json(json.as_bytes());
    }

    #[test]
    fn arbitrary_strings_as_timestamps_never_panic(text in any::<String>()) {
        let json = serde_json::json!({"accessToken": "x", "expiresAt": text, "registrationExpiresAt": text});
        let _ = CachedToken::from_json(json.to_string().as_bytes());
    }
}
