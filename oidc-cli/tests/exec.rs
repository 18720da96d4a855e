//! `oidc-cli exec` end to end: the child's environment and exit status,
//! nested runs, and `--server` with botocore's container provider in the
//! child (credentials refreshed while it runs, the token required, many
//! concurrent requests answered from one fetch).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::CacheDir;

const BIN: &str = env!("CARGO_BIN_EXE_oidc-cli");

struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Home {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "oidc-cli-exec-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join(".aws")).unwrap();
        Home(path)
    }

    fn aws(&self, name: &str) -> PathBuf {
        self.0.join(".aws").join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("HOME", &self.0)
            .env("AWS_CONFIG_FILE", self.aws("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.aws("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        for var in [
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "OIDC_CLI_EXEC",
        ] {
            c.env_remove(var);
        }
        c
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `command`, killed after `limit`.
fn bounded(mut command: Command, limit: Duration) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("timed out after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_child_gets_the_credentials_and_its_status_is_returned() {
    let home = Home::new("env");
    std::fs::write(
        home.aws("credentials"),
        "[keys]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = c2VjcmV0\n",
    )
    .unwrap();
    std::fs::write(home.aws("config"), "[profile keys]\nregion = eu-west-1\n").unwrap();
    let script = r#"echo "$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_REGION|$AWS_DEFAULT_REGION|$OIDC_CLI_EXEC|${AWS_PROFILE-unset}|${AWS_SESSION_TOKEN-unset}"; exit 7"#;
    let mut command = home.command(&["exec", "--", "sh", "-c", script]);
    // AWS_PROFILE names the profile; the child does not inherit it.
    command
        .env("AWS_PROFILE", "keys")
        .env("AWS_SESSION_TOKEN", "stale");
    let out = bounded(command, Duration::from_secs(20));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(7), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.trim(),
        "AKIDEXAMPLE|c2VjcmV0|eu-west-1|eu-west-1|keys|unset|unset"
    );

    // --region wins over the profile's.
    let out = bounded(
        home.command(&[
            "exec",
            "--profile",
            "keys",
            "--region",
            "us-west-2",
            "--",
            "sh",
            "-c",
            "echo $AWS_REGION",
        ]),
        Duration::from_secs(20),
    );
    assert_eq!(text(&out).0.trim(), "us-west-2", "{:?}", text(&out));

    // Inside another exec: refused unless asked.
    let mut nested = home.command(&["exec", "--profile", "keys", "--", "true"]);
    nested.env("OIDC_CLI_EXEC", "outer");
    let out = bounded(nested, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(text(&out).1.contains("--allow-nested"), "{:?}", text(&out));
    let mut allowed = home.command(&["exec", "--profile", "keys", "--allow-nested", "--", "true"]);
    allowed.env("OIDC_CLI_EXEC", "outer");
    assert_eq!(
        bounded(allowed, Duration::from_secs(20)).status.code(),
        Some(0)
    );

    // A command that does not exist: a clear error.
    let out = bounded(
        home.command(&["exec", "--profile", "keys", "--", "/nonexistent/command"]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("cannot run /nonexistent/command"),
        "{:?}",
        text(&out)
    );
}

/// botocore's interpreter (tests/.venv, made by scripts/test), or `None`
/// (skip; with `CI=true` a failure).
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("OIDC_INTEROP_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/.venv/bin/python"),
        PathBuf::from,
    );
    let ok = Command::new(&python)
        .args(["-c", "import botocore"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "botocore is missing at {} (scripts/test installs it)",
            python.display()
        );
        eprintln!("SKIPPED: no botocore at {}", python.display());
        return None;
    }
    Some(python)
}

const CHILD: &str = r#"
import json, os, sys, threading, time, urllib.error, urllib.request
import botocore.session

mode = sys.argv[1]
if mode == "calls":
    # botocore's own chain: no keys in the environment, the container provider.
    s = botocore.session.get_session()
    keys, arns = [], []
    for _ in range(4):
        c = s.get_credentials()
        frozen = c.get_frozen_credentials()
        sts = s.create_client("sts", region_name="us-east-1")
        arns.append(sts.get_caller_identity()["Arn"])
        keys.append(frozen.access_key)
        time.sleep(1)
    print(json.dumps({"method": c.method, "keys": keys, "arns": arns,
                      "env_keys": "AWS_ACCESS_KEY_ID" in os.environ}))
else:
    url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    statuses = []
    def get():
        req = urllib.request.Request(url, headers={"Authorization": token})
        with urllib.request.urlopen(req, timeout=10) as r:
            json.load(r)
            statuses.append(r.status)
    threads = [threading.Thread(target=get) for _ in range(100)]
    for t in threads: t.start()
    for t in threads: t.join()
    codes = []
    for headers in ({}, {"Authorization": "wrong"}):
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)
            codes.append(200)
        except urllib.error.HTTPError as e:
            codes.append(e.code)
    print(json.dumps({"ok": statuses.count(200), "refused": codes}))
"#;

fn sso_home(emulator: &Emulator, tag: &str) -> Home {
    let home = Home::new(tag);
    let base = emulator.base_url();
    std::fs::write(
        home.aws("config"),
        format!(
            "[sso-session corp]\nsso_start_url = {base}/start\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n\n[profile dev]\nsso_session = corp\n\
             sso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    let issued = emulator.issue_token(&["sso:account:access"]);
    let now = SystemTime::now();
    let token = CachedToken::new(
        AccessToken::new(issued.access_token.clone()),
        now + Duration::from_secs(3600),
    )
    .with_start_url(format!("{base}/start"))
    .with_region("us-east-1")
    .with_client_id(issued.client_id.clone())
    .with_client_secret(ClientSecret::new(issued.client_secret.clone()))
    .with_registration_expires_at(now + Duration::from_secs(86_400))
    .with_refresh_token(RefreshToken::new(issued.refresh_token.clone()));
    CacheDir::new(home.0.join(".aws/sso/cache"))
        .write_token("corp", &token)
        .unwrap();
    home
}

fn server_run(home: &Home, emulator: &Emulator, python: &Path, mode: &str) -> serde_json::Value {
    let script = home.0.join("child.py");
    std::fs::File::create(&script)
        .unwrap()
        .write_all(CHILD.as_bytes())
        .unwrap();
    let mut command = home.command(&[
        "exec",
        "--profile",
        "dev",
        "--server",
        "--",
        python.to_str().unwrap(),
        script.to_str().unwrap(),
        mode,
    ]);
    command.env("AWS_ENDPOINT_URL", emulator.base_url());
    let out = bounded(command, Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

#[test]
fn a_child_outliving_its_role_credentials_keeps_signing_through_the_server() {
    let Some(python) = python() else { return };
    // Role credentials live 2 s: the 4 s child needs several.
    let emulator = Emulator::start(
        EmulatorConfig::default().with_role_credentials_lifetime(Duration::from_secs(2)),
    )
    .unwrap();
    let home = sso_home(&emulator, "server-calls");
    let got = server_run(&home, &emulator, &python, "calls");
    assert_eq!(got["method"], "container-role", "{got}");
    assert_eq!(got["env_keys"], false, "no key in the child's environment");
    let arns = got["arns"].as_array().unwrap();
    assert_eq!(arns.len(), 4, "{got}");
    assert!(
        arns.iter().all(|a| a
            .as_str()
            .unwrap()
            .contains(":assumed-role/AWSReservedSSO_ReadOnly")),
        "{got}"
    );
    let mut keys: Vec<&str> = got["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    keys.dedup();
    assert!(
        keys.len() >= 2,
        "the credentials were renewed while it ran: {got}"
    );
}

#[test]
fn the_server_wants_its_token_and_fetches_once_for_many_requests() {
    let Some(python) = python() else { return };
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = sso_home(&emulator, "server-concurrent");
    let got = server_run(&home, &emulator, &python, "concurrent");
    assert_eq!(got["ok"], 100, "{got}");
    assert_eq!(got["refused"], serde_json::json!([401, 401]), "{got}");
    assert_eq!(
        emulator.stats().get_role_credentials,
        1,
        "one upstream fetch for all of them"
    );
}
