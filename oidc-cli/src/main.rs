//! `oidc-cli`: sign in to AWS IAM Identity Center from the command line,
//! with the AWS CLI's configuration file and caches.
//!
//! ```text
//! oidc-cli login                               # offline demo against an embedded emulator
//! oidc-cli configure --start-url https://d-1234567890.awsapps.com/start --region eu-west-1 --sso-session corp
//! oidc-cli login --profile ReadOnly-123456789012  # sign in (browser + PKCE, or device code)
//! oidc-cli credentials --profile ReadOnly-123456789012  # credential_process JSON
//! oidc-cli status                              # every session and what the cache holds
//! oidc-cli logout --all
//! ```
//!
//! Sign-in follows the AWS CLI: authorization code with PKCE when a
//! browser can be used on this machine, the device flow with
//! `--use-device-code` and, automatically, on a headless or remote machine.
//! Tokens and role credentials are cached exactly where and how the AWS CLI
//! caches them (`~/.aws/sso/cache`, `~/.aws/cli/cache`), under
//! cross-process locks, so any number of processes can ask at once and at
//! most one of them signs in, refreshes or fetches.
//!
//! Exit codes (see `exit.rs`): 0 done (for `status`: signed in), 1 not
//! signed in, 2 usage, 3 session ended (sign in again), 4 network or
//! timeout, 5 service error, 6 local problem, 130 interrupted.
#![forbid(unsafe_code)]

mod awscfg;
mod commands;
mod console;
mod demo;
mod embedded;
mod exec;
mod exit;
mod opener;
mod portal;
mod profiles;
mod profiles_cmd;
mod runtime;
mod target;
mod ui;

use std::process::ExitCode;

use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};

/// Sign in to AWS IAM Identity Center and get AWS credentials, with the
/// AWS CLI's configuration file and caches.
///
/// With no AWS configuration at all, `oidc-cli login` runs the whole chain
/// offline against an embedded emulator in a temporary home directory.
#[derive(Debug, Parser)]
#[command(name = "oidc-cli", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub(crate) struct Global {
    /// The AWS CLI profile to use, of any kind (SSO, a role chain, static
    /// keys, web identity, `credential_process` ...), resolved as the AWS
    /// CLI resolves it.
    #[arg(long, env = "AWS_PROFILE", global = true,
          add = clap_complete::ArgValueCandidates::new(profiles_cmd::completion::profile_names))]
    pub(crate) profile: Option<String>,
    /// The `[sso-session NAME]` to use.
    #[arg(long, global = true, value_name = "NAME",
          add = clap_complete::ArgValueCandidates::new(profiles_cmd::completion::session_names))]
    pub(crate) sso_session: Option<String>,
    /// Send every request to this URL instead of AWS (e.g. an emulator);
    /// wins over `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` and the
    /// profile's endpoints.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// Give up after this many seconds; bounds every wait, network included.
    /// [default: 600; none for `emulator`]
    #[arg(long, global = true, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) timeout: Option<u64>,
    /// `text` for people, `json` for scripts (one JSON object per line on
    /// stdout; prompts stay on stderr).
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
    /// Whether `--profile` was given on the command line (not taken from
    /// `AWS_PROFILE`): as in the AWS CLI, only then are the environment's
    /// keys ignored.
    #[arg(skip)]
    pub(crate) profile_explicit: bool,
}

