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
#![forbid(unsafe_code)]

pub use http;

mod aws_query;
pub mod cache;
pub mod call;
pub mod credentials;
pub mod debug;
pub mod device_flow;
pub mod endpoint;
mod error;
pub mod identity_context;
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
