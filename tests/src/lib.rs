//! Shared helpers for the end-to-end tests in `tests/tests/`: a minimal W3C
//! WebDriver client ([`webdriver`]) for the browser tests, a third
//! transport ([`std_transport`]) the conformance table drives beside the
//! two adapters, and the
//! `race_child` binary (`src/bin/race_child.rs`) the cross-process refresh
//! race test starts.

pub mod std_transport;
pub mod webdriver;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
