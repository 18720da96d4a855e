//! Proxies are never used: with `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` set,
//! a call still goes straight to its endpoint, so a client secret or a
//! refresh token never crosses a proxy (oidc-hyper uses none either).
//! This file holds one test because it sets process-wide variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oidc_ureq::oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_ureq::{Client, Config};

#[test]
fn proxy_variables_are_ignored() {
    // A "proxy" that counts the connections it gets.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    proxy.set_nonblocking(true).unwrap();
    let proxied = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&proxied);
    std::thread::spawn(move || {
        for _ in 0..200 {
            if proxy.accept().is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
    ] {
        std::env::set_var(name, &proxy_url);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    // The service.
    let service = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", service.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = service.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let body = r#"{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":1}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8(head).unwrap()
    });

    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(base)
            .with_max_attempts(1),
    )
    .unwrap();
    let out = client.call(&RegisterClientInput::new("no-proxy")).unwrap();
    assert_eq!(out.client_id, "c");
    let head = server.join().unwrap();
    assert!(head.starts_with("POST /client/register "), "{head}");
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "nothing went to the proxy"
    );
}
