//! # oidc-hyper
//!
//! An async transport for [`oidc_core`] over hyper 1.x (HTTP/1.1). It does
//! the I/O and nothing else: every decision (what to send, whether to
//! retry, how long to wait, what to do with the cached token, what the PKCE
//! listener answers) is made once, in `oidc-core` and `oidc-host`;
//! `oidc-ureq` drives the same state machines and behaves identically.
//!
//! It runs on **any executor**: a [`Client`] is built from a
//! [`Connector`](rt::Connector) (any `hyper::rt::Read + Write` stream), a
//! [`Timer`](rt::Timer) and an [`Executor`](rt::Executor) the caller
//! supplies; the executor's [`spawn_blocking`](rt::Executor::spawn_blocking)
//! runs the token cache's file work off the async threads. The `tokio`
//! feature (default) supplies all of them for tokio, with rustls (ring,
//! webpki-roots) for TLS: `Client::tokio`. Without it the crate has no
//! tokio runtime in its dependency tree.
//!
//! * [`Client::call`]: any operation of SSO OIDC, the SSO portal or STS,
//!   with the standard retries; [`Client::call_with`] takes
//!   [`RunOptions`]: a SigV4 signer, a cancel token, a deadline.
//! * [`Client::session_token`]: the AWS CLI's SSO token cache, refreshed
//!   under the cross-process session lock, signing in with the device flow
//!   or authorization code + PKCE when needed ([`SignInMode::CachedOnly`]
//!   never signs in); [`Client::sign_in`] always does.
//! * [`Client::credentials`]: AWS credentials from a
//!   [`CredentialsProvider`](oidc_host::CredentialsProvider) (SSO role,
//!   AssumeRole chains, environment), one fetch at a time.
//! * [`Client::run_device_flow`]: a device flow you built yourself;
//!   [`Client::run`]: any [`Flow`](oidc_host::Flow), with the same drive
//!   loop as every method above.
//!
//! Connections are pooled; connect, read and whole-attempt timeouts run on
//! the caller's timer; response bodies are capped; plain HTTP is refused
//! except to loopback; no proxy is used. Every wait races a
//! [`CancelToken`].
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn example() -> Result<(), oidc_hyper::Error> {
//! use oidc_hyper::oidc_host::CacheDir;
//! use oidc_hyper::{Client, Config, RunOptions, Session, SignInMode, SignInPrompt};
//!
//! let client = Client::tokio(Config::for_region("eu-west-1"))?;
//! let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start");
//! let token = client
//!     .session_token(&session, SignInMode::DeviceCode, |prompt| {
//!         if let SignInPrompt::DeviceCode(p) = prompt {
//!             println!("Open {} and enter {}", p.verification_uri, p.user_code);
//!         }
//!     }, &RunOptions::new())
//!     .await?;
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod client;
mod loopback;
pub mod rt;
mod transport;

#[cfg(feature = "tokio")]
pub mod tokio;

pub use client::Client;
pub use oidc_core;
pub use oidc_host;
// One definition for both adapters: the error, the settings and the
// session live in oidc-host (shared with oidc-ureq).
pub use oidc_host::adapter::RunOptions;
pub use oidc_host::{
    CancelToken, Config, Error, Session, SignInMode, SignInPrompt, DEFAULT_AUTHORIZATION_TIMEOUT,
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT,
};
