//! The embedded emulator: a local IAM Identity Center (OIDC, portal, STS)
//! on 127.0.0.1, with a temporary home directory for its caches, so that
//! `oidc-cli login` runs offline, end to end, with nothing configured.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use oidc_emulator::{Emulator, EmulatorConfig};

use crate::runtime::Runtime;
use crate::target::BoxError;

/// The emulator's region.
pub(crate) const REGION: &str = "us-east-1";

/// A running embedded emulator.
pub(crate) struct Embedded {
    emulator: Emulator,
    /// Whether a person approves in the browser (else a simulated user).
    manual: bool,
}

impl Embedded {
    /// Starts the emulator on an ephemeral loopback port.
    pub(crate) fn start(manual: bool) -> Result<Embedded, BoxError> {
        let emulator = Emulator::start(EmulatorConfig::default().with_interval(1))
            .map_err(|e| format!("cannot start the embedded emulator on 127.0.0.1: {e}"))?;
        Ok(Embedded { emulator, manual })
    }

    pub(crate) fn base_url(&self) -> String {
        self.emulator.base_url()
    }

    pub(crate) fn start_url(&self) -> String {
        format!("{}/start", self.emulator.base_url())
    }

    pub(crate) fn is_manual(&self) -> bool {
        self.manual
    }

    /// Plays the user who approves the device code in the browser.
    pub(crate) fn approve(&self, user_code: &str) -> bool {
        self.emulator.approve(user_code)
    }
}

/// A private temporary directory, removed when dropped and, should the
/// process be stopped first, by the runtime at exit.
pub(crate) struct TempHome {
    path: PathBuf,
}

impl TempHome {
    pub(crate) fn create(rt: &Runtime) -> Result<TempHome, BoxError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("oidc-cli-demo-{}-{nanos}", std::process::id()));
        rt.register_temporary(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&path)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        Ok(TempHome { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        // Best effort: the runtime tries again at exit.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
