//! The token cache on disk: location, file names, bytes, atomic writes,
//! permissions, and corrupt files.
// Tests may unwrap (the workspace denies it in library code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use oidc_host::oidc_core::cache::{CacheFormatError, CachedRegistration, CachedToken};
use oidc_host::oidc_core::secret::{AccessToken, ClientSecret};
use oidc_host::{CacheDir, CacheProblem, HostError, Platform, RegistrationKey};
use support::{at, capture_logs, refreshable, warnings_mentioning, Scratch, T0};

/// The AWS CLI's example entry, exactly as it writes it (spec
/// token-cache.md §2).
const CLI_EXAMPLE: &str = r#"{"startUrl": "https://my-sso-portal.awsapps.com/start", "region": "us-east-1", "accessToken": "aoal-EXAMPLEACCESSTOKEN", "expiresAt": "2024-01-01T08:00:00Z", "clientId": "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID", "clientSecret": "VERYLONGSECRETSTRINGEXAMPLE", "registrationExpiresAt": "2024-03-31T00:00:00Z", "refreshToken": "Atrt|EXAMPLEREFRESHTOKEN"}"#;

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

fn sso_cache(home: &str) -> PathBuf {
    PathBuf::from(home).join(".aws").join("sso").join("cache")
}

// ---------------------------------------------------------------- location

#[test]
fn unix_home_decides_the_location() {
    let dir = CacheDir::resolve(env(&[("HOME", "/home/ana")]), Platform::Unix, None).unwrap();
    assert_eq!(dir.path(), sso_cache("/home/ana"));
    // The OS account directory is only a fallback.
    let dir = CacheDir::resolve(
        env(&[("HOME", "/home/ana"), ("USERPROFILE", "/ignored")]),
        Platform::Unix,
        Some(PathBuf::from("/home/passwd")),
    )
    .unwrap();
    assert_eq!(dir.path(), sso_cache("/home/ana"));
}

#[test]
fn unix_unset_or_empty_home_falls_back_to_the_account_home() {
    for vars in [&[][..], &[("HOME", "")][..]] {
        let dir =
            CacheDir::resolve(env(vars), Platform::Unix, Some(PathBuf::from("/home/pw"))).unwrap();
        assert_eq!(dir.path(), sso_cache("/home/pw"));
    }
}

#[test]
fn no_home_at_all_is_a_clear_error() {
    let err = CacheDir::resolve(env(&[]), Platform::Unix, None).unwrap_err();
    assert!(matches!(err, HostError::NoHomeDirectory { hint: "HOME" }));
    assert!(err.to_string().contains("set HOME"), "{err}");
    let err = CacheDir::resolve(env(&[("HOME", "/h")]), Platform::Windows, None).unwrap_err();
    assert!(err.to_string().contains("USERPROFILE"), "{err}");
    let err = CacheDir::resolve(env(&[]), Platform::Unix, Some(PathBuf::new())).unwrap_err();
    assert!(matches!(err, HostError::NoHomeDirectory { .. }));
}

#[test]
fn windows_userprofile_then_homedrive_homepath() {
    let all = [
        ("HOME", r"C:\msys\home"),
        ("USERPROFILE", r"C:\Users\ana"),
        ("HOMEDRIVE", "D:"),
        ("HOMEPATH", r"\Users\bob"),
    ];
    let dir = CacheDir::resolve(env(&all), Platform::Windows, None).unwrap();
    assert_eq!(dir.path(), sso_cache(r"C:\Users\ana"));

    // Python >= 3.8 (the AWS CLI) ignores HOME on Windows.
    let dir = CacheDir::resolve(env(&all[..1]), Platform::Windows, Some("E:\\pw".into())).unwrap();
    assert_eq!(dir.path(), sso_cache("E:\\pw"));

    let dir = CacheDir::resolve(env(&all[2..]), Platform::Windows, None).unwrap();
    assert_eq!(dir.path(), sso_cache(r"D:\Users\bob"));
    let dir = CacheDir::resolve(env(&all[3..]), Platform::Windows, None).unwrap();
    assert_eq!(dir.path(), sso_cache(r"\Users\bob"));
    let dir = CacheDir::resolve(
        env(&[
            ("USERPROFILE", ""),
            ("HOMEDRIVE", "D:"),
            ("HOMEPATH", r"\x"),
        ]),
        Platform::Windows,
        None,
    )
    .unwrap();
    assert_eq!(dir.path(), sso_cache(r"D:\x"));
}

