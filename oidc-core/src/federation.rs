//! The AWS console federation endpoint: a sign-in token from temporary
//! credentials, and the console sign-in URL built from it.
//!
//! Two steps, both pure here:
//!
//! 1. [`SigninTokenRequest::build`] builds `GET <federation>?Action=getSigninToken&Session=<JSON>`,
//!    the JSON holding the credentials (`sessionId`, `sessionKey`,
//!    `sessionToken`), optionally with a `SessionDuration`; the answer,
//!    `{"SigninToken": "..."}`, goes through [`parse_signin_token`].
//! 2. [`login_url`] builds `<federation>?Action=login&Issuer=..&Destination=..&SigninToken=..`,
//!    which signs a browser in to the [`console_destination`].
//!
//! The federation endpoint is the partition's sign-in host
//! ([`FederationEndpoint::for_partition`], the [`Partition`] from the region
//! by the embedded partition table) or any `https` URL (or `http` to a
//! loopback host, for emulators) through [`FederationEndpoint::from_url`].
//!
//! Secrets: the request's URI holds the secret key and the session token
//! (print requests only through [`crate::debug::DebugRequest`], which never
//! shows a query); the [`SigninToken`] grants console access and prints as
//! `[redacted]`; no [`FederationError`] holds either.
//!
//! ```
//! use oidc_core::federation::{
//!     console_destination, login_url, parse_signin_token, FederationEndpoint, Partition,
//!     SigninTokenRequest,
//! };
//! use oidc_core::Credentials;
//!
//! let credentials = Credentials::new("ASIAEXAMPLE", "secret-key").with_session_token("session-token");
//! let partition = Partition::from_region("eu-west-1").unwrap();
//! let endpoint = FederationEndpoint::for_partition(partition);
//! let request = SigninTokenRequest::new(&credentials)
//!     .unwrap()
//!     .with_session_duration(3600)
//!     .build(&endpoint)
//!     .unwrap();
//! assert!(request
//!     .uri()
//!     .to_string()
//!     .starts_with("https://signin.aws.amazon.com/federation?Action=getSigninToken&SessionDuration=3600&Session=%7B"));
//! // The request prints without its query (the secrets).
//! let shown = format!("{:?}", oidc_core::debug::DebugRequest(&request));
//! assert!(!shown.contains("secret-key") && !shown.contains("session-token"));
//!
//! let response = http::Response::builder().status(200).body(r#"{"SigninToken":"tok-123"}"#).unwrap();
//! let token = parse_signin_token(&response).unwrap();
//! assert_eq!(format!("{token:?}"), "SigninToken([redacted])");
//!
//! let destination = console_destination(partition, Some("eu-west-1"), Some("s3")).unwrap();
//! assert_eq!(destination, "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1");
//! let url = login_url(&endpoint, "https://example.com/", &destination, &token);
//! assert_eq!(
//!     url,
//!     "https://signin.aws.amazon.com/federation?Action=login&Issuer=https%3A%2F%2Fexample.com%2F\
//!      &Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1\
//!      &SigninToken=tok-123"
//! );
//! ```

use std::fmt;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use crate::endpoint::is_loopback_host;
use crate::percent;
use crate::secret::{SecretAccessKey, SessionToken};
use crate::step::OperationName;
use crate::untrusted::printable;
use crate::Credentials;

/// The [`OperationName`] of the `getSigninToken` request.
pub const GET_SIGNIN_TOKEN: &str = "Federation GetSigninToken";

/// The shortest `SessionDuration` the endpoint accepts, in seconds (15 min).
pub const MIN_SESSION_DURATION: u32 = 900;
/// The longest `SessionDuration` the endpoint accepts, in seconds (12 h).
pub const MAX_SESSION_DURATION: u32 = 43_200;

/// The longest sign-in token accepted, in bytes.
pub const MAX_SIGNIN_TOKEN_LEN: usize = 16 * 1024;
/// The largest `getSigninToken` answer read, in bytes.
pub const MAX_RESPONSE_LEN: usize = 64 * 1024;

