//! The resolved [`Endpoint`]: URL, signing properties, and URL validation.

use super::error::EndpointError;
use super::eval::Resolved;
use super::value::Value;

/// A resolved endpoint: the base URL to send requests to, plus the signing
/// overrides the rule set attached (STS's global endpoint is signed for
/// `us-east-1`, whatever region was configured).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    url: String,
    auth_scheme: Option<String>,
    signing_name: Option<String>,
    signing_region: Option<String>,
    headers: Vec<(String, String)>,
}

impl Endpoint {
    /// The base URL exactly as the rule set produced it (a custom endpoint is
    /// returned verbatim), e.g. `https://oidc.us-east-1.amazonaws.com`.
    /// Usually has no path; use [`Endpoint::join`] to add the operation path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The region to put in the SigV4 credential scope, from
    /// `properties.authSchemes[0].signingRegion`. When `None`, sign with the
    /// configured region.
    pub fn signing_region(&self) -> Option<&str> {
        self.signing_region.as_deref()
    }

    /// The SigV4 service name, from `properties.authSchemes[0].signingName`.
    /// When `None`, use [`Service::signing_name`](super::Service::signing_name).
    pub fn signing_name(&self) -> Option<&str> {
        self.signing_name.as_deref()
    }

    /// The name of the first auth scheme (`properties.authSchemes[0].name`,
    /// `"sigv4"` for every scheme in the current rule sets), if any.
    pub fn auth_scheme(&self) -> Option<&str> {
        self.auth_scheme.as_deref()
    }

    /// Extra headers the rule set asks for, as `(name, value)` pairs (empty
    /// for the current rule sets).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The URL of a request: [`url`](Endpoint::url) and `path_and_query`
    /// joined by exactly one `/`. A path prefix of a custom endpoint is kept.
    ///
    /// ```rust
    /// use oidc_core::endpoint::Endpoint;
    ///
    /// let e = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
    /// assert_eq!(e.join("/token"), "https://oidc.us-east-1.amazonaws.com/token");
    /// let e = Endpoint::from_url("http://127.0.0.1:9/prefix/").unwrap();
    /// assert_eq!(e.join("/token?aws_iam=t"), "http://127.0.0.1:9/prefix/token?aws_iam=t");
    /// ```
    #[must_use]
    pub fn join(&self, path_and_query: &str) -> String {
        let base = self.url.trim_end_matches('/');
        let rest = path_and_query.trim_start_matches('/');
        let mut out = String::with_capacity(base.len() + 1 + rest.len());
        out.push_str(base);
        out.push('/');
        out.push_str(rest);
        out
    }

    /// An endpoint for `url`, with no signing overrides. The URL is checked
    /// like a custom endpoint: it must be an absolute `http` or `https` URL
    /// with a host and without query, fragment or user info.
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidUrl`] naming the problem.
    pub fn from_url(url: impl Into<String>) -> Result<Endpoint, EndpointError> {
        let url = url.into();
        validate(&url)?;
        Ok(Endpoint {
            url,
            auth_scheme: None,
            signing_name: None,
            signing_region: None,
            headers: Vec::new(),
        })
    }

    /// Builds the public endpoint from an evaluation result, validating its URL.
    pub(crate) fn from_resolved(resolved: Resolved) -> Result<Endpoint, EndpointError> {
        validate(&resolved.url)?;
        let scheme = match resolved.properties.get("authSchemes") {
            Some(Value::Array(schemes)) => schemes.first(),
            _ => None,
        };
        let text = |field: &str| match scheme {
            Some(Value::Object(fields)) => {
                fields.get(field).and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        };
        Ok(Endpoint {
            auth_scheme: text("name"),
            signing_name: text("signingName"),
            signing_region: text("signingRegion"),
            url: resolved.url,
            headers: resolved.headers,
        })
    }
}

/// Checks that `url` can serve as a base URL for requests.
fn validate(url: &str) -> Result<(), EndpointError> {
    let fail = |reason: &str| {
        Err(EndpointError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if url.is_empty() {
        return fail("the URL is empty");
    }
    let uri: http::Uri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => return fail(&format!("not a valid URI ({e})")),
    };
    match uri.scheme_str() {
        None => return fail("not an absolute URL (expected http:// or https://)"),
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        Some(s) => return fail(&format!("scheme `{s}` is not http or https")),
    }
    let Some(authority) = uri.authority() else {
        return fail("the URL has no host");
    };
    if authority.host().is_empty() {
        return fail("the URL has no host");
    }
    if authority.as_str().contains('@') {
        return fail("user info in the URL is not supported");
    }
    if uri.query().is_some() {
        return fail("a query string cannot be combined with operation paths");
    }
    // `http::Uri` silently drops a fragment, so look at the text.
    if url.contains('#') {
        return fail("a fragment cannot be combined with operation paths");
    }
    Ok(())
}
