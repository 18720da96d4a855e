//! The client: one async method per SSO OIDC operation, with retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use oidc_core::endpoint::Endpoint;
use oidc_core::retry::{self, RetryClass, RetryDecision, RetryPolicy, RetryQuota};
use oidc_core::sso_oidc::create_token::{self, CreateTokenInput, CreateTokenOutput};
use oidc_core::sso_oidc::create_token_with_iam::{
    self, CreateTokenWithIamInput, CreateTokenWithIamOutput,
};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput, RegisterClientOutput};
use oidc_core::sso_oidc::start_device_authorization::{
    self, StartDeviceAuthorizationInput, StartDeviceAuthorizationOutput,
};
use oidc_core::Operation;
use oidc_host::{Config, ConfigError, TokenProviders};

use crate::error::Error;
use crate::rt::{lock, or_cancel, CancelToken, Connector, Executor, Timer};
use crate::transport::{transport_class, Transport};
use oidc_host::BoxError;

/// An async SSO OIDC client over hyper 1.x, on the caller's runtime.
///
/// Cheap to clone (all clones share one connection pool and one retry
/// quota). Build it with [`Client::new`] from a [`Connector`], a [`Timer`]
/// and an [`Executor`], or with `Client::tokio` (feature `tokio`).
///
/// Every operation method sends oidc-core's request, retries per
/// [`oidc_core::retry`] (policy from [`Config::retry`], shared
/// [`RetryQuota`]) and returns oidc-core's parsed output or error.
///
/// ```no_run
/// # #[cfg(feature = "tokio")]
/// # async fn example() -> Result<(), oidc_hyper::Error> {
/// use oidc_core::sso_oidc::register_client::RegisterClientInput;
/// use oidc_hyper::{Client, Config};
///
/// let client = Client::tokio(Config::for_region("eu-west-1"))?;
/// let registration = client.register_client(&RegisterClientInput::new("my-tool")).await?;
/// println!("registered {}", registration.client_id);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) endpoint: Endpoint,
    pub(crate) transport: Transport,
    pub(crate) quota: Mutex<RetryQuota>,
    /// Token providers per (cache directory, session key), kept so the
    /// refresh throttling of `RefreshPolicy` holds across calls.
    pub(crate) providers: TokenProviders,
}

impl Client {
    /// A client on any runtime: `connector` opens connections, `timer`
    /// sleeps, `executor` runs connection tasks.
    ///
    /// # Errors
    ///
    /// The endpoint does not resolve ([`Error::Core`]) or is plain HTTP to a
    /// remote host ([`Error::InsecureEndpoint`]).
    pub fn new(
        config: Config,
        connector: impl Connector,
        timer: impl Timer,
        executor: impl Executor,
    ) -> Result<Client, Error> {
        Client::from_parts(
            config,
            Arc::new(connector),
            Arc::new(timer),
            Arc::new(executor),
        )
    }

