// The token provider's decisions and how it finishes refreshes and
// sign-ins.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/support/mod.rs"]
mod support;

use std::time::{Duration, SystemTime};

use crate::token::provider::{Login, Next, Refresh, Refreshed, TokenProvider};
use crate::{CacheDir, CacheProblem, LoginReason, RegistrationInfo, TokenError};
use oidc_core::cache::{CachedRegistration, CachedToken, RefreshPolicy};
use oidc_core::endpoint::Endpoint;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_core::sso_oidc::ErrorCode;
use oidc_core::sso_oidc::{create_token, register_client};
use oidc_core::{Error as CoreError, TimeoutPhase, TransportError, TransportErrorKind};
use support::{at, chain, refreshable, set_mtime, Scratch, T0};

const SESSION: &str = "my-sso";

struct Fixture {
    _scratch: Scratch,
    dir: CacheDir,
    provider: TokenProvider,
}

fn fixture(name: &str) -> Fixture {
    let scratch = Scratch::new(name);
    let dir = CacheDir::new(scratch.path());
    let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    let provider = TokenProvider::new(dir.clone(), SESSION, endpoint);
    Fixture {
        _scratch: scratch,
        dir,
        provider,
    }
}

impl Fixture {
    /// Writes `token`, as if written an hour before T0 (the file's mtime
    /// counts as a refresh attempt, so it must sit on the tests' virtual
    /// timeline).
    fn with_token(self, token: &CachedToken) -> Self {
        self.dir.write_token(SESSION, token).unwrap();
        set_mtime(&self.dir.token_path(SESSION), at(T0 - 3600));
        self
    }

    fn begin(&self, now: SystemTime) -> Result<Next, TokenError> {
        let lock = self.provider.lock(Duration::from_secs(5)).unwrap();
        self.provider.begin(lock, now)
    }

    fn refresh(&self, now: SystemTime) -> Refresh {
        match self.begin(now).unwrap() {
            Next::Refresh(refresh) => refresh,
            other => panic!("expected Refresh, got {other:?}"),
        }
    }

    fn login(&self, now: SystemTime) -> Login {
        match self.begin(now).unwrap() {
            Next::LoginRequired(login) => login,
            other => panic!("expected LoginRequired, got {other:?}"),
        }
    }

    fn file(&self) -> Vec<u8> {
        std::fs::read(self.dir.token_path(SESSION)).unwrap()
    }

    fn lock_is_free(&self) -> bool {
        self.dir.try_lock(SESSION).unwrap().is_some()
    }
}

/// What the adapter got: a response, or no usable response.
type Outcome = Result<http::Response<Vec<u8>>, TransportError>;

/// A transport failure of the refresh (what an adapter reports when no
/// usable response arrived).
fn transport(kind: TransportErrorKind) -> CoreError {
    TransportError::new("CreateToken", kind).into()
}

/// Finishes `refresh` the way an adapter does with `outcome`.
fn finish_with(
    refresh: Refresh,
    now: SystemTime,
    outcome: &Outcome,
) -> Result<CachedToken, TokenError> {
    match outcome {
        Ok(response) => refresh.finish_response(now, response),
        Err(e) => refresh.finish(now, Err(e.clone().into())),
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.as_bytes().to_vec()).unwrap()
}

