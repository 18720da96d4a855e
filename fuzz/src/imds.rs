//! Fuzz target `imds`: the `ImdsCredentials` machine driven by scripted
//! answers.

use std::time::{Duration, Instant, SystemTime};

use oidc_core::imds::{ImdsCredentials, ImdsError};
use oidc_core::step::{operation_name, send_deadline, Step};
use oidc_core::{TimeoutPhase, TransportError, TransportErrorKind};

use super::support::{assert_no_secret, json_str, response};

const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const CREDENTIALS_PATH: &str = "latest/meta-data/iam/security-credentials/";

/// Input: a header line `<attempts> <v1 fallback: 0 or 1> <endpoint>`
/// (attempts 1 to 4, default 1; fallback default on; endpoint default
/// `http://169.254.169.254`), then answers separated by lines `--`: `t`
/// (connection failure), `timeout` (read timeout), `ctimeout` (connect
/// timeout), `poll` (poll while in flight, a driver error), or a response
/// (see [`response`](super::support::response)). When the script runs out,
/// every request gets a connection failure.
///
/// Invariants: no panic; done within `3 × attempts` sends; the first
/// requests are `PUT {endpoint}/latest/api/token` with the TTL header and
/// no token; the role-name `GET` goes to `.../security-credentials/`, the
/// credentials `GET` to that path plus the role name (the first line of
/// the last role answer, 1 to 64 of `[\w+=,.@-]`); every `GET` carries the
/// token of the last 200 token answer (sensitive) or none; each request has
/// the timeout's deadline and an operation name; a success has the role
/// name and the credentials of the last answer's JSON, `imds_v1` exactly
/// when no token was sent; the machine's and the errors' `Debug`/`Display`
/// never show the metadata token or a secret run of the answers'
/// `SecretAccessKey`/`Token`; once done, `poll` says `AlreadyFinished`.
pub fn imds(data: &[u8]) {
    let (header, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let header = String::from_utf8_lossy(header);
    let mut words = header.split_whitespace();
    let attempts = words
        .next()
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(1)
        .clamp(1, 4);
    let v1_fallback = words.next() != Some("0");
    let endpoint = words.next().unwrap_or(ImdsCredentials::DEFAULT_ENDPOINT);
    let script: Vec<&[u8]> = if rest.is_empty() {
        Vec::new()
    } else {
        split_answers(rest)
    };
    let timeout = Duration::from_millis(750);
    let mut machine = match ImdsCredentials::new(endpoint) {
        Ok(m) => m
            .with_attempts(attempts)
            .with_imds_v1_fallback(v1_fallback)
            .with_timeout(timeout),
        Err(e) => {
            assert!(matches!(e, ImdsError::InvalidEndpoint), "{e:?}");
            return;
        }
    };
    let base = if endpoint.ends_with('/') {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/")
    };
    let now = Instant::now();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
    let mut script = script.into_iter();
    let mut sends = 0u32;
    // What the machine has been told: the token and role name it must use.
    let mut token: Option<String> = None;
    let mut role: Option<String> = None;
    let mut phase = 0u8; // 0 token, 1 role name, 2 credentials
    let mut last_body: Vec<u8> = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut allowed: Vec<String> = vec![
        endpoint.to_owned(),
        "1970-01-01T00:00:00Z".into(),
        "9999-12-31T23:59:59Z".into(),
    ];
    let outcome = loop {
        assert!(sends <= 3 * attempts, "more than 3 × attempts sends");
        let step = machine.poll(now, wall);
        let request = match step {
            Step::Send(request) => request,
            Step::WaitUntil(_) => panic!("IMDS waits"),
            Step::Local(none) => match none {},
            Step::Done(result) => break result,
        };
        sends += 1;
        assert!(!machine.is_finished());
        assert_eq!(send_deadline(&request), Some(now + timeout), "deadline");
        let op = operation_name(&request);
        let uri = request.uri().to_string();
        let expected_uri;
        match op {
            "IMDS GetToken" => {
                assert_eq!(phase, 0, "a token request after the token phase");
                assert_eq!(request.method(), http::Method::PUT);
                assert!(request.headers().contains_key(TTL_HEADER));
                assert!(!request.headers().contains_key(TOKEN_HEADER));
                expected_uri = format!("{base}latest/api/token");
            }
            "IMDS GetRoleName" => {
                assert!(phase <= 1, "a role-name request after the role name");
                phase = 1;
                assert_eq!(request.method(), http::Method::GET);
                expected_uri = format!("{base}{CREDENTIALS_PATH}");
            }
            "IMDS GetCredentials" => {
                assert!(phase >= 1, "a credentials request before the role name");
                phase = 2;
                assert_eq!(request.method(), http::Method::GET);
                let role = role.as_deref().expect("a role name before credentials");
                let legal = (1..=64).contains(&role.len())
                    && role.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(b, b'_' | b'+' | b'=' | b',' | b'.' | b'@' | b'-')
                    });
                assert!(legal, "credentials asked for the role name {role:?}");
                expected_uri = format!("{base}{CREDENTIALS_PATH}{role}");
            }
            other => panic!("unknown operation {other:?}"),
        }
        // `http::Uri` may normalise an empty path: compare what it parses.
        let parsed: http::Uri = expected_uri.parse().expect("the expected URI parses");
        assert_eq!(uri, parsed.to_string(), "{op}: the URI");
        if op != "IMDS GetToken" {
            let sent = request.headers().get(TOKEN_HEADER);
            assert_eq!(
                sent.map(|v| v.as_bytes()),
                token.as_deref().map(str::as_bytes),
                "{op}: the token header"
            );
            if let Some(v) = sent {
                assert!(v.is_sensitive(), "the token header is not sensitive");
            }
        }
        let answer = script.next().unwrap_or(b"t");
        match answer {
            b"t" => machine
                .handle_transport_error(now, TransportError::new("x", TransportErrorKind::Connect)),
            b"timeout" | b"ctimeout" => {
                let phase = if answer == b"timeout" {
                    TimeoutPhase::Read
                } else {
                    TimeoutPhase::Connect
                };
                machine.handle_transport_error(now, TransportError::timeout("x", phase, timeout));
            }
            b"poll" => {
                match machine.poll(now, wall) {
                    Step::Done(Err(ImdsError::PolledInFlight)) => {}
                    _ => panic!("polling in flight does not end with PolledInFlight"),
                }
                match machine.poll(now, wall) {
                    Step::Done(Err(ImdsError::AlreadyFinished)) => {}
                    _ => panic!("poll after PolledInFlight"),
                }
                return;
            }
            raw => {
                let response = response(raw);
                let body = response.body();
                let ok = response.status() == 200;
                match op {
                    "IMDS GetToken" if ok => {
                        let valid = !body.is_empty()
                            && body.len() <= 4096
                            && body.iter().all(|b| (0x21..0x7f).contains(b));
                        if valid {
                            token = Some(String::from_utf8_lossy(body).into_owned());
                        }
                    }
                    "IMDS GetRoleName" if ok && !body.is_empty() => {
                        let text = std::str::from_utf8(body).unwrap_or("\u{0}");
                        let first = text.split('\n').next().unwrap_or_default();
                        let first = first.strip_suffix('\r').unwrap_or(first);
                        role = Some(first.to_owned());
                        allowed.push(first.to_owned());
                    }
                    "IMDS GetCredentials" => {
                        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                            for key in ["SecretAccessKey", "Token"] {
                                secrets.extend(json_str(&v, key).map(str::to_owned));
                            }
                            for key in ["Code", "Message"] {
                                allowed.extend(json_str(&v, key).map(str::to_owned));
                            }
                        }
                    }
                    _ => {}
                }
                last_body = body.to_vec();
                machine.handle_response(now, &response);
            }
        }
        let shown = format!("{machine:?}");
        if let Some(token) = &token {
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            assert_no_secret("Debug of the machine", &shown, &[token], &allowed);
        }
    };
    assert!(machine.is_finished());
    let mut hidden: Vec<&str> = secrets.iter().map(String::as_str).collect();
    hidden.extend(token.as_deref());
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    match outcome {
        Ok(found) => {
            assert_eq!(phase, 2, "credentials without asking for them");
            assert_eq!(Some(found.role_name.as_str()), role.as_deref());
            assert_eq!(found.imds_v1, token.is_none(), "imds_v1");
            let json: serde_json::Value =
                serde_json::from_slice(&last_body).expect("a success is JSON");
            let c = &found.credentials;
            assert_eq!(
                json_str(&json, "AccessKeyId"),
                Some(c.access_key_id.as_str())
            );
            assert_eq!(
                json_str(&json, "SecretAccessKey"),
                Some(c.secret_access_key.secret())
            );
            assert_eq!(
                json_str(&json, "Token"),
                c.session_token.as_ref().map(|t| t.secret())
            );
            assert!(c.expires_at.is_some());
            let shown = format!("{found:?}");
            let mut public = allowed.clone();
            public.push(c.access_key_id.as_str());
            assert_no_secret("Debug of the outcome", &shown, &hidden, &public);
        }
        Err(e) => {
            let shown = format!("{e}\n{e:?}");
            assert_no_secret("an IMDS error", &shown, &hidden, &allowed);
            if matches!(e, ImdsError::TokenUnavailable { .. }) {
                assert!(!v1_fallback, "TokenUnavailable with the v1 fallback");
            }
        }
    }
    match machine.poll(now, wall) {
        Step::Done(Err(ImdsError::AlreadyFinished)) => {}
        _ => panic!("poll after done"),
    }
}

/// Splits at lines that are exactly `--`.
fn split_answers(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        let line_end = data[i..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(data.len(), |p| i + p);
        let line = &data[i..line_end];
        if line == b"--" {
            let end = if i == 0 { 0 } else { i - 1 };
            out.push(&data[start..end.max(start)]);
            start = (line_end + 1).min(data.len());
        }
        i = line_end + 1;
    }
    out.push(&data[start..]);
    out
}
