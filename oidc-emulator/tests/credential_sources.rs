//! IMDSv2 and container credentials, TOTP MFA devices, role trust
//! conditions and the request log's parameter detail, over real 127.0.0.1
//! sockets (every read bounded by `common::TIMEOUT`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use oidc_emulator::{totp_code, Emulator, EmulatorConfig, RoleTrust, REDACTED};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const SEED: &str = "JBSWY3DPEHPK3PXP";
const ALICE_MFA: &str = "arn:aws:iam::111111111111:mfa/alice";
const MFA_FAILED: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
const TOKEN_PATH: &str = "/latest/api/token";
const CREDS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `POST /` signed with `creds` at the emulator's time.
fn sts(emu: &Emulator, creds: &Credentials, body: &str) -> Resp {
    let headers = sign_headers(
        "POST",
        "/",
        &[("content-type", FORM)],
        body.as_bytes(),
        creds,
        "sts",
        emulator_now(emu),
    );
    request(
        emu.addr(),
        "POST",
        "/",
        &header_refs(&headers),
        body.as_bytes(),
    )
}

/// Text of the first `<tag>` element.
fn text(r: &Resp, tag: &str) -> Option<String> {
    let body = r.text();
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].replace("&amp;", "&"))
}

fn caller_arn(emu: &Emulator, c: &Credentials) -> String {
    let r = sts(emu, c, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(r.status, 200, "{}", r.text());
    text(&r, "Arn").unwrap()
}

fn creds_of_xml(r: &Resp) -> Credentials {
    Credentials::new(
        text(r, "AccessKeyId").unwrap(),
        text(r, "SecretAccessKey").unwrap(),
    )
    .with_session_token(text(r, "SessionToken").unwrap())
}

fn assume_role(emu: &Emulator, c: &Credentials, role_arn: &str, extra: &str) -> Resp {
    let mut body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=s1",
        pct(role_arn)
    );
    if !extra.is_empty() {
        body.push('&');
        body.push_str(extra);
    }
    sts(emu, c, &body)
}

fn error_code_message(r: &Resp) -> (u16, String, String) {
    (
        r.status,
        text(r, "Code").unwrap_or_default(),
        text(r, "Message").unwrap_or_default(),
    )
}

fn is_rfc3339_z(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T'
}

fn imds_token(emu: &Emulator, ttl: &str) -> Resp {
    request(
        emu.addr(),
        "PUT",
        TOKEN_PATH,
        &[("x-aws-ec2-metadata-token-ttl-seconds", ttl)],
        b"",
    )
}

fn imds_get(emu: &Emulator, target: &str, token: &str) -> Resp {
    request(
        emu.addr(),
        "GET",
        target,
        &[("x-aws-ec2-metadata-token", token)],
        b"",
    )
}

