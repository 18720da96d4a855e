//! Tests of the registration cache model through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::cache::{
    registration_cache_file_name, CacheFormatError, CachedRegistration, RegistrationUse,
    REGISTRATION_REUSE_WINDOW,
};
use oidc_core::secret::ClientSecret;
use proptest::prelude::*;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// 2024-03-31T00:00:00Z
const REG: u64 = 1_711_843_200;
const START: &str = "https://my-sso-portal.awsapps.com/start";

const CLI_EXAMPLE: &str = r#"{"clientId": "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID", "clientSecret": "VERYLONGSECRETSTRINGEXAMPLE", "expiresAt": "2024-03-31T00:00:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#;

#[test]
fn file_names_worked_examples() {
    let scopes = vec!["sso:account:access".to_owned()];
    assert_eq!(
        registration_cache_file_name(START, "us-east-1", Some(&scopes), Some("my-sso")),
        "c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json"
    );
    assert_eq!(
        registration_cache_file_name(START, "us-east-1", None, Some("my-sso")),
        "5d2ad48f7ce068c072924f44a42fb81ca0fd6b99.json"
    );
    assert_eq!(
        registration_cache_file_name(START, "us-east-1", None, None),
        "0e093f10f65cee6c5c1898a8e240f5726875bf08.json"
    );
    // Empty list differs from null.
    assert_ne!(
        registration_cache_file_name(START, "us-east-1", Some(&[]), None),
        registration_cache_file_name(START, "us-east-1", None, None)
    );
}

