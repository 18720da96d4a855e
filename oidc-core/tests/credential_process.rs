//! `credential_process`: the command line against Python's `shlex.split`
//! (botocore's `compat_shell_split` on POSIX), the output against
//! botocore's `ProcessProvider`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::credential_process::{
    parse_output, split_command, CommandLineError, ProcessOutputError, MAX_OUTPUT_BYTES,
};
use proptest::prelude::*;

/// `(line, shlex.split(line))`, each expected value printed by Python
/// 3.11's `shlex.split`.
const SHLEX: &[(&str, &[&str])] = &[
    (
        "aws-vault export --format=json prod",
        &["aws-vault", "export", "--format=json", "prod"],
    ),
    (
        "  /usr/bin/cred   --a  b\t c\n",
        &["/usr/bin/cred", "--a", "b", "c"],
    ),
    (
        "'/path with spaces/bin' arg",
        &["/path with spaces/bin", "arg"],
    ),
    (
        "\"double \\\"quoted\\\" \\\\ \\$HOME \\x\" next",
        &["double \"quoted\" \\ \\$HOME \\x", "next"],
    ),
    ("back\\ slash\\ space", &["back slash space"]),
    ("a\\\\b", &["a\\b"]),
    ("'single \\ no escape'", &["single \\ no escape"]),
    ("mixed'quo'\"ted\"word", &["mixedquotedword"]),
    ("empty '' \"\" args", &["empty", "", "", "args"]),
    ("# not a comment", &["#", "not", "a", "comment"]),
    ("a#b c", &["a#b", "c"]),
    ("tab\tsep\rcr", &["tab", "sep", "cr"]),
    (
        "unicode \u{e9} \u{4e2d}\u{6587} '\u{1F600}'",
        &["unicode", "\u{e9}", "\u{4e2d}\u{6587}", "\u{1F600}"],
    ),
    (
        "$(whoami) `id` ; | & > <",
        &["$(whoami)", "`id`", ";", "|", "&", ">", "<"],
    ),
    ("trailing\\\nnewline", &["trailing\nnewline"]),
    ("\"in dq \\\n keeps\"", &["in dq \\\n keeps"]),
    ("a\"\"b", &["ab"]),
    ("\\'", &["'"]),
    ("x\u{b}y", &["x\u{b}y"]),
];

#[test]
fn matches_python_shlex() {
    for (line, expected) in SHLEX {
        assert_eq!(split_command(line).unwrap(), *expected, "{line:?}");
    }
}

#[test]
fn python_shlex_errors() {
    // shlex.split raises "No closing quotation" / "No escaped character";
    // "" splits to [] (nothing to run).
    assert_eq!(
        split_command("'unterminated").unwrap_err(),
        CommandLineError::UnterminatedQuote { quote: '\'', at: 0 }
    );
    assert_eq!(
        split_command("ok \"unterminated").unwrap_err(),
        CommandLineError::UnterminatedQuote { quote: '"', at: 3 }
    );
    assert_eq!(
        split_command("trail\\").unwrap_err(),
        CommandLineError::UnfinishedEscape
    );
    assert_eq!(
        split_command("\"esc at end\\").unwrap_err(),
        CommandLineError::UnfinishedEscape
    );
    assert_eq!(split_command("").unwrap_err(), CommandLineError::Empty);
    assert_eq!(
        split_command(" \t\r\n").unwrap_err(),
        CommandLineError::Empty
    );
    assert_eq!(
        split_command("'' x").unwrap_err(),
        CommandLineError::EmptyProgram
    );
    let err = split_command("cmd --token 'planted-secret").unwrap_err();
    assert!(!err.to_string().contains("planted"));
}

/// shlex.quote's POSIX form: every word in single quotes, `'` as `'"'"'`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\"'\"'"))
}

