//! Wire-level behaviour: fault injection, control API, stats, keep-alive,
//! malformed input, limits and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget};
use serde_json::json;

fn reg_body() -> serde_json::Value {
    json!({"clientName": "t", "clientType": "public"})
}

#[test]
fn fault_status_kinds() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    emu.push_fault(
        FaultRule::new(
            FaultTarget::RegisterClient,
            FaultKind::status(500, Some("InternalServerException")),
        )
        .times(2),
    );
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::status(503, None),
    ));
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::status(429, Some("ThrottlingException")),
    ));
    for _ in 0..2 {
        let r = post_json(a, "/client/register", &reg_body());
        assert_error(&r, 500, "InternalServerException", "server_error");
    }
    let r = post_json(a, "/client/register", &reg_body());
    assert_eq!(r.status, 503);
    assert!(r.body.is_empty());
    assert!(r.header("x-amzn-RequestId").is_some());
    let r = post_json(a, "/client/register", &reg_body());
    assert_eq!(r.status, 429);
    assert_eq!(r.error_type().as_deref(), Some("ThrottlingException"));
    assert!(r.json()["error"].is_string());
    // Rules used up: normal again, and nothing was registered meanwhile.
    assert!(emu.faults().is_empty());
    assert_eq!(post_json(a, "/client/register", &reg_body()).status, 200);
    assert_eq!(emu.clients().len(), 1);
    assert_eq!(emu.stats().register_client, 5);
}

#[test]
fn fault_body_kinds() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let t = emu.issue_token(&[]);
    let body = json!({"clientId": t.client_id, "clientSecret": t.client_secret,
                      "grantType": "refresh_token", "refreshToken": t.refresh_token});

    // malformed
    emu.push_fault(FaultRule::new(
        FaultTarget::CreateTokenRefresh,
        FaultKind::Malformed,
    ));
    let r = post_json(a, "/token", &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(!r.body.is_empty());

    // empty
    emu.push_fault(FaultRule::new(FaultTarget::CreateToken, FaultKind::Empty));
    let r = post_json(a, "/token", &body);
    assert_eq!((r.status, r.body.len()), (200, 0));

    // wrong_shape
    emu.push_fault(FaultRule::new(
        FaultTarget::Path("/token".into()),
        FaultKind::WrongShape,
    ));
    let r = post_json(a, "/token", &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["accessToken"], 5);

    // html
    emu.push_fault(FaultRule::new(FaultTarget::Any, FaultKind::Html));
    let r = post_json(a, "/token", &body);
    assert_eq!(r.status, 502);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(r.header("x-amzn-ErrorType").is_none());
    assert!(r.text().contains("502 Bad Gateway"));

    // oversized: exact size, valid JSON
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::Oversized { bytes: 3_000_000 },
    ));
    let r = post_json(a, "/token", &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 3_000_000);
    assert_eq!(r.json()["tokenType"], "Bearer");

    // The refresh token was never consumed by the faulted requests.
    let r = post_json(a, "/token", &body);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn fault_connection_kinds() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();

    // truncated: Content-Length larger than what arrives, then EOF.
    emu.push_fault(FaultRule::new(FaultTarget::Any, FaultKind::Truncated));
    let raw_resp = raw(
        a,
        b"POST /client/register HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        TIMEOUT,
    );
    let text = String::from_utf8_lossy(&raw_resp).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let cl: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(cl > body.len());
    let mut c = Conn::new(a);
    emu.push_fault(FaultRule::new(FaultTarget::Any, FaultKind::Truncated));
    c.send("POST", "/client/register", &[], b"{}");
    assert!(c.read().is_err());

    // drop: connection closed without any byte.
    emu.push_fault(FaultRule::new(FaultTarget::RegisterClient, FaultKind::Drop));
    let out = raw(
        a,
        b"POST /client/register HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        TIMEOUT,
    );
    assert!(out.is_empty());

    // delay: normal response after the delay.
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::Delay { ms: 300 },
    ));
    let t0 = Instant::now();
    let r = post_json(a, "/client/register", &reg_body());
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 200);

    // After a status fault the keep-alive connection stays usable.
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::status(500, Some("InternalServerException")),
    ));
    let mut c = Conn::new(a);
    assert_eq!(c.post_json("/client/register", &reg_body()).status, 500);
    assert_eq!(c.post_json("/client/register", &reg_body()).status, 200);

    // Control API is never faulted.
    emu.push_fault(FaultRule::new(FaultTarget::Any, FaultKind::Drop));
    assert_eq!(get(a, "/_emulator/stats").status, 200);
    emu.clear_faults();
    assert!(emu.faults().is_empty());
}

