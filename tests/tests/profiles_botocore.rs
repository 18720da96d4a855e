//! A table of AWS profile shapes, each resolved by botocore (the AWS CLI's
//! Python core) and by `oidc-cli credentials --profile target --format
//! process`, against the emulator: both must reach the same caller identity
//! (STS GetCallerIdentity's ARN; a generated role session name is
//! normalised) or both must fail, and both must send the emulator the same
//! multiset of STS / portal operations.
//!
//! Every (row, tool) pair gets its own emulator and its own private HOME
//! (`~/.aws/config`, `~/.aws/credentials`, `~/.aws/sso/cache` seeded with
//! a token when the row needs one, the AWS CLI's `~/.aws/cli/cache`), and
//! both tools get the same environment (`AWS_ENDPOINT_URL` = the emulator,
//! `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, region, plus the row's
//! variables). The identity of what oidc-cli printed is asked of STS by
//! botocore (`identity-of`, the credentials on stdin). Every child is
//! killed after 20 s.
//!
//! A table (row, botocore, oidc-cli, agree?) goes to stderr; the test then
//! fails listing the rows where the tools disagree, or where botocore did
//! not reach the row's expected outcome (a broken row).
//!
//! The AWS CLI's role-credential cache is also checked across the tools
//! (either side's `~/.aws/cli/cache/<sha1>.json` is used by the other
//! without an AssumeRole), and 20 concurrent oidc-cli processes on a cold
//! chained profile must send one AssumeRole per hop.
//!
//! `OIDC_PROFILE_ROWS=sso,role-chain` runs only the rows whose names contain
//! one of the comma-separated words.
//!
//! botocore runs in `tests/.venv` (`scripts/test` makes it from
//! `tests/interop/requirements.txt`; `OIDC_INTEROP_PYTHON` names another
//! interpreter) through `tests/interop/profiles_side.py`; oidc-cli is the
//! binary next to this test's (`cargo build -p oidc-cli`) or `OIDC_CLI`.
//! Without either the tests are skipped with a message, unless `CI=true`.
//!
//! The rows that need the emulator's IMDS, container credentials, MFA and
//! trust policies are in `profiles_botocore/pending.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "profiles_botocore/rows.rs"]
mod rows;
// Not compiled until the emulator features it uses are merged:
#[path = "profiles_botocore/pending.rs"]
mod pending;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::credentials::parse_expiration;
use oidc_core::cache::CachedToken;
use oidc_core::secret::AccessToken;
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::CacheDir;
use serde_json::Value;

use rows::{rows, Expect, Row, Seed};

/// Every child process is killed after this long.
const CHILD_LIMIT: Duration = Duration::from_secs(20);
/// oidc-cli's own `--timeout` (below [`CHILD_LIMIT`], so it reports).
const CLI_TIMEOUT_SECS: &str = "15";
/// The profile every row resolves.
pub(crate) const TARGET: &str = "target";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const START_URL: &str = "https://my-sso-portal.awsapps.com/start";
pub(crate) const SSO_SESSION: &str = "emu-sso";
/// A long-term key of the IAM user `emulator-user` in 123456789012.
pub(crate) const KEY_A: (&str, &str) = (
    "AKIAEMUSTATICKEYAAAA",
    "emuSecretAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
);
/// A long-term key of the IAM user `emulator-user` in 444444444444.
pub(crate) const KEY_B: (&str, &str) = (
    "AKIAEMUSTATICKEYBBBB",
    "emuSecretBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
);
pub(crate) const USER_A_ARN: &str = "arn:aws:iam::123456789012:user/emulator-user";
pub(crate) const USER_B_ARN: &str = "arn:aws:iam::444444444444:user/emulator-user";

