//! Fuzz target `sts_form_encode`: see `oidc_core_fuzz::sts_form_encode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::sts_form_encode(data));
