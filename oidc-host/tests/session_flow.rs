//! `SessionFlow` driven in virtual time, without sockets: every `Send` is
//! answered from a script of canned responses shaped like the emulator's
//! (JSON bodies, `x-amzn-ErrorType` headers), every `FileJob` runs inline
//! against a scratch cache directory, and every `WaitUntil` moves the
//! clocks forward.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use oidc_host::oidc_core::cache::{CachedRegistration, CachedToken, RegistrationUse};
use oidc_host::oidc_core::http::HeaderValue;
use oidc_host::oidc_core::pkce::{self, LoopbackOutcome, RedirectError};
use oidc_host::oidc_core::retry::RetryQuota;
use oidc_host::oidc_core::secret::{AuthorizationCode, CodeVerifier, RefreshToken};
use oidc_host::oidc_core::sso_oidc::{register_client, ErrorCode};
use oidc_host::oidc_core::step::Step;
use oidc_host::oidc_core::{TransportError, TransportErrorKind};
use oidc_host::{
    CacheDir, Config, Error, Event, Flow, Local, LoginReason, RefreshOutcome, RefreshRecord,
    Session, SessionFlow, SessionState, SignInMode, SignInPrompt, TokenError,
};
use support::{at, refreshable, set_mtime, Scratch, T0};

const SESSION: &str = "my-sso";
const START_URL: &str = "https://my-sso-portal.awsapps.com/start";
const US: &str = "https://oidc.us-east-1.amazonaws.com";
/// A fixed jitter: half of the full back-off.
const JITTER: u32 = u32::MAX / 2;

// ------------------------------------------------------------ the harness

struct Env {
    _scratch: Scratch,
    dir: CacheDir,
    session: Session,
    config: Config,
    ua: HeaderValue,
}

fn env(name: &str) -> Env {
    let scratch = Scratch::new(name);
    let dir = CacheDir::new(scratch.path());
    let session = Session::new(dir.clone(), SESSION, START_URL).with_scopes(["sso:account:access"]);
    let config = Config::for_region("us-east-1").with_user_agent_suffix("session-flow-test");
    let ua = config.user_agent_header("oidc-test", "9.9.9").unwrap();
    Env {
        _scratch: scratch,
        dir,
        session,
        config,
        ua,
    }
}

/// Entropy for the PKCE verifiers and states: 0, 1, 2, ...
fn entropy() -> [u8; 96] {
    std::array::from_fn(|i| i as u8)
}

impl Env {
    fn flow(&self, mode: SignInMode) -> SessionFlow {
        SessionFlow::new(&self.config, &self.ua, &self.session, mode, entropy()).unwrap()
    }

    /// Writes `token` as if written an hour before `written` (its mtime
    /// counts as a refresh attempt).
    fn with_token(self, token: &CachedToken, written: SystemTime) -> Self {
        self.dir.write_token(SESSION, token).unwrap();
        set_mtime(
            &self.dir.token_path(SESSION),
            written - Duration::from_secs(3600),
        );
        self
    }

    /// Caches a registration for `flow` in us-east-1, valid 90 days from T0.
    fn with_registration(self, flow: RegistrationUse, client_id: &str) -> Self {
        let output = register_client::parse(&ok(&format!(
            r#"{{"clientId":"{client_id}","clientSecret":"{client_id}-secret","clientIdIssuedAt":{T0},"clientSecretExpiresAt":{}}}"#,
            T0 + 90 * 86_400
        )))
        .unwrap();
        self.session
            .store_registration_for(flow, "us-east-1", &output)
            .unwrap();
        self
    }

    fn cached(&self) -> Option<CachedToken> {
        self.dir.read_token(SESSION).unwrap().token
    }

    fn cached_registration(&self) -> Option<CachedRegistration> {
        self.dir
            .read_registration(&self.session.registration_key("us-east-1"))
            .unwrap()
            .registration
    }

    fn lock_is_free(&self) -> bool {
        self.dir.try_lock(SESSION).unwrap().is_some()
    }
}

/// What the fake network answers.
enum Reply {
    Response(http::Response<Vec<u8>>),
    Fail(TransportErrorKind),
}

