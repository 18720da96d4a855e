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
