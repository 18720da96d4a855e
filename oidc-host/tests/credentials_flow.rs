//! `CredentialsFlow` and `CredentialsProvider` in virtual time: no sockets,
//! canned responses, file jobs run inline on a scratch directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_host::adapter::ClientState;
use oidc_host::oidc_core::cache::credentials::{
    sso_credentials_file_name, CachedCredentials, CredentialsRefreshPolicy, SsoSessionId,
};
use oidc_host::oidc_core::cache::CachedToken;
use oidc_host::oidc_core::secret::AccessToken;
use oidc_host::oidc_core::step::Step;
use oidc_host::oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_host::oidc_core::Credentials;
use oidc_host::{
    Begin, CacheDir, Config, CredentialsCacheDir, CredentialsProvider, CredentialsSource,
    EnvCredentialsError, Error, Event, Local, Session,
};

const START_URL: &str = "https://my-sso-portal.awsapps.com/start";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "ReadOnly";

type Request = http::Request<Vec<u8>>;
type Response = http::Response<Vec<u8>>;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "oidc-host-credentials-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    fn sso(&self) -> CacheDir {
        CacheDir::new(self.0.join("sso"))
    }

    fn cli(&self) -> CredentialsCacheDir {
        CredentialsCacheDir::new(self.0.join("cli"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn state() -> ClientState {
    ClientState::new(Config::for_region("us-east-1"), "test", "1.0").unwrap()
}

/// Whole seconds, as the cache files store them.
fn whole(t: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.duration_since(UNIX_EPOCH).unwrap().as_secs())
}

/// Drives `flow` to its end in virtual time; `answer` plays the network.
fn drive(
    state: &ClientState,
    mut flow: oidc_host::CredentialsFlow,
    wall: SystemTime,
    mut answer: impl FnMut(&Request) -> Response,
) -> (Result<Credentials, Error>, Vec<Request>) {
    let mut now = Instant::now();
    let mut sent = Vec::new();
    for _ in 0..100 {
        match flow.poll(now, wall) {
            Step::Send(request) => {
                let response = answer(&request);
                sent.push(request);
                state.deliver(&mut flow, now, Event::Response(&response));
            }
            Step::WaitUntil(at) => now = at,
            Step::Local(Local::Blocking(job)) => {
                state.deliver(&mut flow, now, Event::<Vec<u8>>::Job(job.run()))
            }
            Step::Done(result) => return (result, sent),
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("the flow did not end");
}

fn session(scratch: &Scratch) -> Session {
    Session::new(scratch.sso(), "my-sso", START_URL)
}

fn sso_source(scratch: &Scratch) -> CredentialsSource {
    CredentialsSource::sso_role(session(scratch), ACCOUNT, ROLE, scratch.cli())
}

fn entry_name() -> String {
    sso_credentials_file_name(ACCOUNT, ROLE, SsoSessionId::SessionName("my-sso"))
}

fn seed_token(scratch: &Scratch, wall: SystemTime) {
    scratch
        .sso()
        .write_token(
            "my-sso",
            &CachedToken::new(
                AccessToken::new("sso-access-token"),
                wall + Duration::from_secs(3600),
            ),
        )
        .unwrap();
}

fn role_credentials_response(expiry: SystemTime) -> Response {
    let ms = expiry.duration_since(UNIX_EPOCH).unwrap().as_millis();
    http::Response::builder()
        .status(200)
        .body(
            format!(
                r#"{{"roleCredentials":{{"accessKeyId":"ASIANEW","secretAccessKey":"planted-secret-key","sessionToken":"planted-session-token","expiration":{ms}}}}}"#
            )
            .into_bytes(),
        )
        .unwrap()
}

fn assume_role_response() -> Response {
    http::Response::builder()
        .status(200)
        .body(
            concat!(
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">"#,
                "<AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMEDEXAMPLE</AccessKeyId>",
                "<SecretAccessKey>planted-assumed-secret</SecretAccessKey>",
                "<SessionToken>planted-assumed-token</SessionToken>",
                "<Expiration>2099-05-14T17:48:09Z</Expiration></Credentials>",
                "<AssumedRoleUser><AssumedRoleId>AROA3XFRBF535PLBIFPI4:chain</AssumedRoleId>",
                "<Arn>arn:aws:sts::444455556666:assumed-role/Chained/chain</Arn></AssumedRoleUser>",
                "</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>",
                "</AssumeRoleResponse>",
            )
            .as_bytes()
            .to_vec(),
        )
        .unwrap()
}

fn no_network(request: &Request) -> Response {
    panic!(
        "no request expected, got {} {}",
        request.method(),
        request.uri()
    )
}

#[test]
fn fresh_cli_cache_entry_needs_no_request() {
    let scratch = Scratch::new("fresh");
    let wall = whole(SystemTime::now());
    let cached = Credentials::new("ASIACACHED", "cached-secret")
        .with_session_token("cached-token")
        .with_expiry(wall + Duration::from_secs(3600));
    // An entry of older botocore: no AccountId.
    scratch
        .cli()
        .write(&entry_name(), &CachedCredentials::sso(cached))
        .unwrap();
    let state = state();
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let (result, sent) = drive(&state, flow, wall, no_network);
    let credentials = result.unwrap();
    assert!(sent.is_empty());
    assert_eq!(credentials.access_key_id, "ASIACACHED");
    assert_eq!(
        credentials.expires_at,
        Some(wall + Duration::from_secs(3600))
    );
    assert_eq!(credentials.account_id.as_deref(), Some(ACCOUNT));
    // No SSO token was needed: the token cache was never touched.
    assert!(!scratch.sso().token_path("my-sso").exists());
}

#[test]
fn expiring_entry_is_fetched_with_the_cached_token_and_written_like_the_cli() {
    let scratch = Scratch::new("expired");
    let wall = whole(SystemTime::now());
    // Ten minutes left: inside the CLI's 15-minute window.
    let old = Credentials::new("ASIAOLD", "old-secret")
        .with_session_token("old-token")
        .with_expiry(wall + Duration::from_secs(600))
        .with_account_id(ACCOUNT);
    scratch
        .cli()
        .write(&entry_name(), &CachedCredentials::sso(old))
        .unwrap();
    seed_token(&scratch, wall);
    let state = state();
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let expiry = wall + Duration::from_secs(3600);
    let (result, sent) = drive(&state, flow, wall, |_| role_credentials_response(expiry));
    let credentials = result.unwrap();

    assert_eq!(sent.len(), 1, "exactly one GetRoleCredentials");
    let request = &sent[0];
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri().to_string(),
        "https://portal.sso.us-east-1.amazonaws.com/federation/credentials?role_name=ReadOnly&account_id=123456789012"
    );
    assert_eq!(
        request.headers()["x-amz-sso_bearer_token"],
        "sso-access-token"
    );

    assert_eq!(credentials.access_key_id, "ASIANEW");
    assert_eq!(credentials.secret_access_key.secret(), "planted-secret-key");
    assert_eq!(credentials.expires_at, Some(expiry));
    assert_eq!(credentials.account_id.as_deref(), Some(ACCOUNT));

    // The entry on disk, byte for byte as the AWS CLI writes it.
    let path = scratch.cli().entry_path(&entry_name());
    assert!(path.ends_with("cli/31b260dab331b2af063485cea75f7b8b3cf54c71.json"));
    let bytes = std::fs::read(&path).unwrap();
    let expected = format!(
        r#"{{"ProviderType": "sso", "Credentials": {{"AccessKeyId": "ASIANEW", "SecretAccessKey": "planted-secret-key", "SessionToken": "planted-session-token", "Expiration": "{}", "AccountId": "123456789012"}}}}"#,
        rfc3339(expiry)
    );
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
    let parsed = CachedCredentials::from_json(&bytes).unwrap();
    assert_eq!(parsed.provider_type.as_deref(), Some("sso"));
    assert_eq!(parsed.credentials.access_key_id, "ASIANEW");
    assert_eq!(parsed.credentials.expires_at, Some(expiry));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The lock file sits next to the entry and does not end in `.json`.
    assert!(scratch.cli().lock_path(&entry_name()).exists());

    // A second flow now finds the entry fresh.
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let (again, sent) = drive(&state, flow, wall, no_network);
    assert!(sent.is_empty());
    assert_eq!(again.unwrap().access_key_id, "ASIANEW");
}

/// `%Y-%m-%dT%H:%M:%SZ` of `t`, computed by hand (independently of the
/// entry writer).
fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn corrupt_entry_is_replaced_and_missing_token_is_typed() {
    let scratch = Scratch::new("corrupt");
    let wall = whole(SystemTime::now());
    let path = scratch.cli().entry_path(&entry_name());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"Credentials\": ").unwrap();
    let state = state();

    // No SSO token cached and the source may not sign in.
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let (result, sent) = drive(&state, flow, wall, no_network);
    assert!(sent.is_empty());
    assert!(
        matches!(result, Err(Error::LoginRequired { .. })),
        "{result:?}"
    );
    // The corrupt file is left alone.
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"Credentials\": ");

    seed_token(&scratch, wall);
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let expiry = wall + Duration::from_secs(7200);
    let (result, sent) = drive(&state, flow, wall, |_| role_credentials_response(expiry));
    assert_eq!(sent.len(), 1);
    assert_eq!(result.unwrap().access_key_id, "ASIANEW");
    let (entry, warning) = scratch.cli().read(&entry_name()).unwrap();
    assert!(warning.is_none());
    assert_eq!(entry.unwrap().credentials.expires_at, Some(expiry));
}

#[test]
fn portal_errors_end_the_flow_and_keep_the_old_entry() {
    let scratch = Scratch::new("portal-error");
    let wall = whole(SystemTime::now());
    seed_token(&scratch, wall);
    let state = state();
    let flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    let (result, sent) = drive(&state, flow, wall, |_| {
        http::Response::builder()
            .status(403)
            .header("x-amzn-ErrorType", "ForbiddenException")
            .body(br#"{"message":"No access"}"#.to_vec())
            .unwrap()
    });
    assert_eq!(sent.len(), 1);
    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(403), "{error}");
    assert!(!scratch.cli().entry_path(&entry_name()).exists());
    // The lock was released: a new flow can take it at once.
    let _lock = scratch
        .cli()
        .lock(&entry_name(), Duration::from_millis(1))
        .unwrap();
}

#[test]
fn assume_role_over_static_signs_with_the_static_key() {
    let state = state();
    let source = CredentialsSource::Static(
        Credentials::new("AKIDSTATIC", "planted-static-secret")
            .with_session_token("planted-static-token"),
    )
    .assume_role(AssumeRoleInput::new(
        "arn:aws:iam::444455556666:role/Chained",
        "chain",
    ));
    let flow = state.credentials_flow(&source).unwrap();
    let (result, sent) = drive(&state, flow, SystemTime::now(), |_| assume_role_response());
    let credentials = result.unwrap();
    assert_eq!(credentials.access_key_id, "ASIAASSUMEDEXAMPLE");
    assert_eq!(credentials.account_id.as_deref(), Some("444455556666"));

    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(
        request.uri().to_string(),
        "https://sts.us-east-1.amazonaws.com/"
    );
    let authorization = request.headers()["authorization"].to_str().unwrap();
    let credential = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    assert!(credential.starts_with("AKIDSTATIC/"), "{authorization}");
    assert!(
        credential.ends_with("/us-east-1/sts/aws4_request"),
        "{authorization}"
    );
    assert_eq!(
        request.headers()["x-amz-security-token"],
        "planted-static-token"
    );
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert!(
        body.starts_with("Action=AssumeRole&Version=2011-06-15"),
        "{body}"
    );
    assert!(!authorization.contains("planted"));
}

#[test]
fn assume_role_chain_over_sso_role_and_its_own_region() {
    let scratch = Scratch::new("chain");
    let wall = whole(SystemTime::now());
    seed_token(&scratch, wall);
    let state = state();
    let source = CredentialsSource::AssumeRole {
        source: Box::new(sso_source(&scratch)),
        input: AssumeRoleInput::new("arn:aws:iam::444455556666:role/Chained", "chain"),
        region: Some("eu-west-1".to_owned()),
        cache: None,
        mfa: None,
    };
    let flow = state.credentials_flow(&source).unwrap();
    let expiry = wall + Duration::from_secs(3600);
    let (result, sent) = drive(&state, flow, wall, |request| {
        if request.uri().path() == "/federation/credentials" {
            role_credentials_response(expiry)
        } else {
            assume_role_response()
        }
    });
    assert_eq!(result.unwrap().access_key_id, "ASIAASSUMEDEXAMPLE");
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].uri().to_string(),
        "https://sts.eu-west-1.amazonaws.com/"
    );
    let authorization = sent[1].headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("Credential=ASIANEW/")
            && authorization.contains("/eu-west-1/sts/aws4_request"),
        "{authorization}"
    );
    assert_eq!(
        sent[1].headers()["x-amz-security-token"],
        "planted-session-token"
    );
}

