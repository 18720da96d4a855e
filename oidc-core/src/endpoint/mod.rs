//! TEMPORARY stand-in until the rule-set resolver lands (replaced wholesale).
#![allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service { SsoOidc, SsoPortal, Sts }
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointConfig { pub region: Option<String>, pub use_fips: bool, pub use_dual_stack: bool, pub endpoint_url: Option<String>, pub use_global_endpoint: bool }
impl EndpointConfig {
    pub fn new() -> Self { Self::default() }
    pub fn for_region(region: impl Into<String>) -> Self { Self { region: Some(region.into()), ..Self::default() } }
    pub fn with_endpoint_url(mut self, u: impl Into<String>) -> Self { self.endpoint_url = Some(u.into()); self }
    pub fn with_fips(mut self, on: bool) -> Self { self.use_fips = on; self }
    pub fn with_dual_stack(mut self, on: bool) -> Self { self.use_dual_stack = on; self }
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint { url: String }
impl Endpoint {
    pub fn url(&self) -> &str { &self.url }
    pub fn signing_region(&self) -> Option<&str> { None }
    pub fn join(&self, p: &str) -> String { format!("{}/{}", self.url.trim_end_matches('/'), p.trim_start_matches('/')) }
    pub fn from_url(url: impl Into<String>) -> Result<Endpoint, EndpointError> { Ok(Endpoint { url: url.into() }) }
}
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError { #[error("{message}")] Rule { message: String } }
pub fn resolve(_s: Service, c: &EndpointConfig) -> Result<Endpoint, EndpointError> {
    match (&c.endpoint_url, &c.region) { (Some(u), _) => Endpoint::from_url(u.clone()), (None, Some(r)) => Ok(Endpoint { url: format!("https://oidc.{r}.amazonaws.com") }), _ => Err(EndpointError::Rule { message: "Invalid Configuration: Missing Region".into() }) }
}
