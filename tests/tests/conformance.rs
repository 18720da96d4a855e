//! One conformance suite for both adapters.
//!
//! Every scenario is defined once in [`scenarios`]: a name, the emulator's
//! set-up, a client-configuration tweak, the action (through the adapters'
//! identical methods, see `conformance/adapter.rs`), the expected outcome
//! and the expected number of requests per operation at the emulator. Each
//! scenario runs against `oidc-ureq` and `oidc-hyper` (each run with a
//! fresh emulator and cache directory); both must give the same outcome and
//! the same request counts, and both must match the table.
//!
//! The SSO OIDC rows are here; the STS, SSO portal, sign-in → portal →
//! STS chain and credentials-provider rows are in `conformance/aws.rs`
//! (SigV4 verified for real by the emulator).
//!
//! Everything is bounded: 127.0.0.1 only, short client timeouts, a fast
//! retry back-off, and a watchdog on every run.

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/adapter.rs"]
mod adapter;
#[path = "conformance/aws.rs"]
mod aws;
#[path = "conformance/outcome.rs"]
mod outcome;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use adapter::{Adapter, Kind};
use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::Service;
use oidc_core::pkce::{self, AuthorizeRequest};
use oidc_core::secret::{
    AccessToken, Assertion, AuthorizationCode, ClientSecret, CodeVerifier, DeviceCode, RefreshToken,
};
use oidc_core::sigv4::SigV4Signer;
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::create_token_with_iam::{CreateTokenWithIamInput, IamGrant};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
use oidc_core::sso_oidc::GrantType;
use oidc_core::Credentials;
use oidc_emulator::{
    AuthorizeMode, Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget, IssuedToken,
};
use oidc_host::{CacheDir, CancelToken, Config, Error, Session, SignInMode, SignInPrompt};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const SCOPES: [&str; 1] = ["sso:account:access"];
const SESSION: &str = "conformance";
const IAM_APP: &str = "arn:aws:sso::123456789012:application/ssoins-1/apl-1";
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Longest one run (one scenario on one adapter) may take.
const RUN_LIMIT: Duration = Duration::from_secs(40);
/// Runs in flight at once (each has its own emulator).
const WORKERS: usize = 8;

// ---------------------------------------------------------------- the table

type Action = Arc<dyn Fn(&Env) -> String + Send + Sync>;
type Tweak = Arc<dyn Fn(Config) -> Config + Send + Sync>;

/// One row of the table.
struct Scenario {
    name: String,
    emulator: EmulatorConfig,
    config: Tweak,
    action: Action,
    expect: String,
    counts: Vec<(&'static str, u64)>,
}

impl Scenario {
    fn new(name: impl Into<String>) -> Scenario {
        Scenario {
            name: name.into(),
            emulator: EmulatorConfig::default(),
            config: Arc::new(|c| c),
            action: Arc::new(|_| "no action".to_owned()),
            expect: String::new(),
            counts: Vec::new(),
        }
    }

    fn emulator(mut self, config: EmulatorConfig) -> Scenario {
        self.emulator = config;
        self
    }

    fn config(mut self, tweak: impl Fn(Config) -> Config + Send + Sync + 'static) -> Scenario {
        self.config = Arc::new(tweak);
        self
    }

    fn action(mut self, action: impl Fn(&Env) -> String + Send + Sync + 'static) -> Scenario {
        self.action = Arc::new(action);
        self
    }

    fn expect(mut self, outcome: impl Into<String>) -> Scenario {
        self.expect = outcome.into();
        self
    }

    fn counts(mut self, counts: &[(&'static str, u64)]) -> Scenario {
        self.counts = counts.to_vec();
        self
    }
}

/// What an action works with.
struct Env<'a> {
    kind: Kind,
    emu: &'a Emulator,
    adapter: &'a Adapter,
    config: &'a Config,
    dir: CacheDir,
}

impl Env<'_> {
    fn session(&self) -> Session {
        Session::new(self.dir.clone(), SESSION, START_URL).with_scopes(SCOPES)
    }

