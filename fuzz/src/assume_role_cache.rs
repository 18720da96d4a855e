//! Fuzz target `assume_role_cache`: `assume_role_cache_key` (with a fuzzed
//! policy document), `web_identity_cache_key` and
//! `assume_role_cache_entry`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oidc_core::cache::assume_role::{
    assume_role_cache_entry, assume_role_cache_key, web_identity_cache_key, AssumeRoleCacheArgs,
    AssumeRoleCacheError,
};
use oidc_core::cache::credentials::CachedCredentials;
use oidc_core::Credentials;

use super::support::{check_written_time, json_str, Lines};

/// Input: the first byte selects the function, then lines.
///
/// An even byte: `assume_role_cache_key`, with the lines role ARN, session
/// name, external id, serial number, duration seconds (`-` for an absent
/// argument), and the rest of the input as the policy (absent when empty).
/// Invariants: no panic; an error exactly for a policy that is not JSON;
/// the key is 40 lower-case hex digits; the key does not change when the
/// policy is re-serialised (compact or pretty: botocore re-dumps it; for
/// policies whose numbers are all integers of 64 bits) or an
/// empty session name is dropped; with the ARN and session name alone it is
/// `web_identity_cache_key`'s; adding an external id changes it.
///
/// An odd byte: `assume_role_cache_entry`, with the lines access key id,
/// secret key, session token (`-`: none), expiry seconds since the epoch
/// (`-`: none), account id (`-`: none), assumed role id and ARN (both
/// lines, `-` for no assumed role user). Invariants: an error exactly when
/// the token or the expiry is missing; an entry is ASCII JSON whose
/// members are the credentials' (`Expiration` in botocore's `...UTC`
/// form), and when `CachedCredentials::from_json` reads it, it reads the
/// same credentials (the expiry to the second).
pub fn assume_role_cache(data: &[u8]) {
    match data.split_first() {
        Some((selector, rest)) if selector % 2 == 1 => entry(rest),
        Some((_, rest)) => key(rest),
        None => key(b""),
    }
}

fn lines(data: &[u8], n: usize) -> (Vec<Option<String>>, &[u8]) {
    let mut lines = Lines { rest: data };
    let values = (0..n)
        .map(|_| {
            let text = String::from_utf8_lossy(lines.next().unwrap_or(b"-")).into_owned();
            (text != "-").then_some(text)
        })
        .collect();
    (values, lines.rest)
}

fn key(data: &[u8]) {
    let (v, rest) = lines(data, 5);
    let policy = (!rest.is_empty()).then(|| String::from_utf8_lossy(rest).into_owned());
    let role_arn = v[0].as_deref().unwrap_or("");
    let mut args = AssumeRoleCacheArgs::new(role_arn);
    args.role_session_name = v[1].as_deref();
    args.external_id = v[2].as_deref();
    args.serial_number = v[3].as_deref();
    args.duration_seconds = v[4].as_deref().and_then(|d| d.trim().parse().ok());
    args.policy = policy.as_deref();
    let parsed = policy
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>);
    let result = assume_role_cache_key(&args);
    let key = match (result, &parsed) {
        (Ok(key), None | Some(Ok(_))) => key,
        (Err(AssumeRoleCacheError::InvalidPolicy { line, column }), Some(Err(e))) => {
            assert_eq!((line, column), (e.line(), e.column()), "error position");
            return;
        }
        (other, _) => panic!("key {other:?} for a policy parsing as {parsed:?}"),
    };
    assert_eq!(key.len(), 40, "key {key:?}");
    assert!(
        key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "key {key:?}"
    );
    assert_eq!(assume_role_cache_key(&args).ok(), Some(key.clone()));
    // Against a model of botocore: SHA-1 of Python's
    // `json.dumps(args, sort_keys=True)`, written here from Python's rules.
    let exact = match &parsed {
        Some(Ok(value)) => exact_numbers(value).then_some(Some(value)),
        _ => Some(None),
    };
    if let Some(policy) = exact {
        assert_eq!(
            key,
            botocore_key(&args, policy),
            "the key is not botocore's for {args:?}"
        );
    }
    // Numbers outside i64/u64 become floats, which serde_json (without
    // `float_roundtrip`) may read back one ulp off: only documents of exact
    // numbers are compared (see `exact_numbers`).
    if let Some(Ok(value)) = parsed
        .as_ref()
        .filter(|p| p.as_ref().is_ok_and(exact_numbers))
    {
        for text in [
            serde_json::to_string(value).expect("serialisable"),
            serde_json::to_string_pretty(value).expect("serialisable"),
        ] {
            let mut again = args;
            again.policy = Some(&text);
            assert_eq!(
                assume_role_cache_key(&again).ok().as_ref(),
                Some(&key),
                "re-serialising the policy changes the key"
            );
        }
    }
    if args.role_session_name == Some("") {
        let mut again = args;
        again.role_session_name = None;
        assert_eq!(assume_role_cache_key(&again).ok().as_ref(), Some(&key));
    }
    let plain = AssumeRoleCacheArgs {
        role_arn,
        role_session_name: args.role_session_name,
        ..AssumeRoleCacheArgs::default()
    };
    let plain_key = assume_role_cache_key(&plain).expect("no policy, no error");
    assert_eq!(
        plain_key,
        web_identity_cache_key(role_arn, args.role_session_name),
        "web_identity_cache_key differs from the assume-role key"
    );
    if args.external_id.is_none() {
        let mut again = args;
        again.external_id = Some("fuzz-external-id");
        assert_ne!(assume_role_cache_key(&again).ok().as_ref(), Some(&key));
    }
}

