//! Percent-encoding (RFC 3986), once for every protocol of the crate: the
//! unreserved characters `A-Z a-z 0-9 - . _ ~` stay, every other byte is
//! `%XX` with upper-case hex (a space is `%20`). SigV4, awsQuery forms,
//! query strings and the authorize URL all use exactly this.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `A-Z a-z 0-9 - . _ ~`, by byte.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        i += 1;
    }
    table
};

#[inline(always)]
fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// Appends `bytes`, encoded, to `out`: runs of unreserved bytes are copied
/// whole, and room for the worst case of the rest is made once.
pub(crate) fn encode_bytes_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_unreserved(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Appends `bytes`, encoded, to `out`.
pub(crate) fn encode_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// `value`, encoded.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value.as_bytes());
    out
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as
/// it is. With `plus_as_space` (form encoding) `+` is a space.
pub(crate) fn decode(bytes: &[u8], plus_as_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus_as_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_bad_escapes() {
        let text = "a b+c/d:e@f=g&h*i~j-k_l.m%n\u{e9}";
        let encoded = encode(text);
        assert_eq!(
            encoded,
            "a%20b%2Bc%2Fd%3Ae%40f%3Dg%26h%2Ai~j-k_l.m%25n%C3%A9"
        );
        let mut bytes = Vec::new();
        encode_bytes_into(&mut bytes, text.as_bytes());
        assert_eq!(bytes, encoded.as_bytes());
        assert_eq!(decode(encoded.as_bytes(), false), text.as_bytes());
        assert_eq!(decode(b"100%%zz%4", false), b"100%%zz%4");
        assert_eq!(decode(b"a+b%20c", true), b"a b c");
        assert_eq!(decode(b"a+b", false), b"a+b");
    }
}
