//! The function library of the rules language. Each function takes its
//! evaluated arguments (`None` = unset) and returns a value or unset; a
//! wrong argument count or type is an error naming the function.

use super::partition::Partitions;
use super::template::Path;
use super::value::{Describe, Value};
use std::collections::BTreeMap;

type Args = [Option<Value>];
type FnResult = Result<Option<Value>, String>;

/// Calls the function `name`. Unknown names are an error, not a panic.
pub(crate) fn call(name: &str, args: &Args, partitions: &Partitions) -> FnResult {
    match name {
        "isSet" => {
            let [a] = arity(name, args)?;
            Ok(Some(Value::Bool(a.is_some())))
        }
        "not" => {
            let [a] = arity(name, args)?;
            Ok(Some(Value::Bool(!boolean(name, a)?)))
        }
        "booleanEquals" => {
            let [a, b] = arity(name, args)?;
            equals(name, a, b, |v| matches!(v, Value::Bool(_)))
        }
        "stringEquals" => {
            let [a, b] = arity(name, args)?;
            equals(name, a, b, |v| matches!(v, Value::String(_)))
        }
        "getAttr" => {
            let [target, path] = arity(name, args)?;
            let path = Path::parse(string(name, path)?)?;
            Ok(target.as_ref().and_then(|t| path.get(t)).cloned())
        }
        "aws.partition" => {
            let [region] = arity(name, args)?;
            optional_string(name, region, |r| partitions.resolve(r))
        }
        "parseURL" => {
            let [url] = arity(name, args)?;
            optional_string(name, url, parse_url)
        }
        "uriEncode" => {
            let [text] = arity(name, args)?;
            optional_string(name, text, |s| Some(Value::String(uri_encode(s))))
        }
        "substring" => {
            let [text, start, stop, reverse] = arity(name, args)?;
            let (start, stop) = (index(name, start)?, index(name, stop)?);
            let reverse = boolean(name, reverse)?;
            optional_string(name, text, |s| {
                substring(s, start, stop, reverse).map(|s| Value::String(s.to_owned()))
            })
        }
        "isValidHostLabel" => {
            let [label, allow_subdomains] = arity(name, args)?;
            let allow_subdomains = boolean(name, allow_subdomains)?;
            optional_string(name, label, |s| {
                Some(Value::Bool(is_valid_host_label(s, allow_subdomains)))
            })
        }
        other => Err(format!("unknown function `{other}`")),
    }
}

fn arity<'a, const N: usize>(name: &str, args: &'a Args) -> Result<&'a [Option<Value>; N], String> {
    args.try_into()
        .map_err(|_| format!("`{name}` takes {N} argument(s), got {}", args.len()))
}

fn type_error(name: &str, want: &str, got: &Option<Value>) -> String {
    format!("`{name}` expects {want}, got {}", Describe(got.as_ref()))
}

fn boolean(name: &str, arg: &Option<Value>) -> Result<bool, String> {
    match arg {
        Some(Value::Bool(b)) => Ok(*b),
        other => Err(type_error(name, "a boolean", other)),
    }
}

fn string<'a>(name: &str, arg: &'a Option<Value>) -> Result<&'a str, String> {
    match arg {
        Some(Value::String(s)) => Ok(s),
        other => Err(type_error(name, "a string", other)),
    }
}

fn index(name: &str, arg: &Option<Value>) -> Result<usize, String> {
    match arg {
        Some(Value::Int(i)) => {
            usize::try_from(*i).map_err(|_| format!("`{name}`: negative index {i}"))
        }
        other => Err(type_error(name, "an integer", other)),
    }
}

/// Applies `f` to a string argument; unset stays unset.
fn optional_string(
    name: &str,
    arg: &Option<Value>,
    f: impl FnOnce(&str) -> Option<Value>,
) -> FnResult {
    match arg {
        None => Ok(None),
        Some(Value::String(s)) => Ok(f(s)),
        other => Err(type_error(name, "a string", other)),
    }
}

