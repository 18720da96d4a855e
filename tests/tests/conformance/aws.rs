//! STS and SSO portal rows of the conformance table: every STS operation
//! through the generic `call` / `call_signed`, every STS error envelope the
//! emulator sends (SigV4 failures included, with hand-made signers), STS
//! fault injection and retries, every portal operation and its errors, the
//! sign-in → portal → STS → identity-enhanced AssumeRole chain, and the
//! credentials provider.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use oidc_core::identity_context::{self, IDENTITY_CENTER_CONTEXT_PROVIDER};
use oidc_core::portal::get_role_credentials::GetRoleCredentialsInput;
use oidc_core::portal::list_account_roles::ListAccountRolesInput;
use oidc_core::portal::list_accounts::ListAccountsInput;
use oidc_core::portal::logout::LogoutInput;
use oidc_core::portal::paginator::{Paginated, Paginator};
use oidc_core::secret::AccessToken;
use oidc_core::sigv4::{self, SigV4Signer, SigningParams};
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
use oidc_core::sts::{ProvidedContext, Tag};
use oidc_core::{Credentials, ErrorCode, SignRequest};
use oidc_emulator::{EmulatorConfig, FaultKind, FaultTarget, StsOperation};
use oidc_host::{
    CancelToken, CredentialsCacheDir, CredentialsProvider, CredentialsSource, Error, SignInMode,
};

use super::{
    approve, fault, iam_emulator, iam_input, outcome, seed, signer, svc, yes, Env, Scenario,
    ACCESS_KEY_ID, CTDC, CTWI, REG, SCOPES, SDA,
};

// Emulator request counters (see `outcome::counts`).
const AR: &str = "assume_role";
const ARS: &str = "assume_role_with_saml";
const ARWI: &str = "assume_role_with_web_identity";
const AROOT: &str = "assume_root";
const DAM: &str = "decode_authorization_message";
const GAKI: &str = "get_access_key_info";
const GCI: &str = "get_caller_identity";
const GDAT: &str = "get_delegated_access_token";
const GFT: &str = "get_federation_token";
const GST: &str = "get_session_token";
const GWIT: &str = "get_web_identity_token";
const STS_OTHER: &str = "sts_other";
const GRC: &str = "get_role_credentials";
const LA: &str = "list_accounts";
const LAR: &str = "list_account_roles";
const LOGOUT: &str = "logout";

const REGION: &str = "us-east-1";
/// The static signer's identity at the emulator.
const STATIC_ACCOUNT: &str = "123456789012";
const STATIC_ARN: &str = "arn:aws:iam::123456789012:user/emulator-user";
/// A role in another account, assumed with the static credentials.
const ROLE_ARN: &str = "arn:aws:iam::210987654321:role/demo";
/// A portal account and role of the emulator's default configuration.
const PORTAL_ACCOUNT: &str = "111111111111";
const PORTAL_ROLE: &str = "ReadOnly";
const ROOT_TASK_POLICY: &str = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

// ------------------------------------------------------------------ helpers

/// `svc` plus the awsQuery envelope's `Type`.
fn sts_svc(op: &str, status: u16, code: &str, msg: &str, fault: &str) -> String {
    format!("service {} fault={fault}", svc(op, status, code, Some(msg)))
}

/// Which family the error code resolved to: `sts` / `sso` / `oidc` for a
/// modelled code, `other` for one kept verbatim.
fn code_kind(e: &Error) -> &'static str {
    match e.code() {
        Some(ErrorCode::Sts(_)) => "sts",
        Some(ErrorCode::Portal(_)) => "sso",
        Some(ErrorCode::SsoOidc(_)) => "oidc",
        Some(_) => "other",
        None => "none",
    }
}

/// `outcome::result`, with the error code's family after an error.
fn typed<T>(r: Result<T, Error>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("ok {}", ok(v)),
        Err(e) => format!("{} [{}]", outcome::error(&e), code_kind(&e)),
    }
}

fn signed_by(credentials: Credentials) -> Arc<dyn SignRequest> {
    Arc::new(SigV4Signer::new(credentials, REGION))
}

/// Minutes from now to `at`, rounded (`none` without an expiry).
fn ttl(at: Option<SystemTime>) -> String {
    match at {
        None => "none".to_owned(),
        Some(t) => {
            let secs = match t.duration_since(SystemTime::now()) {
                Ok(d) => d.as_secs_f64(),
                Err(e) => -e.duration().as_secs_f64(),
            };
            format!("{}m", (secs / 60.0).round())
        }
    }
}

/// What must hold of temporary credentials, without their random values.
fn creds(c: &Credentials) -> String {
    format!(
        "key={} secret={} token={} ttl={} account={:?}",
        c.access_key_id.get(..4).unwrap_or_default(),
        yes(!c.secret_access_key.secret().is_empty()),
        yes(c
            .session_token
            .as_ref()
            .is_some_and(|t| !t.secret().is_empty())),
        ttl(c.expires_at),
        c.account_id
    )
}

/// The role id prefix and session of `AROA…:session`.
fn role_id(id: &str) -> String {
    match id.split_once(':') {
        Some((role, session)) => format!("{}…:{session}", role.get(..4).unwrap_or_default()),
        None => format!("malformed({id})"),
    }
}

/// `AWSReservedSSO_<set>_<16 hex>` with the hex reduced to `HEX`.
fn scrub_reserved(arn: &str) -> String {
    let Some(start) = arn.find("AWSReservedSSO_") else {
        return arn.to_owned();
    };
    let rest = &arn[start..];
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rsplit_once('_') {
        Some((head, hex)) if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{}{head}_HEX{}", &arn[..start], &rest[end..])
        }
        _ => arn.to_owned(),
    }
}

