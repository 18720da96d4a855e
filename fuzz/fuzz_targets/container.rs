//! Fuzz target `container`: see `oidc_core_fuzz::container`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::container(data));
