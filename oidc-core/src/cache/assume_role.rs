//! The AWS CLI's assume-role credential cache: the file name botocore
//! derives for a role profile, and the entry it writes.
//!
//! botocore's `AssumeRoleCredentialFetcher` (and, through the same base
//! class, `AssumeRoleWithWebIdentityCredentialFetcher`) caches the whole
//! STS response in `~/.aws/cli/cache/<key>.json` through its
//! `JSONFileCache`. The key is
//! `BaseAssumeRoleCredentialFetcher._create_cache_key`: the lowercase hex
//! SHA-1 of `json.dumps(args, sort_keys=True)` over the call's arguments
//! (`RoleArn`, `RoleSessionName` unless it was generated, `ExternalId`,
//! `SerialNumber`, `DurationSeconds`, `Policy` parsed and re-dumped with
//! sorted keys), with `:` and `/` replaced by `_`.
//!
//! * [`assume_role_cache_key`]: that key for an [`AssumeRoleCacheArgs`];
//!   [`web_identity_cache_key`]: the same function with the two arguments
//!   botocore's web-identity provider passes.
//! * [`assume_role_cache_entry`]: the bytes `JSONFileCache` writes for an
//!   AssumeRole response, which botocore reads back as a cache hit.
//! * Reading an entry is
//!   [`CachedCredentials::from_json`](super::credentials::CachedCredentials::from_json)
//!   (it accepts botocore's `...UTC` expiration form).
//!
//! Nothing here touches a file; the host joins the key with `.json` under
//! its cache directory.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::cache::assume_role::{assume_role_cache_entry, assume_role_cache_key, AssumeRoleCacheArgs};
//! use oidc_core::cache::credentials::CachedCredentials;
//! use oidc_core::Credentials;
//!
//! let args = AssumeRoleCacheArgs::new("arn:aws:iam::123456789012:role/ReadOnly")
//!     .with_role_session_name("my-session");
//! // botocore: AssumeRoleCredentialFetcher(..., extra_args={"RoleSessionName": "my-session"})._cache_key
//! assert_eq!(assume_role_cache_key(&args)?, "119d2dd44cb8904e34a50b8cb7cb17c786c3fc51");
//!
//! let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_715_708_889); // 2024-05-14T17:48:09Z
//! let credentials = Credentials::new("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
//!     .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
//!     .with_expiry(expiry);
//! let entry = assume_role_cache_entry(&credentials, None)?;
//! assert_eq!(
//!     String::from_utf8(entry.clone()).unwrap(),
//!     r#"{"Credentials": {"AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-05-14T17:48:09UTC"}}"#
//! );
//! let read = CachedCredentials::from_json(&entry).unwrap();
//! assert_eq!(read.credentials.expires_at, Some(expiry));
//! # Ok::<(), oidc_core::cache::assume_role::AssumeRoleCacheError>(())
//! ```

use serde_json::Value;

use super::json::write_py_str;
use super::timestamp;
use crate::credentials::{check, Credentials};
use crate::secret::SessionToken;

/// The arguments of an AssumeRole call that botocore's cache key covers.
///
/// `role_session_name` is `None` when the session name was generated
/// (botocore's `botocore-session-<time>`, which it leaves out of the key).
/// An empty name counts as generated, as in botocore (`if not
/// role_session_name`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssumeRoleCacheArgs<'a> {
    /// `RoleArn`: the role's ARN as configured (`role_arn`).
    pub role_arn: &'a str,
    /// `RoleSessionName` as configured (`role_session_name`); `None` when
    /// the name is generated.
    pub role_session_name: Option<&'a str>,
    /// `ExternalId` (`external_id`).
    pub external_id: Option<&'a str>,
    /// `SerialNumber`: the MFA device (`mfa_serial`).
    pub serial_number: Option<&'a str>,
    /// `DurationSeconds` (`duration_seconds`, as an integer).
    pub duration_seconds: Option<i64>,
    /// `Policy`: a session policy document (JSON text).
    pub policy: Option<&'a str>,
}

impl<'a> AssumeRoleCacheArgs<'a> {
    /// The arguments of a call with only `RoleArn` (and a generated
    /// session name).
    pub fn new(role_arn: &'a str) -> Self {
        AssumeRoleCacheArgs {
            role_arn,
            ..AssumeRoleCacheArgs::default()
        }
    }

