//! `POST /client/register` (RegisterClient).

use serde_json::{json, Value};

use super::{check_scopes, json_body, opt_str, opt_str_list, req_str, ApiResult};
use crate::error::{ApiError, Shape};
use crate::http::Request;
use crate::state::{Ctx, GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN};
use crate::urlutil::split_http_url;

/// Handles RegisterClient.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> ApiResult {
    let body = json_body(req)?;
    let client_name = req_str(&body, "clientName")?;
    let client_type = req_str(&body, "clientType")?;
    let scopes = opt_str_list(&body, "scopes")?;
    let grant_types = opt_str_list(&body, "grantTypes")?;
    let redirect_uris = opt_str_list(&body, "redirectUris")?;
    let issuer_url = opt_str(&body, "issuerUrl")?;
    let entitled_application_arn = opt_str(&body, "entitledApplicationArn")?;

    if client_type != "public" {
        return Err(ApiError::new(
            Shape::InvalidClientMetadata,
            format!("Invalid client type: {client_type}; only public is supported"),
        ));
    }
    check_scopes(ctx, &scopes)?;
    for g in &grant_types {
        if g != GRANT_AUTHORIZATION_CODE && g != GRANT_DEVICE_CODE && g != GRANT_REFRESH_TOKEN {
            return Err(ApiError::new(
                Shape::UnsupportedGrantType,
                format!("Unsupported grant type: {g}"),
            ));
        }
    }
    for uri in &redirect_uris {
        if split_http_url(uri).is_none() {
            return Err(ApiError::new(
                Shape::InvalidRedirectUri,
                format!("Invalid redirect URI: {uri}"),
            ));
        }
    }
    let wants_auth_code = grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE);
    if wants_auth_code && redirect_uris.is_empty() {
        return Err(ApiError::invalid_request(
            "redirectUris is required for the authorization_code grant",
        ));
    }
    if let Some(arn) = &entitled_application_arn {
        if !arn.starts_with("arn:") {
            return Err(ApiError::invalid_request(
                "entitledApplicationArn must be an ARN",
            ));
        }
    }

    let mut st = ctx.state();
    let client = ctx.register(
        &mut st,
        client_name,
        scopes,
        grant_types,
        redirect_uris,
        issuer_url,
        entitled_application_arn,
    );
    drop(st);

    let mut out = json!({
        "clientId": client.client_id,
        "clientSecret": client.client_secret,
        "clientIdIssuedAt": client.issued_at_epoch,
        "clientSecretExpiresAt": client.expires_at_epoch,
    });
    if wants_auth_code {
        out["authorizationEndpoint"] = Value::from(format!("{}/authorize", ctx.base_url));
        out["tokenEndpoint"] = Value::from(format!("{}/token", ctx.base_url));
    }
    Ok(out)
}
