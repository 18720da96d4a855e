//! Text and URLs a server sent, made safe to show and to open.
//!
//! A service (or anything impersonating one) controls the user code, the
//! verification URIs and every error message. Before any of it reaches a
//! terminal it loses its control characters (no escape sequences, no
//! carriage returns that overwrite the line); before a URI reaches a
//! browser opener it must be `https` (or `http` to a loopback host) and
//! cannot be mistaken for a command-line option.

use crate::endpoint::is_loopback_host;

/// `text` without control characters (C0, DEL, C1, and the Unicode
/// bidirectional overrides that can reorder what a terminal shows).
///
/// ```
/// use oidc_core::untrusted::printable;
/// assert_eq!(printable("ABCD-\u{1b}[2JEFGH\r\n"), "ABCD-[2JEFGH");
/// assert_eq!(printable("plain text"), "plain text");
/// ```
pub fn printable(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe_char(*c)).collect()
}

/// Whether `text` is already [`printable`].
pub fn is_printable(text: &str) -> bool {
    !text.chars().any(is_unsafe_char)
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `uri` when it is safe to hand to a browser opener: an absolute `https`
/// URL with a host (or `http` to a loopback host), no whitespace or control
/// characters, and not starting with `-`. `None` otherwise (show it, do not
/// open it).
///
/// ```
/// use oidc_core::untrusted::openable_uri;
/// assert!(openable_uri("https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD").is_some());
/// assert!(openable_uri("http://127.0.0.1:8080/device").is_some());
/// assert!(openable_uri("javascript:alert(1)").is_none());
/// assert!(openable_uri("file:///etc/passwd").is_none());
/// assert!(openable_uri("-a/Applications/Calculator.app").is_none());
/// assert!(openable_uri("http://example.com/").is_none());
/// ```
pub fn openable_uri(uri: &str) -> Option<&str> {
    if uri.is_empty()
        || uri.starts_with('-')
        || uri.chars().any(|c| c.is_whitespace() || is_unsafe_char(c))
    {
        return None;
    }
    let parsed: http::Uri = uri.parse().ok()?;
    let host = parsed.host().filter(|h| !h.is_empty())?;
    let scheme = parsed.scheme_str()?;
    if scheme.eq_ignore_ascii_case("https")
        || (scheme.eq_ignore_ascii_case("http") && is_loopback_host(host))
    {
        Some(uri)
    } else {
        None
    }
}
