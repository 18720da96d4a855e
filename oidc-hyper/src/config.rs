//! Client configuration.

use std::time::Duration;

use oidc_core::endpoint::{self, Endpoint, EndpointConfig, Service};
use oidc_core::retry::RetryPolicy;

use crate::error::Error;

/// Default cap on a response body: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Default time allowed to open a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time allowed for one attempt's response (head and body) once
/// the connection is open.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time the PKCE driver waits for the browser's redirect (the AWS
/// CLI waits 10 minutes).
pub const DEFAULT_AUTHORIZATION_TIMEOUT: Duration = Duration::from_secs(600);

/// How a [`Client`](crate::Client) reaches SSO OIDC.
///
/// ```
/// use std::time::Duration;
/// use oidc_hyper::Config;
///
/// let config = Config::for_region("eu-west-1")
///     .with_fips(true)
///     .with_read_timeout(Duration::from_secs(10))
///     .with_max_attempts(5)
///     .with_user_agent_suffix("my-tool/1.2");
/// assert_eq!(config.endpoint().unwrap().url(), "https://oidc-fips.eu-west-1.amazonaws.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The SSO region, e.g. `us-east-1`.
    pub region: String,
    /// A custom endpoint URL (replaces the resolved one; cannot be combined
    /// with FIPS or dual-stack).
    pub endpoint_url: Option<String>,
    /// Use the FIPS endpoint.
    pub use_fips: bool,
    /// Use the dual-stack (IPv4 + IPv6) endpoint.
    pub use_dual_stack: bool,
    /// Time allowed to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for one attempt's response, head and body, after the
    /// connection is open.
    pub read_timeout: Duration,
    /// The retry schedule (attempts in all, back-off), from
    /// [`oidc_core::retry`].
    pub retry: RetryPolicy,
    /// Largest response body accepted; a larger body is
    /// [`Error::BodyTooLarge`] and is never read past the cap.
    pub max_body_bytes: u64,
    /// Appended to the `User-Agent` header (after `oidc-core/x oidc-hyper/y`).
    pub user_agent_suffix: Option<String>,
    /// Allow plain `http` to hosts other than loopback. Off by default:
    /// only `https`, and `http` to `127.0.0.0/8`, `::1` and `localhost`.
    pub allow_insecure_http: bool,
    /// Most idle connections kept per host.
    pub max_idle_per_host: usize,
}

impl Config {
    /// The defaults for `region`: resolved endpoint, 5 s connect timeout,
    /// 30 s read timeout, the standard retry policy (3 attempts), 1 MiB body
    /// cap, HTTPS only (except loopback).
    pub fn for_region(region: impl Into<String>) -> Config {
        Config {
            region: region.into(),
            endpoint_url: None,
            use_fips: false,
            use_dual_stack: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent_suffix: None,
            allow_insecure_http: false,
            max_idle_per_host: 4,
        }
    }

    /// Sets [`endpoint_url`](Self::endpoint_url).
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Config {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Sets [`use_fips`](Self::use_fips).
    #[must_use]
    pub fn with_fips(mut self, on: bool) -> Config {
        self.use_fips = on;
        self
    }

    /// Sets [`use_dual_stack`](Self::use_dual_stack).
    #[must_use]
    pub fn with_dual_stack(mut self, on: bool) -> Config {
        self.use_dual_stack = on;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout).
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Config {
        self.read_timeout = timeout;
        self
    }

    /// Sets the number of attempts in all (1 disables retries).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Config {
        self.retry = self.retry.with_max_attempts(attempts);
        self
    }

