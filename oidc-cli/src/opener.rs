//! Opening a URL in the user's browser, best effort and never required:
//! the URL is always printed first. Only URLs that pass
//! `oidc_core::untrusted::openable_uri` are opened; `BROWSER` (a
//! `:`-separated list of commands, `%s` standing for the URL) is tried
//! before the platform's opener.

use std::process::{Command, Stdio};

/// Tries to open `url`. Returns a note for the user when it could not.
pub(crate) fn open(url: &str) -> Result<(), String> {
    let Some(url) = oidc_core::untrusted::openable_uri(url) else {
        return Err("the sign-in URL is not one this tool opens; open it yourself".to_owned());
    };
    let mut commands = Vec::new();
    if let Some(browser) = std::env::var_os("BROWSER") {
        for entry in browser.to_string_lossy().split(':') {
            let mut words: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
            if words.is_empty() {
                continue;
            }
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_owned());
            }
            commands.push(words);
        }
    }
    commands.push(platform_opener(url));
    let mut last = String::new();
    for words in commands {
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        match Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(_child) => return Ok(()),
            Err(e) => last = format!("{program}: {e}"),
        }
    }
    Err(format!(
        "could not start a browser ({last}); open the URL above yourself"
    ))
}

#[cfg(target_os = "macos")]
fn platform_opener(url: &str) -> Vec<String> {
    vec!["open".to_owned(), url.to_owned()]
}

#[cfg(windows)]
fn platform_opener(url: &str) -> Vec<String> {
    vec![
        "rundll32".to_owned(),
        "url.dll,FileProtocolHandler".to_owned(),
        url.to_owned(),
    ]
}

#[cfg(not(any(target_os = "macos", windows)))]
fn platform_opener(url: &str) -> Vec<String> {
    vec!["xdg-open".to_owned(), url.to_owned()]
}
