//! Per-operation request counters.

use serde::Serialize;

use crate::sts::StsOperation;

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
    /// IMDSv2 `PUT /latest/api/token`.
    ImdsPutToken,
    /// IMDS `GET /latest/meta-data/iam/security-credentials/`.
    ImdsGetRoleName,
    /// IMDS `GET /latest/meta-data/iam/security-credentials/<role>`.
    ImdsGetCredentials,
    /// `GET /container-credentials`.
    ContainerCredentials,
    /// `GET /federation?Action=getSigninToken`.
    GetSigninToken,
    /// `GET /federation?Action=login` (or another `Action`).
    FederationLogin,
    /// STS (`POST /`); `None` for a missing or unknown `Action`.
    Sts(Option<StsOperation>),
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
    /// IMDSv2 `/latest/api/token`.
    pub imds_put_token: u64,
    /// IMDS `/latest/meta-data/iam/security-credentials/`.
    pub imds_get_role_name: u64,
    /// IMDS `/latest/meta-data/iam/security-credentials/<role>`.
    pub imds_get_credentials: u64,
    /// `/container-credentials`.
    pub container_credentials: u64,
    /// Federation `GET /federation?Action=getSigninToken`.
    pub get_signin_token: u64,
    /// Federation `GET /federation` with `Action=login` (or any other
    /// `Action`).
    pub federation_login: u64,
    /// STS `AssumeRole`.
    pub assume_role: u64,
    /// STS `AssumeRoleWithSAML`.
    pub assume_role_with_saml: u64,
    /// STS `AssumeRoleWithWebIdentity`.
    pub assume_role_with_web_identity: u64,
    /// STS `AssumeRoot`.
    pub assume_root: u64,
    /// STS `DecodeAuthorizationMessage`.
    pub decode_authorization_message: u64,
    /// STS `GetAccessKeyInfo`.
    pub get_access_key_info: u64,
    /// STS `GetCallerIdentity`.
    pub get_caller_identity: u64,
    /// STS `GetDelegatedAccessToken`.
    pub get_delegated_access_token: u64,
    /// STS `GetFederationToken`.
    pub get_federation_token: u64,
    /// STS `GetSessionToken`.
    pub get_session_token: u64,
    /// STS `GetWebIdentityToken`.
    pub get_web_identity_token: u64,
    /// `POST /` with a missing or unknown STS `Action`.
    pub sts_other: u64,
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
            Op::ImdsPutToken => &mut self.imds_put_token,
            Op::ImdsGetRoleName => &mut self.imds_get_role_name,
            Op::ImdsGetCredentials => &mut self.imds_get_credentials,
            Op::ContainerCredentials => &mut self.container_credentials,
            Op::GetSigninToken => &mut self.get_signin_token,
            Op::FederationLogin => &mut self.federation_login,
            Op::Sts(op) => self.sts_slot(op),
            Op::Unknown => &mut self.unknown,
        };
        *slot += 1;
        self.total += 1;
    }

    fn sts_slot(&mut self, op: Option<StsOperation>) -> &mut u64 {
        match op {
            Some(StsOperation::AssumeRole) => &mut self.assume_role,
            Some(StsOperation::AssumeRoleWithSaml) => &mut self.assume_role_with_saml,
            Some(StsOperation::AssumeRoleWithWebIdentity) => {
                &mut self.assume_role_with_web_identity
            }
            Some(StsOperation::AssumeRoot) => &mut self.assume_root,
            Some(StsOperation::DecodeAuthorizationMessage) => {
                &mut self.decode_authorization_message
            }
            Some(StsOperation::GetAccessKeyInfo) => &mut self.get_access_key_info,
            Some(StsOperation::GetCallerIdentity) => &mut self.get_caller_identity,
            Some(StsOperation::GetDelegatedAccessToken) => &mut self.get_delegated_access_token,
            Some(StsOperation::GetFederationToken) => &mut self.get_federation_token,
            Some(StsOperation::GetSessionToken) => &mut self.get_session_token,
            Some(StsOperation::GetWebIdentityToken) => &mut self.get_web_identity_token,
            None => &mut self.sts_other,
        }
    }

    /// Requests counted for one STS operation.
    pub fn sts_operation(&self, op: StsOperation) -> u64 {
        let mut copy = *self;
        *copy.sts_slot(Some(op))
    }

    /// All STS requests (`POST /`), including unknown actions.
    pub fn sts(&self) -> u64 {
        StsOperation::ALL
            .into_iter()
            .map(|op| self.sts_operation(op))
            .sum::<u64>()
            + self.sts_other
    }

    /// All CreateToken (non-IAM) requests, whatever the grant.
    pub fn create_token(&self) -> u64 {
        self.create_token_device_code
            + self.create_token_refresh
            + self.create_token_authorization_code
            + self.create_token_other
    }
}
