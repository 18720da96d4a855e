//! The `oidc-core-fuzz` library: the target bodies of `src/lib.rs` (which
//! `oidc-core/tests/fuzz_corpus.rs` includes, so it may use nothing but
//! `oidc-core` and its dependencies) and of `src/host.rs` (targets that
//! need `oidc-host` or `oidc-emulator`).

#[path = "lib.rs"]
mod core_targets;
pub mod host;

pub use core_targets::*;

/// Every target of the crate: [`TARGETS`] and [`host::TARGETS`].
pub fn all_targets() -> Vec<(&'static str, Target)> {
    TARGETS.iter().chain(host::TARGETS).copied().collect()
}