/// Whether `id` was given on the command line of `matches` or of one of
/// its subcommands (global flags may follow the subcommand).
fn given_on_command_line(matches: &clap::ArgMatches, id: &str) -> bool {
    let here = matches.try_get_raw(id).ok().flatten().is_some()
        && matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    here || matches
        .subcommand()
        .is_some_and(|(_, sub)| given_on_command_line(sub, id))
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// For people.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in and cache the token (a valid cached token is reused).
    Login(LoginArgs),
    /// Print a valid access token, refreshing it when due (never signs in).
    Token,
    /// Print the AWS credentials of a profile (of any kind).
    Credentials(CredentialsArgs),
    /// List the AWS accounts the session can access.
    Accounts,
    /// List the roles the session can use, in one account or in all.
    Roles(RolesArgs),
    /// Sign in if needed and write an sso-session and one profile per
    /// account and role into the AWS config file.
    Configure(ConfigureArgs),
    /// Show every configured session and what the token cache holds.
    Status(StatusArgs),
    /// Sign out at the portal and remove the cached token and role
    /// credentials.
    Logout(LogoutArgs),
    /// Run the local IAM Identity Center emulator (OIDC, portal, STS) until
    /// Ctrl-C.
    Emulator(EmulatorArgs),
    /// Run a command (or a shell) with a profile's credentials.
    Exec(ExecArgs),
    /// Open (or print) the AWS console signed in with a profile's
    /// credentials.
    Console(ConsoleArgs),
    /// List every profile: its kind, session, account, role and region.
    Profiles,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// What the completion scripts call at every Tab.
    #[command(name = "__complete", hide = true)]
    Complete(profiles_cmd::completion::CompleteArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The region the command gets (`AWS_REGION`, `AWS_DEFAULT_REGION`);
    /// default: the profile's.
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Serve the credentials to the command from a local credential server
    /// (the container-credentials protocol, refreshed for as long as it
    /// runs) instead of putting keys in its environment.
    #[arg(long)]
    pub(crate) server: bool,
    /// Allow running inside another `oidc-cli exec`.
    #[arg(long)]
    pub(crate) allow_nested: bool,
    /// The command and its arguments (default: your shell).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// The console page of this service (`s3`, `ec2` ...); default: the
    /// console home.
    #[arg(long, value_name = "SERVICE")]
    pub(crate) service: Option<String>,
    /// The console region; default: the profile's.
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    pub(crate) no_browser: bool,
}

/// Where a new session signs in (overrides the configuration).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct NewSession {
    /// The AWS access portal URL (`sso_start_url`).
    #[arg(long, value_name = "URL")]
    pub(crate) start_url: Option<String>,
    /// The IAM Identity Center region (`sso_region`).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// A registration scope (`sso_registration_scopes`); repeat for more.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub(crate) scopes: Vec<String>,
}

/// How to sign in.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SignInArgs {
    /// Use the device flow (a code to confirm on any device) instead of the
    /// browser on this machine.
    #[arg(long)]
    pub(crate) use_device_code: bool,
    /// Print the sign-in URL without opening a browser.
    #[arg(long)]
    pub(crate) no_browser: bool,
    /// Do not show a QR code of the sign-in URL.
    #[arg(long)]
    pub(crate) no_qr: bool,
    /// Embedded emulator only: a person approves in the browser instead of
    /// a simulated user.
    #[arg(long, hide = true)]
    pub(crate) manual: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    #[command(flatten)]
    pub(crate) new: NewSession,
    #[command(flatten)]
    pub(crate) sign_in: SignInArgs,
    /// Sign in again even if a valid token is cached.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CredentialsArgs {
    /// `process` (the `credential_process` JSON), a shell's exports
    /// (`env`, `env-no-export`, `powershell`, `windows-cmd`, `fish`), or
    /// `json`.
    #[arg(long, value_enum, default_value_t = CredentialsFormat::Process)]
    pub(crate) format: CredentialsFormat,
    /// Also export this region (`AWS_REGION` and `AWS_DEFAULT_REGION` in
    /// the shell formats, `region` in `json`).
    #[arg(long = "export-region", value_name = "REGION")]
    pub(crate) export_region: Option<String>,
    /// Sign in when the profile's session has ended or was never signed
    /// in (the prompt goes to stderr and the browser opens; only the
    /// credentials go to stdout). Also on for a profile with
    /// `oidc_cli_auto_login = true`.
    #[arg(long)]
    pub(crate) auto_login: bool,
}

