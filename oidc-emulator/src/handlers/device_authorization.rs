//! `POST /device_authorization` (StartDeviceAuthorization).

use std::time::Duration;

use serde_json::{json, Value};

use super::{authenticate, json_body, req_str, ApiResult};
use crate::error::{ApiError, Shape};
use crate::http::Request;
use crate::state::{Ctx, DeviceAuth, DeviceStatus, GRANT_DEVICE_CODE};
use crate::urlutil::append_query;

/// Handles StartDeviceAuthorization.
pub(crate) fn handle(ctx: &Ctx, req: &Request) -> ApiResult {
    let body = json_body(req)?;
    let client_id = req_str(&body, "clientId")?;
    let client_secret = req_str(&body, "clientSecret")?;
    let _start_url = req_str(&body, "startUrl")?;

    let now = ctx.clock.now();
    let mut st = ctx.state();
    let client = authenticate(ctx, &st, &client_id, &client_secret)?;
    if !client.allows_grant(GRANT_DEVICE_CODE) {
        return Err(ApiError::new(
            Shape::UnauthorizedClient,
            "Client is not registered for the device_code grant",
        ));
    }

    let device_code = ctx.ids.token(96);
    // User codes must be unique among live authorizations.
    let mut user_code = ctx.ids.user_code();
    while st.user_codes.contains_key(&user_code) {
        user_code = ctx.ids.user_code();
    }
    let expires_in = ctx.config.device_code_expires_in;
    let seq = st.next_seq();
    st.user_codes.insert(user_code.clone(), device_code.clone());
    st.devices.insert(
        device_code.clone(),
        DeviceAuth {
            user_code: user_code.clone(),
            client_id,
            expires_at: now.saturating_add(Duration::from_secs(u64::from(expires_in))),
            interval: Duration::from_secs(u64::from(ctx.config.interval)),
            last_poll: None,
            status: DeviceStatus::Pending,
            seq,
        },
    );
    drop(st);

    let verification_uri = format!("{}/device", ctx.base_url);
    let complete = append_query(&verification_uri, &[("user_code", &user_code)]);
    let mut out = json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": verification_uri,
        "verificationUriComplete": complete,
        "expiresIn": expires_in,
    });
    if !ctx.config.omit_interval {
        out["interval"] = Value::from(ctx.config.interval);
    }
    Ok(out)
}
