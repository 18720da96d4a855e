//! Emulator configuration.

use std::collections::BTreeMap;
use std::time::Duration;

/// What `GET /authorize` does with a valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthorizeMode {
    /// Immediately redirect to `redirect_uri?code=...&state=...` (default).
    #[default]
    AutoApprove,
    /// Immediately redirect to
    /// `redirect_uri?error=access_denied&error_description=...&state=...`.
    AutoDeny,
    /// Render an HTML consent page with Allow / Deny buttons (ids `allow` /
    /// `deny`); its form POSTs to `/authorize`, which then redirects.
    Interactive,
}

/// When CreateToken (device code / authorization code) returns a
/// `refreshToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RefreshTokenPolicy {
    /// When the client registered at least one scope or its `grantTypes`
    /// include `refresh_token` (default; matches observed service
    /// behaviour for scope-less legacy registrations).
    #[default]
    WhenEligible,
    /// Always issue one.
    Always,
    /// Never issue one.
    Never,
}

/// Where an `InvalidRequestRegionException` sends the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongRegion {
    /// Value of the `endpoint` member.
    pub endpoint: String,
    /// Value of the `region` member.
    pub region: String,
}

/// One account visible through the SSO portal API emulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccount {
    /// 12-digit account id.
    pub account_id: String,
    /// Friendly account name.
    pub account_name: String,
    /// Account e-mail address.
    pub email_address: String,
    /// Role names assigned to the user in this account.
    pub roles: Vec<String>,
}

impl PortalAccount {
    /// An account with the given id, name and roles (e-mail derived from the
    /// name).
    pub fn new(account_id: &str, account_name: &str, roles: &[&str]) -> Self {
        PortalAccount {
            account_id: account_id.to_string(),
            account_name: account_name.to_string(),
            email_address: format!("{}@example.com", account_name.to_ascii_lowercase()),
            roles: roles.iter().map(|r| (*r).to_string()).collect(),
        }
    }
}

