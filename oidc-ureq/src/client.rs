//! The blocking client: the drive loops of oidc-core's and oidc-host's
//! state machines over one ureq agent.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::pkce::{self, LoopbackOutcome, RedirectError};
use oidc_core::secret::AuthorizationCode;
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::{Credentials, Operation, SignRequest};
use oidc_host::loopback::{self, Head};
use oidc_host::{
    Begin, CancelToken, ClientState, Config, CredentialsProvider, DeviceFlowRun, Error, Flow,
    FlowStep, Session, SignInMode, SignInPrompt,
};

use crate::transport::Transport;

/// How often the listener checks for cancellation and its deadline.
const ACCEPT_SLICE: Duration = Duration::from_millis(20);
/// How long one loopback connection may take to send its request head.
const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A blocking client for SSO OIDC, the SSO portal and STS.
///
/// One ureq agent (pooled keep-alive connections), one retry quota shared
/// by every call, and the token providers of the sessions it served. Share
/// it between threads (`&Client` is `Send + Sync`).
///
/// Every decision (what to send, whether to retry, how long to wait, what
/// to do with the cached token) is made by `oidc-core` and `oidc-host`;
/// this type only sends, waits and does file work.
///
/// ```no_run
/// use oidc_ureq::{Client, Config};
/// use oidc_ureq::oidc_core::sso_oidc::register_client::RegisterClientInput;
///
/// let client = Client::new(Config::for_region("eu-west-1"))?;
/// let registration = client.call(&RegisterClientInput::new("my-tool"))?;
/// println!("registered {}", registration.client_id);
/// # Ok::<(), oidc_ureq::Error>(())
/// ```
#[derive(Debug)]
pub struct Client {
    transport: Transport,
    state: ClientState,
}

impl Client {
    /// A client for `config`: resolves every service's endpoint in the
    /// configured region and checks it against the HTTPS rule.
    ///
    /// # Errors
    ///
    /// [`Error::Config`]: an endpoint does not resolve, breaks the HTTPS
    /// rule, or the user-agent suffix is not a valid header value.
    pub fn new(config: Config) -> Result<Client, Error> {
        Ok(Client {
            transport: Transport::new(&config),
            state: ClientState::new(config, "oidc-ureq", env!("CARGO_PKG_VERSION"))?,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.state.config()
    }

    /// The resolved endpoint of `service` in the configured region.
    pub fn endpoint(&self, service: Service) -> Option<&Endpoint> {
        self.state.endpoint(service)
    }

    /// Tokens left in the client's retry quota.
    pub fn retry_quota_available(&self) -> u32 {
        self.state.retry_quota_available()
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
    pub fn call<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        self.call_with(input, None, &CancelToken::new())
    }

    /// [`call`](Self::call) for an operation signed with SigV4: `signer`
    /// signs every attempt (e.g. an
    /// [`oidc_core::sigv4::SigV4Signer`] over AWS credentials).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub fn call_signed<O: Operation>(
        &self,
        input: &O,
        signer: Arc<dyn SignRequest>,
    ) -> Result<O::Output, Error> {
        self.call_with(input, Some(signer), &CancelToken::new())
    }

    /// [`call`](Self::call) whose retry waits end at once when `cancel`
    /// fires.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Cancelled`].
    pub fn call_cancellable<O: Operation>(
        &self,
        input: &O,
        cancel: &CancelToken,
    ) -> Result<O::Output, Error> {
        self.call_with(input, None, cancel)
    }

    fn call_with<O: Operation>(
        &self,
        input: &O,
        signer: Option<Arc<dyn SignRequest>>,
        cancel: &CancelToken,
    ) -> Result<O::Output, Error> {
        let call = self.state.call(input, signer)?;
        self.drive(call, |_| {}, cancel)
    }

    /// Drives a [`DeviceFlow`] to its end: each poll is sent once (the flow
    /// counts failed polls itself), `prompt` shows the code, waits end at
    /// once when `cancel` fires.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] with the flow's outcome, [`Error::Cancelled`].
    pub fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let show = |p: &SignInPrompt| {
            if let SignInPrompt::DeviceCode(p) = p {
                prompt(p);
            }
        };
        self.drive(DeviceFlowRun::new(flow), show, cancel)
    }

