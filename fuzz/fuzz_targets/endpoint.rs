//! Fuzz target `endpoint`: see `oidc_core_fuzz::endpoint`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::endpoint(data));
