//! String templates (`"https://{Region}.{PartitionResult#dnsSuffix}"`) and
//! attribute paths (`authSchemes[0].name`), as used by `getAttr`.

use super::value::Value;

/// One step of an attribute path: a field of an object or an index into an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathStep {
    Field(String),
    Index(usize),
}

/// A parsed attribute path such as `a.b[0]` or `[1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Path(Vec<PathStep>);

impl Path {
    /// Parses `field(.field)*` where every field may be followed by `[n]`
    /// suffixes; a path may also start with `[n]`.
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let bad = |why: &str| format!("invalid attribute path `{text}`: {why}");
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let mut steps = Vec::new();
        for (n, part) in text.split('.').enumerate() {
            let (field, mut rest) = match part.find('[') {
                Some(at) => part.split_at(at),
                None => (part, ""),
            };
            if field.is_empty() {
                // Only the very first part may be a bare index (`[0].name`).
                if n > 0 || rest.is_empty() {
                    return Err(bad("empty field name"));
                }
            } else {
                steps.push(PathStep::Field(field.to_owned()));
            }
            while !rest.is_empty() {
                let inner = rest
                    .strip_prefix('[')
                    .and_then(|r| r.split_once(']'))
                    .ok_or_else(|| bad("malformed index"))?;
                let index = inner
                    .0
                    .parse::<usize>()
                    .map_err(|_| bad("index is not a non-negative integer"))?;
                steps.push(PathStep::Index(index));
                rest = inner.1;
            }
        }
        Ok(Path(steps))
    }

    /// Walks the path; a missing field or an index out of range gives `None`
    /// (unset), as does indexing into a value of the wrong shape.
    pub(crate) fn get<'v>(&self, mut value: &'v Value) -> Option<&'v Value> {
        for step in &self.0 {
            value = match (step, value) {
                (PathStep::Field(name), Value::Object(map)) => map.get(name)?,
                (PathStep::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text copied as is (escapes already removed).
    Text(String),
    /// `{Name}`: the string value of a parameter or assigned name.
    Ref(String),
    /// `{Name#path}`: `getAttr(Name, "path")`, which must be a string.
    Attr(String, Path),
}

/// A parsed string template. `{{` and `}}` stand for literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template(pub(crate) Vec<Part>);

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let bad = |why: &str| format!("invalid template `{text}`: {why}");
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(bad("unescaped `}`")),
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') => return Err(bad("`{` inside a placeholder")),
                            Some(c) => inner.push(c),
                            None => return Err(bad("unclosed `{`")),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(placeholder(&inner).map_err(|why| bad(&why))?);
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template(parts))
    }
}

fn placeholder(inner: &str) -> Result<Part, String> {
    let (name, path) = match inner.split_once('#') {
        Some((name, path)) => (name, Some(Path::parse(path)?)),
        None => (inner, None),
    };
    if name.is_empty() {
        return Err("empty placeholder name".to_owned());
    }
    Ok(match path {
        Some(path) => Part::Attr(name.to_owned(), path),
        None => Part::Ref(name.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn parses_paths() {
        let p = Path::parse("a.b[0][2].c").unwrap();
        assert_eq!(
            p.0,
            vec![
                PathStep::Field("a".into()),
                PathStep::Field("b".into()),
                PathStep::Index(0),
                PathStep::Index(2),
                PathStep::Field("c".into()),
            ]
        );
        assert_eq!(Path::parse("[1]").unwrap().0, vec![PathStep::Index(1)]);
        for bad in [
            "", ".", "a.", "a..b", "a[", "a[x]", "a[-1]", "a[0]b", "a.[0]", "[0",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn walks_paths() {
        let mut inner = BTreeMap::new();
        inner.insert("name".to_owned(), Value::String("sigv4".into()));
        let mut outer = BTreeMap::new();
        outer.insert(
            "authSchemes".to_owned(),
            Value::Array(vec![Value::Object(inner)]),
        );
        let v = Value::Object(outer);
        let get = |p: &str| Path::parse(p).unwrap().get(&v).cloned();
        assert_eq!(
            get("authSchemes[0].name"),
            Some(Value::String("sigv4".into()))
        );
        assert_eq!(get("authSchemes[1].name"), None);
        assert_eq!(get("authSchemes.name"), None);
        assert_eq!(get("missing"), None);
        assert_eq!(get("[0]"), None);
    }

    #[test]
    fn parses_templates() {
        let t = Template::parse("https://x-{Region}.{P#dnsSuffix}{{}}").unwrap();
        assert_eq!(
            t.0,
            vec![
                Part::Text("https://x-".into()),
                Part::Ref("Region".into()),
                Part::Text(".".into()),
                Part::Attr("P".into(), Path::parse("dnsSuffix").unwrap()),
                Part::Text("{}".into()),
            ]
        );
        assert_eq!(Template::parse("").unwrap().0, vec![]);
        for bad in ["{", "}", "{}", "{a", "{#x}", "{a#}", "{a{b}}", "x}y"] {
            assert!(Template::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
