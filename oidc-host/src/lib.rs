//! # oidc-host
//!
//! Every rule above one request, once, for every transport: the AWS CLI's
//! SSO token cache and its cross-process lock, the session's sign-in and
//! refresh, role credentials and their cache, the AWS config files, and the
//! one drive loop that carries all of it out. This crate reads files and
//! environment variables and may block on a lock; it does no HTTP.
//!
//! ## The drive loop
//!
//! Everything that needs I/O is a [`Flow`]: a single
//! [`Call`](oidc_core::call::Call), a device flow ([`DeviceFlowRun`]), a
//! session's token ([`SessionFlow`]), credentials ([`CredentialsFlow`]).
//! `poll` returns one [`Step`](oidc_core::step::Step) ([`FlowStep`]):
//!
//! * `Send(request)`: send it once; hand back [`Event::Response`] or
//!   [`Event::Failed`];
//! * `WaitUntil(at)`: sleep (a retry's backoff, a device-flow interval);
//! * `Local(`[`Local`]`)`: local work: run a blocking [`Job`] (a lock, a
//!   cache read or atomic write) where blocking is allowed and hand back
//!   [`Event::Job`]; show a [`SignInPrompt`]; bind and serve the PKCE
//!   loopback listener;
//! * `Done(result)`: the flow's output or its [`Error`].
//!
//! [`Local`] and [`Event`] are exhaustive: a new kind of step is a compile
//! error in every driver that does not carry it out. What only transports
//! need (the client's [`ClientState`](adapter::ClientState), the
//! [`RunOptions`](adapter::RunOptions) of a run, the one classification of
//! I/O failures, the loopback listener's bytes) is in [`adapter`], with a
//! complete drive loop.
//!
//! ## Profiles
//!
//! [`profile::resolve`] turns the AWS config and credentials files and the
//! environment into a [`CredentialsSource`] exactly as the AWS CLI
//! resolves a profile: role chains (`source_profile`, `credential_source`),
//! web identity, `credential_process`, IAM Identity Center, static keys,
//! container credentials and IMDSv2, with the AWS CLI's assume-role cache.
//! Any adapter's `credentials` fetches it; a blocking job asks for an MFA
//! code ([`MfaPrompt`]), runs a command or reads a token file.
//! [`credential_server`] serves credentials to child processes over the
//! container-credentials protocol, and [`console`] gets a console sign-in
//! token.
//!
//! ## Example
//!
//! A session whose cached token is fresh needs one blocking job (take the
//! lock, read the cache) and no network:
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use oidc_host::adapter::ClientState;
//! use oidc_host::oidc_core::cache::CachedToken;
//! use oidc_host::oidc_core::secret::AccessToken;
//! use oidc_host::oidc_core::step::Step;
//! use oidc_host::{CacheDir, Config, Event, Flow, Local, Session, SignInMode};
//!
//! # let scratch = std::env::temp_dir().join(format!("oidc-host-doc-{}", std::process::id()));
//! let dir = CacheDir::new(&scratch); // CacheDir::from_env()? in real use
//! let wall = SystemTime::now();
//! dir.write_token("my-sso", &CachedToken::new(AccessToken::new("at"), wall + Duration::from_secs(3600)))?;
//!
//! let state = ClientState::new(Config::for_region("eu-west-1"), "my-transport", "1.0")?;
//! let session = Session::new(dir, "my-sso", "https://my-sso-portal.awsapps.com/start");
//! let mut flow = state.session_flow(&session, SignInMode::CachedOnly)?;
//! let token = loop {
//!     match flow.poll(Instant::now(), SystemTime::now()) {
//!         Step::Local(Local::Blocking(job)) => {
//!             state.deliver(&mut flow, Instant::now(), Event::<Vec<u8>>::Job(job.run()));
//!         }
//!         Step::Done(result) => break result?,
//!         other => unreachable!("a fresh cached token needs no network: {other:?}"),
//!     }
//! };
//! assert_eq!(token.access_token.secret(), "at");
//! # std::fs::remove_dir_all(&scratch).unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The caches
//!
//! * [`CacheDir`]: the AWS CLI's `~/.aws/sso/cache` ([`CacheDir::from_env`]
//!   finds it as the AWS CLI does; [`CacheDir::resolve`] is the same rule
//!   as a pure function). Token and registration entries use the AWS CLI's
//!   SHA-1 file names and byte-identical JSON. Writes are atomic (private
//!   temporary file in the same directory, `fsync`, rename, `fsync` of the
//!   directory), files are `0600` and a created directory `0700` on Unix.
//!   A corrupt, truncated, empty or foreign file reads as absent with a
//!   [`CacheWarning`] (also logged) and is never deleted: only a new good
//!   entry replaces it.
//! * [`SessionLock`]: an advisory cross-process lock per session
//!   (`<token file>.lock`), held for the whole read → refresh or sign-in →
//!   write sequence, so two processes never refresh or sign in to the same
//!   session at once. It is a separate file because Windows file locks are
//!   mandatory: locking the token file itself would stop the AWS CLI from
//!   reading it.
//! * A failed refresh is typed: [`TokenError::SessionEnded`] (sign in
//!   again) or [`TokenError::RefreshFailed`] (`transient` or not); the old
//!   token stays on disk and, while valid, is used.
//! * [`CredentialsCacheDir`]: the AWS CLI's role-credential cache;
//!   [`CredentialsProvider`]: credentials in memory, fetched by one caller
//!   at a time while the others wait.
//!
//! Extra files this crate leaves in the cache directory (`*.json.lock`,
//! and `*.json.tmp.<pid>.<n>` only if a process dies mid-write) do not end
//! in `.json`, the suffix of every cache entry, so they cannot be mistaken
//! for entries by name.