    /// The session's token: the cached one, refreshed when due (in the
    /// region its cache entry names), or a new sign-in with `mode` when
    /// there is none or the session has ended; written to the AWS CLI's
    /// cache under the session's cross-process lock. `prompt` shows the
    /// device code or the browser URL. `mode`
    /// [`SignInMode::CachedOnly`] never signs in.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`] (cached only), [`Error::Token`] (session
    /// ended, refresh failed, cache problems), [`Error::DeviceFlow`],
    /// [`Error::Redirect`], [`Error::Core`], [`Error::Cancelled`].
    ///
    /// ```no_run
    /// use oidc_ureq::oidc_host::CacheDir;
    /// use oidc_ureq::{CancelToken, Client, Config, Session, SignInMode, SignInPrompt};
    ///
    /// let client = Client::new(Config::for_region("eu-west-1"))?;
    /// let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start")
    ///     .with_scopes(["sso:account:access"]);
    /// let token = client.session_token(&session, SignInMode::DeviceCode, |prompt| match prompt {
    ///     SignInPrompt::DeviceCode(p) => eprintln!("Open {} and confirm {}", p.verification_uri, p.user_code),
    ///     SignInPrompt::Browser { url } => eprintln!("Open {url}"),
    ///     _ => {}
    /// }, &CancelToken::new())?;
    /// println!("token valid until {:?}", token.expires_at);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn session_token(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt),
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let flow = self.state.session_flow(session, mode)?;
        self.drive(flow, prompt, cancel)
    }

    /// Signs in again even when the cached token is usable (`login
    /// --force`), then caches the new token.
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token).
    pub fn sign_in(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt),
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        let flow = self.state.session_flow(session, mode)?.force_sign_in();
        self.drive(flow, prompt, cancel)
    }

    /// The cached token of `session`, refreshed when due; never signs in
    /// ([`Error::LoginRequired`] instead).
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token).
    pub fn cached_token(&self, session: &Session) -> Result<CachedToken, Error> {
        self.session_token(session, SignInMode::CachedOnly, |_| {}, &CancelToken::new())
    }

    /// Credentials from `provider`: the ones in its memory while fresh,
    /// else one fetch for all callers at once (the others wait for it) by
    /// driving its source's [`CredentialsFlow`](oidc_host::CredentialsFlow)
    /// (SSO role credentials through the AWS CLI's cache and the session's
    /// token, AssumeRole chains, ...). `prompt` shows a sign-in's prompt
    /// when the source may sign in.
    ///
    /// # Errors
    ///
    /// As [`session_token`](Self::session_token), and the source's own
    /// ([`oidc_host::EnvCredentialsError`] inside [`Error::Local`]).
    pub fn credentials(
        &self,
        provider: &CredentialsProvider,
        prompt: impl FnMut(&SignInPrompt),
        cancel: &CancelToken,
    ) -> Result<Credentials, Error> {
        loop {
            match provider.begin(SystemTime::now()) {
                Begin::Ready(credentials) => return Ok(credentials),
                Begin::Wait(other) => other.blocking(cancel)?,
                Begin::Fetch(fetch) => {
                    let flow = self.state.credentials_flow(provider.source())?;
                    let flow = flow.with_policy(provider.policy());
                    return fetch.finish(self.drive(flow, prompt, cancel));
                }
            }
        }
    }

    /// The drive loop of every flow (see [`oidc_host::Flow`]).
    fn drive<F: Flow>(
        &self,
        mut flow: F,
        mut prompt: impl FnMut(&SignInPrompt),
        cancel: &CancelToken,
    ) -> Result<F::Output, Error> {
        let mut listener: Option<TcpListener> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled { waited: None });
            }
            match flow.poll(Instant::now(), SystemTime::now()) {
                FlowStep::Send(request) => {
                    let outcome = self.transport.send(request, flow.send_deadline());
                    self.state.deliver(&mut flow, Instant::now(), outcome);
                }
                FlowStep::WaitUntil(at) => wait_until(at, cancel)?,
                FlowStep::Blocking(job) => flow.handle_file(job.run()),
                FlowStep::Prompt(p) => prompt(&p),
                FlowStep::Listen => match bind_loopback() {
                    Ok((l, port)) => {
                        listener = Some(l);
                        flow.listening(port);
                    }
                    Err(e) => flow.listener_failed(e),
                },
                FlowStep::AwaitRedirect { deadline } => {
                    let (Some(l), Some(state)) = (&listener, flow.pkce_state()) else {
                        flow.listener_failed(std::io::Error::other("no listener is bound"));
                        continue;
                    };
                    match await_redirect(l, state, deadline, cancel)? {
                        Some(outcome) => flow.handle_redirect(outcome),
                        None => flow.redirect_timed_out(),
                    }
                    listener = None;
                }
                FlowStep::Done(result) => return result,
            }
        }
    }
}

