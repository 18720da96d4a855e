//! `CreateTokenWithIAM`: `POST /token?aws_iam=t`, **signed with SigV4**
//! (service [`SIGNING_NAME`](super::SIGNING_NAME), the SSO region).
//!
//! [`request`] builds the request unsigned; apply a SigV4 signer to the
//! result before sending it. The body is final, so the signer can hash it.
//!
//! ```
//! use oidc_core::endpoint::Endpoint;
//! use oidc_core::secret::Assertion;
//! use oidc_core::sso_oidc::create_token_with_iam::{self, CreateTokenWithIamInput, IamGrant};
//!
//! let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
//! let input = CreateTokenWithIamInput::new(
//!     "arn:aws:portal::123456789012:application/ssoins-1/apl-2",
//!     IamGrant::JwtBearer { assertion: Assertion::new("eyJhbGciOiJSUzI1NiJ9.e30.sig") },
//! );
//! let request = create_token_with_iam::request(&input, &endpoint).unwrap();
//! assert_eq!(request.uri(), "https://oidc.us-east-1.amazonaws.com/token?aws_iam=t");
//! ```

use std::fmt;

use serde::Deserialize;

use super::{GrantType, TokenType};
use crate::endpoint::Endpoint;
use crate::endpoint::Service;
use crate::error::{Error, InvalidInput};
use crate::operation::{Auth, Operation};
use crate::rest_json::{self, JsonBody, ResponseContext};
use crate::secret::{
    AccessToken, Assertion, AuthorizationCode, CodeVerifier, IdToken, IdentityContext,
    RefreshToken, SubjectToken,
};

const OPERATION: &str = "CreateTokenWithIAM";

