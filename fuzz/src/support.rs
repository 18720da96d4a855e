//! Helpers several targets share: the response decoder, the invariants of
//! a parsed error, and the cache's written-time checks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oidc_core::portal::get_role_credentials::{self, GetRoleCredentialsInput};
use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
use oidc_core::portal::list_accounts::{self, ListAccountsInput};
use oidc_core::portal::logout::{self, LogoutInput};
use oidc_core::sso_oidc::create_token::CreateTokenInput;
use oidc_core::sso_oidc::create_token_with_iam::CreateTokenWithIamInput;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_core::sso_oidc::{
    create_token, create_token_with_iam, register_client, start_device_authorization,
};
use oidc_core::{retry, Error, Operation, ParseErrorKind};

/// Decodes `data` as a response: the status code on the first line (200
/// when it is not a valid code), `Name: value` header lines (invalid ones
/// are skipped) up to the first empty line, then the body.
pub fn response(data: &[u8]) -> http::Response<Vec<u8>> {
    let mut lines = Lines { rest: data };
    let status = lines
        .next()
        .and_then(|line| std::str::from_utf8(line).ok())
        .and_then(|line| line.trim().parse::<u16>().ok())
        .and_then(|code| http::StatusCode::from_u16(code).ok())
        .unwrap_or(http::StatusCode::OK);
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = status;
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = http::HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = http::HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            response.headers_mut().append(name, value);
        }
    }
    *response.body_mut() = lines.rest.to_vec();
    response
}

/// Splits bytes at `\n`, dropping a `\r` before it.
pub(crate) struct Lines<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// The invariants of an error parsed from `response`.
pub(crate) fn check_error(response: &http::Response<Vec<u8>>, error: &Error) {
    let status = response.status().as_u16();
    // Display, Debug and the retry classification work for every error.
    let message = error.to_string();
    let _ = format!("{error:?}");
    let _ = retry::classify(error);
    assert_eq!(error.status(), Some(status), "error status: {message}");
    if let Some(id) = error.request_id() {
        let sent = ["x-amzn-requestid", "x-amz-request-id"]
            .iter()
            .flat_map(|name| response.headers().get_all(*name))
            .any(|v| v.as_bytes() == id.as_bytes());
        assert!(sent, "request id {id:?} is not a header of the response");
    }
    match error {
        Error::Service(e) => {
            assert!(!response.status().is_success(), "service error for a 2xx");
            let code = e.code.as_str();
            assert!(!code.is_empty(), "empty error code");
            assert!(
                !code.contains([':', '#']) && code.trim() == code,
                "error code {code:?} is not sanitised"
            );
            // Service-provided text is scrubbed member by member (the
            // request id, from a header, is not service text).
            let oauth = e.oauth();
            let members = [
                Some(code),
                oauth.and_then(|d| d.error.as_deref()),
                e.message.as_deref(),
                oauth.and_then(|d| d.reason.as_deref()),
                oauth.and_then(|d| d.endpoint.as_deref()),
                oauth.and_then(|d| d.region.as_deref()),
            ];
            let sent = input_credential_words(response);
            for member in members.into_iter().flatten() {
                let leaked = whole_words(member).into_iter().find(|w| sent.contains(w));
                if let Some(word) = leaked {
                    panic!("service error shows a credential-like word {word:?}: {message}");
                }
            }
        }
        Error::Parse(e) => {
            if response.status().is_success() {
                check_parse_error_hides_values(response, error);
            }
            if let ParseErrorKind::WrongShape { detail } = &e.kind {
                assert!(
                    !detail.contains('"'),
                    "the detail quotes the body: {detail}"
                );
            }
        }
        other => panic!("a parser returned {other:?}"),
    }
}

/// `text` (a scrubbed member) with each redaction marker replaced by word
/// characters, so that what the scrubber kept around a redaction stays
/// part of the word it was cut from: a URL's tail after a redacted piece
/// is still part of a URL, and the `name` of a `name=[redacted]` pair
/// stays joined to its value. Only words the scrubber let through whole
/// are then judged.
pub(crate) fn shown_words(text: &str) -> String {
    text.replace("[redacted]", REDACTION_MARKER)
}

/// What [`shown_words`] puts in place of a redaction: a word that holds
/// it was cut by the scrubber, never shown whole ([`whole_words`]).
pub(crate) const REDACTION_MARKER: &str = "REDACTEDxMARKER";

