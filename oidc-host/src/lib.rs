//! # oidc-host
//!
//! The host-side pieces shared by the `oidc-ureq` and `oidc-hyper`
//! adapters (one copy, used by both): the SSO token cache on disk and the
//! token provider's decisions. This crate reads files and environment
//! variables and may sleep while waiting for a lock; it does no HTTP.
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
//!         refresh.finish(now, Ok(&response))?
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
//!
//! ## Deviations from the agreed API sketch
//!
//! * `TokenError::SessionEnded`/`RefreshFailed` carry `still_valid:
//!   Option<Box<CachedToken>>` (boxed to keep the error small); use
//!   [`TokenError::still_valid`] / [`TokenError::into_still_valid`].
//! * [`RegistrationInfo`] is a small struct (client id, secret, expiry)
//!   built with `From<&RegisterClientOutput>` or `From<&CachedRegistration>`.
//! * Registration entries are addressed by a [`RegistrationKey`] (start
//!   URL, region, configured scopes, session name), which is what the AWS
//!   CLI hashes for the file name.
//! * Added: [`TokenProvider::login`] (forced sign-in, e.g. after
//!   `SessionEnded`), [`TokenProvider::lock`]/[`TokenProvider::try_lock`],
//!   [`CacheDir::lock_path`], [`CacheDir::remove_token`],
//!   [`TokenError::NotSaved`] (a new token that could not be written is
//!   still handed back) and [`TokenError::RefreshThrottled`].

pub use oidc_core;

mod config;
mod dir;
mod error;
mod fs;
mod lock;
mod provider;
mod session;

/// A boxed error from a transport or from the caller's code (a request
/// signer); both adapters' `BoxError`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub use config::{
    Config, ConfigError, DEFAULT_AUTHORIZATION_TIMEOUT, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IDLE_PER_HOST,
    DEFAULT_READ_TIMEOUT,
};
pub use dir::{CacheDir, Platform, ReadOutcome, RegistrationKey, RegistrationOutcome};
pub use error::{
    CacheProblem, CacheWarning, HostError, RefreshFailure, TokenError, TransportFailure,
};
pub use lock::{LockPoll, SessionLock};
pub use provider::{
    Login, LoginReason, Next, Refresh, Refreshed, RegistrationInfo, TokenProvider, TokenProviders,
};
pub use session::{Session, SignIn, DEFAULT_LOCK_TIMEOUT};