/// `booleanEquals` / `stringEquals`: unset equals nothing; a set value of
/// the wrong type is an error.
fn equals(
    name: &str,
    a: &Option<Value>,
    b: &Option<Value>,
    right_type: fn(&Value) -> bool,
) -> FnResult {
    for arg in [a, b] {
        if let Some(v) = arg {
            if !right_type(v) {
                return Err(type_error(name, "matching scalar arguments", arg));
            }
        }
    }
    let equal = matches!((a, b), (Some(x), Some(y)) if x == y);
    Ok(Some(Value::Bool(equal)))
}

/// `parseURL`: an absolute http(s) URL without query or user info becomes
/// `{scheme, authority, path, normalizedPath, isIp}`; anything else is unset.
pub(crate) fn parse_url(text: &str) -> Option<Value> {
    let uri: http::Uri = text.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || text.contains(['?', '#']) || authority.host().is_empty()
    {
        return None;
    }
    // `http::Uri::path` reports "/" for an empty path; the language wants "".
    let after_scheme = text.split_once("://")?.1;
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    let mut normalized = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(path);
    if !normalized.ends_with('/') {
        normalized.push('/');
    }
    let host = authority.host();
    let is_ip = host.starts_with('[') || host.parse::<core::net::Ipv4Addr>().is_ok();
    let fields = [
        ("scheme", Value::String(scheme)),
        ("authority", Value::String(authority.as_str().to_owned())),
        ("path", Value::String(path.to_owned())),
        ("normalizedPath", Value::String(normalized)),
        ("isIp", Value::Bool(is_ip)),
    ];
    Some(Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
    ))
}

/// `uriEncode`: percent-encodes every byte except RFC 3986 unreserved characters.
pub(crate) fn uri_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// `substring`: `[start, stop)` of an ASCII string, counted from the end
/// when `reverse`; unset for non-ASCII input or an out-of-range window.
pub(crate) fn substring(text: &str, start: usize, stop: usize, reverse: bool) -> Option<&str> {
    if !text.is_ascii() || start >= stop || stop > text.len() {
        return None;
    }
    if reverse {
        text.get(text.len() - stop..text.len() - start)
    } else {
        text.get(start..stop)
    }
}

