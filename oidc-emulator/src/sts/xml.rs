//! awsQuery XML output: the `<Op>Response>/<Op>Result>` envelope, the
//! `ErrorResponse` envelope and a small indented element writer.

use crate::http::Response;
use crate::isotime;
use crate::state::IssuedCredential;

/// The fixed STS namespace.
pub(crate) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Escapes text for element content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the members of an `<Op>Result>` element, indented like the
/// service's responses.
#[derive(Debug)]
pub(crate) struct Xml {
    out: String,
    depth: usize,
}

impl Default for Xml {
    fn default() -> Self {
        Xml {
            out: String::new(),
            depth: 2,
        }
    }
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<name>`.
    pub(crate) fn open(&mut self, name: &str) -> &mut Self {
        self.indent();
        self.out.push_str(&format!("<{name}>\n"));
        self.depth += 1;
        self
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.depth -= 1;
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
        self
    }

    /// `<name>text</name>` (escaped).
    pub(crate) fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.indent();
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
        self
    }

    /// A leaf when `text` is present.
    pub(crate) fn opt_leaf(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    /// The `Credentials` structure.
    pub(crate) fn credentials(&mut self, c: &IssuedCredential) -> &mut Self {
        self.open("Credentials")
            .leaf("AccessKeyId", &c.access_key_id)
            .leaf("SecretAccessKey", &c.secret_access_key)
            .leaf(
                "SessionToken",
                c.session_token.as_deref().unwrap_or_default(),
            )
            .leaf(
                "Expiration",
                &isotime::iso8601(c.expires_at_ms.unwrap_or_default().div_euclid(1000)),
            )
            .close("Credentials")
    }

    /// `AssumedRoleUser` from the session's identity.
    pub(crate) fn assumed_role_user(&mut self, c: &IssuedCredential) -> &mut Self {
        self.open("AssumedRoleUser")
            .leaf("AssumedRoleId", &c.user_id)
            .leaf("Arn", &c.arn)
            .close("AssumedRoleUser")
    }
}

/// A 200 `text/xml` response of operation `action`.
pub(crate) fn success(action: &str, request_id: &str, result: &Xml) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">\n  <{action}Result>\n{}  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
        result.out,
        escape(request_id)
    );
    Response::new(200, "text/xml", body)
}

/// An `ErrorResponse` (`Type` is `Receiver` for 5xx, else `Sender`).
pub(crate) fn error(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message),
        escape(request_id)
    );
    Response::new(status, "text/xml", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let mut x = Xml::default();
        x.leaf("Account", "1<2");
        let r = success("GetAccessKeyInfo", "rid", &x);
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.starts_with(
            "<GetAccessKeyInfoResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ));
        assert!(body.contains("<Account>1&lt;2</Account>"));
        assert!(body.contains("<RequestId>rid</RequestId>"));
        let e = error(503, "ServiceUnavailable", "it's down", "rid");
        let body = String::from_utf8(e.body).unwrap();
        assert!(body.contains("<Type>Receiver</Type>"));
        assert!(body.contains("it&apos;s down"));
        assert_eq!(e.status, 503);
    }
}
