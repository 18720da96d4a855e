//! What a hostile local file system gets: FIFOs, symbolic links and
//! foreign-writable directories are refused (never a hang, never a write of
//! secrets), and temporary files left by a crash are cleaned up.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use oidc_host::oidc_core::cache::CachedToken;
use oidc_host::oidc_core::secret::AccessToken;
use oidc_host::{CacheDir, HostError};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("oidc-host-hardening-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn token() -> CachedToken {
    CachedToken::new(
        AccessToken::new("aoal-secret-token"),
        SystemTime::now() + Duration::from_secs(3600),
    )
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Runs `f` on a thread and fails the test if it does not return in time
/// (a FIFO opened for reading blocks forever without O_NONBLOCK).
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("returned instead of hanging")
}

#[test]
fn a_fifo_at_the_token_path_is_refused_without_hanging() {
    let dir = scratch("fifo");
    let cache = CacheDir::new(&dir);
    mkfifo(&cache.token_path("s"));
    let result = bounded(move || cache.read_token("s").map(|o| o.token.is_some()));
    assert!(
        matches!(result, Err(HostError::Unsafe { .. })),
        "{result:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fifo_at_the_lock_path_is_refused_without_hanging() {
    let dir = scratch("fifo-lock");
    let cache = CacheDir::new(&dir);
    mkfifo(&cache.lock_path("s"));
    let result = bounded(move || cache.lock("s", Duration::from_secs(1)).map(|_| ()));
    assert!(
        matches!(result, Err(HostError::Unsafe { .. })),
        "{result:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_symbolic_link_at_the_token_path_is_not_followed() {
    let dir = scratch("symlink");
    let cache = CacheDir::new(&dir);
    let elsewhere = dir.join("elsewhere.json");
    cache.write_token("other", &token()).unwrap();
    fs::rename(cache.token_path("other"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache.token_path("s")).unwrap();
    let result = cache.read_token("s");
    assert!(
        matches!(result, Err(HostError::Unsafe { .. })),
        "{result:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secrets_are_not_written_into_a_directory_others_can_write() {
    let dir = scratch("shared");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let cache = CacheDir::new(&dir);
    let result = cache.write_token("s", &token());
    assert!(
        matches!(result, Err(HostError::Unsafe { .. })),
        "{result:?}"
    );
    assert!(!cache.token_path("s").exists());
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    cache.write_token("s", &token()).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn temporary_files_left_by_a_crash_are_removed_by_the_next_write() {
    let dir = scratch("stale");
    let cache = CacheDir::new(&dir);
    let path = cache.token_path("s");
    let mut stale_name = path.file_name().unwrap().to_os_string();
    stale_name.push(".tmp.999999.7");
    let stale = path.with_file_name(stale_name);
    fs::write(&stale, b"{\"accessToken\":\"leftover-secret\"}").unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let mut fresh_name = path.file_name().unwrap().to_os_string();
    fresh_name.push(".tmp.999999.8");
    let fresh = path.with_file_name(fresh_name);
    fs::write(&fresh, b"in progress").unwrap();

    cache.write_token("s", &token()).unwrap();
    assert!(!stale.exists(), "the stale temporary file was removed");
    assert!(
        fresh.exists(),
        "a write in progress elsewhere is left alone"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// Listing the caches (`status`, `logout --all`) reads each `*.json` file
/// as any cache entry is read: a FIFO or a symbolic link to a device under
/// such a name is skipped at once, never waited on or read.
#[test]
fn listing_the_caches_skips_fifos_and_devices() {
    use oidc_host::oidc_core::cache::credentials::CachedCredentials;
    use oidc_host::oidc_core::Credentials;
    use oidc_host::CredentialsCacheDir;

    let dir = scratch("listing");
    let cache = CacheDir::new(&dir);
    cache.write_token("s", &token()).unwrap();
    mkfifo(&dir.join("fifo.json"));
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.json")).unwrap();
    let creds = CredentialsCacheDir::new(dir.join("cli"));
    creds
        .write(
            "sso-entry.json",
            &CachedCredentials::sso(Credentials::new("ASIAEXAMPLE", "secret")),
        )
        .unwrap();
    mkfifo(&dir.join("cli").join("fifo.json"));

    let (tx, rx) = mpsc::channel();
    let listing = cache.clone();
    std::thread::spawn(move || {
        let tokens = listing.tokens();
        let removed = creds.remove_sso_entries();
        let _ = tx.send((tokens.len(), removed));
    });
    let (tokens, removed) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("listing a cache with a FIFO in it must not block");
    assert_eq!(tokens, 1);
    assert_eq!(removed, 1);
    assert!(
        dir.join("cli").join("fifo.json").exists(),
        "not an entry: left alone"
    );
    fs::remove_dir_all(&dir).unwrap();
}