    /// [`Client::new`] with shared runtime parts.
    ///
    /// # Errors
    ///
    /// As [`Client::new`].
    pub fn from_parts(
        config: Config,
        connector: Arc<dyn Connector>,
        timer: Arc<dyn Timer>,
        executor: Arc<dyn Executor>,
    ) -> Result<Client, Error> {
        let endpoint = config.endpoint().map_err(|e| match e {
            ConfigError::Insecure(e) => Error::InsecureEndpoint {
                url: e.url().to_owned(),
            },
            ConfigError::Endpoint(e) => Error::Core(e.into()),
            other => Error::Config(other),
        })?;
        let transport = Transport::new(&config, connector, timer, executor);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                endpoint,
                transport,
                quota: Mutex::new(RetryQuota::default()),
                providers: TokenProviders::new(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The resolved SSO OIDC endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Idle pooled connections, all hosts together.
    pub fn idle_connections(&self) -> usize {
        self.inner.transport.idle_connections()
    }

    /// Tokens left in the shared retry quota.
    pub fn retry_quota_available(&self) -> u32 {
        lock(&self.inner.quota).available()
    }

    pub(crate) fn timer(&self) -> &dyn Timer {
        &*self.inner.transport.timer
    }

    pub(crate) fn executor(&self) -> &dyn Executor {
        &*self.inner.transport.executor
    }

    /// `RegisterClient`.
    ///
    /// # Errors
    ///
    /// The service's error or a transport error, after retries.
    pub async fn register_client(
        &self,
        input: &RegisterClientInput,
    ) -> Result<RegisterClientOutput, Error> {
        let request = register_client::request(input, self.endpoint())?;
        self.call(Operation::RegisterClient, &request, None, |r| {
            register_client::parse(r)
        })
        .await
    }

    /// `StartDeviceAuthorization`.
    ///
    /// # Errors
    ///
    /// The service's error or a transport error, after retries.
    pub async fn start_device_authorization(
        &self,
        input: &StartDeviceAuthorizationInput,
    ) -> Result<StartDeviceAuthorizationOutput, Error> {
        let request = start_device_authorization::request(input, self.endpoint())?;
        self.call(Operation::StartDeviceAuthorization, &request, None, |r| {
            start_device_authorization::parse(r)
        })
        .await
    }

    /// `CreateToken` (refresh-token or authorization-code grant; the device
    /// code grant is polled by [`Client::run_device_flow`]).
    ///
    /// # Errors
    ///
    /// The service's error or a transport error, after retries.
    pub async fn create_token(&self, input: &CreateTokenInput) -> Result<CreateTokenOutput, Error> {
        let request = create_token::request(input, self.endpoint())?;
        self.call(Operation::CreateToken, &request, None, |r| {
            create_token::parse(r)
        })
        .await
    }

    /// `CreateTokenWithIAM`. The request must be SigV4-signed: `sign` is
    /// called on a fresh copy of the request before every attempt (so each
    /// retry carries a fresh signature date), after this client's
    /// `User-Agent` is set; a `Host` header it sets is kept.
    ///
    /// # Errors
    ///
    /// [`Error::Signing`] when `sign` fails; otherwise as
    /// [`Client::register_client`].
    pub async fn create_token_with_iam<F>(
        &self,
        input: &CreateTokenWithIamInput,
        mut sign: F,
    ) -> Result<CreateTokenWithIamOutput, Error>
    where
        F: FnMut(&mut http::Request<Vec<u8>>) -> Result<(), BoxError> + Send,
    {
        let operation = Operation::CreateTokenWithIam;
        let request = create_token_with_iam::request(input, self.endpoint())?;
        self.attempts(
            operation,
            &request,
            None,
            |r| sign(r).map_err(|source| Error::Signing { operation, source }),
            |response| {
                create_token_with_iam::parse(response).map_err(|e| {
                    let class = retry::classify(&e);
                    (Error::Core(e), class)
                })
            },
        )
        .await
    }

    /// Sends any request oidc-core built for `operation` (one attempt per
    /// retry-policy step, transport failures retried) and returns the raw
    /// response, whatever its status, for the matching `parse`.
    ///
    /// # Errors
    ///
    /// A transport error after retries, [`Error::BodyTooLarge`],
    /// [`Error::InsecureEndpoint`].
    pub async fn send(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Error> {
        self.send_cancellable(operation, request, None).await
    }

    pub(crate) async fn send_cancellable(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
        cancel: Option<&CancelToken>,
    ) -> Result<http::Response<Bytes>, Error> {
        self.attempts(operation, request, cancel, no_signing, |r| Ok(r.clone()))
            .await
    }

    /// Sends with retries and parses with `parse`.
    pub(crate) async fn call<T>(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
        cancel: Option<&CancelToken>,
        parse: impl Fn(&http::Response<Bytes>) -> Result<T, oidc_core::Error>,
    ) -> Result<T, Error> {
        self.attempts(operation, request, cancel, no_signing, |response| {
            parse(response).map_err(|e| {
                let class = retry::classify(&e);
                (Error::Core(e), class)
            })
        })
        .await
    }

    /// Sends with retries classified by `parse`, and returns the last
    /// response whatever its status (for callers that parse it themselves,
    /// such as the token provider's refresh).
    pub(crate) async fn send_parsed<T>(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
        cancel: Option<&CancelToken>,
        parse: impl Fn(&http::Response<Bytes>) -> Result<T, oidc_core::Error>,
    ) -> Result<http::Response<Bytes>, Error> {
        let last = Mutex::new(None);
        let outcome = self
            .attempts(operation, request, cancel, no_signing, |response| {
                *lock(&last) = Some(response.clone());
                match parse(response) {
                    Ok(_) => Ok(response.clone()),
                    Err(e) => match retry::classify(&e) {
                        RetryClass::NotRetryable => Ok(response.clone()),
                        class => Err((Error::Core(e), class)),
                    },
                }
            })
            .await;
        match outcome {
            Err(Error::Core(e)) => lock(&last).take().ok_or(Error::Core(e)),
            other => other,
        }
    }

    /// The retry loop: prepare a fresh copy of the request (this client's
    /// `User-Agent`, then `sign`), attempt, classify, ask the policy and the
    /// quota, back off on the caller's timer (cancellable), repeat.
    async fn attempts<T>(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
        cancel: Option<&CancelToken>,
        mut sign: impl FnMut(&mut http::Request<Vec<u8>>) -> Result<(), Error>,
        accept: impl Fn(&http::Response<Bytes>) -> Result<T, (Error, RetryClass)>,
    ) -> Result<T, Error> {
        let policy: RetryPolicy = self.inner.config.retry;
        let mut made = 0u32;
        let mut spent = 0u32;
        loop {
            made += 1;
            let mut attempt = request.clone();
            attempt.headers_mut().insert(
                http::header::USER_AGENT,
                self.inner.transport.user_agent.clone(),
            );
            sign(&mut attempt)?;
            let sent = or_cancel(cancel, self.inner.transport.send(operation, &attempt))
                .await
                .ok_or(Error::Cancelled)?;
            let (error, class) = match sent {
                Ok(response) => match accept(&response) {
                    Ok(value) => {
                        lock(&self.inner.quota).release(spent);
                        return Ok(value);
                    }
                    Err(failed) => failed,
                },
                Err(e) => {
                    let class = transport_class(&e);
                    (e, class)
                }
            };
            let random = getrandom::u32().unwrap_or(u32::MAX);
            let wait = match policy.decide(made, class, random) {
                RetryDecision::GiveUp => return Err(error),
                RetryDecision::RetryAfter(wait) => wait,
            };
            match lock(&self.inner.quota).acquire(class) {
                Some(cost) => spent += cost,
                None => {
                    log::debug!("{operation}: retry quota exhausted; giving up");
                    return Err(error);
                }
            }
            log::debug!(
                "{operation}: attempt {made} failed ({class:?}: {error}); retrying in {wait:?}"
            );
            self.sleep(wait, cancel).await?;
        }
    }

    /// Sleeps on the caller's timer; returns early with
    /// [`Error::Cancelled`] when `cancel` fires.
    pub(crate) async fn sleep(
        &self,
        duration: Duration,
        cancel: Option<&CancelToken>,
    ) -> Result<(), Error> {
        if duration.is_zero() {
            return match cancel {
                Some(c) if c.is_cancelled() => Err(Error::Cancelled),
                _ => Ok(()),
            };
        }
        or_cancel(cancel, self.timer().sleep(duration))
            .await
            .ok_or(Error::Cancelled)
    }
}

/// The `sign` step of calls that are not signed.
fn no_signing(_: &mut http::Request<Vec<u8>>) -> Result<(), Error> {
    Ok(())
}