/// The emulator every row starts from: both static keys, the default
/// portal accounts (111111111111: ReadOnly, AdministratorAccess, ...).
pub(crate) fn base_config() -> EmulatorConfig {
    EmulatorConfig::default()
        .with_default_account_id("444444444444")
        .with_static_credentials(KEY_B.0, KEY_B.1)
        .with_default_account_id("123456789012")
        .with_static_credentials(KEY_A.0, KEY_A.1)
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip_or_panic(what: &str) {
    if ci() {
        panic!("profile table cannot run (CI=true): {what}");
    }
    eprintln!("profile table SKIPPED: {what}");
}

/// The two tools.
#[derive(Debug, Clone)]
struct Tools {
    python: PathBuf,
    script: PathBuf,
    cli: PathBuf,
}

/// Both tools, or `None` (skip; with `CI=true` a panic).
fn tools() -> Option<Tools> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("OIDC_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join(".venv").join("bin").join("python"));
    let script = manifest.join("interop").join("profiles_side.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script).arg("version");
    match run_bounded(cmd, None) {
        Ok(out) if out.ok => {
            let v: Value = serde_json::from_str(&out.stdout).expect("version JSON");
            eprintln!(
                "profile table: botocore {} on Python {}",
                v["botocore"], v["python"]
            );
        }
        Ok(out) => {
            skip_or_panic(&format!(
                "{} cannot import botocore ({}); scripts/test installs it: python3 -m venv \
                 tests/.venv && tests/.venv/bin/pip install -r tests/interop/requirements.txt",
                python.display(),
                out.stderr.lines().last().unwrap_or_default().trim()
            ));
            return None;
        }
        Err(e) => {
            skip_or_panic(&format!("cannot run {}: {e}", python.display()));
            return None;
        }
    }
    let cli = match std::env::var_os("OIDC_CLI") {
        Some(p) => PathBuf::from(p),
        None => {
            let exe = std::env::current_exe().expect("test exe");
            exe.parent().unwrap().parent().unwrap().join("oidc-cli")
        }
    };
    if !cli.is_file() {
        skip_or_panic(&format!(
            "no oidc-cli at {} (cargo build -p oidc-cli, or set OIDC_CLI)",
            cli.display()
        ));
        return None;
    }
    Some(Tools {
        python,
        script,
        cli,
    })
}

/// A finished (or killed) child.
#[derive(Debug)]
struct Finished {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` with piped stdio, writing `stdin` (then closing it), killing
/// it after [`CHILD_LIMIT`] (an `Err` naming the limit and what it said).
fn run_bounded(mut cmd: Command, stdin: Option<&[u8]>) -> Result<Finished, String> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= CHILD_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("wait: {e}")),
        }
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    match status {
        Some(status) => Ok(Finished {
            ok: status.success(),
            code: status.code(),
            stdout,
            stderr,
        }),
        None => Err(format!(
            "killed after {} s; stderr: {}",
            CHILD_LIMIT.as_secs(),
            stderr.trim()
        )),
    }
}

/// What one tool made of a row.
#[derive(Debug, Clone)]
struct Outcome {
    /// The caller identity, or the error text.
    result: Result<Identity, String>,
    /// The STS / portal operations the tool sent (sorted; the identity
    /// lookup made for the comparison is not counted).
    ops: Vec<String>,
    /// Failed [`Row::checks`] of the requests the tool sent.
    check_errors: Vec<String>,
}

#[derive(Debug, Clone)]
struct Identity {
    arn: String,
    access_key_id: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`, when the credentials expire.
    expiration: Option<String>,
}

impl Outcome {
    fn cell(&self) -> String {
        match &self.result {
            Ok(id) => format!("ok {}", id.arn),
            Err(e) => format!("FAIL {}", one_line(e, 70)),
        }
    }
}

fn one_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    if line.chars().count() > max {
        format!("{}…", line.chars().take(max).collect::<String>())
    } else {
        line
    }
}

/// `*` matches a run of characters other than `/`.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .take_while(|&i| i == 0 || !rest[..i].contains('/'))
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// An assumed-role ARN with its session name (the last segment) replaced,
/// for rows where each tool generates one.
fn normalise_session(arn: &str) -> String {
    match arn.rsplit_once('/') {
        Some((head, _)) if arn.contains(":assumed-role/") => format!("{head}/<generated>"),
        _ => arn.to_string(),
    }
}

/// One private HOME and one emulator for one tool's run of a row.
struct World {
    emu: Emulator,
    home: tempfile::TempDir,
}

impl World {
    fn new(row: &Row, tools: &Tools) -> World {
        let emu = Emulator::start((row.emu)(base_config())).expect("emulator");
        let home = tempfile::tempdir().expect("home");
        let world = World { emu, home };
        let aws = world.home().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        let mut subst: Vec<(String, String)> =
            vec![("{home}".into(), world.home().display().to_string())];
        if row.needs_session_token {
            // Temporary credentials of KEY_A, from this emulator's STS.
            let creds = serde_json::json!({
                "AccessKeyId": KEY_A.0, "SecretAccessKey": KEY_A.1,
            });
            let v = world.python(tools, &["session-token"], Some(&creds), row);
            for (ph, key) in [
                ("{temp_akid}", "AccessKeyId"),
                ("{temp_secret}", "SecretAccessKey"),
                ("{temp_token}", "SessionToken"),
            ] {
                subst.push((ph.into(), v[key].as_str().expect(key).to_string()));
            }
        }
        let fill = |text: &str| {
            subst
                .iter()
                .fold(text.to_string(), |t, (ph, val)| t.replace(ph.as_str(), val))
        };
        std::fs::write(aws.join("config"), fill(&row.config)).unwrap();
        if !row.credentials.is_empty() {
            std::fs::write(aws.join("credentials"), fill(&row.credentials)).unwrap();
        }
        for (rel, content, executable) in &row.files {
            let path = world.home().join(rel);
            std::fs::write(&path, fill(content)).unwrap();
            if *executable {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        match row.seed {
            Seed::None => {}
            Seed::SsoSession => world.seed_token(SSO_SESSION),
            Seed::Legacy => world.seed_token(START_URL),
        }
        world.emu.clear_requests();
        world
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    /// A fresh access token in `~/.aws/sso/cache`, as `aws sso login`
    /// leaves it (an hour left: neither tool refreshes it).
    fn seed_token(&self, key: &str) {
        let issued = self.emu.issue_token(&["sso:account:access"]);
        let token = CachedToken::new(
            AccessToken::new(issued.access_token),
            SystemTime::now() + Duration::from_secs(u64::from(issued.expires_in)),
        )
        .with_start_url(START_URL)
        .with_region(REGION);
        CacheDir::new(self.home().join(".aws").join("sso").join("cache"))
            .write_token(key, &token)
            .expect("seed token");
    }

    /// The environment both tools get.
    fn command(&self, program: &Path, row: &Row) -> Command {
        let home = self.home();
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .current_dir(home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("LANG", "C.UTF-8")
            .env("AWS_CONFIG_FILE", home.join(".aws").join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.join(".aws").join("credentials"),
            )
            .env("AWS_ENDPOINT_URL", self.emu.base_url())
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        for (k, v) in &row.env {
            cmd.env(k, v.replace("{home}", &home.display().to_string()));
        }
        for (k, v) in (row.emu_env)(&self.emu) {
            cmd.env(k, v);
        }
        for k in &row.env_unset {
            cmd.env_remove(k);
        }
        cmd
    }

    /// A profiles_side.py command whose JSON answer is required.
    fn python(&self, tools: &Tools, args: &[&str], stdin: Option<&Value>, row: &Row) -> Value {
        let mut cmd = self.command(&tools.python, row);
        cmd.arg(&tools.script).args(args);
        let input = stdin.map(|v| v.to_string().into_bytes());
        let out = run_bounded(cmd, input.as_deref())
            .unwrap_or_else(|e| panic!("profiles_side.py {args:?}: {e}"));
        assert!(
            out.ok,
            "profiles_side.py {args:?} failed: {}",
            out.stderr.trim()
        );
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("profiles_side.py {args:?}: {e}: {}", out.stdout))
    }

    /// The row's checks of the requests logged since the last clear.
    fn check_errors(&self, row: &Row) -> Vec<String> {
        let log = self.emu.requests();
        row.checks
            .iter()
            .filter_map(|check| check(&log).err())
            .collect()
    }

    /// The operations logged since the last clear (the control API aside).
    fn ops(&self) -> Vec<String> {
        let mut ops: Vec<String> = self
            .emu
            .requests()
            .into_iter()
            .filter_map(|r| r.operation)
            .filter(|op| op != "Control")
            .collect();
        ops.sort();
        ops
    }

    /// botocore resolves `profile` and asks STS who that is.
    fn botocore(&self, tools: &Tools, row: &Row, profile: &str) -> Outcome {
        self.emu.clear_requests();
        let code = row.mfa_code.map(|f| f(SystemTime::now()));
        let mut args = vec!["identity", "--profile", profile];
        if let Some(code) = &code {
            args.extend(["--mfa-code", code.as_str()]);
        }
        let v = self.python(tools, &args, None, row);
        let mut ops = self.ops();
        let check_errors = self.check_errors(row);
        if v["stage"] != "credentials" {
            // Its own GetCallerIdentity, which oidc-cli's side makes
            // outside the count.
            if let Some(i) = ops.iter().position(|o| o == "GetCallerIdentity") {
                ops.remove(i);
            }
        }
        let result = if v["ok"] == true {
            Ok(Identity {
                arn: v["arn"].as_str().unwrap().to_string(),
                access_key_id: v["accessKeyId"].as_str().unwrap().to_string(),
                expiration: v["expiration"].as_str().map(str::to_string),
            })
        } else {
            Err(v["error"].as_str().unwrap_or_default().to_string())
        };
        Outcome {
            result,
            ops,
            check_errors,
        }
    }

    /// `oidc-cli credentials --profile P --format process`, as a child.
    fn cli_run(&self, tools: &Tools, row: &Row, profile: &str) -> Result<Finished, String> {
        let mut cmd = self.command(&tools.cli, row);
        cmd.args([
            "--timeout",
            CLI_TIMEOUT_SECS,
            "credentials",
            "--profile",
            profile,
            "--format",
            "process",
        ]);
        let stdin = row
            .mfa_code
            .map(|f| format!("{}\n", f(SystemTime::now())).into_bytes());
        run_bounded(cmd, stdin.as_deref())
    }

    /// The identity of what oidc-cli printed (a `credential_process` JSON).
    fn identity_of(&self, tools: &Tools, row: &Row, printed: &str) -> Result<Identity, String> {
        let v: Value = serde_json::from_str(printed.trim())
            .map_err(|e| format!("stdout is not JSON ({e}): {}", one_line(printed, 200)))?;
        if v["Version"] != 1 || !v["AccessKeyId"].is_string() || !v["SecretAccessKey"].is_string() {
            return Err(format!(
                "not a credential_process answer: keys {:?}",
                v.as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            ));
        }
        let who = self.python(tools, &["identity-of"], Some(&v), row);
        if who["ok"] != true {
            return Err(format!(
                "oidc-cli's credentials are refused by STS: {}",
                who["error"]
            ));
        }
        Ok(Identity {
            arn: who["arn"].as_str().unwrap().to_string(),
            access_key_id: v["AccessKeyId"].as_str().unwrap().to_string(),
            expiration: v["Expiration"].as_str().map(str::to_string),
        })
    }

    /// oidc-cli resolves `profile`; botocore asks STS who that is.
    fn oidc_cli(&self, tools: &Tools, row: &Row, profile: &str) -> Outcome {
        self.emu.clear_requests();
        let run = self.cli_run(tools, row, profile);
        let ops = self.ops();
        let check_errors = self.check_errors(row);
        let result = match run {
            Err(e) => Err(e),
            Ok(out) if !out.ok => Err(format!("exit {:?}: {}", out.code, out.stderr.trim())),
            Ok(out) => self.identity_of(tools, row, &out.stdout),
        };
        Outcome {
            result,
            ops,
            check_errors,
        }
    }
}

/// A row's verdict.
struct Verdict {
    name: &'static str,
    boto: Outcome,
    cli: Outcome,
    /// Both tools reached the same identity / both failed, same operations.
    agree: Result<(), String>,
    /// botocore reached the row's expected outcome.
    boto_as_expected: Result<(), String>,
}

fn judge(row: &Row, boto: Outcome, cli: Outcome) -> Verdict {
    let generated = matches!(
        row.expect,
        Expect::Identity {
            generated_session: true,
            ..
        }
    );
    let norm = |arn: &str| {
        if generated {
            normalise_session(arn)
        } else {
            arn.to_string()
        }
    };
    let agree = match (&boto.result, &cli.result) {
        (Ok(b), Ok(c)) if norm(&b.arn) != norm(&c.arn) => Err(format!(
            "identity: botocore {} vs oidc-cli {}",
            b.arn, c.arn
        )),
        (Ok(b), Ok(c)) => match (&b.expiration, &c.expiration) {
            (Some(be), Some(ce)) => {
                let (bt, ct) = (parse_expiration(be), parse_expiration(ce));
                match (bt, ct) {
                    (Some(bt), Some(ct)) => {
                        let gap = bt
                            .duration_since(ct)
                            .or_else(|_| ct.duration_since(bt))
                            .unwrap_or_default();
                        if gap > Duration::from_secs(120) {
                            Err(format!("expiration: botocore {be} vs oidc-cli {ce}"))
                        } else {
                            Ok(())
                        }
                    }
                    _ => Err(format!(
                        "unreadable expiration: botocore {be} vs oidc-cli {ce}"
                    )),
                }
            }
            _ => Ok(()),
        },
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(_)) => Err("botocore succeeded, oidc-cli failed".into()),
        (Err(_), Ok(_)) => Err("botocore failed, oidc-cli succeeded".into()),
    }
    .and_then(|()| match cli.check_errors.as_slice() {
        [] => Ok(()),
        errors => Err(format!("oidc-cli's requests: {}", errors.join("; "))),
    })
    .and_then(|()| {
        if boto.ops == cli.ops {
            Ok(())
        } else {
            Err(format!(
                "operations: botocore {:?} vs oidc-cli {:?}",
                boto.ops, cli.ops
            ))
        }
    });
    let boto_as_expected = match (&row.expect, &boto.result) {
        (Expect::Identity { arn, .. }, Ok(id)) if glob(arn, &id.arn) => Ok(()),
        (Expect::Identity { arn, .. }, Ok(id)) => {
            Err(format!("botocore reached {} (expected {arn})", id.arn))
        }
        (Expect::Identity { arn, .. }, Err(e)) => {
            Err(format!("botocore failed (expected {arn}): {e}"))
        }
        (Expect::Failure(what), Ok(id)) => Err(format!(
            "botocore reached {} (expected a failure: {what})",
            id.arn
        )),
        (Expect::Failure(what), Err(e)) if e.contains(what) => Ok(()),
        (Expect::Failure(what), Err(e)) => Err(format!(
            "botocore failed otherwise (expected {what:?}): {e}"
        )),
    }
    .and_then(|()| match boto.check_errors.as_slice() {
        [] => Ok(()),
        errors => Err(format!("botocore's requests: {}", errors.join("; "))),
    })
    .and_then(|()| match &row.sends {
        Some(expected) => {
            let mut expected: Vec<&str> = expected.clone();
            expected.sort_unstable();
            if boto.ops == expected {
                Ok(())
            } else {
                Err(format!(
                    "botocore sent {:?}, expected {expected:?}",
                    boto.ops
                ))
            }
        }
        None => Ok(()),
    });
    Verdict {
        name: row.name,
        boto,
        cli,
        agree,
        boto_as_expected,
    }
}

/// Runs every row (in parallel, each tool on its own HOME and emulator).
fn run_table(tools: &Tools, rows: &[Row]) -> Vec<Verdict> {
    let next = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<(usize, Verdict)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(row) = rows.get(i) else { break };
                let boto = World::new(row, tools).botocore(tools, row, TARGET);
                let cli = World::new(row, tools).oidc_cli(tools, row, TARGET);
                let v = judge(row, boto, cli);
                verdicts.lock().unwrap().push((i, v));
            });
        }
    });
    let mut v = verdicts.into_inner().unwrap();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, v)| v).collect()
}

