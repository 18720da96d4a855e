//! Targets that need `oidc-host` or `oidc-emulator` (not dependencies of
//! `oidc-core`, so `oidc-core/tests/fuzz_corpus.rs` cannot replay them;
//! `fuzz/tests/replay.rs` does, with `cargo test` inside `fuzz/`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use oidc_core::pkce::{answer_loopback, LoopbackOutcome, State};
use oidc_host::adapter::loopback::{parse_head, reply_bytes, Head, MAX_REQUEST_HEAD};

use crate::Target;

/// The targets of this module, by binary and corpus name.
pub const TARGETS: &[(&str, Target)] = &[
    ("loopback_request", loopback_request),
    ("emulator_http", emulator_http),
    ("aws_config", aws_config),
];

/// Arbitrary bytes as `~/.aws/config` (`oidc_host::aws_config`):
///
/// * parsing never panics, and an error never shows a value from the file
///   (only line numbers, section and key names): a value line
///   `key = <distinctive value>` is planted and searched for;
/// * when the text parses, the writers keep it parsable: after
///   `upsert_sso_session` and `upsert_profile` the result parses, holds
///   the new values, and every section that was there before is unchanged.
pub fn aws_config(data: &[u8]) {
    use oidc_host::aws_config::{upsert_profile, upsert_sso_session, AwsConfig};

    const PLANTED: &str = "PlantedSecretValue0123456789abcdef";
    let mut bytes = data.to_vec();
    bytes.extend_from_slice(format!("\nplanted_key = {PLANTED}\n").as_bytes());
    if let Err(e) = AwsConfig::parse_bytes(&bytes) {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(PLANTED), "a parse error shows a value: {shown}");
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(before) = AwsConfig::parse(text) else {
        return;
    };
    let Ok(written) = upsert_sso_session(
        text,
        "fuzz-session",
        "https://d-1234567890.awsapps.com/start",
        "eu-west-1",
        &["sso:account:access"],
    ) else {
        return;
    };
    let Ok(written) = upsert_profile(
        &written,
        "fuzz-profile",
        &[("sso_session", "fuzz-session"), ("region", "eu-west-1")],
    ) else {
        return;
    };
    let after = AwsConfig::parse(&written).expect("the writers' output parses");
    let session = after.sso_session("fuzz-session").expect("the new session");
    assert_eq!(session.start_url(), Some("https://d-1234567890.awsapps.com/start"));
    assert_eq!(session.region(), Some("eu-west-1"));
    let profile = after.profile("fuzz-profile").expect("the new profile");
    assert_eq!(profile.sso_session(), Some("fuzz-session"));
    for (name, old) in &before.profiles {
        if name != "fuzz-profile" {
            assert_eq!(
                after.profiles.get(name).map(|p| &p.properties),
                Some(&old.properties),
                "profile {name:?} changed"
            );
        }
    }
    for (name, old) in &before.sso_sessions {
        if name != "fuzz-session" {
            assert_eq!(
                after.sso_sessions.get(name).map(|s| &s.properties),
                Some(&old.properties),
                "sso-session {name:?} changed"
            );
        }
    }
}

