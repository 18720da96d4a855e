//! Every STS parser returns a value or a typed error for any input: any
//! status, any body bytes, and XML shaped like the real documents (the
//! known element names nested in any way, with text of any kind), so the
//! interesting paths are reached, not just "not XML".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::sts::{
    assume_role, assume_role_with_saml, assume_role_with_web_identity, assume_root,
    decode_authorization_message, get_access_key_info, get_caller_identity,
    get_delegated_access_token, get_federation_token, get_session_token, get_web_identity_token,
};
use oidc_core::Error;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    // Wrappers.
    "AssumeRoleResponse",
    "AssumeRoleResult",
    "AssumeRoleWithSAMLResponse",
    "AssumeRoleWithSAMLResult",
    "AssumeRoleWithWebIdentityResponse",
    "AssumeRoleWithWebIdentityResult",
    "AssumeRootResponse",
    "AssumeRootResult",
    "DecodeAuthorizationMessageResponse",
    "DecodeAuthorizationMessageResult",
    "GetAccessKeyInfoResponse",
    "GetAccessKeyInfoResult",
    "GetCallerIdentityResponse",
    "GetCallerIdentityResult",
    "GetDelegatedAccessTokenResponse",
    "GetDelegatedAccessTokenResult",
    "GetFederationTokenResponse",
    "GetFederationTokenResult",
    "GetSessionTokenResponse",
    "GetSessionTokenResult",
    "GetWebIdentityTokenResponse",
    "GetWebIdentityTokenResult",
    "ResponseMetadata",
    "RequestId",
    // Members.
    "Credentials",
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "AssumedRoleUser",
    "AssumedRoleId",
    "Arn",
    "FederatedUser",
    "FederatedUserId",
    "PackedPolicySize",
    "SourceIdentity",
    "SessionTokenUtilization",
    "SessionTokenSize",
    "Subject",
    "SubjectType",
    "Issuer",
    "Audience",
    "NameQualifier",
    "SubjectFromWebIdentityToken",
    "Provider",
    "DecodedMessage",
    "Account",
    "UserId",
    "AssumedPrincipal",
    "WebIdentityToken",
    // Errors.
    "ErrorResponse",
    "Error",
    "Type",
    "Code",
    "Message",
    // Others.
    "html",
    "x:Credentials",
    "member",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("2024-05-14T17:48:09Z".to_owned()),
        Just("2024-05-14T17:48:09.123+00:00".to_owned()),
        Just("99999-01-01T00:00:00Z".to_owned()),
        Just("-1".to_owned()),
        Just("4294967296".to_owned()),
        Just("42".to_owned()),
        Just("Sender".to_owned()),
        Just("Receiver".to_owned()),
        Just("ExpiredTokenException".to_owned()),
        Just("&amp;&lt;&#65;&#x1F600;&#0;&#xD800;&bogus;&".to_owned()),
        Just("<![CDATA[x]]>".to_owned()),
        Just("arn:aws:sts::123456789012:assumed-role/r/s".to_owned()),
        "[a-zA-Z0-9 <>&;#/=+:.\\-]{0,24}",
        any::<String>(),
    ]
}

fn element() -> impl Strategy<Value = String> {
    let leaf = (prop::sample::select(NAMES), text()).prop_map(|(name, text)| {
        if text.is_empty() {
            format!("<{name}/>")
        } else {
            format!("<{name}>{text}</{name}>")
        }
    });
    leaf.prop_recursive(5, 64, 6, |inner| {
        (
            prop::sample::select(NAMES),
            prop::collection::vec(inner, 0..6),
            any::<bool>(),
        )
            .prop_map(|(name, children, ns)| {
                let attrs = if ns {
                    " xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""
                } else {
                    ""
                };
                format!("<{name}{attrs}>{}</{name}>", children.concat())
            })
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(403), Just(500), 100u16..=599]
}

fn run_all(status: u16, body: &[u8], headers: &[(&str, &str)]) {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let response = builder.body(body.to_vec()).unwrap();
    let results: Vec<Result<(), Error>> = vec![
        assume_role::parse(&response).map(drop),
        assume_role_with_saml::parse(&response).map(drop),
        assume_role_with_web_identity::parse(&response).map(drop),
        assume_root::parse(&response).map(drop),
        decode_authorization_message::parse(&response).map(drop),
        get_access_key_info::parse(&response).map(drop),
        get_caller_identity::parse(&response).map(drop),
        get_delegated_access_token::parse(&response).map(drop),
        get_federation_token::parse(&response).map(drop),
        get_session_token::parse(&response).map(drop),
        get_web_identity_token::parse(&response).map(drop),
    ];
    for result in results {
        match result {
            Ok(()) => assert!((200..300).contains(&status)),
            Err(e) => {
                // Every error formats, and names the status it came from.
                let _ = format!("{e} {e:?}");
                assert_eq!(e.status(), Some(status));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(status in status(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        run_all(status, &body, &[]);
    }

    #[test]
    fn arbitrary_text(status in status(), body in any::<String>()) {
        run_all(status, body.as_bytes(), &[("x-amzn-RequestId", "r")]);
    }

    #[test]
    fn xml_shaped(status in status(), doc in element(), prefix in prop_oneof![
        Just(""), Just("<?xml version=\"1.0\"?>"), Just("\u{feff}"), Just("<!DOCTYPE x>"), Just("<!-- c -->")
    ], cut in any::<prop::sample::Index>()) {
        let body = format!("{prefix}{doc}");
        run_all(status, body.as_bytes(), &[]);
        // Cut anywhere (on a byte, not a char boundary).
        let at = cut.index(body.len() + 1);
        run_all(status, &body.as_bytes()[..at], &[]);
    }
}

#[test]
fn a_deeply_nested_document_is_fine() {
    let mut body = String::new();
    body.push_str("<AssumeRoleResponse><AssumeRoleResult>");
    for _ in 0..10_000 {
        body.push_str("<Credentials>");
    }
    for _ in 0..10_000 {
        body.push_str("</Credentials>");
    }
    body.push_str("</AssumeRoleResult></AssumeRoleResponse>");
    run_all(200, body.as_bytes(), &[]);
}