/// The expected requests, in order, each with its answer.
type Script = VecDeque<(&'static str, Reply)>;

fn script<const N: usize>(steps: [(&'static str, Reply); N]) -> Script {
    steps.into_iter().collect()
}

/// A request the flow sent.
struct Sent {
    uri: http::Uri,
    user_agent: Option<String>,
    body: serde_json::Value,
    /// Whether the session lock was held when it was sent.
    locked: bool,
}

/// Where [`Driver::run`] stopped.
#[derive(Debug)]
enum Stop {
    Listen,
    AwaitRedirect(Instant),
    Done(Result<CachedToken, Error>),
}

impl Stop {
    fn done(self) -> Result<CachedToken, Error> {
        match self {
            Stop::Done(result) => result,
            other => panic!("expected Done, got {other:?}"),
        }
    }
}

struct Driver<'a> {
    env: &'a Env,
    flow: SessionFlow,
    now: Instant,
    wall: SystemTime,
    quota: RetryQuota,
    sent: Vec<Sent>,
    prompts: Vec<SignInPrompt>,
    waits: Vec<Duration>,
    file_jobs: usize,
    pkce: Option<pkce::State>,
}

impl<'a> Driver<'a> {
    fn new(env: &'a Env, flow: SessionFlow, wall: SystemTime) -> Driver<'a> {
        let now = Instant::now();
        Driver {
            env,
            flow,
            now,
            wall,
            quota: RetryQuota::default(),
            sent: Vec::new(),
            prompts: Vec::new(),
            waits: Vec::new(),
            file_jobs: 0,
            pkce: None,
        }
    }

    fn with_quota(mut self, quota: RetryQuota) -> Self {
        self.quota = quota;
        self
    }

    /// Hands `event` to the flow.
    fn event(&mut self, event: Event<'_>) {
        self.flow.handle(self.now, event, &mut self.quota, JITTER);
    }

    /// The PKCE state of the last redirect wait.
    fn pkce_state(&self) -> Option<&pkce::State> {
        self.pkce.as_ref()
    }

    /// Carries out steps until the flow needs the listener, the redirect,
    /// or is done. Every request must be the next one of `script`.
    fn run(&mut self, script: &mut Script) -> Stop {
        for _ in 0..1000 {
            match self.flow.poll(self.now, self.wall) {
                Step::Send(request) => {
                    let path = request.uri().path().to_owned();
                    self.sent.push(Sent {
                        uri: request.uri().clone(),
                        user_agent: request
                            .headers()
                            .get(http::header::USER_AGENT)
                            .map(|v| v.to_str().unwrap().to_owned()),
                        body: serde_json::from_slice(request.body()).unwrap(),
                        locked: !self.env.lock_is_free(),
                    });
                    let (expected, reply) = script
                        .pop_front()
                        .unwrap_or_else(|| panic!("unexpected request to {path}"));
                    assert_eq!(path, expected, "request #{}", self.sent.len());
                    match reply {
                        Reply::Response(response) => self.event(Event::Response(&response)),
                        Reply::Fail(kind) => {
                            self.event(Event::Failed(TransportError::new("test", kind)))
                        }
                    }
                }
                Step::WaitUntil(until) => {
                    assert!(until >= self.now, "a wait into the past");
                    let wait = until - self.now;
                    self.waits.push(wait);
                    self.now = until;
                    self.wall += wait;
                }
                Step::Local(Local::Blocking(job)) => {
                    self.file_jobs += 1;
                    self.event(Event::Job(job.run()));
                }
                Step::Local(Local::Prompt(prompt)) => self.prompts.push(prompt),
                Step::Local(Local::Listen) => {
                    self.pkce = None;
                    return Stop::Listen;
                }
                Step::Local(Local::AwaitRedirect { deadline, state }) => {
                    self.pkce = Some(state);
                    return Stop::AwaitRedirect(deadline);
                }
                Step::Done(result) => {
                    self.pkce = None;
                    return Stop::Done(result);
                }
            }
        }
        panic!("the flow did not stop");
    }

    /// Runs to the end; the script must be used up.
    fn finish(&mut self, mut script: Script) -> Result<CachedToken, Error> {
        let result = self.run(&mut script).done();
        assert!(
            script.is_empty(),
            "unused replies: {:?}",
            script.iter().map(|(p, _)| *p).collect::<Vec<_>>()
        );
        result
    }

    fn paths(&self) -> Vec<&str> {
        self.sent.iter().map(|s| s.uri.path()).collect()
    }

    fn body(&self, i: usize, member: &str) -> &str {
        self.sent[i].body[member]
            .as_str()
            .unwrap_or_else(|| panic!("request #{i} has no {member}: {}", self.sent[i].body))
    }
}

// ------------------------------------------------------- canned responses

fn ok(body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", "req-ok")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// An SSO OIDC error as the emulator sends it.
fn service_error(status: u16, shape: &str, oauth: &str) -> Reply {
    Reply::Response(
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header(
                "x-amzn-ErrorType",
                format!(
                    "{shape}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"
                ),
            )
            .header("x-amzn-RequestId", "req-err")
            .body(
                format!(r#"{{"error":"{oauth}","error_description":"canned {shape}"}}"#)
                    .into_bytes(),
            )
            .unwrap(),
    )
}

fn invalid_grant() -> Reply {
    service_error(400, "InvalidGrantException", "invalid_grant")
}

fn invalid_client() -> Reply {
    service_error(401, "InvalidClientException", "invalid_client")
}

fn pending() -> Reply {
    service_error(
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    )
}

fn server_error(status: u16) -> Reply {
    service_error(status, "InternalServerException", "server_error")
}

fn issued(access: &str, refresh: &str) -> Reply {
    Reply::Response(ok(&format!(
        r#"{{"accessToken":"{access}","tokenType":"Bearer","expiresIn":28800,"refreshToken":"{refresh}"}}"#
    )))
}

fn registered(client_id: &str) -> Reply {
    Reply::Response(ok(&format!(
        r#"{{"clientId":"{client_id}","clientSecret":"{client_id}-secret","clientIdIssuedAt":{T0},"clientSecretExpiresAt":{}}}"#,
        T0 + 90 * 86_400
    )))
}

fn started() -> Reply {
    Reply::Response(ok(
        r#"{"deviceCode":"dc-1","userCode":"ABCD-EFGH","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH","expiresIn":600,"interval":1}"#,
    ))
}

// --------------------------------------------------------- cached tokens

#[test]
fn a_fresh_cached_token_is_done_without_any_request() {
    for mode in [
        SignInMode::CachedOnly,
        SignInMode::DeviceCode,
        SignInMode::AuthorizationCode,
    ] {
        let e = env("fresh").with_token(&refreshable(at(T0 + 3600)), at(T0));
        let mut d = Driver::new(&e, e.flow(mode), at(T0));
        let token = d.finish(script([])).unwrap();
        assert_eq!(token.access_token.secret(), "aoal-OLD");
        assert!(d.sent.is_empty() && d.prompts.is_empty(), "{mode:?}");
        assert_eq!(d.file_jobs, 1, "one job: lock and read");
        assert!(e.lock_is_free(), "{mode:?}: the lock is released");
        // Done once; polling again is misuse, not a second token.
        assert!(matches!(
            d.flow.poll(d.now, d.wall),
            Step::Done(Err(Error::Core(_)))
        ));
    }
}

#[test]
fn a_token_in_the_refresh_window_is_refreshed_once_and_cached() {
    let e = env("refresh").with_token(&refreshable(at(T0 + 120)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    let token = d
        .finish(script([("/token", issued("aoal-NEW", "Atrt|new"))]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
    assert_eq!(token.expires_at, at(T0 + 28_800));
    assert_eq!(d.paths(), ["/token"]);
    let sent = &d.sent[0];
    assert_eq!(sent.uri.to_string(), format!("{US}/token"));
    assert!(sent.locked, "the refresh is sent under the session lock");
    assert_eq!(
        sent.user_agent.as_deref(),
        Some(e.ua.to_str().unwrap()),
        "the Call sets the client's User-Agent"
    );
    assert!(sent
        .user_agent
        .as_deref()
        .unwrap()
        .ends_with(" oidc-test/9.9.9 session-flow-test"));
    assert_eq!(d.body(0, "grantType"), "refresh_token");
    assert_eq!(d.body(0, "refreshToken"), "Atrt|old");
    assert_eq!(d.body(0, "clientId"), "client-1");
    assert_eq!(d.body(0, "clientSecret"), "cs-1");
    // Written to the cache, rotated refresh token included; region,
    // start URL and registration kept.
    let cached = e.cached().unwrap();
    assert_eq!(cached.access_token.secret(), "aoal-NEW");
    assert_eq!(cached.refresh_token.unwrap().secret(), "Atrt|new");
    assert_eq!(cached.client_id.as_deref(), Some("client-1"));
    assert_eq!(cached.region.as_deref(), Some("us-east-1"));
    assert!(e.lock_is_free());
}

#[test]
fn an_expired_refreshable_token_is_refreshed() {
    let e = env("refresh-expired").with_token(&refreshable(at(T0)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0 + 600));
    let token = d
        .finish(script([("/token", issued("aoal-NEW", "r"))]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
}

#[test]
fn the_refresh_goes_to_the_region_of_the_cache_entry() {
    // The client is configured for us-east-1; the token was issued in
    // eu-west-1 and must be refreshed there.
    let e = env("region").with_token(&refreshable(at(T0 + 120)).with_region("eu-west-1"), at(T0));
    assert_eq!(e.config.region, "us-east-1");
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    let token = d
        .finish(script([("/token", issued("aoal-EU", "r"))]))
        .unwrap();
    assert_eq!(d.sent[0].uri.host(), Some("oidc.eu-west-1.amazonaws.com"));
    assert_eq!(token.region.as_deref(), Some("eu-west-1"));
    // A sign-in still goes to the client's (session's) region.
    assert_eq!(d.flow.region(), "us-east-1");
}

#[test]
fn the_refresh_throttle_reads_the_refresh_record_not_the_files_mtime() {
    // Real clocks: the cache file is written "now".
    let now = SystemTime::now();
    // Refreshable on the real clock (registration valid for a day).
    let refreshable = |expires_at: SystemTime| {
        refreshable(expires_at).with_registration_expires_at(now + Duration::from_secs(86_400))
    };
    // A token copied or restored moments ago has never been refreshed: it
    // is refreshed when due, whatever the file's modification time.
    let e = env("mtime");
    e.dir
        .write_token(SESSION, &refreshable(now + Duration::from_secs(120)))
        .unwrap();
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), now);
    let token = d
        .finish(script([("/token", issued("aoal-NEW", "r"))]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");

    // Another process recorded a refresh attempt of this token moments
    // ago: not refreshed again (still valid: used as it is).
    let e = env("recorded");
    let old = refreshable(now + Duration::from_secs(120));
    e.dir.write_token(SESSION, &old).unwrap();
    let record = RefreshRecord::new(now, RefreshOutcome::Failed);
    e.dir.record_refresh(SESSION, &old, record).unwrap();
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), now);
    let token = d.finish(script([])).unwrap();
    assert_eq!(token.access_token.secret(), "aoal-OLD");
    assert!(d.sent.is_empty(), "throttled by the refresh record");

    // Expired, with an attempt recorded moments ago: a typed error.
    let e = env("recorded-expired");
    let old = refreshable(now);
    e.dir.write_token(SESSION, &old).unwrap();
    e.dir.record_refresh(SESSION, &old, record).unwrap();
    let mut d = Driver::new(
        &e,
        e.flow(SignInMode::DeviceCode),
        now + Duration::from_secs(1),
    );
    match d.finish(script([])) {
        Err(Error::Token(err @ TokenError::RefreshThrottled { retry_after })) => {
            assert!(retry_after <= Duration::from_secs(30), "{retry_after:?}");
            assert!(err.is_transient());
        }
        other => panic!("{other:?}"),
    }
    let (state, _) = e
        .dir
        .session_state(SESSION, now + Duration::from_secs(1))
        .unwrap();
    assert_eq!(state, SessionState::RefreshFailed);

    // A record about another token (signed in again since) does not count.
    let e = env("recorded-other");
    let other = refreshable(now + Duration::from_secs(120))
        .with_refresh_token(RefreshToken::new("Atrt|other"));
    e.dir
        .write_token(SESSION, &refreshable(now + Duration::from_secs(120)))
        .unwrap();
    e.dir.record_refresh(SESSION, &other, record).unwrap();
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), now);
    let token = d
        .finish(script([("/token", issued("aoal-NEW", "r"))]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
}

// ---------------------------------------------------- refresh failures

#[test]
fn cached_only_without_a_token_requires_a_login() {
    let e = env("cached-only-absent");
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    match d.finish(script([])) {
        Err(Error::LoginRequired { reason }) => assert_eq!(reason, LoginReason::Absent),
        other => panic!("{other:?}"),
    }
    assert!(d.sent.is_empty());
    assert!(e.lock_is_free());

    // Expired and not refreshable: the same, with the reason.
    let mut expired = refreshable(at(T0));
    expired.refresh_token = None;
    let e = env("cached-only-expired").with_token(&expired, at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0 + 1));
    match d.finish(script([])) {
        Err(Error::LoginRequired { reason }) => assert_eq!(reason, LoginReason::Expired),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cached_only_reports_an_ended_session() {
    let e = env("cached-only-ended").with_token(&refreshable(at(T0 + 120)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    let err = d.finish(script([("/token", invalid_grant())])).unwrap_err();
    match &err {
        Error::Token(t @ TokenError::SessionEnded { .. }) => assert!(t.is_session_ended()),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), Some(&ErrorCode::InvalidGrant.into()));
    assert_eq!(err.status(), Some(400));
    assert_eq!(e.cached().unwrap().access_token.secret(), "aoal-OLD");
}

#[test]
fn a_transient_refresh_failure_returns_the_still_valid_token() {
    let e = env("transient-valid").with_token(&refreshable(at(T0 + 120)), at(T0));
    let before = std::fs::read(e.dir.token_path(SESSION)).unwrap();
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    // Three attempts (the default policy), all failing.
    let token = d
        .finish(script([
            ("/token", server_error(500)),
            ("/token", Reply::Fail(TransportErrorKind::Connect)),
            ("/token", server_error(503)),
        ]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-OLD");
    assert_eq!(d.sent.len(), 3);
    assert!(d.prompts.is_empty(), "no sign-in for a transient failure");
    assert_eq!(std::fs::read(e.dir.token_path(SESSION)).unwrap(), before);
}

#[test]
fn a_transient_refresh_failure_with_an_expired_token_is_an_error() {
    let e = env("transient-expired").with_token(&refreshable(at(T0)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0 + 60));
    let err = d
        .finish(script([
            ("/token", server_error(500)),
            ("/token", server_error(500)),
            ("/token", server_error(500)),
        ]))
        .unwrap_err();
    match &err {
        Error::Token(
            t @ TokenError::RefreshFailed {
                transient: true,
                still_valid: None,
                ..
            },
        ) => assert!(t.is_transient()),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(500));
    assert!(e.lock_is_free());
}

#[test]
fn a_5xx_refresh_is_retried_by_the_call_within_the_quota() {
    // Default quota: two retries, with jittered waits, then success; the
    // success refunds what the retries took.
    let e = env("retry").with_token(&refreshable(at(T0 + 120)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    let token = d
        .finish(script([
            ("/token", server_error(500)),
            ("/token", server_error(503)),
            ("/token", issued("aoal-NEW", "r")),
        ]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
    assert_eq!(d.sent.len(), 3);
    assert_eq!(d.waits.len(), 2, "a back-off before each retry");
    let half = |d: Duration| d.mul_f64(f64::from(JITTER) / f64::from(u32::MAX));
    assert_eq!(d.waits[0], half(Duration::from_secs(1)));
    assert_eq!(d.waits[1], half(Duration::from_secs(2)));
    assert!(d.sent.iter().all(|s| s.locked));
    assert_eq!(d.quota.available(), RetryQuota::default().available());

    // A quota with room for one retry: two attempts, then the failure
    // (the old token is still valid, so it comes back).
    let e = env("retry-quota").with_token(&refreshable(at(T0 + 120)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0))
        .with_quota(RetryQuota::new(RetryQuota::RETRY_COST));
    let token = d
        .finish(script([
            ("/token", server_error(500)),
            ("/token", server_error(500)),
        ]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-OLD");
    assert_eq!(d.sent.len(), 2);
    assert_eq!(d.quota.available(), 0);

    // An empty quota: no retry at all.
    let e = env("retry-empty").with_token(&refreshable(at(T0)), at(T0));
    let mut d =
        Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0 + 1)).with_quota(RetryQuota::new(0));
    let err = d
        .finish(script([("/token", server_error(500))]))
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
}

// ------------------------------------------------------ device sign-in

/// Checks a completed device sign-in's requests after the refresh
/// attempts: [RegisterClient,] StartDeviceAuthorization, polls.
fn assert_device_sign_in(d: &Driver<'_>, first: usize, client_id: &str) {
    for s in &d.sent {
        assert!(s.locked, "{} sent without the session lock", s.uri);
        assert_eq!(s.user_agent.as_deref(), Some(d.env.ua.to_str().unwrap()));
    }
    let start = d
        .paths()
        .iter()
        .position(|p| *p == "/device_authorization")
        .unwrap();
    assert!(start >= first);
    assert_eq!(d.body(start, "clientId"), client_id);
    assert_eq!(d.body(start, "startUrl"), START_URL);
    for i in start + 1..d.sent.len() {
        assert_eq!(d.paths()[i], "/token");
        assert_eq!(
            d.body(i, "grantType"),
            "urn:ietf:params:oauth:grant-type:device_code"
        );
        assert_eq!(d.body(i, "deviceCode"), "dc-1");
        assert_eq!(d.body(i, "clientId"), client_id);
    }
    // The prompt comes before the first wait; a first poll that already
    // gets the token needs none.
    match d.prompts.as_slice() {
        [SignInPrompt::DeviceCode(p)] => {
            assert_eq!(p.user_code, "ABCD-EFGH");
            assert!(p.uri_to_open().ends_with("user_code=ABCD-EFGH"));
        }
        [] => assert!(d.waits.is_empty(), "waited without a prompt"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_grant_on_refresh_signs_in_with_the_device_flow() {
    // No cached registration: RegisterClient first.
    let e = env("ended-register").with_token(&refreshable(at(T0 + 120)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    let token = d
        .finish(script([
            ("/token", invalid_grant()),
            ("/client/register", registered("client-new")),
            ("/device_authorization", started()),
            ("/token", pending()),
            ("/token", pending()),
            ("/token", issued("aoal-SIGNED-IN", "Atrt|fresh")),
        ]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-SIGNED-IN");
    assert_eq!(d.body(1, "clientName"), "botocore-client-my-sso");
    assert_device_sign_in(&d, 2, "client-new");
    // Polls one interval (1 s) apart.
    assert_eq!(d.waits, [Duration::from_secs(1), Duration::from_secs(1)]);
    // The token and the registration are cached.
    let cached = e.cached().unwrap();
    assert_eq!(cached.access_token.secret(), "aoal-SIGNED-IN");
    assert_eq!(cached.refresh_token.unwrap().secret(), "Atrt|fresh");
    assert_eq!(cached.client_id.as_deref(), Some("client-new"));
    assert_eq!(cached.client_secret.unwrap().secret(), "client-new-secret");
    assert_eq!(cached.start_url.as_deref(), Some(START_URL));
    assert_eq!(cached.region.as_deref(), Some("us-east-1"));
    assert_eq!(cached.registration_expires_at, Some(at(T0 + 90 * 86_400)));
    let registration = e.cached_registration().unwrap();
    assert_eq!(registration.client_id, "client-new");
    assert!(!registration.supports_authorization_code());
    assert!(e.lock_is_free());
}

#[test]
fn a_device_sign_in_reuses_the_cached_registration() {
    let e = env("ended-reuse")
        .with_token(&refreshable(at(T0 + 120)), at(T0))
        .with_registration(RegistrationUse::DeviceCode, "client-cached");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/token", invalid_grant()),
        ("/device_authorization", started()),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_device_sign_in(&d, 1, "client-cached");
    assert_eq!(
        e.cached().unwrap().client_id.as_deref(),
        Some("client-cached")
    );

    // An authorization-code registration is not used for the device flow.
    let e = env("ended-wrong-kind")
        .with_registration(RegistrationUse::AuthorizationCode, "client-pkce");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/client/register", registered("client-device")),
        ("/device_authorization", started()),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_device_sign_in(&d, 1, "client-device");
}

#[test]
fn invalid_client_on_refresh_registers_again() {
    // A cached registration exists, but the service just rejected the
    // client of the cached token: it is not reused.
    let e = env("refresh-invalid-client")
        .with_token(&refreshable(at(T0 + 120)), at(T0))
        .with_registration(RegistrationUse::DeviceCode, "client-1");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/token", invalid_client()),
        ("/client/register", registered("client-2")),
        ("/device_authorization", started()),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_device_sign_in(&d, 2, "client-2");
    assert_eq!(e.cached().unwrap().client_id.as_deref(), Some("client-2"));
    assert_eq!(e.cached_registration().unwrap().client_id, "client-2");
}

#[test]
fn a_rejected_cached_registration_is_replaced_once() {
    let e = env("rejected-once").with_registration(RegistrationUse::DeviceCode, "client-stale");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/device_authorization", invalid_client()),
        ("/client/register", registered("client-2")),
        ("/device_authorization", started()),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_eq!(d.body(0, "clientId"), "client-stale");
    assert_eq!(d.body(2, "clientId"), "client-2");
    assert_eq!(e.cached().unwrap().client_id.as_deref(), Some("client-2"));
    assert_eq!(e.cached_registration().unwrap().client_id, "client-2");

    // Rejected again after registering: the flow ends with the error.
    let e = env("rejected-twice").with_registration(RegistrationUse::DeviceCode, "client-stale");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    let err = d
        .finish(script([
            ("/device_authorization", invalid_client()),
            ("/client/register", registered("client-2")),
            ("/device_authorization", invalid_client()),
        ]))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidClient.into()));
    assert_eq!(err.status(), Some(401));
    assert!(e.cached().is_none());
    assert!(e.lock_is_free());

    // A registration made in this flow is never re-registered.
    let e = env("rejected-fresh");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    let err = d
        .finish(script([
            ("/client/register", registered("client-1")),
            ("/device_authorization", invalid_client()),
        ]))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidClient.into()));
}

#[test]
fn a_cached_registration_rejected_while_polling_is_replaced() {
    let e = env("rejected-poll").with_registration(RegistrationUse::DeviceCode, "client-stale");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/device_authorization", started()),
        ("/token", invalid_client()),
        ("/client/register", registered("client-2")),
        ("/device_authorization", started()),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_eq!(d.body(3, "clientId"), "client-2");
    assert_eq!(e.cached().unwrap().client_id.as_deref(), Some("client-2"));
}

#[test]
fn a_denied_device_sign_in_ends_the_flow() {
    let e = env("denied");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    let err = d
        .finish(script([
            ("/client/register", registered("client-1")),
            ("/device_authorization", started()),
            (
                "/token",
                service_error(400, "AccessDeniedException", "access_denied"),
            ),
        ]))
        .unwrap_err();
    assert!(matches!(err, Error::DeviceFlow(_)), "{err:?}");
    assert_eq!(err.code(), Some(&ErrorCode::AccessDenied.into()));
    assert!(e.cached().is_none());
    assert!(e.lock_is_free());
}

#[test]
fn force_sign_in_replaces_a_fresh_token() {
    let e = env("force")
        .with_token(&refreshable(at(T0 + 3600)), at(T0))
        .with_registration(RegistrationUse::DeviceCode, "client-1");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode).force_sign_in(), at(T0));
    let token = d
        .finish(script([
            ("/device_authorization", started()),
            ("/token", issued("aoal-FORCED", "r")),
        ]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-FORCED");
    assert_eq!(e.cached().unwrap().access_token.secret(), "aoal-FORCED");

    // CachedOnly never signs in, forced or not.
    let e = env("force-cached-only").with_token(&refreshable(at(T0 + 3600)), at(T0));
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly).force_sign_in(), at(T0));
    let token = d.finish(script([])).unwrap();
    assert_eq!(token.access_token.secret(), "aoal-OLD");
}

#[test]
fn transport_failures_while_polling_are_ridden_out() {
    let e = env("poll-transport").with_registration(RegistrationUse::DeviceCode, "client-1");
    let mut d = Driver::new(&e, e.flow(SignInMode::DeviceCode), at(T0));
    d.finish(script([
        ("/device_authorization", started()),
        ("/token", Reply::Fail(TransportErrorKind::Exchange)),
        ("/token", server_error(500)),
        ("/token", issued("aoal-S", "r")),
    ]))
    .unwrap();
    assert_eq!(d.sent.len(), 4);
}

#[test]
fn the_session_lock_keeps_a_second_flow_out() {
    let e = env("lock").with_token(&refreshable(at(T0 + 120)), at(T0));
    let e = Env {
        session: e
            .session
            .clone()
            .with_lock_timeout(Duration::from_millis(50)),
        ..e
    };
    let held = e.dir.lock(SESSION, Duration::from_secs(1)).unwrap();
    let mut d = Driver::new(&e, e.flow(SignInMode::CachedOnly), at(T0));
    match d.finish(script([])) {
        Err(Error::Token(TokenError::Cache(oidc_host::HostError::LockTimeout { .. }))) => {}
        other => panic!("{other:?}"),
    }
    drop(held);
}

// --------------------------------------------- authorization code + PKCE

/// Drives an authorization-code flow to `AwaitRedirect`, listening on
/// `port`; returns the deadline.
fn to_redirect(d: &mut Driver<'_>, script: &mut Script, port: u16) -> Instant {
    assert!(matches!(d.run(script), Stop::Listen));
    assert!(d.pkce_state().is_none(), "no state before listening");
    d.event(Event::Listening(port));
    match d.run(script) {
        Stop::AwaitRedirect(deadline) => deadline,
        other => panic!("{other:?}"),
    }
}

fn browser_url<'d>(d: &'d Driver<'_>) -> &'d str {
    match d.prompts.last() {
        Some(SignInPrompt::Browser { url }) => url,
        other => panic!("{other:?}"),
    }
}

#[test]
fn authorization_code_sign_in() {
    let e = env("pkce");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    let mut s = script([("/client/register", registered("client-pkce"))]);
    let deadline = to_redirect(&mut d, &mut s, 43_210);
    assert_eq!(deadline, d.now + oidc_host::DEFAULT_AUTHORIZATION_TIMEOUT);

    // RegisterClient asked for an authorization-code client.
    let register = &d.sent[0].body;
    assert_eq!(register["clientName"], "botocore-client-my-sso");
    assert_eq!(register["issuerUrl"], START_URL);
    let grants = register["grantTypes"].as_array().unwrap();
    assert!(
        grants.iter().any(|g| g == "authorization_code"),
        "{register}"
    );
    assert!(grants.iter().any(|g| g == "refresh_token"), "{register}");

    // The browser URL: this client, the port, the state, the challenge.
    let state = d.pkce_state().unwrap().clone();
    let url = browser_url(&d).to_owned();
    assert!(
        url.starts_with(&format!("{US}/authorize?response_type=code")),
        "{url}"
    );
    assert!(url.contains("client_id=client-pkce"), "{url}");
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A43210%2Foauth%2Fcallback"),
        "{url}"
    );
    assert!(url.contains(&format!("&state={}", state.as_str())), "{url}");
    assert!(url.contains("scopes=sso%3Aaccount%3Aaccess"), "{url}");
    let bytes = entropy();
    let verifier = CodeVerifier::from_random_bytes(bytes[..32].try_into().unwrap());
    assert!(
        url.ends_with(&format!(
            "&code_challenge={}",
            pkce::code_challenge(&verifier).as_str()
        )),
        "{url}"
    );
    assert_eq!(
        state.as_str(),
        pkce::State::from_random_bytes(bytes[32..48].try_into().unwrap()).as_str()
    );

    // The browser comes back (after a stray favicon request).
    let stray = pkce::answer_loopback("GET", "/favicon.ico", &state);
    assert!(matches!(stray.outcome, LoopbackOutcome::KeepWaiting(_)));
    let target = format!("/oauth/callback?code=the-code&state={}", state.as_str());
    let reply = pkce::answer_loopback("GET", &target, &state);
    let LoopbackOutcome::Code(code) = reply.outcome else {
        panic!("{:?}", reply.outcome);
    };
    d.event(Event::Redirect(Ok(code)));
    let token = d
        .finish(script([("/token", issued("aoal-PKCE", "Atrt|pkce"))]))
        .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-PKCE");

    let redeem = 1;
    assert_eq!(d.body(redeem, "grantType"), "authorization_code");
    assert_eq!(d.body(redeem, "code"), "the-code");
    assert_eq!(
        d.body(redeem, "redirectUri"),
        "http://127.0.0.1:43210/oauth/callback"
    );
    assert_eq!(d.body(redeem, "codeVerifier"), verifier.secret());
    assert_eq!(d.body(redeem, "clientId"), "client-pkce");
    assert!(d.sent.iter().all(|s| s.locked));

    let cached = e.cached().unwrap();
    assert_eq!(cached.access_token.secret(), "aoal-PKCE");
    assert_eq!(cached.client_id.as_deref(), Some("client-pkce"));
    let registration = e.cached_registration().unwrap();
    assert!(registration.supports_authorization_code());
    assert!(e.lock_is_free());
    assert!(d.pkce_state().is_none());
}

#[test]
fn authorization_code_reuses_its_cached_registration() {
    let e = env("pkce-reuse").with_registration(RegistrationUse::AuthorizationCode, "client-pkce");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    let mut s = script([]);
    to_redirect(&mut d, &mut s, 5000);
    assert!(d.sent.is_empty(), "no RegisterClient");
    assert!(browser_url(&d).contains("client_id=client-pkce"));

    // A device-flow registration is not used for PKCE.
    let e = env("pkce-wrong-kind").with_registration(RegistrationUse::DeviceCode, "client-device");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    let mut s = script([("/client/register", registered("client-pkce"))]);
    to_redirect(&mut d, &mut s, 5000);
    assert!(browser_url(&d).contains("client_id=client-pkce"));
}

#[test]
fn a_rejected_pkce_registration_is_replaced_with_a_new_listener_and_state() {
    let e =
        env("pkce-rejected").with_registration(RegistrationUse::AuthorizationCode, "client-stale");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    let mut s = script([]);
    to_redirect(&mut d, &mut s, 5000);
    let first_state = d.pkce_state().unwrap().clone();
    d.event(Event::Redirect(Ok(AuthorizationCode::new("code-1"))));
    let mut s = script([
        ("/token", invalid_client()),
        ("/client/register", registered("client-2")),
    ]);
    to_redirect(&mut d, &mut s, 6000);
    let second_state = d.pkce_state().unwrap().clone();
    assert_ne!(first_state.as_str(), second_state.as_str());
    let url = browser_url(&d).to_owned();
    assert!(
        url.contains("client_id=client-2") && url.contains("%3A6000%2F"),
        "{url}"
    );
    assert_eq!(d.prompts.len(), 2);
    d.event(Event::Redirect(Ok(AuthorizationCode::new("code-2"))));
    d.finish(script([("/token", issued("aoal-2", "r"))]))
        .unwrap();
    assert_eq!(d.body(2, "code"), "code-2");
    assert_eq!(d.body(2, "clientId"), "client-2");
    assert_eq!(
        d.body(2, "redirectUri"),
        "http://127.0.0.1:6000/oauth/callback"
    );
}

#[test]
fn a_redirect_error_ends_the_flow() {
    let e = env("pkce-error").with_registration(RegistrationUse::AuthorizationCode, "c");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    let mut s = script([]);
    to_redirect(&mut d, &mut s, 5000);
    let state = d.pkce_state().unwrap().clone();
    let target = format!(
        "/oauth/callback?error=access_denied&error_description=no&state={}",
        state.as_str()
    );
    let LoopbackOutcome::Failed(why) = pkce::answer_loopback("GET", &target, &state).outcome else {
        panic!("expected Failed");
    };
    d.event(Event::Redirect(Err(why)));
    match d.finish(script([])) {
        Err(Error::Redirect(RedirectError::Authorization { error, .. })) => {
            assert_eq!(error, "access_denied")
        }
        other => panic!("{other:?}"),
    }
    assert!(d.sent.is_empty());
    assert!(e.cached().is_none());
    assert!(e.lock_is_free());
}

#[test]
fn a_redirect_timeout_cancels_the_flow() {
    let e = env("pkce-timeout").with_registration(RegistrationUse::AuthorizationCode, "c");
    let flow = e
        .flow(SignInMode::AuthorizationCode)
        .with_authorization_timeout(Duration::from_secs(5));
    let mut d = Driver::new(&e, flow, at(T0));
    let mut s = script([]);
    let deadline = to_redirect(&mut d, &mut s, 5000);
    assert_eq!(deadline, d.now + Duration::from_secs(5));
    d.event(Event::RedirectTimedOut);
    let err = d.finish(script([])).unwrap_err();
    assert!(
        matches!(err, Error::RedirectTimedOut { waited } if waited == Duration::from_secs(5)),
        "{err:?}"
    );
    assert!(err.is_timeout() && !err.is_cancelled());
    assert!(e.lock_is_free());
}

#[test]
fn a_listener_failure_ends_the_flow() {
    let e = env("pkce-listener").with_registration(RegistrationUse::AuthorizationCode, "c");
    let mut d = Driver::new(&e, e.flow(SignInMode::AuthorizationCode), at(T0));
    assert!(matches!(d.run(&mut script([])), Stop::Listen));
    d.event(Event::ListenerFailed(std::io::Error::from(
        std::io::ErrorKind::AddrInUse,
    )));
    assert!(matches!(d.finish(script([])), Err(Error::Local { .. })));
    assert!(e.lock_is_free());
}

// ---------------------------------------------------- answer_loopback

#[test]
fn answer_loopback_table() {
    let state = pkce::State::from_random_bytes(&[7; 16]);
    let wrong = pkce::State::from_random_bytes(&[8; 16]);
    let s = state.as_str();
    let w = wrong.as_str();
    #[derive(Debug, PartialEq)]
    enum Want {
        Wait,
        Code(&'static str),
        Failed,
    }
    let cases: Vec<(&str, String, u16, Want)> = vec![
        ("GET", "/favicon.ico".into(), 404, Want::Wait),
        ("GET", "/".into(), 404, Want::Wait),
        ("GET", "/oauth/callback".into(), 400, Want::Wait),
        (
            "GET",
            "/oauth/callback?error=access_denied".into(),
            400,
            Want::Wait,
        ),
        ("GET", "/oauth/callback?code=c".into(), 400, Want::Wait),
        (
            "GET",
            format!("/oauth/callback?code=c&state={w}"),
            400,
            Want::Wait,
        ),
        (
            "GET",
            format!("/oauth/callback?error=access_denied&state={w}"),
            400,
            Want::Wait,
        ),
        (
            "GET",
            format!("/oauth/callback?error=access_denied&state={s}"),
            400,
            Want::Failed,
        ),
        (
            "GET",
            format!("/oauth/callback?code=c&error=server_error&state={s}"),
            400,
            Want::Failed,
        ),
        ("GET", format!("/oauth/callback?state={s}"), 400, Want::Wait),
        (
            "GET",
            format!("/oauth/callback?code=the%2Fcode&state={s}"),
            200,
            Want::Code("the/code"),
        ),
        (
            "GET",
            format!("http://127.0.0.1:5000/oauth/callback?code=abs&state={s}"),
            200,
            Want::Code("abs"),
        ),
        (
            "POST",
            format!("/oauth/callback?code=c&state={s}"),
            405,
            Want::Wait,
        ),
        (
            "HEAD",
            format!("/oauth/callback?code=c&state={s}"),
            405,
            Want::Wait,
        ),
    ];
    for (method, target, status, want) in cases {
        let reply = pkce::answer_loopback(method, &target, &state);
        assert_eq!(reply.status, status, "{method} {target}");
        assert!(
            reply.page.starts_with("<!doctype html>"),
            "{method} {target}"
        );
        let got = match reply.outcome {
            LoopbackOutcome::KeepWaiting(_) => Want::Wait,
            LoopbackOutcome::Code(code) => Want::Code(match code.secret() {
                "the/code" => "the/code",
                "abs" => "abs",
                other => panic!("unexpected code {other}"),
            }),
            LoopbackOutcome::Failed(e) => {
                assert!(matches!(e, RedirectError::Authorization { .. }));
                Want::Failed
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(got, want, "{method} {target}");
    }
}
