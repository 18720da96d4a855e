//! Shell completion through clap_complete's dynamic engine: `oidc-cli
//! completions SHELL` prints a small registration script whose completion
//! function calls back `oidc-cli __complete -- WORDS...` at every Tab; the
//! engine answers from the same `clap::Command` that parses the command
//! line, so subcommands, options and values never drift from it, and the
//! values of `--profile` and `--sso-session` are the names in the AWS
//! config (and credentials) file at the moment of the Tab.
//!
//! This replaces clap_complete's static scripts, whose bash one is broken
//! for a binary name with a hyphen (`oidc-cli credentials --fo<TAB>`
//! completed nothing: the generator names the subcommand states
//! `oidc__cli__...` in one place and `oidc__subcmd__cli__...` in another).

use std::ffi::OsString;

use clap::CommandFactory as _;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_complete::CompletionCandidate;
use oidc_host::aws_config::Environment;
use oidc_host::profile::{sso_session_names, ProfileFiles};

use crate::exit::{self, Failure};
use crate::target::BoxError;

/// The variable the registration scripts set to name the shell when they
/// call back (clap_complete's protocol; its own default, `COMPLETE`, is
/// too generic a name to react to).
const VAR: &str = "OIDC_CLI_COMPLETE";

/// The hidden subcommand the registration scripts call.
pub(crate) const CALLBACK: &str = "__complete";

/// The name the scripts register completion for.
const BIN: &str = "oidc-cli";

/// `oidc-cli __complete -- WORDS...`: the words of the command line being
/// completed (the program's name first).
#[derive(Debug, clap::Args)]
pub(crate) struct CompleteArgs {
    /// The command line, as the shell split it.
    #[arg(last = true, value_name = "WORDS")]
    pub(crate) words: Vec<OsString>,
}

/// The profile names of the config and credentials files (none when they
/// cannot be read: a Tab reports no error).
pub(crate) fn profile_names() -> Vec<CompletionCandidate> {
    files().map_or_else(Vec::new, |files| {
        files
            .profile_names()
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    })
}

/// The `[sso-session NAME]` names of the config file.
pub(crate) fn session_names() -> Vec<CompletionCandidate> {
    files().map_or_else(Vec::new, |files| {
        sso_session_names(&files)
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    })
}

fn files() -> Option<ProfileFiles> {
    ProfileFiles::load(&Environment::from_env()).ok()
}

/// `oidc-cli completions SHELL`: prints the registration script.
pub(crate) fn script(shell: clap_complete::Shell) -> Result<(), BoxError> {
    let text = registration(shell, &completer())?;
    print!("{text}");
    Ok(())
}

/// The registration script for `shell`, calling back `completer`.
fn registration(shell: clap_complete::Shell, completer: &str) -> Result<String, BoxError> {
    use clap_complete::Shell;
    let adapter: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        Shell::PowerShell => &Powershell,
        other => {
            return Err(
                Failure::new(exit::USAGE, format!("no completion script for {other}")).into(),
            )
        }
    };
    let mut buf = Vec::new();
    adapter.write_registration(VAR, BIN, BIN, completer, &mut buf)?;
    let text = String::from_utf8(buf)?;
    // Every script calls `COMPLETER -- WORDS`; the words come last, so the
    // last ` -- ` is the one after the completer (whose path may hold one).
    let at = text.rfind(" -- ").ok_or_else(|| {
        Failure::new(
            exit::LOCAL,
            "clap_complete's registration script has an unexpected form",
        )
    })?;
    Ok(format!("{} {CALLBACK}{}", &text[..at], &text[at..]))
}

/// The program the scripts call back: as clap_complete does, the path this
/// one was started with (made absolute), or its bare name when it was
/// found on `PATH`.
fn completer() -> String {
    let argv0 = std::env::args_os()
        .next()
        .map_or_else(|| BIN.into(), std::path::PathBuf::from);
    let path = if argv0.components().count() > 1 {
        std::env::current_dir()
            .map(|dir| dir.join(&argv0))
            .unwrap_or(argv0)
    } else {
        argv0
    };
    path.to_string_lossy().into_owned()
}

/// `oidc-cli __complete -- WORDS...`: prints the candidates for the last
/// word, in the form of the shell named by [`VAR`].
pub(crate) fn complete(args: &CompleteArgs) -> Result<(), BoxError> {
    if args.words.is_empty() {
        return Ok(());
    }
    let mut argv: Vec<OsString> = vec![BIN.into(), "--".into()];
    argv.extend(args.words.iter().cloned());
    let cwd = std::env::current_dir().ok();
    let done = clap_complete::CompleteEnv::with_factory(crate::Cli::command)
        .var(VAR)
        .try_complete(argv, cwd.as_deref())?;
    if done {
        Ok(())
    } else {
        Err(Failure::new(
            exit::USAGE,
            format!("`{CALLBACK}` is for the scripts of `oidc-cli completions` ({VAR} is not set)"),
        )
        .into())
    }
}
