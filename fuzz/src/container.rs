//! Fuzz target `container`: `ContainerEndpoint::from_env`, `check_resolved`,
//! `request` and `parse_response`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use oidc_core::container::{self, ContainerEndpoint, ContainerError};

use super::support::{assert_no_secret, check_written_time, json_str, response, Lines};

/// Fixed text of the error messages that has the shape of a secret run.
const FIXED: &[&str] = &[
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
];

/// Input: four lines, then a response (see [`response`]):
///
/// 1. `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (`-` for unset);
/// 2. `AWS_CONTAINER_CREDENTIALS_FULL_URI` (`-` for unset);
/// 3. the authorization token (`-` for none);
/// 4. the addresses the host resolved to, separated by spaces (words that
///    are not addresses are skipped).
///
/// Invariants: no panic; a set relative URI decides alone (the full URI
/// does not matter); an endpoint is http(s) with a host, and plain http
/// without resolution only to loopback, `localhost` or the three container
/// addresses; its `Debug` shows no query; `check_resolved` accepts exactly
/// when no resolution is needed or every address is loopback or a
/// container address (and there is one); `request` is a GET of the URI,
/// accepts exactly printable-ASCII tokens, and carries the token as a
/// sensitive `Authorization` header that the request's `Debug` hides; no
/// error shows the token or the query (errors and `Debug` are the same with
/// the query or the token replaced by as many `x`). `parse_response`: a success is a 200
/// whose body's members are the credentials, whose `Debug` hides the
/// secrets, and that `response_body` writes back to the same credentials
/// (expiry to the second); no error shows a secret run of the body's
/// `SecretAccessKey` or `Token` beyond the service's `code`/`message`.
pub fn container(data: &[u8]) {
    let mut lines = Lines { rest: data };
    let mut line = || {
        let text = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
        (text != "-").then_some(text)
    };
    let relative = line();
    let full = line();
    let token = line();
    let addrs: Vec<IpAddr> = line()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|w| w.parse().ok())
        .collect();
    let rest = lines.rest;
    endpoint(
        relative.as_deref(),
        full.as_deref(),
        token.as_deref(),
        &addrs,
    );
    parse(rest);
}

fn allowed(ip: IpAddr) -> bool {
    ip.is_loopback()
        || ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2))
        || ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23))
        || ip == IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23))
}

