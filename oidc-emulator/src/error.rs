//! Modeled SSO OIDC error shapes and their wire form.
//!
//! Every error response carries `x-amzn-ErrorType: <Shape>:<namespace>`,
//! `Content-Type: application/json` and the body
//! `{"error":"<oauth code>","error_description":<text or null>}`, plus
//! `reason` (AccessDenied / InvalidRequest, when set) and `endpoint` /
//! `region` (InvalidRequestRegionException).

use serde_json::{json, Map, Value};

use crate::http::Response;

/// Namespace appended to the `x-amzn-ErrorType` header value.
pub(crate) const ERROR_TYPE_NAMESPACE: &str =
    "http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/";

/// The modeled error structures of the SSO OIDC service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InternalServer,
    InvalidClient,
    InvalidClientMetadata,
    InvalidGrant,
    InvalidRedirectUri,
    InvalidRequest,
    InvalidRequestRegion,
    InvalidScope,
    SlowDown,
    UnauthorizedClient,
    UnsupportedGrantType,
}

const ALL: [Shape; 14] = [
    Shape::AccessDenied,
    Shape::AuthorizationPending,
    Shape::ExpiredToken,
    Shape::InternalServer,
    Shape::InvalidClient,
    Shape::InvalidClientMetadata,
    Shape::InvalidGrant,
    Shape::InvalidRedirectUri,
    Shape::InvalidRequest,
    Shape::InvalidRequestRegion,
    Shape::InvalidScope,
    Shape::SlowDown,
    Shape::UnauthorizedClient,
    Shape::UnsupportedGrantType,
];

impl Shape {
    /// Model shape name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::AccessDenied => "AccessDeniedException",
            Shape::AuthorizationPending => "AuthorizationPendingException",
            Shape::ExpiredToken => "ExpiredTokenException",
            Shape::InternalServer => "InternalServerException",
            Shape::InvalidClient => "InvalidClientException",
            Shape::InvalidClientMetadata => "InvalidClientMetadataException",
            Shape::InvalidGrant => "InvalidGrantException",
            Shape::InvalidRedirectUri => "InvalidRedirectUriException",
            Shape::InvalidRequest => "InvalidRequestException",
            Shape::InvalidRequestRegion => "InvalidRequestRegionException",
            Shape::InvalidScope => "InvalidScopeException",
            Shape::SlowDown => "SlowDownException",
            Shape::UnauthorizedClient => "UnauthorizedClientException",
            Shape::UnsupportedGrantType => "UnsupportedGrantTypeException",
        }
    }

    /// OAuth `error` value carried in the body.
    pub(crate) fn oauth_code(self) -> &'static str {
        match self {
            Shape::AccessDenied => "access_denied",
            Shape::AuthorizationPending => "authorization_pending",
            Shape::ExpiredToken => "expired_token",
            Shape::InternalServer => "server_error",
            Shape::InvalidClient => "invalid_client",
            Shape::InvalidClientMetadata => "invalid_client_metadata",
            Shape::InvalidGrant => "invalid_grant",
            Shape::InvalidRedirectUri => "invalid_redirect_uri",
            Shape::InvalidRequest | Shape::InvalidRequestRegion => "invalid_request",
            Shape::InvalidScope => "invalid_scope",
            Shape::SlowDown => "slow_down",
            Shape::UnauthorizedClient => "unauthorized_client",
            Shape::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    /// HTTP status from the model.
    pub(crate) fn status(self) -> u16 {
        match self {
            Shape::InternalServer => 500,
            Shape::InvalidClient => 401,
            _ => 400,
        }
    }

    /// Looks a shape up by its model name.
    pub(crate) fn from_name(name: &str) -> Option<Shape> {
        ALL.into_iter().find(|s| s.name() == name)
    }
}

/// An error answer of one of the JSON operations.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) shape: Shape,
    pub(crate) description: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
}

impl ApiError {
    /// An error with a description.
    pub(crate) fn new(shape: Shape, description: impl Into<String>) -> Self {
        ApiError {
            shape,
            description: Some(description.into()),
            reason: None,
            endpoint: None,
            region: None,
        }
    }

    /// An error whose `error_description` is `null`.
    pub(crate) fn bare(shape: Shape) -> Self {
        ApiError {
            shape,
            description: None,
            reason: None,
            endpoint: None,
            region: None,
        }
    }

    /// Shorthand for InvalidRequestException.
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        ApiError::new(Shape::InvalidRequest, description)
    }

    /// Shorthand for InvalidGrantException.
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        ApiError::new(Shape::InvalidGrant, description)
    }

    /// Shorthand for InvalidClientException.
    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        ApiError::new(Shape::InvalidClient, description)
    }

    /// The HTTP response for this error.
    pub(crate) fn to_response(&self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), Value::from(self.shape.oauth_code()));
        body.insert(
            "error_description".into(),
            self.description.clone().map_or(Value::Null, Value::from),
        );
        if let Some(r) = &self.reason {
            body.insert("reason".into(), Value::from(r.as_str()));
        }
        if let Some(e) = &self.endpoint {
            body.insert("endpoint".into(), Value::from(e.as_str()));
        }
        if let Some(r) = &self.region {
            body.insert("region".into(), Value::from(r.as_str()));
        }
        Response::json(self.shape.status(), &Value::Object(body))
            .with_header("x-amzn-ErrorType", error_type_header(self.shape.name()))
    }
}

/// Value of the `x-amzn-ErrorType` header for a shape name.
pub(crate) fn error_type_header(shape_name: &str) -> String {
    format!("{shape_name}:{ERROR_TYPE_NAMESPACE}")
}

/// An error response for a code that is not one of the modeled shapes (used
/// by fault injection, e.g. `ThrottlingException`, and by the emulator's own
/// routing errors). Body: `{"error": <code>, "error_description": <msg>,
/// "message": <msg>}`.
pub(crate) fn generic_error(status: u16, code: &str, message: &str) -> Response {
    if let Some(shape) = Shape::from_name(code) {
        let mut r = ApiError::new(shape, message).to_response();
        r.status = status;
        return r;
    }
    Response::json(
        status,
        &json!({"error": code, "error_description": message, "message": message}),
    )
    .with_header("x-amzn-ErrorType", error_type_header(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for s in ALL {
            assert_eq!(Shape::from_name(s.name()), Some(s));
        }
        assert_eq!(Shape::from_name("Nope"), None);
    }

    #[test]
    fn wire_form() {
        let r = ApiError::bare(Shape::AuthorizationPending).to_response();
        assert_eq!(r.status, 400);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v,
            json!({"error": "authorization_pending", "error_description": null})
        );
        assert!(r.headers.iter().any(|(n, v)| n == "x-amzn-ErrorType"
            && v.starts_with("AuthorizationPendingException:http://")));
        assert_eq!(ApiError::invalid_client("x").to_response().status, 401);
        assert_eq!(
            ApiError::bare(Shape::InternalServer).to_response().status,
            500
        );
    }
}
