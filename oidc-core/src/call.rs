//! One call of one operation, with the AWS standard retries, as a sans-IO
//! state machine.
//!
//! [`Call`] has the device flow's shape: [`Call::poll`] says what to do
//! next ([`Step`]: send this request, wait until then, or done), and
//! [`Call::handle_response`] / [`Call::handle_transport_error`] advance it.
//! Every attempt is a fresh copy of the request with the caller's
//! `User-Agent` set and, for [`Auth::SigV4`]
//! operations, signed again at the attempt's wall-clock time, so a
//! transport never adds or rewrites a header.
//!
//! The loop a driver follows:
//!
#![doc = include_str!("../docs/call.md")]

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use http::HeaderValue;

use crate::endpoint::{self, Endpoint, InsecureEndpoint};
use crate::error::{Error, Misuse};
use crate::operation::{Auth, Operation};
use crate::retry::{self, RetryDecision, RetryPolicy, RetryQuota};
use crate::step::{OperationName, Step};
use crate::transport_error::{TransportError, TransportErrorKind};

/// Signs a request in place at a given wall-clock time: the per-attempt
/// hook of [`Call`] for [`Auth::SigV4`] operations.
///
/// [`crate::sigv4::SigV4Signer`] is the implementation for AWS credentials;
/// a caller may bring another.
pub trait SignRequest: Send + Sync {
    /// Signs `request` for `signing_name` at `time`. Must set every header
    /// it signs (`Host`, `X-Amz-Date`, ...) itself.
    ///
    /// # Errors
    ///
    /// [`Error::Signing`] (or any error that names what is wrong).
    fn sign(
        &self,
        request: &mut http::Request<Vec<u8>>,
        signing_name: &'static str,
        time: SystemTime,
    ) -> Result<(), Error>;
}

/// How a [`Call`] runs.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// Attempts and back-off.
    pub retry: RetryPolicy,
    /// The `User-Agent` set on every attempt (before signing); the core's
    /// own when `None`.
    pub user_agent: Option<HeaderValue>,
    /// Allow plain `http://` to hosts that are not loopback.
    pub allow_insecure_http: bool,
    /// Signs [`Auth::SigV4`] operations; required for them.
    pub signer: Option<Arc<dyn SignRequest>>,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("signer", &self.signer.as_ref().map(|_| "[signer]"))
            .finish()
    }
}

impl CallOptions {
    /// Sets [`retry`](CallOptions::retry).
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`user_agent`](CallOptions::user_agent).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: HeaderValue) -> Self {
        self.user_agent = Some(user_agent);
        self
    }

    /// Sets [`allow_insecure_http`](CallOptions::allow_insecure_http).
    #[must_use]
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Sets [`signer`](CallOptions::signer).
    #[must_use]
    pub fn with_signer(mut self, signer: Arc<dyn SignRequest>) -> Self {
        self.signer = Some(signer);
        self
    }
}

enum State<T> {
    Ready { at: Option<Instant> },
    InFlight,
    Finished(Option<Result<T, Error>>),
}

