//! Targets that need `oidc-host` or `oidc-emulator` (not dependencies of
//! `oidc-core`, so `oidc-core/tests/fuzz_corpus.rs` cannot replay them;
//! `fuzz/tests/replay.rs` does, with `cargo test` inside `fuzz/`).
//!
//! Each body lives in `src/<target>.rs`, next to the `oidc-core` targets'.

// `src/lib.rs` includes this file with `#[path]`, which makes these `mod`
// declarations look for their files next to it, in `fuzz/src/`.
mod aws_config;
mod emulator_http;
mod loopback_request;

pub use aws_config::aws_config;
pub use emulator_http::emulator_http;
pub use loopback_request::loopback_request;

use crate::Target;

/// The targets of this module, by binary and corpus name.
pub const TARGETS: &[(&str, Target)] = &[
    ("loopback_request", loopback_request),
    ("emulator_http", emulator_http),
    ("aws_config", aws_config),
];
