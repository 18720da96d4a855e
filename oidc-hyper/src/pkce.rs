//! The authorization-code + PKCE driver: a loopback listener on the
//! caller's runtime, oidc-core's PKCE values, and `CreateToken`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use oidc_core::pkce::{self, AuthorizeRequest, RedirectError, State};
use oidc_core::secret::{AuthorizationCode, CodeVerifier};
use oidc_core::sso_oidc::create_token::{CreateTokenInput, CreateTokenOutput, Grant};
use oidc_core::sso_oidc::register_client::{RegisterClientInput, RegisterClientOutput};

use crate::client::Client;
use crate::error::Error;
use crate::rt::{race, BoxIo, CancelToken, Either, Listener, Signal, Timer};

/// How long a served loopback connection may take to finish its response
/// once the redirect has been received.
const SERVE_GRACE: Duration = Duration::from_secs(5);

const SUCCESS_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body><h1>Request approved</h1><p>You can close this window and return to the application.</p></body></html>";
const FAILURE_PAGE: &str =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
<body><h1>Sign-in failed</h1><p>Return to the application for details.</p></body></html>";

type Outcome = Result<AuthorizationCode, RedirectError>;

impl Client {
    /// `RegisterClient` for the authorization-code flow, as the AWS CLI
    /// does it (pkce.md §2.1): grants `authorization_code` and
    /// `refresh_token`, the loopback redirect URI without a port, the start
    /// URL as issuer, and `scopes` (default `sso:account:access`).
    ///
    /// # Errors
    ///
    /// As [`Client::register_client`].
    pub async fn register_for_authorization_code(
        &self,
        client_name: &str,
        start_url: &str,
        scopes: &[&str],
    ) -> Result<RegisterClientOutput, Error> {
        let input = RegisterClientInput::for_authorization_code(
            client_name,
            start_url,
            scopes.iter().copied(),
        );
        self.register_client(&input).await
    }

