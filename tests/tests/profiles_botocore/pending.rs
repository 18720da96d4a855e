//! Rows that need emulator features being added on another branch:
//! IMDSv2 (`with_instance_role`, `with_imds`, `Emulator::imds_endpoint`),
//! container credentials (`GET /container-credentials`,
//! `with_container_authorization`, `Emulator::container_credentials_url`),
//! MFA devices (`with_mfa_device`, `totp_code`), role trust policies
//! (`RoleTrust`, `with_role_trust`) and the request log's `params`,
//! `signing_access_key_id` and `signing_region`.
//!
//! NOT compiled yet. To switch on after the merge, in
//! `tests/tests/profiles_botocore.rs`:
//!
//! ```text
//! #[path = "profiles_botocore/pending.rs"]
//! mod pending;
//! ...
//! rows.extend(pending::pending_rows());
//! ```
//!
//! and drop the `#[allow(dead_code)]`s in `rows.rs` that name this file.

use std::time::SystemTime;

use oidc_emulator::{totp_code, Emulator, EmulatorConfig, LoggedRequest, RoleTrust};

use super::rows::{generated, static_section, Expect, Row, DEPLOY, DEPLOY_SESSION};
use super::{KEY_A, REGION};

/// The MFA device of the IAM user `emulator-user` (KEY_A's user).
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/emulator-user";
/// Its TOTP seed (base32).
const MFA_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const EXTERNAL_ID: &str = "ext-123456";
/// The emulator's default container authorization token.
const CONTAINER_TOKEN: &str = "emulator-container-token";

fn instance_role(c: EmulatorConfig) -> EmulatorConfig {
    c.with_instance_role("EmuInstanceRole").with_imds(true)
}

fn imds_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_string(),
        emu.imds_endpoint().to_string(),
    )]
}

fn container_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_string(),
            emu.container_credentials_url().to_string(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_string(),
            CONTAINER_TOKEN.to_string(),
        ),
    ]
}

fn container_env_wrong_token(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_string(),
            emu.container_credentials_url().to_string(),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_string(),
            "not-the-token".to_string(),
        ),
    ]
}

fn mfa_device_and_trust(c: EmulatorConfig) -> EmulatorConfig {
    c.with_mfa_device(MFA_SERIAL, MFA_SEED)
        .with_role_trust(DEPLOY, RoleTrust::default().require_mfa())
}

fn mfa_code(now: SystemTime) -> String {
    totp_code(MFA_SEED, now)
}

fn wrong_mfa_code(now: SystemTime) -> String {
    // A valid-looking code that is not the current one.
    let right = totp_code(MFA_SEED, now);
    let first = right.as_bytes()[0];
    let swapped = if first == b'9' {
        '0'
    } else {
        (first + 1) as char
    };
    format!("{swapped}{}", &right[1..])
}

fn external_id_trust(c: EmulatorConfig) -> EmulatorConfig {
    c.with_role_trust(
        DEPLOY,
        RoleTrust::default().require_external_id(EXTERNAL_ID),
    )
}

/// The AssumeRole requests of a run.
fn assume_role_requests(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter()
        .filter(|r| r.operation.as_deref() == Some("AssumeRole"))
        .collect()
}

/// Every AssumeRole sent the parameter `key` = `value`.
fn param_sent(log: &[LoggedRequest], key: &str, value: &str) -> Result<(), String> {
    let calls = assume_role_requests(log);
    if calls.is_empty() {
        return Err("no AssumeRole sent".into());
    }
    for r in calls {
        match r.params.get(key) {
            Some(v) if v == value => {}
            other => return Err(format!("AssumeRole {key} = {other:?}, expected {value:?}")),
        }
    }
    Ok(())
}

fn sends_external_id(log: &[LoggedRequest]) -> Result<(), String> {
    param_sent(log, "ExternalId", EXTERNAL_ID)
}

fn sends_duration_1800(log: &[LoggedRequest]) -> Result<(), String> {
    param_sent(log, "DurationSeconds", "1800")
}

fn sends_mfa_serial(log: &[LoggedRequest]) -> Result<(), String> {
    param_sent(log, "SerialNumber", MFA_SERIAL)?;
    let calls = assume_role_requests(log);
    if calls
        .iter()
        // The emulator's log redacts the code; that it is there is what counts.
        .all(|r| r.params.contains_key("TokenCode"))
    {
        Ok(())
    } else {
        Err("an AssumeRole without a TokenCode".into())
    }
}

