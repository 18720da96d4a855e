//! awsQuery form parameters (`Key=value&M.member.1=...`) and the model's
//! constraint checks, reported as the service does:
//! `ValidationError` (400) with `N validation error(s) detected: Value 'x'
//! at 'memberName' failed to satisfy constraint: ...` joined by `; `.

use std::collections::BTreeMap;

use super::StsError;
use crate::urlutil::{first, parse_pairs};

/// Decoded form pairs of a request body.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a form body.
    pub(crate) fn parse(body: &[u8]) -> Params {
        Params {
            pairs: parse_pairs(&String::from_utf8_lossy(body)),
        }
    }

    /// First value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        first(&self.pairs, key)
    }

    /// Elements `M.member.N.<rest>` grouped by N (ascending): for each
    /// element the map rest → value. `None` when the list is absent; `M=`
    /// (an empty list) gives `Some(vec![])`.
    fn elements(&self, name: &str) -> Option<Vec<BTreeMap<String, String>>> {
        let prefix = format!("{name}.member.");
        let mut by_index: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        let mut present = self.get(name).is_some();
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            present = true;
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(i) = index.parse::<u32>() {
                by_index
                    .entry(i)
                    .or_default()
                    .insert(field.to_string(), v.clone());
            }
        }
        present.then(|| by_index.into_values().collect())
    }

    /// A list of strings `M.member.N`.
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        self.elements(name).map(|els| {
            els.into_iter()
                .map(|mut m| m.remove("").unwrap_or_default())
                .collect()
        })
    }

    /// A list of structures `M.member.N.field`: per element the values of
    /// `fields` in order.
    pub(crate) fn struct_list(
        &self,
        name: &str,
        fields: &[&str],
    ) -> Option<Vec<Vec<Option<String>>>> {
        self.elements(name).map(|els| {
            els.into_iter()
                .map(|mut m| fields.iter().map(|f| m.remove(*f)).collect())
                .collect()
        })
    }
}

/// `[\w+=,.@-]` (role session names, source identities, user names).
pub(crate) fn session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// The model's printable-Unicode class of `arnType`.
pub(crate) fn arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// `[\u0009\u000A\u000D\u0020-\u00FF]` (session policies).
pub(crate) fn policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (tag keys and values).
pub(crate) fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// Pattern strings as the model writes them (for messages).
pub(crate) const SESSION_NAME_PATTERN: &str = "[\\w+=,.@-]*";
pub(crate) const ARN_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";
pub(crate) const POLICY_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
pub(crate) const TAG_KEY_PATTERN: &str = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+";
pub(crate) const TAG_VALUE_PATTERN: &str = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*";

/// Collects constraint violations.
#[derive(Debug, Default)]
pub(crate) struct Check {
    errors: Vec<String>,
}

/// A character-class pattern: its text (for messages) and its test.
pub(crate) type Pattern = (&'static str, fn(char) -> bool);

/// A string constraint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub(crate) min: usize,
    pub(crate) max: Option<usize>,
    pub(crate) pattern: Option<Pattern>,
    /// Shown as `***` in messages.
    pub(crate) sensitive: bool,
}

impl Rule {
    /// Length bounds only.
    pub(crate) const fn len(min: usize, max: usize) -> Rule {
        Rule {
            min,
            max: Some(max),
            pattern: None,
            sensitive: false,
        }
    }

    /// Adds a pattern.
    pub(crate) const fn pattern(mut self, text: &'static str, f: fn(char) -> bool) -> Rule {
        self.pattern = Some((text, f));
        self
    }

    /// Without an upper bound.
    pub(crate) const fn unbounded(mut self) -> Rule {
        self.max = None;
        self
    }

    /// Marks the value sensitive.
    pub(crate) const fn sensitive(mut self) -> Rule {
        self.sensitive = true;
        self
    }
}

/// `arnType`.
pub(crate) const ARN: Rule = Rule::len(20, 2048).pattern(ARN_PATTERN, arn_char);
/// `roleSessionNameType` / `sourceIdentityType`.
pub(crate) const SESSION_NAME: Rule =
    Rule::len(2, 64).pattern(SESSION_NAME_PATTERN, session_name_char);

