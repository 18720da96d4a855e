//! The AWS config file as the AWS CLI v2 (botocore's configparser-based
//! loader) reads it; the environment; conversions; the writers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use oidc_host::aws_config::{
    read_config_text, resolved_endpoint_url, resolved_region, service_id, upsert_profile,
    upsert_profiles, upsert_sso_session, AwsConfig, ConfigFileError, Environment, FileKind,
    ParseProblem, Profile, Value, MAX_CONFIG_BYTES,
};
use oidc_host::oidc_core::endpoint::Service;
use oidc_host::{CacheDir, CredentialsCacheDir, CredentialsSource, Platform};

const SPEC_EXAMPLE: &str = "\
[sso-session my-sso]
sso_start_url = https://my-sso-portal.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = my-sso
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = us-west-2
output = json

# legacy form (no sso-session): token cache keyed by start URL,
# no refresh support in the CLI, device flow only
[profile legacy]
sso_start_url = https://my-sso-portal.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = us-west-2

[profile via-process]
credential_process = /usr/local/bin/my-tool credentials --profile dev
";

const START_URL: &str = "https://my-sso-portal.awsapps.com/start";

fn parse(text: &str) -> AwsConfig {
    AwsConfig::parse(text).unwrap()
}

fn parse_err(text: &str) -> (usize, ParseProblem) {
    match AwsConfig::parse(text) {
        Err(ConfigFileError::Parse { line, problem }) => (line, problem),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn get<'a>(config: &'a AwsConfig, profile: &str, key: &str) -> Option<&'a str> {
    config.profile(profile).unwrap().get(key)
}

fn env(vars: &[(&str, &str)]) -> Environment {
    let vars: BTreeMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    Environment::new(move |name| vars.get(name).cloned(), Platform::Unix, None)
}

// ---------------------------------------------------------------------------
// The spec's example

#[test]
fn spec_example_parses_into_typed_values() {
    let config = parse(SPEC_EXAMPLE);
    assert_eq!(
        config.profiles.keys().collect::<Vec<_>>(),
        ["dev", "legacy", "via-process"]
    );
    let session = config.sso_session("my-sso").unwrap();
    assert_eq!(session.start_url(), Some(START_URL));
    assert_eq!(session.region(), Some("us-east-1"));
    assert_eq!(session.registration_scopes(), ["sso:account:access"]);

    let dev = config.profile("dev").unwrap();
    assert_eq!(dev.region(), Some("us-west-2"));
    assert_eq!(dev.output(), Some("json"));
    assert_eq!(dev.sso_session(), Some("my-sso"));
    let sso = dev.sso(&config).unwrap().unwrap();
    assert_eq!(sso.profile, "dev");
    assert_eq!(sso.sso_session.as_deref(), Some("my-sso"));
    assert_eq!(sso.start_url, START_URL);
    assert_eq!(sso.region, "us-east-1");
    assert_eq!(sso.scopes, ["sso:account:access"]);
    assert_eq!(sso.account_id.as_deref(), Some("123456789012"));
    assert_eq!(sso.role_name.as_deref(), Some("ReadOnly"));
    assert!(!sso.is_legacy());

    let legacy = config
        .profile("legacy")
        .unwrap()
        .sso(&config)
        .unwrap()
        .unwrap();
    assert!(legacy.is_legacy());
    assert_eq!(legacy.sso_session, None);
    assert_eq!(legacy.start_url, START_URL);
    assert_eq!(legacy.region, "us-east-1");
    assert!(legacy.scopes.is_empty());
    assert_eq!(legacy.role().unwrap(), ("123456789012", "ReadOnly"));

    let process = config.profile("via-process").unwrap();
    assert_eq!(
        process.credential_process(),
        Some("/usr/local/bin/my-tool credentials --profile dev")
    );
    assert!(!process.is_sso());
    assert_eq!(process.sso(&config).unwrap(), None);
}

// ---------------------------------------------------------------------------
// configparser quirks

#[test]
fn full_line_comments_with_hash_or_semicolon_even_indented() {
    let config = parse("# top\n; top\n[default]\n# c\n; c\n   # indented\nregion = r\n");
    assert_eq!(get(&config, "default", "region"), Some("r"));
    assert_eq!(config.profile("default").unwrap().properties.len(), 1);
}

#[test]
fn no_inline_comments_as_the_aws_cli_reads_it() {
    let config = parse("[default]\nregion = us-east-1 # prod\noutput = json ; x\nk = a#b\n");
    assert_eq!(get(&config, "default", "region"), Some("us-east-1 # prod"));
    assert_eq!(get(&config, "default", "output"), Some("json ; x"));
    assert_eq!(get(&config, "default", "k"), Some("a#b"));
}

#[test]
fn equals_or_colon_first_one_splits_keys_lowercased_values_trimmed() {
    let config = parse(
        "[default]\n  Region:us-east-1\nOutPut   =   json   \na:b = c\nurl = https://x:1/p=q\nempty =\n",
    );
    assert_eq!(get(&config, "default", "region"), Some("us-east-1"));
    assert_eq!(get(&config, "default", "output"), Some("json"));
    assert_eq!(get(&config, "default", "a"), Some("b = c"));
    assert_eq!(get(&config, "default", "url"), Some("https://x:1/p=q"));
    assert_eq!(get(&config, "default", "empty"), Some(""));
    assert_eq!(get(&config, "default", "Region"), None);
}

#[test]
fn continuation_lines_join_with_newlines() {
    let config = parse("[default]\nk = first\n  second\n\n    third\n\n\nother = x\n");
    assert_eq!(get(&config, "default", "k"), Some("first\nsecond\n\nthird"));
    assert_eq!(get(&config, "default", "other"), Some("x"));
    // A comment inside the value is skipped and does not end it.
    let config = parse("[default]\nk = a\n# c\n  b\n");
    assert_eq!(get(&config, "default", "k"), Some("a\nb"));
    // An indented header-looking line under a value is part of the value.
    let config = parse("[default]\nk = a\n  [profile b]\n");
    assert_eq!(get(&config, "default", "k"), Some("a\n[profile b]"));
    assert!(config.profile("b").is_err());
}

#[test]
fn nested_sub_sections_are_kept() {
    let config = parse(
        "[profile dev]\ns3 =\n  endpoint_url = http://s3:1\n  Addressing_Style = path\n\n  x=1=2\nregion = r\n",
    );
    let dev = config.profile("dev").unwrap();
    let s3 = dev.properties["s3"].as_nested().unwrap();
    assert_eq!(s3["endpoint_url"], "http://s3:1");
    assert_eq!(s3["Addressing_Style"], "path"); // nested keys keep their case
    assert_eq!(s3["x"], "1=2");
    assert_eq!(dev.get("s3"), None);
    assert_eq!(dev.region(), Some("r"));
    // Nested lines split on `=` only.
    let (line, problem) = parse_err("[default]\ns3 =\n  a = 1\n  b: 2\n");
    assert_eq!(line, 4);
    assert!(matches!(problem, ParseProblem::NestedWithoutEquals { ref key, .. } if key == "s3"));
    // An empty value with only blank continuation stays text.
    let config = parse("[default]\ns3 =\n\n\n");
    assert_eq!(
        config.profile("default").unwrap().properties["s3"],
        Value::Text(String::new())
    );
}

