//! `GET /device` and `POST /device`: the verification page a person uses
//! to approve or deny a device authorization.
//!
//! The page is plain HTML (works without JavaScript): a form that POSTs
//! `application/x-www-form-urlencoded` `user_code=...&action=allow|deny` to
//! `/device`, with buttons `#allow` and `#deny`. The result page has an
//! element `id="result"` saying "Request approved", "Request denied", or why
//! the code was not accepted.

use crate::html::{escape, page};
use crate::http::{Request, Response};
use crate::state::Ctx;
use crate::urlutil::{first, parse_pairs};

fn form(user_code: &str) -> String {
    format!(
        "<p>Confirm that this code matches the one shown on your device.</p>\n\
         <form method=\"post\" action=\"/device\">\n\
         <label for=\"user_code\">Code</label>\n\
         <input type=\"text\" id=\"user_code\" name=\"user_code\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\">\n\
         <button type=\"submit\" id=\"allow\" name=\"action\" value=\"allow\">Allow</button>\n\
         <button type=\"submit\" id=\"deny\" name=\"action\" value=\"deny\">Deny</button>\n\
         </form>",
        escape(user_code)
    )
}

/// `GET /device[?user_code=...]`.
pub(crate) fn get(_ctx: &Ctx, req: &Request) -> Response {
    let params = parse_pairs(&req.query);
    let code = first(&params, "user_code").unwrap_or("");
    Response::html(200, page("Authorize request", &form(code)))
        .with_header("Cache-Control", "no-store")
}

fn result_page(status: u16, message: &str) -> Response {
    let body = format!(
        "<p id=\"result\">{}</p>\n<p><a href=\"/device\">Enter another code</a></p>",
        escape(message)
    );
    Response::html(status, page("Authorize request", &body))
        .with_header("Cache-Control", "no-store")
}

/// `POST /device` with `user_code` and `action`.
pub(crate) fn post(ctx: &Ctx, req: &Request) -> Response {
    let form = parse_pairs(&String::from_utf8_lossy(&req.body));
    let code = first(&form, "user_code").unwrap_or("").trim().to_string();
    let approve = match first(&form, "action") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return result_page(400, "Invalid request: choose Allow or Deny"),
    };
    if code.is_empty() {
        return result_page(400, "Please enter the code shown on your device");
    }
    let now = ctx.clock.now();
    if ctx.state().decide(&code, approve, now) {
        result_page(
            200,
            if approve {
                "Request approved"
            } else {
                "Request denied"
            },
        )
    } else {
        result_page(400, "Unknown, expired or already used code")
    }
}
