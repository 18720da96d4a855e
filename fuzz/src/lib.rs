//! The bodies of the `oidc-core` fuzz targets.
//!
//! One function per target, each taking the raw fuzz input. The libFuzzer
//! binaries in `fuzz/fuzz_targets/` call them, and the stable test
//! `oidc-core/tests/fuzz_corpus.rs` includes this very file (with
//! `#[path]`) to replay every corpus file through the same code, so a seed
//! that once crashed stays a regression test on stable Rust.
//!
//! This file therefore uses nothing but `oidc-core` and crates `oidc-core`
//! itself depends on (`http`, `serde_json`, `time`), and no fuzzing
//! library: inputs are decoded by hand from small text formats, which keeps
//! the seeds in `fuzz/corpus/<target>/` readable and easy to write.
//!
//! A target panics (a libFuzzer crash, a failed replay test) when
//! `oidc-core` panics or when one of the invariants checked here is broken.
//!
//! # Input formats
//!
//! * HTTP response targets (`register_client`, `start_device_authorization`,
//!   `create_token`, `create_token_with_iam`): a response written like on
//!   the wire without the protocol name: the status code on the first line,
//!   then `Name: value` header lines, an empty line, and the body (the rest
//!   of the input, any bytes). See [`response`].
//! * `cache_token`, `cache_registration`: the cache file's bytes.
//! * `cache_timestamp`: the text of an `expiresAt` value.
//! * `pkce_redirect`: the request target the loopback listener received;
//!   the expected state is [`expected_state`].
//! * `endpoint`: three lines: flags (`oidc`/`sso`/`sts`, `fips`,
//!   `dualstack`, `global`), the region (`-` for none), the custom endpoint
//!   URL (`-` for none).
//! * `device_flow`: a script; see [`device_flow`].
//! * `sts_parse`, `portal_parse`: a response as above, given to every STS
//!   (portal) operation's parser; see [`sts_parse`], [`portal_parse`].
//! * `sts_form_encode`: an operation name, then one member per line; see
//!   [`sts_form_encode`].
//! * `portal_paginator`: a header line, then one page per line; see
//!   [`portal_paginator`].
//! * `sigv4_canonical`: `METHOD URI`, signing parameters, headers, body;
//!   see [`sigv4_canonical`].
//! * `call_machine`: a header line, then one answer per line; see
//!   [`call_machine`].
//!
//! `loopback_request` and `emulator_http` need `oidc-host` and
//! `oidc-emulator`; their bodies live in `src/host.rs` (see
//! [`HOST_TARGETS`]).
// The harness panics on purpose when a property fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::cache::{self, CachedRegistration, CachedToken, RefreshPolicy, RegistrationUse};
use oidc_core::device_flow::{DeviceFlow, DeviceFlowError, MIN_INTERVAL};
use oidc_core::endpoint::{self, Endpoint, EndpointConfig, Service};
use oidc_core::pkce::{self, RedirectError, State};
use oidc_core::secret::ClientSecret;
use oidc_core::sso::get_role_credentials::{self, GetRoleCredentialsInput};
use oidc_core::sso::list_account_roles::{self, ListAccountRolesInput};
use oidc_core::sso::list_accounts::{self, ListAccountsInput};
use oidc_core::sso::logout::{self, LogoutInput};
use oidc_core::sso_oidc::create_token::CreateTokenInput;
use oidc_core::sso_oidc::create_token_with_iam::CreateTokenWithIamInput;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_core::sso_oidc::{
    create_token, create_token_with_iam, register_client, start_device_authorization,
};
use oidc_core::step::Step;
use oidc_core::{
    retry, Error, Operation, ParseErrorKind, TimeoutPhase, TransportError, TransportErrorKind,
};

/// A fuzz target: takes the raw input, panics on a bug.
pub type Target = fn(&[u8]);

/// Every target, by the name of its libFuzzer binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("register_client", register_client),
    ("start_device_authorization", start_device_authorization),
    ("create_token", create_token),
    ("create_token_with_iam", create_token_with_iam),
    ("cache_token", cache_token),
    ("cache_registration", cache_registration),
    ("cache_timestamp", cache_timestamp),
    ("pkce_redirect", pkce_redirect),
    ("endpoint", endpoint),
    ("device_flow", device_flow),
    ("sts_parse", sts_parse),
    ("sts_form_encode", sts_form_encode),
    ("portal_parse", portal_parse),
    ("portal_paginator", portal_paginator),
    ("sigv4_canonical", sigv4_canonical),
    ("call_machine", call_machine),
];

/// Targets whose bodies need `oidc-host` or `oidc-emulator` (in
/// `src/host.rs`, outside this file, which `oidc-core`'s tests include):
/// replayed by `fuzz/tests/replay.rs` (`cargo test` inside `fuzz/`).
pub const HOST_TARGETS: &[&str] = &["loopback_request", "emulator_http", "aws_config"];

// ---------------------------------------------------------------------------
// Operation parsers
// ---------------------------------------------------------------------------

/// `register_client::parse` on a response decoded by [`response`].
pub fn register_client(data: &[u8]) {
    let response = response(data);
    match register_client::parse(&response) {
        Ok(output) => {
            let _ = output.expires_at();
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}

/// `start_device_authorization::parse` on a response decoded by [`response`].
pub fn start_device_authorization(data: &[u8]) {
    let response = response(data);
    match start_device_authorization::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}

/// `create_token::parse` on a response decoded by [`response`].
pub fn create_token(data: &[u8]) {
    let response = response(data);
    match create_token::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}

/// `create_token_with_iam::parse` on a response decoded by [`response`].
pub fn create_token_with_iam(data: &[u8]) {
    let response = response(data);
    match create_token_with_iam::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}

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
struct Lines<'a> {
    rest: &'a [u8],
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
fn check_error(response: &http::Response<Vec<u8>>, error: &Error) {
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
                let leaked = credential_like_words(member)
                    .into_iter()
                    .find(|w| sent.contains(w));
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

/// The words of `text` that the documented scrubbing rule of service error
/// text calls credentials: maximal runs of at least 32 characters from
/// `A-Z a-z 0-9 - . _ ~ + / = | :` holding a letter and a digit, except URLs
/// (containing `://`) and ARNs (starting with `arn:`).
fn credential_like_words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '|' | ':'))
    })
    .filter(|w| {
        w.len() >= 32
            && w.bytes().any(|b| b.is_ascii_digit())
            && w.bytes().any(|b| b.is_ascii_alphabetic())
            && !w.contains("://")
            && !w.starts_with("arn:")
    })
    .map(str::to_owned)
    .collect()
}