/// The output of `credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CredentialsFormat {
    /// `{"Version":1,"AccessKeyId":..}` for `credential_process`.
    Process,
    /// `export AWS_ACCESS_KEY_ID='...'` lines (POSIX sh).
    Env,
    /// `AWS_ACCESS_KEY_ID='...'` lines (POSIX sh, no export).
    EnvNoExport,
    /// `$Env:AWS_ACCESS_KEY_ID = '...'` lines (PowerShell).
    // Spelled so: clap would turn `PowerShell` into `power-shell`.
    Powershell,
    /// `set AWS_ACCESS_KEY_ID=...` lines (cmd.exe; refuses values cmd
    /// interprets).
    WindowsCmd,
    /// `set -gx AWS_ACCESS_KEY_ID '...'` lines (fish).
    Fish,
    /// One JSON object with the profile, account and role.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct RolesArgs {
    /// Only this account (12 digits).
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigureArgs {
    #[command(flatten)]
    pub(crate) new: NewSession,
    #[command(flatten)]
    pub(crate) sign_in: SignInArgs,
    /// Replace existing profiles of the same name that differ (another
    /// session, account or role, a role chain, static keys ...); without
    /// it they are left alone and listed.
    #[arg(long)]
    pub(crate) force: bool,
    /// Show what would be written; write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Put this in front of every profile name (`RoleName-AccountId`, as
    /// `aws configure sso` names them).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub(crate) prefix: String,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// One JSON object per session on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The sso-session to sign out of (same as --sso-session).
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub(crate) session: Option<String>,
    /// Sign out of every session in the token cache.
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// The port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: `source <(oidc-cli completions bash)` in `~/.bashrc`,
    /// `source <(oidc-cli completions zsh)` in `~/.zshrc` (after
    /// `compinit`), `oidc-cli completions fish | source` in fish's config.
    /// The script calls `oidc-cli` back at every Tab, so profile and
    /// sso-session names are completed from the current AWS config.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// The `--timeout` when none is given: as long as a sign-in may take.
const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// A closed stdout (`oidc-cli status | head -1`) ends the program quietly
/// with status 0, as the reader asked for no more: `println!` reports it
/// by panicking, which would print a panic message and abort. What the
/// run made temporary (the demo's home) is removed first.
fn quiet_on_closed_stdout(rt: runtime::Runtime) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            rt.finish();
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.global.profile_explicit = given_on_command_line(&matches, "profile");
    let timeout = match (&cli.command, cli.global.timeout) {
        (_, Some(secs)) => Some(secs),
        (Command::Emulator(_), None) => None,
        (_, None) => Some(DEFAULT_TIMEOUT_SECS),
    };
    let rt = runtime::Runtime::install(timeout);
    quiet_on_closed_stdout(rt.clone());
    // `token`, `credentials` and `status` arm the runtime (the Ctrl-C
    // handler) only when they need the network; but every command that
    // reads the AWS config file starts the `--timeout` watchdog before it
    // reads anything (the read itself never blocks on a FIFO or device,
    // and is bounded in size; the watchdog bounds the rest).
    match cli.command {
        Command::Completions(_) => {}
        Command::Token | Command::Credentials(_) | Command::Status(_) | Command::Profiles => {
            rt.arm_deadline()
        }
        _ => rt.arm(),
    }
    let g = &cli.global;
    let result = match cli.command {
        Command::Login(args) => commands::login(&rt, g, &args),
        Command::Token => commands::token(&rt, g),
        Command::Credentials(args) => portal::credentials(&rt, g, &args),
        Command::Accounts => portal::accounts(&rt, g),
        Command::Roles(args) => portal::roles(&rt, g, &args),
        Command::Configure(args) => portal::configure(&rt, g, &args),
        Command::Status(args) => commands::status(&rt, g, &args),
        Command::Logout(args) => commands::logout(&rt, g, &args),
        Command::Emulator(args) => commands::emulator(&rt, g, &args),
        Command::Exec(args) => exec::exec(&rt, g, &args),
        Command::Console(args) => console::console(&rt, g, &args),
        Command::Profiles => profiles_cmd::profiles(&rt, g),
        Command::Completions(args) => profiles_cmd::completion::script(args.shell),
        Command::Complete(args) => profiles_cmd::completion::complete(&args),
    };
    let code = match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => exit::report(&rt, &*e, g.output == Output::Json),
    };
    rt.finish();
    code
}
