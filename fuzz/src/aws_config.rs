//! Fuzz target `aws_config`: the `~/.aws/config` parser and writers of
//! `oidc-host`.

/// Arbitrary bytes as `~/.aws/config` (`oidc_host::aws_config`):
///
/// * parsing never panics, and an error never shows a value from the file
///   (only line numbers, section and key names): a value line
///   `key = <distinctive value>` is planted and searched for;
/// * when the text parses, the writers keep it parsable: after
///   `upsert_sso_session` and `upsert_profile` the result parses, holds
///   the new values, and every section that was there before is unchanged.
pub fn aws_config(data: &[u8]) {
    use oidc_host::aws_config::{upsert_profile, upsert_sso_session, AwsConfig};

    const PLANTED: &str = "PlantedSecretValue0123456789abcdef";
    let mut bytes = data.to_vec();
    bytes.extend_from_slice(format!("\nplanted_key = {PLANTED}\n").as_bytes());
    if let Err(e) = AwsConfig::parse_bytes(&bytes) {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains(PLANTED),
            "a parse error shows a value: {shown}"
        );
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(before) = AwsConfig::parse(text) else {
        return;
    };
    let Ok(written) = upsert_sso_session(
        text,
        "fuzz-session",
        "https://d-1234567890.awsapps.com/start",
        "eu-west-1",
        &["sso:account:access"],
    ) else {
        return;
    };
    let Ok(written) = upsert_profile(
        &written,
        "fuzz-profile",
        &[("sso_session", "fuzz-session"), ("region", "eu-west-1")],
    ) else {
        return;
    };
    let after = AwsConfig::parse(&written).expect("the writers' output parses");
    let session = after.sso_session("fuzz-session").expect("the new session");
    assert_eq!(
        session.start_url(),
        Some("https://d-1234567890.awsapps.com/start")
    );
    assert_eq!(session.region(), Some("eu-west-1"));
    let profile = after.profile("fuzz-profile").expect("the new profile");
    assert_eq!(profile.sso_session(), Some("fuzz-session"));
    for (name, old) in &before.profiles {
        if name != "fuzz-profile" {
            assert_eq!(
                after.profiles.get(name).map(|p| &p.properties),
                Some(&old.properties),
                "profile {name:?} changed"
            );
        }
    }
    for (name, old) in &before.sso_sessions {
        if name != "fuzz-session" {
            assert_eq!(
                after.sso_sessions.get(name).map(|s| &s.properties),
                Some(&old.properties),
                "sso-session {name:?} changed"
            );
        }
    }
}
