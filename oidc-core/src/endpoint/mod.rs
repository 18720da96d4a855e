//! Endpoint resolution for SSO OIDC, the SSO portal and STS.
//!
//! [`resolve`] evaluates the service's official Smithy endpoint rule set
//! (rules language 1.0) against an [`EndpointConfig`] and returns an
//! [`Endpoint`]: the base URL and, where the rule set says so, the region
//! and service name to sign with. The three rule sets and the AWS partition
//! table are embedded at build time (verbatim from botocore, see
//! `data/NOTICE.md`) and parsed once on first use; nothing is read or
//! fetched at run time.
//!
//! The evaluator is generic: it implements the rules language (conditions
//! with `assign`, `endpoint`/`error`/`tree` rules, string templates) and the
//! functions `isSet`, `not`, `booleanEquals`, `stringEquals`, `getAttr`,
//! `aws.partition`, `parseURL`, `substring`, `uriEncode` and
//! `isValidHostLabel`. An updated rule set can be dropped into `data/`; a
//! function it needs but this evaluator lacks surfaces as
//! [`EndpointError::Evaluation`].

mod error;
mod eval;
mod functions;
mod partition;
mod resolved;
mod rules;
mod template;
mod value;

#[cfg(test)]
mod tests;

pub use error::EndpointError;
pub use resolved::Endpoint;

use eval::EvalError;
use partition::Partitions;
use rules::RuleSet;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use value::Value;

const SSO_OIDC_RULES: &str = include_str!("../../data/sso-oidc.endpoint-rule-set-1.json");
const SSO_RULES: &str = include_str!("../../data/sso.endpoint-rule-set-1.json");
const STS_RULES: &str = include_str!("../../data/sts.endpoint-rule-set-1.json");
const PARTITIONS: &str = include_str!("../../data/partitions.json");

/// A service whose endpoints this module resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// IAM Identity Center OIDC (`sso-oidc`): client registration, device
    /// authorization, tokens.
    SsoOidc,
    /// The IAM Identity Center portal (`sso`): role credentials, account lists.
    SsoPortal,
    /// AWS Security Token Service.
    Sts,
}

impl Service {
    /// The SigV4 service name used when the endpoint carries none
    /// (`sso-oauth`, `awsssoportal`, `sts`).
    pub fn signing_name(&self) -> &'static str {
        match self {
            Service::SsoOidc => "sso-oauth",
            Service::SsoPortal => "awsssoportal",
            Service::Sts => "sts",
        }
    }

    /// The first host label(s) of the service's endpoints (`oidc`,
    /// `portal.sso`, `sts`), as in the service model's `endpointPrefix`.
    pub fn endpoint_prefix(&self) -> &'static str {
        match self {
            Service::SsoOidc => "oidc",
            Service::SsoPortal => "portal.sso",
            Service::Sts => "sts",
        }
    }

    /// The service's parsed rule set, parsed on first use.
    fn rule_set(self) -> Result<&'static RuleSet, EndpointError> {
        static SSO_OIDC: OnceLock<Result<RuleSet, String>> = OnceLock::new();
        static SSO: OnceLock<Result<RuleSet, String>> = OnceLock::new();
        static STS: OnceLock<Result<RuleSet, String>> = OnceLock::new();
        let (cell, text) = match self {
            Service::SsoOidc => (&SSO_OIDC, SSO_OIDC_RULES),
            Service::SsoPortal => (&SSO, SSO_RULES),
            Service::Sts => (&STS, STS_RULES),
        };
        cell.get_or_init(|| RuleSet::from_json_str(text))
            .as_ref()
            .map_err(|e| EndpointError::Evaluation {
                message: format!("embedded {} rule set: {e}", self.endpoint_prefix()),
            })
    }
}

/// The embedded partition table, parsed on first use.
fn partitions() -> Result<&'static Partitions, EndpointError> {
    static CELL: OnceLock<Result<Partitions, String>> = OnceLock::new();
    CELL.get_or_init(|| Partitions::from_json_str(PARTITIONS))
        .as_ref()
        .map_err(|e| EndpointError::Evaluation {
            message: format!("embedded partition table: {e}"),
        })
}

