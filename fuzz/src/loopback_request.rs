//! Fuzz target `loopback_request`: the loopback listener's request parser,
//! then `pkce::answer_loopback`.

use oidc_core::pkce::{answer_loopback, LoopbackOutcome, State};
use oidc_host::adapter::loopback::{parse_head, reply_bytes, Head, MAX_REQUEST_HEAD};

/// Raw bytes received by the PKCE loopback listener:
/// `oidc_host::adapter::loopback::parse_head`, then
/// `oidc_core::pkce::answer_loopback` with the state
/// [`crate::expected_state`].
///
/// Invariants: `Partial` only below `MAX_REQUEST_HEAD` bytes; a complete
/// head's method and target are taken from the bytes; the sign-in ends
/// (`Code` or `Failed`) only for a `GET` whose percent-decoded target
/// holds the expected state, and then the same request with another state
/// keeps waiting; `Code` answers 200 with a non-empty code, `Failed` 400,
/// waiting 400, 404 or 405; the reply bytes are a well-framed HTTP/1.1
/// response that never shows the code.
pub fn loopback_request(data: &[u8]) {
    let state = crate::expected_state();
    match parse_head(data) {
        Head::Partial => assert!(data.len() < MAX_REQUEST_HEAD, "partial over the limit"),
        Head::Complete { method, target } => {
            assert!(
                crate::contains(data, method.as_bytes()),
                "method not from the bytes"
            );
            assert!(
                crate::contains(data, target.as_bytes()),
                "target not from the bytes"
            );
            let reply = answer_loopback(&method, &target, &state);
            let decoded = form_decode_lossy(&target);
            let ends = matches!(
                reply.outcome,
                LoopbackOutcome::Code(_) | LoopbackOutcome::Failed(_)
            );
            if ends {
                assert_eq!(method, "GET", "a {method} request ended the sign-in");
                assert!(
                    decoded.contains(state.as_str()),
                    "the sign-in ended without the state: {target:?}"
                );
                let other = State::from_random_bytes(&[0x24; 16]);
                if !decoded.contains(other.as_str()) {
                    let reply = answer_loopback(&method, &target, &other);
                    assert!(
                        matches!(reply.outcome, LoopbackOutcome::KeepWaiting(_)),
                        "ended for two states"
                    );
                }
            }
            let mut hidden = None;
            match &reply.outcome {
                LoopbackOutcome::Code(code) => {
                    assert_eq!(reply.status, 200);
                    assert!(!code.secret().is_empty(), "empty code");
                    hidden = Some(code.secret().to_owned());
                }
                LoopbackOutcome::Failed(e) => {
                    assert_eq!(reply.status, 400);
                    assert!(!e.is_ignorable(), "an ignorable error ended the sign-in");
                    let _ = e.to_string();
                }
                LoopbackOutcome::KeepWaiting(e) => {
                    assert!(
                        matches!(reply.status, 400 | 404 | 405),
                        "status {}",
                        reply.status
                    );
                    if let Some(e) = e {
                        assert!(e.is_ignorable(), "waiting after a final error");
                    }
                }
                other => panic!("unknown outcome {other:?}"),
            }
            let bytes = reply_bytes(&reply);
            let text = String::from_utf8(bytes).expect("the reply is UTF-8");
            assert!(text.starts_with(&format!("HTTP/1.1 {} ", reply.status)));
            let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
            assert!(
                head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())),
                "Content-Length does not match the page"
            );
            if let Some(code) = hidden.filter(|c| c.len() >= 8) {
                assert!(!text.contains(&code), "the reply shows the code");
            }
        }
        Head::Invalid => {}
        other => panic!("unknown head {other:?}"),
    }
}

/// `application/x-www-form-urlencoded` decoding, lossy (a reference for
/// the state check: at least as permissive as the library).
fn form_decode_lossy(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|c| char::from(*c).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
