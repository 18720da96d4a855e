//! Fuzz target `sts_form_encode`: STS inputs from fuzz data, whose form
//! bodies are canonical and decode back to the members.

use oidc_core::endpoint::Endpoint;
use oidc_core::{Error, Operation};

/// Builds an STS request from the input and checks its form body.
///
/// Input: lines (lossy UTF-8, split at `\n` only). The first line names
/// the operation (`AssumeRole`, `AssumeRoleWithWebIdentity`,
/// `GetFederationToken`, `GetSessionToken`, `DecodeAuthorizationMessage`,
/// `GetCallerIdentity`; otherwise its first byte picks one). The next
/// lines are the members in model order, one per line, `-` (or a missing
/// line) for an absent optional member; lists are `|`-separated, tags
/// `key=value`, provided contexts `providerArn=assertion`, numbers
/// decimal. See [`sts_form_members`] for the order of each operation.
///
/// Invariants: `request` either fails with [`Error::InvalidInput`] whose
/// text never shows a secret member (one [`is_distinctive`]), or gives a
/// `POST /` with the form content type whose body is canonical
/// `application/x-www-form-urlencoded` (only unreserved bytes, `%XX` with
/// upper-case hex for every other byte and never for an unreserved one,
/// one `=` per pair) and decodes, pair by pair and in order, to
/// `Action=<Op>`, `Version=2011-06-15` and the members of the input
/// flattened the awsQuery way (`Name.member.N`, `Name.member.N.field`,
/// `Name=` for an empty list).
pub fn sts_form_encode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let fields: Vec<Option<&str>> = lines.map(|l| (l != "-").then_some(l)).collect();
    let op = match first {
        "AssumeRole"
        | "AssumeRoleWithWebIdentity"
        | "GetFederationToken"
        | "GetSessionToken"
        | "DecodeAuthorizationMessage"
        | "GetCallerIdentity" => first,
        _ => match first.bytes().next().unwrap_or(0) % 6 {
            0 => "AssumeRole",
            1 => "AssumeRoleWithWebIdentity",
            2 => "GetFederationToken",
            3 => "GetSessionToken",
            4 => "DecodeAuthorizationMessage",
            _ => "GetCallerIdentity",
        },
    };
    let field = |i: usize| fields.get(i).copied().flatten();
    let built = sts_form_members(op, &field);
    let endpoint =
        Endpoint::from_url("https://sts.us-east-1.amazonaws.com").expect("a valid endpoint");
    let request = (built.request)(&endpoint);
    match request {
        Err(e) => {
            assert!(
                matches!(e, Error::InvalidInput(_)),
                "{op}: request failed with {e:?}"
            );
            let shown = format!("{e}\n{e:?}");
            for secret in built.secrets.iter().filter(|s| is_distinctive(s)) {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{op}: the error shows the secret {secret:?}: {shown}"
                );
            }
        }
        Ok(request) => {
            assert_eq!(request.method(), http::Method::POST);
            assert_eq!(request.uri().path(), "/");
            assert_eq!(
                request.headers()[http::header::CONTENT_TYPE],
                "application/x-www-form-urlencoded; charset=utf-8"
            );
            let pairs = form_decode_strict(request.body());
            let mut expected = vec![
                ("Action".to_owned(), op.to_owned()),
                ("Version".to_owned(), "2011-06-15".to_owned()),
            ];
            expected.extend(built.pairs);
            assert_eq!(
                pairs, expected,
                "{op}: the body does not decode to the input"
            );
            let shown = format!("{:?}", oidc_core::debug::DebugRequest(&request));
            for secret in built.secrets.iter().filter(|s| is_distinctive(s)) {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{op}: Debug of the request shows the secret {secret:?}"
                );
            }
        }
    }
}

/// A secret value the checks can look for: 8+ characters, a digit, no
/// white space (so it cannot coincide with an operation or member name or
/// a stock phrase of a message, e.g. a token code `AssumeRole`).
fn is_distinctive(secret: &str) -> bool {
    secret.len() >= 8
        && secret.bytes().any(|b| b.is_ascii_digit())
        && !secret.chars().any(char::is_whitespace)
}

type BuildRequest<'a> = Box<dyn Fn(&Endpoint) -> Result<http::Request<Vec<u8>>, Error> + 'a>;

/// An input built from fuzz fields: how to build its request, the pairs
/// its body must decode to (after `Action` and `Version`), and its secret
/// member values.
struct BuiltInput<'a> {
    request: BuildRequest<'a>,
    pairs: Vec<(String, String)>,
    secrets: Vec<String>,
}

