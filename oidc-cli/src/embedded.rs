//! The embedded emulator: a local IAM Identity Center on 127.0.0.1 so that
//! `oidc-cli login` runs offline, end to end, with nothing configured.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use oidc_emulator::{Emulator, EmulatorConfig};

use crate::target::BoxError;

/// How long the embedded emulator's access tokens live: inside the default
/// five-minute refresh window, so the demo shows a refresh right away.
pub(crate) const ACCESS_TOKEN_SECONDS: u32 = 240;

/// A running embedded emulator and the cache directory used with it.
pub(crate) struct Embedded {
    emulator: Emulator,
    cache_dir: PathBuf,
    /// Whether `cache_dir` is ours to delete at the end.
    temporary: bool,
    /// Whether a person approves in the browser (else a simulated user).
    manual: bool,
}

impl Embedded {
    /// Starts the emulator on an ephemeral loopback port. Without
    /// `cache_dir`, tokens go to a fresh temporary directory that is removed
    /// afterwards (never to the real AWS CLI cache).
    pub(crate) fn start(cache_dir: Option<PathBuf>, manual: bool) -> Result<Embedded, BoxError> {
        let config = EmulatorConfig::default()
            .with_interval(1)
            .with_access_token_expires_in(ACCESS_TOKEN_SECONDS);
        let emulator = Emulator::start(config)
            .map_err(|e| format!("cannot start the embedded emulator on 127.0.0.1: {e}"))?;
        let (cache_dir, temporary) = match cache_dir {
            Some(dir) => (dir, false),
            None => {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0);
                let dir = std::env::temp_dir()
                    .join(format!("oidc-cli-demo-{}-{nanos}", std::process::id()));
                (dir, true)
            }
        };
        Ok(Embedded {
            emulator,
            cache_dir,
            temporary,
            manual,
        })
    }

    pub(crate) fn base_url(&self) -> String {
        self.emulator.base_url()
    }

    pub(crate) fn start_url(&self) -> String {
        format!("{}/start", self.emulator.base_url())
    }

    pub(crate) fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    pub(crate) fn is_temporary(&self) -> bool {
        self.temporary
    }

    pub(crate) fn is_manual(&self) -> bool {
        self.manual
    }

    /// Plays the user who approves the device code in the browser.
    pub(crate) fn approve(&self, user_code: &str) -> bool {
        self.emulator.approve(user_code)
    }

    /// How many refresh-token grants reached the emulator.
    pub(crate) fn refreshes(&self) -> u64 {
        self.emulator.stats().create_token_refresh
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if self.temporary {
            // Best effort: a leftover directory in the temp dir is harmless.
            let _ = std::fs::remove_dir_all(&self.cache_dir);
        }
    }
}
