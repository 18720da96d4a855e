//! The AWS "standard" retry policy, pure.
//!
//! [`classify`] sorts a failed attempt into a [`RetryClass`];
//! [`RetryPolicy::decide`] says whether to try again and after how long,
//! given a random value the caller supplies (full jitter); [`RetryQuota`] is
//! the standard mode's token bucket, which stops retry storms when a service
//! is down.
//!
//! [`Call`](crate::call::Call) applies this policy to one call. The
//! [device flow](crate::device_flow) sends each poll once and counts
//! failed polls itself (`authorization_pending` and `slow_down` are its
//! states, not errors), so retries never stack.
//!
//! ```
//! use std::time::Duration;
//! use oidc_core::retry::{RetryClass, RetryDecision, RetryPolicy};
//!
//! let policy = RetryPolicy::default(); // 3 attempts, 1 s base, 20 s cap
//! // After the first attempt failed transiently, with the largest random value:
//! assert_eq!(
//!     policy.decide(1, RetryClass::Transient, u32::MAX),
//!     RetryDecision::RetryAfter(Duration::from_secs(1))
//! );
//! assert_eq!(policy.decide(3, RetryClass::Transient, 0), RetryDecision::GiveUp);
//! assert_eq!(policy.decide(1, RetryClass::NotRetryable, 0), RetryDecision::GiveUp);
//! ```

use std::time::Duration;

use crate::error::{Error, ErrorCode, ParseErrorKind};
use crate::transport_error::TransportErrorKind;
use crate::{portal, sso_oidc, sts};

/// How a failed attempt should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// The service is throttling: retry with back-off.
    Throttling,
    /// A transient failure (HTTP 500/502/503/504, a dropped connection, a
    /// truncated body): retry with back-off.
    Transient,
    /// The transport timed out: retry with back-off; costs more of the
    /// [`RetryQuota`].
    Timeout,
    /// Retrying cannot help.
    NotRetryable,
}

impl RetryClass {
    /// True for every class except [`RetryClass::NotRetryable`].
    pub fn is_retryable(self) -> bool {
        !matches!(self, RetryClass::NotRetryable)
    }
}

/// The throttling codes of the AWS standard retry mode.
pub const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Transient codes of the AWS standard retry mode.
pub const TRANSIENT_CODES: [&str; 2] = ["RequestTimeout", "RequestTimeoutException"];

/// HTTP statuses that are transient whatever the code.
pub const TRANSIENT_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// Classifies a response by its status and (sanitised) error code.
///
/// Modelled codes that mean "the service failed" (`InternalServerException`,
/// STS's `IDPCommunicationError`) are transient and throttling codes
/// (`TooManyRequestsException` and the standard list) are throttling; a
/// 429 whose code no model names counts as throttling (as botocore's
/// standard mode does); 500, 502, 503 and 504 are transient whatever the code.
pub fn classify_status(status: u16, code: Option<&ErrorCode>) -> RetryClass {
    match code {
        Some(ErrorCode::SsoOidc(sso_oidc::ErrorCode::InternalServer))
        | Some(ErrorCode::Sts(sts::ErrorCode::IdpCommunicationError)) => {
            return RetryClass::Transient
        }
        Some(ErrorCode::Portal(portal::ErrorCode::TooManyRequests)) => {
            return RetryClass::Throttling
        }
        Some(ErrorCode::Other(code)) if THROTTLING_CODES.contains(&code.as_str()) => {
            return RetryClass::Throttling
        }
        Some(ErrorCode::Other(code)) if TRANSIENT_CODES.contains(&code.as_str()) => {
            return RetryClass::Transient
        }
        _ => {}
    }
    if TRANSIENT_STATUSES.contains(&status) {
        return RetryClass::Transient;
    }
    if status == 429 && matches!(code, None | Some(ErrorCode::Other(_))) {
        return RetryClass::Throttling;
    }
    RetryClass::NotRetryable
}

/// Classifies an error returned by a `parse` function.
///
/// A 2xx body that is truncated counts as transient (the connection was
/// cut); other parse failures of a 2xx body are not retryable. Parse
/// failures of error responses follow the status.
pub fn classify(error: &Error) -> RetryClass {
    match error {
        Error::Service(e) => classify_status(e.status, Some(&e.code)),
        Error::Parse(e) if (200..300).contains(&e.status) => match e.kind {
            ParseErrorKind::Truncated { .. } => RetryClass::Transient,
            _ => RetryClass::NotRetryable,
        },
        Error::Parse(e) => classify_status(e.status, None),
        Error::Transport(e) => match e.kind {
            TransportErrorKind::Timeout { .. } => RetryClass::Timeout,
            TransportErrorKind::Connect | TransportErrorKind::Exchange => RetryClass::Transient,
            // Certificates, oversized bodies, refused URLs and cancels do
            // not heal by retrying.
            _ => RetryClass::NotRetryable,
        },
        _ => RetryClass::NotRetryable,
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum RetryDecision {
    /// Wait this long, then send the same request again.
    RetryAfter(Duration),
    /// Stop and return the error.
    GiveUp,
}

/// The standard retry schedule: at most `max_attempts` attempts, waiting
/// `random × min(max_backoff, initial_backoff × 2^(n-1))` after the n-th
/// failed attempt ("full jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (standard mode: 3). 1 disables
    /// retries.
    pub max_attempts: u32,
    /// Back-off base (standard mode: 1 s).
    pub initial_backoff: Duration,
    /// Back-off cap (standard mode: 20 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// A policy with `max_attempts` attempts and the standard back-off.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the back-off base and cap.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Decides after `attempts_made` attempts (1 after the first) failed
    /// with `class`. `random` is any uniformly random `u32` the caller drew;
    /// it scales the back-off from 0 (`0`) to the full value (`u32::MAX`).
    pub fn decide(&self, attempts_made: u32, class: RetryClass, random: u32) -> RetryDecision {
        if !class.is_retryable() || attempts_made >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        RetryDecision::RetryAfter(self.backoff(attempts_made, random))
    }

    /// The jittered back-off after `attempts_made` failed attempts.
    pub fn backoff(&self, attempts_made: u32, random: u32) -> Duration {
        let exponent = attempts_made.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let fraction = f64::from(random) / f64::from(u32::MAX);
        ceiling.mul_f64(fraction)
    }
}

/// The standard mode's retry token bucket, shared by all calls of a client.
///
/// Each retry takes tokens (5, or 10 after a timeout); a success returns
/// what its retries took (or 1 when it needed none), so a client stops
/// retrying when most calls fail and recovers as they succeed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryQuota {
    capacity: u32,
    available: u32,
}

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota::new(500)
    }
}

