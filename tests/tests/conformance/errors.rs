//! Service errors: every error code of every SSO OIDC operation, with status, code, message and request id kept.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    fn register(env: &Env, input: RegisterClientInput) -> String {
        outcome::result(env.adapter.call(&input), registered)
    }
    t.push(
        Scenario::new("error/register_client/invalid_client_metadata")
            .action(|env| {
                let mut input = register_input();
                input.client_type = "confidential".to_owned();
                register(env, input)
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidClientMetadataException",
                    Some("Invalid client type: confidential; only public is supported")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/invalid_scope")
            .emulator(EmulatorConfig::default().with_invalid_scope("bad:scope"))
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_scopes(["bad:scope"]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidScopeException",
                    Some("Invalid scope: bad:scope")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/unsupported_grant_type")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_grant_types([GrantType::JwtBearer]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "UnsupportedGrantTypeException",
                    Some("Unsupported grant type: urn:ietf:params:oauth:grant-type:jwt-bearer")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/register_client/invalid_redirect_uri_refused_before_sending")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x")
                        .with_grant_types([GrantType::AuthorizationCode])
                        .with_redirect_uris(["ftp://example.com/cb"]),
                )
            })
            .expect(r#"core InvalidInput(Invalid { operation: "RegisterClient", member: "redirectUris", reason: "`ftp://example.com/cb` is not an absolute http(s) URI" })"#),
    );
    t.push(
        Scenario::new("error/register_client/invalid_request")
            .action(|env| {
                register(
                    env,
                    RegisterClientInput::new("x").with_grant_types([GrantType::AuthorizationCode]),
                )
            })
            .expect(format!(
                "service {}",
                svc(
                    "RegisterClient",
                    400,
                    "InvalidRequestException",
                    Some("redirectUris is required for the authorization_code grant")
                )
            ))
            .counts(&[(REG, 1)]),
    );
    t.push(
        Scenario::new("error/start_device_authorization/invalid_client")
            .action(|env| {
                let r = env.adapter.call(&StartDeviceAuthorizationInput::new(
                    "no-such-client",
                    ClientSecret::new("nope"),
                    START_URL,
                ));
                outcome::result(r, |_| "started".to_owned())
            })
            .expect(format!(
                "service {}",
                svc(
                    "StartDeviceAuthorization",
                    401,
                    "InvalidClientException",
                    Some("Invalid client")
                )
            ))
            .counts(&[(SDA, 1)]),
    );
    t.push(
        Scenario::new("error/start_device_authorization/unauthorized_client")
            .action(|env| {
                let reg = env
                    .adapter
                    .call(&RegisterClientInput::for_authorization_code(
                        "x", START_URL, SCOPES,
                    ))
                    .expect("registered");
                let r = env.adapter.call(&StartDeviceAuthorizationInput::new(
                    reg.client_id,
                    reg.client_secret,
                    START_URL,
                ));
                outcome::result(r, |_| "started".to_owned())
            })
            .expect(format!(
                "service {}",
                svc(
                    "StartDeviceAuthorization",
                    400,
                    "UnauthorizedClientException",
                    Some("Client is not registered for the device_code grant")
                )
            ))
            .counts(&[(REG, 1), (SDA, 1)]),
    );
    let create_token = |name: &str,
                        action: fn(&Env) -> String,
                        code: &str,
                        status: u16,
                        msg: Option<&str>,
                        counts: &[(&'static str, u64)]| {
        Scenario::new(format!("error/create_token/{name}"))
            .action(action)
            .expect(format!("service {}", svc("CreateToken", status, code, msg)))
            .counts(counts)
    };
    t.push(create_token(
        "invalid_grant",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            outcome::result(
                env.adapter.call(&refresh_input(&issued, "bogus")),
                token_out,
            )
        },
        "InvalidGrantException",
        400,
        Some("Invalid refresh token provided"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "revoked_refresh_token",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            assert!(env.emu.revoke_refresh_token(&issued.refresh_token));
            let r = env
                .adapter
                .call(&refresh_input(&issued, &issued.refresh_token));
            outcome::result(r, token_out)
        },
        "InvalidGrantException",
        400,
        Some("Refresh token has been revoked"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "invalid_client",
        |env| {
            let mut issued = env.emu.issue_token(&SCOPES);
            issued.client_secret = "wrong".to_owned();
            let r = env
                .adapter
                .call(&refresh_input(&issued, &issued.refresh_token));
            outcome::result(r, token_out)
        },
        "InvalidClientException",
        401,
        Some("Invalid client"),
        &[(CTR, 1)],
    ));
    t.push(create_token(
        "authorization_pending",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "AuthorizationPendingException",
        400,
        None,
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "slow_down",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            let first = env
                .adapter
                .call(&poll_input(&issued, started.device_code.clone()));
            assert!(first.is_err());
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "SlowDownException",
        400,
        None,
        &[(SDA, 1), (CTDC, 2)],
    ));
    t.push(create_token(
        "access_denied",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            assert!(env.emu.deny(&started.user_code));
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "AccessDeniedException",
        400,
        Some("The user denied the authorization request"),
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "expired_token",
        |env| {
            let issued = env.emu.issue_token(&SCOPES);
            let started = env.adapter.call(&start_input(&issued)).expect("started");
            env.emu.advance(Duration::from_secs(601));
            let r = env.adapter.call(&poll_input(&issued, started.device_code));
            outcome::result(r, token_out)
        },
        "ExpiredTokenException",
        400,
        Some("Device code has expired"),
        &[(SDA, 1), (CTDC, 1)],
    ));
    t.push(create_token(
        "unauthorized_client",
        |env| {
            let reg = env
                .adapter
                .call(&RegisterClientInput::for_authorization_code(
                    "x", START_URL, SCOPES,
                ))
                .expect("registered");
            let r = env.adapter.call(&CreateTokenInput::new(
                reg.client_id,
                reg.client_secret,
                Grant::DeviceCode {
                    device_code: DeviceCode::new("no-such-code"),
                },
            ));
            outcome::result(r, token_out)
        },
        "UnauthorizedClientException",
        400,
        Some(
            "Client is not authorized for grant type urn:ietf:params:oauth:grant-type:device_code",
        ),
        &[(REG, 1), (CTDC, 1)],
    ));
    t.push(
        Scenario::new("error/create_token_with_iam/invalid_grant")
            .emulator(iam_emulator().with_bad_assertion("eyJhbGciOiJSUzI1NiJ9.e30.sig"))
            .action(|env| {
                outcome::result(env.adapter.call_signed(&iam_input(), signer()), |_| {
                    "iam token".to_owned()
                })
            })
            .expect(format!(
                "service {}",
                svc(
                    "CreateTokenWithIAM",
                    400,
                    "InvalidGrantException",
                    Some("Invalid assertion")
                )
            ))
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/invalid_request_region")
            .emulator(
                iam_emulator()
                    .with_wrong_region("https://oidc.eu-west-1.amazonaws.com", "eu-west-1"),
            )
            .action(|env| match env.adapter.call_signed(&iam_input(), signer()) {
                Ok(_) => "ok iam token".to_owned(),
                Err(e) => {
                    let details = e
                        .service_error()
                        .and_then(|s| s.oauth())
                        .map(|o| format!("endpoint={:?} region={:?}", o.endpoint, o.region));
                    format!("{} {details:?}", outcome::error(&e))
                }
            })
            .expect(format!(
                "service {} {:?}",
                svc(
                    "CreateTokenWithIAM",
                    400,
                    "InvalidRequestRegionException",
                    Some("The request must be made in region eu-west-1")
                ),
                Some(r#"endpoint=Some("https://oidc.eu-west-1.amazonaws.com") region=Some("eu-west-1")"#)
            ))
            .counts(&[(CTWI, 1)]),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/unsigned")
            .action(|env| {
                outcome::result(env.adapter.call(&iam_input()), |_| "iam token".to_owned())
            })
            .expect(r#"core Signing { operation: "CreateTokenWithIAM", cause: NoCredentials }"#),
    );
    t.push(
        Scenario::new("error/create_token_with_iam/unknown_access_key")
            .action(|env| {
                outcome::result(env.adapter.call_signed(&iam_input(), signer()), |_| {
                    "iam token".to_owned()
                })
            })
            .expect(format!(
                "service {}",
                svc(
                    "CreateTokenWithIAM",
                    403,
                    "UnrecognizedClientException",
                    Some("The security token included in the request is invalid.")
                )
            ))
            .counts(&[(CTWI, 1)]),
    );
}
