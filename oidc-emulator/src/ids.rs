//! Generation of opaque identifiers (client ids, secrets, device codes,
//! tokens, user codes, request ids).
//!
//! The emulator is a test tool, not a security boundary, but identifiers are
//! still unpredictable: they are SHA-256 blocks over a per-process random
//! seed (taken from std's randomly keyed `RandomState`, the wall clock and
//! the process id) and a counter. No extra dependency is needed.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Letters used for user codes: no vowels (so no words), no `Y`, and none of
/// the easily confused shapes.
pub(crate) const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Source of random-looking identifiers.
#[derive(Debug)]
pub(crate) struct IdGen {
    seed: [u8; 32],
    counter: AtomicU64,
}

impl IdGen {
    /// A generator with a fresh seed.
    pub(crate) fn new() -> Self {
        let mut h = Sha256::new();
        for i in 0u64..4 {
            h.update(RandomState::new().hash_one(i).to_le_bytes());
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        h.update(nanos.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        IdGen {
            seed: h.finalize().into(),
            counter: AtomicU64::new(0),
        }
    }

    /// 32 fresh random-looking bytes.
    pub(crate) fn block(&self) -> [u8; 32] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(n.to_le_bytes());
        h.finalize().into()
    }

    /// `n` random-looking bytes.
    pub(crate) fn bytes(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 32);
        while out.len() < n {
            out.extend_from_slice(&self.block());
        }
        out.truncate(n);
        out
    }

    /// `n` random characters of the base-32 alphabet `A-Z2-7` (the shape of
    /// AWS access key ids and unique ids after their 4-letter prefix).
    pub(crate) fn upper_alnum(&self, n: usize) -> String {
        self.bytes(n).iter().map(|b| base32_char(*b)).collect()
    }

    /// URL-safe base64 (no padding) of `n` random bytes.
    pub(crate) fn token(&self, n: usize) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes(n))
    }

    /// A UUID-v4-shaped lowercase string (used for `x-amzn-RequestId`).
    pub(crate) fn uuid(&self) -> String {
        let mut b = self.block();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// A user code like `BCDF-GHJK`.
    pub(crate) fn user_code(&self) -> String {
        let b = self.block();
        let mut s = String::with_capacity(9);
        for (i, x) in b.iter().take(8).enumerate() {
            if i == 4 {
                s.push('-');
            }
            let idx = usize::from(*x) % USER_CODE_ALPHABET.len();
            s.push(char::from(USER_CODE_ALPHABET[idx]));
        }
        s
    }
}

/// Maps a byte to one character of `A-Z2-7`.
pub(crate) fn base32_char(b: u8) -> char {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char::from(ALPHABET[usize::from(b) % ALPHABET.len()])
}

/// `n` characters of `A-Z2-7` derived deterministically from `seed` (stable
/// ids such as role ids, so the same role always has the same id).
pub(crate) fn stable_upper_alnum(seed: &str, n: usize) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest
        .iter()
        .cycle()
        .take(n)
        .map(|b| base32_char(*b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_code_shape() {
        let g = IdGen::new();
        for _ in 0..200 {
            let c = g.user_code();
            assert_eq!(c.len(), 9);
            assert_eq!(&c[4..5], "-");
            assert!(c
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| USER_CODE_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn ids_are_distinct() {
        let g = IdGen::new();
        let a = g.token(32);
        let b = g.token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        let u = g.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
