//! One HTTP attempt over ureq: the only place that touches ureq. Sends the
//! request exactly as the core built it, reads the body up to the cap, and
//! maps ureq's errors into the core's one [`TransportError`].

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use oidc_core::http::{self, header};
use oidc_core::{TimeoutPhase, TransportError, TransportErrorKind};
use oidc_host::adapter::{Failure, IoStage, RunOptions};
use oidc_host::Config;
use ureq::config::Config as UreqConfig;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// How long a resolved host name is reused.
const RESOLVE_TTL: Duration = Duration::from_secs(30);

/// The agent and the limits of one client.
#[derive(Debug)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    config: Config,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Transport {
        let ureq_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Proxies are not used, by either adapter (documented on
            // `Config`): a credential must never cross a proxy in clear
            // text, and loopback never goes through one.
            .proxy(None)
            .user_agent(ureq::config::AutoHeaderValue::None)
            .accept(ureq::config::AutoHeaderValue::None)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_per_call(Some(config.call_timeout))
            .max_idle_connections_per_host(config.max_idle_per_host)
            .build();
        let agent = ureq::Agent::with_parts(
            ureq_config,
            DefaultConnector::new(),
            CachingResolver::default(),
        );
        Transport {
            agent,
            config: config.clone(),
        }
    }

    /// Sends one attempt; the response with its body, whatever its status.
    /// The request's send deadline (a device flow's, or the run's) bounds
    /// the whole attempt. A request without a body is sent without one (no
    /// `Content-Length` the core did not set).
    pub(crate) fn send(
        &self,
        request: http::Request<Vec<u8>>,
        options: &RunOptions,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let deadline = options.send_deadline(&request);
        let operation = oidc_core::step::operation_name(&request);
        let uri = request.uri().clone();
        let (parts, body) = request.into_parts();
        let sent = if body.is_empty() {
            self.run(http::Request::from_parts(parts, ()), deadline)
        } else {
            self.run(http::Request::from_parts(parts, body), deadline)
        };
        let read = sent.and_then(|response| {
            let (parts, body) = response.into_parts();
            let body = self.read_body(parts.status.as_u16(), &parts.headers, body)?;
            Ok(http::Response::from_parts(parts, body))
        });
        read.map_err(|failure| failure.into_error_of(operation, &uri))
    }

    fn run<B: ureq::AsSendBody>(
        &self,
        request: http::Request<B>,
        deadline: Option<Instant>,
    ) -> Result<http::Response<ureq::Body>, Failure> {
        use ureq::RequestExt as _;
        match deadline {
            Some(deadline) => request
                .with_agent(&self.agent)
                .configure()
                .timeout_global(Some(deadline.saturating_duration_since(Instant::now())))
                .run(),
            None => self.agent.run(request),
        }
        .map_err(|e| self.ureq_error(e))
    }

    /// The body, up to the cap.
    fn read_body(
        &self,
        status: u16,
        headers: &http::HeaderMap,
        body: ureq::Body,
    ) -> Result<Vec<u8>, Failure> {
        let limit = self.config.max_body_bytes;
        let too_large = || Failure::new(TransportErrorKind::BodyTooLarge { status, limit });
        let announced = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        match read_capped(body, limit) {
            Ok(body) => Ok(body),
            Err(ReadError::TooLarge) => Err(too_large()),
            Err(ReadError::Io(e)) => Err(self.io_error(e)),
        }
    }

    fn ureq_error(&self, e: ureq::Error) -> Failure {
        let kind = match e {
            // ureq reports a failed connect or lookup as I/O too; the one
            // classification of oidc-host sorts it out.
            ureq::Error::Io(io) => return self.io_error(io),
            ureq::Error::Timeout(t) => return self.timeout(t).with_source(e),
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                TransportErrorKind::Connect
            }
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
                TransportErrorKind::Tls
            }
            _ => TransportErrorKind::Exchange,
        };
        Failure::new(kind).with_source(e)
    }

    fn io_error(&self, e: io::Error) -> Failure {
        match self.inner_timeout(&e) {
            Some(failure) => failure.with_source(e),
            None => Failure::io(&self.config, IoStage::Exchange, e),
        }
    }

    /// A ureq timeout wrapped in an I/O error.
    fn inner_timeout(&self, e: &io::Error) -> Option<Failure> {
        match e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
            Some(ureq::Error::Timeout(t)) => Some(self.timeout(*t)),
            _ => None,
        }
    }

    fn timeout(&self, t: ureq::Timeout) -> Failure {
        let phase = match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => TimeoutPhase::Connect,
            ureq::Timeout::PerRead | ureq::Timeout::RecvResponse | ureq::Timeout::RecvBody => {
                TimeoutPhase::Read
            }
            _ => TimeoutPhase::Call,
        };
        Failure::timeout(&self.config, phase)
    }
}

