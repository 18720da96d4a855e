//! `Debug` views of HTTP messages that are safe to log.
//!
//! Only headers on an allow-list are printed; the rest are counted as
//! redacted, and bodies are never printed (only their length). Use these
//! instead of `{:?}` on an `http::Request` or `http::Response`, whose bodies
//! carry secrets.
//!
//! ```
//! use oidc_core::debug::DebugRequest;
//! let request = http::Request::builder()
//!     .method("POST")
//!     .uri("https://oidc.us-east-1.amazonaws.com/token")
//!     .header("content-type", "application/json")
//!     .header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/...")
//!     .body(br#"{"clientSecret":"s3cr3t"}"#.to_vec())
//!     .unwrap();
//! let printed = format!("{:?}", DebugRequest(&request));
//! assert!(printed.contains("content-type"));
//! assert!(!printed.contains("AKID"));
//! assert!(!printed.contains("s3cr3t"));
//! ```

use std::fmt;

/// Headers whose values are printed.
pub const PRINTED_HEADERS: [&str; 12] = [
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "date",
    "x-amz-date",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amzn-errortype",
    "retry-after",
    "connection",
    "amz-sdk-request",
];

struct Headers<'a>(&'a http::HeaderMap);

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        let mut redacted = 0usize;
        for (name, value) in self.0 {
            if PRINTED_HEADERS.contains(&name.as_str()) {
                map.entry(&name.as_str(), &value.to_str().unwrap_or("<non-ascii>"));
            } else {
                redacted += 1;
            }
        }
        if redacted > 0 {
            map.entry(&"<redacted headers>", &redacted);
        }
        map.finish()
    }
}

/// A loggable view of a request: method, URI without query, allowed headers,
/// body length.
pub struct DebugRequest<'a, B>(pub &'a http::Request<B>);

impl<B: AsRef<[u8]>> fmt::Debug for DebugRequest<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uri = self.0.uri();
        // Scheme and authority only when present (an origin-form URI has
        // neither); never the query.
        let origin = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            (None, Some(authority)) => authority.as_str().to_owned(),
            _ => String::new(),
        };
        f.debug_struct("Request")
            .field("method", self.0.method())
            .field("uri", &format_args!("{origin}{}", uri.path()))
            .field("headers", &Headers(self.0.headers()))
            .field("body_len", &self.0.body().as_ref().len())
            .finish()
    }
}

/// A loggable view of a response: status, allowed headers, body length.
pub struct DebugResponse<'a, B>(pub &'a http::Response<B>);

impl<B: AsRef<[u8]>> fmt::Debug for DebugResponse<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.0.status().as_u16())
            .field("headers", &Headers(self.0.headers()))
            .field("body_len", &self.0.body().as_ref().len())
            .finish()
    }
}
