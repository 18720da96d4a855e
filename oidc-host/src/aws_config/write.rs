//! Editing the config file's text for `configure`: set keys of one
//! section, leaving every other byte alone.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::parse::{self, classify, py_strip, shlex_quote, split_lines, Line, SectionKind};
use super::ConfigFileError;

fn invalid(what: impl Into<String>, reason: &'static str) -> ConfigFileError {
    ConfigFileError::InvalidWrite {
        what: what.into(),
        reason,
    }
}

fn check_name(kind: &str, name: &str) -> Result<(), ConfigFileError> {
    if name.contains(['\n', '\r']) {
        return Err(invalid(
            format!("the {kind} name"),
            "it contains a line break",
        ));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), ConfigFileError> {
    let what = || format!("the key `{}`", key.escape_debug());
    if key.is_empty() {
        return Err(invalid("a key", "it is empty"));
    }
    if py_strip(key) != key {
        return Err(invalid(what(), "it starts or ends with white space"));
    }
    if key.contains(['=', ':', '\n', '\r']) {
        return Err(invalid(what(), "it contains `=`, `:` or a line break"));
    }
    if key.starts_with(['[', '#', ';']) {
        return Err(invalid(what(), "it starts with `[`, `#` or `;`"));
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<(), ConfigFileError> {
    // Never echo the value: it may be a secret.
    let what = || format!("the value of `{}`", key.escape_debug());
    if value.contains(['\n', '\r']) {
        return Err(invalid(what(), "it contains a line break"));
    }
    if py_strip(value) != value {
        return Err(invalid(
            what(),
            "it starts or ends with white space (the AWS CLI would trim it)",
        ));
    }
    Ok(())
}

/// One section's edits: set (or, with `None`, remove) keys in the
/// *effective* section `target` (the last header naming it, as botocore
/// keeps the last), or append `[new_header]` with them at the end.
struct SectionEdit {
    target: SectionKind,
    new_header: String,
    edits: Vec<(String, Option<String>)>,
}

/// The edits of one section, merged: later edits of the same key
/// (compared lower-cased) win, keys keep the position of their first
/// edit.
#[derive(Default)]
struct Merged {
    new_header: String,
    order: Vec<String>,
    wanted: HashMap<String, (String, Option<String>)>,
}

impl Merged {
    fn add(&mut self, edits: &[(String, Option<String>)]) {
        for (key, value) in edits {
            let lower = key.to_lowercase();
            if !self.wanted.contains_key(&lower) {
                self.order.push(lower.clone());
            }
            self.wanted.insert(lower, (key.clone(), value.clone()));
        }
    }

    /// `key = value` for the keys to set that `present` does not hold, in
    /// order.
    fn additions(&self, present: &HashSet<&str>) -> Vec<String> {
        self.order
            .iter()
            .filter(|lower| !present.contains(lower.as_str()))
            .filter_map(|lower| match self.wanted.get(lower) {
                Some((key, Some(value))) => Some(format!("{key} = {value}")),
                _ => None,
            })
            .collect()
    }
}

/// The output text, line by line: a line without terminator (the input's
/// last) gets `eol` when another line follows it.
struct Out<'e> {
    text: String,
    eol: &'e str,
    open: bool,
}

impl Out<'_> {
    fn line(&mut self, line: &str, end: &str) {
        if self.open {
            self.text.push_str(self.eol);
        }
        self.text.push_str(line);
        self.text.push_str(end);
        self.open = end.is_empty();
    }
}

/// Applies `sections` to `text` in one pass over it, with the result of
/// applying them one after the other (each to the previous one's output)
/// when every value is `Some`. Edits of the same target are merged; new
/// sections are appended in the order of their first edit.
///
/// Linear in the size of `text` plus the edits: one scan, hash lookups for
/// the sections and keys, one output pass.
fn upsert(text: &str, sections: &[SectionEdit]) -> String {
    let lines = split_lines(text);
    let eol = lines
        .iter()
        .map(|l| l.end)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let doc = parse::scan(&lines);

    // Targets in the order of their first edit, merged.
    let mut groups: Vec<(SectionKind, Merged)> = Vec::new();
    let mut group_of: HashMap<SectionKind, usize> = HashMap::new();
    for edit in sections {
        let at = *group_of.entry(edit.target.clone()).or_insert_with(|| {
            groups.push((
                edit.target.clone(),
                Merged {
                    new_header: edit.new_header.clone(),
                    ..Merged::default()
                },
            ));
            groups.len() - 1
        });
        groups[at].1.add(&edit.edits);
    }

    // The effective section of each target: the last header naming it.
    let mut effective: HashMap<SectionKind, usize> = HashMap::new();
    for (index, section) in doc.sections.iter().enumerate() {
        let kind = classify(section.header);
        if group_of.contains_key(&kind) {
            effective.insert(kind, index);
        }
    }

    // Replacements: first line → (last line, new text or removal);
    // insertions: after line → (indentation, lines).
    let mut replace: HashMap<usize, (usize, Option<String>)> = HashMap::new();
    let mut insert: BTreeMap<usize, (String, Vec<String>)> = BTreeMap::new();
    let mut appended: Vec<&Merged> = Vec::new();
    for (target, merged) in &groups {
        let Some(&index) = effective.get(target) else {
            appended.push(merged);
            continue;
        };
        let section = &doc.sections[index];
        let mut present: HashSet<&str> = HashSet::new();
        for option in &section.options {
            let Some((key, value)) = merged.wanted.get(option.key.as_ref()) else {
                continue;
            };
            let first = present.insert(option.key.as_ref());
            let new = match value {
                Some(value) if first => Some(format!("{}{key} = {value}", option.indent)),
                _ => None,
            };
            replace.insert(option.line, (option.last_line, new));
        }
        let additions = merged.additions(&present);
        if additions.is_empty() {
            continue;
        }
        // Where new keys go, and their indentation: after the last option
        // (with its own indentation, so the line after cannot become a
        // continuation), or after the header (with the indentation of the
        // next significant line, for the same reason).
        let (insert_after, indent) = match section.options.last() {
            Some(last) => (last.last_line, last.indent.to_owned()),
            None => {
                let next = lines[section.line + 1..]
                    .iter()
                    .map(|l| l.text)
                    .find(|t| {
                        let s = py_strip(t);
                        !s.is_empty() && !s.starts_with(['#', ';'])
                    })
                    .map(|t| {
                        t[..t.len() - t.trim_start_matches(parse::is_py_space).len()].to_owned()
                    })
                    .unwrap_or_default();
                (section.line, next)
            }
        };
        insert.insert(insert_after, (indent, additions));
    }

    let mut out = Out {
        text: String::with_capacity(text.len() + 64 * sections.len()),
        eol,
        open: false,
    };
    let mut i = 0;
    while i < lines.len() {
        let Line { text, end } = lines[i];
        let mut last = i;
        match replace.get(&i) {
            Some((through, new)) => {
                last = *through;
                if let Some(new) = new {
                    out.line(new, lines[last].end);
                }
            }
            None => out.line(text, end),
        }
        for (indent, additions) in insert.range(i..=last).map(|(_, v)| v) {
            for addition in additions {
                out.line(&format!("{indent}{addition}"), eol);
            }
        }
        i = last + 1;
    }
    let mut last_blank = lines.last().is_none_or(|l| py_strip(l.text).is_empty());
    for merged in appended {
        if !last_blank {
            out.line("", eol);
        }
        out.line(&format!("[{}]", merged.new_header), eol);
        for lower in &merged.order {
            if let Some((key, Some(value))) = merged.wanted.get(lower) {
                out.line(&format!("{key} = {value}"), eol);
            }
        }
        last_blank = false;
    }
    out.text
}

/// Sets `sso_start_url`, `sso_region` and `sso_registration_scopes`
/// (joined with `, `; removed when `scopes` is empty) in
/// `[sso-session NAME]`, editing `text` (the config file's contents) in
/// place.
///
/// Keys already in the section are replaced on their own line (keeping
/// its indentation; continuation lines of the old value go too), new keys
/// follow the section's last key, and a missing section is appended at
/// the end after a blank line. Everything else (comments, blank lines,
/// other sections, unknown keys, line endings) stays byte for byte. When
/// several headers name the session, the last one (the one the AWS CLI
/// uses) is edited.
///
/// # Errors
///
/// [`ConfigFileError::InvalidWrite`] for text that cannot be written
/// faithfully: a line break anywhere, a value with leading or trailing
/// white space, a scope that is empty or contains `,`.
///
/// ```
/// use oidc_host::aws_config::{upsert_sso_session, AwsConfig};
///
/// let before = "# mine\n[profile dev]\nregion = us-west-2\n";
/// let after = upsert_sso_session(
///     before,
///     "my-sso",
///     "https://my-sso-portal.awsapps.com/start",
///     "us-east-1",
///     &["sso:account:access"],
/// )?;
/// assert_eq!(
///     after,
///     "# mine\n[profile dev]\nregion = us-west-2\n\n[sso-session my-sso]\n\
///      sso_start_url = https://my-sso-portal.awsapps.com/start\n\
///      sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
/// );
/// let config = AwsConfig::parse(&after)?;
/// assert_eq!(config.sso_session("my-sso").unwrap().region(), Some("us-east-1"));
/// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
/// ```
pub fn upsert_sso_session<S: AsRef<str>>(
    text: &str,
    name: &str,
    start_url: &str,
    region: &str,
    scopes: &[S],
) -> Result<String, ConfigFileError> {
    check_name("sso-session", name)?;
    check_value("sso_start_url", start_url)?;
    check_value("sso_region", region)?;
    for scope in scopes {
        let scope = scope.as_ref();
        if scope.is_empty() || py_strip(scope) != scope || scope.contains([',', '\n', '\r']) {
            return Err(invalid(
                "a registration scope",
                "it is empty, has surrounding white space, or contains `,` or a line break",
            ));
        }
    }
    let scopes: Vec<&str> = scopes.iter().map(AsRef::as_ref).collect();
    let edits = [
        ("sso_start_url".to_owned(), Some(start_url.to_owned())),
        ("sso_region".to_owned(), Some(region.to_owned())),
        (
            "sso_registration_scopes".to_owned(),
            (!scopes.is_empty()).then(|| scopes.join(", ")),
        ),
    ];
    Ok(upsert(
        text,
        &[SectionEdit {
            target: SectionKind::SsoSession(name.to_owned()),
            new_header: format!("sso-session {}", shlex_quote(name)),
            edits: edits.to_vec(),
        }],
    ))
}

/// Sets `key_values` in profile `name` (`[default]` for `default`, else
/// `[profile NAME]`), editing `text` in place with the rules of
/// [`upsert_sso_session`]. Keys are matched case-insensitively (the AWS
/// CLI lower-cases them); a key given twice takes the later value.
///
/// # Errors
///
/// [`ConfigFileError::InvalidWrite`]: a name with a line break; a key that
/// is empty, has surrounding white space, contains `=`, `:` or a line
/// break, or starts with `[`, `#` or `;`; a value with a line break or
/// surrounding white space.
///
/// ```
/// use oidc_host::aws_config::upsert_profile;
///
/// let before = "[profile dev]\n# note\nregion = us-west-2\noutput = json\n\n[profile other]\n";
/// let after = upsert_profile(before, "dev", &[("region", "eu-west-1"), ("sso_session", "my-sso")])?;
/// assert_eq!(
///     after,
///     "[profile dev]\n# note\nregion = eu-west-1\noutput = json\nsso_session = my-sso\n\n[profile other]\n"
/// );
/// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
/// ```
pub fn upsert_profile(
    text: &str,
    name: &str,
    key_values: &[(&str, &str)],
) -> Result<String, ConfigFileError> {
    Ok(upsert(text, &[profile_edit(name, key_values)?]))
}

/// One profile's keys to set and to remove ([`edit_profiles`]).
pub(crate) struct ProfileEdit<'a> {
    pub(crate) name: &'a str,
    pub(crate) set: Vec<(&'a str, &'a str)>,
    pub(crate) remove: Vec<&'a str>,
}

