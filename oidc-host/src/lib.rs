//! # oidc-host
//!
//! The host-side pieces shared by the `oidc-ureq` and `oidc-hyper`
//! adapters (one copy, used by both): the SSO token cache on disk, the
//! session's sign-in logic as a state machine, and everything a client
//! holds. This crate reads files and environment variables and may block
//! while waiting for a lock; it does no HTTP.
//!
//! * [`SessionFlow`]: the session's token, decided once for every
//!   adapter: use the cached token, refresh it in the region its cache
//!   entry names, sign in again (device flow or authorization code + PKCE)
//!   when the session has ended, re-register once when the registration is
//!   rejected, write the cache. An adapter carries out its
//!   [`FlowStep`]s: send, wait, run a [`FileJob`] where blocking is
//!   allowed, show a prompt, serve the loopback listener with
//!   [`oidc_core::pkce::answer_loopback`] and [`loopback`].
//! * [`ClientState`]: a client's configuration, endpoints, retry quota and
//!   token providers, with the [`Call`](oidc_core::call::Call)s and
//!   [`SessionFlow`]s it builds; [`Error`], the one error type of both
//!   adapters; [`CancelToken`], for blocking and async code alike.
//!
//! * [`CacheDir`]: the AWS CLI's `~/.aws/sso/cache` ([`CacheDir::from_env`]
//!   finds it as the AWS CLI does; [`CacheDir::resolve`] is the same rule
//!   as a pure function). Token and registration entries use the AWS CLI's
//!   SHA-1 file names and byte-identical JSON (from `oidc_core::cache`).
//!   Writes are atomic (private temporary file in the same directory,
//!   `fsync`, rename, `fsync` of the directory), files are `0600` and a
//!   created directory `0700` on Unix. A corrupt, truncated, empty or
//!   foreign file reads as absent with a [`CacheWarning`] (also logged with
//!   `log::warn!`) and is never deleted: only a new good entry replaces it.
//! * [`SessionLock`]: an advisory cross-process lock per session
//!   (`<token file>.lock`), held for the whole read → refresh or sign-in →
//!   write sequence so two processes never refresh or sign in to the same
//!   session at once. Blocking callers use [`CacheDir::lock`]; async
//!   callers loop over [`CacheDir::try_lock`] with their own timer and the
//!   shared schedule of [`LockPoll`]. The lock is a separate file because
//!   Windows file locks are mandatory: locking the token file itself would
//!   stop the AWS CLI from reading it.
//! * [`TokenProvider`]: reads the cache under the lock and returns
//!   [`Next`]: a ready token, a [`Refresh`] whose request the adapter sends,
//!   or a [`Login`] the adapter completes with a device-flow or PKCE token.
//!   Failed refreshes are typed: [`TokenError::SessionEnded`] (sign in
//!   again) versus [`TokenError::RefreshFailed`] (`transient` or not); the
//!   old token stays on disk and, while valid, comes back in the error.
//! * [`Session`] (a cached SSO session: cache directory, key, start URL,
//!   scopes, lock timeout, refresh policy) with the reuse rule of its
//!   cached device-flow registration ([`Session::cached_registration`],
//!   [`Session::store_registration`]); [`SignIn`], the result of a device
//!   sign-in; [`TokenProviders`], a client's providers per session.
//! * [`Config`]: the transports' shared settings (region, endpoint,
//!   timeouts, retries, body cap, user agent, the HTTPS rule).
//!
//! Extra files this crate leaves in the cache directory (`*.json.lock`,
//! and `*.json.tmp.<pid>.<n>` only if a process dies mid-write) do not end
//! in `.json`, the suffix of every cache entry, so they cannot be mistaken
//! for entries by name.
//!
//! Timing decisions use the caller's wall-clock `now` and
//! [`oidc_core::cache::refresh_decision`]; requests and responses are built
//! and parsed by [`oidc_core::sso_oidc::create_token`].
//!
//! ## Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_host::oidc_core::cache::CachedToken;
//! use oidc_host::oidc_core::endpoint::Endpoint;
//! use oidc_host::oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
//! use oidc_host::{CacheDir, Next, TokenProvider};
//!
//! # let scratch = std::env::temp_dir().join(format!("oidc-host-doc-{}", std::process::id()));
//! let dir = CacheDir::new(&scratch); // CacheDir::from_env()? in real use
//! let now = SystemTime::now();
//!
//! // A cached token with 2 minutes left, which can be refreshed.
//! let cached = CachedToken::new(AccessToken::new("old"), now + Duration::from_secs(120))
//!     .with_start_url("https://my-sso-portal.awsapps.com/start")
//!     .with_region("us-east-1")
//!     .with_client_id("client")
//!     .with_client_secret(ClientSecret::new("cs"))
//!     .with_registration_expires_at(now + Duration::from_secs(86_400))
//!     .with_refresh_token(RefreshToken::new("rt1"));
//! dir.write_token("my-sso", &cached)?;
//! // Written an hour ago (a file written moments ago counts, by its mtime,
//! // as a refresh attempt moments ago, and would not be refreshed yet).
//! std::fs::File::options().write(true).open(dir.token_path("my-sso"))?
//!     .set_modified(now - Duration::from_secs(3600))?;
//!
//! let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
//! let provider = TokenProvider::new(dir.clone(), "my-sso", endpoint);
//! let lock = provider.lock(Duration::from_secs(10))?;
//! let token = match provider.begin(lock, now)? {
//!     Next::Ready(token) => token,
//!     Next::Refresh(refresh) => {
//!         assert_eq!(refresh.request().uri(), "https://oidc.us-east-1.amazonaws.com/token");
//!         // ... the adapter sends refresh.request() and gets:
//!         let response = http::Response::builder()
//!             .status(200)
//!             .body(r#"{"accessToken":"new","expiresIn":28800,"refreshToken":"rt2"}"#)
//!             .unwrap();
//!         refresh.finish_response(now, &response)?
//!     }
//!     Next::LoginRequired(_login) => unreachable!("the token is refreshable"),
//! };
//! assert_eq!(token.access_token.secret(), "new");
//!
//! // The refreshed token (with the rotated refresh token) is on disk.
//! let on_disk = dir.read_token("my-sso")?.token.unwrap();
//! assert_eq!(on_disk.refresh_token.unwrap().secret(), "rt2");
//! # std::fs::remove_dir_all(&scratch).unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use oidc_core;

