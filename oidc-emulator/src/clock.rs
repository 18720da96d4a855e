//! The emulator's own clock.
//!
//! Emulator time is the real monotonic time elapsed since start-up plus an
//! offset that only ever grows (advanced through [`crate::Emulator::advance`]
//! or `POST /_emulator/advance`). Every expiry decision uses [`Clock::now`],
//! so tests can expire device codes, tokens and registrations without
//! sleeping. Wall-clock epoch values reported on the wire
//! (`clientIdIssuedAt`, `clientSecretExpiresAt`, portal credential
//! expirations) use [`Clock::epoch_secs`], i.e. `SystemTime::now()` plus the
//! same offset.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic emulator clock with an adjustable forward offset.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    /// Offset in milliseconds.
    offset_ms: AtomicU64,
}

impl Clock {
    /// A clock starting at zero with no offset.
    pub(crate) fn new() -> Self {
        Clock {
            start: Instant::now(),
            offset_ms: AtomicU64::new(0),
        }
    }

    /// Emulator time: elapsed since start plus the offset.
    pub(crate) fn now(&self) -> Duration {
        self.start.elapsed() + self.offset()
    }

    /// Current offset.
    pub(crate) fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the clock forward by `d` (saturating).
    pub(crate) fn advance(&self, d: Duration) {
        let add = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
                Some(cur.saturating_add(add))
            });
    }

    /// Wall-clock time (including the offset) as seconds since the Unix epoch.
    pub(crate) fn epoch_secs(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from((wall + self.offset()).as_secs()).unwrap_or(i64::MAX)
    }

    /// Wall-clock time (including the offset) as milliseconds since the epoch.
    pub(crate) fn epoch_millis(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        i64::try_from((wall + self.offset()).as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_and_epoch() {
        let c = Clock::new();
        let before = c.now();
        let epoch_before = c.epoch_secs();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() >= before + Duration::from_secs(3600));
        assert!(c.epoch_secs() >= epoch_before + 3600);
        assert_eq!(c.offset(), Duration::from_secs(3600));
    }

    #[test]
    fn advance_saturates() {
        let c = Clock::new();
        c.advance(Duration::MAX);
        c.advance(Duration::MAX);
        assert_eq!(c.offset(), Duration::from_millis(u64::MAX));
    }
}
