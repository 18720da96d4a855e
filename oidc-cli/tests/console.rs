//! `oidc-cli console` end to end against `oidc_emulator`: the emulator
//! serves the federation endpoint and checks the session's keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use oidc_emulator::{Emulator, EmulatorConfig};

const BIN: &str = env!("CARGO_BIN_EXE_oidc-cli");
const STATIC_KEY_ID: &str = "AKIACONSOLEEXAMPLE";
const STATIC_SECRET: &str = "console-static-secret";

/// A private HOME with a config file: `base` (static keys) and `admin`
/// (a role assumed with them: temporary credentials).
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
            "oidc-cli-console-{tag}-{}-{nanos}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(path.join(".aws")).unwrap();
        let config = format!(
            "[profile base]\naws_access_key_id = {STATIC_KEY_ID}\n\
             aws_secret_access_key = {STATIC_SECRET}\nregion = us-east-1\n\n\
             [profile admin]\nrole_arn = arn:aws:iam::111111111111:role/Admin\n\
             source_profile = base\nrole_session_name = ana\nregion = us-east-1\n\n\
             [profile deeper]\nrole_arn = arn:aws:iam::222222222222:role/Deeper\n\
             source_profile = admin\nrole_session_name = bo\nregion = cn-north-1\n"
        );
        std::fs::write(path.join(".aws").join("config"), config).unwrap();
        Home(path)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("HOME", &self.0)
            .env("AWS_CONFIG_FILE", self.0.join(".aws").join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.0.join(".aws").join("credentials"),
            )
            // Were a browser started, it would be `true`.
            .env("BROWSER", "true")
            .stdin(Stdio::null());
        for var in [
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SIGNIN",
            "AWS_ENDPOINT_URL_STS",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ] {
            c.env_remove(var);
        }
        c.envs(env.iter().copied());
        c.output().expect("run oidc-cli")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_static_credentials(STATIC_KEY_ID, STATIC_SECRET))
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The decoded query parameters of `url`.
fn params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), decode(v))
        })
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {params:?}"))
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Follows the login URL the way a browser would (the emulator's page).
fn open_login(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, target) = rest.split_at(rest.find('/').unwrap());
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    (status, answer)
}

#[test]
fn prints_a_login_url_the_emulator_accepts() {
    let emu = emulator();
    let home = Home::new("ok");
    let base = emu.base_url();
    let out = home.run(&[
        "console",
        "--profile",
        "admin",
        "--no-browser",
        "--endpoint-url",
        &base,
        "--timeout",
        "60",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_owned();
    assert!(
        url.starts_with(&format!("{}?Action=login&", emu.federation_url())),
        "{url}"
    );
    assert!(!stderr(&out).contains("SigninToken"), "{}", stderr(&out));
    let p = params(&url);
    assert_eq!(
        param(&p, "Destination"),
        "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"
    );
    assert_eq!(param(&p, "Issuer"), "oidc-cli");
    let (status, page) = open_login(&url);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("assumed-role/Admin/ana"), "{page}");
    // Static keys assuming a role is not role chaining: a 12-hour session.
    assert!(page.contains("43200 s"), "{page}");
    let stats = emu.stats();
    assert_eq!(stats.assume_role, 1);
    assert_eq!(stats.get_signin_token, 1);
    assert_eq!(stats.federation_login, 1);
}

#[test]
fn service_and_region_name_the_destination() {
    let emu = emulator();
    let home = Home::new("s3");
    let out = home.run(&[
        "console",
        "--profile",
        "admin",
        "--no-browser",
        "--service",
        "s3",
        "--region",
        "eu-west-1",
        "--endpoint-url",
        &emu.base_url(),
        "--output",
        "json",
        "--timeout",
        "60",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let url = json["url"].as_str().unwrap();
    let p = params(url);
    assert_eq!(
        param(&p, "Destination"),
        "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    );
    assert_eq!(open_login(url).0, 200);

    // A bad service name is refused before anything is fetched.
    let out = home.run(&[
        "console",
        "--profile",
        "admin",
        "--no-browser",
        "--service",
        "S3/../x",
        "--endpoint-url",
        &emu.base_url(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("console service name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn long_term_keys_are_refused() {
    let emu = emulator();
    let home = Home::new("static");
    let out = home.run(&[
        "console",
        "--profile",
        "base",
        "--no-browser",
        "--endpoint-url",
        &emu.base_url(),
        "--timeout",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("temporary credentials"), "{err}");
    assert!(!err.contains(STATIC_SECRET), "{err}");
    assert!(stdout(&out).is_empty());
    assert_eq!(emu.stats().get_signin_token, 0);
}

#[test]
fn role_chaining_asks_for_no_session_duration_and_the_signin_variable_wins() {
    let emu = emulator();
    let home = Home::new("chain");
    // No `--endpoint-url`: STS and the federation endpoint from the
    // variables (the sign-in one used as it is).
    let base = emu.base_url();
    let signin = emu.federation_url();
    let out = home.run_with(
        &[
            "console",
            "--profile",
            "deeper",
            "--no-browser",
            "--timeout",
            "60",
        ],
        &[
            ("AWS_ENDPOINT_URL_STS", base.as_str()),
            ("AWS_ENDPOINT_URL_SIGNIN", signin.as_str()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let url = stdout(&out).trim().to_owned();
    assert!(url.starts_with(&format!("{signin}?Action=login&")), "{url}");
    let p = params(&url);
    // The profile's region is in aws-cn: that partition's console.
    assert_eq!(
        param(&p, "Destination"),
        "https://cn-north-1.console.amazonaws.cn/console/home?region=cn-north-1"
    );
    let (status, page) = open_login(&url);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("assumed-role/Deeper/bo"), "{page}");
    assert!(
        page.contains("<code id=\"duration\">default</code>"),
        "{page}"
    );
    let logged = emu.requests();
    let sent = logged
        .iter()
        .find(|r| r.operation.as_deref() == Some("Federation GetSigninToken"))
        .unwrap();
    assert!(
        !sent.params.contains_key("SessionDuration"),
        "{:?}",
        sent.params
    );
    assert_eq!(emu.stats().assume_role, 2);

    // A federation endpoint that is plain http to another host is refused.
    let out = home.run_with(
        &[
            "console",
            "--profile",
            "deeper",
            "--no-browser",
            "--timeout",
            "60",
        ],
        &[
            ("AWS_ENDPOINT_URL_STS", base.as_str()),
            (
                "AWS_ENDPOINT_URL_SIGNIN",
                "http://signin.example.com/federation",
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("loopback"), "{}", stderr(&out));
}
