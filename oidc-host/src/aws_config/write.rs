//! Editing the config file's text for `configure`: set keys of one
//! section, leaving every other byte alone.

use std::collections::BTreeMap;

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

/// Sets (or, with `None`, removes) keys in the *effective* section
/// `target` (the last header naming it, as botocore keeps the last), or
/// appends `[new_header]` with them at the end.
fn upsert(
    text: &str,
    target: &SectionKind,
    new_header: &str,
    edits: &[(String, Option<String>)],
) -> String {
    // Later edits of the same key (compared lower-cased) win.
    let mut order: Vec<String> = Vec::new();
    let mut wanted: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for (key, value) in edits {
        let lower = key.to_lowercase();
        if !wanted.contains_key(&lower) {
            order.push(lower.clone());
        }
        wanted.insert(lower, (key.clone(), value.clone()));
    }

    let lines = split_lines(text);
    let eol = lines
        .iter()
        .map(|l| l.end)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let doc = parse::scan(&lines);
    let section = doc
        .sections
        .iter()
        .rev()
        .find(|s| classify(&s.header) == *target);

    let mut out: Vec<(String, String)> = Vec::new();
    let Some(section) = section else {
        out.extend(lines.iter().map(|l| (l.text.to_owned(), l.end.to_owned())));
        if lines.last().is_some_and(|l| !py_strip(l.text).is_empty()) {
            out.push((String::new(), eol.to_owned()));
        }
        out.push((format!("[{new_header}]"), eol.to_owned()));
        for lower in &order {
            if let Some((key, Some(value))) = wanted.get(lower) {
                out.push((format!("{key} = {value}"), eol.to_owned()));
            }
        }
        return join(out, eol);
    };

    // Replacements: first line → (last line, new text or removal).
    let mut replace: BTreeMap<usize, (usize, Option<String>)> = BTreeMap::new();
    let mut present: Vec<&str> = Vec::new();
    for option in &section.options {
        let Some((key, value)) = wanted.get(&option.key) else {
            continue;
        };
        let first = !present.contains(&option.key.as_str());
        present.push(&option.key);
        let new = match value {
            Some(value) if first => Some(format!("{}{key} = {value}", option.indent)),
            _ => None,
        };
        replace.insert(option.line, (option.last_line, new));
    }
    let additions: Vec<String> = order
        .iter()
        .filter(|lower| !present.contains(&lower.as_str()))
        .filter_map(|lower| match wanted.get(lower) {
            Some((key, Some(value))) => Some(format!("{key} = {value}")),
            _ => None,
        })
        .collect();
    // Where new keys go, and their indentation: after the last option
    // (with its own indentation, so the line after cannot become a
    // continuation), or after the header (with the indentation of the
    // next significant line, for the same reason).
    let (insert_after, indent) = match section.options.last() {
        Some(last) => (last.last_line, last.indent.clone()),
        None => {
            let next = lines[section.line + 1..]
                .iter()
                .map(|l| l.text)
                .find(|t| {
                    let s = py_strip(t);
                    !s.is_empty() && !s.starts_with(['#', ';'])
                })
                .map(|t| t[..t.len() - t.trim_start_matches(parse::is_py_space).len()].to_owned())
                .unwrap_or_default();
            (section.line, next)
        }
    };

    let mut i = 0;
    while i < lines.len() {
        let Line { text, end } = lines[i];
        let mut last = i;
        match replace.get(&i) {
            Some((through, new)) => {
                last = *through;
                if let Some(new) = new {
                    out.push((new.clone(), lines[last].end.to_owned()));
                }
            }
            None => out.push((text.to_owned(), end.to_owned())),
        }
        if (i..=last).contains(&insert_after) {
            for addition in &additions {
                out.push((format!("{indent}{addition}"), eol.to_owned()));
            }
        }
        i = last + 1;
    }
    join(out, eol)
}

fn join(lines: Vec<(String, String)>, eol: &str) -> String {
    let count = lines.len();
    let mut text = String::new();
    for (n, (line, end)) in lines.into_iter().enumerate() {
        text.push_str(&line);
        if end.is_empty() && n + 1 < count {
            text.push_str(eol);
        } else {
            text.push_str(&end);
        }
    }
    text
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
        &SectionKind::SsoSession(name.to_owned()),
        &format!("sso-session {}", shlex_quote(name)),
        &edits,
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
    check_name("profile", name)?;
    for (key, value) in key_values {
        check_key(key)?;
        check_value(key, value)?;
    }
    let edits: Vec<(String, Option<String>)> = key_values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
        .collect();
    let header = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {}", shlex_quote(name))
    };
    Ok(upsert(
        text,
        &SectionKind::Profile(name.to_owned()),
        &header,
        &edits,
    ))
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