fn sends_session_name(log: &[LoggedRequest]) -> Result<(), String> {
    param_sent(log, "RoleSessionName", "alice-session")
}

/// The first hop is signed with KEY_A, every STS request for the
/// emulator's region.
fn signed_with_key_a_in_region(log: &[LoggedRequest]) -> Result<(), String> {
    let calls = assume_role_requests(log);
    let Some(first) = calls.first() else {
        return Err("no AssumeRole sent".into());
    };
    if !calls
        .iter()
        .any(|r| r.signing_access_key_id.as_deref() == Some(KEY_A.0))
    {
        return Err(format!(
            "no AssumeRole signed with the source profile's key (first: {:?})",
            first.signing_access_key_id
        ));
    }
    for r in calls {
        if r.signing_region.as_deref() != Some(REGION) {
            return Err(format!("AssumeRole signed for {:?}", r.signing_region));
        }
    }
    Ok(())
}

pub(crate) fn pending_rows() -> Vec<Row> {
    vec![
        // --- credential_source from IMDS and the container endpoint -----
        Row::new("credential-source-ec2-imds", generated(DEPLOY_SESSION))
            .emulator(instance_role)
            .emulator_env(imds_env)
            .env_unset("AWS_EC2_METADATA_DISABLED")
            .config(format!(
                "[profile target]\nrole_arn = {DEPLOY}\n\
                 credential_source = Ec2InstanceMetadata\n"
            )),
        Row::new("credential-source-ecs-container", generated(DEPLOY_SESSION))
            .emulator_env(container_env)
            .config(format!(
                "[profile target]\nrole_arn = {DEPLOY}\ncredential_source = EcsContainer\n"
            )),
        Row::new(
            "fail-credential-source-container-wrong-token",
            Expect::Failure(""),
        )
        .emulator_env(container_env_wrong_token)
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\ncredential_source = EcsContainer\n"
        )),
        // --- MFA ---------------------------------------------------------
        Row::new("role-with-mfa", generated(DEPLOY_SESSION))
            .emulator(mfa_device_and_trust)
            .mfa(mfa_code)
            .check(sends_mfa_serial)
            .credentials(static_section("base", KEY_A))
            .config(format!(
                "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
                 mfa_serial = {MFA_SERIAL}\n"
            )),
        Row::new(
            "fail-role-with-wrong-mfa-code",
            Expect::Failure("AccessDenied"),
        )
        .emulator(mfa_device_and_trust)
        .mfa(wrong_mfa_code)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
                 mfa_serial = {MFA_SERIAL}\n"
        )),
        Row::new(
            "fail-role-requiring-mfa-without-mfa-serial",
            Expect::Failure("AccessDenied"),
        )
        .emulator(mfa_device_and_trust)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n"
        )),
        // --- trust policy: ExternalId -----------------------------------
        Row::new(
            "role-external-id-required-and-given",
            generated(DEPLOY_SESSION),
        )
        .emulator(external_id_trust)
        .check(sends_external_id)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
                 external_id = {EXTERNAL_ID}\n"
        )),
        Row::new(
            "fail-role-external-id-required-and-missing",
            Expect::Failure("AccessDenied"),
        )
        .emulator(external_id_trust)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n"
        )),
        Row::new(
            "fail-role-external-id-required-and-wrong",
            Expect::Failure("AccessDenied"),
        )
        .emulator(external_id_trust)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
             external_id = ext-wrong-1\n"
        )),
        // --- what was sent (request-log params and signing) -------------
        Row::new("role-duration-seconds-sent", generated(DEPLOY_SESSION))
            .check(sends_duration_1800)
            .check(signed_with_key_a_in_region)
            .credentials(static_section("base", KEY_A))
            .config(format!(
                "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
                 duration_seconds = 1800\n"
            )),
        Row::new(
            "role-session-name-sent",
            super::rows::ident("arn:aws:sts::222222222222:assumed-role/Deploy/alice-session"),
        )
        .check(sends_session_name)
        .check(signed_with_key_a_in_region)
        .credentials(static_section("base", KEY_A))
        .config(format!(
            "[profile target]\nrole_arn = {DEPLOY}\nsource_profile = base\n\
             role_session_name = alice-session\n"
        )),
    ]
}
