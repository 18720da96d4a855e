//! Fuzz target `pkce_redirect`: see `oidc_core_fuzz::pkce_redirect`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::pkce_redirect(data));
