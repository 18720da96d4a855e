//! The refresh decision table, including its boundaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::cache::{refresh_decision, CachedToken, RefreshDecision, RefreshPolicy};
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use proptest::prelude::*;

/// 2024-01-01T08:00:00Z: the token's expiry in these tests.
const EXP: u64 = 1_704_096_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn refreshable(registration_expires_at: SystemTime) -> CachedToken {
    CachedToken::new(AccessToken::new("at"), at(EXP))
        .with_client_id("client")
        .with_client_secret(ClientSecret::new("cs"))
        .with_registration_expires_at(registration_expires_at)
        .with_refresh_token(RefreshToken::new("rt"))
}

fn not_refreshable() -> CachedToken {
    CachedToken::new(AccessToken::new("at"), at(EXP))
}

fn decide(token: &CachedToken, now: SystemTime, last: Option<SystemTime>) -> RefreshDecision {
    refresh_decision(token, now, last, &RefreshPolicy::default())
}

const WINDOW_START: u64 = EXP - 300;

#[test]
fn defaults() {
    let policy = RefreshPolicy::default();
    assert_eq!(policy.refresh_window, Duration::from_secs(300));
    assert_eq!(policy.min_time_between_attempts, Duration::from_secs(30));
}

#[test]
fn window_boundaries_refreshable() {
    let token = refreshable(at(EXP + 86_400));
    assert_eq!(decide(&token, at(0), None), RefreshDecision::Fresh);
    assert_eq!(
        decide(&token, at(WINDOW_START) - Duration::from_nanos(1), None),
        RefreshDecision::Fresh
    );
    // Exactly at the start of the window: refresh.
    assert_eq!(
        decide(&token, at(WINDOW_START), None),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    assert_eq!(
        decide(&token, at(EXP) - Duration::from_nanos(1), None),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    // Exactly at expiry: expired.
    assert_eq!(
        decide(&token, at(EXP), None),
        RefreshDecision::RefreshNow { still_valid: false }
    );
    assert_eq!(
        decide(&token, at(EXP + 3600), None),
        RefreshDecision::RefreshNow { still_valid: false }
    );
}

#[test]
fn window_boundaries_not_refreshable() {
    let token = not_refreshable();
    assert_eq!(
        decide(&token, at(WINDOW_START) - Duration::from_nanos(1), None),
        RefreshDecision::Fresh
    );
    assert_eq!(
        decide(&token, at(WINDOW_START), None),
        RefreshDecision::ExpiringNotRefreshable
    );
    assert_eq!(
        decide(&token, at(EXP) - Duration::from_nanos(1), None),
        RefreshDecision::ExpiringNotRefreshable
    );
    assert_eq!(decide(&token, at(EXP), None), RefreshDecision::Expired);
    assert_eq!(decide(&token, at(EXP + 1), None), RefreshDecision::Expired);
}

#[test]
fn each_missing_member_prevents_refresh() {
    let now = at(EXP + 1);
    let base = refreshable(at(EXP + 86_400));
    let mut variants = Vec::new();
    let mut t = base.clone();
    t.refresh_token = None;
    variants.push(t);
    let mut t = base.clone();
    t.client_id = None;
    variants.push(t);
    let mut t = base.clone();
    t.client_secret = None;
    variants.push(t);
    let mut t = base.clone();
    t.registration_expires_at = None;
    variants.push(t);
    for token in &variants {
        assert!(!token.is_refreshable(now));
        assert_eq!(decide(token, now, None), RefreshDecision::Expired);
        assert_eq!(
            decide(token, at(EXP - 1), None),
            RefreshDecision::ExpiringNotRefreshable
        );
    }
    assert!(base.is_refreshable(now));
}

#[test]
fn registration_expiry_boundary() {
    let now = at(EXP - 60);
    // registrationExpiresAt must be strictly after now.
    let token = refreshable(now);
    assert_eq!(
        decide(&token, now, None),
        RefreshDecision::ExpiringNotRefreshable
    );
    let token = refreshable(now + Duration::from_nanos(1));
    assert_eq!(
        decide(&token, now, None),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    // Registration expired, token expired: interactive login.
    let token = refreshable(at(EXP - 3600));
    assert_eq!(decide(&token, at(EXP), None), RefreshDecision::Expired);
}

#[test]
fn throttle() {
    let token = refreshable(at(EXP + 86_400));
    let now = at(EXP - 60);
    let d = |s: u64| Duration::from_secs(s);
    assert_eq!(
        decide(&token, now, Some(now - d(1))),
        RefreshDecision::Throttled
    );
    assert_eq!(decide(&token, now, Some(now)), RefreshDecision::Throttled);
    assert_eq!(
        decide(&token, now, Some(now - d(30) + Duration::from_nanos(1))),
        RefreshDecision::Throttled
    );
    // Exactly the minimum interval ago: allowed again.
    assert_eq!(
        decide(&token, now, Some(now - d(30))),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    assert_eq!(
        decide(&token, now, Some(now - d(3600))),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    // Throttled also when already expired (caller then fails for now).
    assert_eq!(
        decide(&token, at(EXP + 5), Some(at(EXP))),
        RefreshDecision::Throttled
    );
    // Clock set back slightly: still throttled; far back: not.
    assert_eq!(
        decide(&token, now, Some(now + d(10))),
        RefreshDecision::Throttled
    );
    assert_eq!(
        decide(&token, now, Some(now + d(3600))),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    // Throttling is irrelevant outside the window or when not refreshable.
    assert_eq!(decide(&token, at(0), Some(at(0))), RefreshDecision::Fresh);
    assert_eq!(
        decide(&not_refreshable(), at(EXP), Some(at(EXP))),
        RefreshDecision::Expired
    );
}

#[test]
fn custom_policy() {
    let token = refreshable(at(EXP + 86_400));
    let botocore_like = RefreshPolicy {
        refresh_window: Duration::from_secs(900),
        min_time_between_attempts: Duration::from_secs(60),
    };
    let now = at(EXP - 600);
    assert_eq!(
        refresh_decision(&token, now, None, &RefreshPolicy::default()),
        RefreshDecision::Fresh
    );
    assert_eq!(
        refresh_decision(&token, now, None, &botocore_like),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    assert_eq!(
        refresh_decision(
            &token,
            now,
            Some(now - Duration::from_secs(45)),
            &botocore_like
        ),
        RefreshDecision::Throttled
    );
    // Zero window: refresh only once expired.
    let zero = RefreshPolicy {
        refresh_window: Duration::ZERO,
        min_time_between_attempts: Duration::ZERO,
    };
    assert_eq!(
        refresh_decision(&token, at(EXP - 1), None, &zero),
        RefreshDecision::Fresh
    );
    assert_eq!(
        refresh_decision(&token, at(EXP), Some(at(EXP)), &zero),
        RefreshDecision::RefreshNow { still_valid: false }
    );
    // A window larger than representable time does not panic.
    let huge = RefreshPolicy {
        refresh_window: Duration::MAX,
        min_time_between_attempts: Duration::MAX,
    };
    assert_eq!(
        refresh_decision(&token, at(0), None, &huge),
        RefreshDecision::RefreshNow { still_valid: true }
    );
}

#[test]
fn refresh_then_decide_again() {
    let token = refreshable(at(EXP + 86_400));
    let now = at(EXP - 10);
    assert_eq!(
        decide(&token, now, None),
        RefreshDecision::RefreshNow { still_valid: true }
    );
    let new = token.refreshed(AccessToken::new("new"), 3600, None, now);
    assert_eq!(decide(&new, now, Some(now)), RefreshDecision::Fresh);
}

proptest! {
    #[test]
    fn decision_is_consistent(
        exp_offset in -10_000i64..10_000,
        reg_offset in proptest::option::of(-10_000i64..10_000),
        last_offset in proptest::option::of(-100i64..100),
        has_refresh in any::<bool>(),
    ) {
        let now = at(EXP);
        let shift = |o: i64| if o >= 0 {
            now + Duration::from_secs(o.unsigned_abs())
        } else {
            now - Duration::from_secs(o.unsigned_abs())
        };
        let mut token = CachedToken::new(AccessToken::new("at"), shift(exp_offset))
            .with_client_id("c")
            .with_client_secret(ClientSecret::new("s"));
        token.registration_expires_at = reg_offset.map(shift);
        if has_refresh {
            token.refresh_token = Some(RefreshToken::new("r"));
        }
        let decision = decide(&token, now, last_offset.map(shift));
        let expired = exp_offset <= 0;
        let in_window = exp_offset <= 300;
        let can_refresh = has_refresh && reg_offset.is_some_and(|r| r > 0);
        let throttled = last_offset.is_some_and(|l| l.abs() < 30);
        let expected = match (in_window, can_refresh, throttled, expired) {
            (false, ..) => RefreshDecision::Fresh,
            (true, false, _, true) => RefreshDecision::Expired,
            (true, false, _, false) => RefreshDecision::ExpiringNotRefreshable,
            (true, true, true, _) => RefreshDecision::Throttled,
            (true, true, false, e) => RefreshDecision::RefreshNow { still_valid: !e },
        };
        prop_assert_eq!(decision, expected);
    }
}
