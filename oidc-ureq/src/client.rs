//! The blocking client: the drive loops of oidc-core's and oidc-host's
//! state machines over one ureq agent.

use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::pkce::{self, LoopbackOutcome, RedirectError};
use oidc_core::secret::AuthorizationCode;
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::step::Step;
use oidc_core::{Credentials, Operation};
use oidc_host::adapter::loopback::{self, Head};
use oidc_host::adapter::{ClientState, RunOptions};
use oidc_host::{
    Begin, Config, CredentialsProvider, Error, Event, Flow, Local, Session, SignInMode,
    SignInPrompt,
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
        self.call_with(input, &RunOptions::new())
    }

    /// [`call`](Self::call) with `options`: a signer for SigV4 operations
    /// (e.g. an [`oidc_core::sigv4::SigV4Signer`] over AWS credentials), a
    /// cancel token, a deadline.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), and [`Error::Cancelled`],
    /// [`Error::DeadlineExceeded`].
    pub fn call_with<O: Operation>(
        &self,
        input: &O,
        options: &RunOptions,
    ) -> Result<O::Output, Error> {
        let call = self.state.call(input, options.signer().cloned())?;
        self.run(call, |_| {}, options)
    }

    /// Drives a [`DeviceFlow`] to its end with this client's user agent:
    /// each poll is sent once (the flow counts failed polls itself),
    /// `prompt` shows the code.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] with the flow's outcome, [`Error::Cancelled`],
    /// [`Error::DeadlineExceeded`].
    pub fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt),
        options: &RunOptions,
    ) -> Result<CreateTokenOutput, Error> {
        let show = |p: &SignInPrompt| {
            if let SignInPrompt::DeviceCode(p) = p {
                prompt(p);
            }
        };
        self.run(self.state.device_flow_run(flow), show, options)
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
    /// use oidc_ureq::{Client, Config, RunOptions, Session, SignInMode, SignInPrompt};
    ///
    /// let client = Client::new(Config::for_region("eu-west-1"))?;
    /// let session = Session::new(CacheDir::from_env()?, "my-sso", "https://my-sso-portal.awsapps.com/start")
    ///     .with_scopes(["sso:account:access"]);
    /// let token = client.session_token(&session, SignInMode::DeviceCode, |prompt| match prompt {
    ///     SignInPrompt::DeviceCode(p) => eprintln!("Open {} and confirm {}", p.verification_uri, p.user_code),
    ///     SignInPrompt::Browser { url } => eprintln!("Open {url}"),
    ///     _ => {}
    /// }, &RunOptions::new())?;
    /// println!("token valid until {:?}", token.expires_at);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn session_token(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt),
        options: &RunOptions,
    ) -> Result<CachedToken, Error> {
        self.run(self.state.session_flow(session, mode)?, prompt, options)
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
        options: &RunOptions,
    ) -> Result<CachedToken, Error> {
        let flow = self.state.session_flow(session, mode)?.force_sign_in();
        self.run(flow, prompt, options)
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
        options: &RunOptions,
    ) -> Result<Credentials, Error> {
        loop {
            match provider.begin(SystemTime::now()) {
                Begin::Ready(credentials) => return Ok(credentials),
                Begin::Wait(other) => other.blocking(options.cancel())?,
                Begin::Fetch(fetch) => {
                    let flow = self.state.credentials_flow(provider.source())?;
                    let flow = flow.with_policy(provider.policy());
                    return fetch.finish(self.run(flow, prompt, options));
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
    pub fn run<F: Flow>(
        &self,
        mut flow: F,
        mut prompt: impl FnMut(&SignInPrompt),
        options: &RunOptions,
    ) -> Result<F::Output, Error> {
        let mut listener: Option<TcpListener> = None;
        loop {
            options.check(Instant::now())?;
            match flow.poll(Instant::now(), SystemTime::now()) {
                Step::Send(request) => match self.transport.send(request, options) {
                    Ok(response) => self.deliver(&mut flow, Event::Response(&response)),
                    Err(error) => self.deliver(&mut flow, Event::Failed(error)),
                },
                Step::WaitUntil(at) => {
                    options.cancel().wait_until(options.wait_target(at));
                }
                Step::Local(Local::Blocking(job)) => self.deliver(&mut flow, Event::Job(job.run())),
                Step::Local(Local::Prompt(p)) => prompt(&p),
                Step::Local(Local::Listen) => {
                    let event = match bind_loopback() {
                        Ok((l, port)) => {
                            listener = Some(l);
                            Event::Listening(port)
                        }
                        Err(e) => Event::ListenerFailed(e),
                    };
                    self.deliver(&mut flow, event);
                }
                Step::Local(Local::AwaitRedirect { deadline, state }) => {
                    let event = match listener.take() {
                        Some(l) => await_redirect(&l, &state, deadline, options)?,
                        None => Event::ListenerFailed(io::Error::other("no listener is bound")),
                    };
                    self.deliver(&mut flow, event);
                }
                Step::Done(result) => return result,
            }
        }
    }

    fn deliver<F: Flow>(&self, flow: &mut F, event: Event<'_>) {
        self.state.deliver(flow, Instant::now(), event);
    }
}

fn bind_loopback() -> io::Result<(TcpListener, u16)> {
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
    options: &RunOptions,
) -> Result<Event<'static>, Error> {
    let (tx, rx) = mpsc::channel();
    loop {
        if let Ok(outcome) = rx.try_recv() {
            return Ok(Event::Redirect(outcome));
        }
        let now = Instant::now();
        options.check(now)?;
        if now >= deadline {
            return Ok(Event::RedirectTimedOut);
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
                if let Err(e) = spawned {
                    return Ok(Event::ListenerFailed(e));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let slice = options.wait_target((now + ACCEPT_SLICE).min(deadline));
                options.cancel().wait_until(slice);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Ok(Event::ListenerFailed(e)),
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
