//! STS (awsQuery on `POST /`) and SigV4 verification over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;
use oidc_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, FaultTarget, StsOperation};
use serde_json::json;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const ROLE: &str = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role";
const IDC: &str = "arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FIdentityCenter";
const APP_ARN: &str =
    "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222";

/// The wire example `AssumeRole.request.txt` (every member).
const ASSUME_ROLE_EXAMPLE: &str = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo-role&RoleSessionName=john.doe%40example.com&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fdemopolicy1&PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aamzn-s3-demo-bucket%2F%2A%22%7D%5D%7D&DurationSeconds=3600&Tags.member.1.Key=Project&Tags.member.1.Value=Unicorn&Tags.member.2.Key=Cost-Center&Tags.member.2.Value=12345&TransitiveTagKeys.member.1=Project&ExternalId=123ABC&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fjohn.doe&TokenCode=123456&SourceIdentity=john.doe&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FIdentityCenter&ProvidedContexts.member.1.ContextAssertion=AQoDYXdzEXAMPLEcontextAssertion%3D%3D&MinimumSessionTokenSize=2048";

fn emu() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_static_credentials(TEST_AKID, TEST_SECRET))
        .unwrap()
}

fn static_creds() -> Credentials {
    Credentials::new(TEST_AKID, TEST_SECRET)
}

/// `POST /` signed with `creds` at `time` (unsigned when `None`).
fn sts_at(emu: &Emulator, creds: Option<&Credentials>, body: &str, time: SystemTime) -> Resp {
    let headers = match creds {
        Some(c) => sign_headers(
            "POST",
            "/",
            &[("content-type", FORM)],
            body.as_bytes(),
            c,
            "sts",
            time,
        ),
        None => vec![("content-type".to_string(), FORM.to_string())],
    };
    request(
        emu.addr(),
        "POST",
        "/",
        &header_refs(&headers),
        body.as_bytes(),
    )
}

fn sts(emu: &Emulator, creds: Option<&Credentials>, body: &str) -> Resp {
    sts_at(emu, creds, body, emulator_now(emu))
}

fn action(name: &str, rest: &str) -> String {
    if rest.is_empty() {
        format!("Action={name}&Version=2011-06-15")
    } else {
        format!("Action={name}&Version=2011-06-15&{rest}")
    }
}

