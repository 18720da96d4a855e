//! Fuzz target `start_device_authorization`: `start_device_authorization::parse` on a
//! response.

use oidc_core::sso_oidc::start_device_authorization;

use super::support::{check_error, response};

/// `start_device_authorization::parse` on a response decoded by [`response`].
pub fn start_device_authorization(data: &[u8]) {
    let response = response(data);
    match start_device_authorization::parse(&response) {
        Ok(output) => {
            let _ = format!("{output:?}");
        }
        Err(e) => check_error(&response, &e),
    }
}