/// The expected pairs, written the awsQuery way.
#[derive(Default)]
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn string(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_owned()));
        }
    }
    fn number(&mut self, name: &str, value: Option<u32>) {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_string()));
        }
    }
    fn strings(&mut self, name: &str, values: Option<&[String]>) {
        let Some(values) = values else { return };
        if values.is_empty() {
            self.0.push((name.to_owned(), String::new()));
        }
        for (i, v) in values.iter().enumerate() {
            self.0.push((format!("{name}.member.{}", i + 1), v.clone()));
        }
    }
    fn structures(&mut self, name: &str, items: Option<&[Vec<(&str, String)>]>) {
        let Some(items) = items else { return };
        if items.is_empty() {
            self.0.push((name.to_owned(), String::new()));
        }
        for (i, fields) in items.iter().enumerate() {
            for (field, v) in fields {
                self.0
                    .push((format!("{name}.member.{}.{field}", i + 1), v.clone()));
            }
        }
    }
}

fn list(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| {
        if v.is_empty() {
            Vec::new()
        } else {
            v.split('|').map(str::to_owned).collect()
        }
    })
}

fn key_values(value: Option<&str>) -> Option<Vec<(String, String)>> {
    list(value).map(|items| {
        items
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (item, String::new()),
            })
            .collect()
    })
}

fn number(value: Option<&str>) -> Option<u32> {
    value.and_then(|v| v.trim().parse().ok())
}

/// The input of `op` from the fields, in model order:
///
/// * `AssumeRole`: RoleArn, RoleSessionName, PolicyArns, Policy,
///   DurationSeconds, Tags, TransitiveTagKeys, ExternalId, SerialNumber,
///   TokenCode, SourceIdentity, ProvidedContexts, MinimumSessionTokenSize;
/// * `AssumeRoleWithWebIdentity`: RoleArn, RoleSessionName,
///   WebIdentityToken, ProviderId, PolicyArns, Policy, DurationSeconds,
///   MinimumSessionTokenSize;
/// * `GetFederationToken`: Name, Policy, PolicyArns, DurationSeconds, Tags,
///   MinimumSessionTokenSize;
/// * `GetSessionToken`: DurationSeconds, SerialNumber, TokenCode,
///   MinimumSessionTokenSize;
/// * `DecodeAuthorizationMessage`: EncodedMessage;
/// * `GetCallerIdentity`: nothing.
fn sts_form_members<'a>(op: &str, field: &dyn Fn(usize) -> Option<&'a str>) -> BuiltInput<'a> {
    use oidc_core::secret::TokenCode;
    use oidc_core::sts::{
        assume_role::AssumeRoleInput,
        assume_role_with_web_identity::AssumeRoleWithWebIdentityInput,
        decode_authorization_message::DecodeAuthorizationMessageInput,
        get_caller_identity::GetCallerIdentityInput, get_federation_token::GetFederationTokenInput,
        get_session_token::GetSessionTokenInput, PolicyDescriptor, ProvidedContext, Tag,
    };
    let policy_arns = |i| {
        list(field(i)).map(|arns| {
            arns.into_iter()
                .map(|a| vec![("arn", a)])
                .collect::<Vec<_>>()
        })
    };
    let tags = |i| {
        key_values(field(i)).map(|kv| {
            kv.into_iter()
                .map(|(k, v)| vec![("Key", k), ("Value", v)])
                .collect::<Vec<_>>()
        })
    };
    let descriptors = |items: &Option<Vec<Vec<(&str, String)>>>| {
        items.as_ref().map(|items| {
            items
                .iter()
                .map(|f| PolicyDescriptor::new(f[0].1.clone()))
                .collect::<Vec<_>>()
        })
    };
    let tag_values = |items: &Option<Vec<Vec<(&str, String)>>>| {
        items.as_ref().map(|items| {
            items
                .iter()
                .map(|f| Tag::new(f[0].1.clone(), f[1].1.clone()))
                .collect::<Vec<_>>()
        })
    };
    let mut pairs = Pairs::default();
    let mut secrets = Vec::new();
    let request: BuildRequest<'a> = match op {
        "AssumeRole" => {
            let mut input = AssumeRoleInput::new(field(0).unwrap_or(""), field(1).unwrap_or(""));
            let arns = policy_arns(2);
            let tag_list = tags(5);
            let contexts = key_values(field(11)).map(|kv| {
                kv.into_iter()
                    .map(|(arn, assertion)| {
                        vec![("ProviderArn", arn), ("ContextAssertion", assertion)]
                    })
                    .collect::<Vec<_>>()
            });
            input.policy_arns = descriptors(&arns);
            input.policy = field(3).map(str::to_owned);
            input.duration_seconds = number(field(4));
            input.tags = tag_values(&tag_list);
            input.transitive_tag_keys = list(field(6));
            input.external_id = field(7).map(str::to_owned);
            input.serial_number = field(8).map(str::to_owned);
            input.token_code = field(9).map(TokenCode::new);
            input.source_identity = field(10).map(str::to_owned);
            input.provided_contexts = contexts.as_ref().map(|items| {
                items
                    .iter()
                    .map(|f| ProvidedContext::new(f[0].1.clone(), f[1].1.as_str()))
                    .collect()
            });
            input.minimum_session_token_size = number(field(12));
            pairs.string("RoleArn", field(0).or(Some("")));
            pairs.string("RoleSessionName", field(1).or(Some("")));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.string("Policy", field(3));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.structures("Tags", tag_list.as_deref());
            pairs.strings("TransitiveTagKeys", input.transitive_tag_keys.as_deref());
            pairs.string("ExternalId", field(7));
            pairs.string("SerialNumber", field(8));
            pairs.string("TokenCode", field(9));
            pairs.string("SourceIdentity", field(10));
            pairs.structures("ProvidedContexts", contexts.as_deref());
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.extend(field(9).map(str::to_owned));
            for items in contexts.iter().flatten() {
                secrets.push(items[1].1.clone());
            }
            Box::new(move |e| input.request(e))
        }
        "AssumeRoleWithWebIdentity" => {
            let token = field(2).unwrap_or("");
            let mut input = AssumeRoleWithWebIdentityInput::new(
                field(0).unwrap_or(""),
                field(1).unwrap_or(""),
                token,
            );
            let arns = policy_arns(4);
            input.provider_id = field(3).map(str::to_owned);
            input.policy_arns = descriptors(&arns);
            input.policy = field(5).map(str::to_owned);
            input.duration_seconds = number(field(6));
            input.minimum_session_token_size = number(field(7));
            pairs.string("RoleArn", field(0).or(Some("")));
            pairs.string("RoleSessionName", field(1).or(Some("")));
            pairs.string("WebIdentityToken", Some(token));
            pairs.string("ProviderId", field(3));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.string("Policy", field(5));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.push(token.to_owned());
            Box::new(move |e| input.request(e))
        }
        "GetFederationToken" => {
            let mut input = GetFederationTokenInput::new(field(0).unwrap_or(""));
            let arns = policy_arns(2);
            let tag_list = tags(4);
            input.policy = field(1).map(str::to_owned);
            input.policy_arns = descriptors(&arns);
            input.duration_seconds = number(field(3));
            input.tags = tag_values(&tag_list);
            input.minimum_session_token_size = number(field(5));
            pairs.string("Name", field(0).or(Some("")));
            pairs.string("Policy", field(1));
            pairs.structures("PolicyArns", arns.as_deref());
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.structures("Tags", tag_list.as_deref());
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            Box::new(move |e| input.request(e))
        }
        "GetSessionToken" => {
            let mut input = GetSessionTokenInput::new();
            input.duration_seconds = number(field(0));
            input.serial_number = field(1).map(str::to_owned);
            input.token_code = field(2).map(TokenCode::new);
            input.minimum_session_token_size = number(field(3));
            pairs.number("DurationSeconds", input.duration_seconds);
            pairs.string("SerialNumber", field(1));
            pairs.string("TokenCode", field(2));
            pairs.number("MinimumSessionTokenSize", input.minimum_session_token_size);
            secrets.extend(field(2).map(str::to_owned));
            Box::new(move |e| input.request(e))
        }
        "DecodeAuthorizationMessage" => {
            let input = DecodeAuthorizationMessageInput::new(field(0).unwrap_or(""));
            pairs.string("EncodedMessage", field(0).or(Some("")));
            Box::new(move |e| input.request(e))
        }
        _ => {
            let input = GetCallerIdentityInput::new();
            Box::new(move |e| input.request(e))
        }
    };
    BuiltInput {
        request,
        pairs: pairs.0,
        secrets,
    }
}

