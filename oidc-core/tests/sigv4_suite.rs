//! The AWS SigV4 test suite, run through `oidc_core::sigv4`.
//!
//! `tests/fixtures/sigv4-test-suite/` is a byte-identical copy of the
//! project's `shared/data/sigv4-test-suite/` (copied into the crate, like
//! `tests/fixtures/endpoint-tests/`, so the crate's tests do not depend on a
//! directory outside it; its `README.md` names the upstream origin and the
//! harness rules followed here).
//!
//! One test walks every case of both formats: the classic one
//! (`<case>/<case>.req|.creq|.sts|.authz`, nested folders included) and
//! `extended-v4/` (`context.json`, `request.txt`, `header-*.txt`). Each
//! `.req` is parsed into an `http::Request<Vec<u8>>`, signed with
//! `sigv4::sign`, and the canonical request, string to sign and
//! `Authorization` header are compared with the expected files. Failures are
//! collected and reported together, naming the case.
//!
//! Harness rules (from the suite's README):
//!
//! * the request target may hold a raw space or raw UTF-8; it is
//!   percent-encoded the way a request serializer would put it on the wire;
//! * the suite's expected canonical paths are ONE encoding of the decoded
//!   path, so its cases are signed with `PathEncoding::Single`; the two
//!   `extended-v4/double-*` cases test the real (default) double encoding;
//! * `get-vanilla-with-session-token` gets its session token from the README
//!   (the classic `.req` has none);
//! * `double-url-encode` and `double-encode-path` have no `context.json`:
//!   fixed inputs and time `20210511T154045Z`; `double-url-encode` is
//!   checked in full (its scope is `us-east-2/lambda`, as its signed request
//!   shows), `double-encode-path` at the canonical-request level only (its
//!   signed request was made with another key id and clock).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oidc_core::sigv4::{self, PathEncoding, SigningParams, SigningSettings};
use oidc_core::Credentials;
use serde_json::Value;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const SERVICE: &str = "service";
/// 2015-08-30T12:36:00Z.
const SUITE_TIME: u64 = 1_440_938_160;
/// 2021-05-11T15:40:45Z, the clock of the two `double-*` cases.
const DOUBLE_TIME: u64 = 1_620_747_645;
const WITH_SESSION_TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

/// Cases not run, each with the reason. Nothing else may be skipped.
const SKIPPED: &[(&str, &str)] = &[(
    "extended-v4/post-sts-header-after",
    "omit_session_token = true: the session token is added after signing and \
     left out of the signature (a few legacy services); this signer always \
     signs the token, as STS and SSO OIDC require",
)];

const TOTAL_CASES: usize = 34 + 40;

struct Case {
    name: String,
    request: http::Request<Vec<u8>>,
    credentials: Credentials,
    region: String,
    service: String,
    time: SystemTime,
    settings: SigningSettings,
    creq: String,
    sts: Option<String>,
    authorization: Option<String>,
}

#[test]
fn aws_sigv4_test_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigv4-test-suite");
    let mut case_dirs = Vec::new();
    collect_case_dirs(&root, &root, &mut case_dirs);
    case_dirs.sort();

    let mut passed = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for (name, dir) in &case_dirs {
        if let Some((_, reason)) = SKIPPED.iter().find(|(skip, _)| skip == name) {
            skipped.push(format!("{name}: {reason}"));
            continue;
        }
        let case = if name.starts_with("extended-v4/") {
            load_extended(name, dir)
        } else {
            load_classic(name, dir)
        };
        match case.and_then(|case| run(&case)) {
            Ok(()) => passed.push(name.clone()),
            Err(why) => failures.push(format!("{name}: {why}")),
        }
    }

    println!(
        "sigv4 suite: {} passed, {} skipped, {} failed, of {} cases",
        passed.len(),
        skipped.len(),
        failures.len(),
        case_dirs.len()
    );
    for skip in &skipped {
        println!("  skipped {skip}");
    }
    assert_eq!(
        case_dirs.len(),
        TOTAL_CASES,
        "expected 34 classic and 40 extended cases"
    );
    assert_eq!(
        skipped.len(),
        SKIPPED.len(),
        "a SKIPPED entry names no case"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        case_dirs.len(),
        failures.join("\n\n")
    );
}