#[test]
fn cli_example_round_trips_byte_for_byte() {
    let registration = CachedRegistration::from_json(CLI_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(registration.client_id, "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID");
    assert_eq!(
        registration.client_secret.secret(),
        "VERYLONGSECRETSTRINGEXAMPLE"
    );
    assert_eq!(registration.expires_at, at(REG));
    assert_eq!(
        registration.scopes,
        Some(vec!["sso:account:access".to_owned()])
    );
    assert_eq!(
        registration.grant_types,
        Some(vec![
            "authorization_code".to_owned(),
            "refresh_token".to_owned()
        ])
    );
    assert_eq!(registration.to_json(), CLI_EXAMPLE.as_bytes());

    let built = CachedRegistration::new(
        "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID",
        ClientSecret::new("VERYLONGSECRETSTRINGEXAMPLE"),
        at(REG),
    )
    .with_scopes(vec!["sso:account:access".to_owned()])
    .with_grant_types(vec![
        "authorization_code".to_owned(),
        "refresh_token".to_owned(),
    ]);
    assert_eq!(String::from_utf8(built.to_json()).unwrap(), CLI_EXAMPLE);
}

#[test]
fn device_flow_registration_layout() {
    let registration = CachedRegistration::new("id", ClientSecret::new("s"), at(REG));
    assert_eq!(
        String::from_utf8(registration.to_json()).unwrap(),
        r#"{"clientId": "id", "clientSecret": "s", "expiresAt": "2024-03-31T00:00:00Z"}"#
    );
    let back = CachedRegistration::from_json(&registration.to_json()).unwrap();
    assert!(back.scopes.is_none() && back.grant_types.is_none());
}

#[test]
fn lenient_reading() {
    let json = br#"{"CLIENTID": "id", "clientsecret": "s", "ExpiresAt": "2024-03-30T19:00:00-05:00", "scopes": "sso:account:access", "grantTypes": ["authorization_code", 1], "x": 1}"#;
    let registration = CachedRegistration::from_json(json).unwrap();
    assert_eq!(registration.client_id, "id");
    assert_eq!(registration.expires_at, at(REG));
    assert!(registration.scopes.is_none());
    assert!(registration.grant_types.is_none());
}

#[test]
fn missing_and_invalid_members() {
    let cases: &[(&str, CacheFormatError)] = &[
        (
            r#"{"clientSecret": "s", "expiresAt": "2024-03-31T00:00:00Z"}"#,
            CacheFormatError::MissingKey { key: "clientId" },
        ),
        (
            r#"{"clientId": "id", "expiresAt": "2024-03-31T00:00:00Z"}"#,
            CacheFormatError::MissingKey {
                key: "clientSecret",
            },
        ),
        (
            r#"{"clientId": "id", "clientSecret": "s"}"#,
            CacheFormatError::MissingKey { key: "expiresAt" },
        ),
        (
            r#"{"clientId": 1, "clientSecret": "s", "expiresAt": "2024-03-31T00:00:00Z"}"#,
            CacheFormatError::NotAString { key: "clientId" },
        ),
        (
            r#"{"clientId": "id", "clientSecret": "s", "expiresAt": "later"}"#,
            CacheFormatError::InvalidTimestamp { key: "expiresAt" },
        ),
        (r#"[]"#, CacheFormatError::NotAnObject),
    ];
    for (json, expected) in cases {
        assert_eq!(
            CachedRegistration::from_json(json.as_bytes()).unwrap_err(),
            *expected,
            "{json}"
        );
    }
}

#[test]
fn errors_and_debug_hide_the_secret() {
    const SECRET: &str = "PLANTED-CLIENT-SECRET";
    for json in [
        format!(r#"{{"clientId": "id", "clientSecret": "{SECRET}"}}"#),
        format!(r#"{{"clientId": "id", "clientSecret": "s", "expiresAt": "{SECRET}"}}"#),
        format!(r#"{{"clientId": "id", "clientSecret": "{SECRET}"#),
    ] {
        let err = CachedRegistration::from_json(json.as_bytes()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(SECRET));
    }
    let registration = CachedRegistration::new("id", ClientSecret::new(SECRET), at(REG));
    assert!(!format!("{registration:?}").contains(SECRET));
}

fn with_grants(expires_at: SystemTime, grants: Option<&[&str]>) -> CachedRegistration {
    let registration = CachedRegistration::new("id", ClientSecret::new("s"), expires_at);
    match grants {
        Some(g) => registration.with_grant_types(g.iter().map(|s| (*s).to_owned()).collect()),
        None => registration,
    }
}

#[test]
fn usable_for_window_boundaries() {
    assert_eq!(REGISTRATION_REUSE_WINDOW, Duration::from_secs(900));
    let now = at(REG - 900);
    let pkce = with_grants(at(REG), Some(&["authorization_code", "refresh_token"]));
    let device = with_grants(at(REG), None);

    // Exactly 15 min left: still reused (the CLI treats < 900 s as expired).
    assert!(pkce.usable_for(RegistrationUse::AuthorizationCode, now));
    assert!(device.usable_for(RegistrationUse::DeviceCode, now));
    // One nanosecond less: re-register.
    let later = now + Duration::from_nanos(1);
    assert!(!pkce.usable_for(RegistrationUse::AuthorizationCode, later));
    assert!(!device.usable_for(RegistrationUse::DeviceCode, later));
    // Already expired.
    assert!(!device.usable_for(RegistrationUse::DeviceCode, at(REG + 1)));
    // Far from expiry.
    assert!(device.usable_for(RegistrationUse::DeviceCode, at(0)));
}

#[test]
fn usable_for_grant_types() {
    let now = at(REG - 86_400);
    let cases: &[(Option<&[&str]>, bool, bool)] = &[
        // (grantTypes, usable for auth code, usable for device code)
        (None, false, true),
        (Some(&[]), false, true),
        (Some(&["refresh_token"]), false, true),
        (
            Some(&[
                "urn:ietf:params:oauth:grant-type:device_code",
                "refresh_token",
            ]),
            false,
            true,
        ),
        (Some(&["authorization_code"]), true, false),
        (Some(&["refresh_token", "authorization_code"]), true, false),
        (Some(&["AUTHORIZATION_CODE"]), false, true),
    ];
    for (grants, auth_code, device) in cases {
        let registration = with_grants(at(REG), *grants);
        assert_eq!(
            registration.usable_for(RegistrationUse::AuthorizationCode, now),
            *auth_code,
            "{grants:?}"
        );
        assert_eq!(
            registration.usable_for(RegistrationUse::DeviceCode, now),
            *device,
            "{grants:?}"
        );
        assert_eq!(registration.supports_authorization_code(), *auth_code);
    }
}

proptest! {
    #[test]
    fn round_trip(
        client_id in any::<String>(),
        secret in any::<String>(),
        secs in 0u64..253_402_300_799,
        nanos in 0u32..1_000_000_000,
        scopes in proptest::option::of(proptest::collection::vec(any::<String>(), 0..4)),
        grants in proptest::option::of(proptest::collection::vec(any::<String>(), 0..4)),
    ) {
        let mut registration = CachedRegistration::new(
            client_id.clone(),
            ClientSecret::new(secret.clone()),
            at(secs) + Duration::from_nanos(u64::from(nanos)),
        );
        registration.scopes = scopes.clone();
        registration.grant_types = grants.clone();
        let bytes = registration.to_json();
        prop_assert!(bytes.is_ascii());
        let back = CachedRegistration::from_json(&bytes).unwrap();
        prop_assert_eq!(back.client_id, client_id);
        prop_assert_eq!(back.client_secret.secret(), secret.as_str());
        prop_assert_eq!(back.expires_at, at(secs));
        prop_assert_eq!(back.scopes, scopes);
        prop_assert_eq!(back.grant_types, grants);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = CachedRegistration::from_json(&bytes);
    }

    #[test]
    fn file_name_shape(
        start_url in any::<String>(),
        region in any::<String>(),
        scopes in proptest::option::of(proptest::collection::vec(any::<String>(), 0..3)),
        session in proptest::option::of(any::<String>()),
    ) {
        let name = registration_cache_file_name(&start_url, &region, scopes.as_deref(), session.as_deref());
        prop_assert_eq!(name.len(), 45);
        prop_assert!(name.ends_with(".json"));
        prop_assert!(name[..40].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
