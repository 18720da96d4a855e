//! `POST /token?aws_iam=t` (CreateTokenWithIAM).
//!
//! Authentication: the request must be SigV4-signed
//! (`Authorization: AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/sso-oauth/aws4_request, ...`)
//! with credentials the emulator issued or was configured with; the
//! signature is verified ([`crate::sigv4_verify`]). Every failure is HTTP
//! **403** with `x-amzn-ErrorType`, `x-amzn-ErrorMessage: <msg>` and a JSON
//! body (the message texts follow the real SigV4 front end):
//!
//! * missing or malformed header, or a credential scope for another service:
//!   `AccessDeniedException` (`{"error":"access_denied","error_description":<msg>}`,
//!   e.g. "Missing Authentication Token");
//! * unknown access key id or session token: `UnrecognizedClientException`
//!   ("The security token included in the request is invalid.");
//! * expired temporary credentials: `ExpiredTokenException`;
//! * wrong signature, region, scope date, or `X-Amz-Date` more than 15
//!   minutes off the emulator clock: `InvalidSignatureException` (a wrong
//!   signature's message includes the canonical request and string to sign
//!   the emulator expected).
//!
//! Validation order: SigV4 authentication → body / required members
//! (`clientId`, `grantType`, `scope` type) → the `wrong_region` switch
//! (InvalidRequestRegionException) → `clientId` must start with `arn:`
//! (else InvalidClientException) → grant. The response always carries
//! `issuedTokenType` (the access-token URN, or the requested type for
//! token-exchange), `idToken` (JWT-shaped, unsigned), `scope` (requested
//! scopes, else `openid aws sts:identity_context` plus the grant's scopes)
//! and `awsAdditionalDetails.identityContext`; `refreshToken` for every
//! grant except token-exchange with an access-token `requestedTokenType`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::token::{redeem_auth_code, rotate_refresh_token, token_json};
use super::{check_scopes, json_body, opt_str, opt_str_list, req_str, respond, ApiResult};
use crate::error::{generic_error, ApiError, Shape};
use crate::http::{Request, Response};
use crate::sigv4_verify::{self, AuthFailure, AuthFailureKind};
use crate::state::{
    Ctx, GRANT_AUTHORIZATION_CODE, GRANT_JWT_BEARER, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
    TOKEN_TYPE_ACCESS, TOKEN_TYPE_REFRESH,
};

/// Scopes granted by default when the caller does not down-scope.
const DEFAULT_SCOPES: [&str; 3] = ["openid", "aws", "sts:identity_context"];

/// The SigV4 signing name of SSO OIDC.
const SIGNING_NAME: &str = "sso-oauth";

/// The 403 JSON error for a failed SigV4 verification.
pub(crate) fn auth_error(f: &AuthFailure) -> Response {
    let code = match f.kind {
        AuthFailureKind::Missing | AuthFailureKind::Incomplete | AuthFailureKind::WrongService => {
            "AccessDeniedException"
        }
        AuthFailureKind::UnknownKey => "UnrecognizedClientException",
        AuthFailureKind::Expired => "ExpiredTokenException",
        AuthFailureKind::BadScope | AuthFailureKind::Skew | AuthFailureKind::BadSignature => {
            "InvalidSignatureException"
        }
    };
    let message = match &f.expected {
        Some((creq, sts)) => format!(
            "{}\n\nThe Canonical String for this request should have been\n'{creq}'\n\nThe String-to-Sign should have been\n'{sts}'\n",
            f.message
        ),
        None => f.message.clone(),
    };
    // The header carries the first line only (no newlines in headers).
    let header = message.lines().next().unwrap_or_default().to_string();
    generic_error(403, code, &message).with_header("x-amzn-ErrorMessage", header)
}

/// Handles CreateTokenWithIAM.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> Response {
    if let Err(f) = sigv4_verify::verify(ctx, req, SIGNING_NAME) {
        return auth_error(&f);
    }
    respond(handle_json(ctx, req))
}

fn fake_id_token(ctx: &Ctx, client_id: &str, identity_context: &str) -> String {
    let now = ctx.clock.epoch_secs();
    let header = json!({"kid": "emulator-key-1", "alg": "RS256", "typ": "JWT"});
    let payload = json!({
        "iss": format!("{}/", ctx.base_url),
        "sub": "emulator-user-0001",
        "aud": client_id,
        "iat": now,
        "exp": now.saturating_add(i64::from(ctx.config.access_token_expires_in)),
        "email": "user@example.com",
        "sts:identity_context": identity_context,
    });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        ctx.ids.token(64)
    )
}

fn with_defaults(mut scopes: Vec<String>) -> Vec<String> {
    for d in DEFAULT_SCOPES {
        if !scopes.iter().any(|s| s == d) {
            scopes.push(d.to_string());
        }
    }
    scopes
}

