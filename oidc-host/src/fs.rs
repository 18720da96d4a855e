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

/// What a read does with a symbolic link at the path's last component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symlinks {
    /// Refuse it (cache files: a link could point the writer anywhere).
    Refuse,
    /// Follow it, and require what it points to to be a regular file (the
    /// AWS config file: users symlink their dotfiles, and the AWS CLI
    /// follows the link).
    Follow,
}

/// What is at a path instead of a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A symbolic link (refused where links are not followed).
    Symlink,
    /// A FIFO (named pipe): reading it would wait for a writer.
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// A character device (`/dev/zero`, a terminal): it may never end.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Anything else the platform has.
    Other,
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Symlink => "a symbolic link",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "of an unknown type",
        })
    }
}

impl FileKind {
    /// The kind of `file_type`; `None` for a regular file.
    fn of(file_type: fs::FileType) -> Option<FileKind> {
        if file_type.is_file() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return Some(FileKind::Fifo);
            }
            if file_type.is_socket() {
                return Some(FileKind::Socket);
            }
            if file_type.is_char_device() {
                return Some(FileKind::CharDevice);
            }
            if file_type.is_block_device() {
                return Some(FileKind::BlockDevice);
            }
        }
        Some(if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Other
        })
    }
}

/// Why [`read_regular`] read nothing.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Something other than a regular file is at the path (nothing was
    /// opened for reading, or only to inspect it).
    NotRegular(FileKind),
    /// The file is larger than the cap (nothing or only the cap was read).
    TooLarge,
    /// The operating system refused; `action` is what was being done.
    Io(&'static str, io::Error),
}

/// Opens `path` with `options` and accepts only a regular file: a symbolic
/// link, FIFO, socket, device or directory in its place is refused with
/// [`HostError::Unsafe`]. `Ok(None)` when nothing is there.
pub(crate) fn open_regular(
    path: &Path,
    options: &OpenOptions,
    action: &'static str,
) -> Result<Option<File>, HostError> {
    open_checked(path, options, Symlinks::Refuse, action).map_err(|e| unsafe_or_io(path, e))
}

/// The cache files' error for a [`ReadError`].
fn unsafe_or_io(path: &Path, e: ReadError) -> HostError {
    match e {
        ReadError::NotRegular(FileKind::Symlink) => HostError::Unsafe {
            path: path.to_owned(),
            reason: "it is a symbolic link",
        },
        ReadError::NotRegular(_) => HostError::Unsafe {
            path: path.to_owned(),
            reason: "it is not a regular file",
        },
        ReadError::TooLarge => HostError::io(
            "read",
            path,
            io::Error::new(io::ErrorKind::FileTooLarge, "the file is too large"),
        ),
        ReadError::Io(action, e) => HostError::io(action, path, e),
    }
}

/// The one safe open: `options` plus "never block on open" (`O_NONBLOCK`:
/// a FIFO opens at once instead of waiting for a writer; `O_NOCTTY`: a
/// terminal never becomes the controlling one) and, with
/// [`Symlinks::Refuse`], `O_NOFOLLOW`. The path is inspected before it is
/// opened (a device or FIFO is refused without being opened) and the open
/// file again (the path may have changed in between). `Ok(None)` when
/// nothing is there.
fn open_checked(
    path: &Path,
    options: &OpenOptions,
    symlinks: Symlinks,
    action: &'static str,
) -> Result<Option<File>, ReadError> {
    let before = match symlinks {
        Symlinks::Refuse => fs::symlink_metadata(path),
        Symlinks::Follow => fs::metadata(path),
    };
    match before {
        Ok(metadata) => {
            // A file about to be created is fine; anything else that is
            // there must be a regular file.
            if let Some(kind) = FileKind::of(metadata.file_type()) {
                return Err(ReadError::NotRegular(kind));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ReadError::Io("inspect", e)),
    }
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = options.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = match symlinks {
            Symlinks::Refuse => libc::O_NOFOLLOW,
            Symlinks::Follow => 0,
        };
        options.custom_flags(nofollow | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if symlinks == Symlinks::Refuse && is_symlink_refusal(&e) => {
            return Err(ReadError::NotRegular(FileKind::Symlink))
        }
        Err(e) => return Err(ReadError::Io(action, e)),
    };
    let metadata = file.metadata().map_err(|e| ReadError::Io("inspect", e))?;
    if let Some(kind) = FileKind::of(metadata.file_type()) {
        return Err(ReadError::NotRegular(kind));
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

/// Reads the regular file at `path`, at most `cap` bytes: the one bounded,
/// non-blocking read of the cache files and the AWS config file.
/// `Ok(None)` when nothing is there. Refuses (without reading) anything
/// but a regular file ([`open_checked`]; symbolic links as `symlinks`
/// says) and a file whose size is over `cap`; a file that grows past
/// `cap` while being read is refused after `cap + 1` bytes. The buffer is
/// zeroed when dropped.
pub(crate) fn read_regular(
    path: &Path,
    symlinks: Symlinks,
    cap: u64,
) -> Result<Option<SecretBytes>, ReadError> {
    let Some(file) = open_checked(path, OpenOptions::new().read(true), symlinks, "open")? else {
        return Ok(None);
    };
    let len = file
        .metadata()
        .map_err(|e| ReadError::Io("inspect", e))?
        .len();
    if len > cap {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io("read", e))?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge);
    }
    Ok(Some(bytes))
}

/// Reads a cache entry at `path` ([`read_regular`], symbolic links
/// refused, at most [`MAX_ENTRY_BYTES`], in a directory only this user can
/// write, as for writes); `Ok(None)` when it does not exist,
/// `Ok(Some(Err(())))` when it is too large.
pub(crate) fn read_bounded(path: &Path) -> Result<Option<Result<SecretBytes, ()>>, HostError> {
    // What a directory other users can write holds may have been planted:
    // it is refused for reading as it is for writing.
    if let Some(dir) = path.parent().filter(|d| d.is_dir()) {
        check_private_dir(dir)?;
    }
    match read_regular(path, Symlinks::Refuse, MAX_ENTRY_BYTES) {
        Ok(bytes) => Ok(bytes.map(Ok)),
        Err(ReadError::TooLarge) => Ok(Some(Err(()))),
        Err(e) => Err(unsafe_or_io(path, e)),
    }
}

/// The `*.json` files of `dir` (file name, contents), each read with
/// [`read_bounded`] (a symbolic link, FIFO, device or oversized file is
/// skipped, never waited on), sorted by name. A missing or unreadable
/// directory has none.
pub(crate) fn json_entries(dir: &Path) -> Vec<(String, SecretBytes)> {
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, SecretBytes)> = listing
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            if !name.ends_with(".json") {
                return None;
            }
            match read_bounded(&entry.path()) {
                Ok(Some(Ok(bytes))) => Some((name, bytes)),
                _ => None,
            }
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
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
