//! AWS Signature Version 4 (header signing, `AWS4-HMAC-SHA256`).
//!
//! [`sign`] adds `Host` (when absent), `X-Amz-Date`, `X-Amz-Security-Token`
//! (with temporary credentials), optionally `X-Amz-Content-Sha256`, and the
//! `Authorization` header to an [`http::Request`] in place. It is pure: the
//! signing time is an argument ([`SigningParams::time`]), so a caller that
//! knows its clock is off by some amount simply passes the corrected time.
//! Nothing here reads the clock, the environment or the network.
//!
//! The steps are public pure functions so they can be tested one by one:
//! [`canonical_request`] → [`string_to_sign`] → [`signing_key`] →
//! [`signature`]. Presigned URLs (query signing), SigV4a, chunked payloads
//! and S3's special cases are out of scope.
//!
//! # What gets signed
//!
//! Every header on the request when [`sign`] runs is signed, except those in
//! [`UNSIGNED_HEADERS`] (`authorization`, `user-agent`, `x-amzn-trace-id` and
//! the hop-by-hop headers a proxy or HTTP stack may add, drop or rewrite).
//! So: **set every header (and the final body) before signing, and change
//! none afterwards**. Sign exactly the bytes you send: the body hash covers
//! the body as it is, and the path and query are canonicalised from the URI
//! as it will go on the wire.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::sigv4::{self, SigningParams};
//! use oidc_core::Credentials;
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! // 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
//! let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
//! let mut request = http::Request::builder()
//!     .method("GET")
//!     .uri("https://example.amazonaws.com/")
//!     .body(Vec::new())
//!     .unwrap();
//!
//! sigv4::sign(&mut request, &SigningParams::new(&credentials, "us-east-1", "service", time)).unwrap();
//!
//! assert_eq!(request.headers()["host"], "example.amazonaws.com");
//! assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
//! assert_eq!(
//!     request.headers()["authorization"],
//!     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!      SignedHeaders=host;x-amz-date, \
//!      Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
//! );
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::{HeaderMap, Request, Uri};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::credentials::Credentials;
use crate::percent;
use crate::secret::SecretAccessKey;

/// The algorithm name that starts the string to sign and the
/// `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Header names (lower case, sorted) that are never signed even when present:
/// `authorization` (it carries the signature), `user-agent` and
/// `x-amzn-trace-id` (proxies and tracing layers rewrite them; aws-sigv4
/// leaves them out too) and the hop-by-hop headers a proxy or HTTP stack may
/// add, drop or rewrite on the way.
pub const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// SHA-256 of the empty body, lower-case hex.
pub const EMPTY_PAYLOAD_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// Why a request cannot be signed. Signing never panics; every input it
/// cannot represent faithfully is one of these. No variant carries a
/// secret: what a caller's own signer says ([`SigningError::Signer`]) has
/// the call's secrets removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// A header value is not valid UTF-8 (obsolete non-ASCII bytes).
    #[error("the value of header `{name}` is not valid UTF-8 and cannot be signed")]
    InvalidHeaderValue {
        /// The (lower-case) header name.
        name: String,
    },
    /// The request has no `Host` header and its URI has no host to derive
    /// one from.
    #[error("the request has no Host header and its URI has no host")]
    MissingHost,
    /// The URI's host (and port) cannot be written as a `Host` header value.
    #[error("the URI's host cannot be used as a Host header value")]
    InvalidHost,
    /// The signing time is before 1970-01-01T00:00:00Z or after year 9999.
    #[error("the signing time is before 1970 or after the year 9999")]
    TimeOutOfRange,
    /// The region is empty or contains characters other than ASCII letters,
    /// digits, `-`, `_` and `.`.
    #[error("invalid signing region `{0}`")]
    InvalidRegion(String),
    /// The signing name (service) is empty or contains characters other than
    /// ASCII letters, digits, `-`, `_` and `.`.
    #[error("invalid signing name `{0}`")]
    InvalidSigningName(String),
    /// The access key id is empty or contains characters other than ASCII
    /// letters, digits, `-`, `_` and `.`.
    #[error("invalid access key id")]
    InvalidAccessKeyId,
    /// The session token cannot be sent as a header value (control
    /// characters). The token itself is not included.
    #[error("the session token cannot be sent as an HTTP header value")]
    InvalidSessionToken,
    /// The operation must be signed with AWS credentials, and none were
    /// given (no signer in the call's options).
    #[error("the operation must be signed with AWS credentials, and none were given")]
    NoCredentials,
    /// A caller's own [`SignRequest`](crate::SignRequest) failed: what it
    /// said.
    #[error("{0}")]
    Signer(String),
}

/// How the canonical URI encodes the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathEncoding {
    /// Percent-encode the wire path (already encoded once) a second time:
    /// `%3D` becomes `%253D`, `@` becomes `%40`. What every AWS service but
    /// S3 expects, and the default.
    #[default]
    Double,
    /// Percent-decode each path segment, then encode it once: the canonical
    /// path is one SigV4 encoding of the decoded path (S3's rule, and the
    /// rule the AWS test suite's expected values are written in).
    Single,
}

