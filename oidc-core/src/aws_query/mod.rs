//! The `awsQuery` protocol spoken by STS: a form-encoded
//! `POST /` carrying `Action` and `Version`, answered with XML.
//!
//! * [`QueryBody`] writes the form body member by member, percent-encoding
//!   every byte outside `A-Z a-z 0-9 - _ . ~` and flattening lists to
//!   `Name.member.N` (1-based) and structures to `Name.field`.
//! * [`post_form`] wraps a body into the request (`Content-Type`,
//!   [`USER_AGENT`](crate::USER_AGENT)).
//! * [`parse_response`] turns a 2xx `<Op>Response` into the text of the
//!   elements an operation asks for, and anything else into an
//!   [`Error::Service`](crate::Error::Service) read from the
//!   `<ErrorResponse>` envelope.
//!
//! XML is read with `quick_xml::Reader` in one pass over the body, without
//! building a tree: each operation names the element paths it needs, and
//! text is borrowed from the body unless it holds entity references. No
//! error ever carries body text: XML errors carry a byte position, shape
//! errors the names of the elements expected.

mod form;
mod response;
mod validate;
mod xml;

pub(crate) use form::{post_form, QueryBody};
pub(crate) use response::{parse_response, Parsed};
pub(crate) use validate::{Chars, Check};
// Only used inside this module today; re-exported so every item keeps the
// path it had before the split (`crate::aws_query::X`).
#[allow(unused_imports)]
pub(crate) use {
    form::encode_into,
    response::{parse_error_response, parse_timestamp},
};

/// The STS API version every request names.
pub(crate) const VERSION: &str = "2011-06-15";

/// The `Content-Type` of every awsQuery request (what botocore sends).
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
