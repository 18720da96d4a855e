//! The `awsQuery` protocol spoken by STS: a form-encoded
//! `POST /` carrying `Action` and `Version`, answered with XML.
//!
//! * [`QueryBody`] writes the form body member by member, percent-encoding
//!   every byte outside `A-Z a-z 0-9 - _ . ~` and flattening lists to
//!   `Name.member.N` (1-based) and structures to `Name.field`.
//! * [`post_form`] wraps a body into the request (`Content-Type`,
//!   [`USER_AGENT`]).
//! * [`parse_response`] turns a 2xx `<Op>Response` into the text of the
//!   elements an operation asks for, and anything else into an
//!   [`Error::Service`] read from the `<ErrorResponse>` envelope.
//!
//! XML is read with `quick_xml::Reader` in one pass over the body, without
//! building a tree: each operation names the element paths it needs, and
//! text is borrowed from the body unless it holds entity references. No
//! error ever carries body text: XML errors carry a byte position, shape
//! errors the names of the elements expected.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};
use quick_xml::events::{BytesRef, Event};
use quick_xml::Reader;

use crate::endpoint::{Endpoint, Service};
use crate::error::{
    Error, ErrorCode, ErrorDetails, Fault, InvalidInput, ParseError, ParseErrorKind, QueryDetails,
    ServiceError,
};
use crate::rest_json::{self, scrub_credentials, USER_AGENT};

/// The STS API version every request names.
pub(crate) const VERSION: &str = "2011-06-15";

/// The `Content-Type` of every awsQuery request (what botocore sends).
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

/// A form body: `Action=<Op>&Version=2011-06-15`, then members in the order
/// they are written.
pub(crate) struct QueryBody {
    buf: Vec<u8>,
}

impl QueryBody {
    /// A body for `action` with room for about `capacity` more bytes.
    pub(crate) fn new(action: &'static str, capacity: usize) -> QueryBody {
        let mut buf = Vec::with_capacity(capacity.saturating_add(action.len() + 32));
        buf.extend_from_slice(b"Action=");
        encode_into(&mut buf, action);
        buf.extend_from_slice(b"&Version=");
        buf.extend_from_slice(VERSION.as_bytes());
        QueryBody { buf }
    }

    /// Starts a pair: `&` and the key, made of `parts` joined by `.`.
    fn key(&mut self, parts: &[KeyPart<'_>]) {
        self.buf.push(b'&');
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'.');
            }
            match part {
                // Keys are member names, `member` and digits: plain, but
                // encoded anyway so a key can never break the form.
                KeyPart::Name(name) => encode_into(&mut self.buf, name),
                KeyPart::Index(n) => {
                    let mut digits = itoa_buf();
                    self.buf.extend_from_slice(format_usize(*n, &mut digits));
                }
            }
        }
        self.buf.push(b'=');
    }

    /// A string member.
    pub(crate) fn string(&mut self, name: &str, value: &str) -> &mut QueryBody {
        self.key(&[KeyPart::Name(name)]);
        encode_into(&mut self.buf, value);
        self
    }

    /// A string member, left out when `None`.
    pub(crate) fn opt_string(&mut self, name: &str, value: Option<&str>) -> &mut QueryBody {
        if let Some(value) = value {
            self.string(name, value);
        }
        self
    }

    /// An integer member, left out when `None`.
    pub(crate) fn opt_u32(&mut self, name: &str, value: Option<u32>) -> &mut QueryBody {
        if let Some(value) = value {
            self.key(&[KeyPart::Name(name)]);
            let mut digits = itoa_buf();
            self.buf
                .extend_from_slice(format_usize(value as usize, &mut digits));
        }
        self
    }

    /// A structure member that is not in a list: `name.field=value` for each
    /// present field.
    pub(crate) fn structure(
        &mut self,
        name: &str,
        fields: &[(&str, Option<&str>)],
    ) -> &mut QueryBody {
        for (field, value) in fields {
            if let Some(value) = value {
                self.key(&[KeyPart::Name(name), KeyPart::Name(field)]);
                encode_into(&mut self.buf, value);
            }
        }
        self
    }

    /// A list of strings, left out when `None`: `name.member.N=value` from
    /// N = 1, or `name=` for an empty list.
    pub(crate) fn opt_strings<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: Option<&[S]>,
    ) -> &mut QueryBody {
        let Some(values) = values else { return self };
        if values.is_empty() {
            self.key(&[KeyPart::Name(name)]);
            return self;
        }
        for (i, value) in values.iter().enumerate() {
            self.key(&[
                KeyPart::Name(name),
                KeyPart::Name("member"),
                KeyPart::Index(i + 1),
            ]);
            encode_into(&mut self.buf, value.as_ref());
        }
        self
    }

    /// A list of structures, left out when `None`: for item N (from 1),
    /// `name.member.N.field=value` for each present field `fields` gives;
    /// `name=` for an empty list.
    pub(crate) fn opt_structures<'v, T, const F: usize>(
        &mut self,
        name: &str,
        items: Option<&'v [T]>,
        fields: impl Fn(&'v T) -> [(&'static str, Option<&'v str>); F],
    ) -> &mut QueryBody {
        let Some(items) = items else { return self };
        if items.is_empty() {
            self.key(&[KeyPart::Name(name)]);
            return self;
        }
        for (i, item) in items.iter().enumerate() {
            for (field, value) in fields(item) {
                if let Some(value) = value {
                    self.key(&[
                        KeyPart::Name(name),
                        KeyPart::Name("member"),
                        KeyPart::Index(i + 1),
                        KeyPart::Name(field),
                    ]);
                    encode_into(&mut self.buf, value);
                }
            }
        }
        self
    }

    /// The body's bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }
}

