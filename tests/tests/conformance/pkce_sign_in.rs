//! Authorization code + PKCE through the loopback listener and the emulator's browser pages.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("pkce/strays_then_the_redirect_yields_a_token")
            .action(pkce_sign_in)
            .expect(
                "ok token prompts=1 strays=[404, 400, 400] authorize=302 redirect=200 cached=yes",
            )
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("pkce/idle_connections_do_not_hold_up_the_redirect")
            .action(|env| pkce_sign_in_with(env, 3))
            .expect(
                "ok token prompts=1 strays=[404, 400, 400] authorize=302 redirect=200 idle=3 fast=yes cached=yes",
            )
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        // More idle connections than the listener holds at once: the
        // oldest are evicted, the browser's redirect is still answered.
        Scenario::new("pkce/a_flood_of_idle_connections_is_bounded")
            .action(|env| pkce_sign_in_with(env, 200))
            .expect(
                "ok token prompts=1 strays=[404, 400, 400] authorize=302 redirect=200 idle=200 fast=yes cached=yes",
            )
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("pkce/denied_redirect_with_the_right_state")
            .emulator(EmulatorConfig::default().with_authorize_mode(AuthorizeMode::AutoDeny))
            .action(pkce_sign_in)
            .expect(r#"redirect Authorization { error: "access_denied", error_description: Some("The user denied the authorization request") } prompts=1 strays=[404, 400, 400] authorize=302 redirect=400 cached=no"#)
            .counts(&[(REG, 1), (AUTHZ, 1)]),
    );
    t.push(
        Scenario::new("pkce/cancel_while_waiting_for_the_browser")
            .action(|env| {
                let cancel = CancelToken::new();
                let canceller = cancel.clone();
                let started = Instant::now();
                let r = env.adapter.session_token(
                    &env.session(),
                    SignInMode::AuthorizationCode,
                    move |_| {
                        let c = canceller.clone();
                        thread::spawn(move || {
                            thread::sleep(Duration::from_millis(200));
                            c.cancel();
                        });
                    },
                    &cancel,
                );
                format!(
                    "{} prompt={}",
                    outcome::result(r, |_| "token".into()),
                    yes(started.elapsed() < Duration::from_secs(2))
                )
            })
            .expect("cancelled prompt=yes")
            .counts(&[(REG, 1)]),
    );
}
