//! The blocking client: the drive loops of oidc-core's and oidc-host's
//! state machines over one ureq agent.

use std::io;
use std::net::TcpListener;
use std::time::{Instant, SystemTime};

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::step::Step;
use oidc_core::{Credentials, Operation};
use oidc_host::adapter::loopback;
use oidc_host::adapter::{ClientState, RunOptions};
use oidc_host::{
    Config, CredentialsProvider, Error, Event, Flow, Local, Session, SignInMode, SignInPrompt,
};

use crate::transport::Transport;

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
        let run = |flow| self.run(flow, prompt, options);
        self.state
            .credentials_blocking(provider, options.cancel(), run)
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
                    let event = match loopback::bind() {
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
                        Some(l) => loopback::serve(&l, &state, deadline, options)?,
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
