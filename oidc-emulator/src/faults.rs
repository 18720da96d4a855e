//! Fault injection: rules that replace (or delay) the next N matching
//! responses.
//!
//! Rules are kept in a FIFO list. For each non-control request the first
//! rule whose target matches and whose count is not used up is applied and
//! its count decremented; a rule with count 0 left is removed. A faulted
//! request is *not* processed by the service logic (no state changes), except
//! for [`FaultKind::Delay`], which sleeps and then lets the request through.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::error::generic_error;
use crate::http::{head_bytes, write_response, Response};
use crate::stats::Op;
use crate::sts::{self, StsOperation};

/// Which requests a [`FaultRule`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultTarget {
    /// Every request except the `/_emulator/` control API (`"any"`).
    Any,
    /// RegisterClient (`"register_client"`).
    RegisterClient,
    /// StartDeviceAuthorization (`"start_device_authorization"`, alias
    /// `"device_authorization"`).
    StartDeviceAuthorization,
    /// CreateToken with any grant, not CreateTokenWithIAM (`"create_token"`).
    CreateToken,
    /// CreateToken, device-code grant (`"create_token_device_code"`).
    CreateTokenDeviceCode,
    /// CreateToken, refresh grant (`"create_token_refresh"`).
    CreateTokenRefresh,
    /// CreateToken, authorization-code grant
    /// (`"create_token_authorization_code"`).
    CreateTokenAuthorizationCode,
    /// CreateTokenWithIAM (`"create_token_with_iam"`).
    CreateTokenWithIam,
    /// `/authorize` (`"authorize"`).
    Authorize,
    /// `/device` verification page (`"verification_page"`).
    VerificationPage,
    /// Any portal operation (`"portal"`).
    Portal,
    /// Any STS request, `POST /` (`"sts"`).
    Sts,
    /// One STS operation (its snake_case name, e.g. `"assume_role"`, or its
    /// `Action` name, e.g. `"AssumeRole"`; serialised as the snake_case
    /// name).
    StsOperation(StsOperation),
    /// Requests whose path (without query) equals this string, e.g.
    /// `"/token"` (JSON: `{"path": "/token"}`).
    Path(String),
}

impl FaultTarget {
    /// Parses an operation name (see the variant docs).
    pub fn from_operation_name(name: &str) -> Option<FaultTarget> {
        Some(match name {
            "any" => FaultTarget::Any,
            "register_client" => FaultTarget::RegisterClient,
            "start_device_authorization" | "device_authorization" => {
                FaultTarget::StartDeviceAuthorization
            }
            "create_token" => FaultTarget::CreateToken,
            "create_token_device_code" => FaultTarget::CreateTokenDeviceCode,
            "create_token_refresh" => FaultTarget::CreateTokenRefresh,
            "create_token_authorization_code" => FaultTarget::CreateTokenAuthorizationCode,
            "create_token_with_iam" => FaultTarget::CreateTokenWithIam,
            "authorize" => FaultTarget::Authorize,
            "verification_page" => FaultTarget::VerificationPage,
            "portal" => FaultTarget::Portal,
            "sts" => FaultTarget::Sts,
            other => FaultTarget::StsOperation(StsOperation::from_name(other)?),
        })
    }