/// Why a federation step failed. Never holds a secret key, a session token
/// or a sign-in token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// The credentials have no session token: the federation endpoint only
    /// takes temporary credentials.
    #[error(
        "the credentials (access key {access_key_id}) are long-term keys without a session token; \
         the console sign-in needs temporary credentials (an assumed role, SSO, GetFederationToken)"
    )]
    NotTemporary {
        /// The access key id of the refused credentials (not a secret).
        access_key_id: String,
    },
    /// `SessionDuration` outside 900–43200 seconds.
    #[error("a console session duration of {seconds} s is outside 900–43200 s")]
    InvalidSessionDuration {
        /// The refused duration, in seconds.
        seconds: u32,
    },
    /// The federation endpoint URL cannot be used.
    #[error("`{url}` cannot be the federation endpoint: {reason}")]
    InvalidEndpoint {
        /// The refused URL (printable).
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The region is not a valid region name.
    #[error("`{region}` is not a valid region name")]
    InvalidRegion {
        /// The refused region (printable).
        region: String,
    },
    /// The region's partition has no console federation endpoint known here.
    #[error("the console sign-in is not available in partition {partition} (region {region})")]
    UnsupportedPartition {
        /// The partition id, e.g. `aws-iso`.
        partition: String,
        /// The region it came from.
        region: String,
    },
    /// The service name is not lowercase letters, digits and hyphens.
    #[error("`{service}` is not a console service name (lowercase letters, digits, hyphens)")]
    InvalidService {
        /// The refused name (printable).
        service: String,
    },
    /// The endpoint answered with an error status.
    #[error(
        "the federation endpoint refused the sign-in token request (HTTP {status}): {message}"
    )]
    Service {
        /// The HTTP status.
        status: u16,
        /// The endpoint's message, printable and truncated.
        message: String,
    },
    /// The answer is not a `{"SigninToken": ...}` object, or the token is
    /// not a plausible sign-in token.
    #[error("the federation endpoint's answer (HTTP {status}) is unusable: {reason}")]
    InvalidResponse {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
}

/// An AWS partition with a console federation endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-us-gov`: AWS GovCloud (US).
    AwsUsGov,
}

impl Partition {
    /// The partition of `region`, by the embedded partition table (the one
    /// endpoint resolution uses): its region lists, then its region
    /// patterns; a region that matches none is in `aws`.
    ///
    /// ```
    /// use oidc_core::federation::Partition;
    /// assert_eq!(Partition::from_region("cn-north-1").unwrap(), Partition::AwsCn);
    /// assert_eq!(Partition::from_region("us-gov-west-1").unwrap(), Partition::AwsUsGov);
    /// assert_eq!(Partition::from_region("eu-west-1").unwrap(), Partition::Aws);
    /// assert!(Partition::from_region("us-iso-east-1").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`FederationError::InvalidRegion`] for a name that is not a DNS
    /// label, [`FederationError::UnsupportedPartition`] for a partition
    /// without console federation (the isolated partitions, `aws-eusc`).
    pub fn from_region(region: &str) -> Result<Partition, FederationError> {
        check_region(region)?;
        let id = partition_id(region);
        match id {
            "aws" => Ok(Partition::Aws),
            "aws-cn" => Ok(Partition::AwsCn),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            other => Err(FederationError::UnsupportedPartition {
                partition: other.to_owned(),
                region: region.to_owned(),
            }),
        }
    }

    /// The partition id (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The sign-in host (`signin.aws.amazon.com`, `signin.amazonaws.cn`,
    /// `signin.amazonaws-us-gov.com`).
    pub fn signin_host(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::AwsCn => "signin.amazonaws.cn",
            Partition::AwsUsGov => "signin.amazonaws-us-gov.com",
        }
    }

    /// The console host (`console.aws.amazon.com`, `console.amazonaws.cn`,
    /// `console.amazonaws-us-gov.com`).
    pub fn console_host(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::AwsCn => "console.amazonaws.cn",
            Partition::AwsUsGov => "console.amazonaws-us-gov.com",
        }
    }
}

/// One partition of the table: id, anchored region pattern, listed regions.
struct PartitionEntry {
    id: String,
    pattern: Regex,
    regions: Vec<String>,
}

/// The embedded partition table (the same file endpoint resolution
/// embeds), parsed on first use; empty if it did not parse.
fn table() -> &'static [PartitionEntry] {
    #[derive(Deserialize)]
    struct File {
        partitions: Vec<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        id: String,
        region_regex: String,
        #[serde(default)]
        regions: serde_json::Map<String, serde_json::Value>,
    }
    static TABLE: OnceLock<Vec<PartitionEntry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let Ok(file) = serde_json::from_str::<File>(include_str!("../data/partitions.json")) else {
            return Vec::new();
        };
        file.partitions
            .into_iter()
            .filter_map(|e| {
                let pattern = Regex::new(&format!("^(?:{})$", e.region_regex)).ok()?;
                Some(PartitionEntry {
                    id: e.id,
                    pattern,
                    regions: e.regions.keys().cloned().collect(),
                })
            })
            .collect()
    })
}