fn endpoint(relative: Option<&str>, full: Option<&str>, token: Option<&str>, addrs: &[IpAddr]) {
    let result = ContainerEndpoint::from_env(relative, full);
    if relative.is_some_and(|r| !r.is_empty()) {
        assert_eq!(
            result,
            ContainerEndpoint::from_env(relative, None),
            "the full URI matters although the relative one is set"
        );
    }
    // The same variables with the query (what follows `?`) masked: an
    // error or `Debug` that shows no query is the same for both.
    let mask = |uri: Option<&str>| {
        uri.map(|u| match u.split_once('?') {
            Some((head, query)) => format!("{head}?{}", "x".repeat(query.len())),
            None => u.to_owned(),
        })
    };
    let (relative_masked, full_masked) = (mask(relative), mask(full));
    let masked = ContainerEndpoint::from_env(relative_masked.as_deref(), full_masked.as_deref());
    let endpoint = match result {
        Ok(Some(endpoint)) => endpoint,
        Ok(None) => {
            assert!(relative.is_none_or(str::is_empty) && full.is_none_or(str::is_empty));
            return;
        }
        Err(e) => {
            // (A query that does not parse fails earlier than `x`s.)
            let same_kind = masked
                .as_ref()
                .err()
                .filter(|m| std::mem::discriminant(*m) == std::mem::discriminant(&e));
            if let Some(m) = same_kind {
                assert_eq!(e.to_string(), m.to_string(), "the error shows the query");
                assert_eq!(
                    format!("{e:?}"),
                    format!("{m:?}"),
                    "the error shows the query"
                );
            }
            return;
        }
    };
    let uri = endpoint.uri();
    let scheme = uri.scheme_str();
    assert!(
        matches!(scheme, Some("http" | "https")),
        "scheme {scheme:?}"
    );
    let host = endpoint.host();
    assert!(!host.is_empty(), "empty host");
    if scheme == Some("http") && !endpoint.needs_resolution() {
        let fine = host == "localhost" || host.parse::<IpAddr>().is_ok_and(allowed);
        assert!(fine, "plain http to {host:?} without resolution");
    }
    let shown = format!("{endpoint:?}");
    if let Ok(Some(masked)) = &masked {
        assert_eq!(
            shown,
            format!("{masked:?}"),
            "Debug of the endpoint shows the query"
        );
    }
    let resolved = endpoint.check_resolved(addrs);
    let expected =
        !endpoint.needs_resolution() || (!addrs.is_empty() && addrs.iter().all(|ip| allowed(*ip)));
    assert_eq!(
        resolved.is_ok(),
        expected,
        "check_resolved({addrs:?}) for {shown}"
    );
    if let Err(e) = &resolved {
        assert!(
            matches!(
                e,
                ContainerError::NoAddresses { .. } | ContainerError::NotAllowedHost { .. }
            ),
            "{e:?}"
        );
    }
    match endpoint.request(token) {
        Ok(request) => {
            let printable = token.is_none_or(|t| t.bytes().all(|b| (0x20..0x7f).contains(&b)));
            assert!(printable, "a token with control characters was accepted");
            assert_eq!(request.method(), http::Method::GET);
            assert_eq!(request.uri(), uri);
            let header = request.headers().get(http::header::AUTHORIZATION);
            assert_eq!(header.map(|h| h.as_bytes()), token.map(str::as_bytes));
            if let (Some(header), Some(token)) = (header, token) {
                assert!(header.is_sensitive(), "the token is not sensitive");
                // `Debug` is the same with another token of the length.
                let other = "x".repeat(token.len());
                let masked = endpoint.request(Some(&other)).expect("a printable token");
                assert_eq!(
                    format!("{request:?}"),
                    format!("{masked:?}"),
                    "Debug of the request shows the token"
                );
            }
        }
        Err(e) => {
            assert_eq!(e, ContainerError::InvalidAuthorization);
            let token = token.expect("no token, no error");
            assert!(!token.bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
    }
}

fn parse(data: &[u8]) {
    let response = response(data);
    let json: Option<serde_json::Value> = serde_json::from_slice(response.body()).ok();
    let member = |key: &str| json.as_ref().and_then(|v| json_str(v, key));
    let secrets: Vec<&str> = ["SecretAccessKey", "Token"]
        .iter()
        .filter_map(|k| member(k))
        .collect();
    match container::parse_response(&response) {
        Ok(credentials) => {
            assert_eq!(response.status(), 200, "a success from a non-200");
            assert_eq!(
                member("AccessKeyId"),
                Some(credentials.access_key_id.as_str())
            );
            assert_eq!(
                member("SecretAccessKey"),
                Some(credentials.secret_access_key.secret())
            );
            assert_eq!(
                member("Token"),
                credentials.session_token.as_ref().map(|t| t.secret())
            );
            assert_eq!(member("AccountId"), credentials.account_id.as_deref());
            assert!(credentials.expires_at.is_some(), "no expiry");
            let shown = format!("{credentials:?}");
            let public = [
                credentials.access_key_id.as_str(),
                credentials.account_id.as_deref().unwrap_or(""),
            ];
            assert_no_secret("Debug of the credentials", &shown, &secrets, &public);
            let body = container::response_body(&credentials);
            let served = http::Response::builder()
                .status(200)
                .body(body)
                .expect("a response");
            let again = container::parse_response(&served).expect("response_body parses back");
            assert_eq!(again.access_key_id, credentials.access_key_id);
            assert_eq!(
                again.secret_access_key.secret(),
                credentials.secret_access_key.secret()
            );
            assert_eq!(
                again.session_token.as_ref().map(|t| t.secret()),
                credentials.session_token.as_ref().map(|t| t.secret())
            );
            assert_eq!(again.account_id, credentials.account_id);
            check_written_time(
                credentials.expires_at.expect("an expiry"),
                again.expires_at.expect("an expiry"),
            );
        }
        Err(e) => {
            if let ContainerError::Status { status, .. } = &e {
                assert_eq!(*status, response.status().as_u16());
                assert_ne!(*status, 200);
            }
            assert_eq!(
                e.is_retryable(),
                matches!(
                    e,
                    ContainerError::Status { .. } | ContainerError::InvalidJson { .. }
                )
            );
            let shown = format!("{e}\n{e:?}");
            let mut allowed: Vec<&str> = FIXED.to_vec();
            allowed.extend(member("code"));
            allowed.extend(member("message"));
            assert_no_secret("a container response error", &shown, &secrets, &allowed);
        }
    }
}
