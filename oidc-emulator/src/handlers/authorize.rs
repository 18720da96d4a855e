//! `GET /authorize` (authorization-code + PKCE) and `POST /authorize` (the
//! decision form of the interactive mode).
//!
//! Validation follows RFC 6749 §4.1.2.1: an unknown client or a redirect URI
//! that does not match a registered one yields a `400` HTML page and never a
//! redirect; every other problem is reported to the (validated) redirect URI
//! as `?error=...&error_description=...&state=...`.
//!
//! Registered loopback redirect URIs match port-agnostically (RFC 8252
//! §7.3). Client ids that are ARNs (IAM Identity Center applications, used
//! with CreateTokenWithIAM) need no registration; any absolute http(s)
//! redirect URI is accepted for them and PKCE is optional.

use std::time::Duration;

use crate::config::AuthorizeMode;
use crate::html::{escape, page};
use crate::http::{Request, Response};
use crate::pkce::is_valid_challenge;
use crate::state::{AuthCode, Ctx, PendingAuthorize, GRANT_AUTHORIZATION_CODE};
use crate::urlutil::{append_query, first, parse_pairs, redirect_matches, split_http_url};

fn error_page(message: &str) -> Response {
    let body = format!("<p id=\"error\">{}</p>", escape(message));
    Response::html(400, page("Authorization error", &body)).with_header("Cache-Control", "no-store")
}

fn redirect(location: String) -> Response {
    let body = page(
        "Redirecting",
        &format!("<p><a href=\"{0}\">{0}</a></p>", escape(&location)),
    );
    Response::html(302, body)
        .with_header("Location", location)
        .with_header("Cache-Control", "no-store")
}

fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect(append_query(redirect_uri, &params))
}

/// Issues a code and builds the success redirect.
fn approve(ctx: &Ctx, p: &PendingAuthorize) -> Response {
    let code = ctx.ids.token(48);
    let expires_at = ctx
        .clock
        .now()
        .saturating_add(Duration::from_secs(u64::from(
            ctx.config.auth_code_expires_in,
        )));
    ctx.state().auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: p.client_id.clone(),
            redirect_uri: p.redirect_uri.clone(),
            code_challenge: p.code_challenge.clone(),
            scopes: p.scopes.clone(),
            expires_at,
            used: false,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &p.state {
        params.push(("state", s.as_str()));
    }
    redirect(append_query(&p.redirect_uri, &params))
}

fn deny(p: &PendingAuthorize) -> Response {
    error_redirect(
        &p.redirect_uri,
        "access_denied",
        "The user denied the authorization request",
        p.state.as_deref(),
    )
}

/// `GET /authorize`.
pub(crate) fn get(ctx: &Ctx, req: &Request) -> Response {
    let params = parse_pairs(&req.query);
    let Some(client_id) = first(&params, "client_id").filter(|s| !s.is_empty()) else {
        return error_page("Missing client_id");
    };
    let Some(redirect_uri) = first(&params, "redirect_uri").filter(|s| !s.is_empty()) else {
        return error_page("Missing redirect_uri");
    };
    let state = first(&params, "state");
    let now = ctx.clock.now();

    // Client and redirect URI: failures here are never redirected.
    let is_app_arn = client_id.starts_with("arn:");
    let (client_name, registered_scopes, grant_ok) = if is_app_arn {
        if split_http_url(redirect_uri).is_none() {
            return error_page("Invalid redirect_uri");
        }
        (client_id.to_string(), Vec::new(), true)
    } else {
        let st = ctx.state();
        let Some(client) = st.clients.get(client_id).filter(|c| now < c.expires_at) else {
            return error_page("Unknown or expired client");
        };
        if !client
            .redirect_uris
            .iter()
            .any(|r| redirect_matches(r, redirect_uri))
        {
            return error_page("redirect_uri does not match a registered redirect URI");
        }
        (
            client.client_name.clone(),
            client.scopes.clone(),
            client.allows_grant(GRANT_AUTHORIZATION_CODE),
        )
    };

    let fail =
        |error: &str, description: &str| error_redirect(redirect_uri, error, description, state);
    if first(&params, "response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if !grant_ok {
        return fail(
            "unauthorized_client",
            "Client is not registered for the authorization_code grant",
        );
    }
    let challenge = first(&params, "code_challenge").filter(|c| !c.is_empty());
    let method = first(&params, "code_challenge_method");
    match (challenge, method) {
        (Some(c), Some("S256")) if is_valid_challenge(c) => {}
        (Some(_), Some("S256")) => return fail("invalid_request", "Invalid code_challenge"),
        (Some(_), _) | (None, Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256 together with code_challenge",
            )
        }
        (None, None) if ctx.config.require_pkce && !is_app_arn => {
            return fail("invalid_request", "code_challenge is required")
        }
        (None, None) => {}
    }

    let requested: Vec<String> = first(&params, "scopes")
        .or_else(|| first(&params, "scope"))
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for s in &requested {
        let unregistered = !registered_scopes.is_empty() && !registered_scopes.contains(s);
        if unregistered || ctx.config.invalid_scopes.contains(s) {
            return fail("invalid_scope", &format!("Invalid scope: {s}"));
        }
    }
    let scopes = if requested.is_empty() {
        registered_scopes
    } else {
        requested
    };

    let pending = PendingAuthorize {
        client_id: client_id.to_string(),
        client_name,
        redirect_uri: redirect_uri.to_string(),
        state: state.map(str::to_string),
        code_challenge: challenge.map(str::to_string),
        scopes,
        expires_at: now.saturating_add(Duration::from_secs(u64::from(
            ctx.config.auth_code_expires_in,
        ))),
    };
    match ctx.config.authorize_mode {
        AuthorizeMode::AutoDeny => deny(&pending),
        AuthorizeMode::Interactive => consent_page(ctx, pending),
        _ => approve(ctx, &pending),
    }
}

fn consent_page(ctx: &Ctx, pending: PendingAuthorize) -> Response {
    let request_id = ctx.ids.token(24);
    let body = format!(
        "<p>The application <strong id=\"client\">{}</strong> requests access with scopes \
         <span id=\"scopes\">{}</span>.</p>\n\
         <form method=\"post\" action=\"/authorize\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">\n\
         <button type=\"submit\" id=\"allow\" name=\"action\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" id=\"deny\" name=\"action\" value=\"deny\">Deny</button>\n\
         </form>",
        escape(&pending.client_name),
        escape(&pending.scopes.join(" ")),
        escape(&request_id),
    );
    ctx.state().pending_authorize.insert(request_id, pending);
    Response::html(200, page("Allow access?", &body)).with_header("Cache-Control", "no-store")
}

/// `POST /authorize` with `request_id` and `action` (interactive mode).
pub(crate) fn post(ctx: &Ctx, req: &Request) -> Response {
    let form = parse_pairs(&String::from_utf8_lossy(&req.body));
    let approve_it = match first(&form, "action") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return error_page("Invalid request: choose Allow or Deny"),
    };
    let id = first(&form, "request_id").unwrap_or("");
    let pending = ctx.state().pending_authorize.remove(id);
    match pending {
        Some(p) if ctx.clock.now() < p.expires_at => {
            if approve_it {
                approve(ctx, &p)
            } else {
                deny(&p)
            }
        }
        _ => error_page("Unknown or expired authorization request"),
    }
}
