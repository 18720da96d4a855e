//! Cost of the four SSO OIDC operations, of two SigV4-signed STS
//! operations and of one device-flow step.
//!
//! For each operation the benchmark measures building the request and
//! parsing a realistic successful response (`request` + `parse`), next to
//! what `serde_json` alone takes to parse the same body into a plain
//! `#[derive(Deserialize)]` struct with the same fields. The budget is
//! `request + parse <= 3 x plain serde_json`. After the criterion groups,
//! `cargo bench` prints one `ratio <op>: x.xx` line per operation, measured
//! by a separate interleaved timing loop (median of batches).
//!
//! The STS cases (`sts_assume_role`, `sts_get_caller_identity`) build the
//! request, sign it with SigV4 (fixed credentials, region and time) and
//! parse a realistic XML response, next to quick-xml's own deserializer
//! parsing the same body into a plain `#[derive(Deserialize)]` struct with
//! the same fields (the XML counterpart of the plain `serde_json` struct
//! above). Their budget is `4 x` that. For information, each is also set
//! beside a hand-written `quick_xml::Reader` loop filling the same fields
//! (the fastest possible parse, well below any real parser).
//!
//! Beside each figure the ratio lines print the SDK-free floor: for the
//! JSON operations the plain `serde_json` struct itself; for the STS ones
//! the hand-written reader loop plus the SHA-256 work SigV4 cannot avoid
//! (the canonical request's hash, the body's hash and one HMAC of the
//! string to sign with the cached key), on inputs of the same size. (No
//! AWS SDK is a dependency of this workspace, so the SDK itself is not
//! measured here.)
//!
//! `OIDC_BENCH_PROFILE=<case>[:core|plain|floor|request|parse]` with
//! `OIDC_BENCH_ITERS=<n>` runs one piece of work `n` times and exits, for
//! `valgrind --tool=callgrind` (the difference of two runs with different
//! `n` gives the instructions per call).
//!
//! The device-flow step is `poll` (`Send`), `handle_response` with
//! "authorization pending", then `poll` (`WaitUntil`); its ratio is against
//! `serde_json` parsing the pending error body, for information only.
//!
//! Run with `cargo bench -p oidc-core --bench operations`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oidc_core::step::Step;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use oidc_core::credentials::Credentials;
use oidc_core::device_flow::DeviceFlow;
use oidc_core::endpoint::Endpoint;
use oidc_core::secret::{Assertion, ClientSecret, DeviceCode};
use oidc_core::secret::{SecretAccessKey, SessionToken};
use oidc_core::sigv4::{self, SigningParams};
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, Grant};
use oidc_core::sso_oidc::create_token_with_iam::{self, CreateTokenWithIamInput, IamGrant};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationInput};
use oidc_core::sso_oidc::GrantType;
use oidc_core::sts::assume_role::{self, AssumeRoleInput};
use oidc_core::sts::get_caller_identity::{self, GetCallerIdentityInput};
use oidc_core::sts::Tag;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Deserialize;

/// The largest `request + parse` cost allowed, in multiples of plain
/// `serde_json`.
const BUDGET: f64 = 3.0;

/// The largest `request + sign + parse` cost of an STS operation allowed,
/// in multiples of quick-xml deserializing into a plain struct.
const STS_BUDGET: f64 = 4.0;

// ---------------------------------------------------------------------------
// Realistic responses
// ---------------------------------------------------------------------------

/// A token-like string of `len` characters (SSO access tokens are several
/// hundred characters of base64-ish text).
fn token_text(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(len);
    out.push_str(prefix);
    let mut x: u32 = 0x9e37_79b9;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(char::from(ALPHABET[(x % 64) as usize]));
    }
    out
}

fn response(body: String) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("date", "Mon, 01 Jan 2024 08:00:00 GMT")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("x-amzn-requestid", "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b")
        .body(body.into_bytes())
        .expect("a valid response")
}

