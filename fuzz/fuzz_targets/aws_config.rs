//! Fuzz target `aws_config`: see `oidc_core_fuzz::host::aws_config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::host::aws_config(data));