    fn operation_name(&self) -> Option<&'static str> {
        Some(match self {
            FaultTarget::Any => "any",
            FaultTarget::RegisterClient => "register_client",
            FaultTarget::StartDeviceAuthorization => "start_device_authorization",
            FaultTarget::CreateToken => "create_token",
            FaultTarget::CreateTokenDeviceCode => "create_token_device_code",
            FaultTarget::CreateTokenRefresh => "create_token_refresh",
            FaultTarget::CreateTokenAuthorizationCode => "create_token_authorization_code",
            FaultTarget::CreateTokenWithIam => "create_token_with_iam",
            FaultTarget::Authorize => "authorize",
            FaultTarget::VerificationPage => "verification_page",
            FaultTarget::Portal => "portal",
            FaultTarget::Sts => "sts",
            FaultTarget::StsOperation(op) => op.snake_name(),
            FaultTarget::Path(_) => return None,
        })
    }

    pub(crate) fn matches(&self, op: Op, path: &str) -> bool {
        match self {
            FaultTarget::Any => true,
            FaultTarget::RegisterClient => op == Op::RegisterClient,
            FaultTarget::StartDeviceAuthorization => op == Op::StartDeviceAuthorization,
            FaultTarget::CreateToken => op.is_create_token(),
            FaultTarget::CreateTokenDeviceCode => op == Op::CreateTokenDeviceCode,
            FaultTarget::CreateTokenRefresh => op == Op::CreateTokenRefresh,
            FaultTarget::CreateTokenAuthorizationCode => op == Op::CreateTokenAuthorizationCode,
            FaultTarget::CreateTokenWithIam => op == Op::CreateTokenWithIam,
            FaultTarget::Authorize => op == Op::Authorize,
            FaultTarget::VerificationPage => op == Op::VerificationPage,
            FaultTarget::Portal => op.is_portal(),
            FaultTarget::Sts => matches!(op, Op::Sts(_)),
            FaultTarget::StsOperation(o) => op == Op::Sts(Some(*o)),
            FaultTarget::Path(p) => p == path,
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Respond with this status. With `error` (a shape name such as
    /// `InternalServerException` or `ThrottlingException`) the response has
    /// `x-amzn-ErrorType` and a JSON error body
    /// (`{"error","error_description"}` — modeled shapes use their OAuth
    /// code, other names are echoed and a `message` member is added); for
    /// STS requests `error` is the wire code of an XML `ErrorResponse`
    /// (`Type` Receiver for 5xx, else Sender). Without `error` the body is
    /// empty. JSON: `{"kind":"status","status":503,
    /// "error":"..."}`.
    Status {
        /// HTTP status code.
        status: u16,
        /// Optional error shape name.
        error: Option<String>,
    },
    /// Sleep this long (capped at one day; cut short by shutdown), then
    /// process the request normally.
    /// JSON: `{"kind":"delay","ms":250}`.
    Delay {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// `200 application/json` with a body that is not valid JSON.
    Malformed,
    /// `200` announcing `Content-Length: 4096` but sending only a short
    /// prefix of a JSON document, then closing the connection.
    Truncated,
    /// `200` with a valid JSON token document of exactly `bytes` bytes
    /// (minimum ~60), streamed in chunks. JSON:
    /// `{"kind":"oversized","bytes":2000000}`.
    Oversized {
        /// Total body size in bytes.
        bytes: usize,
    },
    /// `502 text/html` gateway error page (no `x-amzn-ErrorType`).
    Html,
    /// Close the connection without sending anything.
    Drop,
    /// `200 application/json` with an empty body.
    Empty,
    /// `200` with JSON of the wrong shape
    /// (`{"accessToken":5,"tokenType":false,...}`).
    WrongShape,
}

impl FaultKind {
    /// Shorthand for [`FaultKind::Status`].
    pub fn status(status: u16, error: Option<&str>) -> FaultKind {
        FaultKind::Status {
            status,
            error: error.map(str::to_string),
        }
    }
}

/// A fault-injection rule: apply `kind` to the next `count` requests matching
/// `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultRule {
    /// Which requests it applies to.
    pub target: FaultTarget,
    /// How many more matching requests it applies to.
    pub count: u32,
    /// What happens.
    pub kind: FaultKind,
}

impl FaultRule {
    /// A rule applying once.
    pub fn new(target: FaultTarget, kind: FaultKind) -> Self {
        FaultRule {
            target,
            count: 1,
            kind,
        }
    }

    /// Sets how many matching requests the rule applies to.
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// Parses the control-API JSON form:
    /// `{"operation": "create_token" | "path": "/token", "count": 1,
    ///   "kind": "status" | "delay" | "malformed" | "truncated" | "oversized"
    ///         | "html" | "drop" | "empty" | "wrong_shape",
    ///   "status": 500, "error": "InternalServerException", "ms": 100,
    ///   "bytes": 100000}`.
    /// `count` defaults to 1; with neither `operation` nor `path` the rule
    /// targets `any`.
    pub fn from_json(v: &Value) -> Result<FaultRule, String> {
        let obj = v.as_object().ok_or("a fault rule must be a JSON object")?;
        let get_str = |k: &str| -> Result<Option<&str>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(format!("`{k}` must be a string")),
            }
        };
        let get_u64 = |k: &str| -> Result<Option<u64>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("`{k}` must be a non-negative integer")),
            }
        };
        let target = match (get_str("operation")?, get_str("path")?) {
            (Some(_), Some(_)) => return Err("give either `operation` or `path`, not both".into()),
            (Some(op), None) => FaultTarget::from_operation_name(op)
                .ok_or_else(|| format!("unknown operation `{op}`"))?,
            (None, Some(p)) => FaultTarget::Path(p.to_string()),
            (None, None) => FaultTarget::Any,
        };
        let count = match get_u64("count")? {
            None => 1,
            Some(c) => u32::try_from(c).map_err(|_| "`count` too large".to_string())?,
        };
        let kind_name = get_str("kind")?.ok_or("`kind` is required")?;
        let kind = match kind_name {
            "status" => {
                let status = get_u64("status")?.ok_or("`status` is required for kind status")?;
                let status = u16::try_from(status)
                    .ok()
                    .filter(|s| (200..=999).contains(s))
                    .ok_or("`status` must be 200..=999")?;
                FaultKind::Status {
                    status,
                    error: get_str("error")?.map(str::to_string),
                }
            }
            "delay" => FaultKind::Delay {
                ms: get_u64("ms")?.ok_or("`ms` is required for kind delay")?,
            },
            "malformed" => FaultKind::Malformed,
            "truncated" => FaultKind::Truncated,
            "oversized" => FaultKind::Oversized {
                bytes: usize::try_from(
                    get_u64("bytes")?.ok_or("`bytes` is required for kind oversized")?,
                )
                .map_err(|_| "`bytes` too large".to_string())?,
            },
            "html" => FaultKind::Html,
            "drop" => FaultKind::Drop,
            "empty" => FaultKind::Empty,
            "wrong_shape" => FaultKind::WrongShape,
            other => return Err(format!("unknown fault kind `{other}`")),
        };
        Ok(FaultRule {
            target,
            count,
            kind,
        })
    }

    /// The control-API JSON form (inverse of [`FaultRule::from_json`]).
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "count": self.count });
        match (&self.target, self.target.operation_name()) {
            (FaultTarget::Path(p), _) => v["path"] = Value::from(p.as_str()),
            (_, Some(name)) => v["operation"] = Value::from(name),
            (_, None) => {}
        }
        let kind = match &self.kind {
            FaultKind::Status { status, error } => {
                v["status"] = Value::from(*status);
                if let Some(e) = error {
                    v["error"] = Value::from(e.as_str());
                }
                "status"
            }
            FaultKind::Delay { ms } => {
                v["ms"] = Value::from(*ms);
                "delay"
            }
            FaultKind::Malformed => "malformed",
            FaultKind::Truncated => "truncated",
            FaultKind::Oversized { bytes } => {
                v["bytes"] = Value::from(*bytes);
                "oversized"
            }
            FaultKind::Html => "html",
            FaultKind::Drop => "drop",
            FaultKind::Empty => "empty",
            FaultKind::WrongShape => "wrong_shape",
        };
        v["kind"] = Value::from(kind);
        v
    }
}