fn register_client_body() -> String {
    format!(
        r#"{{"clientId":"{}","clientSecret":"{}","clientIdIssuedAt":1704096000,"clientSecretExpiresAt":1711872000}}"#,
        token_text("_yzkThXVzLWVhc3QtM", 60),
        token_text("eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.", 700),
    )
}

fn start_device_authorization_body() -> String {
    format!(
        r#"{{"deviceCode":"{}","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK","expiresIn":600,"interval":1}}"#,
        token_text("", 180),
    )
}

fn create_token_body() -> String {
    format!(
        r#"{{"accessToken":"{}","tokenType":"Bearer","expiresIn":28800,"refreshToken":"{}"}}"#,
        token_text("aoaAAAAAGV", 640),
        token_text("aorvJYubGpU6i91YnH7Mfo", 460),
    )
}

fn create_token_with_iam_body() -> String {
    format!(
        r#"{{"accessToken":"{}","tokenType":"Bearer","expiresIn":3600,"refreshToken":"{}","idToken":"{}","issuedTokenType":"urn:ietf:params:oauth:token-type:refresh_token","scope":["openid","aws","sts:identity_context"],"awsAdditionalDetails":{{"identityContext":"{}"}}}}"#,
        token_text("aoaAAAAAGV", 640),
        token_text("aorvJYubGpU6i91YnH7Mfo", 460),
        token_text("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.", 900),
        token_text("EXAMPLEIDENTITYCONTEXT", 300),
    )
}

const PENDING_BODY: &str =
    r#"{"error":"authorization_pending","error_description":"Authorization is still pending"}"#;