#[test]
fn section_names_as_shlex_splits_them() {
    let config = parse(
        "[profile   dev ]\na = 1\n[profile \"my dev\"]\na = 2\n[dev]\na = 3\n[profile]\na = 4\n\
         [profile a b]\na = 5\n[profile 'unclosed]\na = 6\n[profiles x]\na = 7\n[ default ]\na = 8\n\
         [profile dev2] trailing\na = 9\n",
    );
    assert_eq!(get(&config, "dev", "a"), Some("1"));
    assert_eq!(get(&config, "my dev", "a"), Some("2"));
    // botocore checks only the prefix: `[profiles x]` is profile `x`.
    assert_eq!(get(&config, "x", "a"), Some("7"));
    // The header runs to the last `]`; text after it is ignored.
    assert_eq!(get(&config, "dev2", "a"), Some("9"));
    assert_eq!(
        config.profiles.keys().collect::<Vec<_>>(),
        ["dev", "dev2", "my dev", "x"]
    );
}

#[test]
fn default_and_profile_default_later_section_wins_whole() {
    let config = parse("[default]\nregion = a\noutput = json\n[profile default]\nregion = b\n");
    let default = config.profile("default").unwrap();
    assert_eq!(default.region(), Some("b"));
    assert_eq!(default.output(), None, "sections are not merged");
    let config = parse("[profile default]\nregion = b\n[default]\nregion = a\n");
    assert_eq!(get(&config, "default", "region"), Some("a"));
    // The same for two spellings of one profile.
    let config = parse("[profile dev]\nregion = a\n[profile \"dev\"]\noutput = text\n");
    assert_eq!(get(&config, "dev", "region"), None);
    assert_eq!(get(&config, "dev", "output"), Some("text"));
}

#[test]
fn duplicates_are_errors_as_configparser_is_strict() {
    let (line, problem) = parse_err("[profile a]\nx = 1\n\n[profile a]\nx = 2\n");
    assert_eq!(line, 4);
    assert_eq!(
        problem,
        ParseProblem::DuplicateSection {
            section: "profile a".into()
        }
    );
    let (line, problem) = parse_err("[profile a]\nregion = 1\nREGION = 2\n");
    assert_eq!(line, 3);
    assert_eq!(
        problem,
        ParseProblem::DuplicateKey {
            section: "profile a".into(),
            key: "region".into()
        }
    );
    // Nested keys may repeat: the later wins.
    let config = parse("[default]\ns3 =\n  a = 1\n  a = 2\n");
    assert_eq!(
        config.profile("default").unwrap().properties["s3"]
            .as_nested()
            .unwrap()["a"],
        "2"
    );
}

#[test]
fn upper_case_default_section_is_inherited_by_every_section() {
    let config = parse(
        "[DEFAULT]\nregion = from-defaults\noutput = json\n[profile a]\nregion = mine\n\
         [sso-session s]\nsso_region = r\n[DEFAULT]\nextra = 1\n",
    );
    let a = config.profile("a").unwrap();
    assert_eq!(a.region(), Some("mine"));
    assert_eq!(a.output(), Some("json"));
    assert_eq!(a.get("extra"), Some("1"));
    assert_eq!(config.sso_session("s").unwrap().get("output"), Some("json"));
    assert!(config.profile("DEFAULT").is_err());
    assert_eq!(config.profiles.len(), 1);
}

#[test]
fn syntax_errors_name_the_line_never_the_value() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let cases = [
        (
            format!("aws_secret_access_key = {secret}\n"),
            1,
            ParseProblem::MissingSectionHeader,
        ),
        (
            format!("[default]\nregion = x\n{secret}\n"),
            3,
            ParseProblem::NoSeparator,
        ),
        (
            format!("[default]\n= {secret}\n"),
            2,
            ParseProblem::EmptyKey,
        ),
        (
            format!("[default]\ns3 =\n  {secret}\n"),
            3,
            ParseProblem::NestedWithoutEquals {
                section: "default".into(),
                key: "s3".into(),
            },
        ),
        (
            format!("[default]\nk = {secret}\nk = {secret}\n"),
            3,
            ParseProblem::DuplicateKey {
                section: "default".into(),
                key: "k".into(),
            },
        ),
    ];
    for (text, line, problem) in cases {
        let err = AwsConfig::parse(&text).unwrap_err();
        let message = format!("{err} {err:?}");
        assert!(!message.contains(secret), "{message}");
        assert!(message.contains(&format!("line {line}")), "{message}");
        assert!(matches!(err, ConfigFileError::Parse { problem: ref p, .. } if *p == problem));
    }
}