/// The client configuration that selects an endpoint. Each field feeds the
/// rule-set parameter with the matching SDK built-in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The AWS region (`AWS::Region`), e.g. `eu-west-1`. Must be a valid DNS
    /// label when set.
    pub region: Option<String>,
    /// Use the FIPS endpoint (`AWS::UseFIPS`).
    pub use_fips: bool,
    /// Use the dual-stack (IPv4 and IPv6) endpoint (`AWS::UseDualStack`).
    pub use_dual_stack: bool,
    /// Custom endpoint URL (the rule set's `Endpoint` parameter,
    /// `SDK::Endpoint`). Returned verbatim; cannot be combined with FIPS or
    /// dual-stack.
    pub endpoint_url: Option<String>,
    /// STS only (`AWS::STS::UseGlobalEndpoint`): send the 16 legacy-global
    /// regions to `https://sts.amazonaws.com`. Ignored for other services.
    pub use_global_endpoint: bool,
}

impl EndpointConfig {
    /// A configuration with nothing set (no region: resolving fails with
    /// `Invalid Configuration: Missing Region` unless an endpoint URL is set).
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration for `region` with every option off.
    pub fn for_region(region: impl Into<String>) -> Self {
        Self {
            region: Some(region.into()),
            ..Self::default()
        }
    }

    /// Sets [`use_fips`](EndpointConfig::use_fips).
    #[must_use]
    pub fn with_fips(mut self, on: bool) -> Self {
        self.use_fips = on;
        self
    }

    /// Sets [`use_dual_stack`](EndpointConfig::use_dual_stack).
    #[must_use]
    pub fn with_dual_stack(mut self, on: bool) -> Self {
        self.use_dual_stack = on;
        self
    }

    /// Sets [`endpoint_url`](EndpointConfig::endpoint_url).
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Sets [`use_global_endpoint`](EndpointConfig::use_global_endpoint).
    #[must_use]
    pub fn with_global_endpoint(mut self, on: bool) -> Self {
        self.use_global_endpoint = on;
        self
    }

    /// The value of the SDK built-in `name`, if this configuration has it.
    fn built_in(&self, name: &str) -> Option<Value> {
        match name {
            "AWS::Region" => self.region.clone().map(Value::String),
            "AWS::UseFIPS" => Some(Value::Bool(self.use_fips)),
            "AWS::UseDualStack" => Some(Value::Bool(self.use_dual_stack)),
            "SDK::Endpoint" => self.endpoint_url.clone().map(Value::String),
            "AWS::STS::UseGlobalEndpoint" => Some(Value::Bool(self.use_global_endpoint)),
            _ => None,
        }
    }
}

/// Resolves the endpoint of `service` for `config`. Pure: no I/O.
///
/// The rule set decides; a matching `error` rule becomes
/// [`EndpointError::Rule`] with the rule set's message. The resulting URL
/// (custom or not) is then validated ([`EndpointError::InvalidUrl`]). A
/// region that is not a valid DNS label is rejected up front
/// ([`EndpointError::InvalidRegion`]) so it cannot alter the host name.
///
/// ```rust
/// use oidc_core::endpoint::{resolve, EndpointConfig, EndpointError, Service};
///
/// let oidc = resolve(Service::SsoOidc, &EndpointConfig::for_region("eu-west-1")).unwrap();
/// assert_eq!(oidc.url(), "https://oidc.eu-west-1.amazonaws.com");
/// assert_eq!(oidc.join("/token"), "https://oidc.eu-west-1.amazonaws.com/token");
/// assert_eq!(oidc.signing_region(), None); // sign with the configured region
///
/// // STS in the old global region is signed for us-east-1.
/// let sts = resolve(Service::Sts, &EndpointConfig::for_region("aws-global")).unwrap();
/// assert_eq!(sts.url(), "https://sts.amazonaws.com");
/// assert_eq!(sts.signing_region(), Some("us-east-1"));
///
/// let err = resolve(Service::SsoPortal, &EndpointConfig::new()).unwrap_err();
/// assert_eq!(err.to_string(), "Invalid Configuration: Missing Region");
/// assert!(matches!(err, EndpointError::Rule { .. }));
/// ```
///
/// # Errors
///
/// See [`EndpointError`].
pub fn resolve(service: Service, config: &EndpointConfig) -> Result<Endpoint, EndpointError> {
    if let Some(region) = &config.region {
        if !functions::is_valid_host_label(region, false) {
            return Err(EndpointError::InvalidRegion {
                region: region.clone(),
            });
        }
    }
    let rule_set = service.rule_set()?;
    let inputs: BTreeMap<String, Value> = rule_set
        .parameters
        .iter()
        .filter_map(|p| {
            let value = config.built_in(p.built_in.as_deref()?)?;
            Some((p.name.clone(), value))
        })
        .collect();
    match eval::evaluate(rule_set, partitions()?, &inputs) {
        Ok(resolved) => Endpoint::from_resolved(resolved),
        Err(EvalError::Rule(message)) => Err(EndpointError::Rule { message }),
        Err(EvalError::Invalid(message)) => Err(EndpointError::Evaluation { message }),
    }
}

