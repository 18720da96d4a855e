//! Per-operation request counters.

use serde::Serialize;

/// Classification of an incoming (non-control) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    RegisterClient,
    StartDeviceAuthorization,
    CreateTokenDeviceCode,
    CreateTokenRefresh,
    CreateTokenAuthorizationCode,
    /// CreateToken with a missing or unsupported grant type.
    CreateTokenOther,
    CreateTokenWithIam,
    Authorize,
    VerificationPage,
    GetRoleCredentials,
    ListAccounts,
    ListAccountRoles,
    Logout,
    /// Unknown route (404 / 405).
    Unknown,
}

impl Op {
    /// Whether this is one of the CreateToken (non-IAM) variants.
    pub(crate) fn is_create_token(self) -> bool {
        matches!(
            self,
            Op::CreateTokenDeviceCode
                | Op::CreateTokenRefresh
                | Op::CreateTokenAuthorizationCode
                | Op::CreateTokenOther
        )
    }

    /// Whether this is a portal (`portal.sso`) operation.
    pub(crate) fn is_portal(self) -> bool {
        matches!(
            self,
            Op::GetRoleCredentials | Op::ListAccounts | Op::ListAccountRoles | Op::Logout
        )
    }
}

/// Request counts per operation since start (or the last reset).
///
/// Every request except the `/_emulator/` control API is counted exactly
/// once in `total` and once in its operation's counter, including requests
/// answered by an injected fault and requests that fail validation.
/// Serialised (control API) with these snake_case field names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// `POST /client/register`.
    pub register_client: u64,
    /// `POST /device_authorization`.
    pub start_device_authorization: u64,
    /// `POST /token` with the device-code grant.
    pub create_token_device_code: u64,
    /// `POST /token` with the `refresh_token` grant.
    pub create_token_refresh: u64,
    /// `POST /token` with the `authorization_code` grant.
    pub create_token_authorization_code: u64,
    /// `POST /token` with a missing, unparsable or unsupported grant type.
    pub create_token_other: u64,
    /// `POST /token?aws_iam=t`.
    pub create_token_with_iam: u64,
    /// `GET`/`POST /authorize`.
    pub authorize: u64,
    /// `GET`/`POST /device` (verification page).
    pub verification_page: u64,
    /// Portal `GET /federation/credentials`.
    pub get_role_credentials: u64,
    /// Portal `GET /assignment/accounts`.
    pub list_accounts: u64,
    /// Portal `GET /assignment/roles`.
    pub list_account_roles: u64,
    /// Portal `POST /logout`.
    pub logout: u64,
    /// Requests to unknown routes or with a wrong method.
    pub unknown: u64,
    /// All counted requests.
    pub total: u64,
}

impl Stats {
    /// Counts one request.
    pub(crate) fn record(&mut self, op: Op) {
        let slot = match op {
            Op::RegisterClient => &mut self.register_client,
            Op::StartDeviceAuthorization => &mut self.start_device_authorization,
            Op::CreateTokenDeviceCode => &mut self.create_token_device_code,
            Op::CreateTokenRefresh => &mut self.create_token_refresh,
            Op::CreateTokenAuthorizationCode => &mut self.create_token_authorization_code,
            Op::CreateTokenOther => &mut self.create_token_other,
            Op::CreateTokenWithIam => &mut self.create_token_with_iam,
            Op::Authorize => &mut self.authorize,
            Op::VerificationPage => &mut self.verification_page,
            Op::GetRoleCredentials => &mut self.get_role_credentials,
            Op::ListAccounts => &mut self.list_accounts,
            Op::ListAccountRoles => &mut self.list_account_roles,
            Op::Logout => &mut self.logout,
            Op::Unknown => &mut self.unknown,
        };
        *slot += 1;
        self.total += 1;
    }

    /// All CreateToken (non-IAM) requests, whatever the grant.
    pub fn create_token(&self) -> u64 {
        self.create_token_device_code
            + self.create_token_refresh
            + self.create_token_authorization_code
            + self.create_token_other
    }
}
