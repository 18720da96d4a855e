//! The token provider: the AWS CLI SSO token cache (through `oidc-host`),
//! refreshed with the client's retrying sender, signing in with the device
//! flow when nothing else works.

use std::time::{Duration, SystemTime};

use oidc_core::cache::{CachedToken, RefreshPolicy};
use oidc_core::device_flow::Prompt;
use oidc_core::sso_oidc::create_token;
use oidc_core::{http, ErrorCode, Operation};
use oidc_host::{
    CacheDir, Next, Refresh, Refreshed, RegistrationInfo, Session, TokenError, TransportFailure,
};

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::Error;

impl Client {
    /// The cached token of `session_key`, refreshed if it is inside the
    /// refresh window. Never signs in: a missing or unusable token is
    /// [`Error::LoginRequired`].
    ///
    /// The session lock is held from reading the cache to writing the
    /// refreshed token, so concurrent callers (threads or processes) never
    /// refresh twice: they wait (at most `lock_timeout`) and then find the
    /// new token.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`], [`Error::Token`] (session ended, refresh
    /// failed: see `oidc_host::TokenError::still_valid` for a token that
    /// is still usable), [`Error::InsecureEndpoint`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use oidc_host::CacheDir;
    /// use oidc_ureq::{Client, Config};
    ///
    /// let client = Client::new(Config::for_region("eu-west-1"))?;
    /// let token = client.cached_token(&CacheDir::from_env()?, "my-sso", Duration::from_secs(30))?;
    /// println!("token expires at {:?}", token.expires_at);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn cached_token(
        &self,
        dir: &CacheDir,
        session_key: &str,
        lock_timeout: Duration,
    ) -> Result<CachedToken, Error> {
        let provider =
            self.providers()
                .get(dir, session_key, self.endpoint(), RefreshPolicy::default());
        let lock = provider.lock(lock_timeout)?;
        match provider.begin(lock, SystemTime::now())? {
            Next::Ready(token) => Ok(token),
            Next::Refresh(refresh) => self.refresh(refresh),
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
    /// use oidc_host::CacheDir;
    /// use oidc_ureq::{CancelToken, Client, Config, Session};
    ///
    /// let client = Client::new(Config::for_region("eu-west-1"))?;
    /// let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start")
    ///     .with_scopes(["sso:account:access"]);
    /// let token = client.session_token(
    ///     &session,
    ///     |prompt| eprintln!("Open {} and confirm {}", prompt.uri_to_open(), prompt.user_code),
    ///     &CancelToken::new(),
    /// )?;
    /// println!("token expires at {:?}", token.expires_at);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn session_token(
        &self,
        session: &Session,
        mut prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let provider = self.providers().get(
            &session.dir,
            &session.session_key,
            self.endpoint(),
            session.refresh_policy,
        );
        let lock = provider.lock(session.lock_timeout)?;
        let (login, registration_rejected) = match provider.begin(lock, SystemTime::now())? {
            Next::Ready(token) => return Ok(token),
            Next::Refresh(refresh) => {
                let outcome = self.send_refresh(&refresh)?;
                let now = SystemTime::now();
                let refreshed = match &outcome {
                    Ok(response) => refresh.finish_or_login(now, Ok(response))?,
                    Err(failure) => {
                        refresh.finish_or_login::<Vec<u8>>(now, Err(failure.clone()))?
                    }
                };
                match refreshed {
                    Refreshed::Token(token) => return Ok(token),
                    Refreshed::LoginRequired { error, login } => {
                        let rejected = matches!(
                            *error,
                            TokenError::SessionEnded { ref error, .. }
                                if matches!(
                                    error.code(),
                                    Some(ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient)
                                )
                        );
                        (login, rejected)
                    }
                }
            }
            Next::LoginRequired(login) => (login, false),
        };
        // The lock inside `login` is held until the new token is stored.
        let mut registration = self.device_registration(session, registration_rejected)?;
        let mut fresh = registration_rejected;
        let token = loop {
            let outcome =
                self.device_token(&registration.info, &session.start_url, &mut prompt, cancel);
            match outcome {
                // A cached registration the service no longer accepts:
                // register again, once.
                Err(e)
                    if registration.cached
                        && !fresh
                        && matches!(
                            e.code(),
                            Some(ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient)
                        ) =>
                {
                    registration = self.device_registration(session, true)?;
                    fresh = true;
                }
                other => break other?,
            }
        };
        Ok(login.store(
            SystemTime::now(),
            &token,
            &registration.info,
            &session.start_url,
            &self.config().region,
        )?)
    }

    /// A cached device-flow registration still good for 15 minutes (unless
    /// `force_new`), or a new one (then cached).
    fn device_registration(
        &self,
        session: &Session,
        force_new: bool,
    ) -> Result<Registration, Error> {
        let region = &self.config().region;
        if !force_new {
            if let Some(info) = session.cached_registration(region, SystemTime::now())? {
                return Ok(Registration { info, cached: true });
            }
        }
        let output = self.register_client(&session.registration_input())?;
        Ok(Registration {
            info: session.store_registration(region, &output)?,
            cached: false,
        })
    }

    /// Sends the refresh request with the retrying sender and hands the
    /// outcome to the provider.
    fn refresh(&self, refresh: Refresh) -> Result<CachedToken, Error> {
        let outcome = self.send_refresh(&refresh)?;
        let now = SystemTime::now();
        Ok(match &outcome {
            Ok(response) => refresh.finish(now, Ok(response))?,
            Err(failure) => refresh.finish::<Vec<u8>>(now, Err(failure.clone()))?,
        })
    }

    /// Sends the refresh request with the retrying sender: the last
    /// response, or the transport failure as data for the provider.
    fn send_refresh(
        &self,
        refresh: &Refresh,
    ) -> Result<Result<http::Response<Vec<u8>>, TransportFailure>, Error> {
        let sent = self.exchange(
            Operation::CreateToken,
            refresh.request(),
            |_| Ok(()),
            create_token::parse,
            None,
        );
        match sent {
            Ok(exchange) => Ok(Ok(exchange.response)),
            Err(e @ (Error::Transport { .. } | Error::BodyTooLarge { .. })) => {
                Ok(Err(if e.is_timeout() {
                    TransportFailure::timeout(e.to_string())
                } else {
                    TransportFailure::new(e.to_string())
                }))
            }
            Err(e) => Err(e),
        }
    }
}

/// The registration a sign-in uses, and whether it came from the cache.
struct Registration {
    info: RegistrationInfo,
    cached: bool,
}
