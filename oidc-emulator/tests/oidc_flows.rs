//! End-to-end tests of the OIDC operations over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use oidc_emulator::{AuthorizeMode, Emulator, EmulatorConfig, RefreshTokenPolicy};
use serde_json::json;

fn emu() -> Emulator {
    Emulator::start_default().unwrap()
}

#[test]
fn device_flow_happy_path_slow_down_and_reuse() {
    let emu = emu();
    let a = emu.addr();
    let (id, secret) = register(a, &["sso:account:access"]);
    let start = start_device(a, &id, &secret);
    let device_code = start["deviceCode"].as_str().unwrap();
    let user_code = start["userCode"].as_str().unwrap();
    assert!(device_code.len() > 64);
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code
        .chars()
        .filter(|c| *c != '-')
        .all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)));
    assert_eq!(
        start["verificationUri"],
        format!("{}/device", emu.base_url())
    );
    assert_eq!(
        start["verificationUriComplete"],
        format!("{}/device?user_code={user_code}", emu.base_url())
    );
    assert_eq!(start["expiresIn"], 600);
    assert_eq!(start["interval"], 1);
    assert_eq!(emu.pending_user_codes(), vec![user_code.to_string()]);

    // First poll: pending. Immediate second poll: slow_down.
    let r = poll(a, &id, &secret, device_code);
    assert_error(
        &r,
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    );
    assert_eq!(r.json()["error_description"], serde_json::Value::Null);
    let r = poll(a, &id, &secret, device_code);
    assert_error(&r, 400, "SlowDownException", "slow_down");
    // The interval is now 1 + 5 = 6 s: 2 s later is still too fast ...
    emu.advance(Duration::from_secs(2));
    let r = poll(a, &id, &secret, device_code);
    assert_error(&r, 400, "SlowDownException", "slow_down");
    // ... now 11 s; after 12 s the poll is accepted.
    emu.advance(Duration::from_secs(12));
    let r = poll(a, &id, &secret, device_code);
    assert_error(
        &r,
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    );

    assert!(emu.approve(&user_code.to_lowercase().replace('-', "")));
    assert!(!emu.approve(user_code), "already decided");
    assert!(emu.pending_user_codes().is_empty());
    // Approved: token even when polled "too fast".
    let r = poll(a, &id, &secret, device_code);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-amzn-RequestId").is_some());
    let t = r.json();
    assert!(t["accessToken"].as_str().unwrap().len() > 20);
    assert_eq!(t["tokenType"], "Bearer");
    assert_eq!(t["expiresIn"], 3600);
    assert!(
        t["refreshToken"].is_string(),
        "scoped registration gets refresh"
    );
    assert!(t.get("idToken").is_none());

    // Device code is consumed.
    let r = poll(a, &id, &secret, device_code);
    assert_error(&r, 400, "InvalidGrantException", "invalid_grant");
}

