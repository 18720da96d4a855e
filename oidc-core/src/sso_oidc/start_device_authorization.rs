//! `StartDeviceAuthorization`: `POST /device_authorization`, unsigned.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::ClientSecret;
//! use oidc_core::sso_oidc::start_device_authorization::{self, StartDeviceAuthorizationInput};
//!
//! let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
//! let input = StartDeviceAuthorizationInput::new(
//!     "client-id",
//!     ClientSecret::new("secret"),
//!     "https://my-sso-portal.awsapps.com/start",
//! );
//! let request = start_device_authorization::request(&input, &endpoint).unwrap();
//! assert_eq!(request.uri().path(), "/device_authorization");
//!
//! let response = http::Response::builder().status(200).body(
//!     r#"{"deviceCode":"dc","userCode":"BCDF-GHJK","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=BCDF-GHJK","expiresIn":600,"interval":1}"#,
//! ).unwrap();
//! let output = start_device_authorization::parse(&response).unwrap();
//! assert_eq!(output.user_code, "BCDF-GHJK");
//! assert_eq!(output.interval, Some(1));
//! ```

use serde::Deserialize;

use crate::endpoint::Endpoint;
use crate::endpoint::Service;
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, JsonBody, ResponseContext};
use crate::secret::{ClientSecret, DeviceCode};

const OPERATION: &str = "StartDeviceAuthorization";

/// Input of `StartDeviceAuthorization`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StartDeviceAuthorizationInput {
    /// `clientId` from RegisterClient.
    pub client_id: String,
    /// `clientSecret` from RegisterClient.
    pub client_secret: ClientSecret,
    /// `startUrl`: the AWS access portal URL.
    pub start_url: String,
}

impl StartDeviceAuthorizationInput {
    /// All three members are required.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        start_url: impl Into<String>,
    ) -> Self {
        StartDeviceAuthorizationInput {
            client_id: client_id.into(),
            client_secret,
            start_url: start_url.into(),
        }
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        rest_json::require(OPERATION, "clientId", &self.client_id)?;
        rest_json::require(OPERATION, "clientSecret", self.client_secret.secret())?;
        rest_json::require(OPERATION, "startUrl", &self.start_url)?;
        Ok(())
    }
}

/// Output of `StartDeviceAuthorization`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StartDeviceAuthorizationOutput {
    /// `deviceCode`: what the client polls with.
    pub device_code: DeviceCode,
    /// `userCode`: what the user confirms on the verification page.
    pub user_code: String,
    /// `verificationUri`: the page where the user enters the code.
    pub verification_uri: String,
    /// `verificationUriComplete`: the same page with the code filled in.
    pub verification_uri_complete: Option<String>,
    /// `expiresIn`: seconds until the device code expires.
    pub expires_in: u32,
    /// `interval`: minimum seconds between polls; absent means 5.
    pub interval: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    device_code: Option<DeviceCode>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    verification_uri_complete: Option<String>,
    expires_in: Option<i64>,
    interval: Option<i64>,
}

/// Builds the `StartDeviceAuthorization` request. Pure.
pub fn request(
    input: &StartDeviceAuthorizationInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let secret = input.client_secret.secret();
    let mut body =
        JsonBody::with_capacity(input.client_id.len() + secret.len() + input.start_url.len());
    body.string("clientId", &input.client_id)
        .string("clientSecret", secret)
        .string("startUrl", &input.start_url);
    rest_json::post_json(OPERATION, endpoint, "/device_authorization", body)
}

/// Parses a `StartDeviceAuthorization` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<StartDeviceAuthorizationOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoOidc, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let expires_in = ctx.required("expiresIn", wire.expires_in)?;
    Ok(StartDeviceAuthorizationOutput {
        device_code: ctx.required("deviceCode", wire.device_code)?,
        user_code: ctx.required("userCode", wire.user_code)?,
        verification_uri: ctx.required("verificationUri", wire.verification_uri)?,
        verification_uri_complete: wire.verification_uri_complete,
        expires_in: ctx.seconds("expiresIn", expires_in)?,
        interval: wire
            .interval
            .map(|i| ctx.seconds("interval", i))
            .transpose()?,
    })
}

impl Operation for StartDeviceAuthorizationInput {
    type Output = StartDeviceAuthorizationOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoOidc;
    const AUTH: Auth = Auth::None;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<StartDeviceAuthorizationOutput, Error> {
        parse(response)
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.client_secret.secret()]
    }
}
