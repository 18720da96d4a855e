//! A real browser on the emulator's verification page: headless Chromium,
//! driven over W3C WebDriver (`oidc_tests::webdriver`), opens the
//! `verificationUriComplete` that oidc-ureq's device-flow sign-in hands to
//! its prompt callback and clicks Allow (or Deny) while the flow polls in
//! another thread: `Client::sign_in` ends with a token (or Denied), and
//! `Client::session_token` signs in the same way and writes the AWS CLI
//! cache entry that the next call is served from. (The adapters' shared
//! behaviour is in `conformance.rs`; this is the real-browser check.)
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/test installs
//! them). Outside CI a missing browser skips the tests with a message; with
//! `CI=true` it fails them.

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlowError, Prompt};
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::CacheDir;
use oidc_tests::webdriver::{BrowserPaths, Driver, WebDriverError};
use oidc_ureq::{CancelToken, Client, Config, RunOptions, Session, SignInMode, SignInPrompt};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
/// How long the flow thread may take to show its prompt.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the flow may take to end after the button was clicked (the
/// emulator's interval is 1 s, so one or two polls).
const FLOW_END_TIMEOUT: Duration = Duration::from_secs(30);

/// The prompt callback handed to the flow under test.
type PromptFn = Box<dyn FnMut(&Prompt) + Send>;

/// What one browser run produced.
struct Run<T> {
    /// The device flow's outcome.
    flow: T,
    /// The client that ran the flow (connections still pooled).
    client: Client,
    /// The user code the prompt showed.
    user_code: String,
    /// The code pre-filled in the page's input.
    page_code: String,
    /// Text of the result page's `#result`.
    result_text: String,
    emulator: Emulator,
}

/// Starts the emulator and runs `flow` (a device flow through oidc-ureq)
/// in a thread; when its prompt callback fires, uses the browser to press
/// `button` (`#allow` / `#deny`) on the page the prompt names.
fn run_with_browser<T, F>(paths: &BrowserPaths, button: &str, flow: F) -> Run<T>
where
    T: Send + 'static,
    F: FnOnce(&Client, PromptFn, &CancelToken) -> T + Send + 'static,
{
    let emulator =
        Emulator::start(EmulatorConfig::default().with_interval(1)).expect("start the emulator");
    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(emulator.base_url())
            .with_call_timeout(Duration::from_secs(10)),
    )
    .expect("client for the emulator");

    let cancel = CancelToken::new();
    let (prompt_tx, prompt_rx) = mpsc::channel::<(String, String)>();
    let (done_tx, done_rx) = mpsc::channel();
    let flow_cancel = cancel.clone();
    let flow_thread = thread::spawn(move || {
        let prompt: PromptFn = Box::new(move |prompt: &Prompt| {
            // The receiver may be gone if the test already failed.
            let _ = prompt_tx.send((prompt.uri_to_open().to_string(), prompt.user_code.clone()));
        });
        let outcome = flow(&client, prompt, &flow_cancel);
        let _ = done_tx.send((outcome, client));
    });

    // Cancel the flow whatever happens below, so the thread always ends.
    struct CancelOnDrop(CancelToken);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.cancel();
        }
    }
    let _guard = CancelOnDrop(cancel);

    let (url, user_code) = prompt_rx.recv_timeout(PROMPT_TIMEOUT).unwrap_or_else(|e| {
        panic!("the device flow showed no prompt within {PROMPT_TIMEOUT:?}: {e}")
    });
    assert!(
        url.starts_with(&format!("{}/device?user_code=", emulator.base_url())),
        "verificationUriComplete points at the emulator's page: {url}"
    );

    let (page_code, result_text) =
        press_button(paths, &url, button).unwrap_or_else(|e| panic!("browser step failed: {e}"));

    let (flow, client) = done_rx.recv_timeout(FLOW_END_TIMEOUT).unwrap_or_else(|e| {
        panic!("the device flow did not end within {FLOW_END_TIMEOUT:?} of the click: {e}")
    });
    flow_thread.join().expect("flow thread panicked");
    Run {
        flow,
        client,
        user_code,
        page_code,
        result_text,
        emulator,
    }
}