/// Takes the fault to apply to this request, if any (decrementing / removing
/// the rule).
pub(crate) fn take_matching(rules: &mut Vec<FaultRule>, op: Op, path: &str) -> Option<FaultKind> {
    rules.retain(|r| r.count > 0);
    let idx = rules.iter().position(|r| r.target.matches(op, path))?;
    let rule = &mut rules[idx];
    rule.count -= 1;
    let kind = rule.kind.clone();
    if rule.count == 0 {
        rules.remove(idx);
    }
    Some(kind)
}

/// Result of applying a fault.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Delay finished: handle the request normally.
    Proceed,
    /// A response was written; the connection may be reused if it was
    /// keep-alive.
    Responded,
    /// The connection must be closed now.
    Close,
}

/// Longest honoured delay (one day).
const MAX_DELAY_MS: u64 = 24 * 3600 * 1000;

const TRUNCATED_PREFIX: &[u8] = b"{\"accessToken\":\"aoaTRUNC";
/// Complete but not JSON (an unquoted string): a syntax error, not a cut.
const MALFORMED_BODY: &str =
    "{\"accessToken\": \"aoaMALFORMED\", \"tokenType\": Bearer, \"expiresIn\": 3600}";
const HTML_BODY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

fn wrong_shape_body() -> Value {
    json!({
        "accessToken": 5,
        "tokenType": false,
        "expiresIn": "3600",
        "refreshToken": ["not", "a", "string"],
        "clientId": 7,
        "clientSecret": {},
        "clientSecretExpiresAt": "soon",
        "deviceCode": 1,
        "userCode": null,
        "interval": "fast",
        "roleCredentials": "none",
        "accountList": {}
    })
}

