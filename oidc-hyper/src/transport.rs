//! One HTTP/1.1 exchange over a pooled connection: the only place that
//! touches hyper's client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, HOST, USER_AGENT};

use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use oidc_core::retry::RetryClass;
use oidc_core::Operation;

use crate::error::{Error, TimeoutPhase, TransportKind};
use crate::rt::{lock, timeout, Connector, Executor, Target, Timer};
use oidc_core::endpoint;
use oidc_host::Config;

type Sender = SendRequest<Full<Bytes>>;

/// Connections, timers and limits shared by every call of a client.
pub(crate) struct Transport {
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) timer: Arc<dyn Timer>,
    pub(crate) executor: Arc<dyn Executor>,
    idle: Mutex<HashMap<Target, Vec<Sender>>>,
    connect_timeout: Duration,
    read_timeout: Duration,
    call_timeout: Duration,
    max_body_bytes: u64,
    max_idle_per_host: usize,
    allow_insecure_http: bool,
    pub(crate) user_agent: HeaderValue,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle: usize = lock(&self.idle).values().map(Vec::len).sum();
        f.debug_struct("Transport")
            .field("idle_connections", &idle)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// A connection that came from the pool or was opened for this exchange.
struct Conn {
    sender: Sender,
    reused: bool,
}

impl Transport {
    pub(crate) fn new(
        config: &Config,
        connector: Arc<dyn Connector>,
        timer: Arc<dyn Timer>,
        executor: Arc<dyn Executor>,
    ) -> Transport {
        let user_agent = config.user_agent("oidc-hyper", env!("CARGO_PKG_VERSION"));
        let user_agent = HeaderValue::from_str(&user_agent)
            .unwrap_or_else(|_| HeaderValue::from_static(oidc_core::USER_AGENT));
        Transport {
            connector,
            timer,
            executor,
            idle: Mutex::new(HashMap::new()),
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            call_timeout: config.call_timeout,
            max_body_bytes: config.max_body_bytes,
            max_idle_per_host: config.max_idle_per_host,
            allow_insecure_http: config.allow_insecure_http,
            user_agent,
        }
    }

    /// Idle pooled connections (all hosts).
    pub(crate) fn idle_connections(&self) -> usize {
        lock(&self.idle).values().map(Vec::len).sum()
    }

    /// Sends `request` once and reads the whole response (up to the cap),
    /// within the call timeout. A pooled connection found closed before
    /// the request was written is replaced by a fresh one once, without
    /// counting as an attempt.
    pub(crate) async fn send(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Error> {
        let url = request.uri().to_string();
        endpoint::check_transport_security(&url, self.allow_insecure_http).map_err(|e| {
            Error::InsecureEndpoint {
                url: e.url().to_owned(),
            }
        })?;
        let target = target_of(request.uri())?;
        let call = self.send_to(operation, &target, request);
        match timeout(&*self.timer, self.call_timeout, call).await {
            Some(result) => result,
            None => Err(Error::Timeout {
                operation,
                target: target.to_string(),
                phase: TimeoutPhase::Call,
                after: self.call_timeout,
            }),
        }
    }

    async fn send_to(
        &self,
        operation: Operation,
        target: &Target,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Error> {
        let mut conn = self.checkout(operation, target).await?;
        match self.exchange(operation, target, &mut conn, request).await {
            Err(Exchange::Stale(_)) if conn.reused => {
                log::debug!("{operation}: pooled connection to {target} was closed; reconnecting");
                let mut fresh = self.connect(operation, target).await?;
                self.finish(
                    target,
                    into_result(self.exchange(operation, target, &mut fresh, request).await),
                    fresh,
                )
            }
            other => self.finish(target, into_result(other), conn),
        }
    }

    fn finish(
        &self,
        target: &Target,
        result: Result<http::Response<Bytes>, Error>,
        conn: Conn,
    ) -> Result<http::Response<Bytes>, Error> {
        if result.is_ok() {
            self.checkin(target, conn.sender);
        }
        result
    }

    async fn checkout(&self, operation: Operation, target: &Target) -> Result<Conn, Error> {
        loop {
            let pooled = lock(&self.idle).get_mut(target).and_then(Vec::pop);
            let Some(mut sender) = pooled else { break };
            if sender.is_closed() {
                continue;
            }
            // The previous exchange read its body to the end, so the
            // connection becomes ready at once unless it was closed.
            if let Some(Ok(())) = timeout(&*self.timer, self.connect_timeout, sender.ready()).await
            {
                return Ok(Conn {
                    sender,
                    reused: true,
                });
            }
        }
        self.connect(operation, target).await
    }

    fn checkin(&self, target: &Target, sender: Sender) {
        if sender.is_closed() || self.max_idle_per_host == 0 {
            return;
        }
        let mut idle = lock(&self.idle);
        let list = idle.entry(target.clone()).or_default();
        list.retain(|s| !s.is_closed());
        if list.len() < self.max_idle_per_host {
            list.push(sender);
        }
    }

    async fn connect(&self, operation: Operation, target: &Target) -> Result<Conn, Error> {
        let timed_out = || Error::Timeout {
            operation,
            target: target.to_string(),
            phase: TimeoutPhase::Connect,
            after: self.connect_timeout,
        };
        let io = timeout(
            &*self.timer,
            self.connect_timeout,
            self.connector.connect(target),
        )
        .await
        .ok_or_else(timed_out)?
        .map_err(|e| Error::Transport {
            operation,
            target: target.to_string(),
            kind: TransportKind::Connect,
            message: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        let (sender, connection) =
            timeout(&*self.timer, self.connect_timeout, http1::handshake(io))
                .await
                .ok_or_else(timed_out)?
                .map_err(|e| transport_error(operation, target, TransportKind::Connect, e))?;
        let label = target.to_string();
        self.executor.spawn(Box::pin(async move {
            if let Err(e) = connection.await {
                log::debug!("connection to {label} ended: {e}");
            }
        }));
        Ok(Conn {
            sender,
            reused: false,
        })
    }

    async fn exchange(
        &self,
        operation: Operation,
        target: &Target,
        conn: &mut Conn,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Exchange> {
        let outgoing = self.prepare(operation, request)?;
        let limit = self.max_body_bytes;
        let work = async {
            let response = conn.sender.send_request(outgoing).await.map_err(|e| {
                // Only a request that was never written is safe to resend for free.
                let stale = e.is_canceled();
                let error = transport_error(operation, target, TransportKind::Exchange, e);
                if stale {
                    Exchange::Stale(error)
                } else {
                    Exchange::Failed(error)
                }
            })?;
            let (parts, body) = response.into_parts();
            let status = parts.status.as_u16();
            let too_large = || Error::BodyTooLarge {
                operation,
                status,
                limit,
                request_id: request_id(&parts.headers),
            };
            let announced = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if announced.is_some_and(|n| n > limit) {
                return Err(Exchange::Failed(too_large()));
            }
            let collected = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX))
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<LengthLimitError>() {
                        Exchange::Failed(too_large())
                    } else {
                        let message = e.to_string();
                        Exchange::Failed(Error::Transport {
                            operation,
                            target: target.to_string(),
                            kind: TransportKind::Exchange,
                            message,
                            source: Some(e),
                        })
                    }
                })?;
            Ok(http::Response::from_parts(parts, collected.to_bytes()))
        };
        timeout(&*self.timer, self.read_timeout, work)
            .await
            .unwrap_or_else(|| {
                Err(Exchange::Failed(Error::Timeout {
                    operation,
                    target: target.to_string(),
                    phase: TimeoutPhase::Read,
                    after: self.read_timeout,
                }))
            })
    }

    /// Origin-form target, and `Host` and `User-Agent` unless present.
    fn prepare(
        &self,
        operation: Operation,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Request<Full<Bytes>>, Exchange> {
        let uri = request.uri();
        let invalid = || {
            Exchange::Failed(Error::Core(oidc_core::Error::InvalidInput(
                oidc_core::InvalidInput::Invalid {
                    operation,
                    member: "endpoint",
                    reason: format!("`{uri}` is not an absolute http(s) URL"),
                },
            )))
        };
        let authority = uri.authority().ok_or_else(invalid)?;
        let path: http::Uri = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .parse()
            .map_err(|_| invalid())?;
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| invalid())?;
        let mut outgoing = http::Request::new(Full::new(Bytes::copy_from_slice(request.body())));
        *outgoing.method_mut() = request.method().clone();
        *outgoing.uri_mut() = path;
        *outgoing.headers_mut() = request.headers().clone();
        // A signer may have set (and signed) these already; keep them then.
        let headers = outgoing.headers_mut();
        if !headers.contains_key(HOST) {
            headers.insert(HOST, host);
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.user_agent.clone());
        }
        Ok(outgoing)
    }
}

