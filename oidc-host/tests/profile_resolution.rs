//! The resolution engine's decisions, profile shape by profile shape
//! (botocore's precedence; the end-to-end agreement with botocore is
//! proven in tests/tests/profiles_botocore.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::{Duration, SystemTime};

use oidc_host::aws_config::{AwsConfig, Environment};
use oidc_host::profile::{resolve, KeysFile, LinkKind, ProfileFiles, ResolveError, ResolveOptions};
use oidc_host::{CacheDir, CredentialsCacheDir, CredentialsSource, Platform};

const NOW: u64 = 1_700_000_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
}

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
region = eu-west-1

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = ReadOnly

[profile chained]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = dev
role_session_name = ana

[profile mixed]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
role_arn = arn:aws:iam::333333333333:role/Deploy
source_profile = dev

[profile three]
role_arn = arn:aws:iam::444444444444:role/Top
source_profile = chained
external_id = ext-1
duration_seconds = 1800
mfa_serial = arn:aws:iam::111111111111:mfa/ana

[profile static-config]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config

[profile both-files]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config

[profile keys-and-role]
aws_access_key_id = AKIDSELF
aws_secret_access_key = secret-self
role_arn = arn:aws:iam::555555555555:role/Self
source_profile = keys-and-role

[profile via-keys-and-role]
role_arn = arn:aws:iam::666666666666:role/Outer
source_profile = keys-and-role

[profile env-source]
role_arn = arn:aws:iam::777777777777:role/FromEnv
credential_source = Environment

[profile imds-source]
role_arn = arn:aws:iam::777777777777:role/FromImds
credential_source = Ec2InstanceMetadata

[profile container-source]
role_arn = arn:aws:iam::777777777777:role/FromEcs
credential_source = EcsContainer

[profile bad-source]
role_arn = arn:aws:iam::777777777777:role/X
credential_source = Somewhere

[profile web]
role_arn = arn:aws:iam::888888888888:role/Web
web_identity_token_file = /var/run/token

[profile process]
credential_process = /usr/bin/get-creds --profile x

[profile loop-a]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::111111111111:role/B
source_profile = loop-a

[profile missing-source]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = nowhere

[profile two-sources]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = dev
credential_source = Environment

[profile no-source]
role_arn = arn:aws:iam::111111111111:role/A

[profile empty]
region = eu-west-1

[profile partial]
aws_access_key_id = AKIDONLY
";

const CREDENTIALS: &str = "\
[creds]
aws_access_key_id = AKIDCREDS
aws_secret_access_key = secret-creds
aws_session_token = token-creds

[both-files]
aws_access_key_id = AKIDCREDSFILE
aws_secret_access_key = secret-credsfile
";

fn files() -> ProfileFiles {
    ProfileFiles::new(
        AwsConfig::parse(CONFIG).unwrap(),
        AwsConfig::parse_credentials(CREDENTIALS).unwrap(),
    )
}

fn env(vars: &[(&str, &str)]) -> Environment {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Environment::new(
        move |name| vars.get(name).map(OsString::from),
        Platform::Unix,
        Some("/home/ana".into()),
    )
}

fn options() -> ResolveOptions {
    ResolveOptions::new(
        CacheDir::new("/home/ana/.aws/sso/cache"),
        CredentialsCacheDir::new("/home/ana/.aws/cli/cache"),
    )
}

fn kinds(profile: &str, vars: &[(&str, &str)]) -> Vec<&'static str> {
    let r = resolve(
        &files(),
        &env(vars),
        &options().with_profile(profile),
        now(),
    )
    .unwrap_or_else(|e| panic!("{profile}: {e}"));
    r.links.iter().map(|l| l.kind.name()).collect()
}

fn error(profile: &str, vars: &[(&str, &str)]) -> ResolveError {
    resolve(
        &files(),
        &env(vars),
        &options().with_profile(profile),
        now(),
    )
    .err()
    .unwrap_or_else(|| panic!("{profile} resolved"))
}

#[test]
fn sso_profiles() {
    assert_eq!(kinds("dev", &[]), ["sso"]);
    assert_eq!(kinds("legacy", &[]), ["sso"]);
}

#[test]
fn chains_follow_source_profiles() {
    assert_eq!(kinds("chained", &[]), ["assume-role", "sso"]);
    assert_eq!(kinds("three", &[]), ["assume-role", "assume-role", "sso"]);
    let r = resolve(&files(), &env(&[]), &options().with_profile("three"), now()).unwrap();
    assert_eq!(r.sso().unwrap().profile, "dev");
    let CredentialsSource::AssumeRole { input, cache, .. } = &r.source else {
        panic!("assume role")
    };
    assert_eq!(input.role_arn, "arn:aws:iam::444444444444:role/Top");
    assert_eq!(input.external_id.as_deref(), Some("ext-1"));
    assert_eq!(input.duration_seconds, Some(1800));
    assert_eq!(
        input.serial_number.as_deref(),
        Some("arn:aws:iam::111111111111:mfa/ana")
    );
    // No session name configured: botocore's generated one.
    assert_eq!(input.role_session_name, format!("botocore-session-{NOW}"));
    let cache = cache.as_ref().unwrap();
    assert!(cache.file_name.ends_with(".json"), "{}", cache.file_name);
}

