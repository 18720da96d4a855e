//! Opening a URL in the user's browser, best effort and never required: the
//! URL and the code are always printed first, so a headless or remote
//! machine works the same.

use std::process::{Command, Stdio};

/// Tries to open `url` with the platform's opener. Returns a note for the
/// user when it could not.
pub(crate) fn open(url: &str) -> Result<(), String> {
    let mut command = opener_command(url);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match command.spawn() {
        Ok(_child) => Ok(()),
        Err(e) => Err(format!(
            "could not start a browser ({e}); open the URL above yourself"
        )),
    }
}

#[cfg(target_os = "macos")]
fn opener_command(url: &str) -> Command {
    let mut c = Command::new("open");
    c.arg(url);
    c
}

#[cfg(windows)]
fn opener_command(url: &str) -> Command {
    let mut c = Command::new("rundll32");
    c.args(["url.dll,FileProtocolHandler", url]);
    c
}

#[cfg(not(any(target_os = "macos", windows)))]
fn opener_command(url: &str) -> Command {
    let mut c = Command::new("xdg-open");
    c.arg(url);
    c
}
