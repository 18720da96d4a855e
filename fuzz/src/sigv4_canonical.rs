//! Fuzz target `sigv4_canonical`: `canonical_request` and `sign` on any
//! request and signing parameters.

use std::time::UNIX_EPOCH;

use super::support::{sampled, system_time, Lines};

/// Signs an arbitrary request and checks the signature against its parts.
///
/// Input: the first line is `METHOD URI` (defaults when invalid: `GET`,
/// `https://example.amazonaws.com/`); the second holds whitespace-separated
/// parameters `region=`, `service=`, `time=<unix seconds>`, `akid=`,
/// `secret=`, `token=` (defaults: `us-east-1`, `service`, 1440938160,
/// `AKIDEXAMPLE`, the AWS example key, none) and the flags `sha256`,
/// `nonormalize`, `single` (settings); then `Name: value` header lines up
/// to an empty line (invalid ones are skipped, values may be any bytes);
/// the rest is the body.
///
/// Invariants: `canonical_request` never panics and is deterministic, its
/// first line is the method and its last the payload hash; `sign` is
/// deterministic (two copies signed alike end up with equal headers or the
/// same error; both determinism checks on one input in 8, see
/// [`sampled`](super::support::sampled)); on error the request is unchanged and the error shows
/// neither the secret key nor the session token; on success
/// `Authorization` names the access key, the scope and the signed headers,
/// the signed headers are the fifth line of `canonical_request` of the
/// *signed* request, and recomputing `string_to_sign` from that canonical
/// request, the signing key and `signature` gives exactly the signature
/// sent (so the canonical request `sign` used is the one
/// `canonical_request` shows). `X-Amz-Date` is the signing time and the
/// session token, when any, is sent in `X-Amz-Security-Token`.
pub fn sigv4_canonical(data: &[u8]) {
    use oidc_core::secret::SecretAccessKey;
    use oidc_core::sigv4::{self, PathEncoding, SigningParams, SigningSettings};
    let mut lines = Lines { rest: data };
    let first = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let params_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, uri) = first.split_once(' ').unwrap_or((first.as_str(), ""));
    let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
    let uri = uri
        .parse::<http::Uri>()
        .unwrap_or_else(|_| http::Uri::from_static("https://example.amazonaws.com/"));
    let mut region = "us-east-1";
    let mut service = "service";
    let mut time = 1_440_938_160i64;
    let mut akid = "AKIDEXAMPLE";
    let mut secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let mut token = None;
    let mut settings = SigningSettings::default();
    for word in params_line.split_whitespace() {
        match word.split_once('=') {
            Some(("region", v)) => region = v,
            Some(("service", v)) => service = v,
            Some(("time", v)) => time = v.parse().unwrap_or(time),
            Some(("akid", v)) => akid = v,
            Some(("secret", v)) => secret = v,
            Some(("token", v)) => token = Some(v),
            _ => match word {
                "sha256" => settings = settings.with_content_sha256_header(true),
                "nonormalize" => settings = settings.with_normalize_path(false),
                "single" => settings = settings.with_path_encoding(PathEncoding::Single),
                _ => {}
            },
        }
    }
    let mut request = http::Request::new(Vec::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = http::HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = http::HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            request.headers_mut().append(name, value);
        }
    }
    *request.body_mut() = lines.rest.to_vec();

    // Determinism (of canonical_request and sign) is checked on one input
    // in 8: the second run doubles the hashing, the most costly part.
    let twice = sampled(data, 8);
    // canonical_request on the request as it stands.
    let creq = sigv4::canonical_request(&request, &settings);
    if twice {
        assert_eq!(
            creq,
            sigv4::canonical_request(&request, &settings),
            "canonical_request is not deterministic"
        );
    }
    if let Ok(creq) = &creq {
        let first_line = creq.split('\n').next().unwrap_or_default();
        assert_eq!(first_line, request.method().as_str());
        assert!(creq.ends_with(&sigv4::payload_hash(request.body())));
    }

    let mut credentials = oidc_core::Credentials::new(akid, SecretAccessKey::new(secret));
    if let Some(t) = token {
        credentials = credentials.with_session_token(t);
    }
    let time = system_time(time, 0).unwrap_or(UNIX_EPOCH);
    let params = SigningParams::new(&credentials, region, service, time).with_settings(settings);
    let mut a = request.clone();
    let signed_a = sigv4::sign(&mut a, &params);
    if twice {
        let mut b = request.clone();
        let signed_b = sigv4::sign(&mut b, &params);
        assert_eq!(signed_a, signed_b, "sign is not deterministic");
        if signed_a.is_ok() {
            assert_eq!(a.headers(), b.headers(), "sign is not deterministic");
        }
    }
    match signed_a {
        Err(e) => {
            assert_eq!(
                a.headers(),
                request.headers(),
                "a failed sign changed the request"
            );
            let shown = format!("{e}\n{e:?}");
            for s in [Some(secret), token].into_iter().flatten() {
                assert!(
                    s.len() < 8
                        || !shown.contains(s)
                        || akid.contains(s)
                        || region.contains(s)
                        || service.contains(s)
                        // The error quotes (escaped) what the caller gave.
                        || format!("{akid:?}{region:?}{service:?}").contains(s),
                    "the signing error shows a secret: {shown}"
                );
            }
        }
        Ok(()) => {
            let amz_date = sigv4::amz_date(time).expect("signing succeeded at this time");
            assert_eq!(a.headers()["x-amz-date"], amz_date.as_str());
            if let Some(t) = token {
                let sent = &a.headers()["x-amz-security-token"];
                assert_eq!(sent, t);
                assert!(sent.is_sensitive());
            }
            let authorization = a.headers()[http::header::AUTHORIZATION]
                .to_str()
                .expect("Authorization is ASCII");
            let rest = authorization
                .strip_prefix("AWS4-HMAC-SHA256 Credential=")
                .expect("the algorithm and Credential= start Authorization");
            let (credential, rest) = rest.split_once(", SignedHeaders=").expect("SignedHeaders");
            let (signed_headers, signature) = rest.split_once(", Signature=").expect("Signature");
            assert_eq!(
                credential,
                format!("{akid}/{}/{region}/{service}/aws4_request", &amz_date[..8])
            );
            let creq = sigv4::canonical_request(&a, &settings)
                .expect("a signed request has a canonical request");
            let lines: Vec<&str> = creq.rsplitn(3, '\n').collect();
            assert_eq!(lines.get(1).copied(), Some(signed_headers), "SignedHeaders");
            let sts = sigv4::string_to_sign(&creq, time, region, service)
                .expect("string_to_sign accepts what sign accepted");
            let key = sigv4::signing_key(
                &SecretAccessKey::new(secret),
                &amz_date[..8],
                region,
                service,
            );
            assert_eq!(
                sigv4::signature(&key, &sts),
                signature,
                "the signature is not that of canonical_request of the signed request"
            );
        }
    }
}