/// The credential-like words (see [`credential_like_words`]) of the
/// response's header values and body, as sent. An error may show a word
/// only if the scrubber let it through whole; a word the scrubber made by
/// redacting part of a longer one (a URL or ARN piece) was never a
/// credential the service sent, and is not flagged.
fn input_credential_words(response: &http::Response<Vec<u8>>) -> Vec<String> {
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
fn without_position(kind: ParseErrorKind) -> String {
    match kind {
        ParseErrorKind::Truncated { .. } => "truncated".to_owned(),
        ParseErrorKind::NotJson {
            looks_like_html, ..
        } => format!("not json {looks_like_html}"),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------

/// `CachedToken::from_json`; on success, the written form reads back and is
/// a fixpoint, and the time-dependent queries hold up at edge instants.
pub fn cache_token(data: &[u8]) {
    let token = match CachedToken::from_json(data) {
        Ok(token) => token,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let json = token.to_json();
    let again = CachedToken::from_json(&json).expect("to_json output must read back");
    assert_eq!(again.to_json(), json, "to_json is not a fixpoint");
    assert_eq!(again.start_url, token.start_url);
    assert_eq!(again.region, token.region);
    assert_eq!(again.client_id, token.client_id);
    assert_eq!(again.access_token.secret(), token.access_token.secret());
    assert_eq!(
        again.client_secret.as_ref().map(ClientSecret::secret),
        token.client_secret.as_ref().map(ClientSecret::secret)
    );
    assert_eq!(
        again.refresh_token.as_ref().map(|t| t.secret().to_owned()),
        token.refresh_token.as_ref().map(|t| t.secret().to_owned())
    );
    check_written_time(token.expires_at, again.expires_at);
    match (token.registration_expires_at, again.registration_expires_at) {
        (Some(read), Some(written)) => check_written_time(read, written),
        (None, None) => {}
        other => panic!("registrationExpiresAt lost or invented: {other:?}"),
    }
    let policy = RefreshPolicy::default();
    for now in edge_instants(token.expires_at) {
        let expired = token.is_expired(now);
        assert_eq!(
            token.remaining(now).is_none(),
            expired,
            "remaining vs is_expired"
        );
        let _ = token.is_refreshable(now);
        let _ = cache::refresh_decision(&token, now, None, &policy);
        let _ = cache::refresh_decision(&token, now, Some(now), &policy);
        let _ = cache::refresh_decision(&token, now, Some(token.expires_at), &policy);
    }
}

/// `CachedRegistration::from_json`; on success, the written form reads back
/// and is a fixpoint, and `usable_for` holds up at edge instants.
pub fn cache_registration(data: &[u8]) {
    let registration = match CachedRegistration::from_json(data) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let json = registration.to_json();
    let again = CachedRegistration::from_json(&json).expect("to_json output must read back");
    assert_eq!(again.to_json(), json, "to_json is not a fixpoint");
    assert_eq!(again.client_id, registration.client_id);
    assert_eq!(
        again.client_secret.secret(),
        registration.client_secret.secret()
    );
    assert_eq!(again.scopes, registration.scopes);
    assert_eq!(again.grant_types, registration.grant_types);
    check_written_time(registration.expires_at, again.expires_at);
    for now in edge_instants(registration.expires_at) {
        let code = registration.usable_for(RegistrationUse::AuthorizationCode, now);
        let device = registration.usable_for(RegistrationUse::DeviceCode, now);
        assert!(!(code && device), "usable for both flows");
        if code {
            assert!(registration.supports_authorization_code());
        }
    }
    let _ = cache::registration_cache_file_name(
        &registration.client_id,
        "us-east-1",
        registration.scopes.as_deref(),
        None,
    );
}

/// The cache timestamp parser (private in `oidc-core`), reached through
/// `CachedToken::from_json`: the input is the text of `expiresAt` and of
/// `registrationExpiresAt`. Checks that both read the same, that what is
/// written reads back, that the canonical form `YYYY-MM-DDThh:mm:ssZ`
/// survives a round trip unchanged, and agrees with the `time` crate's
/// RFC 3339 parser.
pub fn cache_timestamp(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let document = serde_json::json!({
        "accessToken": "token",
        "expiresAt": text,
        "registrationExpiresAt": text,
    });
    let bytes = serde_json::to_vec(&document).expect("a JSON value serialises");
    let rfc3339 = rfc3339_instant(&text);
    let token = match CachedToken::from_json(&bytes) {
        Ok(token) => token,
        Err(e) => {
            assert_eq!(
                e,
                cache::CacheFormatError::InvalidTimestamp { key: "expiresAt" },
                "unexpected error for timestamp {text:?}"
            );
            if let Some(t) = rfc3339 {
                panic!("{text:?} is RFC 3339 ({t:?}) but was rejected");
            }
            return;
        }
    };
    assert_eq!(token.registration_expires_at, Some(token.expires_at));
    if let Some(t) = rfc3339 {
        assert_eq!(
            token.expires_at, t,
            "{text:?} read differently from RFC 3339"
        );
    }
    let json = token.to_json();
    let again = CachedToken::from_json(&json).expect("to_json output must read back");
    check_written_time(token.expires_at, again.expires_at);
    if is_canonical(&text) && !text.ends_with(":60Z") {
        let written = String::from_utf8(json).expect("to_json writes UTF-8");
        assert!(
            written.contains(&format!("\"expiresAt\": \"{text}\"")),
            "canonical timestamp {text:?} not written back verbatim: {written}"
        );
    }
}

/// The instant of an RFC 3339 timestamp per the `time` crate, when it is
/// one without a leap second, with `T`, `t` or a space between date and
/// time (the `time` crate also accepts other bytes there), and `SystemTime` can
/// hold it.
fn rfc3339_instant(text: &str) -> Option<SystemTime> {
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    if text.get(17..19) == Some("60") {
        return None;
    }
    let nanos = parsed.unix_timestamp_nanos();
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    system_time(secs, sub)
}

/// `YYYY-MM-DDThh:mm:ssZ` with digits where digits belong.
fn is_canonical(text: &str) -> bool {
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    text.len() == shape.len()
        && text.bytes().zip(shape).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            other => b == *other,
        })
}

/// `0000-01-01T00:00:00Z` and `9999-12-31T23:59:59Z` in Unix seconds: the
/// range the cache writes.
const MIN_WRITTEN: i64 = -62_167_219_200;
const MAX_WRITTEN: i64 = 253_402_300_799;

/// `written` is what reading the written form of `read` gives back: `read`
/// with sub-seconds dropped, clamped to the years 0000–9999.
fn check_written_time(read: SystemTime, written: SystemTime) {
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

fn system_time(secs: i64, nanos: u32) -> Option<SystemTime> {
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// Instants around `t` and at the ends of what a clock may say.
fn edge_instants(t: SystemTime) -> Vec<SystemTime> {
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

// ---------------------------------------------------------------------------
// PKCE redirect
// ---------------------------------------------------------------------------

/// The state the `pkce_redirect` target expects
/// (`State::from_random_bytes(&[0x42; 16])`, i.e.
/// `42424242-4242-4242-8242-424242424242` after the version bits).
pub fn expected_state() -> State {
    State::from_random_bytes(&[0x42; 16])
}

/// `pkce::parse_redirect` on the input (lossy UTF-8) as the request target.
/// A returned code re-encoded in a fresh redirect parses to the same code.
pub fn pkce_redirect(data: &[u8]) {
    let target = String::from_utf8_lossy(data);
    let state = expected_state();
    let _ = state.matches(&target);
    match pkce::parse_redirect(&target, &state) {
        Ok(code) => {
            assert!(!code.secret().is_empty(), "empty code accepted");
            let other = State::from_random_bytes(&[0x24; 16]);
            assert_eq!(
                pkce::parse_redirect(&target, &other).map(|c| c.secret().to_owned()),
                Err(RedirectError::StateMismatch),
                "code accepted for two different states"
            );
            let again = format!(
                "{}?code={}&state={}",
                pkce::CALLBACK_PATH,
                form_encode(code.secret()),
                state.as_str()
            );
            let code_again = pkce::parse_redirect(&again, &state).expect("re-encoded redirect");
            assert_eq!(code_again.secret(), code.secret());
        }
        Err(e) => {
            let message = e.to_string();
            let _ = e.is_ignorable();
            if let RedirectError::Authorization { error, .. } = &e {
                assert!(!error.is_empty(), "empty error parameter reported");
            }
            // The message quotes `error` and `error_description`; the state
            // may only show when the server put it in one of those.
            let quoted = match &e {
                RedirectError::Authorization {
                    error,
                    error_description,
                } => format!("{error:?} {error_description:?}"),
                _ => String::new(),
            };
            assert!(
                !message.contains(state.as_str()) || quoted.contains(state.as_str()),
                "the error message shows the state: {message}"
            );
        }
    }
}

/// `application/x-www-form-urlencoded` encoding (the reference the target
/// checks decoding against).
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Endpoint resolution
// ---------------------------------------------------------------------------

/// `endpoint::resolve` for the configuration in the input (and
/// `Endpoint::from_url` for its URL line). A resolved endpoint validates
/// again with `from_url`, carries the region in its host when no custom URL
/// was set, and forms a request URI for every operation path.
pub fn endpoint(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let flags = lines.next().unwrap_or_default();
    let region = lines.next().filter(|l| *l != "-");
    let url = lines.next().filter(|l| *l != "-");
    let mut service = Service::SsoOidc;
    let mut config = EndpointConfig::new();
    for flag in flags.split_whitespace() {
        match flag {
            "oidc" => service = Service::SsoOidc,
            "sso" => service = Service::SsoPortal,
            "sts" => service = Service::Sts,
            "fips" => config = config.with_fips(true),
            "dualstack" => config = config.with_dual_stack(true),
            "global" => config = config.with_global_endpoint(true),
            _ => {}
        }
    }
    if let Some(region) = region {
        config.region = Some(region.to_owned());
    }
    if let Some(url) = url {
        config = config.with_endpoint_url(url);
        if let Ok(e) = Endpoint::from_url(url) {
            assert_eq!(e.url(), url, "from_url changed the URL");
            check_endpoint(&e);
        }
    }
    match endpoint::resolve(service, &config) {
        Ok(e) => {
            let again = Endpoint::from_url(e.url()).expect("a resolved URL validates");
            assert_eq!(again.url(), e.url());
            match (&config.endpoint_url, &config.region) {
                (Some(url), _) => assert_eq!(e.url(), url, "custom endpoint not verbatim"),
                (None, Some(region)) => {
                    let global_sts =
                        service == Service::Sts && e.url() == "https://sts.amazonaws.com";
                    assert!(
                        e.url().starts_with("https://")
                            && (global_sts || e.url().contains(region.as_str())),
                        "{} does not name region {region:?}",
                        e.url()
                    );
                }
                (None, None) => panic!("resolved {} without a region or URL", e.url()),
            }
            check_endpoint(&e);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Every operation can build its request on a validated endpoint.
fn check_endpoint(e: &Endpoint) {
    let input = RegisterClientInput::new("fuzz");
    let request = register_client::request(&input, e).unwrap_or_else(|err| {
        panic!(
            "endpoint {:?} validated but cannot form a request: {err}",
            e.url()
        )
    });
    assert!(request.uri().to_string().ends_with("/client/register"));
    for path in ["/token", "/token?aws_iam=t", "/device_authorization"] {
        let joined = e.join(path);
        assert!(
            joined.parse::<http::Uri>().is_ok(),
            "{joined:?} is not a request URI"
        );
    }
}

// ---------------------------------------------------------------------------
// Device flow
// ---------------------------------------------------------------------------

/// The client secret the device-flow target registers with; it must never
/// show in the `Debug` output of the flow or of its actions.
const CLIENT_SECRET: &str = "fuzz-client-secret-5f0c2e";

/// Used when the script's first line is not a valid
/// `StartDeviceAuthorization` body.
const DEFAULT_AUTHORIZATION: &str = r#"{"deviceCode":"device-code","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","expiresIn":600,"interval":1}"#;

/// Drives a [`DeviceFlow`] by a script and checks its contract.
///
/// The first line is the `StartDeviceAuthorization` response body the flow
/// starts from (a default one when it does not parse). Each further line is
/// one event:
///
/// * `poll`: call `poll` at the current time and check the action;
/// * `respond <status> <x-amzn-ErrorType or -> <body>`: hand a response to
///   `handle_response`;
/// * `transport` / `transport timeout`: report a transport error;
/// * `advance <ms>` / `back <ms>`: move the clock;
/// * `wait`: move the clock to the last `WaitUntil` instant.
///
/// Other lines are ignored. After the script, the flow is driven (answering
/// "authorization pending") for a bounded number of steps, and then polled
/// at its deadline, where it must be done.
///
/// Invariants: no panic; never two requests in flight; a poll is never sent
/// sooner than the interval in force after the previous answer, nor at or
/// after the deadline; `WaitUntil` lies strictly in the future and not
/// after the deadline; the prompt is shown once, after the first request;
/// once done the flow stays done with the same outcome; at the deadline an
/// unfinished flow ends `Expired`; after more than
/// `MAX_CONSECUTIVE_TRANSIENT_FAILURES` transport errors in a row it has
/// ended; responses are refused unless a request is in flight; the client
/// secret never shows in `Debug` output.
pub fn device_flow(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let authorization = start_device_authorization::parse(&http::Response::new(first))
        .or_else(|_| start_device_authorization::parse(&http::Response::new(DEFAULT_AUTHORIZATION)))
        .expect("the default authorization parses");
    let endpoint =
        Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").expect("a valid endpoint");
    let hidden = hidden_values(&text, authorization.device_code.secret());
    let start = Instant::now();
    let flow = DeviceFlow::new(
        "client-id",
        ClientSecret::new(CLIENT_SECRET),
        authorization,
        endpoint,
        start,
    );
    let mut driver = Driver::new(flow, start, hidden);
    for line in lines {
        let mut words = line.splitn(4, ' ');
        match words.next().unwrap_or_default() {
            "poll" => {
                driver.poll();
            }
            "respond" => {
                let status = words.next().and_then(|s| s.parse::<u16>().ok());
                let error_type = words.next().filter(|t| *t != "-");
                let body = words.next().unwrap_or_default();
                driver.respond(status, error_type, body);
            }
            "transport" => driver.transport(words.next() == Some("timeout")),
            "advance" => {
                if let Some(ms) = words.next().and_then(|s| s.parse::<u64>().ok()) {
                    driver.now = driver
                        .now
                        .checked_add(Duration::from_millis(ms))
                        .unwrap_or(driver.now);
                }
            }
            "back" => {
                if let Some(ms) = words.next().and_then(|s| s.parse::<u64>().ok()) {
                    driver.now = driver
                        .now
                        .checked_sub(Duration::from_millis(ms))
                        .unwrap_or(driver.now);
                }
            }
            "wait" => {
                if let Some(t) = driver.last_wait {
                    driver.now = driver.now.max(t);
                }
            }
            _ => {}
        }
    }
    driver.finish();
}

/// The secrets whose absence from `Debug` output the device-flow target
/// can check: the client secret, and the device code when it is distinctive
/// (long, plain characters, written once in the script). A value the script
/// also puts in a non-secret place would show legitimately.
fn hidden_values(script: &str, device_code: &str) -> Vec<String> {
    let mut hidden = Vec::new();
    if !script.contains(CLIENT_SECRET) {
        hidden.push(CLIENT_SECRET.to_owned());
    }
    let plain = device_code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    // The code comes from the first line (or is the default one); it must
    // not be written anywhere else, not even through a JSON escape (no `\`
    // after the first line), where a key an error path shows could spell it.
    let rest = script.split_once('\n').map_or("", |(_, rest)| rest);
    if device_code.len() >= 8
        && plain
        && script.matches(device_code).count() <= 1
        && !rest.contains(device_code)
        && !rest.contains('\\')
    {
        hidden.push(device_code.to_owned());
    }
    hidden
}

/// What the driver knows of the flow's history.
struct Driver {
    /// Secrets that must never show in `Debug` output.
    hidden: Vec<String>,
    flow: DeviceFlow,
    now: Instant,
    deadline: Instant,
    in_flight: bool,
    sends: u32,
    prompt_shown: bool,
    /// When the last answer was handled, and the interval in force after it.
    last_answer: Option<(Instant, Duration)>,
    last_wait: Option<Instant>,
    /// `Some(is_ok)` once `poll` returned `Done`.
    done: Option<bool>,
    consecutive_transport_errors: u32,
}

impl Driver {
    fn new(flow: DeviceFlow, now: Instant, hidden: Vec<String>) -> Driver {
        let deadline = flow.deadline();
        assert_eq!(flow.prompt().expires_at, deadline);
        assert!(flow.interval() >= MIN_INTERVAL);
        Driver {
            hidden,
            flow,
            now,
            deadline,
            in_flight: false,
            sends: 0,
            prompt_shown: false,
            last_answer: None,
            last_wait: None,
            done: None,
            consecutive_transport_errors: 0,
        }
    }

    /// One `poll`, checked. Returns whether the flow is done.
    fn poll(&mut self) -> bool {
        let was_finished = self.flow.is_finished();
        let action = self.flow.poll(self.now);
        let debug = format!("{action:?}");
        self.check_hidden(&debug);
        if self.now >= self.deadline {
            assert!(matches!(action, Step::Done(_)), "{debug} at the deadline");
        }
        match action {
            Step::Send(request) => {
                assert!(self.done.is_none(), "sent after done");
                assert!(!self.in_flight, "two requests in flight");
                assert!(self.now < self.deadline, "sent at the deadline");
                if let Some((answered, interval)) = self.last_answer {
                    assert!(
                        self.now
                            .checked_duration_since(answered)
                            .is_some_and(|d| d >= interval),
                        "polled sooner than {interval:?} after the last answer"
                    );
                }
                assert_eq!(request.method(), http::Method::POST);
                assert_eq!(request.uri().path(), "/token");
                let body: serde_json::Value =
                    serde_json::from_slice(request.body()).expect("the request body is JSON");
                assert_eq!(
                    body["grantType"],
                    "urn:ietf:params:oauth:grant-type:device_code"
                );
                self.in_flight = true;
                self.sends += 1;
                false
            }
            Step::Local(prompt) => {
                assert!(!self.prompt_shown, "prompt shown twice");
                assert!(self.sends >= 1, "prompt shown before the first request");
                assert_eq!(&prompt, self.flow.prompt());
                let _ = prompt.uri_to_open();
                self.prompt_shown = true;
                false
            }
            Step::WaitUntil(t) => {
                assert!(t > self.now, "WaitUntil is not in the future");
                assert!(t <= self.deadline, "WaitUntil is after the deadline");
                self.last_wait = Some(t);
                false
            }
            Step::Done(outcome) => {
                assert!(self.flow.is_finished());
                if let Some(was_ok) = self.done {
                    assert_eq!(was_ok, outcome.is_ok(), "the outcome changed");
                }
                if !was_finished && self.now >= self.deadline {
                    assert!(
                        matches!(outcome, Err(DeviceFlowError::Expired { service: None })),
                        "unfinished flow at the deadline ended {outcome:?}"
                    );
                }
                if let Err(e) = &outcome {
                    let _ = e.to_string();
                }
                self.done = Some(outcome.is_ok());
                self.in_flight = false;
                true
            }
        }
    }

    fn respond(&mut self, status: Option<u16>, error_type: Option<&str>, body: &str) {
        let mut response = http::Response::new(body.as_bytes().to_vec());
        if let Some(status) = status.and_then(|s| http::StatusCode::from_u16(s).ok()) {
            *response.status_mut() = status;
        }
        if let Some(value) = error_type.and_then(|t| http::HeaderValue::from_str(t).ok()) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        let before = self.flow.interval();
        let result = self.flow.handle_response(self.now, &response);
        self.answered(result, before);
        self.consecutive_transport_errors = 0;
    }

    fn transport(&mut self, timeout: bool) {
        let error = if timeout {
            TransportError::timeout(
                CreateTokenInput::NAME,
                TimeoutPhase::Read,
                Duration::from_secs(30),
            )
        } else {
            TransportError::new(CreateTokenInput::NAME, TransportErrorKind::Exchange)
                .with_source("connection reset")
        };
        let before = self.flow.interval();
        let result = self.flow.handle_transport_error(self.now, error.into());
        let was_in_flight = self.in_flight;
        self.answered(result, before);
        if was_in_flight {
            self.consecutive_transport_errors += 1;
            if self.consecutive_transport_errors
                > oidc_core::device_flow::MAX_CONSECUTIVE_TRANSIENT_FAILURES
            {
                // The flow gave up on this very error (the flow's own count
                // of transient failures is at least the driver's).
                assert!(self.flow.is_finished(), "transport errors without end");
                let action = self.flow.poll(self.now);
                assert!(
                    matches!(
                        action,
                        Step::Done(Err(DeviceFlowError::Failed(Error::Transport(_))))
                    ),
                    "gave up with {action:?}"
                );
            }
        }
    }

    fn answered(&mut self, result: Result<(), Error>, interval_before: Duration) {
        if self.in_flight {
            assert!(result.is_ok(), "answer refused: {result:?}");
            self.in_flight = false;
            let interval = self.flow.interval();
            assert!(interval >= interval_before, "the interval shrank");
            self.last_answer = Some((self.now, interval));
        } else {
            assert!(
                matches!(result, Err(Error::Misuse(_))),
                "answer without a request in flight: {result:?}"
            );
        }
        self.check_hidden(&format!("{:?}", self.flow));
    }

    fn check_hidden(&self, debug: &str) {
        for secret in &self.hidden {
            assert!(
                !debug.contains(secret.as_str()),
                "a secret shows in {debug}"
            );
        }
    }

    /// Drives the flow to its end: answers "pending" for a bounded number
    /// of steps, then polls at the deadline.
    fn finish(&mut self) {
        for _ in 0..8 {
            if self.in_flight {
                self.respond(
                    Some(400),
                    Some("AuthorizationPendingException"),
                    r#"{"error":"authorization_pending"}"#,
                );
            }
            if self.poll() {
                break;
            }
            if !self.in_flight {
                if let Some(t) = self.last_wait {
                    self.now = self.now.max(t);
                }
            }
        }
        self.now = self.now.max(self.deadline);
        assert!(self.poll(), "not done at the deadline");
        assert!(self.poll(), "not done after done");
    }
}

// ---------------------------------------------------------------------------
// STS: parsers
// ---------------------------------------------------------------------------

/// Elements of STS responses whose text the parsers wrap in a secret type.
const STS_SECRET_ELEMENTS: [&str; 3] = ["SecretAccessKey", "SessionToken", "WebIdentityToken"];

/// The shortest run of credential characters the secret checks look for: a
/// shorter value may legitimately coincide with other text.
const SECRET_RUN_MIN: usize = 24;

/// Every STS operation's `parse` on a response decoded by [`response`].
///
/// The secret property: a *secret run* is a maximal run of at least
/// [`SECRET_RUN_MIN`] credential characters (`A-Z a-z 0-9 - . _ ~ + / = |
/// :`) in the text of a start tag named `SecretAccessKey`, `SessionToken`
/// or `WebIdentityToken` (any prefix) up to the next `<`, i.e. a value the
/// parser wraps in a secret type. Then:
///
/// * on success, `Debug` (`{:?}` and `{:#?}`) of the output shows no
///   secret run that does not also show once every secret member is
///   replaced by the empty string (a secret may legitimately equal the
///   text of a non-secret member);
/// * on error, `Display` and `Debug` of the error show no secret run,
///   unless the run also occurs in the input outside the secret elements
///   (raw, or with the XML entities decoded), e.g. as a request id.
///
/// Besides: no panic, parsing twice gives the same result, the error's
/// status is the response's, a request id comes from a header or the body,
/// service errors are non-2xx with a clean code and scrubbed text (no
/// 32+-character credential-like word, the documented rule), and a parser
/// returns nothing but [`Error::Service`] or [`Error::Parse`].
pub fn sts_parse(data: &[u8]) {
    use oidc_core::secret::{SecretAccessKey, SessionToken, WebIdentityToken};
    use oidc_core::sts::{
        assume_role::AssumeRoleInput, assume_role_with_saml::AssumeRoleWithSamlInput,
        assume_role_with_web_identity::AssumeRoleWithWebIdentityInput,
        assume_root::AssumeRootInput,
        decode_authorization_message::DecodeAuthorizationMessageInput,
        get_access_key_info::GetAccessKeyInfoInput, get_caller_identity::GetCallerIdentityInput,
        get_delegated_access_token::GetDelegatedAccessTokenInput,
        get_federation_token::GetFederationTokenInput, get_session_token::GetSessionTokenInput,
        get_web_identity_token::GetWebIdentityTokenInput,
    };
    fn blank(c: &mut oidc_core::Credentials) {
        c.secret_access_key = SecretAccessKey::new("");
        c.session_token = c.session_token.as_ref().map(|_| SessionToken::new(""));
    }
    let response = response(data);
    // Only the body holds elements (the head is status and headers).
    let body_start = data.len() - response.body().len();
    let secrets = secret_runs(data, body_start, &STS_SECRET_ELEMENTS);
    sts_one::<AssumeRoleInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<AssumeRoleWithSamlInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<AssumeRoleWithWebIdentityInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<AssumeRootInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<DecodeAuthorizationMessageInput>(&response, &secrets, |_| {});
    sts_one::<GetAccessKeyInfoInput>(&response, &secrets, |_| {});
    sts_one::<GetCallerIdentityInput>(&response, &secrets, |_| {});
    sts_one::<GetDelegatedAccessTokenInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<GetFederationTokenInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<GetSessionTokenInput>(&response, &secrets, |o| blank(&mut o.credentials));
    sts_one::<GetWebIdentityTokenInput>(&response, &secrets, |o| {
        o.web_identity_token = WebIdentityToken::new("");
    });
}

fn sts_one<O: Operation>(
    response: &http::Response<Vec<u8>>,
    secrets: &SecretRuns,
    blank: fn(&mut O::Output),
) where
    O::Output: std::fmt::Debug,
{
    let result = O::parse(response);
    let again = O::parse(response);
    assert_eq!(
        format!("{result:?}"),
        format!("{again:?}"),
        "{}: parsing twice differs",
        O::NAME
    );
    match result {
        Ok(mut output) => {
            assert!(
                response.status().is_success(),
                "{}: output for a non-2xx",
                O::NAME
            );
            let shown = format!("{output:?}\n{output:#?}");
            blank(&mut output);
            let blanked = format!("{output:?}\n{output:#?}");
            for run in &secrets.runs {
                assert!(
                    !shown.contains(run.as_str()) || blanked.contains(run.as_str()),
                    "{}: Debug of the output shows the secret {run:?}: {shown}",
                    O::NAME
                );
            }
        }
        Err(e) => {
            check_query_error(response, &e);
            let shown = format!("{e}\n{e:?}");
            for run in &secrets.runs {
                if !shown.contains(run.as_str()) || secrets.occurs_outside(run) {
                    continue;
                }
                // Text the error shows whatever the secrets say (e.g. an
                // element path that happens to equal a secret) is fine.
                let masked = match O::parse(&self::response(&secrets.masked)) {
                    Ok(_) => String::new(),
                    Err(e) => format!("{e}\n{e:?}"),
                };
                assert!(
                    masked.contains(run.as_str()),
                    "{}: the error shows the secret {run:?}: {shown}",
                    O::NAME
                );
            }
        }
    }
}

/// The invariants of an error parsed from an awsQuery (STS) response.
fn check_query_error(response: &http::Response<Vec<u8>>, error: &Error) {
    let status = response.status().as_u16();
    let message = error.to_string();
    let _ = format!("{error:?}");
    let _ = retry::classify(error);
    assert_eq!(error.status(), Some(status), "error status: {message}");
    if let Some(id) = error.request_id() {
        assert!(!id.is_empty(), "empty request id");
        let in_header = ["x-amzn-requestid", "x-amz-request-id"]
            .iter()
            .flat_map(|name| response.headers().get_all(*name))
            .any(|v| v.as_bytes() == id.as_bytes());
        // From `<RequestId>`: entities are decoded, so only the plain
        // pieces are found verbatim.
        let in_body = id
            .split(|c: char| !c.is_ascii_alphanumeric())
            .all(|piece| contains(response.body(), piece.as_bytes()));
        assert!(
            in_header || in_body,
            "request id {id:?} is neither a header nor in the body"
        );
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
            let sent = input_credential_words(response);
            for member in [Some(code), e.message.as_deref()].into_iter().flatten() {
                let leaked = credential_like_words(member)
                    .into_iter()
                    .find(|w| sent.contains(w));
                if let Some(word) = leaked {
                    panic!("service error shows a credential-like word {word:?}: {message}");
                }
            }
        }
        Error::Parse(e) => {
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

/// Whether `needle` occurs in `haystack` (an empty needle always does).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The secret runs of an input and the input without them.
struct SecretRuns {
    runs: Vec<String>,
    /// The input with the text of the secret elements zeroed.
    outside: Vec<u8>,
    /// `outside` with XML entities decoded (lossy UTF-8).
    outside_decoded: String,
    /// The input with every byte of the secret elements' text replaced by
    /// `x`.
    masked: Vec<u8>,
}

impl SecretRuns {
    fn occurs_outside(&self, run: &str) -> bool {
        contains(&self.outside, run.as_bytes()) || self.outside_decoded.contains(run)
    }
}

fn is_credential_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'|' | b':'
        )
}

/// Finds the text after every start tag (in `data[body_start..]`) whose
/// local name is one of `names`, up to the next `<` (see [`sts_parse`]).
fn secret_runs(data: &[u8], body_start: usize, names: &[&str]) -> SecretRuns {
    let mut outside = data.to_vec();
    let mut masked = data.to_vec();
    let mut runs = Vec::new();
    let mut i = body_start;
    while let Some(offset) = data[i..].iter().position(|&b| b == b'<') {
        let start = i + offset + 1;
        i = start;
        let name_end = data[start..]
            .iter()
            .position(|b| matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n' | b'<'))
            .map_or(data.len(), |p| start + p);
        let name = &data[start..name_end];
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        if !names.iter().any(|n| n.as_bytes() == local) {
            continue;
        }
        let Some(gt) = data[name_end..].iter().position(|b| *b == b'>') else {
            break;
        };
        let gt = name_end + gt;
        if data[..gt].ends_with(b"/") {
            continue;
        }
        let text_start = gt + 1;
        let text_end = data[text_start..]
            .iter()
            .position(|b| *b == b'<')
            .map_or(data.len(), |p| text_start + p);
        for run in data[text_start..text_end].split(|b| !is_credential_char(*b)) {
            if run.len() >= SECRET_RUN_MIN {
                runs.push(String::from_utf8_lossy(run).into_owned());
            }
        }
        outside[text_start..text_end].fill(0);
        masked[text_start..text_end].fill(b'x');
        i = text_end;
    }
    let outside_decoded = decode_xml_entities(&String::from_utf8_lossy(&outside));
    SecretRuns {
        runs,
        outside,
        outside_decoded,
        masked,
    }
}

/// Decodes the five predefined XML entities and numeric character
/// references; anything else is kept.
fn decode_xml_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let name = &rest[1..semi];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "quot" => Some('"'),
                _ => {
                    let n = if let Some(hex) = name.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = name.strip_prefix('#') {
                        dec.parse::<u32>().ok()
                    } else {
                        None
                    };
                    n.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// STS: form bodies
// ---------------------------------------------------------------------------

/// Builds an STS request from the input and checks its form body.
///
/// Input: lines (lossy UTF-8, split at `\n` only). The first line names
/// the operation (`AssumeRole`, `AssumeRoleWithWebIdentity`,
/// `GetFederationToken`, `GetSessionToken`, `DecodeAuthorizationMessage`,
/// `GetCallerIdentity`; otherwise its first byte picks one). The next
/// lines are the members in model order, one per line, `-` (or a missing
/// line) for an absent optional member; lists are `|`-separated, tags
/// `key=value`, provided contexts `providerArn=assertion`, numbers
/// decimal. See [`sts_form_members`] for the order of each operation.
///
/// Invariants: `request` either fails with [`Error::InvalidInput`] whose
/// text never shows a secret member (one [`is_distinctive`]), or gives a
/// `POST /` with the form content type whose body is canonical
/// `application/x-www-form-urlencoded` (only unreserved bytes, `%XX` with
/// upper-case hex for every other byte and never for an unreserved one,
/// one `=` per pair) and decodes, pair by pair and in order, to
/// `Action=<Op>`, `Version=2011-06-15` and the members of the input
/// flattened the awsQuery way (`Name.member.N`, `Name.member.N.field`,
/// `Name=` for an empty list).
pub fn sts_form_encode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let fields: Vec<Option<&str>> = lines.map(|l| (l != "-").then_some(l)).collect();
    let op = match first {
        "AssumeRole"
        | "AssumeRoleWithWebIdentity"
        | "GetFederationToken"
        | "GetSessionToken"
        | "DecodeAuthorizationMessage"
        | "GetCallerIdentity" => first,
        _ => match first.bytes().next().unwrap_or(0) % 6 {
            0 => "AssumeRole",
            1 => "AssumeRoleWithWebIdentity",
            2 => "GetFederationToken",
            3 => "GetSessionToken",
            4 => "DecodeAuthorizationMessage",
            _ => "GetCallerIdentity",
        },
    };
    let field = |i: usize| fields.get(i).copied().flatten();
    let built = sts_form_members(op, &field);
    let endpoint =
        Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint");
    let request = (built.request)(&endpoint);
    match request {
        Err(e) => {
            assert!(
                matches!(e, Error::InvalidInput(_)),
                "{op}: request failed with {e:?}"
            );
            let shown = format!("{e}\n{e:?}");
            for secret in built.secrets.iter().filter(|s| is_distinctive(s)) {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{op}: the error shows the secret {secret:?}: {shown}"
                );
            }
        }
        Ok(request) => {
            assert_eq!(request.method(), http::Method::POST);
            assert_eq!(request.uri().path(), "/");
            assert_eq!(
                request.headers()[http::header::CONTENT_TYPE],
                "application/x-www-form-urlencoded; charset=utf-8"
            );
            let pairs = form_decode_strict(request.body());
            let mut expected = vec![
                ("Action".to_owned(), op.to_owned()),
                ("Version".to_owned(), "2011-06-15".to_owned()),
            ];
            expected.extend(built.pairs);
            assert_eq!(
                pairs, expected,
                "{op}: the body does not decode to the input"
            );
            let shown = format!("{:?}", oidc_core::debug::DebugRequest(&request));
            for secret in built.secrets.iter().filter(|s| is_distinctive(s)) {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{op}: Debug of the request shows the secret {secret:?}"
                );
            }
        }
    }
}

/// A secret value the checks can look for: 8+ characters, a digit, no
/// white space (so it cannot coincide with an operation or member name or
/// a stock phrase of a message, e.g. a token code `AssumeRole`).
fn is_distinctive(secret: &str) -> bool {
    secret.len() >= 8
        && secret.bytes().any(|b| b.is_ascii_digit())
        && !secret.chars().any(char::is_whitespace)
}

type BuildRequest<'a> = Box<dyn Fn(&Endpoint) -> Result<http::Request<Vec<u8>>, Error> + 'a>;

/// An input built from fuzz fields: how to build its request, the pairs
/// its body must decode to (after `Action` and `Version`), and its secret
/// member values.
struct BuiltInput<'a> {
    request: BuildRequest<'a>,
    pairs: Vec<(String, String)>,
    secrets: Vec<String>,
}

/// The expected pairs, written the awsQuery way.
#[derive(Default)]
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn string(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_owned()));
        }
    }
    fn number(&mut self, name: &str, value: Option<u32>) {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_string()));
        }
    }
    fn strings(&mut self, name: &str, values: Option<&[String]>) {
        let Some(values) = values else { return };
        if values.is_empty() {
            self.0.push((name.to_owned(), String::new()));
        }
        for (i, v) in values.iter().enumerate() {
            self.0.push((format!("{name}.member.{}", i + 1), v.clone()));
        }
    }
    fn structures(&mut self, name: &str, items: Option<&[Vec<(&str, String)>]>) {
        let Some(items) = items else { return };
        if items.is_empty() {
            self.0.push((name.to_owned(), String::new()));
        }
        for (i, fields) in items.iter().enumerate() {
            for (field, v) in fields {
                self.0
                    .push((format!("{name}.member.{}.{field}", i + 1), v.clone()));
            }
        }
    }
}

