//! `Debug` of every STS input and output shows no secret value: distinctive
//! secrets are planted in every secret member and searched for in the
//! `{:?}` and `{:#?}` text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;

use oidc_core::sts::assume_role::AssumeRoleInput;
use oidc_core::sts::assume_role_with_saml::AssumeRoleWithSamlInput;
use oidc_core::sts::assume_role_with_web_identity::AssumeRoleWithWebIdentityInput;
use oidc_core::sts::assume_root::AssumeRootInput;
use oidc_core::sts::decode_authorization_message::DecodeAuthorizationMessageInput;
use oidc_core::sts::get_access_key_info::GetAccessKeyInfoInput;
use oidc_core::sts::get_caller_identity::GetCallerIdentityInput;
use oidc_core::sts::get_delegated_access_token::GetDelegatedAccessTokenInput;
use oidc_core::sts::get_federation_token::GetFederationTokenInput;
use oidc_core::sts::get_session_token::GetSessionTokenInput;
use oidc_core::sts::get_web_identity_token::GetWebIdentityTokenInput;
use oidc_core::sts::ProvidedContext;
use oidc_core::Operation;

const ROLE: &str = "arn:aws:iam::123456789012:role/demo-role";
const SECRETS: [&str; 8] = [
    "PlantedSecretAccessKey0001",
    "PlantedSessionToken0002",
    "PlantedSamlAssertion0003",
    "PlantedWebIdentityToken0004",
    "PlantedTradeInToken0005",
    "PlantedContextAssertion0006",
    "907531",
    "PlantedIssuedWebIdentityToken0007",
];

fn assert_redacted(what: &str, value: &impl Debug) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
        assert!(
            text.contains("[redacted]") || what == "no secrets",
            "{what}: {text}"
        );
    }
}

#[test]
fn inputs_redact_secrets() {
    assert_redacted(
        "AssumeRole",
        &AssumeRoleInput::new(ROLE, "s1")
            .with_mfa("arn:aws:iam::123456789012:mfa/bob", SECRETS[6])
            .with_provided_contexts([ProvidedContext::identity_center(SECRETS[5])]),
    );
    assert_redacted(
        "AssumeRoleWithSAML",
        &AssumeRoleWithSamlInput::new(ROLE, ROLE, SECRETS[2]),
    );
    assert_redacted(
        "AssumeRoleWithWebIdentity",
        &AssumeRoleWithWebIdentityInput::new(ROLE, "s1", SECRETS[3]),
    );
    assert_redacted(
        "GetDelegatedAccessToken",
        &GetDelegatedAccessTokenInput::new(SECRETS[4]),
    );
    assert_redacted(
        "GetSessionToken",
        &GetSessionTokenInput::new().with_mfa("arn:aws:iam::123456789012:mfa/bob", SECRETS[6]),
    );
    // Inputs without secret members still print.
    for text in [
        format!(
            "{:?}",
            AssumeRootInput::new("111122223333", "arn:aws:iam::aws:policy/root-task/X")
        ),
        format!("{:?}", DecodeAuthorizationMessageInput::new("m")),
        format!("{:?}", GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE")),
        format!("{:?}", GetCallerIdentityInput::new()),
        format!("{:?}", GetFederationTokenInput::new("bob")),
        format!("{:?}", GetWebIdentityTokenInput::new(["a"], "RS256")),
    ] {
        assert!(!text.is_empty());
    }
}

fn credentials_xml() -> String {
    format!(
        "<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>2024-05-14T17:48:09Z</Expiration></Credentials>",
        SECRETS[0], SECRETS[1]
    )
}

fn ok(op: &str, inner: &str) -> http::Response<Vec<u8>> {
    let body = format!(
        "<{op}Response><{op}Result>{inner}</{op}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{op}Response>"
    );
    http::Response::builder()
        .status(200)
        .body(body.into_bytes())
        .unwrap()
}

#[test]
fn outputs_redact_secrets() {
    let user = "<AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>";
    let c = credentials_xml();
    assert_redacted(
        "AssumeRole",
        &AssumeRoleInput::parse(&ok("AssumeRole", &format!("{c}{user}"))).unwrap(),
    );
    assert_redacted(
        "AssumeRoleWithSAML",
        &AssumeRoleWithSamlInput::parse(&ok("AssumeRoleWithSAML", &format!("{c}{user}"))).unwrap(),
    );
    assert_redacted(
        "AssumeRoleWithWebIdentity",
        &AssumeRoleWithWebIdentityInput::parse(&ok(
            "AssumeRoleWithWebIdentity",
            &format!("{c}{user}"),
        ))
        .unwrap(),
    );
    assert_redacted(
        "AssumeRoot",
        &AssumeRootInput::parse(&ok("AssumeRoot", &c)).unwrap(),
    );
    assert_redacted(
        "GetDelegatedAccessToken",
        &GetDelegatedAccessTokenInput::parse(&ok("GetDelegatedAccessToken", &c)).unwrap(),
    );
    assert_redacted(
        "GetFederationToken",
        &GetFederationTokenInput::parse(&ok("GetFederationToken", &c)).unwrap(),
    );
    assert_redacted(
        "GetSessionToken",
        &GetSessionTokenInput::parse(&ok("GetSessionToken", &c)).unwrap(),
    );
    assert_redacted(
        "GetWebIdentityToken",
        &GetWebIdentityTokenInput::parse(&ok(
            "GetWebIdentityToken",
            &format!("<WebIdentityToken>{}</WebIdentityToken>", SECRETS[7]),
        ))
        .unwrap(),
    );
    // Outputs without secrets print their values.
    let o = DecodeAuthorizationMessageInput::parse(&ok(
        "DecodeAuthorizationMessage",
        "<DecodedMessage>{}</DecodedMessage>",
    ))
    .unwrap();
    assert_redacted("no secrets", &o);
    let o = GetAccessKeyInfoInput::parse(&ok("GetAccessKeyInfo", "<Account>1</Account>")).unwrap();
    assert_redacted("no secrets", &o);
    let o = GetCallerIdentityInput::parse(&ok(
        "GetCallerIdentity",
        "<UserId>u</UserId><Account>1</Account><Arn>a</Arn>",
    ))
    .unwrap();
    assert_redacted("no secrets", &o);
}

#[test]
fn request_debug_views_and_errors_do_not_show_secrets() {
    let endpoint = oidc_core::endpoint::Endpoint::from_url("https://sts.amazonaws.com").unwrap();
    let request = AssumeRoleWithWebIdentityInput::new(ROLE, "s1", SECRETS[3])
        .request(&endpoint)
        .unwrap();
    let view = format!("{:?}", oidc_core::debug::DebugRequest(&request));
    assert!(!view.contains(SECRETS[3]), "{view}");
}
