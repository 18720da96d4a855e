//! The exit codes, one per kind of outcome, so scripts can tell them apart.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done; for `status`: signed in with a usable token |
//! | 1 | not signed in (no cached token, or it cannot be used): run `login` |
//! | 2 | usage: bad arguments or options |
//! | 3 | the session has ended (refresh token revoked or expired, registration rejected, expired and not refreshable): run `login` again |
//! | 4 | network: no answer (connection refused or dropped, timeout, cancelled) |
//! | 5 | the service answered with an error (or with something unreadable) |
//! | 6 | local problem: the cache directory, a lock, the configuration |
//! | 130 | interrupted (Ctrl-C) |

use std::process::ExitCode;

use oidc_host::{Error, TokenError};

/// Done.
pub(crate) const OK: u8 = 0;
/// Not signed in.
pub(crate) const NOT_SIGNED_IN: u8 = 1;
/// Bad arguments.
pub(crate) const USAGE: u8 = 2;
/// The session has ended.
pub(crate) const SESSION_ENDED: u8 = 3;
/// No answer from the network.
pub(crate) const NETWORK: u8 = 4;
/// The service answered with an error.
pub(crate) const SERVICE: u8 = 5;
/// A local problem.
pub(crate) const LOCAL: u8 = 6;
/// Interrupted by Ctrl-C.
pub(crate) const INTERRUPTED: u8 = 130;

/// A command's failure with the exit code it maps to.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
    pub(crate) source: Option<crate::target::BoxError>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// The same, caused by `source` (printed after the message when it
    /// adds something).
    pub(crate) fn caused_by(
        code: u8,
        message: impl Into<String>,
        source: impl Into<crate::target::BoxError>,
    ) -> Failure {
        Failure {
            code,
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// The exit code of a sign-in that is required: 3 when the session ended
/// or its token expired without a way to refresh it, else 1 (the same
/// classification `status` reports).
pub(crate) fn login_required(reason: &oidc_host::LoginReason) -> u8 {
    match reason {
        oidc_host::LoginReason::Expired | oidc_host::LoginReason::SessionEnded => SESSION_ENDED,
        _ => NOT_SIGNED_IN,
    }
}

/// The exit code for an error a command returned.
pub(crate) fn code_of(e: &(dyn std::error::Error + 'static)) -> u8 {
    if let Some(f) = e.downcast_ref::<Failure>() {
        return f.code;
    }
    let Some(e) = e.downcast_ref::<Error>() else {
        return LOCAL;
    };
    match e {
        Error::LoginRequired { reason } => login_required(reason),
        Error::Token(TokenError::SessionEnded { .. }) => SESSION_ENDED,
        Error::Token(TokenError::RefreshThrottled { .. }) => NOT_SIGNED_IN,
        Error::DeviceFlow(_) | Error::Redirect(_) => SERVICE,
        Error::Cancelled | Error::RedirectTimedOut { .. } => NETWORK,
        Error::Config(_) | Error::Profile(_) => USAGE,
        _ if e.transport_error().is_some() => NETWORK,
        _ if e.core().is_some() => SERVICE,
        _ => LOCAL,
    }
}

/// Prints `e` and each of its causes, and returns its exit code. With
/// `--output json` the same goes to stdout too, as one JSON object
/// (`{"event":"error",...}`), so a program reading stdout learns why.
pub(crate) fn report(
    rt: &crate::runtime::Runtime,
    e: &(dyn std::error::Error + 'static),
    json: bool,
) -> ExitCode {
    let cancelled = e
        .downcast_ref::<Error>()
        .is_some_and(|e| matches!(e, Error::Cancelled));
    if rt.is_timed_out() && (cancelled || rt.cancel().is_cancelled()) {
        let message = crate::ui::shown(rt.timeout_message());
        eprintln!("oidc-cli: {message}");
        emit_error(json, NETWORK, &message, &[], None);
        return ExitCode::from(NETWORK);
    }
    if rt.is_interrupted() {
        eprintln!("\noidc-cli: interrupted");
        emit_error(json, INTERRUPTED, "interrupted", &[], None);
        return ExitCode::from(INTERRUPTED);
    }
    let style = crate::ui::Style::stderr();
    let message = crate::ui::shown(e);
    eprintln!("{} {message}", style.error("oidc-cli:"));
    // Each error's message leaves its cause to `source()`: the chain has
    // no repeats to remove.
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = crate::ui::shown(cause);
        eprintln!("  caused by: {cause_text}");
        causes.push(cause_text);
        source = cause.source();
    }
    let code = code_of(e);
    emit_error(json, code, &message, &causes, e.downcast_ref::<Error>());
    ExitCode::from(code)
}

/// The error as one JSON object on stdout, under `--output json`.
fn emit_error(json: bool, code: u8, message: &str, causes: &[String], error: Option<&Error>) {
    if !json {
        return;
    }
    let service = error.and_then(Error::service_error);
    crate::commands::emit(&serde_json::json!({
        "event": "error",
        "exitCode": code,
        "message": message,
        "causes": causes,
        "status": error.and_then(Error::status),
        "code": service.map(|s| crate::ui::shown(s.code.as_str())),
        "requestId": service
            .and_then(|s| s.request_id.as_deref())
            .map(crate::ui::shown),
    }));
}