/// Many profiles' edits in one pass (like [`upsert_profiles`]), each also
/// removing keys.
pub(crate) fn edit_profiles(
    text: &str,
    profiles: &[ProfileEdit<'_>],
) -> Result<String, ConfigFileError> {
    let edits = profiles
        .iter()
        .map(|p| {
            let mut edit = profile_edit(p.name, &p.set)?;
            for key in &p.remove {
                check_key(key)?;
                edit.edits.push(((*key).to_owned(), None));
            }
            Ok(edit)
        })
        .collect::<Result<Vec<_>, ConfigFileError>>()?;
    Ok(upsert(text, &edits))
}

/// A profile's edit, checked.
fn profile_edit<K: AsRef<str>, V: AsRef<str>>(
    name: &str,
    key_values: &[(K, V)],
) -> Result<SectionEdit, ConfigFileError> {
    check_name("profile", name)?;
    for (key, value) in key_values {
        check_key(key.as_ref())?;
        check_value(key.as_ref(), value.as_ref())?;
    }
    let edits: Vec<(String, Option<String>)> = key_values
        .iter()
        .map(|(k, v)| (k.as_ref().to_owned(), Some(v.as_ref().to_owned())))
        .collect();
    let new_header = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {}", shlex_quote(name))
    };
    Ok(SectionEdit {
        target: SectionKind::Profile(name.to_owned()),
        new_header,
        edits,
    })
}

