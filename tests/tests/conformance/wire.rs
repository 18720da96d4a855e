//! The wire as the emulator saw it: each request a client sent, reduced to
//! what must be identical between the adapters (the request line, the
//! headers that matter, the signed headers, the status), and the rules
//! every request must follow whatever the adapter.

use oidc_emulator::LoggedRequest;

use crate::adapter::Kind;

/// Operations of the emulator's own pages and control API, which the test
/// drives itself (a browser, a test helper), not a client.
const NOT_A_CLIENT: [&str; 3] = ["Control", "Authorize", "VerificationPage"];

/// What the emulator received from the client, one line per request,
/// sorted (concurrent scenarios send in any order), and what breaks the
/// rules: a request without the client's own user agent, a `Content-Length`
/// on a request without a body, a length that is not the body's.
#[derive(Debug, Default)]
pub(crate) struct Wire {
    pub(crate) lines: Vec<String>,
    pub(crate) problems: Vec<String>,
}

pub(crate) fn digest(requests: &[LoggedRequest], kind: Kind) -> Wire {
    let adapter = format!("{}/{}", kind.name(), env!("CARGO_PKG_VERSION"));
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for r in requests {
        if r.operation
            .as_deref()
            .is_some_and(|op| NOT_A_CLIENT.contains(&op))
        {
            continue;
        }
        let request_line = format!("{} {}", r.method, path_only(&r.target));
        let length = match (r.header("content-length"), r.body_len) {
            (None, 0) => "none".to_owned(),
            (Some(n), len) if n.trim().parse::<usize>().ok() == Some(len) => format!("={len}"),
            (other, len) => {
                problems.push(format!(
                    "{request_line}: content-length {other:?} for a body of {len} bytes"
                ));
                format!("{other:?}/{len}")
            }
        };
        if r.body_len == 0 && r.method == "GET" && r.header("content-length").is_some() {
            problems.push(format!("{request_line}: content-length on a bodiless GET"));
        }
        let user_agent = match r.header("user-agent") {
            Some(ua) if ua.contains(&adapter) => ua.replace(&adapter, "ADAPTER"),
            other => {
                problems.push(format!(
                    "{request_line}: user-agent {other:?} is not the client's ({adapter})"
                ));
                format!("{other:?}")
            }
        };
        lines.push(format!(
            "{request_line} op={} cl={length} ct={} ua={user_agent} signed={} status={}",
            r.operation.as_deref().unwrap_or("?"),
            r.header("content-type").unwrap_or("-"),
            r.signed_headers
                .as_ref()
                .map_or_else(|| "-".to_owned(), |h| h.join(";")),
            r.status
        ));
    }
    lines.sort();
    Wire { lines, problems }
}

/// The path of a request target and its query's parameter names (their
/// values carry tokens and random ids).
fn path_only(target: &str) -> String {
    match target.split_once('?') {
        None => target.to_owned(),
        Some((path, query)) => {
            let names: Vec<&str> = query
                .split('&')
                .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
                .collect();
            format!("{path}?{}", names.join("&"))
        }
    }
}
