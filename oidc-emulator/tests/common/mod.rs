//! Tiny blocking HTTP/1.1 client for the tests (std `TcpStream` only).
#![allow(dead_code, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Shape name from `x-amzn-ErrorType` (before the first `:`).
    pub fn error_type(&self) -> Option<String> {
        self.header("x-amzn-ErrorType")
            .map(|v| v.split(':').next().unwrap_or("").to_string())
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s
}

/// A keep-alive connection.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Conn {
            stream: connect(addr),
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).unwrap();
    }

    fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response (`Err` on EOF / timeout / truncation).
    pub fn read(&mut self) -> std::io::Result<Resp> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.fill()? == 0 {
                return Err(ErrorKind::UnexpectedEof.into());
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidData, status_line.to_string()))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let start = head_end + 4;
        while self.buf.len() < start + len {
            if self.fill()? == 0 {
                return Err(ErrorKind::UnexpectedEof.into());
            }
        }
        let body = self.buf[start..start + len].to_vec();
        self.buf.drain(..start + len);
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        self.send(method, target, headers, body);
        self.read().expect("response")
    }

    pub fn post_json(&mut self, path: &str, body: &Value) -> Resp {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// Whether the server has closed the connection (EOF within 2 s).
    pub fn is_closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0) | Err(_))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    Conn::new(addr).request(method, target, headers, body)
}

pub fn post_json(addr: SocketAddr, path: &str, body: &Value) -> Resp {
    Conn::new(addr).post_json(path, body)
}

pub fn get(addr: SocketAddr, target: &str) -> Resp {
    request(addr, "GET", target, &[], b"")
}

/// Sends raw bytes and returns everything read until EOF or timeout.
pub fn raw(addr: SocketAddr, bytes: &[u8], timeout: Duration) -> Vec<u8> {
    let mut s = connect(addr);
    s.set_read_timeout(Some(timeout)).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    out
}

pub fn assert_error(resp: &Resp, status: u16, shape: &str, oauth: &str) {
    assert_eq!(resp.status, status, "body: {}", resp.text());
    assert_eq!(
        resp.error_type().as_deref(),
        Some(shape),
        "body: {}",
        resp.text()
    );
    assert!(resp
        .header("x-amzn-ErrorType")
        .unwrap()
        .ends_with(":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"));
    assert_eq!(resp.header("Content-Type"), Some("application/json"));
    let v = resp.json();
    assert_eq!(v["error"], oauth, "body: {v}");
    assert!(v.get("error_description").is_some(), "body: {v}");
    assert!(resp.header("x-amzn-RequestId").is_some());
}

/// Registers a device-flow client; returns (clientId, clientSecret).
pub fn register(addr: SocketAddr, scopes: &[&str]) -> (String, String) {
    let mut body = serde_json::json!({"clientName": "test", "clientType": "public"});
    if !scopes.is_empty() {
        body["scopes"] = serde_json::json!(scopes);
    }
    let r = post_json(addr, "/client/register", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    (
        v["clientId"].as_str().unwrap().to_string(),
        v["clientSecret"].as_str().unwrap().to_string(),
    )
}

/// Starts a device authorization; returns the response JSON.
pub fn start_device(addr: SocketAddr, id: &str, secret: &str) -> Value {
    let r = post_json(
        addr,
        "/device_authorization",
        &serde_json::json!({"clientId": id, "clientSecret": secret,
                           "startUrl": "https://d-1234567890.awsapps.com/start"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

pub fn poll(addr: SocketAddr, id: &str, secret: &str, device_code: &str) -> Resp {
    post_json(
        addr,
        "/token",
        &serde_json::json!({"clientId": id, "clientSecret": secret,
                           "grantType": DEVICE_GRANT, "deviceCode": device_code}),
    )
}

pub fn refresh(addr: SocketAddr, id: &str, secret: &str, rt: &str) -> Resp {
    post_json(
        addr,
        "/token",
        &serde_json::json!({"clientId": id, "clientSecret": secret,
                           "grantType": "refresh_token", "refreshToken": rt}),
    )
}

/// Splits `http://127.0.0.1:PORT/path?query` into (path?query).
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".to_string(),
    }
}

/// Decoded query parameters of a URL.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|x| x.1).unwrap_or("");
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

pub fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap();
            out.push(h);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Long-term test key configured with `with_static_credentials`.
pub const TEST_AKID: &str = "AKIAEMULATORTEST0001";
/// Its secret.
pub const TEST_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEMULATORKEY";

/// `SystemTime::now()` plus the emulator's clock offset (what the
/// emulator considers "now").
pub fn emulator_now(emu: &oidc_emulator::Emulator) -> std::time::SystemTime {
    std::time::SystemTime::now() + emu.clock_offset()
}

/// A secret string (access key secret or session token) of the test
/// credentials.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The value.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// AWS credentials the tests sign with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret(secret.into()),
            session_token: None,
        }
    }
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(Secret(token.into()));
        self
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// SigV4-signs a request as `Conn::send` will send it (`Host: 127.0.0.1`,
/// region `us-east-1`); returns the headers to send (without `Host`).
///
/// A deliberately small signer of the tests' own (plain ASCII paths,
/// already canonical query strings), independent of the emulator's
/// verifier; it signs `host`, the given headers, `x-amz-date` and
/// `x-amz-security-token`.
pub fn sign_headers(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credentials: &Credentials,
    service: &str,
    time: std::time::SystemTime,
) -> Vec<(String, String)> {
    use sha2::Digest;
    let t = time::OffsetDateTime::from(time);
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let date = &amz_date[..8];
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    out.push(("x-amz-date".into(), amz_date.clone()));
    if let Some(token) = &credentials.session_token {
        out.push(("x-amz-security-token".into(), token.secret().to_string()));
    }
    let mut signed: Vec<(String, String)> = out.clone();
    signed.push(("host".into(), "127.0.0.1".into()));
    signed.sort();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut query: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    query.sort_unstable();
    let canonical_headers: String = signed
        .iter()
        .map(|(n, v)| format!("{n}:{}\n", v.trim()))
        .collect();
    let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
    let names = names.join(";");
    let creq = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{names}\n{}",
        query.join("&"),
        hex(&sha2::Sha256::digest(body))
    );
    let scope = format!("{date}/us-east-1/{service}/aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&sha2::Sha256::digest(creq.as_bytes()))
    );
    let key = format!("AWS4{}", credentials.secret_access_key.secret());
    let k = hmac(key.as_bytes(), date);
    let k = hmac(&k, "us-east-1");
    let k = hmac(&k, service);
    let k = hmac(&k, "aws4_request");
    let signature = hex(&hmac(&k, &sts));
    out.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
            credentials.access_key_id
        ),
    ));
    out
}

/// Borrows a header list.
pub fn header_refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}