    /// The emulator's base URL replaced by `EMU`.
    fn scrub(&self, text: &str) -> String {
        text.replace(&self.emu.base_url(), "EMU")
    }
}

// ------------------------------------------------------------------ helpers

const REG: &str = "register_client";
const SDA: &str = "start_device_authorization";
const CTDC: &str = "create_token_device_code";
const CTR: &str = "create_token_refresh";
const CTAC: &str = "create_token_authorization_code";
const CTWI: &str = "create_token_with_iam";
const AUTHZ: &str = "authorize";

fn svc(op: &str, status: u16, code: &str, msg: Option<&str>) -> String {
    let msg = msg.map_or("none".to_owned(), |m| format!("{m:?}"));
    format!("{op} {status} {code} msg={msg} rid=yes")
}

fn registered(out: register_client::RegisterClientOutput) -> String {
    format!(
        "registered id={} secret={} expires={}",
        yes(!out.client_id.is_empty()),
        yes(!out.client_secret.secret().is_empty()),
        yes(out.client_secret_expires_at > 0)
    )
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn token_out(t: CreateTokenOutput) -> String {
    format!(
        "token access={} refresh={}",
        yes(!t.access_token.secret().is_empty()),
        yes(t.refresh_token.is_some())
    )
}

fn register_input() -> RegisterClientInput {
    RegisterClientInput::new("conformance").with_scopes(SCOPES)
}

fn start_input(issued: &IssuedToken) -> StartDeviceAuthorizationInput {
    StartDeviceAuthorizationInput::new(
        issued.client_id.clone(),
        ClientSecret::new(issued.client_secret.clone()),
        START_URL,
    )
}

fn refresh_input(issued: &IssuedToken, refresh_token: &str) -> CreateTokenInput {
    CreateTokenInput::new(
        issued.client_id.clone(),
        ClientSecret::new(issued.client_secret.clone()),
        Grant::RefreshToken {
            refresh_token: RefreshToken::new(refresh_token),
        },
    )
}

fn poll_input(issued: &IssuedToken, device_code: DeviceCode) -> CreateTokenInput {
    CreateTokenInput::new(
        issued.client_id.clone(),
        ClientSecret::new(issued.client_secret.clone()),
        Grant::DeviceCode { device_code },
    )
}

fn iam_input() -> CreateTokenWithIamInput {
    CreateTokenWithIamInput::new(
        IAM_APP,
        IamGrant::JwtBearer {
            assertion: Assertion::new("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        },
    )
}

fn signer() -> Arc<SigV4Signer> {
    Arc::new(SigV4Signer::new(
        Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        "us-east-1",
    ))
}

/// An emulator that knows the signer's static AWS credentials.
fn iam_emulator() -> EmulatorConfig {
    EmulatorConfig::default().with_static_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
}

fn fault(target: FaultTarget, kind: FaultKind, times: u32) -> FaultRule {
    FaultRule::new(target, kind).times(times)
}

/// Short timeouts and a fast back-off, so faults resolve in milliseconds.
fn base_config(emu: &Emulator) -> Config {
    Config::for_region("us-east-1")
        .with_endpoint_url(emu.base_url())
        .with_connect_timeout(Duration::from_secs(2))
        .with_read_timeout(Duration::from_secs(3))
        .with_call_timeout(Duration::from_secs(5))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

/// Polls `condition` every few milliseconds for at most `limit`.
fn wait_for(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    condition()
}

/// A refreshable token for an emulator-issued registration, expiring
/// `remaining` from now, written to the session's cache entry.
fn seed(env: &Env, issued: &IssuedToken, remaining: Duration, region: &str) -> CachedToken {
    let registration_expires =
        UNIX_EPOCH + Duration::from_secs(u64::try_from(issued.client_secret_expires_at).unwrap());
    let token = CachedToken::new(
        AccessToken::new(issued.access_token.clone()),
        SystemTime::now() + remaining,
    )
    .with_start_url(START_URL)
    .with_region(region)
    .with_client_id(issued.client_id.clone())
    .with_client_secret(ClientSecret::new(issued.client_secret.clone()))
    .with_registration_expires_at(registration_expires)
    .with_refresh_token(RefreshToken::new(issued.refresh_token.clone()));
    env.dir
        .write_token(SESSION, &token)
        .expect("seed the cache");
    backdate(&env.dir);
    token
}

/// Makes the session's cache entry look written an hour ago: a token
/// written moments ago counts as a refresh attempt (by any process), so it
/// is not refreshed again at once.
fn backdate(dir: &CacheDir) {
    let file = std::fs::File::options()
        .write(true)
        .open(dir.token_path(SESSION))
        .expect("the cache entry");
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .expect("set the modification time");
}

/// A device flow for an emulator-issued registration (one
/// StartDeviceAuthorization through the adapter), driven to its end;
/// `on_prompt` acts when the flow shows its prompt.
fn run_flow(
    env: &Env,
    cancel: &CancelToken,
    on_prompt: impl Fn(&Emulator, &Prompt, &CancelToken) + Send + Sync,
) -> (Result<CreateTokenOutput, Error>, DeviceFlow, usize) {
    let issued = env.emu.issue_token(&SCOPES);
    let started = env.adapter.call(&start_input(&issued)).expect("started");
    let endpoint = env.adapter.endpoint(Service::SsoOidc).expect("endpoint");
    let mut flow = DeviceFlow::new(
        issued.client_id.clone(),
        ClientSecret::new(issued.client_secret.clone()),
        started,
        endpoint,
        Instant::now(),
    );
    let prompts = AtomicUsize::new(0);
    let emu = env.emu;
    let result = env.adapter.run_device_flow(
        &mut flow,
        |p| {
            prompts.fetch_add(1, Ordering::SeqCst);
            on_prompt(emu, p, cancel);
        },
        cancel,
    );
    (result, flow, prompts.load(Ordering::SeqCst))
}

/// The prompt action of a sign-in: approve the device code at once.
fn approve(emu: &Emulator) -> impl FnMut(&SignInPrompt) + Send + '_ {
    move |p| {
        if let SignInPrompt::DeviceCode(p) = p {
            assert!(emu.approve(&p.user_code), "the user code is pending");
        }
    }
}

fn same_token(a: &CachedToken, b: &CachedToken) -> &'static str {
    yes(a.access_token.secret() == b.access_token.secret())
}

/// Client-side sockets (any state, TIME_WAIT included) to 127.0.0.1:`port`.
fn sockets_to(port: u16) -> usize {
    let remote = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| line.split_whitespace().nth(2) == Some(remote.as_str()))
                .count()
        })
        .unwrap_or(0)
}

/// A local TCP server that answers every connection with garbage (not
/// TLS) and counts the connections.
fn garbage_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    listener.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((mut s, _)) => {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 512];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(b"this is not TLS at all\r\n\r\n");
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    (port, count)
}

// ------------------------------------------------------------- the browser

/// A plain HTTP GET over 127.0.0.1 (no redirects followed): status and
/// `Location`.
fn get(url: &str) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    match agent.get(url).call() {
        Ok(r) => (
            r.status().as_u16(),
            r.headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ),
        Err(e) => (0, Some(format!("{e}"))),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

/// Plays the browser for a PKCE sign-in: stray requests first (each answer
/// recorded), then the authorize URL at the emulator, then its redirect to
/// the loopback listener. Reports `strays=[..] authorize=.. redirect=..`.
fn browse(url: String) -> String {
    let Some(redirect_uri) = query_param(&url, "redirect_uri") else {
        return format!("no redirect_uri in {url}");
    };
    let strays = [
        redirect_uri.replace(pkce::CALLBACK_PATH, "/favicon.ico"),
        format!("{redirect_uri}?code=x&state=wrong"),
        format!("{redirect_uri}?error=access_denied"),
    ];
    let stray_status: Vec<u16> = strays.iter().map(|u| get(u).0).collect();
    let (authorize, location) = get(&url);
    let redirect = match location {
        Some(loc) if loc.starts_with("http://127.0.0.1:") => get(&loc).0,
        other => return format!("authorize={authorize} no redirect: {other:?}"),
    };
    format!("strays={stray_status:?} authorize={authorize} redirect={redirect}")
}

/// [`browse`] after opening `silent` connections to the loopback listener
/// that never send a byte (they stay open until the browser is done): a
/// slow or idle client must not hold up the redirect.
fn browse_past_idle_connections(url: String, silent: usize) -> String {
    let Some(redirect_uri) = query_param(&url, "redirect_uri") else {
        return format!("no redirect_uri in {url}");
    };
    let authority = redirect_uri
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let idle: Vec<_> = (0..silent)
        .filter_map(|_| std::net::TcpStream::connect(&authority).ok())
        .collect();
    let started = Instant::now();
    let outcome = browse(url);
    let fast = started.elapsed() < Duration::from_millis(1500);
    drop(idle);
    format!("{outcome} idle={silent} fast={}", yes(fast))
}

/// A session sign-in with authorization code + PKCE, with the browser
/// played by [`browse`] on another thread.
fn pkce_sign_in(env: &Env) -> String {
    pkce_sign_in_with(env, 0)
}

fn pkce_sign_in_with(env: &Env, silent: usize) -> String {
    let (tx, rx) = mpsc::channel::<String>();
    let prompts = AtomicUsize::new(0);
    let result = env.adapter.session_token(
        &env.session(),
        SignInMode::AuthorizationCode,
        |p| {
            prompts.fetch_add(1, Ordering::SeqCst);
            if let SignInPrompt::Browser { url } = p {
                let tx = tx.clone();
                let url = url.clone();
                thread::spawn(move || {
                    let _ = tx.send(if silent == 0 {
                        browse(url)
                    } else {
                        browse_past_idle_connections(url, silent)
                    });
                });
            }
        },
        &CancelToken::new(),
    );
    let browser = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| "no browser".to_owned());
    let cached = env
        .dir
        .read_token(SESSION)
        .ok()
        .and_then(|r| r.token)
        .is_some();
    format!(
        "{} prompts={} {browser} cached={}",
        outcome::result(result, |_| "token".to_owned()),
        prompts.load(Ordering::SeqCst),
        yes(cached)
    )
}