fn entry(data: &[u8]) {
    let (v, _) = lines(data, 7);
    let access_key_id = v[0].clone().unwrap_or_default();
    let secret = v[1].clone().unwrap_or_default();
    let mut credentials = Credentials::new(access_key_id.clone(), secret.clone());
    if let Some(token) = &v[2] {
        credentials = credentials.with_session_token(token.clone());
    }
    let expiry = v[3]
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s % 253_402_300_800)));
    if let Some(expiry) = expiry {
        credentials = credentials.with_expiry(expiry);
    }
    if let Some(account) = &v[4] {
        credentials = credentials.with_account_id(account.clone());
    }
    let user = match (&v[5], &v[6]) {
        (Some(id), Some(arn)) => Some((id.as_str(), arn.as_str())),
        _ => None,
    };
    let bytes = match assume_role_cache_entry(&credentials, user) {
        Ok(bytes) => bytes,
        Err(e) => {
            assert!(
                v[2].is_none() || expiry.is_none(),
                "error {e:?} with token and expiry"
            );
            return;
        }
    };
    assert!(
        v[2].is_some() && expiry.is_some(),
        "an entry without a token or expiry"
    );
    assert!(bytes.is_ascii(), "the entry is not ASCII");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("the entry is JSON");
    let c = &json["Credentials"];
    assert_eq!(json_str(c, "AccessKeyId"), Some(access_key_id.as_str()));
    assert_eq!(json_str(c, "SecretAccessKey"), Some(secret.as_str()));
    assert_eq!(json_str(c, "SessionToken"), v[2].as_deref());
    let expiration = json_str(c, "Expiration").expect("an Expiration");
    assert!(expiration.ends_with("UTC"), "{expiration:?}");
    if let Some(account) = &v[4] {
        assert_eq!(json_str(c, "AccountId"), Some(account.as_str()));
    }
    match user {
        Some((id, arn)) => {
            let u = &json["AssumedRoleUser"];
            assert_eq!(json_str(u, "AssumedRoleId"), Some(id));
            assert_eq!(json_str(u, "Arn"), Some(arn));
        }
        None => assert!(json.get("AssumedRoleUser").is_none()),
    }
    if let Ok(read) = CachedCredentials::from_json(&bytes) {
        let r = &read.credentials;
        assert_eq!(r.access_key_id, access_key_id);
        assert_eq!(r.secret_access_key.secret(), secret);
        assert_eq!(
            r.session_token.as_ref().map(|t| t.secret()),
            v[2].as_deref()
        );
        let written: SystemTime = r.expires_at.expect("an expiry read back");
        check_written_time(expiry.expect("an expiry"), written);
    }
}

/// Whether every number in `value` is an integer in the range of `i64` or
/// `u64` (read and written exactly).
fn exact_numbers(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_i64() || n.is_u64(),
        serde_json::Value::Array(items) => items.iter().all(exact_numbers),
        serde_json::Value::Object(map) => map.values().all(exact_numbers),
        _ => true,
    }
}

/// botocore's `_create_cache_key` as Python computes it: `json.dumps` with
/// `sort_keys=True` (separators `, ` and `: `, `ensure_ascii`), SHA-1, hex.
/// `policy` is the parsed policy (exact numbers only: Python keeps big
/// integers and float literals as written, which `serde_json::Value`
/// cannot).
fn botocore_key(args: &AssumeRoleCacheArgs<'_>, policy: Option<&serde_json::Value>) -> String {
    use sha1::{Digest as _, Sha1};
    let mut members: Vec<(&str, String)> = Vec::new();
    if let Some(d) = args.duration_seconds {
        members.push(("DurationSeconds", d.to_string()));
    }
    let string = |s: &str| serde_json::Value::String(s.to_owned());
    if let Some(e) = args.external_id {
        members.push(("ExternalId", py_dumps(&string(e))));
    }
    if let Some(p) = policy {
        members.push(("Policy", py_dumps(p)));
    }
    members.push(("RoleArn", py_dumps(&string(args.role_arn))));
    if let Some(n) = args.role_session_name.filter(|n| !n.is_empty()) {
        members.push(("RoleSessionName", py_dumps(&string(n))));
    }
    if let Some(s) = args.serial_number {
        members.push(("SerialNumber", py_dumps(&string(s))));
    }
    members.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}: {v}", py_dumps(&string(k))))
        .collect();
    let text = format!("{{{}}}", body.join(", "));
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Python's `json.dumps(value, sort_keys=True)` (integers only).
fn py_dumps(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            // `ensure_ascii`: `"`, `\\` and the five short escapes, every other
            // character outside ` `..`~` as `\uXXXX` UTF-16 units.
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    ' '..='~' => out.push(c),
                    _ => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                }
            }
            out.push('"');
            out
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(py_dumps).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Python sorts `str` keys by code point: UTF-8 byte order.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        py_dumps(&Value::String((*k).clone())),
                        py_dumps(v)
                    )
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}
