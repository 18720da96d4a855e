//! One conformance suite for every transport: `oidc-ureq`, `oidc-hyper`
//! and the example transport over `std::net` (`oidc_tests::std_transport`).
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
//! Each run also compares the wire, as the emulator's request log saw it
//! (`conformance/wire.rs`): the request line, `Content-Length`,
//! `Content-Type`, the user agent and the SigV4 signed headers of every
//! request, identical between the adapters; every request with the
//! client's own user agent and no `Content-Length` without a body.
//!
//! The scenarios live in `conformance/<category>.rs`. To run some of them:
//! `CONFORMANCE=<part of a name> cargo test -p oidc-tests --test conformance`.
//!
//! Everything is bounded: 127.0.0.1 only, short client timeouts, a fast
//! retry back-off, and a watchdog on every run.

// A test target: panicking on an unexpected failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/adapter.rs"]
mod adapter;
#[path = "conformance/aws.rs"]
mod aws;
#[path = "conformance/call.rs"]
mod call;
#[path = "conformance/device_flow.rs"]
mod device_flow;
#[path = "conformance/drift.rs"]
mod drift;
#[path = "conformance/errors.rs"]
mod errors;
#[path = "conformance/faults.rs"]
mod faults;
#[path = "conformance/outcome.rs"]
mod outcome;
#[path = "conformance/pkce_sign_in.rs"]
mod pkce_sign_in;
#[path = "conformance/session.rs"]
mod session;
#[path = "conformance/wire.rs"]
mod wire;

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
const IAM_APP: &str = "arn:aws:portal::123456789012:application/ssoins-1/apl-1";
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
    call::scenarios(&mut t);
    errors::scenarios(&mut t);
    faults::scenarios(&mut t);
    device_flow::scenarios(&mut t);
    session::scenarios(&mut t);
    pkce_sign_in::scenarios(&mut t);
    drift::scenarios(&mut t);
    aws::sts_scenarios(&mut t);
    aws::sts_error_scenarios(&mut t);
    aws::sts_fault_scenarios(&mut t);
    aws::portal_scenarios(&mut t);
    aws::chain_scenarios(&mut t);
    aws::source_scenarios(&mut t);
    t
}

// --------------------------------------------------------------- the runner

struct Run {
    outcome: String,
    counts: Vec<(&'static str, u64)>,
    wire: wire::Wire,
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
        wire: wire::digest(&emu.requests(), kind),
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
                wire: wire::Wire::default(),
                elapsed: Duration::ZERO,
            });
            let _ = tx.send(run);
        })
        .expect("spawn a run");
    rx.recv_timeout(RUN_LIMIT).unwrap_or(Run {
        outcome: format!("TIMED OUT after {RUN_LIMIT:?}"),
        counts: Vec::new(),
        wire: wire::Wire::default(),
        elapsed: RUN_LIMIT,
    })
}

#[test]
fn every_transport_conforms() {
    let all = scenarios();
    let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len(), "scenario names are unique");
    // CONFORMANCE=<part of a name> runs only the scenarios whose name
    // contains it (e.g. `CONFORMANCE=call/cancel_during_backoff`).
    let only = std::env::var("CONFORMANCE").ok().filter(|f| !f.is_empty());
    let table: Vec<Scenario> = all
        .into_iter()
        .filter(|s| only.as_deref().is_none_or(|f| s.name.contains(f)))
        .collect();
    assert!(
        !table.is_empty(),
        "no scenario matches CONFORMANCE={only:?}"
    );
    let table = Arc::new(table);

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
        // Every transport against the first: outcome, wire, request counts.
        for (kind, run) in Kind::ALL.iter().zip(&runs).skip(1) {
            let (first, name) = (&runs[0], Kind::ALL[0].name());
            if run.outcome != first.outcome {
                problems.push(format!(
                    "the transports differ:\n      {name}: {}\n      {}: {}",
                    first.outcome,
                    kind.name(),
                    run.outcome
                ));
            }
            if run.wire.lines != first.wire.lines {
                problems.push(format!(
                    "the wire differs:\n      {name}: {}\n      {}: {}",
                    first.wire.lines.join("\n             "),
                    kind.name(),
                    run.wire.lines.join("\n             ")
                ));
            }
            if run.counts != first.counts {
                problems.push(format!(
                    "request counts differ: {name} {:?} / {} {:?}",
                    first.counts,
                    kind.name(),
                    run.counts
                ));
            }
        }
        for (kind, run) in Kind::ALL.iter().zip(&runs) {
            for problem in &run.wire.problems {
                problems.push(format!("{}: wire: {problem}", kind.name()));
            }
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
        let times: Vec<String> = Kind::ALL
            .iter()
            .zip(&runs)
            .map(|(kind, run)| format!("{} {:>6.2?}", kind.name(), run.elapsed))
            .collect();
        println!(
            "{:<62} {}  {}",
            scenario.name,
            times.join("  "),
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
        "conformance: {} scenarios × {} transports passed",
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