fn service_error(status: u16, shape: &str, oauth: &str) -> http::Response<Vec<u8>> {
    response(
        status,
        &[
            ("x-amzn-ErrorType", shape),
            ("x-amzn-RequestId", "req-42"),
            ("content-type", "application/json"),
        ],
        &format!(r#"{{"error":"{oauth}","error_description":"details"}}"#),
    )
}

// --------------------------------------------------------------- decisions

#[test]
fn fresh_token_is_ready_and_the_lock_released() {
    let f = fixture("fresh").with_token(&refreshable(at(T0 + 3600)));
    match f.begin(at(T0)).unwrap() {
        Next::Ready(token) => assert_eq!(token.access_token.secret(), "aoal-OLD"),
        other => panic!("{other:?}"),
    }
    assert!(f.lock_is_free());
    // Exactly at the window's edge (5 min left) a refresh starts.
    assert!(matches!(
        f.begin(at(T0 + 3600 - 300)).unwrap(),
        Next::Refresh(_)
    ));
    // One second before it, not yet.
    let g = fixture("fresh-edge").with_token(&refreshable(at(T0 + 3600)));
    assert!(matches!(
        g.begin(at(T0 + 3600 - 301)).unwrap(),
        Next::Ready(_)
    ));
}

#[test]
fn inside_the_window_a_correct_refresh_request_is_returned() {
    let f = fixture("window").with_token(&refreshable(at(T0 + 120)));
    let refresh = f.refresh(at(T0));
    let request = refresh.request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://oidc.us-east-1.amazonaws.com/token");
    assert_eq!(
        std::str::from_utf8(request.body()).unwrap(),
        r#"{"clientId":"client-1","clientSecret":"cs-1","grantType":"refresh_token","refreshToken":"Atrt|old"}"#
    );
    // Byte-identical to what oidc-core builds for the same input.
    let expected = create_token::request(
        &create_token::CreateTokenInput::new(
            "client-1",
            ClientSecret::new("cs-1"),
            create_token::Grant::RefreshToken {
                refresh_token: RefreshToken::new("Atrt|old"),
            },
        ),
        &Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap(),
    )
    .unwrap();
    assert_eq!(request.body(), expected.body());
    assert_eq!(request.headers(), expected.headers());
    assert_eq!(refresh.old_token().access_token.secret(), "aoal-OLD");
    // The request's secrets stay out of Debug.
    let debug = format!("{refresh:?}");
    assert!(
        !debug.contains("cs-1") && !debug.contains("Atrt|old"),
        "{debug}"
    );
    // The lock is held while the refresh is in flight.
    assert!(!f.lock_is_free());
    drop(refresh);
    assert!(f.lock_is_free());
}

#[test]
fn expired_but_refreshable_token_is_refreshed() {
    let f = fixture("expired-refreshable").with_token(&refreshable(at(T0)));
    let refresh = f.refresh(at(T0 + 600));
    assert!(refresh.old_token().is_expired(at(T0 + 600)));
}

#[test]
fn expired_and_not_refreshable_requires_a_login() {
    // No refresh token.
    let mut token = refreshable(at(T0));
    token.refresh_token = None;
    let f = fixture("expired-no-rt").with_token(&token);
    let login = f.login(at(T0 + 1));
    assert_eq!(login.reason(), &LoginReason::Expired);
    assert!(!f.lock_is_free(), "the login holds the lock");
    drop(login);
    assert!(f.lock_is_free());

    // Registration expired.
    let mut token = refreshable(at(T0));
    token.registration_expires_at = Some(at(T0));
    let f = fixture("expired-registration").with_token(&token);
    assert_eq!(f.login(at(T0 + 1)).reason(), &LoginReason::Expired);

    // Refresh material present but empty: cannot form a request.
    let token = refreshable(at(T0)).with_refresh_token(RefreshToken::new(""));
    let f = fixture("expired-empty-rt").with_token(&token);
    assert_eq!(f.login(at(T0 + 1)).reason(), &LoginReason::Expired);
}

#[test]
fn expiring_but_not_refreshable_is_used_until_it_expires() {
    let mut token = refreshable(at(T0 + 60));
    token.client_secret = None;
    let f = fixture("expiring-no-secret").with_token(&token);
    assert!(matches!(f.begin(at(T0)).unwrap(), Next::Ready(_)));
    assert!(matches!(
        f.begin(at(T0 + 60)).unwrap(),
        Next::LoginRequired(_)
    ));
}

#[test]
fn absent_or_corrupt_cache_requires_a_login() {
    let f = fixture("absent");
    assert_eq!(f.login(at(T0)).reason(), &LoginReason::Absent);

    std::fs::write(f.dir.token_path(SESSION), "<html>oops</html>").unwrap();
    let login = f.login(at(T0));
    match login.reason() {
        LoginReason::Corrupt(warning) => {
            assert_eq!(warning.path, f.dir.token_path(SESSION));
            assert!(matches!(warning.problem, CacheProblem::Format(_)));
        }
        other => panic!("{other:?}"),
    }
    // The corrupt file is still there until a login stores a new token.
    assert_eq!(f.file(), b"<html>oops</html>");
}

#[test]
fn custom_policy_window() {
    let f = fixture("policy").with_token(&refreshable(at(T0 + 900)));
    let provider = f.provider.clone().with_policy(RefreshPolicy {
        refresh_window: Duration::from_secs(15 * 60),
        min_time_between_attempts: Duration::from_secs(60),
    });
    assert_eq!(
        provider.policy().refresh_window,
        Duration::from_secs(15 * 60)
    );
    let lock = provider.lock(Duration::from_secs(1)).unwrap();
    assert!(matches!(
        provider.begin(lock, at(T0)).unwrap(),
        Next::Refresh(_)
    ));
    // The default 5-minute window does not refresh yet.
    assert!(matches!(f.begin(at(T0)).unwrap(), Next::Ready(_)));
}

#[test]
fn a_lock_of_another_session_is_refused() {
    let f = fixture("wrong-lock").with_token(&refreshable(at(T0 + 3600)));
    let other = f.dir.lock("dev", Duration::from_secs(1)).unwrap();
    let err = f.provider.begin(other, at(T0)).unwrap_err();
    match &err {
        TokenError::WrongLock { expected, got } => {
            assert_eq!(*expected, f.dir.lock_path(SESSION));
            assert_eq!(*got, f.dir.lock_path("dev"));
        }
        other => panic!("{other:?}"),
    }
    let other = f.dir.lock("dev", Duration::from_secs(1)).unwrap();
    assert!(matches!(
        f.provider.login(other),
        Err(TokenError::WrongLock { .. })
    ));
}

// ------------------------------------------------------- finishing refresh

#[test]
fn successful_refresh_writes_the_rotated_refresh_token() {
    let f = fixture("refresh-ok").with_token(&refreshable(at(T0 + 120)));
    let now = at(T0);
    let refresh = f.refresh(now);
    let reply = response(
        200,
        &[("content-type", "application/json")],
        r#"{"accessToken":"aoal-NEW","tokenType":"Bearer","expiresIn":28800,"refreshToken":"Atrt|new"}"#,
    );
    let token = refresh.finish_response(now, &reply).unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
    assert_eq!(token.expires_at, at(T0 + 28_800));
    assert_eq!(token.refresh_token.as_ref().unwrap().secret(), "Atrt|new");
    // Everything else is kept; the file holds exactly the AWS CLI layout.
    assert_eq!(
        String::from_utf8(f.file()).unwrap(),
        r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoal-NEW", "expiresAt": "2024-01-01T16:00:00Z", "clientId": "client-1", "clientSecret": "cs-1", "registrationExpiresAt": "2024-01-02T08:00:00Z", "refreshToken": "Atrt|new"}"#
    );
    assert!(f.lock_is_free());
    // The next caller finds the new token ready.
    match f.begin(at(T0 + 10)).unwrap() {
        Next::Ready(token) => assert_eq!(token.access_token.secret(), "aoal-NEW"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let f = fixture("refresh-keep-rt").with_token(&refreshable(at(T0 + 120)));
    let refresh = f.refresh(at(T0));
    let reply = response(200, &[], r#"{"accessToken":"aoal-NEW","expiresIn":3600}"#);
    let token = refresh.finish_response(at(T0 + 1), &reply).unwrap();
    assert_eq!(token.expires_at, at(T0 + 1 + 3600));
    let on_disk = f.dir.read_token(SESSION).unwrap().token.unwrap();
    assert_eq!(on_disk.refresh_token.unwrap().secret(), "Atrt|old");
    assert_eq!(on_disk.access_token.secret(), "aoal-NEW");
}

#[test]
fn session_ended_errors_are_typed_and_keep_the_file() {
    let cases = [
        (
            400,
            "InvalidGrantException",
            "invalid_grant",
            ErrorCode::InvalidGrant,
        ),
        (
            400,
            "ExpiredTokenException",
            "expired_token",
            ErrorCode::ExpiredToken,
        ),
        (
            401,
            "InvalidClientException",
            "invalid_client",
            ErrorCode::InvalidClient,
        ),
        (
            400,
            "AccessDeniedException",
            "access_denied",
            ErrorCode::AccessDenied,
        ),
        (
            400,
            "UnauthorizedClientException",
            "unauthorized_client",
            ErrorCode::UnauthorizedClient,
        ),
    ];
    for (status, shape, oauth, code) in cases {
        // Still valid (2 minutes left): the old token comes back.
        let f = fixture("ended").with_token(&refreshable(at(T0 + 120)));
        let before = f.file();
        let err = f
            .refresh(at(T0))
            .finish_response(at(T0), &service_error(status, shape, oauth))
            .unwrap_err();
        assert!(err.is_session_ended(), "{shape}: {err:?}");
        assert!(!err.is_transient());
        match &err {
            TokenError::SessionEnded { error, .. } => {
                assert_eq!(error.sso_oidc_code(), Some(code));
                assert!(error.code().is_some_and(|c| *c == code));
                assert_eq!(error.status(), Some(status));
                assert_eq!(error.request_id(), Some("req-42"));
            }
            other => panic!("{other:?}"),
        }
        let message = chain(&err);
        assert!(message.contains("run the sign-in again"), "{message}");
        assert!(message.contains(shape), "{message}");
        assert!(message.contains("req-42"), "{message}");
        assert_eq!(err.still_valid().unwrap().access_token.secret(), "aoal-OLD");
        assert_eq!(f.file(), before, "{shape}: the file must be untouched");
        assert!(f.lock_is_free());

        // Expired: nothing usable comes back.
        let f = fixture("ended-expired").with_token(&refreshable(at(T0)));
        let err = f
            .refresh(at(T0 + 1))
            .finish_response(at(T0 + 1), &service_error(status, shape, oauth))
            .unwrap_err();
        assert!(err.is_session_ended());
        assert!(err.still_valid().is_none());
        assert!(err.into_still_valid().is_none());
    }
}

#[test]
fn transient_failures_keep_the_old_token() {
    let failures: Vec<(&str, Outcome)> = vec![
        (
            "500",
            Ok(service_error(
                500,
                "InternalServerException",
                "server_error",
            )),
        ),
        ("503 html", Ok(response(503, &[], "<html>busy</html>"))),
        ("502 empty", Ok(response(502, &[], ""))),
        (
            "429",
            Ok(response(
                429,
                &[("x-amzn-ErrorType", "ThrottlingException")],
                "{}",
            )),
        ),
        (
            "200 truncated",
            Ok(response(200, &[], r#"{"accessToken":"aoal-NEW","expi"#)),
        ),
        (
            "refused",
            Err(TransportError::new(
                "CreateToken",
                TransportErrorKind::Connect,
            )),
        ),
        (
            "timeout",
            Err(TransportError::timeout(
                "CreateToken",
                TimeoutPhase::Read,
                Duration::from_secs(30),
            )),
        ),
    ];
    for (what, outcome) in failures {
        let f = fixture("transient").with_token(&refreshable(at(T0 + 120)));
        let before = f.file();
        let refresh = f.refresh(at(T0));
        let err = finish_with(refresh, at(T0), &outcome).unwrap_err();
        match &err {
            TokenError::RefreshFailed {
                transient, cause, ..
            } => {
                assert!(*transient, "{what}");
                match (what, cause) {
                    ("refused" | "timeout", CoreError::Transport(t)) => {
                        assert_eq!(t.is_timeout(), what == "timeout")
                    }
                    ("refused" | "timeout", other) => panic!("{what}: {other:?}"),
                    (_, e) => assert!(e.status().is_some(), "{what}: {e:?}"),
                }
            }
            other => panic!("{what}: {other:?}"),
        }
        assert!(err.is_transient(), "{what}");
        assert!(!err.is_session_ended());
        let message = chain(&err);
        assert!(message.contains("temporary"), "{what}: {message}");
        assert!(
            message.contains("stays usable until it expires"),
            "{message}"
        );
        let kept = err.into_still_valid().expect("old token kept");
        assert_eq!(kept.access_token.secret(), "aoal-OLD");
        assert_eq!(f.file(), before, "{what}: the file must be untouched");
        assert!(f.lock_is_free());
    }
}

#[test]
fn transient_failure_with_an_expired_token_says_so() {
    let f = fixture("transient-expired").with_token(&refreshable(at(T0)));
    let err = f
        .refresh(at(T0 + 10))
        .finish(at(T0 + 10), Err(transport(TransportErrorKind::Exchange)))
        .unwrap_err();
    assert!(err.is_transient());
    assert!(err.still_valid().is_none());
    assert!(err.to_string().contains("has expired"), "{err}");
}

#[test]
fn other_service_errors_are_not_transient() {
    let f = fixture("permanent").with_token(&refreshable(at(T0 + 120)));
    let err = f
        .refresh(at(T0))
        .finish_response(
            at(T0),
            &service_error(400, "InvalidRequestException", "invalid_request"),
        )
        .unwrap_err();
    match &err {
        TokenError::RefreshFailed {
            transient: false,
            cause: e,
            still_valid: Some(_),
        } => assert_eq!(e.sso_oidc_code(), Some(ErrorCode::InvalidRequest)),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient() && !err.is_session_ended());
    // A 200 without the required members is not transient either.
    let f = fixture("permanent-200").with_token(&refreshable(at(T0 + 120)));
    let err = f
        .refresh(at(T0))
        .finish_response(at(T0), &response(200, &[], r#"{"tokenType":"Bearer"}"#))
        .unwrap_err();
    assert!(matches!(
        err,
        TokenError::RefreshFailed {
            transient: false,
            ..
        }
    ));
}

#[test]
fn refresh_attempts_are_throttled() {
    let f = fixture("throttle").with_token(&refreshable(at(T0 + 120)));
    let refresh = f.refresh(at(T0));
    let _ = refresh
        .finish(at(T0), Err(transport(TransportErrorKind::Connect)))
        .unwrap_err();
    // Within 30 s: the still-valid old token is handed out without a call.
    match f.begin(at(T0 + 29)).unwrap() {
        Next::Ready(token) => assert_eq!(token.access_token.secret(), "aoal-OLD"),
        other => panic!("{other:?}"),
    }
    // 30 s later: try again (still valid, 10 s left).
    let refresh = f.refresh(at(T0 + 110));
    let _ = refresh
        .finish(at(T0 + 110), Err(transport(TransportErrorKind::Connect)))
        .unwrap_err();

    // Expired and throttled: a typed, transient error saying how long to
    // wait, without a call.
    let err = f.begin(at(T0 + 125)).unwrap_err();
    match &err {
        TokenError::RefreshThrottled { retry_after } => {
            assert_eq!(*retry_after, Duration::from_secs(15))
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_transient());
    assert!(err.to_string().contains("run the sign-in again"), "{err}");
    assert!(f.lock_is_free());
    // Once the throttle has passed, an expired refreshable token is
    // refreshed again.
    assert!(matches!(f.begin(at(T0 + 140)).unwrap(), Next::Refresh(_)));
}

// ----------------------------------------------------------------- logins

fn issued(body: &str) -> create_token::CreateTokenOutput {
    create_token::parse(&response(200, &[], body)).unwrap()
}

#[test]
fn login_store_writes_a_complete_entry() {
    let f = fixture("login");
    let login = f.login(at(T0));
    let output = issued(r#"{"accessToken":"aoal-L","expiresIn":28800,"refreshToken":"Atrt|L"}"#);
    let registration =
        RegistrationInfo::new("client-9", ClientSecret::new("cs-9"), at(T0 + 7_776_000));
    let token = login
        .store(
            at(T0),
            &output,
            &registration,
            "https://my-sso-portal.awsapps.com/start",
            "eu-west-1",
        )
        .unwrap();
    assert!(f.lock_is_free());
    assert_eq!(
        String::from_utf8(f.file()).unwrap(),
        r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "eu-west-1", "accessToken": "aoal-L", "expiresAt": "2024-01-01T16:00:00Z", "clientId": "client-9", "clientSecret": "cs-9", "registrationExpiresAt": "2024-03-31T08:00:00Z", "refreshToken": "Atrt|L"}"#
    );
    assert_eq!(token.to_json(), f.file());
    #[cfg(unix)]
    assert_eq!(support::mode(&f.dir.token_path(SESSION)), 0o600);
    // Fresh and refreshable afterwards.
    assert!(matches!(f.begin(at(T0 + 60)).unwrap(), Next::Ready(_)));
    assert!(matches!(
        f.begin(at(T0 + 28_800 - 60)).unwrap(),
        Next::Refresh(_)
    ));
}

#[test]
fn login_replaces_a_corrupt_file() {
    let f = fixture("login-corrupt");
    std::fs::create_dir_all(f.dir.path()).unwrap();
    std::fs::write(f.dir.token_path(SESSION), r#"{"accessToken": "x", "expi"#).unwrap();
    let login = f.login(at(T0));
    assert!(matches!(login.reason(), LoginReason::Corrupt(_)));
    let output = issued(r#"{"accessToken":"aoal-L","expiresIn":3600}"#);
    let registration = RegistrationInfo::new("c", ClientSecret::new("s"), at(T0 + 86_400));
    login
        .store(
            at(T0),
            &output,
            &registration,
            "https://x/start",
            "us-east-1",
        )
        .unwrap();
    let outcome = f.dir.read_token(SESSION).unwrap();
    assert!(outcome.warning.is_none());
    assert_eq!(outcome.token.unwrap().access_token.secret(), "aoal-L");
}

#[test]
fn forced_login_after_session_ended() {
    let f = fixture("forced").with_token(&refreshable(at(T0 + 120)));
    let err = f
        .refresh(at(T0))
        .finish_response(
            at(T0),
            &service_error(400, "InvalidGrantException", "invalid_grant"),
        )
        .unwrap_err();
    assert!(err.is_session_ended());
    let lock = f.provider.lock(Duration::from_secs(1)).unwrap();
    let login = f.provider.login(lock).unwrap();
    assert_eq!(login.reason(), &LoginReason::Requested);
    assert_eq!(login.previous().unwrap().access_token.secret(), "aoal-OLD");
    assert_eq!(login.lock().path(), f.dir.lock_path(SESSION));
    let output = issued(r#"{"accessToken":"aoal-AGAIN","expiresIn":3600}"#);
    let registration = RegistrationInfo::new("c2", ClientSecret::new("s2"), at(T0 + 86_400));
    let token = login
        .store(
            at(T0),
            &output,
            &registration,
            "https://x/start",
            "us-east-1",
        )
        .unwrap();
    assert_eq!(token.client_id.as_deref(), Some("c2"));
    assert_eq!(
        f.dir
            .read_token(SESSION)
            .unwrap()
            .token
            .unwrap()
            .access_token
            .secret(),
        "aoal-AGAIN"
    );
}

#[test]
fn a_token_that_cannot_be_saved_is_still_handed_back() {
    let f = fixture("not-saved");
    // A directory where the token file should go makes the write fail.
    std::fs::create_dir_all(f.dir.token_path(SESSION).join("x")).unwrap();
    let lock = f.provider.lock(Duration::from_secs(1)).unwrap();
    let login = f.provider.login(lock);
    // Reading a directory fails: the error names the path.
    let err = login.unwrap_err();
    assert!(matches!(err, TokenError::Cache(_)), "{err:?}");
    assert!(err
        .to_string()
        .contains(&f.dir.token_path(SESSION).display().to_string()));

    // Start from a good state, then break the file for the write.
    let g = fixture("not-saved-2").with_token(&refreshable(at(T0 + 120)));
    let refresh = g.refresh(at(T0));
    std::fs::remove_file(g.dir.token_path(SESSION)).unwrap();
    std::fs::create_dir_all(g.dir.token_path(SESSION).join("x")).unwrap();
    let reply = response(
        200,
        &[],
        r#"{"accessToken":"aoal-NEW","expiresIn":3600,"refreshToken":"Atrt|new"}"#,
    );
    let err = refresh.finish_response(at(T0), &reply).unwrap_err();
    assert!(matches!(err, TokenError::NotSaved { .. }), "{err:?}");
    assert!(err.to_string().contains("could not be saved"), "{err}");
    let token = err.into_still_valid().unwrap();
    assert_eq!(token.access_token.secret(), "aoal-NEW");
    assert_eq!(token.refresh_token.unwrap().secret(), "Atrt|new");
}

#[test]
fn registration_info_from_service_and_cache() {
    let output = register_client::parse(&response(
        200,
        &[],
        r#"{"clientId":"cid","clientSecret":"sec","clientIdIssuedAt":1704096000,"clientSecretExpiresAt":1711843200}"#,
    ))
    .unwrap();
    let info = RegistrationInfo::from(&output);
    assert_eq!(info.client_id, "cid");
    assert_eq!(info.client_secret.secret(), "sec");
    assert_eq!(info.expires_at, at(1_711_843_200));
    let cached = CachedRegistration::new("cid2", ClientSecret::new("sec2"), at(T0));
    let info = RegistrationInfo::from(&cached);
    assert_eq!(info.client_id, "cid2");
    assert_eq!(info.expires_at, at(T0));
    assert!(!format!("{info:?}").contains("sec2"));
}

#[test]
fn errors_never_print_secrets() {
    let f = fixture("redaction")
        .with_token(&refreshable(at(T0 + 120)).with_client_secret(ClientSecret::new("SECRET-CS")));
    let err = f
        .refresh(at(T0))
        .finish(at(T0), Err(transport(TransportErrorKind::Exchange)))
        .unwrap_err();
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains("SECRET-CS"), "{text}");
        assert!(!text.contains("Atrt|old"), "{text}");
        assert!(!text.contains("aoal-OLD"), "{text}");
    }
    let token = CachedToken::new(AccessToken::new("aoal-X"), at(T0));
    assert!(!format!("{:?}", Next::Ready(token)).contains("aoal-X"));
}

#[test]
fn handles_can_move_between_threads() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<TokenProvider>();
    sync::<TokenProvider>();
    send::<Next>();
    send::<Refresh>();
    send::<Login>();
    send::<crate::SessionLock>();
    send::<TokenError>();
    sync::<TokenError>();

    // A refresh started on one thread can be finished on another.
    let f = fixture("threads").with_token(&refreshable(at(T0 + 120)));
    let refresh = f.refresh(at(T0));
    let token = std::thread::spawn(move || {
        let reply = response(200, &[], r#"{"accessToken":"aoal-T","expiresIn":3600}"#);
        refresh.finish_response(at(T0), &reply)
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(token.access_token.secret(), "aoal-T");
}

#[test]
fn transport_failures_are_classified_by_kind() {
    // What failed decides whether a later attempt may help; the source is
    // kept for the message.
    let cases = [
        (TransportErrorKind::Connect, true),
        (TransportErrorKind::Exchange, true),
        (
            TransportErrorKind::Timeout {
                phase: TimeoutPhase::Read,
                after: Duration::from_secs(30),
            },
            true,
        ),
        (TransportErrorKind::Tls, false),
        (TransportErrorKind::Cancelled, false),
    ];
    for (kind, transient) in cases {
        let f = fixture("transport-kinds").with_token(&refreshable(at(T0 + 120)));
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "read timed out");
        let error = TransportError::new("CreateToken", kind.clone()).with_source(io);
        let err = f
            .refresh(at(T0))
            .finish(at(T0), Err(error.into()))
            .unwrap_err();
        match &err {
            TokenError::RefreshFailed {
                transient: t,
                cause: CoreError::Transport(cause),
                still_valid: Some(_),
            } => {
                assert_eq!(*t, transient, "{kind:?}");
                assert_eq!(cause.kind, kind);
                assert_eq!(cause.operation, "CreateToken");
                assert!(std::error::Error::source(cause).is_some());
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(err.is_transient(), transient, "{kind:?}");
    }
}

#[test]
fn login_reasons_explain_themselves() {
    assert_eq!(
        LoginReason::Absent.to_string(),
        "there is no cached SSO token"
    );
    assert!(LoginReason::Expired.to_string().contains("expired"));
    let f = fixture("reason-corrupt");
    std::fs::create_dir_all(f.dir.path()).unwrap();
    std::fs::write(f.dir.token_path(SESSION), "").unwrap();
    let login = f.login(at(T0));
    let text = login.reason().to_string();
    assert!(text.contains("the file is empty"), "{text}");
    assert!(
        text.contains(&f.dir.token_path(SESSION).display().to_string()),
        "{text}"
    );
}

#[test]
fn session_ended_hands_over_a_login_under_the_same_lock() {
    let f = fixture("finish-or-login").with_token(&refreshable(at(T0 + 120)));
    let refresh = f.refresh(at(T0));
    let outcome = refresh
        .finish_or_login(
            at(T0),
            create_token::parse(&service_error(
                400,
                "InvalidGrantException",
                "invalid_grant",
            )),
        )
        .unwrap();
    let Refreshed::LoginRequired { error, login } = outcome else {
        panic!("expected LoginRequired");
    };
    assert!(error.is_session_ended());
    assert_eq!(login.reason(), &LoginReason::SessionEnded);
    assert_eq!(login.previous().unwrap().access_token.secret(), "aoal-OLD");
    // Still locked: nobody else can sign in meanwhile.
    assert!(!f.lock_is_free());
    let output = issued(r#"{"accessToken":"aoal-NEXT","expiresIn":3600}"#);
    let registration = RegistrationInfo::new("c", ClientSecret::new("s"), at(T0 + 86_400));
    login
        .store(
            at(T0),
            &output,
            &registration,
            "https://x/start",
            "us-east-1",
        )
        .unwrap();
    assert!(f.lock_is_free());

    // Success and transient failures behave as with `finish`.
    let g = fixture("finish-or-login-ok").with_token(&refreshable(at(T0 + 120)));
    let reply = response(200, &[], r#"{"accessToken":"aoal-R","expiresIn":3600}"#);
    match g
        .refresh(at(T0))
        .finish_or_login(at(T0), create_token::parse(&reply))
        .unwrap()
    {
        Refreshed::Token(token) => assert_eq!(token.access_token.secret(), "aoal-R"),
        other => panic!("{other:?}"),
    }
    let h = fixture("finish-or-login-transient").with_token(&refreshable(at(T0 + 120)));
    let err = h
        .refresh(at(T0))
        .finish_or_login(at(T0), Err(transport(TransportErrorKind::Exchange)))
        .unwrap_err();
    assert!(err.is_transient());
    assert!(h.lock_is_free());
}

#[test]
fn a_refresh_given_up_keeps_the_lock_for_a_sign_in() {
    let f = fixture("into-lock").with_token(&refreshable(at(T0 + 120)));
    let before = f.file();
    let lock = f.refresh(at(T0)).into_lock();
    assert!(!f.lock_is_free(), "still held after giving up the refresh");
    let login = f.provider.login(lock).unwrap();
    assert_eq!(login.reason(), &LoginReason::Requested);
    assert_eq!(f.file(), before, "nothing written");
    drop(login);
    assert!(f.lock_is_free());
}
