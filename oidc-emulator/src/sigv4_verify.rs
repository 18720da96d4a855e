//! Server-side SigV4 (`AWS4-HMAC-SHA256`, header form) verification for the
//! signed STS operations (signing name `sts`) and CreateTokenWithIAM
//! (`sso-oauth`).
//!
//! The signature is recomputed with `oidc-core`'s pure SigV4 functions over
//! exactly the headers named in `SignedHeaders` and compared in constant
//! time. Checks, in order (each failure is an [`AuthFailure`]):
//!
//! 1. an `Authorization` header is present ([`AuthFailureKind::Missing`]);
//! 2. it is `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`
//!    and `X-Amz-Date` is present and well formed, `host` is signed
//!    ([`AuthFailureKind::Incomplete`]);
//! 3. the credential scope is `<date>/<region>/<service>/aws4_request`
//!    with the emulator's region and the expected service, and its date is
//!    the date of `X-Amz-Date` ([`AuthFailureKind::WrongService`] /
//!    [`AuthFailureKind::BadScope`]);
//! 4. the access key id is one the emulator issued or was configured with,
//!    and `X-Amz-Security-Token` is present exactly for temporary keys and
//!    matches ([`AuthFailureKind::UnknownKey`]);
//! 5. temporary credentials have not expired ([`AuthFailureKind::Expired`]);
//! 6. `X-Amz-Date` is within 15 minutes of the emulator clock
//!    ([`AuthFailureKind::Skew`]);
//! 7. the signature matches ([`AuthFailureKind::BadSignature`]).
//!
//! With [`crate::EmulatorConfig::verify_signatures`] off, only 1–3 run and
//! an unknown key is treated as an IAM user of the default account.

use std::time::{Duration, UNIX_EPOCH};

use oidc_core::secret::SecretAccessKey;
use oidc_core::sigv4::{
    canonical_query, canonical_uri, payload_hash, signature, signing_key, string_to_sign,
    SigningSettings, ALGORITHM,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::Request;
use crate::isotime;
use crate::state::{CredentialKind, Ctx, IssuedCredential};

/// Largest accepted distance between `X-Amz-Date` and the emulator clock.
pub(crate) const MAX_SKEW_SECS: i64 = 15 * 60;

/// Why a request's SigV4 authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailureKind {
    /// No `Authorization` header.
    Missing,
    /// Malformed `Authorization`, missing `X-Amz-Date`, `host` not signed.
    Incomplete,
    /// Credential scoped to another service.
    WrongService,
    /// Bad scope terminator, region or date.
    BadScope,
    /// Unknown access key id or session token.
    UnknownKey,
    /// Temporary credentials past their expiration.
    Expired,
    /// `X-Amz-Date` more than 15 minutes away from the emulator clock.
    Skew,
    /// The recomputed signature differs.
    BadSignature,
}

/// A failed verification, with the message the real front end uses.
#[derive(Debug, Clone)]
pub(crate) struct AuthFailure {
    pub(crate) kind: AuthFailureKind,
    pub(crate) message: String,
    /// For [`AuthFailureKind::BadSignature`]: the canonical request and the
    /// string to sign the emulator computed (JSON services include them in
    /// the message).
    pub(crate) expected: Option<(String, String)>,
}

impl AuthFailure {
    fn new(kind: AuthFailureKind, message: impl Into<String>) -> Self {
        AuthFailure {
            kind,
            message: message.into(),
            expected: None,
        }
    }

    /// Status and error code as an awsQuery service (STS) reports them.
    pub(crate) fn query_code(&self) -> (u16, &'static str) {
        match self.kind {
            AuthFailureKind::Missing => (403, "MissingAuthenticationToken"),
            AuthFailureKind::Incomplete => (403, "IncompleteSignature"),
            AuthFailureKind::WrongService
            | AuthFailureKind::BadScope
            | AuthFailureKind::Skew
            | AuthFailureKind::BadSignature => (403, "SignatureDoesNotMatch"),
            AuthFailureKind::UnknownKey => (403, "InvalidClientTokenId"),
            AuthFailureKind::Expired => (400, "ExpiredToken"),
        }
    }
}

/// Message of [`AuthFailureKind::BadSignature`].
pub(crate) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// Message of [`AuthFailureKind::UnknownKey`].
pub(crate) const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
/// Message of [`AuthFailureKind::Expired`].
pub(crate) const EXPIRED_TOKEN: &str = "The security token included in the request is expired";