// ---------------------------------------------------------------------------
// The same fields, parsed by serde_json alone
// ---------------------------------------------------------------------------

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainRegisterClient {
    client_id: Option<String>,
    client_secret: Option<String>,
    client_id_issued_at: Option<i64>,
    client_secret_expires_at: Option<i64>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainStartDeviceAuthorization {
    device_code: Option<String>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    verification_uri_complete: Option<String>,
    expires_in: Option<i64>,
    interval: Option<i64>,
}

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainCreateToken {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    id_token: Option<String>,
}

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainAwsAdditionalDetails {
    identity_context: Option<String>,
}

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainCreateTokenWithIam {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
    id_token: Option<String>,
    issued_token_type: Option<String>,
    scope: Option<Vec<String>>,
    aws_additional_details: Option<PlainAwsAdditionalDetails>,
}

#[allow(dead_code)] // only parsed, never read
#[derive(Deserialize)]
struct PlainOAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

// ---------------------------------------------------------------------------
// The measured operations
// ---------------------------------------------------------------------------

/// One measured case: `core` is the `oidc-core` work, `plain` parses the
/// same body with `serde_json` alone; `parts` splits `core` into building the
/// request and parsing the response (operations only).
struct Case {
    name: &'static str,
    core: Work,
    plain: Work,
    parts: Option<(Work, Work)>,
    /// The allowed ratio, and what the baseline is.
    budget: (f64, &'static str),
    /// The SDK-free floor, when it is more than `plain`: for an STS case,
    /// the hand-written `quick_xml::Reader` loop plus the SHA-256 work
    /// SigV4 cannot avoid (hash of the canonical request, of the body, and
    /// the one HMAC of the string to sign with the cached key).
    floor: Option<Work>,
}

/// One unit of measured work.
type Work = Box<dyn FnMut()>;

type Build<I> = fn(&I, &Endpoint) -> Result<http::Request<Vec<u8>>, oidc_core::Error>;
type Parse<O> = fn(&http::Response<Vec<u8>>) -> Result<O, oidc_core::Error>;

fn endpoint() -> Endpoint {
    Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").expect("a valid endpoint")
}

fn plain<T: for<'de> Deserialize<'de>>(body: Vec<u8>) -> Box<dyn FnMut()> {
    Box::new(move || {
        let value: T = serde_json::from_slice(black_box(&body)).expect("the body parses");
        black_box(value);
    })
}

/// An operation case: `request(input)` then `parse(response)`, against
/// `serde_json` parsing the response body into `P`.
fn operation<I: 'static, O: 'static, P: for<'de> Deserialize<'de>>(
    name: &'static str,
    input: I,
    response: http::Response<Vec<u8>>,
    request: Build<I>,
    parse: Parse<O>,
) -> Case {
    let body = response.body().clone();
    let input = Rc::new(input);
    let response = Rc::new(response);
    let endpoint = Rc::new(endpoint());
    let build = {
        let (input, endpoint) = (Rc::clone(&input), Rc::clone(&endpoint));
        move || request(black_box(&input), &endpoint).expect("the request builds")
    };
    let read = {
        let response = Rc::clone(&response);
        move || parse(black_box(&response)).expect("the response parses")
    };
    let (build_1, read_1) = (build.clone(), read.clone());
    let (build_2, read_2) = (build, read);
    Case {
        name,
        core: Box::new(move || {
            let request = build_1();
            let output = read_1();
            black_box((request, output));
        }),
        plain: plain::<P>(body),
        parts: Some((
            Box::new(move || {
                black_box(build_2());
            }),
            Box::new(move || {
                black_box(read_2());
            }),
        )),
        budget: (BUDGET, "serde_json plain struct"),
        floor: None,
    }
}

fn cases() -> Vec<Case> {
    let client_secret = ClientSecret::new(token_text("eyJraWQiOiJrZXkt", 700));
    let client_id = "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID";
    vec![
        operation::<_, _, PlainRegisterClient>(
            "register_client",
            RegisterClientInput::new("botocore-client-my-sso")
                .with_scopes(["sso:account:access"])
                .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken])
                .with_redirect_uris(["http://127.0.0.1/oauth/callback"])
                .with_issuer_url("https://my-sso-portal.awsapps.com/start"),
            response(register_client_body()),
            register_client::request,
            register_client::parse,
        ),
        operation::<_, _, PlainStartDeviceAuthorization>(
            "start_device_authorization",
            StartDeviceAuthorizationInput::new(
                client_id,
                client_secret.clone(),
                "https://my-sso-portal.awsapps.com/start",
            ),
            response(start_device_authorization_body()),
            start_device_authorization::request,
            start_device_authorization::parse,
        ),
        operation::<_, _, PlainCreateToken>(
            "create_token",
            CreateTokenInput::new(
                client_id,
                client_secret.clone(),
                Grant::DeviceCode {
                    device_code: DeviceCode::new(token_text("", 180)),
                },
            ),
            response(create_token_body()),
            create_token::request,
            create_token::parse,
        ),
        operation::<_, _, PlainCreateTokenWithIam>(
            "create_token_with_iam",
            CreateTokenWithIamInput::new(
                "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222",
                IamGrant::JwtBearer {
                    assertion: Assertion::new(token_text("eyJhbGciOiJSUzI1NiJ9.", 900)),
                },
            ),
            response(create_token_with_iam_body()),
            create_token_with_iam::request,
            create_token_with_iam::parse,
        ),
        device_flow_case(endpoint(), client_secret),
        sts_case(
            "sts_assume_role",
            assume_role_input(),
            xml_response(assume_role_body()),
            assume_role::request,
            assume_role::parse,
            serde_assume_role,
            plain_assume_role,
            (STS_BUDGET, "quick-xml serde plain struct"),
        ),
        sts_case(
            "sts_get_caller_identity",
            GetCallerIdentityInput::new(),
            xml_response(get_caller_identity_body()),
            get_caller_identity::request,
            get_caller_identity::parse,
            serde_get_caller_identity,
            plain_get_caller_identity,
            (STS_BUDGET, "quick-xml serde plain struct"),
        ),
        sts_case(
            "sts_assume_role_vs_reader_loop",
            assume_role_input(),
            xml_response(assume_role_body()),
            assume_role::request,
            assume_role::parse,
            plain_assume_role,
            plain_assume_role,
            (f64::INFINITY, "hand-written quick-xml Reader loop (informational)"),
        ),
        sts_case(
            "sts_get_caller_identity_vs_reader_loop",
            GetCallerIdentityInput::new(),
            xml_response(get_caller_identity_body()),
            get_caller_identity::request,
            get_caller_identity::parse,
            plain_get_caller_identity,
            plain_get_caller_identity,
            (f64::INFINITY, "hand-written quick-xml Reader loop (informational)"),
        ),
    ]
}