/// `isValidHostLabel`: 1 to 63 ASCII letters, digits or hyphens, not starting
/// with a hyphen; with `allow_subdomains`, every dot-separated label must be valid.
pub(crate) fn is_valid_host_label(text: &str, allow_subdomains: bool) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if allow_subdomains {
        text.split('.').all(label_ok)
    } else {
        label_ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Value> {
        Some(Value::String(v.to_owned()))
    }

    fn b(v: bool) -> Option<Value> {
        Some(Value::Bool(v))
    }

    fn no_partitions() -> Partitions {
        Partitions::from_json_str(r#"{"partitions":[]}"#).unwrap()
    }

    fn run(name: &str, args: &[Option<Value>]) -> FnResult {
        call(name, args, &no_partitions())
    }

    #[test]
    fn core_functions() {
        assert_eq!(run("isSet", &[None]), Ok(b(false)));
        assert_eq!(run("isSet", &[s("")]), Ok(b(true)));
        assert_eq!(run("not", &[b(true)]), Ok(b(false)));
        assert_eq!(run("booleanEquals", &[b(true), b(true)]), Ok(b(true)));
        assert_eq!(run("booleanEquals", &[None, b(false)]), Ok(b(false)));
        assert_eq!(run("stringEquals", &[s("a"), s("a")]), Ok(b(true)));
        assert_eq!(run("stringEquals", &[s("a"), s("b")]), Ok(b(false)));
        assert_eq!(run("stringEquals", &[s("a"), None]), Ok(b(false)));
        assert_eq!(run("aws.partition", &[None]), Ok(None));
        assert_eq!(run("aws.partition", &[s("us-east-1")]), Ok(None));
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let cases: &[(&str, Vec<Option<Value>>, &str)] = &[
            ("nope", vec![], "unknown function `nope`"),
            ("aws.parseArn", vec![s("x")], "unknown function"),
            ("isSet", vec![], "takes 1 argument(s), got 0"),
            ("not", vec![None], "expects a boolean, got unset"),
            ("not", vec![s("x")], "expects a boolean, got string"),
            ("booleanEquals", vec![s("x"), b(true)], "matching scalar"),
            ("stringEquals", vec![b(true), s("x")], "matching scalar"),
            ("getAttr", vec![None, b(true)], "expects a string"),
            ("getAttr", vec![None, s("a..b")], "invalid attribute path"),
            ("aws.partition", vec![b(true)], "expects a string"),
            (
                "substring",
                vec![
                    s("abc"),
                    Some(Value::Int(-1)),
                    Some(Value::Int(2)),
                    b(false),
                ],
                "negative",
            ),
            ("isValidHostLabel", vec![s("a"), None], "expects a boolean"),
        ];
        for (name, args, want) in cases {
            let err = run(name, args).unwrap_err();
            assert!(
                err.contains(want),
                "{name}: {err:?} should contain {want:?}"
            );
        }
    }

    #[test]
    fn get_attr_on_unset_is_unset() {
        assert_eq!(run("getAttr", &[None, s("a")]), Ok(None));
        assert_eq!(run("getAttr", &[s("x"), s("a")]), Ok(None));
    }

    #[test]
    fn parses_urls() {
        let get = |url: &str, field: &str| match parse_url(url) {
            Some(Value::Object(m)) => m.get(field).cloned(),
            _ => None,
        };
        assert_eq!(get("https://example.com", "path"), s(""));
        assert_eq!(get("https://example.com", "normalizedPath"), s("/"));
        assert_eq!(get("https://example.com/a/b", "path"), s("/a/b"));
        assert_eq!(get("https://example.com/a/b", "normalizedPath"), s("/a/b/"));
        assert_eq!(
            get("http://example.com:8443/", "authority"),
            s("example.com:8443")
        );
        assert_eq!(get("HTTPS://example.com", "scheme"), s("https"));
        assert_eq!(get("https://example.com", "isIp"), b(false));
        assert_eq!(get("http://127.0.0.1:80/x", "isIp"), b(true));
        assert_eq!(get("http://[::1]/", "isIp"), b(true));
        for bad in [
            "",
            "example.com",
            "ftp://x.com",
            "https://x.com/?a=b",
            "https://u@x.com",
            "https://x.com/#f",
            "/path",
        ] {
            assert_eq!(parse_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn encodes_uris() {
        assert_eq!(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(uri_encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
        assert_eq!(uri_encode(""), "");
    }

    #[test]
    fn substrings() {
        assert_eq!(substring("abcdef", 0, 4, false), Some("abcd"));
        assert_eq!(substring("abcdef", 0, 4, true), Some("cdef"));
        assert_eq!(substring("abcdef", 2, 2, false), None);
        assert_eq!(substring("abc", 0, 4, false), None);
        assert_eq!(substring("abcé", 0, 2, false), None);
        assert_eq!(
            run(
                "substring",
                &[None, Some(Value::Int(0)), Some(Value::Int(1)), b(false)]
            ),
            Ok(None)
        );
    }

    #[test]
    fn host_labels() {
        assert!(is_valid_host_label("us-east-1", false));
        assert!(is_valid_host_label(&"a".repeat(63), false));
        assert!(!is_valid_host_label(&"a".repeat(64), false));
        assert!(!is_valid_host_label("", false));
        assert!(!is_valid_host_label("-a", false));
        assert!(!is_valid_host_label("a.b", false));
        assert!(is_valid_host_label("a.b", true));
        assert!(!is_valid_host_label("a..b", true));
        assert!(!is_valid_host_label("a_b", true));
    }
}
