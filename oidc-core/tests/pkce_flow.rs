//! Tests of `oidc_core::pkce` through its public API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::pkce::{
    self, code_challenge, loopback_redirect_uri, parse_redirect, AuthorizeRequest, RedirectError,
    State, CALLBACK_PATH, DEFAULT_SCOPE, REGISTRATION_REDIRECT_URI,
};
use oidc_core::secret::CodeVerifier;
use proptest::prelude::*;

const SPEC_STATE_BYTES: [u8; 16] = [
    0x3f, 0x2c, 0x8a, 0x9e, 0x6b, 0x1d, 0x4c, 0x2e, 0x9a, 0x7f, 0x0d, 0x4b, 0x5e, 0x6f, 0x7a, 0x8b,
];
const SPEC_STATE: &str = "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b";

fn spec_state() -> State {
    State::from_random_bytes(&SPEC_STATE_BYTES)
}

#[test]
fn rfc7636_appendix_b_vector() {
    // The RFC's verifier is the base64url encoding of these 32 octets.
    let octets: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    let verifier = CodeVerifier::from_random_bytes(&octets);
    assert_eq!(
        verifier.secret(),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    let challenge = code_challenge(&verifier);
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(challenge.method(), "S256");
}

#[test]
fn challenge_of_cli_style_64_char_verifier() {
    // A 64-character verifier as the CLI draws it is also accepted.
    let verifier = CodeVerifier::new("A".repeat(64));
    let challenge = code_challenge(&verifier);
    assert_eq!(challenge.as_str().len(), 43);
}

#[test]
fn uuid_v4_rendering() {
    let cases: &[([u8; 16], &str)] = &[
        ([0u8; 16], "00000000-0000-4000-8000-000000000000"),
        ([0xff; 16], "ffffffff-ffff-4fff-bfff-ffffffffffff"),
        (SPEC_STATE_BYTES, SPEC_STATE),
        (
            [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                0xcd, 0xef,
            ],
            "01234567-89ab-4def-8123-456789abcdef",
        ),
        (
            [
                0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0x1c, 0xfe, 0x40, 0x32, 0x54, 0x76, 0x98, 0xba,
                0xdc, 0xfe,
            ],
            "10325476-98ba-4cfe-8032-547698badcfe",
        ),
    ];
    for (bytes, expected) in cases {
        let state = State::from_random_bytes(bytes);
        assert_eq!(state.as_str(), *expected);
        assert_uuid_v4(state.as_str());
    }
}

fn assert_uuid_v4(s: &str) {
    assert_eq!(s.len(), 36, "{s}");
    for (i, c) in s.char_indices() {
        if matches!(i, 8 | 13 | 18 | 23) {
            assert_eq!(c, '-', "{s}");
        } else {
            assert!(matches!(c, '0'..='9' | 'a'..='f'), "{s}");
        }
    }
    assert_eq!(&s[14..15], "4", "version nibble in {s}");
    assert!(
        matches!(&s[19..20], "8" | "9" | "a" | "b"),
        "variant bits in {s}"
    );
}

#[test]
fn state_debug_is_redacted() {
    let state = spec_state();
    assert_eq!(format!("{state:?}"), "State([redacted])");
    assert!(!format!("{state:#?}").contains(SPEC_STATE));
}

#[test]
fn loopback_uris() {
    assert_eq!(
        loopback_redirect_uri(53127),
        "http://127.0.0.1:53127/oauth/callback"
    );
    assert_eq!(
        loopback_redirect_uri(0),
        "http://127.0.0.1:0/oauth/callback"
    );
    assert_eq!(
        loopback_redirect_uri(u16::MAX),
        "http://127.0.0.1:65535/oauth/callback"
    );
    assert_eq!(REGISTRATION_REDIRECT_URI, "http://127.0.0.1/oauth/callback");
    assert_eq!(CALLBACK_PATH, "/oauth/callback");
}

fn spec_request(scopes: Vec<String>) -> AuthorizeRequest {
    AuthorizeRequest {
        client_id: "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID".to_owned(),
        redirect_uri: loopback_redirect_uri(53127),
        state: spec_state(),
        code_challenge: code_challenge(&CodeVerifier::new(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )),
        scopes,
    }
}

const SPEC_URL: &str = "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID&redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback&state=3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess%20sso%3Aother&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn authorize_url_worked_example() {
    let request = spec_request(vec!["sso:account:access".into(), "sso:other".into()]);
    assert_eq!(
        request.to_url("https://oidc.us-east-1.amazonaws.com"),
        SPEC_URL
    );
    // One trailing slash is trimmed.
    assert_eq!(
        request.to_url("https://oidc.us-east-1.amazonaws.com/"),
        SPEC_URL
    );
}

