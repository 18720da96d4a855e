//! The test-control API, both as plain functions on the shared context
//! (used by [`crate::Emulator`]) and as JSON routes under `/_emulator/`.
//!
//! | Route | Request body | Response (200) |
//! |---|---|---|
//! | `GET /_emulator/health` | — | `{"ok":true,"baseUrl":"http://127.0.0.1:PORT","imdsEndpoint":"http://127.0.0.1:PORT/","containerCredentialsUrl":"http://127.0.0.1:PORT/container-credentials"}` |
//! | `POST /_emulator/approve` | `{"userCode":"BCDF-GHJK"}` | `{"userCode":..,"approved":true}` (404 if no such pending code) |
//! | `POST /_emulator/deny` | `{"userCode":"BCDF-GHJK"}` | `{"userCode":..,"denied":true}` (404 if no such pending code) |
//! | `GET /_emulator/pending` | — | `{"userCodes":["BCDF-GHJK",...]}` (oldest first) |
//! | `POST /_emulator/advance` | `{"seconds":600}` (number ≥ 0, fractions allowed) | `{"offsetSeconds":600.0}` (total offset) |
//! | `GET /_emulator/faults` | — | `{"faults":[rule,...]}` |
//! | `POST /_emulator/faults` | a rule or an array of rules (see [`crate::FaultRule::from_json`]) | `{"queued":n}` |
//! | `DELETE /_emulator/faults` | — | `{"cleared":n}` |
//! | `GET /_emulator/stats` | — | [`crate::Stats`] as JSON (snake_case keys) |
//! | `GET /_emulator/clients` | — | `{"clients":[RegisteredClient (camelCase)...]}` |
//! | `POST /_emulator/reset-stats` | — | the (zeroed) stats |
//! | `POST /_emulator/issue-token` | `{"scopes":[..]}` (optional) | `{"accessToken","refreshToken","clientId","clientSecret","expiresIn","clientSecretExpiresAt"}` |
//! | `POST /_emulator/revoke` | `{"refreshToken":..}` and/or `{"accessToken":..}` | `{"revoked":bool}` |
//! | `GET /_emulator/sts-sessions` | — | `{"sessions":[StsSession (camelCase)...]}` (AWS credentials the emulator issued or was configured with, oldest first) |
//! | `GET /_emulator/requests` | — | `[LoggedRequest (camelCase)...]` (a bare array: the last requests received, oldest first; see [`crate::LoggedRequest`]) |
//! | `DELETE /_emulator/requests` | — | `{"cleared":n}` |
//! | `POST /_emulator/trade-in-token` | `{"principalArn":..}` | `{"tradeInToken":..}` (for STS GetDelegatedAccessToken, valid 15 minutes, single use) |
//!
//! Errors: `400`/`404`/`405` with `{"error":"invalid_request"|"not_found"|"method_not_allowed","error_description":...}`.
//! Control requests are neither counted in the stats nor subject to faults.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::faults::FaultRule;
use crate::http::{Request, Response};
use crate::state::{lock, Ctx, RefreshStatus, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN};
use crate::stats::Stats;

/// Tokens (and the client registration they belong to) created directly by
/// [`crate::Emulator::issue_token`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IssuedToken {
    /// Access token (valid for `expires_in` seconds of emulator time).
    pub access_token: String,
    /// Refresh token (always issued here).
    pub refresh_token: String,
    /// Client id of the registration created for the token.
    pub client_id: String,
    /// Client secret of that registration.
    pub client_secret: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u32,
    /// Registration expiry, epoch seconds.
    pub client_secret_expires_at: i64,
}

/// A client registration as stored by the emulator (what the client sent
/// to RegisterClient, or what [`crate::Emulator::issue_token`] created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RegisteredClient {
    /// Issued client id.
    pub client_id: String,
    /// `clientName` as sent.
    pub client_name: String,
    /// `scopes` as sent (empty when absent).
    pub scopes: Vec<String>,
    /// `grantTypes` as sent (empty when absent).
    pub grant_types: Vec<String>,
    /// `redirectUris` as sent (empty when absent).
    pub redirect_uris: Vec<String>,
    /// `issuerUrl` as sent.
    pub issuer_url: Option<String>,
    /// `entitledApplicationArn` as sent.
    pub entitled_application_arn: Option<String>,
    /// `clientIdIssuedAt` returned (epoch seconds).
    pub client_id_issued_at: i64,
    /// `clientSecretExpiresAt` returned (epoch seconds).
    pub client_secret_expires_at: i64,
}

