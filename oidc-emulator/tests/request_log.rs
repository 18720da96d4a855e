//! The request log (`Emulator::requests`, `GET`/`DELETE /_emulator/requests`)
//! checked with hand-written HTTP over a 127.0.0.1 `TcpStream`, so the test
//! controls every byte (and header) sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget, LoggedRequest};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `raw` on a fresh connection (the request must ask for
/// `Connection: close`) and returns the status and the body of the
/// response (`None` when the server closed without answering).
fn raw(addr: SocketAddr, raw: &str) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    if out.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&out);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body_at = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    Some((status, out[body_at..].to_vec()))
}

fn names(r: &LoggedRequest) -> Vec<&str> {
    r.headers.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn logs_what_was_received() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    assert!(emu.requests().is_empty());

    // A GET without a body: no content-length header is invented.
    let (get_status, _) = raw(
        a,
        "GET /assignment/accounts?max_result=5&next_token= HTTP/1.1\r\n\
         Host: 127.0.0.1\r\n\
         X-Amz-SSO_Bearer_Token:   not-a-token\r\n\
         Connection: close\r\n\r\n",
    )
    .unwrap();

    // A POST with a body.
    let body = r#"{"clientName":"log-test","clientType":"public"}"#;
    let (post_status, _) = raw(
        a,
        &format!(
            "POST /client/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .unwrap();
    assert_eq!(post_status, 200);

    // A SigV4-signed STS request (the signature itself is not valid).
    let form = "Action=GetCallerIdentity&Version=2011-06-15";
    let auth = "AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN000000000/20240101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123";
    let (sts_status, _) = raw(
        a,
        &format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             X-Amz-Date: 20240101T000000Z\r\nAuthorization: {auth}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    )
    .unwrap();
    assert_eq!(sts_status, 403);

    // An unknown route.
    let (unknown_status, _) = raw(
        a,
        "DELETE /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(unknown_status, 404);

    let log = emu.requests();
    assert_eq!(log.len(), 4, "{log:#?}");

    let get = &log[0];
    assert_eq!(get.method, "GET");
    assert_eq!(get.target, "/assignment/accounts?max_result=5&next_token=");
    assert_eq!(names(get), ["host", "x-amz-sso_bearer_token", "connection"]);
    assert_eq!(get.header("x-amz-sso_bearer_token"), Some("not-a-token"));
    assert_eq!(get.header("content-length"), None);
    assert_eq!(get.body_len, 0);
    assert_eq!(get.operation.as_deref(), Some("ListAccounts"));
    assert_eq!(get.status, get_status);
    assert_eq!(get.signed_headers, None);

    let post = &log[1];
    assert_eq!(
        (post.method.as_str(), post.target.as_str()),
        ("POST", "/client/register")
    );
    assert_eq!(
        names(post),
        ["host", "content-type", "content-length", "connection"]
    );
    assert_eq!(
        post.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(post.body_len, body.len());
    assert_eq!(post.operation.as_deref(), Some("RegisterClient"));
    assert_eq!(post.status, 200);

    let sts = &log[2];
    assert_eq!(sts.operation.as_deref(), Some("GetCallerIdentity"));
    assert_eq!(sts.header("authorization"), Some(auth));
    assert_eq!(
        sts.signed_headers.as_deref(),
        Some(
            &[
                "content-type".to_string(),
                "host".into(),
                "x-amz-date".into()
            ][..]
        )
    );
    assert_eq!(sts.status, 403);
    assert_eq!(sts.body_len, form.len());

    let unknown = &log[3];
    assert_eq!(unknown.operation, None);
    assert_eq!(unknown.status, 404);

    // The same over the control API: a JSON array, oldest first.
    let (status, body) = raw(
        a,
        "GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 4);
    assert_eq!(arr[0]["method"], "GET");
    assert_eq!(arr[0]["target"], get.target);
    assert_eq!(arr[0]["headers"][1][0], "x-amz-sso_bearer_token");
    assert_eq!(arr[1]["bodyLen"], body_len_json(post));
    assert_eq!(arr[1]["operation"], "RegisterClient");
    assert_eq!(arr[2]["signedHeaders"][2], "x-amz-date");
    assert_eq!(arr[3]["operation"], Value::Null);
    assert_eq!(arr[3]["status"], 404);
    // ... and the control request itself is logged once it is answered.
    let log = emu.requests();
    assert_eq!(log.len(), 5);
    assert_eq!(log[4].operation.as_deref(), Some("Control"));
    assert_eq!(log[4].target, "/_emulator/requests");

    // DELETE clears (and is then logged itself).
    let (status, body) = raw(
        a,
        "DELETE /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["cleared"], 5);
    let log = emu.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "DELETE");

    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

fn body_len_json(r: &LoggedRequest) -> Value {
    Value::from(r.body_len)
}

#[test]
fn faults_and_keep_alive() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let a = emu.addr();
    emu.push_fault(FaultRule::new(
        FaultTarget::RegisterClient,
        FaultKind::status(503, None),
    ));
    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Drop));
    let req = "POST /client/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\
               Content-Type: application/json\r\nContent-Length: 2\r\n\
               Connection: close\r\n\r\n{}";
    assert_eq!(raw(a, req).unwrap().0, 503);
    assert!(raw(a, req).is_none());

    // Two pipelined requests on one keep-alive connection: both logged.
    let mut s = TcpStream::connect_timeout(&a, TIMEOUT).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(
        b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\
          GET /_emulator/health?x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);

    let log = emu.requests();
    let summary: Vec<(&str, Option<&str>, u16)> = log
        .iter()
        .map(|r| (r.target.as_str(), r.operation.as_deref(), r.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("/client/register", Some("RegisterClient"), 503),
            ("/client/register", Some("RegisterClient"), 0),
            ("/_emulator/health", Some("Control"), 200),
            ("/_emulator/health?x", Some("Control"), 200),
        ]
    );
}

#[test]
fn requests_refused_after_the_head_are_logged() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let (status, _) = raw(
        a,
        "POST /client/register HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         2\r\n{}\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 411);
    // Unparseable: not logged.
    assert_eq!(raw(a, "NOT HTTP AT ALL\r\n\r\n").unwrap().0, 400);

    let log = emu.requests();
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0].target, "/client/register");
    assert_eq!(log[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!((log[0].status, log[0].body_len), (411, 0));
    assert_eq!(log[0].operation, None);
}