/// Unescaped text of the first `<tag>` element.
fn text(r: &Resp, tag: &str) -> Option<String> {
    let body = r.text();
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(
        body[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Checks the success envelope of `op` and returns the response.
fn ok(r: Resp, op: &str) -> Resp {
    assert_eq!(r.status, 200, "{op}: {}", r.text());
    assert_eq!(r.header("Content-Type"), Some("text/xml"));
    let body = r.text();
    assert!(
        body.starts_with(&format!("<{op}Response xmlns=\"{NS}\">\n  <{op}Result>")),
        "{body}"
    );
    assert!(
        body.trim_end().ends_with(&format!("</{op}Response>")),
        "{body}"
    );
    let rid = r.header("x-amzn-RequestId").unwrap().to_string();
    assert!(body.contains(&format!(
        "<ResponseMetadata>\n    <RequestId>{rid}</RequestId>\n  </ResponseMetadata>"
    )));
    r
}

/// Checks the error envelope.
fn err(r: &Resp, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "{code}: {}", r.text());
    assert_eq!(r.header("Content-Type"), Some("text/xml"));
    let body = r.text();
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    assert!(
        body.starts_with(&format!(
            "<ErrorResponse xmlns=\"{NS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>"
        )),
        "{body}"
    );
    let rid = r.header("x-amzn-RequestId").unwrap();
    assert!(body.contains(&format!(
        "</Error>\n  <RequestId>{rid}</RequestId>\n</ErrorResponse>"
    )));
    text(r, "Message").unwrap()
}

fn creds_of(r: &Resp) -> Credentials {
    let exp = text(r, "Expiration").unwrap();
    assert_eq!(exp.len(), 20, "{exp}");
    assert!(exp.ends_with('Z') && exp.as_bytes()[10] == b'T', "{exp}");
    let id = text(r, "AccessKeyId").unwrap();
    assert!(id.starts_with("ASIA") && id.len() == 20, "{id}");
    Credentials::new(id, text(r, "SecretAccessKey").unwrap())
        .with_session_token(text(r, "SessionToken").unwrap())
}

fn caller_arn(emu: &Emulator, c: &Credentials) -> (String, String, String) {
    let r = ok(
        sts(emu, Some(c), &action("GetCallerIdentity", "")),
        "GetCallerIdentity",
    );
    (
        text(&r, "UserId").unwrap(),
        text(&r, "Account").unwrap(),
        text(&r, "Arn").unwrap(),
    )
}

fn jwt(claims: serde_json::Value) -> String {
    format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

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

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn every_operation_happy_path() {
    let emu = emu();
    let me = static_creds();

    // GetCallerIdentity with the static key.
    let (user_id, account, arn) = caller_arn(&emu, &me);
    assert!(user_id.starts_with("AIDA"), "{user_id}");
    assert_eq!(account, "123456789012");
    assert_eq!(arn, "arn:aws:iam::123456789012:user/emulator-user");

    // AssumeRole: the wire example with every member.
    let r = ok(sts(&emu, Some(&me), ASSUME_ROLE_EXAMPLE), "AssumeRole");
    let role = creds_of(&r);
    let body = r.text();
    let order = [
        "<Credentials>",
        "<AssumedRoleUser>",
        "<SourceIdentity>",
        "<PackedPolicySize>",
        "<SessionTokenUtilization>",
        "<SessionTokenSize>",
    ];
    let pos: Vec<usize> = order.iter().map(|t| body.find(t).expect(t)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{body}");
    assert_eq!(
        text(&r, "Arn").unwrap(),
        "arn:aws:sts::123456789012:assumed-role/demo-role/john.doe@example.com"
    );
    let role_id = text(&r, "AssumedRoleId").unwrap();
    assert!(role_id.starts_with("AROA") && role_id.ends_with(":john.doe@example.com"));
    assert_eq!(text(&r, "SourceIdentity").unwrap(), "john.doe");
    let size: usize = text(&r, "SessionTokenSize").unwrap().parse().unwrap();
    assert!(size >= 2048);
    assert!(role.session_token.as_ref().unwrap().secret().len() >= 2048);
    let (uid, acct, role_arn) = caller_arn(&emu, &role);
    assert_eq!(uid, role_id);
    assert_eq!(acct, "123456789012");
    assert_eq!(
        role_arn,
        "arn:aws:sts::123456789012:assumed-role/demo-role/john.doe@example.com"
    );
    let session = emu
        .sts_sessions()
        .into_iter()
        .find(|s| s.access_key_id == role.access_key_id)
        .unwrap();
    assert_eq!(session.kind, "assumed-role");
    assert_eq!(
        session.tags.get("Project").map(String::as_str),
        Some("Unicorn")
    );
    assert_eq!(session.transitive_tag_keys, ["Project"]);
    assert_eq!(session.provided_contexts.len(), 1);
    assert!(!session.provided_contexts[0].recognized);

    // AssumeRoleWithSAML (unsigned).
    let saml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Issuer>https://idp.example.com/saml</saml:Issuer><saml:Assertion><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#;
    let body = action(
        "AssumeRoleWithSAML",
        &format!(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FTestSaml&PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2FSAML-test&SAMLAssertion={}&DurationSeconds=3600",
            pct(&STANDARD.encode(saml))
        ),
    );
    let r = ok(sts(&emu, None, &body), "AssumeRoleWithSAML");
    assert_eq!(
        text(&r, "Arn").unwrap(),
        "arn:aws:sts::123456789012:assumed-role/TestSaml/alice@example.com"
    );
    assert_eq!(text(&r, "Subject").unwrap(), "alice");
    assert_eq!(text(&r, "SubjectType").unwrap(), "persistent");
    assert_eq!(text(&r, "Issuer").unwrap(), "https://idp.example.com/saml");
    assert_eq!(
        text(&r, "Audience").unwrap(),
        "https://signin.aws.amazon.com/saml"
    );
    assert_eq!(text(&r, "NameQualifier").unwrap().len(), 28);
    let saml_creds = creds_of(&r);
    assert!(caller_arn(&emu, &saml_creds)
        .2
        .ends_with("TestSaml/alice@example.com"));

    // AssumeRoleWithWebIdentity (unsigned).
    let token = jwt(
        json!({"iss": "https://oidc.example.com", "sub": "subject-1234", "aud": "client-1", "exp": now_secs() + 600}),
    );
    let body = action(
        "AssumeRoleWithWebIdentity",
        &format!("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FFederatedWebIdentityRole&RoleSessionName=app1&WebIdentityToken={token}&DurationSeconds=3600"),
    );
    let r = ok(sts(&emu, None, &body), "AssumeRoleWithWebIdentity");
    assert_eq!(
        text(&r, "SubjectFromWebIdentityToken").unwrap(),
        "subject-1234"
    );
    assert_eq!(text(&r, "Audience").unwrap(), "client-1");
    assert_eq!(
        text(&r, "Provider").unwrap(),
        "arn:aws:iam::123456789012:oidc-provider/oidc.example.com"
    );
    assert_eq!(
        text(&r, "Arn").unwrap(),
        "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1"
    );
    let _ = creds_of(&r);

    // AssumeRoot.
    let body = action(
        "AssumeRoot",
        "TargetPrincipal=111122223333&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMDeleteRootUserCredentials&DurationSeconds=900",
    );
    let r = ok(sts(&emu, Some(&me), &body), "AssumeRoot");
    let root = creds_of(&r);
    assert_eq!(
        caller_arn(&emu, &root),
        (
            "111122223333".to_string(),
            "111122223333".to_string(),
            "arn:aws:iam::111122223333:root".to_string()
        )
    );

    // DecodeAuthorizationMessage.
    let message = r#"{"allowed":false,"context":{"action":"ec2:StopInstances"}}"#;
    let body = action(
        "DecodeAuthorizationMessage",
        &format!("EncodedMessage={}", pct(&STANDARD.encode(message))),
    );
    let r = ok(sts(&emu, Some(&me), &body), "DecodeAuthorizationMessage");
    assert!(r.text().contains("{&quot;allowed&quot;:false"));
    assert_eq!(text(&r, "DecodedMessage").unwrap(), message);

    // GetAccessKeyInfo: known keys give their account, unknown the default.
    let body = action(
        "GetAccessKeyInfo",
        &format!("AccessKeyId={}", root.access_key_id),
    );
    let r = ok(sts(&emu, Some(&me), &body), "GetAccessKeyInfo");
    assert_eq!(text(&r, "Account").unwrap(), "111122223333");
    let body = action("GetAccessKeyInfo", "AccessKeyId=AKIAIOSFODNN7EXAMPLE");
    let r = ok(sts(&emu, Some(&me), &body), "GetAccessKeyInfo");
    assert_eq!(text(&r, "Account").unwrap(), "123456789012");

    // GetDelegatedAccessToken with a trade-in token from the control API.
    let principal = "arn:aws:sts::123456789012:assumed-role/demo-role/delegated-session";
    let trade_in = emu.issue_trade_in_token(principal);
    let body = action(
        "GetDelegatedAccessToken",
        &format!("TradeInToken={}", pct(&trade_in)),
    );
    let r = ok(sts(&emu, Some(&me), &body), "GetDelegatedAccessToken");
    assert_eq!(text(&r, "AssumedPrincipal").unwrap(), principal);
    assert_eq!(caller_arn(&emu, &creds_of(&r)).2, principal);

    // GetFederationToken.
    let body = action(
        "GetFederationToken",
        "Name=testFedUserSession&Policy=%7B%22Version%22%3A%222012-10-17%22%7D&DurationSeconds=3600&Tags.member.1.Key=Project&Tags.member.1.Value=Pegasus",
    );
    let r = ok(sts(&emu, Some(&me), &body), "GetFederationToken");
    assert_eq!(
        text(&r, "FederatedUserId").unwrap(),
        "123456789012:testFedUserSession"
    );
    assert!(text(&r, "PackedPolicySize").is_some());
    let fed = creds_of(&r);
    assert_eq!(
        caller_arn(&emu, &fed).2,
        "arn:aws:sts::123456789012:federated-user/testFedUserSession"
    );

    // GetSessionToken: same identity as the long-term key.
    let r = ok(
        sts(
            &emu,
            Some(&me),
            &action(
                "GetSessionToken",
                "DurationSeconds=3600&SerialNumber=YourMFASerialNumber&TokenCode=123456",
            ),
        ),
        "GetSessionToken",
    );
    let session = creds_of(&r);
    assert_eq!(caller_arn(&emu, &session).2, arn);

    // GetWebIdentityToken (signed with the role session).
    let body = action(
        "GetWebIdentityToken",
        "Audience.member.1=https%3A%2F%2Fapi.example.com&Audience.member.2=https%3A%2F%2Fauth.example.org&DurationSeconds=300&SigningAlgorithm=RS256&Tags.member.1.Key=team&Tags.member.1.Value=platform",
    );
    let r = ok(sts(&emu, Some(&role), &body), "GetWebIdentityToken");
    let token = text(&r, "WebIdentityToken").unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims["aud"],
        json!(["https://api.example.com", "https://auth.example.org"])
    );
    assert_eq!(
        claims["sub"],
        "arn:aws:sts::123456789012:assumed-role/demo-role/john.doe@example.com"
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert!(text(&r, "Expiration").unwrap().ends_with('Z'));

    // Every operation was counted.
    let st = emu.stats();
    for op in StsOperation::ALL {
        assert!(st.sts_operation(op) >= 1, "{op:?}");
    }
    assert_eq!(st.get_caller_identity, 7);
    assert_eq!(st.assume_role, 1);
    assert_eq!(st.get_access_key_info, 2);
    assert_eq!(st.sts(), 18);
    let control = get(emu.addr(), "/_emulator/stats").json();
    assert_eq!(control["get_caller_identity"], 7);
    assert_eq!(control["assume_role_with_saml"], 1);
}

#[test]
fn portal_credentials_chain_through_sts() {
    let emu = emu();
    let a = emu.addr();
    let t = emu.issue_token(&["sso:account:access"]);
    let r = request(
        a,
        "GET",
        "/federation/credentials?role_name=ReadOnly&account_id=111111111111",
        &[("x-amz-sso_bearer_token", t.access_token.as_str())],
        b"",
    );
    assert_eq!(r.status, 200);
    let rc = &r.json()["roleCredentials"];
    let portal = Credentials::new(
        rc["accessKeyId"].as_str().unwrap(),
        rc["secretAccessKey"].as_str().unwrap(),
    )
    .with_session_token(rc["sessionToken"].as_str().unwrap());

    // GetCallerIdentity with the portal's role credentials.
    let (user_id, account, arn) = caller_arn(&emu, &portal);
    assert_eq!(account, "111111111111");
    assert!(
        arn.starts_with("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnly_")
            && arn.ends_with("/user@example.com"),
        "{arn}"
    );
    assert!(user_id.starts_with("AROA") && user_id.ends_with(":user@example.com"));

    // CreateTokenWithIAM signed with them gives an identity context...
    let body =
        json!({"clientId": APP_ARN, "grantType": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                      "assertion": "eyJhbGciOiJSUzI1NiJ9.e30.sig"})
        .to_string();
    let headers = sign_headers(
        "POST",
        "/token?aws_iam=t",
        &[("content-type", "application/json")],
        body.as_bytes(),
        &portal,
        "sso-oauth",
        emulator_now(&emu),
    );
    let r = request(
        a,
        "POST",
        "/token?aws_iam=t",
        &header_refs(&headers),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let context = r.json()["awsAdditionalDetails"]["identityContext"]
        .as_str()
        .unwrap()
        .to_string();

    // ...which AssumeRole accepts as an IAM Identity Center provided context.
    let body = action(
        "AssumeRole",
        &format!(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fidentity-enhanced&RoleSessionName=user-session&ProvidedContexts.member.1.ProviderArn={IDC}&ProvidedContexts.member.1.ContextAssertion={}",
            pct(&context)
        ),
    );
    let r = ok(sts(&emu, Some(&portal), &body), "AssumeRole");
    let assumed = creds_of(&r);
    let (_, account, arn) = caller_arn(&emu, &assumed);
    assert_eq!(account, "111111111111");
    assert_eq!(
        arn,
        "arn:aws:sts::111111111111:assumed-role/identity-enhanced/user-session"
    );
    let session = emu
        .sts_sessions()
        .into_iter()
        .find(|s| s.access_key_id == assumed.access_key_id)
        .unwrap();
    assert_eq!(
        session.provided_contexts[0].provider_arn,
        "arn:aws:iam::aws:contextProvider/IdentityCenter"
    );
    assert_eq!(session.provided_contexts[0].context_assertion, context);
    assert!(session.provided_contexts[0].recognized);
    let v = get(a, "/_emulator/sts-sessions").json();
    let listed = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["accessKeyId"] == assumed.access_key_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["providedContexts"][0]["recognized"], true);
    assert_eq!(listed["kind"], "assumed-role");
    assert!(v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "portal"));

    // Role chaining caps the duration at one hour.
    let body = action(
        "AssumeRole",
        &format!("RoleArn={ROLE}&RoleSessionName=chained&DurationSeconds=7200"),
    );
    let msg = err(&sts(&emu, Some(&assumed), &body), 400, "ValidationError");
    assert!(msg.contains("role chaining"), "{msg}");

    // Session credentials cannot call GetSessionToken / GetFederationToken.
    let msg = err(
        &sts(&emu, Some(&portal), &action("GetSessionToken", "")),
        403,
        "AccessDenied",
    );
    assert_eq!(msg, "Cannot call GetSessionToken with session credentials");
    err(
        &sts(
            &emu,
            Some(&portal),
            &action("GetFederationToken", "Name=bob"),
        ),
        403,
        "AccessDenied",
    );

    // The portal credentials expire after an hour.
    emu.advance(Duration::from_secs(3601));
    let msg = err(
        &sts(&emu, Some(&portal), &action("GetCallerIdentity", "")),
        400,
        "ExpiredToken",
    );
    assert_eq!(msg, "The security token included in the request is expired");
}

#[test]
fn signature_errors() {
    let emu = emu();
    let gci = action("GetCallerIdentity", "");
    let now = emulator_now(&emu);

    // Unknown key.
    let unknown = Credentials::new("AKIAUNKNOWNKEY000000", TEST_SECRET);
    let msg = err(
        &sts(&emu, Some(&unknown), &gci),
        403,
        "InvalidClientTokenId",
    );
    assert_eq!(
        msg,
        "The security token included in the request is invalid."
    );

    // Wrong secret.
    let wrong = Credentials::new(TEST_AKID, "not-the-secret");
    let msg = err(&sts(&emu, Some(&wrong), &gci), 403, "SignatureDoesNotMatch");
    assert!(msg.starts_with("The request signature we calculated does not match"));

    // Body changed after signing.
    let headers = sign_headers(
        "POST",
        "/",
        &[("content-type", FORM)],
        gci.as_bytes(),
        &static_creds(),
        "sts",
        now,
    );
    let tampered = action("GetCallerIdentity", "X=1");
    let r = request(
        emu.addr(),
        "POST",
        "/",
        &header_refs(&headers),
        tampered.as_bytes(),
    );
    err(&r, 403, "SignatureDoesNotMatch");

    // A signed header changed after signing.
    let mut changed = headers.clone();
    for (n, v) in &mut changed {
        if n == "content-type" {
            *v = "application/x-www-form-urlencoded".into();
        }
    }
    let r = request(
        emu.addr(),
        "POST",
        "/",
        &header_refs(&changed),
        gci.as_bytes(),
    );
    err(&r, 403, "SignatureDoesNotMatch");

    // Stale and future dates (15 minutes allowed).
    let stale = sts_at(
        &emu,
        Some(&static_creds()),
        &gci,
        now - Duration::from_secs(16 * 60),
    );
    let msg = err(&stale, 403, "SignatureDoesNotMatch");
    assert!(msg.starts_with("Signature expired: "), "{msg}");
    assert!(msg.ends_with(" - 15 min.)"), "{msg}");
    let future = sts_at(
        &emu,
        Some(&static_creds()),
        &gci,
        now + Duration::from_secs(16 * 60),
    );
    let msg = err(&future, 403, "SignatureDoesNotMatch");
    assert!(msg.starts_with("Signature not yet current: "), "{msg}");
    let slightly_off = sts_at(
        &emu,
        Some(&static_creds()),
        &gci,
        now - Duration::from_secs(10 * 60),
    );
    ok(slightly_off, "GetCallerIdentity");
    // The emulator clock decides: advancing it makes a fresh signature stale.
    emu.advance(Duration::from_secs(20 * 60));
    let r = sts_at(&emu, Some(&static_creds()), &gci, now);
    assert!(err(&r, 403, "SignatureDoesNotMatch").starts_with("Signature expired"));
    let now = emulator_now(&emu);

    // Unsigned call to a signed operation.
    let msg = err(&sts(&emu, None, &gci), 403, "MissingAuthenticationToken");
    assert_eq!(msg, "Request is missing Authentication Token");

    // Malformed Authorization header.
    let r = request(
        emu.addr(),
        "POST",
        "/",
        &[("content-type", FORM), ("Authorization", "Bearer abc")],
        gci.as_bytes(),
    );
    let msg = err(&r, 403, "IncompleteSignature");
    assert!(msg.contains("'Credential'"), "{msg}");

    // Wrong service and region in the scope.
    let h = sign_headers(
        "POST",
        "/",
        &[("content-type", FORM)],
        gci.as_bytes(),
        &static_creds(),
        "sso-oauth",
        now,
    );
    let msg = err(
        &request(emu.addr(), "POST", "/", &header_refs(&h), gci.as_bytes()),
        403,
        "SignatureDoesNotMatch",
    );
    assert_eq!(
        msg,
        "Credential should be scoped to correct service: 'sts'."
    );
    // STS is regional: a request signed for another region than the
    // emulator's own is answered (it stands for that region's endpoint).
    let other_region = Emulator::start(
        EmulatorConfig::default()
            .with_region("eu-west-1")
            .with_static_credentials(TEST_AKID, TEST_SECRET),
    )
    .unwrap();
    ok(
        sts(&other_region, Some(&static_creds()), &gci),
        "GetCallerIdentity",
    );
    // A scope whose region is not a region name is refused.
    let h = sign_headers(
        "POST",
        "/",
        &[("content-type", FORM)],
        gci.as_bytes(),
        &static_creds(),
        "sts",
        now,
    );
    let h: Vec<(String, String)> = h
        .into_iter()
        .map(|(n, v)| (n, v.replace("/us-east-1/", "/Not_A_Region/")))
        .collect();
    let msg = err(
        &request(emu.addr(), "POST", "/", &header_refs(&h), gci.as_bytes()),
        403,
        "SignatureDoesNotMatch",
    );
    assert!(msg.contains("valid region"), "{msg}");

    // Temporary credentials: the session token must be sent and match.
    let r = ok(
        sts(&emu, Some(&static_creds()), &action("GetSessionToken", "")),
        "GetSessionToken",
    );
    let session = creds_of(&r);
    let no_token = Credentials::new(
        session.access_key_id.clone(),
        session.secret_access_key.secret(),
    );
    err(
        &sts(&emu, Some(&no_token), &gci),
        403,
        "InvalidClientTokenId",
    );
    let wrong_token = no_token.clone().with_session_token("IQoJnotTheToken");
    err(
        &sts(&emu, Some(&wrong_token), &gci),
        403,
        "InvalidClientTokenId",
    );
    ok(sts(&emu, Some(&session), &gci), "GetCallerIdentity");

    // Expired temporary credentials (GetSessionToken default: 12 hours).
    emu.advance(Duration::from_secs(43_201));
    let msg = err(&sts(&emu, Some(&session), &gci), 400, "ExpiredToken");
    assert_eq!(msg, "The security token included in the request is expired");
    // The long-term key still works.
    ok(sts(&emu, Some(&static_creds()), &gci), "GetCallerIdentity");

    // The unsigned operations need no signature at all.
    let token = jwt(json!({"iss": "https://oidc.example.com", "sub": "subject-1234", "aud": "c"}));
    let body = action(
        "AssumeRoleWithWebIdentity",
        &format!("RoleArn={ROLE}&RoleSessionName=app1&WebIdentityToken={token}"),
    );
    ok(sts(&emu, None, &body), "AssumeRoleWithWebIdentity");
}

#[test]
fn validation_and_operation_errors() {
    let emu = emu();
    let me = static_creds();
    let call = |body: &str| sts(&emu, Some(&me), body);

    // Protocol-level errors.
    err(&call("Version=2011-06-15"), 400, "MissingAction");
    let msg = err(&call(&action("Nope", "")), 400, "InvalidAction");
    assert_eq!(msg, "Could not find operation Nope for version 2011-06-15");
    let msg = err(
        &call("Action=GetCallerIdentity&Version=2010-01-01"),
        400,
        "InvalidAction",
    );
    assert_eq!(
        msg,
        "Could not find operation GetCallerIdentity for version 2010-01-01"
    );
    assert_eq!(emu.stats().sts_other, 2);

    // AssumeRole constraints.
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=x"),
        )),
        400,
        "ValidationError",
    );
    assert_eq!(msg, "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2");
    let msg = err(
        &call(&action(
            "AssumeRole",
            "RoleSessionName=ok&DurationSeconds=899",
        )),
        400,
        "ValidationError",
    );
    assert!(msg.starts_with("2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value '899' at 'durationSeconds'"), "{msg}");
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&DurationSeconds=43201"),
        )),
        400,
        "ValidationError",
    );
    assert!(
        msg.contains("Member must have value less than or equal to 43200"),
        "{msg}"
    );
    ok(
        call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&DurationSeconds=43200"),
        )),
        "AssumeRole",
    );
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=bad%20name"),
        )),
        400,
        "ValidationError",
    );
    assert!(msg.contains("regular expression pattern"), "{msg}");
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&SourceIdentity=a"),
        )),
        400,
        "ValidationError",
    );
    assert!(msg.contains("'sourceIdentity'"), "{msg}");
    err(
        &call(&action(
            "AssumeRole",
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fbob&RoleSessionName=ok",
        )),
        400,
        "ValidationError",
    );
    let many_tags: String = (1..=51)
        .map(|i| format!("&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"))
        .collect();
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok{many_tags}"),
        )),
        400,
        "ValidationError",
    );
    assert!(
        msg.contains("at 'tags'") && msg.contains("less than or equal to 50"),
        "{msg}"
    );
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!(
                "RoleArn={ROLE}&RoleSessionName=ok&Tags.member.1.Key=a%21&Tags.member.1.Value=v"
            ),
        )),
        400,
        "ValidationError",
    );
    assert!(msg.contains("'tags.1.member.key'"), "{msg}");
    let msg = err(&call(&action("AssumeRole", &format!("RoleArn={ROLE}&RoleSessionName=ok&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=A&Tags.member.2.Value=2"))), 400, "InvalidParameterValue");
    assert!(msg.starts_with("Duplicate tag keys found"), "{msg}");
    err(&call(&action("AssumeRole", &format!("RoleArn={ROLE}&RoleSessionName=ok&Tags.member.1.Key=a&Tags.member.1.Value=1&TransitiveTagKeys.member.1=b"))), 400, "InvalidParameterValue");
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&Policy=not-json"),
        )),
        400,
        "MalformedPolicyDocument",
    );
    assert_eq!(msg, "The policy is not in the valid JSON format.");
    let big = pct(&format!("{{\"a\":\"{}\"}}", "x".repeat(6000)));
    err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&Policy={big}"),
        )),
        400,
        "PackedPolicyTooLarge",
    );
    let contexts: String = (1..=6)
        .map(|i| format!("&ProvidedContexts.member.{i}.ProviderArn={IDC}&ProvidedContexts.member.{i}.ContextAssertion=abcd"))
        .collect();
    let msg = err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok{contexts}"),
        )),
        400,
        "ValidationError",
    );
    assert!(msg.contains("'providedContexts'"), "{msg}");
    err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&ProvidedContexts="),
        )),
        400,
        "ValidationError",
    );
    let msg = err(&call(&action("AssumeRole", &format!("RoleArn={ROLE}&RoleSessionName=ok&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FOther&ProvidedContexts.member.1.ContextAssertion=abcd"))), 400, "InvalidParameterValue");
    assert!(msg.contains("contextProvider/Other"), "{msg}");
    err(
        &call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=ok&MinimumSessionTokenSize=5000"),
        )),
        400,
        "ValidationError",
    );

    // Other operations' checks.
    err(
        &call(&action("GetSessionToken", "DurationSeconds=129601")),
        400,
        "ValidationError",
    );
    err(
        &call(&action("GetFederationToken", "Name=x")),
        400,
        "ValidationError",
    );
    err(&call(&action("AssumeRoot", "TargetPrincipal=111122223333&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess")), 400, "ValidationError");
    err(&call(&action("AssumeRoot", "TargetPrincipal=111122223333&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FX&DurationSeconds=901")), 400, "ValidationError");
    err(
        &call(&action("GetAccessKeyInfo", "AccessKeyId=short")),
        400,
        "ValidationError",
    );
    let msg = err(
        &call(&action(
            "DecodeAuthorizationMessage",
            "EncodedMessage=not-base64-json",
        )),
        400,
        "InvalidAuthorizationMessageException",
    );
    assert_eq!(msg, "The encoded authorization message is not valid.");
    err(
        &call(&action("GetWebIdentityToken", "SigningAlgorithm=RS256")),
        400,
        "ValidationError",
    );
    err(
        &call(&action(
            "GetWebIdentityToken",
            "Audience.member.1=a&SigningAlgorithm=HS256",
        )),
        400,
        "ValidationError",
    );
    err(
        &call(&action(
            "GetWebIdentityToken",
            "Audience.member.1=a&SigningAlgorithm=RS256&DurationSeconds=59",
        )),
        400,
        "ValidationError",
    );
    let long_aud: String = (1..=10)
        .map(|i| format!("&Audience.member.{i}={}", "a".repeat(900)))
        .collect();
    err(
        &call(&action(
            "GetWebIdentityToken",
            &format!("SigningAlgorithm=ES384{long_aud}"),
        )),
        400,
        "JWTPayloadSizeExceededException",
    );

    // GetWebIdentityToken may not outlive the caller's session.
    let r = ok(
        call(&action(
            "AssumeRole",
            &format!("RoleArn={ROLE}&RoleSessionName=short&DurationSeconds=900"),
        )),
        "AssumeRole",
    );
    let short = creds_of(&r);
    let msg = err(
        &sts(
            &emu,
            Some(&short),
            &action(
                "GetWebIdentityToken",
                "Audience.member.1=a&SigningAlgorithm=RS256&DurationSeconds=3600",
            ),
        ),
        403,
        "SessionDurationEscalationException",
    );
    assert!(msg.contains("expiration"), "{msg}");

    // Web identity and SAML tokens.
    let expired = jwt(
        json!({"iss": "https://oidc.example.com", "sub": "subject-1", "aud": "c", "exp": now_secs() - 10}),
    );
    let msg = err(
        &sts(
            &emu,
            None,
            &action(
                "AssumeRoleWithWebIdentity",
                &format!("RoleArn={ROLE}&RoleSessionName=app&WebIdentityToken={expired}"),
            ),
        ),
        400,
        "ExpiredTokenException",
    );
    assert!(
        msg.starts_with("Token expired: current date/time "),
        "{msg}"
    );
    err(
        &sts(
            &emu,
            None,
            &action(
                "AssumeRoleWithWebIdentity",
                &format!("RoleArn={ROLE}&RoleSessionName=app&WebIdentityToken=opaque-token"),
            ),
        ),
        400,
        "InvalidIdentityToken",
    );
    err(
        &sts(
            &emu,
            None,
            &action(
                "AssumeRoleWithWebIdentity",
                &format!("RoleArn={ROLE}&RoleSessionName=app"),
            ),
        ),
        400,
        "ValidationError",
    );
    err(
        &sts(&emu, None, &action("AssumeRoleWithSAML", &format!("RoleArn={ROLE}&PrincipalArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Asaml-provider%2FX&SAMLAssertion=%25%25not-base64"))),
        400,
        "InvalidIdentityToken",
    );

    // Trade-in tokens: unknown, expired, single use.
    err(
        &call(&action("GetDelegatedAccessToken", "TradeInToken=nope")),
        400,
        "InvalidParameterValue",
    );
    let t = emu.issue_trade_in_token("arn:aws:sts::123456789012:assumed-role/demo-role/s");
    emu.advance(Duration::from_secs(901));
    let msg = err(
        &sts(
            &emu,
            Some(&me),
            &action(
                "GetDelegatedAccessToken",
                &format!("TradeInToken={}", pct(&t)),
            ),
        ),
        400,
        "ExpiredTradeInTokenException",
    );
    assert!(msg.contains("expired"));
}