fn list(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| {
        if v.is_empty() {
            Vec::new()
        } else {
            v.split('|').map(str::to_owned).collect()
        }
    })
}

fn key_values(value: Option<&str>) -> Option<Vec<(String, String)>> {
    list(value).map(|items| {
        items
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (item, String::new()),
            })
            .collect()
    })
}

fn number(value: Option<&str>) -> Option<u32> {
    value.and_then(|v| v.trim().parse().ok())
}

/// The input of `op` from the fields, in model order:
///
/// * `AssumeRole`: RoleArn, RoleSessionName, PolicyArns, Policy,
///   DurationSeconds, Tags, TransitiveTagKeys, ExternalId, SerialNumber,
///   TokenCode, SourceIdentity, ProvidedContexts, MinimumSessionTokenSize;
/// * `AssumeRoleWithWebIdentity`: RoleArn, RoleSessionName,
///   WebIdentityToken, ProviderId, PolicyArns, Policy, DurationSeconds,
///   MinimumSessionTokenSize;
/// * `GetFederationToken`: Name, Policy, PolicyArns, DurationSeconds, Tags,
///   MinimumSessionTokenSize;
/// * `GetSessionToken`: DurationSeconds, SerialNumber, TokenCode,
///   MinimumSessionTokenSize;
/// * `DecodeAuthorizationMessage`: EncodedMessage;
/// * `GetCallerIdentity`: nothing.
fn sts_form_members<'a>(op: &str, field: &dyn Fn(usize) -> Option<&'a str>) -> BuiltInput<'a> {
    use oidc_core::secret::TokenCode;
    use oidc_core::sts::{
        assume_role::AssumeRoleInput,
        assume_role_with_web_identity::AssumeRoleWithWebIdentityInput,
        decode_authorization_message::DecodeAuthorizationMessageInput,
        get_caller_identity::GetCallerIdentityInput, get_federation_token::GetFederationTokenInput,
        get_session_token::GetSessionTokenInput, PolicyDescriptor, ProvidedContext, Tag,
    };
    let policy_arns = |i| {
        list(field(i)).map(|arns| {
            arns.into_iter()
                .map(|a| vec![("arn", a)])
                .collect::<Vec<_>>()
        })
    };
    let tags = |i| {
        key_values(field(i)).map(|kv| {
            kv.into_iter()
                .map(|(k, v)| vec![("Key", k), ("Value", v)])
                .collect::<Vec<_>>()
        })
    };
    let descriptors = |items: &Option<Vec<Vec<(&str, String)>>>| {
        items.as_ref().map(|items| {
            items
                .iter()
                .map(|f| PolicyDescriptor::new(f[0].1.clone()))
                .collect::<Vec<_>>()
        })
    };
    let tag_values = |items: &Option<Vec<Vec<(&str, String)>>>| {
        items.as_ref().map(|items| {
            items
                .iter()
                .map(|f| Tag::new(f[0].1.clone(), f[1].1.clone()))
                .collect::<Vec<_>>()
        })
    };
    let mut pairs = Pairs::default();
    let mut secrets = Vec::new();
    let request: BuildRequest<'a> = match op {
        "AssumeRole" => {
            let mut input = AssumeRoleInput::new(field(0).unwrap_or(""), field(1).unwrap_or(""));
            let arns = policy_arns(2);
            let tag_list = tags(5);
            let contexts = key_values(field(11)).map(|kv| {
                kv.into_iter()
                    .map(|(arn, assertion)| {
                        vec![("ProviderArn", arn), ("ContextAssertion", assertion)]
                    })
                    .collect::<Vec<_>>()
            });
            input.policy_arns = descriptors(&arns);
            input.policy = field(3).map(str::to_owned);
            input.duration_seconds = number(field(4));
            input.tags = tag_values(&tag_list);
            input.transitive_tag_keys = list(field(6));
            input.external_id = field(7).map(str::to_owned);
            input.serial_number = field(8).map(str::to_owned);
            input.token_code = field(9).map(TokenCode::new);
            input.source_identity = field(10).map(str::to_owned);
            input.provided_contexts = contexts.as_ref().map(|items| {
                items
                    .iter()
                    .map(|f| ProvidedContext::new(f[0].1.clone(), f[1].1.as_str()))
                    .collect()
            });
            input.minimum_session_token_size = number(field(12));
            pairs.string("RoleArn", field(0).or(Some("")));
            pairs.string("RoleSessionName", field(1).or(Some("")));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.string("Policy", field(3));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.structures("Tags", tag_list.as_deref());
            pairs.strings("TransitiveTagKeys", input.transitive_tag_keys.as_deref());
            pairs.string("ExternalId", field(7));
            pairs.string("SerialNumber", field(8));
            pairs.string("TokenCode", field(9));
            pairs.string("SourceIdentity", field(10));
            pairs.structures("ProvidedContexts", contexts.as_deref());
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.extend(field(9).map(str::to_owned));
            for items in contexts.iter().flatten() {
                secrets.push(items[1].1.clone());
            }
            Box::new(move |e| input.request(e))
        }
        "AssumeRoleWithWebIdentity" => {
            let token = field(2).unwrap_or("");
            let mut input = AssumeRoleWithWebIdentityInput::new(
                field(0).unwrap_or(""),
                field(1).unwrap_or(""),
                token,
            );
            let arns = policy_arns(4);
            input.provider_id = field(3).map(str::to_owned);
            input.policy_arns = descriptors(&arns);
            input.policy = field(5).map(str::to_owned);
            input.duration_seconds = number(field(6));
            input.minimum_session_token_size = number(field(7));
            pairs.string("RoleArn", field(0).or(Some("")));
            pairs.string("RoleSessionName", field(1).or(Some("")));
            pairs.string("WebIdentityToken", Some(token));
            pairs.string("ProviderId", field(3));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.string("Policy", field(5));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.push(token.to_owned());
            Box::new(move |e| input.request(e))
        }
        "GetFederationToken" => {
            let mut input = GetFederationTokenInput::new(field(0).unwrap_or(""));
            let arns = policy_arns(2);
            let tag_list = tags(4);
            input.policy = field(1).map(str::to_owned);
            input.policy_arns = descriptors(&arns);
            input.duration_seconds = number(field(3));
            input.tags = tag_values(&tag_list);
            input.minimum_session_token_size = number(field(5));
            pairs.string("Name", field(0).or(Some("")));
            pairs.string("Policy", field(1));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.structures("Tags", tag_list.as_deref());
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            Box::new(move |e| input.request(e))
        }
        "GetSessionToken" => {
            let mut input = GetSessionTokenInput::new();
            input.duration_seconds = number(field(0));
            input.serial_number = field(1).map(str::to_owned);
            input.token_code = field(2).map(TokenCode::new);
            input.minimum_session_token_size = number(field(3));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.string("SerialNumber", field(1));
            pairs.string("TokenCode", field(2));
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.extend(field(2).map(str::to_owned));
            Box::new(move |e| input.request(e))
        }
        "DecodeAuthorizationMessage" => {
            let input = DecodeAuthorizationMessageInput::new(field(0).unwrap_or(""));
            pairs.string("EncodedMessage", field(0).or(Some("")));
            Box::new(move |e| input.request(e))
        }
        _ => {
            let input = GetCallerIdentityInput::new();
            Box::new(move |e| input.request(e))
        }
    };
    BuiltInput {
        request,
        pairs: pairs.0,
        secrets,
    }
}

