//! The authorization-code + PKCE session token on smol: the loopback
//! listener is smol's (`SmolBind`), the served connections run on smol's
//! executor. The test plays the browser from a std thread: it follows the
//! emulator's `/authorize` redirect (`AuthorizeMode::AutoApprove`, the
//! default) to the loopback listener with plain HTTP GETs.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use oidc_emulator::{AuthorizeMode, Emulator, EmulatorConfig};
use oidc_hyper::oidc_core::cache::CachedToken;
use oidc_hyper::oidc_host::CacheDir;
use oidc_hyper::{Client, Config, Error, RunOptions, Session, SignInMode, SignInPrompt};
use oidc_hyper_smol_test::{SmolBind, SmolConnector, SmolExecutor, SmolTimer};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

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

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("oidc-smol-pkce-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    fn session(&self) -> Session {
        Session::new(CacheDir::new(&self.0), "smol-pkce", START_URL)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Signs in with the browser played by a std thread; returns the result
/// and the status the loopback listener answered the browser with.
fn sign_in(emu: &Emulator, scratch: &Scratch) -> (Result<CachedToken, Error>, u16) {
    let config = Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_read_timeout(Duration::from_secs(5));
    let client = Client::new(config, SmolConnector, SmolTimer, SmolExecutor)
        .unwrap()
        .with_loopback(SmolBind);
    let session = scratch.session();
    let (browser_tx, browser_rx) = std::sync::mpsc::channel();
    let result = smol::block_on(smol::future::or(
        async {
            let token = client
                .session_token(
                    &session,
                    SignInMode::AuthorizationCode,
                    |prompt| {
                        let SignInPrompt::Browser { url } = prompt else {
                            panic!("{prompt:?}");
                        };
                        assert!(
                            url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
                            "{url}"
                        );
                        let (url, tx) = (url.clone(), browser_tx.clone());
                        std::thread::spawn(move || {
                            let (status, location) = get(&url);
                            assert_eq!(status, 302, "the emulator redirects");
                            let location = location.expect("a redirect");
                            assert!(location.starts_with("http://127.0.0.1:"), "{location}");
                            let (status, _) = get(&location);
                            let _ = tx.send(status);
                        });
                    },
                    &RunOptions::new(),
                )
                .await;
            Some(token)
        },
        async {
            smol::Timer::after(Duration::from_secs(10)).await;
            None
        },
    ))
    .expect("the test did not finish in time");
    let status = browser_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the browser got an answer");
    (result, status)
}

#[test]
fn authorization_code_session_token_on_smol() {
    let emu = Emulator::start_default().unwrap();
    let scratch = Scratch::new("approve");
    let (token, status) = sign_in(&emu, &scratch);
    let token = token.expect("token");
    assert_eq!(status, 200, "the listener shows the success page");
    assert!(token.refresh_token.is_some());
    let stats = emu.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(stats.create_token_authorization_code, 1);
    let on_disk = scratch
        .session()
        .dir
        .read_token("smol-pkce")
        .unwrap()
        .token
        .unwrap();
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
}

#[test]
fn a_denied_authorization_ends_the_sign_in_on_smol() {
    let emu =
        Emulator::start(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny))
            .unwrap();
    let scratch = Scratch::new("deny");
    let (result, status) = sign_in(&emu, &scratch);
    assert!(matches!(result, Err(Error::Redirect(_))), "{result:?}");
    assert_eq!(status, 400, "the listener shows the failure page");
    assert_eq!(emu.stats().create_token_authorization_code, 0);
    assert!(scratch
        .session()
        .dir
        .read_token("smol-pkce")
        .unwrap()
        .token
        .is_none());
}
