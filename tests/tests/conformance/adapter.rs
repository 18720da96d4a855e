//! The two adapters behind one synchronous face: `oidc-ureq` directly,
//! `oidc-hyper` inside a current-thread tokio runtime's `block_on`. Both
//! clients have the same methods; this only removes the `.await`.

use std::sync::Arc;

use oidc_core::cache::CachedToken;
use oidc_core::device_flow::{DeviceFlow, Prompt};
use oidc_core::endpoint::{Endpoint, Service};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::Credentials;
use oidc_core::{Operation, SignRequest};
use oidc_host::adapter::RunOptions;
use oidc_host::{
    CancelToken, Config, CredentialsProvider, Error, Session, SignInMode, SignInPrompt,
};
use oidc_tests::std_transport::StdClient;

/// Which adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ureq,
    Hyper,
    Std,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Ureq, Kind::Hyper, Kind::Std];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Ureq => "oidc-ureq",
            Kind::Hyper => "oidc-hyper",
            Kind::Std => "std-net",
        }
    }
}

/// A client of either adapter.
pub(crate) enum Adapter {
    Ureq(Box<oidc_ureq::Client>),
    /// The example transport over `std::net` (`oidc_tests::std_transport`).
    Std(Box<StdClient>),
    Hyper {
        client: oidc_hyper::Client,
        rt: tokio::runtime::Runtime,
    },
}

impl Adapter {
    /// `Client::new(config)` (ureq) or `Client::tokio(config)` (hyper).
    pub(crate) fn new(kind: Kind, config: Config) -> Result<Adapter, Error> {
        match kind {
            Kind::Ureq => Ok(Adapter::Ureq(Box::new(oidc_ureq::Client::new(config)?))),
            Kind::Std => Ok(Adapter::Std(Box::new(StdClient::new(config)?))),
            Kind::Hyper => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                let client = {
                    let _entered = rt.enter();
                    oidc_hyper::Client::tokio(config)?
                };
                Ok(Adapter::Hyper { client, rt })
            }
        }
    }

    pub(crate) fn call<O: Operation>(&self, input: &O) -> Result<O::Output, Error> {
        match self {
            Adapter::Ureq(c) => c.call(input),
            Adapter::Std(c) => c.run(c.state().call(input, None)?, |_| {}, &RunOptions::new()),
            Adapter::Hyper { client, rt } => rt.block_on(client.call(input)),
        }
    }

    pub(crate) fn call_signed<O: Operation>(
        &self,
        input: &O,
        signer: Arc<dyn SignRequest>,
    ) -> Result<O::Output, Error> {
        match self {
            Adapter::Ureq(c) => c.call_with(input, &RunOptions::new().with_signer(signer)),
            Adapter::Std(c) => c.run(
                c.state().call(input, Some(signer))?,
                |_| {},
                &RunOptions::new(),
            ),
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.call_with(input, &RunOptions::new().with_signer(signer)))
            }
        }
    }

    pub(crate) fn call_cancellable<O: Operation>(
        &self,
        input: &O,
        cancel: &CancelToken,
    ) -> Result<O::Output, Error> {
        match self {
            Adapter::Ureq(c) => c.call_with(input, &options(cancel)),
            Adapter::Std(c) => c.run(c.state().call(input, None)?, |_| {}, &options(cancel)),
            Adapter::Hyper { client, rt } => rt.block_on(client.call_with(input, &options(cancel))),
        }
    }

    pub(crate) fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        match self {
            Adapter::Ureq(c) => c.run_device_flow(flow, prompt, &options(cancel)),
            Adapter::Std(c) => {
                let mut prompt = prompt;
                let show = |p: &SignInPrompt| {
                    if let SignInPrompt::DeviceCode(p) = p {
                        prompt(p);
                    }
                };
                c.run(c.state().device_flow_run(flow), show, &options(cancel))
            }
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.run_device_flow(flow, prompt, &options(cancel)))
            }
        }
    }

    pub(crate) fn session_token(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        match self {
            Adapter::Ureq(c) => c.session_token(session, mode, prompt, &options(cancel)),
            Adapter::Std(c) => c.run(
                c.state().session_flow(session, mode)?,
                prompt,
                &options(cancel),
            ),
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.session_token(session, mode, prompt, &options(cancel)))
            }
        }
    }

    pub(crate) fn sign_in(
        &self,
        session: &Session,
        mode: SignInMode,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CachedToken, Error> {
        match self {
            Adapter::Ureq(c) => c.sign_in(session, mode, prompt, &options(cancel)),
            Adapter::Std(c) => c.run(
                c.state().session_flow(session, mode)?.force_sign_in(),
                prompt,
                &options(cancel),
            ),
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.sign_in(session, mode, prompt, &options(cancel)))
            }
        }
    }

    pub(crate) fn cached_token(&self, session: &Session) -> Result<CachedToken, Error> {
        match self {
            Adapter::Ureq(c) => {
                c.session_token(session, SignInMode::CachedOnly, |_| {}, &RunOptions::new())
            }
            Adapter::Std(c) => c.run(
                c.state().session_flow(session, SignInMode::CachedOnly)?,
                |_| {},
                &RunOptions::new(),
            ),
            Adapter::Hyper { client, rt } => rt.block_on(client.session_token(
                session,
                SignInMode::CachedOnly,
                |_| {},
                &RunOptions::new(),
            )),
        }
    }

    pub(crate) fn credentials(
        &self,
        provider: &CredentialsProvider,
        prompt: impl FnMut(&SignInPrompt) + Send,
        cancel: &CancelToken,
    ) -> Result<Credentials, Error> {
        match self {
            Adapter::Ureq(c) => c.credentials(provider, prompt, &options(cancel)),
            Adapter::Std(c) => c.state().credentials_blocking(provider, cancel, |flow| {
                c.run(flow, prompt, &options(cancel))
            }),
            Adapter::Hyper { client, rt } => {
                rt.block_on(client.credentials(provider, prompt, &options(cancel)))
            }
        }
    }

    pub(crate) fn endpoint(&self, service: Service) -> Option<Endpoint> {
        match self {
            Adapter::Ureq(c) => c.endpoint(service).cloned(),
            Adapter::Std(c) => c.state().endpoint(service).cloned(),
            Adapter::Hyper { client, .. } => client.endpoint(service).cloned(),
        }
    }

    pub(crate) fn retry_quota_available(&self) -> u32 {
        match self {
            Adapter::Ureq(c) => c.retry_quota_available(),
            Adapter::Std(c) => c.state().retry_quota_available(),
            Adapter::Hyper { client, .. } => client.retry_quota_available(),
        }
    }
}

/// The options of a run cancelled by `cancel`.
fn options(cancel: &CancelToken) -> RunOptions {
    RunOptions::new().with_cancel(cancel.clone())
}