// ---------------------------------------------------------------------------
// STS: signed requests, XML responses
// ---------------------------------------------------------------------------

fn xml_response(body: String) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("date", "Mon, 01 Jan 2024 08:00:00 GMT")
        .header("content-type", "text/xml")
        .header("content-length", body.len())
        .header("x-amzn-requestid", "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        .body(body.into_bytes())
        .expect("a valid response")
}

/// `AssumeRole` as STS answers it (a session token of realistic length).
fn assume_role_body() -> String {
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>{}</SessionToken>
      <Expiration>2024-05-14T17:48:09Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:john.doe</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo-role/john.doe</Arn>
    </AssumedRoleUser>
    <SourceIdentity>john.doe</SourceIdentity>
    <PackedPolicySize>8</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
"#,
        token_text("FwoGZXIvYXdzEBYaDHqa0AP1Q5u6", 800)
    )
}

fn get_caller_identity_body() -> String {
    r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/john.doe@example.com</Arn>
    <UserId>AROA3XFRBF535PLBIFPI4:john.doe@example.com</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"#
    .to_owned()
}

fn assume_role_input() -> AssumeRoleInput {
    AssumeRoleInput::new("arn:aws:iam::123456789012:role/demo-role", "john.doe")
        .with_duration_seconds(3600)
        .with_tags([Tag::new("Project", "Unicorn")])
}

