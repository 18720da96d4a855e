//! Fuzz target `credential_process`: see `oidc_core_fuzz::credential_process`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::credential_process(data));