/// The parsed `Authorization` header.
#[derive(Debug)]
struct AuthHeader<'a> {
    access_key_id: &'a str,
    scope_date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization<'a>(
    auth: &'a str,
    amz_date: Option<&str>,
) -> Result<AuthHeader<'a>, AuthFailure> {
    let rest = auth.strip_prefix(ALGORITHM).filter(|r| r.starts_with(' '));
    let mut credential = None;
    let mut signed = None;
    let mut sig = None;
    if let Some(rest) = rest {
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                sig = Some(v);
            }
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if sig.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if amz_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    if rest.is_none() {
        missing.push("Authorization header must use AWS4-HMAC-SHA256.");
    }
    let (Some(credential), Some(signed), Some(sig), true) =
        (credential, signed, sig, missing.is_empty())
    else {
        return Err(AuthFailure::new(
            AuthFailureKind::Incomplete,
            format!("{} Authorization={auth}", missing.join(" ")),
        ));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
        return Err(AuthFailure::new(
            AuthFailureKind::Incomplete,
            format!(
                "Credential should be scoped to a valid region and service. Authorization={auth}"
            ),
        ));
    }
    Ok(AuthHeader {
        access_key_id: parts[0],
        scope_date: parts[1],
        region: parts[2],
        service: parts[3],
        terminator: parts[4],
        signed_headers: signed.split(';').collect(),
        signature: sig,
    })
}

/// The canonical header block (`name:value\n` per signed header) over
/// exactly `names`; `None` when a signed header is absent.
fn canonical_headers(req: &Request, names: &[&str]) -> Option<String> {
    let mut out = String::new();
    for name in names {
        let values: Vec<&str> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            return None;
        }
        out.push_str(name);
        out.push(':');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Trim, and collapse runs of spaces into one.
            let mut prev_space = false;
            for c in v.trim_matches(|c| c == ' ' || c == '\t').chars() {
                if c == ' ' {
                    if !prev_space {
                        out.push(' ');
                    }
                    prev_space = true;
                } else {
                    out.push(c);
                    prev_space = false;
                }
            }
        }
        out.push('\n');
    }
    Some(out)
}

/// The canonical request of `req` over the headers `signed`.
fn canonical_request(req: &Request, signed: &[&str]) -> Option<String> {
    let settings = SigningSettings::default();
    Some(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(&req.path, &settings),
        canonical_query(&req.query),
        canonical_headers(req, signed)?,
        signed.join(";"),
        payload_hash(&req.body),
    ))
}

/// The identity used for an unknown key when verification is off.
fn unverified_identity(ctx: &Ctx, access_key_id: &str) -> IssuedCredential {
    let account = ctx.config.default_account_id.clone();
    IssuedCredential {
        access_key_id: access_key_id.to_string(),
        secret_access_key: String::new(),
        session_token: None,
        expires_at_ms: None,
        kind: CredentialKind::Static,
        arn: format!("arn:aws:iam::{account}:user/emulator-user"),
        user_id: format!("AIDA{}", crate::ids::stable_upper_alnum(access_key_id, 17)),
        account,
        source_identity: None,
        provided_contexts: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        seq: 0,
    }
}