/// A `ProvidedContexts` entry an AssumeRole session was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProvidedContext {
    /// `ProviderArn` (e.g. `arn:aws:iam::aws:contextProvider/IdentityCenter`).
    pub provider_arn: String,
    /// `ContextAssertion` as sent.
    pub context_assertion: String,
    /// Whether the assertion is an identity context this emulator returned
    /// from CreateTokenWithIAM (`awsAdditionalDetails.identityContext`).
    pub recognized: bool,
}

/// AWS credentials known to the emulator's STS / SigV4 verification:
/// configured static keys, portal role credentials and STS sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StsSession {
    /// Access key id.
    pub access_key_id: String,
    /// Origin: `static`, `portal`, `assumed-role`, `root`,
    /// `federated-user`, `session`, `delegated`, `instance-profile` (IMDS)
    /// or `container`.
    pub kind: String,
    /// GetCallerIdentity `Account`.
    pub account: String,
    /// GetCallerIdentity `Arn`.
    pub arn: String,
    /// GetCallerIdentity `UserId`.
    pub user_id: String,
    /// Expiration (ISO 8601 UTC); `None` for long-term keys.
    pub expiration: Option<String>,
    /// `SourceIdentity` of the session.
    pub source_identity: Option<String>,
    /// `ProvidedContexts` the session was created with.
    pub provided_contexts: Vec<ProvidedContext>,
    /// Session tags.
    pub tags: BTreeMap<String, String>,
    /// Transitive session tag keys.
    pub transitive_tag_keys: Vec<String>,
}

pub(crate) fn sts_sessions(ctx: &Ctx) -> Vec<StsSession> {
    let st = ctx.state();
    let mut v: Vec<_> = st.credentials.values().collect();
    v.sort_by_key(|c| c.seq);
    v.into_iter()
        .map(|c| StsSession {
            access_key_id: c.access_key_id.clone(),
            kind: c.kind.name().to_string(),
            account: c.account.clone(),
            arn: c.arn.clone(),
            user_id: c.user_id.clone(),
            expiration: crate::sts::credentials::expiration_text(c.expires_at_ms),
            source_identity: c.source_identity.clone(),
            provided_contexts: c
                .provided_contexts
                .iter()
                .map(|p| ProvidedContext {
                    provider_arn: p.provider_arn.clone(),
                    context_assertion: p.context_assertion.clone(),
                    recognized: p.recognized,
                })
                .collect(),
            tags: c.tags.iter().cloned().collect(),
            transitive_tag_keys: c.transitive_tag_keys.clone(),
        })
        .collect()
}

pub(crate) fn issue_trade_in_token(ctx: &Ctx, principal_arn: &str) -> String {
    crate::sts::credentials::issue_trade_in_token(ctx, principal_arn)
}

pub(crate) fn clients(ctx: &Ctx) -> Vec<RegisteredClient> {
    let st = ctx.state();
    let mut v: Vec<RegisteredClient> = st
        .clients
        .values()
        .map(|c| RegisteredClient {
            client_id: c.client_id.clone(),
            client_name: c.client_name.clone(),
            scopes: c.scopes.clone(),
            grant_types: c.grant_types.clone(),
            redirect_uris: c.redirect_uris.clone(),
            issuer_url: c.issuer_url.clone(),
            entitled_application_arn: c.entitled_application_arn.clone(),
            client_id_issued_at: c.issued_at_epoch,
            client_secret_expires_at: c.expires_at_epoch,
        })
        .collect();
    v.sort_by(|a, b| {
        (a.client_id_issued_at, &a.client_id).cmp(&(b.client_id_issued_at, &b.client_id))
    });
    v
}

pub(crate) fn approve(ctx: &Ctx, user_code: &str, approve: bool) -> bool {
    let now = ctx.clock.now();
    ctx.state().decide(user_code, approve, now)
}

pub(crate) fn pending(ctx: &Ctx) -> Vec<String> {
    let now = ctx.clock.now();
    ctx.state().pending_user_codes(now)
}

pub(crate) fn push_fault(ctx: &Ctx, rule: FaultRule) {
    lock(&ctx.faults).push(rule);
}

pub(crate) fn clear_faults(ctx: &Ctx) -> usize {
    let mut f = lock(&ctx.faults);
    let n = f.len();
    f.clear();
    n
}

pub(crate) fn stats(ctx: &Ctx) -> Stats {
    *lock(&ctx.stats)
}

