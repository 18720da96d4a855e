//! No secret ever shows in `{:?}`, `{:#?}` or `{}` of any public type.
//!
//! Every secret below carries the marker `PLANTED`, and no non-secret value
//! does, so one `contains("PLANTED")` check per rendering catches a leak of
//! any of them. The secrets look like the real ones (long, letters and
//! digits), which matters for text the *service* sends back: the parser
//! redacts credential-like words there, as documented on
//! `oidc_core::ServiceError`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod op_support;

use std::fmt::{Debug, Display};
use std::marker::PhantomData;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::{CachedRegistration, CachedToken};
use oidc_core::debug::{DebugRequest, DebugResponse};
use oidc_core::pkce::{self, AuthorizeRequest, State};
use oidc_core::secret::*;
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, Grant};
use oidc_core::sso_oidc::create_token_with_iam::{self, CreateTokenWithIamInput, IamGrant};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationInput};
use oidc_core::sso_oidc::TokenType;
use oidc_core::{DeviceFlow, DeviceFlowError, Error, Step};
use op_support::{endpoint, response};

const MARKER: &str = "PLANTED";
const CLIENT_SECRET: &str = "eyJraWQiOiJQTEFOVEVEIn0.PLANTEDclientSecret9f8e7d6c5b4a3f2e1d0c";
const ACCESS_TOKEN: &str = "aoaAAAAAGPLANTEDaccessToken0123456789abcdef:MGUCMQD0123456789";
const REFRESH_TOKEN: &str = "Atrt|PLANTEDrefreshToken0123456789abcdefABCDEF0123456789";
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.PLANTEDidToken0123456789.c2lnbmF0dXJlMDEyMzQ1";
const DEVICE_CODE: &str = "yJraWQiOiJrZXktMTU2NDAyODA5OSIsPLANTEDdeviceCode0123456789";
const AUTH_CODE: &str = "PLANTEDauthorizationCode0123456789abcdefABCDEF";
const CODE_VERIFIER: &str = "PLANTEDcodeVerifier0123456789abcdefABCDEF0123456789-._~";
const ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.PLANTEDassertion0123456789.c2lnbmF0dXJl";
const SUBJECT_TOKEN: &str = "aoaAAAAAGPLANTEDsubjectToken0123456789abcdefABCDEF";
const IDENTITY_CONTEXT: &str = "AQoDYXdzEJr/PLANTEDidentityContext0123456789abcdef+/==";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/PLANTEDsecretAccessKey0123456789";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEPLANTEDsessionToken0123456789abcdef==";

const ALL: [&str; 12] = [
    CLIENT_SECRET,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    ID_TOKEN,
    DEVICE_CODE,
    AUTH_CODE,
    CODE_VERIFIER,
    ASSERTION,
    SUBJECT_TOKEN,
    IDENTITY_CONTEXT,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
];

/// Renders `value` with `{:?}` and `{:#?}` and checks both.
#[track_caller]
fn check_debug<T: Debug + ?Sized>(what: &str, value: &T) {
    check_text(what, &format!("{value:?}"));
    check_text(what, &format!("{value:#?}"));
}

/// Renders `value` with `{:?}`, `{:#?}` and `{}` and checks all three.
#[track_caller]
fn check_all<T: Debug + Display + ?Sized>(what: &str, value: &T) {
    check_debug(what, value);
    check_text(what, &value.to_string());
    check_text(what, &format!("{value:#}"));
}

#[track_caller]
fn check_text(what: &str, text: &str) {
    assert!(!text.is_empty(), "{what}: empty rendering");
    assert!(!text.contains(MARKER), "{what} leaks a secret: {text}");
    for secret in ALL {
        // Also catch a leak of the distinctive tail of a secret.
        let tail = &secret[secret.len() - 12..];
        assert!(!text.contains(tail), "{what} leaks {tail}: {text}");
    }
}

fn grants() -> Vec<Grant> {
    vec![
        Grant::DeviceCode {
            device_code: DeviceCode::new(DEVICE_CODE),
        },
        Grant::RefreshToken {
            refresh_token: RefreshToken::new(REFRESH_TOKEN),
        },
        Grant::AuthorizationCode {
            code: AuthorizationCode::new(AUTH_CODE),
            redirect_uri: "http://127.0.0.1:53127/oauth/callback".to_owned(),
            code_verifier: Some(CodeVerifier::new(CODE_VERIFIER)),
        },
    ]
}