/// `AssumeRole`'s response as a plain serde struct (quick-xml's
/// deserializer).
#[allow(dead_code)] // only filled, never read
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeAssumeRoleResponse {
    assume_role_result: SerdeAssumeRoleResult,
    response_metadata: SerdeMetadata,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeAssumeRoleResult {
    credentials: SerdeCredentials,
    assumed_role_user: SerdeAssumedRoleUser,
    packed_policy_size: Option<u32>,
    source_identity: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeAssumedRoleUser {
    assumed_role_id: String,
    arn: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeMetadata {
    request_id: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeGetCallerIdentityResponse {
    get_caller_identity_result: SerdeGetCallerIdentityResult,
    response_metadata: SerdeMetadata,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SerdeGetCallerIdentityResult {
    user_id: String,
    account: String,
    arn: String,
}

fn serde_assume_role(body: &[u8]) -> SerdeAssumeRoleResponse {
    quick_xml::de::from_str(std::str::from_utf8(body).expect("UTF-8")).expect("parses")
}

fn serde_get_caller_identity(body: &[u8]) -> SerdeGetCallerIdentityResponse {
    quick_xml::de::from_str(std::str::from_utf8(body).expect("UTF-8")).expect("parses")
}

/// The fields of `AssumeRole`, filled by a plain `quick_xml::Reader` loop.
#[allow(dead_code)] // only filled, never read
#[derive(Default)]
struct PlainAssumeRole {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
    assumed_role_id: Option<String>,
    arn: Option<String>,
    packed_policy_size: Option<u32>,
    source_identity: Option<String>,
    session_token_utilization: Option<u32>,
    session_token_size: Option<u32>,
    request_id: Option<String>,
}

#[allow(dead_code)] // only filled, never read
#[derive(Default)]
struct PlainGetCallerIdentity {
    user_id: Option<String>,
    account: Option<String>,
    arn: Option<String>,
    request_id: Option<String>,
}

/// Calls `field(local name of the innermost element, text)` for every
/// text node of `body`.
fn xml_texts(body: &[u8], mut field: impl FnMut(&[u8], &str)) {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let mut reader = Reader::from_str(text);
    let mut current: Vec<u8> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                current.clear();
                let local = e.local_name();
                let local: &str = local.as_ref();
                current.extend_from_slice(local.as_bytes());
            }
            Event::End(_) => current.clear(),
            Event::Text(t) if !current.is_empty() => field(&current, &t.xml10_content()),
            Event::Eof => break,
            _ => {}
        }
    }
}

fn plain_assume_role(body: &[u8]) -> PlainAssumeRole {
    let mut out = PlainAssumeRole::default();
    xml_texts(body, |name, text| {
        let s = || Some(text.to_owned());
        match name {
            b"AccessKeyId" => out.access_key_id = s(),
            b"SecretAccessKey" => out.secret_access_key = s(),
            b"SessionToken" => out.session_token = s(),
            b"Expiration" => out.expiration = s(),
            b"AssumedRoleId" => out.assumed_role_id = s(),
            b"Arn" => out.arn = s(),
            b"PackedPolicySize" => out.packed_policy_size = text.parse().ok(),
            b"SourceIdentity" => out.source_identity = s(),
            b"SessionTokenUtilization" => out.session_token_utilization = text.parse().ok(),
            b"SessionTokenSize" => out.session_token_size = text.parse().ok(),
            b"RequestId" => out.request_id = s(),
            _ => {}
        }
    });
    out
}

fn plain_get_caller_identity(body: &[u8]) -> PlainGetCallerIdentity {
    let mut out = PlainGetCallerIdentity::default();
    xml_texts(body, |name, text| {
        let s = || Some(text.to_owned());
        match name {
            b"UserId" => out.user_id = s(),
            b"Account" => out.account = s(),
            b"Arn" => out.arn = s(),
            b"RequestId" => out.request_id = s(),
            _ => {}
        }
    });
    out
}

/// An STS case: `request(input)`, signing with a client's long-lived
/// `SigV4Signer` (as `Call` does: the day's signing key is cached), then
/// `parse(response)`,
/// against the `quick_xml::Reader` loop `plain` on the response body.
#[allow(clippy::too_many_arguments)]
fn sts_case<I: 'static, O: 'static, P: 'static, R: 'static>(
    name: &'static str,
    input: I,
    response: http::Response<Vec<u8>>,
    request: Build<I>,
    parse: Parse<O>,
    plain: fn(&[u8]) -> P,
    reader_loop: fn(&[u8]) -> R,
    budget: (f64, &'static str),
) -> Case {
    let body = response.body().clone();
    let input = Rc::new(input);
    let response = Rc::new(response);
    let endpoint = Rc::new(
        Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint"),
    );
    let signer = Rc::new(sigv4::SigV4Signer::new(
        Credentials::new(
            "ASIAIOSFODNN7EXAMPLE",
            SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
        )
        .with_session_token(SessionToken::new(token_text("IQoJb3JpZ2luX2Vj", 800))),
        "us-east-1",
    ));
    let time = std::time::UNIX_EPOCH + Duration::from_secs(1_715_708_889);
    let floor: Work = {
        // What was signed, once: the floor hashes inputs of the same size.
        let mut signed = request(&input, &endpoint).expect("the request builds");
        oidc_core::SignRequest::sign(&*signer, &mut signed, "sts", time)
            .expect("the request signs");
        let settings = sigv4::SigningSettings::default();
        let creq = sigv4::canonical_request(&signed, &settings).expect("canonical");
        let sts = sigv4::string_to_sign(&creq, time, "us-east-1", "sts").expect("sts");
        let request_body = signed.into_body();
        let key = [7u8; 32];
        let body = body.clone();
        Box::new(move || {
            use hmac::{Hmac, Mac};
            use sha2::{Digest, Sha256};
            black_box(Sha256::digest(black_box(creq.as_bytes())));
            black_box(Sha256::digest(black_box(&request_body)));
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key");
            mac.update(black_box(sts.as_bytes()));
            black_box(mac.finalize());
            black_box(reader_loop(black_box(&body)));
        })
    };
    let build = {
        let (input, endpoint, signer) =
            (Rc::clone(&input), Rc::clone(&endpoint), Rc::clone(&signer));
        move || {
            let mut req = request(black_box(&input), &endpoint).expect("the request builds");
            oidc_core::SignRequest::sign(&*signer, &mut req, "sts", time)
                .expect("the request signs");
            req
        }
    };
    let read = {
        let response = Rc::clone(&response);
        move || parse(black_box(&response)).expect("the response parses")
    };
    let (build_1, read_1) = (build.clone(), read.clone());
    let (build_2, read_2) = (build, read);
    Case {
        name,
        core: Box::new(move || {
            let request = build_1();
            let output = read_1();
            black_box((request, output));
        }),
        plain: Box::new(move || {
            black_box(plain(black_box(&body)));
        }),
        parts: Some((
            Box::new(move || {
                black_box(build_2());
            }),
            Box::new(move || {
                black_box(read_2());
            }),
        )),
        budget,
        floor: Some(floor),
    }
}

/// One device-flow step: `poll` gives `Send`, the pending answer goes to
/// `handle_response`, `poll` gives `WaitUntil`; then the clock moves on by
/// the interval for the next step.
fn device_flow_case(endpoint: Endpoint, client_secret: ClientSecret) -> Case {
    let authorization = format!(
        r#"{{"deviceCode":"{}","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","expiresIn":4294967295,"interval":1}}"#,
        token_text("", 180)
    );
    let pending = http::Response::builder()
        .status(400)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b")
        .header(
            "x-amzn-errortype",
            "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.ssooidc/",
        )
        .body(PENDING_BODY.as_bytes().to_vec())
        .expect("a valid response");
    // A flow past its one-off prompt (which comes after the first request).
    let fresh = {
        let pending = pending.clone();
        move |now: Instant| {
            let started =
                start_device_authorization::parse(&http::Response::new(authorization.as_str()))
                    .expect("authorization parses");
            let mut flow = DeviceFlow::new(
                "client-id",
                client_secret.clone(),
                started,
                endpoint.clone(),
                now,
            );
            let Step::Send(_) = flow.poll(now) else {
                panic!("the first poll sends")
            };
            flow.handle_response(now, &pending)
                .expect("a request was in flight");
            let Step::Local(_) = flow.poll(now) else {
                panic!("the prompt comes before the first wait")
            };
            flow
        }
    };
    let mut now = Instant::now();
    let mut flow = fresh(now);
    Case {
        name: "device_flow_step",
        core: Box::new(move || {
            // Wait (possibly more than once), then send. The flow's
            // lifetime is capped, so a long run starts a fresh one when it
            // expires (rarely: once per lifetime of polls).
            let request = loop {
                match flow.poll(now) {
                    Step::WaitUntil(at) => now = at,
                    Step::Send(request) => break request,
                    Step::Done(_) => flow = fresh(now),
                    other => panic!("the flow waits, then polls; got {other:?}"),
                }
            };
            black_box(request);
            flow.handle_response(now, black_box(&pending))
                .expect("a request was in flight");
        }),
        plain: plain::<PlainOAuthError>(PENDING_BODY.as_bytes().to_vec()),
        parts: None,
        budget: (BUDGET, "serde_json plain struct"),
        floor: None,
    }
}

// ---------------------------------------------------------------------------
// Criterion report and the budget ratios
// ---------------------------------------------------------------------------

fn criterion_benches(c: &mut Criterion) {
    for mut case in cases() {
        let mut group = c.benchmark_group(case.name);
        group.bench_function("oidc-core request+parse", |b| b.iter(&mut case.core));
        group.bench_function(case.budget.1, |b| b.iter(&mut case.plain));
        if let Some(floor) = &mut case.floor {
            group.bench_function("SDK-free floor (reader loop + SigV4 hashing)", |b| {
                b.iter(&mut *floor)
            });
        }
        group.finish();
    }
}

/// Median time per call of `f`, over `batches` batches of `per_batch`
/// calls, interleaved with `g` so both see the same machine state.
fn interleaved_medians(
    f: &mut dyn FnMut(),
    g: &mut dyn FnMut(),
    batches: usize,
    per_batch: u32,
) -> (Duration, Duration) {
    let time = |h: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..per_batch {
            h();
        }
        start.elapsed() / per_batch
    };
    // Warm up caches and allocator.
    for _ in 0..3 {
        time(f);
        time(g);
    }
    let mut fs = Vec::with_capacity(batches);
    let mut gs = Vec::with_capacity(batches);
    for _ in 0..batches {
        fs.push(time(f));
        gs.push(time(g));
    }
    fs.sort();
    gs.sort();
    (fs[batches / 2], gs[batches / 2])
}

/// Batch size giving roughly 2 ms of `f` per batch.
fn batch_size(f: &mut dyn FnMut()) -> u32 {
    let start = Instant::now();
    for _ in 0..100 {
        f();
    }
    let each = start.elapsed() / 100;
    u32::try_from(2_000_000 / each.as_nanos().max(1))
        .unwrap_or(u32::MAX)
        .clamp(10, 100_000)
}

/// `f`'s median cost over `g`'s, measured interleaved.
fn ratio(f: &mut dyn FnMut(), g: &mut dyn FnMut()) -> (f64, Duration, Duration) {
    let per_batch = batch_size(g);
    let (a, b) = interleaved_medians(f, g, 41, per_batch);
    (a.as_secs_f64() / b.as_secs_f64(), a, b)
}

fn print_ratios() {
    println!();
    println!(
        "budget: request + parse <= {BUDGET:.1} x serde_json plain struct; STS: request + sign + parse <= {STS_BUDGET:.1} x quick-xml serde plain struct (medians of 41 interleaved batches)"
    );
    let mut over = Vec::new();
    for mut case in cases() {
        let (total, core, plain) = ratio(&mut case.core, &mut case.plain);
        let split = match &mut case.parts {
            Some((request, parse)) => {
                let (request, _, _) = ratio(request, &mut case.plain);
                let (parse, _, _) = ratio(parse, &mut case.plain);
                format!("request {request:.2} + parse {parse:.2}; ")
            }
            None => String::new(),
        };
        let note = if case.parts.is_none() {
            " (informational: vs the pending error body)"
        } else if total > case.budget.0 {
            over.push(case.name);
            " OVER BUDGET"
        } else {
            ""
        };
        // The floor beside each figure: `plain` itself for the JSON cases,
        // the reader loop plus SigV4's hashing for the STS ones.
        let floor = match &mut case.floor {
            Some(floor) => {
                let (x, core, floor) = ratio(&mut case.core, floor);
                format!("; SDK-free floor {floor:?}, oidc-core {core:?} = {x:.2} x floor")
            }
            None => format!("; SDK-free floor = {} {plain:?}", case.budget.1),
        };
        println!(
            "ratio {}: {total:.2} ({split}oidc-core {core:?}, {} {plain:?}{floor}){note}",
            case.name, case.budget.1
        );
    }
    if !over.is_empty() {
        println!("over budget: {}", over.join(", "));
    }
    print_signing_breakdown();
}

/// Where the time of `request + sign` of GetCallerIdentity goes
/// (informational; medians as above, each against the quick-xml loop).
fn print_signing_breakdown() {
    let endpoint =
        Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint");
    let credentials = Credentials::new(
        "ASIAIOSFODNN7EXAMPLE",
        SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
    )
    .with_session_token(SessionToken::new(token_text("IQoJb3JpZ2luX2Vj", 800)));
    let time = std::time::UNIX_EPOCH + Duration::from_secs(1_715_708_889);
    let input = GetCallerIdentityInput::new();
    let request = get_caller_identity::request(&input, &endpoint).expect("builds");
    let mut signed = request.clone();
    let params = SigningParams::new(&credentials, "us-east-1", "sts", time);
    sigv4::sign(&mut signed, &params).expect("signs");
    let settings = sigv4::SigningSettings::default();
    let creq = sigv4::canonical_request(&signed, &settings).expect("canonical");
    let sts = sigv4::string_to_sign(&creq, time, "us-east-1", "sts").expect("sts");
    let body = xml_response(get_caller_identity_body()).into_body();
    let mut plain = || {
        black_box(plain_get_caller_identity(black_box(&body)));
    };
    let parts: Vec<(&str, Work)> = vec![
        (
            "build only",
            Box::new(move || {
                black_box(
                    get_caller_identity::request(black_box(&input), &endpoint).expect("builds"),
                );
            }),
        ),
        (
            "sign only (clone + sign)",
            Box::new({
                let credentials = credentials.clone();
                move || {
                    let mut r = request.clone();
                    let params = SigningParams::new(&credentials, "us-east-1", "sts", time);
                    sigv4::sign(black_box(&mut r), &params).expect("signs");
                    black_box(r);
                }
            }),
        ),
        (
            "canonical_request",
            Box::new(move || {
                black_box(sigv4::canonical_request(black_box(&signed), &settings).expect("creq"));
            }),
        ),
        (
            "string_to_sign",
            Box::new(move || {
                black_box(
                    sigv4::string_to_sign(black_box(&creq), time, "us-east-1", "sts").expect("sts"),
                );
            }),
        ),
        (
            "signing_key",
            Box::new({
                let credentials = credentials.clone();
                move || {
                    black_box(sigv4::signing_key(
                        black_box(&credentials.secret_access_key),
                        "20240514",
                        "us-east-1",
                        "sts",
                    ));
                }
            }),
        ),
        (
            "signature (1 HMAC)",
            Box::new(move || {
                black_box(sigv4::signature(black_box(&[7u8; 32]), black_box(&sts)));
            }),
        ),
    ];
    println!("sts_get_caller_identity signing breakdown (x quick-xml loop):");
    for (name, mut work) in parts {
        let (r, t, _) = ratio(&mut work, &mut plain);
        println!("  {name}: {r:.2} ({t:?})");
    }
}

/// `OIDC_BENCH_PROFILE=<case>[:core|plain|request|parse]` with
/// `OIDC_BENCH_ITERS=<n>`: runs that one piece of work `n` times and exits
/// (for `valgrind --tool=callgrind`; the difference of two runs with
/// different `n` is the instruction count of `n` calls).
fn profile(spec: &str) {
    let iters: u64 = std::env::var("OIDC_BENCH_ITERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let (name, part) = spec.split_once(':').unwrap_or((spec, "core"));
    let mut case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .expect("a case of that name");
    let work: &mut dyn FnMut() = match part {
        "core" => &mut case.core,
        "plain" => &mut case.plain,
        "floor" => case.floor.as_mut().expect("an STS case"),
        "request" => &mut case.parts.as_mut().expect("parts").0,
        "parse" => &mut case.parts.as_mut().expect("parts").1,
        other => panic!("unknown part {other}"),
    };
    for _ in 0..iters {
        work();
    }
}

fn main() {
    if let Ok(spec) = std::env::var("OIDC_BENCH_PROFILE") {
        profile(&spec);
        return;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; under `cargo test` the benchmarks
    // above only run once each, and the timing loop is skipped.
    if std::env::args().any(|a| a == "--bench") {
        print_ratios();
    }
}
