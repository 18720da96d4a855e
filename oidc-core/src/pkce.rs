//! Authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252) as
//! the AWS CLI v2 performs it against SSO OIDC.
//!
//! This module is sans-IO: the caller supplies random bytes (from a CSPRNG)
//! and the request target its loopback listener received; this module
//! produces the [`CodeVerifier`], [`CodeChallenge`], [`State`], the authorize
//! URL ([`AuthorizeRequest::to_url`]) and validates the redirect
//! ([`parse_redirect`]). Binding the listener, opening the browser and calling
//! `CreateToken` belong to the I/O shell.
//!
//! ```rust
//! use oidc_core::pkce::{self, AuthorizeRequest, State};
//! use oidc_core::secret::CodeVerifier;
//!
//! // In a real client these bytes come from a CSPRNG.
//! let verifier = CodeVerifier::from_random_bytes(&[7u8; 32]);
//! let state = State::from_random_bytes(&[9u8; 16]);
//! let request = AuthorizeRequest {
//!     client_id: "my-client-id".to_owned(),
//!     redirect_uri: pkce::loopback_redirect_uri(53127),
//!     state: state.clone(),
//!     code_challenge: pkce::code_challenge(&verifier),
//!     scopes: Vec::new(), // default: sso:account:access
//! };
//! let url = request.to_url("https://oidc.us-east-1.amazonaws.com");
//! assert!(url.starts_with("https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&"));
//!
//! // Later, the listener receives the browser's redirect:
//! let target = format!("/oauth/callback?code=abc&state={}", state.as_str());
//! let code = pkce::parse_redirect(&target, &state).expect("valid redirect");
//! assert_eq!(code.secret(), "abc");
//! ```

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::secret::{AuthorizationCode, CodeVerifier};

/// Path of the loopback redirect endpoint.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Redirect URI registered with `RegisterClient` (no port: the service matches
/// loopback redirects port-agnostically, RFC 8252 §7.3).
pub const REGISTRATION_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// Scope used when no scopes are configured.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// The only supported `code_challenge_method`.
pub const CODE_CHALLENGE_METHOD: &str = "S256";

/// Returns the redirect URI for a loopback listener bound to `port`:
/// `http://127.0.0.1:{port}/oauth/callback`.
///
/// Use it both in the authorize URL and in the `CreateToken` request.
///
/// ```rust
/// assert_eq!(
///     oidc_core::pkce::loopback_redirect_uri(53127),
///     "http://127.0.0.1:53127/oauth/callback"
/// );
/// ```
pub fn loopback_redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

