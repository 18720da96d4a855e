//! Fuzz target `sts_parse`: every STS operation's `parse`, and no secret
//! shows in an output's or an error's text.

use oidc_core::{retry, Error, Operation, ParseErrorKind};

use super::support::{contains, input_credential_words, response, whole_words};

/// Elements of STS responses whose text the parsers wrap in a secret type.
const STS_SECRET_ELEMENTS: [&str; 3] = ["SecretAccessKey", "SessionToken", "WebIdentityToken"];

/// The shortest run of credential characters the secret checks look for: a
/// shorter value may legitimately coincide with other text.
const SECRET_RUN_MIN: usize = 24;

/// One STS operation's `parse` on a response decoded by [`response`].
///
/// Input: the first byte selects the operation (`a` AssumeRole, `b`
/// AssumeRoleWithSAML, `c` AssumeRoleWithWebIdentity, `d` AssumeRoot, `e`
/// DecodeAuthorizationMessage, `f` GetAccessKeyInfo, `g`
/// GetCallerIdentity, `h` GetDelegatedAccessToken, `i`
/// GetFederationToken, `j` GetSessionToken, `k` GetWebIdentityToken; any
/// other byte `b` the operation `(b - 'a') mod 11`), the rest is the
/// response. One parser per input rather than all eleven: the fuzzer
/// steers the choice, and an input costs one parse instead of eleven.
///
/// The secret property: a *secret run* is a maximal run of at least
/// [`SECRET_RUN_MIN`] credential characters (`A-Z a-z 0-9 - . _ ~ + / = |
/// :`) in the text of a start tag named `SecretAccessKey`, `SessionToken`
/// or `WebIdentityToken` (any prefix) up to the next `<`, i.e. a value the
/// parser wraps in a secret type. Then:
///
/// * on success, `Debug` (`{:?}` and `{:#?}`) of the output shows no
///   secret run that does not also show once every secret member is
///   replaced by the empty string (a secret may legitimately equal the
///   text of a non-secret member);
/// * on error, `Display` and `Debug` of the error show no secret run,
///   unless the run also occurs in the input outside the secret elements
///   (raw, or with the XML entities decoded), e.g. as a request id.
///
/// Besides: no panic, parsing twice gives the same result, the error's
/// status is the response's, a request id comes from a header or the body,
/// service errors are non-2xx with a clean code and scrubbed text (no
/// 32+-character credential-like word, the documented rule), and a parser
/// returns nothing but [`Error::Service`] or [`Error::Parse`].
pub fn sts_parse(data: &[u8]) {
    use oidc_core::secret::{SecretAccessKey, SessionToken, WebIdentityToken};
    use oidc_core::sts::{
        assume_role::AssumeRoleInput, assume_role_with_saml::AssumeRoleWithSamlInput,
        assume_role_with_web_identity::AssumeRoleWithWebIdentityInput,
        assume_root::AssumeRootInput,
        decode_authorization_message::DecodeAuthorizationMessageInput,
        get_access_key_info::GetAccessKeyInfoInput, get_caller_identity::GetCallerIdentityInput,
        get_delegated_access_token::GetDelegatedAccessTokenInput,
        get_federation_token::GetFederationTokenInput, get_session_token::GetSessionTokenInput,
        get_web_identity_token::GetWebIdentityTokenInput,
    };
    fn blank(c: &mut oidc_core::Credentials) {
        c.secret_access_key = SecretAccessKey::new("");
        c.session_token = c.session_token.as_ref().map(|_| SessionToken::new(""));
    }
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let response = response(data);
    // Only the body holds elements (the head is status and headers).
    let body_start = data.len() - response.body().len();
    let secrets = secret_runs(data, body_start, &STS_SECRET_ELEMENTS);
    match selector.wrapping_sub(b'a') % 11 {
        0 => sts_one::<AssumeRoleInput>(&response, &secrets, |o| blank(&mut o.credentials)),
        1 => sts_one::<AssumeRoleWithSamlInput>(&response, &secrets, |o| blank(&mut o.credentials)),
        2 => sts_one::<AssumeRoleWithWebIdentityInput>(&response, &secrets, |o| {
            blank(&mut o.credentials);
        }),
        3 => sts_one::<AssumeRootInput>(&response, &secrets, |o| blank(&mut o.credentials)),
        4 => sts_one::<DecodeAuthorizationMessageInput>(&response, &secrets, |_| {}),
        5 => sts_one::<GetAccessKeyInfoInput>(&response, &secrets, |_| {}),
        6 => sts_one::<GetCallerIdentityInput>(&response, &secrets, |_| {}),
        7 => sts_one::<GetDelegatedAccessTokenInput>(&response, &secrets, |o| {
            blank(&mut o.credentials);
        }),
        8 => sts_one::<GetFederationTokenInput>(&response, &secrets, |o| blank(&mut o.credentials)),
        9 => sts_one::<GetSessionTokenInput>(&response, &secrets, |o| blank(&mut o.credentials)),
        _ => sts_one::<GetWebIdentityTokenInput>(&response, &secrets, |o| {
            o.web_identity_token = WebIdentityToken::new("");
        }),
    }
}

