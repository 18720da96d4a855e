//! Cost of reading and writing a large AWS config file
//! (`scripts/bench-config` runs it next to Python's `configparser`).
//!
//! ```text
//! cargo bench -p oidc-host --bench config -- parse FILE [RUNS]
//! cargo bench -p oidc-host --bench config -- write PROFILES [RUNS]
//! cargo bench -p oidc-host --bench config -- write-one-by-one PROFILES [RUNS]
//! ```
//!
//! * `parse`: [`AwsConfig::parse_bytes`] of FILE (read once, parsed RUNS
//!   times).
//! * `write`: what `oidc-cli configure` does for PROFILES account/role
//!   pairs on an empty file: [`upsert_sso_session`], then every profile in
//!   one [`upsert_profiles`] call.
//! * `write-one-by-one`: the same with one [`upsert_profile`] call per
//!   profile (each rescans the text so far: quadratic overall).
//!
//! Each prints `<mode> median_seconds=<s> min_seconds=<s> runs=<n>` and a
//! line describing the result, so a script can pick the figures up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use oidc_host::aws_config::{upsert_profile, upsert_profiles, upsert_sso_session, AwsConfig};

fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let out = f();
        times.push(started.elapsed());
        last = Some(std::hint::black_box(out));
    }
    times.sort();
    (times, last.unwrap())
}

fn report(mode: &str, times: &[Duration]) {
    println!(
        "{mode} median_seconds={:.6} min_seconds={:.6} runs={}",
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times.len()
    );
}

/// `count` account/role pairs as `configure` names them.
fn roles(count: usize) -> Vec<(String, String, String)> {
    (0..count)
        .map(|n| {
            let account = format!("{:012}", 100_000_000_000u64 + (n / 4) as u64);
            let role = ["Admin", "ReadOnly", "PowerUser", "Billing"][n % 4].to_owned();
            (format!("{role}-{account}"), account, role)
        })
        .collect()
}

fn main() {
    // `cargo bench` appends `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map(String::as_str).unwrap_or("help");
    let runs = |at: usize, default: usize| {
        args.get(at)
            .map(|r| r.parse().expect("RUNS is a number"))
            .unwrap_or(default)
    };
    match mode {
        "parse" => {
            let path = args.get(1).expect("parse FILE [RUNS]");
            let bytes = std::fs::read(path).expect("the config file");
            let (times, config) = timed(runs(2, 5), || AwsConfig::parse_bytes(&bytes).unwrap());
            report("parse", &times);
            println!(
                "parsed bytes={} profiles={} sso_sessions={}",
                bytes.len(),
                config.profiles.len(),
                config.sso_sessions.len()
            );
        }
        "write" | "write-one-by-one" => {
            let count: usize = args
                .get(1)
                .map(|c| c.parse().expect("PROFILES is a number"))
                .unwrap_or(5_000);
            let roles = roles(count);
            let start_url = "https://d-1234567890.awsapps.com/start";
            let (times, text) = timed(runs(2, 5), || {
                let text =
                    upsert_sso_session("", "corp", start_url, "eu-west-1", &["sso:account:access"])
                        .unwrap();
                if mode == "write" {
                    let edits: Vec<(&str, [(&str, &str); 4])> = roles
                        .iter()
                        .map(|(name, account, role)| {
                            (
                                name.as_str(),
                                [
                                    ("sso_session", "corp"),
                                    ("sso_account_id", account.as_str()),
                                    ("sso_role_name", role.as_str()),
                                    ("region", "eu-west-1"),
                                ],
                            )
                        })
                        .collect();
                    upsert_profiles(&text, &edits).unwrap()
                } else {
                    let mut text = text;
                    for (name, account, role) in &roles {
                        text = upsert_profile(
                            &text,
                            name,
                            &[
                                ("sso_session", "corp"),
                                ("sso_account_id", account),
                                ("sso_role_name", role),
                                ("region", "eu-west-1"),
                            ],
                        )
                        .unwrap();
                    }
                    text
                }
            });
            report(mode, &times);
            let config = AwsConfig::parse(&text).unwrap();
            assert_eq!(config.profiles.len(), count);
            println!("wrote bytes={} profiles={count}", text.len());
        }
        _ => {
            eprintln!("usage: config parse FILE [RUNS] | write PROFILES [RUNS] | write-one-by-one PROFILES [RUNS]");
            std::process::exit(2);
        }
    }
}
