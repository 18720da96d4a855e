//! Fuzz target `pkce_redirect`: `pkce::parse_redirect`.

use oidc_core::pkce::{self, RedirectError, State};

/// The state the `pkce_redirect` target expects
/// (`State::from_random_bytes(&[0x42; 16])`, i.e.
/// `42424242-4242-4242-8242-424242424242` after the version bits).
pub fn expected_state() -> State {
    State::from_random_bytes(&[0x42; 16])
}

/// `pkce::parse_redirect` on the input (lossy UTF-8) as the request target.
/// A returned code re-encoded in a fresh redirect parses to the same code.
pub fn pkce_redirect(data: &[u8]) {
    let target = String::from_utf8_lossy(data);
    let state = expected_state();
    let _ = state.matches(&target);
    match pkce::parse_redirect(&target, &state) {
        Ok(code) => {
            assert!(!code.secret().is_empty(), "empty code accepted");
            let other = State::from_random_bytes(&[0x24; 16]);
            assert_eq!(
                pkce::parse_redirect(&target, &other).map(|c| c.secret().to_owned()),
                Err(RedirectError::StateMismatch),
                "code accepted for two different states"
            );
            let again = format!(
                "{}?code={}&state={}",
                pkce::CALLBACK_PATH,
                form_encode(code.secret()),
                state.as_str()
            );
            let code_again = pkce::parse_redirect(&again, &state).expect("re-encoded redirect");
            assert_eq!(code_again.secret(), code.secret());
        }
        Err(e) => {
            let message = e.to_string();
            let _ = e.is_ignorable();
            if let RedirectError::Authorization { error, .. } = &e {
                assert!(!error.is_empty(), "empty error parameter reported");
            }
            // The message quotes `error` and `error_description`; the state
            // may only show when the server put it in one of those.
            let quoted = match &e {
                RedirectError::Authorization {
                    error,
                    error_description,
                } => format!("{error:?} {error_description:?}"),
                _ => String::new(),
            };
            assert!(
                !message.contains(state.as_str()) || quoted.contains(state.as_str()),
                "the error message shows the state: {message}"
            );
        }
    }
}

/// `application/x-www-form-urlencoded` encoding (the reference the target
/// checks decoding against).
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
