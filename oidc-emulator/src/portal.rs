//! SSO portal API emulation (`portal.sso`): GetRoleCredentials,
//! ListAccounts, ListAccountRoles and Logout, authenticated by the
//! `x-amz-sso_bearer_token` header carrying an access token issued by this
//! emulator (via any OIDC grant).
//!
//! Errors use the portal's shapes: `x-amzn-ErrorType: <Shape>` and
//! `{"message": "..."}` — UnauthorizedException (401; missing, unknown,
//! expired or logged-out token), InvalidRequestException (400; missing or
//! bad parameters, bad `next_token`), ResourceNotFoundException (404;
//! unknown account or role). Accounts come from
//! [`crate::EmulatorConfig::portal_accounts`]; pages default to
//! [`crate::EmulatorConfig::portal_page_size`] items and the last page has
//! `"nextToken": null`.
//!
//! Role credentials from GetRoleCredentials are recorded in the shared
//! credential store, so STS accepts them for SigV4: their identity is
//! `arn:aws:sts::<account>:assumed-role/AWSReservedSSO_<role>_<hex>/<user>`
//! ([`crate::EmulatorConfig::portal_user_name`]), as for real IAM Identity
//! Center permission-set roles.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use sha2::{Digest, Sha256};

use crate::http::{Request, Response};
use crate::state::{CredentialKind, Ctx};
use crate::sts::{self, RoleArn};
use crate::urlutil::{first, parse_pairs};

/// The IAM role IAM Identity Center creates for a permission set in an
/// account: `AWSReservedSSO_<PermissionSet>_<16 hex>` (stable per account
/// and permission set).
pub(crate) fn permission_set_role_name(account: &str, permission_set: &str) -> String {
    let digest = Sha256::digest(format!("{account}:{permission_set}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("AWSReservedSSO_{permission_set}_{hex}")
}

fn portal_error(status: u16, shape: &str, message: &str) -> Response {
    Response::json(status, &json!({ "message": message })).with_header("x-amzn-ErrorType", shape)
}

fn unauthorized() -> Response {
    portal_error(
        401,
        "UnauthorizedException",
        "Session token not found or invalid",
    )
}

fn bad_request(message: &str) -> Response {
    portal_error(400, "InvalidRequestException", message)
}

fn not_found(message: &str) -> Response {
    portal_error(404, "ResourceNotFoundException", message)
}

/// Checks the bearer token; returns it when valid.
fn bearer(ctx: &Ctx, req: &Request) -> Option<String> {
    let token = req.header("x-amz-sso_bearer_token")?.trim().to_string();
    let now = ctx.clock.now();
    let st = ctx.state();
    let rec = st.access_tokens.get(&token)?;
    (!rec.revoked && now < rec.expires_at).then_some(token)
}

/// `GET /federation/credentials?role_name=..&account_id=..`.
pub(crate) fn get_role_credentials(ctx: &Ctx, req: &Request) -> Response {
    if bearer(ctx, req).is_none() {
        return unauthorized();
    }
    let q = parse_pairs(&req.query);
    let (Some(role), Some(account)) = (
        first(&q, "role_name").filter(|s| !s.is_empty()),
        first(&q, "account_id").filter(|s| !s.is_empty()),
    ) else {
        return bad_request("role_name and account_id are required");
    };
    let assigned = ctx
        .config
        .portal_accounts
        .iter()
        .any(|a| a.account_id == account && a.roles.iter().any(|r| r == role));
    if !assigned {
        return not_found("No access");
    }
    let role = RoleArn {
        partition: "aws".to_string(),
        account: account.to_string(),
        name: permission_set_role_name(account, role),
    };
    let user = &ctx.config.portal_user_name;
    let cred = sts::new_temporary(
        ctx,
        CredentialKind::Portal,
        account,
        role.assumed_role_arn(user),
        format!("{}:{user}", role.role_id()),
        i64::try_from(ctx.config.role_credentials_lifetime.as_secs()).unwrap_or(sts::ONE_HOUR),
        None,
    );
    let cred = sts::store(ctx, cred);
    Response::json(
        200,
        &json!({"roleCredentials": {
            "accessKeyId": cred.access_key_id,
            "secretAccessKey": cred.secret_access_key,
            "sessionToken": cred.session_token,
            "expiration": cred.expires_at_ms,
        }}),
    )
}

/// Parses `next_token` / `max_result` into (offset, page size).
fn paging(ctx: &Ctx, req: &Request) -> Result<(usize, usize), Response> {
    let q = parse_pairs(&req.query);
    let size = match first(&q, "max_result") {
        None => ctx.config.portal_page_size.max(1),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(bad_request("max_result must be between 1 and 100")),
        },
    };
    let offset = match first(&q, "next_token").filter(|s| !s.is_empty()) {
        None => 0,
        Some(t) => URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("emu-page:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| bad_request("Invalid next_token"))?,
    };
    Ok((offset, size))
}

fn page<T: Clone>(items: &[T], offset: usize, size: usize) -> (Vec<T>, Value) {
    let end = offset.saturating_add(size).min(items.len());
    let slice = items.get(offset..end).unwrap_or(&[]).to_vec();
    let next = if end < items.len() {
        Value::from(URL_SAFE_NO_PAD.encode(format!("emu-page:{end}")))
    } else {
        Value::Null
    };
    (slice, next)
}

/// `GET /assignment/accounts`.
pub(crate) fn list_accounts(ctx: &Ctx, req: &Request) -> Response {
    if bearer(ctx, req).is_none() {
        return unauthorized();
    }
    let (offset, size) = match paging(ctx, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all: Vec<Value> = ctx
        .config
        .portal_accounts
        .iter()
        .map(|a| {
            json!({"accountId": a.account_id, "accountName": a.account_name,
                   "emailAddress": a.email_address})
        })
        .collect();
    let (items, next) = page(&all, offset, size);
    Response::json(200, &json!({"nextToken": next, "accountList": items}))
}

/// `GET /assignment/roles?account_id=..`.
pub(crate) fn list_account_roles(ctx: &Ctx, req: &Request) -> Response {
    if bearer(ctx, req).is_none() {
        return unauthorized();
    }
    let q = parse_pairs(&req.query);
    let Some(account_id) = first(&q, "account_id").filter(|s| !s.is_empty()) else {
        return bad_request("account_id is required");
    };
    let Some(account) = ctx
        .config
        .portal_accounts
        .iter()
        .find(|a| a.account_id == account_id)
    else {
        return not_found("No access");
    };
    let (offset, size) = match paging(ctx, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all: Vec<Value> = account
        .roles
        .iter()
        .map(|r| json!({"roleName": r, "accountId": account.account_id}))
        .collect();
    let (items, next) = page(&all, offset, size);
    Response::json(200, &json!({"nextToken": next, "roleList": items}))
}

/// `POST /logout`: invalidates the access token.
pub(crate) fn logout(ctx: &Ctx, req: &Request) -> Response {
    let Some(token) = bearer(ctx, req) else {
        return unauthorized();
    };
    if let Some(rec) = ctx.state().access_tokens.get_mut(&token) {
        rec.revoked = true;
    }
    Response::empty(200)
}