#[test]
fn control_api_over_http() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let h = get(a, "/_emulator/health");
    assert_eq!(h.json()["baseUrl"], emu.base_url());

    let (id, secret) = register(a, &["sso:account:access"]);
    let s = start_device(a, &id, &secret);
    let user_code = s["userCode"].as_str().unwrap();
    let dc = s["deviceCode"].as_str().unwrap();
    let p = get(a, "/_emulator/pending").json();
    assert_eq!(p, json!({"userCodes": [user_code]}));

    let r = post_json(a, "/_emulator/approve", &json!({"userCode": user_code}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["approved"], true);
    let r = post_json(a, "/_emulator/approve", &json!({"userCode": user_code}));
    assert_eq!(r.status, 404);
    let r = post_json(a, "/_emulator/deny", &json!({}));
    assert_eq!(r.status, 400);
    assert_eq!(poll(a, &id, &secret, dc).status, 200);

    let s = start_device(a, &id, &secret);
    let r = post_json(a, "/_emulator/deny", &json!({"userCode": s["userCode"]}));
    assert_eq!(r.json()["denied"], true);

    let s = start_device(a, &id, &secret);
    let r = post_json(a, "/_emulator/advance", &json!({"seconds": 601}));
    assert_eq!(r.json()["offsetSeconds"], 601.0);
    assert_eq!(emu.clock_offset(), Duration::from_secs(601));
    assert_error(
        &poll(a, &id, &secret, s["deviceCode"].as_str().unwrap()),
        400,
        "ExpiredTokenException",
        "expired_token",
    );
    assert_eq!(
        post_json(a, "/_emulator/advance", &json!({"seconds": -1})).status,
        400
    );

    // Faults over HTTP.
    let r = post_json(
        a,
        "/_emulator/faults",
        &json!([{"operation": "create_token", "kind": "status", "status": 500, "error": "InternalServerException", "count": 2},
                {"path": "/client/register", "kind": "wrong_shape"}]),
    );
    assert_eq!(r.json()["queued"], 2);
    let listed = get(a, "/_emulator/faults").json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    assert_eq!(listed["faults"][0]["count"], 2);
    assert_eq!(
        post_json(a, "/_emulator/faults", &json!({"kind": "bogus"})).status,
        400
    );
    assert_eq!(poll(a, &id, &secret, "x").status, 500);
    let r = request(a, "DELETE", "/_emulator/faults", &[], b"");
    assert_eq!(r.json()["cleared"], 2);
    assert_eq!(poll(a, &id, &secret, "x").status, 400);

    // issue-token + revoke over HTTP.
    let t = post_json(
        a,
        "/_emulator/issue-token",
        &json!({"scopes": ["sso:account:access"]}),
    )
    .json();
    let rt = t["refreshToken"].as_str().unwrap();
    let r = post_json(a, "/_emulator/revoke", &json!({"refreshToken": rt}));
    assert_eq!(r.json()["revoked"], true);
    assert_error(
        &refresh(
            a,
            t["clientId"].as_str().unwrap(),
            t["clientSecret"].as_str().unwrap(),
            rt,
        ),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    let clients = get(a, "/_emulator/clients").json();
    assert_eq!(clients["clients"].as_array().unwrap().len(), 2);

    // Stats over HTTP (control calls are not counted).
    let st = get(a, "/_emulator/stats").json();
    assert_eq!(st["register_client"], 1);
    assert_eq!(st["start_device_authorization"], 3);
    assert_eq!(st["create_token_device_code"], 4);
    assert_eq!(st["create_token_refresh"], 1);
    assert_eq!(st["total"], 9);
    let r = post_json(a, "/_emulator/reset-stats", &json!({}));
    assert_eq!(r.json()["total"], 0);
    assert_eq!(emu.stats().total, 0);

    // Routing errors.
    assert_eq!(get(a, "/_emulator/nope").status, 404);
    let r = get(a, "/_emulator/approve");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
}

#[test]
fn control_api_can_be_disabled() {
    let emu = Emulator::start(EmulatorConfig::default().with_control_api(false)).unwrap();
    assert_eq!(get(emu.addr(), "/_emulator/stats").status, 404);
    // The Rust API still works.
    assert_eq!(emu.stats().unknown, 1);
}

#[test]
fn stats_counts_per_operation() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let (id, secret) = register(a, &[]);
    let s = start_device(a, &id, &secret);
    let _ = poll(a, &id, &secret, s["deviceCode"].as_str().unwrap());
    let _ = refresh(a, &id, &secret, "x");
    let _ = post_json(
        a,
        "/token",
        &json!({"clientId": id, "clientSecret": secret, "grantType": "authorization_code"}),
    );
    let _ = post_json(a, "/token", &json!({"grantType": 7}));
    let _ = request(a, "POST", "/token?aws_iam=t", &[], b"{}");
    let _ = get(a, "/device");
    let _ = get(a, "/authorize");
    let _ = get(a, "/nope");
    let st = emu.stats();
    assert_eq!(st.register_client, 1);
    assert_eq!(st.start_device_authorization, 1);
    assert_eq!(st.create_token_device_code, 1);
    assert_eq!(st.create_token_refresh, 1);
    assert_eq!(st.create_token_authorization_code, 1);
    assert_eq!(st.create_token_other, 1);
    assert_eq!(st.create_token(), 4);
    assert_eq!(st.create_token_with_iam, 1);
    assert_eq!(st.verification_page, 1);
    assert_eq!(st.authorize, 1);
    assert_eq!(st.unknown, 1);
    assert_eq!(st.total, 10);
    emu.reset_stats();
    assert_eq!(emu.stats().total, 0);
}

