//! Request bodies: the query-form encoding of an awsQuery request.

use http::header::{HeaderValue, CONTENT_TYPE, USER_AGENT as USER_AGENT_HEADER};

use super::{FORM_CONTENT_TYPE, VERSION};
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::rest_json::USER_AGENT;

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
}