#[test]
fn line_endings_and_encoding() {
    let config = parse("[default]\r\nregion = a\r\n  b\r[profile x]\routput = json");
    assert_eq!(get(&config, "default", "region"), Some("a\nb"));
    assert_eq!(get(&config, "x", "output"), Some("json"));
    // A byte-order mark is not skipped, as by the AWS CLI.
    assert_eq!(parse_err("\u{feff}[default]\nregion = a\n").0, 1);
    match AwsConfig::parse_bytes(b"[default]\nregion = a\nb = \xff\n") {
        Err(ConfigFileError::NotUtf8 { line }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    match AwsConfig::parse_bytes(b"[default]\n\xff") {
        Err(ConfigFileError::NotUtf8 { line }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    assert!(parse("").profiles.is_empty());
    assert!(parse("\n# only comments\n\n").profiles.is_empty());
}

// ---------------------------------------------------------------------------
// Typed views

#[test]
fn unknown_profile_lists_existing_profiles() {
    let config = parse(SPEC_EXAMPLE);
    let err = config.profile("prod").unwrap_err();
    match &err {
        ConfigFileError::ProfileNotFound { name, available } => {
            assert_eq!(name, "prod");
            assert_eq!(available, &["dev", "legacy", "via-process"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the config profile `prod` could not be found; profiles: dev, legacy, via-process"
    );
    let err = AwsConfig::default().profile("x").unwrap_err();
    assert!(
        err.to_string().contains("no profiles are configured"),
        "{err}"
    );
}

#[test]
fn legacy_keys_next_to_sso_session_must_match() {
    let base = "[sso-session s]\nsso_start_url = https://a/start\nsso_region = us-east-1\n";
    // Equal values: fine.
    let config = parse(&format!(
        "{base}[profile p]\nsso_session = s\nsso_start_url = https://a/start\nsso_region = us-east-1\n"
    ));
    let sso = config.profile("p").unwrap().sso(&config).unwrap().unwrap();
    assert_eq!(sso.sso_session.as_deref(), Some("s"));
    assert_eq!(sso.account_id, None);
    // Different region: a typed error naming the key, not the values.
    let config = parse(&format!(
        "{base}[profile p]\nsso_session = s\nsso_region = eu-west-1\n"
    ));
    let err = config.profile("p").unwrap().sso(&config).unwrap_err();
    match &err {
        ConfigFileError::SsoMismatch {
            profile,
            sso_session,
            key,
        } => {
            assert_eq!(
                (profile.as_str(), sso_session.as_str(), key.as_str()),
                ("p", "s", "sso_region")
            );
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        !message.contains("eu-west-1") && !message.contains("us-east-1"),
        "{message}"
    );
    // Start URL too (botocore compares every key of the session).
    let config = parse(&format!(
        "{base}[profile p]\nsso_session = s\nsso_start_url = https://a/start/\n"
    ));
    assert!(matches!(
        config.profile("p").unwrap().sso(&config),
        Err(ConfigFileError::SsoMismatch { ref key, .. }) if key == "sso_start_url"
    ));
}

#[test]
fn sso_resolution_errors() {
    let config = parse(
        "[profile ghost]\nsso_session = nowhere\n[profile half]\nsso_account_id = 1\n\
         [sso-session bare]\nsso_region = r\n[profile bare]\nsso_session = bare\n\
         [profile plain]\nregion = r\n",
    );
    assert!(matches!(
        config.profile("ghost").unwrap().sso(&config),
        Err(ConfigFileError::SsoSessionNotFound { ref sso_session, .. }) if sso_session == "nowhere"
    ));
    match config.profile("half").unwrap().sso(&config) {
        Err(ConfigFileError::MissingSsoKeys { missing, .. }) => {
            assert_eq!(missing, ["sso_start_url", "sso_region"]);
        }
        other => panic!("{other:?}"),
    }
    match config.profile("bare").unwrap().sso(&config) {
        Err(ConfigFileError::MissingSsoKeys { missing, .. }) => {
            assert_eq!(missing, ["sso_start_url"])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(config.profile("plain").unwrap().sso(&config).unwrap(), None);
}

#[test]
fn registration_scopes_are_split_trimmed_and_empties_dropped() {
    let config = parse(
        "[sso-session s]\nsso_start_url = u\nsso_region = r\nsso_registration_scopes = a , ,b:c:d,, \n\
         [profile p]\nsso_session = s\n",
    );
    let sso = config.profile("p").unwrap().sso(&config).unwrap().unwrap();
    assert_eq!(sso.scopes, ["a", "b:c:d"]);
    // A legacy profile has no scopes even if the key is there.
    let config =
        parse("[profile l]\nsso_start_url = u\nsso_region = r\nsso_registration_scopes = a\n");
    assert!(config
        .profile("l")
        .unwrap()
        .sso(&config)
        .unwrap()
        .unwrap()
        .scopes
        .is_empty());
}

#[test]
fn sessions_for_the_token_cache() {
    let config = parse(SPEC_EXAMPLE);
    let dir = CacheDir::new("/tmp/sso-cache");
    let session = config
        .profile("dev")
        .unwrap()
        .sso(&config)
        .unwrap()
        .unwrap()
        .session(dir.clone());
    assert_eq!(session.session_key, "my-sso");
    assert_eq!(session.session_name.as_deref(), Some("my-sso"));
    assert_eq!(session.start_url, START_URL);
    assert_eq!(session.region.as_deref(), Some("us-east-1"));
    assert_eq!(session.scopes, ["sso:account:access"]);
    assert_eq!(
        dir.token_path(&session.session_key).file_name().unwrap(),
        "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
    );

    let legacy = config
        .profile("legacy")
        .unwrap()
        .sso(&config)
        .unwrap()
        .unwrap()
        .session(dir.clone());
    assert_eq!(legacy.session_key, START_URL);
    assert_eq!(legacy.session_name, None);
    assert_eq!(legacy.region.as_deref(), Some("us-east-1"));
    assert!(legacy.scopes.is_empty());
    assert_eq!(
        dir.token_path(&legacy.session_key).file_name().unwrap(),
        "c7aaaf71fcc8777ae2475525ed049d39fe16c484.json"
    );
}

#[test]
fn credentials_sources_for_sso_profiles() {
    let config = parse(&format!(
        "{SPEC_EXAMPLE}\n[profile token-only]\nsso_session = my-sso\n"
    ));
    let dir = CacheDir::new("/tmp/sso-cache");
    let cache = CredentialsCacheDir::new("/tmp/cli-cache");
    let source = config
        .profile("dev")
        .unwrap()
        .credentials_source(&config, dir.clone(), cache.clone())
        .unwrap();
    match source {
        CredentialsSource::SsoRole {
            session,
            account_id,
            role_name,
            cache: c,
            ..
        } => {
            assert_eq!(session.session_key, "my-sso");
            assert_eq!(account_id, "123456789012");
            assert_eq!(role_name, "ReadOnly");
            assert_eq!(c, cache);
            assert_eq!(
                CredentialsCacheDir::sso_role_file_name(&session, &account_id, &role_name),
                "31b260dab331b2af063485cea75f7b8b3cf54c71.json"
            );
        }
        other => panic!("{other:?}"),
    }
    match config
        .profile("legacy")
        .unwrap()
        .credentials_source(&config, dir.clone(), cache.clone())
        .unwrap()
    {
        CredentialsSource::SsoRole {
            session,
            account_id,
            role_name,
            ..
        } => assert_eq!(
            CredentialsCacheDir::sso_role_file_name(&session, &account_id, &role_name),
            "107af63d78e24f5ce0fbb60ccb8244f20f6e19e6.json"
        ),
        other => panic!("{other:?}"),
    }
    match config.profile("token-only").unwrap().credentials_source(
        &config,
        dir.clone(),
        cache.clone(),
    ) {
        Err(ConfigFileError::MissingSsoKeys { missing, .. }) => {
            assert_eq!(missing, ["sso_account_id", "sso_role_name"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        config
            .profile("via-process")
            .unwrap()
            .credentials_source(&config, dir, cache),
        Err(ConfigFileError::NotSso { .. })
    ));
}

// ---------------------------------------------------------------------------
// Environment

#[test]
fn config_file_location() {
    let e = env(&[("HOME", "/home/ana")]);
    assert_eq!(
        e.config_file().unwrap(),
        PathBuf::from("/home/ana/.aws/config")
    );
    let e = env(&[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "/etc/aws.ini")]);
    assert_eq!(e.config_file().unwrap(), PathBuf::from("/etc/aws.ini"));
    let e = env(&[
        ("HOME", "/home/ana"),
        ("AWS_CONFIG_FILE", "~/cfg/${TEAM}-$ENVNAME.ini"),
    ]);
    assert_eq!(
        e.config_file().unwrap(),
        PathBuf::from("/home/ana/cfg/${TEAM}-$ENVNAME.ini")
    );
    let e = env(&[
        ("HOME", "/home/ana"),
        ("TEAM", "core"),
        ("ENVNAME", "prod"),
        ("AWS_CONFIG_FILE", "~/cfg/${TEAM}-$ENVNAME.ini"),
    ]);
    assert_eq!(
        e.config_file().unwrap(),
        PathBuf::from("/home/ana/cfg/core-prod.ini")
    );
    let e = env(&[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "~bob/x")]);
    assert_eq!(e.config_file().unwrap(), PathBuf::from("~bob/x"));
    // Empty counts as unset.
    let e = env(&[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "")]);
    assert_eq!(
        e.config_file().unwrap(),
        PathBuf::from("/home/ana/.aws/config")
    );
    assert!(matches!(
        env(&[]).config_file(),
        Err(ConfigFileError::NoHomeDirectory { hint: "HOME" })
    ));
    let windows = Environment::new(
        |name| (name == "USERPROFILE").then(|| OsString::from(r"C:\Users\ana")),
        Platform::Windows,
        None,
    );
    assert_eq!(
        windows.config_file().unwrap(),
        PathBuf::from(r"C:\Users\ana").join(".aws").join("config")
    );
    let e = env(&[("HOME", "/home/ana")]);
    assert_eq!(
        e.cache_dir().unwrap().path(),
        PathBuf::from("/home/ana/.aws/sso/cache")
    );
    assert_eq!(
        e.credentials_cache_dir().unwrap().path(),
        PathBuf::from("/home/ana/.aws/cli/cache")
    );
}

#[test]
fn profile_and_region_precedence() {
    assert_eq!(env(&[]).profile_name(), None);
    assert_eq!(
        env(&[("AWS_DEFAULT_PROFILE", "b")])
            .profile_name()
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        env(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")])
            .profile_name()
            .as_deref(),
        Some("a")
    );
    assert_eq!(
        env(&[("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "b")])
            .profile_name()
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        env(&[("AWS_DEFAULT_REGION", "d")]).region().as_deref(),
        Some("d")
    );
    assert_eq!(
        env(&[("AWS_REGION", "r"), ("AWS_DEFAULT_REGION", "d")])
            .region()
            .as_deref(),
        Some("r")
    );

    let config = parse(SPEC_EXAMPLE);
    let dev = config.profile("dev").unwrap();
    assert_eq!(
        resolved_region(&env(&[]), dev).as_deref(),
        Some("us-west-2")
    );
    assert_eq!(
        resolved_region(&env(&[("AWS_DEFAULT_REGION", "d")]), dev).as_deref(),
        Some("d")
    );

    // The active profile: named (must exist), else default, else empty.
    assert_eq!(
        config
            .active_profile(&env(&[("AWS_PROFILE", "dev")]))
            .unwrap()
            .name,
        "dev"
    );
    assert!(matches!(
        config.active_profile(&env(&[("AWS_PROFILE", "nope")])),
        Err(ConfigFileError::ProfileNotFound { .. })
    ));
    assert_eq!(
        config.active_profile(&env(&[])).unwrap(),
        Profile::empty("default")
    );
    let with_default = parse("[default]\nregion = x\n");
    assert_eq!(
        with_default.active_profile(&env(&[])).unwrap().region(),
        Some("x")
    );
}

#[test]
fn load_reads_the_file_and_a_missing_file_is_empty() {
    let dir = std::env::temp_dir().join(format!("oidc-host-aws-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    let path_text = path.to_str().unwrap().to_owned();
    let e = env(&[("AWS_CONFIG_FILE", &path_text)]);
    assert_eq!(AwsConfig::load(&e).unwrap(), AwsConfig::default());
    std::fs::write(&path, SPEC_EXAMPLE).unwrap();
    assert_eq!(AwsConfig::load(&e).unwrap(), parse(SPEC_EXAMPLE));
    // A directory is not a file: empty, as for the AWS CLI.
    assert_eq!(AwsConfig::load_file(&dir).unwrap(), AwsConfig::default());
    std::fs::write(&path, "[default]\nx = 1\nx = 2\n").unwrap();
    assert!(matches!(
        AwsConfig::load(&e),
        Err(ConfigFileError::Parse { line: 3, .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------
// Endpoints

const ENDPOINTS: &str = "\
[profile full]
services = local
endpoint_url = http://profile-global
[profile global-only]
endpoint_url = http://profile-global
[profile ignoring]
endpoint_url = http://profile-global
ignore_configured_endpoint_urls = TRUE
[profile broken]
services = missing
[profile empty-services]
services = nothing
[services local]
sso_oidc =
  endpoint_url = http://config-oidc
sts = not-a-block
[services nothing]
";

#[test]
fn endpoint_url_precedence() {
    let config = parse(ENDPOINTS);
    let full = config.profile("full").unwrap();
    let resolve = |service: &str, vars: &[(&str, &str)], profile: &Profile| {
        resolved_endpoint_url(service, &env(vars), &config, profile).unwrap()
    };
    let both = [
        ("AWS_ENDPOINT_URL_SSO_OIDC", "http://env-oidc"),
        ("AWS_ENDPOINT_URL", "http://env-global"),
    ];
    // env service-specific > env global > config service > config global.
    assert_eq!(
        resolve("sso_oidc", &both, full).as_deref(),
        Some("http://env-oidc")
    );
    assert_eq!(
        resolve("sso_oidc", &both[1..], full).as_deref(),
        Some("http://env-global")
    );
    assert_eq!(
        resolve("sso_oidc", &[], full).as_deref(),
        Some("http://config-oidc")
    );
    assert_eq!(
        resolve("sso", &[], full).as_deref(),
        Some("http://profile-global")
    );
    // A non-block entry is no service setting.
    assert_eq!(
        resolve("sts", &[], full).as_deref(),
        Some("http://profile-global")
    );
    assert_eq!(
        resolve("sts", &[("AWS_ENDPOINT_URL_STS", "http://env-sts")], full).as_deref(),
        Some("http://env-sts")
    );
    // Any spelling of the service id.
    for spelling in [
        "SSO OIDC",
        "sso-oidc",
        "sso_oidc",
        service_id(Service::SsoOidc),
    ] {
        assert_eq!(
            resolve(spelling, &both, full).as_deref(),
            Some("http://env-oidc")
        );
        assert_eq!(
            resolve(spelling, &[], full).as_deref(),
            Some("http://config-oidc")
        );
    }
    assert_eq!(service_id(Service::SsoPortal), "sso");
    assert_eq!(service_id(Service::Sts), "sts");
    // Nothing configured.
    assert_eq!(resolve("sso", &[], &Profile::empty("x")), None);
    let global = config.profile("global-only").unwrap();
    assert_eq!(
        resolve("sso_oidc", &[], global).as_deref(),
        Some("http://profile-global")
    );
}

#[test]
fn ignore_configured_endpoint_urls() {
    let config = parse(ENDPOINTS);
    let full = config.profile("full").unwrap();
    let ignoring = config.profile("ignoring").unwrap();
    let on = env(&[
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ("AWS_ENDPOINT_URL", "http://env-global"),
    ]);
    assert_eq!(
        resolved_endpoint_url("sso", &on, &config, full).unwrap(),
        None
    );
    assert_eq!(
        resolved_endpoint_url("sso", &env(&[]), &config, ignoring).unwrap(),
        None
    );
    // The environment's explicit false beats the profile's true.
    let off = env(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")]);
    assert_eq!(
        resolved_endpoint_url("sso", &off, &config, ignoring)
            .unwrap()
            .as_deref(),
        Some("http://profile-global")
    );
}

#[test]
fn a_missing_services_section_is_an_error() {
    let config = parse(ENDPOINTS);
    for name in ["broken", "empty-services"] {
        let profile = config.profile(name).unwrap();
        assert!(matches!(
            resolved_endpoint_url("sso", &env(&[]), &config, profile),
            Err(ConfigFileError::ServicesNotFound { .. })
        ));
        // Environment values are consulted first, as in botocore.
        assert_eq!(
            resolved_endpoint_url(
                "sso",
                &env(&[("AWS_ENDPOINT_URL", "http://e")]),
                &config,
                profile
            )
            .unwrap()
            .as_deref(),
            Some("http://e")
        );
    }
}

// ---------------------------------------------------------------------------
// Writers

/// Every line of `before` except `replaced` (line texts) appears in
/// `after`, byte-identical and in order.
fn assert_kept(before: &str, after: &str, replaced: &[&str]) {
    let kept: Vec<&str> = before
        .split_inclusive('\n')
        .filter(|l| !replaced.contains(&l.trim_end_matches(['\r', '\n'])))
        .collect();
    let mut after_lines = after.split_inclusive('\n');
    for line in &kept {
        let line = line.trim_end_matches(['\r', '\n']);
        assert!(
            after_lines.any(|l| l.trim_end_matches(['\r', '\n']) == line),
            "line {line:?} lost or reordered in:\n{after}"
        );
    }
}

const EXISTING: &str = "\
# my config
[default]
region = us-east-1

[sso-session my-sso]
sso_start_url = https://old/start
; keep me
sso_region = us-east-1
unknown_key = kept

[profile dev]
  sso_session = my-sso
  Region = us-west-2
  s3 =
    endpoint_url = http://s3
# trailing comment of dev

[profile other]
region = eu-west-1
";

#[test]
fn upsert_sso_session_replaces_keys_in_place() {
    let after = upsert_sso_session(
        EXISTING,
        "my-sso",
        "https://new/start",
        "eu-west-1",
        &["sso:account:access", "codewhisperer:completions"],
    )
    .unwrap();
    assert_eq!(
        after,
        EXISTING
            .replace(
                "sso_start_url = https://old/start",
                "sso_start_url = https://new/start"
            )
            .replace(
                "sso_region = us-east-1\nunknown_key = kept\n",
                "sso_region = eu-west-1\nunknown_key = kept\n\
                 sso_registration_scopes = sso:account:access, codewhisperer:completions\n"
            )
    );
    assert_kept(
        EXISTING,
        &after,
        &[
            "sso_start_url = https://old/start",
            "sso_region = us-east-1",
        ],
    );
    let config = parse(&after);
    let session = config.sso_session("my-sso").unwrap();
    assert_eq!(session.start_url(), Some("https://new/start"));
    assert_eq!(session.region(), Some("eu-west-1"));
    assert_eq!(
        session.registration_scopes(),
        ["sso:account:access", "codewhisperer:completions"]
    );
    assert_eq!(session.get("unknown_key"), Some("kept"));
    // Empty scopes remove the key again.
    let again = upsert_sso_session(
        &after,
        "my-sso",
        "https://new/start",
        "eu-west-1",
        &[] as &[&str],
    )
    .unwrap();
    assert_eq!(
        again,
        after.replace(
            "sso_registration_scopes = sso:account:access, codewhisperer:completions\n",
            ""
        )
    );
}

#[test]
fn upsert_profile_in_place_keeps_indentation_and_drops_old_continuations() {
    let after = upsert_profile(
        EXISTING,
        "dev",
        &[
            ("region", "ap-south-1"),
            ("s3", "plain"),
            ("output", "json"),
        ],
    )
    .unwrap();
    assert_eq!(
        after,
        EXISTING.replace(
            "  Region = us-west-2\n  s3 =\n    endpoint_url = http://s3\n",
            "  region = ap-south-1\n  s3 = plain\n  output = json\n"
        )
    );
    assert_kept(
        EXISTING,
        &after,
        &[
            "  Region = us-west-2",
            "  s3 =",
            "    endpoint_url = http://s3",
        ],
    );
    let config = parse(&after);
    let dev = config.profile("dev").unwrap();
    assert_eq!(dev.region(), Some("ap-south-1"));
    assert_eq!(dev.get("s3"), Some("plain"));
    assert_eq!(dev.output(), Some("json"));
    assert_eq!(dev.sso_session(), Some("my-sso"));
    let before = parse(EXISTING);
    assert_eq!(
        config.profile("other").unwrap(),
        before.profile("other").unwrap()
    );
    assert_eq!(config.sso_sessions, before.sso_sessions);
}

#[test]
fn upsert_appends_new_sections_after_a_blank_line() {
    let after = upsert_profile(
        EXISTING,
        "new one",
        &[("sso_session", "my-sso"), ("region", "r")],
    )
    .unwrap();
    assert_eq!(
        after,
        format!("{EXISTING}\n[profile 'new one']\nsso_session = my-sso\nregion = r\n")
    );
    assert_eq!(get(&parse(&after), "new one", "region"), Some("r"));
    // No trailing newline; CRLF files keep CRLF.
    let after = upsert_profile("[default]\r\nregion = a", "x", &[("region", "b")]).unwrap();
    assert_eq!(
        after,
        "[default]\r\nregion = a\r\n\r\n[profile x]\r\nregion = b\r\n"
    );
    // An empty file gets just the section.
    assert_eq!(
        upsert_profile("", "default", &[("region", "b")]).unwrap(),
        "[default]\nregion = b\n"
    );
    let after = upsert_sso_session("", "a b", "u", "r", &["s"]).unwrap();
    assert_eq!(
        after,
        "[sso-session 'a b']\nsso_start_url = u\nsso_region = r\nsso_registration_scopes = s\n"
    );
    assert_eq!(
        parse(&after).sso_session("a b").unwrap().start_url(),
        Some("u")
    );
    // A file ending with a blank line gets no second one.
    assert_eq!(
        upsert_profile("[default]\n\n", "x", &[("a", "1")]).unwrap(),
        "[default]\n\n[profile x]\na = 1\n"
    );
}

#[test]
fn upsert_edits_the_section_the_cli_uses() {
    // `[profile default]` after `[default]` wins, so it is the one edited.
    let text = "[default]\nregion = a\n[profile default]\nregion = b\n";
    let after = upsert_profile(text, "default", &[("region", "c")]).unwrap();
    assert_eq!(
        after,
        "[default]\nregion = a\n[profile default]\nregion = c\n"
    );
    // A section without keys: the new key takes the next line's indentation
    // so that line cannot become its continuation.
    let text = "[profile a]\n  [profile b]\n  region = x\n";
    let after = upsert_profile(text, "a", &[("output", "json")]).unwrap();
    assert_eq!(
        after,
        "[profile a]\n  output = json\n  [profile b]\n  region = x\n"
    );
    let config = parse(&after);
    assert_eq!(get(&config, "a", "output"), Some("json"));
    assert_eq!(get(&config, "b", "region"), Some("x"));
    // Keys after an indented last key take its indentation.
    let text = "[profile a]\n    k = 1\n  [profile b]\n";
    let after = upsert_profile(text, "a", &[("n", "2")]).unwrap();
    assert_eq!(after, "[profile a]\n    k = 1\n    n = 2\n  [profile b]\n");
    assert_eq!(get(&parse(&after), "a", "n"), Some("2"));
}

#[test]
fn upsert_refuses_what_it_cannot_write_faithfully() {
    let secret = "hunter2-secret";
    for (key, value) in [
        ("credential_process", "x\ninjected = 1"),
        ("k", " padded"),
        ("a=b", "v"),
        ("a:b", "v"),
        ("#k", "v"),
        ("[k", "v"),
        ("", "v"),
        (" k", "v"),
        ("k", "line\rbreak"),
    ] {
        let err = upsert_profile("", "p", &[(key, value)]).unwrap_err();
        assert!(
            matches!(err, ConfigFileError::InvalidWrite { .. }),
            "{key:?}"
        );
    }
    let err = upsert_profile("", "p", &[("k", &format!("{secret}\n"))]).unwrap_err();
    assert!(!err.to_string().contains(secret));
    assert!(upsert_profile("", "a\nb", &[("k", "v")]).is_err());
    assert!(upsert_sso_session("", "s", "u\n", "r", &["x"]).is_err());
    assert!(upsert_sso_session("", "s", "u", "r", &["a,b"]).is_err());
    assert!(upsert_sso_session("", "s", "u", "r", &[" a"]).is_err());
    assert!(upsert_sso_session("", "s", "u", "r", &[""]).is_err());
}

// ---------------------------------------------------------------------------
// Properties (a small deterministic generator: no extra dependency)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "[",
    "]",
    "=",
    ":",
    "#",
    ";",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\"",
    "'",
    "\\",
    "a",
    "B",
    "profile ",
    "sso-session ",
    "services ",
    "default",
    "DEFAULT",
    "region",
    "sso_session",
    "\u{1c}",
    "\u{2028}",
    "\u{85}",
    "é",
    "\u{feff}",
    "\u{0b}",
    "x = 1",
    "  k = v",
];

#[test]
fn arbitrary_text_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let len = rng.below(40);
        let text: String = (0..len).map(|_| rng.pick(PIECES)).collect();
        let parsed = AwsConfig::parse(&text);
        let _ = AwsConfig::parse_bytes(text.as_bytes());
        let mut bytes = text.clone().into_bytes();
        if !bytes.is_empty() {
            let at = rng.below(bytes.len());
            bytes[at] = 0xff;
            let _ = AwsConfig::parse_bytes(&bytes);
        }
        if let Ok(config) = &parsed {
            for profile in config.profiles.values() {
                let _ = profile.sso(config);
                let _ = resolved_endpoint_url("sso_oidc", &env(&[]), config, profile);
            }
        }
        // The writers never panic either, and keep a parsable file parsable.
        let out = upsert_profile(&text, "default", &[("region", "r")]).unwrap();
        let out2 = upsert_sso_session(&text, "s", "u", "r", &["x"]).unwrap();
        if parsed.is_ok() {
            assert_eq!(
                get(&AwsConfig::parse(&out).unwrap(), "default", "region"),
                Some("r"),
                "{text:?}"
            );
            let session = AwsConfig::parse(&out2).unwrap();
            assert_eq!(
                session.sso_session("s").unwrap().region(),
                Some("r"),
                "{text:?}"
            );
        }
    }
}

/// A random config file that mostly parses.
fn config_text(rng: &mut Rng) -> String {
    let eol = if rng.below(4) == 0 { "\r\n" } else { "\n" };
    let mut text = String::new();
    let mut headers: Vec<String> = Vec::new();
    for _ in 0..rng.below(6) {
        let header = match rng.below(7) {
            0 => "default".to_owned(),
            1 => "DEFAULT".to_owned(),
            2 => format!("sso-session s{}", rng.below(3)),
            3 => format!("services v{}", rng.below(2)),
            4 => format!("profile \"p{}\"", rng.below(4)),
            5 => format!("profile   p{} ", rng.below(4)),
            _ => format!("profile p{}", rng.below(4)),
        };
        if headers.contains(&header) && header != "DEFAULT" {
            continue;
        }
        headers.push(header.clone());
        let indent = rng.pick(&["", "", " ", "  "]);
        text.push_str(&format!("{indent}[{header}]{eol}"));
        let mut keys: Vec<&str> = Vec::new();
        let key_indent = rng.pick(&["", "", "  "]);
        for _ in 0..rng.below(5) {
            match rng.below(6) {
                0 => text.push_str(&format!("# comment{eol}")),
                1 => text.push_str(eol),
                _ => {
                    let key = rng.pick(&["region", "output", "sso_session", "s3", "k"]);
                    if keys.contains(&key) {
                        continue;
                    }
                    keys.push(key);
                    let sep = rng.pick(&[" = ", "=", ": "]);
                    let value = rng.pick(&["", "us-east-1", "a # b", "x=y"]);
                    text.push_str(&format!("{key_indent}{key}{sep}{value}{eol}"));
                    if value.is_empty() && rng.below(2) == 0 {
                        text.push_str(&format!("{key_indent}    endpoint_url = http://e{eol}"));
                    } else if rng.below(4) == 0 {
                        text.push_str(&format!("{key_indent}      more{eol}"));
                    }
                }
            }
        }
    }
    if rng.below(5) == 0 {
        text.truncate(text.trim_end_matches(['\r', '\n']).len());
    }
    text
}

#[test]
fn upsert_output_parses_and_changes_only_its_section() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut checked = 0;
    for _ in 0..5_000 {
        let text = config_text(&mut rng);
        let Ok(before) = AwsConfig::parse(&text) else {
            continue;
        };
        checked += 1;
        let name = rng.pick(&["default", "p0", "p1", "p2", "new"]);
        let pairs = [
            ("region", "eu-west-3"),
            ("sso_session", "s1"),
            ("output", "text"),
        ];
        let count = 1 + rng.below(pairs.len());
        let pairs = &pairs[..count];
        let after_text = upsert_profile(&text, name, pairs).unwrap();
        let after = AwsConfig::parse(&after_text)
            .unwrap_or_else(|e| panic!("{e}\nbefore:\n{text}\nafter:\n{after_text}"));
        for (key, value) in pairs {
            assert_eq!(get(&after, name, key), Some(*value), "{after_text}");
        }
        for (other, profile) in &before.profiles {
            if other != name {
                assert_eq!(
                    after.profiles.get(other),
                    Some(profile),
                    "{text}\n---\n{after_text}"
                );
            }
        }
        assert_eq!(after.sso_sessions, before.sso_sessions);
        assert_eq!(after.services, before.services);
        // Unchanged keys of the edited profile survive.
        if let Some(old) = before.profiles.get(name) {
            for (key, value) in &old.properties {
                if !pairs.iter().any(|(k, _)| k == key) {
                    assert_eq!(after.profiles[name].properties.get(key), Some(value));
                }
            }
        }

        let session = rng.pick(&["s0", "s1", "new"]);
        let after_text =
            upsert_sso_session(&text, session, "https://u/start", "ap-east-1", &["a", "b"])
                .unwrap();
        let after = AwsConfig::parse(&after_text).unwrap();
        let s = after.sso_session(session).unwrap();
        assert_eq!(s.start_url(), Some("https://u/start"));
        assert_eq!(s.region(), Some("ap-east-1"));
        assert_eq!(s.registration_scopes(), ["a", "b"]);
        assert_eq!(after.profiles, before.profiles);
    }
    assert!(checked > 1_000, "only {checked} generated files parsed");
}

/// Lines that exercise the scanner's corners: duplicate and indented
/// headers, continuations, comments, blank lines, syntax errors.
const LINES: &[&str] = &[
    "[profile a]",
    "[profile b]",
    "[default]",
    "[profile default]",
    "[DEFAULT]",
    "[sso-session s]",
    "[services x]",
    "[profile \"a\"]",
    "  [profile c]",
    "[dev]",
    "[profile]",
    "[profile 'x y']",
    "region = us-east-1",
    "Region: eu",
    "k = v",
    "  cont",
    "    deep",
    "",
    "   ",
    "# c",
    "  ; c",
    "=bad",
    "noseparator",
    "s3 =",
    "  max = 1",
    "K = dup",
    "  k = indented",
    "new=",
    "\t tabbed = 1",
];

fn lines_text(rng: &mut Rng) -> String {
    let mut text = String::new();
    let count = rng.below(14);
    for n in 0..count {
        text.push_str(rng.pick(LINES));
        let end = rng.pick(&["\n", "\n", "\n", "\r\n", "\r", ""]);
        text.push_str(if end.is_empty() && n + 1 < count {
            "\n"
        } else {
            end
        });
    }
    text
}

#[test]
fn upsert_profiles_is_upsert_profile_one_after_another() {
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut checked = 0;
    let keys = [
        ("region", "r1"),
        ("Region", "r2"),
        ("k", "v2"),
        ("new", "n"),
        ("s3", "x"),
        ("sso_session", "t"),
    ];
    for round in 0..20_000 {
        let text = if round % 2 == 0 {
            lines_text(&mut rng)
        } else {
            config_text(&mut rng)
        };
        let mut batch: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
        for _ in 0..rng.below(6) {
            let name = rng.pick(&["a", "b", "c", "p0", "p1", "default", "x y", "new", "new2"]);
            let pairs = (0..rng.below(4))
                .map(|_| keys[rng.below(keys.len())])
                .collect();
            batch.push((name, pairs));
        }
        let mut one_by_one = text.clone();
        for (name, pairs) in &batch {
            one_by_one = upsert_profile(&one_by_one, name, pairs).unwrap();
        }
        let at_once = upsert_profiles(&text, &batch).unwrap();
        // The documented exceptions. A file the reader rejects: a
        // key-less or separator-less line takes no continuation lines, a
        // key added after it does, so one call's output is scanned
        // differently by the next. A last line ending in a lone `\r` in a
        // file whose line ending is `\n`: one call's appended blank line
        // turns that `\r` into `\r\n` for the next call, the batch keeps
        // the blank line; both read the same.
        if AwsConfig::parse(&text).is_err() {
            continue;
        }
        checked += 1;
        let first_end = text.find(['\r', '\n']).map(|at| &text[at..]);
        let lone_cr_last =
            text.ends_with('\r') && first_end.is_some_and(|rest| rest.starts_with('\n'));
        if lone_cr_last {
            if let Ok(expected) = AwsConfig::parse(&one_by_one) {
                assert_eq!(AwsConfig::parse(&at_once).unwrap(), expected, "{text:?}");
            }
        } else {
            assert_eq!(at_once, one_by_one, "{text:?} {batch:?}");
        }
    }
    assert!(checked > 5_000, "only {checked} generated files parsed");
    // All or nothing: one bad edit and no text comes back.
    let err = upsert_profiles(
        "",
        &[("ok", [("region", "r")]), ("bad", [("region", " r")])],
    );
    assert!(matches!(err, Err(ConfigFileError::InvalidWrite { .. })));
    assert_eq!(
        upsert_profiles::<&str, [(&str, &str); 0], &str, &str>("[x]\n", &[]).unwrap(),
        "[x]\n"
    );
}

/// A config with `count` SSO profiles (and one sso-session per 100).
fn many_profiles(count: usize) -> String {
    let mut text = String::new();
    for n in 0..count {
        if n % 100 == 0 {
            text.push_str(&format!(
                "[sso-session s{n}]\nsso_start_url = https://d-{n}.awsapps.com/start\n\
                 sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n"
            ));
        }
        text.push_str(&format!(
            "[profile p{n}]\nsso_session = s{}\nsso_account_id = {:012}\n\
             sso_role_name = Admin\nregion = eu-west-1\n\n",
            n / 100 * 100,
            n
        ));
    }
    text
}

#[test]
fn fifty_thousand_profiles_parse_and_edit_in_linear_work() {
    // No clock: the work is bounded by how the parser is built (hash sets,
    // no rescans). A quadratic parser took minutes here; this one takes a
    // fraction of a second even unoptimised. Timings are in
    // scripts/bench-config.
    let text = many_profiles(50_000);
    assert!(text.len() > 5_000_000);
    let config = AwsConfig::parse(&text).unwrap();
    assert_eq!(config.profiles.len(), 50_000);
    assert_eq!(config.sso_sessions.len(), 500);
    assert_eq!(
        get(&config, "p49999", "sso_account_id"),
        Some("000000049999")
    );
    // A duplicate key at the very end is still found, with its line.
    let broken = format!(
        "{}[profile last]\nregion = a\nREGION = b\n",
        many_profiles(5_000)
    );
    let lines = broken.lines().count();
    assert_eq!(
        parse_err(&broken),
        (
            lines,
            ParseProblem::DuplicateKey {
                section: "profile last".into(),
                key: "region".into()
            }
        )
    );
    // 5,000 edits at once, half of them new profiles: one pass.
    let names: Vec<String> = (47_500..52_500).map(|n| format!("p{n}")).collect();
    let edits: Vec<(&str, [(&str, &str); 1])> = names
        .iter()
        .map(|n| (n.as_str(), [("region", "ap-south-1")]))
        .collect();
    let after = upsert_profiles(&text, &edits).unwrap();
    assert!(after.starts_with(&text[..text.find("[profile p47500]").unwrap()]));
    assert!(after.contains(
        "[profile p49999]\nsso_session = s49900\nsso_account_id = 000000049999\n\
         sso_role_name = Admin\nregion = ap-south-1\n\n[profile p50000]\nregion = ap-south-1\n"
    ));
    assert!(after.ends_with("\n\n[profile p52499]\nregion = ap-south-1\n"));
}

// ---------------------------------------------------------------------------
// The safe read

/// A fresh temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "oidc-host-aws-config-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `f()` on another thread, failing the test if it takes more than 10 s
/// (and calling `unblock` so the thread can end).
fn within_seconds<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
    unblock: impl FnOnce(),
) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    match receive.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(out) => out,
        Err(_) => {
            unblock();
            panic!("the read blocked");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_config_file_is_refused_at_once() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("config");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let e = env(&[("AWS_CONFIG_FILE", fifo.to_str().unwrap())]);
    let started = std::time::Instant::now();
    let for_writer = fifo.clone();
    let result = within_seconds(
        move || AwsConfig::load(&e).map_err(|e| e.to_string()),
        // A blocked open of the FIFO for reading returns once a writer
        // opens it.
        move || drop(std::fs::OpenOptions::new().write(true).open(for_writer)),
    );
    assert_eq!(
        result.unwrap_err(),
        format!(
            "the AWS config file {} is a FIFO (named pipe), not a regular file",
            fifo.display()
        )
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The same through the text reader, with the typed error.
    let err = read_config_text(&fifo).unwrap_err();
    assert!(
        matches!(&err, ConfigFileError::NotAFile { path, kind: FileKind::Fifo } if *path == fifo),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_none());
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_without_reading_it() {
    let zero = PathBuf::from("/dev/zero");
    if !zero.exists() {
        return;
    }
    // /dev/zero never ends: a read that tried would take all memory or
    // time; the refusal comes before any read.
    let err = within_seconds(move || read_config_text(&zero).unwrap_err(), || {});
    assert!(
        matches!(
            err,
            ConfigFileError::NotAFile {
                kind: FileKind::CharDevice,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the AWS config file /dev/zero is a character device, not a regular file"
    );
    let e = env(&[("AWS_CONFIG_FILE", "/dev/zero")]);
    assert!(matches!(
        AwsConfig::load(&e),
        Err(ConfigFileError::NotAFile { .. })
    ));
}

#[test]
fn an_oversized_config_file_is_refused() {
    let dir = TempDir::new("large");
    let path = dir.0.join("config");
    // Sparse: no 16 MiB written to disk.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_CONFIG_BYTES + 1).unwrap();
    drop(file);
    let err = read_config_text(&path).unwrap_err();
    assert!(
        matches!(&err, ConfigFileError::TooLarge { limit, .. } if *limit == MAX_CONFIG_BYTES),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the AWS config file {} is larger than 16 MiB",
            path.display()
        )
    );
    assert!(matches!(
        AwsConfig::load_file(&path),
        Err(ConfigFileError::TooLarge { .. })
    ));
    // At the limit it is read (and is then not a config file).
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(MAX_CONFIG_BYTES)
        .unwrap();
    let text = read_config_text(&path).unwrap().unwrap();
    assert_eq!(text.len() as u64, MAX_CONFIG_BYTES);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_file_is_followed_to_a_regular_file() {
    let dir = TempDir::new("symlink");
    let real = dir.0.join("dotfiles-config");
    std::fs::write(&real, SPEC_EXAMPLE).unwrap();
    let link = dir.0.join("config");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let e = env(&[("AWS_CONFIG_FILE", link.to_str().unwrap())]);
    assert_eq!(AwsConfig::load(&e).unwrap(), parse(SPEC_EXAMPLE));
    assert_eq!(
        read_config_text(&link).unwrap().as_deref(),
        Some(SPEC_EXAMPLE)
    );
    // A link to a directory reads as a directory (empty, as for the AWS
    // CLI), a dangling link as no file, a link to a device is refused.
    let to_dir = dir.0.join("to-dir");
    std::os::unix::fs::symlink(&dir.0, &to_dir).unwrap();
    assert_eq!(AwsConfig::load_file(&to_dir).unwrap(), AwsConfig::default());
    let dangling = dir.0.join("dangling");
    std::os::unix::fs::symlink(dir.0.join("missing"), &dangling).unwrap();
    assert_eq!(read_config_text(&dangling).unwrap(), None);
    if std::path::Path::new("/dev/zero").exists() {
        let to_zero = dir.0.join("to-zero");
        std::os::unix::fs::symlink("/dev/zero", &to_zero).unwrap();
        assert!(matches!(
            read_config_text(&to_zero),
            Err(ConfigFileError::NotAFile {
                kind: FileKind::CharDevice,
                ..
            })
        ));
    }
}

#[test]
fn unreadable_and_non_utf8_config_files() {
    let dir = TempDir::new("utf8");
    let path = dir.0.join("config");
    std::fs::write(&path, b"[default]\nregion = \xff\n").unwrap();
    assert!(matches!(
        read_config_text(&path),
        Err(ConfigFileError::NotUtf8 { line: 2 })
    ));
    // A directory is refused by the reader, and empty for load_file.
    assert!(matches!(
        read_config_text(&dir.0),
        Err(ConfigFileError::NotAFile {
            kind: FileKind::Directory,
            ..
        })
    ));
    assert_eq!(AwsConfig::load_file(&dir.0).unwrap(), AwsConfig::default());
}
