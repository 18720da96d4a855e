//! The SSO portal operations: request shapes, canned responses from the
//! spec and the model, every modelled error, redaction and the credential
//! conversion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use oidc_core::endpoint::{resolve, Endpoint, EndpointConfig, Service};
use oidc_core::portal::get_role_credentials::{self, GetRoleCredentialsInput};
use oidc_core::portal::list_account_roles::{self, ListAccountRolesInput};
use oidc_core::portal::list_accounts::{self, ListAccountsInput};
use oidc_core::portal::logout::{self, LogoutInput, LogoutOutput};
use oidc_core::portal::{self, BEARER_TOKEN_HEADER};
use oidc_core::secret::AccessToken;
use oidc_core::{Auth, Error, ErrorCode, ErrorDetails, InvalidInput, Operation, ParseErrorKind};

const TOKEN: &str = "aoal-PLANTEDACCESSTOKEN0123456789abcdef";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjPLANTEDSESSIONTOKEN";
const REQUEST_ID: &str = "3f0e-req-id";

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://portal.sso.us-east-1.amazonaws.com").unwrap()
}

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", REQUEST_ID)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn error_response(status: u16, code: &str, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", REQUEST_ID)
        .header("x-amzn-ErrorType", code)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// What every portal request shares: the bearer header (sensitive), the
