//! Credential members are checked where they are parsed: the portal's
//! GetRoleCredentials (JSON), the STS operations (XML) and the AWS CLI's
//! role cache refuse values outside the models' constraints with an error
//! naming the member and never quoting the value.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::cache::credentials::CachedCredentials;
use oidc_core::cache::CacheFormatError;
use oidc_core::portal::get_role_credentials;
use oidc_core::sts::{
    assume_role, assume_role_with_saml, assume_role_with_web_identity, assume_root,
    get_delegated_access_token, get_federation_token, get_session_token,
};
use oidc_core::{Error, ParseErrorKind};

const KEY_ID: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str =
    "FwoGZXIvYXdzEBYaDHqa0AP1Q5u6EXAMPLESESSIONTOKENr/c8fJ+YcwWdc0MBZ8lbGeXPYp3wl7kYqJ3z0NNXEXAMPLE+tokenEXAMPLE==";

/// Hostile shapes every string member must refuse, each carrying the
/// marker `PLANTED` where it can, so no error may quote it.
fn hostile(long: usize) -> Vec<(&'static str, String)> {
    vec![
        ("newline", "ASIAPLANTED\nEXAMPLE1".to_owned()),
        ("command substitution", "ASIA$(touch PLANTED)".to_owned()),
        ("backquote", "ASIA`touch PLANTED`XX".to_owned()),
        ("semicolon", "ASIAPLANTED;EXAMPLE12".to_owned()),
        ("escape", "ASIAPLANTED\u{1b}[31mEXAMPLE".to_owned()),
        ("bell", "ASIAPLANTED\u{7}EXAMPLE12".to_owned()),
        ("space", "ASIAPLANTED EXAMPLE12".to_owned()),
        ("single quote", "ASIAPLANTED'EXAMPLE12".to_owned()),
        ("too long", format!("PLANTED{}", "A".repeat(long))),
        ("empty", String::new()),
    ]
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;")
}

fn assert_names(err: &Error, member: &str, what: &str) {
    let parse = err
        .parse_error()
        .unwrap_or_else(|| panic!("{what}: not a parse error: {err}"));
    match &parse.kind {
        ParseErrorKind::OutOfRange { member: m, .. }
        | ParseErrorKind::MissingMember { member: m } => {
            assert_eq!(*m, member, "{what}: {err}")
        }
        other => panic!("{what}: unexpected kind {other:?}"),
    }
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("PLANTED"), "{what}: {shown}");
    assert!(!shown.contains('\u{1b}'), "{what}: {shown}");
}

fn portal(key: &str, secret: &str, token: &str, expiration: &str) -> http::Response<String> {
    http::Response::builder()
        .status(200)
        .body(format!(
            r#"{{"roleCredentials":{{"accessKeyId":{},"secretAccessKey":{},"sessionToken":{},"expiration":{expiration}}}}}"#,
            json_str(key),
            json_str(secret),
            json_str(token)
        ))
        .unwrap()
}

#[test]
fn portal_refuses_hostile_members() {
    let ok = portal(KEY_ID, SECRET, TOKEN, "1704070800000");
    assert!(get_role_credentials::parse(&ok).is_ok());
    for (shape, bad) in hostile(70_000) {
        for (member, response) in [
            (
                "roleCredentials.accessKeyId",
                portal(&bad, SECRET, TOKEN, "1704070800000"),
            ),
            (
                "roleCredentials.secretAccessKey",
                portal(KEY_ID, &bad, TOKEN, "1704070800000"),
            ),
            (
                "roleCredentials.sessionToken",
                portal(KEY_ID, SECRET, &bad, "1704070800000"),
            ),
        ] {
            let err = get_role_credentials::parse(&response).unwrap_err();
            assert_names(&err, member, &format!("{member} {shape}"));
        }
    }
    for expiration in [
        i64::MAX.to_string(),
        "-1".to_owned(),
        // 10000-01-01T00:00:00Z.
        "253402300800000".to_owned(),
    ] {
        let err =
            get_role_credentials::parse(&portal(KEY_ID, SECRET, TOKEN, &expiration)).unwrap_err();
        assert_names(&err, "roleCredentials.expiration", &expiration);
    }
    // The last second an SDK can read is fine.
    let last = get_role_credentials::parse(&portal(KEY_ID, SECRET, TOKEN, "253402300799000"));
    assert!(last.is_ok());
}

