//! The settings both transports share: region and endpoint choice,
//! timeouts, retries, the body cap, the user agent and the HTTPS rule.
//! `oidc_ureq::Config` and `oidc_hyper::Config` are this type.

use std::time::Duration;

use oidc_core::call::CallOptions;
use oidc_core::endpoint::{
    self, Endpoint, EndpointConfig, EndpointError, InsecureEndpoint, Service,
};
use oidc_core::http::HeaderValue;
use oidc_core::retry::RetryPolicy;

/// Default time allowed to open a connection (DNS, TCP, TLS): 10 s.
///
/// (`oidc-hyper` used 5 s before the two adapters shared this type;
/// both now use 10 s.)
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout: 30 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default whole-exchange timeout (one HTTP attempt, connect to last body
/// byte): 60 s.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Default response-body cap: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Default number of idle connections kept per host: 4.
pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 4;
/// Default time the authorization-code drivers wait for the browser's
/// redirect (the AWS CLI waits 10 minutes).
pub const DEFAULT_AUTHORIZATION_TIMEOUT: Duration = Duration::from_secs(600);

/// How an adapter's `Client` reaches the services (SSO OIDC, the SSO
/// portal, STS): one region and endpoint choice for all three, resolved
/// per service.
///
/// ```
/// use std::time::Duration;
/// use oidc_host::Config;
///
/// let config = Config::for_region("eu-west-1")
///     .with_fips(true)
///     .with_read_timeout(Duration::from_secs(5))
///     .with_max_attempts(5)
///     .with_user_agent_suffix("my-tool/1.2");
/// assert_eq!(config.region, "eu-west-1");
/// assert_eq!(config.max_body_bytes, 1024 * 1024);
/// assert_eq!(config.endpoint().unwrap().url(), "https://oidc-fips.eu-west-1.amazonaws.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The region, e.g. `us-east-1`: where sign-ins go (and what the token
    /// cache records). A cached session is refreshed in the region its
    /// cache entry names.
    pub region: String,
    /// A custom endpoint URL for every service instead of the resolved one
    /// (e.g. an emulator); cannot be combined with FIPS or dual-stack.
    pub endpoint_url: Option<String>,
    /// Custom endpoint URLs of single services, which win over
    /// [`endpoint_url`](Config::endpoint_url) (`AWS_ENDPOINT_URL_SSO_OIDC`,
    /// `AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_STS`, or a `[services]`
    /// section of the AWS config file).
    pub service_endpoint_urls: Vec<(Service, String)>,
    /// Use the FIPS endpoint.
    pub use_fips: bool,
    /// Use the dual-stack (IPv4 + IPv6) endpoint.
    pub use_dual_stack: bool,
    /// Time allowed to open a connection (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Time allowed for reading the response: each read from the socket
    /// (`oidc-ureq`), or one attempt's response head and body once the
    /// connection is open (`oidc-hyper`).
    pub read_timeout: Duration,
    /// Time allowed for one whole HTTP attempt, connect to last body byte.
    pub call_timeout: Duration,
    /// The retry schedule (attempts in all, back-off), from
    /// [`oidc_core::retry`].
    pub retry: RetryPolicy,
    /// Largest response body accepted; a larger body is the adapter's
    /// `Error::BodyTooLarge` and is never read past the cap.
    pub max_body_bytes: u64,
    /// Appended to the `User-Agent` (after `oidc-core/x <adapter>/y`).
    pub user_agent_suffix: Option<String>,
    /// Allow plain `http://` to hosts that are not loopback addresses.
    /// Off by default: loopback (`127.0.0.0/8`, `::1`, `localhost`) is always
    /// allowed, anything else must be `https://`
    /// ([`oidc_core::endpoint::check_transport_security`]).
    pub allow_insecure_http: bool,
    /// Most idle connections kept per host (0 disables reuse).
    pub max_idle_per_host: usize,
}

/// Why [`Config::endpoint`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The endpoint cannot be resolved (bad region, FIPS with a custom URL,
    /// an invalid URL, ...).
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The endpoint breaks the HTTPS rule.
    #[error(transparent)]
    Insecure(#[from] InsecureEndpoint),
    /// The user-agent suffix cannot go into an HTTP header.
    #[error("the user-agent suffix is not a valid HTTP header value (visible ASCII only)")]
    UserAgent,
}

