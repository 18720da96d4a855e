//! The credentials sources beyond SSO roles, through each adapter's
//! `credentials`: an assumed role behind the AWS CLI's cache (one
//! AssumeRole for two providers), a role that needs an MFA code, web
//! identity, `credential_process`, the container endpoint and IMDSv2.

#[allow(unused_imports)]
use super::*;

use std::time::{Duration, SystemTime};

use oidc_host::{EnvLookup, MfaPrompt, RoleCache};

const MFA_SERIAL: &str = "arn:aws:iam::111111111111:mfa/conformance";
const MFA_SEED: &str = "JBSWY3DPEHPK3PXP";

fn fetch(env: &Env, source: CredentialsSource) -> Result<Credentials, Error> {
    let provider = CredentialsProvider::new(source);
    env.adapter
        .credentials(&provider, |_| panic!("no sign-in"), &CancelToken::new())
}

fn assumed(cache: Option<RoleCache>, mfa: Option<MfaPrompt>) -> CredentialsSource {
    let mut input = AssumeRoleInput::new(ROLE_ARN, "conformance");
    if mfa.is_some() {
        input.serial_number = Some(MFA_SERIAL.to_owned());
    }
    CredentialsSource::AssumeRole {
        source: Box::new(CredentialsSource::Static(static_credentials())),
        input,
        region: None,
        cache,
        mfa,
    }
}

