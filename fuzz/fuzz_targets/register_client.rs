//! Fuzz target `register_client`: see `oidc_core_fuzz::register_client`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::register_client(data));
