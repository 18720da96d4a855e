//! Replays every corpus file of every target (including those that need
//! `oidc-host` and `oidc-emulator`, which `oidc-core`'s `fuzz_corpus` test
//! cannot reach) on stable Rust: `cargo test` inside `fuzz/`.
//!
//! A panic hook records panics on every thread, so a panic inside an
//! emulator connection thread fails the test too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
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
fn every_corpus_file_of_every_target_replays() {
    let panics = Arc::new(AtomicUsize::new(0));
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let (panics, messages) = (Arc::clone(&panics), Arc::clone(&messages));
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            panics.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut m) = messages.lock() {
                let thread = std::thread::current();
                m.push(format!("[{}] {info}", thread.name().unwrap_or("?")));
            }
            previous(info);
        }));
    }
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, target) in oidc_core_fuzz::all_targets() {
        for file in corpus(name) {
            let data = std::fs::read(&file).expect("readable corpus file");
            replayed += 1;
            let before = panics.load(Ordering::SeqCst);
            let result = std::panic::catch_unwind(|| target(&data));
            if result.is_err() || panics.load(Ordering::SeqCst) != before {
                failures.push(file.display().to_string());
            }
        }
    }
    let messages = messages.lock().map(|m| m.join("\n")).unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {replayed} corpus files fail:\n{}\n{messages}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("replayed {replayed} corpus files");
}

#[test]
fn every_target_has_a_binary_and_a_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("the manifest");
    let names: Vec<&str> = oidc_core_fuzz::all_targets()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for name in &names {
        assert!(dir
            .join("fuzz_targets")
            .join(format!("{name}.rs"))
            .is_file());
        assert!(manifest.contains(&format!("name = \"{name}\"")));
        assert!(!corpus(name).is_empty());
    }
    for host in oidc_core_fuzz::HOST_TARGETS {
        assert!(names.contains(host), "{host} has no body");
    }
}
