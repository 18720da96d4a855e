//! Lenient reading and Python-`json.dumps`-compatible writing of flat JSON
//! objects.

use std::fmt;
use std::time::SystemTime;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{timestamp, CacheFormatError};

/// The values of the keys a reader is interested in, in the order of the key
/// list given to [`read_object`].
pub(super) struct Members {
    keys: &'static [&'static str],
    values: Vec<Option<Value>>,
}

/// Parses `bytes` as a JSON object and keeps the values of `keys`.
///
/// Keys match ASCII-case-insensitively; when a key occurs several times (in
/// any spelling), the last occurrence in the document wins. Other keys are
/// skipped without being stored.
pub(super) fn read_object(
    bytes: &[u8],
    keys: &'static [&'static str],
) -> Result<Members, CacheFormatError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let values = KnownKeys { keys }.deserialize(&mut de).map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(Members { keys, values })
}

/// Maps a `serde_json` error without using its message (which may quote
/// input).
fn classify(error: serde_json::Error) -> CacheFormatError {
    match error.classify() {
        // The only data error the visitor can produce is "not a map".
        serde_json::error::Category::Data => CacheFormatError::NotAnObject,
        _ => CacheFormatError::InvalidJson {
            line: error.line(),
            column: error.column(),
        },
    }
}

