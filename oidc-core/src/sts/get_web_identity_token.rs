//! `GetWebIdentityToken`: a JWT signed by AWS for outbound web identity
//! federation, **signed with SigV4**. The token is a
//! [`WebIdentityToken`] secret.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sts::get_web_identity_token::{self, GetWebIdentityTokenInput};
//!
//! let endpoint = Endpoint::from_url("https://sts.us-east-1.amazonaws.com").unwrap();
//! let input = GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256")
//!     .with_duration_seconds(300);
//! let request = get_web_identity_token::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     b"Action=GetWebIdentityToken&Version=2011-06-15\
//!       &Audience.member.1=https%3A%2F%2Fapi.example.com&DurationSeconds=300&SigningAlgorithm=RS256"
//! );
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(concat!(
//!         "<GetWebIdentityTokenResponse><GetWebIdentityTokenResult>",
//!         "<WebIdentityToken>eyJhbGciOiJSUzI1NiJ9.e30.sig</WebIdentityToken>",
//!         "<Expiration>2024-05-14T17:53:09Z</Expiration>",
//!         "</GetWebIdentityTokenResult></GetWebIdentityTokenResponse>",
//!     ))
//!     .unwrap();
//! let output = get_web_identity_token::parse(&response).unwrap();
//! assert_eq!(output.web_identity_token.secret(), "eyJhbGciOiJSUzI1NiJ9.e30.sig");
//! assert!(!format!("{output:?}").contains("eyJhbGciOiJSUzI1NiJ9"));
//! ```

use std::time::SystemTime;

use super::common;
use super::types::Tag;
use crate::aws_query::{self, Chars, Check, QueryBody};
use crate::endpoint::Endpoint;
use crate::error::{Error, InvalidInput};
use crate::secret::WebIdentityToken;

const OPERATION: &str = "GetWebIdentityToken";

/// Input of `GetWebIdentityToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetWebIdentityTokenInput {
    /// `Audience` (required): 1 to 10 audiences (`aud`), each 1 to 1000
    /// characters.
    pub audience: Vec<String>,
    /// `DurationSeconds`: 60 to 3600.
    pub duration_seconds: Option<u32>,
    /// `SigningAlgorithm` (required): a five-character JWS algorithm name
    /// (`RS256`, `ES384`).
    pub signing_algorithm: String,
    /// `Tags`: custom claims (at most 50).
    pub tags: Option<Vec<Tag>>,
}

impl GetWebIdentityTokenInput {
    /// A token for `audience`, signed with `signing_algorithm`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        audience: I,
        signing_algorithm: impl Into<String>,
    ) -> Self {
        GetWebIdentityTokenInput {
            audience: audience.into_iter().map(Into::into).collect(),
            duration_seconds: None,
            signing_algorithm: signing_algorithm.into(),
            tags: None,
        }
    }

    /// Sets `DurationSeconds`.
    pub fn with_duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = Some(seconds);
        self
    }

    /// Sets `Tags`.
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = Tag>) -> Self {
        self.tags = Some(tags.into_iter().collect());
        self
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        let check = Check {
            operation: OPERATION,
        };
        check.items("Audience", Some(self.audience.as_slice()), 1, 10)?;
        for (i, audience) in self.audience.iter().enumerate() {
            check.string("Audience", Some(i + 1), audience, 1, 1000, Chars::Any)?;
        }
        check.range("DurationSeconds", self.duration_seconds, 60, 3600)?;
        check.required(
            "SigningAlgorithm",
            &self.signing_algorithm,
            5,
            5,
            Chars::Any,
        )?;
        common::tags(&check, self.tags.as_deref())
    }
}

/// Output of `GetWebIdentityToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetWebIdentityTokenOutput {
    /// `WebIdentityToken`: the signed JWT. Required by this client (the
    /// model leaves it optional).
    pub web_identity_token: WebIdentityToken,
    /// `Expiration`: when the token expires.
    pub expiration: Option<SystemTime>,
    /// The request id (`x-amzn-RequestId`, else `ResponseMetadata/RequestId`).
    pub request_id: Option<String>,
}

const PATHS: [&[&str]; 2] = [&["WebIdentityToken"], &["Expiration"]];

/// Builds the unsigned `GetWebIdentityToken` request. Pure. Sign it before
/// sending.
///
/// Fails with [`Error::InvalidInput`] naming the member that breaks a
/// model constraint.
pub fn request(
    input: &GetWebIdentityTokenInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let text = input.audience.iter().map(|a| a.len() + 24).sum::<usize>()
        + input
            .tags
            .iter()
            .flatten()
            .map(|t| t.key.len() + t.value.len() + 48)
            .sum::<usize>();
    let mut body = QueryBody::new(OPERATION, common::capacity(text));
    body.opt_strings("Audience", Some(input.audience.as_slice()))
        .opt_u32("DurationSeconds", input.duration_seconds)
        .string("SigningAlgorithm", &input.signing_algorithm);
    common::write_tags(&mut body, input.tags.as_deref());
    aws_query::post_form(OPERATION, endpoint, body)
}

/// Parses a `GetWebIdentityToken` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<GetWebIdentityTokenOutput, Error> {
    let mut p = aws_query::parse_response(OPERATION, response, &PATHS)?;
    Ok(GetWebIdentityTokenOutput {
        expiration: p.timestamp(1)?,
        web_identity_token: WebIdentityToken::new(p.required(0)?),
        request_id: p.request_id(),
    })
}

super::sts_operation!(
    GetWebIdentityTokenInput,
    GetWebIdentityTokenOutput,
    super::SIGV4
);