/// Why [`check_transport_security`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsecureEndpoint {
    /// Plain `http` to a host that is not a loopback address, and insecure
    /// HTTP was not allowed.
    #[error("refusing plain HTTP to `{url}`: use https or a loopback host")]
    PlainHttp {
        /// The refused URL.
        url: String,
    },
    /// A scheme other than `https` or `http`.
    #[error("`{url}` is neither an https nor an http URL")]
    UnsupportedScheme {
        /// The refused URL.
        url: String,
    },
    /// The URL does not parse.
    #[error("`{url}` is not a valid URL")]
    InvalidUrl {
        /// The refused URL.
        url: String,
    },
}

impl InsecureEndpoint {
    /// The refused URL.
    pub fn url(&self) -> &str {
        match self {
            InsecureEndpoint::PlainHttp { url }
            | InsecureEndpoint::UnsupportedScheme { url }
            | InsecureEndpoint::InvalidUrl { url } => url,
        }
    }
}

/// The transport-security rule every adapter applies before sending
/// credentials: `https` always; plain `http` only to a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`), or to any host when
/// `allow_insecure_http` is set; nothing else. Pure: no I/O, no DNS.
///
/// ```
/// use oidc_core::endpoint::{check_transport_security, InsecureEndpoint};
///
/// assert!(check_transport_security("https://oidc.us-east-1.amazonaws.com", false).is_ok());
/// assert!(check_transport_security("http://127.0.0.1:8080/token", false).is_ok());
/// assert!(check_transport_security("http://[::1]:8080/token", false).is_ok());
/// assert!(matches!(
///     check_transport_security("http://sso.example.com", false),
///     Err(InsecureEndpoint::PlainHttp { .. })
/// ));
/// assert!(check_transport_security("http://sso.example.com", true).is_ok());
/// assert!(matches!(
///     check_transport_security("ftp://sso.example.com", true),
///     Err(InsecureEndpoint::UnsupportedScheme { .. })
/// ));
/// ```
///
/// # Errors
///
/// See [`InsecureEndpoint`].
pub fn check_transport_security(
    url: &str,
    allow_insecure_http: bool,
) -> Result<(), InsecureEndpoint> {
    let uri: http::Uri = url.parse().map_err(|_| InsecureEndpoint::InvalidUrl {
        url: url.to_owned(),
    })?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Ok(()),
        Some(s) if s.eq_ignore_ascii_case("http") => {
            if allow_insecure_http || uri.host().is_some_and(is_loopback_host) {
                Ok(())
            } else {
                Err(InsecureEndpoint::PlainHttp {
                    url: url.to_owned(),
                })
            }
        }
        _ => Err(InsecureEndpoint::UnsupportedScheme {
            url: url.to_owned(),
        }),
    }
}

/// Whether `host` is `localhost` (any case), an address in `127.0.0.0/8`
/// or `::1` (bracketed or not).
///
/// ```
/// use oidc_core::endpoint::is_loopback_host;
///
/// assert!(is_loopback_host("127.9.9.9") && is_loopback_host("[::1]") && is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("localhost.example.com") && !is_loopback_host("10.0.0.1"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<core::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod transport_security_tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "example.com",
            "128.0.0.1",
            "[::2]",
            "localhost.example.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn https_rule() {
        assert_eq!(
            check_transport_security("https://oidc.us-east-1.amazonaws.com", false),
            Ok(())
        );
        assert_eq!(
            check_transport_security("HTTP://localhost:9/token", false),
            Ok(())
        );
        assert_eq!(
            check_transport_security("http://[::1]:9/token", false),
            Ok(())
        );
        let err = check_transport_security("http://example.com/token", false).unwrap_err();
        assert_eq!(
            err,
            InsecureEndpoint::PlainHttp {
                url: "http://example.com/token".to_owned()
            }
        );
        assert_eq!(err.url(), "http://example.com/token");
        assert_eq!(
            check_transport_security("http://example.com/token", true),
            Ok(())
        );
        assert!(matches!(
            check_transport_security("ftp://example.com/", false),
            Err(InsecureEndpoint::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            check_transport_security("not a url", true),
            Err(InsecureEndpoint::InvalidUrl { .. })
        ));
    }
}