/// Decodes a canonical form body (see [`sts_form_encode`]), panicking on
/// anything else.
fn form_decode_strict(body: &[u8]) -> Vec<(String, String)> {
    fn hex(b: u8) -> u8 {
        match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            other => panic!("{:?} is not upper-case hex", char::from(other)),
        }
    }
    fn decode(part: &[u8]) -> String {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let b = part[i];
            if b == b'%' {
                let (Some(&h), Some(&l)) = (part.get(i + 1), part.get(i + 2)) else {
                    panic!("truncated escape in {:?}", String::from_utf8_lossy(part));
                };
                let byte = hex(h) << 4 | hex(l);
                assert!(
                    !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')),
                    "unreserved byte {:?} escaped",
                    char::from(byte)
                );
                out.push(byte);
                i += 3;
            } else {
                assert!(
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'),
                    "byte {b:#04x} is not escaped"
                );
                out.push(b);
                i += 1;
            }
        }
        String::from_utf8(out).expect("a form value decodes to UTF-8")
    }
    body.split(|b| *b == b'&')
        .map(|pair| {
            let mut parts = pair.split(|b| *b == b'=');
            let name = parts.next().unwrap_or_default();
            let value = parts
                .next()
                .unwrap_or_else(|| panic!("pair {:?} has no `=`", String::from_utf8_lossy(pair)));
            assert!(parts.next().is_none(), "pair with two `=`");
            (decode(name), decode(value))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// SSO portal
// ---------------------------------------------------------------------------

/// The four portal parsers on a response decoded by [`response`], with the
/// invariants of [`check_error`] for errors (a 2xx body that is JSON but
/// does not fit gives an error independent of its string values).
/// `GetRoleCredentials`: `Debug` of the output shows neither the secret
/// access key nor the session token (when 8+ characters and not also the
/// text of a non-secret member).
pub fn portal_parse(data: &[u8]) {
    use oidc_core::secret::{SecretAccessKey, SessionToken};
    let response = response(data);
    match get_role_credentials::parse(&response) {
        Ok(mut output) => {
            let c = &output.role_credentials;
            let secrets = [
                c.secret_access_key.secret().to_owned(),
                c.session_token.secret().to_owned(),
            ];
            let shown = format!("{output:?}\n{output:#?}");
            output.role_credentials.secret_access_key = SecretAccessKey::new("");
            output.role_credentials.session_token = SessionToken::new("");
            let blanked = format!("{output:?}\n{output:#?}");
            for secret in secrets.iter().filter(|s| s.len() >= 8) {
                assert!(
                    !shown.contains(secret.as_str()) || blanked.contains(secret.as_str()),
                    "Debug of GetRoleCredentials output shows a secret: {shown}"
                );
            }
            let credentials = output.into_credentials("123456789012");
            assert_eq!(credentials.account_id.as_deref(), Some("123456789012"));
            let _ = format!("{credentials:?}");
        }
        Err(e) => check_error(&response, &e),
    }
    match list_accounts::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
            assert!(
                output.next_token.as_deref() != Some(""),
                "an empty nextToken is kept"
            );
        }
        Err(e) => check_error(&response, &e),
    }
    match list_account_roles::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
    match logout::parse(&response) {
        Ok(output) => {
            assert!(response.status().is_success());
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}

/// The access token the paginator target lists with; it never shows in
/// `Debug` output.
const PORTAL_TOKEN: &str = "aoal-fuzz-paginator-token-5c1d9e";

/// Drives a [`Paginator`](oidc_core::sso::paginator::Paginator) over a
/// scripted sequence of pages.
///
/// Input: lines. The first line: `roles` (ListAccountRoles, else
/// ListAccounts) and optionally the page cap (a number; capped at 200;
/// the default cap otherwise) and `retry` (call `next_input` twice per
/// page). Each further line is one page, served in order, the last one
/// again and again: `-` for no `nextToken`, `*` for a fresh token
/// (`t<page>`), a line starting with `{` is the raw JSON body, anything
/// else is the `nextToken` itself. Every page holds one item.
///
/// Invariants: the listing ends (done, `RepeatedToken` or `PageLimit`, or
/// a page that does not parse) within the cap; no more pages than the cap
/// are requested; a token is never sent twice; the first page carries no
/// token; every item handed over is returned; once ended, `next_input`
/// keeps answering the same and `handle_page` is refused with
/// `UnexpectedPage`; `Debug` never shows the access token.
pub fn portal_paginator(data: &[u8]) {
    use oidc_core::secret::AccessToken;
    use oidc_core::sso::list_account_roles::{self, ListAccountRolesInput};
    use oidc_core::sso::list_accounts::{self, ListAccountsInput};
    use oidc_core::sso::paginator::{Paginator, DEFAULT_MAX_PAGES};
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let pages: Vec<&str> = lines.collect();
    let roles = header.split_whitespace().any(|w| w == "roles");
    let retry = header.split_whitespace().any(|w| w == "retry");
    let cap = header
        .split_whitespace()
        .find_map(|w| w.parse::<u32>().ok())
        .map(|n| n.min(200));
    let script = PageScript {
        pages,
        retry,
        max_pages: cap.map_or(DEFAULT_MAX_PAGES, |n| n.max(1)),
    };
    if roles {
        let mut p = Paginator::new(ListAccountRolesInput::new(
            AccessToken::new(PORTAL_TOKEN),
            "123456789012",
        ));
        if let Some(n) = cap {
            p = p.with_max_pages(n);
        }
        script.drive(
            p,
            |b| list_account_roles::parse(&b),
            |i, token| {
                let mut body = serde_json::json!({
                    "roleList": [{"roleName": format!("role{i}"), "accountId": "123456789012"}]
                });
                if let Some(t) = token {
                    body["nextToken"] = serde_json::Value::from(t);
                }
                body.to_string()
            },
        );
    } else {
        let mut p = Paginator::new(ListAccountsInput::new(AccessToken::new(PORTAL_TOKEN)));
        if let Some(n) = cap {
            p = p.with_max_pages(n);
        }
        script.drive(
            p,
            |b| list_accounts::parse(&b),
            |i, token| {
                let mut body = serde_json::json!({
                    "accountList": [{"accountId": format!("{i:012}")}]
                });
                if let Some(t) = token {
                    body["nextToken"] = serde_json::Value::from(t);
                }
                body.to_string()
            },
        );
    }
}

/// A portal list parser, taking the response by value.
type PageParse<O> = fn(http::Response<Vec<u8>>) -> Result<O, Error>;

struct PageScript<'a> {
    pages: Vec<&'a str>,
    retry: bool,
    max_pages: u32,
}

impl PageScript<'_> {
    fn drive<I>(
        &self,
        mut p: oidc_core::sso::paginator::Paginator<I>,
        parse: PageParse<I::Output>,
        body: fn(usize, Option<&str>) -> String,
    ) where
        I: oidc_core::sso::paginator::Paginated + std::fmt::Debug,
        I::Item: std::fmt::Debug,
        I::Output: Clone,
    {
        use oidc_core::sso::paginator::PaginationError;
        assert_eq!(p.max_pages(), self.max_pages);
        let mut sent: Vec<Option<String>> = Vec::new();
        let mut items = 0usize;
        let mut ended = false;
        // One more round than the cap: the last must end the listing.
        for round in 0..=self.max_pages as usize + 1 {
            let check_debug = |p: &oidc_core::sso::paginator::Paginator<I>| {
                let shown = format!("{p:?}");
                assert!(
                    !shown.contains(PORTAL_TOKEN),
                    "Debug shows the access token"
                );
            };
            check_debug(&p);
            let input = match p.next_input() {
                Ok(Some(input)) => input,
                Ok(None) | Err(PaginationError::RepeatedToken { .. }) => {
                    ended = true;
                    break;
                }
                Err(PaginationError::PageLimit { max_pages, .. }) => {
                    assert_eq!(max_pages, self.max_pages);
                    assert_eq!(p.pages(), self.max_pages, "page limit before the cap");
                    ended = true;
                    break;
                }
                Err(other) => panic!("next_input failed with {other:?}"),
            };
            assert!(
                round < self.max_pages as usize,
                "page {} requested over the cap {}",
                round + 1,
                self.max_pages
            );
            if self.retry {
                let again = p.next_input().expect("a retry of the same page");
                assert_eq!(
                    again.as_ref().and_then(|i| i.next_token()),
                    input.next_token(),
                    "a retry changed the token"
                );
            }
            let token = input.next_token().map(str::to_owned);
            if round == 0 {
                assert_eq!(token, None, "the first page carries a token");
            } else {
                assert!(token.is_some(), "a later page without a token");
            }
            assert!(!sent.contains(&token), "token {token:?} sent twice");
            sent.push(token);
            let line = self
                .pages
                .get(round)
                .or(self.pages.last())
                .copied()
                .unwrap_or("-");
            let text = if line.starts_with('{') {
                line.to_owned()
            } else {
                let fresh = format!("t{round}");
                let next = match line {
                    "-" => None,
                    "*" => Some(fresh.as_str()),
                    other => Some(other),
                };
                body(round, next)
            };
            let Ok(output) = parse(http::Response::new(text.into_bytes())) else {
                // A caller stops at an unparsable page.
                ended = true;
                break;
            };
            let (_, page_items) = I::into_page(output.clone());
            let returned = p
                .handle_page(output.clone())
                .expect("a page was outstanding");
            assert_eq!(
                format!("{returned:?}"),
                format!("{page_items:?}"),
                "the items of a page changed"
            );
            items += returned.len();
            assert_eq!(p.pages() as usize, round + 1);
            assert!(
                matches!(
                    p.handle_page(output),
                    Err(PaginationError::UnexpectedPage { .. })
                ),
                "a second page for one request was accepted"
            );
        }
        assert!(
            ended,
            "the listing did not end within {} pages",
            self.max_pages
        );
        let _ = items;
        if p.is_finished() {
            let a = p.next_input();
            let b = p.next_input();
            assert_eq!(
                a.map(|i| i.is_some()),
                b.map(|i| i.is_some()),
                "an ended listing changed its answer"
            );
        }
        assert!(p.pages() <= self.max_pages);
    }
}

