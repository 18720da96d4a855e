//! The async client: the drive loops of oidc-core's and oidc-host's state
//! machines over hyper, on the caller's runtime.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::{Credentials, Operation, SignRequest};
use oidc_host::{
    Begin, CancelToken, ClientState, Config, CredentialsProvider, DeviceFlowRun, Error, FileDone,
    FileJob, Flow, FlowStep, Session, SignInMode, SignInPrompt, Signal,
};

use crate::loopback::await_redirect;
use crate::rt::{lock, or_cancel, timeout, Bind, Connector, Executor, Listener, Timer};
use crate::transport::Transport;

/// An async client for SSO OIDC, the SSO portal and STS over hyper 1.x, on
/// the caller's runtime.
///
/// Cheap to clone (clones share one connection pool, one retry quota and
/// the sessions' token providers). Build it with [`Client::new`] from a
/// [`Connector`], a [`Timer`] and an [`Executor`], or with `Client::tokio`
/// (feature `tokio`).
///
/// Every decision (what to send, whether to retry, how long to wait, what
/// to do with the cached token) is made by `oidc-core` and `oidc-host`;
/// this type only sends, waits and hands file work to the executor's
/// blocking pool.
///
/// ```no_run
/// # #[cfg(feature = "tokio")]
/// # async fn example() -> Result<(), oidc_hyper::Error> {
/// use oidc_hyper::oidc_core::sso_oidc::register_client::RegisterClientInput;
/// use oidc_hyper::{Client, Config};
///
/// let client = Client::tokio(Config::for_region("eu-west-1"))?;
/// let registration = client.call(&RegisterClientInput::new("my-tool")).await?;
/// println!("registered {}", registration.client_id);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    state: ClientState,
    transport: Transport,
    bind: Mutex<Option<Arc<dyn Bind>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client on any runtime: `connector` opens connections, `timer`
    /// sleeps, `executor` runs connection tasks and blocking file work.
    ///
    /// # Errors
    ///
    /// [`Error::Config`]: an endpoint does not resolve, breaks the HTTPS
    /// rule, or the user-agent suffix is not a valid header value.
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
        let transport = Transport::new(&config, connector, timer, executor);
        Ok(Client {
            inner: Arc::new(Inner {
                state: ClientState::new(config, "oidc-hyper", env!("CARGO_PKG_VERSION"))?,
                transport,
                bind: Mutex::new(None),
            }),
        })
    }

    /// Binds the loopback listener of authorization-code sign-ins with
    /// `bind` (`Client::tokio` sets tokio's). Clones share it.
    #[must_use]
    pub fn with_loopback(self, bind: impl Bind) -> Client {
        *lock(&self.inner.bind) = Some(Arc::new(bind));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.state.config()
    }

    /// The resolved endpoint of `service` in the configured region.
    pub fn endpoint(&self, service: Service) -> Option<&Endpoint> {
        self.inner.state.endpoint(service)
    }

    /// Idle pooled connections, all hosts together.
    pub fn idle_connections(&self) -> usize {
        self.inner.transport.idle_connections()
    }

    /// Tokens left in the shared retry quota.
    pub fn retry_quota_available(&self) -> u32 {
        self.inner.state.retry_quota_available()
    }

    fn timer(&self) -> &dyn Timer {
        &*self.inner.transport.timer
    }

    /// Calls any operation: builds its request, sends it with the standard
    /// retries, and parses the answer into its typed output or error.
    ///
    /// # Errors
    ///
    /// [`Error::Core`]: the service's error (status, code, message,
    /// request id), an unparsable answer, no answer
    /// ([`oidc_core::Error::Transport`]), or an input that cannot form a
    /// request.
    pub async fn call<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        self.call_with(input, None, &CancelToken::new()).await
    }

    /// [`call`](Self::call) for an operation signed with SigV4: `signer`
    /// signs every attempt (e.g. an [`oidc_core::sigv4::SigV4Signer`]).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_signed<O: Operation>(
        &self,
        input: &O,
        signer: Arc<dyn SignRequest>,
    ) -> Result<O::Output, Error> {
        self.call_with(input, Some(signer), &CancelToken::new())
            .await
    }

    /// [`call`](Self::call) that stops at once when `cancel` fires.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Cancelled`].
    pub async fn call_cancellable<O: Operation>(
        &self,
        input: &O,
        cancel: &CancelToken,
    ) -> Result<O::Output, Error> {
        self.call_with(input, None, cancel).await
    }

    async fn call_with<O: Operation>(
        &self,
        input: &O,
        signer: Option<Arc<dyn SignRequest>>,
        cancel: &CancelToken,
    ) -> Result<O::Output, Error> {
        let call = self.inner.state.call(input, signer)?;
        self.drive(call, |_| {}, cancel).await
    }

    /// Drives a [`DeviceFlow`] to its end: each poll is sent once (the flow
    /// counts failed polls itself), `prompt` shows the code, every wait
    /// (and a request in flight) ends at once when `cancel` fires.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] with the flow's outcome, [`Error::Cancelled`].
    pub async fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let show = |p: &SignInPrompt| {
            if let SignInPrompt::DeviceCode(p) = p {
                prompt(p);
            }
        };
        self.drive(DeviceFlowRun::new(flow), show, cancel).await
    }

    /// The session's token: the cached one, refreshed when due (in the
    /// region its cache entry names), or a new sign-in with `mode` when
    /// there is none or the session has ended; written to the AWS CLI's
    /// cache under the session's cross-process lock. File work runs on the
    /// executor's blocking pool. `prompt` shows the device code or the
    /// browser URL; [`SignInMode::CachedOnly`] never signs in.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`] (cached only), [`Error::Token`],
    /// [`Error::DeviceFlow`], [`Error::Redirect`], [`Error::Core`],
    /// [`Error::Cancelled`].
    pub async fn session_token(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let flow = self.inner.state.session_flow(session, mode)?;
        self.drive(flow, prompt, cancel).await
    }

    /// Signs in again even when the cached token is usable, then caches
    /// the new token.
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token).
    pub async fn sign_in(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let flow = self
            .inner
            .state
            .session_flow(session, mode)?
            .force_sign_in();
        self.drive(flow, prompt, cancel).await
    }

    /// The cached token of `session`, refreshed when due; never signs in
    /// ([`Error::LoginRequired`] instead).
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token).
    pub async fn cached_token(&self, session: &Session) -> Result<CachedToken, Error> {
        self.session_token(session, SignInMode::CachedOnly, |_| {}, &CancelToken::new())
            .await
    }

    /// Credentials from `provider`: the ones in its memory while fresh,
    /// else one fetch for all callers at once (the others wait for it
    /// without blocking the executor) by driving its source's
    /// [`CredentialsFlow`](oidc_host::CredentialsFlow) (SSO role
    /// credentials through the AWS CLI's cache and the session's token,
    /// AssumeRole chains, ...). `prompt` shows a sign-in's prompt when the
    /// source may sign in.
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token), and the source's own
    /// ([`oidc_host::EnvCredentialsError`] inside [`Error::Local`]).
    pub async fn credentials(
        &self,
        provider: &CredentialsProvider,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<Credentials, Error> {
        loop {
            match provider.begin(SystemTime::now()) {
                Begin::Ready(credentials) => return Ok(credentials),
                Begin::Wait(other) => other.wait(cancel).await?,
                Begin::Fetch(fetch) => {
                    let flow = self.inner.state.credentials_flow(provider.source())?;
                    let flow = flow.with_policy(provider.policy());
                    return fetch.finish(self.drive(flow, prompt, cancel).await);
                }
            }
        }
    }

    /// The drive loop of every flow (see [`oidc_host::Flow`]).
    async fn drive<F: Flow>(
        &self,
        mut flow: F,
        mut prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<F::Output, Error> {
        let mut listener: Option<Box<dyn Listener>> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled { waited: None });
            }
            match flow.poll(self.timer().now(), SystemTime::now()) {
                FlowStep::Send(request) => {
                    let outcome = self
                        .send(request, flow.send_deadline(), Some(cancel))
                        .await?;
                    self.inner
                        .state
                        .deliver(&mut flow, self.timer().now(), outcome);
                }
                FlowStep::WaitUntil(at) => self.wait_until(at, cancel).await?,
                FlowStep::Blocking(job) => {
                    let done = self.blocking(job).await?;
                    flow.handle_file(done);
                }
                FlowStep::Prompt(p) => prompt(&p),
                FlowStep::Listen => {
                    let bind = lock(&self.inner.bind).clone();
                    let bound = match bind {
                        Some(bind) => bind.bind_loopback().await,
                        None => Err(std::io::Error::other(
                            "this client has no loopback listener (see Client::with_loopback)",
                        )),
                    };
                    match bound {
                        Ok(l) => {
                            flow.listening(l.port());
                            listener = Some(l);
                        }
                        Err(e) => flow.listener_failed(e),
                    }
                }
                FlowStep::AwaitRedirect { deadline } => {
                    let (Some(l), Some(state)) = (listener.as_mut(), flow.pkce_state()) else {
                        flow.listener_failed(std::io::Error::other("no listener is bound"));
                        continue;
                    };
                    let state = state.clone();
                    let limit = deadline.saturating_duration_since(self.timer().now());
                    let outcome = await_redirect(
                        &mut **l,
                        state,
                        limit,
                        cancel,
                        &self.inner.transport.timer,
                        &*self.inner.transport.executor,
                    )
                    .await?;
                    match outcome {
                        Some(outcome) => flow.handle_redirect(outcome),
                        None => flow.redirect_timed_out(),
                    }
                    listener = None;
                }
                FlowStep::Done(result) => return result,
            }
        }
    }

    /// One attempt, cancellable and bounded by `deadline` (reported as a
    /// timeout): `Err` only when cancelled.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        deadline: Option<Instant>,
        cancel: Option<&CancelToken>,
    ) -> Result<Result<http::Response<bytes::Bytes>, oidc_core::TransportError>, Error> {
        let exchange = async {
            match deadline {
                Some(at) => {
                    let limit = at.saturating_duration_since(self.timer().now());
                    timeout(self.timer(), limit, self.inner.transport.send(request))
                        .await
                        .unwrap_or_else(|| {
                            Err(oidc_core::TransportError::timeout(
                                "",
                                oidc_core::TimeoutPhase::Call,
                                limit,
                            ))
                        })
                }
                None => self.inner.transport.send(request).await,
            }
        };
        or_cancel(cancel, exchange)
            .await
            .ok_or(Error::Cancelled { waited: None })
    }

    async fn wait_until(&self, at: Instant, cancel: &CancelToken) -> Result<(), Error> {
        let duration = at.saturating_duration_since(self.timer().now());
        if duration.is_zero() {
            return if cancel.is_cancelled() {
                Err(Error::Cancelled { waited: None })
            } else {
                Ok(())
            };
        }
        or_cancel(Some(cancel), self.timer().sleep(duration))
            .await
            .ok_or(Error::Cancelled { waited: None })
    }

    /// Runs a file job on the executor's blocking pool and awaits it.
    async fn blocking(&self, job: FileJob) -> Result<FileDone, Error> {
        let done: Arc<Signal<FileDone>> = Arc::new(Signal::default());
        let slot = Arc::clone(&done);
        self.inner
            .transport
            .executor
            .spawn_blocking(Box::new(move || {
                slot.set(job.run());
            }));
        done.wait().await;
        done.take().ok_or_else(|| Error::Local {
            context: "the blocking file work ended without a result",
            source: std::io::Error::other("lost result"),
        })
    }
}
