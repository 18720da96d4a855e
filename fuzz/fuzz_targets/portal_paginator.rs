//! Fuzz target `portal_paginator`: see `oidc_core_fuzz::portal_paginator`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oidc_core_fuzz::portal_paginator(data));