fn env_of(vars: Vec<(&'static str, String)>) -> EnvLookup {
    EnvLookup::new(move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
}

pub(crate) fn source_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("credentials/assume_role_cached_across_providers")
            .emulator(iam_emulator())
            .action(|env| {
                let dir = tempfile::tempdir().expect("cli cache");
                let cache = RoleCache {
                    dir: CredentialsCacheDir::new(dir.path()),
                    file_name: "conformance-key.json".to_owned(),
                    lock_timeout: Duration::from_secs(5),
                };
                let first = fetch(env, assumed(Some(cache.clone()), None));
                // A second provider (another process, in effect) reads the entry.
                let second = fetch(env, assumed(Some(cache.clone()), None));
                let entry = cache.dir.read(&cache.file_name).expect("read").0;
                let first_key = first.as_ref().ok().map(|c| c.access_key_id.clone());
                format!(
                    "first={} second={} cached={}",
                    outcome::result(first, |c| creds(&c)),
                    outcome::result(second, |c| format!(
                        "same={}",
                        yes(first_key.as_deref() == Some(c.access_key_id.as_str()))
                    )),
                    yes(entry.is_some())
                )
            })
            .expect(
                r#"first=ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") second=ok same=yes cached=yes"#,
            )
            .counts(&[(AR, 1)]),
    );
    t.push(
        Scenario::new("credentials/assume_role_asks_for_the_mfa_code")
            .emulator(iam_emulator().with_mfa_device(MFA_SERIAL, MFA_SEED))
            .action(|env| {
                let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
                let seen = Arc::clone(&asked);
                let prompt = MfaPrompt::new(move |serial| {
                    seen.lock().expect("lock").push(serial.to_owned());
                    Ok(oidc_emulator::totp_code(MFA_SEED, SystemTime::now()))
                });
                let good = fetch(env, assumed(None, Some(prompt)));
                let wrong = fetch(
                    env,
                    assumed(None, Some(MfaPrompt::new(|_| Ok("000000".to_owned())))),
                );
                let missing = fetch(env, assumed(None, None).with_mfa_serial_only());
                format!(
                    "good={} asked={:?} wrong={} no-prompt={}",
                    outcome::result(good, |c| creds(&c)),
                    asked.lock().expect("lock"),
                    short(wrong),
                    short(missing)
                )
            })
            .expect(format!(
                "good=ok key=ASIA secret=yes token=yes ttl=60m account=Some(\"210987654321\") \
                 asked=[{MFA_SERIAL:?}] wrong=service AssumeRole 403 AccessDenied \
                 msg=\"MultiFactorAuthentication failed with invalid MFA one time pass code. \" \
                 rid=yes fault=Sender no-prompt=other the role needs an MFA code from {MFA_SERIAL} \
                 and there is no way to ask for it"
            ))
            .counts(&[(AR, 2)]),
    );
    t.push(
        Scenario::new("credentials/web_identity_token_file")
            .action(|env| {
                let dir = tempfile::tempdir().expect("dir");
                let token_file = dir.path().join("token");
                std::fs::write(&token_file, web_identity_jwt()).expect("token");
                let source = CredentialsSource::WebIdentity {
                    token_file: token_file.clone(),
                    role_arn: ROLE_ARN.to_owned(),
                    role_session_name: "conformance".to_owned(),
                    region: None,
                    cache: None,
                };
                let ok = fetch(env, source.clone());
                std::fs::remove_file(&token_file).expect("remove");
                let missing = fetch(env, source);
                format!(
                    "ok={} missing={}",
                    outcome::result(ok, |c| creds(&c)),
                    short(missing)
                )
                .replace(&dir.path().display().to_string(), "DIR")
            })
            .expect(
                r#"ok=ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") missing=other the web identity token file DIR/token cannot be read"#,
            )
            .counts(&[(ARWI, 1)]),
    );
    t.push(
        Scenario::new("credentials/credential_process")
            .action(|env| {
                let dir = tempfile::tempdir().expect("dir");
                let script = dir.path().join("creds.sh");
                std::fs::write(
                    &script,
                    "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"c2VjcmV0\", \"SessionToken\": \"dG9rZW4\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n",
                )
                .expect("script");
                let failing = dir.path().join("fail.sh");
                std::fs::write(&failing, "#!/bin/sh\necho nope >&2\nexit 3\n").expect("script");
                #[cfg(unix)]
                for path in [&script, &failing] {
                    use std::os::unix::fs::PermissionsExt as _;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                        .expect("chmod");
                }
                let run = |path: &std::path::Path| {
                    fetch(
                        env,
                        CredentialsSource::Process {
                            command: format!("'{}' --profile x", path.display()),
                            timeout: Duration::from_secs(10),
                        },
                    )
                };
                format!(
                    "ok={} failing={}",
                    outcome::result(run(&script), |c| format!(
                        "{} token={}",
                        c.access_key_id,
                        yes(c.session_token.is_some())
                    )),
                    short(run(&failing))
                )
                .replace(&dir.path().display().to_string(), "DIR")
            })
            .expect(
                "ok=ok AKIDPROCESS token=yes failing=other the credential_process command \
                 `DIR/fail.sh` failed (exit status: 3)",
            )
            .counts(&[]),
    );
    t.push(
        Scenario::new("credentials/container_endpoint")
            .action(|env| {
                let url = env.emu.container_credentials_url();
                let good = fetch(
                    env,
                    CredentialsSource::Container(env_of(vec![
                        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url.clone()),
                        (
                            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                            "emulator-container-token".to_owned(),
                        ),
                    ])),
                );
                let wrong = fetch(
                    env,
                    CredentialsSource::Container(env_of(vec![
                        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url),
                        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong".to_owned()),
                    ])),
                );
                format!(
                    "good={} wrong={}",
                    outcome::result(good, |c| creds(&c)),
                    short(wrong)
                )
            })
            .expect(
                "good=ok key=ASIA secret=yes token=yes ttl=360m account=None \
                 wrong=other the container credentials failed: container credentials request \
                 failed: HTTP 401 AccessDenied: The Authorization header does not match the \
                 container's token",
            )
            // The wrong token is tried three times, as botocore tries.
            .counts(&[("container_credentials", 4)]),
    );
    t.push(
        Scenario::new("credentials/instance_metadata_v2")
            .action(|env| {
                let source = CredentialsSource::InstanceMetadata(env_of(vec![(
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                    env.emu.imds_endpoint(),
                )]));
                let got = fetch(env, source);
                let caller = got.as_ref().ok().map(|c| {
                    outcome::result(
                        env.adapter
                            .call_signed(&GetCallerIdentityInput::new(), signed_by(c.clone())),
                        |o| o.arn,
                    )
                });
                format!(
                    "imds={} caller={}",
                    outcome::result(got, |c| creds(&c)),
                    caller.unwrap_or_default()
                )
            })
            .expect(
                "imds=ok key=ASIA secret=yes token=yes ttl=360m account=None \
                 caller=ok arn:aws:sts::123456789012:assumed-role/emulator-instance-role/i-0123456789abcdef0",
            )
            .counts(&[
                ("imds_put_token", 1),
                ("imds_get_role_name", 1),
                ("imds_get_credentials", 1),
                (GCI, 1),
            ]),
    );
}

/// A JWT-shaped token the emulator's AssumeRoleWithWebIdentity accepts
/// (header `{"alg":"RS256","typ":"JWT"}`, claims iss, sub, aud, exp 2100).
fn web_identity_jwt() -> &'static str {
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS5jb20iLCJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6YXBwIiwiYXVkIjoic3RzLmFtYXpvbmF3cy5jb20iLCJleHAiOjQxMDI0NDQ4MDB9.sig"
}

trait MfaSerialOnly {
    fn with_mfa_serial_only(self) -> Self;
}

impl MfaSerialOnly for CredentialsSource {
    /// The role needs an MFA code but no prompt is configured.
    fn with_mfa_serial_only(mut self) -> Self {
        if let CredentialsSource::AssumeRole { input, .. } = &mut self {
            input.serial_number = Some(MFA_SERIAL.to_owned());
        }
        self
    }
}

/// `ok`, or the error as the table shows errors.
fn short(r: Result<Credentials, Error>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => outcome::error(&e),
    }
}