// One `unsafe` call in the whole crate (`geteuid`, in `fs.rs`), allowed
// where it is; everything else is refused.
#![deny(unsafe_code)]

pub use oidc_core;

// The unit tests share the integration tests' support module, which names
// this crate.
#[cfg(test)]
extern crate self as oidc_host;

pub mod adapter;
pub mod aws_config;
mod config;
pub mod console;
pub mod credential_server;
mod credentials;
mod drive;
mod error;
pub mod export;
mod fs;
pub mod profile;
mod token;

/// A boxed error from a transport or from the caller's code (a request
/// signer); both adapters' `BoxError`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub use aws_config::{AwsConfig, ConfigFileError, Environment, Profile, ProfileSso};
pub use config::{
    Config, ConfigError, DEFAULT_AUTHORIZATION_TIMEOUT, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IDLE_PER_HOST,
    DEFAULT_READ_TIMEOUT,
};
pub use credentials::flow::CredentialsFlow;
pub use credentials::{
    credentials_from_env, credentials_from_lookup, Begin, CredentialsCacheDir, CredentialsProvider,
    CredentialsSource, EnvCredentialsError, EnvLookup, Fetch, MfaPrompt, RoleCache, Wait,
    ENV_ACCESS_KEY_ID, ENV_ACCOUNT_ID, ENV_CREDENTIAL_EXPIRATION, ENV_SECRET_ACCESS_KEY,
    ENV_SECURITY_TOKEN, ENV_SESSION_TOKEN,
};
pub use drive::flow::{DeviceFlowRun, Event, Flow, FlowStep, Local};
pub use drive::job::{Job, JobDone};
pub use drive::signal::{CancelToken, Signal};
pub use error::{CacheProblem, CacheWarning, Error, HostError, SourceError, TokenError};
pub use export::{Export, ExportError, ExportFormat, UnknownExportFormat};
pub use token::dir::{
    CacheDir, Platform, ReadOutcome, RefreshOutcome, RefreshRecord, RegistrationKey,
    RegistrationOutcome, SessionState,
};
pub use token::lock::SessionLock;
pub use token::provider::{LoginReason, RegistrationInfo};
pub use token::session::{Session, DEFAULT_LOCK_TIMEOUT};
pub use token::session_flow::{SessionFlow, SignInMode, SignInPrompt};
