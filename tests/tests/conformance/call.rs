//! Single calls through the generic `call`: every SSO OIDC operation, signed and cancellable calls.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("call/register_client")
            .action(|env| outcome::result(env.adapter.call(&register_input()), registered))
            .expect("ok registered id=yes secret=yes expires=yes")
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("call/start_device_authorization")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let r = env.adapter.call(&start_input(&issued));
                outcome::result(r, |s| {
                    env.scrub(&format!(
                        "started user_code={} uri={} complete={} expires_in={} interval={:?}",
                        yes(!s.user_code.is_empty()),
                        s.verification_uri,
                        yes(s.verification_uri_complete.is_some()),
                        s.expires_in,
                        s.interval
                    ))
                })
            })
            .expect("ok started user_code=yes uri=EMU/device complete=yes expires_in=600 interval=Some(1)")
            .counts(&[(SDA, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_device_code")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                assert!(env.emu.approve(&started.user_code));
                let r = env.adapter.call(&poll_input(&issued, started.device_code));
                outcome::result(r, token_out)
            })
            .expect("ok token access=yes refresh=yes")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_refresh")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let r = env
                    .adapter
                    .call(&refresh_input(&issued, &issued.refresh_token));
                outcome::result(r, |out| {
                    let rotated = out
                        .refresh_token
                        .as_ref()
                        .is_some_and(|rt| rt.secret() != issued.refresh_token);
                    format!("{} rotated={}", token_out(out), yes(rotated))
                })
            })
            .expect("ok token access=yes refresh=yes rotated=yes")
            .counts(&[(CTR, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_authorization_code")
            .action(|env| {
                let reg = env
                    .adapter
                    .call(&RegisterClientInput::for_authorization_code(
                        "conformance",
                        START_URL,
                        SCOPES,
                    ))
                    .expect("registered");
                let verifier = CodeVerifier::from_random_bytes(&[7; 32]);
                let state = pkce::State::from_random_bytes(&[9; 16]);
                let redirect_uri = pkce::loopback_redirect_uri(9);
                let url = AuthorizeRequest {
                    client_id: reg.client_id.clone(),
                    redirect_uri: redirect_uri.clone(),
                    state,
                    code_challenge: pkce::code_challenge(&verifier),
                    scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
                }
                .to_url(&env.emu.base_url());
                let (status, location) = get(&url);
                let Some(code) = location.as_deref().and_then(|l| query_param(l, "code")) else {
                    return format!("authorize answered {status} {location:?}");
                };
                let input = CreateTokenInput::new(
                    reg.client_id,
                    reg.client_secret,
                    Grant::AuthorizationCode {
                        code: AuthorizationCode::new(code),
                        redirect_uri,
                        code_verifier: Some(verifier),
                    },
                );
                format!(
                    "authorize={status} {}",
                    outcome::result(env.adapter.call(&input), token_out)
                )
            })
            .expect("authorize=302 ok token access=yes refresh=yes")
            .counts(&[(REG, 1), (AUTHZ, 1), (CTAC, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_with_iam_signed")
            .emulator(iam_emulator())
            .action(|env| {
                let r = env.adapter.call_signed(&iam_input(), signer());
                outcome::result(r, |o| {
                    format!(
                        "iam token access={} id_token={}",
                        yes(!o.access_token.secret().is_empty()),
                        yes(o.id_token.is_some())
                    )
                })
            })
            .expect("ok iam token access=yes id_token=yes")
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("call/create_token_with_iam_signs_every_attempt")
            .emulator(iam_emulator())
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenWithIam,
                    FaultKind::status(500, Some("InternalServerException")),
                    1,
                ));
                let r = env.adapter.call_signed(&iam_input(), signer());
                outcome::result(r, |_| "iam token".to_owned())
            })
            .expect("ok iam token")
            .counts(&[(CTWI, 2)]),
    );
    t.push(
        Scenario::new("call/endpoints")
            .action(|env| {
                let urls: Vec<String> = [Service::SsoOidc, Service::SsoPortal, Service::Sts]
                    .into_iter()
                    .map(|s| {
                        env.adapter
                            .endpoint(s)
                            .map_or("none".to_owned(), |e| env.scrub(e.url()))
                    })
                    .collect();
                format!(
                    "endpoints={urls:?} quota={}",
                    env.adapter.retry_quota_available()
                )
            })
            .expect(r#"endpoints=["EMU", "EMU", "EMU"] quota=500"#),
    );
    t.push(
        Scenario::new("call/keep_alive_reuses_one_connection")
            .action(|env| {
                // Sockets to a port an earlier emulator used may linger
                // in TIME_WAIT: count the new ones.
                let before = sockets_to(env.emu.addr().port());
                for _ in 0..5 {
                    env.adapter.call(&register_input()).expect("registered");
                }
                format!(
                    "connections={}",
                    sockets_to(env.emu.addr().port()).saturating_sub(before)
                )
            })
            .expect("connections=1")
            .counts(&[(REG, 5)]),
    );
    t.push(
        Scenario::new("call/cancel_during_backoff")
            // Full jitter over a minute: the retry wait is (almost surely)
            // long enough to be cancelled in.
            .config(|c| c.with_backoff(Duration::from_secs(60), Duration::from_secs(60)))
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::RegisterClient,
                    FaultKind::status(500, Some("InternalServerException")),
                    3,
                ));
                let cancel = CancelToken::new();
                let canceller = cancel.clone();
                let emu = env.emu;
                thread::scope(|s| {
                    s.spawn(move || {
                        wait_for(Duration::from_secs(5), || emu.stats().register_client >= 1);
                        canceller.cancel();
                    });
                    let started = Instant::now();
                    let r = env.adapter.call_cancellable(&register_input(), &cancel);
                    format!(
                        "{} prompt={}",
                        outcome::result(r, registered),
                        yes(started.elapsed() < Duration::from_millis(1500))
                    )
                })
            })
            .expect("cancelled prompt=yes")
            .counts(&[(REG, 1)]),
    );
}
