//! Service state (clients, device authorizations, tokens, authorization
//! codes) and the context shared by all connection threads.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{EmulatorConfig, RefreshTokenPolicy};
use crate::faults::FaultRule;
use crate::ids::IdGen;
use crate::reqlog::RequestLog;
use crate::stats::Stats;

/// The device-code grant type URN.
pub(crate) const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The refresh-token grant type.
pub(crate) const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// The authorization-code grant type.
pub(crate) const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// The jwt-bearer grant type URN (CreateTokenWithIAM).
pub(crate) const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The token-exchange grant type URN (CreateTokenWithIAM).
pub(crate) const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Access-token token type URN.
pub(crate) const TOKEN_TYPE_ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Refresh-token token type URN.
pub(crate) const TOKEN_TYPE_REFRESH: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// Locks a mutex, recovering from poisoning (state stays usable even if a
/// thread panicked while holding the lock; all updates are small and
/// self-contained).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered client.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) client_name: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) issuer_url: Option<String>,
    pub(crate) entitled_application_arn: Option<String>,
    pub(crate) issued_at_epoch: i64,
    pub(crate) expires_at_epoch: i64,
    /// Emulator-clock expiry.
    pub(crate) expires_at: Duration,
}

impl Client {
    /// Whether the client may use `grant`. Registrations without
    /// `grantTypes` get the device-code and refresh-token grants.
    pub(crate) fn allows_grant(&self, grant: &str) -> bool {
        if self.grant_types.is_empty() {
            grant == GRANT_DEVICE_CODE || grant == GRANT_REFRESH_TOKEN
        } else {
            self.grant_types.iter().any(|g| g == grant)
        }
    }

    /// Whether CreateToken should return a refresh token for this client.
    pub(crate) fn gets_refresh_token(&self, policy: RefreshTokenPolicy) -> bool {
        match policy {
            RefreshTokenPolicy::Always => true,
            RefreshTokenPolicy::Never => false,
            _ => {
                !self.scopes.is_empty() || self.grant_types.iter().any(|g| g == GRANT_REFRESH_TOKEN)
            }
        }
    }
}

/// Lifecycle of a device authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    /// A token was issued; the device code cannot be used again.
    Consumed,
}

/// A StartDeviceAuthorization result being polled.
#[derive(Debug, Clone)]
pub(crate) struct DeviceAuth {
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    pub(crate) expires_at: Duration,
    /// Currently required polling interval (grows on slow-down).
    pub(crate) interval: Duration,
    pub(crate) last_poll: Option<Duration>,
    pub(crate) status: DeviceStatus,
    /// Creation order (for listing pending codes).
    pub(crate) seq: u64,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessRecord {
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Duration,
    pub(crate) revoked: bool,
}

/// State of a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshStatus {
    Active,
    /// Used once; replaced by a new refresh token.
    Rotated,
    Revoked,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Duration,
    pub(crate) status: RefreshStatus,
}

/// An authorization code issued by `/authorize`.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Duration,
    pub(crate) used: bool,
}

/// An `/authorize` request waiting for the person's decision (interactive
/// mode).
#[derive(Debug, Clone)]
pub(crate) struct PendingAuthorize {
    pub(crate) client_id: String,
    pub(crate) client_name: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Duration,
}

/// Where AWS credentials known to the SigV4 verification came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// A configured long-term key of an IAM user.
    Static,
    /// Portal GetRoleCredentials (IAM Identity Center permission set role).
    Portal,
    /// AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity.
    AssumedRole,
    /// AssumeRoot.
    Root,
    /// GetFederationToken.
    FederatedUser,
    /// GetSessionToken (same identity as the long-term key).
    Session,
    /// GetDelegatedAccessToken.
    Delegated,
    /// EC2 instance metadata (IMDS) instance profile credentials.
    InstanceProfile,
    /// Container (ECS / EKS pod identity style) credentials.
    Container,
}

impl CredentialKind {
    /// Name used by the control API.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CredentialKind::Static => "static",
            CredentialKind::Portal => "portal",
            CredentialKind::AssumedRole => "assumed-role",
            CredentialKind::Root => "root",
            CredentialKind::FederatedUser => "federated-user",
            CredentialKind::Session => "session",
            CredentialKind::Delegated => "delegated",
            CredentialKind::InstanceProfile => "instance-profile",
            CredentialKind::Container => "container",
        }
    }
}

/// A `ProvidedContexts` entry recorded with an assumed-role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProvidedContextRecord {
    pub(crate) provider_arn: String,
    pub(crate) context_assertion: String,
    /// The assertion is an identity context this emulator issued
    /// (CreateTokenWithIAM `awsAdditionalDetails.identityContext`).
    pub(crate) recognized: bool,
}