/// Raw bytes received by the PKCE loopback listener:
/// `oidc_host::adapter::loopback::parse_head`, then
/// `oidc_core::pkce::answer_loopback` with the state
/// [`crate::expected_state`].
///
/// Invariants: `Partial` only below `MAX_REQUEST_HEAD` bytes; a complete
/// head's method and target are taken from the bytes; the sign-in ends
/// (`Code` or `Failed`) only for a `GET` whose percent-decoded target
/// holds the expected state, and then the same request with another state
/// keeps waiting; `Code` answers 200 with a non-empty code, `Failed` 400,
/// waiting 400, 404 or 405; the reply bytes are a well-framed HTTP/1.1
/// response that never shows the code.
pub fn loopback_request(data: &[u8]) {
    let state = crate::expected_state();
    match parse_head(data) {
        Head::Partial => assert!(data.len() < MAX_REQUEST_HEAD, "partial over the limit"),
        Head::Complete { method, target } => {
            assert!(
                crate::contains(data, method.as_bytes()),
                "method not from the bytes"
            );
            assert!(
                crate::contains(data, target.as_bytes()),
                "target not from the bytes"
            );
            let reply = answer_loopback(&method, &target, &state);
            let decoded = form_decode_lossy(&target);
            let ends = matches!(
                reply.outcome,
                LoopbackOutcome::Code(_) | LoopbackOutcome::Failed(_)
            );
            if ends {
                assert_eq!(method, "GET", "a {method} request ended the sign-in");
                assert!(
                    decoded.contains(state.as_str()),
                    "the sign-in ended without the state: {target:?}"
                );
                let other = State::from_random_bytes(&[0x24; 16]);
                if !decoded.contains(other.as_str()) {
                    let reply = answer_loopback(&method, &target, &other);
                    assert!(
                        matches!(reply.outcome, LoopbackOutcome::KeepWaiting(_)),
                        "ended for two states"
                    );
                }
            }
            let mut hidden = None;
            match &reply.outcome {
                LoopbackOutcome::Code(code) => {
                    assert_eq!(reply.status, 200);
                    assert!(!code.secret().is_empty(), "empty code");
                    hidden = Some(code.secret().to_owned());
                }
                LoopbackOutcome::Failed(e) => {
                    assert_eq!(reply.status, 400);
                    assert!(!e.is_ignorable(), "an ignorable error ended the sign-in");
                    let _ = e.to_string();
                }
                LoopbackOutcome::KeepWaiting(e) => {
                    assert!(
                        matches!(reply.status, 400 | 404 | 405),
                        "status {}",
                        reply.status
                    );
                    if let Some(e) = e {
                        assert!(e.is_ignorable(), "waiting after a final error");
                    }
                }
                other => panic!("unknown outcome {other:?}"),
            }
            let bytes = reply_bytes(&reply);
            let text = String::from_utf8(bytes).expect("the reply is UTF-8");
            assert!(text.starts_with(&format!("HTTP/1.1 {} ", reply.status)));
            let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
            assert!(
                head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())),
                "Content-Length does not match the page"
            );
            if let Some(code) = hidden.filter(|c| c.len() >= 8) {
                assert!(!text.contains(&code), "the reply shows the code");
            }
        }
        Head::Invalid => {}
        other => panic!("unknown head {other:?}"),
    }
}

/// `application/x-www-form-urlencoded` decoding, lossy (a reference for
/// the state check: at least as permissive as the library).
fn form_decode_lossy(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|c| char::from(*c).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The emulator every `emulator_http` run talks to (control API off, so no
/// input can inject delays or faults).
fn emulator() -> &'static oidc_emulator::Emulator {
    static EMULATOR: OnceLock<oidc_emulator::Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        oidc_emulator::Emulator::start(
            oidc_emulator::EmulatorConfig::default()
                .with_control_api(false)
                .with_read_timeout(Duration::from_secs(2))
                .with_write_timeout(Duration::from_secs(2)),
        )
        .expect("the emulator starts")
    })
}

/// The emulator's HTTP request parser (private: `oidc_emulator::http`),
/// reached through its only public surface, a TCP connection: the input
/// is written to a fresh connection of a running emulator as is, the
/// write side is shut, and everything the emulator sends back is read.
///
/// Invariants: the emulator answers within 10 s and closes the
/// connection; what it sends is a sequence of complete HTTP/1.1 responses
/// (parsed by `httparse`, framed by `Content-Length`, status 100..=599,
/// nothing left over); afterwards it still answers a plain request (it
/// did not stop or wedge). A panic in a connection thread aborts the
/// fuzzer (libFuzzer's panic hook); the stable replay test installs a
/// hook that records such panics.
pub fn emulator_http(data: &[u8]) {
    let addr = emulator_addr();
    let received = exchange(&addr, data);
    check_responses(&received);
    let probe = exchange(
        &addr,
        b"GET /assignment/accounts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        probe.starts_with(b"HTTP/1.1 "),
        "the emulator no longer answers: {:?}",
        String::from_utf8_lossy(&probe)
    );
}

fn emulator_addr() -> String {
    let url = emulator().base_url();
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn exchange(addr: &str, data: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    // The emulator may answer and close before it has read everything.
    let _ = stream.write_all(data);
    let _ = stream.shutdown(Shutdown::Write);
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            panic!("the emulator did not close the connection within 10 s")
        }
        // Reset after an early answer: keep what arrived.
        Err(_) => {}
    }
    received
}

fn check_responses(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(bytes) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a complete HTTP response ({other:?}): {:?}",
                String::from_utf8_lossy(bytes)
            ),
        };
        assert_eq!(response.version, Some(1), "not HTTP/1.1");
        let status = response.code.expect("a status");
        assert!((100..=599).contains(&status), "status {status}");
        let length = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| {
                std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .expect("a numeric Content-Length")
            });
        let length = match (status, length) {
            (100..=199 | 204 | 304, l) => l.unwrap_or(0),
            (_, Some(l)) => l,
            (_, None) => panic!("a {status} response without Content-Length"),
        };
        assert!(
            bytes.len() >= head + length,
            "the body is cut short ({} of {length} bytes)",
            bytes.len() - head
        );
        bytes = &bytes[head + length..];
    }
}
