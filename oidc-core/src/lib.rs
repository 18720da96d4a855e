//! # oidc-core
//!
//! A sans-IO protocol core for AWS IAM Identity Center OIDC ("SSO OIDC"),
//! the SSO portal and AWS STS.
//!
//! Everything here is pure: it builds [`http::Request`] values, parses
//! [`http::Response`] values into typed outputs and typed errors, resolves
//! endpoints, signs (SigV4), decides retries, and runs one call with
//! retries ([`Call`]) and the RFC 8628 device flow ([`DeviceFlow`]) as
//! state machines. It performs **no I/O**: no sockets, files, threads, sleeping,
//! clock reads, environment reads or randomness. Time, random bytes and
//! credentials are arguments. Transports live in separate crates
//! (`oidc-ureq` for blocking code, `oidc-hyper` for async code), and other
//! SDKs can vendor this crate and bring their own.
//!
//! ## Map
//!
//! * [`Operation`]: every operation's input implements it (name, service,
//!   [`Auth`], request builder, parser), so one generic [`Call`] runs them
//!   all; [`call`]: that state machine (send / wait / done) with the
//!   standard retries, the caller's quota and jitter, and re-signing of
//!   every attempt.
//! * [`sso_oidc`], [`portal`] (the SSO portal) and [`sts`]: one module per
//!   operation, each with a typed input, a pure `request` builder and a
//!   pure `parse`; [`identity_context`]: identity-enhanced role sessions.
//! * [`step`]: the one "what next" vocabulary of every state machine
//!   ([`Step`]: send, wait, local work, done).
//! * [`device_flow`]: the device authorization flow ([`DeviceFlow`],
//!   [`DeviceFlowStep`]) and the drive loop every adapter follows.
//! * [`pkce`]: authorization code + PKCE (verifier, challenge, state,
//!   authorize URL, redirect parsing).
//! * [`cache`]: the AWS CLI v2 SSO token cache format and the pure refresh
//!   decision.
//! * [`endpoint`]: endpoint resolution from the official rule sets.
//! * [`federation`]: the console federation endpoint (a sign-in token from
//!   temporary credentials, the console sign-in URL).
//! * [`retry`]: the AWS standard retry policy.
//! * [`secret`]: secret newtypes whose `Debug` prints `[redacted]`.
//! * [`credentials`]: AWS [`Credentials`] (access key pair, session token,
//!   expiry).
//! * [`sigv4`]: a pure AWS Signature Version 4 signer (header signing), for
//!   STS and SSO OIDC CreateTokenWithIAM.
//! * [`untrusted`]: the service's text made safe to print, and URIs safe
//!   to open.
//! * [`debug`]: allow-list `Debug` views of requests and responses.
//! * [`Error`]: every error, layered by who is at fault.
//!
//! ## One operation by hand
//!
//! ```
//! use oidc_core::endpoint::{resolve, EndpointConfig, Service};
//! use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
//!
//! let endpoint = resolve(Service::SsoOidc, &EndpointConfig::for_region("eu-west-1")).unwrap();
//! let request = register_client::request(&RegisterClientInput::new("my-tool"), &endpoint).unwrap();
//! assert_eq!(request.uri(), "https://oidc.eu-west-1.amazonaws.com/client/register");
//! // ... send it with any HTTP client, then:
//! let response = http::Response::builder()
//!     .status(400)
//!     .header("x-amzn-ErrorType", "InvalidClientMetadataException:http://internal.amazon.com/coral/x/")
//!     .header("x-amzn-RequestId", "req-1")
//!     .body(r#"{"error":"invalid_client_metadata","error_description":"bad name"}"#)
//!     .unwrap();
//! let error = register_client::parse(&response).unwrap_err();
//! assert_eq!(error.sso_oidc_code(), Some(oidc_core::sso_oidc::ErrorCode::InvalidClientMetadata));
//! assert_eq!(
//!     error.to_string(),
//!     "RegisterClient failed: InvalidClientMetadataException (HTTP 400): invalid_client_metadata: bad name [request id: req-1]"
//! );
//! ```
//!
//! ## Embedding oidc-core
//!
//! For an SDK (in Rust, or in another language through FFI or WebAssembly)
//! that brings its own HTTP client, clock and scheduler. Every operation
//! runs through the same drive loop: poll the [`Call`], carry out the
//! [`Step`], hand the outcome back, poll again.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Instant, SystemTime};
//! use oidc_core::sts::get_caller_identity::{GetCallerIdentityInput, GetCallerIdentityOutput};
//! use oidc_core::{endpoint::Endpoint, retry::RetryQuota, sigv4::SigV4Signer};
//! use oidc_core::{Call, CallOptions, Credentials, Error, Step, TransportError};
//!
//! /// What the embedder brings: its transport, its clocks, its sleep and its
//! /// randomness. The core reads none of them itself.
//! trait Host {
//!     fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>;
//!     fn monotonic(&self) -> Instant;
//!     fn wall_clock(&self) -> SystemTime;
//!     fn sleep_until(&self, at: Instant);
//!     fn random_u32(&self) -> u32;
//! }
//!
//! fn caller_identity(host: &impl Host, credentials: Credentials) -> Result<GetCallerIdentityOutput, Error> {
//!     let signer = SigV4Signer::new(credentials, "us-east-1");
//!     let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//!     let options = CallOptions::default().with_signer(Arc::new(signer));
//!     let mut call = Call::new(&GetCallerIdentityInput::new(), &endpoint, options)?;
//!     let mut quota = RetryQuota::default(); // one per client, shared by its calls
//!     loop {
//!         match call.poll(host.monotonic(), host.wall_clock()) {
//!             Step::Send(request) => match host.send(request) {
//!                 Ok(response) => call.handle_response(host.monotonic(), &response, &mut quota, host.random_u32()),
//!                 Err(error) => call.handle_transport_error(host.monotonic(), error, &mut quota, host.random_u32()),
//!             },
//!             Step::WaitUntil(at) => host.sleep_until(at), // to cancel, drop the call
//!             Step::Local(none) => match none {},         // a single call asks for no local work
//!             Step::Done(result) => return result,
//!         }
//!     }
//! }
//! ```
//!
//! The [`DeviceFlow`] is driven the same way (its `Step::Local` is a
//! [`Prompt`] to show); see [`device_flow`] and [`call`].
//!
//! ### What the embedder supplies
//!
//! * **Monotonic time**: an [`Instant`](std::time::Instant) passed to every
//!   `poll` and `handle_*` call; [`Step::WaitUntil`] names the instant to
//!   sleep until. The core never reads a clock, so tests can drive it with
//!   any sequence of instants.
//! * **Wall-clock time**: a [`SystemTime`](std::time::SystemTime) for
//!   signing ([`Call::poll`]'s `wall_clock`) and for expiry decisions
//!   ([`Credentials::is_expired`], the [`cache`] refresh decisions).
//! * **Random numbers**: a uniformly random `u32` per
//!   [`Call::handle_response`] / [`Call::handle_transport_error`] (the
//!   back-off jitter), and, from a CSPRNG, 32 bytes for
//!   [`secret::CodeVerifier::from_random_bytes`] and 16 for
//!   [`pkce::State::from_random_bytes`].
//! * **Credentials for SigV4** (STS, SSO OIDC `CreateTokenWithIAM`): a
//!   [`SignRequest`] in [`CallOptions::with_signer`], either
//!   [`sigv4::SigV4Signer`] over [`Credentials`] or your own (to reuse a
//!   host SDK's signer or credential provider). [`Auth`] says which
//!   operations need one.
//! * **The transport**: sends each [`Step::Send`] request (an
//!   [`http::Request<Vec<u8>>`](http::Request)) once, with no retries of
//!   its own (the [`Call`] retries), and answers with the response or a
//!   [`TransportError`]. It honours the [`step::SendDeadline`] extension
//!   ([`step::send_deadline`]) and names the [`step::OperationName`]
//!   extension in its errors. TLS, proxies and connection pooling are its
//!   business.
//!
//! ### Stability
//!
//! Public structs and enums that may grow (operation inputs and outputs,
//! options, errors and error codes, cache decisions) are
//! `#[non_exhaustive]` (rustdoc shows it on each type): match their enums
//! with a wildcard arm (`_ => ...`), build their structs through `new` and
//! `with_*` methods rather than struct literals, and read their public
//! fields freely. A new variant or field in them is not a breaking change.
//! The others are exhaustive on purpose, and changing them is breaking:
//! [`Step`] and [`step::NoLocal`] (a new kind of step must be a compile
//! error in every driver), [`retry::RetryDecision`], and plain parameter
//! structs such as [`cache::RefreshPolicy`]. The crate follows Cargo's
//! semver rules; while it is `0.x`, a minor bump (`0.1` → `0.2`) may break
//! the API, so depend on `oidc-core = "0.1"` (or vendor a fixed revision).
//!
//! ### Features and dependencies
//!
//! The crate has no cargo features: there is nothing optional to trim. Its
//! dependencies are all pure Rust (no C code): `http`, `serde`,
//! `serde_json`, `serde_path_to_error`, `thiserror`, `sha1`, `sha2`,
//! `hmac`, `base64`, `subtle`, `regex-lite`, and `time`, `zeroize` and
//! `quick-xml` without their default features; about 40 crates in all
//! (`cargo tree -p oidc-core -e normal`). It builds for
//! `wasm32-unknown-unknown` and `wasm32-wasip1`; its tests and doctests run
//! on `wasm32-wasip1` under Wasmtime (`scripts/test-wasm`). It builds with
//! the workspace's `rust-version` (`scripts/check-msrv`).
#![forbid(unsafe_code)]

pub use http;

mod aws_query;
pub mod cache;
pub mod call;
pub mod container;
pub mod credential_process;
pub mod credentials;
pub mod debug;
pub mod device_flow;
pub mod endpoint;
mod error;
pub mod federation;
pub mod identity_context;
pub mod imds;
mod operation;
mod percent;
pub mod pkce;
pub mod portal;
mod rest_json;
pub mod retry;
mod scrub;
pub mod secret;
pub mod sigv4;
pub mod sso_oidc;
pub mod step;
pub mod sts;
mod transport_error;
pub mod untrusted;

pub use call::{Call, CallOptions, SignRequest};
pub use credentials::Credentials;
pub use device_flow::{DeviceFlow, DeviceFlowError, DeviceFlowStep, Prompt};
pub use error::{
    Error, ErrorCode, ErrorDetails, Fault, InvalidInput, Misuse, OAuthDetails, ParseError,
    ParseErrorKind, QueryDetails, ServiceError,
};
pub use operation::{Auth, Operation};
pub use rest_json::USER_AGENT;
pub use step::Step;
pub use transport_error::{TimeoutPhase, TransportError, TransportErrorKind};