/// user agent, no SigV4, no body for a GET.
fn assert_portal_request(request: &http::Request<Vec<u8>>, method: &str, uri: &str) {
    assert_eq!(request.method().as_str(), method);
    assert_eq!(request.uri().to_string(), uri);
    let bearer = request
        .headers()
        .get(BEARER_TOKEN_HEADER)
        .expect("the bearer header is present");
    assert_eq!(bearer.to_str().unwrap(), TOKEN);
    assert!(bearer.is_sensitive(), "the bearer header is sensitive");
    assert_eq!(
        request
            .headers()
            .get_all(BEARER_TOKEN_HEADER)
            .iter()
            .count(),
        1
    );
    assert_eq!(request.headers()["user-agent"], oidc_core::USER_AGENT);
    for name in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "content-type",
    ] {
        assert!(
            request.headers().get(name).is_none(),
            "{name} must not be set"
        );
    }
    assert!(request.body().is_empty(), "no body");
    if method == "GET" {
        assert!(request.headers().get("content-length").is_none());
    }
    // `http`'s Debug of the request must not show the token.
    let shown = format!("{request:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

fn service_error(error: &Error) -> &oidc_core::ServiceError {
    error
        .service_error()
        .unwrap_or_else(|| panic!("a service error, got {error:?}"))
}

// ---------------------------------------------------------------- requests

#[test]
fn get_role_credentials_request_shape() {
    let input = GetRoleCredentialsInput::new("ReadOnly", "123456789012", TOKEN);
    let request = get_role_credentials::request(&input, &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "GET",
        "https://portal.sso.us-east-1.amazonaws.com/federation/credentials?role_name=ReadOnly&account_id=123456789012",
    );
    // The trait builds the same request.
    let via_trait = Operation::request(&input, &endpoint()).unwrap();
    assert_eq!(via_trait.uri(), request.uri());
}

#[test]
fn query_values_are_percent_encoded() {
    let input = GetRoleCredentialsInput::new("Role With/Odd+Chars=&?é", "1234 5678", TOKEN);
    let request = get_role_credentials::request(&input, &endpoint()).unwrap();
    assert_eq!(
        request.uri().query(),
        Some("role_name=Role%20With%2FOdd%2BChars%3D%26%3F%C3%A9&account_id=1234%205678")
    );
    let input = ListAccountsInput::new(TOKEN).with_next_token("a+b/c==~._-");
    let request = list_accounts::request(&input, &endpoint()).unwrap();
    assert_eq!(
        request.uri().query(),
        Some("next_token=a%2Bb%2Fc%3D%3D~._-")
    );
}

#[test]
fn list_accounts_request_shape() {
    let first = ListAccountsInput::new(TOKEN);
    let request = list_accounts::request(&first, &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "GET",
        "https://portal.sso.us-east-1.amazonaws.com/assignment/accounts",
    );
    let next = ListAccountsInput::new(TOKEN)
        .with_next_token("EXAMPLENEXTTOKEN")
        .with_max_results(25);
    let request = list_accounts::request(&next, &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "GET",
        "https://portal.sso.us-east-1.amazonaws.com/assignment/accounts?next_token=EXAMPLENEXTTOKEN&max_result=25",
    );
}

#[test]
fn list_account_roles_request_shape() {
    let first = ListAccountRolesInput::new(TOKEN, "123456789012");
    let request = list_account_roles::request(&first, &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "GET",
        "https://portal.sso.us-east-1.amazonaws.com/assignment/roles?account_id=123456789012",
    );
    let next = first.with_next_token("T2").with_max_results(100);
    let request = list_account_roles::request(&next, &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "GET",
        "https://portal.sso.us-east-1.amazonaws.com/assignment/roles?next_token=T2&max_result=100&account_id=123456789012",
    );
}

#[test]
fn logout_request_shape() {
    let request = logout::request(&LogoutInput::new(TOKEN), &endpoint()).unwrap();
    assert_portal_request(
        &request,
        "POST",
        "https://portal.sso.us-east-1.amazonaws.com/logout",
    );
    assert_eq!(request.headers()["content-length"], "0");
}

#[test]
fn requests_work_on_the_resolved_endpoint_and_a_path_prefix() {
    let resolved = resolve(Service::SsoPortal, &EndpointConfig::for_region("eu-west-1")).unwrap();
    let request = logout::request(&LogoutInput::new(TOKEN), &resolved).unwrap();
    assert_eq!(
        request.uri(),
        "https://portal.sso.eu-west-1.amazonaws.com/logout"
    );
    let prefixed = Endpoint::from_url("http://127.0.0.1:8080/portal/").unwrap();
    let request =
        list_account_roles::request(&ListAccountRolesInput::new(TOKEN, "1"), &prefixed).unwrap();
    assert_eq!(
        request.uri(),
        "http://127.0.0.1:8080/portal/assignment/roles?account_id=1"
    );
}

#[test]
fn operation_constants() {
    assert_eq!(GetRoleCredentialsInput::NAME, "GetRoleCredentials");
    assert_eq!(ListAccountsInput::NAME, "ListAccounts");
    assert_eq!(ListAccountRolesInput::NAME, "ListAccountRoles");
    assert_eq!(LogoutInput::NAME, "Logout");
    assert_eq!(GetRoleCredentialsInput::SERVICE, Service::SsoPortal);
    assert_eq!(ListAccountsInput::SERVICE, Service::SsoPortal);
    assert_eq!(ListAccountRolesInput::SERVICE, Service::SsoPortal);
    assert_eq!(LogoutInput::SERVICE, Service::SsoPortal);
    assert_eq!(GetRoleCredentialsInput::AUTH, Auth::Bearer);
    assert_eq!(ListAccountsInput::AUTH, Auth::Bearer);
    assert_eq!(ListAccountRolesInput::AUTH, Auth::Bearer);
    assert_eq!(LogoutInput::AUTH, Auth::Bearer);
}

// -------------------------------------------------------------- validation

type Built = Result<http::Request<Vec<u8>>, Error>;

fn invalid_input(result: Built) -> InvalidInput {
    match result {
        Err(Error::InvalidInput(e)) => e,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

fn member(e: &InvalidInput) -> &'static str {
    match e {
        InvalidInput::Empty { member, .. } | InvalidInput::Invalid { member, .. } => member,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn validation_names_the_member() {
    let ep = endpoint();
    let cases: Vec<(&str, Built)> = vec![
        (
            "roleName",
            get_role_credentials::request(&GetRoleCredentialsInput::new(" ", "1", TOKEN), &ep),
        ),
        (
            "accountId",
            get_role_credentials::request(&GetRoleCredentialsInput::new("r", "", TOKEN), &ep),
        ),
        (
            "accessToken",
            get_role_credentials::request(&GetRoleCredentialsInput::new("r", "1", ""), &ep),
        ),
        (
            "accessToken",
            list_accounts::request(&ListAccountsInput::new("tok\nen"), &ep),
        ),
        (
            "maxResults",
            list_accounts::request(&ListAccountsInput::new(TOKEN).with_max_results(0), &ep),
        ),
        (
            "maxResults",
            list_accounts::request(&ListAccountsInput::new(TOKEN).with_max_results(101), &ep),
        ),
        (
            "nextToken",
            list_accounts::request(&ListAccountsInput::new(TOKEN).with_next_token(""), &ep),
        ),
        (
            "accountId",
            list_account_roles::request(&ListAccountRolesInput::new(TOKEN, ""), &ep),
        ),
        (
            "maxResults",
            list_account_roles::request(
                &ListAccountRolesInput::new(TOKEN, "1").with_max_results(1000),
                &ep,
            ),
        ),
        (
            "accessToken",
            logout::request(&LogoutInput::new(AccessToken::new("")), &ep),
        ),
        (
            "accessToken",
            logout::request(&LogoutInput::new("a\u{7f}b"), &ep),
        ),
    ];
    for (expected, result) in cases {
        let e = invalid_input(result);
        assert_eq!(member(&e), expected, "{e}");
    }
    // The bounds themselves are accepted.
    for n in [1, 100] {
        list_accounts::request(&ListAccountsInput::new(TOKEN).with_max_results(n), &ep).unwrap();
    }
}

#[test]
fn an_invalid_token_is_not_echoed() {
    let secret = "PLANTED-BAD-TOKEN\r\nX: y";
    let e = invalid_input(logout::request(&LogoutInput::new(secret), &endpoint()));
    assert!(!e.to_string().contains("PLANTED"), "{e}");
    assert!(!format!("{e:?}").contains("PLANTED"), "{e:?}");
}

// ---------------------------------------------------------------- outputs

#[test]
fn parses_the_spec_get_role_credentials_example() {
    let body = r#"{"roleCredentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "expiration": 1704070800000}}"#;
    let output = get_role_credentials::parse(&response(200, body)).unwrap();
    let c = &output.role_credentials;
    assert_eq!(c.access_key_id, "ASIAEXAMPLE");
    assert_eq!(
        c.secret_access_key.secret(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(c.session_token.secret(), "IQoJb3JpZ2luX2VjEXAMPLE");
    // 2024-01-01T01:00:00Z.
    assert_eq!(
        c.expiration,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800)
    );
    // Through the trait too.
    let via_trait = GetRoleCredentialsInput::parse(&response(200, body)).unwrap();
    assert_eq!(via_trait.role_credentials.access_key_id, "ASIAEXAMPLE");
}

#[test]
fn expiration_keeps_milliseconds_and_ignores_unknown_members() {
    let body = r#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1704070800123,"extra":1},"other":"x"}"#;
    let output = get_role_credentials::parse(&response(200, body)).unwrap();
    assert_eq!(
        output.role_credentials.expiration,
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_070_800_123)
    );
}

#[test]
fn missing_credential_members_are_parse_errors() {
    let full = serde_json::json!({
        "accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T", "expiration": 1
    });
    for member in [
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "expiration",
    ] {
        for replacement in [None, Some(serde_json::Value::Null), Some("".into())] {
            if member == "expiration" && replacement == Some("".into()) {
                continue;
            }
            let mut creds = full.clone();
            match &replacement {
                None => {
                    creds.as_object_mut().unwrap().remove(member);
                }
                Some(v) => creds[member] = v.clone(),
            }
            let body = serde_json::json!({ "roleCredentials": creds }).to_string();
            let err = get_role_credentials::parse(&response(200, &body)).unwrap_err();
            let Error::Parse(p) = &err else {
                panic!("{member}: expected a parse error, got {err:?}")
            };
            assert_eq!(p.path, format!("roleCredentials.{member}"));
            assert!(matches!(p.kind, ParseErrorKind::MissingMember { .. }));
            assert_eq!(p.request_id.as_deref(), Some(REQUEST_ID));
        }
    }
    for body in ["{}", r#"{"roleCredentials":null}"#] {
        let err = get_role_credentials::parse(&response(200, body)).unwrap_err();
        let Error::Parse(p) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(p.path, "roleCredentials");
    }
}

#[test]
fn bad_expirations_are_rejected() {
    for (expiration, path) in [
        ("-1", "roleCredentials.expiration"),
        ("1.5", "roleCredentials.expiration"),
        (r#""1704070800000""#, "roleCredentials.expiration"),
        ("18446744073709551616", "roleCredentials.expiration"),
    ] {
        let body = format!(
            r#"{{"roleCredentials":{{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":{expiration}}}}}"#
        );
        let err = get_role_credentials::parse(&response(200, &body)).unwrap_err();
        let Error::Parse(p) = &err else {
            panic!("{expiration}: {err:?}")
        };
        assert_eq!(p.path, path, "{expiration}");
    }
}

#[test]
fn parses_the_spec_list_accounts_example() {
    let body = r#"{"nextToken": "EXAMPLENEXTTOKEN", "accountList": [{"accountId": "123456789012", "accountName": "Dev", "emailAddress": "dev@example.com"}]}"#;
    let output = list_accounts::parse(&response(200, body)).unwrap();
    assert_eq!(output.next_token.as_deref(), Some("EXAMPLENEXTTOKEN"));
    assert_eq!(output.account_list.len(), 1);
    let a = &output.account_list[0];
    assert_eq!(a.account_id, "123456789012");
    assert_eq!(a.account_name.as_deref(), Some("Dev"));
    assert_eq!(a.email_address.as_deref(), Some("dev@example.com"));
}

#[test]
fn list_accounts_optional_members() {
    for body in [
        "{}",
        r#"{"nextToken":null,"accountList":null}"#,
        r#"{"nextToken":"","accountList":[]}"#,
    ] {
        let output = list_accounts::parse(&response(200, body)).unwrap();
        assert_eq!(output.next_token, None, "{body}");
        assert!(output.account_list.is_empty(), "{body}");
    }
    let output = list_accounts::parse(&response(
        200,
        r#"{"accountList":[{"accountId":"111111111111"}]}"#,
    ))
    .unwrap();
    assert_eq!(output.account_list[0].account_name, None);
    assert_eq!(output.account_list[0].email_address, None);
    let err = list_accounts::parse(&response(
        200,
        r#"{"accountList":[{"accountId":"111111111111"},{"accountName":"x"}]}"#,
    ))
    .unwrap_err();
    let Error::Parse(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.path, "accountList[1].accountId");
}

#[test]
fn parses_the_spec_list_account_roles_example() {
    let body = r#"{"nextToken": null, "roleList": [{"roleName": "ReadOnly", "accountId": "123456789012"}, {"roleName": "AdministratorAccess", "accountId": "123456789012"}]}"#;
    let output = list_account_roles::parse(&response(200, body)).unwrap();
    assert_eq!(output.next_token, None);
    let roles: Vec<_> = output
        .role_list
        .iter()
        .map(|r| (r.role_name.as_str(), r.account_id.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("ReadOnly", "123456789012"),
            ("AdministratorAccess", "123456789012")
        ]
    );
    let output = list_account_roles::parse(&response(
        200,
        r#"{"nextToken":"N","roleList":[{"roleName":"R","accountId":"111111111111"}]}"#,
    ))
    .unwrap();
    assert_eq!(output.next_token.as_deref(), Some("N"));
    let err = list_account_roles::parse(&response(
        200,
        r#"{"roleList":[{"accountId":"111111111111"}]}"#,
    ))
    .unwrap_err();
    let Error::Parse(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.path, "roleList[0].roleName");
}

#[test]
fn wrong_shapes_are_parse_errors() {
    for body in [
        "",
        "[]",
        "<html>",
        r#"{"accountList":"x"}"#,
        r#"{"accountList":[1]}"#,
        r#"{"nextToken":5}"#,
    ] {
        let err = list_accounts::parse(&response(200, body)).unwrap_err();
        assert!(matches!(err, Error::Parse(_)), "{body}: {err:?}");
    }
}

#[test]
fn logout_ignores_any_success_body() {
    for (status, body) in [(200, ""), (200, "{}"), (204, ""), (200, "not json")] {
        assert_eq!(
            logout::parse(&response(status, body)).unwrap(),
            LogoutOutput::default()
        );
    }
    assert_eq!(
        LogoutInput::parse(&response(200, "")).unwrap(),
        LogoutOutput::default()
    );
}

// ----------------------------------------------------------------- errors

const MODELLED: [(&str, u16, portal::ErrorCode); 4] = [
    (
        "InvalidRequestException",
        400,
        portal::ErrorCode::InvalidRequest,
    ),
    (
        "UnauthorizedException",
        401,
        portal::ErrorCode::Unauthorized,
    ),
    (
        "ResourceNotFoundException",
        404,
        portal::ErrorCode::ResourceNotFound,
    ),
    (
        "TooManyRequestsException",
        429,
        portal::ErrorCode::TooManyRequests,
    ),
];

/// Every parser, by operation name.
fn parse_any(operation: &str, response: &http::Response<Vec<u8>>) -> Error {
    match operation {
        "GetRoleCredentials" => get_role_credentials::parse(response).map(|_| ()),
        "ListAccounts" => list_accounts::parse(response).map(|_| ()),
        "ListAccountRoles" => list_account_roles::parse(response).map(|_| ()),
        "Logout" => logout::parse(response).map(|_| ()),
        other => panic!("unknown {other}"),
    }
    .expect_err("an error response")
}

const OPERATIONS: [&str; 4] = [
    "GetRoleCredentials",
    "ListAccounts",
    "ListAccountRoles",
    "Logout",
];

#[test]
fn every_modelled_error_code_from_the_header() {
    assert_eq!(portal::ErrorCode::modelled().count(), MODELLED.len());
    for op in OPERATIONS {
        for (name, status, code) in MODELLED {
            let raw =
                format!("{name}:http://internal.amazon.com/coral/com.amazon.switchboard.portal/");
            let err = parse_any(
                op,
                &error_response(
                    status,
                    &raw,
                    r#"{"message":"Session token not found or invalid"}"#,
                ),
            );
            let e = service_error(&err);
            assert_eq!(e.operation, op);
            assert_eq!(e.service, Service::SsoPortal);
            assert_eq!(e.status, status);
            assert_eq!(e.code, ErrorCode::Portal(code), "{op} {name}");
            assert_eq!(e.code, code);
            assert_eq!(e.code.as_str(), name);
            assert_eq!(
                e.message.as_deref(),
                Some("Session token not found or invalid")
            );
            assert_eq!(e.request_id.as_deref(), Some(REQUEST_ID));
            assert_eq!(e.details, ErrorDetails::None);
            assert_eq!(err.status(), Some(status));
            assert_eq!(
                err.to_string(),
                format!("{op} failed: {name} (HTTP {status}): Session token not found or invalid [request id: {REQUEST_ID}]")
            );
        }
    }
}

#[test]
fn error_code_from_the_body() {
    for (name, status, code) in MODELLED {
        for body in [
            format!(r#"{{"code":"{name}","message":"m"}}"#),
            format!(r#"{{"__type":"com.amazonaws.switchboard.portal#{name}","Message":"m"}}"#),
        ] {
            let err = parse_any("GetRoleCredentials", &response(status, &body));
            let e = service_error(&err);
            assert_eq!(e.code, ErrorCode::Portal(code), "{body}");
            assert_eq!(e.message.as_deref(), Some("m"));
        }
    }
}

#[test]
fn unmodelled_codes_are_kept_verbatim() {
    let err = parse_any(
        "ListAccounts",
        &error_response(400, "ThrottlingException", r#"{"message":"slow down"}"#),
    );
    let e = service_error(&err);
    assert_eq!(e.code, ErrorCode::Other("ThrottlingException".to_owned()));
    assert_eq!(e.code.portal(), None);
    assert_eq!(e.message.as_deref(), Some("slow down"));
    // A code of another service's model is not mapped into this one.
    let err = parse_any(
        "Logout",
        &error_response(400, "ExpiredTokenException", "{}"),
    );
    assert_eq!(
        service_error(&err).code,
        ErrorCode::Other("ExpiredTokenException".to_owned())
    );
    // No code at all: the status.
    let err = parse_any("Logout", &response(503, ""));
    let e = service_error(&err);
    assert_eq!(e.code, ErrorCode::Other("503".to_owned()));
    assert_eq!(e.status, 503);
}

#[test]
fn an_html_error_page_without_a_code_is_a_parse_error() {
    let err = parse_any(
        "ListAccountRoles",
        &response(502, "<html>Bad gateway</html>"),
    );
    let Error::Parse(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.status, 502);
    assert!(matches!(
        p.kind,
        ParseErrorKind::NotJson {
            looks_like_html: true,
            ..
        }
    ));
}

#[test]
fn credentials_echoed_in_error_messages_are_scrubbed() {
    let body = format!(r#"{{"message":"bad token {TOKEN}"}}"#);
    let err = parse_any(
        "GetRoleCredentials",
        &error_response(401, "UnauthorizedException", &body),
    );
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}

// ---------------------------------------------------------------- secrets

#[test]
fn debug_of_inputs_and_outputs_shows_no_secret() {
    let inputs = [
        format!(
            "{:?}",
            GetRoleCredentialsInput::new("ReadOnly", "123456789012", TOKEN)
        ),
        format!("{:#?}", ListAccountsInput::new(TOKEN).with_next_token("N")),
        format!("{:?}", ListAccountRolesInput::new(TOKEN, "123456789012")),
        format!("{:#?}", LogoutInput::new(TOKEN)),
    ];
    for shown in &inputs {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
    assert!(inputs[0].contains("ReadOnly") && inputs[0].contains("123456789012"));

    let body = format!(
        r#"{{"roleCredentials":{{"accessKeyId":"ASIAPLANTED","secretAccessKey":"{SECRET_KEY}","sessionToken":"{SESSION_TOKEN}","expiration":1704070800000}}}}"#
    );
    let output = get_role_credentials::parse(&response(200, &body)).unwrap();
    let credentials = output.clone().into_credentials("123456789012");
    for shown in [
        format!("{output:?}"),
        format!("{output:#?}"),
        format!("{credentials:?}"),
    ] {
        assert!(!shown.contains(SECRET_KEY), "{shown}");
        assert!(!shown.contains(SESSION_TOKEN), "{shown}");
        assert!(shown.contains("ASIAPLANTED"), "{shown}");
    }
}

#[test]
fn into_credentials_converts_epoch_millis_and_records_the_account() {
    let body = format!(
        r#"{{"roleCredentials":{{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"{SECRET_KEY}","sessionToken":"{SESSION_TOKEN}","expiration":1704070800500}}}}"#
    );
    let output = get_role_credentials::parse(&response(200, &body)).unwrap();
    let credentials = output.into_credentials("123456789012");
    let expiry = SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_070_800_500);
    assert_eq!(credentials.access_key_id, "ASIAEXAMPLE");
    assert_eq!(credentials.secret_access_key.secret(), SECRET_KEY);
    assert_eq!(
        credentials.session_token.as_ref().map(|t| t.secret()),
        Some(SESSION_TOKEN)
    );
    assert_eq!(credentials.expires_at, Some(expiry));
    assert_eq!(credentials.account_id.as_deref(), Some("123456789012"));
    assert!(!credentials.is_expired(expiry - Duration::from_millis(1)));
    assert!(credentials.is_expired(expiry));
}