// ---------------------------------------------------------------------------
// SigV4
// ---------------------------------------------------------------------------

/// Signs an arbitrary request and checks the signature against its parts.
///
/// Input: the first line is `METHOD URI` (defaults when invalid: `GET`,
/// `https://example.amazonaws.com/`); the second holds whitespace-separated
/// parameters `region=`, `service=`, `time=<unix seconds>`, `akid=`,
/// `secret=`, `token=` (defaults: `us-east-1`, `service`, 1440938160,
/// `AKIDEXAMPLE`, the AWS example key, none) and the flags `sha256`,
/// `nonormalize`, `single` (settings); then `Name: value` header lines up
/// to an empty line (invalid ones are skipped, values may be any bytes);
/// the rest is the body.
///
/// Invariants: `canonical_request` never panics and is deterministic, its
/// first line is the method and its last the payload hash; `sign` is
/// deterministic (two copies signed alike end up with equal headers or the
/// same error); on error the request is unchanged and the error shows
/// neither the secret key nor the session token; on success
/// `Authorization` names the access key, the scope and the signed headers,
/// the signed headers are the fifth line of `canonical_request` of the
/// *signed* request, and recomputing `string_to_sign` from that canonical
/// request, the signing key and `signature` gives exactly the signature
/// sent (so the canonical request `sign` used is the one
/// `canonical_request` shows). `X-Amz-Date` is the signing time and the
/// session token, when any, is sent in `X-Amz-Security-Token`.
pub fn sigv4_canonical(data: &[u8]) {
    use oidc_core::secret::SecretAccessKey;
    use oidc_core::sigv4::{self, PathEncoding, SigningParams, SigningSettings};
    let mut lines = Lines { rest: data };
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let params_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, uri) = first.split_once(' ').unwrap_or((first.as_str(), ""));
    let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
    let uri = uri
        .parse::<http::Uri>()
        .unwrap_or_else(|_| http::Uri::from_static("https://example.amazonaws.com/"));
    let mut region = "us-east-1";
    let mut service = "service";
    let mut time = 1_440_938_160i64;
    let mut akid = "AKIDEXAMPLE";
    let mut secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let mut token = None;
    let mut settings = SigningSettings::default();
    for word in params_line.split_whitespace() {
        match word.split_once('=') {
            Some(("region", v)) => region = v,
            Some(("service", v)) => service = v,
            Some(("time", v)) => time = v.parse().unwrap_or(time),
            Some(("akid", v)) => akid = v,
            Some(("secret", v)) => secret = v,
            Some(("token", v)) => token = Some(v),
            _ => match word {
                "sha256" => settings = settings.with_content_sha256_header(true),
                "nonormalize" => settings = settings.with_normalize_path(false),
                "single" => settings = settings.with_path_encoding(PathEncoding::Single),
                _ => {}
            },
        }
    }
    let mut request = http::Request::new(Vec::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
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
            request.headers_mut().append(name, value);
        }
    }
    *request.body_mut() = lines.rest.to_vec();

    // canonical_request on the request as it stands.
    let creq = sigv4::canonical_request(&request, &settings);
    assert_eq!(
        creq,
        sigv4::canonical_request(&request, &settings),
        "canonical_request is not deterministic"
    );
    if let Ok(creq) = &creq {
        let first_line = creq.split('\n').next().unwrap_or_default();
        assert_eq!(first_line, request.method().as_str());
        assert!(creq.ends_with(&sigv4::payload_hash(request.body())));
    }

    let mut credentials = oidc_core::Credentials::new(akid, SecretAccessKey::new(secret));
    if let Some(t) = token {
        credentials = credentials.with_session_token(t);
    }
    let time = system_time(time, 0).unwrap_or(UNIX_EPOCH);
    let params = SigningParams::new(&credentials, region, service, time).with_settings(settings);
    let mut a = request.clone();
    let mut b = request.clone();
    let signed_a = sigv4::sign(&mut a, &params);
    let signed_b = sigv4::sign(&mut b, &params);
    assert_eq!(signed_a, signed_b, "sign is not deterministic");
    match signed_a {
        Err(e) => {
            assert_eq!(
                a.headers(),
                request.headers(),
                "a failed sign changed the request"
            );
            let shown = format!("{e}\n{e:?}");
            for s in [Some(secret), token].into_iter().flatten() {
                assert!(
                    s.len() < 8
                        || !shown.contains(s)
                        || akid.contains(s)
                        || region.contains(s)
                        || service.contains(s),
                    "the signing error shows a secret: {shown}"
                );
            }
        }
        Ok(()) => {
            assert_eq!(a.headers(), b.headers(), "sign is not deterministic");
            let amz_date = sigv4::amz_date(time).expect("signing succeeded at this time");
            assert_eq!(a.headers()["x-amz-date"], amz_date.as_str());
            if let Some(t) = token {
                let sent = &a.headers()["x-amz-security-token"];
                assert_eq!(sent, t);
                assert!(sent.is_sensitive());
            }
            let authorization = a.headers()[http::header::AUTHORIZATION]
                .to_str()
                .expect("Authorization is ASCII");
            let rest = authorization
                .strip_prefix("AWS4-HMAC-SHA256 Credential=")
                .expect("the algorithm and Credential= start Authorization");
            let (credential, rest) = rest.split_once(", SignedHeaders=").expect("SignedHeaders");
            let (signed_headers, signature) = rest.split_once(", Signature=").expect("Signature");
            assert_eq!(
                credential,
                format!("{akid}/{}/{region}/{service}/aws4_request", &amz_date[..8])
            );
            let creq = sigv4::canonical_request(&a, &settings)
                .expect("a signed request has a canonical request");
            let lines: Vec<&str> = creq.rsplitn(3, '\n').collect();
            assert_eq!(lines.get(1).copied(), Some(signed_headers), "SignedHeaders");
            let sts = sigv4::string_to_sign(&creq, time, region, service)
                .expect("string_to_sign accepts what sign accepted");
            let key = sigv4::signing_key(
                &SecretAccessKey::new(secret),
                &amz_date[..8],
                region,
                service,
            );
            assert_eq!(
                sigv4::signature(&key, &sts),
                signature,
                "the signature is not that of canonical_request of the signed request"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Call
// ---------------------------------------------------------------------------

/// Drives a [`Call`](oidc_core::Call) with a script of answers.
///
/// Input: the first line is `<op> <max attempts> <quota>`: op `sts`
/// (GetCallerIdentity, SigV4-signed) or anything else (RegisterClient,
/// unsigned); max attempts 1 to 10 (default 3); quota capacity (default
/// 500). Each further line answers one attempt:
///
/// * `r <status> <x-amzn-ErrorType or -> <body>`: a response;
/// * `t` / `timeout`: a transport error / a read timeout;
/// * `poll`: poll again while the attempt is in flight (a driver error);
/// * `early`: hand a response over before polling (ignored by the call),
///   then a transport error.
///
/// When the script runs out, every attempt gets a transport error.
///
/// Invariants: the call is done within max attempts (and a bounded number
/// of polls); never more sends than max attempts; `attempts()` counts the
/// sends; waits lie in the future; every attempt carries the user agent,
/// and SigV4 attempts a valid signature at the poll's wall-clock time;
/// an early response is ignored; polling in flight ends the call with
/// `PolledInFlight`; once done, `poll` answers `AlreadyFinished`; a
/// success comes from a 2xx; the quota never exceeds its capacity.
pub fn call_machine(data: &[u8]) {
    use oidc_core::sts::get_caller_identity::GetCallerIdentityInput;
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let mut words = header.split_whitespace();
    let sts = words.next() == Some("sts");
    let max_attempts = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(3)
        .clamp(1, 10);
    let capacity = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(500)
        .min(100_000);
    let script: Vec<&str> = lines.collect();
    if sts {
        let endpoint =
            Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint");
        drive_call(
            &GetCallerIdentityInput::new(),
            &endpoint,
            true,
            max_attempts,
            capacity,
            &script,
        );
    } else {
        let endpoint =
            Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").expect("a valid endpoint");
        drive_call(
            &RegisterClientInput::new("fuzz"),
            &endpoint,
            false,
            max_attempts,
            capacity,
            &script,
        );
    }
}

const CALL_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYCALLFUZZKEY";

fn drive_call<O: Operation>(
    input: &O,
    endpoint: &Endpoint,
    signed: bool,
    max_attempts: u32,
    capacity: u32,
    script: &[&str],
) {
    use oidc_core::call::{Call, CallOptions};
    use oidc_core::retry::{RetryPolicy, RetryQuota};
    use oidc_core::secret::SecretAccessKey;
    use oidc_core::sigv4::SigV4Signer;
    use oidc_core::Misuse;
    use std::sync::Arc;

    let mut options =
        CallOptions::default().with_retry(RetryPolicy::default().with_max_attempts(max_attempts));
    let credentials =
        oidc_core::Credentials::new("AKIDEXAMPLE", SecretAccessKey::new(CALL_SECRET_KEY));
    if signed {
        options = options.with_signer(Arc::new(SigV4Signer::new(credentials.clone(), "us-east-1")));
    }
    let mut call = Call::<O>::new(input, endpoint, options).expect("the call starts");
    let mut quota = RetryQuota::new(capacity);
    let start = Instant::now();
    let mut now = start;
    let wall = UNIX_EPOCH + Duration::from_secs(1_715_708_889);
    let mut sends = 0u32;
    let mut events = script.iter().copied();
    let mut done = None;
    let mut last_ok_status = None;
    // Each attempt takes at most a send and a wait.
    for _ in 0..(2 * max_attempts + 2) {
        assert!(
            quota.available() <= capacity,
            "the quota grew over its capacity"
        );
        match call.poll(now, wall) {
            Step::Send(request) => {
                sends += 1;
                assert!(sends <= max_attempts, "more than {max_attempts} sends");
                assert_eq!(call.attempts(), sends);
                assert!(request.headers().contains_key(http::header::USER_AGENT));
                if signed {
                    check_call_signature(&request, &credentials, wall);
                }
                let event = events.next().unwrap_or("t");
                let mut words = event.splitn(4, ' ');
                match words.next().unwrap_or_default() {
                    "r" => {
                        let status = words
                            .next()
                            .and_then(|s| s.parse::<u16>().ok())
                            .and_then(|s| http::StatusCode::from_u16(s).ok())
                            .unwrap_or(http::StatusCode::OK);
                        let error_type = words.next().filter(|t| *t != "-");
                        let body = words.next().unwrap_or_default();
                        let mut response = http::Response::new(body.as_bytes().to_vec());
                        *response.status_mut() = status;
                        if let Some(v) =
                            error_type.and_then(|t| http::HeaderValue::from_str(t).ok())
                        {
                            response.headers_mut().insert("x-amzn-errortype", v);
                        }
                        last_ok_status = Some(status);
                        call.handle_response(
                            now,
                            &response,
                            &mut quota,
                            sends.wrapping_mul(2_654_435_761),
                        );
                    }
                    "poll" => {
                        let step = call.poll(now, wall);
                        assert!(
                            matches!(step, Step::Done(Err(Error::Misuse(Misuse::PolledInFlight)))),
                            "polled in flight: {:?}",
                            step.map_done(|r| r.map(|_| ()))
                        );
                        done = Some(false);
                        break;
                    }
                    "timeout" => {
                        let e = TransportError::timeout(
                            O::NAME,
                            TimeoutPhase::Read,
                            Duration::from_secs(30),
                        );
                        call.handle_transport_error(now, e, &mut quota, 7);
                    }
                    _ => {
                        let e = TransportError::new("Other", TransportErrorKind::Exchange)
                            .with_source("connection reset");
                        call.handle_transport_error(now, e, &mut quota, 7);
                    }
                }
            }
            Step::WaitUntil(at) => {
                assert!(at > now, "WaitUntil is not in the future");
                // An answer before the attempt is ignored.
                if events.clone().next() == Some("early") {
                    let attempts = call.attempts();
                    call.handle_response(
                        now,
                        &http::Response::new(Vec::<u8>::new()),
                        &mut quota,
                        0,
                    );
                    assert_eq!(call.attempts(), attempts);
                    assert!(!call.is_finished(), "an early response finished the call");
                }
                now = at;
            }
            Step::Done(result) => {
                assert!(call.is_finished());
                match &result {
                    Ok(_) => assert!(
                        last_ok_status.is_some_and(|s| s.is_success()),
                        "success without a 2xx"
                    ),
                    Err(e) => {
                        let shown = format!("{e}\n{e:?}");
                        assert!(
                            !shown.contains(CALL_SECRET_KEY),
                            "the error shows the secret key"
                        );
                        if let Error::Transport(t) = e {
                            assert_eq!(t.operation, O::NAME, "transport error not relabelled");
                        }
                    }
                }
                done = Some(result.is_ok());
                break;
            }
        }
    }
    assert!(
        done.is_some(),
        "the call is not done after {max_attempts} attempts"
    );
    assert!(call.is_finished());
    let step = call.poll(now, wall);
    assert!(
        matches!(
            step,
            Step::Done(Err(Error::Misuse(Misuse::AlreadyFinished)))
        ),
        "poll after done: {:?}",
        step.map_done(|r| r.map(|_| ()))
    );
    assert!(sends <= max_attempts);
}

/// A SigV4 attempt of [`call_machine`] carries a valid signature.
fn check_call_signature(
    request: &http::Request<Vec<u8>>,
    credentials: &oidc_core::Credentials,
    wall: SystemTime,
) {
    use oidc_core::sigv4::{self, SigningSettings};
    let amz_date = sigv4::amz_date(wall).expect("a valid time");
    assert_eq!(request.headers()["x-amz-date"], amz_date.as_str());
    let authorization = request.headers()[http::header::AUTHORIZATION]
        .to_str()
        .expect("ASCII");
    let signature = authorization
        .rsplit_once("Signature=")
        .map(|(_, s)| s)
        .expect("a signature");
    let creq = sigv4::canonical_request(request, &SigningSettings::default()).expect("canonical");
    let sts = sigv4::string_to_sign(&creq, wall, "us-east-1", "sts").expect("string to sign");
    let key = sigv4::signing_key(
        &credentials.secret_access_key,
        &amz_date[..8],
        "us-east-1",
        "sts",
    );
    assert_eq!(sigv4::signature(&key, &sts), signature);
}