impl CodeVerifier {
    /// Builds a code verifier from 32 random bytes: their base64url encoding
    /// without padding (43 characters from `A–Z a–z 0–9 - _`), as recommended
    /// by RFC 7636 §4.1.
    ///
    /// The bytes must come from a cryptographically secure RNG; this crate
    /// performs no I/O and therefore takes them as an argument.
    ///
    /// ```rust
    /// use oidc_core::secret::CodeVerifier;
    ///
    /// let verifier = CodeVerifier::from_random_bytes(&[0u8; 32]);
    /// assert_eq!(verifier.secret().len(), 43);
    /// ```
    pub fn from_random_bytes(bytes: &[u8; 32]) -> CodeVerifier {
        CodeVerifier::new(URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// An S256 PKCE code challenge: `BASE64URL(SHA-256(verifier))` without
/// padding (43 characters).
///
/// The challenge is sent in the clear in the authorize URL and is not a
/// secret, so `Debug` shows it. It can only be built with
/// [`code_challenge`], which guarantees it contains only URL-safe characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge text (43 characters from `A–Z a–z 0–9 - _`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `code_challenge_method`: always `"S256"`.
    pub fn method(&self) -> &'static str {
        CODE_CHALLENGE_METHOD
    }
}

impl AsRef<str> for CodeChallenge {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Computes the S256 code challenge of `verifier` (RFC 7636 §4.2).
///
/// ```rust
/// use oidc_core::secret::CodeVerifier;
///
/// // RFC 7636 Appendix B.
/// let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// let challenge = oidc_core::pkce::code_challenge(&verifier);
/// assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(challenge.method(), "S256");
/// ```
pub fn code_challenge(verifier: &CodeVerifier) -> CodeChallenge {
    let digest = Sha256::digest(verifier.secret().as_bytes());
    CodeChallenge(URL_SAFE_NO_PAD.encode(digest))
}

/// The OAuth `state` parameter: a random UUID v4 in canonical lowercase
/// hyphenated form, as the AWS CLI generates it.
///
/// # Debug output
///
/// The state is a CSRF nonce rather than a credential (it is visible in the
/// authorize URL shown to the user), but while a login is pending, knowing it
/// is what lets a forged redirect pass the check. `Debug` therefore prints
/// `State([redacted])`, like the secret types; use [`as_str`](Self::as_str)
/// when the value is really needed. Comparison is only offered in constant
/// time through [`matches`](Self::matches); there is no `PartialEq`.
#[derive(Clone)]
pub struct State(String);

impl State {
    /// Renders 16 random bytes as a UUID v4: sets the version nibble to 4 and
    /// the RFC 4122 variant bits to `10`, then formats
    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` in lowercase.
    ///
    /// The bytes must come from a cryptographically secure RNG.
    ///
    /// ```rust
    /// use oidc_core::pkce::State;
    ///
    /// let bytes = [
    ///     0x3f, 0x2c, 0x8a, 0x9e, 0x6b, 0x1d, 0x4c, 0x2e,
    ///     0x9a, 0x7f, 0x0d, 0x4b, 0x5e, 0x6f, 0x7a, 0x8b,
    /// ];
    /// let state = State::from_random_bytes(&bytes);
    /// assert_eq!(state.as_str(), "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b");
    /// assert!(state.matches("3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b"));
    /// ```
    pub fn from_random_bytes(bytes: &[u8; 16]) -> State {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut uuid = *bytes;
        uuid[6] = (uuid[6] & 0x0f) | 0x40;
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
        let mut out = String::with_capacity(36);
        for (i, byte) in uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        State(out)
    }