/// AWS credentials the emulator issued (or was configured with), keyed by
/// access key id in [`State::credentials`].
#[derive(Debug, Clone)]
pub(crate) struct IssuedCredential {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    /// Present for temporary credentials.
    pub(crate) session_token: Option<String>,
    /// Expiry, epoch milliseconds of the emulator's wall clock; `None` for
    /// long-term keys.
    pub(crate) expires_at_ms: Option<i64>,
    pub(crate) kind: CredentialKind,
    /// GetCallerIdentity `Account`.
    pub(crate) account: String,
    /// GetCallerIdentity `Arn`.
    pub(crate) arn: String,
    /// GetCallerIdentity `UserId`.
    pub(crate) user_id: String,
    pub(crate) source_identity: Option<String>,
    pub(crate) provided_contexts: Vec<ProvidedContextRecord>,
    /// Session tags (key, value).
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) transitive_tag_keys: Vec<String>,
    /// Issued with a valid MFA code (`aws:MultiFactorAuthPresent`).
    pub(crate) mfa_authenticated: bool,
    /// Issue order.
    pub(crate) seq: u64,
}

impl IssuedCredential {
    /// Whether these are temporary (session) credentials.
    pub(crate) fn is_temporary(&self) -> bool {
        self.session_token.is_some()
    }
}

/// A trade-in token for GetDelegatedAccessToken.
#[derive(Debug, Clone)]
pub(crate) struct TradeInToken {
    pub(crate) principal_arn: String,
    pub(crate) expires_at_ms: i64,
}

/// All mutable service state.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) clients: HashMap<String, Client>,
    /// Keyed by device code.
    pub(crate) devices: HashMap<String, DeviceAuth>,
    /// User code → device code.
    pub(crate) user_codes: HashMap<String, String>,
    pub(crate) access_tokens: HashMap<String, AccessRecord>,
    pub(crate) refresh_tokens: HashMap<String, RefreshRecord>,
    pub(crate) auth_codes: HashMap<String, AuthCode>,
    pub(crate) pending_authorize: HashMap<String, PendingAuthorize>,
    /// AWS credentials by access key id (portal, STS, static).
    pub(crate) credentials: HashMap<String, IssuedCredential>,
    /// Identity contexts returned by CreateTokenWithIAM.
    pub(crate) identity_contexts: HashSet<String>,
    /// GetDelegatedAccessToken trade-in tokens.
    pub(crate) trade_in_tokens: HashMap<String, TradeInToken>,
    /// IMDSv2 session tokens → emulator-clock expiry.
    pub(crate) imds_tokens: HashMap<String, Duration>,
    /// Access key id of the current IMDS instance profile credentials.
    pub(crate) imds_credential: Option<String>,
    /// Access key id of the current container credentials.
    pub(crate) container_credential: Option<String>,
    /// Console sign-in tokens issued by the federation endpoint.
    pub(crate) signin_tokens: HashMap<String, crate::signin::SigninRecord>,
    pub(crate) seq: u64,
}

/// Normalises a user code typed by a person: uppercase, no whitespace, and a
/// hyphen after four characters when missing.
pub(crate) fn normalize_user_code(s: &str) -> String {
    let mut c: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if c.len() == 8 && c.is_ascii() && !c.contains('-') {
        c.insert(4, '-');
    }
    c
}

impl State {
    /// Records the approval (`true`) or denial of a pending, unexpired user
    /// code. Returns whether such a code existed.
    pub(crate) fn decide(&mut self, user_code: &str, approve: bool, now: Duration) -> bool {
        let code = normalize_user_code(user_code);
        let Some(device_code) = self.user_codes.get(&code) else {
            return false;
        };
        match self.devices.get_mut(device_code) {
            Some(d) if d.status == DeviceStatus::Pending && now < d.expires_at => {
                d.status = if approve {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Denied
                };
                true
            }
            _ => false,
        }
    }

    /// User codes still waiting for a decision, oldest first.
    pub(crate) fn pending_user_codes(&self, now: Duration) -> Vec<String> {
        let mut v: Vec<&DeviceAuth> = self
            .devices
            .values()
            .filter(|d| d.status == DeviceStatus::Pending && now < d.expires_at)
            .collect();
        v.sort_by_key(|d| d.seq);
        v.into_iter().map(|d| d.user_code.clone()).collect()
    }

    /// Next sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// Tokens produced by one grant.
#[derive(Debug, Clone)]
pub(crate) struct IssuedPair {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: u32,
}

/// Everything a connection thread needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) config: EmulatorConfig,
    pub(crate) clock: Clock,
    pub(crate) ids: IdGen,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Mutex<Vec<FaultRule>>,
    pub(crate) stats: Mutex<Stats>,
    /// The last requests received.
    pub(crate) requests: Mutex<RequestLog>,
    pub(crate) base_url: String,
    pub(crate) shutdown: AtomicBool,
}