/// The status of the response `kind` writes instead of the real one
/// (`None` when it writes none: a delay proceeds normally, a drop closes).
pub(crate) fn response_status(kind: &FaultKind) -> Option<u16> {
    match kind {
        FaultKind::Delay { .. } | FaultKind::Drop => None,
        FaultKind::Status { status, .. } => Some(*status),
        FaultKind::Html => Some(502),
        FaultKind::Malformed
        | FaultKind::Empty
        | FaultKind::WrongShape
        | FaultKind::Truncated
        | FaultKind::Oversized { .. } => Some(200),
    }
}

/// Applies `kind` to the current request.
pub(crate) fn apply(
    op: Op,
    kind: &FaultKind,
    stream: &mut TcpStream,
    request_id: &str,
    keep_alive: bool,
    shutdown: &AtomicBool,
) -> Applied {
    let send = |stream: &mut TcpStream, resp: Response| -> Applied {
        match write_response(stream, &resp, request_id, keep_alive) {
            Ok(()) => Applied::Responded,
            Err(_) => Applied::Close,
        }
    };
    match kind {
        FaultKind::Delay { ms } => {
            // Cap absurd values (an `Instant` overflow would panic).
            let wait = Duration::from_millis((*ms).min(MAX_DELAY_MS));
            let deadline = Instant::now() + wait;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    return Applied::Proceed;
                }
                if shutdown.load(Ordering::SeqCst) {
                    return Applied::Close;
                }
                std::thread::sleep((deadline - now).min(Duration::from_millis(25)));
            }
        }
        FaultKind::Status { status, error } => {
            let resp = match error {
                Some(code) if matches!(op, Op::Sts(_)) => {
                    sts::error_response(*status, code, "Injected fault", request_id)
                }
                Some(code) => generic_error(*status, code, "Injected fault"),
                None => Response::empty(*status),
            };
            send(stream, resp)
        }
        FaultKind::Malformed => send(
            stream,
            Response::new(200, "application/json", MALFORMED_BODY),
        ),
        FaultKind::Empty => send(stream, Response::new(200, "application/json", Vec::new())),
        FaultKind::WrongShape => send(stream, Response::json(200, &wrong_shape_body())),
        FaultKind::Html => send(stream, Response::html(502, HTML_BODY.to_string())),
        FaultKind::Drop => Applied::Close,
        FaultKind::Truncated => {
            let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            let mut out = head_bytes(200, &headers, 4096, request_id, keep_alive);
            out.extend_from_slice(TRUNCATED_PREFIX);
            let _ = stream.write_all(&out);
            let _ = stream.flush();
            Applied::Close
        }
        FaultKind::Oversized { bytes } => {
            match write_oversized(stream, *bytes, request_id, keep_alive, shutdown) {
                Ok(()) => Applied::Responded,
                Err(_) => Applied::Close,
            }
        }
    }
}

