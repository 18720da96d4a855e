//! `POST /token` (CreateToken) and the grant logic shared with
//! CreateTokenWithIAM.

use serde_json::{Map, Value};

use super::{authenticate, check_scopes, json_body, opt_str, opt_str_list, req_str, ApiResult};
use crate::error::{ApiError, Shape};
use crate::http::Request;
use crate::pkce::{is_valid_verifier, s256_challenge};
use crate::state::{
    Ctx, DeviceStatus, IssuedPair, RefreshStatus, State, GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN,
};
use crate::stats::Op;

/// Classifies a `POST /token` request by its `grantType` (for stats and
/// fault matching), without validating anything else.
pub(crate) fn classify(req: &Request) -> Op {
    let grant = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| {
            v.get("grantType")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    match grant.as_deref() {
        Some(GRANT_DEVICE_CODE) => Op::CreateTokenDeviceCode,
        Some(GRANT_REFRESH_TOKEN) => Op::CreateTokenRefresh,
        Some(GRANT_AUTHORIZATION_CODE) => Op::CreateTokenAuthorizationCode,
        _ => Op::CreateTokenOther,
    }
}

/// The CreateToken response body for issued tokens.
pub(crate) fn token_json(p: &IssuedPair) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("accessToken".into(), Value::from(p.access_token.as_str()));
    out.insert("tokenType".into(), Value::from("Bearer"));
    out.insert("expiresIn".into(), Value::from(p.expires_in));
    if let Some(rt) = &p.refresh_token {
        out.insert("refreshToken".into(), Value::from(rt.as_str()));
    }
    out
}

/// Handles CreateToken.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> ApiResult {
    let body = json_body(req)?;
    let client_id = req_str(&body, "clientId")?;
    let client_secret = req_str(&body, "clientSecret")?;
    let grant_type = req_str(&body, "grantType")?;
    // `scope` has no effect on CreateToken but is still type-checked.
    let scope = opt_str_list(&body, "scope")?;
    check_scopes(ctx, &scope)?;

    let mut st = ctx.state();
    let client = authenticate(ctx, &st, &client_id, &client_secret)?.clone();
    let grant_allowed = client.allows_grant(&grant_type);
    let refresh_policy = client.gets_refresh_token(ctx.config.refresh_tokens);
    let unauthorized = || {
        ApiError::new(
            Shape::UnauthorizedClient,
            format!("Client is not authorized for grant type {grant_type}"),
        )
    };

    let pair = match grant_type.as_str() {
        GRANT_DEVICE_CODE => {
            if !grant_allowed {
                return Err(unauthorized());
            }
            let device_code = req_str(&body, "deviceCode")?;
            poll_device_code(ctx, &mut st, &client_id, &device_code)?;
            ctx.issue(&mut st, &client_id, &client.scopes, refresh_policy)
        }
        GRANT_REFRESH_TOKEN => {
            if !grant_allowed {
                return Err(unauthorized());
            }
            let refresh_token = req_str(&body, "refreshToken")?;
            let scopes = rotate_refresh_token(ctx, &mut st, &client_id, &refresh_token)?;
            ctx.issue(&mut st, &client_id, &scopes, true)
        }
        GRANT_AUTHORIZATION_CODE => {
            if !grant_allowed {
                return Err(unauthorized());
            }
            let scopes = redeem_auth_code(ctx, &mut st, &client_id, &body)?;
            ctx.issue(&mut st, &client_id, &scopes, refresh_policy)
        }
        other => {
            return Err(ApiError::new(
                Shape::UnsupportedGrantType,
                format!("Unsupported grant type: {other}"),
            ))
        }
    };
    Ok(Value::Object(token_json(&pair)))
}