fn iam_grants() -> Vec<IamGrant> {
    vec![
        IamGrant::AuthorizationCode {
            code: AuthorizationCode::new(AUTH_CODE),
            redirect_uri: "https://app.example.com/cb".to_owned(),
            code_verifier: Some(CodeVerifier::new(CODE_VERIFIER)),
        },
        IamGrant::RefreshToken {
            refresh_token: RefreshToken::new(REFRESH_TOKEN),
        },
        IamGrant::JwtBearer {
            assertion: Assertion::new(ASSERTION),
        },
        IamGrant::TokenExchange {
            subject_token: SubjectToken::new(SUBJECT_TOKEN),
            subject_token_type: TokenType::AccessToken,
            requested_token_type: Some(TokenType::RefreshToken),
        },
    ]
}

fn token_body() -> String {
    serde_json::json!({
        "accessToken": ACCESS_TOKEN,
        "tokenType": "Bearer",
        "expiresIn": 3600,
        "refreshToken": REFRESH_TOKEN,
        "idToken": ID_TOKEN,
        "issuedTokenType": "urn:ietf:params:oauth:token-type:access_token",
        "scope": ["openid"],
        "awsAdditionalDetails": {"identityContext": IDENTITY_CONTEXT},
    })
    .to_string()
}

fn authorization() -> start_device_authorization::StartDeviceAuthorizationOutput {
    let body = serde_json::json!({
        "deviceCode": DEVICE_CODE,
        "userCode": "BCDF-GHJK",
        "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
        "verificationUriComplete": "https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK",
        "expiresIn": 600,
        "interval": 1,
    });
    start_device_authorization::parse(&response(200, &body.to_string())).unwrap()
}

/// An error response that echoes every secret in every text member.
fn echoing_error(code: &str) -> http::Response<Vec<u8>> {
    let echo = ALL.join(" ");
    let body = serde_json::json!({
        "error": format!("invalid_grant {ACCESS_TOKEN}"),
        "error_description": format!("rejected: {echo}"),
        "message": echo,
        "reason": format!("KMS_DisabledException {CLIENT_SECRET}"),
        "endpoint": format!("https://oidc.eu-west-1.amazonaws.com {SUBJECT_TOKEN}"),
        "region": format!("eu-west-1 {ASSERTION}"),
        "clientSecret": CLIENT_SECRET,
        "accessToken": ACCESS_TOKEN,
    });
    http::Response::builder()
        .status(400)
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-RequestId", "req-1")
        .header("authorization", format!("Bearer {ACCESS_TOKEN}"))
        .body(body.to_string().into_bytes())
        .unwrap()
}

#[test]
fn every_secret_type_redacts_its_debug() {
    check_debug("ClientSecret", &ClientSecret::new(CLIENT_SECRET));
    check_debug("AccessToken", &AccessToken::new(ACCESS_TOKEN));
    check_debug("RefreshToken", &RefreshToken::new(REFRESH_TOKEN));
    check_debug("IdToken", &IdToken::new(ID_TOKEN));
    check_debug("DeviceCode", &DeviceCode::new(DEVICE_CODE));
    check_debug("AuthorizationCode", &AuthorizationCode::new(AUTH_CODE));
    check_debug("CodeVerifier", &CodeVerifier::new(CODE_VERIFIER));
    check_debug("Assertion", &Assertion::new(ASSERTION));
    check_debug("SubjectToken", &SubjectToken::new(SUBJECT_TOKEN));
    check_debug("IdentityContext", &IdentityContext::new(IDENTITY_CONTEXT));
    check_debug("SecretAccessKey", &SecretAccessKey::new(SECRET_ACCESS_KEY));
    check_debug("SessionToken", &SessionToken::new(SESSION_TOKEN));
    assert_eq!(
        format!("{:?}", SubjectToken::new(SUBJECT_TOKEN)),
        "SubjectToken([redacted])"
    );
}

