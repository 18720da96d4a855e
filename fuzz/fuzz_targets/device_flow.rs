//! Fuzz target `device_flow`: see `oidc_core_fuzz::device_flow`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::device_flow(data));
