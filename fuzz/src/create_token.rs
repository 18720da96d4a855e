//! Fuzz target `create_token`: `create_token::parse` on a response.

use oidc_core::sso_oidc::create_token;

use super::support::{check_error, response};

/// `create_token::parse` on a response decoded by [`response`].
pub fn create_token(data: &[u8]) {
    let response = response(data);
    match create_token::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}