fn handle_json(ctx: &Ctx, req: &Request) -> ApiResult {
    let body = json_body(req)?;
    let client_id = req_str(&body, "clientId")?;
    let grant_type = req_str(&body, "grantType")?;
    let requested_scopes = opt_str_list(&body, "scope")?;
    check_scopes(ctx, &requested_scopes)?;

    if let Some(w) = &ctx.config.wrong_region {
        let mut e =
            ApiError::invalid_request(format!("The request must be made in region {}", w.region));
        e.shape = Shape::InvalidRequestRegion;
        e.endpoint = Some(w.endpoint.clone());
        e.region = Some(w.region.clone());
        return Err(e);
    }
    if !client_id.starts_with("arn:") {
        return Err(ApiError::invalid_client(
            "clientId must be the ARN of an application",
        ));
    }

    let mut st = ctx.state();
    let mut issued_type = TOKEN_TYPE_ACCESS;
    let (base_scopes, with_refresh) = match grant_type.as_str() {
        GRANT_AUTHORIZATION_CODE => {
            let scopes = redeem_auth_code(ctx, &mut st, &client_id, &body)?;
            (with_defaults(scopes), true)
        }
        GRANT_REFRESH_TOKEN => {
            let rt = req_str(&body, "refreshToken")?;
            (rotate_refresh_token(ctx, &mut st, &client_id, &rt)?, true)
        }
        GRANT_JWT_BEARER => {
            let assertion = req_str(&body, "assertion")?;
            if ctx.config.bad_assertion.as_deref() == Some(assertion.as_str()) {
                return Err(ApiError::invalid_grant("Invalid assertion"));
            }
            (with_defaults(Vec::new()), true)
        }
        GRANT_TOKEN_EXCHANGE => {
            let subject = req_str(&body, "subjectToken")?;
            let subject_type = req_str(&body, "subjectTokenType")?;
            if subject_type != TOKEN_TYPE_ACCESS {
                return Err(ApiError::invalid_request(format!(
                    "Unsupported subjectTokenType: {subject_type}"
                )));
            }
            let requested = opt_str(&body, "requestedTokenType")?
                .unwrap_or_else(|| TOKEN_TYPE_ACCESS.to_string());
            issued_type = match requested.as_str() {
                TOKEN_TYPE_ACCESS => TOKEN_TYPE_ACCESS,
                TOKEN_TYPE_REFRESH => TOKEN_TYPE_REFRESH,
                other => {
                    return Err(ApiError::invalid_request(format!(
                        "Unsupported requestedTokenType: {other}"
                    )))
                }
            };
            let now = ctx.clock.now();
            let rec = st
                .access_tokens
                .get(&subject)
                .filter(|r| !r.revoked && now < r.expires_at)
                .ok_or_else(|| ApiError::invalid_grant("Invalid subject token"))?;
            let scopes = with_defaults(rec.scopes.clone());
            (scopes, issued_type == TOKEN_TYPE_REFRESH)
        }
        other => {
            return Err(ApiError::new(
                Shape::UnsupportedGrantType,
                format!("Unsupported grant type: {other}"),
            ))
        }
    };
    let scopes = if requested_scopes.is_empty() {
        base_scopes
    } else {
        requested_scopes
    };
    let pair = ctx.issue(&mut st, &client_id, &scopes, with_refresh);
    drop(st);

    let identity_context = format!("EMU{}", ctx.ids.token(48));
    ctx.state()
        .identity_contexts
        .insert(identity_context.clone());
    let mut out = token_json(&pair);
    out.insert(
        "idToken".into(),
        Value::from(fake_id_token(ctx, &client_id, &identity_context)),
    );
    out.insert("issuedTokenType".into(), Value::from(issued_type));
    out.insert("scope".into(), Value::from(scopes));
    out.insert(
        "awsAdditionalDetails".into(),
        json!({ "identityContext": identity_context }),
    );
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;

    fn req_with_auth(auth: Option<&str>) -> Request {
        Request {
            method: "POST".into(),
            target: "/token?aws_iam=t".into(),
            path: "/token".into(),
            query: "aws_iam=t".into(),
            http11: true,
            headers: auth
                .map(|a| {
                    vec![
                        ("Authorization".to_string(), a.to_string()),
                        ("X-Amz-Date".to_string(), "20240101T000000Z".to_string()),
                    ]
                })
                .unwrap_or_default(),
            body: Vec::new(),
        }
    }

    #[test]
    fn sigv4_failures_map_to_json_errors() {
        let ctx = Ctx::new(EmulatorConfig::default(), "http://127.0.0.1:1".into());
        let code = |auth: Option<&str>| {
            let f = sigv4_verify::verify(&ctx, &req_with_auth(auth), SIGNING_NAME).unwrap_err();
            let r = auth_error(&f);
            assert_eq!(r.status, 403);
            r.headers
                .iter()
                .find(|(n, _)| n == "x-amzn-ErrorType")
                .map(|(_, v)| v.split(':').next().unwrap_or_default().to_string())
                .unwrap()
        };
        assert_eq!(code(None), "AccessDeniedException");
        assert_eq!(code(Some("Bearer x")), "AccessDeniedException");
        assert_eq!(
            code(Some(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x"
            )),
            "AccessDeniedException"
        );
        assert_eq!(
            code(Some(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sso-oauth/aws4_request, SignedHeaders=host;x-amz-date, Signature=x"
            )),
            "UnrecognizedClientException"
        );
        assert_eq!(
            code(Some(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sso-oauth/aws4_request, SignedHeaders=host;x-amz-date, Signature=x"
            )),
            "InvalidSignatureException"
        );
    }
}
