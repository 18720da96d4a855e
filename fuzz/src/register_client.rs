//! Fuzz target `register_client`: `register_client::parse` on a response.

use oidc_core::sso_oidc::register_client;

use super::support::{check_error, response};

/// `register_client::parse` on a response decoded by [`response`].
pub fn register_client(data: &[u8]) {
    let response = response(data);
    match register_client::parse(&response) {
        Ok(output) => {
            let _ = output.expires_at();
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}
