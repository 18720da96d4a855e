//! What `oidc_host::export` prints for a shell sets exactly the value when
//! the real shell evaluates it: arbitrary strings (quotes, `$()`,
//! backquotes, newlines, Unicode) round-trip through `sh`, and through
//! `fish` and `pwsh` when they are installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oidc_host::oidc_core::Credentials;
use oidc_host::{Export, ExportFormat};
use proptest::prelude::*;

/// Runs `program args.. script` and returns its stdout, killed after 20 s.
fn run(program: &str, args: &[&str], script: &str) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .arg(script)
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} did not finish in 20 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn credentials(secret: &str) -> Credentials {
    Credentials::new("ASIAIOSFODNN7EXAMPLE", secret).with_session_token(secret)
}

/// Strings a shell could misread: quotes of every kind, `$`, `()`,
/// backquotes, backslashes, `;`, `&`, `|`, `%`, `!`, newlines, tabs,
/// escapes, Unicode. No NUL (no environment variable can hold one).
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("$(".to_owned()),
        Just(")".to_owned()),
        Just("${HOME}".to_owned()),
        Just("\\".to_owned()),
        Just("\\'".to_owned()),
        Just(";".to_owned()),
        Just("&&".to_owned()),
        Just("|".to_owned()),
        Just("%PATH%".to_owned()),
        Just("!".to_owned()),
        Just("\n".to_owned()),
        Just("\t".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("\u{2018}\u{2019}\u{201c}\u{201d}".to_owned()),
        Just("é😀".to_owned()),
        Just("-n".to_owned()),
        "[a-zA-Z0-9+/=]{0,8}",
        any::<char>()
            .prop_filter("no NUL", |c| *c != '\0')
            .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn sh_round_trips(secret in hostile()) {
        for format in [ExportFormat::Env, ExportFormat::EnvNoExport] {
            let out = Export::new().render(&credentials(&secret), format).unwrap();
            let script = format!(
                "{out}printf '%s|%s' \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\""
            );
            let got = run("sh", &["-c"], &script);
            prop_assert_eq!(String::from_utf8(got).unwrap(), format!("{secret}|{secret}"));
        }
    }
}

#[test]
fn sh_round_trips_fixed_cases() {
    for secret in [
        "",
        "'",
        "''",
        "'\\''",
        "$(touch /nonexistent/PWNED)",
        "`touch /nonexistent/PWNED`",
        "a\nb\n",
        "\n",
        "trailing space ",
        "\\\\n",
    ] {
        let out = Export::new()
            .render(&credentials(secret), ExportFormat::Env)
            .unwrap();
        let got = run(
            "sh",
            &["-c"],
            &format!("{out}printf '%s' \"$AWS_SECRET_ACCESS_KEY\""),
        );
        assert_eq!(String::from_utf8(got).unwrap(), secret, "{out}");
    }
}

#[test]
fn fish_round_trips() {
    if !installed("fish") {
        println!("skipped: fish is not installed");
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::new(cases());
    runner
        .run(&hostile(), |secret| {
            let out = Export::new()
                .render(&credentials(&secret), ExportFormat::Fish)
                .unwrap();
            let got = run(
                "fish",
                &["--no-config", "-c"],
                &format!("{out}\nprintf '%s' \"$AWS_SECRET_ACCESS_KEY\""),
            );
            prop_assert_eq!(String::from_utf8(got).unwrap(), secret);
            Ok(())
        })
        .unwrap();
}

#[test]
fn pwsh_round_trips() {
    if !installed("pwsh") {
        println!("skipped: pwsh (PowerShell) is not installed");
        return;
    }
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 16,
        ..cases()
    });
    runner
        .run(&hostile(), |secret| {
            let out = Export::new()
                .render(&credentials(&secret), ExportFormat::PowerShell)
                .unwrap();
            let got = run(
                "pwsh",
                &["-NoProfile", "-NonInteractive", "-Command"],
                &format!("{out}\n[Console]::Out.Write($Env:AWS_SECRET_ACCESS_KEY)"),
            );
            // PowerShell sets an empty variable as absent.
            prop_assert_eq!(String::from_utf8(got).unwrap(), secret);
            Ok(())
        })
        .unwrap();
}
