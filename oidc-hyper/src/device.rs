//! The device-flow driver: oidc-core's drive loop, on the caller's timer.

use oidc_core::device_flow::{Action, DeviceFlow, DeviceFlowError, Prompt};
use oidc_core::sso_oidc::create_token::CreateTokenOutput;
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};
use oidc_core::{Operation, TransportError};

use crate::client::Client;
use crate::error::Error;
use crate::rt::{race, CancelToken, Either};
use oidc_host::{RegistrationInfo, SignIn};

impl Client {
    /// Registers a client for the device flow (grants `device_code` and
    /// `refresh_token`, the start URL as issuer, `scopes` when not empty) and
    /// runs [`device_sign_in`](Client::device_sign_in) with it.
    ///
    /// # Errors
    ///
    /// `RegisterClient`'s error, or [`device_sign_in`](Client::device_sign_in)'s.
    pub async fn sign_in(
        &self,
        client_name: &str,
        start_url: &str,
        scopes: &[&str],
        prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<SignIn, Error> {
        let input =
            RegisterClientInput::for_device_flow(client_name, start_url, scopes.iter().copied());
        let request = oidc_core::sso_oidc::register_client::request(&input, self.endpoint())?;
        let registration = self
            .call(Operation::RegisterClient, &request, Some(cancel), |r| {
                oidc_core::sso_oidc::register_client::parse(r)
            })
            .await?;
        let token = self
            .device_sign_in(&registration, start_url, prompt, cancel)
            .await?;
        Ok(SignIn::new(registration, token))
    }

    /// Runs the device authorization flow for `registration`:
    /// `StartDeviceAuthorization` for `start_url`, then
    /// [`run_device_flow`](Client::run_device_flow).
    ///
    /// `prompt` is called once, before the first wait, with the user code
    /// and verification URI to show (or open).
    ///
    /// ```no_run
    /// # #[cfg(feature = "tokio")]
    /// # async fn example() -> Result<(), oidc_hyper::Error> {
    /// use oidc_core::sso_oidc::register_client::RegisterClientInput;
    /// use oidc_hyper::{CancelToken, Client, Config};
    ///
    /// let client = Client::tokio(Config::for_region("us-east-1"))?;
    /// let registration = client.register_client(&RegisterClientInput::new("my-tool")).await?;
    /// let cancel = CancelToken::new(); // cancel.cancel() from elsewhere stops the flow
    /// let token = client
    ///     .device_sign_in(&registration, "https://my-org.awsapps.com/start", |prompt| {
    ///         println!("Open {} and confirm {}", prompt.uri_to_open(), prompt.user_code);
    ///     }, &cancel)
    ///     .await?;
    /// println!("token expires in {} s", token.expires_in);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::DeviceFlow`] (expired, denied, invalid grant or client,
    /// failed), [`Error::Cancelled`], or the start call's error.
    pub async fn device_sign_in(
        &self,
        registration: &RegisterClientOutput,
        start_url: &str,
        prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        self.device_token(
            &RegistrationInfo::from(registration),
            start_url,
            prompt,
            cancel,
        )
        .await
    }

    /// `StartDeviceAuthorization` and the drive loop for a client id and
    /// secret (fresh or cached registration).
    pub(crate) async fn device_token(
        &self,
        registration: &RegistrationInfo,
        start_url: &str,
        prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let input = registration.start_device_authorization(start_url);
        let request =
            oidc_core::sso_oidc::start_device_authorization::request(&input, self.endpoint())?;
        let started = self
            .call(
                Operation::StartDeviceAuthorization,
                &request,
                Some(cancel),
                oidc_core::sso_oidc::start_device_authorization::parse,
            )
            .await?;
        let mut flow =
            registration.device_flow(started, self.endpoint().clone(), self.timer().now());
        self.run_device_flow(&mut flow, prompt, cancel).await
    }

    /// Drives `flow` to its end, following oidc-core's drive loop line for
    /// line: `poll`; `Send` → send (transport failures retried per the retry
    /// policy) and `handle_response` / `handle_transport_error`;
    /// `ShowPrompt` → `prompt`; `WaitUntil` → sleep on the caller's timer,
    /// racing `cancel`; `Done` → return.
    ///
    /// A request still in flight at the flow's deadline is abandoned, and
    /// cancelling interrupts a wait or a request at once.
    ///
    /// # Errors
    ///
    /// As [`device_sign_in`](Client::device_sign_in). When the flow gives up after
    /// repeated transport failures, the last transport error is returned.
    pub async fn run_device_flow(
        &self,
        flow: &mut DeviceFlow,
        mut prompt: impl FnMut(&Prompt) + Send,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let mut last_transport_error: Option<Error> = None;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            // 1. Call poll with the current time.
            match flow.poll(self.timer().now()) {
                // 2. Send, then handle_response or handle_transport_error.
                Action::Send(request) => {
                    let until_deadline = flow
                        .deadline()
                        .saturating_duration_since(self.timer().now());
                    let send =
                        self.send_cancellable(Operation::CreateToken, &request, Some(cancel));
                    match race(send, self.timer().sleep(until_deadline)).await {
                        Either::Left(Ok(response)) => {
                            last_transport_error = None;
                            flow.handle_response(self.timer().now(), &response)?;
                        }
                        Either::Left(Err(Error::Cancelled)) => return Err(Error::Cancelled),
                        Either::Left(Err(
                            e @ (Error::Transport { .. } | Error::Timeout { .. }),
                        )) => {
                            log::debug!("device flow poll failed: {e}");
                            let report = match &e {
                                Error::Timeout { .. } => {
                                    TransportError::timeout(Operation::CreateToken, e.to_string())
                                }
                                _ => TransportError::new(Operation::CreateToken, e.to_string()),
                            };
                            flow.handle_transport_error(self.timer().now(), report.into())?;
                            last_transport_error = Some(e);
                        }
                        Either::Left(Err(e)) => return Err(e),
                        // The deadline passed with the request in flight:
                        // abandon it; the next poll says Expired.
                        Either::Right(()) => {}
                    }
                }
                // 3. Show the prompt.
                Action::ShowPrompt(shown) => prompt(&shown),
                // 4. Wait until then, or until cancelled.
                Action::WaitUntil(at) => {
                    let wait = at.saturating_duration_since(self.timer().now());
                    self.sleep(wait, Some(cancel)).await?;
                }
                // 5. Done.
                Action::Done(Ok(token)) => return Ok(token),
                Action::Done(Err(e)) => {
                    return Err(match (e, last_transport_error) {
                        (DeviceFlowError::Failed(_), Some(transport)) => transport,
                        (e, _) => Error::DeviceFlow(e),
                    })
                }
            }
        }
    }
}