#[test]
fn operation_inputs_grants_and_requests_hide_secrets() {
    let register = RegisterClientInput::new("botocore-client-x")
        .with_issuer_url("https://my-sso-portal.awsapps.com/start");
    check_debug("RegisterClientInput", &register);
    check_debug(
        "RegisterClient request",
        &DebugRequest(&register_client::request(&register, &endpoint()).unwrap()),
    );

    let start = StartDeviceAuthorizationInput::new(
        "client-id",
        ClientSecret::new(CLIENT_SECRET),
        "https://my-sso-portal.awsapps.com/start",
    );
    check_debug("StartDeviceAuthorizationInput", &start);
    let request = start_device_authorization::request(&start, &endpoint()).unwrap();
    assert!(String::from_utf8_lossy(request.body()).contains(CLIENT_SECRET));
    check_debug("StartDeviceAuthorization request", &DebugRequest(&request));

    for grant in grants() {
        check_debug("Grant", &grant);
        let input = CreateTokenInput::new("client-id", ClientSecret::new(CLIENT_SECRET), grant)
            .with_scope(["sso:account:access"]);
        check_debug("CreateTokenInput", &input);
        let request = create_token::request(&input, &endpoint()).unwrap();
        assert!(String::from_utf8_lossy(request.body()).contains(MARKER));
        check_debug("CreateToken request", &DebugRequest(&request));
    }
    for grant in iam_grants() {
        check_debug("IamGrant", &grant);
        let input =
            CreateTokenWithIamInput::new("arn:aws:portal::123456789012:application/x/y", grant);
        check_debug("CreateTokenWithIamInput", &input);
        let mut request = create_token_with_iam::request(&input, &endpoint()).unwrap();
        // A signed request carries credentials in headers too.
        request.headers_mut().insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKID/{SECRET_ACCESS_KEY}")
                .parse()
                .unwrap(),
        );
        request
            .headers_mut()
            .insert("x-amz-security-token", SESSION_TOKEN.parse().unwrap());
        assert!(String::from_utf8_lossy(request.body()).contains(MARKER));
        check_debug("CreateTokenWithIAM request", &DebugRequest(&request));
    }
}

#[test]
fn operation_outputs_hide_secrets() {
    let registration = register_client::parse(&response(
        200,
        &serde_json::json!({
            "clientId": "client-id",
            "clientSecret": CLIENT_SECRET,
            "clientSecretExpiresAt": 1_707_776_000,
        })
        .to_string(),
    ))
    .unwrap();
    check_debug("RegisterClientOutput", &registration);
    check_debug("StartDeviceAuthorizationOutput", &authorization());
    let token = create_token::parse(&response(200, &token_body())).unwrap();
    assert_eq!(token.access_token.secret(), ACCESS_TOKEN);
    check_debug("CreateTokenOutput", &token);
    let iam = create_token_with_iam::parse(&response(200, &token_body())).unwrap();
    check_debug("CreateTokenWithIamOutput", &iam);
    check_debug(
        "AwsAdditionalDetails",
        iam.aws_additional_details.as_ref().unwrap(),
    );
    check_debug("response", &DebugResponse(&response(200, &token_body())));
}

#[test]
fn service_errors_that_echo_secrets_hide_them() {
    let codes = [
        "InvalidGrantException",
        "AccessDeniedException",
        "InvalidRequestRegionException",
        "InvalidRequestException",
        "ExpiredTokenException",
        "InvalidClientException",
        "SomeUnknownException",
    ];
    for code in codes {
        let errors = [
            register_client::parse(&echoing_error(code)).unwrap_err(),
            start_device_authorization::parse(&echoing_error(code)).unwrap_err(),
            create_token::parse(&echoing_error(code)).unwrap_err(),
            create_token_with_iam::parse(&echoing_error(code)).unwrap_err(),
        ];
        for error in errors {
            let service = error.service_error().expect("a service error");
            assert!(service.message.as_deref().unwrap().contains("[redacted]"));
            check_all(code, &error);
            check_all(code, service);
        }
    }
    // A secret smuggled into the error code itself.
    let error =
        create_token::parse(&echoing_error(&format!("{ACCESS_TOKEN}Exception"))).unwrap_err();
    check_all("code", &error);
    check_all("code", error.code().unwrap());
}

