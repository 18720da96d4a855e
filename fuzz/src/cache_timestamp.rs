//! Fuzz target `cache_timestamp`: the cache timestamp parser, through
//! `expiresAt` and `registrationExpiresAt`.

use std::time::SystemTime;

use oidc_core::cache::{self, CachedToken};

use super::support::{check_written_time, system_time};

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
