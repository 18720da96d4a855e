//! The XML reader: one pass of `quick_xml::Reader` over a body, collecting
//! the text of the element paths asked for.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, Event};
use quick_xml::Reader;

use crate::error::ParseErrorKind;

pub(super) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// An element name to match (local name, any namespace prefix).
#[derive(Clone, Copy)]
pub(super) enum Name {
    /// Exactly this name.
    Exact(&'static str),
    /// The operation name followed by a suffix (`AssumeRoleResponse`).
    Suffixed(&'static str, &'static str),
}

impl Name {
    pub(super) fn matches(self, name: &[u8]) -> bool {
        match self {
            Name::Exact(n) => name == n.as_bytes(),
            Name::Suffixed(op, suffix) => {
                name.len() == op.len() + suffix.len()
                    && name.starts_with(op.as_bytes())
                    && name.ends_with(suffix.as_bytes())
            }
        }
    }
}

/// What a scan found.
pub(super) struct Scanned<'a, const N: usize> {
    /// Whether the root element had the expected name.
    pub(super) root_matched: bool,
    pub(super) values: [Option<Cow<'a, str>>; N],
    /// `RequestId` under the root or under `ResponseMetadata`.
    pub(super) request_id: Option<Cow<'a, str>>,
    /// The first element of interest that appeared twice in one parent (the
    /// values then hold the text of the last one).
    pub(super) duplicate: Option<Duplicate>,
}

/// An element that appeared more than once where the model allows one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Duplicate {
    /// The wrapper (`<Op>Result`).
    Wrapper,
    /// The element at the first `len` segments of path `path`: a member
    /// asked for, or a structure that holds one.
    Member { path: usize, len: usize },
}

/// Where the reader is, relative to the elements of interest.
#[derive(Clone, Copy)]
enum Frame {
    /// The root element.
    Root,
    /// The wrapper (`<Op>Result`, or `<Error>` of an envelope), or a
    /// structure in it: `mask` holds the paths still matching, `depth` the
    /// number of path segments matched.
    Member { mask: u64, depth: usize },
    /// `ResponseMetadata`.
    Metadata,
    /// An element whose text is collected into `Target`.
    Capture(Target),
}

#[derive(Clone, Copy)]
enum Target {
    Path(usize),
    RequestId,
}

/// The deepest element path any operation asks for, plus root, wrapper and
/// one level of slack.
const MAX_FRAMES: usize = 8;

