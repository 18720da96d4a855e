//! `CreateToken`: `POST /token`, unsigned.
//!
//! The grant is a type, not a string plus optional members: see [`Grant`].
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::{ClientSecret, RefreshToken};
//! use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, Grant};
//!
//! let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
//! let input = CreateTokenInput::new(
//!     "client-id",
//!     ClientSecret::new("secret"),
//!     Grant::RefreshToken { refresh_token: RefreshToken::new("Atrt|x") },
//! );
//! let request = create_token::request(&input, &endpoint).unwrap();
//! assert_eq!(
//!     request.body().as_slice(),
//!     br#"{"clientId":"client-id","clientSecret":"secret","grantType":"refresh_token","refreshToken":"Atrt|x"}"#
//! );
//!
//! let response = http::Response::builder().status(200).body(
//!     r#"{"accessToken":"aoal-x","tokenType":"Bearer","expiresIn":28800,"refreshToken":"Atrt|y"}"#,
//! ).unwrap();
//! let output = create_token::parse(&response).unwrap();
//! assert_eq!(output.expires_in, 28800);
//! assert_eq!(output.access_token.secret(), "aoal-x");
//! ```

use serde::Deserialize;

use super::GrantType;
use crate::endpoint::Endpoint;
use crate::endpoint::Service;
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, JsonBody, ResponseContext};
use crate::secret::{
    AccessToken, AuthorizationCode, ClientSecret, CodeVerifier, DeviceCode, IdToken, RefreshToken,
};

const OPERATION: &str = "CreateToken";

/// The grant a `CreateToken` call redeems.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Grant {
    /// `urn:ietf:params:oauth:grant-type:device_code`: poll a device
    /// authorization.
    DeviceCode {
        /// From StartDeviceAuthorization.
        device_code: DeviceCode,
    },
    /// `refresh_token`: exchange a refresh token for a new access token.
    RefreshToken {
        /// The refresh token.
        refresh_token: RefreshToken,
    },
    /// `authorization_code`: redeem a code received on the redirect.
    AuthorizationCode {
        /// The code from the redirect.
        code: AuthorizationCode,
        /// Exactly the `redirect_uri` used at `/authorize` (with port).
        redirect_uri: String,
        /// The PKCE verifier whose challenge went to `/authorize`.
        code_verifier: Option<CodeVerifier>,
    },
}

impl Grant {
    /// The grant's `grantType`.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::DeviceCode { .. } => GrantType::DeviceCode,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
        }
    }
}

/// Input of `CreateToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreateTokenInput {
    /// `clientId` from RegisterClient.
    pub client_id: String,
    /// `clientSecret` from RegisterClient.
    pub client_secret: ClientSecret,
    /// The grant (sets `grantType` and its members).
    pub grant: Grant,
    /// `scope`: documented by AWS as having no effect; sent when set.
    pub scope: Option<Vec<String>>,
}

impl CreateTokenInput {
    /// A request redeeming `grant` for the registered client.
    pub fn new(client_id: impl Into<String>, client_secret: ClientSecret, grant: Grant) -> Self {
        CreateTokenInput {
            client_id: client_id.into(),
            client_secret,
            grant,
            scope: None,
        }
    }

    /// Sets `scope`.
    pub fn with_scope<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scope: I) -> Self {
        self.scope = Some(scope.into_iter().map(Into::into).collect());
        self
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        rest_json::require(OPERATION, "clientId", &self.client_id)?;
        for scope in self.scope.iter().flatten() {
            rest_json::require(OPERATION, "scope", scope)?;
        }
        rest_json::require(OPERATION, "clientSecret", self.client_secret.secret())?;
        match &self.grant {
            Grant::DeviceCode { device_code } => {
                rest_json::require(OPERATION, "deviceCode", device_code.secret())
            }
            Grant::RefreshToken { refresh_token } => {
                rest_json::require(OPERATION, "refreshToken", refresh_token.secret())
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                rest_json::require(OPERATION, "code", code.secret())?;
                rest_json::require(OPERATION, "redirectUri", redirect_uri)?;
                if let Some(v) = code_verifier {
                    super::validate_verifier(v).map_err(|reason| InvalidInput::Invalid {
                        operation: OPERATION,
                        member: "codeVerifier",
                        reason: reason.to_owned(),
                    })?;
                }
                Ok(())
            }
        }
    }
}

/// Output of `CreateToken`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreateTokenOutput {
    /// `accessToken`: the bearer token for the SSO portal.
    pub access_token: AccessToken,
    /// `tokenType` (`Bearer`), when sent.
    pub token_type: Option<String>,
    /// `expiresIn`: seconds the access token stays valid from now.
    pub expires_in: u32,
    /// `refreshToken`, when the registration allows refreshing.
    pub refresh_token: Option<RefreshToken>,
    /// `idToken` (AWS documents it as unsupported for CreateToken).
    pub id_token: Option<IdToken>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    access_token: Option<AccessToken>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<RefreshToken>,
    id_token: Option<IdToken>,
}

/// Builds the `CreateToken` request. Pure.
pub fn request(
    input: &CreateTokenInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let secret = input.client_secret.secret();
    let mut body = JsonBody::with_capacity(input.client_id.len() + secret.len() + 512);
    body.string("clientId", &input.client_id)
        .string("clientSecret", secret)
        .string("grantType", input.grant.grant_type().as_str());
    match &input.grant {
        Grant::DeviceCode { device_code } => {
            body.string("deviceCode", device_code.secret());
        }
        Grant::RefreshToken { refresh_token } => {
            body.string("refreshToken", refresh_token.secret());
        }
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            body.string("code", code.secret())
                .string("redirectUri", redirect_uri)
                .opt_string(
                    "codeVerifier",
                    code_verifier.as_ref().map(CodeVerifier::secret),
                );
        }
    }
    body.opt_strings(
        "scope",
        input.scope.as_ref().map(|v| v.iter().map(String::as_str)),
    );
    rest_json::post_json(OPERATION, endpoint, "/token", body)
}

/// Parses a `CreateToken` response. Pure.
///
/// Device-flow answers such as `AuthorizationPendingException` come back as
/// [`Error::Service`]; the [device flow](crate::device_flow) interprets them.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<CreateTokenOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoOidc, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let expires_in = ctx.required("expiresIn", wire.expires_in)?;
    Ok(CreateTokenOutput {
        access_token: ctx.required("accessToken", wire.access_token)?,
        token_type: wire.token_type,
        expires_in: ctx.seconds("expiresIn", expires_in)?,
        refresh_token: wire.refresh_token,
        id_token: wire.id_token,
    })
}

impl CreateTokenInput {
    fn secret_values(&self) -> Vec<&str> {
        let mut out = vec![self.client_secret.secret()];
        match &self.grant {
            Grant::DeviceCode { device_code } => out.push(device_code.secret()),
            Grant::RefreshToken { refresh_token } => out.push(refresh_token.secret()),
            Grant::AuthorizationCode {
                code,
                code_verifier,
                ..
            } => {
                out.push(code.secret());
                out.extend(code_verifier.iter().map(|v| v.secret()));
            }
        }
        out
    }
}

impl Operation for CreateTokenInput {
    type Output = CreateTokenOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoOidc;
    const AUTH: Auth = Auth::None;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<CreateTokenOutput, Error> {
        parse(response)
    }

    fn secrets(&self) -> Vec<&str> {
        self.secret_values()
    }
}