/// Finds every case directory: classic ones hold `<dir name>.req`, extended
/// ones hold `request.txt`. Names are paths relative to the suite root.
fn collect_case_dirs(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    entries.sort();
    for path in entries {
        let base = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        let is_case =
            path.join(format!("{base}.req")).is_file() || path.join("request.txt").is_file();
        if is_case {
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .to_str()
                .expect("UTF-8 path")
                .replace('\\', "/");
            out.push((name, path));
        } else {
            collect_case_dirs(root, &path, out);
        }
    }
}

/// An expected-output file, without `\r` and without trailing newlines
/// (a few upstream files end with one).
fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path)
        .map(|s| s.replace('\r', "").trim_end_matches('\n').to_owned())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_optional(path: &Path) -> Result<Option<String>, String> {
    if path.is_file() {
        read(path).map(Some)
    } else {
        Ok(None)
    }
}

fn suite_settings() -> SigningSettings {
    SigningSettings::default().with_path_encoding(PathEncoding::Single)
}

fn load_classic(name: &str, dir: &Path) -> Result<Case, String> {
    let base = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let file = |ext: &str| dir.join(format!("{base}.{ext}"));
    let raw = fs::read(file("req")).map_err(|e| format!("cannot read .req: {e}"))?;
    let mut credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    if base == "get-vanilla-with-session-token" {
        credentials = credentials.with_session_token(WITH_SESSION_TOKEN);
    }
    Ok(Case {
        name: name.to_owned(),
        request: parse_request(&raw)?,
        credentials,
        region: REGION.to_owned(),
        service: SERVICE.to_owned(),
        time: UNIX_EPOCH + Duration::from_secs(SUITE_TIME),
        settings: suite_settings(),
        creq: read(&file("creq"))?,
        sts: Some(read(&file("sts"))?),
        authorization: Some(read(&file("authz"))?),
    })
}

fn load_extended(name: &str, dir: &Path) -> Result<Case, String> {
    let raw = fs::read(dir.join("request.txt")).map_err(|e| format!("cannot read request: {e}"))?;
    let request = parse_request(&raw)?;
    let creq = read(&dir.join("header-canonical-request.txt"))?;
    let context = match read_optional(&dir.join("context.json"))? {
        Some(text) => text,
        None => {
            // `double-url-encode` / `double-encode-path`: the real double
            // encoding, fixed key, their own clock (see the module docs).
            let mut case = Case {
                name: name.to_owned(),
                request,
                credentials: Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
                region: REGION.to_owned(),
                service: SERVICE.to_owned(),
                time: UNIX_EPOCH + Duration::from_secs(DOUBLE_TIME),
                settings: SigningSettings::default(),
                creq,
                sts: None,
                authorization: None,
            };
            if name == "extended-v4/double-url-encode" {
                // Its string to sign and signed request are consistent with
                // the canonical request: scope `us-east-2/lambda`, as named
                // in its `Authorization` line. (`double-encode-path`'s signed
                // request uses another key id and clock: canonical request
                // only.)
                case.region = "us-east-2".to_owned();
                case.service = "lambda".to_owned();
                case.sts = Some(read(&dir.join("header-string-to-sign.txt"))?);
                case.authorization = Some(authorization_line(dir)?);
            }
            return Ok(case);
        }
    };
    let context: Value =
        serde_json::from_str(&context).map_err(|e| format!("context.json: {e}"))?;
    let text = |v: &Value, what: &str| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("context.json: `{what}` is not a string"))
    };
    let flag = |key: &str| context[key].as_bool().unwrap_or(false);
    if flag("omit_session_token") {
        return Err("omit_session_token is not supported (add it to SKIPPED?)".into());
    }
    let creds = &context["credentials"];
    let mut credentials = Credentials::new(
        text(&creds["access_key_id"], "access_key_id")?,
        text(&creds["secret_access_key"], "secret_access_key")?,
    );
    if let Some(token) = creds["token"].as_str() {
        credentials = credentials.with_session_token(token);
    }
    let timestamp = text(&context["timestamp"], "timestamp")?;
    let time =
        time::OffsetDateTime::parse(&timestamp, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("timestamp: {e}"))?;
    let seconds = u64::try_from(time.unix_timestamp()).map_err(|e| format!("timestamp: {e}"))?;
    let signature = read(&dir.join("header-signature.txt"))?;
    let authorization = authorization_line(dir)?;
    if !authorization.ends_with(&format!("Signature={}", signature.trim())) {
        return Err("header-signature.txt disagrees with header-signed-request.txt".into());
    }
    Ok(Case {
        name: name.to_owned(),
        request,
        credentials,
        region: text(&context["region"], "region")?,
        service: text(&context["service"], "service")?,
        time: UNIX_EPOCH + Duration::from_secs(seconds),
        settings: suite_settings()
            .with_normalize_path(context["normalize"].as_bool().unwrap_or(true))
            .with_content_sha256_header(flag("sign_body")),
        creq,
        sts: Some(read(&dir.join("header-string-to-sign.txt"))?),
        authorization: Some(authorization),
    })
}

