//! Fuzz target `cache_token`: see `oidc_core_fuzz::cache_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::cache_token(data));
