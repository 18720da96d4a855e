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

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::cache::{self, CachedRegistration, CachedToken, RefreshPolicy, RegistrationUse};
use oidc_core::device_flow::{Action, DeviceFlow, DeviceFlowError, MIN_INTERVAL};
use oidc_core::endpoint::{self, Endpoint, EndpointConfig, Service};
use oidc_core::pkce::{self, RedirectError, State};
use oidc_core::secret::ClientSecret;
use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::sso_oidc::{
    create_token, create_token_with_iam, register_client, start_device_authorization,
};
use oidc_core::{retry, Error, Operation, ParseErrorKind, TransportError};

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
];

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
            let members = [
                Some(code),
                e.error.as_deref(),
                e.description.as_deref(),
                e.reason.as_deref(),
                e.endpoint.as_deref(),
                e.region.as_deref(),
            ];
            for member in members.into_iter().flatten() {
                if let Some(word) = credential_like_words(member).next() {
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
fn credential_like_words(text: &str) -> impl Iterator<Item = &str> {
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
            Operation::RegisterClient => register_client::parse(&again).err(),
            Operation::StartDeviceAuthorization => start_device_authorization::parse(&again).err(),
            Operation::CreateToken => create_token::parse(&again).err(),
            Operation::CreateTokenWithIam => create_token_with_iam::parse(&again).err(),
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
    if device_code.len() >= 8 && plain && script.matches(device_code).count() == 1 {
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
            assert!(matches!(action, Action::Done(_)), "{debug} at the deadline");
        }
        match action {
            Action::Send(request) => {
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
            Action::ShowPrompt(prompt) => {
                assert!(!self.prompt_shown, "prompt shown twice");
                assert!(self.sends >= 1, "prompt shown before the first request");
                assert_eq!(&prompt, self.flow.prompt());
                let _ = prompt.uri_to_open();
                self.prompt_shown = true;
                false
            }
            Action::WaitUntil(t) => {
                assert!(t > self.now, "WaitUntil is not in the future");
                assert!(t <= self.deadline, "WaitUntil is after the deadline");
                self.last_wait = Some(t);
                false
            }
            Action::Done(outcome) => {
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
            TransportError::timeout(Operation::CreateToken, "read timed out")
        } else {
            TransportError::new(Operation::CreateToken, "connection reset")
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
                        Action::Done(Err(DeviceFlowError::Failed(Error::Transport(_))))
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