pub(crate) fn reset_stats(ctx: &Ctx) {
    *lock(&ctx.stats) = Stats::default();
}

pub(crate) fn issue_token(ctx: &Ctx, scopes: &[String]) -> IssuedToken {
    let mut st = ctx.state();
    let client = ctx.register(
        &mut st,
        "oidc-emulator-issued".to_string(),
        scopes.to_vec(),
        vec![
            GRANT_DEVICE_CODE.to_string(),
            GRANT_REFRESH_TOKEN.to_string(),
        ],
        Vec::new(),
        None,
        None,
    );
    let pair = ctx.issue(&mut st, &client.client_id, scopes, true);
    IssuedToken {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token.unwrap_or_default(),
        client_id: client.client_id,
        client_secret: client.client_secret,
        expires_in: pair.expires_in,
        client_secret_expires_at: client.expires_at_epoch,
    }
}

pub(crate) fn revoke_refresh_token(ctx: &Ctx, token: &str) -> bool {
    match ctx.state().refresh_tokens.get_mut(token) {
        Some(r) if r.status == RefreshStatus::Active => {
            r.status = RefreshStatus::Revoked;
            true
        }
        _ => false,
    }
}

pub(crate) fn revoke_access_token(ctx: &Ctx, token: &str) -> bool {
    match ctx.state().access_tokens.get_mut(token) {
        Some(r) if !r.revoked => {
            r.revoked = true;
            true
        }
        _ => false,
    }
}

fn err(status: u16, code: &str, msg: impl Into<String>) -> Response {
    Response::json(
        status,
        &json!({"error": code, "error_description": msg.into()}),
    )
}

fn bad(msg: impl Into<String>) -> Response {
    err(400, "invalid_request", msg)
}

fn body_json(req: &Request) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&req.body).map_err(|_| bad("body is not valid JSON"))
}

fn user_code_of(v: &Value) -> Result<String, Response> {
    v.get("userCode")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad("`userCode` (string) is required"))
}

/// Routes a request under `/_emulator/`.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> Response {
    match handle_inner(ctx, req) {
        Ok(r) | Err(r) => r,
    }
}

/// The control API moves the clock, approves sign-ins and issues tokens: a
/// web page must not be able to drive it. A request must name this server
/// in `Host` (DNS rebinding), must not come from another `Origin`, and a
/// `POST` or `DELETE` must be JSON (which a cross-site form or `fetch`
/// cannot send without a preflight this server never answers).
fn check_caller(ctx: &Ctx, req: &Request) -> Result<(), Response> {
    let port = ctx
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok());
    // A loopback name, with this server's port or none (a DNS rebinding
    // attack shows its own host name here).
    let own_hosts = |host: &str| -> bool {
        ["127.0.0.1", "localhost", "[::1]"].iter().any(|h| {
            host.eq_ignore_ascii_case(h)
                || port.is_some_and(|port| host.eq_ignore_ascii_case(&format!("{h}:{port}")))
        })
    };
    match req.header("Host") {
        Some(host) if own_hosts(host.trim()) => {}
        _ => {
            return Err(err(
                403,
                "forbidden",
                "the control API only answers requests addressed to this server's loopback address",
            ))
        }
    }
    if let Some(origin) = req.header("Origin") {
        let origin = origin.trim();
        let own = origin
            .strip_prefix("http://")
            .is_some_and(|rest| own_hosts(rest.trim_end_matches('/')));
        if !own {
            return Err(err(
                403,
                "forbidden",
                "the control API refuses cross-origin requests",
            ));
        }
    }
    if req.method == "POST" {
        let json = req
            .header("Content-Type")
            .map(|v| v.split(';').next().unwrap_or("").trim())
            .is_some_and(|v| v.eq_ignore_ascii_case("application/json"));
        if !json {
            // JSON only (a cross-site form cannot send it without a
            // preflight); the message says exactly what to send.
            let base = ctx.base_url.clone();
            return Err(err(
                415,
                "unsupported_media_type",
                format!(
                    "control API requests must be `Content-Type: application/json`, e.g. \
                     curl -X POST -H 'Content-Type: application/json' \
                     -d '{{\"userCode\":\"BCDF-GHJK\"}}' {base}/_emulator/approve"
                ),
            ));
        }
    }
    Ok(())
}

