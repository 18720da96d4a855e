//! The error codes of AWS STS.

use std::fmt;

/// The error codes the STS model names (the wire `Code` of the XML error
/// envelope). A code the model does not name (`AccessDenied`,
/// `InvalidClientTokenId`, `SignatureDoesNotMatch`, `Throttling`, ...) is
/// kept verbatim in [`crate::ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `ExpiredTokenException`: the web identity token or the SAML assertion
    /// has expired. (Expired credentials signing a request are answered
    /// with the unmodelled code `ExpiredToken`, kept in
    /// [`crate::ErrorCode::Other`].)
    ExpiredToken,
    /// `ExpiredTradeInTokenException`: the trade-in token has expired.
    ExpiredTradeInToken,
    /// `IDPCommunicationError`: the identity provider could not be reached.
    IdpCommunicationError,
    /// `IDPRejectedClaim`: the identity provider rejected the claim.
    IdpRejectedClaim,
    /// `InvalidAuthorizationMessageException`.
    InvalidAuthorizationMessage,
    /// `InvalidIdentityToken`.
    InvalidIdentityToken,
    /// `JWTPayloadSizeExceededException`.
    JwtPayloadSizeExceeded,
    /// `MalformedPolicyDocument`.
    MalformedPolicyDocument,
    /// `OutboundWebIdentityFederationDisabledException`.
    OutboundWebIdentityFederationDisabled,
    /// `PackedPolicyTooLarge`.
    PackedPolicyTooLarge,
    /// `RegionDisabledException`: STS is not activated in the region.
    RegionDisabled,
    /// `SessionDurationEscalationException`.
    SessionDurationEscalation,
}

const MODELLED: [(ErrorCode, &str); 12] = [
    (ErrorCode::ExpiredToken, "ExpiredTokenException"),
    (
        ErrorCode::ExpiredTradeInToken,
        "ExpiredTradeInTokenException",
    ),
    (ErrorCode::IdpCommunicationError, "IDPCommunicationError"),
    (ErrorCode::IdpRejectedClaim, "IDPRejectedClaim"),
    (
        ErrorCode::InvalidAuthorizationMessage,
        "InvalidAuthorizationMessageException",
    ),
    (ErrorCode::InvalidIdentityToken, "InvalidIdentityToken"),
    (
        ErrorCode::JwtPayloadSizeExceeded,
        "JWTPayloadSizeExceededException",
    ),
    (
        ErrorCode::MalformedPolicyDocument,
        "MalformedPolicyDocument",
    ),
    (
        ErrorCode::OutboundWebIdentityFederationDisabled,
        "OutboundWebIdentityFederationDisabledException",
    ),
    (ErrorCode::PackedPolicyTooLarge, "PackedPolicyTooLarge"),
    (ErrorCode::RegionDisabled, "RegionDisabledException"),
    (
        ErrorCode::SessionDurationEscalation,
        "SessionDurationEscalationException",
    ),
];

impl ErrorCode {
    /// Every modelled code.
    pub fn modelled() -> impl Iterator<Item = ErrorCode> {
        MODELLED.iter().map(|(c, _)| *c)
    }

    /// The wire code (the XML envelope's `Code`).
    pub fn as_str(self) -> &'static str {
        MODELLED
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }

    /// Maps a wire code to a modelled code.
    pub fn from_wire(code: &str) -> Option<ErrorCode> {
        MODELLED.iter().find(|(_, n)| *n == code).map(|(c, _)| *c)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