/// Decodes a canonical form body (see [`sts_form_encode`]), panicking on
/// anything else.
fn form_decode_strict(body: &[u8]) -> Vec<(String, String)> {
    fn hex(b: u8) -> u8 {
        match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'F' => b - b'A' + 10,
            other => panic!("{:?} is not upper-case hex", char::from(other)),
        }
    }
    fn decode(part: &[u8]) -> String {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let b = part[i];
            if b == b'%' {
                let (Some(&h), Some(&l)) = (part.get(i + 1), part.get(i + 2)) else {
                    panic!("truncated escape in {:?}", String::from_utf8_lossy(part));
                };
                let byte = hex(h) << 4 | hex(l);
                assert!(
                    !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')),
                    "unreserved byte {:?} escaped",
                    char::from(byte)
                );
                out.push(byte);
                i += 3;
            } else {
                assert!(
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'),
                    "byte {b:#04x} is not escaped"
                );
                out.push(b);
                i += 1;
            }
        }
        String::from_utf8(out).expect("a form value decodes to UTF-8")
    }
    body.split(|b| *b == b'&')
        .map(|pair| {
            let mut parts = pair.split(|b| *b == b'=');
            let name = parts.next().unwrap_or_default();
            let value = parts
                .next()
                .unwrap_or_else(|| panic!("pair {:?} has no `=`", String::from_utf8_lossy(pair)));
            assert!(parts.next().is_none(), "pair with two `=`");
            (decode(name), decode(value))
        })
        .collect()
}
