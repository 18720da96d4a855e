//! The operations this crate builds and parses.

use std::fmt;

/// An operation of one of the services `oidc-core` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// SSO OIDC `RegisterClient`.
    RegisterClient,
    /// SSO OIDC `StartDeviceAuthorization`.
    StartDeviceAuthorization,
    /// SSO OIDC `CreateToken`.
    CreateToken,
    /// SSO OIDC `CreateTokenWithIAM`.
    CreateTokenWithIam,
}

impl Operation {
    /// The operation's name as the model spells it.
    pub fn name(self) -> &'static str {
        match self {
            Operation::RegisterClient => "RegisterClient",
            Operation::StartDeviceAuthorization => "StartDeviceAuthorization",
            Operation::CreateToken => "CreateToken",
            Operation::CreateTokenWithIam => "CreateTokenWithIAM",
        }
    }

    /// Whether the operation is sent signed with SigV4 (only
    /// `CreateTokenWithIAM` among the SSO OIDC operations).
    pub fn is_signed(self) -> bool {
        matches!(self, Operation::CreateTokenWithIam)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