// ----------------------------------------------------------- the scenarios

fn scenarios() -> Vec<Scenario> {
    let mut t = Vec::new();
    call_scenarios(&mut t);
    error_scenarios(&mut t);
    fault_scenarios(&mut t);
    device_flow_scenarios(&mut t);
    session_scenarios(&mut t);
    pkce_scenarios(&mut t);
    drift_scenarios(&mut t);
    aws::sts_scenarios(&mut t);
    aws::sts_error_scenarios(&mut t);
    aws::sts_fault_scenarios(&mut t);
    aws::portal_scenarios(&mut t);
    aws::chain_scenarios(&mut t);
    t
}

fn call_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("call/register_client")
            .action(|env| outcome::result(env.adapter.call(&register_input()), registered))
            .expect("ok registered id=yes secret=yes expires=yes")
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("call/start_device_authorization")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let r = env.adapter.call(&start_input(&issued));
                outcome::result(r, |s| {
                    env.scrub(&format!(
                        "started user_code={} uri={} complete={} expires_in={} interval={:?}",
                        yes(!s.user_code.is_empty()),
                        s.verification_uri,
                        yes(s.verification_uri_complete.is_some()),
                        s.expires_in,
                        s.interval
                    ))
                })
            })
            .expect("ok started user_code=yes uri=EMU/device complete=yes expires_in=600 interval=Some(1)")
            .counts(&[(SDA, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_device_code")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                assert!(env.emu.approve(&started.user_code));
                let r = env.adapter.call(&poll_input(&issued, started.device_code));
                outcome::result(r, token_out)
            })
            .expect("ok token access=yes refresh=yes")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_refresh")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let r = env
                    .adapter
                    .call(&refresh_input(&issued, &issued.refresh_token));
                outcome::result(r, |out| {
                    let rotated = out
                        .refresh_token
                        .as_ref()
                        .is_some_and(|rt| rt.secret() != issued.refresh_token);
                    format!("{} rotated={}", token_out(out), yes(rotated))
                })
            })
            .expect("ok token access=yes refresh=yes rotated=yes")
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_authorization_code")
            .action(|env| {
                let reg = env
                    .adapter
                    .call(&RegisterClientInput::for_authorization_code(
                        "conformance",
                        START_URL,
                        SCOPES,
                    ))
                    .expect("registered");
                let verifier = CodeVerifier::from_random_bytes(&[7; 32]);
                let state = pkce::State::from_random_bytes(&[9; 16]);
                let redirect_uri = pkce::loopback_redirect_uri(9);
                let url = AuthorizeRequest {
                    client_id: reg.client_id.clone(),
                    redirect_uri: redirect_uri.clone(),
                    state,
                    code_challenge: pkce::code_challenge(&verifier),
                    scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
                }
                .to_url(&env.emu.base_url());
                let (status, location) = get(&url);
                let Some(code) = location.as_deref().and_then(|l| query_param(l, "code")) else {
                    return format!("authorize answered {status} {location:?}");
                };
                let input = CreateTokenInput::new(
                    reg.client_id,
                    reg.client_secret,
                    Grant::AuthorizationCode {
                        code: AuthorizationCode::new(code),
                        redirect_uri,
                        code_verifier: Some(verifier),
                    },
                );
                format!(
                    "authorize={status} {}",
                    outcome::result(env.adapter.call(&input), token_out)
                )
            })
            .expect("authorize=302 ok token access=yes refresh=yes")
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_with_iam_signed")
            .emulator(iam_emulator())
            .action(|env| {
                let r = env.adapter.call_signed(&iam_input(), signer());
                outcome::result(r, |o| {
                    format!(
                        "iam token access={} id_token={}",
                        yes(!o.access_token.secret().is_empty()),
                        yes(o.id_token.is_some())
                    )
                })
            })
            .expect("ok iam token access=yes id_token=yes")
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_with_iam_signs_every_attempt")
            .emulator(iam_emulator())
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenWithIam,
                    FaultKind::status(500, Some("InternalServerException")),
                    1,
                ));
                let r = env.adapter.call_signed(&iam_input(), signer());
                outcome::result(r, |_| "iam token".to_owned())
            })
            .expect("ok iam token")
            .counts(&[(CTWI, 2)]),
    );
    t.push(
        Scenario::new("call/endpoints")
            .action(|env| {
                let urls: Vec<String> = [Service::SsoOidc, Service::SsoPortal, Service::Sts]
                    .into_iter()
                    .map(|s| {
                        env.adapter
                            .endpoint(s)
                            .map_or("none".to_owned(), |e| env.scrub(e.url()))
                    })
                    .collect();
                format!(
                    "endpoints={urls:?} quota={}",
                    env.adapter.retry_quota_available()
                )
            })
            .expect(r#"endpoints=["EMU", "EMU", "EMU"] quota=500"#),
    );
    t.push(
        Scenario::new("call/keep_alive_reuses_one_connection")
            .action(|env| {
                // Sockets to a port an earlier emulator used may linger
                // in TIME_WAIT: count the new ones.
                let before = sockets_to(env.emu.addr().port());
                for _ in 0..5 {
                    env.adapter.call(&register_input()).expect("registered");
                }
                format!(
                    "connections={}",
                    sockets_to(env.emu.addr().port()).saturating_sub(before)
                )
            })
            .expect("connections=1")
            .counts(&[(REG, 5)]),
    );
    t.push(
        Scenario::new("call/cancel_during_backoff")
            // Full jitter over a minute: the retry wait is (almost surely)
            // long enough to be cancelled in.
            .config(|c| c.with_backoff(Duration::from_secs(60), Duration::from_secs(60)))
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::RegisterClient,
                    FaultKind::status(500, Some("InternalServerException")),
                    3,
                ));
                let cancel = CancelToken::new();
                let canceller = cancel.clone();
                let emu = env.emu;
                thread::scope(|s| {
                    s.spawn(move || {
                        wait_for(Duration::from_secs(5), || emu.stats().register_client >= 1);
                        canceller.cancel();
                    });
                    let started = Instant::now();
                    let r = env.adapter.call_cancellable(&register_input(), &cancel);
                    format!(
                        "{} prompt={}",
                        outcome::result(r, registered),
                        yes(started.elapsed() < Duration::from_millis(1500))
                    )
                })
            })
            .expect("cancelled waited=None prompt=yes")
            .counts(&[(REG, 1)]),
    );
}

