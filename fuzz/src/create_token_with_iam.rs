//! Fuzz target `create_token_with_iam`: `create_token_with_iam::parse` on a response.

use oidc_core::sso_oidc::create_token_with_iam;

use super::support::{check_error, response};

/// `create_token_with_iam::parse` on a response decoded by [`response`].
pub fn create_token_with_iam(data: &[u8]) {
    let response = response(data);
    match create_token_with_iam::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}
