//! The console federation endpoint: `getSigninToken` checks the session's
//! keys against the credentials the emulator issued, `login` checks the
//! sign-in token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use oidc_emulator::{Emulator, EmulatorConfig, REDACTED};
use serde_json::json;

/// Role credentials from the portal: (access key id, secret, session token).
fn role_credentials(emu: &Emulator) -> (String, String, String) {
    let t = emu.issue_token(&["sso:account:access"]);
    let r = request(
        emu.addr(),
        "GET",
        "/federation/credentials?role_name=ReadOnly&account_id=111111111111",
        &[("x-amz-sso_bearer_token", &t.access_token)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let c = &r.json()["roleCredentials"];
    let s = |k: &str| c[k].as_str().unwrap().to_owned();
    (s("accessKeyId"), s("secretAccessKey"), s("sessionToken"))
}

fn get_signin_token(emu: &Emulator, session: &serde_json::Value, extra: &str) -> Resp {
    get(
        emu.addr(),
        &format!(
            "/federation?Action=getSigninToken{extra}&Session={}",
            pct_encode(&session.to_string())
        ),
    )
}

fn login(emu: &Emulator, token: &str, destination: &str) -> Resp {
    get(
        emu.addr(),
        &format!(
            "/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
            pct_encode("https://issuer.example/"),
            pct_encode(destination),
            pct_encode(token)
        ),
    )
}

#[test]
fn issues_and_accepts_sign_in_tokens() {
    let emu = Emulator::start_default().unwrap();
    assert_eq!(
        emu.federation_url(),
        format!("{}/federation", emu.base_url())
    );
    let (id, key, token) = role_credentials(&emu);
    let session = json!({"sessionId": id, "sessionKey": key, "sessionToken": token});
    let r = get_signin_token(&emu, &session, "&SessionDuration=3600");
    assert_eq!(r.status, 200, "{}", r.text());
    let signin = r.json()["SigninToken"].as_str().unwrap().to_owned();
    assert!(signin
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));

    let destination = "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1";
    let page = login(&emu, &signin, destination);
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains(&id), "{text}");
    assert!(text.contains("3600 s"), "{text}");
    assert!(
        text.contains("https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"),
        "{text}"
    );

    let stats = emu.stats();
    assert_eq!(stats.get_signin_token, 1);
    assert_eq!(stats.federation_login, 1);
    let log = emu.requests();
    let sent = log
        .iter()
        .find(|r| r.operation.as_deref() == Some("Federation GetSigninToken"))
        .unwrap();
    assert_eq!(sent.params["Session"], REDACTED);
    let logged_in = log
        .iter()
        .find(|r| r.operation.as_deref() == Some("Federation Login"))
        .unwrap();
    assert_eq!(logged_in.params["SigninToken"], REDACTED);
    assert_eq!(logged_in.status, 200);

    // A token expires after 15 minutes.
    emu.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(login(&emu, &signin, destination).status, 403);
}

#[test]
fn refuses_unknown_wrong_long_term_and_expired_keys() {
    let emu = Emulator::start(
        EmulatorConfig::default().with_static_credentials("AKIASTATICEXAMPLE", "static-secret"),
    )
    .unwrap();
    let (id, key, token) = role_credentials(&emu);

    let unknown = json!({"sessionId": "ASIANOPE", "sessionKey": key, "sessionToken": token});
    assert_eq!(get_signin_token(&emu, &unknown, "").status, 403);
    let wrong_key = json!({"sessionId": id, "sessionKey": "nope", "sessionToken": token});
    assert_eq!(get_signin_token(&emu, &wrong_key, "").status, 403);
    let wrong_token = json!({"sessionId": id, "sessionKey": key, "sessionToken": "nope"});
    let r = get_signin_token(&emu, &wrong_token, "");
    assert_eq!(r.status, 403);
    assert!(!r.text().contains(&key));
    // Long-term keys have no session token: refused, with or without one.
    let long_term = json!({"sessionId": "AKIASTATICEXAMPLE", "sessionKey": "static-secret"});
    let r = get_signin_token(&emu, &long_term, "");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("temporary"), "{}", r.text());
    let long_term = json!({"sessionId": "AKIASTATICEXAMPLE", "sessionKey": "static-secret", "sessionToken": "x"});
    assert_eq!(get_signin_token(&emu, &long_term, "").status, 403);

    let good = json!({"sessionId": id, "sessionKey": key, "sessionToken": token});
    for bad in [
        "&SessionDuration=899",
        "&SessionDuration=43201",
        "&SessionDuration=x",
    ] {
        assert_eq!(get_signin_token(&emu, &good, bad).status, 400, "{bad}");
    }
    assert_eq!(
        get(emu.addr(), "/federation?Action=getSigninToken&Session=%7B").status,
        400
    );
    assert_eq!(get(emu.addr(), "/federation?Action=nope").status, 400);
    assert_eq!(get(emu.addr(), "/federation").status, 400);
    assert_eq!(
        request(emu.addr(), "POST", "/federation", &[], b"").status,
        405
    );

    // Unknown sign-in tokens and bad destinations.
    assert_eq!(
        login(&emu, "not-issued", "https://console.aws.amazon.com/").status,
        403
    );
    let signin = get_signin_token(&emu, &good, "").json()["SigninToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(login(&emu, &signin, "javascript:alert(1)").status, 400);
    assert_eq!(
        login(&emu, &signin, "https://console.aws.amazon.com/").status,
        200
    );

    // Role credentials expire (one hour by default in the emulator).
    emu.advance(Duration::from_secs(13 * 3600));
    let r = get_signin_token(&emu, &good, "");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("expired"), "{}", r.text());
    assert_eq!(emu.stats().get_signin_token, 11);
}
