//! Fuzz target `credential_process`: `split_command` and `parse_output`.

use oidc_core::credential_process::{parse_output, split_command, CommandLineError};

use super::support::{assert_no_secret, check_written_time, json_str};

/// Fixed text of the error messages that has the shape of a secret run.
const FIXED: &[&str] = &[
    "credential_process:",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
];

/// Input: the first byte selects the function, the rest is its input:
/// an even byte gives the rest (as UTF-8, lossily) to `split_command`, an
/// odd one gives it to `parse_output`. An empty input does both on empty
/// input.
///
/// `split_command`: no panic; a success has a non-empty program; the words
/// quoted back (`'...'`, a `'` as `'"'"'`) and joined by spaces split to
/// the same words; and the outcome does not depend on the text of the
/// words: the line with every character other than quotes, backslash and
/// the four separators replaced by as many `x` as its UTF-8 length gives
/// the same error (position included) or as many words of the same
/// lengths. So no error can quote the line.
///
/// `parse_output`: no panic; a success comes from a JSON object with
/// `Version` 1 whose members are the credentials' (read back by
/// `serde_json`), its `Debug` shows neither the secret key nor the token,
/// and its process-format JSON (written with `serde_json`) parses back to
/// the same credentials (the expiry to the second); no error's `Display`
/// or `Debug` shows a run of 16+ credential characters of the secret key
/// or the session token.
pub fn credential_process(data: &[u8]) {
    match data.split_first() {
        None => {
            split(b"");
            output(b"");
        }
        Some((selector, rest)) if selector % 2 == 0 => split(rest),
        Some((_, rest)) => output(rest),
    }
}

fn split(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    let result = split_command(&line);
    let masked: String = line
        .chars()
        .map(|c| match c {
            '\'' | '"' | '\\' | ' ' | '\t' | '\r' | '\n' => c.to_string(),
            other => "x".repeat(other.len_utf8()),
        })
        .collect();
    let masked_result = split_command(&masked);
    match (&result, &masked_result) {
        (Ok(words), Ok(masked_words)) => {
            let lengths: Vec<usize> = words.iter().map(String::len).collect();
            let masked_lengths: Vec<usize> = masked_words.iter().map(String::len).collect();
            assert_eq!(lengths, masked_lengths, "the split depends on the text");
        }
        (Err(e), Err(m)) => assert_eq!(e, m, "the error depends on the text"),
        other => panic!("the outcome depends on the text: {other:?}"),
    }
    match result {
        Ok(words) => {
            assert!(!words.is_empty() && !words[0].is_empty(), "no program");
            let quoted: Vec<String> = words
                .iter()
                .map(|w| format!("'{}'", w.replace('\'', "'\"'\"'")))
                .collect();
            let again = split_command(&quoted.join(" ")).expect("quoted words split");
            assert_eq!(again, words, "quoting the words does not round-trip");
        }
        Err(e) => {
            let _ = format!("{e}{e:?}");
            if let CommandLineError::UnterminatedQuote { quote, at } = e {
                assert_eq!(
                    line.as_bytes().get(at),
                    Some(&(quote as u8)),
                    "quote offset"
                );
            }
        }
    }
}

fn output(data: &[u8]) {
    let json: Option<serde_json::Value> = serde_json::from_slice(data).ok();
    let member = |key: &str| json.as_ref().and_then(|v| json_str(v, key));
    let secrets: Vec<&str> = ["SecretAccessKey", "SessionToken"]
        .iter()
        .filter_map(|k| member(k))
        .collect();
    match parse_output(data) {
        Ok(credentials) => {
            let json = json.as_ref().expect("a success is JSON");
            assert_eq!(json.get("Version").and_then(|v| v.as_u64()), Some(1));
            assert_eq!(
                member("AccessKeyId"),
                Some(credentials.access_key_id.as_str())
            );
            assert_eq!(
                member("SecretAccessKey"),
                Some(credentials.secret_access_key.secret())
            );
            assert_eq!(
                member("SessionToken"),
                credentials.session_token.as_ref().map(|t| t.secret())
            );
            let account = member("AccountId").filter(|a| !a.is_empty());
            assert_eq!(account, credentials.account_id.as_deref());
            assert_eq!(
                member("Expiration").is_some(),
                credentials.expires_at.is_some()
            );
            let shown = format!("{credentials:?}");
            let public = [credentials.access_key_id.as_str(), account.unwrap_or("")];
            assert_no_secret("Debug of the credentials", &shown, &secrets, &public);
            // Written back in the process format, read back.
            let mut written = serde_json::json!({
                "Version": 1,
                "AccessKeyId": credentials.access_key_id,
                "SecretAccessKey": credentials.secret_access_key.secret(),
            });
            if let Some(token) = &credentials.session_token {
                written["SessionToken"] = token.secret().into();
            }
            if let Some(account) = &credentials.account_id {
                written["AccountId"] = account.as_str().into();
            }
            if let Some(expiry) = credentials.expires_at {
                let t = time::OffsetDateTime::from(expiry);
                written["Expiration"] = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                )
                .into();
            }
            let bytes = serde_json::to_vec(&written).expect("serialisable");
            let again = parse_output(&bytes).expect("written credentials parse back");
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
            match (credentials.expires_at, again.expires_at) {
                (Some(read), Some(written)) => check_written_time(read, written),
                (None, None) => {}
                other => panic!("Expiration lost or invented: {other:?}"),
            }
        }
        Err(e) => {
            let shown = format!("{e}\n{e:?}");
            assert_no_secret("a credential_process error", &shown, &secrets, FIXED);
        }
    }
}