    /// The whole authorization-code + PKCE login for `registration` (made
    /// with [`register_for_authorization_code`](Client::register_for_authorization_code)).
    ///
    /// Draws the verifier and state from the OS RNG, builds the authorize
    /// URL for `listener`'s port and passes it to `open` (open it in a
    /// browser, or print it), serves the redirect on `listener` until a
    /// valid one arrives (other paths get 404 and are ignored, as are
    /// requests with neither code nor error), then calls `CreateToken`.
    /// Gives up after `timeout` (the AWS CLI waits
    /// [`DEFAULT_AUTHORIZATION_TIMEOUT`](crate::DEFAULT_AUTHORIZATION_TIMEOUT)).
    ///
    /// ```no_run
    /// # #[cfg(feature = "tokio")]
    /// # async fn example() -> Result<(), oidc_hyper::Error> {
    /// use oidc_hyper::tokio::TokioListener;
    /// use oidc_hyper::{CancelToken, Client, Config, DEFAULT_AUTHORIZATION_TIMEOUT};
    ///
    /// let client = Client::tokio(Config::for_region("us-east-1"))?;
    /// let start_url = "https://my-org.awsapps.com/start";
    /// let registration = client.register_for_authorization_code("my-tool", start_url, &[]).await?;
    /// let listener = TokioListener::bind_loopback().await.map_err(oidc_hyper::Error::Listener)?;
    /// let token = client
    ///     .authorization_code_sign_in(
    ///         &registration,
    ///         listener,
    ///         &[],
    ///         |url| println!("Open this URL in your browser: {url}"),
    ///         DEFAULT_AUTHORIZATION_TIMEOUT,
    ///         &CancelToken::new(),
    ///     )
    ///     .await?;
    /// # let _ = token;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Pkce`] (error in the redirect, state mismatch; no token is
    /// requested then), [`Error::TimedOut`], [`Error::Cancelled`],
    /// [`Error::Listener`], [`Error::Random`], or `CreateToken`'s error.
    pub async fn authorization_code_sign_in(
        &self,
        registration: &RegisterClientOutput,
        mut listener: impl Listener,
        scopes: &[&str],
        mut open: impl FnMut(&str) + Send,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<CreateTokenOutput, Error> {
        let mut verifier_bytes = [0u8; 32];
        let mut state_bytes = [0u8; 16];
        getrandom::fill(&mut verifier_bytes)
            .and_then(|()| getrandom::fill(&mut state_bytes))
            .map_err(|e| Error::Random(e.to_string()))?;
        let verifier = CodeVerifier::from_random_bytes(&verifier_bytes);
        let state = State::from_random_bytes(&state_bytes);
        let redirect_uri = pkce::loopback_redirect_uri(listener.port());
        let authorize = AuthorizeRequest {
            client_id: registration.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            code_challenge: pkce::code_challenge(&verifier),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        open(&authorize.to_url(self.endpoint().url()));

        let code = self
            .await_redirect(&mut listener, state, timeout, cancel)
            .await?;
        let input = CreateTokenInput::new(
            registration.client_id.clone(),
            registration.client_secret.clone(),
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier: Some(verifier),
            },
        );
        let request = oidc_core::sso_oidc::create_token::request(&input, self.endpoint())?;
        self.call(
            oidc_core::Operation::CreateToken,
            &request,
            Some(cancel),
            oidc_core::sso_oidc::create_token::parse,
        )
        .await
    }

    /// Accepts connections until a redirect decides the outcome, the
    /// timeout passes or `cancel` fires.
    async fn await_redirect(
        &self,
        listener: &mut impl Listener,
        state: State,
        limit: Duration,
        cancel: &CancelToken,
    ) -> Result<AuthorizationCode, Error> {
        let outcome: Arc<Signal<Outcome>> = Arc::new(Signal::default());
        let done: Arc<Signal<()>> = Arc::new(Signal::default());
        let state = Arc::new(state);
        let mut deadline = self.timer().sleep(limit);
        let result = loop {
            let stop = race(cancel.cancelled(), &mut deadline);
            match race(race(listener.accept(), outcome.wait()), stop).await {
                Either::Left(Either::Left(Ok(io))) => {
                    let task = serve(
                        io,
                        Arc::clone(&state),
                        Arc::clone(&outcome),
                        Arc::clone(&done),
                        Arc::clone(&self.inner.transport.timer),
                    );
                    self.executor().spawn(Box::pin(task));
                }
                Either::Left(Either::Left(Err(e))) => break Err(Error::Listener(e)),
                Either::Left(Either::Right(())) => {
                    break match outcome.take() {
                        Some(Ok(code)) => Ok(code),
                        Some(Err(e)) => Err(Error::Pkce(e)),
                        None => Err(Error::Cancelled),
                    }
                }
                Either::Right(Either::Left(())) => break Err(Error::Cancelled),
                Either::Right(Either::Right(())) => break Err(Error::TimedOut { waited: limit }),
            }
        };
        // Let served connections finish their response, then close.
        done.set(());
        result
    }
}

/// Serves one loopback connection: answers each request, records the first
/// decisive redirect, and shuts down gracefully once the flow has its
/// outcome.
async fn serve(
    io: BoxIo,
    state: Arc<State>,
    outcome: Arc<Signal<Outcome>>,
    done: Arc<Signal<()>>,
    timer: Arc<dyn Timer>,
) {
    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| request.uri().to_string());
        let (status, page) = match pkce::parse_redirect(&target, &state) {
            Ok(code) => {
                outcome.set(Ok(code));
                (200, SUCCESS_PAGE)
            }
            Err(e) if e.is_ignorable() => (404, FAILURE_PAGE),
            Err(e) => {
                outcome.set(Err(e));
                (400, FAILURE_PAGE)
            }
        };
        let response = http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(http::header::CACHE_CONTROL, "no-store")
            .body(Full::new(Bytes::from_static(page.as_bytes())));
        std::future::ready(Ok::<_, Infallible>(response.unwrap_or_else(|_| {
            http::Response::new(Full::new(Bytes::from_static(FAILURE_PAGE.as_bytes())))
        })))
    });
    let mut connection = pin!(http1::Builder::new()
        .keep_alive(false)
        .serve_connection(io, service));
    let mut shutting_down = false;
    let mut grace: Option<crate::rt::BoxFuture<'static, ()>> = None;
    std::future::poll_fn(|cx| {
        if !shutting_down && done.poll_set(cx).is_ready() {
            connection.as_mut().graceful_shutdown();
            shutting_down = true;
            grace = Some(timer.sleep(SERVE_GRACE));
        }
        if let Poll::Ready(result) = connection.as_mut().poll(cx) {
            if let Err(e) = result {
                log::debug!("loopback connection ended: {e}");
            }
            return Poll::Ready(());
        }
        if let Some(g) = grace.as_mut() {
            if g.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    })
    .await
}
