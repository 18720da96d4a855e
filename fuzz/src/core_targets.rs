//! The bodies of the `oidc-core` fuzz targets.
//!
//! One function per target, each taking the raw fuzz input, in a file of
//! its own named after the target (`src/<target>.rs`); helpers several
//! targets share live in `src/support.rs`. The libFuzzer binaries in
//! `fuzz/fuzz_targets/` call them, and the stable test
//! `oidc-core/tests/fuzz_corpus.rs` includes this very file (with
//! `#[path]`), and with it every module it declares, to replay every corpus
//! file through the same code, so a seed that once crashed stays a
//! regression test on stable Rust.
//!
//! These files therefore use nothing but `oidc-core` and crates `oidc-core`
//! itself depends on (`http`, `serde_json`, `time`), and no fuzzing
//! library: inputs are decoded by hand from small text formats, which keeps
//! the seeds in `fuzz/corpus/<target>/` readable and easy to write.
//!
//! A target panics (a libFuzzer crash, a failed replay test) when
//! `oidc-core` panics or when one of the invariants checked here is broken.
//!
//! # Input formats
//!
//! * HTTP response targets (`register_client`, `start_device_authorization`,
//!   `create_token`, `create_token_with_iam`): a response written like on
//!   the wire without the protocol name: the status code on the first line,
//!   then `Name: value` header lines, an empty line, and the body (the rest
//!   of the input, any bytes). See [`response`].
//! * `cache_token`, `cache_registration`: the cache file's bytes.
//! * `cache_timestamp`: the text of an `expiresAt` value.
//! * `pkce_redirect`: the request target the loopback listener received;
//!   the expected state is [`expected_state`].
//! * `endpoint`: three lines: flags (`oidc`/`sso`/`sts`, `fips`,
//!   `dualstack`, `global`), the region (`-` for none), the custom endpoint
//!   URL (`-` for none).
//! * `device_flow`: a script; see [`device_flow`].
//! * `sts_parse`, `portal_parse`: a selector byte (`a`, `b`, ...) naming
//!   one STS (portal) operation, then a response as above for its parser;
//!   see [`sts_parse`], [`portal_parse`].
//! * `sts_form_encode`: an operation name, then one member per line; see
//!   [`sts_form_encode`].
//! * `portal_paginator`: a header line, then one page per line; see
//!   [`portal_paginator`].
//! * `sigv4_canonical`: `METHOD URI`, signing parameters, headers, body;
//!   see [`sigv4_canonical`].
//! * `call_machine`: a header line, then one answer per line; see
//!   [`call_machine`].
//!
//! * `credential_process`: a selector byte, then a command line for
//!   `split_command` or a process's output for `parse_output`; see
//!   [`credential_process`].
//! * `container`: four lines (relative URI, full URI, token, resolved
//!   addresses), then a response; see [`container`].
//! * `imds`: a header line, then answers separated by `--` lines; see
//!   [`imds`].
//! * `assume_role_cache`: a selector byte, then lines of cache-key
//!   arguments (and a policy) or of credentials; see [`assume_role_cache`].
//!
//! `loopback_request`, `emulator_http` and `aws_config` need `oidc-host`
//! or `oidc-emulator`; `src/host.rs` declares them (see
//! [`HOST_TARGETS`]).
// The harness panics on purpose when a property fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Both includers of this file use `#[path]`, which makes these `mod`
// declarations look for their files next to it, in `fuzz/src/`.
mod support;

mod assume_role_cache;
mod cache_registration;
mod cache_timestamp;
mod cache_token;
mod call_machine;
mod container;
mod create_token;
mod create_token_with_iam;
mod credential_process;
mod device_flow;
mod endpoint;
mod imds;
mod pkce_redirect;
mod portal_paginator;
mod portal_parse;
mod register_client;
mod sigv4_canonical;
mod start_device_authorization;
mod sts_form_encode;
mod sts_parse;

pub use support::{contains, response};

pub use assume_role_cache::assume_role_cache;
pub use cache_registration::cache_registration;
pub use cache_timestamp::cache_timestamp;
pub use cache_token::cache_token;
pub use call_machine::call_machine;
pub use container::container;
pub use create_token::create_token;
pub use create_token_with_iam::create_token_with_iam;
pub use credential_process::credential_process;
pub use device_flow::device_flow;
pub use endpoint::endpoint;
pub use imds::imds;
pub use pkce_redirect::expected_state;
pub use pkce_redirect::pkce_redirect;
pub use portal_paginator::portal_paginator;
pub use portal_parse::portal_parse;
pub use register_client::register_client;
pub use sigv4_canonical::sigv4_canonical;
pub use start_device_authorization::start_device_authorization;
pub use sts_form_encode::sts_form_encode;
pub use sts_parse::sts_parse;

/// A fuzz target: takes the raw input, panics on a bug.
pub type Target = fn(&[u8]);

/// Every target, by the name of its libFuzzer binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("register_client", register_client),
    ("start_device_authorization", start_device_authorization),
    ("create_token", create_token),
    ("create_token_with_iam", create_token_with_iam),
    ("cache_token", cache_token),
    ("cache_registration", cache_registration),
    ("cache_timestamp", cache_timestamp),
    ("pkce_redirect", pkce_redirect),
    ("endpoint", endpoint),
    ("device_flow", device_flow),
    ("sts_parse", sts_parse),
    ("sts_form_encode", sts_form_encode),
    ("portal_parse", portal_parse),
    ("portal_paginator", portal_paginator),
    ("sigv4_canonical", sigv4_canonical),
    ("call_machine", call_machine),
    ("credential_process", credential_process),
    ("container", container),
    ("imds", imds),
    ("assume_role_cache", assume_role_cache),
];

/// Targets whose bodies need `oidc-host` or `oidc-emulator` (declared by
/// `src/host.rs`, outside this file, which `oidc-core`'s tests include):
/// replayed by `fuzz/tests/replay.rs` (`cargo test` inside `fuzz/`).
pub const HOST_TARGETS: &[&str] = &["loopback_request", "emulator_http", "aws_config"];
