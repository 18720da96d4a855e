//! `DecodeAuthorizationMessage`: decodes the encoded message of an
//! authorization failure, **signed with SigV4**.
//!
//! The decoded message is a JSON document describing the denied request;
//! it may reveal policy details, so log it with care.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::decode_authorization_message::{self, DecodeAuthorizationMessageInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = DecodeAuthorizationMessageInput::new("EXAMPLE-encoded");
//! let request = decode_authorization_message::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=EXAMPLE-encoded"
//! );
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(concat!(
//!         "<DecodeAuthorizationMessageResponse><DecodeAuthorizationMessageResult>",
//!         "<DecodedMessage>{&quot;allowed&quot;:false}</DecodedMessage>",
//!         "</DecodeAuthorizationMessageResult></DecodeAuthorizationMessageResponse>",
//!     ))
//!     .unwrap();
//! let output = decode_authorization_message::parse(&response).unwrap();
//! assert_eq!(output.decoded_message, r#"{"allowed":false}"#);
//! ```

use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};

const OPERATION: &str = "DecodeAuthorizationMessage";

/// Input of `DecodeAuthorizationMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeAuthorizationMessageInput {
    /// `EncodedMessage` (required): 1 to 10240 characters.
    pub encoded_message: String,
}

impl DecodeAuthorizationMessageInput {
    /// Decode `encoded_message`.
    pub fn new(encoded_message: impl Into<String>) -> Self {
        DecodeAuthorizationMessageInput {
            encoded_message: encoded_message.into(),
        }
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        Check {
            operation: OPERATION,
        }
        .required(
            "EncodedMessage",
            &self.encoded_message,
            1,
            10240,
            Chars::Any,
        )
    }
}

/// Output of `DecodeAuthorizationMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeAuthorizationMessageOutput {
    /// `DecodedMessage`: the JSON document (XML entities resolved).
    /// Required by this client (the model leaves it optional).
    pub decoded_message: String,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 1] = [&["DecodedMessage"]];

/// Builds the unsigned `DecodeAuthorizationMessage` request. Pure. Sign it
/// before sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &DecodeAuthorizationMessageInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = QueryBody::new(OPERATION, input.encoded_message.len() * 3 / 2 + 16);
    body.string("EncodedMessage", &input.encoded_message);
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `DecodeAuthorizationMessage` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<DecodeAuthorizationMessageOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(DecodeAuthorizationMessageOutput {
        decoded_message: p.required(0)?,
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    DecodeAuthorizationMessageInput,
    DecodeAuthorizationMessageOutput,
    super::SIGV4
);
