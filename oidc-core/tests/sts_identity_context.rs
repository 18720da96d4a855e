//! Identity-enhanced role sessions: the identity context is taken from
//! `awsAdditionalDetails.identityContext`, else from the (unverified) ID
//! token's `sts:identity_context` claim, and becomes the one provided
//! context of an AssumeRole input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use oidc_core::endpoint::Endpoint;
use oidc_core::identity_context::{
    self, IdentityContextError, IdentityContextSource, IDENTITY_CENTER_CONTEXT_PROVIDER,
};
use oidc_core::secret::IdToken;
use oidc_core::sso_oidc::create_token_with_iam::{self, CreateTokenWithIamOutput};
use oidc_core::Operation;

const ROLE: &str = "arn:aws:iam::123456789012:role/analyst";

fn output(members: &str) -> CreateTokenWithIamOutput {
    let body = format!(r#"{{"accessToken":"at","tokenType":"Bearer","expiresIn":3600{members}}}"#);
    let response = http::Response::builder().status(200).body(body).unwrap();
    create_token_with_iam::parse(&response).unwrap()
}

fn jwt(payload: &str) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[test]
fn from_aws_additional_details() {
    let out = output(
        r#","awsAdditionalDetails":{"identityContext":"CTX-FROM-DETAILS"},"idToken":"not.a.jwt!""#,
    );
    let (context, source) = identity_context::identity_context(&out).unwrap();
    assert_eq!(context.secret(), "CTX-FROM-DETAILS");
    assert_eq!(source, IdentityContextSource::AwsAdditionalDetails);

    let input = identity_context::assume_role_input(&out, ROLE, "alice").unwrap();
    assert_eq!(input.role_arn, ROLE);
    assert_eq!(input.role_session_name, "alice");
    let contexts = input.provided_contexts.as_deref().unwrap();
    assert_eq!(contexts.len(), 1);
    assert_eq!(contexts[0].provider_arn, IDENTITY_CENTER_CONTEXT_PROVIDER);
    assert_eq!(
        contexts[0].provider_arn,
        "arn:aws:iam::aws:contextProvider/IdentityCenter"
    );
    assert_eq!(contexts[0].context_assertion.secret(), "CTX-FROM-DETAILS");

    let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
    let body = String::from_utf8(input.request(&endpoint).unwrap().into_body()).unwrap();
    assert!(body.ends_with(
        "&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FIdentityCenter&ProvidedContexts.member.1.ContextAssertion=CTX-FROM-DETAILS"
    ));
    assert!(!format!("{input:?}").contains("CTX-FROM-DETAILS"));
}

#[test]
fn from_the_id_token_claim() {
    let token = jwt(r#"{"sub":"u","sts:identity_context":"CTX-FROM-JWT","aud":"x"}"#);
    // Empty additional details fall through to the token.
    for details in [
        "",
        r#","awsAdditionalDetails":{}"#,
        r#","awsAdditionalDetails":{"identityContext":""}"#,
    ] {
        let out = output(&format!(r#"{details},"idToken":"{token}""#));
        let (context, source) = identity_context::identity_context(&out).unwrap();
        assert_eq!(context.secret(), "CTX-FROM-JWT");
        assert_eq!(source, IdentityContextSource::IdTokenClaim);
        let input = identity_context::assume_role_input(&out, ROLE, "alice").unwrap();
        assert_eq!(
            input.provided_contexts.as_deref().unwrap()[0]
                .context_assertion
                .secret(),
            "CTX-FROM-JWT"
        );
    }
    // Padded base64url payloads are accepted too.
    let padded = format!(
        "h.{}.s",
        URL_SAFE.encode(r#"{"sts:identity_context":"PADDED1"}"#)
    );
    assert!(padded.contains('='));
    let context = identity_context::from_id_token(&IdToken::new(padded)).unwrap();
    assert_eq!(context.secret(), "PADDED1");
    // The signature is not checked: any third part will do.
    let unsigned = format!(
        "h.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"sts:identity_context":"U"}"#)
    );
    assert_eq!(
        identity_context::from_id_token(&IdToken::new(unsigned))
            .unwrap()
            .secret(),
        "U"
    );
}

#[test]
fn error_cases() {
    // Neither source.
    assert_eq!(
        identity_context::identity_context(&output("")).unwrap_err(),
        IdentityContextError::Missing
    );
    assert_eq!(
        identity_context::assume_role_input(&output(""), ROLE, "alice").unwrap_err(),
        IdentityContextError::Missing
    );
    // A token without the claim, or with a null or empty one.
    for payload in [
        r#"{"sub":"u"}"#,
        r#"{"sts:identity_context":null}"#,
        r#"{"sts:identity_context":" "}"#,
    ] {
        let out = output(&format!(r#","idToken":"{}""#, jwt(payload)));
        assert_eq!(
            identity_context::identity_context(&out).unwrap_err(),
            IdentityContextError::Missing,
            "{payload}"
        );
    }
    // Malformed tokens, never echoed.
    let malformed = [
        "PLANTED-only-one-part".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        "h.PLANTED!!notbase64.s".to_owned(),
        format!("h.{}.s", URL_SAFE_NO_PAD.encode("PLANTED not json")),
        format!("h.{}.s", URL_SAFE_NO_PAD.encode("[\"PLANTED\"]")),
        format!(
            "h.{}.s",
            URL_SAFE_NO_PAD.encode(r#"{"sts:identity_context":["PLANTED"]}"#)
        ),
        format!(
            "h.{}.s",
            URL_SAFE_NO_PAD.encode(r#"{"sts:identity_context":42}"#)
        ),
    ];
    for token in malformed {
        let out = output(&format!(r#","idToken":"{token}""#));
        let error = identity_context::identity_context(&out).unwrap_err();
        assert!(
            matches!(error, IdentityContextError::MalformedIdToken { .. }),
            "{token}: {error:?}"
        );
        let text = format!("{error} {error:?}");
        assert!(!text.contains("PLANTED"), "{text}");
    }
}
