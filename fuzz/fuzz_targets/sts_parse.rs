//! Fuzz target `sts_parse`: see `oidc_core_fuzz::sts_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::sts_parse(data));
