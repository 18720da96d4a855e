//! A faithful, offline, local emulator of the AWS IAM Identity Center OIDC
//! service ("SSO OIDC") — plus the SSO portal API — for end-to-end tests of
//! client libraries.
//!
//! The emulator listens on `127.0.0.1` (port 0 by default), uses only
//! `std` threads (one per connection, HTTP/1.1 keep-alive) and no async
//! runtime.
//!
//! # Served routes
//!
//! | Route | Operation |
//! |---|---|
//! | `POST /client/register` | RegisterClient |
//! | `POST /device_authorization` | StartDeviceAuthorization |
//! | `POST /token` | CreateToken (device code, refresh token, authorization code) |
//! | `POST /token?aws_iam=t` | CreateTokenWithIAM (SigV4-signed, signing name `sso-oauth`; signature verified) |
//! | `GET /authorize`, `POST /authorize` | Authorization-code + PKCE (S256) front channel |
//! | `GET /device`, `POST /device` | Device verification page (buttons `#allow` / `#deny`, result `#result`) |
//! | `GET /federation/credentials`, `GET /assignment/accounts`, `GET /assignment/roles`, `POST /logout` | SSO portal API |
//! | `POST /` (form body `Action=<Op>&Version=2011-06-15&...`) | AWS STS (awsQuery): AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity, AssumeRoot, DecodeAuthorizationMessage, GetAccessKeyInfo, GetCallerIdentity, GetDelegatedAccessToken, GetFederationToken, GetSessionToken, GetWebIdentityToken |
//! | `PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/[<role>]` | EC2 instance metadata (IMDSv2) instance-profile credentials ([`Emulator::imds_endpoint`]) |
//! | `GET /container-credentials` | Container (ECS task role) credentials, `Authorization` required ([`Emulator::container_credentials_url`]) |
//! | `GET /federation?Action=getSigninToken&Session=<JSON>`, `GET /federation?Action=login&...&SigninToken=..` | Console federation endpoint ([`Emulator::federation_url`]): a sign-in token for temporary credentials the emulator issued (`sessionId`/`sessionKey`/`sessionToken`; unknown or wrong keys 403, expired 403 `ExpiredToken`, long-term keys 400, JSON errors), then an HTML "signed in" page naming the identity and the `Destination` (tokens last 15 minutes) |
//! | `/_emulator/...` | Test-control API (see below) |
//!
//! Every response carries `x-amzn-RequestId`. Errors of the OIDC operations
//! carry `x-amzn-ErrorType: <Shape>:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/`
//! and `{"error": "<oauth code>", "error_description": <text|null>}` with the
//! model's status (400, InvalidClientException 401, InternalServerException
//! 500). Unknown paths give 404 (`UnknownOperationException`), wrong methods
//! 405 (`MethodNotAllowedException`, with `Allow`).
//!
//! # STS and SigV4
//!
//! STS answers `text/xml` in the service's shape
//! (`<OpResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><OpResult>..`)
//! and errors as `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..`.
//! Every STS operation except AssumeRoleWithSAML and
//! AssumeRoleWithWebIdentity, and CreateTokenWithIAM, must be SigV4-signed
//! for the emulator's region ([`EmulatorConfig::region`]) with credentials
//! the emulator knows: role credentials from the portal's
//! GetRoleCredentials, credentials from STS itself, or static keys added
//! with [`EmulatorConfig::with_static_credentials`]. The signature is
//! recomputed and compared; `X-Amz-Date` must be within 15 minutes of the
//! emulator clock. STS errors: `MissingAuthenticationToken` (403),
//! `IncompleteSignature` (403), `InvalidClientTokenId` (403),
//! `SignatureDoesNotMatch` (403, also "Signature expired"),
//! `ExpiredToken` (400), `ValidationError` (400), `InvalidParameterValue`
//! (400), `AccessDenied` (403), `MissingAction` / `InvalidAction` (400) and
//! the modeled codes. [`Emulator::sts_sessions`] shows the issued sessions
//! (including AssumeRole `ProvidedContexts`).
//!
//! # Compute-platform credentials
//!
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT=<base URL>/` points SDKs at the IMDSv2
//! emulation: `PUT /latest/api/token` with
//! `x-aws-ec2-metadata-token-ttl-seconds` (1..=21600, else 400; GET → 405;
//! any `X-Forwarded-For` → 403) returns a session token valid for that
//! many seconds of emulator time; `GET
//! /latest/meta-data/iam/security-credentials/` with
//! `x-aws-ec2-metadata-token` returns the role name
//! ([`EmulatorConfig::instance_role_name`]) and `.../<role>` the JSON
//! credentials document (`Code`, `LastUpdated`, `Type`, `AccessKeyId`,
//! `SecretAccessKey`, `Token`, `Expiration`; another role → 404; a
//! missing, unknown or expired token → 401). Their identity is
//! `arn:aws:sts::<default account>:assumed-role/<role>/i-0123456789abcdef0`.
//!
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI=<base URL>/container-credentials`
//! with `AWS_CONTAINER_AUTHORIZATION_TOKEN` =
//! [`EmulatorConfig::container_authorization`] gives
//! `{"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"}` for
//! `arn:aws:sts::<default account>:assumed-role/<container role>/emulator-task`;
//! a missing or wrong `Authorization` → 401 `{"code":"AccessDenied",..}`.
//!
//! Both are temporary credentials STS accepts for SigV4 (see
//! [`Emulator::sts_sessions`], kinds `instance-profile` and `container`).
//!
//! # MFA and trust policies
//!
//! [`EmulatorConfig::with_mfa_device`] adds a virtual MFA device: AssumeRole
//! and GetSessionToken with its `SerialNumber` need `TokenCode` = its RFC
//! 6238 code ([`totp_code`]) at the emulator's clock (the previous and next
//! 30-second windows are accepted, codes may be reused); an unknown serial
//! or a wrong or missing code is `403 AccessDenied` `MultiFactorAuthentication
//! failed with invalid MFA one time pass code. `. While no device is
//! configured, any six-digit code passes.
//!
//! [`EmulatorConfig::with_role_trust`] gives a role [`RoleTrust`]
//! conditions (`ExternalId`, MFA); AssumeRole that misses one is `403
//! AccessDenied` `User: <caller arn> is not authorized to perform:
//! sts:AssumeRole on resource: <role arn>`.
//!
//! # Time
//!
//! The emulator has its own clock (real monotonic time plus an offset moved
//! forward with [`Emulator::advance`]); all expiries use it, so tests never
//! need to sleep.
//!
//! # Control API
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `GET /_emulator/health` | — | `{"ok":true,"baseUrl":..,"imdsEndpoint":..,"containerCredentialsUrl":..}` |
//! | `POST /_emulator/approve` / `deny` | `{"userCode":..}` | `{"userCode":..,"approved"/"denied":true}` or 404 |
//! | `GET /_emulator/pending` | — | `{"userCodes":[..]}` |
//! | `POST /_emulator/advance` | `{"seconds":n}` | `{"offsetSeconds":total}` |
//! | `GET`/`POST`/`DELETE /_emulator/faults` | rule or `[rules]` for POST | `{"faults":[..]}` / `{"queued":n}` / `{"cleared":n}` |
//! | `GET /_emulator/stats` | — | [`Stats`] |
//! | `GET /_emulator/clients` | — | `{"clients":[..]}` ([`RegisteredClient`], camelCase) |
//! | `POST /_emulator/reset-stats` | — | zeroed [`Stats`] |
//! | `POST /_emulator/issue-token` | `{"scopes":[..]}` | [`IssuedToken`] (camelCase) |
//! | `POST /_emulator/revoke` | `{"refreshToken":..}` / `{"accessToken":..}` | `{"revoked":bool}` |
//! | `GET /_emulator/sts-sessions` | — | `{"sessions":[..]}` ([`StsSession`], camelCase) |
//! | `POST /_emulator/trade-in-token` | `{"principalArn":..}` | `{"tradeInToken":..}` |
//! | `GET`/`DELETE /_emulator/requests` | — | `[..]` ([`LoggedRequest`], camelCase; the last [`MAX_LOGGED_REQUESTS`]) / `{"cleared":n}` |
//!
//! # Example
//!
//! ```no_run
//! use oidc_emulator::{Emulator, EmulatorConfig};
//!
//! let emu = Emulator::start(EmulatorConfig::default().with_interval(5))?;
//! println!("SSO OIDC endpoint: {}", emu.base_url());
//! // ... drive a client against emu.base_url(), then:
//! # let user_code = String::new();
//! emu.approve(&user_code);
//! emu.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]

