//! The `rest-json` protocol shared by SSO OIDC (and later the SSO portal):
//! building a JSON `POST`, and turning a response into a typed output or a
//! typed error.

use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorCode, InvalidInput, ParseError, ParseErrorKind, ServiceError};
use crate::operation::Operation;

/// The user agent `oidc-core` puts on every request it builds. Adapters
/// append their own product token.
pub const USER_AGENT: &str = concat!("oidc-core/", env!("CARGO_PKG_VERSION"));

/// Builds a JSON `POST` to `path_and_query` on `endpoint`.
pub(crate) fn post_json<T: Serialize>(
    operation: Operation,
    endpoint: &Endpoint,
    path_and_query: &str,
    body: &T,
) -> Result<http::Request<Vec<u8>>, Error> {
    let body = serde_json::to_vec(body).map_err(|e| InvalidInput::Invalid {
        operation,
        member: "body",
        reason: format!("cannot serialise the body: {}", e.classify_name()),
    })?;
    let uri = endpoint.join(path_and_query);
    let uri: http::Uri = uri.parse().map_err(|_| InvalidInput::Invalid {
        operation,
        member: "endpoint",
        reason: "the endpoint URL does not form a valid request URI".to_owned(),
    })?;
    let mut request = http::Request::new(body);
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
    Ok(request)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "data error",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}

/// Rejects an empty required string member before a request exists.
pub(crate) fn require(
    operation: Operation,
    member: &'static str,
    value: &str,
) -> Result<(), InvalidInput> {
    if value.trim().is_empty() {
        Err(InvalidInput::Empty { operation, member })
    } else {
        Ok(())
    }
}

/// The `x-amzn-RequestId` (or `x-amz-request-id`) of a response.
pub(crate) fn request_id<B>(response: &http::Response<B>) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|name| response.headers().get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Parses a response: a 2xx body into `T`, anything else into an error.
pub(crate) fn parse_response<T: DeserializeOwned, B: AsRef<[u8]>>(
    operation: Operation,
    response: &http::Response<B>,
) -> Result<T, Error> {
    let status = response.status();
    if !status.is_success() {
        return Err(parse_error_response(operation, response));
    }
    deserialize(
        operation,
        status.as_u16(),
        request_id(response),
        response.body().as_ref(),
    )
    .map_err(Error::Parse)
}

/// Deserializes a JSON body, tracking the path of any problem and never
/// keeping a value from the body.
pub(crate) fn deserialize<T: DeserializeOwned>(
    operation: Operation,
    status: u16,
    request_id: Option<String>,
    body: &[u8],
) -> Result<T, ParseError> {
    let make = |path: String, kind: ParseErrorKind| ParseError {
        operation,
        status,
        path,
        kind,
        request_id: request_id.clone(),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(make(".".to_owned(), ParseErrorKind::EmptyBody));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        make(path, json_error_kind(e.inner(), body))
    })?;
    de.end()
        .map_err(|e| make(".".to_owned(), json_error_kind(&e, body)))?;
    // serde's derived structs also accept a JSON array (members by
    // position); every body of this protocol is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(make(
            ".".to_owned(),
            ParseErrorKind::WrongShape {
                detail: "invalid type or value, expected a JSON object".to_owned(),
            },
        ));
    }
    Ok(value)
}

/// Sanitised description of a `serde_json` error: the parts that cannot
/// contain a value from the body.
fn json_error_kind(e: &serde_json::Error, body: &[u8]) -> ParseErrorKind {
    use serde_json::error::Category;
    let (line, column) = (e.line(), e.column());
    match e.classify() {
        Category::Eof => ParseErrorKind::Truncated { line, column },
        Category::Syntax | Category::Io => {
            let start = body
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .map(|i| &body[i..])
                .unwrap_or_default();
            let looks_like_html = start.first() == Some(&b'<');
            ParseErrorKind::NotJson {
                line,
                column,
                looks_like_html,
            }
        }
        Category::Data => {
            let message = e.to_string();
            let detail = if let Some(rest) = message.strip_prefix("missing field ") {
                format!("missing field {}", strip_position(rest))
            } else if let Some((_, expected)) = message.rsplit_once(", expected ") {
                // `rsplit`: the unexpected value comes first in serde's
                // message and may itself contain ", expected ".
                format!(
                    "invalid type or value, expected {}",
                    strip_position(expected)
                )
            } else {
                "invalid value".to_owned()
            };
            ParseErrorKind::WrongShape { detail }
        }
    }
}

fn strip_position(s: &str) -> &str {
    s.rsplit_once(" at line ")
        .map(|(head, _)| head)
        .unwrap_or(s)
}

/// The members an SSO OIDC error body may carry.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: Option<LenientString>,
    #[serde(default)]
    error_description: Option<LenientString>,
    #[serde(default)]
    reason: Option<LenientString>,
    #[serde(default)]
    endpoint: Option<LenientString>,
    #[serde(default)]
    region: Option<LenientString>,
    #[serde(default)]
    code: Option<LenientString>,
    #[serde(default, rename = "Code")]
    code_upper: Option<LenientString>,
    #[serde(default, rename = "__type")]
    type_: Option<LenientString>,
    #[serde(default)]
    message: Option<LenientString>,
    #[serde(default, rename = "Message")]
    message_upper: Option<LenientString>,
    #[serde(default, rename = "errorMessage")]
    error_message: Option<LenientString>,
}