#[test]
fn from_env_matches_resolve_on_the_process_environment() {
    let expected = CacheDir::resolve(
        |name| std::env::var_os(name),
        Platform::current(),
        std::env::home_dir(),
    );
    match (CacheDir::from_env(), expected) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            assert!(a.path().ends_with(".aws/sso/cache"));
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("from_env {a:?} differs from resolve {b:?}"),
    }
}

// ------------------------------------------------------------- file names

#[test]
fn token_file_names_are_the_aws_cli_sha1_names() {
    let dir = CacheDir::new("/cache");
    for (key, name) in [
        ("my-sso", "0ad374308c5a4e22f723adf10145eafad7c4031c.json"),
        ("dev", "34c6fceca75e456f25e7e99531e2425c6c1de443.json"),
        ("admin", "d033e22ae348aeb5660fc2140aec35850c4da997.json"),
        (
            "https://my-sso-portal.awsapps.com/start",
            "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json",
        ),
        (
            "https://d-abc123.awsapps.com/start",
            "40a89917e3175433e361b710a9d43528d7f1890a.json",
        ),
        (
            "https://d-92671207e4.awsapps.com/start",
            "13f9d35043871d073ab260e020f0ffde092cb14b.json",
        ),
    ] {
        assert_eq!(
            dir.token_path(key),
            PathBuf::from("/cache").join(name),
            "{key}"
        );
        assert_eq!(
            dir.lock_path(key),
            PathBuf::from("/cache").join(format!("{name}.lock")),
            "{key}"
        );
    }
}

#[test]
fn registration_file_names_are_the_aws_cli_sha1_names() {
    let dir = CacheDir::new("/cache");
    let url = "https://my-sso-portal.awsapps.com/start";
    let cases = [
        (
            RegistrationKey::new(url, "us-east-1")
                .with_scopes(["sso:account:access"])
                .with_session_name("my-sso"),
            "c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json",
        ),
        (
            RegistrationKey::new(url, "us-east-1").with_session_name("my-sso"),
            "5d2ad48f7ce068c072924f44a42fb81ca0fd6b99.json",
        ),
        (
            RegistrationKey::new(url, "us-east-1"),
            "0e093f10f65cee6c5c1898a8e240f5726875bf08.json",
        ),
    ];
    for (key, name) in cases {
        assert_eq!(key.file_name(), name);
        assert_eq!(
            dir.registration_path(&key),
            PathBuf::from("/cache").join(name)
        );
    }
}

// ------------------------------------------------------------------ bytes

#[test]
fn writes_byte_for_byte_what_the_aws_cli_writes() {
    let scratch = Scratch::new("bytes");
    let dir = CacheDir::new(scratch.path());
    let token = CachedToken::from_json(CLI_EXAMPLE.as_bytes()).unwrap();
    dir.write_token("my-sso", &token).unwrap();
    let written = std::fs::read(dir.token_path("my-sso")).unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), CLI_EXAMPLE);
}