#[test]
fn device_flow_deny_expiry_and_wrong_client() {
    let emu = emu();
    let a = emu.addr();
    let (id, secret) = register(a, &[]);
    let (id2, secret2) = register(a, &[]);

    // Deny.
    let s = start_device(a, &id, &secret);
    let dc = s["deviceCode"].as_str().unwrap();
    assert!(emu.deny(s["userCode"].as_str().unwrap()));
    assert_error(
        &poll(a, &id, &secret, dc),
        400,
        "AccessDeniedException",
        "access_denied",
    );

    // Device code of another client / unknown device code.
    let s = start_device(a, &id, &secret);
    let dc = s["deviceCode"].as_str().unwrap();
    assert_error(
        &poll(a, &id2, &secret2, dc),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    assert_error(
        &poll(a, &id, &secret, "nope"),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // Expiry via the emulator clock; approving afterwards is impossible.
    emu.advance(Duration::from_secs(601));
    assert_error(
        &poll(a, &id, &secret, dc),
        400,
        "ExpiredTokenException",
        "expired_token",
    );
    assert!(!emu.approve(s["userCode"].as_str().unwrap()));
    assert!(emu.pending_user_codes().is_empty());

    // Scope-less registration: approved token has no refresh token.
    let s = start_device(a, &id, &secret);
    assert!(emu.approve(s["userCode"].as_str().unwrap()));
    let r = poll(a, &id, &secret, s["deviceCode"].as_str().unwrap());
    assert_eq!(r.status, 200);
    assert!(r.json().get("refreshToken").is_none());

    // Bad client credentials.
    assert_error(
        &poll(a, &id, "wrong", "x"),
        401,
        "InvalidClientException",
        "invalid_client",
    );
    let r = post_json(
        a,
        "/device_authorization",
        &json!({"clientId": id, "clientSecret": "wrong", "startUrl": "https://x"}),
    );
    assert_error(&r, 401, "InvalidClientException", "invalid_client");
    let r = post_json(
        a,
        "/device_authorization",
        &json!({"clientId": id, "clientSecret": secret}),
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");

    // Registration expiry (90 days default).
    emu.advance(Duration::from_secs(91 * 24 * 3600));
    let r = post_json(
        a,
        "/device_authorization",
        &json!({"clientId": id, "clientSecret": secret, "startUrl": "https://x"}),
    );
    assert_error(&r, 401, "InvalidClientException", "invalid_client");
}

#[test]
fn device_flow_config_knobs() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_omit_interval(true)
            .with_interval(3)
            .with_device_code_expires_in(30)
            .with_refresh_tokens(RefreshTokenPolicy::Always)
            .with_access_token_expires_in(120),
    )
    .unwrap();
    let a = emu.addr();
    let (id, secret) = register(a, &[]);
    let s = start_device(a, &id, &secret);
    assert!(s.get("interval").is_none());
    assert_eq!(s["expiresIn"], 30);
    let dc = s["deviceCode"].as_str().unwrap();
    let _ = poll(a, &id, &secret, dc);
    emu.advance(Duration::from_secs(2));
    assert_error(
        &poll(a, &id, &secret, dc),
        400,
        "SlowDownException",
        "slow_down",
    );
    assert!(emu.approve(s["userCode"].as_str().unwrap()));
    let t = poll(a, &id, &secret, dc).json();
    assert_eq!(t["expiresIn"], 120);
    assert!(t["refreshToken"].is_string());
}

#[test]
fn verification_page_allow_and_deny() {
    let emu = emu();
    let a = emu.addr();
    let (id, secret) = register(a, &[]);
    let s = start_device(a, &id, &secret);
    let user_code = s["userCode"].as_str().unwrap();
    let page = get(a, &path_of(s["verificationUriComplete"].as_str().unwrap()));
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.text();
    assert!(html.contains(&format!("value=\"{user_code}\"")));
    assert!(html.contains(
        r#"<button type="submit" id="allow" name="action" value="allow">Allow</button>"#
    ));
    assert!(html.contains(r#"id="deny""#));
    assert!(html.contains(r#"<form method="post" action="/device">"#));
    assert!(!html.contains("<script"));

    let form = format!("user_code={}&action=allow", pct_encode(user_code));
    let r = request(
        a,
        "POST",
        "/device",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains(r#"<p id="result">Request approved</p>"#),
        "{}",
        r.text()
    );
    assert_eq!(
        poll(a, &id, &secret, s["deviceCode"].as_str().unwrap()).status,
        200
    );

    // Deny through the page, with a lower-case code typed by hand.
    let s = start_device(a, &id, &secret);
    let form = format!(
        "user_code={}&action=deny",
        s["userCode"].as_str().unwrap().to_lowercase()
    );
    let r = request(a, "POST", "/device", &[], form.as_bytes());
    assert!(r.text().contains(r#"<p id="result">Request denied</p>"#));
    assert_error(
        &poll(a, &id, &secret, s["deviceCode"].as_str().unwrap()),
        400,
        "AccessDeniedException",
        "access_denied",
    );

    // Unknown code; XSS-ish input is escaped.
    let r = request(
        a,
        "POST",
        "/device",
        &[],
        b"user_code=ZZZZ-ZZZZ&action=allow",
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains(r#"id="result""#));
    let r = get(a, "/device?user_code=%3Cscript%3E");
    assert!(r.text().contains("&lt;script&gt;"));
    assert!(!r.text().contains("<script>"));
    let r = get(a, "/device");
    assert!(r.text().contains(r#"value="""#));
}

#[test]
fn refresh_rotation_revocation_and_expiry() {
    let emu = emu();
    let a = emu.addr();
    let t = emu.issue_token(&["sso:account:access"]);
    assert_eq!(t.expires_in, 3600);

    let r = refresh(a, &t.client_id, &t.client_secret, &t.refresh_token);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let new_rt = v["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_rt, t.refresh_token);
    assert_ne!(v["accessToken"].as_str().unwrap(), t.access_token);
    assert_eq!(v["tokenType"], "Bearer");

    // Old refresh token is rotated out.
    let r = refresh(a, &t.client_id, &t.client_secret, &t.refresh_token);
    assert_error(&r, 400, "InvalidGrantException", "invalid_grant");
    // Unknown token, and another client's token.
    assert_error(
        &refresh(a, &t.client_id, &t.client_secret, "aorNOPE"),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    let other = emu.issue_token(&[]);
    assert_error(
        &refresh(a, &t.client_id, &t.client_secret, &other.refresh_token),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    // Revoked.
    assert!(emu.revoke_refresh_token(&new_rt));
    assert_error(
        &refresh(a, &t.client_id, &t.client_secret, &new_rt),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    // Missing member.
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": t.client_id, "clientSecret": t.client_secret, "grantType": "refresh_token"}),
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");

    // Expired (short lifetime via config).
    let emu2 = Emulator::start(
        EmulatorConfig::default().with_refresh_token_lifetime(Duration::from_secs(100)),
    )
    .unwrap();
    let t2 = emu2.issue_token(&[]);
    emu2.advance(Duration::from_secs(101));
    assert_error(
        &refresh(
            emu2.addr(),
            &t2.client_id,
            &t2.client_secret,
            &t2.refresh_token,
        ),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
}

#[test]
fn create_token_validation() {
    let emu = emu();
    let a = emu.addr();
    let (id, secret) = register(a, &[]);
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": id, "clientSecret": secret, "grantType": "password"}),
    );
    assert_error(
        &r,
        400,
        "UnsupportedGrantTypeException",
        "unsupported_grant_type",
    );
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": id, "clientSecret": secret}),
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT}),
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": 5, "clientSecret": secret, "grantType": DEVICE_GRANT}),
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");
    let r = request(
        a,
        "POST",
        "/token",
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");
    let r = request(a, "POST", "/token", &[], b"[1,2]");
    assert_error(&r, 400, "InvalidRequestException", "invalid_request");
    // Device-only client may not use authorization_code.
    let r = post_json(
        a,
        "/token",
        &json!({"clientId": id, "clientSecret": secret, "grantType": "authorization_code",
                "code": "x", "redirectUri": "http://127.0.0.1/cb", "codeVerifier": "v"}),
    );
    assert_error(
        &r,
        400,
        "UnauthorizedClientException",
        "unauthorized_client",
    );
}

#[test]
fn register_client_validation() {
    let emu = Emulator::start(EmulatorConfig::default().with_invalid_scope("bad:scope")).unwrap();
    let a = emu.addr();
    let ok = post_json(
        a,
        "/client/register",
        &json!({"clientName": "botocore-client-x", "clientType": "public",
                "grantTypes": ["authorization_code", "refresh_token"],
                "redirectUris": ["http://127.0.0.1/oauth/callback"],
                "issuerUrl": "https://my-sso-portal.awsapps.com/start",
                "scopes": ["sso:account:access"]}),
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("Content-Type"), Some("application/json"));
    let v = ok.json();
    let issued = v["clientIdIssuedAt"].as_i64().unwrap();
    let expires = v["clientSecretExpiresAt"].as_i64().unwrap();
    assert_eq!(expires - issued, 90 * 24 * 3600);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((issued - now).abs() < 60, "epoch seconds, not millis");
    assert_eq!(
        v["authorizationEndpoint"],
        format!("{}/authorize", emu.base_url())
    );
    let clients = emu.clients();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].client_name, "botocore-client-x");
    assert_eq!(
        clients[0].redirect_uris,
        vec!["http://127.0.0.1/oauth/callback"]
    );
    assert_eq!(
        clients[0].issuer_url.as_deref(),
        Some("https://my-sso-portal.awsapps.com/start")
    );

    let cases = [
        (
            json!({"clientType": "public"}),
            "InvalidRequestException",
            "invalid_request",
        ),
        (
            json!({"clientName": "x"}),
            "InvalidRequestException",
            "invalid_request",
        ),
        (
            json!({"clientName": "x", "clientType": "confidential"}),
            "InvalidClientMetadataException",
            "invalid_client_metadata",
        ),
        (
            json!({"clientName": "x", "clientType": "public", "grantTypes": ["password"]}),
            "UnsupportedGrantTypeException",
            "unsupported_grant_type",
        ),
        (
            json!({"clientName": "x", "clientType": "public", "grantTypes": ["authorization_code"], "redirectUris": ["/relative"]}),
            "InvalidRedirectUriException",
            "invalid_redirect_uri",
        ),
        (
            json!({"clientName": "x", "clientType": "public", "redirectUris": ["ftp://h/x"]}),
            "InvalidRedirectUriException",
            "invalid_redirect_uri",
        ),
        (
            json!({"clientName": "x", "clientType": "public", "scopes": ["bad:scope"]}),
            "InvalidScopeException",
            "invalid_scope",
        ),
        (
            json!({"clientName": "x", "clientType": "public", "scopes": "notalist"}),
            "InvalidRequestException",
            "invalid_request",
        ),
    ];
    for (body, shape, code) in cases {
        let r = post_json(a, "/client/register", &body);
        assert_error(&r, 400, shape, code);
    }
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn register_pkce(a: std::net::SocketAddr) -> (String, String) {
    let r = post_json(
        a,
        "/client/register",
        &json!({"clientName": "botocore-client-s", "clientType": "public",
                "grantTypes": ["authorization_code", "refresh_token"],
                "redirectUris": ["http://127.0.0.1/oauth/callback"],
                "issuerUrl": "https://x.awsapps.com/start", "scopes": ["sso:account:access"]}),
    );
    let v = r.json();
    (
        v["clientId"].as_str().unwrap().to_string(),
        v["clientSecret"].as_str().unwrap().to_string(),
    )
}

fn authorize_url(client_id: &str, redirect: &str, state: &str) -> String {
    format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        pct_encode(client_id),
        pct_encode(redirect),
        state,
        pct_encode("sso:account:access"),
        CHALLENGE
    )
}

fn exchange(
    a: std::net::SocketAddr,
    id: &str,
    secret: &str,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> Resp {
    post_json(
        a,
        "/token",
        &json!({"grantType": "authorization_code", "clientId": id, "clientSecret": secret,
                "redirectUri": redirect, "codeVerifier": verifier, "code": code}),
    )
}

#[test]
fn authorize_pkce_flow() {
    let emu = emu();
    let a = emu.addr();
    let (id, secret) = register_pkce(a);
    let redirect = "http://127.0.0.1:53127/oauth/callback";
    let state = "3f2c8a9e-6b1d-4c2e-9a7f-0d4b5e6f7a8b";

    let r = get(a, &authorize_url(&id, redirect, state));
    assert_eq!(r.status, 302, "{}", r.text());
    let loc = r.header("Location").unwrap().to_string();
    assert!(
        loc.starts_with("http://127.0.0.1:53127/oauth/callback?code="),
        "{loc}"
    );
    let p = query_params(&loc);
    assert_eq!(param(&p, "state"), Some(state));
    let code = param(&p, "code").unwrap().to_string();

    // Correct verifier → tokens with a refresh token; code is single-use.
    let r = exchange(a, &id, &secret, &code, redirect, VERIFIER);
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    assert!(t["accessToken"].is_string());
    assert!(t["refreshToken"].is_string());
    let r = exchange(a, &id, &secret, &code, redirect, VERIFIER);
    assert_error(&r, 400, "InvalidGrantException", "invalid_grant");

    // Wrong verifier.
    let loc = get(a, &authorize_url(&id, redirect, state))
        .header("Location")
        .unwrap()
        .to_string();
    let code = param(&query_params(&loc), "code").unwrap().to_string();
    let wrong = "A".repeat(64);
    assert_error(
        &exchange(a, &id, &secret, &code, redirect, &wrong),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // Redirect URI mismatch at the token endpoint (different port).
    let loc = get(a, &authorize_url(&id, redirect, state))
        .header("Location")
        .unwrap()
        .to_string();
    let code = param(&query_params(&loc), "code").unwrap().to_string();
    assert_error(
        &exchange(
            a,
            &id,
            &secret,
            &code,
            "http://127.0.0.1:1/oauth/callback",
            VERIFIER,
        ),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // Expired code.
    let loc = get(a, &authorize_url(&id, redirect, state))
        .header("Location")
        .unwrap()
        .to_string();
    let code = param(&query_params(&loc), "code").unwrap().to_string();
    emu.advance(Duration::from_secs(601));
    assert_error(
        &exchange(a, &id, &secret, &code, redirect, VERIFIER),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // Code of another client.
    let (id2, secret2) = register_pkce(a);
    let loc = get(a, &authorize_url(&id, redirect, state))
        .header("Location")
        .unwrap()
        .to_string();
    let code = param(&query_params(&loc), "code").unwrap().to_string();
    assert_error(
        &exchange(a, &id2, &secret2, &code, redirect, VERIFIER),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
}

#[test]
fn authorize_rejections() {
    let emu = emu();
    let a = emu.addr();
    let (id, _) = register_pkce(a);
    let state = "s1";
    // Unregistered redirect: 400 HTML, never a redirect.
    for bad in [
        "http://127.0.0.1:5000/other",
        "http://evil.example.com/oauth/callback",
        "https://127.0.0.1:5000/oauth/callback",
    ] {
        let r = get(a, &authorize_url(&id, bad, state));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.header("Location").is_none());
        assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    }
    let r = get(
        a,
        &authorize_url("unknown-client", "http://127.0.0.1/oauth/callback", state),
    );
    assert_eq!(r.status, 400);
    assert!(r.header("Location").is_none());
    let r = get(a, "/authorize?response_type=code");
    assert_eq!(r.status, 400);

    // Missing PKCE → error redirect.
    let url = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&state=s2",
        pct_encode(&id),
        pct_encode("http://127.0.0.1:4000/oauth/callback")
    );
    let r = get(a, &url);
    assert_eq!(r.status, 302);
    let p = query_params(r.header("Location").unwrap());
    assert_eq!(param(&p, "error"), Some("invalid_request"));
    assert_eq!(param(&p, "state"), Some("s2"));

    // Device-only client → unauthorized_client redirect? It has no redirect
    // URIs, so it gets the 400 page.
    let (dev_id, _) = register(a, &[]);
    let r = get(
        a,
        &authorize_url(&dev_id, "http://127.0.0.1/oauth/callback", state),
    );
    assert_eq!(r.status, 400);

    // Unregistered scope → invalid_scope redirect.
    let url = authorize_url(&id, "http://127.0.0.1:4000/oauth/callback", state)
        .replace("sso%3Aaccount%3Aaccess", "other%3Ascope");
    let p = query_params(get(a, &url).header("Location").unwrap());
    assert_eq!(param(&p, "error"), Some("invalid_scope"));
}

#[test]
fn authorize_auto_deny_and_interactive() {
    let emu =
        Emulator::start(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny))
            .unwrap();
    let a = emu.addr();
    let (id, _) = register_pkce(a);
    let r = get(
        a,
        &authorize_url(&id, "http://127.0.0.1:9/oauth/callback", "st"),
    );
    assert_eq!(r.status, 302);
    let p = query_params(r.header("Location").unwrap());
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert!(param(&p, "error_description").is_some());
    assert_eq!(param(&p, "state"), Some("st"));
    assert!(param(&p, "code").is_none());

    let emu =
        Emulator::start(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::Interactive))
            .unwrap();
    let a = emu.addr();
    let (id, secret) = register_pkce(a);
    let redirect = "http://127.0.0.1:9/oauth/callback";
    let page = get(a, &authorize_url(&id, redirect, "st"));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"id="allow""#) && html.contains(r#"id="deny""#));
    let rid = html
        .split(r#"name="request_id" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = request(
        a,
        "POST",
        "/authorize",
        &[],
        format!("request_id={rid}&action=allow").as_bytes(),
    );
    assert_eq!(r.status, 302);
    let p = query_params(r.header("Location").unwrap());
    assert_eq!(param(&p, "state"), Some("st"));
    let code = param(&p, "code").unwrap();
    assert_eq!(
        exchange(a, &id, &secret, code, redirect, VERIFIER).status,
        200
    );
    // Request id is single use.
    let r = request(
        a,
        "POST",
        "/authorize",
        &[],
        format!("request_id={rid}&action=allow").as_bytes(),
    );
    assert_eq!(r.status, 400);
    // Deny.
    let html = get(a, &authorize_url(&id, redirect, "st2")).text();
    let rid = html
        .split(r#"name="request_id" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = request(
        a,
        "POST",
        "/authorize",
        &[],
        format!("request_id={rid}&action=deny").as_bytes(),
    );
    let p = query_params(r.header("Location").unwrap());
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert_eq!(param(&p, "state"), Some("st2"));
}

/// Marker: sign the request properly with the static test key.
const SIGV4: &str = "sign";
const APP_ARN: &str =
    "arn:aws:portal::123456789012:application/ssoins-1111111111111111/apl-2222222222222222";

fn iam_emu(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_static_credentials(TEST_AKID, TEST_SECRET)).unwrap()
}

/// CreateTokenWithIAM signed with the static test key at the emulator's
/// "now".
fn iam_signed(emu: &Emulator, body: &serde_json::Value) -> Resp {
    let creds = Credentials::new(TEST_AKID, TEST_SECRET);
    let body = body.to_string();
    let headers = sign_headers(
        "POST",
        "/token?aws_iam=t",
        &[("content-type", "application/json")],
        body.as_bytes(),
        &creds,
        "sso-oauth",
        emulator_now(emu),
    );
    request(
        emu.addr(),
        "POST",
        "/token?aws_iam=t",
        &header_refs(&headers),
        body.as_bytes(),
    )
}

fn iam(a: std::net::SocketAddr, auth: Option<&str>, body: &serde_json::Value) -> Resp {
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Amz-Date", "20240101T000000Z"),
    ];
    if let Some(v) = auth {
        headers.push(("Authorization", v));
    }
    request(
        a,
        "POST",
        "/token?aws_iam=t",
        &headers,
        body.to_string().as_bytes(),
    )
}

#[test]
fn create_token_with_iam() {
    let emu = iam_emu(EmulatorConfig::default().with_bad_assertion("bad-jwt"));
    let a = emu.addr();
    let iam = |_: std::net::SocketAddr, auth: Option<&str>, body: &serde_json::Value| match auth {
        Some(SIGV4) => iam_signed(&emu, body),
        other => iam(a, other, body),
    };
    let jwt = json!({"clientId": APP_ARN, "grantType": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                     "assertion": "eyJhbGciOiJSUzI1NiJ9.EXAMPLE.SIG"});

    // Authentication.
    let r = iam(a, None, &jwt);
    assert_eq!(r.status, 403);
    assert_eq!(r.error_type().as_deref(), Some("AccessDeniedException"));
    assert_eq!(r.json()["error"], "access_denied");
    let wrong_service = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc";
    assert_eq!(iam(a, Some(wrong_service), &jwt).status, 403);

    // jwt-bearer.
    let r = iam(a, Some(SIGV4), &jwt);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["tokenType"], "Bearer");
    assert!(v["refreshToken"].is_string());
    assert_eq!(v["idToken"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(v["scope"], json!(["openid", "aws", "sts:identity_context"]));
    assert!(v["awsAdditionalDetails"]["identityContext"].is_string());
    let access = v["accessToken"].as_str().unwrap().to_string();
    let rt = v["refreshToken"].as_str().unwrap().to_string();

    let mut bad = jwt.clone();
    bad["assertion"] = json!("bad-jwt");
    assert_error(
        &iam(a, Some(SIGV4), &bad),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    let mut not_arn = jwt.clone();
    not_arn["clientId"] = json!("plainclient");
    assert_error(
        &iam(a, Some(SIGV4), &not_arn),
        401,
        "InvalidClientException",
        "invalid_client",
    );

    // refresh_token with rotation.
    let body = json!({"clientId": APP_ARN, "grantType": "refresh_token", "refreshToken": rt});
    assert_eq!(iam(a, Some(SIGV4), &body).status, 200);
    assert_error(
        &iam(a, Some(SIGV4), &body),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // token-exchange.
    let te = json!({"clientId": APP_ARN, "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
                    "subjectToken": access,
                    "subjectTokenType": "urn:ietf:params:oauth:token-type:access_token",
                    "requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
                    "scope": ["openid"]});
    let r = iam(a, Some(SIGV4), &te);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["issuedTokenType"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(v["scope"], json!(["openid"]));
    assert!(v.get("refreshToken").is_none());
    let mut te2 = te.clone();
    te2["subjectToken"] = json!("aoaNOTATOKEN");
    assert_error(
        &iam(a, Some(SIGV4), &te2),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );
    let mut te3 = te.clone();
    te3["subjectTokenType"] = json!("urn:bogus");
    assert_error(
        &iam(a, Some(SIGV4), &te3),
        400,
        "InvalidRequestException",
        "invalid_request",
    );
    let mut te4 = te.clone();
    te4["requestedTokenType"] = json!("urn:ietf:params:oauth:token-type:refresh_token");
    let v = iam(a, Some(SIGV4), &te4).json();
    assert_eq!(
        v["issuedTokenType"],
        "urn:ietf:params:oauth:token-type:refresh_token"
    );
    assert!(v["refreshToken"].is_string());
    emu.advance(Duration::from_secs(3601));
    assert_error(
        &iam(a, Some(SIGV4), &te),
        400,
        "InvalidGrantException",
        "invalid_grant",
    );

    // authorization_code for an application ARN (no registration needed).
    let redirect = "https://app.example.com/callback";
    let r = get(a, &authorize_url(APP_ARN, redirect, "s"));
    assert_eq!(r.status, 302, "{}", r.text());
    let code = param(&query_params(r.header("Location").unwrap()), "code")
        .unwrap()
        .to_string();
    let body = json!({"clientId": APP_ARN, "grantType": "authorization_code", "code": code,
                      "redirectUri": redirect, "codeVerifier": VERIFIER});
    let r = iam(a, Some(SIGV4), &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["scope"]
        .as_array()
        .unwrap()
        .contains(&json!("sso:account:access")));

    // Unsupported grant.
    let body = json!({"clientId": APP_ARN, "grantType": DEVICE_GRANT, "deviceCode": "x"});
    assert_error(
        &iam(a, Some(SIGV4), &body),
        400,
        "UnsupportedGrantTypeException",
        "unsupported_grant_type",
    );
    assert_eq!(emu.stats().create_token_with_iam, 14);
}

#[test]
fn create_token_with_iam_wrong_region() {
    let emu = iam_emu(
        EmulatorConfig::default()
            .with_wrong_region("https://oidc.eu-west-1.amazonaws.com", "eu-west-1"),
    );
    let body = json!({"clientId": APP_ARN, "grantType": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x"});
    let r = iam_signed(&emu, &body);
    assert_error(&r, 400, "InvalidRequestRegionException", "invalid_request");
    let v = r.json();
    assert_eq!(v["endpoint"], "https://oidc.eu-west-1.amazonaws.com");
    assert_eq!(v["region"], "eu-west-1");
}