/// The credential-like words of a scrubbed `member` that the scrubber let
/// through whole (none next to a redaction).
pub(crate) fn whole_words(member: &str) -> Vec<String> {
    credential_like_words(&shown_words(member))
        .into_iter()
        .filter(|w| !w.contains(REDACTION_MARKER))
        .collect()
}

/// The words of `text` that the documented scrubbing rule of service error
/// text calls credentials: maximal runs of at least 32 characters from
/// `A-Z a-z 0-9 - . _ ~ + / = | : %` holding a letter and a digit (after
/// percent-decoding), except URLs (containing `://`) and ARNs (starting
/// with `arn:`). (`%` belongs to the alphabet as in the scrubber's rule: a
/// URL with a `%` in its path is one word, a URL, not a URL's tail that
/// looks like a credential; the scrubber checks a URL piece by piece.)
pub(crate) fn credential_like_words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '|' | ':' | '%'))
    })
    .filter(|w| {
        let decoded = percent_decoded(w);
        w.len() >= 32
            && decoded.len() >= 32
            && decoded.iter().any(|b| b.is_ascii_digit())
            && decoded.iter().any(|b| b.is_ascii_alphabetic())
            && !w.contains("://")
            && !w.starts_with("arn:")
            && !is_host_name(w)
            && !is_host_name(&String::from_utf8_lossy(&decoded))
    })
    .map(str::to_owned)
    .collect()
}

/// `word` with `%XX` escapes decoded (others kept as they are).
fn percent_decoded(word: &str) -> Vec<u8> {
    let b = word.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(0));
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The scrubber's documented exception: a DNS name
/// (`device.sso.us-east-1.amazonaws.com`) stays readable. Lower-case labels
/// joined by dots, an alphabetic top-level label of 2 to 24 letters, no
/// label of 16 or more characters that mixes letters and digits.
fn is_host_name(word: &str) -> bool {
    let Some((_, tld)) = word.rsplit_once('.') else {
        return false;
    };
    (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && word.split('.').all(|label| {
            let plain = label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let token_like = label.len() >= 16
                && label.bytes().any(|b| b.is_ascii_digit())
                && label.bytes().any(|b| b.is_ascii_lowercase());
            !label.is_empty() && label.len() <= 63 && plain && !token_like
        })
}

/// The credential-like words (see [`credential_like_words`]) of the
/// response's header values and body, as sent. An error may show a word
/// only if the scrubber let it through whole; a word the scrubber made by
/// redacting part of a longer one (a URL or ARN piece) was never a
/// credential the service sent, and is not flagged.
pub(crate) fn input_credential_words(response: &http::Response<Vec<u8>>) -> Vec<String> {
    let mut text = String::from_utf8_lossy(response.body()).into_owned();
    for value in response.headers().values() {
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    credential_like_words(&text)
}

/// A 2xx body that is valid JSON but does not fit the model gives the same
/// error whatever its strings say: the error never carries a value from the
/// body. Checked by parsing the body again with every string value (not
/// key) replaced by as many `x` and comparing path and kind.
fn check_parse_error_hides_values(response: &http::Response<Vec<u8>>, error: &Error) {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(response.body()) else {
        return;
    };
    let Ok(original) = serde_json::to_vec(&value) else {
        return;
    };
    mask_strings(&mut value);
    let Ok(masked) = serde_json::to_vec(&value) else {
        return;
    };
    let reparse = |body: Vec<u8>| {
        let mut again = http::Response::new(body);
        *again.status_mut() = response.status();
        *again.headers_mut() = response.headers().clone();
        let e = match error {
            Error::Parse(e) => e.operation,
            _ => return None,
        };
        let result = match e {
            RegisterClientInput::NAME => register_client::parse(&again).err(),
            StartDeviceAuthorizationInput::NAME => start_device_authorization::parse(&again).err(),
            CreateTokenInput::NAME => create_token::parse(&again).err(),
            CreateTokenWithIamInput::NAME => create_token_with_iam::parse(&again).err(),
            GetRoleCredentialsInput::NAME => get_role_credentials::parse(&again).err(),
            ListAccountsInput::NAME => list_accounts::parse(&again).err(),
            ListAccountRolesInput::NAME => list_account_roles::parse(&again).err(),
            LogoutInput::NAME => logout::parse(&again).err(),
            _ => None,
        };
        result.map(|e| match e {
            Error::Parse(p) => Some((p.path, without_position(p.kind))),
            _ => None,
        })
    };
    let (Some(a), Some(b)) = (reparse(original), reparse(masked)) else {
        return;
    };
    // A member whose value is checked (credentials, ids) may pass or fail
    // on its contents: that error names the member and a fixed reason,
    // never the value, and the masked body may fail elsewhere first.
    let checked =
        |e: &Option<(String, String)>| e.as_ref().is_some_and(|(_, k)| k.starts_with(OUT_OF_RANGE));
    if checked(&a) || checked(&b) {
        return;
    }
    assert_eq!(
        a, b,
        "the parse error depends on the contents of a string value"
    );
}

fn mask_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = "x".repeat(s.chars().count()),
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(mask_strings),
        _ => {}
    }
}