/// Signing options. The defaults are right for STS and SSO OIDC.
///
/// ```
/// use oidc_core::sigv4::{PathEncoding, SigningSettings};
///
/// let settings = SigningSettings::default();
/// assert!(!settings.content_sha256_header);
/// assert!(settings.normalize_path);
/// assert_eq!(settings.path_encoding, PathEncoding::Double);
/// let s3_like = settings
///     .with_content_sha256_header(true)
///     .with_normalize_path(false)
///     .with_path_encoding(PathEncoding::Single);
/// assert!(s3_like.content_sha256_header && !s3_like.normalize_path);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningSettings {
    /// Add (and sign) `X-Amz-Content-Sha256: <hex SHA-256 of the body>`.
    /// Off by default: S3 needs it, STS and SSO OIDC do not.
    pub content_sha256_header: bool,
    /// Remove dot segments and empty segments from the path before encoding
    /// it (on by default; only S3 turns it off).
    pub normalize_path: bool,
    /// How the path is percent-encoded ([`PathEncoding::Double`] by default).
    pub path_encoding: PathEncoding,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            content_sha256_header: false,
            normalize_path: true,
            path_encoding: PathEncoding::Double,
        }
    }
}

impl SigningSettings {
    /// Sets [`content_sha256_header`](Self::content_sha256_header).
    pub fn with_content_sha256_header(mut self, on: bool) -> Self {
        self.content_sha256_header = on;
        self
    }

    /// Sets [`normalize_path`](Self::normalize_path).
    pub fn with_normalize_path(mut self, on: bool) -> Self {
        self.normalize_path = on;
        self
    }

    /// Sets [`path_encoding`](Self::path_encoding).
    pub fn with_path_encoding(mut self, encoding: PathEncoding) -> Self {
        self.path_encoding = encoding;
        self
    }
}

/// Everything [`sign`] needs besides the request.
///
/// `region` and `signing_name` are the *signing* region and name, which can
/// differ from the endpoint's: SSO OIDC signs as `sso-oauth`, and the global
/// STS endpoint signs for `us-east-1`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SigningParams<'a> {
    /// The credentials to sign with.
    pub credentials: &'a Credentials,
    /// The signing region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing name (service), e.g. `sts` or `sso-oauth`.
    pub signing_name: &'a str,
    /// The signing time; it becomes `X-Amz-Date` and the scope date (UTC).
    pub time: SystemTime,
    /// Options; [`SigningSettings::default`] unless changed.
    pub settings: SigningSettings,
}

impl<'a> SigningParams<'a> {
    /// Parameters with the default [`SigningSettings`].
    pub fn new(
        credentials: &'a Credentials,
        region: &'a str,
        signing_name: &'a str,
        time: SystemTime,
    ) -> Self {
        SigningParams {
            credentials,
            region,
            signing_name,
            time,
            settings: SigningSettings::default(),
        }
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }
}

/// Signs `request` in place.
///
/// Adds or replaces, in this order:
///
/// 1. `Host`, only when absent: the URI's host, with `:port` when the port
///    is not the scheme's default;
/// 2. `X-Amz-Date`, always set from [`SigningParams::time`] (an existing
///    value is replaced, so the header and the credential scope always come
///    from the same instant);
/// 3. `X-Amz-Security-Token`, when the credentials carry a session token
///    (it is signed, as STS and SSO OIDC require);
/// 4. `X-Amz-Content-Sha256`, when
///    [`SigningSettings::content_sha256_header`] is on;
/// 5. `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
///    Signature=...` (marked sensitive).
///
/// Every other header present is signed too, except [`UNSIGNED_HEADERS`]:
/// set all headers and the body before calling this, and change nothing
/// afterwards. On error the request is left unchanged.
///
/// # Errors
///
/// A [`SigningError`] names the input that cannot be signed.
pub fn sign(
    request: &mut Request<Vec<u8>>,
    params: &SigningParams<'_>,
) -> Result<(), SigningError> {
    sign_with(request, params, |date| {
        signing_key(
            &params.credentials.secret_access_key,
            date,
            params.region,
            params.signing_name,
        )
    })
}