/// All knobs of the emulator. Construct with [`EmulatorConfig::default`] and
/// adjust with the `with_*` methods (or by assigning the public fields).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// TCP port on 127.0.0.1; `0` (default) lets the OS choose.
    pub port: u16,
    /// Lifetime of a client registration (default 90 days).
    pub client_secret_lifetime: Duration,
    /// `expiresIn` of StartDeviceAuthorization in seconds (default 600).
    pub device_code_expires_in: u32,
    /// Minimum polling interval in seconds, returned as `interval`
    /// (default 1).
    pub interval: u32,
    /// Omit `interval` from the StartDeviceAuthorization response (the
    /// configured interval is still enforced). Default `false`.
    pub omit_interval: bool,
    /// Answer polls that arrive sooner than the current interval with
    /// SlowDownException and grow that device code's interval by
    /// [`EmulatorConfig::slow_down_increment`] (default `true`).
    pub enforce_slow_down: bool,
    /// Seconds added to the interval on each slow-down (default 5).
    pub slow_down_increment: u32,
    /// Access-token `expiresIn` in seconds (default 3600).
    pub access_token_expires_in: u32,
    /// Lifetime of refresh tokens (default 90 days).
    pub refresh_token_lifetime: Duration,
    /// Lifetime of the portal's role credentials (GetRoleCredentials;
    /// default one hour).
    pub role_credentials_lifetime: Duration,
    /// When refresh tokens are issued by CreateToken.
    pub refresh_tokens: RefreshTokenPolicy,
    /// Lifetime of authorization codes in seconds (default 600).
    pub auth_code_expires_in: u32,
    /// Report an expired authorization code as ExpiredTokenException instead
    /// of InvalidGrantException (default `false`).
    pub expired_auth_code_is_expired_token: bool,
    /// Behaviour of `GET /authorize`.
    pub authorize_mode: AuthorizeMode,
    /// Require PKCE (`code_challenge`, S256) at `/authorize` for registered
    /// clients (default `true`; IAM application ARNs may always omit it).
    pub require_pkce: bool,
    /// Scopes that RegisterClient / authorize reject with
    /// InvalidScopeException (default none).
    pub invalid_scopes: Vec<String>,
    /// A jwt-bearer assertion that CreateTokenWithIAM rejects with
    /// InvalidGrantException (default none).
    pub bad_assertion: Option<String>,
    /// When set, every CreateTokenWithIAM returns
    /// InvalidRequestRegionException with these members.
    pub wrong_region: Option<WrongRegion>,
    /// Region reported in fake credentials / id tokens (default `us-east-1`).
    pub region: String,
    /// Socket read timeout; also the keep-alive idle timeout (default 60 s).
    pub read_timeout: Duration,
    /// Socket write timeout (default 30 s).
    pub write_timeout: Duration,
    /// Maximum request line + headers size (default 16 KiB, else 431).
    pub max_header_bytes: usize,
    /// Maximum request body size (default 1 MiB, else 413).
    pub max_body_bytes: usize,
    /// Serve the `/_emulator/` control API over HTTP (default `true`).
    pub control_api: bool,
    /// Accounts and roles served by the portal API emulation.
    pub portal_accounts: Vec<PortalAccount>,
    /// Page size of ListAccounts / ListAccountRoles when the caller gives no
    /// `max_result` (default 2, so pagination is exercised).
    pub portal_page_size: usize,
    /// User name of the person signed in to the portal: the session name of
    /// role credentials from GetRoleCredentials, as seen by STS
    /// GetCallerIdentity (default `user@example.com`).
    pub portal_user_name: String,
    /// Long-term access keys (IAM users) accepted by the SigV4 verification
    /// besides the credentials the emulator issued (default none).
    pub static_credentials: Vec<StaticCredentials>,
    /// Account of static credentials and of unknown keys in
    /// GetAccessKeyInfo (default `123456789012`).
    pub default_account_id: String,
    /// Verify SigV4 signatures of STS operations and CreateTokenWithIAM
    /// (default `true`). When `false` only the shape of the `Authorization`
    /// header is checked (missing / malformed header, wrong service), as
    /// older versions of the emulator did; unknown keys then act as an IAM
    /// user of [`EmulatorConfig::default_account_id`].
    pub verify_signatures: bool,
    /// Serve the EC2 instance metadata service (IMDSv2) routes
    /// `PUT /latest/api/token` and
    /// `GET /latest/meta-data/iam/security-credentials/[<role>]` on the
    /// base URL (default `true`).
    pub imds: bool,
    /// Name of the instance profile role IMDS hands out credentials for
    /// (default `emulator-instance-role`); the credentials' identity is
    /// `arn:aws:sts::<default account>:assumed-role/<role>/i-0123456789abcdef0`.
    pub instance_role_name: String,
    /// The `Authorization` header value `GET /container-credentials`
    /// requires (default `emulator-container-token`).
    pub container_authorization: String,
    /// Name of the task role `GET /container-credentials` hands out
    /// credentials for (default `emulator-task-role`); the identity is
    /// `arn:aws:sts::<default account>:assumed-role/<role>/emulator-task`.
    pub container_role_name: String,
    /// Virtual MFA devices whose TOTP codes AssumeRole / GetSessionToken
    /// accept with `SerialNumber` + `TokenCode` (default none). While none
    /// is configured, `SerialNumber` and `TokenCode` are only checked for
    /// their shape (any code passes), as before MFA was emulated.
    pub mfa_devices: Vec<MfaDevice>,
    /// Trust-policy conditions by role ARN (default none: any caller may
    /// assume any role).
    pub role_trusts: BTreeMap<String, RoleTrust>,
}

/// A virtual MFA device: its serial number (ARN) and TOTP seed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaDevice {
    /// `SerialNumber`, e.g. `arn:aws:iam::111111111111:mfa/alice`.
    pub serial_number: String,
    /// The base32 seed (RFC 4648 alphabet; case, spaces and `=` padding
    /// ignored), as shown when the device is created.
    pub seed_base32: String,
}

/// Conditions of a role's trust policy that AssumeRole enforces (see
/// [`EmulatorConfig::with_role_trust`]). The default requires nothing.
///
/// A refused AssumeRole answers `403 AccessDenied` `User: <caller arn> is
/// not authorized to perform: sts:AssumeRole on resource: <role arn>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleTrust {
    /// `sts:ExternalId` the caller must pass as `ExternalId`.
    pub external_id: Option<String>,
    /// `aws:MultiFactorAuthPresent`: the request must carry a valid
    /// `SerialNumber` + `TokenCode`, or be signed with credentials from an
    /// MFA-authenticated GetSessionToken / AssumeRole.
    pub mfa: bool,
}

impl RoleTrust {
    /// Requires `ExternalId` to equal `id`.
    pub fn require_external_id(mut self, id: &str) -> Self {
        self.external_id = Some(id.to_string());
        self
    }

    /// Requires multi-factor authentication.
    pub fn require_mfa(mut self) -> Self {
        self.mfa = true;
        self
    }
}