/// The grant a `CreateTokenWithIAM` call redeems.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IamGrant {
    /// `authorization_code`.
    AuthorizationCode {
        /// The code from the redirect.
        code: AuthorizationCode,
        /// The `redirect_uri` used at `/authorize`.
        redirect_uri: String,
        /// The PKCE verifier, when PKCE was used.
        code_verifier: Option<CodeVerifier>,
    },
    /// `refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: RefreshToken,
    },
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`: a JWT from a trusted
    /// token issuer.
    JwtBearer {
        /// The JWT.
        assertion: Assertion,
    },
    /// `urn:ietf:params:oauth:grant-type:token-exchange`.
    TokenExchange {
        /// An Identity Center access token issued to another client.
        subject_token: SubjectToken,
        /// Its type (`...:token-type:access_token`).
        subject_token_type: TokenType,
        /// The type wanted back, when not the default.
        requested_token_type: Option<TokenType>,
    },
}

impl IamGrant {
    /// The grant's `grantType`.
    pub fn grant_type(&self) -> GrantType {
        match self {
            IamGrant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            IamGrant::RefreshToken { .. } => GrantType::RefreshToken,
            IamGrant::JwtBearer { .. } => GrantType::JwtBearer,
            IamGrant::TokenExchange { .. } => GrantType::TokenExchange,
        }
    }
}

/// Input of `CreateTokenWithIAM`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreateTokenWithIamInput {
    /// `clientId`: the ARN of an application with OAuth grants configured.
    pub client_id: String,
    /// The grant (sets `grantType` and its members).
    pub grant: IamGrant,
    /// `scope`: down-scoping; absent means every application scope.
    pub scope: Option<Vec<String>>,
}

impl CreateTokenWithIamInput {
    /// A request redeeming `grant` for the application `client_id`.
    pub fn new(client_id: impl Into<String>, grant: IamGrant) -> Self {
        CreateTokenWithIamInput {
            client_id: client_id.into(),
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
        match &self.grant {
            IamGrant::AuthorizationCode {
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
            IamGrant::RefreshToken { refresh_token } => {
                rest_json::require(OPERATION, "refreshToken", refresh_token.secret())
            }
            IamGrant::JwtBearer { assertion } => {
                rest_json::require(OPERATION, "assertion", assertion.secret())
            }
            IamGrant::TokenExchange {
                subject_token,
                subject_token_type,
                requested_token_type,
            } => {
                rest_json::require(OPERATION, "subjectToken", subject_token.secret())?;
                rest_json::require(OPERATION, "subjectTokenType", subject_token_type.as_str())?;
                if let Some(t) = requested_token_type {
                    rest_json::require(OPERATION, "requestedTokenType", t.as_str())?;
                }
                Ok(())
            }
        }
    }
}

/// `awsAdditionalDetails` of a `CreateTokenWithIAM` response.
///
/// Deserializes from a JSON object only (unknown members are ignored).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AwsAdditionalDetails {
    /// `identityContext`: opaque; pass it to STS AssumeRole as a provided
    /// context for trusted identity propagation.
    pub identity_context: Option<IdentityContext>,
}

impl<'de> Deserialize<'de> for AwsAdditionalDetails {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The derived form, which would also accept a JSON array.
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Members {
            #[serde(default)]
            identity_context: Option<IdentityContext>,
        }

        struct ObjectOnly;

        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = AwsAdditionalDetails;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let members =
                    Members::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(AwsAdditionalDetails {
                    identity_context: members.identity_context,
                })
            }
        }

        d.deserialize_map(ObjectOnly)
    }
}

/// Output of `CreateTokenWithIAM`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreateTokenWithIamOutput {
    /// `accessToken`.
    pub access_token: AccessToken,
    /// `tokenType` (`Bearer`), when sent.
    pub token_type: Option<String>,
    /// `expiresIn`: seconds the access token stays valid from now.
    pub expires_in: u32,
    /// `refreshToken`, when sent.
    pub refresh_token: Option<RefreshToken>,
    /// `idToken`: a JWT naming the user.
    pub id_token: Option<IdToken>,
    /// `issuedTokenType` (token exchange).
    pub issued_token_type: Option<TokenType>,
    /// `scope`: the scopes granted.
    pub scope: Option<Vec<String>>,
    /// `awsAdditionalDetails`.
    pub aws_additional_details: Option<AwsAdditionalDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    access_token: Option<AccessToken>,
    token_type: Option<String>,
    expires_in: Option<i64>,
    refresh_token: Option<RefreshToken>,
    id_token: Option<IdToken>,
    issued_token_type: Option<TokenType>,
    scope: Option<Vec<String>>,
    aws_additional_details: Option<AwsAdditionalDetails>,
}

/// Builds the unsigned `CreateTokenWithIAM` request. Pure. Sign it before
/// sending.
pub fn request(
    input: &CreateTokenWithIamInput,
    endpoint: &Endpoint,
) -> Result<http::Request<Vec<u8>>, Error> {
    input.validate()?;
    let mut body = JsonBody::with_capacity(input.client_id.len() + 1024);
    body.string("clientId", &input.client_id)
        .string("grantType", input.grant.grant_type().as_str());
    match &input.grant {
        IamGrant::AuthorizationCode {
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
        IamGrant::RefreshToken { refresh_token } => {
            body.string("refreshToken", refresh_token.secret());
        }
        IamGrant::JwtBearer { assertion } => {
            body.string("assertion", assertion.secret());
        }
        IamGrant::TokenExchange {
            subject_token,
            subject_token_type,
            requested_token_type,
        } => {
            body.string("subjectToken", subject_token.secret())
                .string("subjectTokenType", subject_token_type.as_str())
                .opt_string(
                    "requestedTokenType",
                    requested_token_type.as_ref().map(TokenType::as_str),
                );
        }
    }
    body.opt_strings(
        "scope",
        input.scope.as_ref().map(|v| v.iter().map(String::as_str)),
    );
    rest_json::post_json(OPERATION, endpoint, "/token?aws_iam=t", body)
}

/// Parses a `CreateTokenWithIAM` response. Pure.
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<CreateTokenWithIamOutput, Error> {
    let wire: Wire = rest_json::parse_response(Service::SsoOidc, OPERATION, response)?;
    let ctx = ResponseContext::of(OPERATION, response);
    let expires_in = ctx.required("expiresIn", wire.expires_in)?;
    Ok(CreateTokenWithIamOutput {
        access_token: ctx.required("accessToken", wire.access_token)?,
        token_type: wire.token_type,
        expires_in: ctx.seconds("expiresIn", expires_in)?,
        refresh_token: wire.refresh_token,
        id_token: wire.id_token,
        issued_token_type: wire.issued_token_type,
        scope: wire.scope,
        aws_additional_details: wire.aws_additional_details,
    })
}

impl Operation for CreateTokenWithIamInput {
    type Output = CreateTokenWithIamOutput;
    const NAME: &'static str = OPERATION;
    const SERVICE: Service = Service::SsoOidc;
    const AUTH: Auth = Auth::SigV4 {
        signing_name: super::SIGNING_NAME,
    };

    fn request(&self, endpoint: &Endpoint) -> Result<http::Request<Vec<u8>>, Error> {
        request(self, endpoint)
    }

    fn parse<B: AsRef<[u8]>>(
        response: &http::Response<B>,
    ) -> Result<CreateTokenWithIamOutput, Error> {
        parse(response)
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.grant {
            IamGrant::AuthorizationCode {
                code,
                code_verifier,
                ..
            } => {
                let mut out = vec![code.secret()];
                out.extend(code_verifier.iter().map(|v| v.secret()));
                out
            }
            IamGrant::RefreshToken { refresh_token } => vec![refresh_token.secret()],
            IamGrant::JwtBearer { assertion } => vec![assertion.secret()],
            IamGrant::TokenExchange { subject_token, .. } => vec![subject_token.secret()],
        }
    }
}