#[test]
fn reads_what_the_aws_cli_and_aws_sdk_rust_write() {
    let scratch = Scratch::new("read-foreign");
    let dir = CacheDir::new(scratch.path());
    std::fs::create_dir_all(scratch.path()).unwrap();

    std::fs::write(dir.token_path("my-sso"), CLI_EXAMPLE).unwrap();
    let outcome = dir.read_token("my-sso").unwrap();
    assert!(outcome.warning.is_none());
    let token = outcome.token.unwrap();
    assert_eq!(token.access_token.secret(), "aoal-EXAMPLEACCESSTOKEN");
    assert_eq!(token.expires_at, at(T0));
    assert_eq!(
        token.refresh_token.unwrap().secret(),
        "Atrt|EXAMPLEREFRESHTOKEN"
    );

    // aws-sdk-rust: other key order, compact, fractional seconds.
    let sdk = r#"{"accessToken":"a","expiresAt":"2024-01-01T08:00:00.5Z","refreshToken":"r","clientId":"c","clientSecret":"s","registrationExpiresAt":"2024-03-31T00:00:00Z","region":"us-east-1","startUrl":"https://x"}"#;
    std::fs::write(dir.token_path("dev"), sdk).unwrap();
    let token = dir.read_token("dev").unwrap().token.unwrap();
    assert_eq!(token.expires_at, at(T0) + Duration::from_millis(500));
    assert_eq!(token.start_url.as_deref(), Some("https://x"));

    // Minimal valid file.
    std::fs::write(
        dir.token_path("min"),
        r#"{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z"}"#,
    )
    .unwrap();
    assert!(dir.read_token("min").unwrap().token.is_some());

    // Absent: no token, no warning.
    let outcome = dir.read_token("nobody").unwrap();
    assert!(outcome.token.is_none() && outcome.warning.is_none());
}

#[test]
fn registration_round_trip() {
    let scratch = Scratch::new("registration");
    let dir = CacheDir::new(scratch.path().join("nested"));
    let key = RegistrationKey::new("https://my-sso-portal.awsapps.com/start", "us-east-1")
        .with_scopes(["sso:account:access"])
        .with_session_name("my-sso");
    assert!(dir.read_registration(&key).unwrap().registration.is_none());

    let cli = r#"{"clientId": "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID", "clientSecret": "VERYLONGSECRETSTRINGEXAMPLE", "expiresAt": "2024-03-31T00:00:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#;
    let registration = CachedRegistration::from_json(cli.as_bytes()).unwrap();
    dir.write_registration(&key, &registration).unwrap();
    let path = scratch
        .path()
        .join("nested")
        .join("c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), cli);
    let back = dir.read_registration(&key).unwrap();
    assert!(back.warning.is_none());
    let back = back.registration.unwrap();
    assert_eq!(back.client_id, "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID");
    assert!(back.supports_authorization_code());
    #[cfg(unix)]
    assert_eq!(support::mode(&path), 0o600);

    // A corrupt registration reads as absent with a warning.
    std::fs::write(&path, &cli[..40]).unwrap();
    let back = dir.read_registration(&key).unwrap();
    assert!(back.registration.is_none());
    assert_eq!(back.warning.unwrap().path, path);
}

// ------------------------------------------------------------ permissions

#[cfg(unix)]
#[test]
fn files_are_0600_and_created_directories_0700() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("modes");
    let base = scratch.path().join("home");
    let dir = CacheDir::new(base.join(".aws").join("sso").join("cache"));
    dir.write_token("my-sso", &refreshable(at(T0))).unwrap();
    assert_eq!(support::mode(dir.path()), 0o700);
    assert_eq!(support::mode(&base.join(".aws").join("sso")), 0o700);
    assert_eq!(support::mode(&base.join(".aws")), 0o700);
    assert_eq!(support::mode(&dir.token_path("my-sso")), 0o600);

    let lock = dir.lock("other", Duration::from_secs(1)).unwrap();
    assert_eq!(support::mode(lock.path()), 0o600);
    drop(lock);

    // Replacing a file another tool left world-readable yields 0600.
    let path = dir.token_path("my-sso");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    dir.write_token("my-sso", &refreshable(at(T0 + 1))).unwrap();
    assert_eq!(support::mode(&path), 0o600);

    // An existing directory's mode is left as its owner set it.
    let shared = scratch.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    CacheDir::new(&shared)
        .write_token("x", &refreshable(at(T0)))
        .unwrap();
    assert_eq!(support::mode(&shared), 0o755);
    assert_eq!(
        support::mode(&CacheDir::new(&shared).token_path("x")),
        0o600
    );
}