/// Verifies the SigV4 signature of `req` for `service`; returns the
/// signing credentials (the caller's identity).
pub(crate) fn verify(
    ctx: &Ctx,
    req: &Request,
    service: &str,
) -> Result<IssuedCredential, AuthFailure> {
    let Some(auth) = req.header("authorization") else {
        return Err(AuthFailure::new(
            AuthFailureKind::Missing,
            "Missing Authentication Token",
        ));
    };
    let auth = auth.trim();
    let amz_date = req.header("x-amz-date").map(str::trim);
    let h = parse_authorization(auth, amz_date)?;
    if h.terminator != "aws4_request" {
        return Err(AuthFailure::new(
            AuthFailureKind::BadScope,
            format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                h.terminator
            ),
        ));
    }
    if h.service != service {
        return Err(AuthFailure::new(
            AuthFailureKind::WrongService,
            format!("Credential should be scoped to correct service: '{service}'."),
        ));
    }
    if h.region != ctx.config.region {
        return Err(AuthFailure::new(
            AuthFailureKind::BadScope,
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                h.region
            ),
        ));
    }
    let amz_date = amz_date.unwrap_or_default();
    let Some(signed_at) = isotime::parse_amz_date(amz_date) else {
        return Err(AuthFailure::new(
            AuthFailureKind::Incomplete,
            format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
        ));
    };
    if !h.signed_headers.contains(&"host") {
        return Err(AuthFailure::new(
            AuthFailureKind::Incomplete,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if h.scope_date != &amz_date[..8] {
        return Err(AuthFailure::new(
            AuthFailureKind::BadScope,
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
                h.scope_date,
                &amz_date[..8]
            ),
        ));
    }

    let known = ctx.state().credentials.get(h.access_key_id).cloned();
    if !ctx.config.verify_signatures {
        return Ok(known.unwrap_or_else(|| unverified_identity(ctx, h.access_key_id)));
    }
    let Some(cred) = known else {
        return Err(AuthFailure::new(AuthFailureKind::UnknownKey, INVALID_TOKEN));
    };
    let sent_token = req.header("x-amz-security-token").map(str::trim);
    let token_ok = match (&cred.session_token, sent_token) {
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        (None, None) => true,
        _ => false,
    };
    if !token_ok {
        return Err(AuthFailure::new(AuthFailureKind::UnknownKey, INVALID_TOKEN));
    }
    if cred
        .expires_at_ms
        .is_some_and(|exp| ctx.clock.epoch_millis() >= exp)
    {
        return Err(AuthFailure::new(AuthFailureKind::Expired, EXPIRED_TOKEN));
    }
    let now = ctx.clock.epoch_secs();
    if signed_at < now - MAX_SKEW_SECS {
        return Err(AuthFailure::new(
            AuthFailureKind::Skew,
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                isotime::amz_date(now - MAX_SKEW_SECS),
                isotime::amz_date(now)
            ),
        ));
    }
    if signed_at > now + MAX_SKEW_SECS {
        return Err(AuthFailure::new(
            AuthFailureKind::Skew,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                isotime::amz_date(now + MAX_SKEW_SECS),
                isotime::amz_date(now)
            ),
        ));
    }

    let mismatch = |expected| AuthFailure {
        kind: AuthFailureKind::BadSignature,
        message: SIGNATURE_MISMATCH.to_string(),
        expected,
    };
    let lower: Vec<String> = h
        .signed_headers
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let names: Vec<&str> = lower.iter().map(String::as_str).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted != names {
        // SignedHeaders must be lower case, sorted and unique.
        return Err(mismatch(None));
    }
    let Some(creq) = canonical_request(req, &names) else {
        return Err(mismatch(None));
    };
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(signed_at).unwrap_or(0));
    let Ok(sts) = string_to_sign(&creq, time, h.region, h.service) else {
        return Err(mismatch(None));
    };
    let key = signing_key(
        &SecretAccessKey::new(cred.secret_access_key.clone()),
        h.scope_date,
        h.region,
        h.service,
    );
    let expected = signature(&key, &sts);
    // Compare digests so the comparison time does not depend on where the
    // strings differ, nor (beyond the hash) on their lengths.
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(h.signature.as_bytes());
    if bool::from(a.ct_eq(&b)) {
        Ok(cred)
    } else {
        Err(mismatch(Some((creq, sts))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_headers_name_what_is_missing() {
        let e = parse_authorization("Bearer x", None).unwrap_err();
        assert_eq!(e.kind, AuthFailureKind::Incomplete);
        assert!(e.message.contains("'Credential'"));
        assert!(e.message.contains("X-Amz-Date"));
        let ok = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab",
            Some("20240101T000000Z"),
        )
        .unwrap();
        assert_eq!(ok.access_key_id, "AKID");
        assert_eq!(ok.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(ok.signature, "ab");
        let e = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1, SignedHeaders=host, Signature=ab",
            Some("20240101T000000Z"),
        )
        .unwrap_err();
        assert_eq!(e.kind, AuthFailureKind::Incomplete);
    }

    #[test]
    fn header_canonicalisation() {
        let req = Request {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            http11: true,
            headers: vec![
                ("Host".into(), "h".into()),
                ("X-A".into(), "  a   b  ".into()),
                ("x-a".into(), "c".into()),
            ],
            body: Vec::new(),
        };
        assert_eq!(
            canonical_headers(&req, &["host", "x-a"]).unwrap(),
            "host:h\nx-a:a b,c\n"
        );
        assert!(canonical_headers(&req, &["x-missing"]).is_none());
    }
}
