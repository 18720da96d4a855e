//! Runs the `oidc-cli` binary end to end against `oidc_emulator`, each test
//! with its own temporary `HOME` and `AWS_CONFIG_FILE`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oidc_core::cache::CachedToken;
use oidc_core::secret::{AccessToken, ClientSecret, RefreshToken};
use oidc_emulator::{Emulator, EmulatorConfig};
use oidc_host::CacheDir;

const BIN: &str = env!("CARGO_BIN_EXE_oidc-cli");

/// A temporary home directory with an AWS config file path in it.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Home {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "oidc-cli-test-{tag}-{}-{nanos}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(path.join(".aws")).unwrap();
        Home(path)
    }

    fn config(&self) -> PathBuf {
        self.0.join(".aws").join("config")
    }

    fn sso_cache(&self) -> CacheDir {
        CacheDir::new(self.0.join(".aws").join("sso").join("cache"))
    }

    fn cli_cache(&self) -> PathBuf {
        self.0.join(".aws").join("cli").join("cache")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("HOME", &self.0)
            .env("AWS_CONFIG_FILE", self.config())
            .env("BROWSER", "true")
            .env("DISPLAY", ":99")
            .stdin(Stdio::null());
        for var in [
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "SSH_CONNECTION",
            "SSH_TTY",
            "NO_COLOR",
            "WAYLAND_DISPLAY",
        ] {
            c.env_remove(var);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run oidc-cli")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Approves every pending device code until dropped (the user).
struct Approver(Arc<AtomicBool>, Option<std::thread::JoinHandle<()>>);

impl Approver {
    fn start(emulator: &Arc<Emulator>) -> Approver {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, e) = (stop.clone(), emulator.clone());
        let t = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for code in e.pending_user_codes() {
                    e.approve(&code);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Approver(stop, Some(t))
    }
}

impl Drop for Approver {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        if let Some(t) = self.1.take() {
            let _ = t.join();
        }
    }
}

const OTHER_TEXT: &str = "# my settings; keep them\n[default]\nregion = eu-west-2\noutput = json\n\n[profile other]\nregion = ap-south-1\ns3 =\n  max_concurrent_requests = 20\n";

/// A signed-in session "corp" configured by `configure`.
fn configured(home: &Home, emulator: &Arc<Emulator>) -> String {
    std::fs::write(home.config(), OTHER_TEXT).unwrap();
    let base = emulator.base_url();
    let start_url = format!("{base}/start");
    let _approver = Approver::start(emulator);
    let out = home.run(&[
        "configure",
        "--start-url",
        &start_url,
        "--region",
        "us-east-1",
        "--sso-session",
        "corp",
        "--use-device-code",
        "--endpoint-url",
        &base,
        "--timeout",
        "60",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    base
}

#[test]
fn configure_then_every_portal_command_then_logout() {
    let emulator = Arc::new(Emulator::start(EmulatorConfig::default()).unwrap());
    let home = Home::new("e2e");
    let base = configured(&home, &emulator);
    let ep = ["--endpoint-url", base.as_str()];

    // configure: the other text is byte-identical, the new sections follow.
    let written = std::fs::read_to_string(home.config()).unwrap();
    assert!(written.starts_with(OTHER_TEXT), "{written}");
    assert!(written.contains("[sso-session corp]"), "{written}");
    // Named as `aws configure sso` names them: RoleName-AccountId.
    for profile in [
        "ReadOnly-111111111111",
        "AdministratorAccess-111111111111",
        "ReadOnly-222222222222",
        "Billing-333333333333",
    ] {
        assert!(
            written.contains(&format!("[profile {profile}]")),
            "{written}"
        );
    }
    let token = home.sso_cache().read_token("corp").unwrap().token.unwrap();

    // accounts and roles.
    let out = home.run(&[&["accounts", "--sso-session", "corp"], &ep[..]].concat());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.contains("111111111111  Dev"), "{stdout}");
    let out = home.run(
        &[
            &[
                "roles",
                "--profile",
                "ReadOnly-111111111111",
                "--account-id",
                "111111111111",
                "--output",
                "json",
            ],
            &ep[..],
        ]
        .concat(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    let roles: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(roles.len(), 2);
    assert!(roles.iter().any(|r| r["roleName"] == "ReadOnly"));

    // credentials: the credential_process JSON, cached in ~/.aws/cli/cache.
    let before = emulator.stats().get_role_credentials;
    let out = home.run(
        &[
            &["credentials", "--profile", "ReadOnly-111111111111"],
            &ep[..],
        ]
        .concat(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["Version"], 1);
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(json["SecretAccessKey"].is_string() && json["SessionToken"].is_string());
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    let out = home.run(
        &[
            &[
                "credentials",
                "--profile",
                "ReadOnly-111111111111",
                "--format",
                "env",
                "--export-region",
                "eu-west-1",
            ],
            &ep[..],
        ]
        .concat(),
    );
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!(
            "export AWS_ACCESS_KEY_ID='{}'",
            json["AccessKeyId"].as_str().unwrap()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("export AWS_REGION='eu-west-1'"), "{stdout}");
    assert!(
        stdout.contains("export AWS_DEFAULT_REGION='eu-west-1'"),
        "{stdout}"
    );
    assert_eq!(
        emulator.stats().get_role_credentials,
        before + 1,
        "the second call used the cache"
    );
    assert_eq!(
        std::fs::read_dir(home.cli_cache())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json"))
            .count(),
        1
    );

    // token prints the cached token; status says signed in.
    let out = home.run(&[&["token", "--sso-session", "corp"], &ep[..]].concat());
    assert_eq!(text(&out).0.trim(), token.access_token.secret());
    let out = home.run(&["status", "--profile", "ReadOnly-111111111111"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("sso-session corp") && stdout.contains("signed in until"),
        "{stdout}"
    );
    assert!(!stdout.contains(token.access_token.secret()));
    let out = home.run(&["status", "--json"]);
    let line: serde_json::Value =
        serde_json::from_str(text(&out).0.lines().next().unwrap()).unwrap();
    assert_eq!(line["state"], "signed_in");

    // logout: the portal's Logout is called, token and role credentials go.
    let out = home.run(&[&["logout", "--session", "corp"], &ep[..]].concat());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Signed out of sso-session corp at the portal"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Removed 1 cached role credential file(s)"),
        "{stdout}"
    );
    assert_eq!(emulator.stats().logout, 1);
    assert!(!home.sso_cache().token_path("corp").exists());
    assert_eq!(
        std::fs::read_dir(home.cli_cache())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json"))
            .count(),
        0
    );
    let out = home.run(&["status", "--sso-session", "corp"]);
    assert_eq!(code(&out), Some(1), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("oidc-cli login --sso-session corp"),
        "{:?}",
        text(&out)
    );
    // Nothing else changed in the config.
    assert_eq!(std::fs::read_to_string(home.config()).unwrap(), written);
}

#[test]
fn offline_demo_runs_the_whole_chain_and_leaves_nothing() {
    let home = Home::new("demo");
    for device in [true, false] {
        let mut args = vec!["login", "--timeout", "60"];
        if device {
            args.push("--use-device-code");
        }
        let child = home
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
        assert!(stderr.contains("Offline demo"), "{stderr}");
        if device {
            assert!(stderr.contains("check that it shows this code"), "{stderr}");
            // The complete URL as text, not only as a QR code.
            assert!(stderr.contains("with the code filled in"), "{stderr}");
            assert!(stderr.contains("user_code="), "{stderr}");
        } else {
            assert!(stderr.contains("/authorize?"), "{stderr}");
        }
        for step in [
            "[1/5]",
            "[2/5]",
            "[3/5]",
            "[4/5]",
            "[5/5]",
            "assumed-role/AWSReservedSSO_",
        ] {
            assert!(stderr.contains(step), "{step}: {stderr}");
        }
        assert!(stdout.contains("Demo complete"), "{stdout}");
        assert!(
            !stderr.contains("oidc-cli-demo-"),
            "no deleted path is printed"
        );
        assert_eq!(demo_dirs(pid), 0, "the temporary home is gone");
        assert!(
            !home.config().exists(),
            "nothing written to the real config"
        );
    }
}

fn demo_dirs(pid: u32) -> usize {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("oidc-cli-demo-{pid}-"))
        })
        .count()
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_ends_a_waiting_demo_and_removes_its_files() {
    // Ctrl-C, and a terminal closing (HUP) or a service manager stopping
    // it (TERM), end the demo the same way: its temporary home is removed.
    for signal in ["-INT", "-TERM", "-HUP"] {
        let home = Home::new(&format!("signal{signal}"));
        let mut child = home
            .command(&["login", "--manual", "--use-device-code", "--timeout", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        while !seen.contains("The code expires") {
            let mut line = String::new();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "{seen}");
            seen.push_str(&line);
        }
        assert_eq!(
            demo_dirs(pid),
            1,
            "the temporary home exists while it waits"
        );
        let sent = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert_eq!(status.code(), Some(130), "{signal}: {rest}");
        assert!(rest.contains("interrupted"), "{signal}: {rest}");
        assert_eq!(demo_dirs(pid), 0, "{signal}");
    }
}

#[test]
fn the_emulator_command_serves_until_ctrl_c() {
    let home = Home::new("emu");
    let mut child = home
        .command(&["emulator", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    let endpoint = event["endpointUrl"].as_str().unwrap().to_owned();
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /_emulator/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The whole chain against it, as a user would.
    let emulator_url = endpoint.clone();
    std::fs::write(
        home.config(),
        format!(
            "[sso-session local]\nsso_start_url = {emulator_url}/start\nsso_region = us-east-1\n"
        ),
    )
    .unwrap();
    interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn write_token(
    home: &Home,
    emulator: &Emulator,
    key: &str,
    start_url: &str,
    expires_in: i64,
) -> CachedToken {
    let issued = emulator.issue_token(&["sso:account:access"]);
    let now = SystemTime::now();
    let expires = if expires_in >= 0 {
        now + Duration::from_secs(expires_in as u64)
    } else {
        now - Duration::from_secs((-expires_in) as u64)
    };
    let entry = CachedToken::new(AccessToken::new(issued.access_token.clone()), expires)
        .with_start_url(start_url)
        .with_region("us-east-1")
        .with_client_id(issued.client_id.clone())
        .with_client_secret(ClientSecret::new(issued.client_secret.clone()))
        .with_registration_expires_at(now + Duration::from_secs(86_400))
        .with_refresh_token(RefreshToken::new(issued.refresh_token.clone()));
    let cache = home.sso_cache();
    cache.write_token(key, &entry).unwrap();
    entry
}

fn profile_config(home: &Home, start_url: &str) {
    std::fs::write(
        home.config(),
        format!(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\n\
             [sso-session corp]\nsso_start_url = {start_url}\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n"
        ),
    )
    .unwrap();
}

#[test]
fn ten_parallel_credentials_refresh_once_and_fetch_once() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = Home::new("parallel");
    let base = emulator.base_url();
    let start_url = format!("{base}/start");
    profile_config(&home, &start_url);
    write_token(&home, &emulator, "corp", &start_url, -60);
    emulator.reset_stats();
    let children: Vec<Child> = (0..10)
        .map(|_| {
            home.command(&[
                "credentials",
                "--profile",
                "dev",
                "--endpoint-url",
                &base,
                "--timeout",
                "60",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut keys = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
        let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        keys.push(json["AccessKeyId"].as_str().unwrap().to_owned());
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "every process got the same credentials");
    let stats = emulator.stats();
    assert_eq!(stats.create_token_refresh, 1, "{stats:?}");
    assert_eq!(stats.get_role_credentials, 1, "{stats:?}");
}

#[test]
fn exit_codes_and_messages_say_what_to_do() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = Home::new("codes");
    let base = emulator.base_url();
    let start_url = format!("{base}/start");
    profile_config(&home, &start_url);

    // Unknown profile: usage, and the profiles that exist.
    let out = home.run(&["token", "--profile", "nope"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out).1.contains("the profiles are: dev"),
        "{:?}",
        text(&out)
    );

    // Bad start URLs and regions: refused before any request.
    for (url, region) in [
        ("", "us-east-1"),
        ("not a url", "us-east-1"),
        ("http://example.com/start", "us-east-1"),
        (start_url.as_str(), "useast1"),
    ] {
        let out = home.run(&[
            "login",
            "--start-url",
            url,
            "--region",
            region,
            "--endpoint-url",
            &base,
        ]);
        assert_eq!(code(&out), Some(2), "{url} {region}: {:?}", text(&out));
    }
    assert_eq!(emulator.stats().total, 0, "no request was sent");

    // Not signed in: 1, and the exact command.
    let out = home.run(&["token", "--profile", "dev", "--endpoint-url", &base]);
    assert_eq!(code(&out), Some(1), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("run `oidc-cli login --profile dev`"),
        "{:?}",
        text(&out)
    );
    let out = home.run(&["status", "--profile", "dev"]);
    assert_eq!(code(&out), Some(1));

    // Session ended (refresh token revoked): 3, and the exact command.
    let entry = write_token(&home, &emulator, "corp", &start_url, -60);
    emulator.revoke_refresh_token(entry.refresh_token.as_ref().unwrap().secret());
    let out = home.run(&["credentials", "--profile", "dev", "--endpoint-url", &base]);
    assert_eq!(code(&out), Some(3), "{:?}", text(&out));
    let stderr = text(&out).1;
    assert!(
        stderr.contains("run `oidc-cli login --profile dev`"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("oidc-cli login").count(),
        1,
        "said once: {stderr}"
    );
    // The same classification everywhere: after the refused refresh,
    // `status` says ended (not "the next use refreshes it") and so does
    // `token`, both with 3.
    let out = home.run(&["status", "--profile", "dev", "--json"]);
    assert_eq!(code(&out), Some(3), "{:?}", text(&out));
    assert!(
        text(&out).0.contains("\"state\":\"ended\""),
        "{:?}",
        text(&out)
    );
    let out = home.run(&["token", "--profile", "dev", "--endpoint-url", &base]);
    assert_eq!(code(&out), Some(3), "{:?}", text(&out));
    // Expired and not refreshable in the cache: ended for every command.
    let ended = CachedToken::new(
        AccessToken::new("aoal-x"),
        SystemTime::now() - Duration::from_secs(60),
    );
    home.sso_cache().write_token("corp", &ended).unwrap();
    assert_eq!(code(&home.run(&["status", "--profile", "dev"])), Some(3));
    for command in ["token", "credentials"] {
        let out = home.run(&[command, "--profile", "dev", "--endpoint-url", &base]);
        assert_eq!(code(&out), Some(3), "{command}: {:?}", text(&out));
    }

    // Network: nothing listens.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = home.run(&[
        "login",
        "--sso-session",
        "x",
        "--start-url",
        &format!("{dead}/start"),
        "--region",
        "us-east-1",
        "--endpoint-url",
        &dead,
        "--use-device-code",
        "--timeout",
        "20",
    ]);
    assert_eq!(code(&out), Some(4), "{:?}", text(&out));

    // A timeout names the step it interrupted.
    let started = Instant::now();
    let out = home.run(&[
        "login",
        "--profile",
        "dev",
        "--use-device-code",
        "--no-browser",
        "--force",
        "--endpoint-url",
        &base,
        "--timeout",
        "2",
    ]);
    assert_eq!(code(&out), Some(4), "{:?}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = text(&out).1;
    assert!(
        stderr.contains(
            "timed out after 2 s while waiting for the device code of profile dev to be approved"
        ),
        "{stderr}"
    );
}

#[test]
fn a_second_login_says_it_waits_for_the_first() {
    let emulator = Arc::new(Emulator::start(EmulatorConfig::default()).unwrap());
    let home = Home::new("wait");
    let base = emulator.base_url();
    profile_config(&home, &format!("{base}/start"));
    let login = || {
        home.command(&[
            "login",
            "--profile",
            "dev",
            "--use-device-code",
            "--endpoint-url",
            &base,
            "--timeout",
            "60",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let mut first = login();
    let mut err = BufReader::new(first.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("The code expires") {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
    }
    let second = login();
    std::thread::sleep(Duration::from_millis(500));
    let approver = Approver::start(&emulator);
    assert!(first.wait().unwrap().success());
    let out = second.wait_with_output().unwrap();
    drop(approver);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("another sign-in to profile dev is in progress"),
        "{stderr}"
    );
    assert_eq!(
        emulator.stats().start_device_authorization,
        1,
        "one sign-in for both"
    );
}

#[test]
fn help_shows_each_commands_own_flags_and_completions_work() {
    let home = Home::new("help");
    let login = text(&home.run(&["login", "--help"])).0;
    for flag in [
        "--use-device-code",
        "--no-browser",
        "--force",
        "--no-qr",
        "--start-url",
        "--profile",
        "--timeout",
    ] {
        assert!(login.contains(flag), "{flag}: {login}");
    }
    let token = text(&home.run(&["token", "--help"])).0;
    for flag in ["--use-device-code", "--start-url", "--format", "--all"] {
        assert!(!token.contains(flag), "{flag}: {token}");
    }
    assert!(token.contains("--profile"));
    let creds = text(&home.run(&["credentials", "--help"])).0;
    assert!(creds.contains("--format") && !creds.contains("--use-device-code"));
    let out = home.run(&["completions", "bash"]);
    assert_eq!(code(&out), Some(0));
    assert!(text(&out).0.contains("oidc-cli"));
    assert_eq!(code(&home.run(&["login", "--timeout", "0"])), Some(2));
}

/// Runs `command` in a pseudo-terminal with `script` (util-linux) and
/// returns everything the terminal showed.
fn in_pty(home: &Home, command: &str, no_color: bool) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` is not installed; skipping the terminal test");
        return None;
    }
    let mut script = Command::new("script");
    script
        .args(["-qec", command, "/dev/null"])
        .env("HOME", &home.0)
        .env("AWS_CONFIG_FILE", home.config())
        .env("TERM", "xterm")
        .env("DISPLAY", ":99")
        .env("BROWSER", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_TTY")
        .stdin(Stdio::null());
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let out = script.output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn terminal_gets_a_qr_code_a_countdown_and_colour_pipes_get_none() {
    let home = Home::new("tty");
    let command = format!("{BIN} login --use-device-code --timeout 60");
    let Some(screen) = in_pty(&home, &command, false) else {
        return;
    };
    assert!(
        screen.contains('▀') || screen.contains('▄'),
        "QR code: {screen}"
    );
    assert!(
        screen.contains("Waiting for approval:"),
        "countdown: {screen}"
    );
    assert!(screen.contains("\x1b[1"), "colour: {screen}");

    let screen = in_pty(&home, &format!("{command} --no-qr"), true).unwrap();
    assert!(!screen.contains('▀'), "--no-qr: {screen}");
    assert!(
        !screen.contains("\x1b[1") && !screen.contains("\x1b[2m"),
        "NO_COLOR: {screen}"
    );

    // Piped: no QR code, no countdown, no escape sequence at all.
    let out = home.run(&["login", "--use-device-code", "--timeout", "60"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "{stderr}"
    );
    assert!(
        !stderr.contains('▀') && !stderr.contains("Waiting for approval:"),
        "{stderr}"
    );
}

#[test]
fn json_output_is_one_object_per_line() {
    let home = Home::new("json");
    let out = home.run(&[
        "login",
        "--output",
        "json",
        "--use-device-code",
        "--timeout",
        "60",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "prompt");
    assert!(events[0]["userCode"].is_string());
    assert!(events.iter().any(|e| e["event"] == "caller_identity"));
    assert!(
        stderr.contains("check that it shows this code"),
        "prompts stay on stderr"
    );
}

/// Terminal control sequences a server or a file could plant: ESC, BEL, a
/// CSI colour, an OSC window title.
const PLANTED: [&str; 4] = ["\u{1b}", "\u{7}", "\u{1b}[31m", "\u{1b}]0;title\u{7}"];

fn planted(base: &str) -> String {
    let mut s = base.to_owned();
    for p in PLANTED {
        s.push_str(p);
        s.push('x');
    }
    s
}

fn assert_no_control(out: &Output, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{what}: {stream} carries ESC or BEL: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// A portal on 127.0.0.1 that answers every request (at most 8, for at
/// most 30 s) with a 400 whose message carries control sequences. Returns
/// its base URL.
fn hostile_portal() -> String {
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut served = 0;
        while served < 8 && Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let body = serde_json::json!({ "message": planted("Weird") }).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
                 x-amzn-ErrorType: InvalidRequestException\r\n\
                 x-amzn-RequestId: r-1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

#[test]
fn nothing_a_server_or_a_file_says_reaches_the_terminal_raw() {
    use oidc_core::cache::credentials::{sso_credentials_file_name, SsoSessionId};
    use oidc_emulator::PortalAccount;

    // Names and e-mail addresses are shown (filtered); account ids and role
    // names are refused where they are parsed (see below).
    let hostile = PortalAccount {
        account_id: "222222222222".to_owned(),
        account_name: planted("Dev"),
        email_address: planted("dev@example.com"),
        roles: vec!["Admin".to_owned(), "Read".to_owned()],
    };
    let normal = PortalAccount::new("111111111111", "Prod", &["ReadOnly"]);
    let emulator = Arc::new(
        Emulator::start(EmulatorConfig::default().with_portal_accounts(vec![normal, hostile]))
            .unwrap(),
    );
    let home = Home::new("printable");
    let base = emulator.base_url();
    let start_url = format!("{base}/start");
    profile_config(&home, &start_url);
    write_token(&home, &emulator, "corp", &start_url, 3600);

    // A planted token cache entry (not configured) and a planted role
    // credential entry for the profile.
    let now = SystemTime::now();
    let entry = CachedToken::new(AccessToken::new("planted"), now + Duration::from_secs(3600))
        .with_start_url(planted("https://evil.example/start"))
        .with_region(planted("us-east-1"));
    home.sso_cache().write_token("planted", &entry).unwrap();
    std::fs::create_dir_all(home.cli_cache()).unwrap();
    let role_file = sso_credentials_file_name(
        "111111111111",
        "ReadOnly",
        SsoSessionId::SessionName("corp"),
    );
    std::fs::write(
        home.cli_cache().join(role_file),
        serde_json::json!({
            "ProviderType": "sso",
            "Credentials": {
                "AccessKeyId": planted("ASIA"),
                "SecretAccessKey": planted("secret"),
                "SessionToken": planted("token"),
                "Expiration": "2999-01-01T00:00:00Z",
                "AccountId": planted("1111"),
            }
        })
        .to_string(),
    )
    .unwrap();

    let ep = ["--endpoint-url", &base, "--timeout", "30"];
    let run = |args: &[&str]| {
        let out = home.run(&[args, &ep[..]].concat());
        assert_no_control(&out, &args.join(" "));
        out
    };
    for output in ["text", "json"] {
        for args in [
            &["accounts", "--sso-session", "corp"][..],
            &["roles", "--sso-session", "corp"],
            &["status"],
            &["status", "--sso-session", "corp"],
        ] {
            let out = run(&[args, &["--output", output]].concat());
            assert_eq!(code(&out), Some(0), "{args:?} {:?}", text(&out));
            if output == "text" {
                // What was planted is shown, without its control characters.
                let stdout = text(&out).0;
                let expected = match args[0] {
                    "accounts" => vec![planted("Dev"), planted("dev@example.com")],
                    "roles" => vec!["222222222222".to_owned(), "Admin".to_owned()],
                    _ => vec![planted("https://evil.example/start"), planted("us-east-1")],
                };
                for e in expected {
                    let e = oidc_core::untrusted::printable(&e);
                    assert!(stdout.contains(&e), "{args:?}: {e:?} not in {stdout}");
                }
            }
        }
    }
    let out = run(&[
        "roles",
        "--sso-session",
        "corp",
        "--account-id",
        &planted("1"),
    ]);
    assert_ne!(code(&out), Some(0));

    // A portal whose account ids or role names hold control characters is
    // refused at parse time, naming the member, and nothing raw is shown.
    let refused = Emulator::start(EmulatorConfig::default().with_portal_accounts(vec![
        PortalAccount {
            account_id: planted("2222"),
            account_name: "Dev".to_owned(),
            email_address: "dev@example.com".to_owned(),
            roles: vec!["Admin".to_owned()],
        },
        PortalAccount {
            account_id: "111111111111".to_owned(),
            account_name: "Prod".to_owned(),
            email_address: "prod@example.com".to_owned(),
            roles: vec![planted("Admin")],
        },
    ]))
    .unwrap();
    let refused_base = refused.base_url();
    let refused_home = Home::new("printable-refused");
    let refused_start = format!("{refused_base}/start");
    profile_config(&refused_home, &refused_start);
    write_token(&refused_home, &refused, "corp", &refused_start, 3600);
    for (args, member) in [
        (&["accounts", "--sso-session", "corp"][..], "accountId"),
        (
            &[
                "roles",
                "--sso-session",
                "corp",
                "--account-id",
                "111111111111",
            ][..],
            "roleName",
        ),
    ] {
        let out = refused_home
            .run(&[args, &["--endpoint-url", &refused_base, "--timeout", "30"]].concat());
        assert_no_control(&out, &args.join(" "));
        assert_ne!(code(&out), Some(0), "{args:?}");
        let stderr = text(&out).1;
        assert!(stderr.contains(member), "{args:?}: {stderr}");
    }

    // The planted role credentials read as corrupt: fresh ones are fetched.
    for format in ["process", "env", "json"] {
        let out = run(&["credentials", "--profile", "dev", "--format", format]);
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), Some(0), "{stderr}");
        assert!(!stdout.contains("secretx"), "{stdout}");
    }

    // An error the portal sends (a fake portal on 127.0.0.1: the
    // emulator cannot send control characters in a header), and errors
    // about names from the command line.
    let fake = hostile_portal();
    let out = home.run(&[
        "accounts",
        "--sso-session",
        "corp",
        "--endpoint-url",
        &fake,
        "--timeout",
        "30",
    ]);
    assert_no_control(&out, "accounts against a hostile portal");
    assert_ne!(code(&out), Some(0));
    let stderr = text(&out).1;
    assert!(stderr.contains("Weird"), "{stderr}");
    let out = run(&["status", "--profile", &planted("nope")]);
    assert_ne!(code(&out), Some(0));
    let out = run(&["credentials", "--sso-session", &planted("nope")]);
    assert_ne!(code(&out), Some(0));

    // `configure` against the hostile accounts, then `logout --all` of the
    // planted entries.
    let home2 = Home::new("printable-configure");
    let _approver = Approver::start(&emulator);
    emulator.clear_faults();
    let out = home2.run(&[
        "configure",
        "--start-url",
        &start_url,
        "--region",
        "us-east-1",
        "--sso-session",
        "corp",
        "--use-device-code",
        "--no-browser",
        "--endpoint-url",
        &base,
        "--timeout",
        "60",
    ]);
    assert_no_control(&out, "configure");
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stderr}");
    // The hostile account name becomes a profile name without its control
    // characters.
    assert!(stdout.contains("(222222222222, Admin)"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    let out = run(&["logout", "--all"]);
    assert_no_control(&out, "logout --all");
}

/// `oidc-cli status | head -1`: a reader that stops reading ends the
/// program quietly (status 0, no panic message), not with an abort.
#[test]
fn a_closed_stdout_ends_quietly() {
    let home = Home::new("closed-stdout");
    profile_config(&home, "https://d-1234567890.awsapps.com/start");
    let (reader, writer) = std::io::pipe().expect("a pipe");
    // Closed before the program writes anything: its first line fails.
    drop(reader);
    let out = home
        .command(&["status"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run oidc-cli");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A failure under `--output json` is one JSON object on stdout too (what
/// went wrong, the exit code, the causes), not silence.
#[test]
fn a_failure_under_json_output_is_a_json_object() {
    let home = Home::new("json-failure");
    let out = home.run(&["token", "--profile", "missing", "--output", "json"]);
    assert_ne!(code(&out), Some(0));
    let (stdout, stderr) = text(&out);
    let line = stdout.lines().last().unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object on stdout");
    assert_eq!(value["event"], "error", "{stdout}");
    assert_eq!(value["exitCode"].as_i64(), code(&out).map(i64::from));
    assert!(
        value["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{stdout}"
    );
    assert!(!stderr.is_empty());
}

/// A role chain on top of a configured SSO profile: `credentials` assumes
/// the role once (then answers from the AWS CLI's cache), `status` shows
/// the chain, `login` signs in the chain's root; `configure` again leaves a
/// hand-written profile of a colliding name alone unless `--force`.
#[test]
fn chained_profiles_and_configure_that_never_surprises() {
    let emulator = Arc::new(Emulator::start(EmulatorConfig::default()).unwrap());
    let home = Home::new("chain");
    let base = configured(&home, &emulator);
    let ep = ["--endpoint-url", base.as_str()];
    let chained = "\n[profile deploy]\nrole_arn = arn:aws:iam::333333333333:role/Deploy\n\
                   source_profile = ReadOnly-111111111111\nrole_session_name = ana\n";
    let mut text_now = std::fs::read_to_string(home.config()).unwrap();
    text_now.push_str(chained);
    // A configured profile the user turned into a chain by hand.
    let text_now = oidc_host::aws_config::upsert_profile(
        &text_now,
        "ReadOnly-222222222222",
        &[
            ("role_arn", "arn:aws:iam::444444444444:role/Mine"),
            ("source_profile", "deploy"),
        ],
    )
    .unwrap();
    std::fs::write(home.config(), &text_now).unwrap();

    let out = home.run(&[&["credentials", "--profile", "deploy"], &ep[..]].concat());
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    let first: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(emulator.stats().assume_role, 1);
    let out = home.run(&[&["credentials", "--profile", "deploy"], &ep[..]].concat());
    let again: serde_json::Value = serde_json::from_str(text(&out).0.trim()).unwrap();
    assert_eq!(again["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(
        emulator.stats().assume_role,
        1,
        "the second call used the cache"
    );

    let out = home.run(&["status", "--profile", "deploy"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "assumes arn:aws:iam::333333333333:role/Deploy as ana; credentials cached until"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("IAM Identity Center role ReadOnly in account 111111111111"),
        "{stdout}"
    );
    let out = home.run(&[&["login", "--profile", "deploy"], &ep[..]].concat());
    assert_eq!(code(&out), Some(0), "{:?}", text(&out));

    // configure again: the hand-written ReadOnly-222222222222 stays.
    let start_url = format!("{base}/start");
    let again = |extra: &[&str]| {
        home.run(
            &[
                &[
                    "configure",
                    "--start-url",
                    &start_url,
                    "--region",
                    "us-east-1",
                    "--sso-session",
                    "corp",
                    "--use-device-code",
                    "--timeout",
                    "60",
                ][..],
                &ep[..],
                extra,
            ]
            .concat(),
        )
    };
    let before = std::fs::read_to_string(home.config()).unwrap();
    let out = again(&["--dry-run"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Would write"), "{stdout}");
    assert!(
        stdout.contains("ReadOnly-222222222222  (222222222222, ReadOnly) left alone"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(home.config()).unwrap(), before);
    let out = again(&[]);
    assert_eq!(code(&out), Some(0), "{:?}", text(&out));
    assert_eq!(
        std::fs::read_to_string(home.config()).unwrap(),
        before,
        "nothing new to write"
    );
    let out = again(&["--force"]);
    assert_eq!(code(&out), Some(0), "{:?}", text(&out));
    let after =
        oidc_host::AwsConfig::parse(&std::fs::read_to_string(home.config()).unwrap()).unwrap();
    let replaced = after.profile("ReadOnly-222222222222").unwrap();
    assert_eq!(replaced.get("role_arn"), None);
    assert_eq!(replaced.get("sso_session"), Some("corp"));
    assert_eq!(
        after.profile("deploy").unwrap().get("role_arn"),
        Some("arn:aws:iam::333333333333:role/Deploy")
    );
}

/// `credentials --auto-login` (or `oidc_cli_auto_login = true` in the
/// profile) signs in when the session is not signed in, with the prompt on
/// stderr and only the credentials on stdout, as a `credential_process`
/// needs.
#[test]
fn credentials_auto_login_signs_in_and_keeps_stdout_clean() {
    let emulator = Arc::new(Emulator::start(EmulatorConfig::default()).unwrap());
    let home = Home::new("auto-login");
    let base = emulator.base_url();
    profile_config(&home, &format!("{base}/start"));
    // Without it: not signed in (1), nothing on stdout.
    let out = home.run(&["credentials", "--profile", "dev", "--endpoint-url", &base]);
    assert_eq!(code(&out), Some(1), "{:?}", text(&out));
    assert!(text(&out).0.is_empty());

    let _approver = Approver::start(&emulator);
    let run = |extra: &[&str]| {
        let mut c = home.command(
            &[
                &[
                    "credentials",
                    "--profile",
                    "dev",
                    "--endpoint-url",
                    &base,
                    "--timeout",
                    "60",
                ][..],
                extra,
            ]
            .concat(),
        );
        // A remote machine: the device flow, approved by the approver.
        c.env("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22");
        c.output().unwrap()
    };
    let out = run(&["--auto-login"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("only JSON on stdout");
    assert_eq!(json["Version"], 1);
    assert!(stderr.contains("signing in (--auto-login)"), "{stderr}");
    assert!(stderr.contains("open this page in a browser"), "{stderr}");

    // The profile setting does the same after a logout.
    let config = std::fs::read_to_string(home.config()).unwrap();
    let config =
        oidc_host::aws_config::upsert_profile(&config, "dev", &[("oidc_cli_auto_login", "true")])
            .unwrap();
    std::fs::write(home.config(), config).unwrap();
    let out = home.run(&["logout", "--profile", "dev", "--endpoint-url", &base]);
    assert_eq!(code(&out), Some(0), "{:?}", text(&out));
    let out = run(&[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert!(
        serde_json::from_str::<serde_json::Value>(stdout.trim()).is_ok(),
        "{stdout}"
    );
}
