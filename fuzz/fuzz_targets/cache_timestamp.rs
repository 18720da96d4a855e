//! Fuzz target `cache_timestamp`: see `oidc_core_fuzz::cache_timestamp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::cache_timestamp(data));
