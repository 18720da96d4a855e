//! The INI layer: Python's `configparser.RawConfigParser()` with its
//! default settings, as botocore's `raw_config_parse` uses it, plus
//! `_parse_nested` and the `shlex.split` of section headers.
//!
//! The same scan serves the reader (which fails on the first problem) and
//! the writer (which only needs to know where sections and keys are, even
//! in a file the reader rejects).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use oidc_core::credential_process::split_command;

use super::{ParseProblem, Value};

/// Python's `str.isspace()` (what `str.strip()` and the regex `\s` use):
/// Unicode white space plus the information separators U+001C..U+001F.
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub(super) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// One physical line: its text without the terminator, and the
/// terminator (`\n`, `\r\n`, `\r` or empty at the end of the text), as
/// Python's universal-newline reading splits a file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    pub(super) text: &'a str,
    pub(super) end: &'a str,
}

pub(super) fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(Line {
                    text: &text[start..i],
                    end: &text[i..i + 1],
                });
                i += 1;
                start = i;
            }
            b'\r' => {
                let len = if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                lines.push(Line {
                    text: &text[start..i],
                    end: &text[i..i + len],
                });
                i += len;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < text.len() {
        lines.push(Line {
            text: &text[start..],
            end: "",
        });
    }
    lines
}

/// A `key = value` option and its continuation lines, borrowing the
/// text (a scan allocates per section and per multi-line value, not per
/// line).
#[derive(Debug, Clone)]
pub(super) struct RawOption<'a> {
    /// The key, lower-cased (`optionxform`).
    pub(super) key: Cow<'a, str>,
    /// 0-based index of the option line.
    pub(super) line: usize,
    /// 0-based index of its last continuation line (`line` if none).
    pub(super) last_line: usize,
    /// The leading white space of the option line.
    pub(super) indent: &'a str,
    /// The option line's value.
    first: &'a str,
    /// The continuation lines' values, each with its 0-based line index;
    /// blank lines inside the value are empty pieces.
    more: Vec<(&'a str, usize)>,
}

impl<'a> RawOption<'a> {
    /// The value's pieces (first: the option line's value), each with its
    /// 0-based line index.
    fn pieces(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        std::iter::once((self.first, self.line)).chain(self.more.iter().copied())
    }

    /// `'\n'.join(pieces).rstrip()`, as `_join_multiline_values` does.
    fn joined(&self) -> String {
        if self.more.is_empty() {
            return py_rstrip(self.first).to_owned();
        }
        let parts: Vec<&str> = self.pieces().map(|(p, _)| p).collect();
        py_rstrip(&parts.join("\n")).to_owned()
    }
}

/// `optionxform` (`str.lower()`), without allocating for a key that is
/// already lower case ASCII.
fn lower(key: &str) -> Cow<'_, str> {
    if key.is_ascii() {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(key.to_ascii_lowercase())
        } else {
            Cow::Borrowed(key)
        }
    } else {
        Cow::Owned(key.to_lowercase())
    }
}

/// A `[header]` and its options, in file order.
#[derive(Debug, Clone)]
pub(super) struct RawSection<'a> {
    /// The text between the brackets, unchanged.
    pub(super) header: &'a str,
    /// 0-based index of the header line.
    pub(super) line: usize,
    pub(super) options: Vec<RawOption<'a>>,
}

/// The scanned file: every section (`DEFAULT` blocks included, in file
/// order) and the first problem, if any, with its 0-based line index.
#[derive(Debug, Clone, Default)]
pub(super) struct RawDoc<'a> {
    pub(super) sections: Vec<RawSection<'a>>,
    pub(super) problem: Option<(usize, ParseProblem)>,
}

const DEFAULT_SECTION: &str = "DEFAULT";

/// `SECTCRE` (`\[(?P<header>.+)\]`, matched at the start of the stripped
/// line): everything up to the *last* `]`, at least one character.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let close = rest.rfind(']')?;
    (close > 0).then(|| &rest[..close])
}

/// `OPTCRE` with the delimiters `=` and `:`: the first of either splits.
fn option_line(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    Some((py_rstrip(&value[..at]), py_strip(&value[at + 1..])))
}

fn indent_of(line: &str) -> (usize, &str) {
    let mut chars = 0;
    for (i, c) in line.char_indices() {
        if !is_py_space(c) {
            return (chars, &line[..i]);
        }
        chars += 1;
    }
    (chars, line)
}

