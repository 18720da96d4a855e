//! What only transports need: the state a client holds
//! ([`ClientState`]), the options of one run ([`RunOptions`]), how an I/O
//! failure is classified ([`Failure`], [`IoStage`]), retry jitter, and the
//! bytes of the PKCE loopback listener ([`loopback`]).
//!
//! A transport is a drive loop over [`Flow`](crate::Flow)s. This one, over
//! a fake "network" that answers every request with a fixed response, is
//! complete: it drives a single call, a device flow, a session's token or
//! credentials alike.
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use oidc_host::adapter::{ClientState, RunOptions};
//! use oidc_host::oidc_core::http;
//! use oidc_host::oidc_core::sso_oidc::register_client::RegisterClientInput;
//! use oidc_host::oidc_core::step::Step;
//! use oidc_host::{Config, Error, Event, Flow, Local, SignInPrompt};
//!
//! fn drive<F: Flow>(
//!     state: &ClientState,
//!     mut flow: F,
//!     send: impl Fn(http::Request<Vec<u8>>) -> http::Response<Vec<u8>>,
//!     mut prompt: impl FnMut(&SignInPrompt),
//!     options: &RunOptions,
//! ) -> Result<F::Output, Error> {
//!     loop {
//!         options.check(Instant::now())?;
//!         match flow.poll(Instant::now(), SystemTime::now()) {
//!             Step::Send(request) => {
//!                 let response = send(request);
//!                 state.deliver(&mut flow, Instant::now(), Event::Response(&response));
//!             }
//!             Step::WaitUntil(at) => {
//!                 options.cancel().wait_until(options.wait_target(at));
//!             }
//!             Step::Local(Local::Blocking(job)) => {
//!                 state.deliver(&mut flow, Instant::now(), Event::<Vec<u8>>::Job(job.run()));
//!             }
//!             Step::Local(Local::Prompt(p)) => prompt(&p),
//!             Step::Local(Local::Listen) => {
//!                 let refused = std::io::Error::other("no loopback listener here");
//!                 state.deliver(&mut flow, Instant::now(), Event::<Vec<u8>>::ListenerFailed(refused));
//!             }
//!             Step::Local(Local::AwaitRedirect { .. }) => {
//!                 state.deliver(&mut flow, Instant::now(), Event::<Vec<u8>>::RedirectTimedOut);
//!             }
//!             Step::Done(result) => return result,
//!         }
//!     }
//! }
//!
//! let state = ClientState::new(Config::for_region("eu-west-1"), "my-transport", "1.0")?;
//! let call = state.call(&RegisterClientInput::new("my-tool"), None)?;
//! let answer = |request: http::Request<Vec<u8>>| {
//!     assert_eq!(request.uri(), "https://oidc.eu-west-1.amazonaws.com/client/register");
//!     http::Response::builder()
//!         .status(200)
//!         .body(br#"{"clientId":"id","clientSecret":"secret","clientIdIssuedAt":1,"clientSecretExpiresAt":2}"#.to_vec())
//!         .unwrap()
//! };
//! let registered = drive(&state, call, answer, |_| {}, &RunOptions::new())?;
//! assert_eq!(registered.client_id, "id");
//! # Ok::<(), Error>(())
//! ```

mod client_state;
mod failure;
pub mod loopback;
mod run;

pub use client_state::{jitter, ClientState};
pub use failure::{Failure, IoStage};
pub use run::RunOptions;
