//! Shell completion, proven in the shells themselves: the script of
//! `oidc-cli completions SHELL` is sourced and its completion function run
//! (bash's machinery: `COMP_WORDS`, `COMP_CWORD`, `COMP_LINE`,
//! `COMP_POINT`, the function `complete -p oidc-cli` names, `COMPREPLY`;
//! fish's `complete -C`; zsh's function with `words` and `CURRENT`), each
//! shell killed after 10 s. Then `oidc-cli profiles`, text and JSON, on a
//! config with one profile of each kind and a broken one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_oidc-cli");

/// How long a shell may take to answer.
const SHELL_TIMEOUT: Duration = Duration::from_secs(10);

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[sso-session dev-team]
sso_start_url = https://d-0987654321.awsapps.com/start
sso_region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
region = eu-west-1

[profile deploy]
role_arn = arn:aws:iam::222222222222:role/ci/Deploy
source_profile = dev

[profile tool]
credential_process = /usr/local/bin/creds --token hunter2-secret

[profile web]
web_identity_token_file = /var/run/token
role_arn = arn:aws:iam::333333333333:role/Web
region = us-west-2

[profile broken]
role_arn = arn:aws:iam::444444444444:role/Broken
source_profile = missing

[profile shady]
aws_access_key_id = AKIDSHADY
aws_secret_access_key = shady-secret-value
region = eu\x1b[31m-west-3
";

const CREDENTIALS: &str = "\
[data-keys]
aws_access_key_id = AKIDDATA
aws_secret_access_key = data-secret-value
";

/// A private home with the config and credentials files above.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Home {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "oidc-cli-completion-{tag}-{}-{n}",
            std::process::id()
        ));
        let aws = path.join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(aws.join("config"), CONFIG).unwrap();
        std::fs::write(aws.join("credentials"), CREDENTIALS).unwrap();
        Home(path)
    }

    /// A command with only this home's environment (and `PATH`).
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.0)
            .env("AWS_CONFIG_FILE", self.0.join(".aws").join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.0.join(".aws").join("credentials"),
            )
            .current_dir(&self.0)
            .stdin(Stdio::null());
        c
    }

    /// `oidc-cli completions SHELL`, written to a file.
    fn script(&self, shell: &str) -> PathBuf {
        let out = run_bounded(self.command(BIN).args(["completions", shell]));
        assert!(out.success, "completions {shell}: {}", out.stderr);
        assert!(
            out.stdout.contains("__complete"),
            "{shell} script: {}",
            out.stdout
        );
        let path = self.0.join(format!("completion.{shell}"));
        std::fs::write(&path, &out.stdout).unwrap();
        path
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end, killing it after [`SHELL_TIMEOUT`].
fn run_bounded(command: &mut Command) -> Ran {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > SHELL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {SHELL_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        success: status.success(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn has(shell: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {shell}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The cases every shell must answer: the words of the command line (the
/// last one being completed) and the candidates.
fn cases() -> Vec<(Vec<&'static str>, BTreeSet<String>)> {
    vec![
        // The bug of clap_complete's static bash script (a hyphen in the
        // binary's name): this completed nothing.
        (vec!["oidc-cli", "credentials", "--fo"], set(&["--format"])),
        (
            vec!["oidc-cli", "credentials", "--profile", "d"],
            set(&["data-keys", "deploy", "dev"]),
        ),
        (
            vec!["oidc-cli", "--profile", ""],
            set(&[
                "broken",
                "data-keys",
                "deploy",
                "dev",
                "shady",
                "tool",
                "web",
            ]),
        ),
        (
            vec!["oidc-cli", "login", "--sso-session", ""],
            set(&["corp", "dev-team"]),
        ),
        (vec!["oidc-cli", "--sso-session", "de"], set(&["dev-team"])),
        (
            vec!["oidc-cli", "credentials", "--format", "env"],
            set(&["env", "env-no-export"]),
        ),
        (vec!["oidc-cli", "prof"], set(&["profiles"])),
    ]
}

/// Runs bash's completion machinery on the script for `words`.
fn bash_complete(home: &Home, script: &Path, words: &[&str]) -> Ran {
    const DRIVER: &str = r#"
source "$1" || exit 90
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
spec=$(complete -p oidc-cli) || exit 91
f=${spec##*-F }
f=${f%% *}
"$f" oidc-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
"#;
    run_bounded(
        home.command("bash")
            .args(["--norc", "--noprofile", "-c", DRIVER, "bash"])
            .arg(script)
            .args(words),
    )
}

fn lines(text: &str, sep: char) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(sep).next().unwrap_or(l).to_owned())
        .collect()
}

#[test]
fn bash_completes_options_profiles_and_sessions() {
    let home = Home::new("bash");
    let script = home.script("bash");
    for (words, want) in cases() {
        let out = bash_complete(&home, &script, &words);
        assert!(out.success, "{words:?}: {}", out.stderr);
        assert_eq!(lines(&out.stdout, '\n'), want, "{words:?}");
    }
}

#[test]
fn bash_completion_follows_the_config_of_the_moment() {
    let home = Home::new("bash-live");
    let script = home.script("bash");
    std::fs::write(
        home.0.join(".aws").join("config"),
        "[profile delta]\nregion = eu-west-1\n",
    )
    .unwrap();
    let out = bash_complete(&home, &script, &["oidc-cli", "status", "--profile", "d"]);
    assert_eq!(lines(&out.stdout, '\n'), set(&["data-keys", "delta"]));
    // An unreadable config completes no name, and says nothing.
    std::fs::write(home.0.join(".aws").join("config"), "not a config\n").unwrap();
    let out = bash_complete(&home, &script, &["oidc-cli", "--profile", ""]);
    assert!(out.success, "{}", out.stderr);
    assert_eq!(lines(&out.stdout, '\n'), BTreeSet::new());
}

#[test]
fn fish_completes_options_profiles_and_sessions() {
    if !has("fish") {
        eprintln!("fish is not installed: its completion test is skipped");
        return;
    }
    let home = Home::new("fish");
    let script = home.script("fish");
    for (words, want) in cases() {
        let line = words.join(" ");
        let out = run_bounded(
            home.command("fish")
                .args([
                    "--no-config",
                    "-c",
                    "source $argv[1]; or exit 90; complete -C $argv[2]",
                ])
                .arg(&script)
                .arg(&line),
        );
        assert!(out.success, "{line:?}: {}", out.stderr);
        assert_eq!(lines(&out.stdout, '\t'), want, "{line:?}");
    }
}

#[test]
fn zsh_completes_options_profiles_and_sessions() {
    if !has("zsh") {
        eprintln!("zsh is not installed: its completion test is skipped");
        return;
    }
    // zsh's completion system runs the function with `words` and
    // `CURRENT`; `_describe` (which would hand the candidates to the line
    // editor) prints them instead, and `compdef` (compinit's) is a no-op.
    const DRIVER: &str = r#"
compdef() { : }
_describe() { local arr=$3; print -rl -- ${(P)arr} }
source $1 || exit 90
shift
words=("$@")
CURRENT=$#words
_clap_dynamic_completer_oidc_cli
"#;
    let home = Home::new("zsh");
    let script = home.script("zsh");
    for (words, want) in cases() {
        let out = run_bounded(
            home.command("zsh")
                .args(["-f", "-c", DRIVER, "zsh"])
                .arg(&script)
                .args(&words),
        );
        assert!(out.success, "{words:?}: {}", out.stderr);
        assert_eq!(lines(&out.stdout, ':'), want, "{words:?}");
    }
}

#[test]
fn every_shell_gets_a_script_that_calls_back() {
    let home = Home::new("scripts");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let text = std::fs::read_to_string(home.script(shell)).unwrap();
        assert_eq!(
            text.matches(" __complete -- ").count(),
            1,
            "{shell}: {text}"
        );
        assert!(text.contains(BIN), "{shell}: {text}");
    }
    // The callback is hidden, and refuses to run outside a script.
    let help = run_bounded(home.command(BIN).arg("--help"));
    assert!(!help.stdout.contains("__complete"), "{}", help.stdout);
    let out = run_bounded(home.command(BIN).args(["__complete", "--", "oidc-cli", ""]));
    assert!(!out.success);
    assert!(out.stderr.contains("OIDC_CLI_COMPLETE"), "{}", out.stderr);
}

#[test]
fn profiles_lists_every_kind_as_text() {
    let home = Home::new("profiles-text");
    let out = run_bounded(home.command(BIN).arg("profiles"));
    assert!(out.success, "{}", out.stderr);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["PROFILE", "KIND", "SESSION", "ACCOUNT", "ROLE", "REGION"]
    );
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0]).collect();
    assert_eq!(
        names,
        [
            "broken",
            "data-keys",
            "deploy",
            "dev",
            "shady",
            "tool",
            "web"
        ]
    );
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(row("broken"), ["broken", "invalid", "-", "-", "-", "-"]);
    assert_eq!(
        row("data-keys"),
        ["data-keys", "static", "-", "-", "-", "-"]
    );
    assert_eq!(
        row("deploy"),
        ["deploy", "chained", "corp", "222222222222", "Deploy", "-"]
    );
    assert_eq!(
        row("dev"),
        [
            "dev",
            "sso",
            "corp",
            "111111111111",
            "ReadOnly",
            "eu-west-1"
        ]
    );
    assert_eq!(row("tool"), ["tool", "process", "-", "-", "-", "-"]);
    assert_eq!(
        row("web"),
        [
            "web",
            "web-identity",
            "-",
            "333333333333",
            "Web",
            "us-west-2"
        ]
    );
    // Untrusted text reaches the terminal without control characters.
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
    assert_eq!(row("shady")[1], "static");
    // The broken profile is explained on stderr, by name and key.
    assert!(
        out.stderr.contains("broken") && out.stderr.contains("missing"),
        "{}",
        out.stderr
    );
    for secret in ["hunter2-secret", "shady-secret-value", "data-secret-value"] {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    }
}

#[test]
fn profiles_lists_every_kind_as_json() {
    let home = Home::new("profiles-json");
    let out = run_bounded(home.command(BIN).args(["profiles", "--output", "json"]));
    assert!(out.success, "{}", out.stderr);
    let objects: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), 7);
    let get = |name: &str| {
        objects
            .iter()
            .find(|o| o["profile"] == name)
            .unwrap_or_else(|| panic!("{name}: {}", out.stdout))
            .clone()
    };
    let dev = get("dev");
    assert_eq!(dev["kind"], "sso");
    assert_eq!(dev["ssoSession"], "corp");
    assert_eq!(dev["startUrl"], "https://d-1234567890.awsapps.com/start");
    assert_eq!(dev["accountId"], "111111111111");
    assert_eq!(dev["roleName"], "ReadOnly");
    assert_eq!(dev["region"], "eu-west-1");
    assert!(dev.get("error").is_none());
    let deploy = get("deploy");
    assert_eq!(deploy["kind"], "chained");
    assert_eq!(deploy["sourceProfile"], "dev");
    assert_eq!(deploy["accountId"], "222222222222");
    assert_eq!(deploy["roleName"], "Deploy");
    assert_eq!(deploy["region"], serde_json::Value::Null);
    assert_eq!(get("data-keys")["kind"], "static");
    assert_eq!(get("tool")["kind"], "process");
    assert_eq!(get("web")["kind"], "web-identity");
    let broken = get("broken");
    assert_eq!(broken["kind"], "invalid");
    let error = broken["error"].as_str().unwrap();
    assert!(
        error.contains("missing") && error.contains("source_profile"),
        "{error}"
    );
    assert_eq!(get("shady")["region"], "eu\x1b[31m-west-3");
    assert!(!out.stdout.contains('\x1b'));
    for secret in ["hunter2-secret", "shady-secret-value", "data-secret-value"] {
        assert!(!out.stdout.contains(secret));
    }
}

#[test]
fn profiles_reports_an_unusable_config() {
    let home = Home::new("profiles-bad");
    std::fs::write(home.0.join(".aws").join("config"), "region = x\n").unwrap();
    let out = run_bounded(home.command(BIN).arg("profiles"));
    assert!(!out.success);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("the AWS configuration cannot be used"),
        "{}",
        out.stderr
    );
    std::fs::write(home.0.join(".aws").join("config"), "").unwrap();
    std::fs::write(home.0.join(".aws").join("credentials"), "").unwrap();
    let out = run_bounded(home.command(BIN).arg("profiles"));
    assert!(out.success, "{}", out.stderr);
    assert!(out.stdout.contains("No profile"), "{}", out.stdout);
    let out = run_bounded(home.command(BIN).args(["profiles", "--output", "json"]));
    assert!(out.success);
    assert_eq!(out.stdout, "");
}