/// `YYYYMMDDTHHMMSSZ` timestamps reduced to `DATE`.
fn scrub_amz_dates(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let stamp = b.get(i..i + 16).is_some_and(|w| {
            w[..8].iter().all(u8::is_ascii_digit)
                && w[8] == b'T'
                && w[9..15].iter().all(u8::is_ascii_digit)
                && w[15] == b'Z'
        });
        if stamp {
            out.push_str("DATE");
            i += 16;
        } else {
            let ch = text[i..].chars().next().unwrap_or_default();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn b64(data: &[u8], url: bool) -> String {
    let table: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(table[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if !url {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

fn jwt(payload: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#, true),
        b64(payload.as_bytes(), true)
    )
}

fn saml(extra_conditions: &str) -> String {
    let doc = format!(
        concat!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            r#"<saml:Issuer>https://idp.example.com/saml</saml:Issuer>"#,
            r#"<saml:Assertion><saml:Subject>"#,
            r#"<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID>"#,
            r#"</saml:Subject>{}<saml:AttributeStatement>"#,
            r#"<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">"#,
            r#"<saml:AttributeValue>alice.saml</saml:AttributeValue></saml:Attribute>"#,
            r#"</saml:AttributeStatement></saml:Assertion></samlp:Response>"#
        ),
        extra_conditions
    );
    b64(doc.as_bytes(), false)
}

fn saml_input(assertion: String) -> AssumeRoleWithSamlInput {
    AssumeRoleWithSamlInput::new(
        ROLE_ARN,
        "arn:aws:iam::210987654321:saml-provider/idp",
        assertion,
    )
}

/// Signs with a clock `offset_secs` away from the real one (SigV4 for
/// another instant than now).
struct OffsetSigner {
    credentials: Credentials,
    offset_secs: i64,
}

impl SignRequest for OffsetSigner {
    fn sign(
        &self,
        request: &mut http::Request<Vec<u8>>,
        signing_name: &'static str,
        time: SystemTime,
    ) -> Result<(), oidc_core::Error> {
        let shift = Duration::from_secs(self.offset_secs.unsigned_abs());
        let at = if self.offset_secs < 0 {
            time - shift
        } else {
            time + shift
        };
        let params = SigningParams::new(&self.credentials, REGION, signing_name, at);
        sigv4::sign(request, &params).map_err(|cause| oidc_core::Error::Signing {
            operation: "",
            cause,
        })
    }
}

fn offset_signer(credentials: Credentials, offset_secs: i64) -> Arc<dyn SignRequest> {
    Arc::new(OffsetSigner {
        credentials,
        offset_secs,
    })
}

/// Changes the request before signing it properly (what a proxy that
/// rewrites requests would do), or only sets headers.
struct RawSigner(fn(&mut http::Request<Vec<u8>>));

impl SignRequest for RawSigner {
    fn sign(
        &self,
        request: &mut http::Request<Vec<u8>>,
        signing_name: &'static str,
        time: SystemTime,
    ) -> Result<(), oidc_core::Error> {
        (self.0)(request);
        if request.headers().contains_key("authorization") {
            return Ok(());
        }
        SigV4Signer::new(static_credentials(), REGION).sign(request, signing_name, time)
    }
}

/// Adds nothing: the request goes out unsigned.
struct NoSigner;

impl SignRequest for NoSigner {
    fn sign(
        &self,
        _request: &mut http::Request<Vec<u8>>,
        _signing_name: &'static str,
        _time: SystemTime,
    ) -> Result<(), oidc_core::Error> {
        Ok(())
    }
}

/// Replaces `from` with `to` (same length) in the body.
fn rewrite_body(request: &mut http::Request<Vec<u8>>, from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "keep Content-Length right");
    let body = String::from_utf8(request.body().clone()).expect("a form body");
    *request.body_mut() = body.replacen(from, to, 1).into_bytes();
}

fn static_credentials() -> Credentials {
    signer().credentials().clone()
}

fn assume_role_input() -> AssumeRoleInput {
    AssumeRoleInput::new(ROLE_ARN, "conformance")
}

// ---------------------------------------------------------------- happy STS

pub(super) fn sts_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("sts/assume_role")
            .emulator(iam_emulator())
            .action(|env| {
                let input = assume_role_input()
                    .with_source_identity("alice")
                    .with_tags([Tag::new("team", "blue")])
                    .with_duration_seconds(900);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    let user = o.assumed_role_user.as_ref();
                    format!(
                        "{} arn={:?} id={:?} source={:?} packed={} rid={}",
                        creds(&o.credentials),
                        user.map(|u| u.arn.as_str()),
                        user.map(|u| role_id(&u.assumed_role_id)),
                        o.source_identity,
                        yes(o.packed_policy_size.is_some()),
                        yes(o.request_id.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=15m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/conformance") id=Some("AROA…:conformance") source=Some("alice") packed=yes rid=yes"#)
            .counts(&[(AR, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_role_with_saml_unsigned")
            .action(|env| {
                typed(env.adapter.call(&saml_input(saml(""))), |o| {
                    format!(
                        "{} arn={:?} subject={:?}/{:?} issuer={:?} audience={:?} qualifier={}",
                        creds(&o.credentials),
                        o.assumed_role_user.map(|u| u.arn),
                        o.subject,
                        o.subject_type,
                        o.issuer,
                        o.audience,
                        yes(o.name_qualifier.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/alice.saml") subject=Some("alice")/Some("persistent") issuer=Some("https://idp.example.com/saml") audience=Some("https://signin.aws.amazon.com/saml") qualifier=yes"#)
            .counts(&[(ARS, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_role_with_web_identity_unsigned")
            .action(|env| {
                let token = jwt(r#"{"iss":"https://idp.example.com","sub":"user-1","aud":"client-1"}"#);
                let input = AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", token)
                    .with_duration_seconds(1800);
                typed(env.adapter.call(&input), |o| {
                    format!(
                        "{} arn={:?} subject={:?} provider={:?} audience={:?}",
                        creds(&o.credentials),
                        o.assumed_role_user.map(|u| u.arn),
                        o.subject_from_web_identity_token,
                        o.provider,
                        o.audience
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=30m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/web-session") subject=Some("user-1") provider=Some("arn:aws:iam::210987654321:oidc-provider/idp.example.com") audience=Some("client-1")"#)
            .counts(&[(ARWI, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_root_then_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                let input = AssumeRootInput::new("333333333333", ROOT_TASK_POLICY);
                let root = match env.adapter.call_signed(&input, signer()) {
                    Ok(o) => o,
                    Err(e) => return outcome::error(&e),
                };
                let who = env
                    .adapter
                    .call_signed(&GetCallerIdentityInput::new(), signed_by(root.credentials.clone()));
                format!(
                    "{} as {}",
                    creds(&root.credentials),
                    typed(who, |w| format!("{} {}", w.account, w.arn))
                )
            })
            .expect("key=ASIA secret=yes token=yes ttl=15m account=None as ok 333333333333 arn:aws:iam::333333333333:root")
            .counts(&[(AROOT, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/decode_authorization_message")
            .emulator(iam_emulator())
            .action(|env| {
                let message = r#"{"allowed":false,"explicitDeny":true}"#;
                let input = DecodeAuthorizationMessageInput::new(b64(message.as_bytes(), false));
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!("decoded={}", o.decoded_message)
                })
            })
            .expect(r#"ok decoded={"allowed":false,"explicitDeny":true}"#)
            .counts(&[(DAM, 1)]),
    );
    t.push(
        Scenario::new("sts/get_access_key_info")
            .emulator(iam_emulator())
            .action(|env| {
                let assumed = env
                    .adapter
                    .call_signed(&assume_role_input(), signer())
                    .expect("assumed");
                let known = env.adapter.call_signed(
                    &GetAccessKeyInfoInput::new(assumed.credentials.access_key_id),
                    signer(),
                );
                let unknown = env.adapter.call_signed(
                    &GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE"),
                    signer(),
                );
                format!(
                    "issued={} unknown={}",
                    typed(known, |o| o.account),
                    typed(unknown, |o| o.account)
                )
            })
            .expect("issued=ok 210987654321 unknown=ok 123456789012")
            .counts(&[(AR, 1), (GAKI, 2)]),
    );
    t.push(
        Scenario::new("sts/get_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                typed(
                    env.adapter
                        .call_signed(&GetCallerIdentityInput::new(), signer()),
                    |o| {
                        format!(
                            "user_id={} account={} arn={} rid={}",
                            o.user_id.get(..4).unwrap_or_default(),
                            o.account,
                            o.arn,
                            yes(o.request_id.is_some())
                        )
                    },
                )
            })
            .expect(format!(
                "ok user_id=AIDA account={STATIC_ACCOUNT} arn={STATIC_ARN} rid=yes"
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/get_federation_token")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetFederationTokenInput::new("feduser")
                    .with_duration_seconds(3600)
                    .with_policy(r#"{"Version":"2012-10-17","Statement":[]}"#);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "{} user={:?} packed={}",
                        creds(&o.credentials),
                        o.federated_user
                            .map(|u| format!("{} {}", u.federated_user_id, u.arn)),
                        yes(o.packed_policy_size.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("123456789012") user=Some("123456789012:feduser arn:aws:sts::123456789012:federated-user/feduser") packed=yes"#)
            .counts(&[(GFT, 1)]),
    );
    t.push(
        Scenario::new("sts/get_session_token_then_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetSessionTokenInput::new().with_duration_seconds(900);
                let session = match env.adapter.call_signed(&input, signer()) {
                    Ok(o) => o,
                    Err(e) => return outcome::error(&e),
                };
                let who = env.adapter.call_signed(
                    &GetCallerIdentityInput::new(),
                    signed_by(session.credentials.clone()),
                );
                format!(
                    "{} as {}",
                    creds(&session.credentials),
                    typed(who, |w| w.arn)
                )
            })
            .expect(format!(
                "key=ASIA secret=yes token=yes ttl=15m account=None as ok {STATIC_ARN}"
            ))
            .counts(&[(GST, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/get_delegated_access_token")
            .emulator(iam_emulator())
            .action(|env| {
                let trade_in = env
                    .emu
                    .issue_trade_in_token("arn:aws:sts::210987654321:assumed-role/demo/delegated");
                let input = GetDelegatedAccessTokenInput::new(trade_in);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "{} principal={:?}",
                        creds(&o.credentials),
                        o.assumed_principal
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") principal=Some("arn:aws:sts::210987654321:assumed-role/demo/delegated")"#)
            .counts(&[(GDAT, 1)]),
    );
    t.push(
        Scenario::new("sts/get_web_identity_token")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256")
                    .with_duration_seconds(600);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "jwt_parts={} ttl={}",
                        o.web_identity_token.secret().split('.').count(),
                        ttl(o.expiration)
                    )
                })
            })
            .expect("ok jwt_parts=3 ttl=10m")
            .counts(&[(GWIT, 1)]),
    );
}

// --------------------------------------------------------------- STS errors

pub(super) fn sts_error_scenarios(t: &mut Vec<Scenario>) {
    let gci = GetCallerIdentityInput::new;
    t.push(
        Scenario::new("error/sts/signature_does_not_match_wrong_secret")
            .emulator(iam_emulator())
            .action(move |env| {
                let wrong = Credentials::new(ACCESS_KEY_ID, "not-the-secret-access-key");
                typed(env.adapter.call_signed(&gci(), signed_by(wrong)), |_| {
                    "identity".into()
                })
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "SignatureDoesNotMatch",
                    SIGNATURE_MISMATCH,
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/invalid_client_token_id_unknown_key")
            .action(move |env| {
                typed(env.adapter.call_signed(&gci(), signer()), |_| {
                    "identity".into()
                })
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "InvalidClientTokenId",
                    INVALID_TOKEN,
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/signature_expired_20_minutes_ago")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env
                    .adapter
                    .call_signed(&gci(), offset_signer(static_credentials(), -20 * 60));
                scrub_amz_dates(&typed(r, |_| "identity".into()))
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "SignatureDoesNotMatch",
                    "Signature expired: DATE is now earlier than DATE (DATE - 15 min.)",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/expired_token_of_expired_credentials")
            .emulator(iam_emulator())
            .action(move |env| {
                let session = env
                    .adapter
                    .call_signed(
                        &GetSessionTokenInput::new().with_duration_seconds(900),
                        signer(),
                    )
                    .expect("session credentials");
                env.emu.advance(Duration::from_secs(901));
                let r = env
                    .adapter
                    .call_signed(&gci(), offset_signer(session.credentials, 901));
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "ExpiredToken",
                    "The security token included in the request is expired",
                    "Sender"
                )
            ))
            .counts(&[(GST, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/missing_authentication_token_unsigned")
            .emulator(iam_emulator())
            .action(move |env| {
                // `Call::new` refuses a SigV4 operation without a signer,
                // so the unsigned request goes through a signer that adds
                // nothing.
                let r = env.adapter.call_signed(&gci(), Arc::new(NoSigner));
                let unsigned = env.adapter.call(&gci());
                format!(
                    "{} / call: {}",
                    typed(r, |_| "identity".into()),
                    outcome::result(unsigned, |_| "identity".into())
                )
            })
            .expect(format!(
                r#"{} [other] / call: core Signing {{ operation: "GetCallerIdentity", cause: NoCredentials }}"#,
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/incomplete_signature")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| {
                        req.headers_mut().insert(
                            "authorization",
                            http::HeaderValue::from_static("AWS4-HMAC-SHA256 SignedHeaders=host"),
                        );
                    })),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "IncompleteSignature",
                    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/invalid_action_wrong_version")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| {
                        rewrite_body(req, "Version=2011-06-15", "Version=2010-01-01");
                    })),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "InvalidAction",
                    "Could not find operation GetCallerIdentity for version 2010-01-01",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/missing_action")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| rewrite_body(req, "Action=", "Actiox="))),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "MissingAction",
                    "Missing Action",
                    "Sender"
                )
            ))
            .counts(&[(STS_OTHER, 1)]),
    );
    // Operation-level errors: (name, action, op, status, code, message,
    // code family, counts).
    type Row = (
        &'static str,
        fn(&Env) -> String,
        &'static str,
        u16,
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, u64)],
    );
    let rows: [Row; 13] = [
        (
            "validation_error_not_a_role_arn",
            |env| {
                let input = AssumeRoleInput::new("arn:aws:iam::210987654321:user/demo", "s1");
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "ValidationError",
            "arn:aws:iam::210987654321:user/demo is invalid",
            "other",
            &[(AR, 1)],
        ),
        (
            "validation_error_role_chaining_over_an_hour",
            |env| {
                let first = env
                    .adapter
                    .call_signed(&assume_role_input(), signer())
                    .expect("assumed");
                let input = assume_role_input().with_duration_seconds(7200);
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(first.credentials)),
                    |_| "assumed".into(),
                )
            },
            "AssumeRole",
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            "other",
            &[(AR, 2)],
        ),
        (
            "invalid_parameter_value_unknown_context_provider",
            |env| {
                let input = assume_role_input().with_provided_contexts([ProvidedContext::new(
                    "arn:aws:iam::aws:contextProvider/Other",
                    "context-1",
                )]);
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "InvalidParameterValue",
            "Invalid context provider: arn:aws:iam::aws:contextProvider/Other",
            "other",
            &[(AR, 1)],
        ),
        (
            "access_denied_session_token_with_session_credentials",
            |env| {
                let input = GetSessionTokenInput::new();
                let session = env
                    .adapter
                    .call_signed(&input, signer())
                    .expect("session credentials");
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(session.credentials)),
                    |_| "session".into(),
                )
            },
            "GetSessionToken",
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
            "other",
            &[(GST, 2)],
        ),
        (
            "malformed_policy_document",
            |env| {
                let input = assume_role_input().with_policy("this is not a policy");
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "MalformedPolicyDocument",
            "The policy is not in the valid JSON format.",
            "sts",
            &[(AR, 1)],
        ),
        (
            "packed_policy_too_large",
            |env| {
                let tags = (0..10).map(|i| Tag::new(format!("{i:0>128}"), "v".repeat(256)));
                let input = assume_role_input().with_tags(tags);
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "PackedPolicyTooLarge",
            "Serialized token too large for session",
            "sts",
            &[(AR, 1)],
        ),
        (
            "invalid_identity_token_not_a_jwt",
            |env| {
                let input =
                    AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", "opaque-token");
                typed(env.adapter.call(&input), |_| "assumed".into())
            },
            "AssumeRoleWithWebIdentity",
            400,
            "InvalidIdentityToken",
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
            "sts",
            &[(ARWI, 1)],
        ),
        (
            "expired_token_exception_saml",
            |env| {
                let expired =
                    saml(r#"<saml:Conditions NotOnOrAfter="2000-01-01T00:00:00Z"></saml:Conditions>"#);
                typed(env.adapter.call(&saml_input(expired)), |_| "assumed".into())
            },
            "AssumeRoleWithSAML",
            400,
            "ExpiredTokenException",
            "Token expired: the SAML assertion is no longer valid (NotOnOrAfter)",
            "sts",
            &[(ARS, 1)],
        ),
        (
            "invalid_authorization_message",
            |env| {
                let input = DecodeAuthorizationMessageInput::new("not an encoded message");
                typed(env.adapter.call_signed(&input, signer()), |_| "decoded".into())
            },
            "DecodeAuthorizationMessage",
            400,
            "InvalidAuthorizationMessageException",
            "The encoded authorization message is not valid.",
            "sts",
            &[(DAM, 1)],
        ),
        (
            "expired_trade_in_token",
            |env| {
                let token = env
                    .emu
                    .issue_trade_in_token("arn:aws:sts::210987654321:assumed-role/demo/delegated");
                env.emu.advance(Duration::from_secs(901));
                let input = GetDelegatedAccessTokenInput::new(token);
                let r = env
                    .adapter
                    .call_signed(&input, offset_signer(static_credentials(), 901));
                typed(r, |_| "delegated".into())
            },
            "GetDelegatedAccessToken",
            400,
            "ExpiredTradeInTokenException",
            "The provided trade-in token has expired.",
            "sts",
            &[(GDAT, 1)],
        ),
        (
            "invalid_parameter_value_unknown_trade_in_token",
            |env| {
                let input = GetDelegatedAccessTokenInput::new("EMUtradeInNoSuchToken");
                typed(env.adapter.call_signed(&input, signer()), |_| "delegated".into())
            },
            "GetDelegatedAccessToken",
            400,
            "InvalidParameterValue",
            "The provided trade-in token is not valid.",
            "other",
            &[(GDAT, 1)],
        ),
        (
            "session_duration_escalation",
            |env| {
                let session = env
                    .adapter
                    .call_signed(&GetSessionTokenInput::new().with_duration_seconds(900), signer())
                    .expect("session credentials");
                let input = GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256")
                    .with_duration_seconds(3600);
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(session.credentials)),
                    |_| "jwt".into(),
                )
            },
            "GetWebIdentityToken",
            403,
            "SessionDurationEscalationException",
            "The requested token duration would extend the token beyond the expiration of the caller's session.",
            "sts",
            &[(GST, 1), (GWIT, 1)],
        ),
        (
            "jwt_payload_size_exceeded",
            |env| {
                let tags = (0..20).map(|i| Tag::new(format!("claim{i}"), "x".repeat(250)));
                let input =
                    GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256").with_tags(tags);
                let r = env.adapter.call_signed(&input, signer());
                // The size is in the message; keep only its shape.
                let text = typed(r, |_| "jwt".into());
                match text.split_once(" bytes)") {
                    Some((head, tail)) => format!(
                        "{}N bytes){tail}",
                        head.trim_end_matches(|c: char| c.is_ascii_digit())
                    ),
                    None => text,
                }
            },
            "GetWebIdentityToken",
            400,
            "JWTPayloadSizeExceededException",
            "The JWT payload size (N bytes) exceeds the maximum of 4096 bytes.",
            "sts",
            &[(GWIT, 1)],
        ),
    ];
    for (name, action, op, status, code, msg, kind, counts) in rows {
        let config = if op.starts_with("AssumeRoleWith") {
            EmulatorConfig::default()
        } else {
            iam_emulator()
        };
        let fault = if status >= 500 { "Receiver" } else { "Sender" };
        t.push(
            Scenario::new(format!("error/sts/{name}"))
                .emulator(config)
                .action(action)
                .expect(format!(
                    "{} [{kind}]",
                    sts_svc(op, status, code, msg, fault)
                ))
                .counts(counts),
        );
    }
}

// --------------------------------------------------------------- STS faults

pub(super) fn sts_fault_scenarios(t: &mut Vec<Scenario>) {
    let on_gci = |name: &str,
                  target: FaultTarget,
                  kind: FaultKind,
                  times: u32,
                  expect: String,
                  attempts: u64| {
        Scenario::new(format!("fault/sts/{name}"))
            .emulator(iam_emulator())
            .action(move |env| {
                env.emu
                    .push_fault(fault(target.clone(), kind.clone(), times));
                let r = env
                    .adapter
                    .call_signed(&GetCallerIdentityInput::new(), signer());
                format!(
                    "{} quota={}",
                    typed(r, |o| o.arn),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(GCI, attempts)])
    };
    let gci_target = FaultTarget::StsOperation(StsOperation::GetCallerIdentity);
    let ok = format!("ok {STATIC_ARN} quota=500");
    let injected = |status: u16, code: &str, fault: &str| {
        sts_svc("GetCallerIdentity", status, code, "Injected fault", fault)
    };
    t.push(on_gci(
        "500_twice_then_success_signed_every_attempt",
        gci_target.clone(),
        FaultKind::status(500, Some("InternalFailure")),
        2,
        ok.clone(),
        3,
    ));
    t.push(on_gci(
        "503_exhausts_attempts",
        gci_target.clone(),
        FaultKind::status(503, Some("ServiceUnavailable")),
        3,
        format!(
            "{} [other] quota=490",
            injected(503, "ServiceUnavailable", "Receiver")
        ),
        3,
    ));
    t.push(on_gci(
        "throttling_twice_then_success",
        gci_target.clone(),
        FaultKind::status(400, Some("Throttling")),
        2,
        ok.clone(),
        3,
    ));
    t.push(on_gci(
        "throttling_exhausts_attempts",
        gci_target.clone(),
        FaultKind::status(400, Some("Throttling")),
        3,
        format!(
            "{} [other] quota=490",
            injected(400, "Throttling", "Sender")
        ),
        3,
    ));
    t.push(on_gci(
        "access_denied_not_retried",
        gci_target.clone(),
        FaultKind::status(403, Some("AccessDenied")),
        3,
        format!(
            "{} [other] quota=500",
            injected(403, "AccessDenied", "Sender")
        ),
        1,
    ));
    t.push(on_gci(
        "any_sts_drop_once_then_success",
        FaultTarget::Sts,
        FaultKind::Drop,
        1,
        ok.clone(),
        2,
    ));
    t.push(on_gci(
        "fault_on_another_operation_does_not_apply",
        FaultTarget::StsOperation(StsOperation::AssumeRole),
        FaultKind::status(500, Some("InternalFailure")),
        3,
        ok,
        1,
    ));
    t.push(
        Scenario::new("fault/sts/idp_communication_error_retried_unsigned")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::StsOperation(StsOperation::AssumeRoleWithWebIdentity),
                    FaultKind::status(400, Some("IDPCommunicationError")),
                    2,
                ));
                let token =
                    jwt(r#"{"iss":"https://idp.example.com","sub":"user-1","aud":"client-1"}"#);
                let input = AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", token);
                typed(env.adapter.call(&input), |o| {
                    format!("{:?}", o.assumed_role_user.map(|u| u.arn))
                })
            })
            .expect(r#"ok Some("arn:aws:sts::210987654321:assumed-role/demo/web-session")"#)
            .counts(&[(ARWI, 3)]),
    );
    t.push(
        Scenario::new("fault/sts/idp_communication_error_exhausts_attempts")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::StsOperation(StsOperation::AssumeRoleWithSaml),
                    FaultKind::status(400, Some("IDPCommunicationError")),
                    3,
                ));
                typed(env.adapter.call(&saml_input(saml(""))), |_| {
                    "assumed".into()
                })
            })
            .expect(format!(
                "{} [sts]",
                sts_svc(
                    "AssumeRoleWithSAML",
                    400,
                    "IDPCommunicationError",
                    "Injected fault",
                    "Sender"
                )
            ))
            .counts(&[(ARS, 3)]),
    );
}

// ------------------------------------------------------------------- portal

fn grc_input(token: &str) -> GetRoleCredentialsInput {
    GetRoleCredentialsInput::new(PORTAL_ROLE, PORTAL_ACCOUNT, AccessToken::new(token))
}

/// Drives `paginator` through `call` until done: the items and the pages.
fn paginate<I>(env: &Env, mut pages: Paginator<I>) -> Result<(Vec<I::Item>, u32), String>
where
    I: Paginated,
{
    let mut items = Vec::new();
    loop {
        match pages.next_input() {
            Ok(Some(input)) => match env.adapter.call(&input) {
                Ok(page) => items.extend(pages.handle_page(page).map_err(|e| e.to_string())?),
                Err(e) => return Err(outcome::error(&e)),
            },
            Ok(None) => return Ok((items, pages.pages())),
            Err(e) => return Err(e.to_string()),
        }
    }
}

pub(super) fn portal_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("portal/get_role_credentials")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                typed(env.adapter.call(&grc_input(&issued.access_token)), |o| {
                    creds(&o.into_credentials(PORTAL_ACCOUNT))
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111")"#)
            .counts(&[(GRC, 1)]),
    );
    t.push(
        Scenario::new("portal/list_accounts_paginated")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let pages = Paginator::new(ListAccountsInput::new(AccessToken::new(
                    issued.access_token,
                )));
                match paginate(env, pages) {
                    Ok((accounts, n)) => {
                        let list: Vec<String> = accounts
                            .iter()
                            .map(|a| {
                                format!(
                                    "{}:{}:{}",
                                    a.account_id,
                                    a.account_name.as_deref().unwrap_or("-"),
                                    a.email_address.as_deref().unwrap_or("-")
                                )
                            })
                            .collect();
                        format!("ok pages={n} {list:?}")
                    }
                    Err(e) => e,
                }
            })
            .expect(r#"ok pages=2 ["111111111111:Dev:dev@example.com", "222222222222:Staging:staging@example.com", "333333333333:Prod:prod@example.com"]"#)
            .counts(&[(LA, 2)]),
    );
    t.push(
        Scenario::new("portal/list_account_roles_paginated")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let pages = Paginator::new(
                    ListAccountRolesInput::new(
                        AccessToken::new(issued.access_token),
                        PORTAL_ACCOUNT,
                    )
                    .with_max_results(1),
                );
                match paginate(env, pages) {
                    Ok((roles, n)) => {
                        let list: Vec<String> = roles
                            .iter()
                            .map(|r| format!("{}/{}", r.account_id, r.role_name))
                            .collect();
                        format!("ok pages={n} {list:?}")
                    }
                    Err(e) => e,
                }
            })
            .expect(r#"ok pages=2 ["111111111111/ReadOnly", "111111111111/AdministratorAccess"]"#)
            .counts(&[(LAR, 2)]),
    );
    t.push(
        Scenario::new("portal/logout_then_the_token_is_refused")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let out = env.adapter.call(&LogoutInput::new(AccessToken::new(
                    issued.access_token.clone(),
                )));
                let after = env.adapter.call(&grc_input(&issued.access_token));
                let again = env
                    .adapter
                    .call(&LogoutInput::new(AccessToken::new(issued.access_token)));
                format!(
                    "logout={} then={} again={}",
                    typed(out, |_| "done".into()),
                    typed(after, |_| "credentials".into()),
                    typed(again, |_| "done".into())
                )
            })
            .expect(format!(
                "logout=ok done then=service {} [sso] again=service {} [sso]",
                svc(
                    "GetRoleCredentials",
                    401,
                    "UnauthorizedException",
                    Some("Session token not found or invalid")
                ),
                svc(
                    "Logout",
                    401,
                    "UnauthorizedException",
                    Some("Session token not found or invalid")
                )
            ))
            .counts(&[(LOGOUT, 2), (GRC, 1)]),
    );
    let unauthorized = |op| {
        format!(
            "service {} [sso]",
            svc(
                op,
                401,
                "UnauthorizedException",
                Some("Session token not found or invalid")
            )
        )
    };
    t.push(
        Scenario::new("error/portal/unauthorized_bad_token")
            .action(|env| {
                let grc = env.adapter.call(&grc_input("not-a-token"));
                let la = env
                    .adapter
                    .call(&ListAccountsInput::new(AccessToken::new("nope")));
                format!(
                    "{} / {}",
                    typed(grc, |_| "credentials".into()),
                    typed(la, |_| "accounts".into())
                )
            })
            .expect(format!(
                "{} / {}",
                unauthorized("GetRoleCredentials"),
                unauthorized("ListAccounts")
            ))
            .counts(&[(GRC, 1), (LA, 1)]),
    );
    t.push(
        Scenario::new("error/portal/unauthorized_revoked_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                assert!(env.emu.revoke_access_token(&issued.access_token));
                typed(env.adapter.call(&grc_input(&issued.access_token)), |_| {
                    "credentials".into()
                })
            })
            .expect(unauthorized("GetRoleCredentials"))
            .counts(&[(GRC, 1)]),
    );
    t.push(
        Scenario::new("error/portal/unauthorized_expired_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                env.emu.advance(Duration::from_secs(3601));
                typed(
                    env.adapter.call(&ListAccountRolesInput::new(
                        AccessToken::new(issued.access_token),
                        PORTAL_ACCOUNT,
                    )),
                    |_| "roles".into(),
                )
            })
            .expect(unauthorized("ListAccountRoles"))
            .counts(&[(LAR, 1)]),
    );
    t.push(
        Scenario::new("error/portal/resource_not_found")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let token = AccessToken::new(issued.access_token.clone());
                let role = env.adapter.call(&GetRoleCredentialsInput::new(
                    "Billing",
                    "222222222222",
                    token.clone(),
                ));
                let account = env
                    .adapter
                    .call(&ListAccountRolesInput::new(token, "999999999999"));
                format!(
                    "{} / {}",
                    typed(role, |_| "credentials".into()),
                    typed(account, |_| "roles".into())
                )
            })
            .expect(format!(
                "service {} [sso] / service {} [sso]",
                svc(
                    "GetRoleCredentials",
                    404,
                    "ResourceNotFoundException",
                    Some("No access")
                ),
                svc(
                    "ListAccountRoles",
                    404,
                    "ResourceNotFoundException",
                    Some("No access")
                )
            ))
            .counts(&[(GRC, 1), (LAR, 1)]),
    );
    t.push(
        Scenario::new("error/portal/invalid_request_bad_next_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let input = ListAccountsInput::new(AccessToken::new(issued.access_token))
                    .with_next_token("not-a-page-token");
                typed(env.adapter.call(&input), |_| "accounts".into())
            })
            .expect(format!(
                "service {} [sso]",
                svc(
                    "ListAccounts",
                    400,
                    "InvalidRequestException",
                    Some("Invalid next_token")
                )
            ))
            .counts(&[(LA, 1)]),
    );
    t.push(
        Scenario::new("error/portal/invalid_input_refused_before_sending")
            .action(|env| {
                let input = ListAccountsInput::new(AccessToken::new("x")).with_max_results(0);
                typed(env.adapter.call(&input), |_| "accounts".into())
            })
            .expect(r#"core InvalidInput(Invalid { operation: "ListAccounts", member: "maxResults", reason: "must be between 1 and 100, got 0" }) [none]"#),
    );
    let portal_fault = |name: &str, kind: FaultKind, times: u32, expect: String, attempts: u64| {
        Scenario::new(format!("fault/portal/{name}"))
            .action(move |env| {
                let issued = env.emu.issue_token(&SCOPES);
                env.emu
                    .push_fault(fault(FaultTarget::Portal, kind.clone(), times));
                let r = env.adapter.call(&ListAccountsInput::new(AccessToken::new(
                    issued.access_token,
                )));
                format!(
                    "{} quota={}",
                    typed(r, |o| format!("accounts={}", o.account_list.len())),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(LA, attempts)])
    };
    t.push(portal_fault(
        "too_many_requests_twice_then_success",
        FaultKind::status(429, Some("TooManyRequestsException")),
        2,
        "ok accounts=2 quota=500".to_owned(),
        3,
    ));
    t.push(portal_fault(
        "too_many_requests_exhausts_attempts",
        FaultKind::status(429, Some("TooManyRequestsException")),
        3,
        format!(
            "service {} [sso] quota=490",
            svc(
                "ListAccounts",
                429,
                "TooManyRequestsException",
                Some("Injected fault")
            )
        ),
        3,
    ));
    t.push(portal_fault(
        "500_once_then_success",
        FaultKind::status(500, None),
        1,
        "ok accounts=2 quota=500".to_owned(),
        2,
    ));
    t.push(portal_fault(
        "unauthorized_not_retried",
        FaultKind::status(401, Some("UnauthorizedException")),
        3,
        format!(
            "service {} [sso] quota=500",
            svc(
                "ListAccounts",
                401,
                "UnauthorizedException",
                Some("Injected fault")
            )
        ),
        1,
    ));
}

// -------------------------------------------------------- chain, provider

pub(super) fn chain_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("chain/sign_in_portal_sts_identity_enhanced_assume_role")
            .action(chain)
            .expect(concat!(
                "signed-in ",
                r#"portal=key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111") "#,
                "caller=111111111111 arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnly_HEX/user@example.com ",
                "iam=identity-context:yes ",
                r#"assumed=Some("arn:aws:sts::111111111111:assumed-role/data-analyst/alice") "#,
                "caller=111111111111 arn:aws:sts::111111111111:assumed-role/data-analyst/alice ",
                "recorded=[(\"arn:aws:iam::aws:contextProvider/IdentityCenter\", same=yes, recognized=true)]"
            ))
            .counts(&[(REG, 1), (SDA, 1), (CTDC, 2), (GRC, 1), (GCI, 2), (CTWI, 1), (AR, 1)]),
    );
    t.push(
        Scenario::new("credentials/sso_role_provider_fetches_once")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                seed(env, &issued, Duration::from_secs(3600), REGION);
                let cli = tempfile::tempdir().expect("cli cache");
                let provider = CredentialsProvider::new(CredentialsSource::sso_role(
                    env.session(),
                    PORTAL_ACCOUNT,
                    PORTAL_ROLE,
                    CredentialsCacheDir::new(cli.path()),
                ));
                let first = match env.adapter.credentials(
                    &provider,
                    |_| panic!("no prompt: the token is cached"),
                    &CancelToken::new(),
                ) {
                    Ok(c) => c,
                    Err(e) => return outcome::error(&e),
                };
                let after_first = env.emu.stats().get_role_credentials;
                let second = env.adapter.credentials(
                    &provider,
                    |_| panic!("no prompt"),
                    &CancelToken::new(),
                );
                format!(
                    "first={} calls={after_first} second={} fetches={}",
                    creds(&first),
                    typed(second, |c| format!(
                        "same={}",
                        yes(c.access_key_id == first.access_key_id)
                    )),
                    provider.fetches()
                )
            })
            .expect(r#"first=key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111") calls=1 second=ok same=yes fetches=1"#)
            .counts(&[(GRC, 1)]),
    );
}

/// Device-code sign-in → GetRoleCredentials → GetCallerIdentity →
/// CreateTokenWithIAM (signed with the role credentials) → AssumeRole with
/// the identity context → GetCallerIdentity as the assumed role; then what
/// the emulator recorded of the provided context.
fn chain(env: &Env) -> String {
    let token = match env.adapter.session_token(
        &env.session(),
        SignInMode::DeviceCode,
        approve(env.emu),
        &CancelToken::new(),
    ) {
        Ok(t) => t,
        Err(e) => return format!("sign-in {}", outcome::error(&e)),
    };
    let role = match env.adapter.call(&GetRoleCredentialsInput::new(
        PORTAL_ROLE,
        PORTAL_ACCOUNT,
        token.access_token.clone(),
    )) {
        Ok(o) => o.into_credentials(PORTAL_ACCOUNT),
        Err(e) => return format!("portal {}", outcome::error(&e)),
    };
    let who = |credentials: &Credentials| {
        typed(
            env.adapter.call_signed(
                &GetCallerIdentityInput::new(),
                signed_by(credentials.clone()),
            ),
            |o| format!("{} {}", o.account, scrub_reserved(&o.arn)),
        )
        .trim_start_matches("ok ")
        .to_owned()
    };
    let caller = who(&role);
    let iam = match env
        .adapter
        .call_signed(&iam_input(), signed_by(role.clone()))
    {
        Ok(o) => o,
        Err(e) => return format!("iam {}", outcome::error(&e)),
    };
    let context = iam
        .aws_additional_details
        .as_ref()
        .and_then(|d| d.identity_context.clone());
    let input = match identity_context::assume_role_input(
        &iam,
        "arn:aws:iam::111111111111:role/data-analyst",
        "alice",
    ) {
        Ok(i) => i,
        Err(e) => return format!("identity context: {e}"),
    };
    let assumed = match env.adapter.call_signed(&input, signed_by(role.clone())) {
        Ok(o) => o,
        Err(e) => return format!("assume {}", outcome::error(&e)),
    };
    let assumed_caller = who(&assumed.credentials);
    let recorded: Vec<String> = env
        .emu
        .sts_sessions()
        .into_iter()
        .filter(|s| s.access_key_id == assumed.credentials.access_key_id)
        .flat_map(|s| s.provided_contexts)
        .map(|p| {
            format!(
                "({:?}, same={}, recognized={})",
                p.provider_arn,
                yes(context
                    .as_ref()
                    .is_some_and(|c| c.secret() == p.context_assertion)),
                p.recognized
            )
        })
        .collect();
    assert_eq!(
        IDENTITY_CENTER_CONTEXT_PROVIDER,
        "arn:aws:iam::aws:contextProvider/IdentityCenter"
    );
    format!(
        "signed-in portal={} caller={caller} iam=identity-context:{} assumed={:?} caller={assumed_caller} recorded=[{}]",
        creds(&role),
        yes(context.is_some()),
        assumed.assumed_role_user.map(|u| u.arn),
        recorded.join(", ")
    )
}