#[test]
fn imds_v2_hands_out_instance_role_credentials() {
    let emu = Emulator::start_default().unwrap();
    assert_eq!(emu.imds_endpoint(), format!("{}/", emu.base_url()));

    // The token route: PUT only, a TTL of 1..=21600 seconds, no proxies.
    assert_eq!(get(emu.addr(), TOKEN_PATH).status, 405);
    for bad in ["0", "21601", "abc", "-5", ""] {
        assert_eq!(imds_token(&emu, bad).status, 400, "ttl {bad:?}");
    }
    assert_eq!(
        request(emu.addr(), "PUT", TOKEN_PATH, &[], b"").status,
        400,
        "no TTL header"
    );
    let proxied = request(
        emu.addr(),
        "PUT",
        TOKEN_PATH,
        &[
            ("x-aws-ec2-metadata-token-ttl-seconds", "60"),
            ("X-Forwarded-For", "10.0.0.1"),
        ],
        b"",
    );
    assert_eq!(proxied.status, 403);
    let r = imds_token(&emu, "21600");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    let token = r.text();
    assert!(token.len() > 40, "{token}");
    assert_ne!(imds_token(&emu, "60").text(), token);

    // Reads need a live token.
    assert_eq!(get(emu.addr(), CREDS_PATH).status, 401);
    assert_eq!(imds_get(&emu, CREDS_PATH, "bogus").status, 401);
    let listing = imds_get(&emu, CREDS_PATH, &token);
    assert_eq!(listing.status, 200);
    assert_eq!(listing.text(), "emulator-instance-role");
    let no_slash = imds_get(&emu, CREDS_PATH.trim_end_matches('/'), &token);
    assert_eq!(no_slash.text(), "emulator-instance-role");
    let proxied = request(
        emu.addr(),
        "GET",
        CREDS_PATH,
        &[
            ("x-aws-ec2-metadata-token", &token),
            ("x-forwarded-for", "10.0.0.1"),
        ],
        b"",
    );
    assert_eq!(proxied.status, 403);

    assert_eq!(
        imds_get(&emu, &format!("{CREDS_PATH}other-role"), &token).status,
        404
    );
    let put = request(
        emu.addr(),
        "PUT",
        CREDS_PATH,
        &[("x-aws-ec2-metadata-token", &token)],
        b"",
    );
    assert_eq!(put.status, 405);
    assert_eq!(
        request(emu.addr(), "POST", "/container-credentials", &[], b"").status,
        405
    );
    assert_eq!(
        get(emu.addr(), &format!("{CREDS_PATH}emulator-instance-role")).status,
        401
    );
    let r = imds_get(&emu, &format!("{CREDS_PATH}emulator-instance-role"), &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["Code"], "Success");
    assert_eq!(doc["Type"], "AWS-HMAC");
    assert!(is_rfc3339_z(doc["Expiration"].as_str().unwrap()), "{doc}");
    assert!(is_rfc3339_z(doc["LastUpdated"].as_str().unwrap()), "{doc}");
    let akid = doc["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA"), "{akid}");
    let creds = Credentials::new(akid, doc["SecretAccessKey"].as_str().unwrap())
        .with_session_token(doc["Token"].as_str().unwrap());
    // The same credentials until they near their expiry.
    let again = imds_get(&emu, &format!("{CREDS_PATH}emulator-instance-role"), &token).json();
    assert_eq!(again["AccessKeyId"], doc["AccessKeyId"]);

    // STS recognises them, and AssumeRole signed with them works.
    assert_eq!(
        caller_arn(&emu, &creds),
        "arn:aws:sts::123456789012:assumed-role/emulator-instance-role/i-0123456789abcdef0"
    );
    let r = assume_role(&emu, &creds, "arn:aws:iam::123456789012:role/next", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        caller_arn(&emu, &creds_of_xml(&r)),
        "arn:aws:sts::123456789012:assumed-role/next/s1"
    );
    let kinds: Vec<String> = emu.sts_sessions().into_iter().map(|s| s.kind).collect();
    assert!(kinds.iter().any(|k| k == "instance-profile"), "{kinds:?}");

    // Tokens expire with the emulator's clock; new credentials come once
    // the old ones near their end.
    let short = imds_token(&emu, "1").text();
    emu.advance(Duration::from_secs(2));
    assert_eq!(imds_get(&emu, CREDS_PATH, &short).status, 401);
    emu.advance(Duration::from_secs(6 * 3600));
    assert_eq!(imds_get(&emu, CREDS_PATH, &token).status, 401);
    let fresh = imds_token(&emu, "60").text();
    let later = imds_get(&emu, &format!("{CREDS_PATH}emulator-instance-role"), &fresh).json();
    assert_ne!(later["AccessKeyId"], doc["AccessKeyId"]);
}

#[test]
fn imds_role_name_and_switch() {
    let emu = Emulator::start(EmulatorConfig::default().with_instance_role("web-server")).unwrap();
    let token = imds_token(&emu, "60").text();
    assert_eq!(imds_get(&emu, CREDS_PATH, &token).text(), "web-server");
    let r = imds_get(&emu, &format!("{CREDS_PATH}web-server"), &token);
    assert_eq!(r.status, 200);
    assert_eq!(
        imds_get(&emu, &format!("{CREDS_PATH}emulator-instance-role"), &token).status,
        404
    );

    let off = Emulator::start(EmulatorConfig::default().with_imds(false)).unwrap();
    assert_eq!(imds_token(&off, "60").status, 404);
    assert_eq!(get(off.addr(), CREDS_PATH).status, 404);
}

