//! Signed STS calls through the generic call: every operation of the model, signed for real and checked by the emulator.

#[allow(unused_imports)]
use super::*;

pub(crate) fn sts_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("sts/assume_role")
            .emulator(iam_emulator())
            .action(|env| {
                let input = assume_role_input()
                    .with_source_identity("alice")
                    .with_tags([Tag::new("team", "blue")])
                    .with_duration_seconds(900);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    let user = o.assumed_role_user.as_ref();
                    format!(
                        "{} arn={:?} id={:?} source={:?} packed={} rid={}",
                        creds(&o.credentials),
                        user.map(|u| u.arn.as_str()),
                        user.map(|u| role_id(&u.assumed_role_id)),
                        o.source_identity,
                        yes(o.packed_policy_size.is_some()),
                        yes(o.request_id.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=15m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/conformance") id=Some("AROA…:conformance") source=Some("alice") packed=yes rid=yes"#)
            .counts(&[(AR, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_role_with_saml_unsigned")
            .action(|env| {
                typed(env.adapter.call(&saml_input(saml(""))), |o| {
                    format!(
                        "{} arn={:?} subject={:?}/{:?} issuer={:?} audience={:?} qualifier={}",
                        creds(&o.credentials),
                        o.assumed_role_user.map(|u| u.arn),
                        o.subject,
                        o.subject_type,
                        o.issuer,
                        o.audience,
                        yes(o.name_qualifier.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/alice.saml") subject=Some("alice")/Some("persistent") issuer=Some("https://idp.example.com/saml") audience=Some("https://signin.aws.amazon.com/saml") qualifier=yes"#)
            .counts(&[(ARS, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_role_with_web_identity_unsigned")
            .action(|env| {
                let token = jwt(r#"{"iss":"https://idp.example.com","sub":"user-1","aud":"client-1"}"#);
                let input = AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", token)
                    .with_duration_seconds(1800);
                typed(env.adapter.call(&input), |o| {
                    format!(
                        "{} arn={:?} subject={:?} provider={:?} audience={:?}",
                        creds(&o.credentials),
                        o.assumed_role_user.map(|u| u.arn),
                        o.subject_from_web_identity_token,
                        o.provider,
                        o.audience
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=30m account=Some("210987654321") arn=Some("arn:aws:sts::210987654321:assumed-role/demo/web-session") subject=Some("user-1") provider=Some("arn:aws:iam::210987654321:oidc-provider/idp.example.com") audience=Some("client-1")"#)
            .counts(&[(ARWI, 1)]),
    );
    t.push(
        Scenario::new("sts/assume_root_then_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                let input = AssumeRootInput::new("333333333333", ROOT_TASK_POLICY);
                let root = match env.adapter.call_signed(&input, signer()) {
                    Ok(o) => o,
                    Err(e) => return outcome::error(&e),
                };
                let who = env
                    .adapter
                    .call_signed(&GetCallerIdentityInput::new(), signed_by(root.credentials.clone()));
                format!(
                    "{} as {}",
                    creds(&root.credentials),
                    typed(who, |w| format!("{} {}", w.account, w.arn))
                )
            })
            .expect("key=ASIA secret=yes token=yes ttl=15m account=None as ok 333333333333 arn:aws:iam::333333333333:root")
            .counts(&[(AROOT, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/decode_authorization_message")
            .emulator(iam_emulator())
            .action(|env| {
                let message = r#"{"allowed":false,"explicitDeny":true}"#;
                let input = DecodeAuthorizationMessageInput::new(b64(message.as_bytes(), false));
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!("decoded={}", o.decoded_message)
                })
            })
            .expect(r#"ok decoded={"allowed":false,"explicitDeny":true}"#)
            .counts(&[(DAM, 1)]),
    );
    t.push(
        Scenario::new("sts/get_access_key_info")
            .emulator(iam_emulator())
            .action(|env| {
                let assumed = env
                    .adapter
                    .call_signed(&assume_role_input(), signer())
                    .expect("assumed");
                let known = env.adapter.call_signed(
                    &GetAccessKeyInfoInput::new(assumed.credentials.access_key_id),
                    signer(),
                );
                let unknown = env.adapter.call_signed(
                    &GetAccessKeyInfoInput::new("AKIAIOSFODNN7EXAMPLE"),
                    signer(),
                );
                format!(
                    "issued={} unknown={}",
                    typed(known, |o| o.account),
                    typed(unknown, |o| o.account)
                )
            })
            .expect("issued=ok 210987654321 unknown=ok 123456789012")
            .counts(&[(AR, 1), (GAKI, 2)]),
    );
    t.push(
        Scenario::new("sts/get_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                typed(
                    env.adapter
                        .call_signed(&GetCallerIdentityInput::new(), signer()),
                    |o| {
                        format!(
                            "user_id={} account={} arn={} rid={}",
                            o.user_id.get(..4).unwrap_or_default(),
                            o.account,
                            o.arn,
                            yes(o.request_id.is_some())
                        )
                    },
                )
            })
            .expect(format!(
                "ok user_id=AIDA account={STATIC_ACCOUNT} arn={STATIC_ARN} rid=yes"
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/get_federation_token")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetFederationTokenInput::new("feduser")
                    .with_duration_seconds(3600)
                    .with_policy(r#"{"Version":"2012-10-17","Statement":[]}"#);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "{} user={:?} packed={}",
                        creds(&o.credentials),
                        o.federated_user
                            .map(|u| format!("{} {}", u.federated_user_id, u.arn)),
                        yes(o.packed_policy_size.is_some())
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("123456789012") user=Some("123456789012:feduser arn:aws:sts::123456789012:federated-user/feduser") packed=yes"#)
            .counts(&[(GFT, 1)]),
    );
    t.push(
        Scenario::new("sts/get_session_token_then_caller_identity")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetSessionTokenInput::new().with_duration_seconds(900);
                let session = match env.adapter.call_signed(&input, signer()) {
                    Ok(o) => o,
                    Err(e) => return outcome::error(&e),
                };
                let who = env.adapter.call_signed(
                    &GetCallerIdentityInput::new(),
                    signed_by(session.credentials.clone()),
                );
                format!(
                    "{} as {}",
                    creds(&session.credentials),
                    typed(who, |w| w.arn)
                )
            })
            .expect(format!(
                "key=ASIA secret=yes token=yes ttl=15m account=None as ok {STATIC_ARN}"
            ))
            .counts(&[(GST, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("sts/get_delegated_access_token")
            .emulator(iam_emulator())
            .action(|env| {
                let trade_in = env
                    .emu
                    .issue_trade_in_token("arn:aws:sts::210987654321:assumed-role/demo/delegated");
                let input = GetDelegatedAccessTokenInput::new(trade_in);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "{} principal={:?}",
                        creds(&o.credentials),
                        o.assumed_principal
                    )
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("210987654321") principal=Some("arn:aws:sts::210987654321:assumed-role/demo/delegated")"#)
            .counts(&[(GDAT, 1)]),
    );
    t.push(
        Scenario::new("sts/get_web_identity_token")
            .emulator(iam_emulator())
            .action(|env| {
                let input = GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256")
                    .with_duration_seconds(600);
                typed(env.adapter.call_signed(&input, signer()), |o| {
                    format!(
                        "jwt_parts={} ttl={}",
                        o.web_identity_token.secret().split('.').count(),
                        ttl(o.expiration)
                    )
                })
            })
            .expect("ok jwt_parts=3 ttl=10m")
            .counts(&[(GWIT, 1)]),
    );
}