    /// Sets the retry back-off base and cap.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Config {
        self.retry = self.retry.with_backoff(initial, max);
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: u64) -> Config {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`user_agent_suffix`](Self::user_agent_suffix).
    #[must_use]
    pub fn with_user_agent_suffix(mut self, suffix: impl Into<String>) -> Config {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets [`allow_insecure_http`](Self::allow_insecure_http).
    #[must_use]
    pub fn with_insecure_http(mut self, on: bool) -> Config {
        self.allow_insecure_http = on;
        self
    }

    /// Sets [`max_idle_per_host`](Self::max_idle_per_host) (0 disables reuse).
    #[must_use]
    pub fn with_max_idle_per_host(mut self, n: usize) -> Config {
        self.max_idle_per_host = n;
        self
    }

    /// Resolves the SSO OIDC endpoint with oidc-core's rule set and checks
    /// the scheme policy.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] with the endpoint error, or
    /// [`Error::InsecureEndpoint`].
    pub fn endpoint(&self) -> Result<Endpoint, Error> {
        let mut ec = EndpointConfig::for_region(self.region.clone())
            .with_fips(self.use_fips)
            .with_dual_stack(self.use_dual_stack);
        if let Some(url) = &self.endpoint_url {
            ec = ec.with_endpoint_url(url.clone());
        }
        let endpoint = endpoint::resolve(Service::SsoOidc, &ec).map_err(oidc_core::Error::from)?;
        let uri: http::Uri = endpoint
            .url()
            .parse()
            .map_err(|_| Error::InsecureEndpoint {
                url: endpoint.url().to_owned(),
            })?;
        check_scheme(&uri, self.allow_insecure_http)?;
        Ok(endpoint)
    }

    /// The `User-Agent` product tokens this adapter appends.
    pub(crate) fn user_agent(&self) -> String {
        let mut ua = format!(
            "{} oidc-hyper/{}",
            oidc_core::USER_AGENT,
            env!("CARGO_PKG_VERSION")
        );
        if let Some(suffix) = self.user_agent_suffix.as_deref().filter(|s| !s.is_empty()) {
            ua.push(' ');
            ua.push_str(suffix);
        }
        ua
    }
}

/// HTTPS only, except plain HTTP to loopback (or anywhere when allowed).
pub(crate) fn check_scheme(uri: &http::Uri, allow_insecure: bool) -> Result<(), Error> {
    let insecure = || Error::InsecureEndpoint {
        url: uri.to_string(),
    };
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Ok(()),
        Some(s) if s.eq_ignore_ascii_case("http") => {
            let host = uri.host().unwrap_or_default();
            if allow_insecure || is_loopback(host) {
                Ok(())
            } else {
                Err(insecure())
            }
        }
        _ => Err(insecure()),
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "127.0.0.1", "127.9.9.9", "[::1]", "::1"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn http_is_refused_except_loopback_or_when_allowed() {
        let remote = Config::for_region("us-east-1").with_endpoint_url("http://oidc.example.com");
        assert!(matches!(
            remote.endpoint(),
            Err(Error::InsecureEndpoint { .. })
        ));
        assert!(remote.clone().with_insecure_http(true).endpoint().is_ok());
        let local = Config::for_region("us-east-1").with_endpoint_url("http://127.0.0.1:9");
        assert_eq!(local.endpoint().unwrap().url(), "http://127.0.0.1:9");
    }

    #[test]
    fn resolves_fips_and_dual_stack() {
        let e = Config::for_region("us-west-2")
            .with_dual_stack(true)
            .endpoint()
            .unwrap();
        assert!(e.url().contains("api.aws"), "{}", e.url());
        let err = Config::for_region("us-west-2")
            .with_fips(true)
            .with_endpoint_url("https://x.example")
            .endpoint()
            .unwrap_err();
        assert!(matches!(err, Error::Core(_)), "{err:?}");
        assert!(matches!(
            Config::for_region("not a region").endpoint(),
            Err(Error::Core(_))
        ));
    }

    #[test]
    fn user_agent_appends_suffix() {
        let ua = Config::for_region("us-east-1")
            .with_user_agent_suffix("tool/1")
            .user_agent();
        assert!(ua.starts_with("oidc-core/"));
        assert!(ua.contains(" oidc-hyper/"));
        assert!(ua.ends_with(" tool/1"));
    }
}
