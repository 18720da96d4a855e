//! Cache interoperability with botocore (the AWS CLI's Python core), both
//! directions, against the emulator: the SSO token cache
//! (`~/.aws/sso/cache`) including refreshes by either side, and the AWS
//! CLI's role-credential cache (`~/.aws/cli/cache`).
//!
//! botocore runs in a Python venv (`tests/.venv`, made by `scripts/test`
//! from `tests/interop/requirements.txt`; `OIDC_INTEROP_PYTHON` names
//! another interpreter) through `tests/interop/botocore_side.py`, with a
//! private HOME, `AWS_CONFIG_FILE` (an `[sso-session]` and a profile) and
//! `AWS_ENDPOINT_URL` pointing at the emulator. Without Python/botocore the
//! tests are skipped with a message, unless `CI=true` (then they fail).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use oidc_core::cache::credentials::parse_expiration;
use oidc_core::cache::{CachedToken, RefreshPolicy};
use oidc_core::secret::AccessToken;
use oidc_emulator::{Emulator, EmulatorConfig, Stats};
use oidc_host::{CacheDir, CredentialsCacheDir, CredentialsProvider, CredentialsSource};
use oidc_ureq::{Client, Config, RunOptions, Session, SignInMode, SignInPrompt};
use serde_json::{json, Value};

const START_URL: &str = "https://my-sso-portal.awsapps.com/start";
const SESSION: &str = "emu-sso";
const PROFILE: &str = "dev";
const ACCOUNT: &str = "111111111111";
const ROLE: &str = "ReadOnly";
const REGION: &str = "us-east-1";
/// Access tokens this short are inside both refresh windows (botocore:
/// 15 min, this project: 5 min), so every read refreshes.
const SHORT_TOKEN_SECS: u32 = 240;
/// The key order of the AWS CLI's token entries (Python dict order).
const CLI_TOKEN_KEYS: [&str; 8] = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
];

/// The interpreter and script of botocore's side.
struct Botocore {
    python: PathBuf,
    script: PathBuf,
}

/// botocore's side, or `None` (skip) when Python or botocore is missing;
/// with `CI=true` a missing botocore fails the test instead.
fn botocore() -> Option<Botocore> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("OIDC_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join(".venv").join("bin").join("python"));
    let side = Botocore {
        python,
        script: manifest.join("interop").join("botocore_side.py"),
    };
    let problem = match Command::new(&side.python)
        .arg(&side.script)
        .arg("version")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {
            let version: Value = serde_json::from_slice(&out.stdout).expect("version JSON");
            eprintln!(
                "interop: botocore {} on Python {}",
                version["botocore"], version["python"]
            );
            return Some(side);
        }
        Ok(out) => format!(
            "{} cannot import botocore ({})",
            side.python.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
        ),
        Err(e) => format!("cannot run {}: {e}", side.python.display()),
    };
    let how = "scripts/test installs it: python3 -m venv tests/.venv && \
               tests/.venv/bin/pip install -r tests/interop/requirements.txt; \
               or set OIDC_INTEROP_PYTHON";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("botocore interop test cannot run (CI=true): {problem}\n  ({how})");
    }
    eprintln!("botocore interop test SKIPPED: {problem}\n  ({how})");
    None
}

/// A private HOME with an AWS config for the emulator, and an emulator.
struct World {
    emu: Emulator,
    home: tempfile::TempDir,
    py: Botocore,
}