    /// The state text (36 characters).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `received` equals this state exactly.
    ///
    /// The comparison runs in time that depends only on the length of this
    /// (expected) state, never on where the contents differ; a length
    /// mismatch is folded into the same constant-time result instead of
    /// returning early.
    pub fn matches(&self, received: &str) -> bool {
        let expected = self.0.as_bytes();
        let received = received.as_bytes();
        let same_len = (expected.len() as u64).ct_eq(&(received.len() as u64));
        let mut same_bytes = subtle::Choice::from(1u8);
        for (i, &e) in expected.iter().enumerate() {
            // Past the end of `received` compare against a byte that can
            // never make the overall result true (length already differs).
            let r = received.get(i).copied().unwrap_or(!e);
            same_bytes &= e.ct_eq(&r);
        }
        bool::from(same_len & same_bytes)
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("State([redacted])")
    }
}

/// The parameters of the authorize URL.
///
/// Build it with struct-literal syntax and render it with
/// [`to_url`](Self::to_url); see the [module documentation](self) for an
/// example.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    /// The registration's `clientId`.
    pub client_id: String,
    /// The redirect URI including the listener's port, normally from
    /// [`loopback_redirect_uri`].
    pub redirect_uri: String,
    /// The state generated for this login.
    pub state: State,
    /// The challenge of this login's verifier.
    pub code_challenge: CodeChallenge,
    /// The registration scopes; when empty, [`DEFAULT_SCOPE`] is sent.
    pub scopes: Vec<String>,
}

impl AuthorizeRequest {
    /// Renders `{base}/authorize?{query}` exactly as the AWS CLI does.
    ///
    /// `base` is the SSO OIDC endpoint for the region, e.g.
    /// `https://oidc.us-east-1.amazonaws.com`; one trailing `/` is removed.
    /// The parameters are, in order, `response_type=code`, `client_id`,
    /// `redirect_uri`, `state`, `code_challenge_method=S256`, `scopes` (joined
    /// with a single space) and `code_challenge`. Every byte of the values
    /// except `A–Z a–z 0–9 - _ . ~` is percent-encoded (space → `%20`).
    ///
    /// ```rust
    /// use oidc_core::pkce::{self, AuthorizeRequest, State};
    /// use oidc_core::secret::CodeVerifier;
    ///
    /// let state = State::from_random_bytes(&[
    ///     0x3f, 0x2c, 0x8a, 0x9e, 0x6b, 0x1d, 0x4c, 0x2e,
    ///     0x9a, 0x7f, 0x0d, 0x4b, 0x5e, 0x6f, 0x7a, 0x8b,
    /// ]);
    /// let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    /// let request = AuthorizeRequest {
    ///     client_id: "_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID".to_owned(),
    ///     redirect_uri: pkce::loopback_redirect_uri(53127),
    ///     state,
    ///     code_challenge: pkce::code_challenge(&verifier),
    ///     scopes: vec!["sso:account:access".to_owned(), "sso:other".to_owned()],
    /// };
    /// assert_eq!(
    ///     request.to_url("https://oidc.us-east-1.amazonaws.com/"),
    ///     "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code\
    ///      &client_id=_yzkThXVzLWVhc3QtMUEXAMPLECLIENTID\
    ///      &redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback\
    ///      &state=3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b\
    ///      &code_challenge_method=S256\
    ///      &scopes=sso%3Aaccount%3Aaccess%20sso%3Aother\
    ///      &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    /// );
    /// ```
    pub fn to_url(&self, base: &str) -> String {
        let base = base.strip_suffix('/').unwrap_or(base);
        let scopes = if self.scopes.is_empty() {
            DEFAULT_SCOPE.to_owned()
        } else {
            self.scopes.join(" ")
        };
        let mut url = String::with_capacity(base.len() + 256);
        url.push_str(base);
        url.push_str("/authorize?response_type=code&client_id=");
        percent_encode_into(&mut url, &self.client_id);
        url.push_str("&redirect_uri=");
        percent_encode_into(&mut url, &self.redirect_uri);
        url.push_str("&state=");
        percent_encode_into(&mut url, self.state.as_str());
        url.push_str("&code_challenge_method=");
        url.push_str(CODE_CHALLENGE_METHOD);
        url.push_str("&scopes=");
        percent_encode_into(&mut url, &scopes);
        url.push_str("&code_challenge=");
        // Only URL-safe characters by construction (see `CodeChallenge`).
        url.push_str(self.code_challenge.as_str());
        url
    }
}

/// Percent-encodes every byte of `value` except the RFC 3986 unreserved set.
fn percent_encode_into(out: &mut String, value: &str) {
    crate::percent::encode_into(out, value.as_bytes());
}

/// Why a request to the loopback listener did not yield an authorization
/// code.
///
/// Messages never contain the code or either state value. The
/// [`Authorization`](Self::Authorization) message quotes the server's
/// `error`/`error_description` with control characters escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The request path is not `/oauth/callback` (for example the browser
    /// asking for `/favicon.ico`); ignore the request and keep waiting.
    #[error("request path is not /oauth/callback")]
    WrongPath,
    /// The authorization server redirected with an `error` parameter: the
    /// login failed or was refused.
    #[error("authorization failed: the server returned error {error:?}{}", describe(.error_description))]
    Authorization {
        /// The `error` parameter (e.g. `access_denied`).
        error: String,
        /// The `error_description` parameter, when present and non-empty.
        error_description: Option<String>,
    },
    /// No (non-empty) `code` parameter and no `error` parameter.
    #[error("redirect has no authorization code")]
    MissingCode,
    /// A `code` but no (non-empty) `state` parameter.
    #[error("redirect has no state parameter")]
    MissingState,
    /// The returned `state` differs from the one generated for this login
    /// (possible CSRF); do not call `CreateToken`.
    #[error("state parameter does not match the expected value")]
    StateMismatch,
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) => format!(" ({d:?})"),
        None => String::new(),
    }
}

impl RedirectError {
    /// Whether the listener ignores such a request and keeps waiting for the
    /// real redirect: true for every request without the right state
    /// ([`WrongPath`](Self::WrongPath), [`MissingCode`](Self::MissingCode),
    /// [`MissingState`](Self::MissingState),
    /// [`StateMismatch`](Self::StateMismatch)). Only an
    /// [`Authorization`](Self::Authorization) error carrying the right state
    /// ends the sign-in.
    pub fn is_ignorable(&self) -> bool {
        !matches!(self, RedirectError::Authorization { .. })
    }
}

