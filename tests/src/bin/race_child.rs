//! Child process of the cross-process refresh race test
//! (`tests/tests/process_race.rs`).
//!
//! ```text
//! race_child <cache-dir> <endpoint-url> <session-key> [<ready-file> <go-file>]
//! ```
//!
//! Gets a token for `session-key` with oidc-ureq's token provider
//! (`Client::session_token` with `SignInMode::CachedOnly`) from the SSO token cache in `cache-dir`
//! (refreshing it against `endpoint-url` when it is inside the refresh
//! window, under the cross-process session lock) and prints the access
//! token on stdout: this binary stands in for a credential-helper tool and
//! only ever talks to the local emulator. With the optional pair of files
//! it first creates `ready-file` and then waits (at most 20 s) for
//! `go-file` to exist, so the test can release several children at the
//! same instant. It never signs in interactively: a cache that needs a
//! login is an error.
//!
//! Exit status: 0 with the token printed, 1 on failure (reason on stderr),
//! 2 on bad usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use oidc_host::CacheDir;
use oidc_ureq::{Client, Config, RunOptions, Session, SignInMode};

/// How long to wait for the go signal.
const GO_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for the session lock held by a sibling.
const LOCK_TIMEOUT: Duration = Duration::from_secs(20);

struct Args {
    cache_dir: PathBuf,
    endpoint: String,
    session_key: String,
    barrier: Option<(PathBuf, PathBuf)>,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let barrier = match args.len() {
        3 => None,
        5 => Some((PathBuf::from(&args[3]), PathBuf::from(&args[4]))),
        n => return Err(format!("expected 3 or 5 arguments, got {n}")),
    };
    Ok(Args {
        cache_dir: PathBuf::from(&args[0]),
        endpoint: args[1].clone(),
        session_key: args[2].clone(),
        barrier,
    })
}

/// Signals readiness, then waits for the go file (bounded).
fn wait_for_go(ready: &Path, go: &Path) -> Result<(), String> {
    std::fs::write(ready, b"ready").map_err(|e| format!("writing {}: {e}", ready.display()))?;
    let deadline = Instant::now() + GO_TIMEOUT;
    while !go.exists() {
        if Instant::now() >= deadline {
            return Err(format!(
                "no go signal ({}) within {GO_TIMEOUT:?}",
                go.display()
            ));
        }
        // Waiting on another process; a short poll keeps the start skew
        // between siblings well under a millisecond or two.
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

fn run(args: &Args) -> Result<String, String> {
    let client = Client::new(
        Config::for_region("us-east-1")
            .with_endpoint_url(args.endpoint.clone())
            .with_call_timeout(Duration::from_secs(10)),
    )
    .map_err(|e| format!("client: {e}"))?;
    let dir = CacheDir::new(&args.cache_dir);
    if let Some((ready, go)) = &args.barrier {
        wait_for_go(ready, go)?;
    }
    // The start URL is recorded in the cache entry; a refresh does not
    // need it, and this child never signs in.
    let session = Session::new(dir, args.session_key.clone(), "https://race.invalid/start")
        .with_lock_timeout(LOCK_TIMEOUT);
    let token = client
        .session_token(&session, SignInMode::CachedOnly, |_| {}, &RunOptions::new())
        .map_err(|e| format!("token: {e}"))?;
    Ok(token.access_token.secret().to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "race_child: {e}\nusage: race_child <cache-dir> <endpoint-url> <session-key> [<ready-file> <go-file>]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("race_child: {e}");
            ExitCode::FAILURE
        }
    }
}