impl Config {
    /// Defaults for `region`: resolved endpoint, 10 s connect, 30 s read,
    /// 60 s call, the standard retry policy (3 attempts), a 1 MiB body cap,
    /// 4 idle connections per host, HTTPS only (except loopback).
    pub fn for_region(region: impl Into<String>) -> Config {
        Config {
            region: region.into(),
            endpoint_url: None,
            service_endpoint_urls: Vec::new(),
            use_fips: false,
            use_dual_stack: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent_suffix: None,
            allow_insecure_http: false,
            max_idle_per_host: DEFAULT_MAX_IDLE_PER_HOST,
        }
    }

    /// Sets [`endpoint_url`](Config::endpoint_url).
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Config {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Sets the endpoint URL of one service (see
    /// [`service_endpoint_urls`](Config::service_endpoint_urls)).
    #[must_use]
    pub fn with_service_endpoint_url(mut self, service: Service, url: impl Into<String>) -> Config {
        self.service_endpoint_urls.retain(|(s, _)| *s != service);
        self.service_endpoint_urls.push((service, url.into()));
        self
    }

    /// Sets [`use_fips`](Config::use_fips).
    #[must_use]
    pub fn with_fips(mut self, on: bool) -> Config {
        self.use_fips = on;
        self
    }

    /// Sets [`use_dual_stack`](Config::use_dual_stack).
    #[must_use]
    pub fn with_dual_stack(mut self, on: bool) -> Config {
        self.use_dual_stack = on;
        self
    }

    /// Sets [`connect_timeout`](Config::connect_timeout).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Config::read_timeout).
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Config {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`call_timeout`](Config::call_timeout).
    #[must_use]
    pub fn with_call_timeout(mut self, timeout: Duration) -> Config {
        self.call_timeout = timeout;
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

    /// Replaces the whole [`retry`](Config::retry) policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Config {
        self.retry = policy;
        self
    }

    /// Sets [`max_body_bytes`](Config::max_body_bytes).
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: u64) -> Config {
        self.max_body_bytes = limit;
        self
    }

    /// Sets [`user_agent_suffix`](Config::user_agent_suffix).
    #[must_use]
    pub fn with_user_agent_suffix(mut self, suffix: impl Into<String>) -> Config {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets [`allow_insecure_http`](Config::allow_insecure_http).
    #[must_use]
    pub fn with_insecure_http(mut self, allow: bool) -> Config {
        self.allow_insecure_http = allow;
        self
    }

    /// Sets [`max_idle_per_host`](Config::max_idle_per_host) (0 disables
    /// reuse).
    #[must_use]
    pub fn with_max_idle_per_host(mut self, n: usize) -> Config {
        self.max_idle_per_host = n;
        self
    }

    /// Resolves the SSO OIDC endpoint of [`region`](Config::region)
    /// ([`Config::endpoint_for`]).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Endpoint`] or [`ConfigError::Insecure`].
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        self.endpoint_for(Service::SsoOidc, &self.region)
    }

    /// Resolves `service`'s endpoint in `region` with oidc-core's rule set
    /// (FIPS, dual-stack and the endpoint override applied) and checks it
    /// against the HTTPS rule
    /// ([`oidc_core::endpoint::check_transport_security`]).
    ///
    /// ```
    /// use oidc_host::Config;
    /// use oidc_host::oidc_core::endpoint::Service;
    ///
    /// let config = Config::for_region("eu-west-1");
    /// assert_eq!(
    ///     config.endpoint_for(Service::SsoPortal, "eu-west-1").unwrap().url(),
    ///     "https://portal.sso.eu-west-1.amazonaws.com"
    /// );
    /// assert_eq!(
    ///     config.endpoint_for(Service::SsoOidc, "ap-south-1").unwrap().url(),
    ///     "https://oidc.ap-south-1.amazonaws.com"
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::Endpoint`] or [`ConfigError::Insecure`].
    pub fn endpoint_for(&self, service: Service, region: &str) -> Result<Endpoint, ConfigError> {
        let mut config = EndpointConfig::for_region(region.to_owned())
            .with_fips(self.use_fips)
            .with_dual_stack(self.use_dual_stack);
        let url = self
            .service_endpoint_urls
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, url)| url)
            .or(self.endpoint_url.as_ref());
        if let Some(url) = url {
            config = config.with_endpoint_url(url.clone());
        }
        let endpoint = endpoint::resolve(service, &config)?;
        endpoint::check_transport_security(endpoint.url(), self.allow_insecure_http)?;
        Ok(endpoint)
    }

    /// The `User-Agent` header an adapter sends ([`Config::user_agent`]),
    /// checked once for both adapters.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UserAgent`] when the suffix is not a valid header
    /// value.
    pub fn user_agent_header(
        &self,
        adapter_name: &str,
        adapter_version: &str,
    ) -> Result<HeaderValue, ConfigError> {
        HeaderValue::from_str(&self.user_agent(adapter_name, adapter_version))
            .map_err(|_| ConfigError::UserAgent)
    }

