//! # oidc-ureq
//!
//! A blocking adapter for [`oidc_core`] over [ureq] 3: it does the I/O and
//! nothing else. Every decision (what to send, whether to retry, how long
//! to wait, what to do with the cached token, what the PKCE listener
//! answers) is made once, in `oidc-core` and `oidc-host`; `oidc-hyper`
//! drives the same state machines and behaves identically.
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
//! Connections are pooled; connect, read and whole-call timeouts apply to
//! every attempt; response bodies are capped; plain HTTP is refused except
//! to loopback. No proxy is used (`HTTPS_PROXY` is ignored), as in
//! `oidc-hyper`: credentials never cross a proxy.
//!
//! ```no_run
//! use oidc_ureq::oidc_host::CacheDir;
//! use oidc_ureq::{Client, Config, RunOptions, Session, SignInMode, SignInPrompt};
//!
//! let client = Client::new(Config::for_region("eu-west-1"))?;
//! let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start");
//! let token = client.session_token(&session, SignInMode::DeviceCode, |prompt| {
//!     if let SignInPrompt::DeviceCode(p) = prompt {
//!         eprintln!("Open {} and confirm the code {}", p.uri_to_open(), p.user_code);
//!     }
//! }, &RunOptions::new())?;
//! println!("signed in until {:?}", token.expires_at);
//! # Ok::<(), oidc_ureq::Error>(())
//! ```
//!
//! [ureq]: https://docs.rs/ureq/3
#![forbid(unsafe_code)]

mod client;
mod transport;

pub use oidc_core;
pub use oidc_host;

pub use client::Client;
// One definition for both adapters: the error, the settings and the
// session live in oidc-host (shared with oidc-hyper).
pub use oidc_host::adapter::RunOptions;
pub use oidc_host::{
    CancelToken, Config, Error, Session, SignInMode, SignInPrompt, DEFAULT_AUTHORIZATION_TIMEOUT,
    DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT,
};
