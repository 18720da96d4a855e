//! Credential endpoints of the compute platforms, on the emulator's base
//! URL: the EC2 instance metadata service (IMDSv2) and the container
//! credentials endpoint (ECS task roles, `AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! with `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
//!
//! | Route | Answer |
//! |---|---|
//! | `PUT /latest/api/token` (`x-aws-ec2-metadata-token-ttl-seconds: 1..=21600`) | 200 `text/plain` session token (400 without a valid TTL, 405 for another method) |
//! | `GET /latest/meta-data/iam/security-credentials/` | 200 `text/plain` instance role name |
//! | `GET /latest/meta-data/iam/security-credentials/<role>` | 200 JSON `{"Code":"Success","LastUpdated","Type":"AWS-HMAC","AccessKeyId","SecretAccessKey","Token","Expiration"}` (404 for another role) |
//! | `GET /container-credentials` (`Authorization: <token>`) | 200 JSON `{"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"}` |
//!
//! IMDS reads need a live `x-aws-ec2-metadata-token` (else 401) and, as the
//! real service, every IMDS request carrying `X-Forwarded-For` is refused
//! with 403. The container endpoint answers 401
//! `{"code":"AccessDenied","message":..}` to a missing or wrong
//! `Authorization`.
//!
//! The credentials are temporary credentials recorded like every other the
//! emulator issues, so its STS accepts them for SigV4 (role chaining
//! included). The same credentials are handed out until less than
//! [`REFRESH_MARGIN_SECS`] of their six hours are left.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::{Request, Response};
use crate::isotime;
use crate::state::{CredentialKind, Ctx, IssuedCredential, State};
use crate::sts::{self, RoleArn};

/// Lifetime of instance-profile and container credentials.
const LIFETIME_SECS: i64 = 6 * 3600;

/// Credentials closer than this to their expiry are replaced.
pub(crate) const REFRESH_MARGIN_SECS: i64 = 15 * 60;

/// The session name of instance-profile credentials (the instance id).
pub(crate) const INSTANCE_ID: &str = "i-0123456789abcdef0";

/// The session name of container credentials.
pub(crate) const CONTAINER_SESSION: &str = "emulator-task";

/// Longest IMDSv2 token lifetime (six hours).
const MAX_TOKEN_TTL_SECS: u64 = 21_600;

fn text(status: u16, body: &str) -> Response {
    Response::new(status, "text/plain", body.to_string())
}

/// `403` for a request that came through a proxy.
fn forwarded(req: &Request) -> Option<Response> {
    req.header("x-forwarded-for")
        .map(|_| text(403, "Forbidden"))
}

fn method_not_allowed(allow: &str) -> Response {
    text(405, "Method Not Allowed").with_header("Allow", allow)
}

/// `PUT /latest/api/token`.
pub(crate) fn put_token(ctx: &Ctx, req: &Request) -> Response {
    if let Some(r) = forwarded(req) {
        return r;
    }
    if req.method != "PUT" {
        return method_not_allowed("PUT");
    }
    let ttl = req
        .header("x-aws-ec2-metadata-token-ttl-seconds")
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|t| (1..=MAX_TOKEN_TTL_SECS).contains(t));
    let Some(ttl) = ttl else {
        return text(400, "Bad Request");
    };
    let token = format!("AQAEA{}", ctx.ids.token(42));
    let now = ctx.clock.now();
    let mut st = ctx.state();
    st.imds_tokens.retain(|_, exp| *exp > now);
    st.imds_tokens
        .insert(token.clone(), now.saturating_add(Duration::from_secs(ttl)));
    drop(st);
    text(200, &token).with_header("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl.to_string())
}

/// Checks the method, proxy header and session token of an IMDS read.
fn imds_read_guard(ctx: &Ctx, req: &Request) -> Option<Response> {
    if let Some(r) = forwarded(req) {
        return Some(r);
    }
    if req.method != "GET" {
        return Some(method_not_allowed("GET"));
    }
    let now = ctx.clock.now();
    let valid = req
        .header("x-aws-ec2-metadata-token")
        .map(str::trim)
        .and_then(|t| ctx.state().imds_tokens.get(t).copied())
        .is_some_and(|exp| exp > now);
    (!valid).then(|| text(401, "Unauthorized"))
}

/// `GET /latest/meta-data/iam/security-credentials/`.
pub(crate) fn get_role_name(ctx: &Ctx, req: &Request) -> Response {
    if let Some(r) = imds_read_guard(ctx, req) {
        return r;
    }
    text(200, &ctx.config.instance_role_name)
}

