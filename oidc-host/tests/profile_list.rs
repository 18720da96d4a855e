//! `list_profiles`: every kind of profile summed up from its resolution, the
//! broken ones named with the reason (never a value), and a file of 20,000
//! profiles listed at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use oidc_host::aws_config::{AwsConfig, Environment};
use oidc_host::profile::{
    list_profiles, sso_session_names, ProfileFiles, ProfileKind, ProfileSummary, ResolveOptions,
};
use oidc_host::{CacheDir, CredentialsCacheDir, Platform};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[sso-session alt]
sso_start_url = https://d-0987654321.awsapps.com/start
sso_region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = ReadOnly
region = eu-west-1

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = Admin

[profile deploy]
role_arn = arn:aws:iam::222222222222:role/ci/Deploy
source_profile = dev
region = us-west-2

[profile top]
role_arn = arn:aws:iam::333333333333:role/Top
source_profile = deploy

[profile from-env]
role_arn = arn:aws:iam::444444444444:role/FromEnv
credential_source = Environment

[profile static-config]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config-value

[profile proc]
credential_process = /usr/local/bin/get-creds --secret-flag hunter2

[profile web]
web_identity_token_file = /var/run/token
role_arn = arn:aws:iam::555555555555:role/Web

[profile nothing]
region = ap-south-1

[profile broken]
role_arn = arn:aws:iam::666666666666:role/Broken
source_profile = missing

[profile partial]
aws_access_key_id = AKIDPARTIAL-value-xyz

[profile bad-session]
sso_session = nope
sso_account_id = 111111111111
sso_role_name = ReadOnly

[profile loop-a]
role_arn = arn:aws:iam::777777777777:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::777777777777:role/B
source_profile = loop-a
";

const CREDENTIALS: &str = "\
[static-creds]
aws_access_key_id = AKIDCREDS
aws_secret_access_key = secret-creds-value
";

fn options() -> ResolveOptions {
    ResolveOptions::new(
        CacheDir::new("/nonexistent/sso/cache"),
        CredentialsCacheDir::new("/nonexistent/cli/cache"),
    )
}

fn env(vars: &[(&str, &str)]) -> Environment {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Environment::new(
        move |name| vars.get(name).map(Into::into),
        Platform::Unix,
        None,
    )
}

fn files() -> ProfileFiles {
    ProfileFiles::new(
        AwsConfig::parse(CONFIG).unwrap(),
        AwsConfig::parse_credentials(CREDENTIALS).unwrap(),
    )
}

fn by_name(list: &[ProfileSummary]) -> HashMap<&str, &ProfileSummary> {
    list.iter().map(|p| (p.name.as_str(), p)).collect()
}

