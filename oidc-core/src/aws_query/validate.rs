//! Input validation: the model's constraints, checked before a request is
//! built.

use crate::error::InvalidInput;
use crate::rest_json;

/// Checks of the model's constraints, naming the member.
pub(crate) struct Check {
    pub(crate) operation: &'static str,
}

/// Character classes of the model's patterns that are cheap to check.
#[derive(Clone, Copy)]
pub(crate) enum Chars {
    /// Anything.
    Any,
    /// `[\w+=,.@-]*` (role session names, source identities, user names).
    SessionName,
    /// `[\w+=,.@:\/-]*` (external ids).
    ExternalId,
    /// `[\w+=/:,.@-]*` (MFA serial numbers).
    SerialNumber,
    /// `[\w]*` (access key ids).
    Word,
    /// `[\d]*` (MFA token codes).
    Digits,
    /// The model's "printable Unicode" class of `arnType`.
    Printable,
    /// `[\u0009\u000A\u000D\u0020-\u00FF]+` (session policies).
    Latin1,
    /// `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (tag keys and values).
    Tag,
}

impl Chars {
    fn allows(self, c: char) -> bool {
        let word = c.is_ascii_alphanumeric() || c == '_';
        match self {
            Chars::Any => true,
            Chars::SessionName => word || "+=,.@-".contains(c),
            Chars::ExternalId => word || "+=,.@:/-".contains(c),
            Chars::SerialNumber => word || "+=/:,.@-".contains(c),
            Chars::Word => word,
            Chars::Digits => c.is_ascii_digit(),
            Chars::Printable => matches!(c,
                '\t' | '\n' | '\r'
                | '\u{20}'..='\u{7e}'
                | '\u{85}'
                | '\u{a0}'..='\u{d7ff}'
                | '\u{e000}'..='\u{fffd}'
                | '\u{10000}'..='\u{10ffff}'),
            Chars::Latin1 => matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'),
            Chars::Tag => {
                c.is_alphanumeric()
                    || (c.is_whitespace() && !c.is_control())
                    || "_.:/=+-@".contains(c)
            }
        }
    }

    /// Whether every byte of an ASCII `value` is allowed (one vectorised
    /// pass; the same answer as [`Chars::allows`] on each character).
    fn allows_ascii(self, value: &[u8]) -> bool {
        use crate::credentials::check::all_bytes;
        #[inline(always)]
        fn word(b: u8) -> bool {
            ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'_')
        }
        #[inline(always)]
        fn any_of(b: u8, set: &[u8]) -> bool {
            set.iter().fold(false, |found, &s| found | (b == s))
        }
        match self {
            Chars::Any => true,
            Chars::SessionName => all_bytes(value, |b| word(b) | any_of(b, b"+=,.@-")),
            Chars::ExternalId => all_bytes(value, |b| word(b) | any_of(b, b"+=,.@:/-")),
            Chars::SerialNumber => all_bytes(value, |b| word(b) | any_of(b, b"+=/:,.@-")),
            Chars::Word => all_bytes(value, word),
            Chars::Digits => all_bytes(value, |b| b.wrapping_sub(b'0') < 10),
            Chars::Printable => all_bytes(value, |b| {
                (b.wrapping_sub(0x20) < 0x5f) | any_of(b, b"\t\n\r")
            }),
            Chars::Latin1 => all_bytes(value, |b| (b >= 0x20) | any_of(b, b"\t\n\r")),
            Chars::Tag => all_bytes(value, |b| word(b) | any_of(b, b" .:/=+-@")),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Chars::Any => "",
            Chars::SessionName => "may only contain A-Z a-z 0-9 _ + = , . @ -",
            Chars::ExternalId => "may only contain A-Z a-z 0-9 _ + = , . @ : / -",
            Chars::SerialNumber => "may only contain A-Z a-z 0-9 _ + = / : , . @ -",
            Chars::Word => "may only contain A-Z a-z 0-9 _",
            Chars::Digits => "may only contain the digits 0-9",
            Chars::Printable => "contains a character outside the printable Unicode range",
            Chars::Latin1 => "may only contain tab, LF, CR and U+0020..U+00FF",
            Chars::Tag => "may only contain letters, numbers, spaces and _ . : / = + - @",
        }
    }
}

impl Check {
    fn invalid(&self, member: &'static str, reason: String) -> InvalidInput {
        InvalidInput::Invalid {
            operation: self.operation,
            member,
            reason,
        }
    }

    /// A required string: not empty (or only white space), `min..=max`
    /// characters, every character in `chars`.
    pub(crate) fn required(
        &self,
        member: &'static str,
        value: &str,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        rest_json::require(self.operation, member, value)?;
        self.string(member, None, value, min, max, chars)
    }

    /// An optional string: when present, as [`Check::required`].
    pub(crate) fn optional(
        &self,
        member: &'static str,
        value: Option<&str>,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(value) => self.required(member, value, min, max, chars),
            None => Ok(()),
        }
    }

    /// Length (in characters) and character class of a string; `item` is
    /// the 1-based list position, for the message. Never quotes the value.
    pub(crate) fn string(
        &self,
        member: &'static str,
        item: Option<usize>,
        value: &str,
        min: usize,
        max: usize,
        chars: Chars,
    ) -> Result<(), InvalidInput> {
        // Only an error names the item: no allocation on success.
        let at = || match item {
            Some(n) => format!("item {n}: "),
            None => String::new(),
        };
        let ascii = value.is_ascii();
        let len = if ascii {
            value.len()
        } else {
            value.chars().count()
        };
        if len < min || len > max {
            let range = if max == usize::MAX {
                format!("at least {min}")
            } else if min == max {
                format!("exactly {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.invalid(
                member,
                format!("{}must be {range} characters long (is {len})", at()),
            ));
        }
        if ascii && chars.allows_ascii(value.as_bytes()) {
            return Ok(());
        }
        if let Some(position) = value.chars().position(|c| !chars.allows(c)) {
            return Err(self.invalid(
                member,
                format!("{}{} (character {})", at(), chars.describe(), position + 1),
            ));
        }
        Ok(())
    }

    /// An optional integer in `min..=max`.
    pub(crate) fn range(
        &self,
        member: &'static str,
        value: Option<u32>,
        min: u32,
        max: u32,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(v) if v < min || v > max => {
                Err(self.invalid(member, format!("must be between {min} and {max} (is {v})")))
            }
            _ => Ok(()),
        }
    }

    /// The item count of an optional list.
    pub(crate) fn items<T>(
        &self,
        member: &'static str,
        value: Option<&[T]>,
        min: usize,
        max: usize,
    ) -> Result<(), InvalidInput> {
        match value {
            Some(v) if v.len() < min || v.len() > max => Err(self.invalid(
                member,
                format!("must have {min} to {max} items (has {})", v.len()),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_allows() {
        for chars in [
            Chars::Any,
            Chars::SessionName,
            Chars::ExternalId,
            Chars::SerialNumber,
            Chars::Word,
            Chars::Digits,
            Chars::Printable,
            Chars::Latin1,
            Chars::Tag,
        ] {
            for b in 0u8..=127 {
                assert_eq!(
                    chars.allows_ascii(&[b]),
                    chars.allows(char::from(b)),
                    "{b:#x} in {}",
                    chars.describe()
                );
                // And inside a block of 32.
                let mut long = [b'a'; 40];
                long[7] = b;
                assert_eq!(
                    chars.allows_ascii(&long),
                    chars.allows(char::from(b)) && chars.allows('a')
                );
            }
        }
    }
}