#[test]
fn container_credentials_need_the_token() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_container_authorization("secret-task-token")
            .with_container_role("orders-task"),
    )
    .unwrap();
    let url = emu.container_credentials_url();
    assert_eq!(url, format!("{}/container-credentials", emu.base_url()));
    let target = path_of(&url);

    let missing = get(emu.addr(), &target);
    assert!(matches!(missing.status, 401 | 403), "{}", missing.status);
    assert_eq!(missing.json()["code"], "AccessDenied");
    assert!(missing.json()["message"].is_string());
    for wrong in [
        "emulator-container-token",
        "secret-task-toke",
        "secret-task-tokenx",
    ] {
        let r = request(emu.addr(), "GET", &target, &[("Authorization", wrong)], b"");
        assert!(matches!(r.status, 401 | 403), "{wrong}: {}", r.status);
        assert_eq!(r.json()["code"], "AccessDenied");
    }

    let r = request(
        emu.addr(),
        "GET",
        &target,
        &[("Authorization", "secret-task-token")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["RoleArn"], "arn:aws:iam::123456789012:role/orders-task");
    assert!(is_rfc3339_z(doc["Expiration"].as_str().unwrap()), "{doc}");
    let creds = Credentials::new(
        doc["AccessKeyId"].as_str().unwrap(),
        doc["SecretAccessKey"].as_str().unwrap(),
    )
    .with_session_token(doc["Token"].as_str().unwrap());
    assert_eq!(
        caller_arn(&emu, &creds),
        "arn:aws:sts::123456789012:assumed-role/orders-task/emulator-task"
    );

    // Defaults.
    let emu = Emulator::start_default().unwrap();
    let r = request(
        emu.addr(),
        "GET",
        "/container-credentials",
        &[("Authorization", "emulator-container-token")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["RoleArn"],
        "arn:aws:iam::123456789012:role/emulator-task-role"
    );
}

fn mfa_emu(trusts: &[(&str, RoleTrust)]) -> Emulator {
    let mut cfg = EmulatorConfig::default()
        .with_static_credentials(TEST_AKID, TEST_SECRET)
        .with_mfa_device(ALICE_MFA, SEED);
    for (arn, t) in trusts {
        cfg = cfg.with_role_trust(arn, t.clone());
    }
    Emulator::start(cfg).unwrap()
}

fn mfa_params(serial: &str, code: &str) -> String {
    format!("SerialNumber={}&TokenCode={code}", pct(serial))
}

#[test]
fn mfa_codes_are_checked() {
    let emu = mfa_emu(&[]);
    let me = Credentials::new(TEST_AKID, TEST_SECRET);
    let now = emulator_now(&emu);
    let code = totp_code(SEED, now);
    assert_eq!(code.len(), 6);
    let session = |extra: &str| {
        sts(
            &emu,
            &me,
            &format!("Action=GetSessionToken&Version=2011-06-15&{extra}"),
        )
    };

    // The current code, twice (reuse is allowed), and the previous window.
    for _ in 0..2 {
        let r = session(&mfa_params(ALICE_MFA, &code));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let previous = totp_code(SEED, now - Duration::from_secs(30));
    assert_eq!(session(&mfa_params(ALICE_MFA, &previous)).status, 200);
    let next = totp_code(SEED, now + Duration::from_secs(30));
    assert_eq!(session(&mfa_params(ALICE_MFA, &next)).status, 200);

    // A wrong code, a code from long ago, an unknown device, no code.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let old = totp_code(SEED, now - Duration::from_secs(600));
    let unknown = "arn:aws:iam::111111111111:mfa/bob";
    for extra in [
        mfa_params(ALICE_MFA, wrong),
        mfa_params(ALICE_MFA, &old),
        mfa_params(unknown, &code),
        format!("SerialNumber={}", pct(ALICE_MFA)),
    ] {
        if extra.ends_with(&old) && [&code, &previous, &next].contains(&&old) {
            continue;
        }
        let r = session(&extra);
        assert_eq!(
            error_code_message(&r),
            (403, "AccessDenied".into(), MFA_FAILED.into()),
            "{extra}"
        );
    }

    // AssumeRole checks codes too.
    let role = "arn:aws:iam::123456789012:role/plain";
    let r = assume_role(&emu, &me, role, &mfa_params(ALICE_MFA, wrong));
    assert_eq!(error_code_message(&r).2, MFA_FAILED);
    let r = assume_role(&emu, &me, role, &mfa_params(ALICE_MFA, &code));
    assert_eq!(r.status, 200, "{}", r.text());

    // Codes follow the emulator's clock.
    emu.advance(Duration::from_secs(3600));
    let r = assume_role(&emu, &me, role, &mfa_params(ALICE_MFA, &code));
    if totp_code(SEED, emulator_now(&emu)) != code {
        assert_eq!(r.status, 403);
    }
    let later = totp_code(SEED, emulator_now(&emu));
    let r = assume_role(&emu, &me, role, &mfa_params(ALICE_MFA, &later));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn trust_policies_require_external_id_and_mfa() {
    let ext_role = "arn:aws:iam::123456789012:role/partner";
    let mfa_role = "arn:aws:iam::123456789012:role/admin";
    let both_role = "arn:aws:iam::123456789012:role/both";
    let emu = mfa_emu(&[
        (
            ext_role,
            RoleTrust::default().require_external_id("ext-123"),
        ),
        (mfa_role, RoleTrust::default().require_mfa()),
        (
            both_role,
            RoleTrust::default()
                .require_external_id("ext-9")
                .require_mfa(),
        ),
    ]);
    let me = Credentials::new(TEST_AKID, TEST_SECRET);
    let my_arn = "arn:aws:iam::123456789012:user/emulator-user";
    let denied = |role: &str| {
        (
            403,
            "AccessDenied".to_string(),
            format!(
                "User: {my_arn} is not authorized to perform: sts:AssumeRole on resource: {role}"
            ),
        )
    };

    // ExternalId.
    let r = assume_role(&emu, &me, ext_role, "");
    assert_eq!(error_code_message(&r), denied(ext_role));
    let r = assume_role(&emu, &me, ext_role, "ExternalId=ext-999");
    assert_eq!(error_code_message(&r), denied(ext_role));
    let r = assume_role(&emu, &me, ext_role, "ExternalId=ext-123");
    assert_eq!(r.status, 200, "{}", r.text());

    // MFA.
    let code = totp_code(SEED, emulator_now(&emu));
    let r = assume_role(&emu, &me, mfa_role, "");
    assert_eq!(error_code_message(&r), denied(mfa_role));
    let r = assume_role(&emu, &me, mfa_role, &mfa_params(ALICE_MFA, &code));
    assert_eq!(r.status, 200, "{}", r.text());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = assume_role(&emu, &me, mfa_role, &mfa_params(ALICE_MFA, wrong));
    assert_eq!(error_code_message(&r).2, MFA_FAILED);

    // Session credentials from an MFA-authenticated GetSessionToken carry
    // the MFA; those without it do not.
    let r = sts(
        &emu,
        &me,
        &format!(
            "Action=GetSessionToken&Version=2011-06-15&{}",
            mfa_params(ALICE_MFA, &code)
        ),
    );
    let with_mfa = creds_of_xml(&r);
    assert_eq!(
        assume_role(&emu, &with_mfa, mfa_role, "").status,
        200,
        "MFA session"
    );
    let r = sts(&emu, &me, "Action=GetSessionToken&Version=2011-06-15");
    let without = creds_of_xml(&r);
    assert_eq!(
        error_code_message(&assume_role(&emu, &without, mfa_role, "")),
        denied(mfa_role)
    );

    // Both conditions.
    let r = assume_role(&emu, &me, both_role, "ExternalId=ext-9");
    assert_eq!(error_code_message(&r), denied(both_role));
    let r = assume_role(&emu, &me, both_role, &mfa_params(ALICE_MFA, &code));
    assert_eq!(error_code_message(&r), denied(both_role));
    let r = assume_role(
        &emu,
        &me,
        both_role,
        &format!("ExternalId=ext-9&{}", mfa_params(ALICE_MFA, &code)),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    // The caller's ARN is named (an assumed role here).
    let r = assume_role(&emu, &me, "arn:aws:iam::123456789012:role/free", "");
    assert_eq!(r.status, 200, "roles without a trust entry stay open");
    let chained = creds_of_xml(&r);
    let r = assume_role(&emu, &chained, ext_role, "");
    assert!(
        error_code_message(&r)
            .2
            .starts_with("User: arn:aws:sts::123456789012:assumed-role/free/s1 is not authorized"),
        "{}",
        r.text()
    );
}

#[test]
fn request_log_has_params_and_signing_scope() {
    let emu = mfa_emu(&[]);
    let me = Credentials::new(TEST_AKID, TEST_SECRET);
    let code = totp_code(SEED, emulator_now(&emu));
    let r = assume_role(
        &emu,
        &me,
        "arn:aws:iam::123456789012:role/logged",
        &format!("ExternalId=ext-1&{}", mfa_params(ALICE_MFA, &code)),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(
        emu.addr(),
        "POST",
        "/",
        &[("content-type", FORM)],
        b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb&RoleSessionName=w&WebIdentityToken=not-a-jwt-secret",
    );
    assert_eq!(r.status, 400);
    let portal = get(
        emu.addr(),
        "/federation/credentials?account_id=111111111111&role_name=ReadOnly",
    );
    assert_eq!(portal.status, 401);
    let token = imds_token(&emu, "60").text();
    imds_get(&emu, CREDS_PATH, &token);
    imds_get(&emu, &format!("{CREDS_PATH}emulator-instance-role"), &token);
    request(
        emu.addr(),
        "GET",
        "/container-credentials",
        &[("Authorization", "emulator-container-token")],
        b"",
    );

    let log = emu.requests();
    let ops: Vec<Option<&str>> = log.iter().map(|e| e.operation.as_deref()).collect();
    assert_eq!(
        ops,
        [
            Some("AssumeRole"),
            Some("AssumeRoleWithWebIdentity"),
            Some("GetRoleCredentials"),
            Some("IMDS PutToken"),
            Some("IMDS GetRoleName"),
            Some("IMDS GetCredentials"),
            Some("ContainerCredentials"),
        ]
    );
    let ar = &log[0];
    assert_eq!(ar.params["Action"], "AssumeRole");
    assert_eq!(
        ar.params["RoleArn"],
        "arn:aws:iam::123456789012:role/logged"
    );
    assert_eq!(ar.params["SerialNumber"], ALICE_MFA);
    assert_eq!(ar.params["ExternalId"], "ext-1");
    assert_eq!(ar.params["TokenCode"], REDACTED);
    assert_eq!(ar.params["TokenCode"], "<redacted>");
    assert_eq!(ar.signing_access_key_id.as_deref(), Some(TEST_AKID));
    assert_eq!(ar.signing_region.as_deref(), Some("us-east-1"));

    let web = &log[1];
    assert_eq!(web.params["WebIdentityToken"], REDACTED);
    assert_eq!(web.params["RoleSessionName"], "w");
    assert_eq!(web.signing_access_key_id, None);
    assert_eq!(web.signing_region, None);

    assert_eq!(log[2].params["account_id"], "111111111111");
    assert_eq!(log[2].params["role_name"], "ReadOnly");
    assert!(log[3].params.is_empty());

    // The same over the control API (camelCase), with no secret anywhere.
    let json = get(emu.addr(), "/_emulator/requests");
    let v = json.json();
    assert_eq!(v[0]["params"]["TokenCode"], REDACTED);
    assert_eq!(v[0]["signingAccessKeyId"], TEST_AKID);
    assert_eq!(v[0]["signingRegion"], "us-east-1");
    assert_eq!(v[1]["signingAccessKeyId"], serde_json::Value::Null);
    let params_text = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["params"].to_string())
        .collect::<String>();
    assert!(!params_text.contains(&code), "{params_text}");
    assert!(!params_text.contains("not-a-jwt-secret"), "{params_text}");
}

#[test]
fn binary_flags_configure_the_new_endpoints() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    let bin = env!("CARGO_BIN_EXE_oidc-emulator");
    let help = Command::new(bin)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "/latest/api/token",
        "/container-credentials",
        "--mfa-device",
        "--role-trust",
        "--instance-role",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
    for bad in [
        &["--mfa-device", "no-seed"][..],
        &["--role-trust", "arn:aws:iam::123456789012:role/r,bogus"][..],
    ] {
        let out = Command::new(bin)
            .args(bad)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }

    let secured = "arn:aws:iam::123456789012:role/secured";
    let mut child = Command::new(bin)
        .args([
            "--static-credentials",
            &format!("{TEST_AKID}:{TEST_SECRET}"),
            "--mfa-device",
            &format!("{ALICE_MFA}={SEED}"),
            "--role-trust",
            &format!("{secured},external-id=x-1,mfa"),
            "--container-authorization",
            "bin-token",
            "--instance-role",
            "bin-role",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect(&line)
        .parse()
        .unwrap();

    let r = request(
        addr,
        "GET",
        "/container-credentials",
        &[("Authorization", "bin-token")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(
        addr,
        "PUT",
        TOKEN_PATH,
        &[("x-aws-ec2-metadata-token-ttl-seconds", "60")],
        b"",
    );
    let token = r.text();
    let r = request(
        addr,
        "GET",
        CREDS_PATH,
        &[("x-aws-ec2-metadata-token", &token)],
        b"",
    );
    assert_eq!(r.text(), "bin-role");

    // The role trust: refused without the ExternalId, granted with both.
    let me = Credentials::new(TEST_AKID, TEST_SECRET);
    let send = |extra: &str| {
        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=bin&{extra}",
            pct(secured)
        );
        let now = std::time::SystemTime::now();
        let headers = sign_headers(
            "POST",
            "/",
            &[("content-type", FORM)],
            body.as_bytes(),
            &me,
            "sts",
            now,
        );
        request(addr, "POST", "/", &header_refs(&headers), body.as_bytes())
    };
    let code = totp_code(SEED, std::time::SystemTime::now());
    assert_eq!(send(&mfa_params(ALICE_MFA, &code)).status, 403);
    let r = send(&format!("ExternalId=x-1&{}", mfa_params(ALICE_MFA, &code)));
    assert_eq!(r.status, 200, "{}", r.text());

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("binary did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