/// The partition id of `region` (`aws` when nothing matches).
fn partition_id(region: &str) -> &'static str {
    let table = table();
    table
        .iter()
        .find(|p| p.regions.iter().any(|r| r == region))
        .or_else(|| table.iter().find(|p| p.pattern.is_match(region)))
        .map_or("aws", |p| p.id.as_str())
}

/// A region name: one DNS label of lowercase letters, digits and hyphens.
fn check_region(region: &str) -> Result<(), FederationError> {
    let ok = !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FederationError::InvalidRegion {
            region: shorten(region),
        })
    }
}

/// `text`, printable and at most 256 characters.
fn shorten(text: &str) -> String {
    let shown = printable(text);
    if shown.chars().count() > 256 {
        let mut cut: String = shown.chars().take(256).collect();
        cut.push('…');
        cut
    } else {
        shown
    }
}

/// The federation endpoint: the URL both `getSigninToken` and `login` go
/// to, e.g. `https://signin.aws.amazon.com/federation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationEndpoint {
    url: String,
}

impl FederationEndpoint {
    /// The partition's endpoint, `https://<signin host>/federation`.
    pub fn for_partition(partition: Partition) -> FederationEndpoint {
        FederationEndpoint {
            url: format!("https://{}/federation", partition.signin_host()),
        }
    }

    /// Another endpoint (an emulator, a test server): an absolute `https`
    /// URL, or `http` to a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`), without user info, query or fragment. A URL without a
    /// path gets `/federation`.
    ///
    /// ```
    /// use oidc_core::federation::FederationEndpoint;
    /// let e = FederationEndpoint::from_url("http://127.0.0.1:8080").unwrap();
    /// assert_eq!(e.url(), "http://127.0.0.1:8080/federation");
    /// assert!(FederationEndpoint::from_url("http://example.com/federation").is_err());
    /// assert!(FederationEndpoint::from_url("https://signin.example.com/f?x=1").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`FederationError::InvalidEndpoint`] naming the problem.
    pub fn from_url(url: &str) -> Result<FederationEndpoint, FederationError> {
        let fail = |reason| {
            Err(FederationError::InvalidEndpoint {
                url: shorten(url),
                reason,
            })
        };
        if url.contains('#') {
            return fail("a fragment is not allowed");
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("whitespace or control characters are not allowed");
        }
        let Ok(uri) = url.parse::<http::Uri>() else {
            return fail("not a valid URL");
        };
        let Some(authority) = uri.authority() else {
            return fail("not an absolute URL");
        };
        if authority.as_str().contains('@') {
            return fail("user info is not allowed");
        }
        if authority.host().is_empty() {
            return fail("the URL has no host");
        }
        if uri.query().is_some() {
            return fail("a query is not allowed");
        }
        match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => {}
            Some(s) if s.eq_ignore_ascii_case("http") => {
                if !is_loopback_host(authority.host()) {
                    return fail("plain http is only allowed to a loopback host");
                }
            }
            _ => return fail("the scheme must be https (or http to a loopback host)"),
        }
        let url = if uri.path().is_empty() || uri.path() == "/" {
            format!("{}/federation", url.trim_end_matches('/'))
        } else {
            url.to_owned()
        };
        Ok(FederationEndpoint { url })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A `getSigninToken` request in the making: the credentials' session JSON
/// and an optional console session duration.
///
/// `Debug` shows the access key id and the duration only.
#[derive(Clone)]
pub struct SigninTokenRequest {
    access_key_id: String,
    secret_access_key: SecretAccessKey,
    session_token: SessionToken,
    session_duration: Option<u32>,
}

impl fmt::Debug for SigninTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigninTokenRequest")
            .field("access_key_id", &self.access_key_id)
            .field("session_duration", &self.session_duration)
            .finish_non_exhaustive()
    }
}