/// [`sign`] with the day's signing key from `key_for(YYYYMMDD)` (which may
/// come from a cache).
///
/// Everything that can fail is checked before the request is touched, so
/// the headers are never copied: the canonical request is written straight
/// from the request's own headers and the few this adds, and only then are
/// those inserted.
fn sign_with(
    request: &mut Request<Vec<u8>>,
    params: &SigningParams<'_>,
    key_for: impl FnOnce(&str) -> [u8; 32],
) -> Result<(), SigningError> {
    let credentials = params.credentials;
    if !is_scope_token(&credentials.access_key_id) {
        return Err(SigningError::InvalidAccessKeyId);
    }
    check_scope(params.region, params.signing_name)?;
    let amz_date = amz_date(params.time)?;

    // The headers this adds (each replaces any value already there).
    let host = if request.headers().contains_key(HOST) {
        None
    } else {
        Some(host_header(request.uri())?)
    };
    let date_value = ascii_header_value(&amz_date)?;
    let token = match &credentials.session_token {
        Some(token) => {
            let mut value = HeaderValue::from_str(token.secret())
                .map_err(|_| SigningError::InvalidSessionToken)?;
            value.set_sensitive(true);
            Some((token.secret(), value))
        }
        None => None,
    };
    let body_hash = hex32(&Sha256::digest(request.body()).into());
    let body_hash = std::str::from_utf8(&body_hash).map_err(|_| SigningError::TimeOutOfRange)?;
    let content_sha256 = if params.settings.content_sha256_header {
        Some(ascii_header_value(body_hash)?)
    } else {
        None
    };
    let host_str = host.as_ref().map(|h| h.to_str().unwrap_or_default());
    let added = Added {
        host: host_str,
        date: &amz_date,
        token: token.as_ref().map(|(t, _)| *t),
        content_sha256: content_sha256.as_ref().map(|_| body_hash),
    };

    let canonical = canonicalize_with(
        request,
        request.headers(),
        &added,
        &params.settings,
        body_hash,
    )?;
    let string_to_sign = string_to_sign_with_date(
        &canonical.request,
        &amz_date,
        params.region,
        params.signing_name,
    );
    let mut key = key_for(datestamp(&amz_date));
    let mut mac = hmac_sha256(&key, string_to_sign.as_bytes());
    key.zeroize();
    let signature = hex32(&mac);
    mac.zeroize();
    let mut authorization = String::with_capacity(
        ALGORITHM.len()
            + credentials.access_key_id.len()
            + canonical.signed_headers.len()
            + params.region.len()
            + params.signing_name.len()
            + 128,
    );
    authorization.push_str(ALGORITHM);
    authorization.push_str(" Credential=");
    authorization.push_str(&credentials.access_key_id);
    authorization.push('/');
    push_scope(
        &mut authorization,
        &amz_date,
        params.region,
        params.signing_name,
    );
    authorization.push_str(", SignedHeaders=");
    authorization.push_str(&canonical.signed_headers);
    authorization.push_str(", Signature=");
    authorization.push_str(std::str::from_utf8(&signature).unwrap_or_default());
    let mut authorization =
        HeaderValue::from_str(&authorization).map_err(|_| SigningError::InvalidAccessKeyId)?;
    authorization.set_sensitive(true);

    // Nothing fails from here on.
    let headers = request.headers_mut();
    if let Some(host) = host {
        headers.insert(HOST, host);
    }
    headers.insert(X_AMZ_DATE, date_value);
    if let Some((_, token)) = token {
        headers.insert(X_AMZ_SECURITY_TOKEN, token);
    }
    if let Some(content_sha256) = content_sha256 {
        headers.insert(X_AMZ_CONTENT_SHA256, content_sha256);
    }
    headers.insert(AUTHORIZATION, authorization);
    Ok(())
}

/// The headers [`sign_with`] is about to set, as they will be signed: each
/// present one replaces every value of that header on the request.
#[derive(Default)]
struct Added<'a> {
    host: Option<&'a str>,
    date: &'a str,
    token: Option<&'a str>,
    content_sha256: Option<&'a str>,
}

impl<'a> Added<'a> {
    /// The added headers, by (lower-case) name.
    fn entries(&self) -> [(&'static str, Option<&'a str>); 4] {
        [
            ("host", self.host),
            ("x-amz-content-sha256", self.content_sha256),
            ("x-amz-date", (!self.date.is_empty()).then_some(self.date)),
            ("x-amz-security-token", self.token),
        ]
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.entries()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v)
    }
}

/// The canonical request of `request` exactly as it stands (nothing is
/// added: call it on a request [`sign`] has signed to see what was signed).
///
/// Six lines joined by `\n`: method, canonical URI ([`canonical_uri`]),
/// canonical query ([`canonical_query`]), the canonical header block (one
/// `name:value\n` per signed header), the signed header names joined by `;`,
/// and the hex SHA-256 of the body ([`payload_hash`]).
///
/// ```
/// use oidc_core::sigv4::{canonical_request, SigningSettings};
///
/// let request = http::Request::builder()
///     .method("POST")
///     .uri("https://oidc.us-east-1.amazonaws.com/token?aws_iam=t")
///     .header("host", "oidc.us-east-1.amazonaws.com")
///     .header("content-type", "application/json")
///     .header("x-amz-date", "20240514T164809Z")
///     .header("user-agent", "not signed")
///     .body(b"{}".to_vec())
///     .unwrap();
/// assert_eq!(
///     canonical_request(&request, &SigningSettings::default()).unwrap(),
///     "POST\n/token\naws_iam=t\n\
///      content-type:application/json\nhost:oidc.us-east-1.amazonaws.com\nx-amz-date:20240514T164809Z\n\n\
///      content-type;host;x-amz-date\n\
///      44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/// );
/// ```
///
/// # Errors
///
/// [`SigningError::InvalidHeaderValue`] when a header value to be signed is
/// not UTF-8.
pub fn canonical_request(
    request: &Request<Vec<u8>>,
    settings: &SigningSettings,
) -> Result<String, SigningError> {
    let body_hash = hex32(&Sha256::digest(request.body()).into());
    let body_hash = std::str::from_utf8(&body_hash).unwrap_or_default();
    canonicalize_with(
        request,
        request.headers(),
        &Added::default(),
        settings,
        body_hash,
    )
    .map(|c| c.request)
}

