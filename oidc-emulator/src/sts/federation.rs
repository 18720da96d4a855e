//! GetFederationToken and GetWebIdentityToken.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::credentials::session_policy_checks;
use super::params::{
    min_token_size, policy, policy_arns, session_name_char, tags, Check, Params, Rule,
    SESSION_NAME_PATTERN,
};
use super::xml::Xml;
use super::{new_temporary, store, token_size_members, StsError, StsResult};
use crate::isotime;
use crate::state::{CredentialKind, Ctx, IssuedCredential};

/// `GetFederationToken` (long-term credentials only).
pub(crate) fn get_federation_token(
    ctx: &Ctx,
    p: &Params,
    caller: Option<&IssuedCredential>,
) -> StsResult {
    let mut c = Check::default();
    let name = c.req(
        "name",
        p.get("Name"),
        Rule::len(2, 32).pattern(SESSION_NAME_PATTERN, session_name_char),
    );
    let pol = policy(p, &mut c, Some(2048));
    let arns = policy_arns(p, &mut c);
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 900, 129_600);
    let tag_list = tags(p, &mut c);
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let name = name.unwrap_or_default();
    let Some(caller) = caller.filter(|c| !c.is_temporary()) else {
        return Err(StsError::access_denied(
            "Cannot call GetFederationToken with session credentials",
        ));
    };
    let packed = session_policy_checks(pol.as_deref(), &arns, &tag_list)?;
    let account = caller.account.clone();
    let mut cred = new_temporary(
        ctx,
        CredentialKind::FederatedUser,
        &account,
        format!("arn:aws:sts::{account}:federated-user/{name}"),
        format!("{account}:{name}"),
        duration.unwrap_or(43_200),
        min_size,
    );
    cred.tags = tag_list;
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred)
        .open("FederatedUser")
        .leaf("FederatedUserId", &cred.user_id)
        .leaf("Arn", &cred.arn)
        .close("FederatedUser");
    if let Some(size) = packed {
        x.leaf("PackedPolicySize", &size.to_string());
    }
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// JWS algorithms GetWebIdentityToken signs with.
const SIGNING_ALGORITHMS: [&str; 2] = ["RS256", "ES384"];
/// Largest JWT payload (bytes of JSON) GetWebIdentityToken issues.
pub(crate) const MAX_JWT_PAYLOAD: usize = 4096;

/// `GetWebIdentityToken`.
pub(crate) fn get_web_identity_token(
    ctx: &Ctx,
    p: &Params,
    caller: Option<&IssuedCredential>,
) -> StsResult {
    let mut c = Check::default();
    let audience = p.list("Audience");
    match &audience {
        None => {
            c.required("audience", None);
        }
        Some(a) => {
            c.list_len("audience", a.len(), 1, 10);
            for (i, v) in a.iter().enumerate() {
                c.string(&format!("audience.{}.member", i + 1), v, Rule::len(1, 1000));
            }
        }
    }
    let alg = c.req(
        "signingAlgorithm",
        p.get("SigningAlgorithm"),
        Rule::len(5, 5),
    );
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 60, 3600);
    let tag_list = tags(p, &mut c);
    c.finish()?;
    let alg = alg.unwrap_or_default();
    if !SIGNING_ALGORITHMS.contains(&alg) {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{alg}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]"
        )));
    }
    let audience = audience.unwrap_or_default();
    let caller = caller.ok_or_else(|| StsError::access_denied("Not authorized"))?;
    let lifetime = duration.unwrap_or(300);
    let now = ctx.clock.epoch_secs();
    let exp = now + lifetime;
    if caller
        .expires_at_ms
        .is_some_and(|session_end| exp.saturating_mul(1000) > session_end)
    {
        return Err(StsError::new(
            403,
            "SessionDurationEscalationException",
            "The requested token duration would extend the token beyond the expiration of the caller's session.",
        ));
    }
    let mut payload = Map::new();
    payload.insert(
        "iss".into(),
        Value::from(format!("{}/sts/{}", ctx.base_url, caller.account)),
    );
    payload.insert("sub".into(), Value::from(caller.arn.clone()));
    payload.insert(
        "aud".into(),
        if audience.len() == 1 {
            Value::from(audience[0].clone())
        } else {
            Value::from(audience.clone())
        },
    );
    payload.insert("iat".into(), Value::from(now));
    payload.insert("nbf".into(), Value::from(now));
    payload.insert("exp".into(), Value::from(exp));
    payload.insert("jti".into(), Value::from(ctx.ids.uuid()));
    let tag_map: Map<String, Value> = tag_list
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    payload.insert(
        "https://sts.amazonaws.com/".into(),
        json!({"aws_account": caller.account, "principal_id": caller.arn, "request_tags": tag_map}),
    );
    let payload = Value::Object(payload).to_string();
    if payload.len() > MAX_JWT_PAYLOAD {
        return Err(StsError::new(
            400,
            "JWTPayloadSizeExceededException",
            format!(
                "The JWT payload size ({} bytes) exceeds the maximum of {MAX_JWT_PAYLOAD} bytes.",
                payload.len()
            ),
        ));
    }
    let header = json!({"kid": "emulator-sts-key-1", "alg": alg, "typ": "JWT"});
    let jwt = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload),
        ctx.ids.token(64)
    );
    let mut x = Xml::default();
    x.leaf("WebIdentityToken", &jwt)
        .leaf("Expiration", &isotime::iso8601(exp));
    Ok(x)
}
