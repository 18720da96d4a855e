//! Blocking local work as data: [`Job`], what a flow asks to be done off
//! the async threads, and [`JobDone`], its typed result.
//!
//! A flow hands out a [`Job`] in
//! [`Local::Blocking`](crate::Local::Blocking); the driver calls
//! [`Job::run`] where blocking is allowed (a blocking client on its own
//! thread, an async one on its executor's blocking pool) and hands the
//! [`JobDone`] back in [`Event::Job`](crate::Event::Job). Every kind of
//! work is a variant with typed inputs and a typed result; nothing is
//! type-erased.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use oidc_core::cache::credentials::{
    credentials_decision, CachedCredentials, CredentialsRefreshPolicy,
};
use oidc_core::cache::{CachedToken, RegistrationUse};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::sso_oidc::register_client::RegisterClientOutput;
use oidc_core::Credentials;

use oidc_core::secret::WebIdentityToken;

use crate::credentials::{CredentialsCacheDir, EnvLookup, MfaPrompt};
use crate::error::{HostError, SourceError, TokenError};
use crate::token::lock::SessionLock;
use crate::token::provider::{Login, Next, Refresh, Refreshed, RegistrationInfo, TokenProvider};
use crate::token::session::Session;

/// Blocking work a flow needs done. Run it with [`Job::run`].
pub struct Job(pub(crate) Box<Work>);

/// What a [`Job`] does, with its inputs.
pub(crate) enum Work {
    /// Take the session's lock, then read its cached token (or, forced,
    /// prepare a sign-in).
    OpenSession {
        provider: TokenProvider,
        timeout: Duration,
        force: bool,
        wall: SystemTime,
    },
    /// Write the refreshed token, or decide that the session has ended.
    FinishRefresh {
        refresh: Refresh,
        wall: SystemTime,
        outcome: Result<CreateTokenOutput, oidc_core::Error>,
    },
    /// Read the session's cached client registration.
    ReadRegistration {
        login: Login,
        session: Session,
        flow: RegistrationUse,
        region: String,
        wall: SystemTime,
    },
    /// Write a new client registration.
    StoreRegistration {
        login: Login,
        session: Session,
        flow: RegistrationUse,
        region: String,
        output: RegisterClientOutput,
    },
    /// Write the new token of a sign-in and release the session's lock.
    StoreToken {
        login: Login,
        token: CreateTokenOutput,
        registration: RegistrationInfo,
        start_url: String,
        region: String,
        wall: SystemTime,
    },
    /// Take a role-credentials entry's lock and read it.
    OpenRoleCredentials {
        cache: CredentialsCacheDir,
        file_name: String,
        timeout: Duration,
        account_id: String,
        policy: CredentialsRefreshPolicy,
        wall: SystemTime,
    },
    /// Write role credentials and release the entry's lock.
    StoreRoleCredentials {
        cache: CredentialsCacheDir,
        file_name: String,
        lock: SessionLock,
        credentials: Credentials,
    },
    /// Write an assumed role's entry (botocore's layout) and release the
    /// entry's lock.
    StoreAssumedRole {
        cache: CredentialsCacheDir,
        file_name: String,
        lock: SessionLock,
        credentials: Credentials,
        entry: Vec<u8>,
    },
    /// Ask the user for the code of an MFA device.
    AskMfaCode { prompt: MfaPrompt, serial: String },
    /// Run a `credential_process` command and read its credentials.
    RunProcess { command: String, timeout: Duration },
    /// Read a web identity token file.
    ReadWebIdentityToken { path: PathBuf },
    /// Find the container credentials endpoint and its authorization.
    PrepareContainer { env: EnvLookup },
}

/// The typed result of a [`Job`], for [`Event::Job`](crate::Event::Job).
pub struct JobDone(pub(crate) Box<Done>);

/// A role-credentials entry after its lock was taken.
pub(crate) enum Opened {
    /// Fresh: the lock is released.
    Fresh(Credentials),
    /// Missing or due: the lock is held for the fetch.
    Fetch(SessionLock),
}

pub(crate) enum Done {
    SessionOpened(Result<Next, TokenError>),
    Refreshed(Result<Refreshed, TokenError>),
    Registration {
        login: Login,
        cached: Result<Option<RegistrationInfo>, HostError>,
    },
    RegistrationStored {
        login: Login,
        stored: Result<RegistrationInfo, HostError>,
    },
    TokenStored(Result<CachedToken, TokenError>),
    RoleCredentialsOpened(Result<Opened, HostError>),
    RoleCredentialsStored {
        credentials: Credentials,
        result: Result<(), HostError>,
    },
    MfaCode(Result<String, SourceError>),
    ProcessFinished(Result<Credentials, SourceError>),
    WebIdentityToken(Result<WebIdentityToken, SourceError>),
    ContainerReady(Result<http::Request<Vec<u8>>, SourceError>),
}