/// The string to sign for a canonical request: the algorithm, the
/// `X-Amz-Date` of `time`, the credential scope
/// (`date/region/signing_name/aws4_request`) and the hex SHA-256 of the
/// canonical request, joined by `\n`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_core::sigv4::string_to_sign;
///
/// let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// let creq = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
///             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// assert_eq!(
///     string_to_sign(creq, time, "us-east-1", "service").unwrap(),
///     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
///      bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
/// );
/// ```
///
/// # Errors
///
/// [`SigningError::TimeOutOfRange`], [`SigningError::InvalidRegion`] or
/// [`SigningError::InvalidSigningName`].
pub fn string_to_sign(
    canonical_request: &str,
    time: SystemTime,
    region: &str,
    signing_name: &str,
) -> Result<String, SigningError> {
    check_scope(region, signing_name)?;
    let amz_date = amz_date(time)?;
    Ok(string_to_sign_with_date(
        canonical_request,
        &amz_date,
        region,
        signing_name,
    ))
}

/// The SigV4 signing key: `HMAC("AWS4" + secret, date)`, then the region,
/// the signing name and `aws4_request`, each HMAC keyed with the previous
/// result. `date` is the `YYYYMMDD` scope date. The key depends only on
/// these four inputs, so it can be cached for a day.
///
/// ```
/// use oidc_core::secret::SecretAccessKey;
/// use oidc_core::sigv4::signing_key;
///
/// let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let key = signing_key(&secret, "20150830", "us-east-1", "service");
/// assert_eq!(key[..4], [0x93, 0x81, 0x27, 0xb5]);
/// ```
pub fn signing_key(
    secret: &SecretAccessKey,
    date: &str,
    region: &str,
    signing_name: &str,
) -> [u8; 32] {
    let mut initial = Zeroizing::new(Vec::with_capacity(4 + secret.secret().len()));
    initial.extend_from_slice(b"AWS4");
    initial.extend_from_slice(secret.secret().as_bytes());
    let mut k_date = hmac_sha256(&initial, date.as_bytes());
    let mut k_region = hmac_sha256(&k_date, region.as_bytes());
    let mut k_service = hmac_sha256(&k_region, signing_name.as_bytes());
    let signing = hmac_sha256(&k_service, b"aws4_request");
    k_date.zeroize();
    k_region.zeroize();
    k_service.zeroize();
    signing
}

/// The signature: lower-case hex of `HMAC(signing_key, string_to_sign)`.
///
/// ```
/// use oidc_core::secret::SecretAccessKey;
/// use oidc_core::sigv4::{signature, signing_key};
///
/// let key = signing_key(
///     &SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
///     "20150830",
///     "us-east-1",
///     "service",
/// );
/// let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
///            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
/// assert_eq!(signature(&key, sts), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// ```
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    lower_hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Lower-case hex SHA-256 of `body` (the canonical request's last line).
///
/// ```
/// use oidc_core::sigv4::{payload_hash, EMPTY_PAYLOAD_HASH};
/// assert_eq!(payload_hash(b""), EMPTY_PAYLOAD_HASH);
/// ```
pub fn payload_hash(body: &[u8]) -> String {
    lower_hex(&Sha256::digest(body))
}

/// `time` as an `X-Amz-Date` value, `YYYYMMDD'T'HHMMSS'Z'` in UTC.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use oidc_core::sigv4::amz_date;
///
/// let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// assert_eq!(amz_date(time).unwrap(), "20150830T123600Z");
/// ```
///
/// # Errors
///
/// [`SigningError::TimeOutOfRange`] before 1970 or after the year 9999.
pub fn amz_date(time: SystemTime) -> Result<String, SigningError> {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| SigningError::TimeOutOfRange)?
        .as_secs();
    let seconds = i64::try_from(seconds).map_err(|_| SigningError::TimeOutOfRange)?;
    let utc = time::OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| SigningError::TimeOutOfRange)?;
    if utc.year() > 9999 {
        return Err(SigningError::TimeOutOfRange);
    }
    // `YYYYMMDDTHHMMSSZ`, written digit by digit (no formatting machinery
    // on the signing path).
    let mut out = String::with_capacity(16);
    let year = u32::try_from(utc.year()).map_err(|_| SigningError::TimeOutOfRange)?;
    push_digits(&mut out, year, 4);
    push_digits(&mut out, u32::from(u8::from(utc.month())), 2);
    push_digits(&mut out, u32::from(utc.day()), 2);
    out.push('T');
    push_digits(&mut out, u32::from(utc.hour()), 2);
    push_digits(&mut out, u32::from(utc.minute()), 2);
    push_digits(&mut out, u32::from(utc.second()), 2);
    out.push('Z');
    Ok(out)
}

/// `value` as `width` decimal digits (leading zeros; `value` fits).
fn push_digits(out: &mut String, value: u32, width: u32) {
    for i in (0..width).rev() {
        let digit = (value / 10u32.pow(i)) % 10;
        out.push(char::from(b'0' + (digit as u8)));
    }
}

