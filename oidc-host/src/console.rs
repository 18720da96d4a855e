//! The console sign-in token as a [`Flow`]: one `getSigninToken` request
//! to the federation endpoint, sent once (no retries: a sign-in token is
//! asked for by a person, who can ask again), parsed into a
//! [`SigninToken`].
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use oidc_core::federation::{FederationEndpoint, Partition, SigninTokenRequest};
//! use oidc_core::retry::RetryQuota;
//! use oidc_core::{Credentials, Step};
//! use oidc_host::console::SigninTokenFlow;
//! use oidc_host::{Event, Flow};
//!
//! let credentials = Credentials::new("ASIAEXAMPLE", "secret").with_session_token("token");
//! let request = SigninTokenRequest::new(&credentials).unwrap();
//! let endpoint = FederationEndpoint::for_partition(Partition::Aws);
//! let mut flow = SigninTokenFlow::new(&request, &endpoint);
//! let (now, wall) = (Instant::now(), SystemTime::UNIX_EPOCH);
//! let Step::Send(sent) = flow.poll(now, wall) else { panic!() };
//! assert_eq!(sent.uri().host(), Some("signin.aws.amazon.com"));
//! let answer = http::Response::builder().status(200).body(br#"{"SigninToken":"t"}"#.to_vec()).unwrap();
//! flow.handle(now, Event::Response(&answer), &mut RetryQuota::default(), 0);
//! let Step::Done(Ok(token)) = flow.poll(now, wall) else { panic!() };
//! assert_eq!(token.secret(), "t");
//! ```

use std::time::{Instant, SystemTime};

use oidc_core::federation::{
    parse_signin_token, FederationEndpoint, SigninToken, SigninTokenRequest,
};
use oidc_core::http;
use oidc_core::retry::RetryQuota;
use oidc_core::step::Step;

use crate::drive::flow::{Event, Flow, FlowStep};
use crate::error::Error;

/// Where a [`SigninTokenFlow`] is.
enum State {
    /// The request to send (or why it could not be built).
    Ready(Result<http::Request<Vec<u8>>, Error>),
    /// Sent; waiting for the answer.
    Sent,
    /// Over; the outcome, until polled.
    Over(Option<Result<SigninToken, Error>>),
}

/// Gets a console sign-in token: sends the `getSigninToken` request once,
/// ends with the [`SigninToken`], or with
/// [`Error::Federation`] (refused, unusable answer, bad input) or
/// [`Error::Core`] (no answer: the transport's error).
pub struct SigninTokenFlow {
    state: State,
}

impl std::fmt::Debug for SigninTokenFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Ready(_) => "ready",
            State::Sent => "sent",
            State::Over(_) => "over",
        };
        f.debug_struct("SigninTokenFlow")
            .field("state", &state)
            .finish()
    }
}

impl SigninTokenFlow {
    /// A flow for `request` to `endpoint`. An invalid request (a session
    /// duration out of range) ends the flow at its first poll.
    pub fn new(request: &SigninTokenRequest, endpoint: &FederationEndpoint) -> SigninTokenFlow {
        SigninTokenFlow {
            state: State::Ready(request.build(endpoint).map_err(Error::from)),
        }
    }
}

impl Flow for SigninTokenFlow {
    type Output = SigninToken;

    fn poll(&mut self, _now: Instant, _wall_clock: SystemTime) -> FlowStep<SigninToken> {
        match std::mem::replace(&mut self.state, State::Sent) {
            State::Ready(Ok(request)) => Step::Send(request),
            State::Ready(Err(e)) => {
                self.state = State::Over(None);
                Step::Done(Err(e))
            }
            State::Sent => Step::Done(Err(Error::Local {
                context: "the sign-in token request was polled again before its answer arrived",
                source: std::io::Error::other("driver error"),
            })),
            State::Over(Some(outcome)) => {
                self.state = State::Over(None);
                Step::Done(outcome)
            }
            State::Over(None) => {
                self.state = State::Over(None);
                Step::Done(Err(Error::Local {
                    context: "the sign-in token flow is over",
                    source: std::io::Error::other("polled after done"),
                }))
            }
        }
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        _now: Instant,
        event: Event<'_, B>,
        _quota: &mut RetryQuota,
        _random: u32,
    ) {
        if !matches!(self.state, State::Sent) {
            return;
        }
        match event {
            Event::Response(response) => {
                self.state = State::Over(Some(parse_signin_token(response).map_err(Error::from)));
            }
            Event::Failed(error) => {
                self.state = State::Over(Some(Err(Error::Core(oidc_core::Error::from(error)))));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oidc_core::federation::{FederationError, Partition};
    use oidc_core::{Credentials, TransportError, TransportErrorKind};

    fn flow(duration: Option<u32>) -> SigninTokenFlow {
        let credentials = Credentials::new("ASIAEXAMPLE", "planted").with_session_token("planted");
        let mut request = SigninTokenRequest::new(&credentials).unwrap();
        if let Some(seconds) = duration {
            request = request.with_session_duration(seconds);
        }
        SigninTokenFlow::new(
            &request,
            &FederationEndpoint::for_partition(Partition::AwsCn),
        )
    }

    fn now() -> (Instant, SystemTime) {
        (Instant::now(), SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn sends_once_and_ends_with_the_token_or_the_refusal() {
        let (now, wall) = now();
        let mut quota = RetryQuota::default();
        let mut ok = flow(None);
        let Step::Send(request) = ok.poll(now, wall) else {
            panic!("expected a request")
        };
        assert_eq!(request.uri().host(), Some("signin.amazonaws.cn"));
        assert!(!format!("{ok:?}").contains("planted"));
        let answer = http::Response::builder()
            .status(403)
            .body(br#"{"message":"expired"}"#.to_vec())
            .unwrap();
        ok.handle(now, Event::Response(&answer), &mut quota, 0);
        match ok.poll(now, wall) {
            Step::Done(Err(Error::Federation(FederationError::Service {
                status: 403, ..
            }))) => {}
            other => panic!("{other:?}"),
        }
        // Over: a second poll is a driver error, not a second request.
        assert!(matches!(
            ok.poll(now, wall),
            Step::Done(Err(Error::Local { .. }))
        ));
    }

    #[test]
    fn a_transport_failure_is_a_core_error() {
        let (now, wall) = now();
        let mut f = flow(Some(3600));
        assert!(matches!(f.poll(now, wall), Step::Send(_)));
        let failure = TransportError::new("Federation GetSigninToken", TransportErrorKind::Connect);
        f.handle(
            now,
            Event::<Vec<u8>>::Failed(failure),
            &mut RetryQuota::default(),
            0,
        );
        match f.poll(now, wall) {
            Step::Done(Err(e)) => assert!(e.transport_error().is_some(), "{e:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_invalid_request_ends_at_once() {
        let (now, wall) = now();
        let mut f = flow(Some(10));
        match f.poll(now, wall) {
            Step::Done(Err(Error::Federation(FederationError::InvalidSessionDuration {
                seconds: 10,
            }))) => {}
            other => panic!("{other:?}"),
        }
    }
}