proptest! {
    #[test]
    fn never_panics_and_output_is_bounded(line in any::<String>()) {
        if let Ok(words) = split_command(&line) {
            let total: usize = words.iter().map(String::len).sum();
            prop_assert!(total <= line.len());
        }
    }

    #[test]
    fn never_panics_on_shell_alphabet(line in "[ a'\"\\\\\t\n#]{0,64}") {
        let _ = split_command(&line);
    }

    #[test]
    fn quoted_words_round_trip(words in proptest::collection::vec(any::<String>(), 1..6)) {
        prop_assume!(!words[0].is_empty());
        let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
        prop_assert_eq!(split_command(&line.join(" ")).unwrap(), words);
    }
}

#[test]
fn linear_on_hostile_lines() {
    // 4 MiB of each pattern: one pass each (a quadratic splitter would not
    // finish in the test's time).
    for unit in ["\\ ", "x'' ", "\"\\\"\" ", "a ", "\"x\\y\" "] {
        let line = unit.repeat(4 * 1024 * 1024 / unit.len());
        assert!(split_command(&line).is_ok(), "{unit:?}");
    }
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

const KEY: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn full_output() {
    let c = parse_output(
        br#"{"Version": 1, "AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T02:00:00+01:00", "AccountId": "123456789012", "Extra": [1]}"#,
    )
    .unwrap();
    assert_eq!(c.access_key_id, KEY);
    assert_eq!(c.secret_access_key.secret(), SECRET);
    assert_eq!(
        c.session_token.as_ref().map(|t| t.secret()),
        Some("IQoJb3JpZ2luX2VjEXAMPLE")
    );
    assert_eq!(c.expires_at, Some(at(1_704_070_800)));
    assert_eq!(c.account_id.as_deref(), Some("123456789012"));
}

#[test]
fn long_term_keys() {
    // botocore: SessionToken and Expiration optional (no refresh), AccountId
    // empty or null = absent.
    for body in [
        r#"{"Version": 1, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "s"}"#,
        r#"{"Version": 1, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "s", "SessionToken": null, "Expiration": null, "AccountId": ""}"#,
        r#"{"Version": 1, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "s", "AccountId": null}"#,
    ] {
        let c = parse_output(body.as_bytes()).unwrap();
        assert!(c.session_token.is_none() && c.expires_at.is_none() && c.account_id.is_none());
    }
}

#[test]
fn errors_name_the_member_never_the_value() {
    let p = "planted-secret";
    let cases: Vec<(String, ProcessOutputError)> = vec![
        (format!(r#"{{"AccessKeyId": "{p}"}}"#), ProcessOutputError::UnsupportedVersion),
        (format!(r#"{{"Version": 2, "AccessKeyId": "{p}"}}"#), ProcessOutputError::UnsupportedVersion),
        (format!(r#"{{"Version": "1", "AccessKeyId": "{p}"}}"#), ProcessOutputError::UnsupportedVersion),
        (format!(r#"{{"Version": 1.0, "AccessKeyId": "{p}"}}"#), ProcessOutputError::UnsupportedVersion),
        (format!(r#"{{"Version": true, "AccessKeyId": "{p}"}}"#), ProcessOutputError::UnsupportedVersion),
        (
            format!(r#"{{"Version": 1, "SecretAccessKey": "{p}"}}"#),
            ProcessOutputError::MissingMember { member: "AccessKeyId" },
        ),
        (
            r#"{"Version": 1, "AccessKeyId": "A"}"#.to_owned(),
            ProcessOutputError::MissingMember { member: "SecretAccessKey" },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": ["{p}"], "SecretAccessKey": "s"}}"#),
            ProcessOutputError::NotAString { member: "AccessKeyId" },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "{p} x"}}"#),
            ProcessOutputError::InvalidValue {
                member: "SecretAccessKey",
                detail: "may only contain A-Z a-z 0-9 + / = . _ -",
            },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A\u001b[2J", "SecretAccessKey": "{p}"}}"#),
            ProcessOutputError::InvalidValue {
                member: "AccessKeyId",
                detail: "may only contain A-Z a-z 0-9 _",
            },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "SessionToken": "{p}\n"}}"#),
            ProcessOutputError::InvalidValue {
                member: "SessionToken",
                detail: "may only contain A-Z a-z 0-9 + / = . _ -",
            },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "SessionToken": 5, "x": "{p}"}}"#),
            ProcessOutputError::NotAString { member: "SessionToken" },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "{p}"}}"#),
            ProcessOutputError::InvalidTimestamp { member: "Expiration" },
        ),
        (
            r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": 1704070800}"#.to_owned(),
            ProcessOutputError::NotAString { member: "Expiration" },
        ),
        (
            r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "1969-12-31T23:59:59Z"}"#.to_owned(),
            ProcessOutputError::InvalidValue {
                member: "Expiration",
                detail: "expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
            },
        ),
        (
            format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "{p}", "AccountId": "12345"}}"#),
            ProcessOutputError::InvalidValue { member: "AccountId", detail: "expected 12 digits" },
        ),
        (format!(r#"["{p}"]"#), ProcessOutputError::NotAnObject),
    ];
    for (body, expected) in cases {
        let err = parse_output(body.as_bytes()).unwrap_err();
        assert_eq!(err, expected, "{body}");
        assert!(!err.to_string().contains("planted"), "{err}");
        assert!(!format!("{err:?}").contains("planted"));
    }
    for body in [
        &b"{\"Version\": 1, \"AccessKeyId\": \"planted-secret"[..],
        b"",
        b"\xef\xbb\xbf{}",
        b"{} {}",
    ] {
        let err = parse_output(body).unwrap_err();
        assert!(
            matches!(err, ProcessOutputError::InvalidJson { .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("planted"));
    }
}

#[test]
fn size_bound() {
    let pad = " ".repeat(MAX_OUTPUT_BYTES);
    let body = format!(r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s"}}{pad}"#);
    assert_eq!(
        parse_output(body.as_bytes()).unwrap_err(),
        ProcessOutputError::TooLarge {
            limit: MAX_OUTPUT_BYTES
        }
    );
    // A maximal session token fits.
    let token = "t".repeat(64 * 1024);
    let body = format!(
        r#"{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "SessionToken": "{token}"}}"#
    );
    assert!(body.len() <= MAX_OUTPUT_BYTES);
    assert!(parse_output(body.as_bytes()).is_ok());
}

proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_output(&bytes);
    }
}

/// 300 random lines over the characters shlex treats specially, each with
/// Python 3.11's `shlex.split` result (a word list, or the text of the
/// `ValueError`), generated with `random.seed(20261208)`.
#[test]
fn matches_python_shlex_on_random_lines() {
    let vectors: Vec<(String, serde_json::Value)> =
        serde_json::from_str(include_str!("fixtures/shlex_vectors.json")).unwrap();
    assert_eq!(vectors.len(), 300);
    for (line, expected) in vectors {
        let got = split_command(&line);
        match expected {
            serde_json::Value::Array(words) => {
                let words: Vec<&str> = words.iter().map(|w| w.as_str().unwrap()).collect();
                match got {
                    Ok(got) => assert_eq!(got, words, "{line:?}"),
                    Err(CommandLineError::Empty) => assert!(words.is_empty(), "{line:?}"),
                    Err(CommandLineError::EmptyProgram) => assert_eq!(words[0], "", "{line:?}"),
                    Err(e) => panic!("{line:?}: {e:?}, Python: {words:?}"),
                }
            }
            serde_json::Value::String(error) => match got {
                Err(CommandLineError::UnterminatedQuote { .. }) => {
                    assert_eq!(error, "No closing quotation", "{line:?}")
                }
                Err(CommandLineError::UnfinishedEscape) => {
                    assert_eq!(error, "No escaped character", "{line:?}")
                }
                other => panic!("{line:?}: {other:?}, Python: {error}"),
            },
            other => panic!("bad vector {other:?}"),
        }
    }
}