#[test]
fn authorize_url_default_scope_and_encoding() {
    let mut request = spec_request(Vec::new());
    let url = request.to_url("https://oidc.us-east-1.amazonaws.com");
    assert!(url.contains("&scopes=sso%3Aaccount%3Aaccess&code_challenge="));
    assert_eq!(DEFAULT_SCOPE, "sso:account:access");

    request.client_id = "a b+c/é~._-".to_owned();
    let url = request.to_url("https://x");
    assert!(url.contains("&client_id=a%20b%2Bc%2F%C3%A9~._-&redirect_uri="));
    assert!(!url.contains('+'));
}

#[test]
fn redirect_success() {
    let state = spec_state();
    let code = parse_redirect(
        &format!("/oauth/callback?code=the-code&state={SPEC_STATE}"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "the-code");

    // Order does not matter, unknown params ignored, values decoded.
    let code = parse_redirect(
        &format!("/oauth/callback?x=1&state={SPEC_STATE}&code=a%2Bb+c%3D"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "a+b c=");

    // First value wins.
    let code = parse_redirect(
        &format!("/oauth/callback?code=first&state={SPEC_STATE}&code=second&state=bogus"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "first");

    // Empty values count as absent (Python parse_qs), so a later value is used.
    let code = parse_redirect(
        &format!("/oauth/callback?code=&code=real&state={SPEC_STATE}"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "real");

    // Percent-encoded state and parameter names are decoded.
    let encoded_state = SPEC_STATE.replace('-', "%2D");
    let code = parse_redirect(
        &format!("/oauth/callback?%63ode=c&state={encoded_state}"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "c");

    // Absolute-form request target.
    let code = parse_redirect(
        &format!("http://127.0.0.1:53127/oauth/callback?code=c&state={SPEC_STATE}"),
        &state,
    )
    .unwrap();
    assert_eq!(code.secret(), "c");
}

#[test]
fn redirect_wrong_path() {
    let state = spec_state();
    for target in [
        "/favicon.ico",
        "/",
        "",
        "/oauth/callback/",
        "/oauth/callbackx?code=a",
        "/OAUTH/CALLBACK?code=a",
        "/oauth%2Fcallback?code=a",
        "oauth/callback?code=a",
        "http://127.0.0.1:1?code=a",
        "*",
    ] {
        let err = parse_redirect(target, &state).unwrap_err();
        assert_eq!(err, RedirectError::WrongPath, "{target:?}");
        assert!(err.is_ignorable());
    }
}

#[test]
fn redirect_authorization_error() {
    let state = spec_state();
    let err = parse_redirect(
        &format!("/oauth/callback?error=access_denied&error_description=User+said+no%21&code=x&state={SPEC_STATE}"),
        &state,
    )
    .unwrap_err();
    assert_eq!(
        err,
        RedirectError::Authorization {
            error: "access_denied".to_owned(),
            error_description: Some("User said no!".to_owned()),
        }
    );
    assert!(!err.is_ignorable());
    assert_eq!(
        err.to_string(),
        r#"authorization failed: the server returned error "access_denied" ("User said no!")"#
    );

    let err = parse_redirect(
        &format!("/oauth/callback?error=server_error&state={SPEC_STATE}"),
        &state,
    )
    .unwrap_err();
    assert_eq!(
        err,
        RedirectError::Authorization {
            error: "server_error".to_owned(),
            error_description: None,
        }
    );
    assert_eq!(
        err.to_string(),
        r#"authorization failed: the server returned error "server_error""#
    );

    // Control characters from the query are escaped in the message.
    let err = parse_redirect(
        &format!("/oauth/callback?error=x%1B%5B31m%0A&state={SPEC_STATE}"),
        &state,
    )
    .unwrap_err();
    assert!(matches!(err, RedirectError::Authorization { .. }));
    let message = err.to_string();
    assert!(!message.contains('\u{1b}'));
    assert!(!message.contains('\n'));
}

#[test]
fn a_request_without_the_right_state_never_ends_the_sign_in() {
    let state = spec_state();
    // The state is checked before the error and the code count.
    for (target, expected) in [
        (
            "/oauth/callback?error=access_denied".to_owned(),
            RedirectError::MissingState,
        ),
        (
            "/oauth/callback?error=access_denied&state=forged".to_owned(),
            RedirectError::StateMismatch,
        ),
        (
            "/oauth/callback?code=abc&state=forged".to_owned(),
            RedirectError::StateMismatch,
        ),
        (
            "/oauth/callback?code&state=abc".to_owned(),
            RedirectError::StateMismatch,
        ),
        (
            format!("/oauth/callback?error=access_denied&state={SPEC_STATE}x"),
            RedirectError::StateMismatch,
        ),
    ] {
        let err = parse_redirect(&target, &state).unwrap_err();
        assert_eq!(err, expected, "{target:?}");
        assert!(err.is_ignorable(), "{target:?}");
    }
}

#[test]
fn redirect_missing_code_and_state() {
    let state = spec_state();
    for target in [
        "/oauth/callback",
        "/oauth/callback?",
        "/oauth/callback?code=",
        &format!("/oauth/callback?code&state={SPEC_STATE}"),
        &format!("/oauth/callback?state={SPEC_STATE}"),
        &format!("/oauth/callback?error=&state={SPEC_STATE}"),
        "/oauth/callback?error=",
    ] {
        let err = parse_redirect(target, &state).unwrap_err();
        assert_eq!(err, RedirectError::MissingCode, "{target:?}");
        assert!(err.is_ignorable());
    }
    for target in [
        "/oauth/callback?code=abc",
        "/oauth/callback?code=abc&state=",
        "/oauth/callback?code=abc&state",
    ] {
        let err = parse_redirect(target, &state).unwrap_err();
        assert_eq!(err, RedirectError::MissingState, "{target:?}");
        assert!(err.is_ignorable());
    }
}

#[test]
fn redirect_state_mismatch() {
    let state = spec_state();
    let wrong = [
        "00000000-0000-4000-8000-000000000000",
        "3F2C8A9E-6B1D-4C2E-9A7F-0D4B5E6F7A8B",
        "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8",
        "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8bb",
        "qqqq-forged",
    ];
    for received in wrong {
        let err = parse_redirect(
            &format!("/oauth/callback?code=SECRETCODE&state={received}"),
            &state,
        )
        .unwrap_err();
        assert_eq!(err, RedirectError::StateMismatch, "{received}");
        // Anyone who can reach the port can send a wrong state: the
        // listener ignores it and keeps waiting.
        assert!(err.is_ignorable());
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SPEC_STATE));
        assert!(!shown.contains(received));
        assert!(!shown.contains("SECRETCODE"));
    }
}

#[test]
fn error_messages_name_the_problem() {
    assert_eq!(
        RedirectError::WrongPath.to_string(),
        "request path is not /oauth/callback"
    );
    assert_eq!(
        RedirectError::MissingCode.to_string(),
        "redirect has no authorization code"
    );
    assert_eq!(
        RedirectError::MissingState.to_string(),
        "redirect has no state parameter"
    );
    assert_eq!(
        RedirectError::StateMismatch.to_string(),
        "state parameter does not match the expected value"
    );
}

#[test]
fn module_is_reachable_under_expected_path() {
    // Keeps the `pkce::` paths used in docs honest.
    let _ = pkce::CODE_CHALLENGE_METHOD;
}

proptest! {
    #[test]
    fn verifier_charset_and_length(bytes in any::<[u8; 32]>()) {
        let verifier = CodeVerifier::from_random_bytes(&bytes);
        let v = verifier.secret();
        prop_assert_eq!(v.len(), 43);
        prop_assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let challenge = code_challenge(&verifier);
        prop_assert_eq!(challenge.as_str().len(), 43);
        prop_assert!(challenge
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn state_is_uuid_v4(bytes in any::<[u8; 16]>()) {
        let state = State::from_random_bytes(&bytes);
        assert_uuid_v4(state.as_str());
        prop_assert!(state.matches(state.as_str()));
    }

    #[test]
    fn state_matches_only_itself(bytes in any::<[u8; 16]>(), other in ".{0,40}") {
        let state = State::from_random_bytes(&bytes);
        prop_assert_eq!(state.matches(&other), other == state.as_str());
    }

    #[test]
    fn parse_redirect_never_panics(target in any::<String>()) {
        let _ = parse_redirect(&target, &spec_state());
    }

    #[test]
    fn parse_redirect_never_panics_on_callback_queries(
        query in "[a-z_=&%+0-9A-F\\-]{0,64}",
    ) {
        let target = format!("/oauth/callback?{query}");
        let _ = parse_redirect(&target, &spec_state());
    }

    #[test]
    fn authorize_url_has_only_safe_characters(
        client_id in any::<String>(),
        scopes in proptest::collection::vec(any::<String>(), 0..4),
    ) {
        let mut request = spec_request(scopes);
        request.client_id = client_id;
        let url = request.to_url("https://oidc.us-east-1.amazonaws.com");
        let query = &url["https://oidc.us-east-1.amazonaws.com/authorize?".len()..];
        prop_assert!(query
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%&=".contains(&b)));
        prop_assert_eq!(query.split('&').count(), 7);
    }
}
