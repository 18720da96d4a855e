//! The session lock across processes.
//!
//! This test binary has no libtest harness: run without
//! `OIDC_HOST_LOCK_CHILD` it is the parent and runs the checks below,
//! spawning itself as the child process; with the variable set it plays the
//! child role named by its value. Every wait is bounded.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use oidc_host::oidc_core::cache::CachedToken;
use oidc_host::oidc_core::secret::AccessToken;
use oidc_host::{CacheDir, HostError};

const ROLE: &str = "OIDC_HOST_LOCK_CHILD";
const DIR: &str = "OIDC_HOST_LOCK_DIR";
const SESSION: &str = "my-sso";
const INCREMENTS: u32 = 25;

fn main() {
    match std::env::var(ROLE).ok().as_deref() {
        Some("hold") => child_hold(),
        Some("probe") => child_probe(),
        Some("increment") => child_increment(),
        Some(other) => panic!("unknown child role {other}"),
        None => {
            let checks: [(&str, fn()); 4] = [
                (
                    "lock_held_by_child_blocks_parent",
                    lock_held_by_child_blocks_parent,
                ),
                (
                    "lock_held_by_parent_blocks_child",
                    lock_held_by_parent_blocks_child,
                ),
                (
                    "lock_released_when_child_is_killed",
                    lock_released_when_child_is_killed,
                ),
                (
                    "locked_read_modify_write_never_interleaves",
                    locked_read_modify_write_never_interleaves,
                ),
            ];
            for (name, check) in checks {
                print!("test {name} ... ");
                std::io::stdout().flush().unwrap();
                check();
                println!("ok");
            }
            println!("\ntest result: ok. {} passed", checks.len());
        }
    }
}

// ---------------------------------------------------------------- children

fn child_dir() -> CacheDir {
    CacheDir::new(std::env::var_os(DIR).expect("OIDC_HOST_LOCK_DIR"))
}

/// Takes the lock, says "locked", holds it until stdin closes.
fn child_hold() {
    let dir = child_dir();
    let lock = dir.lock(SESSION, Duration::from_secs(10)).unwrap();
    println!("locked");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    // Returns at EOF: when the parent closes stdin or dies.
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {
        line.clear();
    }
    drop(lock);
}

/// Reports whether the lock is free right now, and whether a short wait
/// times out.
fn child_probe() {
    let dir = child_dir();
    let free = dir.try_lock(SESSION).unwrap().is_some();
    let waited = match dir.lock(SESSION, Duration::from_millis(100)) {
        Ok(_) => "acquired".to_owned(),
        Err(HostError::LockTimeout { path, .. }) => format!("timeout {}", path.display()),
        Err(e) => format!("error {e}"),
    };
    println!("try_lock_free={free}");
    println!("{waited}");
}

/// Increments a counter kept in the cached token, under the lock, with a
/// pause between read and write that would expose any interleaving.
fn child_increment() {
    let dir = child_dir();
    for _ in 0..INCREMENTS {
        let lock = dir.lock(SESSION, Duration::from_secs(20)).unwrap();
        let current = read_counter(&dir);
        std::thread::sleep(Duration::from_millis(2));
        write_counter(&dir, current + 1);
        drop(lock);
    }
}

fn read_counter(dir: &CacheDir) -> u32 {
    match dir.read_token(SESSION).unwrap().token {
        Some(token) => token.access_token.secret().parse().unwrap(),
        None => 0,
    }
}

fn write_counter(dir: &CacheDir, value: u32) {
    let token = CachedToken::new(
        AccessToken::new(value.to_string()),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000),
    );
    dir.write_token(SESSION, &token).unwrap();
}

// ----------------------------------------------------------------- parent

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("oidc-host-xproc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

fn spawn(role: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(DIR, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits (bounded) for a child to exit and asserts it succeeded.
fn wait_success(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "child failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("child did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_line(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

fn lock_held_by_child_blocks_parent() {
    let path = scratch("child-holds");
    let dir = CacheDir::new(&path);
    let mut child = spawn("hold", &path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    // The child prints this only once it holds the lock (or exits, giving
    // EOF, if it could not take it).
    assert_eq!(read_line(&mut out), "locked");

    assert!(
        dir.try_lock(SESSION).unwrap().is_none(),
        "try_lock must fail while the child holds the lock"
    );
    let start = Instant::now();
    let timeout = Duration::from_millis(200);
    match dir.lock(SESSION, timeout) {
        Err(HostError::LockTimeout {
            path: lock_path,
            waited,
        }) => {
            assert_eq!(lock_path, dir.lock_path(SESSION));
            assert!(waited >= timeout, "waited only {waited:?}");
            let message = HostError::LockTimeout {
                path: lock_path.clone(),
                waited,
            }
            .to_string();
            assert!(
                message.contains(&lock_path.display().to_string()),
                "{message}"
            );
        }
        other => panic!("expected a lock timeout, got {other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));

    // Release: close the child's stdin; it drops the lock and exits.
    drop(child.stdin.take());
    wait_success(&mut child);
    let lock = dir
        .lock(SESSION, Duration::from_secs(5))
        .expect("free after the child exited");
    assert_eq!(lock.path(), dir.lock_path(SESSION));
    drop(lock);
    std::fs::remove_dir_all(&path).unwrap();
}

fn lock_held_by_parent_blocks_child() {
    let path = scratch("parent-holds");
    let dir = CacheDir::new(&path);
    let lock = dir.try_lock(SESSION).unwrap().expect("free");
    let mut child = spawn("probe", &path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(read_line(&mut out), "try_lock_free=false");
    assert_eq!(
        read_line(&mut out),
        format!("timeout {}", dir.lock_path(SESSION).display())
    );
    wait_success(&mut child);
    drop(lock);

    // Released: the child now gets it.
    let mut child = spawn("probe", &path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(read_line(&mut out), "try_lock_free=true");
    assert_eq!(read_line(&mut out), "acquired");
    wait_success(&mut child);
    std::fs::remove_dir_all(&path).unwrap();
}

fn lock_released_when_child_is_killed() {
    let path = scratch("killed");
    let dir = CacheDir::new(&path);
    let mut child = spawn("hold", &path);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(read_line(&mut out), "locked");
    assert!(dir.try_lock(SESSION).unwrap().is_none());
    // A crash: no destructor runs, the OS releases the lock.
    child.kill().unwrap();
    child.wait().unwrap();
    let lock = dir
        .lock(SESSION, Duration::from_secs(5))
        .expect("released by the OS");
    drop(lock);
    std::fs::remove_dir_all(&path).unwrap();
}

fn locked_read_modify_write_never_interleaves() {
    let path = scratch("counter");
    let dir = CacheDir::new(&path);
    let mut children = [spawn("increment", &path), spawn("increment", &path)];
    for child in &mut children {
        wait_success(child);
    }
    assert_eq!(read_counter(&dir), 2 * INCREMENTS);
    // Only the token and its lock file remain: no temporary files.
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json",
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json.lock"
        ]
    );
    std::fs::remove_dir_all(&path).unwrap();
}
