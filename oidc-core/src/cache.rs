//! The AWS CLI v2 / botocore / aws-sdk-rust SSO cache formats, as bytes.
//!
//! This module models the files in `~/.aws/sso/cache/` without touching the
//! file system:
//!
//! * [`CachedToken`]: the SSO token cache entry, read leniently
//!   ([`CachedToken::from_json`]) and written byte-for-byte like the AWS CLI
//!   ([`CachedToken::to_json`]); its file name is
//!   [`token_cache_file_name`].
//! * [`CachedRegistration`]: the CLI's client-registration cache entry; its
//!   file name is [`registration_cache_file_name`].
//! * [`refresh_decision`]: the pure decision whether a cached token is fresh,
//!   must be refreshed, or needs an interactive login.
//!
//! All time-dependent functions take `now` as an argument; nothing here reads
//! a clock.
//!
//! ```rust
//! use std::time::{Duration, SystemTime};
//! use oidc_core::cache::{self, CachedToken, RefreshDecision, RefreshPolicy};
//!
//! let name = cache::token_cache_file_name("my-sso");
//! assert_eq!(name, "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
//!
//! let token = CachedToken::from_json(br#"{"accessToken": "x", "expiresAt": "2024-01-01T08:00:00Z"}"#)?;
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_096_000); // 2024-01-01T08:00:00Z
//! assert!(token.is_expired(now));
//! assert_eq!(
//!     cache::refresh_decision(&token, now, None, &RefreshPolicy::default()),
//!     RefreshDecision::Expired
//! );
//! # Ok::<(), oidc_core::cache::CacheFormatError>(())
//! ```

pub mod assume_role;
pub mod credentials;
mod json;
mod refresh;
mod registration;
mod timestamp;
mod token;

pub use refresh::{refresh_decision, RefreshDecision, RefreshPolicy};
pub use registration::{
    registration_cache_file_name, CachedRegistration, RegistrationUse, REGISTRATION_REUSE_WINDOW,
};
pub use token::{token_cache_file_name, CachedToken};

/// Why a cache file's bytes could not be read.
///
/// Messages name the offending key and the reason; they never contain a
/// value from the file (which may be a secret) nor the raw file body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheFormatError {
    /// The bytes are not a single well-formed JSON value (syntax error,
    /// truncated file, invalid UTF-8, trailing data).
    #[error("cache file is not valid JSON (error at line {line}, column {column})")]
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON value is not an object.
    #[error("cache file is not a JSON object")]
    NotAnObject,
    /// A required key is absent.
    #[error("cache file is missing the required key `{key}`")]
    MissingKey {
        /// The key, spelled as the AWS CLI writes it.
        key: &'static str,
    },
    /// A required key's value is not a JSON string.
    #[error("cache file key `{key}` is not a string")]
    NotAString {
        /// The key, spelled as the AWS CLI writes it.
        key: &'static str,
    },
    /// A timestamp key's value is not a timestamp this crate understands
    /// (RFC 3339 with `Z` or a numeric offset, or the CLI v1 `...UTC` form),
    /// or lies outside the range the platform can represent.
    #[error("cache file key `{key}` is not a valid RFC 3339 timestamp")]
    InvalidTimestamp {
        /// The key, spelled as the AWS CLI writes it.
        key: &'static str,
    },
    /// A key's value is outside what the service issues (e.g. an access
    /// key id with a character other than `A-Z a-z 0-9 _`, an expiry after
    /// 9999-12-31T23:59:59Z).
    #[error("cache file key `{key}` is out of range: {detail}")]
    InvalidValue {
        /// The key, spelled as the AWS CLI writes it.
        key: &'static str,
        /// What was expected (never the value).
        detail: &'static str,
    },
}

/// `t` as `%Y-%m-%dT%H:%M:%SZ` in UTC (sub-seconds dropped, clamped to
/// years 0000–9999): the form the cache files and the credential servers
/// write.
pub(crate) fn format_timestamp(t: std::time::SystemTime) -> String {
    timestamp::format(t)
}

/// Lowercase hex SHA-1 of `input` followed by `.json`.
fn sha1_file_name(input: &[u8]) -> String {
    use sha1::{Digest as _, Sha1};
    use std::fmt::Write as _;
    let digest = Sha1::digest(input);
    let mut name = String::with_capacity(45);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(name, "{byte:02x}");
    }
    name.push_str(".json");
    name
}
