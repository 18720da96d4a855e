//! Fuzz target `call_machine`: see `oidc_core_fuzz::call_machine`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::call_machine(data));