pub mod aws_config;
mod client_state;
mod config;
mod credentials;
mod credentials_flow;
mod dir;
mod error;
mod flow;
mod fs;
mod lock;
pub mod loopback;
mod provider;
mod session;
mod session_flow;
mod signal;

/// A boxed error from a transport or from the caller's code (a request
/// signer); both adapters' `BoxError`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub use aws_config::{AwsConfig, ConfigFileError, Environment, Profile, ProfileSso};
pub use client_state::{jitter, Attempt, ClientState};
pub use config::{
    Config, ConfigError, DEFAULT_AUTHORIZATION_TIMEOUT, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IDLE_PER_HOST,
    DEFAULT_READ_TIMEOUT,
};
pub use credentials::{
    credentials_from_env, credentials_from_lookup, Begin, CredentialsCacheDir, CredentialsProvider,
    CredentialsSource, EnvCredentialsError, EnvLookup, Fetch, Wait, ENV_ACCESS_KEY_ID,
    ENV_ACCOUNT_ID, ENV_CREDENTIAL_EXPIRATION, ENV_SECRET_ACCESS_KEY, ENV_SECURITY_TOKEN,
    ENV_SESSION_TOKEN,
};
pub use credentials_flow::CredentialsFlow;
pub use dir::{CacheDir, Platform, ReadOutcome, RegistrationKey, RegistrationOutcome};
pub use error::{CacheProblem, CacheWarning, Error, HostError, TokenError};
pub use flow::{DeviceFlowRun, FileDone, FileJob, Flow, FlowStep};
pub use lock::{LockPoll, SessionLock};
pub use provider::{
    Login, LoginReason, Next, Refresh, Refreshed, RegistrationInfo, TokenProvider, TokenProviders,
};
pub use session::{Session, SignIn, DEFAULT_LOCK_TIMEOUT};
pub use session_flow::{SessionFlow, SignInMode, SignInPrompt};
pub use signal::{CancelToken, Signal};
