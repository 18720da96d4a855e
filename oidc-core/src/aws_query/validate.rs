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
        let at = match item {
            Some(n) => format!("item {n}: "),
            None => String::new(),
        };
        let len = if value.is_ascii() {
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
                format!("{at}must be {range} characters long (is {len})"),
            ));
        }
        if let Some(position) = value.chars().position(|c| !chars.allows(c)) {
            return Err(self.invalid(
                member,
                format!("{at}{} (character {})", chars.describe(), position + 1),
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
