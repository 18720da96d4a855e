//! What oidc-ureq puts on the wire: the request the core built, unchanged;
//! the body cap; pooled connections. Against one-shot servers on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use oidc_ureq::oidc_core::http::{self, header};
use oidc_ureq::oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_ureq::oidc_core::step::Step;
use oidc_ureq::oidc_core::{Error as CoreError, TransportErrorKind};
use oidc_ureq::oidc_host::adapter::ClientState;
use oidc_ureq::{Client, Config, Error};

/// What the server received.
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn call(config: &Config) -> Result<RegisterClientOutput, Error> {
    Client::new(config.clone().with_max_attempts(1))
        .unwrap()
        .call(&RegisterClientInput::new("my-tool"))
}

fn transport_kind(e: Error) -> (TransportErrorKind, Option<String>) {
    match e {
        Error::Core(CoreError::Transport(t)) => (t.kind.clone(), t.target.clone()),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// A server on 127.0.0.1 that answers requests (in order, across
/// connections, keep-alive within one) with `answers`, then closes.
/// Counts the connections it accepted.
fn server(answers: Vec<Vec<u8>>) -> (String, mpsc::Receiver<Received>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::clone(&connections);
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            accepted.fetch_add(1, Ordering::SeqCst);
            let (tx, answers) = (tx.clone(), Arc::clone(&answers));
            std::thread::spawn(move || {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = Vec::new();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let (n, v) = line.split_once(':').unwrap();
                        if n.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap();
                        }
                        headers.push((n.to_owned(), v.trim().to_owned()));
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let _ = tx.send(Received {
                        request_line: request_line.trim_end().to_owned(),
                        headers,
                        body,
                    });
                    let Some(answer) = answers.lock().unwrap().next() else {
                        return;
                    };
                    stream.write_all(&answer).unwrap();
                    stream.flush().unwrap();
                }
            });
        }
    });
    (url, rx, connections)
}

const REGISTERED: &str = r#"{"clientId":"cid","clientSecret":"cs","clientIdIssuedAt":1,"clientSecretExpiresAt":4102444800}"#;

fn registered() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{REGISTERED}",
        REGISTERED.len()
    )
    .into_bytes()
}

fn client_config(url: &str) -> Config {
    Config::for_region("us-east-1")
        .with_endpoint_url(url)
        .with_read_timeout(Duration::from_secs(5))
        .with_user_agent_suffix("my-tool/1.2")
}

/// The request the core builds for RegisterClient, as the client does.
fn core_request(config: &Config) -> http::Request<Vec<u8>> {
    let state = ClientState::new(config.clone(), "oidc-ureq", env!("CARGO_PKG_VERSION")).unwrap();
    let mut call = state
        .call(&RegisterClientInput::new("my-tool"), None)
        .unwrap();
    match call.poll(Instant::now(), SystemTime::now()) {
        Step::Send(request) => request,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_request_the_core_built_is_what_arrives() {
    let (url, seen, _) = server(vec![registered()]);
    let config = client_config(&url);
    let request = core_request(&config);
    let ua = request.headers()[header::USER_AGENT]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        ua,
        format!(
            "{} oidc-ureq/{} my-tool/1.2",
            oidc_core::USER_AGENT,
            env!("CARGO_PKG_VERSION")
        ),
        "the core's Call sets the User-Agent"
    );
    let output = call(&config).unwrap();
    assert_eq!(output.client_id, "cid");

    let got = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got.request_line, "POST /client/register HTTP/1.1");
    assert_eq!(
        got.body,
        request.body().as_slice(),
        "the body, byte for byte"
    );
    // Every header the core set arrives unchanged ...
    for (name, value) in request.headers() {
        let values: Vec<&str> = got
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_str()))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(values, [value.to_str().unwrap()], "{name}");
    }
    // ... and the transport adds only what HTTP/1.1 framing needs.
    let mut added: Vec<String> = got
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !request.headers().contains_key(n.as_str()))
        .collect();
    added.sort();
    assert_eq!(added, ["content-length", "host"], "{:?}", got.headers);
    let host = got
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .unwrap();
    assert_eq!(host.1, url.strip_prefix("http://").unwrap());
}

#[test]
fn an_announced_oversized_body_fails_before_reading_it() {
    // Announces 10 MiB, sends a few bytes and then nothing: reading on
    // would wait for the read timeout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
            line.clear();
        }
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{\"clientId",
        );
        std::thread::sleep(Duration::from_secs(3));
    });
    let config = client_config(&url).with_read_timeout(Duration::from_secs(2));
    let started = Instant::now();
    let (kind, target) = transport_kind(call(&config).unwrap_err());
    assert_eq!(
        kind,
        TransportErrorKind::BodyTooLarge {
            status: 200,
            limit: oidc_ureq::DEFAULT_MAX_BODY_BYTES
        }
    );
    assert_eq!(target.as_deref(), Some(url.as_str()));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // A body just over a small cap, announced: the same.
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{REGISTERED}",
        REGISTERED.len()
    );
    let (url, _seen, _) = server(vec![answer.into_bytes()]);
    let small = client_config(&url).with_max_body_bytes(REGISTERED.len() as u64 - 1);
    let (kind, _) = transport_kind(call(&small).unwrap_err());
    assert!(
        matches!(kind, TransportErrorKind::BodyTooLarge { .. }),
        "{kind:?}"
    );
    // Exactly at the cap is fine.
    let (url, _seen, _) = server(vec![registered()]);
    let exact = client_config(&url).with_max_body_bytes(REGISTERED.len() as u64);
    assert!(call(&exact).is_ok());
}

#[test]
fn two_calls_reuse_one_connection() {
    let (url, seen, connections) = server(vec![registered(), registered()]);
    let config = client_config(&url);
    let client = Client::new(config).unwrap();
    for _ in 0..2 {
        let output = client.call(&RegisterClientInput::new("my-tool")).unwrap();
        assert_eq!(output.client_id, "cid");
    }
    for _ in 0..2 {
        seen.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "one pooled connection"
    );

    // Without idle connections, each call opens its own.
    let (url, _seen, connections) = server(vec![registered(), registered()]);
    let config = client_config(&url).with_max_idle_per_host(0);
    let client = Client::new(config).unwrap();
    for _ in 0..2 {
        client.call(&RegisterClientInput::new("my-tool")).unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}