impl Ctx {
    /// A context for `config` serving at `base_url`.
    pub(crate) fn new(config: EmulatorConfig, base_url: String) -> Self {
        let mut state = State::default();
        for c in &config.static_credentials {
            let seq = state.next_seq();
            state.credentials.insert(
                c.access_key_id.clone(),
                IssuedCredential {
                    access_key_id: c.access_key_id.clone(),
                    secret_access_key: c.secret_access_key.clone(),
                    session_token: None,
                    expires_at_ms: None,
                    kind: CredentialKind::Static,
                    account: c.account_id.clone(),
                    arn: format!("arn:aws:iam::{}:user/{}", c.account_id, c.user_name),
                    user_id: format!(
                        "AIDA{}",
                        crate::ids::stable_upper_alnum(&c.access_key_id, 17)
                    ),
                    source_identity: None,
                    provided_contexts: Vec::new(),
                    tags: Vec::new(),
                    transitive_tag_keys: Vec::new(),
                    mfa_authenticated: false,
                    seq,
                },
            );
        }
        Ctx {
            config,
            clock: Clock::new(),
            ids: IdGen::new(),
            state: Mutex::new(state),
            faults: Mutex::new(Vec::new()),
            stats: Mutex::new(Stats::default()),
            requests: Mutex::new(RequestLog::default()),
            base_url,
            shutdown: AtomicBool::new(false),
        }
    }

    /// Locks the service state.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Creates a client registration.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register(
        &self,
        st: &mut State,
        client_name: String,
        scopes: Vec<String>,
        grant_types: Vec<String>,
        redirect_uris: Vec<String>,
        issuer_url: Option<String>,
        entitled_application_arn: Option<String>,
    ) -> Client {
        let now = self.clock.now();
        let issued = self.clock.epoch_secs();
        let lifetime = self.config.client_secret_lifetime;
        let client = Client {
            client_id: format!("emu{}", self.ids.token(24)),
            client_secret: format!(
                "eyJraWQiOiJrZXktZW11bGF0b3IiLCJhbGciOiJIUzM4NCJ9.{}",
                self.ids.token(96)
            ),
            client_name,
            scopes,
            grant_types,
            redirect_uris,
            issuer_url,
            entitled_application_arn,
            issued_at_epoch: issued,
            expires_at_epoch: issued
                .saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)),
            expires_at: now.saturating_add(lifetime),
        };
        st.clients.insert(client.client_id.clone(), client.clone());
        client
    }

    /// Issues an access token and, when `with_refresh`, a refresh token.
    pub(crate) fn issue(
        &self,
        st: &mut State,
        client_id: &str,
        scopes: &[String],
        with_refresh: bool,
    ) -> IssuedPair {
        let now = self.clock.now();
        let expires_in = self.config.access_token_expires_in;
        let access_token = format!("aoa{}", self.ids.token(64));
        st.access_tokens.insert(
            access_token.clone(),
            AccessRecord {
                scopes: scopes.to_vec(),
                expires_at: now.saturating_add(Duration::from_secs(u64::from(expires_in))),
                revoked: false,
            },
        );
        let refresh_token = with_refresh.then(|| {
            let rt = format!("aor{}", self.ids.token(64));
            st.refresh_tokens.insert(
                rt.clone(),
                RefreshRecord {
                    client_id: client_id.to_string(),
                    scopes: scopes.to_vec(),
                    expires_at: now.saturating_add(self.config.refresh_token_lifetime),
                    status: RefreshStatus::Active,
                },
            );
            rt
        });
        IssuedPair {
            access_token,
            refresh_token,
            expires_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_code_normalisation() {
        assert_eq!(normalize_user_code(" bcdf ghjk "), "BCDF-GHJK");
        assert_eq!(normalize_user_code("bcdf-ghjk"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("x"), "X");
    }

    #[test]
    fn default_grants() {
        let ctx = Ctx::new(EmulatorConfig::default(), "http://127.0.0.1:1".into());
        let mut st = State::default();
        let c = ctx.register(&mut st, "n".into(), vec![], vec![], vec![], None, None);
        assert!(c.allows_grant(GRANT_DEVICE_CODE));
        assert!(c.allows_grant(GRANT_REFRESH_TOKEN));
        assert!(!c.allows_grant(GRANT_AUTHORIZATION_CODE));
        assert!(!c.gets_refresh_token(RefreshTokenPolicy::WhenEligible));
        assert!(c.gets_refresh_token(RefreshTokenPolicy::Always));
        assert!(c.expires_at_epoch > c.issued_at_epoch);
    }
}