fn handle_inner(ctx: &Ctx, req: &Request) -> Result<Response, Response> {
    check_caller(ctx, req)?;
    let route = req.path.trim_start_matches("/_emulator/");
    let method = req.method.as_str();
    let allowed: &str = match route {
        "health" | "pending" | "stats" | "clients" | "sts-sessions" => "GET",
        "approve" | "deny" | "advance" | "reset-stats" | "issue-token" | "revoke"
        | "trade-in-token" => "POST",
        "faults" => "GET, POST, DELETE",
        "requests" => "GET, DELETE",
        _ => {
            return Err(err(
                404,
                "not_found",
                format!("unknown control route {}", req.path),
            ))
        }
    };
    if !allowed.split(", ").any(|m| m == method) {
        return Err(
            err(405, "method_not_allowed", format!("use {allowed}")).with_header("Allow", allowed)
        );
    }
    let ok = |v: Value| Ok(Response::json(200, &v));
    match (method, route) {
        ("GET", "health") => ok(json!({
            "ok": true,
            "baseUrl": ctx.base_url,
            "imdsEndpoint": format!("{}/", ctx.base_url),
            "containerCredentialsUrl": format!("{}/container-credentials", ctx.base_url),
        })),
        ("GET", "pending") => ok(json!({"userCodes": pending(ctx)})),
        ("GET", "stats") => ok(json!(stats(ctx))),
        ("GET", "clients") => ok(json!({"clients": clients(ctx)})),
        ("GET", "sts-sessions") => ok(json!({"sessions": sts_sessions(ctx)})),
        ("POST", "trade-in-token") => {
            let v = body_json(req)?;
            let arn = v
                .get("principalArn")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("`principalArn` (string) is required"))?;
            ok(json!({"tradeInToken": issue_trade_in_token(ctx, arn)}))
        }
        ("POST", "reset-stats") => {
            reset_stats(ctx);
            ok(json!(stats(ctx)))
        }
        ("POST", "approve") | ("POST", "deny") => {
            let v = body_json(req)?;
            let code = user_code_of(&v)?;
            let is_approve = route == "approve";
            if approve(ctx, &code, is_approve) {
                let key = if is_approve { "approved" } else { "denied" };
                ok(json!({"userCode": code, key: true}))
            } else {
                Err(err(
                    404,
                    "not_found",
                    format!("no pending authorization for user code {code}"),
                ))
            }
        }
        ("POST", "advance") => {
            let v = body_json(req)?;
            let secs = v
                .get("seconds")
                .and_then(Value::as_f64)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| bad("`seconds` (number >= 0) is required"))?;
            let d = Duration::try_from_secs_f64(secs).map_err(|_| bad("`seconds` too large"))?;
            ctx.clock.advance(d);
            ok(json!({"offsetSeconds": ctx.clock.offset().as_secs_f64()}))
        }
        ("GET", "faults") => {
            let rules: Vec<Value> = lock(&ctx.faults).iter().map(FaultRule::to_json).collect();
            ok(json!({"faults": rules}))
        }
        ("POST", "faults") => {
            let v = body_json(req)?;
            let items = match v {
                Value::Array(items) => items,
                other => vec![other],
            };
            let rules = items
                .iter()
                .map(FaultRule::from_json)
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            let n = rules.len();
            lock(&ctx.faults).extend(rules);
            ok(json!({"queued": n}))
        }
        ("DELETE", "faults") => ok(json!({"cleared": clear_faults(ctx)})),
        ("GET", "requests") => ok(json!(lock(&ctx.requests).snapshot())),
        ("DELETE", "requests") => ok(json!({"cleared": lock(&ctx.requests).clear()})),
        ("POST", "issue-token") => {
            let v = body_json(req)?;
            let scopes = match v.get("scopes") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|s| s.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("`scopes` must be a list of strings"))?,
                Some(_) => return Err(bad("`scopes` must be a list of strings")),
            };
            ok(json!(issue_token(ctx, &scopes)))
        }
        ("POST", "revoke") => {
            let v = body_json(req)?;
            let rt = v.get("refreshToken").and_then(Value::as_str);
            let at = v.get("accessToken").and_then(Value::as_str);
            if rt.is_none() && at.is_none() {
                return Err(bad("`refreshToken` or `accessToken` is required"));
            }
            let mut revoked = false;
            if let Some(t) = rt {
                revoked |= revoke_refresh_token(ctx, t);
            }
            if let Some(t) = at {
                revoked |= revoke_access_token(ctx, t);
            }
            ok(json!({"revoked": revoked}))
        }
        _ => Err(err(404, "not_found", "unknown control route")),
    }
}
