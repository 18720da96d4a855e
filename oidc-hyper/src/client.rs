//! The async client: the drive loops of oidc-core's and oidc-host's state
//! machines over hyper, on the caller's runtime.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::step::Step;
use oidc_core::{Credentials, Operation, TimeoutPhase, TransportError, TransportErrorKind};
use oidc_host::adapter::{ClientState, Failure, RunOptions};
use oidc_host::{
    Begin, Config, CredentialsProvider, Error, Event, Flow, Job, JobDone, Local, Session,
    SignInMode, SignInPrompt, Signal,
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
        self.call_with(input, &RunOptions::new()).await
    }

    /// [`call`](Self::call) with `options`: a signer for SigV4 operations
    /// (e.g. an [`oidc_core::sigv4::SigV4Signer`] over AWS credentials), a
    /// cancel token (a request in flight is abandoned at once), a deadline.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Cancelled`],
    /// [`Error::DeadlineExceeded`].
    pub async fn call_with<O: Operation>(
        &self,
        input: &O,
        options: &RunOptions,
    ) -> Result<O::Output, Error> {
        let call = self.inner.state.call(input, options.signer().cloned())?;
        self.run(call, |_| {}, options).await
    }

    /// Drives a [`DeviceFlow`] to its end with this client's user agent:
    /// each poll is sent once (the flow counts failed polls itself),
    /// `prompt` shows the code.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] with the flow's outcome, [`Error::Cancelled`],
    /// [`Error::DeadlineExceeded`].
    pub async fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt) + Send,
        options: &RunOptions,
    ) -> Result<CreateTokenOutput, Error> {
        let show = |p: &SignInPrompt| {
            if let SignInPrompt::DeviceCode(p) = p {
                prompt(p);
            }
        };
        let run = self.inner.state.device_flow_run(flow);
        self.run(run, show, options).await
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
        options: &RunOptions,
    ) -> Result<CachedToken, Error> {
        let flow = self.inner.state.session_flow(session, mode)?;
        self.run(flow, prompt, options).await
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
        options: &RunOptions,
    ) -> Result<CachedToken, Error> {
        let flow = self.inner.state.session_flow(session, mode)?;
        self.run(flow.force_sign_in(), prompt, options).await
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
        options: &RunOptions,
    ) -> Result<Credentials, Error> {
        loop {
            match provider.begin(SystemTime::now()) {
                Begin::Ready(credentials) => return Ok(credentials),
                Begin::Wait(other) => other.wait(options.cancel()).await?,
                Begin::Fetch(fetch) => {
                    let flow = self.inner.state.credentials_flow(provider.source())?;
                    let flow = flow.with_policy(provider.policy());
                    return fetch.finish(self.run(flow, prompt, options).await);
                }
            }
        }
    }

    /// Drives any [`Flow`] to its end: the one drive loop behind every
    /// method of this client.
    ///
    /// # Errors
    ///
    /// The flow's own, [`Error::Cancelled`], [`Error::DeadlineExceeded`].
    pub async fn run<F: Flow>(
        &self,
        mut flow: F,
        mut prompt: impl FnMut(&SignInPrompt) + Send,
        options: &RunOptions,
    ) -> Result<F::Output, Error> {
        let mut listener: Option<Box<dyn Listener>> = None;
        loop {
            options.check(self.timer().now())?;
            match flow.poll(self.timer().now(), SystemTime::now()) {
                Step::Send(request) => match self.send(request, options).await? {
                    Ok(response) => self.deliver(&mut flow, Event::Response(&response)),
                    Err(error) => self.deliver(&mut flow, Event::Failed(error)),
                },
                Step::WaitUntil(at) => self.wait_until(options.wait_target(at), options).await,
                Step::Local(Local::Blocking(job)) => {
                    let done = self.blocking(job).await?;
                    self.deliver(&mut flow, Event::Job(done));
                }
                Step::Local(Local::Prompt(p)) => prompt(&p),
                Step::Local(Local::Listen) => {
                    let event = match self.bind().await {
                        Ok(l) => Event::Listening(listener.insert(l).port()),
                        Err(e) => Event::ListenerFailed(e),
                    };
                    self.deliver(&mut flow, event);
                }
                Step::Local(Local::AwaitRedirect { deadline, state }) => {
                    let event = match listener.take() {
                        Some(mut l) => {
                            let limit = options
                                .wait_target(deadline)
                                .saturating_duration_since(self.timer().now());
                            let transport = &self.inner.transport;
                            let (timer, executor) = (&transport.timer, &*transport.executor);
                            await_redirect(&mut *l, state, limit, options, timer, executor).await?
                        }
                        None => Event::ListenerFailed(io::Error::other("no listener is bound")),
                    };
                    self.deliver(&mut flow, event);
                }
                Step::Done(result) => return result,
            }
        }
    }

    fn deliver<F: Flow>(&self, flow: &mut F, event: Event<'_, Bytes>) {
        self.inner.state.deliver(flow, self.timer().now(), event);
    }

    /// One attempt, abandoned (as a timeout) at its send deadline: `Err`
    /// only when cancelled.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: &RunOptions,
    ) -> Result<Result<http::Response<Bytes>, TransportError>, Error> {
        let transport = &self.inner.transport;
        let exchange = async {
            match options.send_deadline(&request) {
                Some(at) => {
                    let limit = at.saturating_duration_since(self.timer().now());
                    let operation = oidc_core::step::operation_name(&request);
                    let uri = request.uri().clone();
                    timeout(self.timer(), limit, transport.send(request))
                        .await
                        .unwrap_or_else(|| {
                            let kind = TransportErrorKind::Timeout {
                                phase: TimeoutPhase::Call,
                                after: limit,
                            };
                            Err(Failure::new(kind).into_error_of(operation, &uri))
                        })
                }
                None => transport.send(request).await,
            }
        };
        or_cancel(Some(options.cancel()), exchange)
            .await
            .ok_or(Error::Cancelled)
    }

    /// Sleeps until `at`; a cancel ends the sleep at once (the loop then
    /// reports it).
    async fn wait_until(&self, at: Instant, options: &RunOptions) {
        let duration = at.saturating_duration_since(self.timer().now());
        if !duration.is_zero() {
            let _ = or_cancel(Some(options.cancel()), self.timer().sleep(duration)).await;
        }
    }

    async fn bind(&self) -> io::Result<Box<dyn Listener>> {
        let bind = lock(&self.inner.bind).clone();
        match bind {
            Some(bind) => bind.bind_loopback().await,
            None => Err(io::Error::other(
                "this client has no loopback listener (see Client::with_loopback)",
            )),
        }
    }

    /// Runs a job on the executor's blocking pool and awaits it.
    async fn blocking(&self, job: Job) -> Result<JobDone, Error> {
        let done: Arc<Signal<JobDone>> = Arc::new(Signal::default());
        let slot = Arc::clone(&done);
        self.inner
            .transport
            .executor
            .spawn_blocking(Box::new(move || {
                slot.set(job.run());
            }));
        done.wait().await;
        done.take().ok_or_else(|| Error::Local {
            context: "the blocking work ended without a result",
            source: io::Error::other("lost result"),
        })
    }
}
