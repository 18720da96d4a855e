//! Fuzz target `imds`: see `oidc_core_fuzz::imds`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::imds(data));
