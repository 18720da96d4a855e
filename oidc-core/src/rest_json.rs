//! The `rest-json` protocol shared by SSO OIDC (and later the SSO portal):
//! building a JSON `POST`, and turning a response into a typed output or a
//! typed error.

use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::endpoint::Endpoint;
use crate::endpoint::Service;
use crate::error::{
    Error, ErrorCode, ErrorDetails, InvalidInput, OAuthDetails, ParseError, ParseErrorKind,
    ServiceError,
};
use crate::sso_oidc;

/// The user agent `oidc-core` puts on every request it builds. Adapters
/// append their own product token.
pub const USER_AGENT: &str = concat!("oidc-core/", env!("CARGO_PKG_VERSION"));

/// Builds a JSON `POST` of `body` to `path_and_query` on `endpoint`.
pub(crate) fn post_json(
    operation: &'static str,
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
    operation: &'static str,
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
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Parses a response: a 2xx body into `T`, anything else into an error.
pub(crate) fn parse_response<T: DeserializeOwned, B: AsRef<[u8]>>(
    service: Service,
    operation: &'static str,
    response: &http::Response<B>,
) -> Result<T, Error> {
    let status = response.status();
    if !status.is_success() {
        return Err(parse_error_response(service, operation, response));
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
    operation: &'static str,
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

/// The members a rest-json error body may carry.
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

pub(crate) use crate::scrub::scrub_credentials;

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
    service: Service,
    operation: &'static str,
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
    let oauth_fallback = || {
        let e = error.as_deref()?;
        sso_oidc::ErrorCode::from_oauth_error(e, endpoint.is_some() || region.is_some())
            .map(ErrorCode::SsoOidc)
    };
    let code = match header_code.or(body_code) {
        Some(code) => ErrorCode::for_service(service, &scrub_credentials(&code)),
        None => match service {
            Service::SsoOidc => oauth_fallback(),
            _ => None,
        }
        .unwrap_or_else(|| ErrorCode::Other(status.to_string())),
    };
    let message = take_scrubbed(body.error_description)
        .or_else(|| take_scrubbed(body.message))
        .or_else(|| take_scrubbed(body.message_upper))
        .or_else(|| take_scrubbed(body.error_message));
    let reason = take_scrubbed(body.reason);
    let details = if service == Service::SsoOidc
        || error.is_some()
        || reason.is_some()
        || endpoint.is_some()
        || region.is_some()
    {
        ErrorDetails::OAuth(OAuthDetails {
            error,
            reason,
            endpoint,
            region,
        })
    } else {
        ErrorDetails::None
    };
    Error::Service(ServiceError {
        operation,
        service,
        status,
        code,
        message,
        request_id,
        details,
    })
}

/// Where a 2xx response came from, for naming problems found after
/// deserialisation.
pub(crate) struct ResponseContext<'a> {
    operation: &'static str,
    status: u16,
    headers: &'a http::HeaderMap,
}

impl<'a> ResponseContext<'a> {
    pub(crate) fn of<B>(operation: &'static str, response: &'a http::Response<B>) -> Self {
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

/// Appends `value` to `out` percent-encoded for a query string: the RFC 3986
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) as they are, every other
/// byte of the UTF-8 encoding as `%XX` (upper-case hex; a space is `%20`).
pub(crate) fn percent_encode_query_into(out: &mut String, value: &str) {
    crate::percent::encode_into(out, value.as_bytes());
}

/// A query string written parameter by parameter, in the order given
/// (the SDKs emit model member order), names and values percent-encoded.
pub(crate) struct QueryString {
    buf: String,
}

impl QueryString {
    /// An empty query string.
    pub(crate) fn new() -> QueryString {
        QueryString { buf: String::new() }
    }

    /// A `name=value` parameter.
    pub(crate) fn param(&mut self, name: &str, value: &str) -> &mut QueryString {
        self.buf.push(if self.buf.is_empty() { '?' } else { '&' });
        percent_encode_query_into(&mut self.buf, name);
        self.buf.push('=');
        percent_encode_query_into(&mut self.buf, value);
        self
    }

    /// A parameter, left out when `None`.
    pub(crate) fn opt_param(&mut self, name: &str, value: Option<&str>) -> &mut QueryString {
        if let Some(value) = value {
            self.param(name, value);
        }
        self
    }

    /// `?a=b&c=d`, or the empty string when there are no parameters.
    pub(crate) fn as_str(&self) -> &str {
        &self.buf
    }
}

/// A header value holding a credential: checked, and marked sensitive so
/// that `http`'s `Debug` (and HPACK, for HTTP/2) never shows it. The error
/// names `member` and never contains the value.
pub(crate) fn sensitive_header_value(
    operation: &'static str,
    member: &'static str,
    value: &str,
) -> Result<HeaderValue, InvalidInput> {
    let mut header = HeaderValue::from_str(value).map_err(|_| InvalidInput::Invalid {
        operation,
        member,
        reason: "contains characters not allowed in an HTTP header value".to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// Builds a body-less rest request: `method` to `path` plus `query` on
/// `endpoint`, with `headers` and the user agent. A `POST` carries an
/// explicit `Content-Length: 0`; a `GET` has neither body nor content
/// headers.
pub(crate) fn empty_body_request<I>(
    operation: &'static str,
    method: http::Method,
    endpoint: &Endpoint,
    path: &str,
    query: &QueryString,
    headers: I,
) -> Result<http::Request<Vec<u8>>, Error>
where
    I: IntoIterator<Item = (http::header::HeaderName, HeaderValue)>,
{
    let mut path_and_query = String::with_capacity(path.len() + query.as_str().len());
    path_and_query.push_str(path);
    path_and_query.push_str(query.as_str());
    let uri =
        http::Uri::try_from(endpoint.join(&path_and_query)).map_err(|_| InvalidInput::Invalid {
            operation,
            member: "endpoint",
            reason: "the endpoint URL does not form a valid request URI".to_owned(),
        })?;
    let needs_length = method == http::Method::POST;
    let mut request = http::Request::new(Vec::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let map = request.headers_mut();
    for (name, value) in headers {
        map.insert(name, value);
    }
    if needs_length {
        map.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    map.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
    Ok(request)
}

/// Builds a rest `GET` of `path` with `query` and `headers` (see
/// [`empty_body_request`]).
pub(crate) fn get<I>(
    operation: &'static str,
    endpoint: &Endpoint,
    path: &str,
    query: &QueryString,
    headers: I,
) -> Result<http::Request<Vec<u8>>, Error>
where
    I: IntoIterator<Item = (http::header::HeaderName, HeaderValue)>,
{
    empty_body_request(operation, http::Method::GET, endpoint, path, query, headers)
}

impl ResponseContext<'_> {
    /// A missing-member error at `path` (e.g. `accountList[2].accountId`).
    pub(crate) fn missing_at(&self, path: &str, member: &'static str) -> ParseError {
        self.error(path, ParseErrorKind::MissingMember { member })
    }

    /// Converts a JSON integer count of milliseconds since the Unix epoch
    /// to a [`SystemTime`](std::time::SystemTime), rejecting negatives and
    /// instants the platform cannot represent.
    pub(crate) fn epoch_millis(
        &self,
        member: &'static str,
        value: i64,
    ) -> Result<std::time::SystemTime, ParseError> {
        u64::try_from(value)
            .ok()
            .and_then(|ms| {
                std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms))
            })
            .ok_or_else(|| {
                self.error(
                    member,
                    ParseErrorKind::OutOfRange {
                        member,
                        detail:
                            "expected a non-negative number of milliseconds since the Unix epoch",
                    },
                )
            })
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[test]
    fn percent_encodes_everything_but_unreserved() {
        let mut q = QueryString::new();
        q.param("role_name", "a b/c+d=é~._-")
            .opt_param("next_token", None)
            .param("x", "");
        assert_eq!(q.as_str(), "?role_name=a%20b%2Fc%2Bd%3D%C3%A9~._-&x=");
    }
}