// ----------------------------------------------------------- atomic writes

fn temp_files(dir: &CacheDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp."))
        .collect();
    names.sort();
    names
}

#[test]
fn partial_temp_files_never_replace_the_good_token() {
    let scratch = Scratch::new("junk-temp");
    let dir = CacheDir::new(scratch.path());
    let good = refreshable(at(T0));
    dir.write_token("my-sso", &good).unwrap();
    assert!(
        temp_files(&dir).is_empty(),
        "a successful write leaves no temp file"
    );
    let good_bytes = std::fs::read(dir.token_path("my-sso")).unwrap();

    // What a crash halfway through a write leaves behind: partially written
    // temporary files, with the names this process would use next.
    let name = "0ad374308c5a4e22f723adf10145eafad7c4031c.json";
    let pid = std::process::id();
    let junk: Vec<String> = (0..40).map(|n| format!("{name}.tmp.{pid}.{n}")).collect();
    for j in &junk {
        std::fs::write(scratch.path().join(j), &good_bytes[..good_bytes.len() / 2]).unwrap();
    }
    let outcome = dir.read_token("my-sso").unwrap();
    assert!(outcome.warning.is_none());
    assert_eq!(outcome.token.unwrap().to_json(), good_bytes);

    // A new write goes to a fresh file, never into one of the junk files.
    let newer = refreshable(at(T0 + 3600));
    dir.write_token("my-sso", &newer).unwrap();
    assert_eq!(
        std::fs::read(dir.token_path("my-sso")).unwrap(),
        newer.to_json()
    );
    for j in &junk {
        assert_eq!(
            std::fs::read(scratch.path().join(j)).unwrap(),
            &good_bytes[..good_bytes.len() / 2],
            "{j} was reused"
        );
    }
}

#[test]
fn a_failed_write_keeps_the_old_file_and_leaves_no_temp_file() {
    let scratch = Scratch::new("failed-write");
    let dir = CacheDir::new(scratch.path());
    let good = refreshable(at(T0));
    dir.write_token("my-sso", &good).unwrap();
    let good_bytes = std::fs::read(dir.token_path("my-sso")).unwrap();

    // Make every temporary file name this process can use next taken, so
    // the write fails before anything is renamed. (This binary writes far
    // fewer than 300 - 64 files before, so the 64 names tried are taken.)
    let name = "0ad374308c5a4e22f723adf10145eafad7c4031c.json";
    let pid = std::process::id();
    for n in 0..300 {
        std::fs::write(scratch.path().join(format!("{name}.tmp.{pid}.{n}")), b"{").unwrap();
    }
    let err = dir
        .write_token("my-sso", &refreshable(at(T0 + 60)))
        .unwrap_err();
    assert!(
        matches!(&err, HostError::Io { path, .. } if *path == dir.token_path("my-sso")),
        "{err:?}"
    );
    assert_eq!(std::fs::read(dir.token_path("my-sso")).unwrap(), good_bytes);
    assert_eq!(temp_files(&dir).len(), 300);
}

