//! The bytes of the PKCE loopback listener, shared by both adapters: the
//! request head a connection sent, and the reply to write back. What the
//! reply says is decided by [`oidc_core::pkce::answer_loopback`].

use oidc_core::pkce::LoopbackReply;

/// The largest request head the listener reads; a longer one is dropped.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// What the bytes read so far from a loopback connection amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Head {
    /// Not a whole request head yet: read more.
    Partial,
    /// A whole head: its method and request target.
    Complete {
        /// `GET`, `POST`, ...
        method: String,
        /// The request target, e.g. `/oauth/callback?code=..&state=..`.
        target: String,
    },
    /// Not HTTP, or a head longer than [`MAX_REQUEST_HEAD`]: drop the
    /// connection.
    Invalid,
}

/// Parses the request head in `buf` (the bytes read so far).
///
/// ```
/// use oidc_host::adapter::loopback::{parse_head, Head};
///
/// assert_eq!(parse_head(b"GET /oauth/callback?code=c HT"), Head::Partial);
/// assert_eq!(
///     parse_head(b"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
///     Head::Complete { method: "GET".into(), target: "/favicon.ico".into() }
/// );
/// assert_eq!(parse_head(b"\x16\x03\x01 not http\r\n\r\n"), Head::Invalid);
/// ```
pub fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(_)) => match (request.method, request.path) {
            (Some(method), Some(target)) => Head::Complete {
                method: method.to_owned(),
                target: target.to_owned(),
            },
            _ => Head::Invalid,
        },
        Ok(httparse::Status::Partial) if buf.len() < MAX_REQUEST_HEAD => Head::Partial,
        _ => Head::Invalid,
    }
}

/// The HTTP/1.1 response for `reply`: status, a small HTML page, no
/// caching, connection closed.
///
/// ```
/// use oidc_host::adapter::loopback::reply_bytes;
/// use oidc_host::oidc_core::pkce::{answer_loopback, State};
///
/// let reply = answer_loopback("GET", "/favicon.ico", &State::from_random_bytes(&[0; 16]));
/// let bytes = reply_bytes(&reply);
/// assert!(bytes.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
/// ```
pub fn reply_bytes(reply: &LoopbackReply) -> Vec<u8> {
    let reason = match reply.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
        reply.status,
        reply.page.len(),
        reply.page
    )
    .into_bytes()
}
