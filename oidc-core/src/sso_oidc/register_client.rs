//! `RegisterClient`: `POST /client/register`, unsigned.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};
//!
//! let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
//! let input = RegisterClientInput::new("botocore-client-my-sso")
//!     .with_scopes(["sso:account:access"]);
//! let request = register_client::request(&input, &endpoint).unwrap();
//! assert_eq!(request.uri(), "https://oidc.us-east-1.amazonaws.com/client/register");
//! assert_eq!(
//!     request.body().as_slice(),
//!     br#"{"clientName":"botocore-client-my-sso","clientType":"public","scopes":["sso:account:access"]}"#
//! );
//!
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(r#"{"clientId":"id","clientSecret":"s3cr3t","clientIdIssuedAt":1700000000,"clientSecretExpiresAt":1707776000}"#)
//!     .unwrap();
//! let output = register_client::parse(&response).unwrap();
//! assert_eq!(output.client_id, "id");
//! assert_eq!(output.client_secret_expires_at, 1707776000);
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::GrantType;
use crate::endpoint::Endpoint;
use crate::endpoint::Service;
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, JsonBody, ResponseContext};
use crate::secret::ClientSecret;

const OPERATION: &str = "RegisterClient";

/// Input of `RegisterClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisterClientInput {
    /// `clientName` (required): a friendly name for the client.
    pub client_name: String,
    /// `clientType` (required): only `public` is accepted by the service.
    pub client_type: String,
    /// `scopes`: scopes the client may be granted.
    pub scopes: Option<Vec<String>>,
    /// `redirectUris`: allowed redirect URIs (authorization-code flow).
    pub redirect_uris: Option<Vec<String>>,
    /// `grantTypes`: grants the client will use.
    pub grant_types: Option<Vec<GrantType>>,
    /// `issuerUrl`: the Identity Center issuer (start) URL.
    pub issuer_url: Option<String>,
    /// `entitledApplicationArn`: an application whose configuration limits
    /// the client.
    pub entitled_application_arn: Option<String>,
}

impl RegisterClientInput {
    /// A `public` client named `client_name`, with no optional members.
    pub fn new(client_name: impl Into<String>) -> Self {
        RegisterClientInput {
            client_name: client_name.into(),
            client_type: "public".to_owned(),
            scopes: None,
            redirect_uris: None,
            grant_types: None,
            issuer_url: None,
            entitled_application_arn: None,
        }
    }

    /// The registration the AWS CLI makes for the device flow: grants
    /// `device_code` and `refresh_token`, `start_url` as the issuer, and
    /// `scopes` when not empty (no `scopes` member otherwise).
    ///
    /// ```
    /// use oidc_core::sso_oidc::register_client::RegisterClientInput;
    /// use oidc_core::sso_oidc::GrantType;
    ///
    /// let input = RegisterClientInput::for_device_flow(
    ///     "my-tool",
    ///     "https://my-sso-portal.awsapps.com/start",
    ///     ["sso:account:access"],
    /// );
    /// assert_eq!(
    ///     input.grant_types.as_deref(),
    ///     Some(&[GrantType::DeviceCode, GrantType::RefreshToken][..])
    /// );
    /// assert_eq!(input.issuer_url.as_deref(), Some("https://my-sso-portal.awsapps.com/start"));
    /// assert_eq!(input.scopes, Some(vec!["sso:account:access".to_owned()]));
    ///
    /// let no_scopes = RegisterClientInput::for_device_flow("my-tool", "https://x", Vec::<String>::new());
    /// assert_eq!(no_scopes.scopes, None);
    /// ```
    pub fn for_device_flow(
        client_name: impl Into<String>,
        start_url: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let input = RegisterClientInput::new(client_name)
            .with_grant_types([GrantType::DeviceCode, GrantType::RefreshToken])
            .with_issuer_url(start_url);
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if scopes.is_empty() {
            input
        } else {
            input.with_scopes(scopes)
        }
    }