impl RetryQuota {
    /// Cost of a retry after a throttling or transient failure.
    pub const RETRY_COST: u32 = 5;
    /// Cost of a retry after a timeout.
    pub const TIMEOUT_RETRY_COST: u32 = 10;

    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        RetryQuota {
            capacity,
            available: capacity,
        }
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.available
    }

    /// Takes the cost of one retry of `class`; `None` means the bucket is
    /// empty and the caller must give up.
    pub fn acquire(&mut self, class: RetryClass) -> Option<u32> {
        let cost = match class {
            RetryClass::NotRetryable => return None,
            RetryClass::Timeout => Self::TIMEOUT_RETRY_COST,
            RetryClass::Throttling | RetryClass::Transient => Self::RETRY_COST,
        };
        self.available = self.available.checked_sub(cost)?;
        Some(cost)
    }

    /// Records a successful call; `spent` is what its retries acquired.
    pub fn release(&mut self, spent: u32) {
        let refund = if spent == 0 { 1 } else { spent };
        self.available = self.available.saturating_add(refund).min(self.capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Service;
    use crate::error::ServiceError;
    use crate::sso_oidc::ErrorCode as Oidc;

    fn service(status: u16, code: impl Into<ErrorCode>) -> Error {
        Error::Service(ServiceError::new(
            "CreateToken",
            Service::SsoOidc,
            status,
            code,
        ))
    }

    #[test]
    fn classification_table() {
        assert_eq!(
            classify(&service(500, Oidc::InternalServer)),
            RetryClass::Transient
        );
        for status in TRANSIENT_STATUSES {
            assert_eq!(
                classify(&service(status, ErrorCode::Other(status.to_string()))),
                RetryClass::Transient
            );
        }
        for code in THROTTLING_CODES {
            assert_eq!(
                classify(&service(400, ErrorCode::Other(code.into()))),
                RetryClass::Throttling
            );
        }
        assert_eq!(
            classify(&service(429, ErrorCode::Other("429".into()))),
            RetryClass::Throttling
        );
        assert_eq!(
            classify(&service(400, ErrorCode::Other("RequestTimeout".into()))),
            RetryClass::Transient
        );
        for code in Oidc::modelled().filter(|c| *c != Oidc::InternalServer) {
            assert_eq!(
                classify(&service(400, code)),
                RetryClass::NotRetryable,
                "{code}"
            );
        }
        // A modelled code with a 429 is not throttling; a 5xx status is
        // transient whatever the code.
        assert_eq!(
            classify(&service(429, Oidc::SlowDown)),
            RetryClass::NotRetryable
        );
        assert_eq!(
            classify(&service(503, Oidc::InvalidRequest)),
            RetryClass::Transient
        );
        assert_eq!(
            classify(&service(429, portal::ErrorCode::TooManyRequests)),
            RetryClass::Throttling
        );
        assert_eq!(
            classify(&service(400, sts::ErrorCode::IdpCommunicationError)),
            RetryClass::Transient
        );
        assert_eq!(
            classify(&service(400, sts::ErrorCode::ExpiredToken)),
            RetryClass::NotRetryable
        );
    }

    #[test]
    fn schedule_is_exponential_capped_and_jittered() {
        let p = RetryPolicy::default().with_max_attempts(10);
        assert_eq!(p.backoff(1, u32::MAX), Duration::from_secs(1));
        assert_eq!(p.backoff(2, u32::MAX), Duration::from_secs(2));
        assert_eq!(p.backoff(3, u32::MAX), Duration::from_secs(4));
        assert_eq!(p.backoff(6, u32::MAX), Duration::from_secs(20));
        assert_eq!(p.backoff(100, u32::MAX), Duration::from_secs(20));
        assert_eq!(p.backoff(3, 0), Duration::ZERO);
        let half = p.backoff(3, u32::MAX / 2);
        assert!(half > Duration::from_millis(1999) && half < Duration::from_millis(2001));
        assert_eq!(
            p.decide(10, RetryClass::Throttling, 7),
            RetryDecision::GiveUp
        );
        assert!(matches!(
            p.decide(9, RetryClass::Timeout, 7),
            RetryDecision::RetryAfter(_)
        ));
    }

    #[test]
    fn quota_drains_and_refills() {
        let mut q = RetryQuota::new(12);
        assert_eq!(q.acquire(RetryClass::Transient), Some(5));
        assert_eq!(q.acquire(RetryClass::Timeout), None);
        assert_eq!(q.acquire(RetryClass::Throttling), Some(5));
        assert_eq!(q.acquire(RetryClass::Throttling), None);
        assert_eq!(q.acquire(RetryClass::NotRetryable), None);
        q.release(5);
        q.release(0);
        assert_eq!(q.available(), 8);
        q.release(100);
        assert_eq!(q.available(), 12);
    }
}