#[test]
fn keep_alive_and_pipelining() {
    let emu = Emulator::start_default().unwrap();
    let mut c = Conn::new(emu.addr());
    let r1 = c.post_json("/client/register", &reg_body());
    let r2 = c.post_json("/client/register", &reg_body());
    assert_eq!((r1.status, r2.status), (200, 200));
    assert_eq!(r1.header("Connection"), Some("keep-alive"));
    assert_ne!(r1.header("x-amzn-RequestId"), r2.header("x-amzn-RequestId"));
    // An error response keeps the connection too.
    assert_eq!(c.post_json("/token", &json!({})).status, 400);
    assert_eq!(c.request("GET", "/device", &[], b"").status, 200);

    // Two pipelined requests in one write.
    let one = "POST /client/register HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\n\r\n{\"clientName\":\"t\",\"clientType\":\"public\"}    ";
    let mut c = Conn::new(emu.addr());
    c.stream
        .write_all(format!("{one}{one}").as_bytes())
        .unwrap();
    assert_eq!(c.read().unwrap().status, 200);
    assert_eq!(c.read().unwrap().status, 200);

    // Connection: close is honoured.
    let mut c = Conn::new(emu.addr());
    let r = c.request("GET", "/device", &[("Connection", "close")], b"");
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.is_closed());

    // HTTP/1.0 closes by default.
    let out = raw(emu.addr(), b"GET /device HTTP/1.0\r\n\r\n", TIMEOUT);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
}

#[test]
fn routing_errors() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let r = get(a, "/nope");
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type().as_deref(), Some("UnknownOperationException"));
    assert!(r.json()["error"].is_string());
    assert!(r.header("x-amzn-RequestId").is_some());
    let r = get(a, "/token");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
}

#[test]
fn garbage_and_limits_never_crash() {
    let emu = Emulator::start(EmulatorConfig::default().with_read_timeout(Duration::from_secs(2)))
        .unwrap();
    let a = emu.addr();
    let t = Duration::from_secs(5);

    let inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe garbage\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\nContent-Length: abc\r\n\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n".to_vec(),
        b"POST /token HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n\xff\xfe{\"a\":".to_vec(),
        b"POST /client/register HTTP/1.1\r\nConnection: close\r\nContent-Length: 24\r\n\r\n{\"clientName\":\"\xc3\x28\"}    ".to_vec(),
        b"GET /authorize?client_id=%ZZ&redirect_uri=%&state=%E2%82 HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
        b"POST /device HTTP/1.1\r\nConnection: close\r\nContent-Length: 9\r\n\r\n%%%&&&===".to_vec(),
    ];
    for input in &inputs {
        let out = raw(a, input, t);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("HTTP/1.1 4"),
            "input {:?} → {text:?}",
            String::from_utf8_lossy(input)
        );
    }

    // Control characters from the query are not echoed raw into the page.
    let out = raw(
        a,
        b"GET /device?user_code=%00%01%FF%3Cb%3E HTTP/1.1\r\nConnection: close\r\n\r\n",
        t,
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"));
    assert!(!text.contains('\0') && !text.contains("<b>"));

    // Chunked request bodies: 411.
    let out = raw(
        a,
        b"POST /token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        t,
    );
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 411"));

    // Oversized header: 431.
    let big = format!(
        "GET /device HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let out = raw(a, big.as_bytes(), t);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 431"));

    // Oversized body: 413 (even while the client keeps sending).
    let mut s = connect(a);
    let body_len = 2 * 1024 * 1024;
    s.write_all(format!("POST /token HTTP/1.1\r\nContent-Length: {body_len}\r\n\r\n").as_bytes())
        .unwrap();
    let _ = s.write_all(&vec![b'x'; 256 * 1024]);
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"));

    // Truncated request then close; half a request left hanging (read
    // timeout ends it); lone connect + close.
    let _ = raw(
        a,
        b"POST /token HTTP/1.1\r\nContent-Length: 100\r\n\r\n{",
        Duration::from_millis(100),
    );
    let _ = raw(a, b"GET /dev", Duration::from_millis(100));
    drop(connect(a));

    // Random byte soup.
    let mut x: u32 = 12345;
    for _ in 0..30 {
        let bytes: Vec<u8> = (0..200)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let _ = raw(a, &bytes, Duration::from_millis(300));
    }

    // Still serving normally.
    assert_eq!(post_json(a, "/client/register", &reg_body()).status, 200);
    assert_eq!(get(a, "/_emulator/health").status, 200);
}

