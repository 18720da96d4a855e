//! STS error envelopes: every modelled error code, with status, code, message, fault and request id.

#[allow(unused_imports)]
use super::*;

pub(crate) fn sts_error_scenarios(t: &mut Vec<Scenario>) {
    let gci = GetCallerIdentityInput::new;
    t.push(
        Scenario::new("error/sts/signature_does_not_match_wrong_secret")
            .emulator(iam_emulator())
            .action(move |env| {
                let wrong = Credentials::new(ACCESS_KEY_ID, "not-the-secret-access-key");
                typed(env.adapter.call_signed(&gci(), signed_by(wrong)), |_| {
                    "identity".into()
                })
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "SignatureDoesNotMatch",
                    SIGNATURE_MISMATCH,
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/invalid_client_token_id_unknown_key")
            .action(move |env| {
                typed(env.adapter.call_signed(&gci(), signer()), |_| {
                    "identity".into()
                })
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "InvalidClientTokenId",
                    INVALID_TOKEN,
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/signature_expired_20_minutes_ago")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env
                    .adapter
                    .call_signed(&gci(), offset_signer(static_credentials(), -20 * 60));
                scrub_amz_dates(&typed(r, |_| "identity".into()))
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "SignatureDoesNotMatch",
                    "Signature expired: DATE is now earlier than DATE (DATE - 15 min.)",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/expired_token_of_expired_credentials")
            .emulator(iam_emulator())
            .action(move |env| {
                let session = env
                    .adapter
                    .call_signed(
                        &GetSessionTokenInput::new().with_duration_seconds(900),
                        signer(),
                    )
                    .expect("session credentials");
                env.emu.advance(Duration::from_secs(901));
                let r = env
                    .adapter
                    .call_signed(&gci(), offset_signer(session.credentials, 901));
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "ExpiredToken",
                    "The security token included in the request is expired",
                    "Sender"
                )
            ))
            .counts(&[(GST, 1), (GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/missing_authentication_token_unsigned")
            .emulator(iam_emulator())
            .action(move |env| {
                // `Call::new` refuses a SigV4 operation without a signer,
                // so the unsigned request goes through a signer that adds
                // nothing.
                let r = env.adapter.call_signed(&gci(), Arc::new(NoSigner));
                let unsigned = env.adapter.call(&gci());
                format!(
                    "{} / call: {}",
                    typed(r, |_| "identity".into()),
                    outcome::result(unsigned, |_| "identity".into())
                )
            })
            .expect(format!(
                r#"{} [other] / call: core Signing {{ operation: "GetCallerIdentity", cause: NoCredentials }}"#,
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/incomplete_signature")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| {
                        req.headers_mut().insert(
                            "authorization",
                            http::HeaderValue::from_static("AWS4-HMAC-SHA256 SignedHeaders=host"),
                        );
                    })),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    403,
                    "IncompleteSignature",
                    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/invalid_action_wrong_version")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| {
                        rewrite_body(req, "Version=2011-06-15", "Version=2010-01-01");
                    })),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "InvalidAction",
                    "Could not find operation GetCallerIdentity for version 2010-01-01",
                    "Sender"
                )
            ))
            .counts(&[(GCI, 1)]),
    );
    t.push(
        Scenario::new("error/sts/missing_action")
            .emulator(iam_emulator())
            .action(move |env| {
                let r = env.adapter.call_signed(
                    &gci(),
                    Arc::new(RawSigner(|req| rewrite_body(req, "Action=", "Actiox="))),
                );
                typed(r, |_| "identity".into())
            })
            .expect(format!(
                "{} [other]",
                sts_svc(
                    "GetCallerIdentity",
                    400,
                    "MissingAction",
                    "Missing Action",
                    "Sender"
                )
            ))
            .counts(&[(STS_OTHER, 1)]),
    );
    // Operation-level errors: (name, action, op, status, code, message,
    // code family, counts).
    type Row = (
        &'static str,
        fn(&Env) -> String,
        &'static str,
        u16,
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, u64)],
    );
    let rows: [Row; 13] = [
        (
            "validation_error_not_a_role_arn",
            |env| {
                let input = AssumeRoleInput::new("arn:aws:iam::210987654321:user/demo", "s1");
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "ValidationError",
            "arn:aws:iam::210987654321:user/demo is invalid",
            "other",
            &[(AR, 1)],
        ),
        (
            "validation_error_role_chaining_over_an_hour",
            |env| {
                let first = env
                    .adapter
                    .call_signed(&assume_role_input(), signer())
                    .expect("assumed");
                let input = assume_role_input().with_duration_seconds(7200);
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(first.credentials)),
                    |_| "assumed".into(),
                )
            },
            "AssumeRole",
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            "other",
            &[(AR, 2)],
        ),
        (
            "invalid_parameter_value_unknown_context_provider",
            |env| {
                let input = assume_role_input().with_provided_contexts([ProvidedContext::new(
                    "arn:aws:iam::aws:contextProvider/Other",
                    "context-1",
                )]);
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "InvalidParameterValue",
            "Invalid context provider: arn:aws:iam::aws:contextProvider/Other",
            "other",
            &[(AR, 1)],
        ),
        (
            "access_denied_session_token_with_session_credentials",
            |env| {
                let input = GetSessionTokenInput::new();
                let session = env
                    .adapter
                    .call_signed(&input, signer())
                    .expect("session credentials");
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(session.credentials)),
                    |_| "session".into(),
                )
            },
            "GetSessionToken",
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
            "other",
            &[(GST, 2)],
        ),
        (
            "malformed_policy_document",
            |env| {
                let input = assume_role_input().with_policy("this is not a policy");
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "MalformedPolicyDocument",
            "The policy is not in the valid JSON format.",
            "sts",
            &[(AR, 1)],
        ),
        (
            "packed_policy_too_large",
            |env| {
                let tags = (0..10).map(|i| Tag::new(format!("{i:0>128}"), "v".repeat(256)));
                let input = assume_role_input().with_tags(tags);
                typed(env.adapter.call_signed(&input, signer()), |_| "assumed".into())
            },
            "AssumeRole",
            400,
            "PackedPolicyTooLarge",
            "Serialized token too large for session",
            "sts",
            &[(AR, 1)],
        ),
        (
            "invalid_identity_token_not_a_jwt",
            |env| {
                let input =
                    AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", "opaque-token");
                typed(env.adapter.call(&input), |_| "assumed".into())
            },
            "AssumeRoleWithWebIdentity",
            400,
            "InvalidIdentityToken",
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
            "sts",
            &[(ARWI, 1)],
        ),
        (
            "expired_token_exception_saml",
            |env| {
                let expired =
                    saml(r#"<saml:Conditions NotOnOrAfter="2000-01-01T00:00:00Z"></saml:Conditions>"#);
                typed(env.adapter.call(&saml_input(expired)), |_| "assumed".into())
            },
            "AssumeRoleWithSAML",
            400,
            "ExpiredTokenException",
            "Token expired: the SAML assertion is no longer valid (NotOnOrAfter)",
            "sts",
            &[(ARS, 1)],
        ),
        (
            "invalid_authorization_message",
            |env| {
                let input = DecodeAuthorizationMessageInput::new("not an encoded message");
                typed(env.adapter.call_signed(&input, signer()), |_| "decoded".into())
            },
            "DecodeAuthorizationMessage",
            400,
            "InvalidAuthorizationMessageException",
            "The encoded authorization message is not valid.",
            "sts",
            &[(DAM, 1)],
        ),
        (
            "expired_trade_in_token",
            |env| {
                let token = env
                    .emu
                    .issue_trade_in_token("arn:aws:sts::210987654321:assumed-role/demo/delegated");
                env.emu.advance(Duration::from_secs(901));
                let input = GetDelegatedAccessTokenInput::new(token);
                let r = env
                    .adapter
                    .call_signed(&input, offset_signer(static_credentials(), 901));
                typed(r, |_| "delegated".into())
            },
            "GetDelegatedAccessToken",
            400,
            "ExpiredTradeInTokenException",
            "The provided trade-in token has expired.",
            "sts",
            &[(GDAT, 1)],
        ),
        (
            "invalid_parameter_value_unknown_trade_in_token",
            |env| {
                let input = GetDelegatedAccessTokenInput::new("EMUtradeInNoSuchToken");
                typed(env.adapter.call_signed(&input, signer()), |_| "delegated".into())
            },
            "GetDelegatedAccessToken",
            400,
            "InvalidParameterValue",
            "The provided trade-in token is not valid.",
            "other",
            &[(GDAT, 1)],
        ),
        (
            "session_duration_escalation",
            |env| {
                let session = env
                    .adapter
                    .call_signed(&GetSessionTokenInput::new().with_duration_seconds(900), signer())
                    .expect("session credentials");
                let input = GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256")
                    .with_duration_seconds(3600);
                typed(
                    env.adapter
                        .call_signed(&input, signed_by(session.credentials)),
                    |_| "jwt".into(),
                )
            },
            "GetWebIdentityToken",
            403,
            "SessionDurationEscalationException",
            "The requested token duration would extend the token beyond the expiration of the caller's session.",
            "sts",
            &[(GST, 1), (GWIT, 1)],
        ),
        (
            "jwt_payload_size_exceeded",
            |env| {
                let tags = (0..20).map(|i| Tag::new(format!("claim{i}"), "x".repeat(250)));
                let input =
                    GetWebIdentityTokenInput::new(["https://api.example.com"], "RS256").with_tags(tags);
                let r = env.adapter.call_signed(&input, signer());
                // The size is in the message; keep only its shape.
                let text = typed(r, |_| "jwt".into());
                match text.split_once(" bytes)") {
                    Some((head, tail)) => format!(
                        "{}N bytes){tail}",
                        head.trim_end_matches(|c: char| c.is_ascii_digit())
                    ),
                    None => text,
                }
            },
            "GetWebIdentityToken",
            400,
            "JWTPayloadSizeExceededException",
            "The JWT payload size (N bytes) exceeds the maximum of 4096 bytes.",
            "sts",
            &[(GWIT, 1)],
        ),
    ];
    for (name, action, op, status, code, msg, kind, counts) in rows {
        let config = if op.starts_with("AssumeRoleWith") {
            EmulatorConfig::default()
        } else {
            iam_emulator()
        };
        let fault = if status >= 500 { "Receiver" } else { "Sender" };
        t.push(
            Scenario::new(format!("error/sts/{name}"))
                .emulator(config)
                .action(action)
                .expect(format!(
                    "{} [{kind}]",
                    sts_svc(op, status, code, msg, fault)
                ))
                .counts(counts),
        );
    }
}