/// The device-code prompt of a session sign-in, handed to `prompt`.
fn device_prompt(mut prompt: PromptFn) -> impl FnMut(&SignInPrompt) + Send {
    move |p| {
        if let SignInPrompt::DeviceCode(p) = p {
            prompt(p);
        }
    }
}

/// `Client::sign_in` with the device flow (RegisterClient,
/// StartDeviceAuthorization, polls) on a scratch cache.
fn sign_in(
    client: &Client,
    prompt: PromptFn,
    cancel: &CancelToken,
) -> Result<CachedToken, oidc_ureq::Error> {
    let cache = tempfile::tempdir().expect("cache dir");
    let session = Session::new(CacheDir::new(cache.path()), "oidc-tests-browser", START_URL)
        .with_scopes(["sso:account:access"]);
    client.sign_in(
        &session,
        SignInMode::DeviceCode,
        device_prompt(prompt),
        &RunOptions::new().with_cancel(cancel.clone()),
    )
}

/// Opens `url` in headless Chromium, reads the pre-filled code, clicks
/// `button` and returns (code in the page, `#result` text).
fn press_button(
    paths: &BrowserPaths,
    url: &str,
    button: &str,
) -> Result<(String, String), WebDriverError> {
    let driver = Driver::start(paths)?;
    let session = driver.new_session()?;
    session.navigate(url)?;
    let input = session.find("#user_code")?;
    let page_code = session
        .property(&input, "value")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    let button = session.find(button)?;
    session.click(&button)?;
    let result = session.find("#result")?;
    let text = session.text(&result)?;
    Ok((page_code, text))
}

#[test]
fn browser_allow_completes_the_device_flow() {
    let Some(paths) = BrowserPaths::require_or_skip("browser_allow_completes_the_device_flow")
    else {
        return;
    };
    let run = run_with_browser(&paths, "#allow", sign_in);
    assert_eq!(
        run.page_code, run.user_code,
        "the page shows the flow's user code"
    );
    assert_eq!(run.result_text, "Request approved");
    let token = run.flow.expect("the device flow ends with a token");
    assert!(!token.access_token.secret().is_empty());
    assert!(
        token.refresh_token.is_some(),
        "a scoped registration gets a refresh token"
    );
    let stats = run.emulator.stats();
    assert_eq!(stats.register_client, 1);
    assert_eq!(stats.start_device_authorization, 1);
    assert!(
        stats.create_token_device_code >= 1,
        "the flow polled: {stats:?}"
    );
    assert_eq!(
        stats.verification_page, 2,
        "GET then POST of /device: {stats:?}"
    );
    assert!(run.emulator.pending_user_codes().is_empty());
}

#[test]
fn browser_deny_ends_the_device_flow_denied() {
    let Some(paths) = BrowserPaths::require_or_skip("browser_deny_ends_the_device_flow_denied")
    else {
        return;
    };
    let run = run_with_browser(&paths, "#deny", sign_in);
    assert_eq!(run.page_code, run.user_code);
    assert_eq!(run.result_text, "Request denied");
    match run.flow {
        Err(oidc_ureq::Error::DeviceFlow(DeviceFlowError::Denied(service))) => {
            assert_eq!(service.code.as_str(), "AccessDeniedException");
        }
        other => panic!(
            "expected the flow to end Denied, got {:?}",
            other.map(|t| t.expires_at)
        ),
    }
    let stats = run.emulator.stats();
    assert_eq!(
        stats.verification_page, 2,
        "GET then POST of /device: {stats:?}"
    );
    assert!(stats.create_token_device_code >= 1);
}

