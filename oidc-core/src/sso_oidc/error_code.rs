//! The error codes of SSO OIDC.

use std::fmt;

/// The error codes the SSO OIDC model names. A code the model does not name
/// is kept verbatim in [`crate::ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `AccessDeniedException` (`access_denied`): the user denied the
    /// request, or KMS denied access (see `reason`).
    AccessDenied,
    /// `AuthorizationPendingException` (`authorization_pending`): the user
    /// has not approved the device yet.
    AuthorizationPending,
    /// `ExpiredTokenException` (`expired_token`): the device code, code or
    /// token has expired.
    ExpiredToken,
    /// `InternalServerException` (`server_error`, HTTP 500).
    InternalServer,
    /// `InvalidClientException` (`invalid_client`, HTTP 401): the client
    /// registration is unknown or expired.
    InvalidClient,
    /// `InvalidClientMetadataException` (`invalid_client_metadata`).
    InvalidClientMetadata,
    /// `InvalidGrantException` (`invalid_grant`).
    InvalidGrant,
    /// `InvalidRedirectUriException` (`invalid_redirect_uri`).
    InvalidRedirectUri,
    /// `InvalidRequestException` (`invalid_request`).
    InvalidRequest,
    /// `InvalidRequestRegionException` (`invalid_request`, with `endpoint`
    /// and `region` naming where to call instead).
    InvalidRequestRegion,
    /// `InvalidScopeException` (`invalid_scope`).
    InvalidScope,
    /// `SlowDownException` (`slow_down`): polling too fast.
    SlowDown,
    /// `UnauthorizedClientException` (`unauthorized_client`).
    UnauthorizedClient,
    /// `UnsupportedGrantTypeException` (`unsupported_grant_type`).
    UnsupportedGrantType,
}

const MODELLED: [(ErrorCode, &str, &str); 14] = [
    (
        ErrorCode::AccessDenied,
        "AccessDeniedException",
        "access_denied",
    ),
    (
        ErrorCode::AuthorizationPending,
        "AuthorizationPendingException",
        "authorization_pending",
    ),
    (
        ErrorCode::ExpiredToken,
        "ExpiredTokenException",
        "expired_token",
    ),
    (
        ErrorCode::InternalServer,
        "InternalServerException",
        "server_error",
    ),
    (
        ErrorCode::InvalidClient,
        "InvalidClientException",
        "invalid_client",
    ),
    (
        ErrorCode::InvalidClientMetadata,
        "InvalidClientMetadataException",
        "invalid_client_metadata",
    ),
    (
        ErrorCode::InvalidGrant,
        "InvalidGrantException",
        "invalid_grant",
    ),
    (
        ErrorCode::InvalidRedirectUri,
        "InvalidRedirectUriException",
        "invalid_redirect_uri",
    ),
    (
        ErrorCode::InvalidRequest,
        "InvalidRequestException",
        "invalid_request",
    ),
    (
        ErrorCode::InvalidRequestRegion,
        "InvalidRequestRegionException",
        "invalid_request",
    ),
    (
        ErrorCode::InvalidScope,
        "InvalidScopeException",
        "invalid_scope",
    ),
    (ErrorCode::SlowDown, "SlowDownException", "slow_down"),
    (
        ErrorCode::UnauthorizedClient,
        "UnauthorizedClientException",
        "unauthorized_client",
    ),
    (
        ErrorCode::UnsupportedGrantType,
        "UnsupportedGrantTypeException",
        "unsupported_grant_type",
    ),
];

impl ErrorCode {
    /// Every modelled code.
    pub fn modelled() -> impl Iterator<Item = ErrorCode> {
        MODELLED.iter().map(|(c, _, _)| *c)
    }

    /// The wire name: the model's shape name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::AuthorizationPending => "AuthorizationPendingException",
            ErrorCode::ExpiredToken => "ExpiredTokenException",
            ErrorCode::InternalServer => "InternalServerException",
            ErrorCode::InvalidClient => "InvalidClientException",
            ErrorCode::InvalidClientMetadata => "InvalidClientMetadataException",
            ErrorCode::InvalidGrant => "InvalidGrantException",
            ErrorCode::InvalidRedirectUri => "InvalidRedirectUriException",
            ErrorCode::InvalidRequest => "InvalidRequestException",
            ErrorCode::InvalidRequestRegion => "InvalidRequestRegionException",
            ErrorCode::InvalidScope => "InvalidScopeException",
            ErrorCode::SlowDown => "SlowDownException",
            ErrorCode::UnauthorizedClient => "UnauthorizedClientException",
            ErrorCode::UnsupportedGrantType => "UnsupportedGrantTypeException",
        }
    }

    /// The OAuth 2.0 `error` value the model promises for this code.
    pub fn oauth_error(self) -> Option<&'static str> {
        MODELLED
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, _, oauth)| *oauth)
    }

    /// Maps a sanitised wire code (a shape name) to a modelled code.
    pub fn from_shape_name(name: &str) -> Option<ErrorCode> {
        MODELLED
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(c, _, _)| *c)
    }

    /// Maps an OAuth `error` value to a code (the fallback used when the
    /// service sent no shape name). `invalid_request` is ambiguous; pass
    /// `has_region_members` to pick `InvalidRequestRegion`.
    pub fn from_oauth_error(error: &str, has_region_members: bool) -> Option<ErrorCode> {
        if error == "invalid_request" {
            return Some(if has_region_members {
                ErrorCode::InvalidRequestRegion
            } else {
                ErrorCode::InvalidRequest
            });
        }
        MODELLED
            .iter()
            .find(|(_, _, oauth)| *oauth == error)
            .map(|(c, _, _)| *c)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
