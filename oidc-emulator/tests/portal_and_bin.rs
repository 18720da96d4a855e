//! SSO portal API emulation and the `oidc-emulator` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use oidc_emulator::{Emulator, EmulatorConfig, PortalAccount};

fn portal_get(a: std::net::SocketAddr, target: &str, token: &str) -> Resp {
    request(a, "GET", target, &[("x-amz-sso_bearer_token", token)], b"")
}

#[test]
fn portal_operations() {
    let emu = Emulator::start_default().unwrap();
    let a = emu.addr();
    let t = emu.issue_token(&["sso:account:access"]);

    // Pagination over three accounts, page size 2.
    let r = portal_get(a, "/assignment/accounts", &t.access_token);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["accountList"].as_array().unwrap().len(), 2);
    let next = v["nextToken"].as_str().unwrap().to_string();
    let v = portal_get(
        a,
        &format!("/assignment/accounts?next_token={}", pct_encode(&next)),
        &t.access_token,
    )
    .json();
    assert_eq!(v["accountList"].as_array().unwrap().len(), 1);
    assert!(v["nextToken"].is_null());
    let v = portal_get(a, "/assignment/accounts?max_result=100", &t.access_token).json();
    assert_eq!(v["accountList"][0]["accountId"], "111111111111");
    assert_eq!(v["accountList"][0]["emailAddress"], "dev@example.com");
    assert_eq!(
        portal_get(a, "/assignment/accounts?max_result=0", &t.access_token).status,
        400
    );
    assert_eq!(
        portal_get(a, "/assignment/accounts?next_token=zzz", &t.access_token).status,
        400
    );

    let v = portal_get(
        a,
        "/assignment/roles?account_id=111111111111",
        &t.access_token,
    )
    .json();
    assert_eq!(
        v["roleList"][0],
        serde_json::json!({"roleName": "ReadOnly", "accountId": "111111111111"})
    );
    assert_eq!(
        portal_get(a, "/assignment/roles", &t.access_token).status,
        400
    );
    assert_eq!(
        portal_get(a, "/assignment/roles?account_id=999", &t.access_token).status,
        404
    );

    let r = portal_get(
        a,
        "/federation/credentials?role_name=ReadOnly&account_id=111111111111",
        &t.access_token,
    );
    assert_eq!(r.status, 200);
    let c = &r.json()["roleCredentials"];
    assert!(c["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(c["secretAccessKey"].is_string() && c["sessionToken"].is_string());
    let exp = c["expiration"].as_i64().unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        exp > now_ms + 3_000_000 && exp < now_ms + 4_000_000,
        "epoch millis"
    );
    let r = portal_get(
        a,
        "/federation/credentials?role_name=Nope&account_id=111111111111",
        &t.access_token,
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("ResourceNotFoundException")
    );

    // Bad / missing token.
    let r = portal_get(a, "/assignment/accounts", "nope");
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("UnauthorizedException"));
    assert!(r.json()["message"].is_string());
    assert_eq!(get(a, "/assignment/accounts").status, 401);

    // Logout invalidates the token.
    let r = request(
        a,
        "POST",
        "/logout",
        &[("x-amz-sso_bearer_token", &t.access_token)],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        portal_get(a, "/assignment/accounts", &t.access_token).status,
        401
    );

    // Expiry via the clock.
    let t2 = emu.issue_token(&[]);
    emu.advance(Duration::from_secs(3600));
    assert_eq!(
        portal_get(a, "/assignment/accounts", &t2.access_token).status,
        401
    );

    let st = emu.stats();
    assert_eq!(st.logout, 1);
    assert_eq!(st.get_role_credentials, 2);
}

#[test]
fn portal_custom_accounts() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_portal_accounts(vec![PortalAccount::new("123456789012", "Solo", &["Admin"])])
            .with_portal_page_size(10),
    )
    .unwrap();
    let t = emu.issue_token(&[]);
    let v = portal_get(emu.addr(), "/assignment/accounts", &t.access_token).json();
    assert_eq!(v["accountList"].as_array().unwrap().len(), 1);
    assert_eq!(v["accountList"][0]["accountName"], "Solo");
}

#[test]
fn binary_serves_until_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oidc-emulator"))
        .args(["--interval", "3", "--expires-in", "42"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();

    let (id, secret) = register(addr, &[]);
    let s = start_device(addr, &id, &secret);
    assert_eq!(s["interval"], 3);
    assert_eq!(s["expiresIn"], 42);

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("binary did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn binary_rejects_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-emulator"))
        .args(["--port", "notaport"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-emulator"))
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--interval"));
}
