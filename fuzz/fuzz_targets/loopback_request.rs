//! Fuzz target `loopback_request`: see `oidc_core_fuzz::host::loopback_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::host::loopback_request(data));