impl SigninTokenRequest {
    /// A request for the session of `credentials`, with no
    /// `SessionDuration` (the endpoint's default).
    ///
    /// # Errors
    ///
    /// [`FederationError::NotTemporary`] when the credentials have no (or an
    /// empty) session token.
    pub fn new(credentials: &Credentials) -> Result<SigninTokenRequest, FederationError> {
        let token = credentials
            .session_token
            .as_ref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FederationError::NotTemporary {
                access_key_id: shorten(&credentials.access_key_id),
            })?;
        Ok(SigninTokenRequest {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key.clone(),
            session_token: token.clone(),
            session_duration: None,
        })
    }

    /// Asks for a console session of `seconds` (900–43200, checked by
    /// [`build`](Self::build)). Leave it unset for credentials from role
    /// chaining: the endpoint refuses it for them.
    #[must_use]
    pub fn with_session_duration(mut self, seconds: u32) -> SigninTokenRequest {
        self.session_duration = Some(seconds);
        self
    }

    /// The requested session duration, in seconds.
    pub fn session_duration(&self) -> Option<u32> {
        self.session_duration
    }

    /// `GET <endpoint>?Action=getSigninToken[&SessionDuration=N]&Session=<JSON>`,
    /// carrying the [`OperationName`] [`GET_SIGNIN_TOKEN`]. Pure.
    ///
    /// # Errors
    ///
    /// [`FederationError::InvalidSessionDuration`];
    /// [`FederationError::InvalidEndpoint`] if the URL does not form a
    /// request.
    pub fn build(
        &self,
        endpoint: &FederationEndpoint,
    ) -> Result<http::Request<Vec<u8>>, FederationError> {
        let mut uri = Zeroizing::new(String::with_capacity(512));
        uri.push_str(&endpoint.url);
        uri.push_str("?Action=getSigninToken");
        if let Some(seconds) = self.session_duration {
            if !(MIN_SESSION_DURATION..=MAX_SESSION_DURATION).contains(&seconds) {
                return Err(FederationError::InvalidSessionDuration { seconds });
            }
            uri.push_str("&SessionDuration=");
            uri.push_str(&seconds.to_string());
        }
        let session = Zeroizing::new(
            serde_json::json!({
                "sessionId": self.access_key_id,
                "sessionKey": self.secret_access_key.secret(),
                "sessionToken": self.session_token.secret(),
            })
            .to_string(),
        );
        uri.push_str("&Session=");
        percent::encode_into(&mut uri, session.as_bytes());
        let mut request = http::Request::builder()
            .method(http::Method::GET)
            .uri(uri.as_str())
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, crate::USER_AGENT)
            .body(Vec::new())
            .map_err(|_| FederationError::InvalidEndpoint {
                url: shorten(&endpoint.url),
                reason: "it does not form a request URI",
            })?;
        request
            .extensions_mut()
            .insert(OperationName(GET_SIGNIN_TOKEN));
        Ok(request)
    }
}

/// A console sign-in token. It grants console access to whoever holds it
/// (for 15 minutes): `Debug` prints `SigninToken([redacted])`, there is no
/// `Display`, and its memory is zeroed on drop.
#[derive(Clone)]
pub struct SigninToken(String);

impl SigninToken {
    /// Wraps `value` after checking it like [`parse_signin_token`] does.
    ///
    /// # Errors
    ///
    /// [`FederationError::InvalidResponse`] (status 0) for an empty, too
    /// long or oddly composed token.
    pub fn new(value: impl Into<String>) -> Result<SigninToken, FederationError> {
        let token = SigninToken(value.into());
        check_token(token.secret())
            .map_err(|reason| FederationError::InvalidResponse { status: 0, reason })?;
        Ok(token)
    }

    /// The token.
    ///
    /// # Security warning
    ///
    /// It grants console access: do not log it or put it in an error.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigninToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigninToken([redacted])")
    }
}

impl Drop for SigninToken {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A plausible sign-in token: 1 to [`MAX_SIGNIN_TOKEN_LEN`] bytes of URL-safe
/// characters (`A-Z a-z 0-9 - _ . ~` and `=` padding).
fn check_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("the sign-in token is empty");
    }
    if token.len() > MAX_SIGNIN_TOKEN_LEN {
        return Err("the sign-in token is too long");
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'='))
    {
        return Err("the sign-in token has characters that are not URL-safe");
    }
    Ok(())
}