fn error_scenarios(t: &mut Vec<Scenario>) {
    fn register(env: &Env, input: RegisterClientInput) -> String {
        outcome::result(env.adapter.call(&input), registered)
    }
    t.push(
        Scenario::new("error/register_client/invalid_client_metadata")
            .action(|env| {
                let mut input = register_input();
                input.client_type = "confidential".to_owned();
                register(env, input)
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidClientMetadataException",
                    Some("Invalid client type: confidential; only public is supported")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/invalid_scope")
            .emulator(EmulatorConfig::default().with_invalid_scope("bad:scope"))
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_scopes(["bad:scope"]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidScopeException",
                    Some("Invalid scope: bad:scope")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/unsupported_grant_type")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_grant_types([GrantType::JwtBearer]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "UnsupportedGrantTypeException",
                    Some("Unsupported grant type: urn:ietf:params:oauth:grant-type:jwt-bearer")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/invalid_redirect_uri_refused_before_sending")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x")
                        .with_grant_types([GrantType::AuthorizationCode])
                        .with_redirect_uris(["ftp://example.com/cb"]),
                )
            })
            .expect(r#"core InvalidInput(Invalid { operation: "RegisterClient", member: "redirectUris", reason: "`ftp://example.com/cb` is not an absolute http(s) URI" })"#),
    );
    t.push(
        Scenario::new("error/register_client/invalid_request")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_grant_types([GrantType::AuthorizationCode]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidRequestException",
                    Some("redirectUris is required for the authorization_code grant")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/start_device_authorization/invalid_client")
            .action(|env| {
                let r = env.adapter.call(&StartDeviceAuthorizationInput::new(
                    "no-such-client",
                    ClientSecret::new("nope"),
                    START_URL,
                ));
                outcome::result(r, |_| "started".to_owned())
            })
            .expect(format!(
                "service {}",
                svc(
                    "StartDeviceAuthorization",
                    401,
                    "InvalidClientException",
                    Some("Invalid client")
                )
            ))
            .counts(&[(SDA, 1)]),
    );
    t.push(
        Scenario::new("error/start_device_authorization/unauthorized_client")
            .action(|env| {
                let reg = env
                    .adapter
                    .call(&RegisterClientInput::for_authorization_code(
                        "x", START_URL, SCOPES,
                    ))
                    .expect("registered");
                let r = env.adapter.call(&StartDeviceAuthorizationInput::new(
                    reg.client_id,
                    reg.client_secret,
                    START_URL,
                ));
                outcome::result(r, |_| "started".to_owned())
            })
            .expect(format!(
                "service {}",
                svc(
                    "StartDeviceAuthorization",
                    400,
                    "UnauthorizedClientException",
                    Some("Client is not registered for the device_code grant")
                )
            ))
            .counts(&[(REG, 1), (SDA, 1)]),
    );
    let create_token = |name: &str,
                        action: fn(&Env) -> String,
                        code: &str,
                        status: u16,
                        msg: Option<&str>,
                        counts: &[(&'static str, u64)]| {
        Scenario::new(format!("error/create_token/{name}"))
            .action(action)
            .expect(format!("service {}", svc("CreateToken", status, code, msg)))
            .counts(counts)
    };
    t.push(create_token(
        "invalid_grant",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            outcome::result(
                env.adapter.call(&refresh_input(&issued, "bogus")),
                token_out,
            )
        },
        "InvalidGrantException",
        400,
        Some("Invalid refresh token provided"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "revoked_refresh_token",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            assert!(env.emu.revoke_refresh_token(&issued.refresh_token));
            let r = env
                .adapter
                .call(&refresh_input(&issued, &issued.refresh_token));
            outcome::result(r, token_out)
        },
        "InvalidGrantException",
        400,
        Some("Refresh token has been revoked"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "invalid_client",
        |env| {
            let mut issued = env.emu.issue_token(&SCOPES);
            issued.client_secret = "wrong".to_owned();
            let r = env
                .adapter
                .call(&refresh_input(&issued, &issued.refresh_token));
            outcome::result(r, token_out)
        },
        "InvalidClientException",
        401,
        Some("Invalid client"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "authorization_pending",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "AuthorizationPendingException",
        400,
        None,
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "slow_down",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            let first = env
                .adapter
                .call(&poll_input(&issued, started.device_code.clone()));
            assert!(first.is_err());
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "SlowDownException",
        400,
        None,
        &[(SDA, 1), (CTDC, 2)],
    ));
    t.push(create_token(
        "access_denied",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            assert!(env.emu.deny(&started.user_code));
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "AccessDeniedException",
        400,
        Some("The user denied the authorization request"),
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "expired_token",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            env.emu.advance(Duration::from_secs(601));
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "ExpiredTokenException",
        400,
        Some("Device code has expired"),
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "unauthorized_client",
        |env| {
            let reg = env
                .adapter
                .call(&RegisterClientInput::for_authorization_code(
                    "x", START_URL, SCOPES,
                ))
                .expect("registered");
            let r = env.adapter.call(&CreateTokenInput::new(
                reg.client_id,
                reg.client_secret,
                Grant::DeviceCode {
                    device_code: DeviceCode::new("no-such-code"),
                },
            ));
            outcome::result(r, token_out)
        },
        "UnauthorizedClientException",
        400,
        Some(
            "Client is not authorized for grant type urn:ietf:params:oauth:grant-type:device_code",
        ),
        &[(REG, 1), (CTDC, 1)],
    ));
    t.push(
        Scenario::new("error/create_token_with_iam/invalid_grant")
            .emulator(iam_emulator().with_bad_assertion("eyJhbGciOiJSUzI1NiJ9.e30.sig"))
            .action(|env| {
                outcome::result(env.adapter.call_signed(&iam_input(), signer()), |_| {
                    "iam token".to_owned()
                })
            })
            .expect(format!(
                "service {}",
                svc(
                    "CreateTokenWithIAM",
                    400,
                    "InvalidGrantException",
                    Some("Invalid assertion")
                )
            ))
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/invalid_request_region")
            .emulator(
                iam_emulator()
                    .with_wrong_region("https://oidc.eu-west-1.amazonaws.com", "eu-west-1"),
            )
            .action(|env| match env.adapter.call_signed(&iam_input(), signer()) {
                Ok(_) => "ok iam token".to_owned(),
                Err(e) => {
                    let details = e
                        .service_error()
                        .and_then(|s| s.oauth())
                        .map(|o| format!("endpoint={:?} region={:?}", o.endpoint, o.region));
                    format!("{} {details:?}", outcome::error(&e))
                }
            })
            .expect(format!(
                "service {} {:?}",
                svc(
                    "CreateTokenWithIAM",
                    400,
                    "InvalidRequestRegionException",
                    Some("The request must be made in region eu-west-1")
                ),
                Some(r#"endpoint=Some("https://oidc.eu-west-1.amazonaws.com") region=Some("eu-west-1")"#)
            ))
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/unsigned")
            .action(|env| {
                outcome::result(env.adapter.call(&iam_input()), |_| "iam token".to_owned())
            })
            .expect(r#"core Signing { operation: "CreateTokenWithIAM", reason: "the operation must be signed with AWS credentials, and none were given" }"#),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/unknown_access_key")
            .action(|env| {
                outcome::result(env.adapter.call_signed(&iam_input(), signer()), |_| {
                    "iam token".to_owned()
                })
            })
            .expect(format!(
                "service {}",
                svc(
                    "CreateTokenWithIAM",
                    403,
                    "UnrecognizedClientException",
                    Some("The security token included in the request is invalid.")
                )
            ))
            .counts(&[(CTWI, 1)]),
    );
}

fn fault_scenarios(t: &mut Vec<Scenario>) {
    // Every error shape the model names, as the emulator renders it, on
    // RegisterClient; then throttling and a code the model does not name.
    let mut codes: Vec<(String, u16)> = oidc_core::sso_oidc::ErrorCode::modelled()
        .map(|c| {
            let status = match c.as_str() {
                "InternalServerException" => 500,
                "InvalidClientException" => 401,
                _ => 400,
            };
            (c.as_str().to_owned(), status)
        })
        .collect();
    codes.push(("ThrottlingException".to_owned(), 400));
    codes.push(("SomethingNewException".to_owned(), 400));
    for (code, status) in codes {
        let retried = matches!(
            code.as_str(),
            "InternalServerException" | "ThrottlingException"
        );
        let attempts = if retried { 3 } else { 1 };
        let msg = "Injected fault";
        let fault_code = code.clone();
        t.push(
            Scenario::new(format!("fault/status/{code}"))
                .action(move |env| {
                    env.emu.push_fault(fault(
                        FaultTarget::RegisterClient,
                        FaultKind::status(status, Some(&fault_code)),
                        3,
                    ));
                    outcome::result(env.adapter.call(&register_input()), registered)
                })
                .expect(format!(
                    "service {}",
                    svc("RegisterClient", status, &code, Some(msg))
                ))
                .counts(&[(REG, attempts)]),
        );
    }

    let on_register = |name: &str, kind: FaultKind, times: u32, expect: &str, attempts: u64| {
        Scenario::new(format!("fault/{name}"))
            .action(move |env| {
                env.emu
                    .push_fault(fault(FaultTarget::RegisterClient, kind.clone(), times));
                let r = env.adapter.call(&register_input());
                format!(
                    "{} quota={}",
                    outcome::result(r, registered),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(REG, attempts)])
    };
    let ok = "ok registered id=yes secret=yes expires=yes";
    t.push(on_register(
        "500_twice_then_success",
        FaultKind::status(500, Some("InternalServerException")),
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "503_empty_body_exhausts_attempts",
        FaultKind::status(503, None),
        3,
        "service RegisterClient 503 503 msg=none rid=yes quota=490",
        3,
    ));
    t.push(on_register(
        "throttling_twice_then_success",
        FaultKind::status(400, Some("ThrottlingException")),
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "drop_twice_then_success",
        FaultKind::Drop,
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "drop_exhausts_attempts",
        FaultKind::Drop,
        3,
        "transport RegisterClient Exchange quota=490",
        3,
    ));
    t.push(on_register(
        "truncated_exhausts_attempts",
        FaultKind::Truncated,
        3,
        // A body cut before its Content-Length is a transport failure
        // in both adapters (retried).
        "transport RegisterClient Exchange quota=490",
        3,
    ));
    t.push(on_register(
        "truncated_once_then_success",
        FaultKind::Truncated,
        1,
        &format!("{ok} quota=500"),
        2,
    ));
    t.push(on_register("malformed_not_retried", FaultKind::Malformed, 3, "parse RegisterClient 200 NotJson { line: 1, column: 46, looks_like_html: false } rid=yes quota=500", 1));
    t.push(on_register(
        "empty_not_retried",
        FaultKind::Empty,
        3,
        "parse RegisterClient 200 EmptyBody rid=yes quota=500",
        1,
    ));
    t.push(on_register("wrong_shape_not_retried", FaultKind::WrongShape, 3, r#"parse RegisterClient 200 WrongShape { detail: "invalid type or value, expected a string" } rid=yes quota=500"#, 1));
    t.push(on_register("html_502_exhausts_attempts", FaultKind::Html, 3, "parse RegisterClient 502 NotJson { line: 1, column: 1, looks_like_html: true } rid=yes quota=490", 3));
    t.push(on_register(
        "oversized_body_refused",
        FaultKind::Oversized { bytes: 2_000_000 },
        3,
        "transport RegisterClient BodyTooLarge { status: 200, limit: 1048576 } quota=500",
        1,
    ));
    t.push(
        on_register(
            "oversized_past_a_small_cap",
            FaultKind::Oversized { bytes: 5000 },
            3,
            "transport RegisterClient BodyTooLarge { status: 200, limit: 4096 } quota=500",
            1,
        )
        .config(|c| c.with_max_body_bytes(4096)),
    );
    t.push(on_register(
        "short_delay_within_timeouts",
        FaultKind::Delay { ms: 100 },
        1,
        &format!("{ok} quota=500"),
        1,
    ));
    t.push(
        on_register(
            "delay_past_read_timeout_once_then_success",
            FaultKind::Delay { ms: 900 },
            1,
            &format!("{ok} quota=500"),
            2,
        )
        .config(|c| c.with_read_timeout(Duration::from_millis(300))),
    );
    t.push(
        on_register(
            "delay_past_read_timeout_exhausts_attempts",
            FaultKind::Delay { ms: 900 },
            3,
            "transport RegisterClient Timeout { phase: Read, after: 300ms } quota=480",
            3,
        )
        .config(|c| c.with_read_timeout(Duration::from_millis(300))),
    );
    t.push(
        on_register(
            "delay_past_call_timeout_exhausts_attempts",
            FaultKind::Delay { ms: 900 },
            3,
            "transport RegisterClient Timeout { phase: Call, after: 300ms } quota=480",
            3,
        )
        .config(|c| {
            c.with_read_timeout(Duration::from_secs(5))
                .with_call_timeout(Duration::from_millis(300))
        }),
    );
    t.push(
        Scenario::new("fault/connection_refused")
            .action(|env| {
                let port = TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                let config = env
                    .config
                    .clone()
                    .with_endpoint_url(format!("http://127.0.0.1:{port}"));
                let client = Adapter::new(env.kind, config).expect("client");
                let r = client.call(&register_input());
                format!(
                    "{} quota={}",
                    outcome::result(r, registered),
                    client.retry_quota_available()
                )
            })
            .expect("transport RegisterClient Connect quota=490"),
    );
}

fn device_flow_scenarios(t: &mut Vec<Scenario>) {
    fn flow_outcome(
        r: Result<CreateTokenOutput, Error>,
        flow: &DeviceFlow,
        prompts: usize,
    ) -> String {
        format!(
            "{} prompts={prompts} interval={:?}",
            outcome::result(r, token_out),
            flow.interval()
        )
    }
    t.push(
        Scenario::new("device_flow/approved_before_the_first_poll")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                assert!(env.emu.approve(&started.user_code));
                let mut flow = DeviceFlow::new(
                    issued.client_id.clone(),
                    ClientSecret::new(issued.client_secret.clone()),
                    started,
                    env.adapter.endpoint(Service::SsoOidc).expect("endpoint"),
                    Instant::now(),
                );
                let prompts = AtomicUsize::new(0);
                let r = env.adapter.run_device_flow(
                    &mut flow,
                    |_| {
                        prompts.fetch_add(1, Ordering::SeqCst);
                    },
                    &CancelToken::new(),
                );
                flow_outcome(r, &flow, prompts.load(Ordering::SeqCst))
            })
            .expect("ok token access=yes refresh=yes prompts=0 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("device_flow/pending_twice_then_approved")
            .action(|env| {
                let cancel = CancelToken::new();
                let (r, flow, prompts) = thread::scope(|s| {
                    let (tx, rx) = mpsc::channel::<String>();
                    let emu = env.emu;
                    s.spawn(move || {
                        if let Ok(code) = rx.recv_timeout(Duration::from_secs(10)) {
                            wait_for(Duration::from_secs(10), || {
                                emu.stats().create_token_device_code >= 2
                            });
                            thread::sleep(Duration::from_millis(300));
                            emu.approve(&code);
                        }
                    });
                    let tx = Mutex::new(tx);
                    run_flow(env, &cancel, move |_, p, _| {
                        let _ = tx.lock().unwrap().send(p.user_code.clone());
                    })
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 3)]),
    );
    t.push(
        Scenario::new("device_flow/slow_down_grows_the_interval")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(400, Some("SlowDownException")),
                    1,
                ));
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                format!(
                    "{} waited>=6s={}",
                    flow_outcome(r, &flow, prompts),
                    yes(started.elapsed() >= Duration::from_secs(6))
                )
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=6s waited>=6s=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/denied")
            .action(|env| {
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.deny(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow denied ({}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    400,
                    "AccessDeniedException",
                    Some("The user denied the authorization request")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/expired_by_the_service")
            .action(|env| {
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, _, _| {
                    emu.advance(Duration::from_secs(700));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow expired ({}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    400,
                    "ExpiredTokenException",
                    Some("Device code has expired")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/ends_at_its_deadline")
            .emulator(EmulatorConfig::default().with_device_code_expires_in(2))
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |_, _, _| {});
                let elapsed = started.elapsed();
                format!(
                    "{} by-deadline={}",
                    flow_outcome(r, &flow, prompts),
                    yes(elapsed >= Duration::from_millis(1900)
                        && elapsed < Duration::from_millis(2600))
                )
            })
            .expect("device-flow expired (local deadline) prompts=1 interval=1s by-deadline=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/abandons_a_poll_in_flight_at_the_deadline")
            .emulator(EmulatorConfig::default().with_device_code_expires_in(2))
            .config(|c| {
                c.with_read_timeout(Duration::from_secs(10))
                    .with_call_timeout(Duration::from_secs(10))
            })
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, _, _| {
                    emu.push_fault(fault(
                        FaultTarget::CreateTokenDeviceCode,
                        FaultKind::Delay { ms: 4000 },
                        1,
                    ));
                });
                let elapsed = started.elapsed();
                format!(
                    "{} by-deadline={}",
                    flow_outcome(r, &flow, prompts),
                    yes(elapsed < Duration::from_millis(2600))
                )
            })
            .expect("device-flow expired (local deadline) prompts=1 interval=1s by-deadline=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/a_5xx_poll_is_counted_once_not_retried")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(500, Some("InternalServerException")),
                    1,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/a_dropped_poll_is_counted_once")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::Drop,
                    1,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/four_5xx_polls_in_a_row_give_up")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(500, Some("InternalServerException")),
                    4,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |_, _, _| {});
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow failed (service {}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    500,
                    "InternalServerException",
                    Some("Injected fault")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 4)]),
    );
    t.push(
        Scenario::new("device_flow/cancel_during_the_wait")
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) =
                    run_flow(env, &CancelToken::new(), |_, _, cancel| cancel.cancel());
                format!(
                    "{} prompt={}",
                    flow_outcome(r, &flow, prompts),
                    yes(started.elapsed() < Duration::from_millis(800))
                )
            })
            .expect("cancelled waited=None prompts=1 interval=1s prompt=yes")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("device_flow/invalid_client")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                let mut flow = DeviceFlow::new(
                    issued.client_id.clone(),
                    ClientSecret::new("wrong"),
                    started,
                    env.adapter.endpoint(Service::SsoOidc).expect("endpoint"),
                    Instant::now(),
                );
                let r = env
                    .adapter
                    .run_device_flow(&mut flow, |_| {}, &CancelToken::new());
                flow_outcome(r, &flow, 0)
            })
            .expect(format!(
                "device-flow invalid-client ({}) prompts=0 interval=1s",
                svc(
                    "CreateToken",
                    401,
                    "InvalidClientException",
                    Some("Invalid client")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
}

fn session_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("session/cached_token_is_used")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let seeded = seed(env, &issued, Duration::from_secs(3600), "us-east-1");
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::DeviceCode,
                    |_| panic!("no prompt for a cached token"),
                    &CancelToken::new(),
                );
                outcome::result(r, |t| format!("cached={}", same_token(&t, &seeded)))
            })
            .expect("ok cached=yes"),
    );
    t.push(
        Scenario::new("session/empty_cache_signs_in_then_the_cache_serves")
            .action(|env| {
                let first = env.adapter.session_token(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                let first = match first {
                    Ok(t) => t,
                    Err(e) => return outcome::error(&e),
                };
                let again = env.adapter.cached_token(&env.session());
                let on_disk = env.dir.read_token(SESSION).ok().and_then(|r| r.token);
                outcome::result(again, |t| {
                    format!(
                        "same={} on-disk={} region={:?} refresh={}",
                        same_token(&t, &first),
                        yes(on_disk.is_some_and(|d| same_token(&d, &first) == "yes")),
                        t.region,
                        yes(t.refresh_token.is_some())
                    )
                })
            })
            .expect(r#"ok same=yes on-disk=yes region=Some("us-east-1") refresh=yes"#)
            .counts(&[(REG, 1), (SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("session/refresh_inside_the_window")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let seeded = seed(env, &issued, Duration::from_secs(120), "us-east-1");
                let r = env.adapter.cached_token(&env.session());
                let on_disk = env.dir.read_token(SESSION).ok().and_then(|r| r.token);
                outcome::result(r, |t| {
                    format!(
                        "refreshed={} written={}",
                        yes(same_token(&t, &seeded) == "no"),
                        yes(on_disk.is_some_and(|d| same_token(&d, &t) == "yes"))
                    )
                })
            })
            .expect("ok refreshed=yes written=yes")
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("session/refresh_is_throttled_after_a_write")
            .emulator(EmulatorConfig::default().with_access_token_expires_in(120))
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                seed(env, &issued, Duration::from_secs(60), "us-east-1");
                let first = env.adapter.cached_token(&env.session());
                let second = env.adapter.cached_token(&env.session());
                match (first, second) {
                    (Ok(a), Ok(b)) => format!("ok same={}", same_token(&a, &b)),
                    (a, b) => format!("{:?} / {:?}", a.map(|_| ()), b.map(|_| ())),
                }
            })
            .expect("ok same=yes")
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("session/refresh_goes_to_the_cache_entry_region")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                seed(env, &issued, Duration::from_secs(120), "eu-west-1");
                let r = env.adapter.cached_token(&env.session());
                outcome::result(r, |t| format!("region={:?}", t.region))
            })
            .expect(r#"ok region=Some("eu-west-1")"#)
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("session/revoked_refresh_token_signs_in_again")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let seeded = seed(env, &issued, Duration::from_secs(120), "us-east-1");
                assert!(env.emu.revoke_refresh_token(&issued.refresh_token));
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                outcome::result(r, |t| {
                    format!("new={}", yes(same_token(&t, &seeded) == "no"))
                })
            })
            .expect("ok new=yes")
            .counts(&[(CTR, 1), (REG, 1), (SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("session/revoked_refresh_token_cached_only")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                seed(env, &issued, Duration::from_secs(120), "us-east-1");
                assert!(env.emu.revoke_refresh_token(&issued.refresh_token));
                outcome::result(env.adapter.cached_token(&env.session()), |_| "token".into())
            })
            .expect(format!(
                "token session-ended (service {}) still-valid",
                svc(
                    "CreateToken",
                    400,
                    "InvalidGrantException",
                    Some("Refresh token has been revoked")
                )
            ))
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("session/failing_refresh_keeps_the_valid_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let seeded = seed(env, &issued, Duration::from_secs(120), "us-east-1");
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenRefresh,
                    FaultKind::status(500, Some("InternalServerException")),
                    3,
                ));
                let r = env.adapter.cached_token(&env.session());
                outcome::result(r, |t| format!("old={}", same_token(&t, &seeded)))
            })
            .expect("ok old=yes")
            .counts(&[(CTR, 3)]),
    );
    t.push(
        Scenario::new("session/rejected_cached_registration_reregisters_once")
            .action(|env| {
                let expires = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 30 * 24 * 3600;
                let response = http::Response::builder()
                    .status(200)
                    .body(format!(
                        r#"{{"clientId":"gone","clientSecret":"gone","clientSecretExpiresAt":{expires}}}"#
                    ))
                    .unwrap();
                let bogus = register_client::parse(&response).expect("parse");
                env.session()
                    .store_registration("us-east-1", &bogus)
                    .expect("cache the registration");
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                let cached = env
                    .session()
                    .cached_registration("us-east-1", SystemTime::now())
                    .ok()
                    .flatten()
                    .map(|r| r.client_id != "gone");
                outcome::result(r, |_| format!("token replaced-registration={cached:?}"))
            })
            .expect("ok token replaced-registration=Some(true)")
            .counts(&[(REG, 1), (SDA, 2), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("session/cached_registration_is_reused")
            .action(|env| {
                let first = env.adapter.sign_in(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                if let Err(e) = first {
                    return outcome::error(&e);
                }
                let r = env.adapter.sign_in(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                outcome::result(r, |_| "token".into())
            })
            .expect("ok token")
            .counts(&[(REG, 1), (SDA, 2), (CTDC, 4)]),
    );
    t.push(
        Scenario::new("session/cached_only_without_a_token_requires_login")
            .action(|env| {
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::CachedOnly,
                    |_| panic!("no prompt"),
                    &CancelToken::new(),
                );
                outcome::result(r, |_| "token".into())
            })
            .expect("login-required Absent"),
    );
    t.push(
        Scenario::new("session/cancel_during_sign_in")
            .action(|env| {
                let cancel = CancelToken::new();
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::DeviceCode,
                    |_| cancel.cancel(),
                    &cancel,
                );
                outcome::result(r, |_| "token".into())
            })
            .expect("cancelled waited=None")
            .counts(&[(REG, 1), (SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("session/forced_sign_in_with_a_valid_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let seeded = seed(env, &issued, Duration::from_secs(3600), "us-east-1");
                let r = env.adapter.sign_in(
                    &env.session(),
                    SignInMode::DeviceCode,
                    approve(env.emu),
                    &CancelToken::new(),
                );
                let on_disk = env.dir.read_token(SESSION).ok().and_then(|r| r.token);
                outcome::result(r, |t| {
                    format!(
                        "new={} written={}",
                        yes(same_token(&t, &seeded) == "no"),
                        yes(on_disk.is_some_and(|d| same_token(&d, &t) == "yes"))
                    )
                })
            })
            .expect("ok new=yes written=yes")
            .counts(&[(REG, 1), (SDA, 1), (CTDC, 2)]),
    );
}

fn pkce_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("pkce/strays_then_the_redirect_yields_a_token")
            .action(pkce_sign_in)
            .expect(
                "ok token prompts=1 strays=[404, 400, 400] authorize=302 redirect=200 cached=yes",
            )
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("pkce/idle_connections_do_not_hold_up_the_redirect")
            .action(|env| pkce_sign_in_with(env, 3))
            .expect(
                "ok token prompts=1 strays=[404, 400, 400] authorize=302 redirect=200 idle=3 fast=yes cached=yes",
            )
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("pkce/denied_redirect_with_the_right_state")
            .emulator(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny))
            .action(pkce_sign_in)
            .expect(r#"redirect Authorization { error: "access_denied", error_description: Some("The user denied the authorization request") } prompts=1 strays=[404, 400, 400] authorize=302 redirect=400 cached=no"#)
            .counts(&[(REG, 1), (AUTHZ, 1)]),
    );
    t.push(
        Scenario::new("pkce/cancel_while_waiting_for_the_browser")
            .action(|env| {
                let cancel = CancelToken::new();
                let canceller = cancel.clone();
                let started = Instant::now();
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::AuthorizationCode,
                    move |_| {
                        let c = canceller.clone();
                        thread::spawn(move || {
                            thread::sleep(Duration::from_millis(200));
                            c.cancel();
                        });
                    },
                    &cancel,
                );
                format!(
                    "{} prompt={}",
                    outcome::result(r, |_| "token".into()),
                    yes(started.elapsed() < Duration::from_secs(2))
                )
            })
            .expect("cancelled waited=None prompt=yes")
            .counts(&[(REG, 1)]),
    );
}