/// How an exchange failed: `Stale` means the connection was found closed
/// before the request was written (safe to resend on a fresh connection).
enum Exchange {
    Stale(Error),
    Failed(Error),
}

impl From<Error> for Exchange {
    fn from(e: Error) -> Self {
        Exchange::Failed(e)
    }
}

fn into_result(r: Result<http::Response<Bytes>, Exchange>) -> Result<http::Response<Bytes>, Error> {
    r.map_err(|e| match e {
        Exchange::Stale(e) | Exchange::Failed(e) => e,
    })
}

fn transport_error(
    operation: Operation,
    target: &Target,
    kind: TransportKind,
    e: hyper::Error,
) -> Error {
    Error::Transport {
        operation,
        target: target.to_string(),
        kind,
        message: e.to_string(),
        source: Some(Box::new(e)),
    }
}

fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|n| headers.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The connector target of an absolute URI.
pub(crate) fn target_of(uri: &http::Uri) -> Result<Target, Error> {
    let tls = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let host = uri.host().ok_or_else(|| Error::InsecureEndpoint {
        url: uri.to_string(),
    })?;
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target::new(host, port, tls))
}

/// How a transport failure counts for retries (oidc-core classifies
/// responses; a failure without a response is transient, a timeout is a
/// timeout, and a policy refusal is final).
pub(crate) fn transport_class(error: &Error) -> RetryClass {
    match error {
        Error::Timeout { .. } => RetryClass::Timeout,
        Error::Transport { .. } => RetryClass::Transient,
        _ => RetryClass::NotRetryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = target_of(
            &"https://oidc.us-east-1.amazonaws.com/token"
                .parse()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls),
            ("oidc.us-east-1.amazonaws.com", 443, true)
        );
        let t = target_of(&"http://[::1]:8080/x".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.tls), ("::1", 8080, false));
        assert!(target_of(&"/relative".parse().unwrap()).is_err());
    }

    #[test]
    fn transport_failures_classify() {
        let t = Error::Timeout {
            operation: Operation::CreateToken,
            target: "x".into(),
            phase: TimeoutPhase::Read,
            after: Duration::from_secs(1),
        };
        assert_eq!(transport_class(&t), RetryClass::Timeout);
        let big = Error::BodyTooLarge {
            operation: Operation::CreateToken,
            status: 200,
            limit: 1,
            request_id: None,
        };
        assert_eq!(transport_class(&big), RetryClass::NotRetryable);
    }
}
