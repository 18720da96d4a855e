//! Fuzz target `emulator_http`: the emulator's HTTP request parser,
//! through a TCP connection to a running emulator.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

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