fn drift_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("drift/user_agent_suffix_invalid")
            .config(|c| c.with_user_agent_suffix("tool/1\nX-Injected: yes"))
            .action(|_| "client built".to_owned())
            .expect("config UserAgent"),
    );
    t.push(
        Scenario::new("drift/tls_failure_is_not_retried")
            .action(|env| {
                let (port, connections) = garbage_server();
                let config = env
                    .config
                    .clone()
                    .with_endpoint_url(format!("https://127.0.0.1:{port}"));
                let client = Adapter::new(env.kind, config).expect("client");
                let r = client.call(&register_input());
                format!(
                    "{} connections={}",
                    outcome::result(r, registered),
                    connections.load(Ordering::SeqCst)
                )
            })
            .expect("transport RegisterClient Tls connections=1"),
    );
    t.push(
        Scenario::new("drift/https_rule")
            .action(|env| {
                let remote =
                    Config::for_region("us-east-1").with_endpoint_url("http://oidc.example.com");
                let refused = Adapter::new(env.kind, remote.clone()).err();
                let allowed = Adapter::new(env.kind, remote.with_insecure_http(true)).is_ok();
                let loopback = Adapter::new(
                    env.kind,
                    Config::for_region("us-east-1").with_endpoint_url("http://127.0.0.1:9"),
                )
                .is_ok();
                format!(
                    "remote-http={} allowed-when-asked={} loopback={}",
                    refused.map_or("accepted".to_owned(), |e| outcome::error(&e)),
                    yes(allowed),
                    yes(loopback)
                )
            })
            .expect("remote-http=config Insecure allowed-when-asked=yes loopback=yes"),
    );
}