mod clock;
mod config;
mod control;
mod error;
mod faults;
mod handlers;
mod html;
mod http;
mod ids;
mod isotime;
mod metadata;
mod mfa;
mod pkce;
mod portal;
mod reqlog;
mod server;
mod signin;
mod sigv4_verify;
mod state;
mod stats;
mod sts;
mod urlutil;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub use config::{
    AuthorizeMode, EmulatorConfig, MfaDevice, PortalAccount, RefreshTokenPolicy, RoleTrust,
    StaticCredentials, WrongRegion,
};
pub use control::{IssuedToken, ProvidedContext, RegisteredClient, StsSession};
pub use faults::{FaultKind, FaultRule, FaultTarget};
pub use mfa::totp_code;
pub use reqlog::{LoggedRequest, MAX_LOGGED_REQUESTS, REDACTED};
pub use stats::Stats;
pub use sts::StsOperation;

use server::Registry;
use state::Ctx;

/// A running emulator. Dropping it (or calling [`Emulator::shutdown`])
/// stops the server.
#[derive(Debug)]
pub struct Emulator {
    ctx: Arc<Ctx>,
    registry: Arc<Registry>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `127.0.0.1:<config.port>` and starts serving.
    pub fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let ctx = Arc::new(Ctx::new(config, base_url));
        let registry = Arc::new(Registry::default());
        let acceptor = server::spawn_acceptor(listener, Arc::clone(&ctx), Arc::clone(&registry))?;
        Ok(Emulator {
            ctx,
            registry,
            addr,
            acceptor: Some(acceptor),
        })
    }

    /// [`Emulator::start`] with the default configuration.
    pub fn start_default() -> std::io::Result<Emulator> {
        Emulator::start(EmulatorConfig::default())
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). Use it as
    /// the SSO OIDC endpoint and as the portal endpoint.
    pub fn base_url(&self) -> String {
        self.ctx.base_url.clone()
    }

    /// The IMDS endpoint, `http://127.0.0.1:<port>/` (with the trailing
    /// slash), for `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub fn imds_endpoint(&self) -> String {
        format!("{}/", self.ctx.base_url)
    }

    /// The container credentials URL,
    /// `http://127.0.0.1:<port>/container-credentials`, for
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (with
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` set to
    /// [`EmulatorConfig::container_authorization`]).
    pub fn container_credentials_url(&self) -> String {
        format!("{}/container-credentials", self.ctx.base_url)
    }

    /// The console federation endpoint,
    /// `http://127.0.0.1:<port>/federation` (`getSigninToken` and `login`).
    pub fn federation_url(&self) -> String {
        format!("{}/federation", self.ctx.base_url)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.ctx.config
    }

    /// Approves a pending device authorization by user code (case and a
    /// missing hyphen are tolerated). Returns `false` if no pending,
    /// unexpired authorization has this code.
    pub fn approve(&self, user_code: &str) -> bool {
        control::approve(&self.ctx, user_code, true)
    }

    /// Denies a pending device authorization (see [`Emulator::approve`]).
    pub fn deny(&self, user_code: &str) -> bool {
        control::approve(&self.ctx, user_code, false)
    }

    /// User codes of pending, unexpired device authorizations, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        control::pending(&self.ctx)
    }

    /// Moves the emulator clock forward.
    pub fn advance(&self, d: Duration) {
        self.ctx.clock.advance(d);
    }

    /// Total offset added with [`Emulator::advance`] so far.
    pub fn clock_offset(&self) -> Duration {
        self.ctx.clock.offset()
    }

    /// Queues a fault-injection rule (applied after the ones already queued).
    pub fn push_fault(&self, rule: FaultRule) {
        control::push_fault(&self.ctx, rule);
    }

    /// Removes all queued fault rules.
    pub fn clear_faults(&self) {
        control::clear_faults(&self.ctx);
    }

    /// Fault rules not yet used up.
    pub fn faults(&self) -> Vec<FaultRule> {
        state::lock(&self.ctx.faults).clone()
    }

    /// Request counters.
    pub fn stats(&self) -> Stats {
        control::stats(&self.ctx)
    }

    /// Client registrations known to the emulator (oldest first), with
    /// exactly what was sent to RegisterClient.
    pub fn clients(&self) -> Vec<RegisteredClient> {
        control::clients(&self.ctx)
    }

    /// The last requests the emulator received (at most
    /// [`MAX_LOGGED_REQUESTS`]), oldest first: method, target, headers as
    /// received, body length, the operation routed to, the response
    /// status, the decoded parameters (secrets redacted) and the SigV4
    /// credential scope. See [`LoggedRequest`].
    pub fn requests(&self) -> Vec<LoggedRequest> {
        state::lock(&self.ctx.requests).snapshot()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        state::lock(&self.ctx.requests).clear();
    }

    /// Zeroes the request counters.
    pub fn reset_stats(&self) {
        control::reset_stats(&self.ctx);
    }

    /// Registers a client (grants device_code + refresh_token, the given
    /// scopes) and issues an access token and a refresh token for it without
    /// any flow — e.g. to set up refresh or portal tests.
    pub fn issue_token(&self, scopes: &[&str]) -> IssuedToken {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_string()).collect();
        control::issue_token(&self.ctx, &scopes)
    }

    /// Revokes a refresh token (later use → InvalidGrantException). Returns
    /// whether an active token was revoked.
    pub fn revoke_refresh_token(&self, refresh_token: &str) -> bool {
        control::revoke_refresh_token(&self.ctx, refresh_token)
    }

    /// Revokes an access token (portal calls → UnauthorizedException,
    /// token exchange → InvalidGrantException). Returns whether an active
    /// token was revoked.
    pub fn revoke_access_token(&self, access_token: &str) -> bool {
        control::revoke_access_token(&self.ctx, access_token)
    }

    /// AWS credentials known to STS and the SigV4 verification (configured
    /// static keys, portal role credentials, STS sessions), oldest first,
    /// with what their sessions were created with (`ProvidedContexts`,
    /// `SourceIdentity`, tags).
    pub fn sts_sessions(&self) -> Vec<StsSession> {
        control::sts_sessions(&self.ctx)
    }

    /// Creates a trade-in token for STS GetDelegatedAccessToken that yields
    /// credentials for `principal_arn` (e.g.
    /// `arn:aws:sts::123456789012:assumed-role/demo/session`). Valid for 15
    /// minutes of emulator time, single use.
    pub fn issue_trade_in_token(&self, principal_arn: &str) -> String {
        control::issue_trade_in_token(&self.ctx, principal_arn)
    }

    /// Stops the server and waits (bounded, a few seconds at most) for
    /// connection threads to finish.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.acceptor.is_some() {
            server::stop(&self.ctx, &self.registry, self.addr, self.acceptor.take());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