impl Job {
    /// Does the work: may block on the file system and on cross-process
    /// locks (each bounded by its timeout).
    pub fn run(self) -> JobDone {
        JobDone(Box::new(match *self.0 {
            Work::OpenSession {
                provider,
                timeout,
                force,
                wall,
            } => Done::SessionOpened(provider.lock(timeout).and_then(|lock| {
                if force {
                    provider.login(lock).map(Next::LoginRequired)
                } else {
                    provider.begin(lock, wall)
                }
            })),
            Work::FinishRefresh {
                refresh,
                wall,
                outcome,
            } => Done::Refreshed(refresh.finish_or_login(wall, outcome)),
            Work::ReadRegistration {
                login,
                session,
                flow,
                region,
                wall,
            } => Done::Registration {
                login,
                cached: session.cached_registration_for(flow, &region, wall),
            },
            Work::StoreRegistration {
                login,
                session,
                flow,
                region,
                output,
            } => Done::RegistrationStored {
                login,
                stored: session.store_registration_for(flow, &region, &output),
            },
            Work::StoreToken {
                login,
                token,
                registration,
                start_url,
                region,
                wall,
            } => Done::TokenStored(login.store(wall, &token, &registration, &start_url, &region)),
            Work::OpenRoleCredentials {
                cache,
                file_name,
                timeout,
                account_id,
                policy,
                wall,
            } => Done::RoleCredentialsOpened(open_role_credentials(
                &cache,
                &file_name,
                timeout,
                &account_id,
                &policy,
                wall,
            )),
            Work::StoreRoleCredentials {
                cache,
                file_name,
                lock,
                credentials,
            } => {
                let result = cache.write(&file_name, &CachedCredentials::sso(credentials.clone()));
                drop(lock);
                Done::RoleCredentialsStored {
                    credentials,
                    result,
                }
            }
            Work::StoreAssumedRole {
                cache,
                file_name,
                lock,
                credentials,
                entry,
            } => {
                let result = cache.write_bytes(&file_name, &entry);
                drop(lock);
                Done::RoleCredentialsStored {
                    credentials,
                    result,
                }
            }
            Work::AskMfaCode { prompt, serial } => Done::MfaCode(
                prompt
                    .ask(&serial)
                    .map(|code| code.trim().to_owned())
                    .map_err(SourceError::MfaPrompt),
            ),
            Work::RunProcess { command, timeout } => {
                Done::ProcessFinished(crate::credentials::process::run(&command, timeout))
            }
            Work::ReadWebIdentityToken { path } => {
                Done::WebIdentityToken(crate::credentials::sources::read_web_identity_token(&path))
            }
            Work::PrepareContainer { env } => {
                Done::ContainerReady(crate::credentials::sources::container_request(&env))
            }
        }))
    }

    /// What the job does, in a few words (for logs).
    pub fn describe(&self) -> &'static str {
        match &*self.0 {
            Work::OpenSession { .. } => "lock the session and read its token",
            Work::FinishRefresh { .. } => "write the refreshed token",
            Work::ReadRegistration { .. } => "read the client registration",
            Work::StoreRegistration { .. } => "write the client registration",
            Work::StoreToken { .. } => "write the new token",
            Work::OpenRoleCredentials { .. } => "lock and read the role credentials",
            Work::StoreRoleCredentials { .. } | Work::StoreAssumedRole { .. } => {
                "write the role credentials"
            }
            Work::AskMfaCode { .. } => "ask for the MFA code",
            Work::RunProcess { .. } => "run the credential_process command",
            Work::ReadWebIdentityToken { .. } => "read the web identity token file",
            Work::PrepareContainer { .. } => "find the container credentials endpoint",
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Job").field(&self.describe()).finish()
    }
}

impl fmt::Debug for JobDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &*self.0 {
            Done::SessionOpened(_) => "SessionOpened",
            Done::Refreshed(_) => "Refreshed",
            Done::Registration { .. } => "Registration",
            Done::RegistrationStored { .. } => "RegistrationStored",
            Done::TokenStored(_) => "TokenStored",
            Done::RoleCredentialsOpened(_) => "RoleCredentialsOpened",
            Done::RoleCredentialsStored { .. } => "RoleCredentialsStored",
            Done::MfaCode(_) => "MfaCode",
            Done::ProcessFinished(_) => "ProcessFinished",
            Done::WebIdentityToken(_) => "WebIdentityToken",
            Done::ContainerReady(_) => "ContainerReady",
        };
        f.debug_tuple("JobDone").field(&what).finish()
    }
}

/// Under the entry's lock: the entry when fresh (the lock is released),
/// else the lock for the fetch.
fn open_role_credentials(
    cache: &CredentialsCacheDir,
    file_name: &str,
    timeout: Duration,
    account_id: &str,
    policy: &CredentialsRefreshPolicy,
    wall: SystemTime,
) -> Result<Opened, HostError> {
    let lock = cache.lock(file_name, timeout)?;
    let (entry, _warning) = cache.read(file_name)?;
    match entry {
        Some(entry) if credentials_decision(&entry.credentials, wall, policy).is_fresh() => {
            let mut credentials = entry.credentials;
            if credentials.account_id.is_none() && !account_id.is_empty() {
                // Older botocore did not record it.
                credentials.account_id = Some(account_id.to_owned());
            }
            Ok(Opened::Fresh(credentials))
        }
        _ => Ok(Opened::Fetch(lock)),
    }
}