/// One device-code poll. `Ok(())` means approved (and now consumed).
fn poll_device_code(
    ctx: &Ctx,
    st: &mut State,
    client_id: &str,
    device_code: &str,
) -> Result<(), ApiError> {
    let now = ctx.clock.now();
    let d = st
        .devices
        .get_mut(device_code)
        .filter(|d| d.client_id == client_id)
        .ok_or_else(|| ApiError::invalid_grant("Invalid device code provided"))?;
    if d.status == DeviceStatus::Consumed {
        return Err(ApiError::invalid_grant("Device code has already been used"));
    }
    if now >= d.expires_at {
        return Err(ApiError::new(
            Shape::ExpiredToken,
            "Device code has expired",
        ));
    }
    match d.status {
        DeviceStatus::Denied => Err(ApiError::new(
            Shape::AccessDenied,
            "The user denied the authorization request",
        )),
        DeviceStatus::Approved => {
            d.status = DeviceStatus::Consumed;
            Ok(())
        }
        _ => {
            let too_fast = ctx.config.enforce_slow_down
                && d.last_poll
                    .is_some_and(|last| now.saturating_sub(last) < d.interval);
            d.last_poll = Some(now);
            if too_fast {
                d.interval = d
                    .interval
                    .saturating_add(std::time::Duration::from_secs(u64::from(
                        ctx.config.slow_down_increment,
                    )));
                Err(ApiError::bare(Shape::SlowDown))
            } else {
                Err(ApiError::bare(Shape::AuthorizationPending))
            }
        }
    }
}

/// Validates and rotates a refresh token; returns the scopes to carry over.
pub(crate) fn rotate_refresh_token(
    ctx: &Ctx,
    st: &mut State,
    client_id: &str,
    refresh_token: &str,
) -> Result<Vec<String>, ApiError> {
    let now = ctx.clock.now();
    let rec = st
        .refresh_tokens
        .get_mut(refresh_token)
        .filter(|r| r.client_id == client_id)
        .ok_or_else(|| ApiError::invalid_grant("Invalid refresh token provided"))?;
    match rec.status {
        RefreshStatus::Rotated => {
            return Err(ApiError::invalid_grant(
                "Refresh token has already been used",
            ))
        }
        RefreshStatus::Revoked => {
            return Err(ApiError::invalid_grant("Refresh token has been revoked"))
        }
        RefreshStatus::Active => {}
    }
    if now >= rec.expires_at {
        return Err(ApiError::invalid_grant("Refresh token has expired"));
    }
    rec.status = RefreshStatus::Rotated;
    Ok(rec.scopes.clone())
}

/// Redeems the authorization code of a token request body (`code`,
/// `redirectUri`, `codeVerifier`; single use); returns its scopes.
pub(crate) fn redeem_auth_code(
    ctx: &Ctx,
    st: &mut State,
    client_id: &str,
    body: &Map<String, Value>,
) -> Result<Vec<String>, ApiError> {
    let code = req_str(body, "code")?;
    let redirect_uri = req_str(body, "redirectUri")?;
    let verifier = opt_str(body, "codeVerifier")?;
    let (code, redirect_uri, verifier) =
        (code.as_str(), redirect_uri.as_str(), verifier.as_deref());
    let now = ctx.clock.now();
    let rec = st
        .auth_codes
        .get_mut(code)
        .filter(|c| c.client_id == client_id)
        .ok_or_else(|| ApiError::invalid_grant("Invalid authorization code provided"))?;
    if rec.used {
        return Err(ApiError::invalid_grant(
            "Authorization code has already been used",
        ));
    }
    rec.used = true;
    if now >= rec.expires_at {
        return Err(if ctx.config.expired_auth_code_is_expired_token {
            ApiError::new(Shape::ExpiredToken, "Authorization code has expired")
        } else {
            ApiError::invalid_grant("Authorization code has expired")
        });
    }
    if rec.redirect_uri != redirect_uri {
        return Err(ApiError::invalid_grant(
            "redirectUri does not match the authorization request",
        ));
    }
    if let Some(challenge) = &rec.code_challenge {
        let Some(v) = verifier.filter(|v| !v.is_empty()) else {
            return Err(ApiError::invalid_request(
                "Missing required member: codeVerifier",
            ));
        };
        if !is_valid_verifier(v) || s256_challenge(v) != *challenge {
            return Err(ApiError::invalid_grant("Code verifier is invalid"));
        }
    }
    Ok(rec.scopes.clone())
}
