//! The pure "should this cached token be refreshed?" decision.

use std::time::{Duration, SystemTime};

use super::CachedToken;

/// When to refresh a cached token.
///
/// The defaults follow aws-sdk-rust's `SsoTokenProvider`: refresh once less
/// than **5 minutes** remain (`REFRESH_BUFFER_TIME`), at most one attempt
/// every **30 seconds** (`MIN_TIME_BETWEEN_REFRESH`).
///
/// Why not botocore's 15 minutes: botocore pairs its 15-minute window with a
/// two-stage scheme (advisory refresh below 15 min whose failure is ignored,
/// mandatory below 10 min) and a 60 s throttle. This crate has a single
/// window; 5 minutes still leaves about ten throttled attempts (every 30 s)
/// before the token expires, and a refresh that fails transiently keeps using
/// the still-valid old token. A longer window only refreshes earlier without
/// making the token last longer, and matching aws-sdk-rust keeps two Rust
/// tools sharing one cache file in step. The window is configurable.
///
/// Note this is unrelated to `aws sso login`, which reuses a cached token
/// only if more than 15 minutes remain and otherwise logs in again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh when `expires_at - refresh_window <= now`. Default 5 min.
    pub refresh_window: Duration,
    /// Minimum time between two refresh attempts. Default 30 s.
    pub min_time_between_attempts: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            refresh_window: Duration::from_secs(5 * 60),
            min_time_between_attempts: Duration::from_secs(30),
        }
    }
}

/// What to do with a cached token; see [`refresh_decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshDecision {
    /// Outside the refresh window: use the token as is.
    Fresh,
    /// Inside the window (or expired) and refreshable: run the refresh-token
    /// grant now.
    RefreshNow {
        /// Whether the old token has not yet expired, i.e. may still be used
        /// if the refresh fails transiently. When `false` a failed refresh
        /// means "token expired, run login again".
        still_valid: bool,
    },
    /// Inside the window and refreshable, but the last attempt was less than
    /// [`RefreshPolicy::min_time_between_attempts`] ago: do not call the
    /// service; use the old token if it is still valid
    /// ([`CachedToken::is_expired`]), otherwise fail for now.
    Throttled,
    /// Expired and not refreshable: an interactive login is needed.
    Expired,
    /// Inside the window and still valid, but not refreshable: use it until
    /// it expires (then log in again).
    ExpiringNotRefreshable,
}

/// Decides what to do with `token` at `now`.
///
/// With `expired = expires_at <= now`, `in_window = expires_at -
/// refresh_window <= now` and refreshable as in
/// [`CachedToken::is_refreshable`] (`refreshToken`, `clientId`,
/// `clientSecret`, `registrationExpiresAt` present and `registrationExpiresAt
/// > now`):
///
/// | in window | refreshable | throttled | expired | decision |
/// |---|---|---|---|---|
/// | no | – | – | – | [`Fresh`](RefreshDecision::Fresh) |
/// | yes | no | – | no | [`ExpiringNotRefreshable`](RefreshDecision::ExpiringNotRefreshable) |
/// | yes | no | – | yes | [`Expired`](RefreshDecision::Expired) |
/// | yes | yes | yes | – | [`Throttled`](RefreshDecision::Throttled) |
/// | yes | yes | no | – | [`RefreshNow { still_valid: !expired }`](RefreshDecision::RefreshNow) |
///
/// `last_attempt` is when the caller last tried to refresh this token
/// (successfully or not). It counts as throttling when it lies less than
/// `min_time_between_attempts` before `now` — or less than that *after*
/// `now`, which happens when the clock was set back; a last attempt further
/// in the future is ignored so that a clock correction cannot suppress
/// refreshes indefinitely.
///
/// ```rust
/// use std::time::{Duration, SystemTime};
/// use oidc_core::cache::{refresh_decision, CachedToken, RefreshDecision, RefreshPolicy};
/// use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000);
/// let token = CachedToken::new(AccessToken::new("at"), now + Duration::from_secs(120))
///     .with_client_id("client")
///     .with_client_secret(ClientSecret::new("cs"))
///     .with_registration_expires_at(now + Duration::from_secs(86_400))
///     .with_refresh_token(RefreshToken::new("rt"));
/// let policy = RefreshPolicy::default();
///
/// assert_eq!(
///     refresh_decision(&token, now, None, &policy),
///     RefreshDecision::RefreshNow { still_valid: true }
/// );
/// let ten_seconds_ago = now - Duration::from_secs(10);
/// assert_eq!(
///     refresh_decision(&token, now, Some(ten_seconds_ago), &policy),
///     RefreshDecision::Throttled
/// );
/// ```
pub fn refresh_decision(
    token: &CachedToken,
    now: SystemTime,
    last_attempt: Option<SystemTime>,
    policy: &RefreshPolicy,
) -> RefreshDecision {
    let expired = token.is_expired(now);
    let in_window = match token.expires_at.checked_sub(policy.refresh_window) {
        Some(start) => start <= now,
        // The window reaches back beyond what SystemTime can represent.
        None => true,
    };
    if !in_window {
        return RefreshDecision::Fresh;
    }
    if !token.is_refreshable(now) {
        return if expired {
            RefreshDecision::Expired
        } else {
            RefreshDecision::ExpiringNotRefreshable
        };
    }
    let throttled = last_attempt.is_some_and(|last| {
        let distance = match now.duration_since(last) {
            Ok(elapsed) => elapsed,
            Err(ahead) => ahead.duration(),
        };
        distance < policy.min_time_between_attempts
    });
    if throttled {
        RefreshDecision::Throttled
    } else {
        RefreshDecision::RefreshNow {
            still_valid: !expired,
        }
    }
}