/// One pass over `body`: checks it is well-formed XML, and collects the
/// text of the elements at `paths` under `root`/`wrapper` and of the
/// request id. `root: None` accepts any root element.
pub(super) fn scan<'a, const N: usize>(
    body: &'a [u8],
    root: Option<Name>,
    wrapper: Name,
    paths: &[&[&'static str]; N],
) -> Result<Scanned<'a, N>, ParseErrorKind> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseErrorKind::EmptyBody);
    }
    let looks_like_html = looks_like_html(body);
    let not_xml = |position: u64| ParseErrorKind::NotXml {
        position,
        looks_like_html,
    };
    let text = std::str::from_utf8(body).map_err(|e| not_xml(e.valid_up_to() as u64))?;
    // XML 1.0 line-end normalisation only ever changes a `\r`: without
    // one in the body (the usual case), text is used as the reader gives
    // it, with no second scan per piece.
    let has_cr = !crate::credentials::check::all_bytes(body, |b| b != b'\r');
    let mut reader = Reader::from_str(text);
    let mut frames = [Frame::Root; MAX_FRAMES];
    let mut depth = 0usize; // frames in use
    let mut skipped = 0usize; // elements nested below the last frame
    let mut seen_root = false;
    let mut out = Scanned {
        root_matched: false,
        values: std::array::from_fn(|_| None),
        request_id: None,
        duplicate: None,
    };
    // Per path, how many of its segments have been entered so far (each
    // under the one parent the path allows), and whether the wrapper has.
    let mut entered = [0usize; N];
    let mut wrapper_seen = false;
    let all: u64 = if N == 64 { u64::MAX } else { (1u64 << N) - 1 };

    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return Err(match e {
                    quick_xml::Error::Syntax(_) if at_end(&reader, body) => truncated(body),
                    _ => not_xml(reader.error_position()),
                })
            }
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                // The local name: after the first `:` of the qualified name, as quick-xml reads it
                // (names are short: a byte loop beats a `str` search).
                let qualified = start.name();
                let qualified: &str = qualified.as_ref();
                let qualified = qualified.as_bytes();
                let name = match qualified.iter().position(|&b| b == b':') {
                    Some(i) => qualified.get(i + 1..).unwrap_or_default(),
                    None => qualified,
                };
                let next = if skipped > 0 {
                    None
                } else if depth == 0 {
                    if seen_root {
                        // A second root element.
                        return Err(not_xml(reader.buffer_position()));
                    }
                    seen_root = true;
                    if name.eq_ignore_ascii_case(b"html") {
                        return Err(ParseErrorKind::NotXml {
                            position: 0,
                            looks_like_html: true,
                        });
                    }
                    out.root_matched = root.is_none_or(|r| r.matches(name));
                    out.root_matched.then_some(Frame::Root)
                } else {
                    match frames[depth - 1] {
                        Frame::Root => {
                            if wrapper.matches(name) {
                                if wrapper_seen && out.duplicate.is_none() {
                                    out.duplicate = Some(Duplicate::Wrapper);
                                }
                                wrapper_seen = true;
                                Some(Frame::Member {
                                    mask: all,
                                    depth: 0,
                                })
                            } else if name == b"ResponseMetadata" {
                                Some(Frame::Metadata)
                            } else if name == b"RequestId" {
                                Some(Frame::Capture(Target::RequestId))
                            } else {
                                None
                            }
                        }
                        Frame::Metadata => {
                            (name == b"RequestId").then_some(Frame::Capture(Target::RequestId))
                        }
                        Frame::Member { mask, depth: d } => {
                            let mut next = 0u64;
                            let mut capture = None;
                            // Only the paths still matching (set bits of
                            // `mask`), in order.
                            let mut rest = mask;
                            while rest != 0 {
                                let i = rest.trailing_zeros() as usize;
                                rest &= rest - 1;
                                if paths
                                    .get(i)
                                    .and_then(|path| path.get(d))
                                    .is_some_and(|s| s.as_bytes() == name)
                                {
                                    next |= 1 << i;
                                    if paths[i].len() == d + 1 && capture.is_none() {
                                        capture = Some(i);
                                    }
                                }
                            }
                            // Every path in `next` shares this element, so
                            // it was entered before iff any of them was.
                            let mut rest = next;
                            while rest != 0 {
                                let i = rest.trailing_zeros() as usize;
                                rest &= rest - 1;
                                if let Some(n) = entered.get_mut(i) {
                                    if *n > d && out.duplicate.is_none() {
                                        out.duplicate = Some(Duplicate::Member {
                                            path: i,
                                            len: d + 1,
                                        });
                                    }
                                    *n = d + 1;
                                }
                            }
                            match (next, capture) {
                                (0, _) => None,
                                (_, Some(i)) if next == 1 << i => {
                                    Some(Frame::Capture(Target::Path(i)))
                                }
                                (_, capture) => {
                                    // A structure that is itself asked for
                                    // (its presence) and has asked-for fields.
                                    if let Some(i) = capture {
                                        out.values[i] = Some(Cow::Borrowed(""));
                                    }
                                    Some(Frame::Member {
                                        mask: next,
                                        depth: d + 1,
                                    })
                                }
                            }
                        }
                        Frame::Capture(_) => None,
                    }
                };
                // Starting a capture resets its text: of a duplicate, the
                // last element wins (a 2xx response with one fails instead;
                // see `Scanned::duplicate`).
                if let Some(Frame::Capture(target)) = next {
                    *slot(&mut out, target) = Some(Cow::Borrowed(""));
                }
                if is_empty {
                    continue;
                }
                match next {
                    Some(frame) if depth < MAX_FRAMES => {
                        frames[depth] = frame;
                        depth += 1;
                    }
                    _ => skipped += 1,
                }
            }
            Event::End(_) => {
                if skipped > 0 {
                    skipped -= 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
            Event::Text(t) => {
                let piece = if has_cr {
                    t.xml10_content()
                } else {
                    t.into_inner()
                };
                if depth == 0 && skipped == 0 {
                    if !piece
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                    {
                        return Err(not_xml(reader.buffer_position()));
                    }
                } else if let Some(target) = capturing(&frames, depth, skipped) {
                    append(slot(&mut out, target), piece);
                }
            }
            Event::CData(c) => {
                if depth == 0 && skipped == 0 {
                    return Err(not_xml(reader.buffer_position()));
                }
                if let Some(target) = capturing(&frames, depth, skipped) {
                    append(slot(&mut out, target), c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let c = resolve_entity(&r).ok_or_else(|| not_xml(reader.buffer_position()))?;
                if depth == 0 && skipped == 0 && !is_xml_space(c) {
                    return Err(not_xml(reader.buffer_position()));
                }
                if let Some(target) = capturing(&frames, depth, skipped) {
                    let slot = slot(&mut out, target);
                    match slot {
                        Some(existing) => existing.to_mut().push(c),
                        None => *slot = Some(Cow::Owned(c.to_string())),
                    }
                }
            }
            Event::Eof => {
                if depth > 0 || skipped > 0 {
                    return Err(truncated(body));
                }
                if !seen_root {
                    return Err(not_xml(reader.buffer_position()));
                }
                return Ok(out);
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn slot<'s, 'a, const N: usize>(
    out: &'s mut Scanned<'a, N>,
    target: Target,
) -> &'s mut Option<Cow<'a, str>> {
    match target {
        Target::Path(i) => &mut out.values[i],
        Target::RequestId => &mut out.request_id,
    }
}

/// The capture the text at the current position belongs to, if any.
fn capturing(frames: &[Frame; MAX_FRAMES], depth: usize, skipped: usize) -> Option<Target> {
    if skipped > 0 || depth == 0 {
        return None;
    }
    match frames[depth - 1] {
        Frame::Capture(target) => Some(target),
        _ => None,
    }
}

/// Appends `piece` to a capture, borrowing while there is one piece.
fn append<'a>(slot: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    match slot {
        Some(Cow::Borrowed("")) => *slot = Some(piece),
        Some(existing) => existing.to_mut().push_str(&piece),
        None => *slot = Some(piece),
    }
}

/// The character an entity or character reference stands for: the five
/// predefined entities and numeric references. `None` for anything else (an
/// undeclared entity makes the document not well-formed).
fn resolve_entity(r: &BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match r.as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Whether the reader stopped at the end of the body (a syntax error there
/// means the document was cut short).
fn at_end(reader: &Reader<&[u8]>, body: &[u8]) -> bool {
    usize::try_from(reader.buffer_position()).is_ok_and(|p| p >= body.len())
}

fn truncated(body: &[u8]) -> ParseErrorKind {
    let line = body.iter().filter(|&&b| b == b'\n').count() + 1;
    let last_line = body
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(body, |i| &body[i + 1..]);
    ParseErrorKind::Truncated {
        line,
        column: last_line.len() + 1,
    }
}

/// Whether a body starts like an HTML page (`<!DOCTYPE html` or `<html`).
fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&body[..0], |i| &body[i..]);
    let starts = |prefix: &[u8]| {
        start
            .get(..prefix.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(prefix))
    };
    starts(b"<!doctype html") || starts(b"<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_matches_paths_and_skips_the_rest() {
        let xml = br#"<?xml version="1.0"?><p:OpResponse xmlns:p="x"><!-- c --><OpResult><Other><A>no</A></Other><S><A>1&amp;2</A><B><![CDATA[<b>]]></B></S><A>top</A></OpResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></p:OpResponse>"#;
        let paths: [&[&str]; 4] = [&["S"], &["S", "A"], &["S", "B"], &["A"]];
        let s = scan(
            xml,
            Some(Name::Suffixed("Op", "Response")),
            Name::Suffixed("Op", "Result"),
            &paths,
        )
        .unwrap();
        assert!(s.root_matched);
        assert_eq!(s.values[0].as_deref(), Some(""));
        assert_eq!(s.values[1].as_deref(), Some("1&2"));
        assert_eq!(s.values[2].as_deref(), Some("<b>"));
        assert_eq!(s.values[3].as_deref(), Some("top"));
        assert_eq!(s.request_id.as_deref(), Some("rid"));
    }

    #[test]
    fn scan_errors() {
        let paths: [&[&str]; 1] = [&["A"]];
        let run = |b: &[u8]| scan(b, None, Name::Exact("R"), &paths).map(|_| ());
        assert_eq!(run(b"  "), Err(ParseErrorKind::EmptyBody));
        assert!(matches!(
            run(b"<a><b>"),
            Err(ParseErrorKind::Truncated { .. })
        ));
        assert!(matches!(
            run(b"<a><b"),
            Err(ParseErrorKind::Truncated { .. })
        ));
        assert!(matches!(
            run(b"not xml"),
            Err(ParseErrorKind::NotXml {
                looks_like_html: false,
                ..
            })
        ));
        assert!(matches!(
            run(b"<a></b>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<a>&bogus;</a>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<a/><b/>"),
            Err(ParseErrorKind::NotXml { .. })
        ));
        assert!(matches!(
            run(b"<html><body>Bad gateway</body></html>"),
            Err(ParseErrorKind::NotXml {
                looks_like_html: true,
                ..
            })
        ));
        assert!(matches!(
            run(b"\xff<a/>"),
            Err(ParseErrorKind::NotXml { position: 0, .. })
        ));
        assert_eq!(run(b"<a/>"), Ok(()));
    }
}