    /// The options of every [`Call`](oidc_core::call::Call) an adapter runs
    /// with this configuration.
    pub fn call_options(&self, user_agent: &HeaderValue) -> CallOptions {
        CallOptions::default()
            .with_retry(self.retry)
            .with_user_agent(user_agent.clone())
            .with_insecure_http(self.allow_insecure_http)
    }

    /// The `User-Agent` an adapter sends: `oidc-core/x <adapter>/<version>`
    /// and the [`user_agent_suffix`](Config::user_agent_suffix), if not
    /// empty.
    ///
    /// ```
    /// let ua = oidc_host::Config::for_region("us-east-1")
    ///     .with_user_agent_suffix("tool/1")
    ///     .user_agent("oidc-ureq", "0.1.0");
    /// assert_eq!(ua, format!("{} oidc-ureq/0.1.0 tool/1", oidc_host::oidc_core::USER_AGENT));
    /// ```
    pub fn user_agent(&self, adapter_name: &str, adapter_version: &str) -> String {
        let mut ua = format!("{} {adapter_name}/{adapter_version}", oidc_core::USER_AGENT);
        if let Some(suffix) = self.user_agent_suffix.as_deref().filter(|s| !s.is_empty()) {
            ua.push(' ');
            ua.push_str(suffix);
        }
        ua
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_loopback_or_when_allowed() {
        let remote = Config::for_region("us-east-1").with_endpoint_url("http://oidc.example.com");
        assert!(matches!(
            remote.endpoint(),
            Err(ConfigError::Insecure(InsecureEndpoint::PlainHttp { .. }))
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
        assert!(matches!(err, ConfigError::Endpoint(_)), "{err:?}");
        assert!(matches!(
            Config::for_region("not a region").endpoint(),
            Err(ConfigError::Endpoint(_))
        ));
    }

    #[test]
    fn defaults_and_builders() {
        let c = Config::for_region("us-east-1");
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.read_timeout, Duration::from_secs(30));
        assert_eq!(c.call_timeout, Duration::from_secs(60));
        assert_eq!(c.max_idle_per_host, 4);
        assert_eq!(c.retry, RetryPolicy::default());
        let c = c
            .with_max_attempts(1)
            .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
            .with_call_timeout(Duration::from_secs(2))
            .with_max_idle_per_host(0);
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.call_timeout, Duration::from_secs(2));
        assert_eq!(c.max_idle_per_host, 0);
    }

    #[test]
    fn a_service_endpoint_wins_over_the_global_one() {
        let config = Config::for_region("us-east-1")
            .with_endpoint_url("http://127.0.0.1:1")
            .with_service_endpoint_url(Service::Sts, "http://127.0.0.1:2");
        assert_eq!(
            config
                .endpoint_for(Service::Sts, "us-east-1")
                .unwrap()
                .url(),
            "http://127.0.0.1:2"
        );
        assert_eq!(
            config
                .endpoint_for(Service::SsoOidc, "us-east-1")
                .unwrap()
                .url(),
            "http://127.0.0.1:1"
        );
    }

    #[test]
    fn user_agent_skips_an_empty_suffix() {
        let ua = Config::for_region("us-east-1")
            .with_user_agent_suffix("")
            .user_agent("oidc-hyper", "1.2.3");
        assert!(ua.starts_with("oidc-core/"), "{ua}");
        assert!(ua.ends_with(" oidc-hyper/1.2.3"), "{ua}");
    }
}
