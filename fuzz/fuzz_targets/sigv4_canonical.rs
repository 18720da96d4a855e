//! Fuzz target `sigv4_canonical`: see `oidc_core_fuzz::sigv4_canonical`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::sigv4_canonical(data));