#[test]
fn browser_sign_in_fills_the_token_cache() {
    let Some(paths) = BrowserPaths::require_or_skip("browser_sign_in_fills_the_token_cache") else {
        return;
    };
    let cache = tempfile::tempdir().expect("cache dir");
    let dir = CacheDir::new(cache.path());
    let session =
        Session::new(dir.clone(), "browser-session", START_URL).with_scopes(["sso:account:access"]);
    let flow_session = session.clone();
    let run = run_with_browser(&paths, "#allow", move |client, prompt, cancel| {
        client.session_token(
            &flow_session,
            SignInMode::DeviceCode,
            device_prompt(prompt),
            &RunOptions::new().with_cancel(cancel.clone()),
        )
    });
    assert_eq!(run.page_code, run.user_code);
    assert_eq!(run.result_text, "Request approved");
    let token = run
        .flow
        .expect("the provider signs in through the device flow");

    // The AWS CLI cache entry holds what the flow returned.
    let on_disk = dir
        .read_token("browser-session")
        .expect("read the cache")
        .token
        .expect("a token in the cache");
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
    assert_eq!(on_disk.start_url.as_deref(), Some(START_URL));
    assert_eq!(on_disk.region.as_deref(), Some("us-east-1"));
    assert!(on_disk.refresh_token.is_some());
    assert!(on_disk.client_id.is_some() && on_disk.client_secret.is_some());

    // A second call is served from the cache: no request reaches the
    // emulator.
    let before = run.emulator.stats();
    let again = run
        .client
        .session_token(&session, SignInMode::CachedOnly, |_| {}, &RunOptions::new())
        .expect("cached token");
    assert_eq!(again.access_token.secret(), token.access_token.secret());
    assert_eq!(run.emulator.stats(), before);
}

/// Authorization code + PKCE through a real browser: the emulator's consent
/// page (Allow), its redirect to the loopback listener, the token cached.
#[test]
fn browser_approves_the_pkce_sign_in() {
    let Some(paths) = BrowserPaths::require_or_skip("browser_approves_the_pkce_sign_in") else {
        return;
    };
    let emulator = Emulator::start(
        EmulatorConfig::default().with_authorize_mode(oidc_emulator::AuthorizeMode::Interactive),
    )
    .expect("start the emulator");
    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(emulator.base_url())
            .with_call_timeout(Duration::from_secs(10)),
    )
    .expect("client for the emulator");
    let cache = tempfile::tempdir().expect("cache dir");
    let dir = CacheDir::new(cache.path());
    let session =
        Session::new(dir.clone(), "browser-pkce", START_URL).with_scopes(["sso:account:access"]);

    let (url_tx, url_rx) = mpsc::channel::<String>();
    let cancel = CancelToken::new();
    let flow_cancel = cancel.clone();
    let flow = thread::spawn(move || {
        client.session_token(
            &session,
            SignInMode::AuthorizationCode,
            move |p| {
                if let SignInPrompt::Browser { url } = p {
                    let _ = url_tx.send(url.clone());
                }
            },
            &RunOptions::new().with_cancel(flow_cancel.clone()),
        )
    });
    let url = url_rx
        .recv_timeout(PROMPT_TIMEOUT)
        .expect("the sign-in showed the authorize URL");
    assert!(
        url.starts_with(&format!("{}/authorize?", emulator.base_url())),
        "{url}"
    );

    let landed = (|| -> Result<(String, String), WebDriverError> {
        let driver = Driver::start(&paths)?;
        let browser = driver.new_session()?;
        browser.navigate(&url)?;
        let allow = browser.find("#allow")?;
        browser.click(&allow)?;
        // The consent form redirects to the loopback listener, whose page
        // says the sign-in is done.
        let heading = browser.find("h1")?;
        Ok((browser.current_url()?, browser.text(&heading)?))
    })();
    let (landed_url, heading) = match landed {
        Ok(v) => v,
        Err(e) => {
            cancel.cancel();
            panic!("browser step failed: {e}");
        }
    };
    assert!(
        landed_url.starts_with("http://127.0.0.1:") && landed_url.contains("/oauth/callback?"),
        "{landed_url}"
    );
    assert_eq!(heading, "Signed in");
    let token = flow
        .join()
        .expect("flow thread")
        .expect("the PKCE sign-in ends with a token");
    let on_disk = dir
        .read_token("browser-pkce")
        .expect("read the cache")
        .token
        .expect("a token in the cache");
    assert_eq!(on_disk.access_token.secret(), token.access_token.secret());
    let stats = emulator.stats();
    assert_eq!(stats.register_client, 1, "{stats:?}");
    assert_eq!(stats.create_token_authorization_code, 1, "{stats:?}");
}
