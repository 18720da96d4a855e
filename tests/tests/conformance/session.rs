//! A session's token: the cache, refresh, sign-in, re-registration, the lock.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
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
            .expect("cancelled")
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
