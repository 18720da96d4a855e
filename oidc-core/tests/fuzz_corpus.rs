//! Replays the fuzz corpus on stable Rust.
//!
//! Every file in `fuzz/corpus/<target>/` goes through the very function the
//! libFuzzer binary `<target>` runs (`fuzz/src/<target>.rs`, declared by
//! `fuzz/src/core_targets.rs`, included below), so the seeds and every
//! crash ever minimised into the corpus stay regression tests without
//! nightly or libFuzzer.
//!
//! The targets that need `oidc-host` or `oidc-emulator` (`targets::HOST_TARGETS`:
//! `loopback_request`, `emulator_http`) cannot run here, since `oidc-core`
//! does not depend on those crates; `fuzz/tests/replay.rs` replays them, and
//! every other corpus, with `cargo test` inside `fuzz/` (`scripts/fuzz`
//! runs it). This test checks that their binaries and corpora exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/core_targets.rs"]
pub mod targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The corpus files of `target`, sorted; fails when the directory is
/// missing or holds no seed.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
        // Hidden files are libFuzzer's scratch files (ignored by git).
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "corpus directory {} is empty",
        dir.display()
    );
    files
}

#[test]
fn every_corpus_file_replays_without_panicking() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, target) in targets::TARGETS {
        for file in corpus(name) {
            let data = std::fs::read(&file).expect("readable corpus file");
            replayed += 1;
            if let Err(panic) = std::panic::catch_unwind(|| target(&data)) {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(non-string panic)")
                    .to_owned();
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} corpus files fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_binary_and_every_corpus_a_target() {
    let names: Vec<&str> = targets::TARGETS
        .iter()
        .map(|(name, _)| *name)
        .chain(targets::HOST_TARGETS.iter().copied())
        .collect();
    for name in &names {
        let binary = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(binary.is_file(), "no libFuzzer binary {}", binary.display());
        let manifest =
            std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz manifest");
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
    for name in targets::HOST_TARGETS {
        assert!(!corpus(name).is_empty());
    }
    for entry in std::fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus exists") {
        let path = entry.expect("readable directory entry").path();
        let dir = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        assert!(
            names.contains(&dir.as_str()),
            "fuzz/corpus/{dir} belongs to no target"
        );
    }
}