#[test]
fn a_failed_rename_removes_the_temp_file() {
    let scratch = Scratch::new("failed-rename");
    let dir = CacheDir::new(scratch.path());
    // A non-empty directory where the token file should be: the rename
    // fails after the temporary file was written.
    let target = dir.token_path("my-sso");
    std::fs::create_dir_all(target.join("occupied")).unwrap();
    let err = dir.write_token("my-sso", &refreshable(at(T0))).unwrap_err();
    match &err {
        HostError::Io { action, path, .. } => {
            assert_eq!(*action, "replace");
            assert_eq!(*path, target);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(&target.display().to_string()));
    assert!(temp_files(&dir).is_empty(), "the temp file must be removed");
    assert!(target.join("occupied").is_dir());

    // Reading a path that is a directory is an error naming the path (the
    // cache reads regular files only), not "absent".
    match dir.read_token("my-sso") {
        Err(e @ (HostError::Io { .. } | HostError::Unsafe { .. })) => {
            assert!(e.to_string().contains(&target.display().to_string()), "{e}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

// ---------------------------------------------------------- corrupt files

#[test]
fn corrupt_files_read_as_absent_with_a_warning_and_are_kept() {
    capture_logs();
    let scratch = Scratch::new("corrupt");
    let dir = CacheDir::new(scratch.path());
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.token_path("my-sso");

    let big = format!(
        r#"{{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z", "pad": "{}"}}"#,
        "a".repeat(2 << 20)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b" \n\t".to_vec()),
        (
            "truncated",
            CLI_EXAMPLE.as_bytes()[..CLI_EXAMPLE.len() / 2].to_vec(),
        ),
        (
            "truncated at the end",
            CLI_EXAMPLE.as_bytes()[..CLI_EXAMPLE.len() - 1].to_vec(),
        ),
        (
            "html",
            b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
        ),
        ("binary", vec![0, 159, 146, 150, 255, 0]),
        ("array", b"[1, 2]".to_vec()),
        ("string", b"\"token\"".to_vec()),
        ("missing expiresAt", br#"{"accessToken": "x"}"#.to_vec()),
        (
            "bad timestamp",
            br#"{"accessToken": "x", "expiresAt": "tomorrow"}"#.to_vec(),
        ),
        (
            "number token",
            br#"{"accessToken": 5, "expiresAt": "2024-01-01T08:00:00Z"}"#.to_vec(),
        ),
        ("trailing data", format!("{CLI_EXAMPLE} {{}}").into_bytes()),
        ("too large", big.into_bytes()),
    ];
    for (what, bytes) in &cases {
        std::fs::write(&path, bytes).unwrap();
        let before = warnings_mentioning(&path.display().to_string()).len();
        let outcome = dir.read_token("my-sso").unwrap();
        assert!(outcome.token.is_none(), "{what}");
        let warning = outcome
            .warning
            .unwrap_or_else(|| panic!("{what}: no warning"));
        assert_eq!(warning.path, path, "{what}");
        let expected_problem = match *what {
            "empty" | "whitespace" => matches!(warning.problem, CacheProblem::Empty),
            "too large" => matches!(warning.problem, CacheProblem::TooLarge { .. }),
            "missing expiresAt" => {
                warning.problem
                    == CacheProblem::Format(CacheFormatError::MissingKey { key: "expiresAt" })
            }
            "array" | "string" => {
                warning.problem == CacheProblem::Format(CacheFormatError::NotAnObject)
            }
            _ => matches!(warning.problem, CacheProblem::Format(_)),
        };
        assert!(expected_problem, "{what}: {:?}", warning.problem);
        let message = warning.to_string();
        assert!(message.contains("treated as absent"), "{message}");
        // Logged as a warning too; never with the file's contents.
        let logged = warnings_mentioning(&path.display().to_string());
        assert_eq!(logged.len(), before + 1, "{what}: {logged:?}");
        assert!(!logged.last().unwrap().contains("EXAMPLE"), "{logged:?}");
        // The file is left as it was.
        assert_eq!(&std::fs::read(&path).unwrap(), bytes, "{what}");
    }

    // A good write replaces the corrupt file.
    let good = refreshable(at(T0));
    dir.write_token("my-sso", &good).unwrap();
    let outcome = dir.read_token("my-sso").unwrap();
    assert!(outcome.warning.is_none());
    assert_eq!(outcome.token.unwrap().to_json(), good.to_json());
}

#[test]
fn remove_token_deletes_and_tolerates_absence() {
    let scratch = Scratch::new("remove");
    let dir = CacheDir::new(scratch.path());
    dir.remove_token("my-sso").unwrap();
    dir.write_token(
        "my-sso",
        &CachedToken::new(AccessToken::new("x"), at(T0)).with_client_secret(ClientSecret::new("s")),
    )
    .unwrap();
    assert!(dir.token_path("my-sso").exists());
    dir.remove_token("my-sso").unwrap();
    assert!(!dir.token_path("my-sso").exists());
    assert!(dir.read_token("my-sso").unwrap().token.is_none());
}

// ------------------------------------------------------- in-process locks

#[test]
fn lock_is_exclusive_between_handles_and_released_on_drop() {
    let scratch = Scratch::new("lock");
    let dir = CacheDir::new(scratch.path().join("cache"));
    let lock = dir.try_lock("my-sso").unwrap().expect("free");
    assert_eq!(lock.path(), dir.lock_path("my-sso"));
    // Another handle (as another process would have) cannot take it.
    assert!(dir.try_lock("my-sso").unwrap().is_none());
    let err = dir.lock("my-sso", Duration::from_millis(50)).unwrap_err();
    assert!(matches!(err, HostError::LockTimeout { ref path, waited }
        if *path == dir.lock_path("my-sso") && waited >= Duration::from_millis(50)));
    // Other sessions are independent.
    let other = dir.try_lock("dev").unwrap().expect("other session free");
    lock.release();
    let again = dir.lock("my-sso", Duration::from_secs(1)).unwrap();
    drop(again);
    drop(other);
    // The lock file stays (deleting it would race with other lockers).
    assert!(dir.lock_path("my-sso").exists());
}

#[test]
fn waiting_lock_gets_it_when_released() {
    let scratch = Scratch::new("lock-wait");
    let dir = CacheDir::new(scratch.path());
    let lock = dir.lock("my-sso", Duration::ZERO).unwrap();
    let waiter = {
        let dir = dir.clone();
        std::thread::spawn(move || dir.lock("my-sso", Duration::from_secs(10)).map(|_| ()))
    };
    std::thread::sleep(Duration::from_millis(30));
    drop(lock);
    waiter.join().unwrap().unwrap();
}

#[test]
fn every_truncation_of_a_good_file_reads_as_absent() {
    let scratch = Scratch::new("prefixes");
    let dir = CacheDir::new(scratch.path());
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.token_path("my-sso");
    let bytes = CLI_EXAMPLE.as_bytes();
    for len in 0..bytes.len() {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let outcome = dir.read_token("my-sso").unwrap();
        assert!(outcome.token.is_none(), "prefix of {len} bytes");
        assert!(outcome.warning.is_some(), "prefix of {len} bytes");
    }
    std::fs::write(&path, bytes).unwrap();
    assert!(dir.read_token("my-sso").unwrap().token.is_some());
}

/// What other users could have planted is refused for reading as for
/// writing: an entry in a directory others can write is not handed out.
#[cfg(unix)]
#[test]
fn entries_in_a_directory_others_can_write_are_refused() {
    use oidc_host::oidc_core::cache::credentials::CachedCredentials;
    use oidc_host::oidc_core::Credentials;
    use std::os::unix::fs::PermissionsExt as _;

    let scratch = Scratch::new("world-writable");
    let dir = CacheDir::new(scratch.path().join("sso"));
    dir.write_token("s", &refreshable(at(T0))).unwrap();
    let creds = oidc_host::CredentialsCacheDir::new(scratch.path().join("cli"));
    creds
        .write(
            "planted.json",
            &CachedCredentials::new(Credentials::new("AKID", "secret")),
        )
        .unwrap();
    for path in [dir.path(), creds.path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    assert!(matches!(dir.read_token("s"), Err(HostError::Unsafe { .. })));
    assert!(matches!(
        creds.read("planted.json"),
        Err(HostError::Unsafe { .. })
    ));
    assert!(dir.tokens().is_empty(), "listings skip them too");
    for path in [dir.path(), creds.path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    assert!(dir.read_token("s").unwrap().token.is_some());
    assert!(creds.read("planted.json").unwrap().0.is_some());
}
