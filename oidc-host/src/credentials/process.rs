//! Running a `credential_process` command: split as the AWS CLI splits it,
//! started without a shell, its stderr passed through, its stdout bounded
//! in size and the whole run in time.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oidc_core::credential_process::{parse_output, split_command, MAX_OUTPUT_BYTES};
use oidc_core::Credentials;

use crate::error::SourceError;

/// How often a running command is checked for having ended.
const POLL: Duration = Duration::from_millis(5);

/// Runs `command` and reads its credentials; kills it after `timeout`.
pub(crate) fn run(command: &str, timeout: Duration) -> Result<Credentials, SourceError> {
    let words = split_command(command).map_err(SourceError::ProcessCommandLine)?;
    let Some((program, args)) = words.split_first() else {
        // split_command refuses an empty command line; be safe anyway.
        return Err(SourceError::ProcessFailed {
            program: String::new(),
            status: "empty command line".to_owned(),
        });
    };
    let shown = oidc_core::untrusted::printable(program).to_string();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| SourceError::ProcessSpawn {
            program: shown.clone(),
            source,
        })?;
    let deadline = Instant::now() + timeout;
    // The output is read on its own thread so that a command that fills
    // the pipe and one that never ends are both bounded.
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(stdout) = stdout {
            let limit = u64::try_from(MAX_OUTPUT_BYTES).unwrap_or(u64::MAX) + 1;
            let _ = stdout.take(limit).read_to_end(&mut out);
        }
        out
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(SourceError::ProcessTimedOut {
                    program: shown.clone(),
                    after: timeout,
                });
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(source) => {
                let _ = child.kill();
                break Err(SourceError::ProcessSpawn {
                    program: shown.clone(),
                    source,
                });
            }
        }
    };
    let status = status?;
    // The command has ended; a grandchild holding the pipe open could keep
    // the reader waiting, so it gets the time that is left.
    let out = join_until(reader, deadline).ok_or_else(|| SourceError::ProcessTimedOut {
        program: shown.clone(),
        after: timeout,
    })?;
    if !status.success() {
        return Err(SourceError::ProcessFailed {
            program: shown,
            status: status.to_string(),
        });
    }
    if out.len() > MAX_OUTPUT_BYTES {
        return Err(SourceError::ProcessOutputTooLarge {
            program: shown,
            limit: MAX_OUTPUT_BYTES,
        });
    }
    parse_output(&out).map_err(|cause| SourceError::ProcessOutput {
        program: shown,
        cause,
    })
}

/// The reader's output, or `None` when it is still reading at `deadline`.
fn join_until(reader: std::thread::JoinHandle<Vec<u8>>, deadline: Instant) -> Option<Vec<u8>> {
    while !reader.is_finished() {
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
    reader.join().ok()
}
