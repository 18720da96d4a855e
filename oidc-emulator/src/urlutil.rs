//! URL helpers: percent-encoding, query / form parsing, a tiny absolute-URL
//! splitter and redirect-URI matching (RFC 8252 loopback rule).

/// Percent-encodes every byte except the RFC 3986 unreserved set.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes (lossy UTF-8). With `plus_as_space`, `+` becomes a
/// space (form encoding). Invalid escapes are kept literally.
pub(crate) fn decode(s: &str, plus_as_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `a=1&b=2` into decoded pairs. `+` is treated as a space, which is
/// right for HTML forms and harmless for the query strings clients send
/// (they encode spaces as `%20`).
pub(crate) fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k, true), decode(v, true)),
            None => (decode(p, true), String::new()),
        })
        .collect()
}

/// First value for `key` in decoded pairs.
pub(crate) fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Parts of an absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts {
    /// Lowercased scheme.
    pub(crate) scheme: String,
    /// Lowercased host (IPv6 literals keep their brackets).
    pub(crate) host: String,
    /// Port, if given explicitly.
    pub(crate) port: Option<u16>,
    /// Path plus query (`/` when empty).
    pub(crate) rest: String,
}

/// Splits an absolute `http`/`https` URL. Rejects fragments, user info,
/// empty hosts, bad ports and whitespace.
pub(crate) fn split_http_url(url: &str) -> Option<UrlParts> {
    if url
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    if rest.contains('#') {
        return None;
    }
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(auth_end);
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(after) = authority.strip_prefix('[') {
        let (h, tail) = after.split_once(']')?;
        let port = match tail {
            "" => None,
            t => Some(t.strip_prefix(':')?.parse::<u16>().ok()?),
        };
        (format!("[{}]", h.to_ascii_lowercase()), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p.parse::<u16>().ok()?)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let rest = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Some(UrlParts {
        scheme,
        host,
        port,
        rest,
    })
}

/// Whether `host` is a loopback literal (or `localhost`).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host == "127.0.0.1" || host == "[::1]" || host == "localhost"
}

/// Whether `requested` matches the registered redirect URI: exact string
/// equality, or — for loopback `http` URIs (RFC 8252 §7.3) — equality of
/// scheme, host, path and query with any port.
pub(crate) fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Some(r), Some(q)) = (split_http_url(registered), split_http_url(requested)) else {
        return false;
    };
    r.scheme == "http"
        && q.scheme == "http"
        && is_loopback_host(&r.host)
        && r.host == q.host
        && r.rest == q.rest
}

/// Appends query parameters to a URL (using `&` when it already has a query).
pub(crate) fn append_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = url.to_string();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_roundtrip() {
        let s = "http://127.0.0.1:53127/oauth/callback a+b";
        let e = encode(s);
        assert_eq!(
            e,
            "http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback%20a%2Bb"
        );
        assert_eq!(decode(&e, false), s);
        assert_eq!(decode("a+b%2", true), "a b%2");
        assert_eq!(decode("%", true), "%");
        assert_eq!(decode("%zz%41", false), "%zzA");
    }

    #[test]
    fn pairs() {
        let p = parse_pairs("a=1&b=x%20y&c&&d=+");
        assert_eq!(first(&p, "a"), Some("1"));
        assert_eq!(first(&p, "b"), Some("x y"));
        assert_eq!(first(&p, "c"), Some(""));
        assert_eq!(first(&p, "d"), Some(" "));
        assert_eq!(first(&p, "e"), None);
    }

    #[test]
    fn url_split() {
        let u = split_http_url("HTTP://127.0.0.1:8080/a?b=c").unwrap();
        assert_eq!(u.scheme, "http");
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, Some(8080));
        assert_eq!(u.rest, "/a?b=c");
        assert!(split_http_url("ftp://x/").is_none());
        assert!(split_http_url("http:///x").is_none());
        assert!(split_http_url("http://x/#f").is_none());
        assert!(split_http_url("http://u@x/").is_none());
        assert!(split_http_url("http://x:99999/").is_none());
        assert!(split_http_url("/relative").is_none());
        let v6 = split_http_url("http://[::1]:80/cb").unwrap();
        assert_eq!(v6.host, "[::1]");
    }

    #[test]
    fn loopback_matching() {
        let reg = "http://127.0.0.1/oauth/callback";
        assert!(redirect_matches(
            reg,
            "http://127.0.0.1:53127/oauth/callback"
        ));
        assert!(redirect_matches(reg, reg));
        assert!(!redirect_matches(reg, "http://127.0.0.1:53127/other"));
        assert!(!redirect_matches(
            reg,
            "http://127.0.0.2:53127/oauth/callback"
        ));
        assert!(!redirect_matches(
            reg,
            "https://127.0.0.1:53127/oauth/callback"
        ));
        assert!(!redirect_matches(
            "https://app.example.com/cb",
            "https://app.example.com:444/cb"
        ));
        assert!(redirect_matches(
            "https://app.example.com/cb",
            "https://app.example.com/cb"
        ));
    }

    #[test]
    fn append() {
        assert_eq!(
            append_query("http://h/cb", &[("code", "a b"), ("state", "s")]),
            "http://h/cb?code=a%20b&state=s"
        );
        assert_eq!(
            append_query("http://h/cb?x=1", &[("c", "d")]),
            "http://h/cb?x=1&c=d"
        );
    }
}
