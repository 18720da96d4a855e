//! GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;

use super::params::{Check, Params, Rule};
use super::xml::Xml;
use super::{StsError, StsResult};
use crate::state::{Ctx, IssuedCredential};

/// `GetCallerIdentity`: the identity of the signing credentials (element
/// order as the service sends it: `UserId`, `Account`, `Arn`).
pub(crate) fn get_caller_identity(caller: Option<&IssuedCredential>) -> Xml {
    let mut x = Xml::default();
    if let Some(c) = caller {
        x.leaf("UserId", &c.user_id)
            .leaf("Account", &c.account)
            .leaf("Arn", &c.arn);
    }
    x
}

/// `GetAccessKeyInfo`: the account of a key the emulator knows, else the
/// configured default account.
pub(crate) fn get_access_key_info(ctx: &Ctx, p: &Params) -> StsResult {
    let mut c = Check::default();
    let key = c.req(
        "accessKeyId",
        p.get("AccessKeyId"),
        Rule::len(16, 128).pattern("[\\w]*", |ch| ch.is_ascii_alphanumeric() || ch == '_'),
    );
    c.finish()?;
    let key = key.unwrap_or_default();
    let account = ctx
        .state()
        .credentials
        .get(key)
        .map(|c| c.account.clone())
        .unwrap_or_else(|| ctx.config.default_account_id.clone());
    let mut x = Xml::default();
    x.leaf("Account", &account);
    Ok(x)
}

/// `DecodeAuthorizationMessage`: the emulator's "encoded" messages are the
/// base64 (standard or URL-safe) of a JSON document, which is returned as
/// `DecodedMessage`; anything else is InvalidAuthorizationMessageException.
pub(crate) fn decode_authorization_message(p: &Params) -> StsResult {
    let mut c = Check::default();
    let encoded = c.req(
        "encodedMessage",
        p.get("EncodedMessage"),
        Rule::len(1, 10240),
    );
    c.finish()?;
    let encoded = encoded.unwrap_or_default().trim();
    let decoded = [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(encoded).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| serde_json::from_str::<Value>(s).is_ok())
        .ok_or_else(|| {
            StsError::new(
                400,
                "InvalidAuthorizationMessageException",
                "The encoded authorization message is not valid.",
            )
        })?;
    let mut x = Xml::default();
    x.leaf("DecodedMessage", &decoded);
    Ok(x)
}
