//! Fuzz target `emulator_http`: see `oidc_core_fuzz::host::emulator_http`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::host::emulator_http(data));
