//! The authorization-code + PKCE flow on smol: the loopback listener is
//! smol's, the served connections run on smol's executor. The test plays
//! the browser from a std thread.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use oidc_emulator::Emulator;
use oidc_hyper::{CancelToken, Client, Config};
use oidc_hyper_smol_test::{SmolConnector, SmolExecutor, SmolListener, SmolTimer};

/// A minimal blocking HTTP/1.1 GET returning the status and `Location`.
fn get(url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok());
    let location = response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
    (status.expect("a status line"), location)
}

#[test]
fn authorization_code_flow_on_smol() {
    let emu = Emulator::start_default().unwrap();
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_read_timeout(Duration::from_secs(5));
    let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor).unwrap();
    let (browser_tx, browser_rx) = std::sync::mpsc::channel();
    let token = smol::block_on(smol::future::or(
        async {
            let registration = client
                .register_for_authorization_code(
                    "smol-pkce",
                    "https://d-1234567890.awsapps.com/start",
                    &[],
                )
                .await
                .expect("register");
            let listener = SmolListener::bind_loopback().await.expect("bind");
            let token = client
                .authorization_code_sign_in(
                    &registration,
                    listener,
                    &[],
                    |url| {
                        let (url, tx) = (url.to_owned(), browser_tx.clone());
                        std::thread::spawn(move || {
                            let (_, location) = get(&url);
                            let (status, _) = get(&location.expect("a redirect"));
                            let _ = tx.send(status);
                        });
                    },
                    Duration::from_secs(5),
                    &CancelToken::new(),
                )
                .await;
            Some(token)
        },
        async {
            smol::Timer::after(Duration::from_secs(10)).await;
            None
        },
    ))
    .expect("the test did not finish in time")
    .expect("token");
    assert!(token.refresh_token.is_some());
    assert_eq!(
        browser_rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        200
    );
    assert_eq!(emu.stats().create_token_authorization_code, 1);
}