/// Parses the `getSigninToken` answer: `200` with `{"SigninToken": "..."}`.
/// Pure.
///
/// # Errors
///
/// [`FederationError::Service`] for an error status (with the endpoint's
/// text, printable and truncated), [`FederationError::InvalidResponse`]
/// for a body that is too large, not the expected JSON, or a token that is
/// empty, too long or not URL-safe.
pub fn parse_signin_token<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<SigninToken, FederationError> {
    let status = response.status().as_u16();
    let body = response.body().as_ref();
    if body.len() > MAX_RESPONSE_LEN {
        return Err(FederationError::InvalidResponse {
            status,
            reason: "the answer is too large",
        });
    }
    if !response.status().is_success() {
        let text = String::from_utf8_lossy(body);
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                ["message", "Message", "error", "Error"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned))
            })
            .unwrap_or_else(|| text.trim().to_owned());
        let message = if message.is_empty() {
            "no message".to_owned()
        } else {
            shorten(message.trim())
        };
        return Err(FederationError::Service { status, message });
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: Option<String>,
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|_| FederationError::InvalidResponse {
            status,
            reason: "the answer is not a JSON object",
        })?;
    let Some(token) = answer.signin_token else {
        return Err(FederationError::InvalidResponse {
            status,
            reason: "the answer has no SigninToken",
        });
    };
    let token = SigninToken(token);
    check_token(token.secret())
        .map_err(|reason| FederationError::InvalidResponse { status, reason })?;
    Ok(token)
}

/// The console sign-in URL:
/// `<endpoint>?Action=login&Issuer=<issuer>&Destination=<destination>&SigninToken=<token>`,
/// every value percent-encoded (`Issuer` left out when empty). Pure.
///
/// The URL holds the token: show it only to the user.
pub fn login_url(
    endpoint: &FederationEndpoint,
    issuer: &str,
    destination: &str,
    token: &SigninToken,
) -> String {
    let mut url = String::with_capacity(
        endpoint.url.len() + 64 + issuer.len() * 3 + destination.len() * 3 + token.0.len(),
    );
    url.push_str(&endpoint.url);
    url.push_str("?Action=login");
    if !issuer.is_empty() {
        url.push_str("&Issuer=");
        percent::encode_into(&mut url, issuer.as_bytes());
    }
    url.push_str("&Destination=");
    percent::encode_into(&mut url, destination.as_bytes());
    url.push_str("&SigninToken=");
    percent::encode_into(&mut url, token.0.as_bytes());
    url
}