/// Validates the request target the loopback listener received and extracts
/// the authorization code.
///
/// `path_and_query` is the HTTP request target, e.g.
/// `/oauth/callback?code=...&state=...` (an absolute-form target
/// `http://127.0.0.1:port/oauth/callback?...` is accepted too). Rules:
///
/// 1. The path must be exactly `/oauth/callback`, else
///    [`RedirectError::WrongPath`].
/// 2. The query is split on `&`; names and values are percent-decoded
///    (`+` means space; invalid `%` escapes are kept literally; invalid UTF-8
///    becomes U+FFFD). Like Python's `parse_qs` used by the CLI, parameters
///    with an empty value are treated as absent; of the rest, the first
///    value of each name is used.
/// 3. No `state` → [`RedirectError::MissingState`] (or
///    [`RedirectError::MissingCode`] when there is no `code` or `error`
///    either); `state` compared with `expected` in constant time → on
///    mismatch [`RedirectError::StateMismatch`]. The state is checked before
///    anything else counts, so a request without the right state cannot
///    end the sign-in.
/// 4. `error` present → [`RedirectError::Authorization`] (even if a code is
///    present).
/// 5. No `code` → [`RedirectError::MissingCode`].
///
/// ```rust
/// use oidc_core::pkce::{parse_redirect, RedirectError, State};
///
/// let state = State::from_random_bytes(&[1u8; 16]);
/// let ok = format!("/oauth/callback?code=a%2Fb&state={}", state.as_str());
/// assert_eq!(parse_redirect(&ok, &state).unwrap().secret(), "a/b");
///
/// assert_eq!(parse_redirect("/favicon.ico", &state).unwrap_err(), RedirectError::WrongPath);
/// let forged = "/oauth/callback?code=x&state=00000000-0000-4000-8000-000000000000";
/// assert_eq!(parse_redirect(forged, &state).unwrap_err(), RedirectError::StateMismatch);
/// ```
pub fn parse_redirect(
    path_and_query: &str,
    expected: &State,
) -> Result<AuthorizationCode, RedirectError> {
    let target = strip_absolute_form(path_and_query);
    // Request targets carry no fragment, but be tolerant.
    let target = target.split('#').next().unwrap_or_default();
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    };
    if path != CALLBACK_PATH {
        return Err(RedirectError::WrongPath);
    }

    let mut code: Option<String> = None;
    let mut state: Option<String> = None;
    let mut error: Option<String> = None;
    let mut error_description: Option<String> = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(name).as_str() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut error_description,
            _ => continue,
        };
        if slot.is_none() {
            let value = percent_decode(value);
            if !value.is_empty() {
                *slot = Some(value);
            }
        }
    }

    // The state is checked first: without the right state nothing in the
    // request counts, not even an error (anyone who can reach the port
    // could otherwise end the sign-in).
    let Some(state) = state else {
        return Err(if code.is_some() || error.is_some() {
            RedirectError::MissingState
        } else {
            RedirectError::MissingCode
        });
    };
    if !expected.matches(&state) {
        return Err(RedirectError::StateMismatch);
    }
    if let Some(error) = error {
        return Err(RedirectError::Authorization {
            error,
            error_description,
        });
    }
    let code = AuthorizationCode::new(code.ok_or(RedirectError::MissingCode)?);
    Ok(code)
}

/// What the loopback listener answers to one request, and whether the
/// sign-in goes on: the whole decision, for every transport.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoopbackReply {
    /// The HTTP status to answer with.
    pub status: u16,
    /// A small HTML page to send (`text/html; charset=utf-8`, `no-store`,
    /// `Connection: close`).
    pub page: &'static str,
    /// What the request means for the sign-in.
    pub outcome: LoopbackOutcome,
}

/// What a request to the loopback listener means for the sign-in.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoopbackOutcome {
    /// Not the redirect (another path, no or wrong state): keep waiting.
    KeepWaiting(Option<RedirectError>),
    /// The redirect with the authorization code: stop listening and redeem it.
    Code(AuthorizationCode),
    /// The redirect says the authorization failed (with the right state):
    /// stop listening; the sign-in failed.
    Failed(RedirectError),
}

const SUCCESS_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body><h1>Signed in</h1><p>You can close this window and return to the application.</p></body></html>";
const FAILURE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
<body><h1>Sign-in failed</h1><p>The authorization was not completed. Close this window and check the application for details.</p></body></html>";
const NOT_FOUND_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Not found</title></head>\
<body><p>Not found.</p></body></html>";
const WAITING_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Waiting</title></head>\
<body><p>This is not the sign-in redirect. Still waiting for it.</p></body></html>";

