//! Fuzz target `cache_token`: `CachedToken::from_json` and the write/read
//! round trip.

use oidc_core::cache::{self, CachedToken, RefreshPolicy};
use oidc_core::secret::ClientSecret;

use super::support::{check_written_time, edge_instants};

/// `CachedToken::from_json`; on success, the written form reads back and is
/// a fixpoint, and the time-dependent queries hold up at edge instants.
pub fn cache_token(data: &[u8]) {
    let token = match CachedToken::from_json(data) {
        Ok(token) => token,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let json = token.to_json();
    let again = CachedToken::from_json(&json).expect("to_json output must read back");
    assert_eq!(again.to_json(), json, "to_json is not a fixpoint");
    assert_eq!(again.start_url, token.start_url);
    assert_eq!(again.region, token.region);
    assert_eq!(again.client_id, token.client_id);
    assert_eq!(again.access_token.secret(), token.access_token.secret());
    assert_eq!(
        again.client_secret.as_ref().map(ClientSecret::secret),
        token.client_secret.as_ref().map(ClientSecret::secret)
    );
    assert_eq!(
        again.refresh_token.as_ref().map(|t| t.secret().to_owned()),
        token.refresh_token.as_ref().map(|t| t.secret().to_owned())
    );
    check_written_time(token.expires_at, again.expires_at);
    match (token.registration_expires_at, again.registration_expires_at) {
        (Some(read), Some(written)) => check_written_time(read, written),
        (None, None) => {}
        other => panic!("registrationExpiresAt lost or invented: {other:?}"),
    }
    let policy = RefreshPolicy::default();
    for now in edge_instants(token.expires_at) {
        let expired = token.is_expired(now);
        assert_eq!(
            token.remaining(now).is_none(),
            expired,
            "remaining vs is_expired"
        );
        let _ = token.is_refreshable(now);
        let _ = cache::refresh_decision(&token, now, None, &policy);
        let _ = cache::refresh_decision(&token, now, Some(now), &policy);
        let _ = cache::refresh_decision(&token, now, Some(token.expires_at), &policy);
    }
}