/// Streams `{"accessToken":"aaaa…","tokenType":"Bearer","expiresIn":3600}`
/// padded to exactly `bytes` bytes (or the minimal document when `bytes` is
/// smaller than that).
fn write_oversized(
    stream: &mut TcpStream,
    bytes: usize,
    request_id: &str,
    keep_alive: bool,
    shutdown: &AtomicBool,
) -> std::io::Result<()> {
    const PREFIX: &[u8] = b"{\"accessToken\":\"";
    const SUFFIX: &[u8] = b"\",\"tokenType\":\"Bearer\",\"expiresIn\":3600}";
    let fixed = PREFIX.len() + SUFFIX.len();
    let pad = bytes.saturating_sub(fixed);
    let total = fixed + pad;
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    stream.write_all(&head_bytes(200, &headers, total, request_id, keep_alive))?;
    stream.write_all(PREFIX)?;
    let chunk = vec![b'a'; 64 * 1024];
    let mut left = pad;
    while left > 0 {
        if shutdown.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("shutting down"));
        }
        let n = left.min(chunk.len());
        stream.write_all(&chunk[..n])?;
        left -= n;
    }
    stream.write_all(SUFFIX)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_roundtrip() {
        let rules = [
            FaultRule::new(
                FaultTarget::CreateToken,
                FaultKind::status(500, Some("InternalServerException")),
            )
            .times(3),
            FaultRule::new(FaultTarget::Any, FaultKind::Delay { ms: 10 }),
            FaultRule::new(FaultTarget::Path("/token".into()), FaultKind::Malformed),
            FaultRule::new(FaultTarget::Portal, FaultKind::Oversized { bytes: 99 }),
            FaultRule::new(FaultTarget::Authorize, FaultKind::status(503, None)),
            FaultRule::new(FaultTarget::RegisterClient, FaultKind::WrongShape),
            FaultRule::new(FaultTarget::Sts, FaultKind::Drop),
            FaultRule::new(
                FaultTarget::StsOperation(StsOperation::AssumeRoleWithSaml),
                FaultKind::status(400, Some("IDPRejectedClaim")),
            ),
        ];
        for r in rules {
            assert_eq!(FaultRule::from_json(&r.to_json()).unwrap(), r);
        }
    }

    #[test]
    fn json_errors() {
        for bad in [
            json!(1),
            json!({}),
            json!({"kind": "nope"}),
            json!({"kind": "status"}),
            json!({"kind": "status", "status": 99}),
            json!({"kind": "delay", "ms": -1}),
            json!({"kind": "drop", "operation": "nope"}),
            json!({"kind": "drop", "operation": "any", "path": "/x"}),
            json!({"kind": "drop", "count": "x"}),
        ] {
            assert!(FaultRule::from_json(&bad).is_err(), "{bad}");
        }
        let r = FaultRule::from_json(&json!({"kind": "drop"})).unwrap();
        assert_eq!(r.target, FaultTarget::Any);
        assert_eq!(r.count, 1);
    }

    #[test]
    fn matching_and_counting() {
        let mut rules = vec![
            FaultRule::new(FaultTarget::RegisterClient, FaultKind::Drop).times(2),
            FaultRule::new(FaultTarget::Any, FaultKind::Empty),
        ];
        assert_eq!(
            take_matching(&mut rules, Op::CreateTokenRefresh, "/token"),
            Some(FaultKind::Empty)
        );
        assert_eq!(
            take_matching(&mut rules, Op::CreateTokenRefresh, "/token"),
            None
        );
        assert_eq!(
            take_matching(&mut rules, Op::RegisterClient, "/client/register"),
            Some(FaultKind::Drop)
        );
        assert_eq!(
            take_matching(&mut rules, Op::RegisterClient, "/client/register"),
            Some(FaultKind::Drop)
        );
        assert!(rules.is_empty());
        let t = FaultTarget::from_operation_name("AssumeRole").unwrap();
        assert!(t.matches(Op::Sts(Some(StsOperation::AssumeRole)), "/"));
        assert!(!t.matches(Op::Sts(Some(StsOperation::AssumeRoot)), "/"));
        assert!(FaultTarget::Sts.matches(Op::Sts(None), "/"));
        let t = FaultTarget::CreateToken;
        assert!(t.matches(Op::CreateTokenDeviceCode, "/token"));
        assert!(!t.matches(Op::CreateTokenWithIam, "/token"));
    }
}