// --------------------------------------------------------------- the runner

struct Run {
    outcome: String,
    counts: Vec<(&'static str, u64)>,
    elapsed: Duration,
}

fn run_one(scenario: &Scenario, kind: Kind) -> Run {
    let started = Instant::now();
    let emu = Emulator::start(scenario.emulator.clone()).expect("the emulator starts");
    let cache = tempfile::tempdir().expect("cache dir");
    let config = (scenario.config)(base_config(&emu));
    let outcome = match Adapter::new(kind, config.clone()) {
        Err(e) => outcome::error(&e),
        Ok(adapter) => {
            let env = Env {
                kind,
                emu: &emu,
                adapter: &adapter,
                config: &config,
                dir: CacheDir::new(cache.path()),
            };
            (scenario.action)(&env)
        }
    };
    let counts = outcome::counts(&emu.stats());
    Run {
        outcome,
        counts,
        elapsed: started.elapsed(),
    }
}

/// Runs `scenario` on `kind` on its own thread, bounded by [`RUN_LIMIT`].
fn run_bounded(scenario: Arc<Vec<Scenario>>, index: usize, kind: Kind) -> Run {
    let (tx, rx) = mpsc::channel();
    let name = format!("{}:{}", scenario[index].name, kind.name());
    thread::Builder::new()
        .name(name)
        .spawn(move || {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_one(&scenario[index], kind)
            }))
            .unwrap_or_else(|panic| Run {
                outcome: format!(
                    "PANIC {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                ),
                counts: Vec::new(),
                elapsed: Duration::ZERO,
            });
            let _ = tx.send(run);
        })
        .expect("spawn a run");
    rx.recv_timeout(RUN_LIMIT).unwrap_or(Run {
        outcome: format!("TIMED OUT after {RUN_LIMIT:?}"),
        counts: Vec::new(),
        elapsed: RUN_LIMIT,
    })
}

