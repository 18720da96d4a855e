//! Signs in with the device flow and caches the token as the AWS CLI does.
//!
//! ```text
//! device_login --start-url URL [--region REGION] [--session NAME]
//!              [--endpoint URL] [--cache-dir DIR] [--scope SCOPE]...
//! ```
//!
//! With `--endpoint http://127.0.0.1:PORT` it talks to a local emulator
//! (`cargo run -p oidc-emulator`). Prints the verification URI and user
//! code, waits for approval, then prints where the token was cached and
//! when it expires (never the token itself).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use oidc_ureq::oidc_host::CacheDir;
use oidc_ureq::{Client, Config, RunOptions, Session, SignInMode, SignInPrompt};

struct Args {
    start_url: String,
    region: String,
    session: Option<String>,
    endpoint: Option<String>,
    cache_dir: Option<String>,
    scopes: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        start_url: String::new(),
        region: "us-east-1".to_owned(),
        session: None,
        endpoint: None,
        cache_dir: None,
        scopes: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--start-url" => args.start_url = value()?,
            "--region" => args.region = value()?,
            "--session" => args.session = Some(value()?),
            "--endpoint" => args.endpoint = Some(value()?),
            "--cache-dir" => args.cache_dir = Some(value()?),
            "--scope" => args.scopes.push(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.start_url.is_empty() {
        return Err("--start-url is required".to_owned());
    }
    Ok(args)
}

fn run(args: Args) -> Result<(), oidc_ureq::Error> {
    let mut config = Config::for_region(args.region).with_user_agent_suffix("device_login-example");
    if let Some(endpoint) = args.endpoint {
        config = config.with_endpoint_url(endpoint);
    }
    let client = Client::new(config)?;
    let dir = match args.cache_dir {
        Some(path) => CacheDir::new(path),
        None => CacheDir::from_env()?,
    };
    let session = match args.session {
        Some(name) => Session::new(dir.clone(), name, args.start_url),
        None => Session::legacy(dir.clone(), args.start_url),
    }
    .with_scopes(args.scopes);
    let token = client.session_token(
        &session,
        SignInMode::DeviceCode,
        |prompt| {
            if let SignInPrompt::DeviceCode(prompt) = prompt {
                eprintln!(
                    "Open {} and confirm the code {} (valid for {} s)",
                    prompt.uri_to_open(),
                    prompt.user_code,
                    prompt.expires_in.as_secs()
                );
            }
        },
        &RunOptions::new(),
    )?;
    let valid_for = token
        .remaining(std::time::SystemTime::now())
        .unwrap_or_default();
    println!(
        "token cached in {} (valid for {} s)",
        dir.token_path(&session.session_key).display(),
        valid_for.as_secs()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("device_login: {e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("device_login: {e}");
            ExitCode::FAILURE
        }
    }
}
