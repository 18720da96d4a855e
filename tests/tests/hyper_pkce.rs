//! oidc-hyper's authorization-code + PKCE driver on tokio against the
//! emulator. The test plays the browser: it fetches the authorize URL from
//! the emulator without following the redirect, then requests the
//! `Location` on the driver's loopback listener.

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oidc_core::pkce::RedirectError;
use oidc_emulator::{AuthorizeMode, Emulator, EmulatorConfig};
use oidc_hyper::rt::Listener as _;
use oidc_hyper::tokio::TokioListener;
use oidc_hyper::{CancelToken, Client, Config, Error};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

async fn bounded<F: Future>(limit_secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(limit_secs), fut)
        .await
        .expect("the test did not finish in time")
}

fn client(emu: &Emulator) -> Client {
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_read_timeout(Duration::from_secs(5));
    Client::tokio(config).expect("client")
}

/// A minimal blocking HTTP/1.1 GET: status and `Location`.
fn get(url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let split = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
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
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let location = response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
    (status, location)
}

/// What the simulated browser saw.
#[derive(Debug)]
struct Browser {
    authorize_status: u16,
    callback_status: u16,
    favicon_status: Option<u16>,
}

/// Opens the authorize URL in a "browser" thread: optionally asks the
/// loopback listener for `/favicon.ico` first, then follows the redirect
/// (after `tamper` rewrites it).
fn browse(url: &str, favicon: bool, tamper: fn(String) -> String, seen: mpsc::Sender<Browser>) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let (authorize_status, location) = get(&url);
        let location = tamper(location.expect("a Location header"));
        let favicon_status = favicon.then(|| {
            let base = location.split("/oauth/").next().unwrap().to_owned();
            get(&format!("{base}/favicon.ico")).0
        });
        let (callback_status, _) = get(&location);
        let _ = seen.send(Browser {
            authorize_status,
            callback_status,
            favicon_status,
        });
    });
}

async fn sign_in(
    client: &Client,
    favicon: bool,
    tamper: fn(String) -> String,
) -> (
    Result<oidc_core::sso_oidc::create_token::CreateTokenOutput, Error>,
    Option<Browser>,
) {
    let registration = client
        .register_for_authorization_code("hyper-pkce", START_URL, &[])
        .await
        .expect("register");
    let listener = TokioListener::bind_loopback().await.expect("bind");
    let port = listener.port();
    let (tx, rx) = mpsc::channel();
    let result = client
        .authorization_code_sign_in(
            &registration,
            listener,
            &[],
            |url| {
                assert!(
                    url.contains(&format!("127.0.0.1%3A{port}%2Foauth%2Fcallback")),
                    "{url}"
                );
                browse(url, favicon, tamper, tx.clone());
            },
            Duration::from_secs(5),
            &CancelToken::new(),
        )
        .await;
    (result, rx.recv_timeout(Duration::from_secs(5)).ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_redirect_yields_a_token() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let (result, browser) = bounded(10, sign_in(&client, true, |l| l)).await;
    let token = result.expect("token");
    assert!(
        token.refresh_token.is_some(),
        "PKCE registrations can refresh"
    );
    let browser = browser.expect("the browser finished");
    assert_eq!(browser.authorize_status, 302);
    assert_eq!(browser.favicon_status, Some(404), "other paths are ignored");
    assert_eq!(browser.callback_status, 200);
    let stats = emu.stats();
    assert_eq!(stats.authorize, 1);
    assert_eq!(stats.create_token_authorization_code, 1);
    let registered = emu.clients().pop().unwrap();
    assert_eq!(registered.client_name, "hyper-pkce");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_is_refused_without_a_token_request() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let forge = |location: String| {
        let (head, _) = location.split_once("state=").unwrap();
        let tail = location.split_once("state=").unwrap().1;
        let rest = tail.find('&').map(|i| &tail[i..]).unwrap_or("");
        format!("{head}state=00000000-0000-4000-8000-000000000000{rest}")
    };
    let (result, browser) = bounded(10, sign_in(&client, false, forge)).await;
    assert!(
        matches!(result, Err(Error::Pkce(RedirectError::StateMismatch))),
        "{result:?}"
    );
    assert_eq!(browser.expect("browser").callback_status, 400);
    assert_eq!(emu.stats().create_token_authorization_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_authorization_is_a_typed_error() {
    let emu =
        Emulator::start(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny))
            .unwrap();
    let client = client(&emu);
    let (result, _) = bounded(10, sign_in(&client, false, |l| l)).await;
    match result {
        Err(Error::Pkce(RedirectError::Authorization { error, .. })) => {
            assert_eq!(error, "access_denied")
        }
        other => panic!("expected an authorization error, got {other:?}"),
    }
    assert_eq!(emu.stats().create_token_authorization_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_times_out_and_cancel_returns_promptly() {
    let emu = Emulator::start_default().unwrap();
    let client = client(&emu);
    let registration = bounded(
        5,
        client.register_for_authorization_code("hyper-pkce", START_URL, &[]),
    )
    .await
    .unwrap();

    let started = Instant::now();
    let listener = TokioListener::bind_loopback().await.unwrap();
    let result = bounded(
        5,
        client.authorization_code_sign_in(
            &registration,
            listener,
            &[],
            |_| {},
            Duration::from_millis(300),
            &CancelToken::new(),
        ),
    )
    .await;
    assert!(
        matches!(result, Err(Error::TimedOut { waited }) if waited == Duration::from_millis(300)),
        "{result:?}"
    );
    assert!(result.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_secs(2));

    let cancel = CancelToken::new();
    let listener = TokioListener::bind_loopback().await.unwrap();
    let flow = {
        let (client, cancel) = (client.clone(), cancel.clone());
        tokio::spawn(async move {
            client
                .authorization_code_sign_in(
                    &registration,
                    listener,
                    &[],
                    |_| {},
                    Duration::from_secs(60),
                    &cancel,
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = bounded(2, flow).await.unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(cancelled_at.elapsed() < Duration::from_millis(500));
}
