//! Virtual MFA devices: RFC 6238 TOTP codes (HMAC-SHA1, 30-second steps,
//! 6 digits) from a base32 seed, checked by AssumeRole and GetSessionToken
//! at the emulator's clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::state::Ctx;

/// The TOTP time step.
const STEP_SECS: u64 = 30;

/// AWS's message for a wrong or missing MFA code (and an unknown device).
pub(crate) const MFA_FAILED: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";

/// Decodes a base32 seed (RFC 4648 alphabet; case, whitespace, `-` and
/// `=` padding ignored). `None` when it is not base32.
fn decode_seed(seed_base32: &str) -> Option<Vec<u8>> {
    let clean: String = seed_base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()
}

/// The code of time step `counter` for `key` (RFC 4226 HOTP, 6 digits).
fn hotp(key: &[u8], counter: u64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bin = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

fn step_of(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        / STEP_SECS
}

/// The RFC 6238 TOTP code (HMAC-SHA1, 30-second steps, 6 digits) of the
/// base32 seed `seed_base32` at `at`, as an authenticator app shows it —
/// what the emulator accepts as `TokenCode` for a device added with
/// [`crate::EmulatorConfig::with_mfa_device`]. Pass the emulator's time
/// (`SystemTime::now() + emulator.clock_offset()`) once its clock was
/// advanced. A seed that is not base32 is used as an empty key.
pub fn totp_code(seed_base32: &str, at: SystemTime) -> String {
    let key = decode_seed(seed_base32).unwrap_or_default();
    hotp(&key, step_of(at))
}

/// Whether `code` is the device's code for the current, previous or next
/// time step at the emulator's clock (codes may be reused).
fn code_matches(seed_base32: &str, code: &str, now: SystemTime) -> bool {
    let Some(key) = decode_seed(seed_base32) else {
        return false;
    };
    let step = step_of(now);
    let mut ok = false;
    for s in [step.saturating_sub(1), step, step.saturating_add(1)] {
        ok |= bool::from(hotp(&key, s).as_bytes().ct_eq(code.as_bytes()));
    }
    ok
}

/// The outcome of the MFA members of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MfaCheck {
    /// No `SerialNumber` was given.
    Absent,
    /// No device is configured: `SerialNumber` + `TokenCode` were accepted
    /// for their shape alone.
    Unverified,
    /// The code is the configured device's.
    Verified,
}

/// Checks `SerialNumber` / `TokenCode`: a missing code, and with devices
/// configured an unknown serial or a wrong code, is `Err(())` (answered
/// `AccessDenied` [`MFA_FAILED`]).
pub(crate) fn check(
    ctx: &Ctx,
    serial: Option<&str>,
    token_code: Option<&str>,
) -> Result<MfaCheck, ()> {
    let Some(serial) = serial else {
        return Ok(MfaCheck::Absent);
    };
    let devices = &ctx.config.mfa_devices;
    if devices.is_empty() {
        return match token_code {
            Some(_) => Ok(MfaCheck::Unverified),
            None => Err(()),
        };
    }
    let Some(device) = devices.iter().find(|d| d.serial_number == serial) else {
        return Err(());
    };
    let Some(code) = token_code else {
        return Err(());
    };
    let ms = u64::try_from(ctx.clock.epoch_millis()).unwrap_or(0);
    let now = UNIX_EPOCH + Duration::from_millis(ms);
    if code_matches(&device.seed_base32, code, now) {
        Ok(MfaCheck::Verified)
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1 seed `12345678901234567890`), reduced to
    /// 6 digits.
    #[test]
    fn rfc6238_vectors() {
        let seed = data_encoding::BASE32.encode(b"12345678901234567890");
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(totp_code(&seed, at(59)), "287082");
        assert_eq!(totp_code(&seed, at(1_111_111_109)), "081804");
        assert_eq!(totp_code(&seed, at(1_234_567_890)), "005924");
        assert_eq!(totp_code(&seed, at(20_000_000_000)), "353130");
        // Lower case, spaces and no padding decode the same.
        let loose = seed.trim_end_matches('=').to_ascii_lowercase();
        assert_eq!(totp_code(&loose, at(59)), "287082");
    }

    #[test]
    fn windows() {
        let seed = "JBSWY3DPEHPK3PXP";
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let prev = totp_code(seed, now - Duration::from_secs(30));
        let next = totp_code(seed, now + Duration::from_secs(30));
        let cur = totp_code(seed, now);
        let far = totp_code(seed, now - Duration::from_secs(90));
        assert!(code_matches(seed, &cur, now));
        assert!(code_matches(seed, &prev, now));
        assert!(code_matches(seed, &next, now));
        assert!(!code_matches(seed, &far, now) || [cur, prev, next].contains(&far));
        assert!(!code_matches("not base32!", "000000", now));
    }
}