    /// The registration the AWS CLI makes for the authorization-code flow
    /// (as `aws sso login` does): grants `authorization_code` and `refresh_token`, the
    /// loopback redirect URI without a port
    /// ([`REGISTRATION_REDIRECT_URI`](crate::pkce::REGISTRATION_REDIRECT_URI)),
    /// `start_url` as the issuer, and `scopes`
    /// ([`DEFAULT_SCOPE`](crate::pkce::DEFAULT_SCOPE) when empty).
    ///
    /// ```
    /// use oidc_core::sso_oidc::register_client::RegisterClientInput;
    ///
    /// let input = RegisterClientInput::for_authorization_code(
    ///     "my-tool",
    ///     "https://my-sso-portal.awsapps.com/start",
    ///     Vec::<String>::new(),
    /// );
    /// assert_eq!(input.redirect_uris, Some(vec!["http://127.0.0.1/oauth/callback".to_owned()]));
    /// assert_eq!(input.scopes, Some(vec!["sso:account:access".to_owned()]));
    /// ```
    pub fn for_authorization_code(
        client_name: impl Into<String>,
        start_url: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let mut scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if scopes.is_empty() {
            scopes.push(crate::pkce::DEFAULT_SCOPE.to_owned());
        }
        RegisterClientInput::new(client_name)
            .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken])
            .with_redirect_uris([crate::pkce::REGISTRATION_REDIRECT_URI])
            .with_issuer_url(start_url)
            .with_scopes(scopes)
    }

    /// Sets `scopes`.
    pub fn with_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `redirectUris`.
    pub fn with_redirect_uris<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        uris: I,
    ) -> Self {
        self.redirect_uris = Some(uris.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `grantTypes`.
    pub fn with_grant_types(mut self, grants: impl IntoIterator<Item = GrantType>) -> Self {
        self.grant_types = Some(grants.into_iter().collect());
        self
    }

    /// Sets `issuerUrl`.
    pub fn with_issuer_url(mut self, url: impl Into<String>) -> Self {
        self.issuer_url = Some(url.into());
        self
    }

    /// Sets `entitledApplicationArn`.
    pub fn with_entitled_application_arn(mut self, arn: impl Into<String>) -> Self {
        self.entitled_application_arn = Some(arn.into());
        self
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        rest_json::require(OPERATION, "clientName", &self.client_name)?;
        rest_json::require(OPERATION, "clientType", &self.client_type)?;
        for scope in self.scopes.iter().flatten() {
            rest_json::require(OPERATION, "scopes", scope)?;
        }
        for uri in self.redirect_uris.iter().flatten() {
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                return Err(InvalidInput::Invalid {
                    operation: OPERATION,
                    member: "redirectUris",
                    reason: format!("`{uri}` is not an absolute http(s) URI"),
                });
            }
        }
        for grant in self.grant_types.iter().flatten() {
            rest_json::require(OPERATION, "grantTypes", grant.as_str())?;
        }
        if let Some(url) = &self.issuer_url {
            rest_json::require(OPERATION, "issuerUrl", url)?;
        }
        if let Some(arn) = &self.entitled_application_arn {
            rest_json::require(OPERATION, "entitledApplicationArn", arn)?;
        }
        Ok(())
    }
}

/// Output of `RegisterClient`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegisterClientOutput {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: ClientSecret,
    /// `clientIdIssuedAt`, epoch seconds.
    pub client_id_issued_at: Option<i64>,
    /// `clientSecretExpiresAt`, epoch seconds: when the registration stops
    /// working.
    pub client_secret_expires_at: i64,
    /// `authorizationEndpoint`, when sent.
    pub authorization_endpoint: Option<String>,
    /// `tokenEndpoint`, when sent.
    pub token_endpoint: Option<String>,
}

impl RegisterClientOutput {
    /// `clientSecretExpiresAt` as a wall-clock time (saturating at the epoch
    /// for negative values, and at 2106-02-07, `u32::MAX` seconds, for
    /// values the platform's `SystemTime` cannot represent).
    pub fn expires_at(&self) -> SystemTime {
        let secs = u64::try_from(self.client_secret_expires_at).unwrap_or(0);
        UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX)))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    client_id_issued_at: Option<i64>,
    client_secret_expires_at: Option<i64>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

/// Builds the `RegisterClient` request. Pure.
///
/// Fails with [`Error::InvalidInput`] naming the member when a required
/// member is empty or a redirect URI is not absolute.
pub fn request(
    input: &RegisterClientInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = JsonBody::with_capacity(256);
    body.string("clientName", &input.client_name)
        .string("clientType", &input.client_type)
        .opt_strings(
            "scopes",
            input.scopes.as_ref().map(|v| v.iter().map(String::as_str)),
        )
        .opt_strings(
            "redirectUris",
            input
                .redirect_uris
                .as_ref()
                .map(|v| v.iter().map(String::as_str)),
        )
        .opt_strings(
            "grantTypes",
            input
                .grant_types
                .as_ref()
                .map(|v| v.iter().map(GrantType::as_str)),
        )
        .opt_string("issuerUrl", input.issuer_url.as_deref())
        .opt_string(
            "entitledApplicationArn",
            input.entitled_application_arn.as_deref(),
        );
    rest_json::post_json(OPERATION, endpoint, "/client/register", body)
}

/// Parses a `RegisterClient` response. Pure.
pub fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<RegisterClientOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoOidc, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    Ok(RegisterClientOutput {
        client_id: ctx.required("clientId", wire.client_id)?,
        client_secret: ctx.required("clientSecret", wire.client_secret)?,
        client_id_issued_at: wire.client_id_issued_at,
        client_secret_expires_at: ctx
            .required("clientSecretExpiresAt", wire.client_secret_expires_at)?,
        authorization_endpoint: wire.authorization_endpoint,
        token_endpoint: wire.token_endpoint,
    })
}

impl Operation for RegisterClientInput {
    type Output = RegisterClientOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoOidc;
    const AUTH: Auth = Auth::None;

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<RegisterClientOutput, Error> {
        parse(response)
    }
}