impl Check {
    fn push(&mut self, shown: &str, field: &str, constraint: &str) {
        self.errors.push(format!(
            "Value {shown} at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required member: `Value null ... Member must not be null` when
    /// absent.
    pub(crate) fn required<'a>(&mut self, field: &str, v: Option<&'a str>) -> Option<&'a str> {
        if v.is_none() {
            self.push("null", field, "Member must not be null");
        }
        v
    }

    /// Checks a present string against `rule`.
    pub(crate) fn string(&mut self, field: &str, v: &str, rule: Rule) {
        let shown = if rule.sensitive {
            "'***'".to_string()
        } else {
            format!("'{v}'")
        };
        let n = v.chars().count();
        if n < rule.min {
            self.push(
                &shown,
                field,
                &format!(
                    "Member must have length greater than or equal to {}",
                    rule.min
                ),
            );
        }
        if let Some(max) = rule.max.filter(|m| n > *m) {
            self.push(
                &shown,
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        if let Some((text, f)) = rule.pattern {
            if !v.chars().all(f) {
                self.push(
                    &shown,
                    field,
                    &format!("Member must satisfy regular expression pattern: {text}"),
                );
            }
        }
    }

    /// An optional string member.
    pub(crate) fn opt<'a>(
        &mut self,
        field: &str,
        v: Option<&'a str>,
        rule: Rule,
    ) -> Option<&'a str> {
        if let Some(s) = v {
            self.string(field, s, rule);
        }
        v
    }

    /// A required string member.
    pub(crate) fn req<'a>(
        &mut self,
        field: &str,
        v: Option<&'a str>,
        rule: Rule,
    ) -> Option<&'a str> {
        let v = self.required(field, v);
        self.opt(field, v, rule)
    }

    /// An optional integer member within `min..=max`.
    pub(crate) fn int(&mut self, field: &str, v: Option<&str>, min: i64, max: i64) -> Option<i64> {
        let raw = v?;
        let Ok(n) = raw.trim().parse::<i64>() else {
            self.push(&format!("'{raw}'"), field, "Member must be a valid integer");
            return None;
        };
        if n < min {
            self.push(
                &format!("'{n}'"),
                field,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if n > max {
            self.push(
                &format!("'{n}'"),
                field,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        Some(n)
    }

    /// List size bounds.
    pub(crate) fn list_len(&mut self, field: &str, n: usize, min: usize, max: usize) {
        if n < min {
            self.push(
                "'[...]'",
                field,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if n > max {
            self.push(
                "'[...]'",
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// `Ok` when nothing was violated, else the `ValidationError`.
    pub(crate) fn finish(self) -> Result<(), StsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(StsError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(StsError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// `Tags.member.N.Key/Value`: at most 50, each key 1..128 and value 0..256
/// of the tag pattern.
pub(crate) fn tags(p: &Params, c: &mut Check) -> Vec<(String, String)> {
    let Some(items) = p.struct_list("Tags", &["Key", "Value"]) else {
        return Vec::new();
    };
    c.list_len("tags", items.len(), 0, 50);
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let key = c.req(
            &format!("tags.{n}.member.key"),
            item[0].as_deref(),
            Rule::len(1, 128).pattern(TAG_KEY_PATTERN, tag_char),
        );
        let value = c.req(
            &format!("tags.{n}.member.value"),
            item[1].as_deref(),
            Rule::len(0, 256).pattern(TAG_VALUE_PATTERN, tag_char),
        );
        if let (Some(k), Some(v)) = (key, value) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

/// `PolicyArns.member.N.arn`.
pub(crate) fn policy_arns(p: &Params, c: &mut Check) -> Vec<String> {
    let Some(items) = p.struct_list("PolicyArns", &["arn"]) else {
        return Vec::new();
    };
    c.list_len("policyArns", items.len(), 0, 10);
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            c.opt(
                &format!("policyArns.{}.member.arn", i + 1),
                item[0].as_deref(),
                ARN,
            )
            .map(str::to_string)
        })
        .collect()
}

/// `Policy` (session policy), `max` characters at most when bounded.
pub(crate) fn policy(p: &Params, c: &mut Check, max: Option<usize>) -> Option<String> {
    let mut rule = Rule::len(1, max.unwrap_or(0)).pattern(POLICY_PATTERN, policy_char);
    if max.is_none() {
        rule = rule.unbounded();
    }
    c.opt("policy", p.get("Policy"), rule).map(str::to_string)
}

/// `MinimumSessionTokenSize` (0..4096).
pub(crate) fn min_token_size(p: &Params, c: &mut Check) -> Option<i64> {
    c.int(
        "minimumSessionTokenSize",
        p.get("MinimumSessionTokenSize"),
        0,
        4096,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_structures() {
        let p = Params::parse(
            b"Action=X&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Value=2&TransitiveTagKeys=&Audience.member.1=x%20y",
        );
        let tags = p.struct_list("Tags", &["Key", "Value"]).unwrap();
        assert_eq!(tags[0], vec![Some("a".into()), Some("1".into())]);
        assert_eq!(tags[1], vec![Some("b".into()), Some("2".into())]);
        assert_eq!(p.list("TransitiveTagKeys"), Some(vec![]));
        assert_eq!(p.list("Audience"), Some(vec!["x y".to_string()]));
        assert_eq!(p.list("Nope"), None);
    }

    #[test]
    fn validation_messages() {
        let mut c = Check::default();
        c.req("roleSessionName", Some("x"), SESSION_NAME);
        let e = c.finish().unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"
        );
        let mut c = Check::default();
        c.required("roleArn", None);
        c.int("durationSeconds", Some("60"), 900, 43200);
        let e = c.finish().unwrap_err();
        assert!(e
            .message
            .starts_with("2 validation errors detected: Value null at 'roleArn'"));
        assert!(e.message.contains("; Value '60' at 'durationSeconds'"));
    }
}