/// The console page to land on: the partition's console home
/// (`https://console.aws.amazon.com/`), a region's home
/// (`https://<region>.console.aws.amazon.com/console/home?region=<region>`),
/// a service's page (`https://console.aws.amazon.com/<service>/home`), or a
/// service's page in a region
/// (`https://<region>.console.aws.amazon.com/<service>/home?region=<region>`);
/// the console host is the partition's. Pure.
///
/// ```
/// use oidc_core::federation::{console_destination, Partition};
/// assert_eq!(console_destination(Partition::Aws, None, None).unwrap(), "https://console.aws.amazon.com/");
/// assert_eq!(
///     console_destination(Partition::AwsCn, Some("cn-north-1"), Some("ec2")).unwrap(),
///     "https://cn-north-1.console.amazonaws.cn/ec2/home?region=cn-north-1"
/// );
/// assert!(console_destination(Partition::Aws, None, Some("../etc")).is_err());
/// ```
///
/// # Errors
///
/// [`FederationError::InvalidService`] for a service name that is not
/// lowercase letters, digits and hyphens (at most 64),
/// [`FederationError::InvalidRegion`] for a bad region name, and
/// [`FederationError::UnsupportedPartition`] for a region outside
/// `partition`.
pub fn console_destination(
    partition: Partition,
    region: Option<&str>,
    service: Option<&str>,
) -> Result<String, FederationError> {
    if let Some(service) = service {
        let ok = !service.is_empty()
            && service.len() <= 64
            && service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(FederationError::InvalidService {
                service: shorten(service),
            });
        }
    }
    if let Some(region) = region {
        let of_region = Partition::from_region(region)?;
        if of_region != partition {
            return Err(FederationError::UnsupportedPartition {
                partition: partition.id().to_owned(),
                region: region.to_owned(),
            });
        }
    }
    let host = partition.console_host();
    let mut url = String::from("https://");
    if let Some(region) = region {
        url.push_str(region);
        url.push('.');
    }
    url.push_str(host);
    url.push('/');
    match (service, region) {
        (None, None) => {}
        (service, region) => {
            percent::encode_into(&mut url, service.unwrap_or("console").as_bytes());
            url.push_str("/home");
            if let Some(region) = region {
                url.push_str("?region=");
                percent::encode_into(&mut url, region.as_bytes());
            }
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debug::DebugRequest;

    fn temporary() -> Credentials {
        Credentials::new("ASIAEXAMPLE", "planted/secret+key").with_session_token("planted-token=")
    }

    fn decoded_query(request: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
        request
            .uri()
            .query()
            .unwrap()
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (
                    k.to_owned(),
                    String::from_utf8(percent::decode(v.as_bytes(), false)).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn builds_the_session_json_and_hides_it() {
        let endpoint = FederationEndpoint::for_partition(Partition::AwsUsGov);
        let request = SigninTokenRequest::new(&temporary())
            .unwrap()
            .build(&endpoint)
            .unwrap();
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(
            request.uri().path(),
            "/federation",
            "{:?}",
            DebugRequest(&request)
        );
        assert_eq!(request.uri().host(), Some("signin.amazonaws-us-gov.com"));
        assert_eq!(crate::step::operation_name(&request), GET_SIGNIN_TOKEN);
        let query = decoded_query(&request);
        assert_eq!(query[0], ("Action".into(), "getSigninToken".into()));
        assert_eq!(query[1].0, "Session");
        let json: serde_json::Value = serde_json::from_str(&query[1].1).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sessionId": "ASIAEXAMPLE", "sessionKey": "planted/secret+key", "sessionToken": "planted-token="})
        );
        assert!(!request.uri().query().unwrap().contains('+'));
        let shown = format!("{:?}", DebugRequest(&request));
        assert!(!shown.contains("planted"), "{shown}");
        let input = format!("{:?}", SigninTokenRequest::new(&temporary()).unwrap());
        assert!(
            !input.contains("planted") && input.contains("ASIAEXAMPLE"),
            "{input}"
        );
    }

    #[test]
    fn session_duration_is_bounded() {
        let endpoint = FederationEndpoint::for_partition(Partition::Aws);
        let input = SigninTokenRequest::new(&temporary()).unwrap();
        for ok in [900, 43_200] {
            let request = input
                .clone()
                .with_session_duration(ok)
                .build(&endpoint)
                .unwrap();
            assert_eq!(
                decoded_query(&request)[1],
                ("SessionDuration".into(), ok.to_string())
            );
        }
        for bad in [0, 899, 43_201] {
            assert!(matches!(
                input.clone().with_session_duration(bad).build(&endpoint),
                Err(FederationError::InvalidSessionDuration { seconds }) if seconds == bad
            ));
        }
    }

    #[test]
    fn refuses_long_term_credentials() {
        let err = SigninTokenRequest::new(&Credentials::new("AKIAEXAMPLE", "planted")).unwrap_err();
        assert!(matches!(err, FederationError::NotTemporary { .. }));
        assert!(err.to_string().contains("AKIAEXAMPLE"));
        assert!(!err.to_string().contains("planted"));
        let empty = Credentials::new("ASIA", "planted").with_session_token("");
        assert!(SigninTokenRequest::new(&empty).is_err());
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            FederationEndpoint::from_url("http://127.0.0.1:9/federation")
                .unwrap()
                .url(),
            "http://127.0.0.1:9/federation"
        );
        assert_eq!(
            FederationEndpoint::from_url("http://[::1]:9/")
                .unwrap()
                .url(),
            "http://[::1]:9/federation"
        );
        assert!(FederationEndpoint::from_url("https://signin.example.com/x").is_ok());
        for bad in [
            "http://10.0.0.1/federation",
            "ftp://127.0.0.1/federation",
            "https://user@signin.example.com/federation",
            "https://signin.example.com/federation#x",
            "/federation",
            "",
            "https://signin.example.com/a b",
        ] {
            assert!(
                matches!(
                    FederationEndpoint::from_url(bad),
                    Err(FederationError::InvalidEndpoint { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn partitions_and_destinations() {
        assert_eq!(Partition::from_region("us-east-1"), Ok(Partition::Aws));
        assert_eq!(
            Partition::from_region("aws-cn-global"),
            Ok(Partition::AwsCn)
        );
        assert_eq!(
            Partition::from_region("cn-northwest-1"),
            Ok(Partition::AwsCn)
        );
        assert_eq!(
            Partition::from_region("us-gov-east-1"),
            Ok(Partition::AwsUsGov)
        );
        assert_eq!(Partition::from_region("mars-1"), Ok(Partition::Aws));
        assert!(matches!(
            Partition::from_region("us-isob-east-1"),
            Err(FederationError::UnsupportedPartition { .. })
        ));
        for bad in ["", "EU-WEST-1", "eu.west", "-x", "a/b"] {
            assert!(
                matches!(
                    Partition::from_region(bad),
                    Err(FederationError::InvalidRegion { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            console_destination(Partition::AwsUsGov, None, None).unwrap(),
            "https://console.amazonaws-us-gov.com/"
        );
        assert_eq!(
            console_destination(Partition::Aws, Some("eu-west-1"), None).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            console_destination(Partition::Aws, None, Some("iam")).unwrap(),
            "https://console.aws.amazon.com/iam/home"
        );
        assert!(console_destination(Partition::Aws, Some("cn-north-1"), None).is_err());
        for bad in ["S3", "s3/../x", "", "s3?x", "s3 x", &"a".repeat(65)] {
            assert!(
                matches!(
                    console_destination(Partition::Aws, None, Some(bad)),
                    Err(FederationError::InvalidService { .. })
                ),
                "{bad}"
            );
        }
    }

    fn answer(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn parses_and_checks_tokens() {
        let token = parse_signin_token(&answer(200, r#"{"SigninToken":"abc-_.~="}"#)).unwrap();
        assert_eq!(token.secret(), "abc-_.~=");
        assert_eq!(format!("{token:#?}"), "SigninToken([redacted])");
        for (body, reason) in [
            ("not json", "the answer is not a JSON object"),
            ("{}", "the answer has no SigninToken"),
            (r#"{"SigninToken":""}"#, "the sign-in token is empty"),
            (
                r#"{"SigninToken":"a b"}"#,
                "the sign-in token has characters that are not URL-safe",
            ),
            (
                r#"{"SigninToken":"a\u001b[2J"}"#,
                "the sign-in token has characters that are not URL-safe",
            ),
        ] {
            assert_eq!(
                parse_signin_token(&answer(200, body)).unwrap_err(),
                FederationError::InvalidResponse {
                    status: 200,
                    reason
                },
                "{body}"
            );
        }
        let long = format!(
            r#"{{"SigninToken":"{}"}}"#,
            "a".repeat(MAX_SIGNIN_TOKEN_LEN + 1)
        );
        assert!(parse_signin_token(&answer(200, &long)).is_err());
        let huge = "x".repeat(MAX_RESPONSE_LEN + 1);
        assert!(matches!(
            parse_signin_token(&answer(200, &huge)),
            Err(FederationError::InvalidResponse { .. })
        ));
        assert!(SigninToken::new("ok").is_ok());
        assert!(SigninToken::new("not ok").is_err());
    }

    #[test]
    fn error_answers_are_printable() {
        let err = parse_signin_token(&answer(400, "Bad\u{1b}[2J request\r\n")).unwrap_err();
        assert_eq!(
            err,
            FederationError::Service {
                status: 400,
                message: "Bad[2J request".into()
            }
        );
        let err = parse_signin_token(&answer(403, r#"{"message":"expired"}"#)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the federation endpoint refused the sign-in token request (HTTP 403): expired"
        );
        let err = parse_signin_token(&answer(500, "")).unwrap_err();
        assert!(err.to_string().ends_with("no message"));
        let long = parse_signin_token(&answer(400, &"y".repeat(1000))).unwrap_err();
        assert!(long.to_string().len() < 400);
    }

    #[test]
    fn login_url_encodes_everything() {
        let endpoint = FederationEndpoint::from_url("http://127.0.0.1:9/federation").unwrap();
        let token = SigninToken::new("t=").unwrap();
        let url = login_url(&endpoint, "", "https://x/?a=b&c=d", &token);
        assert_eq!(
            url,
            "http://127.0.0.1:9/federation?Action=login&Destination=https%3A%2F%2Fx%2F%3Fa%3Db%26c%3Dd&SigninToken=t%3D"
        );
        assert!(crate::untrusted::openable_uri(&url).is_some());
    }
}
