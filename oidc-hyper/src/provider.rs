//! The token provider: the AWS CLI SSO token cache (through `oidc-host`),
//! refreshed with the client's retrying sender, signing in with the device
//! flow when nothing else works.
//!
//! oidc-host's session lock is a blocking file lock; this module never
//! blocks the executor on it: it polls `try_lock` on the caller's timer
//! with oidc-host's [`LockPoll`](oidc_host::LockPoll) schedule. Reading and
//! writing the small cache files is done inline (a few file-system calls).

use std::time::{Duration, SystemTime};

use oidc_core::cache::{CachedToken, RefreshPolicy};
use oidc_core::device_flow::Prompt;
use oidc_core::sso_oidc::create_token;
use oidc_core::Operation;
use oidc_host::{
    CacheDir, Next, Refresh, RegistrationInfo, Session, SessionLock, TokenProvider,
    TransportFailure,
};

use crate::client::Client;
use crate::error::Error;
use crate::rt::CancelToken;

impl Client {
    /// The cached token of `session_key`, refreshed if it is inside the
    /// refresh window. Never signs in: a missing or unusable token is
    /// [`Error::LoginRequired`].
    ///
    /// The session lock is held from reading the cache to writing the
    /// refreshed token, so concurrent callers (tasks or processes) never
    /// refresh twice: they wait (at most `lock_timeout`, polling on the
    /// client's timer, never blocking the executor) and then find the new
    /// token.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`], [`Error::Token`] (session ended, refresh
    /// failed: see `oidc_host::TokenError::still_valid` for a token that
    /// is still usable), [`Error::Host`] (lock timeout, file system).
    ///
    /// ```no_run
    /// # #[cfg(feature = "tokio")]
    /// # async fn example() -> Result<(), oidc_hyper::Error> {
    /// use std::time::Duration;
    /// use oidc_host::CacheDir;
    /// use oidc_hyper::{Client, Config};
    ///
    /// let client = Client::tokio(Config::for_region("eu-west-1"))?;
    /// let token = client
    ///     .cached_token(&CacheDir::from_env()?, "my-sso", Duration::from_secs(30))
    ///     .await?;
    /// println!("token expires at {:?}", token.expires_at);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cached_token(
        &self,
        dir: &CacheDir,
        session_key: &str,
        lock_timeout: Duration,
    ) -> Result<CachedToken, Error> {
        let provider =
            self.inner
                .providers
                .get(dir, session_key, self.endpoint(), RefreshPolicy::default());
        let held = self.lock_session(&provider, lock_timeout, None).await?;
        match provider.begin(held, SystemTime::now())? {
            Next::Ready(token) => Ok(token),
            Next::Refresh(refresh) => self.refresh(refresh, None).await,
            Next::LoginRequired(login) => Err(Error::LoginRequired {
                reason: login.reason().clone(),
            }),
        }
    }

    /// The session's token: the cached one, refreshed when due, or, when
    /// there is none (or it cannot be refreshed), a new one from the device
    /// flow with `prompt` showing the code, written to the cache.
    ///
    /// A cached device-flow registration is reused while it has 15 minutes
    /// left; otherwise the client registers and caches the registration.
    /// The session lock is held for the whole sequence.
    ///
    /// # Errors
    ///
    /// As [`Client::cached_token`] (except `LoginRequired`) plus the errors
    /// of [`Client::run_device_flow`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "tokio")]
    /// # async fn example() -> Result<(), oidc_hyper::Error> {
    /// use oidc_host::CacheDir;
    /// use oidc_hyper::{CancelToken, Client, Config, Session};
    ///
    /// let client = Client::tokio(Config::for_region("eu-west-1"))?;
    /// let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start")
    ///     .with_scopes(["sso:account:access"]);
    /// let token = client
    ///     .session_token(
    ///         &session,
    ///         |prompt| eprintln!("Open {} and confirm {}", prompt.uri_to_open(), prompt.user_code),
    ///         &CancelToken::new(),
    ///     )
    ///     .await?;
    /// println!("token expires at {:?}", token.expires_at);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn session_token(
        &self,
        session: &Session,
        prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let provider = self.inner.providers.get(
            &session.dir,
            &session.session_key,
            self.endpoint(),
            session.refresh_policy,
        );
        let held = self
            .lock_session(&provider, session.lock_timeout, Some(cancel))
            .await?;
        let login = match provider.begin(held, SystemTime::now())? {
            Next::Ready(token) => return Ok(token),
            Next::Refresh(refresh) => return self.refresh(refresh, Some(cancel)).await,
            Next::LoginRequired(login) => login,
        };
        let registration = self.device_registration(session, cancel).await?;
        let token = self
            .device_token(&registration, &session.start_url, prompt, cancel)
            .await?;
        Ok(login.store(
            SystemTime::now(),
            &token,
            &registration,
            &session.start_url,
            &self.config().region,
        )?)
    }

    /// Takes the session lock without blocking the executor: `try_lock`,
    /// then pause on the client's timer per oidc-host's schedule, until the
    /// lock is free, `timeout` has passed or `cancel` fires.
    async fn lock_session(
        &self,
        provider: &TokenProvider,
        timeout: Duration,
        cancel: Option<&CancelToken>,
    ) -> Result<SessionLock, Error> {
        let mut schedule = provider.lock_poll(timeout);
        let mut waited = Duration::ZERO;
        loop {
            if let Some(held) = provider.try_lock()? {
                return Ok(held);
            }
            let pause = schedule.next_pause(waited)?;
            self.sleep(pause, cancel).await?;
            waited += pause;
        }
    }

    /// A cached device-flow registration still good for 15 minutes, or a
    /// new one (then cached).
    async fn device_registration(
        &self,
        session: &Session,
        cancel: &CancelToken,
    ) -> Result<RegistrationInfo, Error> {
        let region = &self.config().region;
        if let Some(info) = session.cached_registration(region, SystemTime::now())? {
            return Ok(info);
        }
        let input = session.registration_input();
        let request = oidc_core::sso_oidc::register_client::request(&input, self.endpoint())?;
        let output = self
            .call(Operation::RegisterClient, &request, Some(cancel), |r| {
                oidc_core::sso_oidc::register_client::parse(r)
            })
            .await?;
        Ok(session.store_registration(region, &output)?)
    }

    /// Sends the refresh request with the retrying sender and hands the
    /// outcome (the last response, or the transport failure) to the
    /// provider, which decides and writes the cache.
    async fn refresh(
        &self,
        refresh: Refresh,
        cancel: Option<&CancelToken>,
    ) -> Result<CachedToken, Error> {
        let sent = self
            .send_parsed(Operation::CreateToken, refresh.request(), cancel, |r| {
                create_token::parse(r)
            })
            .await;
        let now = SystemTime::now();
        match sent {
            Ok(response) => Ok(refresh.finish(now, Ok(&response))?),
            Err(
                e @ (Error::Transport { .. } | Error::Timeout { .. } | Error::BodyTooLarge { .. }),
            ) => {
                let failure = if e.is_timeout() {
                    TransportFailure::timeout(e.to_string())
                } else {
                    TransportFailure::new(e.to_string())
                };
                Ok(refresh.finish::<Vec<u8>>(now, Err(failure))?)
            }
            Err(e) => Err(e),
        }
    }
}
