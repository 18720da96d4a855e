//! Fuzz target `portal_parse`: the four SSO portal parsers.

use oidc_core::portal::{get_role_credentials, list_account_roles, list_accounts, logout};

use super::support::{check_error, response};

/// One of the four portal parsers, chosen by the first byte of the input
/// (`a` GetRoleCredentials, `b` ListAccounts, `c` ListAccountRoles, `d`
/// Logout; any other byte `b` the parser `(b - 'a') mod 4`), on the rest
/// decoded by [`response`], with the
/// invariants of [`check_error`] for errors (a 2xx body that is JSON but
/// does not fit gives an error independent of its string values).
/// `GetRoleCredentials`: `Debug` of the output shows neither the secret
/// access key nor the session token (when 8+ characters and not also the
/// text of a non-secret member).
pub fn portal_parse(data: &[u8]) {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let response = response(data);
    match selector.wrapping_sub(b'a') % 4 {
        0 => role_credentials(&response),
        1 => match list_accounts::parse(&response) {
            Ok(output) => {
                let _ = format!("{output:?}");
                assert!(
                    output.next_token.as_deref() != Some(""),
                    "an empty nextToken is kept"
                );
            }
            Err(e) => check_error(&response, &e),
        },
        2 => match list_account_roles::parse(&response) {
            Ok(output) => {
                let _ = format!("{output:?}");
            }
            Err(e) => check_error(&response, &e),
        },
        _ => match logout::parse(&response) {
            Ok(output) => {
                assert!(response.status().is_success());
                let _ = format!("{output:?}");
            }
            Err(e) => check_error(&response, &e),
        },
    }
}

fn role_credentials(response: &http::Response<Vec<u8>>) {
    use oidc_core::secret::{SecretAccessKey, SessionToken};
    match get_role_credentials::parse(response) {
        Ok(mut output) => {
            let c = &output.role_credentials;
            let secrets = [
                c.secret_access_key.secret().to_owned(),
                c.session_token.secret().to_owned(),
            ];
            let shown = format!("{output:?}\n{output:#?}");
            output.role_credentials.secret_access_key = SecretAccessKey::new("");
            output.role_credentials.session_token = SessionToken::new("");
            let blanked = format!("{output:?}\n{output:#?}");
            for secret in secrets.iter().filter(|s| s.len() >= 8) {
                assert!(
                    !shown.contains(secret.as_str()) || blanked.contains(secret.as_str()),
                    "Debug of GetRoleCredentials output shows a secret: {shown}"
                );
            }
            let credentials = output.into_credentials("123456789012");
            assert_eq!(credentials.account_id.as_deref(), Some("123456789012"));
            let _ = format!("{credentials:?}");
        }
        Err(e) => check_error(response, &e),
    }
}