#[test]
fn parse_errors_never_carry_the_body() {
    let bodies = [
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}","expiresIn":"{REFRESH_TOKEN}"}}"#),
        format!(
            r#"{{"accessToken":"{ACCESS_TOKEN}","expiresIn":"{REFRESH_TOKEN}, expected {ID_TOKEN}"}}"#
        ),
        format!(r#"{{"accessToken":["{ACCESS_TOKEN}"],"expiresIn":1}}"#),
        format!(
            r#"{{"accessToken":"{ACCESS_TOKEN}","expiresIn":1,"awsAdditionalDetails":["{IDENTITY_CONTEXT}"]}}"#
        ),
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}","expiresIn":1,"scope":[{{"{ID_TOKEN}":1}}]}}"#),
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}"#),
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}"}} {REFRESH_TOKEN}"#),
        format!(r#"<html>{ACCESS_TOKEN}</html>"#),
        format!(r#"["{ACCESS_TOKEN}",null,3600]"#),
        format!(r#"{{"clientId":"{CLIENT_SECRET}","clientSecret":7}}"#),
        format!(r#"{{"deviceCode":{{"{DEVICE_CODE}":1}}}}"#),
    ];
    for body in &bodies {
        for status in [200, 400, 500] {
            let response = response(status, body);
            let errors = [
                register_client::parse(&response).err(),
                start_device_authorization::parse(&response).err(),
                create_token::parse(&response).err(),
                create_token_with_iam::parse(&response).err(),
            ];
            for error in errors.into_iter().flatten() {
                check_all(body, &error);
            }
        }
    }
}

#[test]
fn invalid_input_errors_do_not_echo_secrets() {
    let bad_verifier = format!("{CODE_VERIFIER}!");
    let grant = Grant::AuthorizationCode {
        code: AuthorizationCode::new(AUTH_CODE),
        redirect_uri: "http://127.0.0.1/oauth/callback".to_owned(),
        code_verifier: Some(CodeVerifier::new(bad_verifier.as_str())),
    };
    let input = CreateTokenInput::new("id", ClientSecret::new(CLIENT_SECRET), grant);
    let error = create_token::request(&input, &endpoint()).unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)));
    check_all("InvalidInput", &error);
    let iam = CreateTokenWithIamInput::new(
        "arn:aws:portal::1:application/x/y",
        IamGrant::AuthorizationCode {
            code: AuthorizationCode::new(AUTH_CODE),
            redirect_uri: "https://a/cb".to_owned(),
            code_verifier: Some(CodeVerifier::new(&CODE_VERIFIER[..20])),
        },
    );
    check_all(
        "InvalidInput",
        &create_token_with_iam::request(&iam, &endpoint()).unwrap_err(),
    );
}

