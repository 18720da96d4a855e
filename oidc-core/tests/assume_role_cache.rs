//! The assume-role cache key and entry against botocore.
//!
//! Every expected key was computed by botocore's own code (Python 3.11,
//! botocore's `AssumeRoleCredentialFetcher(..., extra_args=...)._cache_key`
//! and `AssumeRoleWithWebIdentityCredentialFetcher`); see the comment on
//! each vector for the `extra_args`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::cache::assume_role::{
    assume_role_cache_entry, assume_role_cache_key, web_identity_cache_key, AssumeRoleCacheArgs,
    AssumeRoleCacheError,
};
use oidc_core::cache::credentials::{
    credentials_decision, CachedCredentials, CredentialsDecision, CredentialsRefreshPolicy,
};
use oidc_core::Credentials;

const READ_ONLY: &str = "arn:aws:iam::123456789012:role/ReadOnly";
const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";

#[test]
fn botocore_vectors() {
    let cases: Vec<(AssumeRoleCacheArgs<'_>, &str)> = vec![
        // {} (generated session name)
        (
            AssumeRoleCacheArgs::new(READ_ONLY),
            "c8fb4bcadc24facf2a30a2a47b249a7faf45a44a",
        ),
        // {"RoleSessionName": "my-session"}
        (
            AssumeRoleCacheArgs::new(READ_ONLY).with_role_session_name("my-session"),
            "119d2dd44cb8904e34a50b8cb7cb17c786c3fc51",
        ),
        // {"RoleSessionName": ""}: botocore generates a name, same key as {}
        (
            AssumeRoleCacheArgs::new(READ_ONLY).with_role_session_name(""),
            "c8fb4bcadc24facf2a30a2a47b249a7faf45a44a",
        ),
        // {"RoleSessionName": "s", "ExternalId": "ext-é中😀\"\\\n"}
        (
            AssumeRoleCacheArgs::new(ADMIN)
                .with_role_session_name("s")
                .with_external_id("ext-\u{e9}\u{4e2d}\u{1F600}\"\\\n"),
            "d1ebbc1d5fc93006114fa00e3545114074b3747c",
        ),
        // {"SerialNumber": "arn:aws:iam::123456789012:mfa/alice", "DurationSeconds": 43200}
        (
            AssumeRoleCacheArgs::new(ADMIN)
                .with_serial_number("arn:aws:iam::123456789012:mfa/alice")
                .with_duration_seconds(43200),
            "59e4606cad512b38398a63e74e2094da255b0e71",
        ),
        // Everything, with a nested policy whose keys are unsorted.
        (
            AssumeRoleCacheArgs::new(ADMIN)
                .with_role_session_name("s")
                .with_duration_seconds(900)
                .with_external_id("x")
                .with_serial_number("GAHT12345678")
                .with_policy(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*","Condition":{"StringEquals":{"b":"1","a":"é"}}}]}"#,
                ),
            "20a2312405627a0127f476ec675436688d75edb7",
        ),
        // Numbers in Python's forms, literals, empty containers.
        (
            AssumeRoleCacheArgs::new(ADMIN).with_policy(
                r#"{"z": [1, -2, 1.5, 1e100, 1E-7, 0.0001, 123456789012345678, -0.0, 1e16, 1e15, true, false, null], "a": {"y": {}, "x": []}}"#,
            ),
            "b5c70a0bbfb3cf639c5678bc179815a573af4599",
        ),
        // {"RoleSessionName": "name@example.com", "DurationSeconds": -1}, a path in the ARN
        (
            AssumeRoleCacheArgs::new("arn:aws-cn:iam::123456789012:role/path/to/role")
                .with_role_session_name("name@example.com")
                .with_duration_seconds(-1),
            "149b4582776ea4f6feed16716e2036b98a6b5841",
        ),
        // A policy with escapes (incl. a surrogate pair) and surrounding white space.
        (
            AssumeRoleCacheArgs::new("arn:aws:iam::123456789012:role/R")
                .with_policy(r#"  {"Statement": "\u00e9\ud83d\ude00"}  "#),
            "bf3b0e6de8138da3ede5de46e54f70107b82e2f4",
        ),
    ];
    for (args, expected) in &cases {
        assert_eq!(assume_role_cache_key(args).unwrap(), *expected, "{args:?}");
    }
}

#[test]
fn web_identity_vectors() {
    // AssumeRoleWithWebIdentityCredentialFetcher: the same key as
    // AssumeRoleCredentialFetcher with the same arguments.
    let role = "arn:aws:iam::123456789012:role/web";
    for (name, expected) in [
        (None, "995ef64306d209e21474b69558c0b71b44774efb"),
        (
            Some("web-session"),
            "8a55085d77e548d8e0fa1008bbe3f1eca21371ca",
        ),
        (Some(""), "995ef64306d209e21474b69558c0b71b44774efb"),
    ] {
        assert_eq!(web_identity_cache_key(role, name), expected);
        let mut args = AssumeRoleCacheArgs::new(role);
        args.role_session_name = name;
        assert_eq!(assume_role_cache_key(&args).unwrap(), expected);
    }
}

#[test]
fn invalid_policy_is_typed_and_quiet() {
    for policy in ["{", "", "{\"a\": planted-secret}", "NaN", "[1] 2"] {
        let err = assume_role_cache_key(&AssumeRoleCacheArgs::new(ADMIN).with_policy(policy))
            .unwrap_err();
        assert!(
            matches!(err, AssumeRoleCacheError::InvalidPolicy { .. }),
            "{policy:?}"
        );
        assert!(!err.to_string().contains("planted"));
        assert!(!format!("{err:?}").contains("planted"));
    }
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// Written by `assume_role_cache_entry` below and loaded by botocore:
/// `JSONFileCache(dir)[key]` returns it, `json.loads` parses it, and
/// `AssumeRoleCredentialFetcher(..., cache=JSONFileCache(dir))` takes it as a
/// hit (`_load_from_cache()` is not None, `_is_expired` false before
/// 2024-05-14T17:33:09Z) and hands out these credentials with
/// `account_id` `123456789012`.
const ENTRY: &str = r#"{"Credentials": {"AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-05-14T17:48:09UTC", "AccountId": "123456789012"}, "AssumedRoleUser": {"AssumedRoleId": "AROA3XFRBF535PLBIFPI4:s\u00e9", "Arn": "arn:aws:sts::123456789012:assumed-role/ReadOnly/s\u00e9"}}"#;

fn credentials() -> Credentials {
    Credentials::new(
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
    .with_expiry(at(1_715_708_889) + Duration::from_millis(750))
}

#[test]
fn entry_bytes_and_read_back() {
    let entry = assume_role_cache_entry(
        &credentials(),
        Some((
            "AROA3XFRBF535PLBIFPI4:s\u{e9}",
            "arn:aws:sts::123456789012:assumed-role/ReadOnly/s\u{e9}",
        )),
    )
    .unwrap();
    assert_eq!(String::from_utf8(entry.clone()).unwrap(), ENTRY);

    let read = CachedCredentials::from_json(&entry).unwrap();
    let c = &read.credentials;
    assert!(read.provider_type.is_none());
    assert_eq!(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        c.secret_access_key.secret(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(
        c.session_token.as_ref().map(|t| t.secret()),
        Some("IQoJb3JpZ2luX2VjEXAMPLE")
    );
    // Sub-seconds are dropped, as botocore's strftime does.
    assert_eq!(c.expires_at, Some(at(1_715_708_889)));
    assert_eq!(c.account_id.as_deref(), Some("123456789012"));
    let policy = CredentialsRefreshPolicy::default();
    assert_eq!(
        credentials_decision(c, at(1_715_708_889 - 901), &policy),
        CredentialsDecision::Fresh
    );
}

#[test]
fn entry_account_id() {
    // The credentials' own account id wins; a non-numeric ARN account is
    // not copied; without a user there is no AssumedRoleUser.
    let own = credentials().with_account_id("111122223333");
    let text = String::from_utf8(
        assume_role_cache_entry(
            &own,
            Some(("AROA:x", "arn:aws:sts::123456789012:assumed-role/r/x")),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(text.contains(r#""AccountId": "111122223333""#), "{text}");
    let text = String::from_utf8(
        assume_role_cache_entry(
            &credentials(),
            Some(("AROA:x", "arn:aws:sts::abc:assumed-role/r/x")),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!text.contains("AccountId"), "{text}");
    let text = String::from_utf8(assume_role_cache_entry(&credentials(), None).unwrap()).unwrap();
    assert!(!text.contains("AssumedRoleUser"), "{text}");
    assert!(CachedCredentials::from_json(text.as_bytes()).is_ok());
}

#[test]
fn entry_needs_token_and_expiry() {
    let long_term = Credentials::new("AKIDEXAMPLE", "planted-secret");
    assert_eq!(
        assume_role_cache_entry(&long_term, None).unwrap_err(),
        AssumeRoleCacheError::MissingMember {
            member: "Credentials.SessionToken"
        }
    );
    let no_expiry = long_term.with_session_token("planted-token");
    let err = assume_role_cache_entry(&no_expiry, None).unwrap_err();
    assert_eq!(
        err,
        AssumeRoleCacheError::MissingMember {
            member: "Credentials.Expiration"
        }
    );
    assert!(!err.to_string().contains("planted"));
}

/// Float literals in a policy are read exactly as Python reads them (no
/// off-by-one-ulp value), so the key is botocore's (found by the
/// assume_role_cache fuzz target; vector from Python's json + hashlib).
#[test]
fn policy_floats_are_read_as_python_reads_them() {
    let args = AssumeRoleCacheArgs::new("arn:aws:iam::123456789012:role/r")
        .with_policy(r#"{"n": 1.1111111111111111e47}"#);
    assert_eq!(
        assume_role_cache_key(&args).unwrap(),
        "95e3bfbcab98c50c2817c414aea9dce2fccc7325"
    );
}
