//! Helpers shared by the integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use oidc_host::oidc_core::cache::CachedToken;
use oidc_host::oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};

/// 2024-01-01T08:00:00Z.
pub const T0: u64 = 1_704_096_000;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// A fresh, empty, unique directory path (not created) under the system
/// temporary directory; removed when the guard drops.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "oidc-host-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A complete, refreshable token expiring at `expires_at` (registration
/// valid for a day after T0).
pub fn refreshable(expires_at: SystemTime) -> CachedToken {
    CachedToken::new(AccessToken::new("aoal-OLD"), expires_at)
        .with_start_url("https://my-sso-portal.awsapps.com/start")
        .with_region("us-east-1")
        .with_client_id("client-1")
        .with_client_secret(ClientSecret::new("cs-1"))
        .with_registration_expires_at(at(T0 + 86_400))
        .with_refresh_token(RefreshToken::new("Atrt|old"))
}

/// Captures `log` records so tests can check warnings.
struct Capture;

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS
            .lock()
            .unwrap()
            .push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

pub fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Warnings logged so far that mention `needle`.
pub fn warnings_mentioning(needle: &str) -> Vec<String> {
    RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, text)| *level == log::Level::Warn && text.contains(needle))
        .map(|(_, text)| text.clone())
        .collect()
}

/// Everything logged so far, at any level.
pub fn all_logs() -> Vec<String> {
    RECORDS
        .lock()
        .unwrap()
        .iter()
        .map(|(_, text)| text.clone())
        .collect()
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Sets the modification time of `path` (the cache uses a token file's
/// mtime as the time of the last refresh attempt by any process): tests in
/// virtual time put it on their own timeline.
pub fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// An error and its causes, as one line (`message: cause: cause`): each
/// error leaves its cause to `source()`, so the chain has no repeats.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
