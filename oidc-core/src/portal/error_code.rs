//! The error codes of the SSO portal API.

use std::fmt;

/// The error codes the SSO portal model names. A code the model does not
/// name is kept verbatim in [`crate::ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `InvalidRequestException` (HTTP 400).
    InvalidRequest,
    /// `ResourceNotFoundException` (HTTP 404): no such account or role
    /// assignment.
    ResourceNotFound,
    /// `TooManyRequestsException` (HTTP 429): throttled.
    TooManyRequests,
    /// `UnauthorizedException` (HTTP 401): the access token is invalid,
    /// expired or signed out. Sign in again.
    Unauthorized,
}

const MODELLED: [(ErrorCode, &str); 4] = [
    (ErrorCode::InvalidRequest, "InvalidRequestException"),
    (ErrorCode::ResourceNotFound, "ResourceNotFoundException"),
    (ErrorCode::TooManyRequests, "TooManyRequestsException"),
    (ErrorCode::Unauthorized, "UnauthorizedException"),
];

impl ErrorCode {
    /// Every modelled code.
    pub fn modelled() -> impl Iterator<Item = ErrorCode> {
        MODELLED.iter().map(|(c, _)| *c)
    }

    /// The wire name (the model's shape name).
    pub fn as_str(self) -> &'static str {
        MODELLED
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    /// Maps a sanitised wire code to a modelled code.
    pub fn from_shape_name(name: &str) -> Option<ErrorCode> {
        MODELLED.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
