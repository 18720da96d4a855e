//! What oidc-hyper puts on the wire and how it reads answers, against a
//! scripted raw TCP server on 127.0.0.1 (one std thread per connection).
#![cfg(feature = "tokio")]
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oidc_core::sso_oidc::register_client::RegisterClientInput;
use oidc_core::{TimeoutPhase, TransportErrorKind};
use oidc_hyper::{Client, Config};

const REGISTERED: &str = r#"{"clientId":"cid","clientSecret":"cs","clientIdIssuedAt":1,"clientSecretExpiresAt":4102444800}"#;

/// The request head a scripted server received.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves each accepted connection with `answer` (raw bytes written after
/// reading one request), then keeps the socket open for `hold`.
fn server(answer: &'static [u8], hold: Duration) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || serve(stream, answer, hold, tx));
        }
    });
    (url, rx)
}

fn serve(mut stream: TcpStream, answer: &[u8], hold: Duration, tx: mpsc::Sender<Seen>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = line.trim_end().split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let _ = tx.send(Seen {
        request_line: request_line.trim_end().to_owned(),
        headers,
    });
    let _ = stream.write_all(answer);
    let _ = stream.flush();
    std::thread::sleep(hold);
}

fn client(url: &str, config: impl FnOnce(Config) -> Config) -> Client {
    let config = config(
        Config::for_region("us-east-1")
            .with_endpoint_url(url)
            .with_read_timeout(Duration::from_secs(5))
            .with_max_attempts(1),
    );
    Client::tokio(config).unwrap()
}

fn ok_response() -> &'static [u8] {
    let text = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{REGISTERED}",
        REGISTERED.len()
    );
    Box::leak(text.into_bytes().into_boxed_slice())
}

#[tokio::test]
async fn sends_origin_form_with_host_and_user_agent() {
    let (url, seen) = server(ok_response(), Duration::from_millis(10));
    let client = client(&url, |c| c.with_user_agent_suffix("my-tool/1.2"));
    let out = client.call(&RegisterClientInput::new("x")).await.unwrap();
    assert_eq!(out.client_id, "cid");
    let seen = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(seen.request_line, "POST /client/register HTTP/1.1");
    let authority = url.strip_prefix("http://").unwrap();
    assert_eq!(seen.header("host"), Some(authority));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let ua = seen.header("user-agent").unwrap();
    assert!(ua.starts_with("oidc-core/"), "{ua}");
    assert!(ua.contains(" oidc-hyper/"), "{ua}");
    assert!(ua.ends_with(" my-tool/1.2"), "{ua}");
}

#[tokio::test]
async fn an_announced_oversized_body_fails_before_reading_it() {
    // Announces 10 MiB, sends 10 bytes and then nothing: reading it would
    // hang until the read timeout.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-amzn-RequestId: rid-7\r\nContent-Length: 10485760\r\n\r\n{\"clientId";
    let (url, _seen) = server(answer, Duration::from_secs(3));
    let client = client(&url, |c| c);
    let started = Instant::now();
    let e = client
        .call(&RegisterClientInput::new("x"))
        .await
        .unwrap_err();
    let t = e.transport_error().expect("a transport error");
    assert_eq!(
        t.kind,
        TransportErrorKind::BodyTooLarge {
            status: 200,
            limit: 1024 * 1024
        }
    );
    assert_eq!(t.operation, "RegisterClient");
    assert_eq!(e.status(), Some(200));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(e.to_string().contains("RegisterClient"), "{e}");
}

#[tokio::test]
async fn a_streamed_body_stops_at_the_cap() {
    // Chunked, 100 bytes then nothing more: with a 64-byte cap the client
    // stops at the cap instead of waiting for the end.
    let answer: &[u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n{}\r\n",
            "x".repeat(100)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let (url, _seen) = server(answer, Duration::from_secs(3));
    let client = client(&url, |c| c.with_max_body_bytes(64));
    let started = Instant::now();
    let e = client
        .call(&RegisterClientInput::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.transport_error().map(|t| &t.kind),
            Some(TransportErrorKind::BodyTooLarge { limit: 64, .. })
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_silent_server_hits_the_read_timeout() {
    let (url, _seen) = server(b"", Duration::from_secs(3));
    let client = client(&url, |c| c.with_read_timeout(Duration::from_millis(200)));
    let started = Instant::now();
    let e = client
        .call(&RegisterClientInput::new("x"))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn the_call_timeout_bounds_the_whole_attempt() {
    let (url, _seen) = server(b"", Duration::from_secs(3));
    let client = client(&url, |c| c.with_call_timeout(Duration::from_millis(200)));
    let started = Instant::now();
    let e = client
        .call(&RegisterClientInput::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.transport_error().map(|t| &t.kind),
            Some(TransportErrorKind::Timeout {
                phase: TimeoutPhase::Call,
                after,
            }) if *after == Duration::from_millis(200)
        ),
        "{e:?}"
    );
    assert!(e.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn error_statuses_reach_the_core_parser() {
    let body = r#"{"error":"invalid_client_metadata","error_description":"bad"}"#;
    let answer: &[u8] = Box::leak(
        format!(
            "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: InvalidClientMetadataException:http://internal.amazon.com/coral/x/\r\nx-amzn-RequestId: rid-9\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let (url, _seen) = server(answer, Duration::from_millis(10));
    let e = client(&url, |c| c)
        .call(&RegisterClientInput::new("x"))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&oidc_core::sso_oidc::ErrorCode::InvalidClientMetadata.into())
    );
    let service = e.service_error().unwrap();
    assert_eq!(service.message.as_deref(), Some("bad"));
    assert_eq!(
        service.oauth().and_then(|o| o.error.as_deref()),
        Some("invalid_client_metadata")
    );
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.core().and_then(|c| c.request_id()), Some("rid-9"));
}