#[test]
fn a_profile_with_sso_keys_and_role_arn_assumes_the_role() {
    assert_eq!(kinds("mixed", &[]), ["assume-role", "sso"]);
    let r = resolve(&files(), &env(&[]), &options().with_profile("mixed"), now()).unwrap();
    match &r.links[0].kind {
        LinkKind::AssumeRole { role_arn, .. } => {
            assert_eq!(role_arn, "arn:aws:iam::333333333333:role/Deploy");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn static_keys_and_their_files() {
    assert_eq!(kinds("static-config", &[]), ["static keys"]);
    let r = resolve(&files(), &env(&[]), &options().with_profile("creds"), now()).unwrap();
    assert_eq!(
        r.links[0].kind,
        LinkKind::StaticKeys {
            file: KeysFile::Credentials
        }
    );
    let CredentialsSource::Static(c) = &r.source else {
        panic!("static")
    };
    assert_eq!(c.access_key_id, "AKIDCREDS");
    assert!(c.session_token.is_some());
    // The credentials file wins for the same profile.
    let r = resolve(
        &files(),
        &env(&[]),
        &options().with_profile("both-files"),
        now(),
    )
    .unwrap();
    let CredentialsSource::Static(c) = &r.source else {
        panic!("static")
    };
    assert_eq!(c.access_key_id, "AKIDCREDSFILE");
    assert!(!format!("{r:?}").contains("secret-credsfile"));
}

#[test]
fn a_source_profile_with_static_keys_uses_them() {
    // Self-reference with static keys: AssumeRole with the keys.
    assert_eq!(kinds("keys-and-role", &[]), ["assume-role", "static keys"]);
    // As a source, static keys win over its role_arn.
    assert_eq!(
        kinds("via-keys-and-role", &[]),
        ["assume-role", "static keys"]
    );
}

#[test]
fn credential_sources() {
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "secret-env"),
    ];
    assert_eq!(kinds("env-source", &keys), ["assume-role", "environment"]);
    assert_eq!(
        kinds("imds-source", &[]),
        ["assume-role", "instance-metadata"]
    );
    let container = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c")];
    assert_eq!(
        kinds("container-source", &container),
        ["assume-role", "container"]
    );
    assert!(matches!(
        error("container-source", &[]),
        ResolveError::SourceHasNoCredentials { .. }
    ));
    assert!(matches!(
        error("env-source", &[]),
        ResolveError::SourceHasNoCredentials { .. }
    ));
    assert!(matches!(
        error("bad-source", &[]),
        ResolveError::UnknownCredentialSource { .. }
    ));
}

#[test]
fn web_identity_and_process() {
    assert_eq!(kinds("web", &[]), ["web-identity"]);
    assert_eq!(kinds("process", &[]), ["credential_process"]);
    // The environment's web identity, for a profile not named explicitly.
    let vars = [
        ("AWS_PROFILE", "empty"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
    ];
    let r = resolve(&files(), &env(&vars), &options(), now()).unwrap();
    assert_eq!(r.links[0].kind.name(), "web-identity");
}

#[test]
fn broken_chains_are_clear_errors() {
    match error("loop-a", &[]) {
        ResolveError::Cycle { chain } => assert_eq!(chain, ["loop-a", "loop-b", "loop-a"]),
        other => panic!("{other}"),
    }
    assert!(matches!(
        error("missing-source", &[]),
        ResolveError::SourceProfileNotFound { .. }
    ));
    assert!(matches!(
        error("two-sources", &[]),
        ResolveError::BothSources { .. }
    ));
    assert!(matches!(
        error("no-source", &[]),
        ResolveError::NoRoleSource { .. }
    ));
    assert!(matches!(
        error("partial", &[]),
        ResolveError::PartialCredentials { .. }
    ));
    assert!(matches!(
        error("nope", &[]),
        ResolveError::Config(oidc_host::ConfigFileError::ProfileNotFound { .. })
    ));
}

#[test]
fn environment_keys_win_unless_the_profile_is_named_explicitly() {
    let vars = [
        ("AWS_PROFILE", "dev"),
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "secret-env"),
    ];
    let r = resolve(&files(), &env(&vars), &options(), now()).unwrap();
    assert_eq!(r.links[0].kind.name(), "environment");
    let r = resolve(&files(), &env(&vars), &options().with_profile("dev"), now()).unwrap();
    assert_eq!(r.links[0].kind.name(), "sso");
}

#[test]
fn nothing_configured_falls_back_to_the_machine() {
    assert_eq!(kinds("empty", &[]), ["instance-metadata"]);
    assert!(matches!(
        error("empty", &[("AWS_EC2_METADATA_DISABLED", "true")]),
        ResolveError::NoCredentials { .. }
    ));
}

#[test]
fn region_and_endpoints() {
    let vars = [("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9001")];
    let r = resolve(&files(), &env(&vars), &options().with_profile("dev"), now()).unwrap();
    assert_eq!(r.region.as_deref(), Some("eu-west-1"));
    let sts = r
        .config
        .endpoint_for(oidc_core::endpoint::Service::Sts, "eu-west-1")
        .unwrap();
    assert_eq!(sts.url(), "http://127.0.0.1:9001");
    // The caller's endpoint wins over the environment's.
    let r = resolve(
        &files(),
        &env(&vars),
        &options()
            .with_profile("dev")
            .with_endpoint_url("http://127.0.0.1:9002")
            .with_region("us-west-2"),
        now(),
    )
    .unwrap();
    assert_eq!(r.region.as_deref(), Some("us-west-2"));
    let sts = r
        .config
        .endpoint_for(oidc_core::endpoint::Service::Sts, "us-west-2")
        .unwrap();
    assert_eq!(sts.url(), "http://127.0.0.1:9002");
}