#[test]
fn the_device_flow_hides_secrets_in_every_state() {
    let start = Instant::now();
    let mut flow = DeviceFlow::new(
        "client-id",
        ClientSecret::new(CLIENT_SECRET),
        authorization(),
        endpoint(),
        start,
    );
    check_debug("DeviceFlow", &flow);
    check_debug("Prompt", flow.prompt());
    let action = flow.poll(start);
    assert!(matches!(action, Step::Send(_)));
    check_debug("Step::Send", &action);
    check_debug("DeviceFlow in flight", &flow);
    flow.handle_response(start, &echoing_error("AuthorizationPendingException"))
        .unwrap();
    let mut now = start;
    let mut seen_prompt = false;
    for _ in 0..10 {
        match flow.poll(now) {
            Step::Local(prompt) => {
                check_debug(
                    "Step::Local(prompt)",
                    &oidc_core::DeviceFlowStep::Local(prompt),
                );
                seen_prompt = true;
            }
            Step::WaitUntil(at) => now = at,
            action @ Step::Send(_) => {
                check_debug("Step::Send", &action);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(seen_prompt);
    flow.handle_response(now, &response(200, &token_body()))
        .unwrap();
    let done = flow.poll(now);
    assert!(matches!(done, Step::Done(Ok(_))));
    check_debug("Step::Done(Ok)", &done);
    check_debug("DeviceFlow finished", &flow);

    for code in [
        "AccessDeniedException",
        "InvalidGrantException",
        "InvalidClientException",
        "ExpiredTokenException",
        "UnauthorizedClientException",
    ] {
        let mut flow = DeviceFlow::new(
            "client-id",
            ClientSecret::new(CLIENT_SECRET),
            authorization(),
            endpoint(),
            start,
        );
        let _ = flow.poll(start);
        flow.handle_response(start, &echoing_error(code)).unwrap();
        let Step::Done(Err(error)) = flow.poll(start) else {
            panic!("{code} ends the flow")
        };
        check_all(code, &error);
        check_debug(code, &oidc_core::DeviceFlowStep::Done(Err(error.clone())));
    }
    check_all("Expired", &DeviceFlowError::Expired { service: None });
}

#[test]
fn pkce_values_hide_secrets() {
    let verifier = CodeVerifier::from_random_bytes(&[7; 32]);
    check_text("verifier", &format!("{verifier:?}"));
    assert!(!format!("{verifier:?}").contains(verifier.secret()));
    let state = State::from_random_bytes(&[9; 16]);
    assert!(!format!("{state:?}").contains(state.as_str()));
    assert!(!format!("{state:#?}").contains(state.as_str()));
    let request = AuthorizeRequest {
        client_id: "client-id".to_owned(),
        redirect_uri: pkce::loopback_redirect_uri(53127),
        state: state.clone(),
        code_challenge: pkce::code_challenge(&verifier),
        scopes: vec![],
    };
    let printed = format!("{request:?}");
    assert!(!printed.contains(state.as_str()), "{printed}");
    assert!(!printed.contains(verifier.secret()), "{printed}");

    let forged = format!("/oauth/callback?code={AUTH_CODE}&state=forged-{MARKER}");
    let error = pkce::parse_redirect(&forged, &state).unwrap_err();
    check_all("RedirectError", &error);
    let no_state = format!("/oauth/callback?code={AUTH_CODE}");
    check_all(
        "RedirectError",
        &pkce::parse_redirect(&no_state, &state).unwrap_err(),
    );
    let ok = format!("/oauth/callback?code={AUTH_CODE}&state={}", state.as_str());
    let code = pkce::parse_redirect(&ok, &state).unwrap();
    assert_eq!(code.secret(), AUTH_CODE);
    check_debug("AuthorizationCode", &code);
}

#[test]
fn cache_entries_and_their_errors_hide_secrets() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000);
    let token = CachedToken::new(AccessToken::new(ACCESS_TOKEN), now)
        .with_start_url("https://my-sso-portal.awsapps.com/start")
        .with_region("us-east-1")
        .with_client_id("client-id")
        .with_client_secret(ClientSecret::new(CLIENT_SECRET))
        .with_registration_expires_at(now)
        .with_refresh_token(RefreshToken::new(REFRESH_TOKEN));
    check_debug("CachedToken", &token);
    let read = CachedToken::from_json(&token.to_json()).unwrap();
    check_debug("CachedToken (read)", &read);
    let registration = CachedRegistration::new("client-id", ClientSecret::new(CLIENT_SECRET), now)
        .with_scopes(vec!["sso:account:access".to_owned()]);
    check_debug("CachedRegistration", &registration);
    check_debug(
        "CachedRegistration (read)",
        &CachedRegistration::from_json(&registration.to_json()).unwrap(),
    );
    let bad = [
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}","expiresAt":"{REFRESH_TOKEN}"}}"#),
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}"}}"#),
        format!(r#"{{"accessToken":["{ACCESS_TOKEN}"],"expiresAt":"2024-01-01T00:00:00Z"}}"#),
        format!(r#"{{"accessToken":"{ACCESS_TOKEN}""#),
        format!(r#"["{ACCESS_TOKEN}"]"#),
        format!(
            r#"{{"clientId":"x","clientSecret":"{CLIENT_SECRET}","expiresAt":"{CLIENT_SECRET}"}}"#
        ),
    ];
    for bytes in &bad {
        if let Err(e) = CachedToken::from_json(bytes.as_bytes()) {
            check_all("CacheFormatError", &e);
        }
        if let Err(e) = CachedRegistration::from_json(bytes.as_bytes()) {
            check_all("CacheFormatError", &e);
        }
    }
}

// ---------------------------------------------------------------------------
// Secret types have no `Display` (and no `PartialEq`): checked at compile time
// with autoref specialisation. `(&&Probe::<T>).has_display()` resolves to
// the `&Probe<T>` impl only when `T: Display`; otherwise method lookup
// auto-derefs once and finds the fallback impl on `Probe<T>`. The answer is
// fixed by the type checker; the test only reads it.

struct Probe<T: ?Sized>(PhantomData<T>);

trait HasDisplay {
    fn has_display(&self) -> bool {
        true
    }
}
impl<T: Display + ?Sized> HasDisplay for &Probe<T> {}

trait NoDisplay {
    fn has_display(&self) -> bool {
        false
    }
}
impl<T: ?Sized> NoDisplay for Probe<T> {}

trait HasEq {
    fn has_eq(&self) -> bool {
        true
    }
}
impl<T: PartialEq + ?Sized> HasEq for &Probe<T> {}

trait NoEq {
    fn has_eq(&self) -> bool {
        false
    }
}
impl<T: ?Sized> NoEq for Probe<T> {}

macro_rules! probe {
    ($($t:ty),* $(,)?) => {
        [$((stringify!($t), (&&Probe::<$t>(PhantomData)).has_display(), (&&Probe::<$t>(PhantomData)).has_eq())),*]
    };
}

#[test]
fn secret_types_implement_neither_display_nor_partial_eq() {
    // The probe itself works: these do implement both.
    for (name, display, eq) in probe!(String, TokenType, oidc_core::ErrorCode) {
        assert!(display && eq, "{name}: the probe is broken");
    }
    for (name, display, eq) in probe!(
        ClientSecret,
        AccessToken,
        RefreshToken,
        IdToken,
        DeviceCode,
        AuthorizationCode,
        CodeVerifier,
        Assertion,
        SubjectToken,
        IdentityContext,
        SecretAccessKey,
        SessionToken,
        State,
    ) {
        assert!(!display, "{name} must not implement Display");
        assert!(
            !eq,
            "{name} must not implement PartialEq (use constant-time checks)"
        );
    }
}

/// Every member the model flags as sensitive, in every output shape, is
/// hidden by the parsed output's `Debug`, while the non-sensitive members
/// stay visible.
#[test]
fn the_models_sensitive_output_members_are_hidden() {
    type Render = fn(&http::Response<Vec<u8>>) -> String;
    let outputs: [(&str, Render); 4] = [
        ("RegisterClientResponse", |r| {
            format!("{:?}", register_client::parse(r).unwrap())
        }),
        ("StartDeviceAuthorizationResponse", |r| {
            format!("{:?}", start_device_authorization::parse(r).unwrap())
        }),
        ("CreateTokenResponse", |r| {
            format!("{:?}", create_token::parse(r).unwrap())
        }),
        ("CreateTokenWithIAMResponse", |r| {
            format!("{:?}", create_token_with_iam::parse(r).unwrap())
        }),
    ];
    for (shape, render) in outputs {
        let mut sensitive = op_support::sensitive_members(shape);
        // Stricter than the model: the device code lets its holder poll for
        // the user's token (the spec: "treat as secret-ish").
        if shape == "StartDeviceAuthorizationResponse" {
            assert!(sensitive.is_empty());
            sensitive.insert("deviceCode".to_owned());
        }
        let model = op_support::MODEL;
        let model: serde_json::Value = serde_json::from_str(model).unwrap();
        let mut body = serde_json::Map::new();
        for (member, spec) in model["shapes"][shape]["members"].as_object().unwrap() {
            let target = spec["shape"].as_str().unwrap();
            let value = match model["shapes"][target]["type"].as_str().unwrap() {
                "integer" | "long" => serde_json::json!(600),
                "list" => serde_json::json!([format!("visible-{member}")]),
                "structure" => serde_json::json!({"identityContext": IDENTITY_CONTEXT}),
                _ if sensitive.contains(member) => serde_json::json!(format!("{MARKER}-{member}")),
                _ => serde_json::json!(format!("visible-{member}")),
            };
            body.insert(member.clone(), value);
        }
        let printed = render(&response(
            200,
            &serde_json::Value::Object(body.clone()).to_string(),
        ));
        check_text(shape, &printed);
        for (member, value) in &body {
            if let Some(text) = value.as_str() {
                if !sensitive.contains(member) && member != "issuedTokenType" {
                    assert!(
                        printed.contains(text),
                        "{shape}: {member} is shown: {printed}"
                    );
                }
            }
        }
    }
}

#[test]
fn debug_views_print_only_what_the_uri_has() {
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("/token?code={AUTH_CODE}"))
        .header("authorization", format!("Bearer {ACCESS_TOKEN}"))
        .header("content-type", "application/json")
        .body(CLIENT_SECRET.as_bytes().to_vec())
        .unwrap();
    let printed = format!("{:?}", DebugRequest(&request));
    check_text("origin-form request", &printed);
    assert!(printed.contains(r#"uri: /token,"#), "{printed}");
    assert!(printed.contains(r#""<redacted headers>": 1"#), "{printed}");
    assert!(
        printed.contains(&format!("body_len: {}", CLIENT_SECRET.len())),
        "{printed}"
    );
    let absolute = create_token::request(
        &CreateTokenInput::new("id", ClientSecret::new(CLIENT_SECRET), grants().remove(0)),
        &endpoint(),
    )
    .unwrap();
    let printed = format!("{:?}", DebugRequest(&absolute));
    assert!(
        printed.contains("uri: https://oidc.us-east-1.amazonaws.com/token,"),
        "{printed}"
    );
}
