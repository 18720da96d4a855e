//! Fuzz target `start_device_authorization`: see `oidc_core_fuzz::start_device_authorization`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::start_device_authorization(data));