enum ReadError {
    TooLarge,
    Io(io::Error),
}

/// Reads the body, never holding more than `limit + 1` bytes. A connection
/// cut mid-body is a transport failure (retried), as in oidc-hyper.
fn read_capped(body: ureq::Body, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut reader = body.into_reader();
    let mut out = Vec::new();
    let mut chunk = [0u8; 8 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if (out.len() as u64).saturating_add(n as u64) > limit {
                    return Err(ReadError::TooLarge);
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
}

/// A resolver that creates no thread in the steady state: IP literals are
/// used as they are, and a host name is resolved once per
/// [`RESOLVE_TTL`] (on a helper thread bounded by the connect timeout, as
/// ureq's own resolver does) and then served from memory. ureq asks the
/// resolver on every call, even one that reuses a pooled connection.
#[derive(Debug, Default)]
struct CachingResolver {
    cache: Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &UreqConfig,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri
            .port_u16()
            .or_else(|| match uri.scheme_str() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => None,
            })
            .ok_or(ureq::Error::HostNotFound)?;
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let addrs: Vec<SocketAddr> = if let Ok(ip) = literal.parse::<IpAddr>() {
            vec![SocketAddr::new(ip, port)]
        } else {
            let key = format!("{host}:{port}");
            let cached = self
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .filter(|(at, _)| at.elapsed() < RESOLVE_TTL)
                .map(|(_, addrs)| addrs.clone());
            match cached {
                Some(addrs) => addrs,
                None => {
                    let addrs = lookup(key.clone(), *timeout.after)?;
                    self.cache
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(key, (Instant::now(), addrs.clone()));
                    addrs
                }
            }
        };
        let mut out = self.empty();
        for addr in config.ip_family().keep_wanted(addrs.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            Err(ureq::Error::HostNotFound)
        } else {
            Ok(out)
        }
    }
}

/// Resolves `host:port` within `timeout` (the OS resolver has no timeout
/// of its own, so it runs on a helper thread that is abandoned when late).
fn lookup(addr: String, timeout: Duration) -> Result<Vec<SocketAddr>, ureq::Error> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("oidc-ureq-resolve".to_owned())
        .spawn(move || {
            let _ = tx.send(addr.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(ureq::Error::Io)?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) => Ok(addrs),
        // A failed lookup is a connect failure, as in oidc-hyper.
        Ok(Err(e)) => Err(ureq::Error::Io(io::Error::new(io::ErrorKind::NotFound, e))),
        Err(_) => Err(ureq::Error::Timeout(ureq::Timeout::Resolve)),
    }
}

#[cfg(test)]
mod tests {
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    use super::*;

    fn resolve(resolver: &CachingResolver, uri: &str) -> Vec<SocketAddr> {
        let uri: Uri = uri.parse().unwrap();
        let timeout = NextTimeout {
            after: UreqDuration::from_secs(5),
            ..NextTimeout::default()
        };
        resolver
            .resolve(&uri, &UreqConfig::default(), timeout)
            .unwrap()
            .iter()
            .copied()
            .collect()
    }

    fn cached_at(resolver: &CachingResolver, key: &str) -> Option<Instant> {
        resolver.cache.lock().unwrap().get(key).map(|(at, _)| *at)
    }

    #[test]
    fn an_ip_literal_is_resolved_without_a_lookup() {
        let resolver = CachingResolver::default();
        assert_eq!(
            resolve(&resolver, "http://127.0.0.1:8080/token"),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&resolver, "https://[::1]/token"),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        // No lookup ran: a lookup (on its helper thread) always fills the
        // cache.
        assert!(resolver.cache.lock().unwrap().is_empty());
    }

    #[test]
    fn a_host_name_is_served_from_the_cache_the_second_time() {
        let resolver = CachingResolver::default();
        let first = resolve(&resolver, "http://localhost:4321/");
        assert!(!first.is_empty());
        assert!(first
            .iter()
            .all(|a| a.port() == 4321 && a.ip().is_loopback()));
        let at = cached_at(&resolver, "localhost:4321").expect("cached after a lookup");
        std::thread::sleep(Duration::from_millis(5));
        let second = resolve(&resolver, "http://localhost:4321/");
        assert_eq!(first, second);
        // Not looked up again: the entry keeps its original time.
        assert_eq!(cached_at(&resolver, "localhost:4321"), Some(at));
        // The default port of the scheme is part of the key.
        resolve(&resolver, "http://localhost/");
        assert!(cached_at(&resolver, "localhost:80").is_some());
    }
}
