//! One HTTP/1.1 exchange over a pooled connection: the only place that
//! touches hyper's client. Sends the request exactly as the core built it
//! (adding `Host` only when absent) and maps failures into the core's one
//! [`TransportError`].

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{HeaderValue, HOST};

use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use oidc_core::{TimeoutPhase, TransportError, TransportErrorKind};
use oidc_host::adapter::{Failure, IoStage};

use crate::rt::{lock, timeout, Connector, Executor, Target, Timer};
use oidc_host::Config;

type Sender = SendRequest<Full<Bytes>>;

/// Connections, timers and limits shared by every call of a client.
pub(crate) struct Transport {
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) timer: Arc<dyn Timer>,
    pub(crate) executor: Arc<dyn Executor>,
    idle: Mutex<HashMap<Target, Vec<Sender>>>,
    config: Config,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle: usize = lock(&self.idle).values().map(Vec::len).sum();
        f.debug_struct("Transport")
            .field("idle_connections", &idle)
            .field("connect_timeout", &self.config.connect_timeout)
            .field("read_timeout", &self.config.read_timeout)
            .field("call_timeout", &self.config.call_timeout)
            .field("max_body_bytes", &self.config.max_body_bytes)
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
        Transport {
            connector,
            timer,
            executor,
            idle: Mutex::new(HashMap::new()),
            config: config.clone(),
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
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let outcome = match target_of(request.uri()) {
            Ok(target) => {
                let call = self.send_to(&target, &request);
                match timeout(&*self.timer, self.config.call_timeout, call).await {
                    Some(result) => result,
                    None => Err(Failure::timeout(&self.config, TimeoutPhase::Call)),
                }
            }
            Err(failure) => Err(failure),
        };
        outcome.map_err(|failure| failure.into_error(&request))
    }

    async fn send_to(
        &self,
        target: &Target,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let mut conn = self.checkout(target).await?;
        match self.exchange(&mut conn, request).await {
            Err(Exchange::Stale(_)) if conn.reused => {
                log::debug!("pooled connection to {target} was closed; reconnecting");
                let mut fresh = self.connect(target).await?;
                self.finish(
                    target,
                    into_result(self.exchange(&mut fresh, request).await),
                    fresh,
                )
            }
            other => self.finish(target, into_result(other), conn),
        }
    }

    fn finish(
        &self,
        target: &Target,
        result: Result<http::Response<Bytes>, Failure>,
        conn: Conn,
    ) -> Result<http::Response<Bytes>, Failure> {
        if result.is_ok() {
            self.checkin(target, conn.sender);
        }
        result
    }

    async fn checkout(&self, target: &Target) -> Result<Conn, Failure> {
        loop {
            let pooled = lock(&self.idle).get_mut(target).and_then(Vec::pop);
            let Some(mut sender) = pooled else { break };
            if sender.is_closed() {
                continue;
            }
            // The previous exchange read its body to the end, so the
            // connection becomes ready at once unless it was closed.
            if let Some(Ok(())) =
                timeout(&*self.timer, self.config.connect_timeout, sender.ready()).await
            {
                return Ok(Conn {
                    sender,
                    reused: true,
                });
            }
        }
        self.connect(target).await
    }

    fn checkin(&self, target: &Target, sender: Sender) {
        if sender.is_closed() || self.config.max_idle_per_host == 0 {
            return;
        }
        let mut idle = lock(&self.idle);
        let list = idle.entry(target.clone()).or_default();
        list.retain(|s| !s.is_closed());
        if list.len() < self.config.max_idle_per_host {
            list.push(sender);
        }
    }

    async fn connect(&self, target: &Target) -> Result<Conn, Failure> {
        let timed_out = || Failure::timeout(&self.config, TimeoutPhase::Connect);
        let io = timeout(
            &*self.timer,
            self.config.connect_timeout,
            self.connector.connect(target),
        )
        .await
        .ok_or_else(timed_out)?
        .map_err(|e| Failure::io(&self.config, IoStage::Connect, e))?;
        let (sender, connection) = timeout(
            &*self.timer,
            self.config.connect_timeout,
            http1::handshake(io),
        )
        .await
        .ok_or_else(timed_out)?
        .map_err(|e| Failure::new(TransportErrorKind::Connect).with_source(e))?;
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
        conn: &mut Conn,
        request: &http::Request<Vec<u8>>,
    ) -> Result<http::Response<Bytes>, Exchange> {
        let outgoing = prepare(request)?;
        let limit = self.config.max_body_bytes;
        let work = async {
            let response = conn.sender.send_request(outgoing).await.map_err(|e| {
                // Only a request that was never written is safe to resend for free.
                let stale = e.is_canceled();
                let error = Failure::new(TransportErrorKind::Exchange).with_source(e);
                if stale {
                    Exchange::Stale(error)
                } else {
                    Exchange::Failed(error)
                }
            })?;
            let (parts, body) = response.into_parts();
            let status = parts.status.as_u16();
            let too_large = || Failure::new(TransportErrorKind::BodyTooLarge { status, limit });
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
                        Exchange::Failed(Failure::new(TransportErrorKind::Exchange).with_source(e))
                    }
                })?;
            Ok(http::Response::from_parts(parts, collected.to_bytes()))
        };
        timeout(&*self.timer, self.config.read_timeout, work)
            .await
            .unwrap_or_else(|| {
                Err(Exchange::Failed(Failure::timeout(
                    &self.config,
                    TimeoutPhase::Read,
                )))
            })
    }
}

/// The request hyper sends: origin-form target, and `Host` unless the core
/// set (and signed) it already. Nothing else is added or changed.
fn prepare(request: &http::Request<Vec<u8>>) -> Result<http::Request<Full<Bytes>>, Exchange> {
    let uri = request.uri();
    let invalid = || {
        Exchange::Failed(
            Failure::new(TransportErrorKind::Exchange).with_source(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{uri}` is not an absolute http(s) URL"),
            )),
        )
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
    if !outgoing.headers().contains_key(HOST) {
        outgoing.headers_mut().insert(HOST, host);
    }
    Ok(outgoing)
}

/// How an exchange failed: `Stale` means the connection was found closed
/// before the request was written (safe to resend on a fresh connection).
enum Exchange {
    Stale(Failure),
    Failed(Failure),
}

fn into_result(
    r: Result<http::Response<Bytes>, Exchange>,
) -> Result<http::Response<Bytes>, Failure> {
    r.map_err(|e| match e {
        Exchange::Stale(e) | Exchange::Failed(e) => e,
    })
}

/// The connector target of an absolute URI.
pub(crate) fn target_of(uri: &http::Uri) -> Result<Target, Failure> {
    let tls = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let host = uri.host().ok_or_else(|| {
        Failure::new(TransportErrorKind::InsecureEndpoint {
            url: uri.to_string(),
        })
    })?;
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target::new(host, port, tls))
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
}
