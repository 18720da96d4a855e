//! Request handlers, one module per operation, plus shared helpers for the
//! JSON operations.

pub(crate) mod authorize;
pub(crate) mod device_authorization;
pub(crate) mod register_client;
pub(crate) mod token;
pub(crate) mod token_with_iam;
pub(crate) mod verification_page;

use serde_json::{Map, Value};

use crate::error::{ApiError, Shape};
use crate::http::{Request, Response};
use crate::state::{Client, Ctx, State};

/// A JSON operation's outcome.
pub(crate) type ApiResult = Result<Value, ApiError>;

/// Turns an operation result into a response (200 JSON or modeled error).
pub(crate) fn respond(r: ApiResult) -> Response {
    match r {
        Ok(v) => Response::json(200, &v),
        Err(e) => e.to_response(),
    }
}

/// Parses the request body as a JSON object. An empty body counts as `{}`
/// (so missing members are reported individually).
pub(crate) fn json_body(req: &Request) -> Result<Map<String, Value>, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::invalid_request(
            "Request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::invalid_request("Request body is not valid JSON")),
    }
}

/// An optional string member (`null` counts as absent).
pub(crate) fn opt_str(m: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_request(format!(
            "Member {key} must be a string"
        ))),
    }
}

/// A required, non-empty string member.
pub(crate) fn req_str(m: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match opt_str(m, key)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::invalid_request(format!(
            "Missing required member: {key}"
        ))),
    }
}

/// An optional list-of-strings member (`null` counts as absent / empty).
pub(crate) fn opt_str_list(m: &Map<String, Value>, key: &str) -> Result<Vec<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ApiError::invalid_request(format!(
                    "Member {key} must be a list of strings"
                ))),
            })
            .collect(),
        Some(_) => Err(ApiError::invalid_request(format!(
            "Member {key} must be a list of strings"
        ))),
    }
}

/// Rejects scopes that are empty or configured as invalid.
pub(crate) fn check_scopes(ctx: &Ctx, scopes: &[String]) -> Result<(), ApiError> {
    for s in scopes {
        if s.trim().is_empty() {
            return Err(ApiError::new(
                Shape::InvalidScope,
                "Scope must not be empty",
            ));
        }
        if ctx.config.invalid_scopes.iter().any(|bad| bad == s) {
            return Err(ApiError::new(
                Shape::InvalidScope,
                format!("Invalid scope: {s}"),
            ));
        }
    }
    Ok(())
}

/// Looks up a registered client by id and secret; unknown, wrong secret or
/// expired registrations are InvalidClientException (401).
pub(crate) fn authenticate<'a>(
    ctx: &Ctx,
    st: &'a State,
    client_id: &str,
    client_secret: &str,
) -> Result<&'a Client, ApiError> {
    let client = st
        .clients
        .get(client_id)
        .ok_or_else(|| ApiError::invalid_client("Invalid client"))?;
    if client.client_secret != client_secret {
        return Err(ApiError::invalid_client("Invalid client"));
    }
    if ctx.clock.now() >= client.expires_at {
        return Err(ApiError::invalid_client("Client registration has expired"));
    }
    Ok(client)
}