/// Waits until `at`, or until cancelled.
fn wait_until(at: Instant, cancel: &CancelToken) -> Result<(), Error> {
    if cancel.wait_until(at) {
        Err(Error::Cancelled { waited: None })
    } else {
        Ok(())
    }
}

fn bind_loopback() -> std::io::Result<(TcpListener, u16)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}

/// Serves the loopback listener until a request ends the wait (`Some`), or
/// the deadline passes (`None`). Each connection is served on its own
/// short-lived thread, so a slow or silent client cannot hold up the
/// browser's redirect.
fn await_redirect(
    listener: &TcpListener,
    state: &pkce::State,
    deadline: Instant,
    cancel: &CancelToken,
) -> Result<Option<Result<AuthorizationCode, RedirectError>>, Error> {
    let (tx, rx) = mpsc::channel();
    loop {
        if let Ok(outcome) = rx.try_recv() {
            return Ok(Some(outcome));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let tx = tx.clone();
                let state = state.clone();
                let spawned = std::thread::Builder::new()
                    .name("oidc-ureq-loopback".to_owned())
                    .spawn(move || {
                        if let Some(outcome) = serve_connection(stream, &state) {
                            let _ = tx.send(outcome);
                        }
                    });
                if let Err(source) = spawned {
                    return Err(Error::Local {
                        context: "cannot serve the loopback connection",
                        source,
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if cancel.wait_until((now + ACCEPT_SLICE).min(deadline)) {
                    return Err(Error::Cancelled { waited: None });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Local {
                    context: "the loopback listener failed",
                    source,
                })
            }
        }
    }
}

/// Reads one request head, answers it as oidc-core decides, and returns
/// what ends the wait, if anything.
fn serve_connection(
    mut stream: TcpStream,
    state: &pkce::State,
) -> Option<Result<AuthorizationCode, RedirectError>> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(CONNECTION_READ_TIMEOUT))
        .ok()?;
    stream
        .set_write_timeout(Some(CONNECTION_READ_TIMEOUT))
        .ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let (method, target) = loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        match loopback::parse_head(&buf) {
            Head::Partial => {}
            Head::Complete { method, target } => break (method, target),
            _ => return None,
        }
    };
    let reply = pkce::answer_loopback(&method, &target, state);
    // The browser may already have gone; the outcome does not depend on it.
    let _ = stream.write_all(&loopback::reply_bytes(&reply));
    let _ = stream.flush();
    match reply.outcome {
        LoopbackOutcome::Code(code) => Some(Ok(code)),
        LoopbackOutcome::Failed(e) => Some(Err(e)),
        LoopbackOutcome::KeepWaiting(why) => {
            if let Some(why) = why {
                log::debug!("loopback listener: ignored a request ({why})");
            }
            None
        }
        _ => None,
    }
}
