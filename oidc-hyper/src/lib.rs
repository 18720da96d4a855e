//! # oidc-hyper
//!
//! An async transport for [`oidc_core`] over hyper 1.x (HTTP/1.1): one
//! method per SSO OIDC operation with oidc-core's retry policy, a
//! device-flow driver, an authorization-code + PKCE driver, and connection
//! reuse.
//!
//! It runs on **any executor**: a [`Client`] is built from a
//! [`Connector`](rt::Connector) (any `hyper::rt::Read + Write` stream), a
//! [`Timer`](rt::Timer) and an [`Executor`](rt::Executor) the caller
//! supplies. The `tokio` feature (default) supplies them for tokio, with
//! rustls (ring, webpki-roots) for TLS: `Client::tokio`. Without it the
//! crate has no tokio in its dependency tree (the `oidc-hyper-smol-test`
//! package runs the full device flow on smol to prove it).
//!
//! Every protocol decision (what to send, how to parse, retry or not, how
//! long to wait) comes from oidc-core; this crate only does I/O:
//!
//! * HTTPS only, except plain HTTP to loopback (or when
//!   [`Config::allow_insecure_http`] is set).
//! * Connect, read and whole-attempt (call) timeouts on the caller's timer.
//! * Response bodies are capped ([`Config::max_body_bytes`], 1 MiB by
//!   default): a larger body is [`Error::BodyTooLarge`] and reading
//!   stops at the cap.
//! * A few idle connections per host are kept for reuse.
//! * Flows are cancellable with a [`CancelToken`]; every wait races it.
//! * The token provider ([`Client::session_token`], [`Client::cached_token`])
//!   keeps the AWS CLI's SSO token cache through `oidc-host`, taking its
//!   cross-process lock by polling on the caller's timer (never blocking
//!   the executor).
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn example() -> Result<(), oidc_hyper::Error> {
//! use oidc_core::sso_oidc::register_client::RegisterClientInput;
//! use oidc_hyper::{CancelToken, Client, Config};
//!
//! let client = Client::tokio(Config::for_region("us-east-1"))?;
//! let registration = client.register_client(&RegisterClientInput::new("my-tool")).await?;
//! let token = client
//!     .device_sign_in(&registration, "https://my-org.awsapps.com/start", |prompt| {
//!         println!("Open {} and enter {}", prompt.verification_uri, prompt.user_code);
//!     }, &CancelToken::new())
//!     .await?;
//! # let _ = token;
//! # Ok(())
//! # }
//! ```

mod client;
mod device;
mod error;
mod pkce;
mod provider;
pub mod rt;
mod transport;

#[cfg(feature = "tokio")]
pub mod tokio;

pub use client::Client;
pub use error::{Error, TimeoutPhase, TransportKind};
pub use oidc_core;
pub use oidc_host;
// One definition for both adapters: the settings, the cached session and
// the sign-in result live in oidc-host (shared with oidc-ureq).
pub use oidc_host::{
    BoxError, Config, Session, SignIn, DEFAULT_AUTHORIZATION_TIMEOUT, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT,
};
pub use rt::CancelToken;
