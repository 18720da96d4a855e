//! Operations that hand out role (and root / session / delegated)
//! credentials: AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity,
//! AssumeRoot, GetSessionToken, GetDelegatedAccessToken.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;
use sha1::{Digest, Sha1};

use super::params::{
    self, min_token_size, policy, policy_arns, session_name_char, tags, Check, Params, Rule, ARN,
    SESSION_NAME,
};
use super::xml::Xml;
use super::{
    new_temporary, store, token_size_members, RoleArn, StsError, StsResult,
    IDENTITY_CENTER_PROVIDER, ONE_HOUR,
};
use crate::isotime;
use crate::mfa::{self, MfaCheck};
use crate::state::{CredentialKind, Ctx, IssuedCredential, ProvidedContextRecord, TradeInToken};

/// Lifetime of trade-in tokens issued by the control API.
pub(crate) const TRADE_IN_TOKEN_LIFETIME_SECS: i64 = 900;

/// Checks the session policy, tags and packed size; returns
/// `PackedPolicySize` (a percentage) when any of them was given.
pub(crate) fn session_policy_checks(
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[(String, String)],
) -> Result<Option<u32>, StsError> {
    if let Some(p) = policy {
        if !matches!(serde_json::from_str::<Value>(p), Ok(Value::Object(_))) {
            return Err(StsError::new(
                400,
                "MalformedPolicyDocument",
                "The policy is not in the valid JSON format.",
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in tags {
        if !seen.insert(k.to_lowercase()) {
            return Err(StsError::invalid_parameter(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    if policy.is_none() && policy_arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let units = policy.map_or(0, |p| p.split_whitespace().map(str::len).sum::<usize>() / 2)
        + 64 * policy_arns.len()
        + tags
            .iter()
            .map(|(k, v)| k.len() + v.len() + 8)
            .sum::<usize>();
    let percent = (units * 100).div_ceil(2048).max(1);
    if percent > 100 {
        return Err(StsError::new(
            400,
            "PackedPolicyTooLarge",
            "Serialized token too large for session",
        ));
    }
    Ok(Some(u32::try_from(percent).unwrap_or(u32::MAX)))
}

fn role_arn(raw: &str) -> Result<RoleArn, StsError> {
    RoleArn::parse(raw).ok_or_else(|| StsError::validation(format!("{raw} is invalid")))
}

/// Whether `caller` is a role session (role chaining caps the duration at
/// one hour).
fn is_role_session(caller: &IssuedCredential) -> bool {
    matches!(
        caller.kind,
        CredentialKind::Portal
            | CredentialKind::AssumedRole
            | CredentialKind::Delegated
            | CredentialKind::InstanceProfile
            | CredentialKind::Container
    )
}

/// Checks `SerialNumber` / `TokenCode` (see [`mfa::check`]).
fn check_mfa(ctx: &Ctx, p: &Params) -> Result<MfaCheck, StsError> {
    mfa::check(ctx, p.get("SerialNumber"), p.get("TokenCode"))
        .map_err(|()| StsError::access_denied(mfa::MFA_FAILED))
}

/// Enforces the trust conditions configured for `role_arn`
/// ([`crate::EmulatorConfig::role_trusts`]); roles without any may be
/// assumed by every caller.
fn check_trust(
    ctx: &Ctx,
    p: &Params,
    role_arn: &str,
    caller: Option<&IssuedCredential>,
    mfa: MfaCheck,
) -> Result<(), StsError> {
    let Some(trust) = ctx.config.role_trusts.get(role_arn) else {
        return Ok(());
    };
    let external_ok = trust
        .external_id
        .as_deref()
        .is_none_or(|id| p.get("ExternalId") == Some(id));
    let mfa_ok =
        !trust.mfa || mfa == MfaCheck::Verified || caller.is_some_and(|c| c.mfa_authenticated);
    if external_ok && mfa_ok {
        return Ok(());
    }
    let who = caller.map_or("anonymous", |c| c.arn.as_str());
    Err(StsError::access_denied(format!(
        "User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )))
}

/// `AssumeRole`.
pub(crate) fn assume_role(ctx: &Ctx, p: &Params, caller: Option<&IssuedCredential>) -> StsResult {
    let mut c = Check::default();
    let arn = c.req("roleArn", p.get("RoleArn"), ARN);
    let session = c.req("roleSessionName", p.get("RoleSessionName"), SESSION_NAME);
    let arns = policy_arns(p, &mut c);
    let pol = policy(p, &mut c, None);
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 900, 43200);
    let tag_list = tags(p, &mut c);
    let transitive = p.list("TransitiveTagKeys").unwrap_or_default();
    c.list_len("transitiveTagKeys", transitive.len(), 0, 50);
    for (i, k) in transitive.iter().enumerate() {
        c.string(
            &format!("transitiveTagKeys.{}.member", i + 1),
            k,
            Rule::len(1, 128).pattern(params::TAG_KEY_PATTERN, params::tag_char),
        );
    }
    c.opt(
        "externalId",
        p.get("ExternalId"),
        Rule::len(2, 1224).pattern("[\\w+=,.@:\\/-]*", |ch| {
            ch.is_ascii_alphanumeric() || "_+=,.@:/-".contains(ch)
        }),
    );
    c.opt(
        "serialNumber",
        p.get("SerialNumber"),
        Rule::len(9, 256).pattern("[\\w+=/:,.@-]*", |ch| {
            ch.is_ascii_alphanumeric() || "_+=/:,.@-".contains(ch)
        }),
    );
    c.opt(
        "tokenCode",
        p.get("TokenCode"),
        Rule::len(6, 6).pattern("[\\d]*", |ch| ch.is_ascii_digit()),
    );
    let source_identity = c.opt("sourceIdentity", p.get("SourceIdentity"), SESSION_NAME);
    let contexts = p.struct_list("ProvidedContexts", &["ProviderArn", "ContextAssertion"]);
    if let Some(items) = &contexts {
        c.list_len("providedContexts", items.len(), 1, 5);
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            c.opt(
                &format!("providedContexts.{n}.member.providerArn"),
                item[0].as_deref(),
                Rule::len(20, 2048),
            );
            c.opt(
                &format!("providedContexts.{n}.member.contextAssertion"),
                item[1].as_deref(),
                Rule::len(4, 2048).sensitive(),
            );
        }
    }
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let (Some(arn), Some(session)) = (arn, session) else {
        return Err(StsError::validation(
            "RoleArn and RoleSessionName are required",
        ));
    };

    let role = role_arn(arn)?;
    let mfa = check_mfa(ctx, p)?;
    check_trust(ctx, p, arn, caller, mfa)?;
    let mut recorded = Vec::new();
    for item in contexts.unwrap_or_default() {
        let provider = item[0].clone().unwrap_or_default();
        let assertion = item[1].clone().unwrap_or_default();
        if provider != IDENTITY_CENTER_PROVIDER {
            return Err(StsError::invalid_parameter(format!(
                "Invalid context provider: {provider}"
            )));
        }
        if recorded
            .iter()
            .any(|r: &ProvidedContextRecord| r.provider_arn == provider)
        {
            return Err(StsError::invalid_parameter(
                "Duplicate context providers found.",
            ));
        }
        if assertion.is_empty() {
            return Err(StsError::validation(format!(
                "A context assertion is required for provider {provider}"
            )));
        }
        let recognized = ctx.state().identity_contexts.contains(&assertion);
        recorded.push(ProvidedContextRecord {
            provider_arn: provider,
            context_assertion: assertion,
            recognized,
        });
    }
    let lifetime = duration.unwrap_or(ONE_HOUR);
    if caller.is_some_and(is_role_session) && lifetime > ONE_HOUR {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    // Transitive session tags of the caller carry over (role chaining).
    let mut all_tags: Vec<(String, String)> = caller
        .map(|c| {
            c.tags
                .iter()
                .filter(|(k, _)| {
                    c.transitive_tag_keys
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(k))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for t in &tag_list {
        all_tags.retain(|(k, _)| !k.eq_ignore_ascii_case(&t.0));
    }
    let packed = session_policy_checks(pol.as_deref(), &arns, &tag_list)?;
    for k in &transitive {
        if !tag_list.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
            return Err(StsError::invalid_parameter(
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    all_tags.extend(tag_list);
    let mut transitive_keys = caller
        .map(|c| c.transitive_tag_keys.clone())
        .unwrap_or_default();
    transitive_keys.extend(transitive);

    let mut cred = new_temporary(
        ctx,
        CredentialKind::AssumedRole,
        &role.account,
        role.assumed_role_arn(session),
        format!("{}:{session}", role.role_id()),
        lifetime,
        min_size,
    );
    // SourceIdentity is sticky across role chaining.
    cred.source_identity = source_identity
        .map(str::to_string)
        .or_else(|| caller.and_then(|c| c.source_identity.clone()));
    cred.provided_contexts = recorded;
    cred.tags = all_tags;
    cred.transitive_tag_keys = transitive_keys;
    cred.mfa_authenticated = mfa == MfaCheck::Verified;
    let cred = store(ctx, cred);

    let mut x = Xml::default();
    x.credentials(&cred).assumed_role_user(&cred);
    x.opt_leaf("SourceIdentity", cred.source_identity.as_deref());
    if let Some(size) = packed {
        x.leaf("PackedPolicySize", &size.to_string());
    }
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// Text of the first element whose local name is `local` (any prefix).
fn element_text<'a>(doc: &'a str, local: &str) -> Option<(&'a str, &'a str)> {
    let mut from = 0;
    while let Some(i) = doc[from..].find('<').map(|i| i + from) {
        from = i + 1;
        let tag_end = doc[i..].find('>').map(|j| i + j)?;
        let tag = &doc[i + 1..tag_end];
        let name = tag.split_whitespace().next().unwrap_or_default();
        let name_local = name.rsplit(':').next().unwrap_or_default();
        if name_local == local && !tag.ends_with('/') {
            let text_end = doc[tag_end + 1..].find('<').map(|j| tag_end + 1 + j)?;
            return Some((tag, doc[tag_end + 1..text_end].trim()));
        }
    }
    None
}

/// The first `AttributeValue` of the SAML attribute named `name`.
fn saml_attribute<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let i = doc.find(&format!("Name=\"{name}\""))?;
    element_text(&doc[i..], "AttributeValue").map(|(_, t)| t)
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let i = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[i..].find('"')?;
    Some(&tag[i..i + end])
}

/// `AssumeRoleWithSAML` (unsigned).
pub(crate) fn assume_role_with_saml(ctx: &Ctx, p: &Params) -> StsResult {
    let mut c = Check::default();
    let arn = c.req("roleArn", p.get("RoleArn"), ARN);
    let principal = c.req("principalArn", p.get("PrincipalArn"), ARN);
    let assertion = c.req(
        "sAMLAssertion",
        p.get("SAMLAssertion"),
        Rule::len(4, 100_000).sensitive(),
    );
    let arns = policy_arns(p, &mut c);
    let pol = policy(p, &mut c, Some(2048));
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 900, 43200);
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let (Some(arn), Some(principal), Some(assertion)) = (arn, principal, assertion) else {
        return Err(StsError::validation("missing required members"));
    };
    let role = role_arn(arn)?;
    let provider_name = principal
        .split_once(":saml-provider/")
        .filter(|(head, _)| head.starts_with("arn:") && head.contains(":iam::"))
        .map(|(_, name)| name)
        .ok_or_else(|| StsError::validation(format!("{principal} is invalid")))?;

    let invalid = |m: &str| StsError::new(400, "InvalidIdentityToken", m);
    let decoded = STANDARD
        .decode(assertion.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            invalid("Invalid base64 SAMLResponse (check that there is no whitespace in the SAMLResponse)")
        })?;
    if element_text(&decoded, "Assertion").is_none() && !decoded.contains("Response") {
        return Err(invalid("Invalid SAML response: no assertion found"));
    }
    let now = ctx.clock.epoch_secs();
    if let Some(not_after) = decoded
        .find("NotOnOrAfter=\"")
        .and_then(|i| attribute(&decoded[i..], "NotOnOrAfter"))
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
    {
        if not_after.unix_timestamp() <= now {
            return Err(StsError::new(
                400,
                "ExpiredTokenException",
                "Token expired: the SAML assertion is no longer valid (NotOnOrAfter)",
            ));
        }
    }
    let issuer = element_text(&decoded, "Issuer")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| "https://idp.example.com/saml".to_string());
    let (subject, subject_type) = match element_text(&decoded, "NameID") {
        Some((tag, text)) => {
            let format = attribute(tag, "Format").unwrap_or("transient");
            let kind = if format.ends_with(":persistent") {
                "persistent"
            } else if format.ends_with(":transient") {
                "transient"
            } else {
                format
            };
            (text.to_string(), kind.to_string())
        }
        None => ("emulator-saml-subject".to_string(), "transient".to_string()),
    };
    let session = saml_attribute(
        &decoded,
        "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
    )
    .map(str::to_string)
    .unwrap_or_else(|| subject.clone());
    if session.len() < 2 || session.len() > 64 || !session.chars().all(session_name_char) {
        return Err(invalid("Invalid RoleSessionName in the SAML assertion"));
    }
    let source_identity = saml_attribute(
        &decoded,
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity",
    );
    let packed = session_policy_checks(pol.as_deref(), &arns, &[])?;
    let name_qualifier = STANDARD.encode(Sha1::digest(
        format!("{issuer}{}/{provider_name}", role.account).as_bytes(),
    ));

    let mut cred = new_temporary(
        ctx,
        CredentialKind::AssumedRole,
        &role.account,
        role.assumed_role_arn(&session),
        format!("{}:{session}", role.role_id()),
        duration.unwrap_or(ONE_HOUR),
        min_size,
    );
    cred.source_identity = source_identity.map(str::to_string);
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred)
        .assumed_role_user(&cred)
        .leaf("Subject", &subject)
        .leaf("SubjectType", &subject_type)
        .leaf("Issuer", &issuer)
        .leaf("Audience", "https://signin.aws.amazon.com/saml")
        .leaf("NameQualifier", &name_qualifier)
        .opt_leaf("SourceIdentity", cred.source_identity.as_deref());
    if let Some(size) = packed {
        x.leaf("PackedPolicySize", &size.to_string());
    }
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// Decodes the claims of a JWT (signature not checked).
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return None;
    }
    let payload = URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&payload).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// `AssumeRoleWithWebIdentity` (unsigned).
pub(crate) fn assume_role_with_web_identity(ctx: &Ctx, p: &Params) -> StsResult {
    let mut c = Check::default();
    let arn = c.req("roleArn", p.get("RoleArn"), ARN);
    let session = c.req("roleSessionName", p.get("RoleSessionName"), SESSION_NAME);
    let token = c.req(
        "webIdentityToken",
        p.get("WebIdentityToken"),
        Rule::len(4, 20_000).sensitive(),
    );
    let provider_id = c.opt("providerId", p.get("ProviderId"), Rule::len(4, 2048));
    let arns = policy_arns(p, &mut c);
    let pol = policy(p, &mut c, Some(2048));
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 900, 43200);
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let (Some(arn), Some(session), Some(token)) = (arn, session, token) else {
        return Err(StsError::validation("missing required members"));
    };
    let role = role_arn(arn)?;
    let invalid = |m: &str| StsError::new(400, "InvalidIdentityToken", m);

    let (subject, audience, provider, source_identity) = match (jwt_claims(token), provider_id) {
        (Some(claims), _) => {
            let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
            let iss = text("iss").ok_or_else(|| invalid("No issuer (iss) in the web identity token"))?;
            let sub = text("sub").ok_or_else(|| invalid("No subject (sub) in the web identity token"))?;
            let aud = match claims.get("aud") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a
                    .iter()
                    .find_map(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| invalid("No audience (aud) in the web identity token"))?,
                _ => return Err(invalid("No audience (aud) in the web identity token")),
            };
            if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
                let now = ctx.clock.epoch_secs();
                if now >= exp {
                    return Err(StsError::new(
                        400,
                        "ExpiredTokenException",
                        format!("Token expired: current date/time {now} must be before the expiration date/time {exp}"),
                    ));
                }
            }
            let host = iss
                .strip_prefix("https://")
                .or_else(|| iss.strip_prefix("http://"))
                .unwrap_or(&iss)
                .trim_end_matches('/');
            let provider = match provider_id {
                Some(id) => id.to_string(),
                None => format!("arn:aws:iam::{}:oidc-provider/{host}", role.account),
            };
            let si = text("https://aws.amazon.com/source_identity");
            (sub, aud, provider, si)
        }
        (None, Some(id)) => (
            format!("amzn1.account.{}", crate::ids::stable_upper_alnum(token, 28)),
            "client.emulator".to_string(),
            id.to_string(),
            None,
        ),
        (None, None) => {
            return Err(invalid(
                "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
            ))
        }
    };
    let packed = session_policy_checks(pol.as_deref(), &arns, &[])?;
    let mut cred = new_temporary(
        ctx,
        CredentialKind::AssumedRole,
        &role.account,
        role.assumed_role_arn(session),
        format!("{}:{session}", role.role_id()),
        duration.unwrap_or(ONE_HOUR),
        min_size,
    );
    cred.source_identity = source_identity;
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred)
        .leaf("SubjectFromWebIdentityToken", &subject)
        .assumed_role_user(&cred);
    if let Some(size) = packed {
        x.leaf("PackedPolicySize", &size.to_string());
    }
    x.leaf("Provider", &provider)
        .leaf("Audience", &audience)
        .opt_leaf("SourceIdentity", cred.source_identity.as_deref());
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// Prefix of the AWS managed root-task policies.
const ROOT_TASK_POLICY_PREFIX: &str = "arn:aws:iam::aws:policy/root-task/";

/// `AssumeRoot`.
pub(crate) fn assume_root(ctx: &Ctx, p: &Params, caller: Option<&IssuedCredential>) -> StsResult {
    let mut c = Check::default();
    let target = c.req(
        "targetPrincipal",
        p.get("TargetPrincipal"),
        Rule::len(12, 2048),
    );
    let task = c.req("taskPolicyArn", p.get("TaskPolicyArn.arn"), ARN);
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 0, 900);
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let (Some(target), Some(task)) = (target, task) else {
        return Err(StsError::validation("missing required members"));
    };
    if target.len() != 12 || !target.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StsError::validation(format!(
            "{target} is not a valid account ID"
        )));
    }
    if !task.starts_with(ROOT_TASK_POLICY_PREFIX) {
        return Err(StsError::validation(format!(
            "{task} is not a root task policy ({ROOT_TASK_POLICY_PREFIX}...)"
        )));
    }
    let mut cred = new_temporary(
        ctx,
        CredentialKind::Root,
        target,
        format!("arn:aws:iam::{target}:root"),
        target.to_string(),
        duration.unwrap_or(900),
        min_size,
    );
    cred.source_identity = caller.and_then(|c| c.source_identity.clone());
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred)
        .opt_leaf("SourceIdentity", cred.source_identity.as_deref());
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// `GetSessionToken` (long-term credentials only).
pub(crate) fn get_session_token(
    ctx: &Ctx,
    p: &Params,
    caller: Option<&IssuedCredential>,
) -> StsResult {
    let mut c = Check::default();
    let duration = c.int("durationSeconds", p.get("DurationSeconds"), 900, 129_600);
    c.opt(
        "serialNumber",
        p.get("SerialNumber"),
        Rule::len(9, 256).pattern("[\\w+=/:,.@-]*", |ch| {
            ch.is_ascii_alphanumeric() || "_+=/:,.@-".contains(ch)
        }),
    );
    c.opt(
        "tokenCode",
        p.get("TokenCode"),
        Rule::len(6, 6).pattern("[\\d]*", |ch| ch.is_ascii_digit()),
    );
    let min_size = min_token_size(p, &mut c);
    c.finish()?;
    let Some(caller) = caller.filter(|c| !c.is_temporary()) else {
        return Err(StsError::access_denied(
            "Cannot call GetSessionToken with session credentials",
        ));
    };
    let mfa = check_mfa(ctx, p)?;
    let mut cred = new_temporary(
        ctx,
        CredentialKind::Session,
        &caller.account,
        caller.arn.clone(),
        caller.user_id.clone(),
        duration.unwrap_or(43_200),
        min_size,
    );
    cred.mfa_authenticated = mfa == MfaCheck::Verified;
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred);
    token_size_members(&mut x, &cred, min_size);
    Ok(x)
}

/// Creates a trade-in token for [`get_delegated_access_token`].
pub(crate) fn issue_trade_in_token(ctx: &Ctx, principal_arn: &str) -> String {
    let token = format!("EMUtradeIn{}", ctx.ids.token(48));
    let expires_at_ms = ctx
        .clock
        .epoch_millis()
        .saturating_add(TRADE_IN_TOKEN_LIFETIME_SECS * 1000);
    ctx.state().trade_in_tokens.insert(
        token.clone(),
        TradeInToken {
            principal_arn: principal_arn.to_string(),
            expires_at_ms,
        },
    );
    token
}

/// `GetDelegatedAccessToken`: redeems a trade-in token issued through the
/// control API (single use).
pub(crate) fn get_delegated_access_token(ctx: &Ctx, p: &Params) -> StsResult {
    let mut c = Check::default();
    let token = c.req(
        "tradeInToken",
        p.get("TradeInToken"),
        Rule::len(1, 20_000).sensitive(),
    );
    c.finish()?;
    let token = token.unwrap_or_default();
    let Some(t) = ctx.state().trade_in_tokens.remove(token) else {
        return Err(StsError::invalid_parameter(
            "The provided trade-in token is not valid.",
        ));
    };
    if ctx.clock.epoch_millis() >= t.expires_at_ms {
        return Err(StsError::new(
            400,
            "ExpiredTradeInTokenException",
            "The provided trade-in token has expired.",
        ));
    }
    let principal = t.principal_arn;
    let (account, user_id) = match principal.split(':').nth(4) {
        Some(acct) if acct.len() == 12 => {
            let id = match principal
                .split_once(":assumed-role/")
                .and_then(|(_, rest)| rest.split_once('/'))
            {
                Some((role, session)) => {
                    RoleArn {
                        partition: "aws".into(),
                        account: acct.to_string(),
                        name: role.to_string(),
                    }
                    .role_id()
                        + ":"
                        + session
                }
                None => format!("AIDA{}", crate::ids::stable_upper_alnum(&principal, 17)),
            };
            (acct.to_string(), id)
        }
        _ => {
            return Err(StsError::invalid_parameter(
                "The provided trade-in token is not valid.",
            ))
        }
    };
    let cred = new_temporary(
        ctx,
        CredentialKind::Delegated,
        &account,
        principal.clone(),
        user_id,
        ONE_HOUR,
        None,
    );
    let cred = store(ctx, cred);
    let mut x = Xml::default();
    x.credentials(&cred).leaf("AssumedPrincipal", &principal);
    Ok(x)
}

/// ISO 8601 of an epoch-millisecond expiry (control API).
pub(crate) fn expiration_text(ms: Option<i64>) -> Option<String> {
    ms.map(|m| isotime::iso8601(m.div_euclid(1000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_helpers() {
        let doc = r#"<samlp:Response><saml:Issuer>https://idp</saml:Issuer><saml:Assertion><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID></saml:Subject><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice.s</saml:AttributeValue></saml:Attribute></saml:Assertion></samlp:Response>"#;
        assert_eq!(element_text(doc, "Issuer").unwrap().1, "https://idp");
        let (tag, text) = element_text(doc, "NameID").unwrap();
        assert_eq!(text, "alice");
        assert!(attribute(tag, "Format").unwrap().ends_with("persistent"));
        assert_eq!(
            saml_attribute(
                doc,
                "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
            ),
            Some("alice.s")
        );
    }

    #[test]
    fn packed_policy() {
        assert_eq!(session_policy_checks(None, &[], &[]).unwrap(), None);
        assert!(session_policy_checks(Some("{}"), &[], &[])
            .unwrap()
            .is_some());
        assert_eq!(
            session_policy_checks(Some("nope"), &[], &[])
                .unwrap_err()
                .code,
            "MalformedPolicyDocument"
        );
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(5000));
        assert_eq!(
            session_policy_checks(Some(&big), &[], &[])
                .unwrap_err()
                .code,
            "PackedPolicyTooLarge"
        );
        let dup = [
            ("a".to_string(), "1".to_string()),
            ("A".to_string(), "2".to_string()),
        ];
        assert_eq!(
            session_policy_checks(None, &[], &dup).unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
