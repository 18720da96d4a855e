//! Fuzz target `create_token`: see `oidc_core_fuzz::create_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::create_token(data));