/// The canonical URI of a wire path (as [`http::Uri::path`] returns it):
/// optionally normalised (dot segments and empty segments removed, a
/// trailing `/` kept), then percent-encoded per [`PathEncoding`] with
/// everything but `A-Z a-z 0-9 - . _ ~` and `/` written `%XX` (upper-case
/// hex). An empty path is `/`.
///
/// ```
/// use oidc_core::sigv4::{canonical_uri, PathEncoding, SigningSettings};
///
/// let double = SigningSettings::default();
/// assert_eq!(canonical_uri("/token", &double), "/token");
/// assert_eq!(canonical_uri("//a/./b/../c//", &double), "/a/c/");
/// assert_eq!(canonical_uri("/test/@connections/x%3D", &double), "/test/%40connections/x%253D");
/// let single = double.with_path_encoding(PathEncoding::Single);
/// assert_eq!(canonical_uri("/example%20space/$", &single), "/example%20space/%24");
/// ```
pub fn canonical_uri(path: &str, settings: &SigningSettings) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    let push_segment = |out: &mut String, segment: &str| match settings.path_encoding {
        PathEncoding::Double => percent::encode_into(out, segment.as_bytes()),
        PathEncoding::Single => {
            percent::encode_into(out, &percent::decode(segment.as_bytes(), false))
        }
    };
    if settings.normalize_path {
        let mut kept: Vec<&str> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    kept.pop();
                }
                _ => kept.push(segment),
            }
        }
        for segment in &kept {
            out.push('/');
            push_segment(&mut out, segment);
        }
        let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
        if out.is_empty() || trailing {
            out.push('/');
        }
    } else {
        if !path.starts_with('/') {
            out.push('/');
        }
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            push_segment(&mut out, segment);
        }
    }
    out
}

/// The canonical query string of a raw query (the part after `?`, without
/// it): pairs split on `&` (empty pieces dropped) and at the first `=`,
/// keys and values percent-decoded (`+` read as a space, as
/// `application/x-www-form-urlencoded` and aws-sigv4 do) and re-encoded
/// with everything but `A-Z a-z 0-9 - . _ ~` written `%XX`, sorted by
/// encoded key then encoded value (byte order), joined as `key=value` with
/// `&`.
///
/// ```
/// use oidc_core::sigv4::canonical_query;
///
/// assert_eq!(canonical_query("aws_iam=t"), "aws_iam=t");
/// assert_eq!(canonical_query("b=2&a=x%20y&a=1&flag"), "a=1&a=x%20y&b=2&flag=");
/// assert_eq!(canonical_query(""), "");
/// ```
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let mut encoded_key = String::new();
            let mut encoded_value = String::new();
            percent::encode_into(&mut encoded_key, &percent::decode(key.as_bytes(), true));
            percent::encode_into(&mut encoded_value, &percent::decode(value.as_bytes(), true));
            (encoded_key, encoded_value)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

struct Canonical {
    request: String,
    signed_headers: String,
}

fn canonicalize_with(
    request: &Request<Vec<u8>>,
    headers: &HeaderMap,
    added: &Added<'_>,
    settings: &SigningSettings,
    body_hash: &str,
) -> Result<Canonical, SigningError> {
    // Signed names: the request's (less the unsigned ones and those about
    // to be replaced) and the added ones, sorted; names are unique.
    let mut names: Vec<&str> = Vec::with_capacity(headers.keys_len() + 4);
    names.extend(
        headers
            .keys()
            .map(HeaderName::as_str)
            .filter(|name| !UNSIGNED_HEADERS.contains(name) && added.get(name).is_none()),
    );
    names.extend(
        added
            .entries()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| n),
    );
    names.sort_unstable();

    let uri = request.uri();
    let query = uri.query().unwrap_or("");
    let capacity = 256
        + uri.path().len()
        + query.len()
        + added
            .entries()
            .iter()
            .map(|(n, v)| n.len() + v.map_or(0, str::len) + 2)
            .sum::<usize>()
        + headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 2)
            .sum::<usize>();
    let mut out = String::with_capacity(capacity);
    out.push_str(request.method().as_str());
    out.push('\n');
    if uri.path() == "/" {
        out.push('/');
    } else {
        out.push_str(&canonical_uri(uri.path(), settings));
    }
    out.push('\n');
    if !query.is_empty() {
        out.push_str(&canonical_query(query));
    }
    out.push('\n');
    let mut signed_headers = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
    for name in &names {
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
        out.push_str(name);
        out.push(':');
        if let Some(value) = added.get(name) {
            push_trimmed_collapsed(value, &mut out);
        } else {
            for (i, value) in headers.get_all(*name).iter().enumerate() {
                let value = std::str::from_utf8(value.as_bytes()).map_err(|_| {
                    SigningError::InvalidHeaderValue {
                        name: (*name).to_owned(),
                    }
                })?;
                if i > 0 {
                    out.push(',');
                }
                push_trimmed_collapsed(value, &mut out);
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers);
    out.push('\n');
    out.push_str(body_hash);
    Ok(Canonical {
        request: out,
        signed_headers,
    })
}

/// Appends `value` without leading/trailing spaces and tabs, with every
/// inner run of spaces and tabs written as one space.
fn push_trimmed_collapsed(value: &str, out: &mut String) {
    // The usual case (tokens, dates, host names) needs no change at all.
    let bytes = value.as_bytes();
    // One vectorised pass: no space or tab at all (tokens, dates, hashes).
    let plain = crate::credentials::check::all_bytes(bytes, |b| (b != b' ') & (b != b'\t'))
        || (!bytes.contains(&b'\t')
            && !value.contains("  ")
            && bytes.first() != Some(&b' ')
            && bytes.last() != Some(&b' '));
    if plain {
        out.push_str(value);
        return;
    }
    let mut started = false;
    let mut pending_space = false;
    for c in value.chars() {
        if c == ' ' || c == '\t' {
            pending_space = started;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
            started = true;
        }
    }
}

fn string_to_sign_with_date(
    canonical_request: &str,
    amz_date: &str,
    region: &str,
    signing_name: &str,
) -> String {
    let digest = Sha256::digest(canonical_request.as_bytes());
    let mut out = String::with_capacity(
        ALGORITHM.len() + amz_date.len() + region.len() + signing_name.len() + 96,
    );
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    push_scope(&mut out, amz_date, region, signing_name);
    out.push('\n');
    push_lower_hex(&mut out, &digest);
    out
}

/// `date/region/signing_name/aws4_request`.
fn push_scope(out: &mut String, amz_date: &str, region: &str, signing_name: &str) {
    out.push_str(datestamp(amz_date));
    out.push('/');
    out.push_str(region);
    out.push('/');
    out.push_str(signing_name);
    out.push_str("/aws4_request");
}

fn datestamp(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

/// Region, signing name and access key id go into the `/`-separated scope
/// and the `Authorization` header; anything outside this set would make
/// them ambiguous.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_scope(region: &str, signing_name: &str) -> Result<(), SigningError> {
    if !is_scope_token(region) {
        return Err(SigningError::InvalidRegion(region.to_owned()));
    }
    if !is_scope_token(signing_name) {
        return Err(SigningError::InvalidSigningName(signing_name.to_owned()));
    }
    Ok(())
}

fn host_header(uri: &Uri) -> Result<HeaderValue, SigningError> {
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or(SigningError::MissingHost)?;
    let default_port = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
        Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
        _ => None,
    };
    let value = match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_str(&value).map_err(|_| SigningError::InvalidHost)
}