/// A JSON member that is taken when it is a string and ignored otherwise.
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(LenientString(match v {
            serde_json::Value::String(s) => Some(s),
            _ => None,
        }))
    }
}

fn take(v: Option<LenientString>) -> Option<String> {
    v.and_then(|v| v.0)
}

/// Words at least this long may be credentials (see [`scrub_credentials`]).
const CREDENTIAL_MIN_LEN: usize = 32;

/// Replaces every credential-like word in service-provided text with
/// `[redacted]`: a maximal run of at least [`CREDENTIAL_MIN_LEN`] characters
/// from the token alphabet (`A-Z a-z 0-9 - . _ ~ + / = | :`) holding at least
/// one letter and one digit, unless it is a URL (contains `://`) or an ARN.
/// Tokens, client secrets, device codes, PKCE verifiers and JWTs all match;
/// error codes, OAuth `error` values, prose, URLs and ARNs do not.
pub(crate) fn scrub_credentials(text: &str) -> String {
    fn is_token_char(c: char) -> bool {
        c.is_ascii_alphanumeric()
            || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '|' | ':')
    }
    fn looks_like_credential(word: &str) -> bool {
        word.len() >= CREDENTIAL_MIN_LEN
            && word.bytes().any(|b| b.is_ascii_digit())
            && word.bytes().any(|b| b.is_ascii_alphabetic())
            && !word.contains("://")
            && !word.starts_with("arn:")
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        out.push_str(if looks_like_credential(word) {
            "[redacted]"
        } else {
            word
        });
        rest = &rest[end..];
    }
    out
}

/// [`take`], then [`scrub_credentials`].
fn take_scrubbed(v: Option<LenientString>) -> Option<String> {
    take(v).map(|s| scrub_credentials(&s))
}

/// Turns a non-2xx response into an [`Error`], resolving the error code the
/// way the AWS SDKs do (header `x-amzn-ErrorType`, then body `code`, then
/// `__type`), with the OAuth `error` member as a fallback and the HTTP
/// status as the last resort. Service text is passed through
/// [`scrub_credentials`].
pub(crate) fn parse_error_response<B: AsRef<[u8]>>(
    operation: Operation,
    response: &http::Response<B>,
) -> Error {
    let status = response.status().as_u16();
    let request_id = request_id(response);
    let header_code = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| ErrorCode::sanitize(v).to_owned())
        .filter(|v| !v.is_empty());
    let raw = response.body().as_ref();
    let body: ErrorBody = if raw.iter().all(u8::is_ascii_whitespace) {
        ErrorBody::default()
    } else {
        match deserialize::<ErrorBody>(operation, status, request_id.clone(), raw) {
            Ok(body) => body,
            // A body that is not a JSON object: without a code from the
            // header this is a parse error (the status still drives retries).
            Err(e) if header_code.is_none() => return Error::Parse(e),
            Err(_) => ErrorBody::default(),
        }
    };
    let error = take_scrubbed(body.error);
    let endpoint = take_scrubbed(body.endpoint);
    let region = take_scrubbed(body.region);
    let body_code = take(body.code)
        .or_else(|| take(body.code_upper))
        .or_else(|| take(body.type_))
        .map(|c| ErrorCode::sanitize(&c).to_owned())
        .filter(|c| !c.is_empty());
    let code = match header_code.or(body_code) {
        Some(code) => ErrorCode::from_shape_name(&scrub_credentials(&code)),
        None => error
            .as_deref()
            .and_then(|e| ErrorCode::from_oauth_error(e, endpoint.is_some() || region.is_some()))
            .unwrap_or_else(|| ErrorCode::Other(status.to_string())),
    };
    let description = take_scrubbed(body.error_description)
        .or_else(|| take_scrubbed(body.message))
        .or_else(|| take_scrubbed(body.message_upper))
        .or_else(|| take_scrubbed(body.error_message));
    Error::Service(ServiceError {
        operation,
        status,
        code,
        error,
        description,
        reason: take_scrubbed(body.reason),
        request_id,
        endpoint,
        region,
    })
}

/// Where a 2xx response came from, for naming problems found after
/// deserialisation.
pub(crate) struct ResponseContext {
    operation: Operation,
    status: u16,
    request_id: Option<String>,
}

impl ResponseContext {
    pub(crate) fn of<B>(operation: Operation, response: &http::Response<B>) -> Self {
        ResponseContext {
            operation,
            status: response.status().as_u16(),
            request_id: request_id(response),
        }
    }

    fn error(&self, path: &str, kind: ParseErrorKind) -> ParseError {
        ParseError {
            operation: self.operation,
            status: self.status,
            path: path.to_owned(),
            kind,
            request_id: self.request_id.clone(),
        }
    }

    /// Takes a required member out of a parsed body.
    pub(crate) fn required<T>(
        &self,
        member: &'static str,
        value: Option<T>,
    ) -> Result<T, ParseError> {
        value.ok_or_else(|| self.error(member, ParseErrorKind::MissingMember { member }))
    }

    /// Converts a JSON integer count of seconds to `u32`, rejecting negatives.
    pub(crate) fn seconds(&self, member: &'static str, value: i64) -> Result<u32, ParseError> {
        u32::try_from(value).map_err(|_| {
            self.error(
                member,
                ParseErrorKind::OutOfRange {
                    member,
                    detail: "expected a non-negative number of seconds that fits in 32 bits",
                },
            )
        })
    }
}
