//! Turns the command-line options into a client, a cache session and,
//! when no start URL is given, an embedded emulator.

use std::path::PathBuf;
use std::time::Duration;

use oidc_host::CacheDir;
use oidc_ureq::{Client, Config, Session};

use crate::embedded::Embedded;
use crate::TargetArgs;

/// The error type of every command.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Scopes requested when none are given: what the AWS CLI's sso-session
/// default needs to reach accounts and roles, and what makes the token
/// refreshable.
const DEFAULT_SCOPE: &str = "sso:account:access";

/// How long a command waits for another process holding the session lock
/// (another `login` in progress, for example).
const LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything a command needs.
pub(crate) struct Target {
    pub(crate) client: Client,
    pub(crate) session: Session,
    /// The embedded emulator, while it runs.
    pub(crate) embedded: Option<Embedded>,
}

impl Target {
    /// For `login`: the given instance, or the embedded emulator when no
    /// start URL is given.
    pub(crate) fn for_login(args: &TargetArgs, manual: bool) -> Result<Target, BoxError> {
        match &args.start_url {
            Some(start_url) => Target::remote(args, start_url),
            None => {
                let embedded = Embedded::start(args.cache_dir.clone(), manual)?;
                let config = Config::for_region(args.region.clone())
                    .with_endpoint_url(embedded.base_url())
                    .with_user_agent_suffix(user_agent_suffix());
                let client = Client::new(config)?;
                let session = Session::new(
                    CacheDir::new(embedded.cache_dir()),
                    args.session.as_deref().unwrap_or("embedded-demo"),
                    embedded.start_url(),
                )
                .with_scopes(scopes(args))
                .with_lock_timeout(LOCK_TIMEOUT);
                Ok(Target {
                    client,
                    session,
                    embedded: Some(embedded),
                })
            }
        }
    }

    /// For the commands that work on an existing cache entry.
    pub(crate) fn existing(args: &TargetArgs, command: &str) -> Result<Target, BoxError> {
        match &args.start_url {
            Some(start_url) => Target::remote(args, start_url),
            None => Err(crate::exit::Failure::new(
                crate::exit::USAGE,
                format!(
                    "`{command}` needs --start-url (or OIDC_START_URL): the embedded emulator \
                     only lives for one `login`"
                ),
            )
            .into()),
        }
    }

    fn remote(args: &TargetArgs, start_url: &str) -> Result<Target, BoxError> {
        let mut config = Config::for_region(args.region.clone())
            .with_fips(args.fips)
            .with_dual_stack(args.dual_stack)
            .with_user_agent_suffix(user_agent_suffix());
        if let Some(url) = &args.endpoint_url {
            config = config.with_endpoint_url(url.clone());
        }
        let client = Client::new(config)?;
        let dir = match &args.cache_dir {
            Some(path) => CacheDir::new(path.clone()),
            None => CacheDir::from_env()?,
        };
        let session = match &args.session {
            Some(name) => Session::new(dir, name.clone(), start_url),
            None => Session::legacy(dir, start_url),
        }
        .with_scopes(scopes(args))
        .with_lock_timeout(LOCK_TIMEOUT);
        Ok(Target {
            client,
            session,
            embedded: None,
        })
    }

    /// Where the session's token is cached.
    pub(crate) fn token_path(&self) -> PathBuf {
        self.session.dir.token_path(&self.session.session_key)
    }
}

fn scopes(args: &TargetArgs) -> Vec<String> {
    if args.scopes.is_empty() {
        vec![DEFAULT_SCOPE.to_owned()]
    } else {
        args.scopes.clone()
    }
}

fn user_agent_suffix() -> String {
    format!("oidc-cli/{}", env!("CARGO_PKG_VERSION"))
}