fn print_table(verdicts: &[Verdict]) {
    let w = verdicts
        .iter()
        .map(|v| v.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut text = format!(
        "\n{:<w$}  {:<92}  {:<92}  agree?\n",
        "row", "botocore", "oidc-cli"
    );
    for v in verdicts {
        text.push_str(&format!(
            "{:<w$}  {:<92}  {:<92}  {}{}\n",
            v.name,
            v.boto.cell(),
            v.cli.cell(),
            if v.agree.is_ok() { "yes" } else { "NO" },
            if v.boto_as_expected.is_ok() {
                ""
            } else {
                " (botocore not as expected)"
            },
        ));
    }
    text.push_str("\nerror texts of failing rows:\n");
    for v in verdicts {
        if let Err(e) = &v.boto.result {
            text.push_str(&format!("  {} botocore: {}\n", v.name, one_line(e, 400)));
        }
        if let Err(e) = &v.cli.result {
            text.push_str(&format!("  {} oidc-cli: {}\n", v.name, one_line(e, 400)));
        }
    }
    text.push_str("\noperations sent (botocore | oidc-cli):\n");
    for v in verdicts {
        text.push_str(&format!(
            "  {}: {:?} | {:?}\n",
            v.name, v.boto.ops, v.cli.ops
        ));
    }
    eprintln!("{text}");
}

/// The table: every row, both tools, the same identity or both failing.
#[test]
fn profile_table_botocore_and_oidc_cli_agree() {
    let Some(tools) = tools() else { return };
    let mut rows = rows();
    rows.extend(pending::pending_rows());
    assert!(rows.len() >= 22, "{} rows", rows.len());
    let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), rows.len(), "row names are unique");
    // OIDC_PROFILE_ROWS=sso,role-chain runs only the rows whose names
    // contain one of these.
    if let Ok(filter) = std::env::var("OIDC_PROFILE_ROWS") {
        let wanted: Vec<&str> = filter.split(',').map(str::trim).collect();
        rows.retain(|r| wanted.iter().any(|w| r.name.contains(w)));
        eprintln!("profile table: {} rows match {filter:?}", rows.len());
    }

    let started = Instant::now();
    let verdicts = run_table(&tools, &rows);
    print_table(&verdicts);
    let agreeing = verdicts.iter().filter(|v| v.agree.is_ok()).count();
    eprintln!(
        "{agreeing} of {} rows agree ({:.1} s)",
        verdicts.len(),
        started.elapsed().as_secs_f64()
    );

    let mut problems = Vec::new();
    for v in &verdicts {
        if let Err(e) = &v.boto_as_expected {
            problems.push(format!("{}: broken row: {e}", v.name));
        }
        if let Err(e) = &v.agree {
            problems.push(format!("{}: {e}", v.name));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} rows: botocore and oidc-cli disagree (or the row is broken):\n  {}",
        verdicts.len() - agreeing,
        verdicts.len(),
        problems.join("\n  ")
    );
}