    /// Sets [`role_session_name`](Self::role_session_name).
    #[must_use]
    pub fn with_role_session_name(mut self, name: &'a str) -> Self {
        self.role_session_name = Some(name);
        self
    }

    /// Sets [`external_id`](Self::external_id).
    #[must_use]
    pub fn with_external_id(mut self, external_id: &'a str) -> Self {
        self.external_id = Some(external_id);
        self
    }

    /// Sets [`serial_number`](Self::serial_number).
    #[must_use]
    pub fn with_serial_number(mut self, serial_number: &'a str) -> Self {
        self.serial_number = Some(serial_number);
        self
    }

    /// Sets [`duration_seconds`](Self::duration_seconds).
    #[must_use]
    pub fn with_duration_seconds(mut self, seconds: i64) -> Self {
        self.duration_seconds = Some(seconds);
        self
    }

    /// Sets [`policy`](Self::policy).
    #[must_use]
    pub fn with_policy(mut self, policy: &'a str) -> Self {
        self.policy = Some(policy);
        self
    }
}

/// Why a cache key or entry could not be made.
///
/// Messages name what is wrong, never a value (a policy or a credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssumeRoleCacheError {
    /// `Policy` is not one JSON value (botocore's `json.loads` would raise).
    /// Also reported for the few documents Python reads but JSON does not
    /// allow (`NaN`, `Infinity`, unpaired surrogate escapes).
    #[error("Policy is not valid JSON (error at line {line}, column {column})")]
    InvalidPolicy {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The credentials lack a member every AssumeRole response has and
    /// botocore requires of a cache entry (`Credentials.SessionToken`,
    /// `Credentials.Expiration`).
    #[error("credentials have no {member}; an assume-role cache entry needs one")]
    MissingMember {
        /// The member, as `Credentials.SessionToken`.
        member: &'static str,
    },
}

/// The name botocore gives the cache file of an assume-role profile,
/// without `.json`: `sha1(json.dumps(args, sort_keys=True))` in lowercase
/// hex (`:` and `/` replaced by `_`, a no-op on hex).
///
/// The dictionary holds `RoleArn`, then each argument that is set;
/// `RoleSessionName` only when it was configured (not `None`, not empty).
/// `Policy` is parsed and written back with sorted keys at every level,
/// Python's separators (`", "`, `": "`), `\uXXXX` escapes (surrogate pairs
/// beyond the BMP) and Python's number forms (`1.0`, `1e+16`, `1e-05`).
/// One difference remains: an integer beyond 64 bits in a policy is read
/// as a float here (Python keeps it exact), so such a policy gets a key
/// botocore would not find.
///
/// ```
/// use oidc_core::cache::assume_role::{assume_role_cache_key, AssumeRoleCacheArgs};
///
/// let args = AssumeRoleCacheArgs::new("arn:aws:iam::123456789012:role/Admin")
///     .with_serial_number("arn:aws:iam::123456789012:mfa/alice")
///     .with_duration_seconds(43200);
/// assert_eq!(assume_role_cache_key(&args)?, "59e4606cad512b38398a63e74e2094da255b0e71");
/// assert!(assume_role_cache_key(&args.with_policy("{")).is_err());
/// # Ok::<(), oidc_core::cache::assume_role::AssumeRoleCacheError>(())
/// ```
///
/// # Errors
///
/// [`AssumeRoleCacheError::InvalidPolicy`] when `policy` is not JSON.
pub fn assume_role_cache_key(
    args: &AssumeRoleCacheArgs<'_>,
) -> Result<String, AssumeRoleCacheError> {
    let policy = match args.policy {
        Some(text) => Some(serde_json::from_str::<Value>(text).map_err(|e| {
            AssumeRoleCacheError::InvalidPolicy {
                line: e.line(),
                column: e.column(),
            }
        })?),
        None => None,
    };
    // Sorted: DurationSeconds < ExternalId < Policy < RoleArn <
    // RoleSessionName < SerialNumber.
    let mut out = String::from("{");
    let mut first = true;
    let mut key = |out: &mut String, name: &str| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        write_py_str(out, name);
        out.push_str(": ");
    };
    if let Some(seconds) = args.duration_seconds {
        key(&mut out, "DurationSeconds");
        out.push_str(&seconds.to_string());
    }
    if let Some(external_id) = args.external_id {
        key(&mut out, "ExternalId");
        write_py_str(&mut out, external_id);
    }
    if let Some(policy) = &policy {
        key(&mut out, "Policy");
        write_py_value(&mut out, policy);
    }
    key(&mut out, "RoleArn");
    write_py_str(&mut out, args.role_arn);
    if let Some(name) = args.role_session_name.filter(|n| !n.is_empty()) {
        key(&mut out, "RoleSessionName");
        write_py_str(&mut out, name);
    }
    if let Some(serial) = args.serial_number {
        key(&mut out, "SerialNumber");
        write_py_str(&mut out, serial);
    }
    out.push('}');
    let mut name = super::sha1_file_name(out.as_bytes());
    name.truncate(name.len() - ".json".len());
    Ok(name.replace([':', '/'], "_"))
}

