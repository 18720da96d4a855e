//! Fuzz target `cache_registration`: `CachedRegistration::from_json` and
//! the write/read round trip.

use oidc_core::cache::{self, CachedRegistration, RegistrationUse};

use super::support::{check_written_time, edge_instants};

/// `CachedRegistration::from_json`; on success, the written form reads back
/// and is a fixpoint, and `usable_for` holds up at edge instants.
pub fn cache_registration(data: &[u8]) {
    let registration = match CachedRegistration::from_json(data) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let json = registration.to_json();
    let again = CachedRegistration::from_json(&json).expect("to_json output must read back");
    assert_eq!(again.to_json(), json, "to_json is not a fixpoint");
    assert_eq!(again.client_id, registration.client_id);
    assert_eq!(
        again.client_secret.secret(),
        registration.client_secret.secret()
    );
    assert_eq!(again.scopes, registration.scopes);
    assert_eq!(again.grant_types, registration.grant_types);
    check_written_time(registration.expires_at, again.expires_at);
    for now in edge_instants(registration.expires_at) {
        let code = registration.usable_for(RegistrationUse::AuthorizationCode, now);
        let device = registration.usable_for(RegistrationUse::DeviceCode, now);
        assert!(!(code && device), "usable for both flows");
        if code {
            assert!(registration.supports_authorization_code());
        }
    }
    let _ = cache::registration_cache_file_name(
        &registration.client_id,
        "us-east-1",
        registration.scopes.as_deref(),
        None,
    );
}