#[test]
fn expect_100_continue() {
    let emu = Emulator::start_default().unwrap();
    let mut c = Conn::new(emu.addr());
    let body = reg_body().to_string();
    c.stream
        .write_all(
            format!(
                "POST /client/register HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(c.read().unwrap().status, 100);
    c.stream.write_all(body.as_bytes()).unwrap();
    assert_eq!(c.read().unwrap().status, 200);
}

#[test]
fn shutdown_is_prompt_with_idle_and_busy_connections() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    // An idle keep-alive connection, a half-sent request and a slow request.
    let mut idle = Conn::new(a);
    assert_eq!(idle.request("GET", "/device", &[], b"").status, 200);
    let mut half = connect(a);
    half.write_all(b"POST /token HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        .unwrap();
    emu.push_fault(FaultRule::new(
        FaultTarget::Any,
        FaultKind::Delay { ms: u64::MAX },
    ));
    let mut slow = connect(a);
    slow.write_all(b"GET /device HTTP/1.1\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));

    let t0 = Instant::now();
    emu.shutdown();
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
    assert!(idle.is_closed());
    // The listener is gone.
    assert!(std::net::TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_err());

    // Drop also stops it.
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let t0 = Instant::now();
    drop(emu);
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(std::net::TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_err());
}

#[test]
fn many_parallel_clients() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Conn::new(a);
                for _ in 0..10 {
                    assert_eq!(c.post_json("/client/register", &reg_body()).status, 200);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(emu.stats().register_client, 160);
}

#[test]
fn emulator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    let emu = std::sync::Arc::new(Emulator::start_default().unwrap());
    let e2 = std::sync::Arc::clone(&emu);
    std::thread::spawn(move || e2.advance(Duration::from_secs(1)))
        .join()
        .unwrap();
    assert_eq!(emu.clock_offset(), Duration::from_secs(1));
}

#[test]
fn control_api_refuses_cross_site_requests() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let a = emu.addr();
    let before = get(a, "/_emulator/health").json();
    assert_eq!(before["ok"], true);
    // A text/plain POST (what a cross-site form can send) does not move the clock.
    let r = request(
        a,
        "POST",
        "/_emulator/advance",
        &[("Content-Type", "text/plain")],
        br#"{"seconds":600}"#,
    );
    assert_eq!(r.status, 415);
    // The refusal says exactly what to send (what `curl -d` users need).
    let said = r.json()["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        said.contains("Content-Type: application/json") && said.contains("curl -X POST"),
        "{said}"
    );
    // A foreign Origin is refused, even with JSON.
    let r = request(
        a,
        "POST",
        "/_emulator/advance",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://evil.example"),
        ],
        br#"{"seconds":600}"#,
    );
    assert_eq!(r.status, 403);
    // A foreign Host (DNS rebinding) is refused.
    let mut conn = Conn::new(a);
    conn.stream
        .write_all(
            b"POST /_emulator/advance HTTP/1.1\r\nHost: evil.example:80\r\n\
              Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"seconds\":600}",
        )
        .unwrap();
    assert_eq!(conn.read().unwrap().status, 403);
    // The clock never moved: one second forward makes the offset one second.
    let r = post_json(a, "/_emulator/advance", &serde_json::json!({"seconds": 1}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["offsetSeconds"], 1.0);
    emu.shutdown();
}