enum KeyPart<'a> {
    Name(&'a str),
    Index(usize),
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

/// Decimal digits of `n`, written at the end of `buf`.
fn format_usize(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        // `n % 10` is below 10.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Percent-encodes `value` into `out`: every byte of its UTF-8 form except
/// the unreserved set, upper-case hex (a space is `%20`).
pub(crate) fn encode_into(out: &mut Vec<u8>, value: &str) {
    crate::percent::encode_bytes_into(out, value.as_bytes());
}

/// Builds the `POST /` of `body` on `endpoint`.
pub(crate) fn post_form(
    operation: &'static str,
    endpoint: &Endpoint,
    body: QueryBody,
) -> Result<http::Request<Vec<u8>>, Error> {
    let uri = http::Uri::try_from(endpoint.join("/")).map_err(|_| InvalidInput::Invalid {
        operation,
        member: "endpoint",
        reason: "the endpoint URL does not form a valid request URI".to_owned(),
    })?;
    let mut request = http::Request::new(body.finish());
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
    headers.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
    Ok(request)
}

// ---------------------------------------------------------------------------
// Input validation (model constraints)
// ---------------------------------------------------------------------------

/// Checks of the model's constraints, naming the member.
pub(crate) struct Check {
    pub(crate) operation: &'static str,
}

/// Character classes of the model's patterns that are cheap to check.
#[derive(Clone, Copy)]
pub(crate) enum Chars {
    /// Anything.
    Any,
    /// `[\w+=,.@-]*` (role session names, source identities, user names).
    SessionName,
    /// `[\w+=,.@:\/-]*` (external ids).
    ExternalId,
    /// `[\w+=/:,.@-]*` (MFA serial numbers).
    SerialNumber,
    /// `[\w]*` (access key ids).
    Word,
    /// `[\d]*` (MFA token codes).
    Digits,
    /// The model's "printable Unicode" class of `arnType`.
    Printable,
    /// `[\u0009\u000A\u000D\u0020-\u00FF]+` (session policies).
    Latin1,
    /// `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (tag keys and values).
    Tag,
}

impl Chars {
    fn allows(self, c: char) -> bool {
        let word = c.is_ascii_alphanumeric() || c == '_';
        match self {
            Chars::Any => true,
            Chars::SessionName => word || "+=,.@-".contains(c),
            Chars::ExternalId => word || "+=,.@:/-".contains(c),
            Chars::SerialNumber => word || "+=/:,.@-".contains(c),
            Chars::Word => word,
            Chars::Digits => c.is_ascii_digit(),
            Chars::Printable => matches!(c,
                '\t' | '\n' | '\r'
                | '\u{20}'..='\u{7e}'
                | '\u{85}'
                | '\u{a0}'..='\u{d7ff}'
                | '\u{e000}'..='\u{fffd}'
                | '\u{10000}'..='\u{10ffff}'),
            Chars::Latin1 => matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'),
            Chars::Tag => {
                c.is_alphanumeric()
                    || (c.is_whitespace() && !c.is_control())
                    || "_.:/=+-@".contains(c)
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Chars::Any => "",
            Chars::SessionName => "may only contain A-Z a-z 0-9 _ + = , . @ -",
            Chars::ExternalId => "may only contain A-Z a-z 0-9 _ + = , . @ : / -",
            Chars::SerialNumber => "may only contain A-Z a-z 0-9 _ + = / : , . @ -",
            Chars::Word => "may only contain A-Z a-z 0-9 _",
            Chars::Digits => "may only contain the digits 0-9",
            Chars::Printable => "contains a character outside the printable Unicode range",
            Chars::Latin1 => "may only contain tab, LF, CR and U+0020..U+00FF",
            Chars::Tag => "may only contain letters, numbers, spaces and _ . : / = + - @",
        }
    }
}

impl Check {
    fn invalid(&self, member: &'static str, reason: String) -> InvalidInput {
        InvalidInput::Invalid {
            operation: self.operation,
            member,
            reason,
        }
    }

    /// A required string: not empty (or only white space), `min..=max`
    /// characters, every character in `chars`.
    pub(crate) fn required(
        &self,
        member: &'static str,
        value: &str,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        rest_json::require(self.operation, member, value)?;
        self.string(member, None, value, min, max, chars)
    }

    /// An optional string: when present, as [`Check::required`].
    pub(crate) fn optional(
        &self,
        member: &'static str,
        value: Option<&str>,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(value) => self.required(member, value, min, max, chars),
            None => Ok(()),
        }
    }

    /// Length (in characters) and character class of a string; `item` is
    /// the 1-based list position, for the message. Never quotes the value.
    pub(crate) fn string(
        &self,
        member: &'static str,
        item: Option<usize>,
        value: &str,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        let at = match item {
            Some(n) => format!("item {n}: "),
            None => String::new(),
        };
        let len = if value.is_ascii() {
            value.len()
        } else {
            value.chars().count()
        };
        if len < min || len > max {
            let range = if max == usize::MAX {
                format!("at least {min}")
            } else if min == max {
                format!("exactly {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.invalid(
                member,
                format!("{at}must be {range} characters long (is {len})"),
            ));
        }
        if let Some(position) = value.chars().position(|c| !chars.allows(c)) {
            return Err(self.invalid(
                member,
                format!("{at}{} (character {})", chars.describe(), position + 1),
            ));
        }
        Ok(())
    }

    /// An optional integer in `min..=max`.
    pub(crate) fn range(
        &self,
        member: &'static str,
        value: Option<u32>,
        min: u32,
        max: u32,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(v) if v < min || v > max => {
                Err(self.invalid(member, format!("must be between {min} and {max} (is {v})")))
            }
            _ => Ok(()),
        }
    }

    /// The item count of an optional list.
    pub(crate) fn items<T>(
        &self,
        member: &'static str,
        value: Option<&[T]>,
        min: usize,
        max: usize,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(v) if v.len() < min || v.len() > max => Err(self.invalid(
                member,
                format!("must have {min} to {max} items (has {})", v.len()),
            )),
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// The most element paths one operation may ask for.
const MAX_PATHS: usize = 64;

/// The text of the elements an operation asked for, from a 2xx response.
pub(crate) struct Parsed<'a, const N: usize> {
    operation: &'static str,
    status: u16,
    headers: &'a http::HeaderMap,
    paths: &'a [&'a [&'static str]; N],
    values: [Option<Cow<'a, str>>; N],
    request_id: Option<Cow<'a, str>>,
}

impl<'a, const N: usize> Parsed<'a, N> {
    fn error(&self, path: String, kind: ParseErrorKind) -> ParseError {
        ParseError {
            operation: self.operation,
            status: self.status,
            path,
            kind,
            request_id: self.request_id(),
        }
    }

    /// `<Op>Result/a/b` for path `i`.
    fn path(&self, i: usize) -> String {
        let mut path = format!("{}Result", self.operation);
        for segment in self.paths[i].iter() {
            path.push('/');
            path.push_str(segment);
        }
        path
    }

    fn member(&self, i: usize) -> &'static str {
        self.paths[i].last().copied().unwrap_or("")
    }

    /// The request id: the `x-amzn-RequestId` header, else the body's
    /// `ResponseMetadata/RequestId`.
    pub(crate) fn request_id(&self) -> Option<String> {
        rest_json::request_id(self.headers).or_else(|| {
            self.request_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
    }

    /// Whether element `i` was present.
    pub(crate) fn present(&self, i: usize) -> bool {
        self.values[i].is_some()
    }

    /// The text of element `i`, if present.
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        self.values[i].as_deref()
    }

    /// The text of element `i`, owned.
    pub(crate) fn optional(&mut self, i: usize) -> Option<String> {
        self.values[i].take().map(Cow::into_owned)
    }

    /// The text of required element `i`.
    pub(crate) fn required(&mut self, i: usize) -> Result<String, ParseError> {
        match self.values[i].take() {
            Some(v) => Ok(v.into_owned()),
            None => Err(self.missing(i)),
        }
    }

    /// A [`ParseErrorKind::MissingMember`] for element `i`.
    pub(crate) fn missing(&self, i: usize) -> ParseError {
        self.error(
            self.path(i),
            ParseErrorKind::MissingMember {
                member: self.member(i),
            },
        )
    }

    /// Element `i` as a non-negative integer, if present.
    pub(crate) fn u32(&self, i: usize) -> Result<Option<u32>, ParseError> {
        let Some(text) = self.text(i) else {
            return Ok(None);
        };
        let text = text.trim_matches(is_xml_space);
        match text.parse::<i64>() {
            Ok(v) => u32::try_from(v).map(Some).map_err(|_| {
                self.error(
                    self.path(i),
                    ParseErrorKind::OutOfRange {
                        member: self.member(i),
                        detail: "expected a non-negative integer that fits in 32 bits",
                    },
                )
            }),
            Err(_) => Err(self.error(
                self.path(i),
                ParseErrorKind::WrongShape {
                    detail: "expected a decimal integer".to_owned(),
                },
            )),
        }
    }

    /// Element `i` as an ISO 8601 timestamp, if present.
    pub(crate) fn timestamp(&self, i: usize) -> Result<Option<SystemTime>, ParseError> {
        let Some(text) = self.text(i) else {
            return Ok(None);
        };
        parse_timestamp(text.trim_matches(is_xml_space))
            .map(Some)
            .ok_or_else(|| {
                self.error(
                    self.path(i),
                    ParseErrorKind::WrongShape {
                        detail: "expected an ISO 8601 timestamp (e.g. 2024-05-14T17:48:09Z)"
                            .to_owned(),
                    },
                )
            })
    }

    /// A required timestamp.
    pub(crate) fn required_timestamp(&self, i: usize) -> Result<SystemTime, ParseError> {
        self.timestamp(i)?.ok_or_else(|| self.missing(i))
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Parses an RFC 3339 / ISO 8601 timestamp (`2024-05-14T17:48:09Z`, with or
/// without fractional seconds, `Z` or a numeric offset) into a
/// `SystemTime`, if the platform can represent it.
pub(crate) fn parse_timestamp(text: &str) -> Option<SystemTime> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let secs = t.unix_timestamp();
    let nanos = Duration::from_nanos(u64::from(t.nanosecond()));
    if secs >= 0 {
        SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(nanos)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(nanos)
    }
}

/// Parses a response: a 2xx `<operation>Response` into the text of the
/// elements at `paths` (relative to `<operation>Result`), anything else
/// into the error it carries.
pub(crate) fn parse_response<'a, const N: usize, B: AsRef<[u8]>>(
    operation: &'static str,
    response: &'a http::Response<B>,
    paths: &'a [&'a [&'static str]; N],
) -> Result<Parsed<'a, N>, Error> {
    const { assert!(N <= MAX_PATHS) };
    let status = response.status();
    if !status.is_success() {
        return Err(parse_error_response(operation, response));
    }
    let headers = response.headers();
    let parse_error = |path: &str, kind: ParseErrorKind| ParseError {
        operation,
        status: status.as_u16(),
        path: path.to_owned(),
        kind,
        request_id: rest_json::request_id(headers),
    };
    let scanned = scan(
        response.body().as_ref(),
        Some(Name::Suffixed(operation, "Response")),
        Name::Suffixed(operation, "Result"),
        paths,
    )
    .map_err(|kind| parse_error(".", kind))?;
    if !scanned.root_matched {
        return Err(parse_error(
            ".",
            ParseErrorKind::WrongShape {
                detail: format!("expected the root element `{operation}Response`"),
            },
        )
        .into());
    }
    Ok(Parsed {
        operation,
        status: status.as_u16(),
        headers,
        paths,
        values: scanned.values,
        request_id: scanned.request_id,
    })
}

/// The paths of the `<Error>` members of the envelope.
const ERROR_PATHS: [&[&str]; 3] = [&["Type"], &["Code"], &["Message"]];

/// Turns a non-2xx response into an [`Error`]: the `<ErrorResponse>`
/// envelope into [`Error::Service`] with [`ErrorDetails::Query`], the code
/// resolved with [`ErrorCode::for_service`] (the HTTP status as the code
/// when the envelope has none), service text scrubbed with
/// [`scrub_credentials`]. A body that is not XML is an [`Error::Parse`]
/// carrying the status.
pub(crate) fn parse_error_response<B: AsRef<[u8]>>(
    operation: &'static str,
    response: &http::Response<B>,
) -> Error {
    let status = response.status().as_u16();
    let headers = response.headers();
    let body = response.body().as_ref();
    let scanned = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match scan(body, None, Name::Exact("Error"), &ERROR_PATHS) {
            Ok(s) => Some(s),
            Err(kind) => {
                return Error::Parse(ParseError {
                    operation,
                    status,
                    path: ".".to_owned(),
                    kind,
                    request_id: rest_json::request_id(headers),
                })
            }
        }
    };
    let (values, body_request_id) = match scanned {
        Some(s) => (s.values, s.request_id),
        None => (Default::default(), None),
    };
    let [fault, code, message] = values;
    let code = code
        .as_deref()
        .map(|c| ErrorCode::sanitize(c).to_owned())
        .filter(|c| !c.is_empty());
    let code = match code {
        Some(code) => ErrorCode::for_service(Service::Sts, &scrub_credentials(&code)),
        None => ErrorCode::Other(status.to_string()),
    };
    let fault = fault
        .as_deref()
        .map(|f| Fault::from_wire(&scrub_credentials(f)))
        .unwrap_or_else(|| Fault::Other(String::new()));
    let request_id = rest_json::request_id(headers)
        .or_else(|| {
            body_request_id
                .map(|id| id.trim_matches(is_xml_space).to_owned())
                .filter(|id| !id.is_empty())
        })
        .filter(|id| !id.is_empty());
    Error::Service(ServiceError {
        operation,
        service: Service::Sts,
        status,
        code,
        message: message.map(|m| scrub_credentials(&m)),
        request_id,
        details: ErrorDetails::Query(QueryDetails { fault }),
    })
}

/// An element name to match (local name, any namespace prefix).
#[derive(Clone, Copy)]
enum Name {
    /// Exactly this name.
    Exact(&'static str),
    /// The operation name followed by a suffix (`AssumeRoleResponse`).
    Suffixed(&'static str, &'static str),
}

impl Name {
    fn matches(self, name: &[u8]) -> bool {
        match self {
            Name::Exact(n) => name == n.as_bytes(),
            Name::Suffixed(op, suffix) => {
                name.len() == op.len() + suffix.len()
                    && name.starts_with(op.as_bytes())
                    && name.ends_with(suffix.as_bytes())
            }
        }
    }
}

/// What a scan found.
struct Scanned<'a, const N: usize> {
    /// Whether the root element had the expected name.
    root_matched: bool,
    values: [Option<Cow<'a, str>>; N],
    /// `RequestId` under the root or under `ResponseMetadata`.
    request_id: Option<Cow<'a, str>>,
}

/// Where the reader is, relative to the elements of interest.
#[derive(Clone, Copy)]
enum Frame {
    /// The root element.
    Root,
    /// The wrapper (`<Op>Result`, or `<Error>` of an envelope), or a
    /// structure in it: `mask` holds the paths still matching, `depth` the
    /// number of path segments matched.
    Member { mask: u64, depth: usize },
    /// `ResponseMetadata`.
    Metadata,
    /// An element whose text is collected into `Target`.
    Capture(Target),
}

#[derive(Clone, Copy)]
enum Target {
    Path(usize),
    RequestId,
}

/// The deepest element path any operation asks for, plus root, wrapper and
/// one level of slack.
const MAX_FRAMES: usize = 8;

/// One pass over `body`: checks it is well-formed XML, and collects the
/// text of the elements at `paths` under `root`/`wrapper` and of the
/// request id. `root: None` accepts any root element.
fn scan<'a, const N: usize>(
    body: &'a [u8],
    root: Option<Name>,
    wrapper: Name,
    paths: &[&[&'static str]; N],
) -> Result<Scanned<'a, N>, ParseErrorKind> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseErrorKind::EmptyBody);
    }
    let looks_like_html = looks_like_html(body);
    let not_xml = |position: u64| ParseErrorKind::NotXml {
        position,
        looks_like_html,
    };
    let text = std::str::from_utf8(body).map_err(|e| not_xml(e.valid_up_to() as u64))?;
    let mut reader = Reader::from_str(text);
    let mut frames = [Frame::Root; MAX_FRAMES];
    let mut depth = 0usize; // frames in use
    let mut skipped = 0usize; // elements nested below the last frame
    let mut seen_root = false;
    let mut out = Scanned {
        root_matched: false,
        values: std::array::from_fn(|_| None),
        request_id: None,
    };
    let all: u64 = if N == 64 { u64::MAX } else { (1u64 << N) - 1 };

    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return Err(match e {
                    quick_xml::Error::Syntax(_) if at_end(&reader, body) => truncated(body),
                    _ => not_xml(reader.error_position()),
                })
            }
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = start.local_name();
                let name: &str = local.as_ref();
                let name = name.as_bytes();
                let next = if skipped > 0 {
                    None
                } else if depth == 0 {
                    if seen_root {
                        // A second root element.
                        return Err(not_xml(reader.buffer_position()));
                    }
                    seen_root = true;
                    if name.eq_ignore_ascii_case(b"html") {
                        return Err(ParseErrorKind::NotXml {
                            position: 0,
                            looks_like_html: true,
                        });
                    }
                    out.root_matched = root.is_none_or(|r| r.matches(name));
                    out.root_matched.then_some(Frame::Root)
                } else {
                    match frames[depth - 1] {
                        Frame::Root => {
                            if wrapper.matches(name) {
                                Some(Frame::Member {
                                    mask: all,
                                    depth: 0,
                                })
                            } else if name == b"ResponseMetadata" {
                                Some(Frame::Metadata)
                            } else if name == b"RequestId" {
                                Some(Frame::Capture(Target::RequestId))
                            } else {
                                None
                            }
                        }
                        Frame::Metadata => {
                            (name == b"RequestId").then_some(Frame::Capture(Target::RequestId))
                        }
                        Frame::Member { mask, depth: d } => {
                            let mut next = 0u64;
                            let mut capture = None;
                            for (i, path) in paths.iter().enumerate() {
                                if mask & (1 << i) != 0
                                    && path.get(d).is_some_and(|s| s.as_bytes() == name)
                                {
                                    next |= 1 << i;
                                    if path.len() == d + 1 && capture.is_none() {
                                        capture = Some(i);
                                    }
                                }
                            }
                            match (next, capture) {
                                (0, _) => None,
                                (_, Some(i)) if next == 1 << i => {
                                    Some(Frame::Capture(Target::Path(i)))
                                }
                                (_, capture) => {
                                    // A structure that is itself asked for
                                    // (its presence) and has asked-for fields.
                                    if let Some(i) = capture {
                                        out.values[i] = Some(Cow::Borrowed(""));
                                    }
                                    Some(Frame::Member {
                                        mask: next,
                                        depth: d + 1,
                                    })
                                }
                            }
                        }
                        Frame::Capture(_) => None,
                    }
                };
                // Starting a capture resets its text (the last element of a
                // name wins).
                if let Some(Frame::Capture(target)) = next {
                    *slot(&mut out, target) = Some(Cow::Borrowed(""));
                }
                if is_empty {
                    continue;
                }
                match next {
                    Some(frame) if depth < MAX_FRAMES => {
                        frames[depth] = frame;
                        depth += 1;
                    }
                    _ => skipped += 1,
                }
            }
            Event::End(_) => {
                if skipped > 0 {
                    skipped -= 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
            Event::Text(t) => {
                let piece = t.xml10_content();
                if depth == 0 && skipped == 0 {
                    if !piece.chars().all(is_xml_space) {
                        return Err(not_xml(reader.buffer_position()));
                    }
                } else if let Some(target) = capturing(&frames, depth, skipped) {
                    append(slot(&mut out, target), piece);
                }
            }
            Event::CData(c) => {
                if depth == 0 && skipped == 0 {
                    return Err(not_xml(reader.buffer_position()));
                }
                if let Some(target) = capturing(&frames, depth, skipped) {
                    append(slot(&mut out, target), c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let c = resolve_entity(&r).ok_or_else(|| not_xml(reader.buffer_position()))?;
                if depth == 0 && skipped == 0 && !is_xml_space(c) {
                    return Err(not_xml(reader.buffer_position()));
                }
                if let Some(target) = capturing(&frames, depth, skipped) {
                    let slot = slot(&mut out, target);
                    match slot {
                        Some(existing) => existing.to_mut().push(c),
                        None => *slot = Some(Cow::Owned(c.to_string())),
                    }
                }
            }
            Event::Eof => {
                if depth > 0 || skipped > 0 {
                    return Err(truncated(body));
                }
                if !seen_root {
                    return Err(not_xml(reader.buffer_position()));
                }
                return Ok(out);
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn slot<'s, 'a, const N: usize>(
    out: &'s mut Scanned<'a, N>,
    target: Target,
) -> &'s mut Option<Cow<'a, str>> {
    match target {
        Target::Path(i) => &mut out.values[i],
        Target::RequestId => &mut out.request_id,
    }
}

/// The capture the text at the current position belongs to, if any.
fn capturing(frames: &[Frame; MAX_FRAMES], depth: usize, skipped: usize) -> Option<Target> {
    if skipped > 0 || depth == 0 {
        return None;
    }
    match frames[depth - 1] {
        Frame::Capture(target) => Some(target),
        _ => None,
    }
}

/// Appends `piece` to a capture, borrowing while there is one piece.
fn append<'a>(slot: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    match slot {
        Some(Cow::Borrowed("")) => *slot = Some(piece),
        Some(existing) => existing.to_mut().push_str(&piece),
        None => *slot = Some(piece),
    }
}

/// The character an entity or character reference stands for: the five
/// predefined entities and numeric references. `None` for anything else (an
/// undeclared entity makes the document not well-formed).
fn resolve_entity(r: &BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match r.as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Whether the reader stopped at the end of the body (a syntax error there
/// means the document was cut short).
fn at_end(reader: &Reader<&[u8]>, body: &[u8]) -> bool {
    usize::try_from(reader.buffer_position()).is_ok_and(|p| p >= body.len())
}

fn truncated(body: &[u8]) -> ParseErrorKind {
    let line = body.iter().filter(|&&b| b == b'\n').count() + 1;
    let last_line = body
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(body, |i| &body[i + 1..]);
    ParseErrorKind::Truncated {
        line,
        column: last_line.len() + 1,
    }
}

/// Whether a body starts like an HTML page (`<!DOCTYPE html` or `<html`).
fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&body[..0], |i| &body[i..]);
    let starts = |prefix: &[u8]| {
        start
            .get(..prefix.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
    };
    starts(b"<!doctype html") || starts(b"<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(b: QueryBody) -> String {
        String::from_utf8(b.finish()).unwrap()
    }

    #[test]
    fn encodes_reserved_characters() {
        let mut out = Vec::new();
        encode_into(&mut out, "a b+c/d:e@f=g&h*i~j-k_l.m%n\u{e9}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a%20b%2Bc%2Fd%3Ae%40f%3Dg%26h%2Ai~j-k_l.m%25n%C3%A9"
        );
    }

    #[test]
    fn lists_and_structures() {
        let mut b = QueryBody::new("Op", 0);
        b.opt_strings("L", Some(&["a", "b", "c"][..]))
            .opt_strings::<&str>("E", Some(&[]))
            .opt_strings::<&str>("N", None)
            .structure("S", &[("arn", Some("x")), ("other", None)])
            .opt_u32("I", Some(1234567890));
        assert_eq!(
            body(b),
            "Action=Op&Version=2011-06-15&L.member.1=a&L.member.2=b&L.member.3=c&E=&S.arn=x&I=1234567890"
        );
        let mut digits = itoa_buf();
        assert_eq!(format_usize(0, &mut digits), b"0");
        assert_eq!(
            format_usize(usize::MAX, &mut digits),
            usize::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn timestamps() {
        let t = |s| parse_timestamp(s).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap());
        assert_eq!(
            t("2024-05-14T17:48:09Z"),
            Some(Duration::from_secs(1_715_708_889))
        );
        assert_eq!(
            t("2024-05-14T17:48:09.123Z"),
            Some(Duration::from_millis(1_715_708_889_123))
        );
        assert_eq!(
            t("2024-05-14T19:48:09+02:00"),
            Some(Duration::from_secs(1_715_708_889))
        );
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn scan_matches_paths_and_skips_the_rest() {
        let xml = br#"<?xml version="1.0"?><p:OpResponse xmlns:p="x"><!-- c --><OpResult><Other><A>no</A></Other><S><A>1&amp;2</A><B><![CDATA[<b>]]></B></S><A>top</A></OpResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></p:OpResponse>"#;
        let paths: [&[&str]; 4] = [&["S"], &["S", "A"], &["S", "B"], &["A"]];
        let s = scan(
            xml,
            Some(Name::Suffixed("Op", "Response")),
            Name::Suffixed("Op", "Result"),
            &paths,
        )
        .unwrap();
        assert!(s.root_matched);
        assert_eq!(s.values[0].as_deref(), Some(""));
        assert_eq!(s.values[1].as_deref(), Some("1&2"));
        assert_eq!(s.values[2].as_deref(), Some("<b>"));
        assert_eq!(s.values[3].as_deref(), Some("top"));
        assert_eq!(s.request_id.as_deref(), Some("rid"));
    }

    #[test]
    fn scan_errors() {
        let paths: [&[&str]; 1] = [&["A"]];
        let run = |b: &[u8]| scan(b, None, Name::Exact("R"), &paths).map(|_| ());
        assert_eq!(run(b"  "), Err(ParseErrorKind::EmptyBody));
        assert!(matches!(
            run(b"<a><b>"),
            Err(ParseErrorKind::Truncated { .. })
        ));
        assert!(matches!(
            run(b"<a><b"),
            Err(ParseErrorKind::Truncated { .. })
        ));
        assert!(matches!(
            run(b"not xml"),
            Err(ParseErrorKind::NotXml {
                looks_like_html: false,
                ..
            })
        ));
        assert!(matches!(
            run(b"<a></b>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<a>&bogus;</a>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<a/><b/>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<html><body>Bad gateway</body></html>"),
            Err(ParseErrorKind::NotXml {
                looks_like_html: true,
                ..
            })
        ));
        assert!(matches!(
            run(b"\xff<a/>"),
            Err(ParseErrorKind::NotXml { position: 0, .. })
        ));
        assert_eq!(run(b"<a/>"), Ok(()));
    }
}
