//! Keeping credentials out of error text the service sent.
//!
//! Two layers: every secret the request carried is removed wherever it
//! appears (verbatim or percent-encoded), and any other word that looks
//! like a credential is replaced with `[redacted]` — inside URLs, ARN
//! resources and percent-encoded text too.

/// Words at least this long may be credentials.
const CREDENTIAL_MIN_LEN: usize = 32;
/// Secrets shorter than this are not searched for (they would match
/// ordinary words).
const SECRET_MIN_LEN: usize = 4;
/// What a removed credential is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// [`scrub_credentials`], then [`remove_secrets`].
#[cfg(test)]
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    remove_secrets(scrub_credentials(text), secrets)
}

/// A run of at least this many characters of a secret is redacted
/// wherever it appears (a service that echoes part of a token).
pub(crate) const SECRET_RUN_MIN: usize = 12;

/// Removes every occurrence of each secret in `secrets` (as sent and
/// percent-encoded), and every run of [`SECRET_RUN_MIN`] or more of its
/// characters, from `text` (already [`scrub_credentials`]-ed when it was
/// parsed).
pub(crate) fn remove_secrets(text: String, secrets: &[&str]) -> String {
    let mut out = text;
    for secret in secrets.iter().filter(|s| s.len() >= SECRET_MIN_LEN) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
        let encoded = percent_encode(secret);
        if encoded != *secret && out.contains(encoded.as_str()) {
            out = out.replace(encoded.as_str(), REDACTED);
        }
        if secret.len() >= SECRET_RUN_MIN {
            out = remove_runs(out, secret);
            if encoded != *secret {
                out = remove_runs(out, &encoded);
            }
        }
    }
    out
}

/// Replaces every run of at least [`SECRET_RUN_MIN`] bytes of `text` that
/// also occurs in `secret` with `[redacted]`. Every such run is covered by
/// windows of exactly [`SECRET_RUN_MIN`] bytes that occur in both: the
/// text's windows (error text is short) are indexed by a rolling hash,
/// behind a small bit filter, and the secret's windows are rolled over
/// once against it, so the cost stays linear in the secret (a client
/// secret is a long JWT) with a few operations per byte.
fn remove_runs(text: String, secret: &str) -> String {
    let (t, s) = (text.as_bytes(), secret.as_bytes());
    if t.len() < SECRET_RUN_MIN || s.len() < SECRET_RUN_MIN {
        return text;
    }
    // The text's windows by hash, and a 4096-bit filter of those hashes.
    let mut index: Vec<(u64, usize)> = Vec::with_capacity(t.len() - SECRET_RUN_MIN + 1);
    let mut filter = [0u64; 64];
    for_each_window_hash(t, |at, hash| {
        index.push((hash, at));
        filter[filter_slot(hash)] |= filter_bit(hash);
    });
    index.sort_unstable();
    // Which text windows also occur in the secret.
    let mut found = vec![false; index.len()];
    for_each_window_hash(s, |at, hash| {
        if filter[filter_slot(hash)] & filter_bit(hash) == 0 {
            return;
        }
        let window = &s[at..at + SECRET_RUN_MIN];
        let first = index.partition_point(|&(h, _)| h < hash);
        for &(h, pos) in &index[first..] {
            if h != hash {
                break;
            }
            if &t[pos..pos + SECRET_RUN_MIN] == window {
                found[pos] = true;
            }
        }
    });
    // Byte ranges to redact, merged as they are found (in order).
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (i, _) in found.iter().enumerate().filter(|(_, hit)| **hit) {
        let end = i + SECRET_RUN_MIN;
        match ranges.last_mut() {
            Some(last) if i <= last.1 => last.1 = last.1.max(end),
            _ => ranges.push((i, end)),
        }
    }
    if ranges.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        // Whole characters only: widen to the enclosing boundaries.
        let start = (0..=start)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let end = (end..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        // A range that overlaps the last one (after widening) is already
        // under its marker.
        if start >= at {
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
        }
        at = end.max(at);
    }
    out.push_str(&text[at..]);
    out
}

