//! Responses: the text of the elements an operation asks for from a 2xx
//! response, and the `<ErrorResponse>` envelope of any other.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use super::xml::{is_xml_space, scan, Duplicate, Name};
use crate::endpoint::Service;
use crate::error::{
    Error, ErrorCode, ErrorDetails, Fault, ParseError, ParseErrorKind, QueryDetails, ServiceError,
};
use crate::rest_json::{self, scrub_credentials};

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
        self.path_prefix(i, self.paths[i].len())
    }

    /// `<Op>Result/a` for the first `len` segments of path `i`.
    fn path_prefix(&self, i: usize, len: usize) -> String {
        let mut path = format!("{}Result", self.operation);
        for segment in self.paths[i].iter().take(len) {
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
                // An id with control characters is not one a service sends.
                .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
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

    /// The error for an element that appeared twice where the model allows
    /// one: a [`ParseErrorKind::WrongShape`] naming it, at its path.
    fn duplicate(&self, duplicate: Duplicate) -> ParseError {
        let (path, name) = match duplicate {
            Duplicate::Wrapper => {
                let path = format!("{}Result", self.operation);
                (path.clone(), path)
            }
            Duplicate::Member { path: i, len } => (
                self.path_prefix(i, len),
                len.checked_sub(1)
                    .and_then(|j| self.paths[i].get(j))
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
            ),
        };
        self.error(
            path,
            ParseErrorKind::WrongShape {
                detail: format!("duplicate member `{name}`: expected it at most once"),
            },
        )
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
/// into the error it carries. An element asked for, a structure holding
/// one, or `<operation>Result` itself that appears twice in a 2xx response
/// is a [`ParseErrorKind::WrongShape`] at its path, naming it (neither the
/// first nor the last one wins).
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
    let parsed = Parsed {
        operation,
        status: status.as_u16(),
        headers,
        paths,
        values: scanned.values,
        request_id: scanned.request_id,
    };
    match scanned.duplicate {
        None => Ok(parsed),
        Some(duplicate) => Err(parsed.duplicate(duplicate).into()),
    }
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
                // An id with control characters is not one a service sends.
                .filter(|id| !id.is_empty() && !id.chars().any(char::is_control))
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

#[cfg(test)]
mod tests {
    use super::*;

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

    const PATHS: [&[&str]; 5] = [
        &["Credentials"],
        &["Credentials", "AccessKeyId"],
        &["Credentials", "SecretAccessKey"],
        &["Arn"],
        &["User", "Arn"],
    ];

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn parse(body: &str) -> Result<Vec<Option<String>>, Error> {
        let response = response(200, body);
        let mut p = parse_response("Op", &response, &PATHS)?;
        Ok((0..PATHS.len()).map(|i| p.optional(i)).collect())
    }

    fn duplicate(body: &str) -> (String, String) {
        match parse(body) {
            Err(Error::Parse(ParseError {
                path,
                kind: ParseErrorKind::WrongShape { detail },
                request_id,
                ..
            })) => {
                assert_eq!(request_id.as_deref(), Some("rid"));
                (path, detail)
            }
            other => panic!("expected a duplicate-member error, got {other:?}"),
        }
    }

    const END: &str =
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></OpResponse>";

    #[test]
    fn single_members_parse() {
        let values = parse(&format!(
            "<OpResponse><OpResult><Credentials><AccessKeyId>a</AccessKeyId>\
             <SecretAccessKey>s</SecretAccessKey></Credentials><Arn>x</Arn>\
             <User><Arn>y</Arn></User><Other/><Other/></OpResult>{END}"
        ))
        .unwrap();
        assert_eq!(
            values,
            [Some(""), Some("a"), Some("s"), Some("x"), Some("y")].map(|v| v.map(str::to_owned))
        );
    }

    #[test]
    fn duplicate_members_are_parse_errors_naming_the_member() {
        // A member inside a structure.
        let (path, detail) = duplicate(&format!(
            "<OpResponse><OpResult><Credentials><AccessKeyId>first</AccessKeyId>\
             <SecretAccessKey>s</SecretAccessKey><AccessKeyId>second</AccessKeyId>\
             </Credentials></OpResult>{END}"
        ));
        assert_eq!(path, "OpResult/Credentials/AccessKeyId");
        assert_eq!(
            detail,
            "duplicate member `AccessKeyId`: expected it at most once"
        );
        // Empty elements count too, and the same name under another parent
        // (`Arn`, `User/Arn`) is not a duplicate.
        let (path, _) = duplicate(&format!(
            "<OpResponse><OpResult><Arn>x</Arn><User><Arn>y</Arn></User><Arn/>\
             </OpResult>{END}"
        ));
        assert_eq!(path, "OpResult/Arn");
        // A structure.
        let (path, detail) = duplicate(&format!(
            "<OpResponse><OpResult><Credentials><AccessKeyId>a</AccessKeyId></Credentials>\
             <Credentials><SecretAccessKey>s</SecretAccessKey></Credentials>\
             </OpResult>{END}"
        ));
        assert_eq!(path, "OpResult/Credentials");
        assert_eq!(
            detail,
            "duplicate member `Credentials`: expected it at most once"
        );
        // The wrapper.
        let (path, detail) = duplicate(&format!(
            "<OpResponse><OpResult><Arn>x</Arn></OpResult><OpResult/>{END}"
        ));
        assert_eq!(path, "OpResult");
        assert_eq!(
            detail,
            "duplicate member `OpResult`: expected it at most once"
        );
        // The error names the member, never its text.
        let error = parse(&format!(
            "<OpResponse><OpResult><Arn>secret-1</Arn><Arn>secret-2</Arn></OpResult>{END}"
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("`Arn`"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        // Not-XML still wins over a duplicate.
        assert!(matches!(
            parse("<OpResponse><OpResult><Arn/><Arn/></OpResult>"),
            Err(Error::Parse(ParseError {
                kind: ParseErrorKind::Truncated { .. },
                ..
            }))
        ));
    }

    #[test]
    fn error_envelopes_are_unchanged_by_duplicates() {
        // The error path keeps reading the envelope (the last element wins):
        // a service error is more useful than a parse error there.
        let response = response(
            400,
            "<ErrorResponse><Error><Type>Sender</Type><Code>A</Code><Code>B</Code>\
             <Message>m</Message></Error><RequestId>rid</RequestId></ErrorResponse>",
        );
        match parse_error_response("Op", &response) {
            Error::Service(e) => {
                assert_eq!(e.code, ErrorCode::for_service(Service::Sts, "B"));
                assert_eq!(e.message.as_deref(), Some("m"));
            }
            other => panic!("expected a service error, got {other:?}"),
        }
    }
}
