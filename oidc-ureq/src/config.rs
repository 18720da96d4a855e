//! Client configuration.

use std::time::Duration;

use oidc_core::retry::RetryPolicy;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (each read from the socket).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default whole-call timeout (one HTTP exchange, connect to last body byte).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Default response-body cap: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// How a [`Client`](crate::Client) talks to SSO OIDC.
///
/// ```
/// use std::time::Duration;
/// use oidc_ureq::Config;
///
/// let config = Config::for_region("eu-west-1")
///     .with_fips(true)
///     .with_read_timeout(Duration::from_secs(5))
///     .with_max_attempts(5)
///     .with_user_agent_suffix("my-tool/1.2");
/// assert_eq!(config.region, "eu-west-1");
/// assert_eq!(config.max_body_bytes, 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The SSO region, e.g. `us-east-1` (also written to the token cache).
    pub region: String,
    /// A custom endpoint URL instead of the resolved one (e.g. an emulator).
    pub endpoint_url: Option<String>,
    /// Use the FIPS endpoint.
    pub use_fips: bool,
    /// Use the dual-stack endpoint.
    pub use_dual_stack: bool,
    /// Timeout to establish a connection (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Timeout of each read from the socket.
    pub read_timeout: Duration,
    /// Timeout of one whole HTTP exchange (connect to last body byte).
    pub call_timeout: Duration,
    /// The retry policy (attempts and back-off) of `oidc_core::retry`.
    pub retry: RetryPolicy,
    /// Largest response body accepted; a larger one is
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) and is never read
    /// into memory.
    pub max_body_bytes: u64,
    /// Appended to the `User-Agent` (after `oidc-core/x oidc-ureq/y`).
    pub user_agent_suffix: Option<String>,
    /// Allow plain `http://` to hosts that are not loopback addresses.
    /// Off by default: loopback (`127.0.0.0/8`, `::1`, `localhost`) is always
    /// allowed, anything else must be `https://`.
    pub allow_insecure_http: bool,
}

impl Config {
    /// Defaults for `region`: resolved endpoint, 10 s connect, 30 s read,
    /// 60 s call, the standard retry policy (3 attempts), a 1 MiB body cap.
    pub fn for_region(region: impl Into<String>) -> Config {
        Config {
            region: region.into(),
            endpoint_url: None,
            use_fips: false,
            use_dual_stack: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent_suffix: None,
            allow_insecure_http: false,
        }
    }

    /// Sets [`endpoint_url`](Config::endpoint_url).
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Config {
        self.endpoint_url = Some(url.into());
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

    /// Sets the maximum number of attempts per call (1 disables retries).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Config {
        self.retry = self.retry.with_max_attempts(attempts);
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
}