#[test]
fn environment_source_reads_its_lookup() {
    let state = state();
    let source = CredentialsSource::environment_from(|name| match name {
        "AWS_ACCESS_KEY_ID" => Some("AKIDENV".to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some("planted-env-secret".to_owned()),
        "AWS_SESSION_TOKEN" => Some("planted-env-token".to_owned()),
        "AWS_CREDENTIAL_EXPIRATION" => Some("2099-01-01T00:00:00Z".to_owned()),
        _ => None,
    });
    let flow = state.credentials_flow(&source).unwrap();
    let (result, sent) = drive(&state, flow, SystemTime::now(), no_network);
    assert!(sent.is_empty());
    let credentials = result.unwrap();
    assert_eq!(credentials.access_key_id, "AKIDENV");
    assert_eq!(
        credentials.session_token.as_ref().map(|t| t.secret()),
        Some("planted-env-token")
    );
    assert_eq!(
        credentials.expires_at,
        Some(UNIX_EPOCH + Duration::from_secs(4_070_908_800))
    );
    assert!(!format!("{source:?}").contains("planted"));
}

#[test]
fn environment_without_key_id_is_a_typed_error_naming_the_variable() {
    let state = state();
    let source = CredentialsSource::environment_from(|name| {
        (name == "AWS_SECRET_ACCESS_KEY").then(|| "planted-env-secret".to_owned())
    });
    // Also through an AssumeRole on top: nothing is sent.
    for source in [
        source.clone(),
        source.assume_role(AssumeRoleInput::new("arn:aws:iam::1:role/r", "s")),
    ] {
        let flow = state.credentials_flow(&source).unwrap();
        let (result, sent) = drive(&state, flow, SystemTime::now(), no_network);
        assert!(sent.is_empty());
        let error = result.unwrap_err();
        assert_eq!(
            EnvCredentialsError::find(&error),
            Some(&EnvCredentialsError::Missing {
                variable: "AWS_ACCESS_KEY_ID"
            })
        );
        // The cause names the variable; the message does not repeat it.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        assert!(message.contains("AWS_ACCESS_KEY_ID"), "{message}");
        assert!(!message.contains("planted"), "{message}");
        assert!(!format!("{error:?}").contains("planted"));
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let scratch = Scratch::new("debug");
    let source = CredentialsSource::Static(
        Credentials::new("AKIDSTATIC", "planted-static-secret")
            .with_session_token("planted-static-token"),
    )
    .assume_role(AssumeRoleInput::new("arn:aws:iam::1:role/r", "s"));
    let provider = CredentialsProvider::new(source.clone());
    let Begin::Fetch(fetch) = provider.begin(SystemTime::now()) else {
        panic!("fetch")
    };
    fetch
        .finish(Ok(Credentials::new("ASIAMEM", "planted-memory-secret")
            .with_session_token("planted-memory-token")))
        .unwrap();
    let state = state();
    let flow = state.credentials_flow(&source).unwrap();
    let sso_flow = state.credentials_flow(&sso_source(&scratch)).unwrap();
    for shown in [
        format!("{source:?}"),
        format!("{provider:?}"),
        format!("{provider:#?}"),
        format!("{flow:?}"),
        format!("{sso_flow:?}"),
    ] {
        assert!(!shown.contains("planted"), "{shown}");
    }
}

/// The adapters' `credentials` protocol, with a canned network.
fn credentials(
    state: &ClientState,
    provider: &CredentialsProvider,
    wall: SystemTime,
    answer: &(dyn Fn(&Request) -> Response + Sync),
) -> Result<Credentials, Error> {
    loop {
        match provider.begin(wall) {
            Begin::Ready(credentials) => return Ok(credentials),
            Begin::Wait(other) => other.blocking(&oidc_host::CancelToken::new())?,
            Begin::Fetch(fetch) => {
                let flow = state.credentials_flow(provider.source())?;
                let (result, _) = drive(state, flow.with_policy(provider.policy()), wall, answer);
                return fetch.finish(result);
            }
        }
    }
}

#[test]
fn ten_threads_one_fetch() {
    let scratch = Scratch::new("threads");
    let wall = whole(SystemTime::now());
    seed_token(&scratch, wall);
    let state = state();
    let provider = CredentialsProvider::new(sso_source(&scratch));
    let calls = AtomicUsize::new(0);
    let expiry = wall + Duration::from_secs(3600);
    let answer = |_: &Request| {
        calls.fetch_add(1, Ordering::SeqCst);
        // Long enough for every other thread to arrive while this runs.
        std::thread::sleep(Duration::from_millis(50));
        role_credentials_response(expiry)
    };
    let barrier = Barrier::new(10);
    let keys = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..10 {
            s.spawn(|| {
                barrier.wait();
                let c = credentials(&state, &provider, wall, &answer).unwrap();
                keys.lock().unwrap().push(c.access_key_id);
            });
        }
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(provider.fetches(), 1);
    assert_eq!(keys.into_inner().unwrap(), vec!["ASIANEW"; 10]);
}

#[test]
fn provider_refetches_when_due_and_retries_after_a_failure() {
    let scratch = Scratch::new("refetch");
    let wall = whole(SystemTime::now());
    seed_token(&scratch, wall);
    let state = state();
    let window = CredentialsRefreshPolicy::with_refresh_window(Duration::from_secs(300));
    let provider = CredentialsProvider::with_policy(sso_source(&scratch), window);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let expiry = wall + Duration::from_secs(600);
    let answer = move |_: &Request| {
        counter.fetch_add(1, Ordering::SeqCst);
        role_credentials_response(expiry)
    };
    // Ten minutes of validity is fresh with a 5-minute window (memory and disk).
    for _ in 0..3 {
        credentials(&state, &provider, wall, &answer).unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Six minutes later it is due: memory and disk both say fetch.
    let later = wall + Duration::from_secs(360);
    seed_token(&scratch, later);
    credentials(&state, &provider, later, &answer).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A failed fetch is reported and the next caller fetches again.
    let failing = CredentialsProvider::new(CredentialsSource::environment_from(|_| None));
    assert!(credentials(&state, &failing, wall, &no_network).is_err());
    assert!(credentials(&state, &failing, wall, &no_network).is_err());
    assert_eq!(failing.fetches(), 2);
}

#[test]
fn cli_cache_dir_resolves_next_to_the_sso_cache() {
    let dir = CredentialsCacheDir::resolve(
        |name| (name == "HOME").then(|| "/home/ana".into()),
        oidc_host::Platform::Unix,
        None,
    )
    .unwrap();
    assert_eq!(dir.path(), Path::new("/home/ana/.aws/cli/cache"));
    let legacy = Session::legacy(CacheDir::new("/x"), START_URL);
    assert_eq!(
        CredentialsCacheDir::sso_role_file_name(&legacy, ACCOUNT, ROLE),
        "107af63d78e24f5ce0fbb60ccb8244f20f6e19e6.json"
    );
}
