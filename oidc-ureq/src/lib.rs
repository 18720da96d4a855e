//! # oidc-ureq
//!
//! A blocking adapter for [`oidc_core`] over [ureq] 3: it does the I/O and
//! nothing else. Every protocol decision (what to send, whether to retry,
//! how long to wait between device-flow polls) comes from `oidc-core`.
//!
//! * [`Client`]: one method per operation (`register_client`,
//!   `start_device_authorization`, `create_token`, `create_token_with_iam`)
//!   returning the core's typed output or error. One ureq `Agent` (pooled
//!   connections), retries by [`oidc_core::retry`], a response-body cap,
//!   connect / read / whole-call timeouts, HTTPS only except loopback.
//! * [`Client::run_device_flow`] and [`Client::sign_in`]: the device flow,
//!   with the prompt shown through a callback and a [`CancelToken`].
//! * [`Client::begin_authorization_code`] / [`Client::authorization_code_sign_in`]:
//!   authorization code + PKCE with a loopback listener on `127.0.0.1`.
//! * [`Client::cached_token`] and [`Client::session_token`]: the AWS CLI
//!   SSO token cache (via [`oidc_host`]), refreshed under the cross-process
//!   session lock, signing in with the device flow when needed.
//!
//! ```no_run
//! use oidc_ureq::{CancelToken, Client, Config};
//!
//! let client = Client::new(Config::for_region("eu-west-1"))?;
//! let signed_in = client.sign_in(
//!     "my-tool",
//!     "https://my-sso-portal.awsapps.com/start",
//!     &["sso:account:access"],
//!     |prompt| eprintln!("Open {} and confirm the code {}", prompt.uri_to_open(), prompt.user_code),
//!     &CancelToken::new(),
//! )?;
//! println!("signed in; the token is valid for {} s", signed_in.token.expires_in);
//! # Ok::<(), oidc_ureq::Error>(())
//! ```
//!
//! [ureq]: https://docs.rs/ureq/3

mod cancel;
mod client;
mod device;
mod error;
mod pkce;
mod provider;
mod random;

pub use oidc_core;
pub use oidc_host;

pub use cancel::CancelToken;
pub use client::Client;
pub use error::Error;
// One definition for both adapters: the settings, the cached session and
// the sign-in result live in oidc-host (shared with oidc-hyper).
pub use oidc_host::{
    BoxError, Config, Session, SignIn, DEFAULT_AUTHORIZATION_TIMEOUT, DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT,
};
pub use pkce::AuthorizationCodeLogin;