/// A long-term access key (an IAM user's) accepted by the emulator's SigV4
/// verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaticCredentials {
    /// Access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Owning account (12 digits).
    pub account_id: String,
    /// IAM user name (`arn:aws:iam::<account>:user/<name>`).
    pub user_name: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            client_secret_lifetime: Duration::from_secs(90 * 24 * 3600),
            device_code_expires_in: 600,
            interval: 1,
            omit_interval: false,
            enforce_slow_down: true,
            slow_down_increment: 5,
            access_token_expires_in: 3600,
            refresh_token_lifetime: Duration::from_secs(90 * 24 * 3600),
            role_credentials_lifetime: Duration::from_secs(3600),
            refresh_tokens: RefreshTokenPolicy::WhenEligible,
            auth_code_expires_in: 600,
            expired_auth_code_is_expired_token: false,
            authorize_mode: AuthorizeMode::AutoApprove,
            require_pkce: true,
            invalid_scopes: Vec::new(),
            bad_assertion: None,
            wrong_region: None,
            region: "us-east-1".to_string(),
            read_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_header_bytes: 16 * 1024,
            max_body_bytes: 1024 * 1024,
            control_api: true,
            portal_accounts: vec![
                PortalAccount::new("111111111111", "Dev", &["ReadOnly", "AdministratorAccess"]),
                PortalAccount::new("222222222222", "Staging", &["ReadOnly"]),
                PortalAccount::new("333333333333", "Prod", &["ReadOnly", "Billing"]),
            ],
            portal_page_size: 2,
            portal_user_name: "user@example.com".to_string(),
            static_credentials: Vec::new(),
            default_account_id: "123456789012".to_string(),
            verify_signatures: true,
            imds: true,
            instance_role_name: "emulator-instance-role".to_string(),
            container_authorization: "emulator-container-token".to_string(),
            container_role_name: "emulator-task-role".to_string(),
            mfa_devices: Vec::new(),
            role_trusts: BTreeMap::new(),
        }
    }
}

impl EmulatorConfig {
    /// Sets [`EmulatorConfig::port`].
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Sets [`EmulatorConfig::client_secret_lifetime`].
    pub fn with_client_secret_lifetime(mut self, d: Duration) -> Self {
        self.client_secret_lifetime = d;
        self
    }
    /// Sets [`EmulatorConfig::device_code_expires_in`] (seconds).
    pub fn with_device_code_expires_in(mut self, secs: u32) -> Self {
        self.device_code_expires_in = secs;
        self
    }
    /// Sets [`EmulatorConfig::interval`] (seconds).
    pub fn with_interval(mut self, secs: u32) -> Self {
        self.interval = secs;
        self
    }
    /// Sets [`EmulatorConfig::omit_interval`].
    pub fn with_omit_interval(mut self, omit: bool) -> Self {
        self.omit_interval = omit;
        self
    }
    /// Sets [`EmulatorConfig::enforce_slow_down`].
    pub fn with_enforce_slow_down(mut self, on: bool) -> Self {
        self.enforce_slow_down = on;
        self
    }
    /// Sets [`EmulatorConfig::slow_down_increment`] (seconds).
    pub fn with_slow_down_increment(mut self, secs: u32) -> Self {
        self.slow_down_increment = secs;
        self
    }
    /// Sets [`EmulatorConfig::access_token_expires_in`] (seconds).
    pub fn with_access_token_expires_in(mut self, secs: u32) -> Self {
        self.access_token_expires_in = secs;
        self
    }
    /// Sets [`EmulatorConfig::role_credentials_lifetime`].
    pub fn with_role_credentials_lifetime(mut self, d: Duration) -> Self {
        self.role_credentials_lifetime = d;
        self
    }

