//! Grant type and token type URNs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An OAuth grant type, as registered (RegisterClient `grantTypes`) or sent
/// (`grantType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantType {
    /// `authorization_code`
    AuthorizationCode,
    /// `urn:ietf:params:oauth:grant-type:device_code`
    DeviceCode,
    /// `refresh_token`
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`
    JwtBearer,
    /// `urn:ietf:params:oauth:grant-type:token-exchange`
    TokenExchange,
    /// Any other value, sent verbatim.
    Other(String),
}

impl GrantType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::Other(s) => s,
        }
    }

    /// Parses a wire value; unknown values become [`GrantType::Other`].
    pub fn from_wire(s: &str) -> GrantType {
        [
            GrantType::AuthorizationCode,
            GrantType::DeviceCode,
            GrantType::RefreshToken,
            GrantType::JwtBearer,
            GrantType::TokenExchange,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
        .unwrap_or_else(|| GrantType::Other(s.to_owned()))
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GrantType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GrantType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| GrantType::from_wire(&s))
    }
}

/// A token type URI (RFC 8693), used by the token-exchange grant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `urn:ietf:params:oauth:token-type:access_token`
    AccessToken,
    /// `urn:ietf:params:oauth:token-type:refresh_token`
    RefreshToken,
    /// `urn:ietf:params:oauth:token-type:id_token`
    IdToken,
    /// Any other value, sent verbatim.
    Other(String),
}

impl TokenType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            TokenType::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            TokenType::RefreshToken => "urn:ietf:params:oauth:token-type:refresh_token",
            TokenType::IdToken => "urn:ietf:params:oauth:token-type:id_token",
            TokenType::Other(s) => s,
        }
    }

    /// Parses a wire value; unknown values become [`TokenType::Other`].
    pub fn from_wire(s: &str) -> TokenType {
        [
            TokenType::AccessToken,
            TokenType::RefreshToken,
            TokenType::IdToken,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
        .unwrap_or_else(|| TokenType::Other(s.to_owned()))
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TokenType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| TokenType::from_wire(&s))
    }
}
