//! Sign-in → portal → STS chains and the credentials provider.

#[allow(unused_imports)]
use super::*;

pub(crate) fn chain_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("chain/sign_in_portal_sts_identity_enhanced_assume_role")
            .action(chain)
            .expect(concat!(
                "signed-in ",
                r#"portal=key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111") "#,
                "caller=111111111111 arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnly_HEX/user@example.com ",
                "iam=identity-context:yes ",
                r#"assumed=Some("arn:aws:sts::111111111111:assumed-role/data-analyst/alice") "#,
                "caller=111111111111 arn:aws:sts::111111111111:assumed-role/data-analyst/alice ",
                "recorded=[(\"arn:aws:iam::aws:contextProvider/IdentityCenter\", same=yes, recognized=true)]"
            ))
            .counts(&[(REG, 1), (SDA, 1), (CTDC, 2), (GRC, 1), (GCI, 2), (CTWI, 1), (AR, 1)]),
    );
    t.push(
        Scenario::new("credentials/sso_role_provider_fetches_once")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                seed(env, &issued, Duration::from_secs(3600), REGION);
                let cli = tempfile::tempdir().expect("cli cache");
                let provider = CredentialsProvider::new(CredentialsSource::sso_role(
                    env.session(),
                    PORTAL_ACCOUNT,
                    PORTAL_ROLE,
                    CredentialsCacheDir::new(cli.path()),
                ));
                let first = match env.adapter.credentials(
                    &provider,
                    |_| panic!("no prompt: the token is cached"),
                    &CancelToken::new(),
                ) {
                    Ok(c) => c,
                    Err(e) => return outcome::error(&e),
                };
                let after_first = env.emu.stats().get_role_credentials;
                let second = env.adapter.credentials(
                    &provider,
                    |_| panic!("no prompt"),
                    &CancelToken::new(),
                );
                format!(
                    "first={} calls={after_first} second={} fetches={}",
                    creds(&first),
                    typed(second, |c| format!(
                        "same={}",
                        yes(c.access_key_id == first.access_key_id)
                    )),
                    provider.fetches()
                )
            })
            .expect(r#"first=key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111") calls=1 second=ok same=yes fetches=1"#)
            .counts(&[(GRC, 1)]),
    );
}

/// Device-code sign-in → GetRoleCredentials → GetCallerIdentity →
/// CreateTokenWithIAM (signed with the role credentials) → AssumeRole with
/// the identity context → GetCallerIdentity as the assumed role; then what
/// the emulator recorded of the provided context.
fn chain(env: &Env) -> String {
    let token = match env.adapter.session_token(
        &env.session(),
        SignInMode::DeviceCode,
        approve(env.emu),
        &CancelToken::new(),
    ) {
        Ok(t) => t,
        Err(e) => return format!("sign-in {}", outcome::error(&e)),
    };
    let role = match env.adapter.call(&GetRoleCredentialsInput::new(
        PORTAL_ROLE,
        PORTAL_ACCOUNT,
        token.access_token.clone(),
    )) {
        Ok(o) => o.into_credentials(PORTAL_ACCOUNT),
        Err(e) => return format!("portal {}", outcome::error(&e)),
    };
    let who = |credentials: &Credentials| {
        typed(
            env.adapter.call_signed(
                &GetCallerIdentityInput::new(),
                signed_by(credentials.clone()),
            ),
            |o| format!("{} {}", o.account, scrub_reserved(&o.arn)),
        )
        .trim_start_matches("ok ")
        .to_owned()
    };
    let caller = who(&role);
    let iam = match env
        .adapter
        .call_signed(&iam_input(), signed_by(role.clone()))
    {
        Ok(o) => o,
        Err(e) => return format!("iam {}", outcome::error(&e)),
    };
    let context = iam
        .aws_additional_details
        .as_ref()
        .and_then(|d| d.identity_context.clone());
    let input = match identity_context::assume_role_input(
        &iam,
        "arn:aws:iam::111111111111:role/data-analyst",
        "alice",
    ) {
        Ok(i) => i,
        Err(e) => return format!("identity context: {e}"),
    };
    let assumed = match env.adapter.call_signed(&input, signed_by(role.clone())) {
        Ok(o) => o,
        Err(e) => return format!("assume {}", outcome::error(&e)),
    };
    let assumed_caller = who(&assumed.credentials);
    let recorded: Vec<String> = env
        .emu
        .sts_sessions()
        .into_iter()
        .filter(|s| s.access_key_id == assumed.credentials.access_key_id)
        .flat_map(|s| s.provided_contexts)
        .map(|p| {
            format!(
                "({:?}, same={}, recognized={})",
                p.provider_arn,
                yes(context
                    .as_ref()
                    .is_some_and(|c| c.secret() == p.context_assertion)),
                p.recognized
            )
        })
        .collect();
    assert_eq!(
        IDENTITY_CENTER_CONTEXT_PROVIDER,
        "arn:aws:iam::aws:contextProvider/IdentityCenter"
    );
    format!(
        "signed-in portal={} caller={caller} iam=identity-context:{} assumed={:?} caller={assumed_caller} recorded=[{}]",
        creds(&role),
        yes(context.is_some()),
        assumed.assumed_role_user.map(|u| u.arn),
        recorded.join(", ")
    )
}
