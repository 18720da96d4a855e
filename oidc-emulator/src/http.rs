//! Minimal HTTP/1.1 server-side plumbing: bounded request reading with
//! `httparse`, keep-alive bookkeeping and response writing.
//!
//! Only `Content-Length` request bodies are supported; a request with
//! `Transfer-Encoding` is answered with `411 Length Required` and the
//! connection is closed (the body boundary would be unknown otherwise).

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Upper bound on the number of request headers.
const MAX_HEADERS: usize = 96;

/// A parsed HTTP request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// Method, e.g. `POST`.
    pub(crate) method: String,
    /// Request target as sent (e.g. `/token?aws_iam=t`).
    pub(crate) target: String,
    /// Path without the query, still percent-encoded (e.g. `/token`).
    pub(crate) path: String,
    /// Raw query string without `?` (may be empty).
    pub(crate) query: String,
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    pub(crate) http11: bool,
    /// Header names (original case) and values (lossy UTF-8).
    pub(crate) headers: Vec<(String, String)>,
    /// Request body (exactly `Content-Length` bytes).
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// First header with this (case-insensitive) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client asked to keep the connection open afterwards.
    pub(crate) fn wants_keep_alive(&self) -> bool {
        let conn = self.header("connection").map(str::to_ascii_lowercase);
        match conn {
            Some(c) if c.split(',').any(|t| t.trim() == "close") => false,
            Some(c) if c.split(',').any(|t| t.trim() == "keep-alive") => true,
            _ => self.http11,
        }
    }
}

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Peer closed (or idled out) between requests: close silently.
    Closed,
    /// Transport failure mid-request (reset, timeout with partial data):
    /// close silently.
    Io,
    /// A response should be sent (status, message), then the connection
    /// closed.
    Reject(u16, &'static str),
}

/// Size limits for reading a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Maximum size of the request line plus headers.
    pub(crate) max_header_bytes: usize,
    /// Maximum body size.
    pub(crate) max_body_bytes: usize,
}

/// A connection with its read buffer (bytes received but not yet consumed,
/// which allows pipelined requests).
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The head of the last request rejected after its head was parsed.
    rejected: Option<Request>,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Connection {
    /// Wraps an accepted stream.
    pub(crate) fn new(stream: TcpStream) -> Self {
        Connection {
            stream,
            buf: Vec::new(),
            rejected: None,
        }
    }

    /// The underlying stream (for writing).
    pub(crate) fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Reads more bytes into the buffer. `Ok(0)` means EOF.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The request (head only, empty body) behind the last
    /// [`ReadError::Reject`] of [`Connection::read_request`], when its head
    /// could be parsed (e.g. a `Transfer-Encoding` or oversized body).
    pub(crate) fn take_rejected(&mut self) -> Option<Request> {
        self.rejected.take()
    }

    /// Reads the next request.
    pub(crate) fn read_request(&mut self, limits: Limits) -> Result<Request, ReadError> {
        self.rejected = None;
        let (head_len, mut req) = self.read_head(limits)?;
        match self.read_body(head_len, &req.headers, limits) {
            Ok(body) => {
                req.body = body;
                Ok(req)
            }
            Err(e) => {
                if matches!(e, ReadError::Reject(..)) {
                    self.rejected = Some(req);
                }
                Err(e)
            }
        }
    }

    /// Reads the request line and headers; returns the head length and the
    /// request without its body.
    fn read_head(&mut self, limits: Limits) -> Result<(usize, Request), ReadError> {
        // 1. Request line + headers.
        let (head_len, method, target, http11, headers) = loop {
            // Tolerate (RFC 9112 §2.2) empty lines before a request line.
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if let Some(parsed) = self.try_parse_head()? {
                break parsed;
            }
            if self.buf.len() > limits.max_header_bytes {
                return Err(ReadError::Reject(431, "request header too large"));
            }
            match self.fill() {
                Ok(0) if self.buf.is_empty() => return Err(ReadError::Closed),
                Ok(0) => return Err(ReadError::Io),
                Ok(_) => {}
                Err(e) if is_timeout(&e) && self.buf.is_empty() => return Err(ReadError::Closed),
                Err(e) if is_timeout(&e) => return Err(ReadError::Reject(408, "request timeout")),
                Err(_) => return Err(ReadError::Io),
            }
        };
        let (path, query) = split_target(&target);
        let req = Request {
            method,
            target,
            path,
            query,
            http11,
            headers,
            body: Vec::new(),
        };
        Ok((head_len, req))
    }

    /// Checks the body framing and reads the body (then consumes head and
    /// body from the buffer).
    fn read_body(
        &mut self,
        head_len: usize,
        headers: &[(String, String)],
        limits: Limits,
    ) -> Result<Vec<u8>, ReadError> {
        if head_len > limits.max_header_bytes {
            return Err(ReadError::Reject(431, "request header too large"));
        }

        // 2. Body framing.
        if headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        {
            return Err(ReadError::Reject(
                411,
                "Transfer-Encoding request bodies are not supported; send Content-Length",
            ));
        }
        let mut content_length: Option<usize> = None;
        for (n, v) in headers {
            if n.eq_ignore_ascii_case("content-length") {
                let v = v.trim();
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ReadError::Reject(400, "invalid Content-Length"));
                }
                let parsed = match v.parse::<usize>() {
                    Ok(x) => x,
                    // Too many digits for usize: certainly too large.
                    Err(_) => return Err(ReadError::Reject(413, "request body too large")),
                };
                if content_length.is_some_and(|c| c != parsed) {
                    return Err(ReadError::Reject(400, "conflicting Content-Length headers"));
                }
                content_length = Some(parsed);
            }
        }
        let body_len = content_length.unwrap_or(0);
        if body_len > limits.max_body_bytes {
            return Err(ReadError::Reject(413, "request body too large"));
        }

        // 3. `Expect: 100-continue`.
        let expects_continue = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("expect") && v.trim().eq_ignore_ascii_case("100-continue")
        });
        if expects_continue
            && body_len > 0
            && self.buf.len() < head_len + body_len
            && self
                .stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .is_err()
        {
            return Err(ReadError::Io);
        }

        // 4. Body.
        while self.buf.len() < head_len + body_len {
            match self.fill() {
                Ok(0) => return Err(ReadError::Io),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => return Err(ReadError::Reject(408, "request timeout")),
                Err(_) => return Err(ReadError::Io),
            }
        }
        let body = self.buf[head_len..head_len + body_len].to_vec();
        self.buf.drain(..head_len + body_len);
        Ok(body)
    }

    /// Parses the head if complete (see [`parse_head`]).
    #[allow(clippy::type_complexity)]
    fn try_parse_head(
        &self,
    ) -> Result<Option<(usize, String, String, bool, Vec<(String, String)>)>, ReadError> {
        parse_head(&self.buf)
    }
}

