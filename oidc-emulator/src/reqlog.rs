//! A bounded in-memory log of the requests the emulator received (the last
//! [`MAX_LOGGED_REQUESTS`]), for tests that check what a client actually
//! sent: `GET /_emulator/requests`, `DELETE /_emulator/requests`,
//! [`crate::Emulator::requests`] and [`crate::Emulator::clear_requests`].

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::http::Request;
use crate::sigv4_verify;
use crate::stats::Op;
use crate::urlutil::parse_pairs;

/// What [`LoggedRequest::params`] shows instead of a secret value.
pub const REDACTED: &str = "<redacted>";

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
    /// `IMDS PutToken` / `IMDS GetRoleName` / `IMDS GetCredentials` and
    /// `ContainerCredentials` for the compute-platform credential routes,
    /// `Control` for the `/_emulator/` API; `None` for unknown routes and
    /// STS requests without a known `Action`.
    pub operation: Option<String>,
    /// Status of the response; `0` when the connection was closed without
    /// one (an injected `drop` fault).
    pub status: u16,
    /// The `SignedHeaders` list of a SigV4 (`AWS4-HMAC-SHA256`)
    /// `Authorization` header, as sent; `None` without such a header.
    pub signed_headers: Option<Vec<String>>,
    /// The request's parameters, decoded: the query string's (portal
    /// `account_id`, `role_name`, ..., the authorize page's) and, for STS
    /// (`POST /`), the form body's (`Action`, `RoleArn`, ...). The first
    /// value of a repeated name is kept. Secret values — `WebIdentityToken`,
    /// `SAMLAssertion`, `TokenCode`, `TradeInToken`, `ContextAssertion`,
    /// `X-Amz-Signature`, `X-Amz-Security-Token`, the federation endpoint's
    /// `Session` and `SigninToken` and any name containing
    /// `secret`, `password` or `assertion` — are replaced by
    /// [`REDACTED`] (`"<redacted>"`).
    pub params: BTreeMap<String, String>,
    /// The access key id of the SigV4 credential scope (`Authorization:
    /// AWS4-HMAC-SHA256 Credential=<akid>/...`, or a presigned URL's
    /// `X-Amz-Credential`); `None` when unsigned.
    pub signing_access_key_id: Option<String>,
    /// The region of that credential scope, e.g. `us-east-1`.
    pub signing_region: Option<String>,
}

/// Whether the value of the parameter `name` is a secret.
fn is_secret(name: &str) -> bool {
    const SECRET_NAMES: [&str; 9] = [
        "session",
        "signintoken",
        "webidentitytoken",
        "samlassertion",
        "tokencode",
        "tradeintoken",
        "contextassertion",
        "x-amz-signature",
        "x-amz-security-token",
    ];
    let lower = name.to_ascii_lowercase();
    let last = lower.rsplit('.').next().unwrap_or_default();
    SECRET_NAMES.contains(&last)
        || ["secret", "password", "assertion"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Adds decoded `a=b&c=d` pairs to `params` (first value wins, secrets
/// redacted).
fn add_params(params: &mut BTreeMap<String, String>, form: &str) {
    for (k, v) in parse_pairs(form) {
        if k.is_empty() {
            continue;
        }
        let v = if is_secret(&k) {
            REDACTED.to_string()
        } else {
            v
        };
        params.entry(k).or_insert(v);
    }
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
            params: BTreeMap::new(),
            signing_access_key_id: None,
            signing_region: None,
        }
        .with_params(req)
    }

    /// Fills in the query parameters and the SigV4 credential scope.
    fn with_params(mut self, req: &Request) -> Self {
        add_params(&mut self.params, &req.query);
        let scope = req
            .header("authorization")
            .and_then(sigv4_verify::credential_scope_of)
            .or_else(|| {
                parse_pairs(&req.query)
                    .into_iter()
                    .find(|(k, _)| k == "X-Amz-Credential")
                    .and_then(|(_, v)| sigv4_verify::scope_parts(&v))
            });
        if let Some((akid, region)) = scope {
            self.signing_access_key_id = Some(akid);
            self.signing_region = Some(region);
        }
        self
    }

    /// Adds the parameters of a form body (STS requests).
    pub(crate) fn with_form_body(mut self, req: &Request) -> Self {
        add_params(&mut self.params, &String::from_utf8_lossy(&req.body));
        self
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
        Op::ImdsPutToken => "IMDS PutToken",
        Op::ImdsGetRoleName => "IMDS GetRoleName",
        Op::ImdsGetCredentials => "IMDS GetCredentials",
        Op::ContainerCredentials => "ContainerCredentials",
        Op::GetSigninToken => "Federation GetSigninToken",
        Op::FederationLogin => "Federation Login",
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
            params: BTreeMap::new(),
            signing_access_key_id: None,
            signing_region: None,
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
        assert_eq!(v["params"], serde_json::json!({}));
        assert_eq!(v["signingAccessKeyId"], serde_json::Value::Null);
        assert_eq!(v["signingRegion"], serde_json::Value::Null);
    }

    #[test]
    fn params_are_decoded_and_secrets_redacted() {
        let mut p = BTreeMap::new();
        add_params(
            &mut p,
            "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&TokenCode=123456\
             &WebIdentityToken=eyJ&SAMLAssertion=PHN&ProvidedContexts.member.1.ContextAssertion=x\
             &client_secret=s&Action=Other",
        );
        assert_eq!(p["Action"], "AssumeRole");
        assert_eq!(p["RoleArn"], "arn:aws:iam::1:role/r");
        for k in [
            "TokenCode",
            "WebIdentityToken",
            "SAMLAssertion",
            "ProvidedContexts.member.1.ContextAssertion",
            "client_secret",
        ] {
            assert_eq!(p[k], REDACTED, "{k}");
        }
        assert_eq!(
            sigv4_verify::credential_scope_of(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=00"
            ),
            Some(("AKID".to_string(), "eu-west-1".to_string()))
        );
        assert_eq!(sigv4_verify::credential_scope_of("Bearer x"), None);
    }
}