    /// Sets [`EmulatorConfig::refresh_token_lifetime`].
    pub fn with_refresh_token_lifetime(mut self, d: Duration) -> Self {
        self.refresh_token_lifetime = d;
        self
    }
    /// Sets [`EmulatorConfig::refresh_tokens`].
    pub fn with_refresh_tokens(mut self, policy: RefreshTokenPolicy) -> Self {
        self.refresh_tokens = policy;
        self
    }
    /// Sets [`EmulatorConfig::auth_code_expires_in`] (seconds).
    pub fn with_auth_code_expires_in(mut self, secs: u32) -> Self {
        self.auth_code_expires_in = secs;
        self
    }
    /// Sets [`EmulatorConfig::expired_auth_code_is_expired_token`].
    pub fn with_expired_auth_code_is_expired_token(mut self, on: bool) -> Self {
        self.expired_auth_code_is_expired_token = on;
        self
    }
    /// Sets [`EmulatorConfig::authorize_mode`].
    pub fn with_authorize_mode(mut self, mode: AuthorizeMode) -> Self {
        self.authorize_mode = mode;
        self
    }
    /// Sets [`EmulatorConfig::require_pkce`].
    pub fn with_require_pkce(mut self, on: bool) -> Self {
        self.require_pkce = on;
        self
    }
    /// Adds a scope that is rejected with InvalidScopeException.
    pub fn with_invalid_scope(mut self, scope: &str) -> Self {
        self.invalid_scopes.push(scope.to_string());
        self
    }
    /// Sets [`EmulatorConfig::bad_assertion`].
    pub fn with_bad_assertion(mut self, assertion: &str) -> Self {
        self.bad_assertion = Some(assertion.to_string());
        self
    }
    /// Sets [`EmulatorConfig::wrong_region`].
    pub fn with_wrong_region(mut self, endpoint: &str, region: &str) -> Self {
        self.wrong_region = Some(WrongRegion {
            endpoint: endpoint.to_string(),
            region: region.to_string(),
        });
        self
    }
    /// Sets [`EmulatorConfig::region`].
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = region.to_string();
        self
    }
    /// Sets [`EmulatorConfig::read_timeout`].
    pub fn with_read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }
    /// Sets [`EmulatorConfig::write_timeout`].
    pub fn with_write_timeout(mut self, d: Duration) -> Self {
        self.write_timeout = d;
        self
    }
    /// Sets [`EmulatorConfig::max_header_bytes`].
    pub fn with_max_header_bytes(mut self, n: usize) -> Self {
        self.max_header_bytes = n;
        self
    }
    /// Sets [`EmulatorConfig::max_body_bytes`].
    pub fn with_max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Sets [`EmulatorConfig::control_api`].
    pub fn with_control_api(mut self, on: bool) -> Self {
        self.control_api = on;
        self
    }
    /// Replaces [`EmulatorConfig::portal_accounts`].
    pub fn with_portal_accounts(mut self, accounts: Vec<PortalAccount>) -> Self {
        self.portal_accounts = accounts;
        self
    }
    /// Sets [`EmulatorConfig::portal_page_size`] (minimum 1).
    pub fn with_portal_page_size(mut self, n: usize) -> Self {
        self.portal_page_size = n.max(1);
        self
    }
    /// Sets [`EmulatorConfig::portal_user_name`].
    pub fn with_portal_user_name(mut self, name: &str) -> Self {
        self.portal_user_name = name.to_string();
        self
    }
    /// Adds a long-term access key of the IAM user `emulator-user` in
    /// [`EmulatorConfig::default_account_id`] (its value at the time of this
    /// call) that SigV4-signed requests may use.
    pub fn with_static_credentials(mut self, access_key_id: &str, secret_access_key: &str) -> Self {
        self.static_credentials.push(StaticCredentials {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret_access_key.to_string(),
            account_id: self.default_account_id.clone(),
            user_name: "emulator-user".to_string(),
        });
        self
    }
    /// Sets [`EmulatorConfig::default_account_id`].
    pub fn with_default_account_id(mut self, account_id: &str) -> Self {
        self.default_account_id = account_id.to_string();
        self
    }
    /// Sets [`EmulatorConfig::verify_signatures`].
    pub fn with_verify_signatures(mut self, on: bool) -> Self {
        self.verify_signatures = on;
        self
    }
    /// Sets [`EmulatorConfig::imds`].
    pub fn with_imds(mut self, on: bool) -> Self {
        self.imds = on;
        self
    }
    /// Sets [`EmulatorConfig::instance_role_name`].
    pub fn with_instance_role(mut self, role_name: &str) -> Self {
        self.instance_role_name = role_name.to_string();
        self
    }
    /// Sets [`EmulatorConfig::container_authorization`].
    pub fn with_container_authorization(mut self, token: &str) -> Self {
        self.container_authorization = token.to_string();
        self
    }
    /// Sets [`EmulatorConfig::container_role_name`].
    pub fn with_container_role(mut self, role_name: &str) -> Self {
        self.container_role_name = role_name.to_string();
        self
    }
    /// Adds a virtual MFA device (see [`EmulatorConfig::mfa_devices`] and
    /// [`crate::totp_code`]); a device with the same serial is replaced.
    pub fn with_mfa_device(mut self, serial: &str, seed_base32: &str) -> Self {
        self.mfa_devices.retain(|d| d.serial_number != serial);
        self.mfa_devices.push(MfaDevice {
            serial_number: serial.to_string(),
            seed_base32: seed_base32.to_string(),
        });
        self
    }
    /// Sets the trust conditions of the role `role_arn` (see
    /// [`RoleTrust`]), replacing earlier ones.
    pub fn with_role_trust(mut self, role_arn: &str, trust: RoleTrust) -> Self {
        self.role_trusts.insert(role_arn.to_string(), trust);
        self
    }
}
