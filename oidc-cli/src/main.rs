//! `oidc-cli`: sign in to AWS IAM Identity Center from the command line.
//!
//! ```text
//! oidc-cli login                       # against the embedded emulator, offline
//! oidc-cli --start-url https://d-1234567890.awsapps.com/start --region eu-west-1 --session my-sso login
//! oidc-cli --start-url ... --session my-sso token      # a valid access token, refreshed when due
//! oidc-cli --start-url ... --session my-sso status     # what the cache holds (never the token)
//! oidc-cli --start-url ... --session my-sso logout     # forget the cached token
//! ```
//!
//! The device flow is the default: it prints the code and the URL and works
//! on headless and remote machines; `--open` also tries to open a browser,
//! and `--pkce` uses the authorization-code flow with a loopback redirect.
//! Tokens are cached exactly where and how the AWS CLI caches them, written
//! atomically under a cross-process lock, so any number of processes can ask
//! for a token at once and at most one of them signs in or refreshes.
//!
//! Exit codes: 0 done (for `status`: signed in), 1 not signed in, 2 usage,
//! 3 session ended (sign in again), 4 network, 5 service error, 6 local
//! problem (cache directory, lock).

mod commands;
mod embedded;
mod exit;
mod opener;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Sign in to AWS IAM Identity Center (SSO OIDC) and manage the AWS CLI
/// SSO token cache.
///
/// Without --start-url, `login` runs against an embedded local emulator of
/// the service (offline), where a simulated user approves the sign-in.
#[derive(Debug, Parser)]
#[command(name = "oidc-cli", version)]
struct Cli {
    #[command(flatten)]
    target: TargetArgs,
    #[command(subcommand)]
    command: Command,
}

/// Which Identity Center instance and which cache entry.
#[derive(Debug, Args)]
struct TargetArgs {
    /// The AWS access portal URL (sso_start_url). Without it, `login` uses
    /// the embedded emulator.
    #[arg(long, env = "OIDC_START_URL", global = true)]
    start_url: Option<String>,
    /// The SSO region (sso_region).
    #[arg(long, env = "OIDC_REGION", default_value = "us-east-1", global = true)]
    region: String,
    /// The sso-session name; the cache key. Without it the start URL is the
    /// key, as for legacy AWS CLI profiles.
    #[arg(long, global = true)]
    session: Option<String>,
    /// Send requests to this URL instead of the region's endpoint.
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// The token cache directory (default: where the AWS CLI keeps it,
    /// ~/.aws/sso/cache; a temporary one for the embedded emulator).
    #[arg(long, global = true)]
    cache_dir: Option<PathBuf>,
    /// A registration scope (sso_registration_scopes); repeat for more.
    #[arg(long = "scope", global = true)]
    scopes: Vec<String>,
    /// Use the FIPS endpoint.
    #[arg(long, global = true)]
    fips: bool,
    /// Use the dual-stack (IPv4 and IPv6) endpoint.
    #[arg(long, global = true)]
    dual_stack: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in and cache the token (a valid cached token is reused).
    Login(LoginArgs),
    /// Print a valid access token from the cache, refreshing it when due.
    Token(TokenArgs),
    /// Show what the cache holds for the session (never the token).
    Status,
    /// Remove the session's cached token.
    Logout,
}

#[derive(Debug, Args)]
struct LoginArgs {
    /// Use the authorization-code flow with PKCE and a loopback redirect
    /// (needs a browser on this machine) instead of the device flow.
    #[arg(long)]
    pkce: bool,
    /// Also try to open the verification page in a browser.
    #[arg(long)]
    open: bool,
    /// Sign in even if a valid token is cached.
    #[arg(long)]
    force: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Embedded emulator only: wait for a person to approve in the browser
    /// instead of a simulated user approving at once.
    #[arg(long)]
    manual: bool,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// Print `{"accessToken": ..., "expiresAt": ...}` instead of the bare
    /// token.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Login(args) => commands::login(&cli.target, &args),
        Command::Token(args) => commands::token(&cli.target, &args),
        Command::Status => commands::status(&cli.target),
        Command::Logout => commands::logout(&cli.target),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => exit::report(&*e),
    }
}
