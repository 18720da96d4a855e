//! Outcomes as comparable text: what a scenario returns and what the table
//! expects. Random values (tokens, request ids, ports) are reduced to what
//! must hold of them (`rid=yes`, `EMU` for the emulator's base URL).

use oidc_core::device_flow::DeviceFlowError;
use oidc_core::{ServiceError, TransportErrorKind};
use oidc_emulator::Stats;
use oidc_host::{Error, TokenError};

/// `op status code msg rid` of a service error.
pub(crate) fn service(e: &ServiceError) -> String {
    let rid = match e.request_id.as_deref() {
        Some(id) if !id.trim().is_empty() => "yes",
        Some(_) => "empty",
        None => "no",
    };
    let msg = match &e.message {
        Some(m) => format!("{m:?}"),
        None => "none".to_owned(),
    };
    let fault = match e.query() {
        Some(q) => format!(" fault={}", q.fault),
        None => String::new(),
    };
    format!(
        "{} {} {} msg={msg} rid={rid}{fault}",
        e.operation,
        e.status,
        e.code.as_str()
    )
}

/// The core error, without anything random.
pub(crate) fn core(e: &oidc_core::Error) -> String {
    match e {
        oidc_core::Error::Service(s) => format!("service {}", service(s)),
        oidc_core::Error::Parse(p) => {
            let rid = if p.request_id.is_some() { "yes" } else { "no" };
            format!("parse {} {} {:?} rid={rid}", p.operation, p.status, p.kind)
        }
        oidc_core::Error::Transport(t) => {
            let kind = match &t.kind {
                TransportErrorKind::InsecureEndpoint { .. } => "InsecureEndpoint".to_owned(),
                other => format!("{other:?}"),
            };
            format!("transport {} {kind}", t.operation)
        }
        other => format!("core {other:?}"),
    }
}

/// Any adapter error, without anything random.
pub(crate) fn error(e: &Error) -> String {
    match e {
        Error::Core(c) => core(c),
        Error::DeviceFlow(d) => format!("device-flow {}", device_flow(d)),
        Error::Redirect(r) => format!("redirect {r:?}"),
        Error::Token(t) => format!("token {}", token(t)),
        Error::LoginRequired { reason } => format!("login-required {reason:?}"),
        Error::Config(c) => {
            let text = format!("{c:?}");
            let variant = text.split(['(', ' ', '{']).next().unwrap_or_default();
            format!("config {variant}")
        }
        Error::Local { context, .. } => format!("local {context}"),
        Error::Cancelled => "cancelled".to_owned(),
        Error::RedirectTimedOut { waited } => format!("redirect timed out waited={waited:?}"),
        other => format!("other {other}"),
    }
}

pub(crate) fn device_flow(d: &DeviceFlowError) -> String {
    match d {
        DeviceFlowError::Expired { service: None } => "expired (local deadline)".to_owned(),
        DeviceFlowError::Expired { service: Some(s) } => format!("expired ({})", service(s)),
        DeviceFlowError::Denied(s) => format!("denied ({})", service(s)),
        DeviceFlowError::InvalidGrant(s) => format!("invalid-grant ({})", service(s)),
        DeviceFlowError::InvalidClient(s) => format!("invalid-client ({})", service(s)),
        DeviceFlowError::Failed(e) => format!("failed ({})", core(e)),
        other => format!("{other:?}"),
    }
}

pub(crate) fn token(t: &TokenError) -> String {
    let valid = if t.still_valid().is_some() {
        "still-valid"
    } else {
        "no-token"
    };
    match t {
        TokenError::SessionEnded { error, .. } => {
            format!("session-ended ({}) {valid}", core(error))
        }
        TokenError::RefreshFailed {
            transient, cause, ..
        } => format!(
            "refresh-failed transient={transient} ({}) {valid}",
            core(cause)
        ),
        TokenError::RefreshThrottled { .. } => "refresh-throttled".to_owned(),
        other => format!("{other}"),
    }
}

/// `ok <what>` or the error.
pub(crate) fn result<T>(r: Result<T, Error>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("ok {}", ok(v)),
        Err(e) => error(&e),
    }
}

/// The operations that saw requests, with their counts.
pub(crate) fn counts(s: &Stats) -> Vec<(&'static str, u64)> {
    [
        ("register_client", s.register_client),
        ("start_device_authorization", s.start_device_authorization),
        ("create_token_device_code", s.create_token_device_code),
        ("create_token_refresh", s.create_token_refresh),
        (
            "create_token_authorization_code",
            s.create_token_authorization_code,
        ),
        ("create_token_other", s.create_token_other),
        ("create_token_with_iam", s.create_token_with_iam),
        ("authorize", s.authorize),
        ("verification_page", s.verification_page),
        ("get_role_credentials", s.get_role_credentials),
        ("list_accounts", s.list_accounts),
        ("list_account_roles", s.list_account_roles),
        ("logout", s.logout),
        ("assume_role", s.assume_role),
        ("assume_role_with_saml", s.assume_role_with_saml),
        (
            "assume_role_with_web_identity",
            s.assume_role_with_web_identity,
        ),
        ("assume_root", s.assume_root),
        (
            "decode_authorization_message",
            s.decode_authorization_message,
        ),
        ("get_access_key_info", s.get_access_key_info),
        ("get_caller_identity", s.get_caller_identity),
        ("get_delegated_access_token", s.get_delegated_access_token),
        ("get_federation_token", s.get_federation_token),
        ("get_session_token", s.get_session_token),
        ("get_web_identity_token", s.get_web_identity_token),
        ("sts_other", s.sts_other),
        ("imds_put_token", s.imds_put_token),
        ("imds_get_role_name", s.imds_get_role_name),
        ("imds_get_credentials", s.imds_get_credentials),
        ("container_credentials", s.container_credentials),
        ("unknown", s.unknown),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}