/// IMDS instance-profile credentials document.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImdsCredentials<'a> {
    code: &'a str,
    last_updated: String,
    #[serde(rename = "Type")]
    kind: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
}

/// `GET /latest/meta-data/iam/security-credentials/<role>`.
pub(crate) fn get_credentials(ctx: &Ctx, req: &Request) -> Response {
    if let Some(r) = imds_read_guard(ctx, req) {
        return r;
    }
    let path = req.path.strip_suffix('/').unwrap_or(&req.path);
    let role = path
        .rsplit_once('/')
        .map(|(_, r)| crate::urlutil::decode(r, false))
        .unwrap_or_default();
    if role != ctx.config.instance_role_name {
        return text(404, "Not Found");
    }
    let cred = current(ctx, CredentialKind::InstanceProfile);
    let expires_ms = cred.expires_at_ms.unwrap_or(0);
    let doc = ImdsCredentials {
        code: "Success",
        last_updated: isotime::iso8601((expires_ms / 1000).saturating_sub(LIFETIME_SECS)),
        kind: "AWS-HMAC",
        access_key_id: &cred.access_key_id,
        secret_access_key: &cred.secret_access_key,
        token: cred.session_token.as_deref().unwrap_or_default(),
        expiration: isotime::iso8601(expires_ms / 1000),
    };
    Response::json(200, &serde_json::to_value(&doc).unwrap_or_default())
}

/// Container credentials document.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    role_arn: String,
}

fn same_secret(a: &str, b: &str) -> bool {
    let a = Sha256::digest(a.as_bytes());
    let b = Sha256::digest(b.as_bytes());
    bool::from(a.ct_eq(&b))
}

/// `GET /container-credentials`.
pub(crate) fn container_credentials(ctx: &Ctx, req: &Request) -> Response {
    if req.method != "GET" {
        return Response::json(
            405,
            &json!({"code": "MethodNotAllowed", "message": format!("Method {} is not allowed; use GET", req.method)}),
        )
        .with_header("Allow", "GET");
    }
    let denied =
        |message: &str| Response::json(401, &json!({"code": "AccessDenied", "message": message}));
    let Some(auth) = req.header("authorization") else {
        return denied("Missing Authorization header");
    };
    if !same_secret(auth.trim(), &ctx.config.container_authorization) {
        return denied("The Authorization header does not match the container's token");
    }
    let cred = current(ctx, CredentialKind::Container);
    let doc = ContainerCredentials {
        access_key_id: &cred.access_key_id,
        secret_access_key: &cred.secret_access_key,
        token: cred.session_token.as_deref().unwrap_or_default(),
        expiration: isotime::iso8601(cred.expires_at_ms.unwrap_or(0) / 1000),
        role_arn: format!(
            "arn:aws:iam::{}:role/{}",
            ctx.config.default_account_id, ctx.config.container_role_name
        ),
    };
    Response::json(200, &serde_json::to_value(&doc).unwrap_or_default())
}

fn slot(st: &mut State, kind: CredentialKind) -> &mut Option<String> {
    if kind == CredentialKind::Container {
        &mut st.container_credential
    } else {
        &mut st.imds_credential
    }
}

/// The live instance-profile (or container) credentials, issued anew when
/// there are none or they are about to expire.
fn current(ctx: &Ctx, kind: CredentialKind) -> IssuedCredential {
    let now_ms = ctx.clock.epoch_millis();
    {
        let mut st = ctx.state();
        let id = slot(&mut st, kind).clone();
        if let Some(c) = id.and_then(|id| st.credentials.get(&id)) {
            if c.expires_at_ms.unwrap_or(0) - now_ms > REFRESH_MARGIN_SECS * 1000 {
                return c.clone();
            }
        }
    }
    let (role_name, session) = if kind == CredentialKind::Container {
        (&ctx.config.container_role_name, CONTAINER_SESSION)
    } else {
        (&ctx.config.instance_role_name, INSTANCE_ID)
    };
    let role = RoleArn {
        partition: "aws".to_string(),
        account: ctx.config.default_account_id.clone(),
        name: role_name.clone(),
    };
    let cred = sts::new_temporary(
        ctx,
        kind,
        &role.account,
        role.assumed_role_arn(session),
        format!("{}:{session}", role.role_id()),
        LIFETIME_SECS,
        None,
    );
    let cred = sts::store(ctx, cred);
    *slot(&mut ctx.state(), kind) = Some(cred.access_key_id.clone());
    cred
}