/// A header value from a string this module built from ASCII digits, hex
/// and letters; it cannot fail, but is checked rather than unwrapped.
fn ascii_header_value(value: &str) -> Result<HeaderValue, SigningError> {
    HeaderValue::from_str(value).map_err(|_| SigningError::TimeOutOfRange)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length (RFC 2104): `new_from_slice` never
    // fails for it, so the `else` branch is unreachable.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0u8; 32];
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_lower_hex(&mut out, bytes);
    out
}

/// Lower-case hex of a 32-byte digest, on the stack.
fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

fn push_lower_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

/// The per-attempt signing hook of [`Call`](crate::call::Call) for AWS
/// credentials: signs every attempt of an
/// [`Auth::SigV4`](crate::Auth::SigV4) operation in `region` at the
/// attempt's time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use oidc_core::endpoint::Endpoint;
/// use oidc_core::sigv4::SigV4Signer;
/// use oidc_core::sso_oidc::create_token_with_iam::{CreateTokenWithIamInput, IamGrant};
/// use oidc_core::{Credentials, Operation, SignRequest};
///
/// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let signer = SigV4Signer::new(credentials, "us-east-1");
/// let endpoint = Endpoint::from_url("https://oidc.us-east-1.amazonaws.com").unwrap();
/// let input = CreateTokenWithIamInput::new(
///     "arn:aws:portal::123456789012:application/ssoins-1/apl-1",
///     IamGrant::JwtBearer { assertion: "eyJ.x.y".into() },
/// );
/// let mut request = input.request(&endpoint).unwrap();
/// // `Call` does this before every attempt, at the attempt's time.
/// let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// signer.sign(&mut request, "sso-oauth", time).unwrap();
/// let authorization = request.headers()["authorization"].to_str().unwrap();
/// assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/"));
/// assert!(authorization.contains("/us-east-1/sso-oauth/aws4_request"));
/// ```
pub struct SigV4Signer {
    credentials: Credentials,
    region: String,
    settings: SigningSettings,
    /// The last day's signing key: `(date/signing name, key)`. A key is
    /// valid for one day, region and service, and deriving it costs four
    /// HMACs.
    key_cache: std::sync::Mutex<Option<CachedKey>>,
}

/// A day's signing key, with the date (`YYYYMMDD`) and signing name it is
/// for (the region and secret are the signer's own).
struct CachedKey {
    date: [u8; 8],
    signing_name: String,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SigV4Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigV4Signer")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Clone for SigV4Signer {
    fn clone(&self) -> Self {
        SigV4Signer::new(self.credentials.clone(), self.region.clone()).with_settings(self.settings)
    }
}

impl SigV4Signer {
    /// Signs with `credentials` for `region`.
    pub fn new(credentials: Credentials, region: impl Into<String>) -> SigV4Signer {
        SigV4Signer {
            credentials,
            region: region.into(),
            settings: SigningSettings::default(),
            key_cache: std::sync::Mutex::new(None),
        }
    }

