//! Operations as types: every operation's input implements [`Operation`].

use crate::endpoint::{Endpoint, Service};
use crate::error::Error;

/// How a request of an operation is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// Sent as built (the credentials, if any, are members of the input).
    None,
    /// Signed with AWS Signature Version 4 under `signing_name`, by
    /// [`Call`](crate::call::Call), before every attempt.
    SigV4 {
        /// The signing name (e.g. `sso-oauth`, `sts`).
        signing_name: &'static str,
    },
    /// A bearer token the input carries in a header (the SSO portal's
    /// `x-amz-sso_bearer_token`).
    Bearer,
}

/// An operation of one of the services this crate speaks, implemented by
/// the operation's input type.
///
/// Everything about an operation is here and pure: its name, its service,
/// how it is authenticated, how its request is built and how its response
/// is parsed. A transport that can drive a [`Call`](crate::call::Call) can
/// therefore run every operation, present and future, with one generic
/// method.
///
/// ```
/// use oidc_core::endpoint::{resolve, EndpointConfig, Service};
/// use oidc_core::sso_oidc::register_client::RegisterClientInput;
/// use oidc_core::{Auth, Operation};
///
/// let input = RegisterClientInput::new("my-tool");
/// assert_eq!(RegisterClientInput::NAME, "RegisterClient");
/// assert_eq!(RegisterClientInput::SERVICE, Service::SsoOidc);
/// assert_eq!(RegisterClientInput::AUTH, Auth::None);
/// let endpoint = resolve(Service::SsoOidc, &EndpointConfig::for_region("eu-west-1")).unwrap();
/// let request = input.request(&endpoint).unwrap();
/// assert_eq!(request.uri(), "https://oidc.eu-west-1.amazonaws.com/client/register");
/// let response = http::Response::builder()
///     .status(200)
///     .body(r#"{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":1}"#)
///     .unwrap();
/// let output = RegisterClientInput::parse(&response).unwrap();
/// assert_eq!(output.client_id, "c");
/// ```
pub trait Operation {
    /// The parsed output of a successful call.
    type Output;
    /// The operation's name as the model spells it (`CreateToken`,
    /// `AssumeRole`, ...).
    const NAME: &'static str;
    /// The service the operation belongs to.
    const SERVICE: Service;
    /// How the request is authenticated.
    const AUTH: Auth;

    /// Builds the request on `endpoint` (the resolved endpoint of
    /// [`Self::SERVICE`]). Unsigned: [`Auth::SigV4`] requests are signed by
    /// [`Call`](crate::call::Call).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the member that cannot form a request.
    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error>;

    /// Parses a response: a 2xx into the output, anything else into the
    /// service's typed error.
    ///
    /// # Errors
    ///
    /// [`Error::Service`] or [`Error::Parse`].
    fn parse<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<Self::Output, Error>;

    /// The secret values this input sends (client secrets, tokens, codes,
    /// assertions). [`Call`](crate::call::Call) removes every occurrence
    /// of them from the service's error text, whatever their length.
    fn secrets(&self) -> Vec<&str> {
        Vec::new()
    }
}