#[test]
fn both_adapters_conform() {
    let table = Arc::new(scenarios());
    let mut names: Vec<&str> = table.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), table.len(), "scenario names are unique");

    // Longest scenarios first, so the pool drains evenly.
    let jobs: Vec<(usize, Kind)> = (0..table.len())
        .flat_map(|i| Kind::ALL.map(|k| (i, k)))
        .collect();
    let results: Vec<Mutex<Option<Run>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let j = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(i, kind)) = jobs.get(j) else { break };
                let run = run_bounded(Arc::clone(&table), i, kind);
                *results[j].lock().unwrap() = Some(run);
            });
        }
    });

    let mut failures = Vec::new();
    for (i, scenario) in table.iter().enumerate() {
        let runs: Vec<Run> = Kind::ALL
            .iter()
            .enumerate()
            .map(|(k, _)| {
                results[i * Kind::ALL.len() + k]
                    .lock()
                    .unwrap()
                    .take()
                    .expect("every job ran")
            })
            .collect();
        let mut expected_counts = scenario.counts.clone();
        expected_counts.sort_unstable();
        let mut problems = Vec::new();
        if runs[0].outcome != runs[1].outcome {
            problems.push(format!(
                "the adapters differ:\n      ureq : {}\n      hyper: {}",
                runs[0].outcome, runs[1].outcome
            ));
        }
        if runs[0].counts != runs[1].counts {
            problems.push(format!(
                "request counts differ: ureq {:?} / hyper {:?}",
                runs[0].counts, runs[1].counts
            ));
        }
        for (kind, run) in Kind::ALL.iter().zip(&runs) {
            let mut counts = run.counts.clone();
            counts.sort_unstable();
            if run.outcome != scenario.expect {
                problems.push(format!(
                    "{}: outcome\n      got     : {}\n      expected: {}",
                    kind.name(),
                    run.outcome,
                    scenario.expect
                ));
            }
            if counts != expected_counts {
                problems.push(format!(
                    "{}: requests {counts:?}, expected {expected_counts:?}",
                    kind.name()
                ));
            }
        }
        println!(
            "{:<62} ureq {:>6.2?}  hyper {:>6.2?}  {}",
            scenario.name,
            runs[0].elapsed,
            runs[1].elapsed,
            if problems.is_empty() { "ok" } else { "FAILED" }
        );
        if !problems.is_empty() {
            failures.push(format!(
                "{}:\n    {}",
                scenario.name,
                problems.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    println!(
        "conformance: {} scenarios × {} adapters passed",
        table.len(),
        Kind::ALL.len()
    );
}

/// The region part of "refresh in the cache entry's region", at unit
/// level: the refresh request a cache entry naming another region builds
/// goes to that region's endpoint (`Config::endpoint_for`), not the
/// client's.
#[test]
fn refresh_request_uses_the_cache_entry_region_endpoint() {
    use oidc_core::step::Step;
    use oidc_host::adapter::ClientState;
    use oidc_host::{Event, Local};
    let scratch = tempfile::tempdir().unwrap();
    let dir = CacheDir::new(scratch.path());
    let now = SystemTime::now();
    let token = CachedToken::new(AccessToken::new("old"), now + Duration::from_secs(120))
        .with_start_url(START_URL)
        .with_region("eu-west-1")
        .with_client_id("client")
        .with_client_secret(ClientSecret::new("secret"))
        .with_registration_expires_at(now + Duration::from_secs(86_400))
        .with_refresh_token(RefreshToken::new("rt"));
    dir.write_token(SESSION, &token).unwrap();
    backdate(&dir);
    let config = Config::for_region("us-east-1");
    let home = config.endpoint().unwrap();
    assert_eq!(home.url(), "https://oidc.us-east-1.amazonaws.com");
    let state = ClientState::new(config.clone(), "conformance", "1.0").unwrap();
    let session = Session::new(dir, SESSION, START_URL);
    let mut flow = state
        .session_flow(&session, SignInMode::CachedOnly)
        .unwrap();
    let request = loop {
        match flow.poll(Instant::now(), now) {
            Step::Local(Local::Blocking(job)) => {
                state.deliver(&mut flow, Instant::now(), Event::<Vec<u8>>::Job(job.run()))
            }
            Step::Send(request) => break request,
            other => panic!("a token inside the window is refreshed: {other:?}"),
        }
    };
    let expected = config
        .endpoint_for(Service::SsoOidc, "eu-west-1")
        .unwrap()
        .url()
        .to_owned();
    assert_eq!(expected, "https://oidc.eu-west-1.amazonaws.com");
    assert_eq!(request.uri().to_string(), format!("{expected}/token"));
}