#[test]
fn every_kind_is_summed_up_from_its_resolution() {
    let files = files();
    let list = list_profiles(&files, &env(&[]), &options(), now());
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    assert_eq!(names.len(), 15, "{names:?}");
    let p = by_name(&list);

    let dev = p["dev"];
    assert_eq!(dev.kind, ProfileKind::Sso);
    assert_eq!(dev.sso_session.as_deref(), Some("corp"));
    assert_eq!(
        dev.start_url.as_deref(),
        Some("https://d-1234567890.awsapps.com/start")
    );
    assert_eq!(dev.account_id.as_deref(), Some("111111111111"));
    assert_eq!(dev.role_name.as_deref(), Some("ReadOnly"));
    assert_eq!(dev.region.as_deref(), Some("eu-west-1"));
    assert_eq!(dev.source, None);

    let legacy = p["legacy"];
    assert_eq!(legacy.kind, ProfileKind::Sso);
    assert_eq!(legacy.sso_session, None);
    assert_eq!(legacy.role_name.as_deref(), Some("Admin"));

    let deploy = p["deploy"];
    assert_eq!(deploy.kind, ProfileKind::Chained);
    assert_eq!(deploy.account_id.as_deref(), Some("222222222222"));
    assert_eq!(deploy.role_name.as_deref(), Some("Deploy"));
    assert_eq!(deploy.source.as_deref(), Some("dev"));
    assert_eq!(deploy.sso_session.as_deref(), Some("corp"));
    assert_eq!(deploy.region.as_deref(), Some("us-west-2"));

    let top = p["top"];
    assert_eq!(top.kind, ProfileKind::Chained);
    assert_eq!(top.source.as_deref(), Some("deploy"));
    assert_eq!(top.role_name.as_deref(), Some("Top"));
    assert_eq!(top.sso_session.as_deref(), Some("corp"));

    // A named profile never takes the environment's keys, so a
    // credential_source of Environment without them does not resolve.
    assert!(matches!(p["from-env"].kind, ProfileKind::Invalid { .. }));

    assert_eq!(p["static-config"].kind, ProfileKind::Static);
    assert_eq!(p["static-creds"].kind, ProfileKind::Static);
    assert_eq!(p["proc"].kind, ProfileKind::Process);
    let web = p["web"];
    assert_eq!(web.kind, ProfileKind::WebIdentity);
    assert_eq!(web.account_id.as_deref(), Some("555555555555"));
    assert_eq!(web.role_name.as_deref(), Some("Web"));
    assert_eq!(web.source, None);
    assert_eq!(p["nothing"].kind, ProfileKind::InstanceMetadata);
    assert_eq!(p["nothing"].region.as_deref(), Some("ap-south-1"));

    for (name, needle) in [
        ("broken", "missing"),
        ("partial", "aws_secret_access_key"),
        ("bad-session", "nope"),
        ("loop-a", "loop"),
    ] {
        match &p[name].kind {
            ProfileKind::Invalid { reason } => {
                assert!(reason.contains(needle), "{name}: {reason}")
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(p[name].account_id, None);
    }
}

#[test]
fn reasons_and_summaries_carry_no_secret_value() {
    let list = list_profiles(&files(), &env(&[]), &options(), now());
    let text = format!("{list:?}");
    for secret in [
        "secret-config-value",
        "secret-creds-value",
        "AKIDPARTIAL-value-xyz",
        "hunter2",
        "AKIDCONFIG",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn the_environment_applies_as_for_a_named_profile() {
    let files = files();
    // Container credentials for a profile with nothing of its own; no
    // instance metadata when disabled; the environment's region wins.
    let e = env(&[
        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials"),
        ("AWS_REGION", "sa-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "secret-env"),
    ]);
    let list = list_profiles(&files, &e, &options(), now());
    let p = by_name(&list);
    assert_eq!(p["nothing"].kind, ProfileKind::Container);
    assert_eq!(p["dev"].region.as_deref(), Some("sa-east-1"));
    // Explicitly named: the environment's keys are not the profile's.
    assert_eq!(p["dev"].kind, ProfileKind::Sso);
    assert_eq!(p["from-env"].kind, ProfileKind::Chained);
    assert_eq!(p["from-env"].source, None);

    let e = env(&[("AWS_EC2_METADATA_DISABLED", "true")]);
    let list = list_profiles(&files, &e, &options(), now());
    assert!(matches!(
        by_name(&list)["nothing"].kind,
        ProfileKind::Invalid { .. }
    ));
}

#[test]
fn session_names_are_sorted() {
    assert_eq!(sso_session_names(&files()), ["alt", "corp"]);
    assert!(sso_session_names(&ProfileFiles::default()).is_empty());
}

#[test]
fn no_profiles_list_empty() {
    let list = list_profiles(&ProfileFiles::default(), &env(&[]), &options(), now());
    assert!(list.is_empty());
}

#[test]
fn twenty_thousand_profiles_list_in_well_under_a_second() {
    let mut config = String::from(
        "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let n = 20_000;
    for i in 0..n {
        match i % 5 {
            0 => write!(
                config,
                "[profile p{i:05}]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R{i}\nregion = eu-west-1\n"
            ),
            1 => write!(
                config,
                "[profile p{i:05}]\nrole_arn = arn:aws:iam::222222222222:role/R{i}\nsource_profile = p{:05}\n",
                i - 1
            ),
            2 => write!(
                config,
                "[profile p{i:05}]\naws_access_key_id = AKID{i}\naws_secret_access_key = s{i}\n"
            ),
            3 => write!(config, "[profile p{i:05}]\ncredential_process = get {i}\n"),
            _ => write!(
                config,
                "[profile p{i:05}]\nrole_arn = arn:aws:iam::222222222222:role/R{i}\nsource_profile = gone\n"
            ),
        }
        .unwrap();
    }
    let files = ProfileFiles::new(AwsConfig::parse(&config).unwrap(), AwsConfig::default());
    let e = env(&[]);
    let options = options();
    let start = Instant::now();
    let list = list_profiles(&files, &e, &options, now());
    let took = start.elapsed();
    assert_eq!(list.len(), n);
    assert_eq!(list[0].kind, ProfileKind::Sso);
    assert_eq!(list[1].kind, ProfileKind::Chained);
    assert_eq!(list[1].source.as_deref(), Some("p00000"));
    assert!(matches!(list[4].kind, ProfileKind::Invalid { .. }));
    // About 0.2 s optimised (the release profile) on one core of the CI
    // machine; unoptimised test builds are three to four times slower, so
    // they get more room. A quadratic listing would take minutes.
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 4 } else { 1 });
    assert!(took < limit, "took {took:?}");
}