/// Decides the loopback listener's answer to one request: `method` and
/// request `target` as received, `expected` the state of this sign-in.
///
/// | request | status | outcome |
/// |---|---|---|
/// | not `GET` | 405 | keep waiting |
/// | another path (`/favicon.ico`) | 404 | keep waiting |
/// | no state, wrong state, or neither code nor error | 400 | keep waiting |
/// | right state and `error` | 400 | failed |
/// | right state and `code` | 200 | code |
///
/// ```
/// use oidc_core::pkce::{answer_loopback, LoopbackOutcome, State};
///
/// let state = State::from_random_bytes(&[3u8; 16]);
/// let forged = answer_loopback("GET", "/oauth/callback?error=access_denied", &state);
/// assert!(matches!(forged.outcome, LoopbackOutcome::KeepWaiting(_)));
/// let real = format!("/oauth/callback?code=c&state={}", state.as_str());
/// let reply = answer_loopback("GET", &real, &state);
/// assert_eq!(reply.status, 200);
/// assert!(matches!(reply.outcome, LoopbackOutcome::Code(_)));
/// ```
pub fn answer_loopback(method: &str, target: &str, expected: &State) -> LoopbackReply {
    if method != "GET" {
        return LoopbackReply {
            status: 405,
            page: NOT_FOUND_PAGE,
            outcome: LoopbackOutcome::KeepWaiting(None),
        };
    }
    match parse_redirect(target, expected) {
        Ok(code) => LoopbackReply {
            status: 200,
            page: SUCCESS_PAGE,
            outcome: LoopbackOutcome::Code(code),
        },
        Err(RedirectError::WrongPath) => LoopbackReply {
            status: 404,
            page: NOT_FOUND_PAGE,
            outcome: LoopbackOutcome::KeepWaiting(Some(RedirectError::WrongPath)),
        },
        Err(e) if e.is_ignorable() => LoopbackReply {
            status: 400,
            page: WAITING_PAGE,
            outcome: LoopbackOutcome::KeepWaiting(Some(e)),
        },
        Err(e) => LoopbackReply {
            status: 400,
            page: FAILURE_PAGE,
            outcome: LoopbackOutcome::Failed(e),
        },
    }
}

/// Turns `http://host:port/path?query` into `/path?query`; other targets are
/// returned unchanged.
fn strip_absolute_form(target: &str) -> &str {
    let scheme = "http://";
    match target.get(..scheme.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(scheme) => {
            let rest = &target[scheme.len()..];
            match rest.find(['/', '?']) {
                Some(i) if rest[i..].starts_with('/') => &rest[i..],
                // `http://host?query` or `http://host`: the path is empty.
                _ => "",
            }
        }
        _ => target,
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn percent_decode(input: &str) -> String {
    String::from_utf8_lossy(&crate::percent::decode(input.as_bytes(), true)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_cases() {
        assert_eq!(percent_decode("a+b%20c"), "a b c");
        assert_eq!(percent_decode("%3a%3A"), "::");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(percent_decode(""), "");
    }

    #[test]
    fn percent_encode_cases() {
        let mut s = String::new();
        percent_encode_into(&mut s, "aZ09-_.~ :/+é");
        assert_eq!(s, "aZ09-_.~%20%3A%2F%2B%C3%A9");
    }

    #[test]
    fn absolute_form() {
        assert_eq!(
            strip_absolute_form("http://127.0.0.1:1/oauth/callback?x"),
            "/oauth/callback?x"
        );
        assert_eq!(strip_absolute_form("HTTP://h/p"), "/p");
        assert_eq!(strip_absolute_form("http://h?x=/y"), "");
        assert_eq!(strip_absolute_form("http://h"), "");
        assert_eq!(strip_absolute_form("/oauth/callback"), "/oauth/callback");
        assert_eq!(strip_absolute_form("ht"), "ht");
    }

    #[test]
    fn state_matches_lengths() {
        let state = State::from_random_bytes(&[0xab; 16]);
        let s = state.as_str().to_owned();
        assert!(state.matches(&s));
        assert!(!state.matches(&s[..35]));
        assert!(!state.matches(&format!("{s}0")));
        assert!(!state.matches(""));
        assert!(!state.matches(&s.to_uppercase()));
    }
}