/// The AssumeRole count of an operation list.
fn assume_roles(ops: &[String]) -> usize {
    ops.iter().filter(|o| *o == "AssumeRole").count()
}

/// The chained profile (static → Hop1 → Deploy) the cache tests resolve.
fn chained_row() -> Row {
    rows()
        .into_iter()
        .find(|r| r.name == "role-chain-2-hops")
        .expect("row role-chain-2-hops")
}

/// The `~/.aws/cli/cache` entries (file names).
fn cli_cache_entries(home: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(home.join(".aws").join("cli").join("cache"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn expect_ok(who: &str, o: &Outcome) -> Identity {
    match &o.result {
        Ok(id) => id.clone(),
        Err(e) => panic!("{who} failed: {e}"),
    }
}

/// botocore resolves a chained profile first (writing
/// `~/.aws/cli/cache/<sha1>.json` per hop); oidc-cli then answers from
/// those entries without any AssumeRole, with the same credentials.
#[test]
fn assume_role_cache_written_by_botocore_is_used_by_oidc_cli() {
    let Some(tools) = tools() else { return };
    let row = chained_row();
    let world = World::new(&row, &tools);
    let boto = world.botocore(&tools, &row, TARGET);
    let b = expect_ok("botocore", &boto);
    assert_eq!(assume_roles(&boto.ops), 2, "{:?}", boto.ops);
    let entries = cli_cache_entries(world.home());
    assert_eq!(entries.len(), 2, "one entry per hop: {entries:?}");

    let cli = world.oidc_cli(&tools, &row, TARGET);
    eprintln!(
        "botocore then oidc-cli: botocore {} ops {:?}; oidc-cli {} ops {:?}",
        boto.cell(),
        boto.ops,
        cli.cell(),
        cli.ops
    );
    let c = expect_ok("oidc-cli", &cli);
    assert_eq!(
        assume_roles(&cli.ops),
        0,
        "oidc-cli ignored botocore's cache: {:?}",
        cli.ops
    );
    assert_eq!(c.access_key_id, b.access_key_id, "botocore's cached key");
    assert_eq!(c.arn, b.arn);
    assert_eq!(cli_cache_entries(world.home()), entries, "no new entries");
}

/// The reverse: oidc-cli resolves the chained profile cold (one AssumeRole
/// per hop, cached in botocore's layout); botocore then sends none.
#[test]
fn assume_role_cache_written_by_oidc_cli_is_used_by_botocore() {
    let Some(tools) = tools() else { return };
    let row = chained_row();
    let world = World::new(&row, &tools);
    let cli = world.oidc_cli(&tools, &row, TARGET);
    let c = expect_ok("oidc-cli", &cli);
    assert_eq!(assume_roles(&cli.ops), 2, "{:?}", cli.ops);
    let entries = cli_cache_entries(world.home());

    let boto = world.botocore(&tools, &row, TARGET);
    eprintln!(
        "oidc-cli then botocore: oidc-cli {} ops {:?} entries {entries:?}; botocore {} ops {:?}",
        cli.cell(),
        cli.ops,
        boto.cell(),
        boto.ops
    );
    let b = expect_ok("botocore", &boto);
    assert_eq!(
        assume_roles(&boto.ops),
        0,
        "botocore did not find oidc-cli's entries {entries:?}: {:?}",
        boto.ops
    );
    assert_eq!(b.access_key_id, c.access_key_id, "oidc-cli's cached key");
    assert_eq!(cli_cache_entries(world.home()), entries, "no new entries");
}

/// 20 oidc-cli processes at once on a cold chained profile: one AssumeRole
/// per hop in all, and every process prints the same credentials.
#[test]
fn parallel_oidc_cli_on_a_cold_chain_assume_each_role_once() {
    let Some(tools) = tools() else { return };
    let row = chained_row();
    let world = World::new(&row, &tools);
    world.emu.clear_requests();
    let runs: Vec<Result<Finished, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| s.spawn(|| world.cli_run(&tools, &row, TARGET)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ops = world.ops();
    let mut keys = BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for run in &runs {
        match run {
            Ok(out) if out.ok => {
                let v: Value = serde_json::from_str(out.stdout.trim()).unwrap_or(Value::Null);
                let key = v["AccessKeyId"].as_str().unwrap_or("<no AccessKeyId>");
                *keys.entry(key.to_string()).or_default() += 1;
            }
            Ok(out) => failures.push(format!(
                "exit {:?}: {}",
                out.code,
                one_line(&out.stderr, 200)
            )),
            Err(e) => failures.push(e.clone()),
        }
    }
    eprintln!(
        "20 parallel oidc-cli: {} failed, keys {keys:?}, operations {ops:?}",
        failures.len()
    );
    assert!(failures.is_empty(), "failures: {failures:#?}");
    assert_eq!(assume_roles(&ops), 2, "one AssumeRole per hop: {ops:?}");
    assert_eq!(keys.len(), 1, "one set of credentials: {keys:?}");
}

#[test]
fn glob_and_normalisation() {
    assert!(glob("a/*/c", "a/bbb/c"));
    assert!(!glob("a/*/c", "a/b/b/c"));
    assert!(glob(
        "arn:aws:sts::1:assumed-role/R/botocore-session-*",
        "arn:aws:sts::1:assumed-role/R/botocore-session-1700000000"
    ));
    assert_eq!(
        normalise_session("arn:aws:sts::1:assumed-role/R/s1"),
        "arn:aws:sts::1:assumed-role/R/<generated>"
    );
    assert_eq!(normalise_session(USER_A_ARN), USER_A_ARN);
}
