//! The device-flow driver and the device sign-in convenience.

use std::time::Instant;

use oidc_core::device_flow::{Action, DeviceFlow, DeviceFlowError, Prompt};
use oidc_core::sso_oidc::create_token::{self, CreateTokenOutput};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::{Operation, TransportError};

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::Error;
use oidc_host::{RegistrationInfo, SignIn};

impl Client {
    /// Drives a [`DeviceFlow`] to its end, following the core's drive loop
    /// line for line: `poll`; on `Send`, send (with retries) and hand the
    /// response to `handle_response` (or a transport failure to
    /// `handle_transport_error`); on `ShowPrompt`, call `prompt`; on
    /// `WaitUntil`, wait (returning at once if `cancel` fires); on `Done`,
    /// return.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] with the flow's outcome (denied, expired,
    /// invalid grant or client, repeated failures), [`Error::Transport`]
    /// when the flow gave up after repeated transport failures,
    /// [`Error::Cancelled`], [`Error::BodyTooLarge`].
    ///
    /// ```no_run
    /// use std::time::Instant;
    /// use oidc_core::DeviceFlow;
    /// use oidc_core::sso_oidc::register_client::RegisterClientInput;
    /// use oidc_core::sso_oidc::start_device_authorization::StartDeviceAuthorizationInput;
    /// use oidc_ureq::{CancelToken, Client, Config};
    ///
    /// let client = Client::new(Config::for_region("us-east-1"))?;
    /// let registration = client.register_client(&RegisterClientInput::new("my-tool"))?;
    /// let started = client.start_device_authorization(&StartDeviceAuthorizationInput::new(
    ///     registration.client_id.clone(),
    ///     registration.client_secret.clone(),
    ///     "https://my-sso-portal.awsapps.com/start",
    /// ))?;
    /// let mut flow = DeviceFlow::for_registration(
    ///     &registration, started, client.endpoint().clone(), Instant::now());
    /// let token = client.run_device_flow(
    ///     &mut flow,
    ///     |prompt| println!("Open {} and confirm {}", prompt.uri_to_open(), prompt.user_code),
    ///     &CancelToken::new(),
    /// )?;
    /// println!("token valid for {} s", token.expires_in);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        // The core needs an `oidc_core::Error` for a transport failure but
        // has no variant for one; the real error is kept here and returned
        // if the flow gives up right after it.
        let mut last_transport: Option<Error> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            match flow.poll(Instant::now()) {
                Action::Send(request) => {
                    let exchange = self.exchange(
                        Operation::CreateToken,
                        &request,
                        |_| Ok(()),
                        create_token::parse,
                        Some(cancel),
                    );
                    match exchange {
                        Ok(exchange) => {
                            last_transport = None;
                            flow.handle_response(Instant::now(), &exchange.response)?;
                        }
                        Err(e @ Error::Transport { .. }) => {
                            let report = if e.is_timeout() {
                                TransportError::timeout(Operation::CreateToken, e.to_string())
                            } else {
                                TransportError::new(Operation::CreateToken, e.to_string())
                            };
                            last_transport = Some(e);
                            flow.handle_transport_error(Instant::now(), report.into())?;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Action::ShowPrompt(p) => prompt(&p),
                Action::WaitUntil(at) => {
                    if cancel.wait_until(at) {
                        return Err(Error::Cancelled);
                    }
                }
                Action::Done(Ok(token)) => return Ok(token),
                Action::Done(Err(e)) => {
                    return Err(match (e, last_transport.take()) {
                        (DeviceFlowError::Failed(_), Some(transport)) => transport,
                        (e, _) => Error::DeviceFlow(e),
                    })
                }
            }
        }
    }

    /// Signs in with the device flow from scratch: `RegisterClient`
    /// (device-code and refresh-token grants, the given scopes),
    /// `StartDeviceAuthorization` for `start_url`, then
    /// [`Client::run_device_flow`].
    ///
    /// # Errors
    ///
    /// Any error of the three steps.
    ///
    /// ```no_run
    /// use oidc_ureq::{CancelToken, Client, Config};
    ///
    /// let client = Client::new(Config::for_region("us-east-1"))?;
    /// let signed_in = client.sign_in(
    ///     "my-tool",
    ///     "https://my-sso-portal.awsapps.com/start",
    ///     &["sso:account:access"],
    ///     |prompt| println!("Open {} and confirm {}", prompt.uri_to_open(), prompt.user_code),
    ///     &CancelToken::new(),
    /// )?;
    /// assert!(signed_in.token.expires_in > 0);
    /// # Ok::<(), oidc_ureq::Error>(())
    /// ```
    pub fn sign_in(
        &self,
        client_name: &str,
        start_url: &str,
        scopes: &[&str],
        prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<SignIn, Error> {
        let input =
            RegisterClientInput::for_device_flow(client_name, start_url, scopes.iter().copied());
        let registration = self.register_client(&input)?;
        let token = self.device_sign_in(&registration, start_url, prompt, cancel)?;
        Ok(SignIn::new(registration, token))
    }

    /// `StartDeviceAuthorization` then [`Client::run_device_flow`] for an
    /// existing registration.
    ///
    /// # Errors
    ///
    /// Any error of the two steps.
    pub fn device_sign_in(
        &self,
        registration: &RegisterClientOutput,
        start_url: &str,
        prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        self.device_token(
            &RegistrationInfo::from(registration),
            start_url,
            prompt,
            cancel,
        )
    }

    /// [`Client::device_sign_in`] for a fresh or cached registration.
    pub(crate) fn device_token(
        &self,
        registration: &RegistrationInfo,
        start_url: &str,
        prompt: impl FnMut(&Prompt),
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let started =
            self.start_device_authorization(&registration.start_device_authorization(start_url))?;
        let mut flow = registration.device_flow(started, self.endpoint().clone(), Instant::now());
        self.run_device_flow(&mut flow, prompt, cancel)
    }
}
