//! Fuzz target `portal_parse`: see `oidc_core_fuzz::portal_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::portal_parse(data));
