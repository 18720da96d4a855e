//! The blocking PKCE loopback listener under a flood of idle local
//! connections: no thread per connection, a bounded number held open, and
//! the browser's redirect still answered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use oidc_host::adapter::loopback::{self, MAX_CONNECTIONS};
use oidc_host::adapter::RunOptions;
use oidc_host::oidc_core::pkce::{State, CALLBACK_PATH};
use oidc_host::Event;

/// Threads of this process (Linux), or `None` elsewhere.
fn threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_flood_of_idle_connections_neither_spawns_threads_nor_blocks_the_redirect() {
    let state = State::from_random_bytes(&[7; 16]);
    let (listener, port) = loopback::bind().unwrap();
    let browser_state = state.clone();
    let flood = 4 * MAX_CONNECTIONS;
    let attacker = std::thread::spawn(move || {
        // Idle connections that never send a byte, opened before the
        // browser's, and kept open until it is answered.
        let idle: Vec<TcpStream> = (0..flood)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        let before = threads();
        std::thread::sleep(Duration::from_millis(200));
        let during = threads();
        let mut browser = TcpStream::connect(("127.0.0.1", port)).unwrap();
        browser
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            browser,
            "GET {CALLBACK_PATH}?code=the-code&state={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            browser_state.as_str()
        )
        .unwrap();
        let mut reply = String::new();
        let _ = browser.read_to_string(&mut reply);
        drop(idle);
        (before, during, reply)
    });
    let started = Instant::now();
    let event = loopback::serve(
        &listener,
        &state,
        started + Duration::from_secs(20),
        &RunOptions::new(),
    )
    .unwrap();
    let (before, during, reply) = attacker.join().unwrap();
    match event {
        Event::Redirect(Ok(code)) => assert_eq!(code.secret(), "the-code"),
        other => panic!("expected the redirect, got {other:?}"),
    }
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    // The listener serves every connection from the calling thread.
    if let (Some(before), Some(during)) = (before, during) {
        assert_eq!(before, during, "no thread per connection");
    }
}
