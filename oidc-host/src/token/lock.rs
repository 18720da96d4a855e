//! The advisory cross-process session lock.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::HostError;
use crate::fs;

/// The shortest and longest pause between two `try_lock` attempts while
/// waiting for a lock.
const POLL_MIN: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_millis(50);

/// An exclusive advisory lock on one SSO session's cache entry, held by this
/// process until the value is dropped.
///
/// The lock is an operating-system file lock (`flock` on Unix, `LockFileEx`
/// on Windows) on `<token file>.lock` next to the token file. It is released
/// by the operating system when the process exits, even if it crashes, so a
/// stale lock can never block other processes. The lock file itself is left
/// in place (deleting it would let two processes lock two different files of
/// the same name).
///
/// Advisory means only cooperating programs (users of this crate) respect
/// it; the AWS CLI does not take it, which is why writes are also atomic.
#[derive(Debug)]
#[must_use = "the lock is released as soon as this value is dropped"]
pub struct SessionLock {
    file: File,
    path: PathBuf,
}

impl SessionLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock (same as dropping it).
    pub fn release(self) {
        drop(self);
    }

    /// Takes the lock if it is free right now; `Ok(None)` when another
    /// holder has it.
    pub(crate) fn try_acquire(path: PathBuf) -> Result<Option<SessionLock>, HostError> {
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(SessionLock { file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(HostError::io("lock", path, e)),
        }
    }

    /// Takes the lock, waiting at most `timeout` for another holder to
    /// release it.
    pub(crate) fn acquire(path: PathBuf, timeout: Duration) -> Result<SessionLock, HostError> {
        let file = open(&path)?;
        let start = Instant::now();
        let mut poll = LockPoll::new(path, timeout);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(SessionLock {
                        file,
                        path: poll.path,
                    })
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(HostError::io("lock", poll.path, e)),
            }
            let pause = poll.next_pause(start.elapsed())?;
            thread::sleep(pause);
        }
    }
}

/// The waiting schedule for a session lock: the pause starts at 5 ms and
/// doubles up to 50 ms, and never overshoots the timeout.
#[derive(Debug, Clone)]
pub(crate) struct LockPoll {
    path: PathBuf,
    timeout: Duration,
    pause: Duration,
}

impl LockPoll {
    pub(crate) fn new(path: PathBuf, timeout: Duration) -> LockPoll {
        LockPoll {
            path,
            timeout,
            pause: POLL_MIN,
        }
    }

    /// After an attempt that found the lock taken, having waited `waited`
    /// in all so far: how long to pause before the next attempt, or
    /// [`HostError::LockTimeout`] naming the lock file once `waited` has
    /// reached the timeout.
    pub(crate) fn next_pause(&mut self, waited: Duration) -> Result<Duration, HostError> {
        let Some(left) = self.timeout.checked_sub(waited).filter(|d| !d.is_zero()) else {
            return Err(HostError::LockTimeout {
                path: self.path.clone(),
                waited,
            });
        };
        let pause = self.pause.min(left);
        self.pause = (self.pause * 2).min(POLL_MAX);
        Ok(pause)
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the
        // release immediate even if the handle were shared.
        let _ = self.file.unlock();
    }
}

/// Opens (creating if needed, `0600` on Unix) the lock file, creating its
/// directory (`0700`) if needed.
fn open(path: &Path) -> Result<File, HostError> {
    if let Some(dir) = path.parent() {
        fs::ensure_dir(dir)?;
    }
    let file = fs::open_regular(
        path,
        fs::safe_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        "open the lock file",
    )?;
    file.ok_or_else(|| {
        HostError::io(
            "open the lock file",
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })
}