struct KnownKeys {
    keys: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for KnownKeys {
    type Value = Vec<Option<Value>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KnownKeys {
    type Value = Vec<Option<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = vec![None; self.keys.len()];
        while let Some(key) = map.next_key::<String>()? {
            match self.keys.iter().position(|k| k.eq_ignore_ascii_case(&key)) {
                Some(i) => values[i] = Some(map.next_value::<Value>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }
}

impl Members {
    fn take(&mut self, key: &'static str) -> Option<Value> {
        let i = self.keys.iter().position(|k| *k == key)?;
        self.values.get_mut(i)?.take()
    }

    /// A required string member.
    pub(super) fn required_str(&mut self, key: &'static str) -> Result<String, CacheFormatError> {
        match self.take(key) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(CacheFormatError::NotAString { key }),
            None => Err(CacheFormatError::MissingKey { key }),
        }
    }

    /// An optional string member; values of other types are ignored.
    pub(super) fn optional_str(&mut self, key: &'static str) -> Option<String> {
        match self.take(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A required timestamp member.
    pub(super) fn required_time(
        &mut self,
        key: &'static str,
    ) -> Result<SystemTime, CacheFormatError> {
        let text = self.required_str(key)?;
        timestamp::parse(&text).ok_or(CacheFormatError::InvalidTimestamp { key })
    }

    /// An optional timestamp member: non-string values are ignored, strings
    /// must be valid timestamps.
    pub(super) fn optional_time(
        &mut self,
        key: &'static str,
    ) -> Result<Option<SystemTime>, CacheFormatError> {
        match self.optional_str(key) {
            Some(text) => timestamp::parse(&text)
                .map(Some)
                .ok_or(CacheFormatError::InvalidTimestamp { key }),
            None => Ok(None),
        }
    }

    /// An optional list of strings; ignored unless it is an array whose
    /// elements are all strings.
    pub(super) fn optional_str_list(&mut self, key: &'static str) -> Option<Vec<String>> {
        match self.take(key) {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

/// Writes a flat JSON object the way Python's `json.dumps` does by default:
/// separators `", "` and `": "`, `ensure_ascii` escaping.
pub(super) struct PyObjectWriter {
    out: String,
    empty: bool,
}

impl PyObjectWriter {
    pub(super) fn new() -> Self {
        PyObjectWriter {
            out: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push_str(", ");
        }
        self.empty = false;
        write_py_str(&mut self.out, key);
        self.out.push_str(": ");
    }

    pub(super) fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_py_str(&mut self.out, value);
    }

    pub(super) fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    /// `null` for `None`.
    pub(super) fn str_or_null(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.str(key, value),
            None => {
                self.key(key);
                self.out.push_str("null");
            }
        }
    }

    /// `null` for `None`.
    pub(super) fn list_or_null(&mut self, key: &str, value: Option<&[String]>) {
        self.key(key);
        match value {
            Some(items) => write_py_list(&mut self.out, items),
            None => self.out.push_str("null"),
        }
    }

    pub(super) fn opt_list(&mut self, key: &str, value: Option<&[String]>) {
        if let Some(items) = value {
            self.key(key);
            write_py_list(&mut self.out, items);
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

fn write_py_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_py_str(out, item);
    }
    out.push(']');
}

/// A JSON string literal as Python's `json.dumps(..., ensure_ascii=True)`
/// writes it: everything outside `' '..='~'` escaped, `\uXXXX` in lowercase
/// hex, characters beyond the BMP as surrogate pairs.
pub(super) fn write_py_str(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12u16, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(s: &str) -> String {
        let mut out = String::new();
        write_py_str(&mut out, s);
        out
    }

    #[test]
    fn python_escaping() {
        // Expected values from Python 3: json.dumps(s)
        assert_eq!(py("abc"), r#""abc""#);
        assert_eq!(py("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(py("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(py("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(py("é"), r#""\u00e9""#);
        assert_eq!(py("\u{FFFF}"), r#""\uffff""#);
        assert_eq!(py("😀"), r#""\ud83d\ude00""#);
        assert_eq!(py("\u{2028}"), r#""\u2028""#);
    }

    #[test]
    fn escaped_output_parses_back() {
        let s = "x\u{0}\u{1}é😀\"\\\u{7f}\u{10FFFF}";
        let parsed: String = serde_json::from_str(&py(s)).unwrap();
        assert_eq!(parsed, s);
    }

    #[test]
    fn writer_layout() {
        let mut w = PyObjectWriter::new();
        w.str("a", "1");
        w.opt_str("b", None);
        w.str_or_null("c", None);
        w.list_or_null("d", Some(&["x".to_owned(), "y".to_owned()]));
        w.list_or_null("e", None);
        w.opt_list("f", Some(&[]));
        assert_eq!(
            w.finish(),
            r#"{"a": "1", "c": null, "d": ["x", "y"], "e": null, "f": []}"#
        );
        assert_eq!(PyObjectWriter::new().finish(), "{}");
    }

    #[test]
    fn reader_case_insensitive_last_wins() {
        const KEYS: &[&str] = &["accessToken", "other"];
        let mut m = read_object(
            br#"{"ACCESSTOKEN": "a", "x": {"deep": [1, 2]}, "accesstoken": "b", "other": 5}"#,
            KEYS,
        )
        .unwrap();
        assert_eq!(m.required_str("accessToken").unwrap(), "b");
        assert_eq!(
            m.required_str("other").unwrap_err(),
            CacheFormatError::NotAString { key: "other" }
        );
    }

    #[test]
    fn reader_errors() {
        const KEYS: &[&str] = &["a"];
        assert_eq!(
            read_object(b"[1]", KEYS).err(),
            Some(CacheFormatError::NotAnObject)
        );
        assert_eq!(
            read_object(b"\"s\"", KEYS).err(),
            Some(CacheFormatError::NotAnObject)
        );
        assert!(matches!(
            read_object(b"{\"a\": ", KEYS).err(),
            Some(CacheFormatError::InvalidJson { .. })
        ));
        assert!(matches!(
            read_object(b"{} x", KEYS).err(),
            Some(CacheFormatError::InvalidJson { .. })
        ));
        assert!(matches!(
            read_object(b"", KEYS).err(),
            Some(CacheFormatError::InvalidJson { .. })
        ));
        assert!(matches!(
            read_object(b"{\"a\": \"\xff\"}", KEYS).err(),
            Some(CacheFormatError::InvalidJson { .. })
        ));
        assert!(read_object(b" {} \n", KEYS).is_ok());
    }
}