/// The cache key of botocore's web-identity provider
/// (`AssumeRoleWithWebIdentityCredentialFetcher`): it inherits
/// `_create_cache_key` unchanged and passes only `RoleArn` and
/// `RoleSessionName` (when `role_session_name` is configured), so this is
/// [`assume_role_cache_key`] over those two, and cannot fail.
///
/// ```
/// use oidc_core::cache::assume_role::web_identity_cache_key;
///
/// assert_eq!(
///     web_identity_cache_key("arn:aws:iam::123456789012:role/web", Some("web-session")),
///     "8a55085d77e548d8e0fa1008bbe3f1eca21371ca"
/// );
/// ```
pub fn web_identity_cache_key(role_arn: &str, role_session_name: Option<&str>) -> String {
    let mut out = String::from("{");
    write_py_str(&mut out, "RoleArn");
    out.push_str(": ");
    write_py_str(&mut out, role_arn);
    if let Some(name) = role_session_name.filter(|n| !n.is_empty()) {
        out.push_str(", ");
        write_py_str(&mut out, "RoleSessionName");
        out.push_str(": ");
        write_py_str(&mut out, name);
    }
    out.push('}');
    let mut name = super::sha1_file_name(out.as_bytes());
    name.truncate(name.len() - ".json".len());
    name
}

/// The bytes botocore's `JSONFileCache` writes for an AssumeRole response
/// (`json.dumps(response, default=_serialize_if_needed)`):
///
/// `{"Credentials": {"AccessKeyId": .., "SecretAccessKey": ..,
/// "SessionToken": .., "Expiration": "%Y-%m-%dT%H:%M:%SUTC", "AccountId":
/// ..}, "AssumedRoleUser": {"AssumedRoleId": .., "Arn": ..}}`
///
/// in botocore's order, with Python's separators and escaping and no
/// trailing newline. `Expiration` is what `strftime('%Y-%m-%dT%H:%M:%S%Z')`
/// makes of botocore's UTC `datetime` (sub-seconds dropped, `UTC` suffix).
/// `AccountId` is the credentials' account id, else (as botocore's
/// `_add_account_id_to_response` does) the account field of the assumed
/// role ARN when it is 12 digits; absent otherwise. `ResponseMetadata`
/// (request id, HTTP headers), which botocore also writes and never reads,
/// is left out; `AssumedRoleUser` only when given.
///
/// botocore reads such a file back as a cache hit (`_load_from_cache`,
/// `_is_expired`), and so does
/// [`CachedCredentials::from_json`](super::credentials::CachedCredentials::from_json).
/// The bytes hold the secrets: write them to a `0600` file, never log them.
///
/// # Errors
///
/// [`AssumeRoleCacheError::MissingMember`] when the credentials have no
/// session token or no expiry (botocore would fail with a `KeyError` on
/// such an entry).
pub fn assume_role_cache_entry(
    credentials: &Credentials,
    assumed_role_user: Option<(&str, &str)>,
) -> Result<Vec<u8>, AssumeRoleCacheError> {
    let token = credentials
        .session_token
        .as_ref()
        .map(SessionToken::secret)
        .ok_or(AssumeRoleCacheError::MissingMember {
            member: "Credentials.SessionToken",
        })?;
    let expiry = credentials
        .expires_at
        .ok_or(AssumeRoleCacheError::MissingMember {
            member: "Credentials.Expiration",
        })?;
    let mut expiration = timestamp::format(expiry);
    expiration.pop(); // `Z`
    expiration.push_str("UTC");
    let account_id = credentials.account_id.clone().or_else(|| {
        let (_, arn) = assumed_role_user?;
        let account = arn_account(arn)?;
        check::account_id(account).ok()?;
        Some(account.to_owned())
    });

    let mut out = String::from("{\"Credentials\": {");
    let members = [
        ("AccessKeyId", Some(credentials.access_key_id.as_str())),
        (
            "SecretAccessKey",
            Some(credentials.secret_access_key.secret()),
        ),
        ("SessionToken", Some(token)),
        ("Expiration", Some(expiration.as_str())),
        ("AccountId", account_id.as_deref()),
    ];
    let mut first = true;
    for (name, value) in members {
        let Some(value) = value else { continue };
        if !first {
            out.push_str(", ");
        }
        first = false;
        write_py_str(&mut out, name);
        out.push_str(": ");
        write_py_str(&mut out, value);
    }
    out.push('}');
    if let Some((assumed_role_id, arn)) = assumed_role_user {
        out.push_str(", \"AssumedRoleUser\": {\"AssumedRoleId\": ");
        write_py_str(&mut out, assumed_role_id);
        out.push_str(", \"Arn\": ");
        write_py_str(&mut out, arn);
        out.push('}');
    }
    out.push('}');
    Ok(out.into_bytes())
}

