//! File-system primitives: private directory, private files, atomic
//! replacement, bounded reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::error::HostError;

/// File contents that may hold secrets: zeroed when dropped.
pub(crate) type SecretBytes = Zeroizing<Vec<u8>>;

/// Temporary files older than this are leftovers of a crashed write (a
/// write takes milliseconds) and are removed by the next write.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

/// Cache entries are a few hundred bytes; anything larger than this is not
/// a cache entry and is not read into memory.
pub(crate) const MAX_ENTRY_BYTES: u64 = 1 << 20;

/// Suffix of temporary files: `<name>.tmp.<pid>.<counter>`.
pub(crate) const TEMP_MARKER: &str = ".tmp.";

/// Creates `dir` (and missing parents) if needed; on Unix the directories
/// this call creates get mode `0700`. An existing directory's mode is left
/// alone (it may be shared on purpose, and the files inside are `0600`).
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), HostError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| HostError::io("create the directory", dir, e))
}

/// Options for creating a private (`0600` on Unix) file.
#[cfg_attr(not(unix), allow(unused_mut))]
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Options that never follow a symbolic link at the last path component
/// and never block on open (a FIFO or device in the cache directory must
/// not hang the reader).
#[cfg_attr(not(unix), allow(unused_mut))]
pub(crate) fn safe_options() -> OpenOptions {
    let mut options = private_options();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options
}

/// Opens `path` with `options` and accepts only a regular file: a symbolic
/// link, FIFO, socket, device or directory in its place is refused with
/// [`HostError::Unsafe`]. `Ok(None)` when nothing is there.
pub(crate) fn open_regular(
    path: &Path,
    options: &OpenOptions,
    action: &'static str,
) -> Result<Option<File>, HostError> {
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if is_symlink_refusal(&e) => {
            return Err(HostError::Unsafe {
                path: path.to_owned(),
                reason: "it is a symbolic link",
            })
        }
        Err(e) => return Err(HostError::io(action, path, e)),
    };
    let metadata = file
        .metadata()
        .map_err(|e| HostError::io("inspect", path, e))?;
    if !metadata.file_type().is_file() {
        return Err(HostError::Unsafe {
            path: path.to_owned(),
            reason: "it is not a regular file",
        });
    }
    Ok(Some(file))
}

fn is_symlink_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Reads `path`; `Ok(None)` when it does not exist. Files larger than
/// [`MAX_ENTRY_BYTES`] come back as `Err(Ok(len))`. Only a regular file is
/// read ([`open_regular`]); the buffer is zeroed when dropped.
pub(crate) fn read_bounded(path: &Path) -> Result<Option<Result<SecretBytes, u64>>, HostError> {
    let Some(file) = open_regular(path, safe_options().read(true), "open")? else {
        return Ok(None);
    };
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| HostError::io("read", path, e))?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Ok(Some(Err(bytes.len() as u64)));
    }
    Ok(Some(Ok(bytes)))
}

/// Checks that secrets may be written into `dir`: on Unix the directory
/// must belong to this user and not be writable by group or others
/// (anyone who can write the directory can swap the files in it).
pub(crate) fn check_private_dir(dir: &Path) -> Result<(), HostError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = fs::metadata(dir).map_err(|e| HostError::io("inspect", dir, e))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        #[allow(unsafe_code)]
        let me = unsafe { libc::geteuid() };
        let reason = if metadata.uid() != me {
            Some("it belongs to another user")
        } else if metadata.mode() & 0o022 != 0 {
            Some("it is writable by other users (fix with `chmod go-w`)")
        } else {
            None
        };
        if let Some(reason) = reason {
            log::warn!("refusing to write secrets into {}: {reason}", dir.display());
            return Err(HostError::Unsafe {
                path: dir.to_owned(),
                reason,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes temporary files of `path` left behind by a crashed write
/// (`<name>.tmp.*` older than a minute). Best effort.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let mut prefix = name.to_os_string();
    prefix.push(TEMP_MARKER);
    let prefix = prefix.to_string_lossy().into_owned();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        if !entry_name.to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a new private temporary file in the
/// same directory is written and flushed to disk, then renamed over `path`,
/// then the directory is flushed. On any failure the temporary file is
/// removed and `path` keeps its previous contents.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    check_private_dir(dir)?;
    replace_file(path, bytes)
}

/// [`write_atomic`] for a file that holds no secret (the AWS config
/// file): the directory may be shared.
pub(crate) fn write_atomic_public(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    ensure_dir(path.parent().unwrap_or(Path::new(".")))?;
    replace_file(path, bytes)
}

fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    remove_stale_temps(path);
    let (temp_path, mut file) = create_temp(path)?;
    let result = (|| {
        file.write_all(bytes)
            .map_err(|e| HostError::io("write", &temp_path, e))?;
        file.sync_all()
            .map_err(|e| HostError::io("flush to disk", &temp_path, e))?;
        drop(file);
        fs::rename(&temp_path, path).map_err(|e| HostError::io("replace", path, e))
    })();
    if let Err(e) = result {
        // Best effort: the temporary file holds secrets and is useless now.
        let _ = fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_dir(dir);
    Ok(())
}

/// Creates a fresh temporary file next to `path` (never reusing an existing
/// file, whatever it contains).
fn create_temp(path: &Path) -> Result<(PathBuf, File), HostError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{TEMP_MARKER}{}.", std::process::id()));
    let mut last_error = None;
    for _ in 0..64 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut candidate = name.clone();
        candidate.push(n.to_string());
        let temp_path = path.with_file_name(candidate);
        match private_options()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(HostError::io("create", temp_path, e)),
        }
    }
    let e = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(HostError::io("create a temporary file for", path, e))
}

/// Flushes a directory entry change (the rename) to disk. Only meaningful on
/// Unix; elsewhere directories cannot be opened for syncing.
///
/// The rename has already happened when this runs, so a failure (some file
/// systems refuse to sync directories) is logged rather than reported as a
/// failed write.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|handle| handle.sync_all()) {
        log::warn!(
            "could not flush the directory {} to disk: {e}",
            dir.display()
        );
    }
    #[cfg(not(unix))]
    let _ = dir;
}