    /// Uses these signing settings.
    #[must_use]
    pub fn with_settings(mut self, settings: SigningSettings) -> SigV4Signer {
        self.settings = settings;
        self
    }

    /// The credentials signed with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
}

impl crate::call::SignRequest for SigV4Signer {
    fn sign(
        &self,
        request: &mut Request<Vec<u8>>,
        signing_name: &'static str,
        time: SystemTime,
    ) -> Result<(), crate::Error> {
        let params = SigningParams::new(&self.credentials, &self.region, signing_name, time)
            .with_settings(self.settings);
        let key_for = |date: &str| {
            let mut cache = self
                .key_cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match &*cache {
                Some(cached)
                    if cached.date.as_slice() == date.as_bytes()
                        && cached.signing_name == signing_name =>
                {
                    *cached.key
                }
                _ => {
                    let key = signing_key(
                        &self.credentials.secret_access_key,
                        date,
                        &self.region,
                        signing_name,
                    );
                    // `date` is the 8-digit scope date of `amz_date`.
                    if let Ok(day) = <[u8; 8]>::try_from(date.as_bytes()) {
                        *cache = Some(CachedKey {
                            date: day,
                            signing_name: signing_name.to_owned(),
                            key: Zeroizing::new(key),
                        });
                    }
                    key
                }
            }
        };
        sign_with(request, &params, key_for).map_err(|cause| crate::Error::Signing {
            operation: crate::step::operation_name(request),
            cause,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn hmac_matches_the_hmac_crate_for_every_key_length() {
        for len in 0..200usize {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut reference = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            reference.update(b"message");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac_sha256(&key, b"message"), expected, "key length {len}");
        }
    }

    #[test]
    fn rfc4231_case_6_long_key() {
        let key = [0xaau8; 131];
        assert_eq!(
            lower_hex(&hmac_sha256(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn spec_worked_example_key_derivation() {
        let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let k_date = hmac_sha256(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
        assert_eq!(
            lower_hex(&k_date),
            "0138c7a6cbd60aa727b2f653a522567439dfb9f3e72b21f9b25941a42f04a7cd"
        );
        assert_eq!(
            lower_hex(&signing_key(&secret, "20150830", "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
        );
    }

    #[test]
    fn amz_date_bounds() {
        assert_eq!(amz_date(at(0)).unwrap(), "19700101T000000Z");
        assert_eq!(
            amz_date(UNIX_EPOCH - Duration::from_secs(1)),
            Err(SigningError::TimeOutOfRange)
        );
        assert_eq!(amz_date(at(253_402_300_799)).unwrap(), "99991231T235959Z");
        assert_eq!(
            amz_date(at(253_402_300_800)),
            Err(SigningError::TimeOutOfRange)
        );
    }

    #[test]
    fn normalisation() {
        let s = SigningSettings::default();
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//example//", "/example/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/.", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/../..", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/a%2Fb", "/a%252Fb"),
            ("*", "/%2A"),
        ] {
            assert_eq!(canonical_uri(path, &s), expected, "{path:?}");
        }
        let raw = s.with_normalize_path(false);
        assert_eq!(canonical_uri("//example//", &raw), "//example//");
        assert_eq!(canonical_uri("/example/..", &raw), "/example/..");
        assert_eq!(canonical_uri("", &raw), "/");
    }

    #[test]
    fn query_rules() {
        assert_eq!(canonical_query("a=b=c"), "a=b%3Dc");
        assert_eq!(canonical_query("a+b=c%2"), "a%20b=c%252");
        assert_eq!(canonical_query("&&"), "");
        assert_eq!(canonical_query("B=1&a=1&A=2"), "A=2&B=1&a=1");
        assert_eq!(canonical_query("x=%2f%7e"), "x=%2F~");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = String::new();
        push_trimmed_collapsed(" \t a   b\t\tc  \"x  y\" ", &mut out);
        assert_eq!(out, "a b c \"x y\"");
    }

    #[test]
    fn host_from_uri_omits_default_ports() {
        let host = |uri: &str| host_header(&uri.parse().unwrap());
        assert_eq!(host("https://a.example/").unwrap(), "a.example");
        assert_eq!(host("https://a.example:443/").unwrap(), "a.example");
        assert_eq!(host("https://a.example:8443/").unwrap(), "a.example:8443");
        assert_eq!(host("http://a.example:80/").unwrap(), "a.example");
        assert_eq!(host("http://a.example:443/").unwrap(), "a.example:443");
        assert_eq!(host("http://[::1]:9000/").unwrap(), "[::1]:9000");
        assert_eq!(host("/relative"), Err(SigningError::MissingHost));
    }

    fn example_credentials() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    #[test]
    fn sign_adds_token_and_optional_content_hash_and_replaces_the_date() {
        let credentials = example_credentials().with_session_token("tok/en+=");
        let mut request = Request::builder()
            .method("POST")
            .uri("https://sts.eu-west-1.amazonaws.com/")
            .header("x-amz-date", "19990101T000000Z")
            .header("user-agent", "ua")
            .body(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())
            .unwrap();
        let params = SigningParams::new(&credentials, "eu-west-1", "sts", at(1_440_938_160))
            .with_settings(SigningSettings::default().with_content_sha256_header(true));
        sign(&mut request, &params).unwrap();
        let headers = request.headers();
        assert_eq!(headers["x-amz-date"], "20150830T123600Z");
        assert_eq!(headers.get_all("x-amz-date").iter().count(), 1);
        assert_eq!(headers["x-amz-security-token"], "tok/en+=");
        assert!(headers["x-amz-security-token"].is_sensitive());
        assert_eq!(
            headers["x-amz-content-sha256"],
            payload_hash(request.body()).as_str()
        );
        let authorization = headers["authorization"].to_str().unwrap();
        assert!(headers["authorization"].is_sensitive());
        assert!(authorization
            .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
        // Signing again gives the same result.
        let first = authorization.to_owned();
        sign(&mut request, &params).unwrap();
        assert_eq!(request.headers()["authorization"], first.as_str());
    }

    #[test]
    fn errors_leave_the_request_unchanged() {
        let credentials = example_credentials();
        let mut request = Request::builder().uri("/no-host").body(Vec::new()).unwrap();
        let time = at(1_440_938_160);
        assert_eq!(
            sign(
                &mut request,
                &SigningParams::new(&credentials, "us-east-1", "s", time)
            ),
            Err(SigningError::MissingHost)
        );
        assert!(request.headers().is_empty());
        assert_eq!(
            sign(
                &mut request,
                &SigningParams::new(&credentials, "us/east", "s", time)
            ),
            Err(SigningError::InvalidRegion("us/east".into()))
        );
        assert_eq!(
            sign(
                &mut request,
                &SigningParams::new(&credentials, "r", "", time)
            ),
            Err(SigningError::InvalidSigningName(String::new()))
        );
        let bad_key = Credentials::new("AKID/X", "s");
        assert_eq!(
            sign(&mut request, &SigningParams::new(&bad_key, "r", "s", time)),
            Err(SigningError::InvalidAccessKeyId)
        );
        let bad_token = example_credentials().with_session_token("a\nb");
        request
            .headers_mut()
            .insert(HOST, HeaderValue::from_static("h"));
        assert_eq!(
            sign(
                &mut request,
                &SigningParams::new(&bad_token, "r", "s", time)
            ),
            Err(SigningError::InvalidSessionToken)
        );
        request
            .headers_mut()
            .insert("x-bin", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(
            sign(
                &mut request,
                &SigningParams::new(&credentials, "r", "s", time)
            ),
            Err(SigningError::InvalidHeaderValue {
                name: "x-bin".into()
            })
        );
        assert_eq!(request.headers().len(), 2);
    }

    /// What `sign` signs is exactly what `canonical_request` says of the
    /// signed request, whichever headers were added, replaced or kept.
    #[test]
    fn the_signature_is_that_of_the_public_canonical_request() {
        let time = at(1_440_938_160);
        for (token, content_sha256, host) in [
            (true, false, false),
            (false, true, true),
            (true, true, true),
            (false, false, false),
        ] {
            let mut credentials = example_credentials();
            if token {
                credentials = credentials.with_session_token("to ken/+=");
            }
            let mut builder = Request::builder()
                .method("POST")
                .uri("https://sts.amazonaws.com/a/../b?z=1&a=2")
                .header("x-amz-date", "19990101T000000Z")
                .header("x-amz-security-token", "kept unless replaced")
                .header("x-amz-content-sha256", "kept too")
                .header("x-multi", " a  b ")
                .header("x-multi", "c")
                .header("user-agent", "not signed");
            if host {
                builder = builder.header("host", "other.example");
            }
            let mut request = builder.body(b"Action=X".to_vec()).unwrap();
            let settings = SigningSettings::default().with_content_sha256_header(content_sha256);
            let params =
                SigningParams::new(&credentials, "us-east-1", "sts", time).with_settings(settings);
            sign(&mut request, &params).unwrap();
            let creq = canonical_request(&request, &settings).unwrap();
            assert!(creq.contains("x-multi:a b,c\n"), "{creq}");
            assert!(!creq.contains("user-agent"), "{creq}");
            let sts = string_to_sign(&creq, time, "us-east-1", "sts").unwrap();
            let key = signing_key(
                &credentials.secret_access_key,
                "20150830",
                "us-east-1",
                "sts",
            );
            let authorization = request.headers()["authorization"].to_str().unwrap();
            assert!(
                authorization.ends_with(&format!("Signature={}", signature(&key, &sts))),
                "{authorization}\n{creq}"
            );
            let signed = creq.lines().nth_back(1).unwrap();
            assert!(authorization.contains(&format!("SignedHeaders={signed},")));
            assert_eq!(
                request.headers()["x-amz-security-token"],
                if token {
                    "to ken/+="
                } else {
                    "kept unless replaced"
                }
            );
        }
    }

    #[test]
    fn unsigned_headers_is_sorted_lower_case() {
        let mut sorted = UNSIGNED_HEADERS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, UNSIGNED_HEADERS);
        assert!(UNSIGNED_HEADERS
            .iter()
            .all(|h| h.bytes().all(|b| !b.is_ascii_uppercase())));
    }
}