/// Many [`upsert_profile`] calls in one pass: `profiles` is a list of
/// `(name, key_values)`, edited with the rules of [`upsert_profile`], in
/// time linear in the size of `text` plus the edits (one call per profile
/// rescans the whole text each time: quadratic for many profiles).
///
/// A profile named twice gets both edits (the later value of a key
/// wins); new profiles are appended in the order they are first named,
/// each after a blank line. Nothing is returned unless every edit is
/// valid.
///
/// For any `text` the reader accepts ([`AwsConfig::parse`]) the result is
/// byte for byte what calling [`upsert_profile`] for each profile in turn
/// (each on the previous one's output) returns, with one exception that
/// reads the same: when the last line ends with a lone `\r` and the
/// file's line ending is `\n`, one call's appended `\n` turns that `\r`
/// into a `\r\n`, swallowing the blank line before the new section; the
/// batch keeps the blank line. (For text the reader rejects, one call's
/// output may scan differently in the next call; the batch edits what it
/// scanned once.)
///
/// [`AwsConfig::parse`]: super::AwsConfig::parse
///
/// # Errors
///
/// Those of [`upsert_profile`], for the first invalid name, key or value.
///
/// ```
/// use oidc_host::aws_config::{upsert_profile, upsert_profiles};
///
/// let before = "[profile dev]\nregion = us-west-2\n";
/// let roles = [
///     ("dev", [("sso_session", "corp"), ("region", "eu-west-1")]),
///     ("prod", [("sso_session", "corp"), ("region", "eu-west-1")]),
/// ];
/// let after = upsert_profiles(before, &roles)?;
/// assert_eq!(
///     after,
///     "[profile dev]\nregion = eu-west-1\nsso_session = corp\n\n\
///      [profile prod]\nsso_session = corp\nregion = eu-west-1\n"
/// );
/// // The same as one call per profile.
/// let mut one_by_one = before.to_owned();
/// for (name, pairs) in &roles {
///     one_by_one = upsert_profile(&one_by_one, name, pairs)?;
/// }
/// assert_eq!(after, one_by_one);
/// # Ok::<(), oidc_host::aws_config::ConfigFileError>(())
/// ```
pub fn upsert_profiles<N, P, K, V>(
    text: &str,
    profiles: &[(N, P)],
) -> Result<String, ConfigFileError>
where
    N: AsRef<str>,
    P: AsRef<[(K, V)]>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let edits = profiles
        .iter()
        .map(|(name, pairs)| profile_edit(name.as_ref(), pairs.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(upsert(text, &edits))
}

/// Replaces the config file at `path` with `text` atomically (a private
/// temporary file in the same directory, flushed, then renamed over it),
/// creating the directory when missing: a reader never sees half a file.
///
/// # Errors
///
/// [`HostError::Io`](crate::HostError::Io) naming the path.
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), crate::HostError> {
    crate::fs::write_atomic_public(path, text.as_bytes())
}
