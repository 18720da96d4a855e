//! Fuzz target `assume_role_cache`: see `oidc_core_fuzz::assume_role_cache`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::assume_role_cache(data));