impl World {
    fn new(py: Botocore, config: EmulatorConfig) -> World {
        let emu = Emulator::start(config).expect("emulator");
        let home = tempfile::tempdir().expect("home");
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws").join("config"),
            format!(
                "[sso-session {SESSION}]\nsso_start_url = {START_URL}\nsso_region = {REGION}\n\
                 sso_registration_scopes = sso:account:access\n\n\
                 [profile {PROFILE}]\nsso_session = {SESSION}\nsso_account_id = {ACCOUNT}\n\
                 sso_role_name = {ROLE}\nregion = {REGION}\n"
            ),
        )
        .unwrap();
        World { emu, home, py }
    }

    fn sso_dir(&self) -> CacheDir {
        CacheDir::new(self.home.path().join(".aws").join("sso").join("cache"))
    }

    fn cli_dir(&self) -> CredentialsCacheDir {
        CredentialsCacheDir::new(self.home.path().join(".aws").join("cli").join("cache"))
    }

    fn token_file(&self) -> PathBuf {
        self.sso_dir().token_path(SESSION)
    }

    fn session(&self) -> Session {
        Session::new(self.sso_dir(), SESSION, START_URL)
            .with_region(REGION)
            .with_scopes(["sso:account:access"])
    }

    fn client(&self) -> Client {
        Client::new(
            Config::for_region(REGION)
                .with_endpoint_url(self.emu.base_url())
                .with_call_timeout(Duration::from_secs(10)),
        )
        .expect("client")
    }

    /// Runs a botocore_side.py command in this HOME and parses its JSON.
    fn botocore(&self, args: &[&str], stdin: Option<&Value>) -> Value {
        let home = self.home.path();
        let mut cmd = Command::new(&self.py.python);
        cmd.arg(&self.py.script)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("LANG", "C.UTF-8")
            .env("AWS_CONFIG_FILE", home.join(".aws").join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.join(".aws").join("credentials"),
            )
            .env("AWS_ENDPOINT_URL", self.emu.base_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn python");
        if let Some(input) = stdin {
            use std::io::Write as _;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.to_string().as_bytes()).unwrap();
        }
        let out = child.wait_with_output().expect("python");
        assert!(
            out.status.success(),
            "botocore_side.py {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("botocore_side.py JSON")
    }

    /// botocore's view of a cache file: key order, whether botocore would
    /// write exactly its bytes, its mode and its value.
    fn describe(&self, file: &Path) -> Value {
        self.botocore(&["describe", file.to_str().unwrap()], None)
    }

    /// The token file must be what botocore itself writes for this value,
    /// byte for byte, in the AWS CLI's key order.
    fn assert_cli_token_format(&self, who: &str) -> Value {
        let d = self.describe(&self.token_file());
        assert_eq!(
            d["botocoreWouldWriteTheseBytes"], true,
            "{who}: botocore would serialise this entry differently: {d}"
        );
        let keys: Vec<&str> = d["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, CLI_TOKEN_KEYS, "{who}: key order");
        let expires_at = d["value"]["expiresAt"].as_str().unwrap();
        assert_whole_seconds_z(expires_at, who);
        assert_whole_seconds_z(d["value"]["registrationExpiresAt"].as_str().unwrap(), who);
        assert_eq!(d["mode"], "0o600", "{who}: file mode");
        d["value"].clone()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as the AWS CLI and botocore write it.
fn assert_whole_seconds_z(ts: &str, who: &str) {
    let b = ts.as_bytes();
    let shape_ok = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(
        shape_ok,
        "{who}: timestamp {ts:?} is not %Y-%m-%dT%H:%M:%SZ"
    );
}

fn sign_in_with_device_code(world: &World) -> CachedToken {
    let emu = &world.emu;
    world
        .client()
        .session_token(
            &world.session(),
            SignInMode::DeviceCode,
            |prompt| {
                if let SignInPrompt::DeviceCode(p) = prompt {
                    assert!(emu.approve(&p.user_code), "approve {}", p.user_code);
                }
            },
            &RunOptions::new(),
        )
        .expect("device-code sign-in")
}

fn requests(stats: &Stats) -> u64 {
    stats.total
}

/// Our sign-in → botocore's SSOTokenProvider refreshes it and rewrites the
/// entry → we read botocore's entry and refresh it (with the refresh token
/// botocore stored) → botocore refreshes ours again. Refresh tokens are
/// single-use in the emulator, so every refresh proves the previous writer's
/// `refreshToken`, `clientId` and `clientSecret` were read back.
#[test]
fn token_refreshed_alternately_by_us_and_botocore() {
    let Some(py) = botocore() else { return };
    let world = World::new(
        py,
        EmulatorConfig::default().with_access_token_expires_in(SHORT_TOKEN_SECS),
    );

    // 1. Our sign-in writes the entry, as the AWS CLI would.
    let ours = sign_in_with_device_code(&world);
    // The file name is SHA-1 of the sso-session name, as botocore keys it.
    assert_eq!(
        world.token_file().file_name().unwrap(),
        "fe79c1702fea6745cef7e63e8c6164fcf6768631.json"
    );
    let ours_value = world.assert_cli_token_format("our sign-in");
    assert_eq!(ours_value["accessToken"], ours.access_token.secret());
    let ours_refresh = ours_value["refreshToken"].as_str().unwrap().to_owned();

    // 2. botocore reads it; 240 s left is inside its 15-minute window, so
    //    it refreshes with our refresh token and writes the cache back.
    world.emu.reset_stats();
    let boto = world.botocore(&["token", "--profile", PROFILE], None);
    let stats = world.emu.stats();
    assert_eq!(
        stats.create_token_refresh, 1,
        "botocore refreshed: {stats:?}"
    );
    assert_eq!(requests(&stats), 1, "{stats:?}");
    let boto_token = boto["token"].as_str().unwrap().to_owned();
    assert_ne!(boto_token, ours.access_token.secret());
    let boto_value = world.assert_cli_token_format("botocore's refresh");
    assert_eq!(boto_value["accessToken"], boto_token.as_str());
    assert_ne!(boto_value["refreshToken"], ours_refresh.as_str(), "rotated");
    // The registration carried over unchanged, as written by us.
    for key in [
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "startUrl",
        "region",
    ] {
        assert_eq!(boto_value[key], ours_value[key], "{key}");
    }

    // 3. We read botocore's entry and refresh it again. (Our provider counts
    //    a file written under 30 s ago as a refresh attempt and would hand
    //    out botocore's still-valid token; lift that throttle here.)
    world.emu.reset_stats();
    let session = world.session().with_refresh_policy(RefreshPolicy {
        refresh_window: RefreshPolicy::default().refresh_window,
        min_time_between_attempts: Duration::ZERO,
    });
    let again = world
        .client()
        .session_token(&session, SignInMode::CachedOnly, |_| {}, &RunOptions::new())
        .expect("our refresh");
    let stats = world.emu.stats();
    assert_eq!(stats.create_token_refresh, 1, "we refreshed: {stats:?}");
    assert_eq!(requests(&stats), 1, "{stats:?}");
    assert_ne!(again.access_token.secret(), boto_token);
    let again_value = world.assert_cli_token_format("our refresh");
    assert_eq!(again_value["accessToken"], again.access_token.secret());
    assert_ne!(again_value["refreshToken"], boto_value["refreshToken"]);
    for key in [
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "startUrl",
        "region",
    ] {
        assert_eq!(again_value[key], boto_value[key], "{key}");
    }

    // 4. And botocore takes ours once more.
    world.emu.reset_stats();
    let boto2 = world.botocore(&["token", "--profile", PROFILE], None);
    assert_eq!(world.emu.stats().create_token_refresh, 1);
    assert_ne!(boto2["token"], again.access_token.secret());
    world.assert_cli_token_format("botocore's second refresh");
}

/// An entry written the way `aws sso login` writes it (botocore's dumps,
/// `SSOTokenLoader` + `JSONFileCache`) is used by us as is while fresh,
/// and refreshed by us when due; botocore then reads what we wrote.
#[test]
fn botocore_written_entry_is_read_and_refreshed_by_us() {
    let Some(py) = botocore() else { return };
    let world = World::new(
        py,
        EmulatorConfig::default().with_access_token_expires_in(SHORT_TOKEN_SECS),
    );
    let issued = world.emu.issue_token(&["sso:account:access"]);
    let entry = |expires_in: u32| {
        json!({
            "startUrl": START_URL,
            "region": REGION,
            "sessionName": SESSION,
            "accessToken": issued.access_token,
            "expiresIn": expires_in,
            "clientId": issued.client_id,
            "clientSecret": issued.client_secret,
            "clientSecretExpiresAt": issued.client_secret_expires_at,
            "refreshToken": issued.refresh_token,
        })
    };

    // Fresh (an hour left, by the entry): used without any request.
    world.botocore(&["write-login-entry"], Some(&entry(3600)));
    let written = world.assert_cli_token_format("botocore's login entry");
    world.emu.reset_stats();
    let token = world
        .client()
        .session_token(
            &world.session(),
            SignInMode::CachedOnly,
            |_| {},
            &RunOptions::new(),
        )
        .expect("read");
    assert_eq!(token.access_token.secret(), issued.access_token);
    assert_eq!(requests(&world.emu.stats()), 0);
    let written_at = parse_expiration(written["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(token.expires_at, written_at, "expiresAt read exactly");
    assert_eq!(
        token.client_id.as_deref(),
        Some(issued.client_id.as_str()),
        "clientId read"
    );

    // Due (240 s left): we refresh with botocore's fields and write back.
    // (The entry is rewritten by a new "login", so lift our 30 s
    // written-moments-ago throttle.)
    world.botocore(&["write-login-entry"], Some(&entry(SHORT_TOKEN_SECS)));
    world.emu.reset_stats();
    let session = world.session().with_refresh_policy(RefreshPolicy {
        refresh_window: RefreshPolicy::default().refresh_window,
        min_time_between_attempts: Duration::ZERO,
    });
    let refreshed = world
        .client()
        .session_token(&session, SignInMode::CachedOnly, |_| {}, &RunOptions::new())
        .expect("refresh");
    assert_eq!(world.emu.stats().create_token_refresh, 1);
    assert_ne!(refreshed.access_token.secret(), issued.access_token);
    let ours = world.assert_cli_token_format("our refresh of botocore's entry");
    assert_eq!(ours["accessToken"], refreshed.access_token.secret());
    assert_ne!(ours["refreshToken"], issued.refresh_token.as_str());
    assert_eq!(ours["clientSecret"], issued.client_secret.as_str());
    assert_eq!(
        ours["registrationExpiresAt"], written["registrationExpiresAt"],
        "registrationExpiresAt round-trips"
    );

    // botocore reads our refreshed entry (and, 240 s being inside its
    // window, refreshes it with the refresh token we stored).
    world.emu.reset_stats();
    let boto = world.botocore(&["token", "--profile", PROFILE], None);
    assert_eq!(world.emu.stats().create_token_refresh, 1);
    assert_ne!(boto["token"], refreshed.access_token.secret());
}

fn seed_token(world: &World) {
    let issued = world.emu.issue_token(&["sso:account:access"]);
    let token = CachedToken::new(
        AccessToken::new(issued.access_token),
        SystemTime::now() + Duration::from_secs(u64::from(issued.expires_in)),
    )
    .with_start_url(START_URL)
    .with_region(REGION);
    world
        .sso_dir()
        .write_token(SESSION, &token)
        .expect("seed token");
}

fn our_role_provider(world: &World) -> CredentialsProvider {
    CredentialsProvider::new(CredentialsSource::sso_role(
        world.session(),
        ACCOUNT,
        ROLE,
        world.cli_dir(),
    ))
}

/// The role-credential cache file's name: ours must be botocore's key.
fn role_file(world: &World) -> PathBuf {
    let ours = CredentialsCacheDir::sso_role_file_name(&world.session(), ACCOUNT, ROLE);
    let boto = world.botocore(&["sso-cache-key", ACCOUNT, ROLE, SESSION], None);
    assert_eq!(
        ours,
        format!("{}.json", boto["key"].as_str().unwrap()),
        "cache key"
    );
    world.cli_dir().entry_path(&ours)
}

/// Our credentials write `~/.aws/cli/cache/<key>.json`; a botocore session
/// with the AWS CLI's cache plugged in reuses it without any request.
#[test]
fn role_credentials_cached_by_us_are_reused_by_botocore() {
    let Some(py) = botocore() else { return };
    let world = World::new(py, EmulatorConfig::default());
    seed_token(&world);
    let file = role_file(&world);

    let ours = world
        .client()
        .credentials(&our_role_provider(&world), |_| {}, &RunOptions::new())
        .expect("our role credentials");
    assert_eq!(world.emu.stats().get_role_credentials, 1);
    let d = world.describe(&file);
    assert_eq!(d["botocoreWouldWriteTheseBytes"], true, "{d}");
    assert_eq!(d["keys"], json!(["ProviderType", "Credentials"]));
    assert_eq!(
        d["innerKeys"],
        json!([
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
            "AccountId"
        ])
    );
    assert_whole_seconds_z(
        d["value"]["Credentials"]["Expiration"].as_str().unwrap(),
        "our role credentials",
    );

    world.emu.reset_stats();
    let boto = world.botocore(&["credentials", "--profile", PROFILE], None);
    assert_eq!(boto["method"], "sso");
    assert_eq!(boto["accessKeyId"], ours.access_key_id.as_str());
    assert_eq!(boto["secretAccessKey"], ours.secret_access_key.secret());
    assert_eq!(
        requests(&world.emu.stats()),
        0,
        "botocore called the service: {:?}",
        world.emu.stats()
    );
}

/// botocore fetches role credentials and caches them as the AWS CLI does;
/// our provider reuses that entry without any request.
#[test]
fn role_credentials_cached_by_botocore_are_reused_by_us() {
    let Some(py) = botocore() else { return };
    let world = World::new(py, EmulatorConfig::default());
    seed_token(&world);
    let file = role_file(&world);

    let boto = world.botocore(&["credentials", "--profile", PROFILE], None);
    let stats = world.emu.stats();
    assert_eq!(stats.get_role_credentials, 1, "{stats:?}");
    assert_eq!(requests(&stats), 1, "{stats:?}");
    let d = world.describe(&file);
    assert_eq!(d["keys"], json!(["ProviderType", "Credentials"]));

    world.emu.reset_stats();
    let ours = world
        .client()
        .credentials(&our_role_provider(&world), |_| {}, &RunOptions::new())
        .expect("from botocore's cache entry");
    assert_eq!(boto["accessKeyId"], ours.access_key_id.as_str());
    assert_eq!(boto["secretAccessKey"], ours.secret_access_key.secret());
    assert_eq!(
        boto["sessionToken"],
        ours.session_token.as_ref().unwrap().secret()
    );
    assert_eq!(ours.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        requests(&world.emu.stats()),
        0,
        "we called the service: {:?}",
        world.emu.stats()
    );
    // Reading does not rewrite botocore's entry.
    assert_eq!(world.describe(&file)["value"], d["value"]);
}

/// The `oidc-cli` binary next to this test's (`cargo test --workspace`
/// builds it for oidc-cli's own tests), or `OIDC_CLI`.
fn oidc_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OIDC_CLI") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("oidc-cli");
    path.is_file().then_some(path)
}

/// botocore's `credential_process` provider runs `oidc-cli credentials
/// --format process` and accepts its output (including `Expiration`); the
/// CLI caches the role credentials in botocore's layout on the way.
#[test]
fn botocore_credential_process_runs_oidc_cli() {
    let Some(py) = botocore() else { return };
    let Some(cli) = oidc_cli() else {
        eprintln!(
            "credential_process part SKIPPED: no oidc-cli binary next to the test (build it with \
             `cargo build -p oidc-cli` or set OIDC_CLI)"
        );
        return;
    };
    let world = World::new(py, EmulatorConfig::default());
    seed_token(&world);
    let config = world.home.path().join(".aws").join("config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profile proc]\ncredential_process = {} credentials --profile {PROFILE} --format process\n",
        cli.display()
    ));
    std::fs::write(&config, text).unwrap();
    let file = role_file(&world);

    let boto = world.botocore(
        &["credentials", "--profile", "proc", "--no-cli-cache"],
        None,
    );
    assert_eq!(boto["method"], "custom-process");
    assert_eq!(world.emu.stats().get_role_credentials, 1);
    let cached = world.describe(&file);
    assert_eq!(cached["botocoreWouldWriteTheseBytes"], true, "{cached}");
    let c = &cached["value"]["Credentials"];
    assert_eq!(boto["accessKeyId"], c["AccessKeyId"]);
    assert_eq!(boto["secretAccessKey"], c["SecretAccessKey"]);
    assert_eq!(boto["sessionToken"], c["SessionToken"]);
    assert_eq!(boto["expiration"], c["Expiration"], "Expiration parsed");

    // Again: the CLI answers from its cache, no request.
    world.emu.reset_stats();
    let again = world.botocore(
        &["credentials", "--profile", "proc", "--no-cli-cache"],
        None,
    );
    assert_eq!(again["accessKeyId"], boto["accessKeyId"]);
    assert_eq!(requests(&world.emu.stats()), 0);
}