/// One call of operation `O` with the standard retry policy.
///
/// The retry quota is the caller's (one per client, shared by its calls)
/// and is passed to each `handle_*`; the random value for the back-off
/// jitter too. Nothing here reads a clock, sleeps or draws randomness.
pub struct Call<O: Operation> {
    request: http::Request<Vec<u8>>,
    options: CallOptions,
    /// Every secret the request carries, removed from error text.
    secrets: zeroize::Zeroizing<Vec<String>>,
    state: State<O::Output>,
    attempts: u32,
    spent: u32,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &O::NAME)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> Call<O> {
    /// A call of `input` on `endpoint`.
    ///
    /// # Errors
    ///
    /// The input cannot form a request ([`Error::InvalidInput`]), the
    /// endpoint breaks the HTTPS rule ([`Error::Transport`] with
    /// [`TransportErrorKind::InsecureEndpoint`]), or a SigV4 operation has
    /// no signer ([`Error::Signing`]).
    pub fn new(input: &O, endpoint: &Endpoint, options: CallOptions) -> Result<Self, Error> {
        Ok(Self::with_request(input.request(endpoint)?, options)?.with_secrets(input.secrets()))
    }

    /// Also removes these secret values (sent in the request) from the
    /// service's error text. [`Call::new`] takes the input's
    /// [`Operation::secrets`]; sensitive headers count by themselves.
    #[must_use]
    pub fn with_secrets<'a>(mut self, secrets: impl IntoIterator<Item = &'a str>) -> Self {
        self.secrets.extend(secrets.into_iter().map(str::to_owned));
        self
    }

    fn remember_sensitive_headers(&mut self, request: &http::Request<Vec<u8>>) {
        for value in request.headers().values().filter(|v| v.is_sensitive()) {
            if let Ok(text) = value.to_str() {
                if !self.secrets.iter().any(|s| s == text) {
                    self.secrets.push(text.to_owned());
                }
            }
        }
    }

    fn finish(&mut self, outcome: Result<O::Output, Error>) {
        let outcome = outcome.map_err(|e| self.scrubbed(e));
        self.state = State::Finished(Some(outcome));
    }

    /// `e` without the call's secrets.
    fn scrubbed(&self, mut e: Error) -> Error {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        e.scrub_secrets(&secrets);
        e
    }

    /// A call that sends `request`, built earlier by `O`'s request builder
    /// (for example a cached refresh request).
    ///
    /// # Errors
    ///
    /// As [`Call::new`], except for the input.
    pub fn with_request(
        mut request: http::Request<Vec<u8>>,
        options: CallOptions,
    ) -> Result<Self, Error> {
        endpoint::check_transport_security(&request.uri().to_string(), options.allow_insecure_http)
            .map_err(|e| insecure(O::NAME, e))?;
        if matches!(O::AUTH, Auth::SigV4 { .. }) && options.signer.is_none() {
            return Err(Error::Signing {
                operation: O::NAME,
                cause: crate::sigv4::SigningError::NoCredentials,
            });
        }
        if let Some(ua) = &options.user_agent {
            request
                .headers_mut()
                .insert(http::header::USER_AGENT, ua.clone());
        }
        request.extensions_mut().insert(OperationName(O::NAME));
        Ok(Call {
            request,
            options,
            secrets: zeroize::Zeroizing::new(Vec::new()),
            state: State::Ready { at: None },
            attempts: 0,
            spent: 0,
        })
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether the call has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished(_))
    }

    /// Says what to do next at `now` (monotonic); `wall_clock` is the
    /// current time of day, used only to sign the attempt.
    pub fn poll(&mut self, now: Instant, wall_clock: SystemTime) -> Step<Result<O::Output, Error>> {
        match &mut self.state {
            State::Finished(outcome) => Step::Done(
                outcome
                    .take()
                    .unwrap_or(Err(Misuse::AlreadyFinished.into())),
            ),
            // Polled again before the attempt's outcome was handed over:
            // a driver error, which ends the call.
            State::InFlight => {
                self.state = State::Finished(None);
                Step::Done(Err(Misuse::PolledInFlight.into()))
            }
            State::Ready { at: Some(at) } if now < *at => Step::WaitUntil(*at),
            State::Ready { .. } => {
                let mut attempt = self.request.clone();
                if let (Auth::SigV4 { signing_name }, Some(signer)) =
                    (O::AUTH, &self.options.signer)
                {
                    if let Err(e) = signer.sign(&mut attempt, signing_name, wall_clock) {
                        let e = match e {
                            Error::Signing { cause, .. } => Error::Signing {
                                operation: O::NAME,
                                cause,
                            },
                            other => other,
                        };
                        // Scrubbed like every other outcome: a caller's
                        // signer may have put a secret in what it said.
                        self.state = State::Finished(None);
                        return Step::Done(Err(self.scrubbed(e)));
                    }
                }
                if self.attempts == 0 {
                    self.remember_sensitive_headers(&attempt);
                }
                self.attempts = self.attempts.saturating_add(1);
                self.state = State::InFlight;
                Step::Send(attempt)
            }
        }
    }

    /// Feeds the response to the last [`Step::Send`]. `random` is a
    /// uniformly random `u32` for the back-off jitter. Ignored when no
    /// attempt is outstanding.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        response: &http::Response<B>,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        if !matches!(self.state, State::InFlight) {
            return;
        }
        match O::parse(response) {
            Ok(output) => {
                quota.release(self.spent);
                self.state = State::Finished(Some(Ok(output)));
            }
            Err(e) => self.failed(now, e, quota, random),
        }
    }

    /// Reports that the last [`Step::Send`] got no usable response. The
    /// error is labelled with this call's operation. Ignored when no
    /// attempt is outstanding.
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        mut error: TransportError,
        quota: &mut RetryQuota,
        random: u32,
    ) {
        if !matches!(self.state, State::InFlight) {
            return;
        }
        error.operation = O::NAME;
        self.failed(now, Error::Transport(error), quota, random);
    }

    fn failed(&mut self, now: Instant, error: Error, quota: &mut RetryQuota, random: u32) {
        let class = retry::classify(&error);
        let wait = match self.options.retry.decide(self.attempts, class, random) {
            RetryDecision::RetryAfter(wait) => wait,
            RetryDecision::GiveUp => {
                self.finish(Err(error));
                return;
            }
        };
        match quota.acquire(class) {
            Some(cost) => {
                self.spent = self.spent.saturating_add(cost);
                self.state = State::Ready {
                    at: Some(now.checked_add(wait).unwrap_or(now)),
                };
            }
            None => self.finish(Err(error)),
        }
    }
}

impl<O: Operation> Drop for Call<O> {
    /// The request body may carry secrets (client secret, refresh token,
    /// assertion): zeroed when the call ends.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(self.request.body_mut());
    }
}

/// The error for a URL the HTTPS rule refuses.
pub(crate) fn insecure(operation: &'static str, e: InsecureEndpoint) -> Error {
    Error::Transport(TransportError::new(
        operation,
        TransportErrorKind::InsecureEndpoint {
            url: e.url().to_owned(),
        },
    ))
}