struct Sts<'a> {
    key: &'a str,
    secret: &'a str,
    token: &'a str,
    expiration: &'a str,
    role_id: &'a str,
    arn: &'a str,
    source_identity: &'a str,
}

const STS_OK: Sts<'static> = Sts {
    key: KEY_ID,
    secret: SECRET,
    token: TOKEN,
    expiration: "2024-05-14T17:48:09Z",
    role_id: "AROA3XFRBF535PLBIFPI4:john.doe@example.com",
    arn: "arn:aws:sts::123456789012:assumed-role/demo-role/john.doe@example.com",
    source_identity: "john.doe",
};

fn assume_role_response(s: &Sts<'_>) -> http::Response<String> {
    let body = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
         <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>\
         <SourceIdentity>{}</SourceIdentity></AssumeRoleResult>\
         <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>",
        xml_text(s.key),
        xml_text(s.secret),
        xml_text(s.token),
        xml_text(s.expiration),
        xml_text(s.role_id),
        xml_text(s.arn),
        xml_text(s.source_identity),
    );
    http::Response::builder().status(200).body(body).unwrap()
}

#[test]
fn sts_wire_examples_still_parse() {
    // `shared/data/sts-wire-examples`, found by walking up from the crate.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("shared/data/sts-wire-examples"))
        .find(|d| d.is_dir());
    let Some(dir) = dir else {
        println!("skipped: shared/data/sts-wire-examples is not above this crate");
        return;
    };
    let dir = dir.display();
    let body = std::fs::read_to_string(format!("{dir}/AssumeRole.response.xml")).unwrap();
    let response = http::Response::builder().status(200).body(body).unwrap();
    let o = assume_role::parse(&response).unwrap();
    assert_eq!(o.credentials.access_key_id, KEY_ID);
    assert_eq!(o.source_identity.as_deref(), Some("john.doe"));
    let read = |name: &str| {
        let body = std::fs::read_to_string(format!("{dir}/{name}.response.xml")).unwrap();
        http::Response::builder().status(200).body(body).unwrap()
    };
    get_federation_token::parse(&read("GetFederationToken")).unwrap();
    assume_role_with_saml::parse(&read("AssumeRoleWithSAML")).unwrap();
    assume_role_with_web_identity::parse(&read("AssumeRoleWithWebIdentity")).unwrap();
    assume_root::parse(&read("AssumeRoot")).unwrap();
    get_session_token::parse(&read("GetSessionToken")).unwrap();
    get_delegated_access_token::parse(&read("GetDelegatedAccessToken")).unwrap();
    assert!(assume_role::parse(&assume_role_response(&STS_OK)).is_ok());
}

#[test]
fn sts_refuses_hostile_members() {
    for (shape, bad) in hostile(70_000) {
        let cases = [
            (
                "AccessKeyId",
                Sts {
                    key: &bad,
                    ..STS_OK
                },
            ),
            (
                "SecretAccessKey",
                Sts {
                    secret: &bad,
                    ..STS_OK
                },
            ),
            (
                "SessionToken",
                Sts {
                    token: &bad,
                    ..STS_OK
                },
            ),
            (
                "AssumedRoleId",
                Sts {
                    role_id: &bad,
                    ..STS_OK
                },
            ),
            (
                "Arn",
                Sts {
                    arn: &bad,
                    ..STS_OK
                },
            ),
            (
                "SourceIdentity",
                Sts {
                    source_identity: &bad,
                    ..STS_OK
                },
            ),
        ];
        for (member, sts) in cases {
            let err = assume_role::parse(&assume_role_response(&sts)).unwrap_err();
            assert_names(&err, member, &format!("{member} {shape}"));
        }
    }
    // An access key id shorter than the model's 16 characters.
    let short = Sts {
        key: "ASIASHORT",
        ..STS_OK
    };
    let err = assume_role::parse(&assume_role_response(&short)).unwrap_err();
    assert_names(&err, "AccessKeyId", "short");
    // An ARN with an embedded newline (the model's class allows LF).
    let arn = "arn:aws:sts::123456789012:assumed-role/r/PLANTED\nx";
    let err = assume_role::parse(&assume_role_response(&Sts { arn, ..STS_OK })).unwrap_err();
    assert_names(&err, "Arn", "arn newline");
    for expiration in ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z"] {
        let sts = Sts {
            expiration,
            ..STS_OK
        };
        let err = assume_role::parse(&assume_role_response(&sts)).unwrap_err();
        assert_names(&err, "Expiration", expiration);
    }
    // Years past 9999 are not RFC 3339 at all.
    let sts = Sts {
        expiration: "+10000-01-01T00:00:00Z",
        ..STS_OK
    };
    let err = assume_role::parse(&assume_role_response(&sts)).unwrap_err();
    assert!(
        err.parse_error().unwrap().path.ends_with("Expiration"),
        "{err}"
    );
    let sts = Sts {
        expiration: "9999-12-31T23:59:59Z",
        ..STS_OK
    };
    assert!(assume_role::parse(&assume_role_response(&sts)).is_ok());
}

