//! `exec`: a command (or a shell) with a profile's credentials, in its
//! environment or, with `--server`, from a local credential server that
//! keeps them fresh for as long as the command runs.

use std::ffi::OsString;
use std::process::Command;

use oidc_host::credential_server::CredentialServer;
use oidc_host::export::Export;
use oidc_host::CredentialsProvider;

use crate::exit::{self, Failure};
use crate::profiles;
use crate::runtime::Runtime;
use crate::target::{self, BoxError};
use crate::{ExecArgs, Global};

/// Set in the child's environment to the profile: a nested `exec` is
/// refused unless `--allow-nested`.
pub(crate) const NESTED: &str = "OIDC_CLI_EXEC";

/// `exec`.
pub(crate) fn exec(rt: &Runtime, g: &Global, args: &ExecArgs) -> Result<(), BoxError> {
    if let Some(outer) = std::env::var_os(NESTED).filter(|v| !v.is_empty()) {
        if !args.allow_nested {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "already inside `oidc-cli exec` for profile {}; the inner command would mix \
                     two identities (give --allow-nested to run it anyway)",
                    crate::ui::shown(outer.to_string_lossy())
                ),
            )
            .into());
        }
    }
    let resolution = profiles::resolve_profile(rt, g)?;
    let region = args.region.clone().or_else(|| resolution.region.clone());
    if let Some(region) = &region {
        target::check_region(region)?;
    }
    let mut export = Export::new();
    if let Some(region) = region.as_deref() {
        export = export.with_region(region);
    }
    let (program, rest) = match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest.to_vec()),
        None => (shell(), Vec::new()),
    };
    let mut command = Command::new(&program);
    command.args(&rest).env(NESTED, &resolution.profile);

    if !args.server {
        let credentials = profiles::credentials(rt, &resolution)?;
        apply(&mut command, export.environment(Some(&credentials))?);
        return run(rt, command, &program, false);
    }

    // --server: the child asks this process, which refreshes as needed.
    rt.arm();
    let client = profiles::client(rt, &resolution)?;
    let provider = CredentialsProvider::new(resolution.source.clone());
    // Fetch once now: a problem shows before the child starts.
    client
        .credentials(&provider, |_| {}, &rt.options())
        .map_err(|e| Failure::caused_by(exit::code_of(&e), "no credentials for the command", e))?;
    let server = CredentialServer::bind()?;
    apply(&mut command, export.environment(None)?);
    apply(&mut command, server.environment());
    let running = server.start(move || {
        // No deadline: the server lives as long as the child.
        client.credentials(&provider, |_| {}, &oidc_ureq::RunOptions::new())
    });
    let result = run(rt, command, &program, true);
    running.stop();
    result
}

/// `SHELL`, else `/bin/sh` (`cmd.exe` on Windows).
fn shell() -> OsString {
    match std::env::var_os("SHELL").filter(|s| !s.is_empty()) {
        Some(shell) => shell,
        None if cfg!(windows) => OsString::from("cmd.exe"),
        None => OsString::from("/bin/sh"),
    }
}

fn apply<V: AsRef<std::ffi::OsStr>>(command: &mut Command, env: Vec<(&str, Option<V>)>) {
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
}

/// Runs the child and ends this process with its status. Without a
/// server to keep, this process becomes the child (Unix `exec`): signals
/// and the exit status are the child's own. With one, the child is
/// waited for, and SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 are forwarded to
/// it (the terminal's Ctrl-C reaches it directly).
fn run(
    rt: &Runtime,
    mut command: Command,
    program: &std::ffi::OsStr,
    serving: bool,
) -> Result<(), BoxError> {
    let not_started = |e: std::io::Error| -> BoxError {
        Failure::caused_by(
            exit::USAGE,
            format!(
                "cannot run {}",
                crate::ui::shown(std::path::Path::new(program).display())
            ),
            e,
        )
        .into()
    };
    rt.child_started();
    #[cfg(unix)]
    if !serving {
        use std::os::unix::process::CommandExt as _;
        rt.finish();
        // Only returns on failure.
        return Err(not_started(command.exec()));
    }
    let _ = serving;
    let mut child = command.spawn().map_err(not_started)?;
    #[cfg(unix)]
    let forwarder = forward_signals(child.id());
    let status = child.wait().map_err(not_started)?;
    #[cfg(unix)]
    if let Some(handle) = forwarder {
        handle.close();
    }
    rt.finish();
    std::process::exit(exit_status(status));
}

/// The shell's convention: the exit code, or 128 + the signal.
fn exit_status(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(1)
}

/// Forwards SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 to the child until closed.
#[cfg(unix)]
fn forward_signals(child: u32) -> Option<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGTERM, SIGUSR1, SIGUSR2};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGUSR1, SIGUSR2]).ok()?;
    let handle = signals.handle();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child).ok()?);
    std::thread::Builder::new()
        .name("oidc-cli-signals".to_owned())
        .spawn(move || {
            for signal in signals.forever() {
                if let Ok(signal) = nix::sys::signal::Signal::try_from(signal) {
                    let _ = nix::sys::signal::kill(pid, signal);
                }
            }
        })
        .ok()?;
    Some(handle)
}
