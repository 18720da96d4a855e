//! Shared helpers for the end-to-end tests in `tests/tests/`: a minimal W3C
//! WebDriver client ([`webdriver`]) for the browser tests, and the
//! `race_child` binary (`src/bin/race_child.rs`) the cross-process refresh
//! race test starts.

pub mod webdriver;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
