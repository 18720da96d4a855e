//! What every command shares: one cancel token fired by Ctrl-C or by the
//! `--timeout` watchdog, the step in progress (so a timeout can say what
//! timed out), and the temporary directories to remove on every exit.
//!
//! Ctrl-C and the deadline first cancel the token, which ends every wait
//! of the library at once, so the command returns and drops (and removes)
//! what it made. A command blocked where a cancel cannot reach (inside one
//! network exchange, whose own timeouts are also bounded by `--timeout`) is
//! given a short grace; then the watchdog removes the temporary
//! directories itself and exits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use oidc_ureq::CancelToken;

use crate::exit;

/// How long a cancelled command may take to wind down by itself.
const GRACE: Duration = Duration::from_secs(3);

/// The shared state of one run.
#[derive(Clone)]
pub(crate) struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    cancel: CancelToken,
    /// Set by the watchdog when it cancels.
    timed_out: AtomicBool,
    /// Set by the Ctrl-C handler.
    interrupted: AtomicBool,
    /// Set when the command returned (the watchdog stands down).
    finished: CancelToken,
    step: Mutex<String>,
    temporary: Mutex<Vec<PathBuf>>,
    /// `None`: no deadline (the standalone emulator).
    timeout: Option<Duration>,
    started: Instant,
    /// Whether the Ctrl-C handler and the watchdog run (started on the
    /// first step that may wait: answers served from a warm cache start
    /// no thread).
    armed: AtomicBool,
    /// Whether the watchdog runs ([`Runtime::arm_deadline`]).
    watchdog: AtomicBool,
    /// A child of `exec` runs: signals are its business, and the
    /// `--timeout` no longer applies.
    child_running: AtomicBool,
}

impl Runtime {
    /// The run's shared state; nothing starts until [`Runtime::arm`].
    pub(crate) fn install(timeout_secs: Option<u64>) -> Runtime {
        let timeout = timeout_secs.map(Duration::from_secs);
        Runtime {
            inner: Arc::new(Inner {
                cancel: CancelToken::new(),
                timed_out: AtomicBool::new(false),
                interrupted: AtomicBool::new(false),
                finished: CancelToken::new(),
                step: Mutex::new("starting".to_owned()),
                temporary: Mutex::new(Vec::new()),
                timeout,
                started: Instant::now(),
                armed: AtomicBool::new(false),
                watchdog: AtomicBool::new(false),
                child_running: AtomicBool::new(false),
            }),
        }
    }

    /// Installs the Ctrl-C handler and starts the `--timeout` watchdog,
    /// once; every path that may wait (the network, a lock, a sign-in, a
    /// temporary directory) arms the runtime first.
    pub(crate) fn arm(&self) {
        if self.inner.armed.swap(true, Ordering::SeqCst) {
            return;
        }
        let for_handler = self.clone();
        // Without a handler Ctrl-C still ends the process (leaving at most
        // a temporary directory behind), so a failure here is not fatal.
        let _ = ctrlc::set_handler(move || for_handler.interrupt());
        self.arm_deadline();
    }

    /// Starts the `--timeout` watchdog alone, once (no Ctrl-C handler:
    /// until [`arm`](Self::arm), Ctrl-C ends the process, which has
    /// nothing to clean up yet). `main` starts it before any command reads
    /// a file, so that no read (the AWS config file on a stalled file
    /// system, say) outlives `--timeout`.
    pub(crate) fn arm_deadline(&self) {
        if self.inner.timeout.is_none() || self.inner.watchdog.swap(true, Ordering::SeqCst) {
            return;
        }
        let for_watchdog = self.clone();
        let _ = std::thread::Builder::new()
            .name("oidc-cli-watchdog".to_owned())
            .spawn(move || for_watchdog.watchdog());
    }

    fn interrupt(&self) {
        if self.inner.child_running.load(Ordering::SeqCst) {
            // The child got the terminal's signal itself; `exec` forwards
            // the others and returns the child's status.
            return;
        }
        if self.inner.interrupted.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: do not wait for the grace period.
            self.force_exit(exit::INTERRUPTED);
        }
        self.inner.cancel.cancel();
        let rt = self.clone();
        let _ = std::thread::Builder::new()
            .name("oidc-cli-grace".to_owned())
            .spawn(move || {
                if !rt.inner.finished.wait_until(Instant::now() + GRACE) {
                    rt.force_exit(exit::INTERRUPTED);
                }
            });
    }

    fn watchdog(&self) {
        let Some(timeout) = self.inner.timeout else {
            return;
        };
        let deadline = self.inner.started + timeout;
        if self.inner.finished.wait_until(deadline) {
            return;
        }
        if !self.inner.cancel.is_cancelled() {
            self.inner.timed_out.store(true, Ordering::SeqCst);
            self.inner.cancel.cancel();
        }
        if !self.inner.finished.wait_until(deadline + GRACE) {
            if self.is_timed_out() {
                eprintln!("oidc-cli: {}", crate::ui::shown(self.timeout_message()));
                self.force_exit(exit::NETWORK);
            }
            self.force_exit(exit::INTERRUPTED);
        }
    }

    fn force_exit(&self, code: u8) -> ! {
        self.remove_temporary();
        if code == exit::INTERRUPTED {
            eprintln!("\noidc-cli: interrupted");
        }
        std::process::exit(i32::from(code))
    }

    /// The token that Ctrl-C and the deadline fire.
    pub(crate) fn cancel(&self) -> &CancelToken {
        &self.inner.cancel
    }

    /// The options of every call and flow: cancelled by Ctrl-C and the
    /// deadline.
    pub(crate) fn options(&self) -> oidc_ureq::RunOptions {
        oidc_ureq::RunOptions::new().with_cancel(self.inner.cancel.clone())
    }

    /// The `--timeout` (a day when there is none).
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout.unwrap_or(Duration::from_secs(86_400))
    }

    /// Records what the command is doing now (for a timeout's message).
    pub(crate) fn step(&self, what: impl Into<String>) {
        *self
            .inner
            .step
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = what.into();
    }

    pub(crate) fn is_timed_out(&self) -> bool {
        self.inner.timed_out.load(Ordering::SeqCst)
    }

    pub(crate) fn is_interrupted(&self) -> bool {
        self.inner.interrupted.load(Ordering::SeqCst)
    }

    /// "timed out after 3 min while waiting for ..." .
    pub(crate) fn timeout_message(&self) -> String {
        let step = self
            .inner
            .step
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let timeout = self.timeout();
        format!(
            "timed out after {} while {step} (--timeout {}); try again, or give a longer --timeout",
            crate::ui::humanize(timeout),
            timeout.as_secs()
        )
    }

    /// Registers a temporary directory, removed at the end of the run
    /// whatever way it ends.
    pub(crate) fn register_temporary(&self, path: &Path) {
        self.arm();
        self.inner
            .temporary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(path.to_owned());
    }

    fn remove_temporary(&self) {
        let paths = std::mem::take(
            &mut *self
                .inner
                .temporary
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for path in paths {
            // Best effort: nothing else can be done at exit.
            let _ = std::fs::remove_dir_all(path);
        }
    }

    /// `exec` starts its child: the watchdog stands down (`--timeout`
    /// bounds getting the credentials, not the child) and Ctrl-C no longer
    /// ends this process.
    pub(crate) fn child_started(&self) {
        self.inner.child_running.store(true, Ordering::SeqCst);
        self.inner.finished.cancel();
    }

    /// The command has returned: stop the watchdog, remove what is left.
    pub(crate) fn finish(&self) {
        self.inner.finished.cancel();
        self.remove_temporary();
    }
}
