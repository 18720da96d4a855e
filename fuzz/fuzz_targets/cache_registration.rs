//! Fuzz target `cache_registration`: see `oidc_core_fuzz::cache_registration`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::cache_registration(data));
