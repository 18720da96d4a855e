//! The `rest-json` protocol shared by SSO OIDC (and later the SSO portal):
//! building a JSON `POST`, and turning a response into a typed output or a
//! typed error.

use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorCode, InvalidInput, ParseError, ParseErrorKind, ServiceError};
use crate::operation::Operation;

/// The user agent `oidc-core` puts on every request it builds. Adapters
/// append their own product token.
pub const USER_AGENT: &str = concat!("oidc-core/", env!("CARGO_PKG_VERSION"));

/// Builds a JSON `POST` of `body` to `path_and_query` on `endpoint`.
pub(crate) fn post_json(
    operation: Operation,
    endpoint: &Endpoint,
    path_and_query: &str,
    body: JsonBody,
) -> Result<http::Request<Vec<u8>>, Error> {
    let body = body.finish().map_err(|e| InvalidInput::Invalid {
        operation,
        member: "body",
        reason: format!("cannot serialise the body: {}", e.classify_name()),
    })?;
    // `Uri::try_from(String)` takes the buffer over instead of copying it.
    let uri =
        http::Uri::try_from(endpoint.join(path_and_query)).map_err(|_| InvalidInput::Invalid {
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

/// A rest-json request body, written member by member in the order given.
///
/// Request bodies of this protocol are flat objects of strings and string
/// lists. A string that needs no escaping (the usual case: ids, tokens,
/// secrets, URLs) is copied as it is; any other is written by serde_json.
/// This keeps building a request cheaper than parsing its response even
/// when it carries kilobyte-long secrets.
pub(crate) struct JsonBody {
    buf: Vec<u8>,
    members: usize,
    error: Option<serde_json::Error>,
}

impl JsonBody {
    /// An empty object with room for about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> JsonBody {
        let mut buf = Vec::with_capacity(capacity.saturating_add(64));
        buf.push(b'{');
        JsonBody {
            buf,
            members: 0,
            error: None,
        }
    }

    fn name(&mut self, name: &'static str) {
        debug_assert!(!needs_escape(name), "member names are plain");
        if self.members > 0 {
            self.buf.push(b',');
        }
        self.members += 1;
        self.buf.push(b'"');
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn value(&mut self, value: &str) {
        if needs_escape(value) {
            if let Err(e) = serde_json::to_writer(&mut self.buf, value) {
                self.error.get_or_insert(e);
            }
        } else {
            self.buf.push(b'"');
            self.buf.extend_from_slice(value.as_bytes());
            self.buf.push(b'"');
        }
    }

    /// A string member.
    pub(crate) fn string(&mut self, name: &'static str, value: &str) -> &mut JsonBody {
        self.name(name);
        self.value(value);
        self
    }

    /// A string member, left out when `None`.
    pub(crate) fn opt_string(&mut self, name: &'static str, value: Option<&str>) -> &mut JsonBody {
        if let Some(value) = value {
            self.string(name, value);
        }
        self
    }

    /// A list-of-strings member, left out when `None`.
    pub(crate) fn opt_strings<'a, I>(
        &mut self,
        name: &'static str,
        values: Option<I>,
    ) -> &mut JsonBody
    where
        I: IntoIterator<Item = &'a str>,
    {
        if let Some(values) = values {
            self.name(name);
            self.buf.push(b'[');
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    self.buf.push(b',');
                }
                self.value(value);
            }
            self.buf.push(b']');
        }
        self
    }

    /// The body's bytes.
    fn finish(mut self) -> Result<Vec<u8>, serde_json::Error> {
        match self.error {
            Some(e) => Err(e),
            None => {
                self.buf.push(b'}');
                Ok(self.buf)
            }
        }
    }
}

/// Whether JSON needs `value` escaped: a quote, a backslash or a control
/// character. Written as a fold (no early exit) so it vectorises.
fn needs_escape(value: &str) -> bool {
    value.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
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
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|name| headers.get(*name))
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
        response.headers(),
        response.body().as_ref(),
    )
    .map_err(Error::Parse)
}

/// Deserializes a JSON body, tracking the path of any problem and never
/// keeping a value from the body. `headers` give the request id of an
/// error (looked up only when there is one).
pub(crate) fn deserialize<T: DeserializeOwned>(
    operation: Operation,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<T, ParseError> {
    let make = |path: String, kind: ParseErrorKind| ParseError {
        operation,
        status,
        path,
        kind,
        request_id: request_id(headers),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(make(".".to_owned(), ParseErrorKind::EmptyBody));
    }
    // serde's derived structs also accept a JSON array (members by
    // position); every body of this protocol is an object.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    // The fast path: a well-formed body needs no path tracking. Only a
    // failure is parsed again, with `serde_path_to_error`, to name where.
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        if is_object {
            return Ok(value);
        }
        return Err(make(
            ".".to_owned(),
            ParseErrorKind::WrongShape {
                detail: "invalid type or value, expected a JSON object".to_owned(),
            },
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        make(path, json_error_kind(e.inner(), body))
    })?;
    de.end()
        .map_err(|e| make(".".to_owned(), json_error_kind(&e, body)))?;
    if !is_object {
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
    let request_id = request_id(response.headers());
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
        match deserialize::<ErrorBody>(operation, status, response.headers(), raw) {
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
pub(crate) struct ResponseContext<'a> {
    operation: Operation,
    status: u16,
    headers: &'a http::HeaderMap,
}

impl<'a> ResponseContext<'a> {
    pub(crate) fn of<B>(operation: Operation, response: &'a http::Response<B>) -> Self {
        ResponseContext {
            operation,
            status: response.status().as_u16(),
            headers: response.headers(),
        }
    }

    fn error(&self, path: &str, kind: ParseErrorKind) -> ParseError {
        ParseError {
            operation: self.operation,
            status: self.status,
            path: path.to_owned(),
            kind,
            request_id: request_id(self.headers),
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
