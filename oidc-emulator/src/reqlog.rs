//! A bounded in-memory log of the requests the emulator received (the last
//! [`MAX_LOGGED_REQUESTS`]), for tests that check what a client actually
//! sent: `GET /_emulator/requests`, `DELETE /_emulator/requests`,
//! [`crate::Emulator::requests`] and [`crate::Emulator::clear_requests`].

use std::collections::VecDeque;

use serde::Serialize;

use crate::http::Request;
use crate::sigv4_verify;
use crate::stats::Op;

/// How many requests the log keeps (the oldest are dropped first).
pub const MAX_LOGGED_REQUESTS: usize = 1000;

/// One request as the emulator received it, with where it was routed and
/// the status of the response.
///
/// Every request whose head could be parsed is logged, control API
/// requests included, in the order the emulator finished them. A request
/// refused before routing once its head was read (`Transfer-Encoding`, a
/// bad or too large `Content-Length`, a body timeout) is logged with that
/// status, `operation: None` and `body_len: 0` (its body was not read);
/// one whose head could not be parsed at all is not logged. Serialised
/// (control API) with camelCase keys; `headers` is an array of
/// `[name, value]` pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LoggedRequest {
    /// Method as sent, e.g. `POST`.
    pub method: String,
    /// Request target as sent (path and query), e.g. `/token?aws_iam=t`.
    pub target: String,
    /// Headers in the order received: names lower-cased, values as
    /// received (not redacted: `authorization`, session tokens and bearer
    /// tokens are kept verbatim, this is a local test oracle).
    pub headers: Vec<(String, String)>,
    /// Length of the request body in bytes.
    pub body_len: usize,
    /// The operation the request was routed to, when known: the AWS
    /// operation name (`RegisterClient`, `CreateToken`,
    /// `CreateTokenWithIAM`, `GetRoleCredentials`, `GetCallerIdentity`,
    /// ...), `Authorize` / `VerificationPage` for the browser pages,
    /// `Control` for the `/_emulator/` API; `None` for unknown routes and
    /// STS requests without a known `Action`.
    pub operation: Option<String>,
    /// Status of the response; `0` when the connection was closed without
    /// one (an injected `drop` fault).
    pub status: u16,
    /// The `SignedHeaders` list of a SigV4 (`AWS4-HMAC-SHA256`)
    /// `Authorization` header, as sent; `None` without such a header.
    pub signed_headers: Option<Vec<String>>,
}

impl LoggedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An entry for `req` (status filled in by [`RequestLog::push`]'s
    /// caller).
    pub(crate) fn new(req: &Request, operation: Option<String>) -> Self {
        LoggedRequest {
            method: req.method.clone(),
            target: req.target.clone(),
            headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect(),
            body_len: req.body.len(),
            operation,
            status: 0,
            signed_headers: req
                .header("authorization")
                .and_then(sigv4_verify::signed_headers_of),
        }
    }
}

/// The operation name logged for a routed request.
pub(crate) fn operation_name(op: Op) -> Option<String> {
    let name = match op {
        Op::RegisterClient => "RegisterClient",
        Op::StartDeviceAuthorization => "StartDeviceAuthorization",
        Op::CreateTokenDeviceCode
        | Op::CreateTokenRefresh
        | Op::CreateTokenAuthorizationCode
        | Op::CreateTokenOther => "CreateToken",
        Op::CreateTokenWithIam => "CreateTokenWithIAM",
        Op::Authorize => "Authorize",
        Op::VerificationPage => "VerificationPage",
        Op::GetRoleCredentials => "GetRoleCredentials",
        Op::ListAccounts => "ListAccounts",
        Op::ListAccountRoles => "ListAccountRoles",
        Op::Logout => "Logout",
        Op::Sts(Some(sts)) => sts.action(),
        Op::Sts(None) | Op::Unknown => return None,
    };
    Some(name.to_string())
}

/// The ring buffer behind [`LoggedRequest`]s.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
}

impl RequestLog {
    /// Appends an entry, dropping the oldest beyond the bound.
    pub(crate) fn push(&mut self, entry: LoggedRequest) {
        while self.entries.len() >= MAX_LOGGED_REQUESTS {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// All entries, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    /// Removes all entries; returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.entries.len();
        self.entries.clear();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            target: format!("/{i}"),
            headers: Vec::new(),
            body_len: 0,
            operation: None,
            status: 200,
            signed_headers: None,
        }
    }

    #[test]
    fn keeps_the_last_thousand() {
        let mut log = RequestLog::default();
        for i in 0..MAX_LOGGED_REQUESTS + 5 {
            log.push(entry(i));
        }
        let all = log.snapshot();
        assert_eq!(all.len(), MAX_LOGGED_REQUESTS);
        assert_eq!(all[0].target, "/5");
        assert_eq!(
            all.last().unwrap().target,
            format!("/{}", MAX_LOGGED_REQUESTS + 4)
        );
        assert_eq!(log.clear(), MAX_LOGGED_REQUESTS);
        assert!(log.snapshot().is_empty());
    }

    #[test]
    fn json_shape() {
        let mut e = entry(1);
        e.headers.push(("host".into(), "127.0.0.1".into()));
        e.signed_headers = Some(vec!["host".into()]);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["headers"][0], serde_json::json!(["host", "127.0.0.1"]));
        assert_eq!(v["bodyLen"], 0);
        assert_eq!(v["signedHeaders"][0], "host");
        assert_eq!(v["operation"], serde_json::Value::Null);
    }
}
