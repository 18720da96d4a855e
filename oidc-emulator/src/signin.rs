//! The console federation endpoint (`signin.aws.amazon.com/federation`):
//! `GET /federation?Action=getSigninToken&Session=<JSON>` trades temporary
//! credentials the emulator issued for a sign-in token, and
//! `GET /federation?Action=login&...&SigninToken=<token>` "signs in" with
//! it (a small HTML page naming the identity and the destination).

use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::html;
use crate::http::{Request, Response};
use crate::state::Ctx;
use crate::urlutil::{first, parse_pairs};

/// How long a sign-in token is good for (AWS: 15 minutes).
pub(crate) const SIGNIN_TOKEN_LIFETIME_MS: i64 = 15 * 60 * 1000;

/// What the emulator remembers of a sign-in token it issued.
#[derive(Debug, Clone)]
pub(crate) struct SigninRecord {
    /// The access key id of the credentials it was issued for.
    pub(crate) access_key_id: String,
    /// The identity (`GetCallerIdentity` `Arn`).
    pub(crate) arn: String,
    /// Expiry, epoch milliseconds of the emulator's clock.
    pub(crate) expires_at_ms: i64,
    /// The `SessionDuration` asked for, if any.
    pub(crate) session_duration: Option<u32>,
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(status, &json!({"Error": code, "message": message}))
}

/// `GET /federation`: dispatches on `Action`.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> Response {
    let pairs = parse_pairs(&req.query);
    match first(&pairs, "Action") {
        Some("getSigninToken") => get_signin_token(ctx, &pairs),
        Some("login") => login(ctx, &pairs),
        Some(_) => error(
            400,
            "InvalidAction",
            "Action must be getSigninToken or login",
        ),
        None => error(400, "MissingAction", "Missing Action"),
    }
}

fn get_signin_token(ctx: &Ctx, pairs: &[(String, String)]) -> Response {
    let Some(session) = first(pairs, "Session") else {
        return error(400, "MissingSession", "Missing Session");
    };
    let Ok(Value::Object(session)) = serde_json::from_str::<Value>(session) else {
        return error(400, "MalformedSession", "Session is not a JSON object");
    };
    let field = |name: &str| session.get(name).and_then(Value::as_str);
    let (Some(id), Some(key)) = (field("sessionId"), field("sessionKey")) else {
        return error(
            400,
            "MalformedSession",
            "Session needs sessionId, sessionKey and sessionToken",
        );
    };
    let Some(token) = field("sessionToken") else {
        return error(
            400,
            "MalformedSession",
            "Session needs a sessionToken: only temporary credentials can sign in to the console",
        );
    };
    let session_duration = match first(pairs, "SessionDuration") {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(s) if (900..=43_200).contains(&s) => Some(s),
            _ => {
                return error(
                    400,
                    "InvalidSessionDuration",
                    "SessionDuration must be between 900 and 43200 seconds",
                )
            }
        },
    };
    let now = ctx.clock.epoch_millis();
    let mut st = ctx.state();
    let Some(cred) = st.credentials.get(id).cloned() else {
        return error(
            403,
            "InvalidCredentials",
            "The security token included in the request is invalid",
        );
    };
    let key_ok = bool::from(cred.secret_access_key.as_bytes().ct_eq(key.as_bytes()));
    let token_ok = cred
        .session_token
        .as_deref()
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())));
    if !key_ok || !token_ok {
        return error(
            403,
            "InvalidCredentials",
            "The security token included in the request is invalid",
        );
    }
    if cred.expires_at_ms.is_some_and(|exp| now >= exp) {
        return error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        );
    }
    let signin_token = ctx.ids.token(96);
    st.signin_tokens.insert(
        signin_token.clone(),
        SigninRecord {
            access_key_id: cred.access_key_id.clone(),
            arn: cred.arn.clone(),
            expires_at_ms: now + SIGNIN_TOKEN_LIFETIME_MS,
            session_duration,
        },
    );
    Response::json(200, &json!({"SigninToken": signin_token}))
}

fn login(ctx: &Ctx, pairs: &[(String, String)]) -> Response {
    let page = |status: u16, title: &str, text: &str| {
        Response::html(
            status,
            html::page(title, &format!("<p>{}</p>", html::escape(text))),
        )
    };
    let Some(token) = first(pairs, "SigninToken") else {
        return page(400, "Sign-in failed", "Missing SigninToken");
    };
    let Some(destination) = first(pairs, "Destination") else {
        return page(400, "Sign-in failed", "Missing Destination");
    };
    if !(destination.starts_with("https://") || destination.starts_with("http://")) {
        return page(400, "Sign-in failed", "Destination must be an http(s) URL");
    }
    let now = ctx.clock.epoch_millis();
    let record = ctx.state().signin_tokens.get(token).cloned();
    let Some(record) = record else {
        return page(403, "Sign-in failed", "The sign-in token is invalid");
    };
    if now >= record.expires_at_ms {
        return page(403, "Sign-in failed", "The sign-in token has expired");
    }
    let issuer = first(pairs, "Issuer").unwrap_or("");
    let body = format!(
        "<p>Signed in as <code id=\"arn\">{}</code> (access key <code id=\"akid\">{}</code>, \
         session duration <code id=\"duration\">{}</code>).</p>\n\
         <p>Destination: <a id=\"destination\" href=\"{dest}\">{dest}</a></p>\n\
         <p>Issuer: <code id=\"issuer\">{}</code></p>",
        html::escape(&record.arn),
        html::escape(&record.access_key_id),
        record
            .session_duration
            .map_or_else(|| "default".to_owned(), |s| format!("{s} s")),
        html::escape(issuer),
        dest = html::escape(destination),
    );
    Response::html(200, html::page("AWS Management Console (emulated)", &body))
}