/// Scans `lines` as `RawConfigParser._read` does (strict, no inline
/// comments, `#`/`;` full-line comments, empty lines allowed in values).
///
/// Linear in the size of the text: duplicate sections and keys are found
/// through hash sets (a header is interned once, when it opens; a key is
/// looked up under its section's id), never by rescanning what came
/// before.
pub(super) fn scan<'a>(lines: &[Line<'a>]) -> RawDoc<'a> {
    let mut doc = RawDoc::default();
    // Every header seen, interned: header → id. A repeated header (an
    // error, or `DEFAULT`, which may reopen) gets the id of its first
    // occurrence, so its keys are checked against the earlier block's, as
    // configparser checks `(section, key)`.
    let mut section_ids: HashMap<&str, usize> = HashMap::new();
    let mut seen_options: HashSet<(usize, Cow<'a, str>)> = HashSet::new();
    // Index into doc.sections of the current section, and its header id.
    let mut current: Option<(usize, usize)> = None;
    // The current option: (section index, option index).
    let mut option: Option<(usize, usize)> = None;
    let mut indent_level = 0usize;

    let note = |doc: &mut RawDoc, line: usize, problem: ParseProblem| {
        if doc.problem.is_none() {
            doc.problem = Some((line, problem));
        }
    };

    for (n, line) in lines.iter().enumerate() {
        let raw = line.text;
        let stripped = py_strip(raw);
        let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
        if is_comment || stripped.is_empty() {
            if !is_comment {
                if let Some((s, o)) = option {
                    doc.sections[s].options[o].more.push(("", n));
                }
            }
            continue;
        }
        let (cur_indent, indent_text) = indent_of(raw);
        if let (Some(_), Some((s, o))) = (current, option) {
            if cur_indent > indent_level {
                let opt = &mut doc.sections[s].options[o];
                opt.more.push((stripped, n));
                opt.last_line = n;
                continue;
            }
        }
        indent_level = cur_indent;
        if let Some(header) = section_header(stripped) {
            let next_id = section_ids.len();
            let id = *section_ids.entry(header).or_insert(next_id);
            // Re-opening DEFAULT is allowed; its keys still may not repeat.
            if id != next_id && header != DEFAULT_SECTION {
                note(
                    &mut doc,
                    n,
                    ParseProblem::DuplicateSection {
                        section: header.to_owned(),
                    },
                );
            }
            doc.sections.push(RawSection {
                header,
                line: n,
                options: Vec::new(),
            });
            current = Some((doc.sections.len() - 1, id));
            option = None;
            continue;
        }
        let Some((s, id)) = current else {
            note(&mut doc, n, ParseProblem::MissingSectionHeader);
            continue;
        };
        let Some((key, value)) = option_line(stripped) else {
            note(&mut doc, n, ParseProblem::NoSeparator);
            continue;
        };
        if key.is_empty() {
            note(&mut doc, n, ParseProblem::EmptyKey);
        }
        let key = lower(key);
        if !seen_options.insert((id, key.clone())) {
            let problem = ParseProblem::DuplicateKey {
                section: doc.sections[s].header.to_owned(),
                key: key.clone().into_owned(),
            };
            note(&mut doc, n, problem);
        }
        let options = &mut doc.sections[s].options;
        // An empty key is falsy in Python: it takes no continuation lines.
        let takes_continuations = !key.is_empty();
        options.push(RawOption {
            key,
            line: n,
            last_line: n,
            indent: indent_text,
            first: value,
            more: Vec::new(),
        });
        option = takes_continuations.then(|| (s, options.len() - 1));
    }
    doc
}

/// Python's `str.splitlines()` boundaries.
fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if boundary {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(_, '\n')) = iter.peek() {
                    iter.next();
                    next += 1;
                }
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The value of `option` as botocore returns it: a string, or (when the
/// joined value starts with a newline) a nested map from `_parse_nested`.
/// Errors carry the 0-based line of the offending nested line.
pub(super) fn option_value(
    section: &str,
    option: &RawOption<'_>,
) -> Result<Value, (usize, ParseProblem)> {
    let joined = option.joined();
    if !joined.starts_with('\n') {
        return Ok(Value::Text(joined));
    }
    let mut nested = BTreeMap::new();
    for (piece, line) in option.pieces() {
        for part in py_splitlines(piece) {
            let part = py_strip(part);
            if part.is_empty() {
                continue;
            }
            let Some((k, v)) = part.split_once('=') else {
                return Err((
                    line,
                    ParseProblem::NestedWithoutEquals {
                        section: section.to_owned(),
                        key: option.key.clone().into_owned(),
                    },
                ));
            };
            nested.insert(py_strip(k).to_owned(), py_strip(v).to_owned());
        }
    }
    Ok(Value::Nested(nested))
}

/// Python's `shlex.quote`.
pub(super) fn shlex_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || "@%+=:,./-".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\"'\"'"))
    }
}

/// What a section header is to botocore's `build_profile_map`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum SectionKind {
    Profile(String),
    SsoSession(String),
    Services(String),
    /// `DEFAULT`: configparser's defaults, inherited by every section.
    Defaults,
    /// Anything else (`[dev]`, `[preview]`, ...): not read.
    Other,
}

/// A section of the shared credentials file: every header names a
/// profile, as is (botocore's `raw_config_parse`).
pub(super) fn classify_credentials(header: &str) -> SectionKind {
    if header == DEFAULT_SECTION {
        SectionKind::Defaults
    } else {
        SectionKind::Profile(header.to_owned())
    }
}

pub(super) fn classify(header: &str) -> SectionKind {
    if header == DEFAULT_SECTION {
        return SectionKind::Defaults;
    }
    let named = |make: fn(String) -> SectionKind| match split_command(header).ok() {
        Some(mut parts) if parts.len() == 2 => parts.pop().map_or(SectionKind::Other, make),
        _ => SectionKind::Other,
    };
    if header.starts_with("profile") {
        named(SectionKind::Profile)
    } else if header.starts_with("sso-session") {
        named(SectionKind::SsoSession)
    } else if header.starts_with("services") {
        named(SectionKind::Services)
    } else if header == "default" {
        SectionKind::Profile("default".to_owned())
    } else {
        SectionKind::Other
    }
}