/// The kind with line and column zeroed (masking changes byte offsets).
/// How [`without_position`] writes a value check's failure.
const OUT_OF_RANGE: &str = "out of range: ";

fn without_position(kind: ParseErrorKind) -> String {
    match kind {
        ParseErrorKind::Truncated { .. } => "truncated".to_owned(),
        ParseErrorKind::NotJson {
            looks_like_html, ..
        } => format!("not json {looks_like_html}"),
        ParseErrorKind::OutOfRange { member, .. } => format!("{OUT_OF_RANGE}{member}"),
        other => other.to_string(),
    }
}

/// `0000-01-01T00:00:00Z` and `9999-12-31T23:59:59Z` in Unix seconds: the
/// range the cache writes.
const MIN_WRITTEN: i64 = -62_167_219_200;
const MAX_WRITTEN: i64 = 253_402_300_799;

/// `written` is what reading the written form of `read` gives back: `read`
/// with sub-seconds dropped, clamped to the years 0000–9999.
pub(crate) fn check_written_time(read: SystemTime, written: SystemTime) {
    let secs = floor_seconds(read);
    let expected = secs.clamp(MIN_WRITTEN, MAX_WRITTEN);
    assert_eq!(
        Some(written),
        system_time(expected, 0),
        "timestamp {read:?} written as {written:?}"
    );
}

fn floor_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() == 0 {
                -whole
            } else {
                (-whole).saturating_sub(1)
            }
        }
    }
}

pub(crate) fn system_time(secs: i64, nanos: u32) -> Option<SystemTime> {
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// Instants around `t` and at the ends of what a clock may say.
pub(crate) fn edge_instants(t: SystemTime) -> Vec<SystemTime> {
    let second = Duration::from_secs(1);
    let window = Duration::from_secs(15 * 60);
    let mut out = vec![UNIX_EPOCH, t];
    out.extend(t.checked_sub(second));
    out.extend(t.checked_add(second));
    out.extend(t.checked_sub(window));
    out.extend(t.checked_add(window));
    out.extend(system_time(MAX_WRITTEN, 0));
    out.extend(system_time(MIN_WRITTEN, 0));
    out
}

/// Whether `needle` occurs in `haystack` (an empty needle always does).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The maximal runs of at least `min` credential characters
/// (`A-Z a-z 0-9 - . _ ~ + / = | :`) of `text`: the shape of a secret the
/// secret checks look for.
pub(crate) fn credential_runs(text: &str, min: usize) -> Vec<&str> {
    text.split(|c: char| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '|' | ':'))
    })
    .filter(|run| run.len() >= min)
    .collect()
}

/// Panics when `shown` (an error's or a value's `Display`/`Debug`) holds a
/// run of at least 16 credential characters (see [`credential_runs`]) of
/// one of `secrets`, unless that run also occurs in `allowed` (text the
/// error may legitimately show, e.g. a service message).
pub(crate) fn assert_no_secret(what: &str, shown: &str, secrets: &[&str], allowed: &[&str]) {
    for secret in secrets {
        for run in credential_runs(secret, 16) {
            if shown.contains(run) && !allowed.iter().any(|a| a.contains(run)) {
                panic!("{what} shows the secret run {run:?}: {shown}");
            }
        }
    }
}

/// The string value of `key` in a JSON object (`None` when absent or not a
/// string).
pub(crate) fn json_str<'a>(value: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(serde_json::Value::as_str)
}

/// Whether `data` is in the sample (one input in `n`, by an FNV-1a hash of
/// its bytes) on which a target runs its costliest oracles on every step:
/// deterministic, so a crash found on a sampled input replays, and the
/// fuzzer's mutations of an input land in the sample in one case of `n`.
pub(crate) fn sampled(data: &[u8], n: u64) -> bool {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash.is_multiple_of(n)
}