/// The `Authorization` value in `header-signed-request.txt`.
fn authorization_line(dir: &Path) -> Result<String, String> {
    read(&dir.join("header-signed-request.txt"))?
        .lines()
        .find_map(|line| {
            line.strip_prefix("Authorization:")
                .or_else(|| line.strip_prefix("authorization:"))
        })
        .map(|value| value.trim().to_owned())
        .ok_or_else(|| "header-signed-request.txt has no Authorization line".to_owned())
}

fn run(case: &Case) -> Result<(), String> {
    let mut request = case.request.clone();
    let params = SigningParams::new(&case.credentials, &case.region, &case.service, case.time)
        .with_settings(case.settings);
    sigv4::sign(&mut request, &params).map_err(|e| format!("sign failed: {e}"))?;

    // `canonical_request` leaves out `authorization`, so on the signed
    // request it shows exactly what was signed.
    let creq = sigv4::canonical_request(&request, &case.settings)
        .map_err(|e| format!("canonical_request failed: {e}"))?;
    let mut problems = Vec::new();
    if creq != case.creq {
        problems.push(format!(
            "canonical request differs\n--- expected\n{}\n--- actual\n{creq}",
            case.creq
        ));
    }
    let sts = sigv4::string_to_sign(&creq, case.time, &case.region, &case.service)
        .map_err(|e| format!("string_to_sign failed: {e}"))?;
    if let Some(expected) = &case.sts {
        if &sts != expected {
            problems.push(format!(
                "string to sign differs\n--- expected\n{expected}\n--- actual\n{sts}"
            ));
        }
    }
    if let Some(expected) = &case.authorization {
        let actual = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("<none>");
        if actual != expected {
            problems.push(format!(
                "authorization differs\n--- expected\n{expected}\n--- actual\n{actual}"
            ));
        }
        // The step functions agree with `sign`.
        let date = sigv4::amz_date(case.time).map_err(|e| e.to_string())?;
        let key = sigv4::signing_key(
            &case.credentials.secret_access_key,
            &date[..8],
            &case.region,
            &case.service,
        );
        let signature = sigv4::signature(&key, &sts);
        if !actual.ends_with(&format!("Signature={signature}")) {
            problems.push(format!(
                "signature() gives {signature}, sign() wrote {actual}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("[{}]\n{}", case.name, problems.join("\n")))
    }
}

/// Parses a raw suite request: request line `METHOD <target> HTTP/1.1`
/// (split at the first and the last space, since the target may hold a raw
/// space), header lines `Name:value` (a line starting with whitespace
/// continues the previous value, joined with one space), a blank line, the
/// body. Header values are kept untrimmed: trimming is the signer's job.
fn parse_request(raw: &[u8]) -> Result<http::Request<Vec<u8>>, String> {
    let (head, body) = match raw.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&raw[..i], &raw[i + 2..]),
        None => (raw, &[][..]),
    };
    let head = std::str::from_utf8(head).map_err(|e| format!("request head: {e}"))?;
    let head = head.replace('\r', "");
    let mut lines = head.trim_end_matches('\n').split('\n');
    let request_line = lines.next().ok_or("empty request")?;
    let (method, rest) = request_line
        .split_once(' ')
        .ok_or("request line without a space")?;
    let (target, _version) = rest
        .rsplit_once(' ')
        .ok_or("request line without an HTTP version")?;

    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers
                .last_mut()
                .ok_or("continuation line before any header")?;
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("header line without a colon: {line:?}"))?;
            headers.push((name.to_owned(), value.to_owned()));
        }
    }

    let mut builder = http::Request::builder()
        .method(method)
        .uri(wire_target(target));
    for (name, value) in &headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(body.to_vec())
        .map_err(|e| format!("cannot build the request: {e}"))
}

/// The target as a serializer sends it: bytes a URI cannot hold raw (space,
/// non-ASCII, controls) percent-encoded, everything else unchanged.
fn wire_target(target: &str) -> String {
    let mut out = String::new();
    for &b in target.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
