//! Fuzz target `create_token_with_iam`: see `oidc_core_fuzz::create_token_with_iam`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::create_token_with_iam(data));