#[test]
fn faults_target_sts_operations() {
    let emu = emu();
    let me = static_creds();
    let gci = action("GetCallerIdentity", "");
    emu.push_fault(FaultRule::new(
        FaultTarget::StsOperation(StsOperation::AssumeRoleWithWebIdentity),
        FaultKind::status(400, Some("IDPCommunicationError")),
    ));
    emu.push_fault(FaultRule::new(
        FaultTarget::Sts,
        FaultKind::status(503, Some("ServiceUnavailable")),
    ));
    // The STS-wide rule is first for GetCallerIdentity...
    err(&sts(&emu, Some(&me), &gci), 503, "ServiceUnavailable");
    ok(sts(&emu, Some(&me), &gci), "GetCallerIdentity");
    // ...the per-operation one only for its operation.
    let token = jwt(json!({"iss": "https://i.example.com", "sub": "subject-1", "aud": "c"}));
    let body = action(
        "AssumeRoleWithWebIdentity",
        &format!("RoleArn={ROLE}&RoleSessionName=app&WebIdentityToken={token}"),
    );
    assert_eq!(
        err(&sts(&emu, None, &body), 400, "IDPCommunicationError"),
        "Injected fault"
    );
    ok(sts(&emu, None, &body), "AssumeRoleWithWebIdentity");

    // Through the control API, by snake_case or Action name.
    let r = post_json(
        emu.addr(),
        "/_emulator/faults",
        &json!([{"operation": "get_caller_identity", "kind": "status", "status": 400, "error": "Throttling"},
                {"operation": "AssumeRole", "kind": "drop"}]),
    );
    assert_eq!(r.json()["queued"], 2);
    let faults = get(emu.addr(), "/_emulator/faults").json();
    assert_eq!(faults["faults"][1]["operation"], "assume_role");
    err(&sts(&emu, Some(&me), &gci), 400, "Throttling");
    assert_eq!(emu.faults().len(), 1);
    // Faulted requests are counted too.
    assert_eq!(emu.stats().get_caller_identity, 3);
}

