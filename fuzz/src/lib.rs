//! The `oidc-core-fuzz` library: the body of every fuzz target, one file
//! per target (`src/<target>.rs`, named like its libFuzzer binary in
//! `fuzz_targets/` and its corpus in `corpus/`).
//!
//! `src/core_targets.rs` declares the targets of `oidc-core` alone (which
//! `oidc-core/tests/fuzz_corpus.rs` includes too, so they may use nothing
//! but `oidc-core` and its dependencies) and `src/host.rs` those that need
//! `oidc-host` or `oidc-emulator`.

// Included with `#[path]` (as `oidc-core/tests/fuzz_corpus.rs` includes
// `core_targets.rs`), so the modules they declare live in `src/` too.
#[path = "core_targets.rs"]
mod core_targets;
#[path = "host.rs"]
pub mod host;

pub use core_targets::*;

/// Every target of the crate: [`TARGETS`] and [`host::TARGETS`].
pub fn all_targets() -> Vec<(&'static str, Target)> {
    TARGETS.iter().chain(host::TARGETS).copied().collect()
}