fn sts_one<O: Operation>(
    response: &http::Response<Vec<u8>>,
    secrets: &SecretRuns,
    blank: fn(&mut O::Output),
) where
    O::Output: std::fmt::Debug,
{
    let result = O::parse(response);
    let again = O::parse(response);
    assert_eq!(
        format!("{result:?}"),
        format!("{again:?}"),
        "{}: parsing twice differs",
        O::NAME
    );
    match result {
        Ok(mut output) => {
            assert!(
                response.status().is_success(),
                "{}: output for a non-2xx",
                O::NAME
            );
            let shown = format!("{output:?}\n{output:#?}");
            blank(&mut output);
            let blanked = format!("{output:?}\n{output:#?}");
            for run in &secrets.runs {
                assert!(
                    !shown.contains(run.as_str()) || blanked.contains(run.as_str()),
                    "{}: Debug of the output shows the secret {run:?}: {shown}",
                    O::NAME
                );
            }
        }
        Err(e) => {
            check_query_error(response, &e);
            let shown = format!("{e}\n{e:?}");
            for run in &secrets.runs {
                if !shown.contains(run.as_str()) || secrets.occurs_outside(run) {
                    continue;
                }
                // Text the error shows whatever the secrets say (e.g. an
                // element path that happens to equal a secret) is fine.
                let masked = match O::parse(&self::response(&secrets.masked)) {
                    Ok(_) => String::new(),
                    Err(e) => format!("{e}\n{e:?}"),
                };
                assert!(
                    masked.contains(run.as_str()),
                    "{}: the error shows the secret {run:?}: {shown}",
                    O::NAME
                );
            }
        }
    }
}

/// The invariants of an error parsed from an awsQuery (STS) response.
fn check_query_error(response: &http::Response<Vec<u8>>, error: &Error) {
    let status = response.status().as_u16();
    let message = error.to_string();
    let _ = format!("{error:?}");
    let _ = retry::classify(error);
    assert_eq!(error.status(), Some(status), "error status: {message}");
    if let Some(id) = error.request_id() {
        assert!(!id.is_empty(), "empty request id");
        let in_header = ["x-amzn-requestid", "x-amz-request-id"]
            .iter()
            .flat_map(|name| response.headers().get_all(*name))
            .any(|v| v.as_bytes() == id.as_bytes());
        // From `<RequestId>`: entities are decoded, so only the plain
        // pieces are found verbatim.
        let in_body = id
            .split(|c: char| !c.is_ascii_alphanumeric())
            .all(|piece| contains(response.body(), piece.as_bytes()));
        assert!(
            in_header || in_body,
            "request id {id:?} is neither a header nor in the body"
        );
    }
    match error {
        Error::Service(e) => {
            assert!(!response.status().is_success(), "service error for a 2xx");
            let code = e.code.as_str();
            assert!(!code.is_empty(), "empty error code");
            assert!(
                !code.contains([':', '#']) && code.trim() == code,
                "error code {code:?} is not sanitised"
            );
            let sent = input_credential_words(response);
            for member in [Some(code), e.message.as_deref()].into_iter().flatten() {
                let leaked = whole_words(member).into_iter().find(|w| sent.contains(w));
                if let Some(word) = leaked {
                    panic!("service error shows a credential-like word {word:?}: {message}");
                }
            }
        }
        Error::Parse(e) => {
            if let ParseErrorKind::WrongShape { detail } = &e.kind {
                assert!(
                    !detail.contains('"'),
                    "the detail quotes the body: {detail}"
                );
            }
        }
        other => panic!("a parser returned {other:?}"),
    }
}

/// The secret runs of an input and the input without them.
struct SecretRuns {
    runs: Vec<String>,
    /// The input with the text of the secret elements zeroed.
    outside: Vec<u8>,
    /// `outside` with XML entities decoded (lossy UTF-8).
    outside_decoded: String,
    /// The input with every byte of the secret elements' text replaced by
    /// `x`.
    masked: Vec<u8>,
}

impl SecretRuns {
    fn occurs_outside(&self, run: &str) -> bool {
        contains(&self.outside, run.as_bytes()) || self.outside_decoded.contains(run)
    }
}

fn is_credential_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'|' | b':'
        )
}

/// Finds the text after every start tag (in `data[body_start..]`) whose
/// local name is one of `names`, up to the next `<` (see [`sts_parse`]).
fn secret_runs(data: &[u8], body_start: usize, names: &[&str]) -> SecretRuns {
    let mut outside = data.to_vec();
    let mut masked = data.to_vec();
    let mut runs = Vec::new();
    let mut i = body_start;
    while let Some(offset) = data[i..].iter().position(|&b| b == b'<') {
        let start = i + offset + 1;
        i = start;
        let name_end = data[start..]
            .iter()
            .position(|b| matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n' | b'<'))
            .map_or(data.len(), |p| start + p);
        let name = &data[start..name_end];
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        if !names.iter().any(|n| n.as_bytes() == local) {
            continue;
        }
        let Some(gt) = data[name_end..].iter().position(|b| *b == b'>') else {
            break;
        };
        let gt = name_end + gt;
        if data[..gt].ends_with(b"/") {
            continue;
        }
        let text_start = gt + 1;
        let text_end = data[text_start..]
            .iter()
            .position(|b| *b == b'<')
            .map_or(data.len(), |p| text_start + p);
        for run in data[text_start..text_end].split(|b| !is_credential_char(*b)) {
            if run.len() >= SECRET_RUN_MIN {
                runs.push(String::from_utf8_lossy(run).into_owned());
            }
        }
        outside[text_start..text_end].fill(0);
        masked[text_start..text_end].fill(b'x');
        i = text_end;
    }
    let outside_decoded = decode_xml_entities(&String::from_utf8_lossy(&outside));
    SecretRuns {
        runs,
        outside,
        outside_decoded,
        masked,
    }
}

/// Decodes the five predefined XML entities and numeric character
/// references; anything else is kept.
fn decode_xml_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let name = &rest[1..semi];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "quot" => Some('"'),
                _ => {
                    let n = if let Some(hex) = name.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = name.strip_prefix('#') {
                        dec.parse::<u32>().ok()
                    } else {
                        None
                    };
                    n.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