#[test]
fn create_token_with_iam_verifies_signatures() {
    let emu = emu();
    let a = emu.addr();
    let body =
        json!({"clientId": APP_ARN, "grantType": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                      "assertion": "eyJhbGciOiJSUzI1NiJ9.e30.sig"})
        .to_string();
    let signed = |c: &Credentials, time: SystemTime| {
        let h = sign_headers(
            "POST",
            "/token?aws_iam=t",
            &[("content-type", "application/json")],
            body.as_bytes(),
            c,
            "sso-oauth",
            time,
        );
        request(
            a,
            "POST",
            "/token?aws_iam=t",
            &header_refs(&h),
            body.as_bytes(),
        )
    };
    let now = emulator_now(&emu);
    let r = signed(&static_creds(), now);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["accessToken"].is_string());

    let r = signed(&Credentials::new(TEST_AKID, "wrong-secret"), now);
    assert_eq!(r.status, 403);
    assert_eq!(r.error_type().as_deref(), Some("InvalidSignatureException"));
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("The Canonical String for this request should have been"),
        "{msg}"
    );
    assert!(msg.contains("POST\n/token\naws_iam=t\n"), "{msg}");
    assert!(r
        .header("x-amzn-ErrorMessage")
        .unwrap()
        .starts_with("The request signature"));

    let r = signed(&Credentials::new("AKIAUNKNOWNKEY000000", TEST_SECRET), now);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.error_type().as_deref(),
        Some("UnrecognizedClientException")
    );

    let r = signed(&static_creds(), now - Duration::from_secs(3600));
    assert_eq!(r.status, 403);
    assert_eq!(r.error_type().as_deref(), Some("InvalidSignatureException"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Signature expired"));

    // Signed for STS instead of sso-oauth.
    let h = sign_headers(
        "POST",
        "/token?aws_iam=t",
        &[("content-type", "application/json")],
        body.as_bytes(),
        &static_creds(),
        "sts",
        now,
    );
    let r = request(
        a,
        "POST",
        "/token?aws_iam=t",
        &header_refs(&h),
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.error_type().as_deref(), Some("AccessDeniedException"));

    // Unsigned.
    let r = request(
        a,
        "POST",
        "/token?aws_iam=t",
        &[("content-type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "access_denied");
    assert_eq!(emu.stats().create_token_with_iam, 6);
}

#[test]
fn verification_can_be_turned_off_and_routing() {
    let emu = Emulator::start(EmulatorConfig::default().with_verify_signatures(false)).unwrap();
    let fake = Credentials::new("AKIDEXAMPLE", "whatever");
    let (_, account, arn) = caller_arn(&emu, &fake);
    assert_eq!(account, "123456789012");
    assert_eq!(arn, "arn:aws:iam::123456789012:user/emulator-user");
    // A missing signature is still refused.
    err(
        &sts(&emu, None, &action("GetCallerIdentity", "")),
        403,
        "MissingAuthenticationToken",
    );

    // STS is POST only.
    let r = get(emu.addr(), "/?Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
}
