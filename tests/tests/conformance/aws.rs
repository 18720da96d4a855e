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

#[path = "aws/chain.rs"]
mod chain;
#[path = "aws/portal.rs"]
mod portal;
#[path = "aws/sources.rs"]
mod sources;
#[path = "aws/sts.rs"]
mod sts;
#[path = "aws/sts_errors.rs"]
mod sts_errors;
#[path = "aws/sts_faults.rs"]
mod sts_faults;

pub(crate) use chain::chain_scenarios;
pub(crate) use portal::portal_scenarios;
pub(crate) use sources::source_scenarios;
pub(crate) use sts::sts_scenarios;
pub(crate) use sts_errors::sts_error_scenarios;
pub(crate) use sts_faults::sts_fault_scenarios;
