//! Randomness for the adapter: CSPRNG bytes for PKCE, a jitter value for
//! retry back-off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// Fills an array from the operating system's CSPRNG.
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| Error::Random(e.to_string()))?;
    Ok(out)
}

/// A uniformly distributed `u32` for retry jitter. Uses the OS generator;
/// if that fails, a xorshift seeded from the clock (jitter needs no secrecy).
pub(crate) fn jitter() -> u32 {
    match bytes::<4>() {
        Ok(b) => u32::from_le_bytes(b),
        Err(_) => xorshift(),
    }
}

fn xorshift() -> u32 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 32) as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_values_differ() {
        let a = super::bytes::<32>().unwrap();
        let b = super::bytes::<32>().unwrap();
        assert_ne!(a, b);
        let x: Vec<u32> = (0..8).map(|_| super::xorshift()).collect();
        assert!(x.windows(2).any(|w| w[0] != w[1]));
    }
}