/// Replaces every credential-like word in service-provided text with
/// `[redacted]`: a run of at least 32 characters from the token alphabet
/// (`A-Z a-z 0-9 - . _ ~ + / = | : %`) holding at least one letter and one
/// digit (after percent-decoding). A URL is checked piece by piece (its
/// path segments and query values), an ARN (by its grammar
/// `arn:partition:service:region:account:resource`) by its resource.
/// Error codes, OAuth `error` values, prose, URLs and ARNs stay readable.
/// Control characters are dropped too ([`crate::untrusted::printable`]).
pub(crate) fn scrub_credentials(text: &str) -> String {
    let cleaned;
    let text = if crate::untrusted::is_printable(text) {
        text
    } else {
        cleaned = crate::untrusted::printable(text);
        &cleaned
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(is_word_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
        scrub_word(&rest[..end], &mut out);
        rest = &rest[end..];
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '|' | ':' | '%')
}

fn scrub_word(word: &str, out: &mut String) {
    if let Some((head, resource)) = split_arn(word) {
        out.push_str(head);
        scrub_pieces(resource, &['/', ':'], out);
    } else if word.contains("://") {
        scrub_pieces(word, &['/', '?', '&', '=', '#'], out);
    } else if looks_like_credential(word) {
        // `name=value`: keep the name when only the value is a credential.
        match word.split_once('=') {
            Some((name, value)) if !looks_like_credential(name) && looks_like_credential(value) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(REDACTED),
        }
    } else {
        out.push_str(word);
    }
}

/// Scrubs each piece between `separators`, keeping the separators.
fn scrub_pieces(text: &str, separators: &[char], out: &mut String) {
    let mut rest = text;
    loop {
        let end = rest.find(separators).unwrap_or(rest.len());
        let piece = &rest[..end];
        out.push_str(if looks_like_credential(piece) {
            REDACTED
        } else {
            piece
        });
        if end == rest.len() {
            break;
        }
        out.push_str(&rest[end..end + 1]);
        rest = &rest[end + 1..];
    }
}

/// `arn:partition:service:region:account-id:` and the resource after it,
/// when `word` follows the ARN grammar: a lower-case partition
/// (`aws`, `aws-cn`, ...), a service, an optional region, and an empty or
/// 12-digit account.
fn split_arn(word: &str) -> Option<(&str, &str)> {
    let rest = word.strip_prefix("arn:")?;
    let mut offset = 4;
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    let label = |s: &str, allow_empty: bool| {
        (allow_empty || !s.is_empty())
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let account_ok = account.is_empty()
        || account == "aws"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !(label(partition, false) && label(service, false) && label(region, true) && account_ok) {
        return None;
    }
    for part in [partition, service, region, account] {
        offset += part.len() + 1;
    }
    Some((&word[..offset], resource))
}

fn looks_like_credential(word: &str) -> bool {
    if word.len() < CREDENTIAL_MIN_LEN {
        return false;
    }
    let decoded;
    let word = if word.contains('%') {
        decoded = percent_decode(word);
        decoded.as_str()
    } else {
        word
    };
    word.len() >= CREDENTIAL_MIN_LEN
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
        && !is_host_name(word)
}

/// A DNS name (`device.sso.us-east-1.amazonaws.com`): lower-case labels
/// joined by dots, ending in an alphabetic top-level label, none of them
/// long and mixing letters and digits the way a token does.
fn is_host_name(word: &str) -> bool {
    let Some((_, tld)) = word.rsplit_once('.') else {
        return false;
    };
    (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && word.split('.').all(|label| {
            let plain = label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let token_like = label.len() >= 16
                && label.bytes().any(|b| b.is_ascii_digit())
                && label.bytes().any(|b| b.is_ascii_lowercase());
            !label.is_empty() && label.len() <= 63 && plain && !token_like
        })
}

/// Calls `f(start, hash)` for every window of [`SECRET_RUN_MIN`] bytes of
/// `bytes`, the hash rolled forward one byte at a time (polynomial, modulo
/// 2^64).
fn for_each_window_hash(bytes: &[u8], mut f: impl FnMut(usize, u64)) {
    const BASE: u64 = 0x100_0000_01b3;
    // BASE^(SECRET_RUN_MIN - 1): what the byte leaving the window weighed.
    let mut top = 1u64;
    for _ in 1..SECRET_RUN_MIN {
        top = top.wrapping_mul(BASE);
    }
    let mut hash = 0u64;
    for (i, &b) in bytes.iter().enumerate() {
        if i >= SECRET_RUN_MIN {
            let leaving = u64::from(bytes[i - SECRET_RUN_MIN]);
            hash = hash.wrapping_sub(leaving.wrapping_mul(top));
        }
        hash = hash.wrapping_mul(BASE).wrapping_add(u64::from(b));
        if i + 1 >= SECRET_RUN_MIN {
            f(i + 1 - SECRET_RUN_MIN, hash);
        }
    }
}

fn filter_slot(hash: u64) -> usize {
    ((hash >> 6) % 64) as usize
}

fn filter_bit(hash: u64) -> u64 {
    1 << (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&crate::percent::decode(s.as_bytes(), false)).into_owned()
}

use crate::percent::encode as percent_encode;

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "aoaAAAAAGeExampleToken0123456789abcdefXYZ";

    /// The rolling-hash index finds exactly the windows a plain set of the
    /// secret's windows finds.
    #[test]
    fn runs_match_a_plain_window_set() {
        let naive = |text: &str, secret: &str| -> Vec<usize> {
            let set: std::collections::HashSet<&[u8]> =
                secret.as_bytes().windows(SECRET_RUN_MIN).collect();
            text.as_bytes()
                .windows(SECRET_RUN_MIN)
                .enumerate()
                .filter(|(_, w)| set.contains(w))
                .map(|(i, _)| i)
                .collect()
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            // A small alphabet, so windows repeat and collide often.
            let secret: String = (0..20 + next(200))
                .map(|_| char::from(b'a' + next(3) as u8))
                .collect();
            let mut text: String = (0..next(120))
                .map(|_| char::from(b'a' + next(4) as u8))
                .collect();
            let start = next(secret.len() as u64 - 12) as usize;
            text.push_str(
                &secret
                    [start..start + 12 + next(8).min((secret.len() - start - 12) as u64) as usize],
            );
            let expected = naive(&text, &secret);
            let cleaned = remove_runs(text.clone(), &secret);
            assert_eq!(expected.is_empty(), cleaned == text, "{text} / {secret}");
            for window in cleaned.as_bytes().windows(SECRET_RUN_MIN) {
                assert!(!secret
                    .as_bytes()
                    .windows(SECRET_RUN_MIN)
                    .any(|s| s == window));
            }
        }
    }

    #[test]
    fn runs_of_a_secret_are_redacted_wherever_they_appear() {
        let secret = "aorvEXAMPLErefreshTOKEN0123456789";
        // The first 24 characters, echoed back.
        let text = format!("invalid token {}... (truncated)", &secret[..24]);
        assert_eq!(
            remove_secrets(text, &[secret]),
            "invalid token [redacted]... (truncated)"
        );
        // Two pieces from different places, and one across the edge.
        let text = format!("a={} b={}!", &secret[2..16], &secret[18..31]);
        assert_eq!(
            remove_secrets(text, &[secret]),
            "a=[redacted] b=[redacted]!"
        );
        // Eleven characters are not a run.
        let text = format!("hint {}", &secret[..11]);
        assert_eq!(remove_secrets(text.clone(), &[secret]), text);
        // Multi-byte text around a run stays whole.
        let text = format!("é{}ü", &secret[5..20]);
        assert_eq!(remove_secrets(text, &[secret]), "é[redacted]ü");
        // A run of the percent-encoded form too.
        let secret = "client/secret+with=signs0123";
        let encoded = percent_encode(secret);
        let text = format!("echo {}", &encoded[..20]);
        assert!(!remove_secrets(text, &[secret]).contains(&encoded[..12]));
    }

    #[test]
    fn the_word_rule_still_holds() {
        let text = format!("token {TOKEN} is invalid");
        assert_eq!(scrub_credentials(&text), "token [redacted] is invalid");
        assert_eq!(
            scrub_credentials("InvalidGrantException: invalid_grant"),
            "InvalidGrantException: invalid_grant"
        );
    }

    #[test]
    fn tokens_inside_urls_arns_and_percent_encoding_are_caught() {
        let url = format!("https://oidc.us-east-1.amazonaws.com/token?refresh={TOKEN}&x=1");
        assert_eq!(
            scrub_credentials(&url),
            "https://oidc.us-east-1.amazonaws.com/token?refresh=[redacted]&x=1"
        );
        let arn = format!("arn:aws:iam::123456789012:role/{TOKEN}");
        assert_eq!(
            scrub_credentials(&arn),
            "arn:aws:iam::123456789012:role/[redacted]"
        );
        // Not an ARN by the grammar: the whole word is checked.
        let fake = format!("arn:{TOKEN}");
        assert_eq!(scrub_credentials(&fake), REDACTED);
        let encoded = percent_encode(&format!("{TOKEN}/+="));
        assert_eq!(scrub_credentials(&encoded), REDACTED);
        let list = format!("{TOKEN},{TOKEN}");
        assert_eq!(scrub_credentials(&list), "[redacted],[redacted]");
        // Dotted lower-case tokens are not host names.
        assert_eq!(
            scrub_credentials("c.amoma000-4000-8000-000000000001"),
            REDACTED
        );
        assert_eq!(
            scrub_credentials("6a7b8c9d0e1f2eut-1.amazonaws.com-and-more"),
            REDACTED
        );
        // Readable things stay readable.
        assert_eq!(
            scrub_credentials("arn:aws:portal:::instance/ssoins-1234567890abcdef"),
            "arn:aws:portal:::instance/ssoins-1234567890abcdef"
        );
        assert_eq!(
            scrub_credentials("https://device.sso.us-east-1.amazonaws.com/"),
            "https://device.sso.us-east-1.amazonaws.com/"
        );
    }

    #[test]
    fn every_secret_sent_is_removed_whatever_its_length() {
        let text = "the code ABCD-1234 and secret s3cr3t+/x were rejected";
        assert_eq!(
            scrub(text, &["ABCD-1234", "s3cr3t+/x", "ab"]),
            "the code [redacted] and secret [redacted] were rejected"
        );
        let encoded = format!("got {}", percent_encode("s3cr3t+/x"));
        assert_eq!(scrub(&encoded, &["s3cr3t+/x"]), "got [redacted]");
    }
}