fn cache_entry(key: &str, secret: &str, token: &str, expiration: &str, account: &str) -> String {
    format!(
        r#"{{"ProviderType": "sso", "Credentials": {{"AccessKeyId": {}, "SecretAccessKey": {}, "SessionToken": {}, "Expiration": {}, "AccountId": {}}}}}"#,
        json_str(key),
        json_str(secret),
        json_str(token),
        json_str(expiration),
        json_str(account)
    )
}

#[test]
fn cache_entries_with_hostile_values_are_invalid() {
    let ok = cache_entry(
        KEY_ID,
        SECRET,
        TOKEN,
        "2024-01-01T01:00:00Z",
        "123456789012",
    );
    assert!(CachedCredentials::from_json(ok.as_bytes()).is_ok());
    let when = "2024-01-01T01:00:00Z";
    let account = "123456789012";
    for (shape, bad) in hostile(70_000) {
        for (key, entry) in [
            (
                "Credentials.AccessKeyId",
                cache_entry(&bad, SECRET, TOKEN, when, account),
            ),
            (
                "Credentials.SecretAccessKey",
                cache_entry(KEY_ID, &bad, TOKEN, when, account),
            ),
            (
                "Credentials.SessionToken",
                cache_entry(KEY_ID, SECRET, &bad, when, account),
            ),
            (
                "Credentials.AccountId",
                cache_entry(KEY_ID, SECRET, TOKEN, when, &bad),
            ),
        ] {
            let err = CachedCredentials::from_json(entry.as_bytes()).unwrap_err();
            assert!(
                matches!(err, CacheFormatError::InvalidValue { key: k, .. } if k == key),
                "{key} {shape}: {err:?}"
            );
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("PLANTED"), "{shown}");
        }
    }
    for expiration in ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z"] {
        let entry = cache_entry(KEY_ID, SECRET, TOKEN, expiration, account);
        let err = CachedCredentials::from_json(entry.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            CacheFormatError::InvalidValue {
                key: "Credentials.Expiration",
                detail: "expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
            }
        );
    }
}

/// Account ids and role names from the portal go into file names, config
/// files and shells: anything outside their shapes is refused at parse
/// time, naming the member.
#[test]
fn portal_account_ids_and_role_names_are_checked() {
    use oidc_core::portal::{list_account_roles, list_accounts};
    let ok = |body: String| {
        http::Response::builder()
            .status(200)
            .body(body.into_bytes())
            .unwrap()
    };
    for hostile in [
        "12345678901",
        "1234567890123",
        "12345678901\n",
        "12345678901\u{1b}",
        "$(id)",
    ] {
        let body = serde_json::json!({"accountList": [{"accountId": hostile, "accountName": "a"}]});
        let err = list_accounts::parse(&ok(body.to_string())).unwrap_err();
        assert!(format!("{err}").contains("accountId"), "{err}");
        assert!(!format!("{err}{err:?}").contains(hostile), "{err:?}");
    }
    for hostile in [
        "",
        "Role\nName",
        "Role\u{1b}]0;x\u{7}",
        "a b",
        "$(id)",
        &"R".repeat(65),
    ] {
        let body =
            serde_json::json!({"roleList": [{"roleName": hostile, "accountId": "111111111111"}]});
        let err = list_account_roles::parse(&ok(body.to_string())).unwrap_err();
        assert!(format!("{err}").contains("roleName"), "{err}");
    }
    let body = serde_json::json!({"roleList": [{"roleName": "AWSAdministratorAccess", "accountId": "111111111111"}]});
    assert!(list_account_roles::parse(&ok(body.to_string())).is_ok());
}