/// Splits a request target into the path (still percent-encoded) and the
/// raw query; absolute-form targets (`http://host:port/path`, as sent via
/// proxies) are reduced to their path and query.
pub(crate) fn split_target(target: &str) -> (String, String) {
    let target = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(rest) => match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => rest[i..].to_string(),
            Some(i) => format!("/{}", &rest[i..]),
            None => "/".to_string(),
        },
        None => target.to_string(),
    };
    match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    }
}

/// Parses a request head (request line and headers) at the start of `buf`
/// if it is complete. Returns `(head_len, method, target, http11,
/// headers)`.
#[allow(clippy::type_complexity)]
pub(crate) fn parse_head(
    buf: &[u8],
) -> Result<Option<(usize, String, String, bool, Vec<(String, String)>)>, ReadError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut storage);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => {
            let method = req.method.unwrap_or("").to_string();
            let target = req.path.unwrap_or("").to_string();
            let http11 = req.version == Some(1);
            if method.is_empty() || target.is_empty() {
                return Err(ReadError::Reject(400, "malformed request line"));
            }
            let headers = req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            Ok(Some((n, method, target, http11, headers)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            Err(ReadError::Reject(431, "too many request headers"))
        }
        Err(_) => Err(ReadError::Reject(400, "malformed HTTP request")),
    }
}

/// An HTTP response to be written in one go.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Extra headers (Content-Length, Connection and the request id are
    /// added when writing).
    pub(crate) headers: Vec<(String, String)>,
    /// Body bytes.
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A response with a body and content type.
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    /// A JSON response.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Response::new(status, "application/json", body)
    }

    /// An HTML response.
    pub(crate) fn html(status: u16, body: String) -> Self {
        Response::new(status, "text/html; charset=utf-8", body)
    }

    /// A response without a body.
    pub(crate) fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Standard reason phrase for a status code.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Serialises the status line and headers. `content_length` is what the
/// `Content-Length` header announces (which the `truncated` fault makes
/// larger than the body actually sent).
pub(crate) fn head_bytes(
    status: u16,
    headers: &[(String, String)],
    content_length: usize,
    request_id: &str,
    keep_alive: bool,
) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", status, reason_phrase(status));
    for (n, v) in headers {
        // Never let a value smuggle extra header lines.
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(n);
        head.push_str(": ");
        head.push_str(&v);
        head.push_str("\r\n");
    }
    head.push_str(&format!("Content-Length: {content_length}\r\n"));
    head.push_str(&format!("x-amzn-RequestId: {request_id}\r\n"));
    head.push_str("Server: oidc-emulator\r\n");
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n"
    } else {
        "Connection: close\r\n"
    });
    head.push_str("\r\n");
    head.into_bytes()
}

/// Writes a complete response.
pub(crate) fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    request_id: &str,
    keep_alive: bool,
) -> io::Result<()> {
    let mut out = head_bytes(
        resp.status,
        &resp.headers,
        resp.body.len(),
        request_id,
        keep_alive,
    );
    out.extend_from_slice(&resp.body);
    stream.write_all(&out)?;
    stream.flush()
}