/// The account field of `arn:partition:service:region:account:resource`
/// (botocore's `ArnParser`: six `:`-separated parts, the first `arn`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    parts.next()?;
    Some(account)
}

/// `value` as Python's `json.dumps(value, sort_keys=True)` writes it.
fn write_py_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(f) = n.as_f64() {
                write_py_float(out, f);
            }
        }
        Value::String(s) => write_py_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // serde_json's map is ordered by key bytes: code point order,
            // as Python sorts `str`.
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_str(out, k);
                out.push_str(": ");
                write_py_value(out, v);
            }
            out.push('}');
        }
    }
}

/// A finite float as Python's `float.__repr__`: the shortest digits that
/// round-trip, positional for decimal exponents -4 to 15 (with `.0` when
/// integral), else `d.ddde±XX`.
fn write_py_float(out: &mut String, x: f64) {
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` is the shortest round-trip form: `-1.5e-7`, `1e16`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if mantissa.starts_with('-') {
        out.push('-');
    }
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let digit = |i: usize| char::from(digits.get(i).copied().unwrap_or(b'0'));
    if !(-4..16).contains(&exp) {
        out.push(digit(0));
        if digits.len() > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|&d| char::from(d)));
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if exp >= 0 {
        let int_len = usize::try_from(exp).unwrap_or(0) + 1;
        for i in 0..int_len {
            out.push(digit(i));
        }
        out.push('.');
        if digits.len() > int_len {
            out.extend(digits[int_len..].iter().map(|&d| char::from(d)));
        } else {
            out.push('0');
        }
    } else {
        out.push_str("0.");
        for _ in 1..exp.unsigned_abs() {
            out.push('0');
        }
        out.extend(digits.iter().map(|&d| char::from(d)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py_float(x: f64) -> String {
        let mut out = String::new();
        write_py_float(&mut out, x);
        out
    }

    #[test]
    fn python_float_repr() {
        // Expected values: Python 3.11 repr(float(x)).
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (1e100, "1e+100"),
            (1e-7, "1e-07"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789.125, "123456789.125"),
            (1.2345678901234568e29, "1.2345678901234568e+29"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (x, expected) in cases {
            assert_eq!(py_float(*x), *expected, "{x}");
        }
    }

    #[test]
    fn arn_account_field() {
        assert_eq!(
            arn_account("arn:aws:sts::123456789012:assumed-role/r/s"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:sts::123456789012"), None);
        assert_eq!(arn_account("nope:aws:sts::1:x"), None);
    }
}
