//! The SSO portal: accounts, roles, role credentials, logout, pagination, errors.

#[allow(unused_imports)]
use super::*;

fn grc_input(token: &str) -> GetRoleCredentialsInput {
    GetRoleCredentialsInput::new(PORTAL_ROLE, PORTAL_ACCOUNT, AccessToken::new(token))
}

/// Drives `paginator` through `call` until done: the items and the pages.
fn paginate<I>(env: &Env, mut pages: Paginator<I>) -> Result<(Vec<I::Item>, u32), String>
where
    I: Paginated,
{
    let mut items = Vec::new();
    loop {
        match pages.next_input() {
            Ok(Some(input)) => match env.adapter.call(&input) {
                Ok(page) => items.extend(pages.handle_page(page).map_err(|e| e.to_string())?),
                Err(e) => return Err(outcome::error(&e)),
            },
            Ok(None) => return Ok((items, pages.pages())),
            Err(e) => return Err(e.to_string()),
        }
    }
}

pub(crate) fn portal_scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("portal/get_role_credentials")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                typed(env.adapter.call(&grc_input(&issued.access_token)), |o| {
                    creds(&o.into_credentials(PORTAL_ACCOUNT))
                })
            })
            .expect(r#"ok key=ASIA secret=yes token=yes ttl=60m account=Some("111111111111")"#)
            .counts(&[(GRC, 1)]),
    );
    t.push(
        Scenario::new("portal/list_accounts_paginated")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let pages = Paginator::new(ListAccountsInput::new(AccessToken::new(
                    issued.access_token,
                )));
                match paginate(env, pages) {
                    Ok((accounts, n)) => {
                        let list: Vec<String> = accounts
                            .iter()
                            .map(|a| {
                                format!(
                                    "{}:{}:{}",
                                    a.account_id,
                                    a.account_name.as_deref().unwrap_or("-"),
                                    a.email_address.as_deref().unwrap_or("-")
                                )
                            })
                            .collect();
                        format!("ok pages={n} {list:?}")
                    }
                    Err(e) => e,
                }
            })
            .expect(r#"ok pages=2 ["111111111111:Dev:dev@example.com", "222222222222:Staging:staging@example.com", "333333333333:Prod:prod@example.com"]"#)
            .counts(&[(LA, 2)]),
    );
    t.push(
        Scenario::new("portal/list_account_roles_paginated")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let pages = Paginator::new(
                    ListAccountRolesInput::new(
                        AccessToken::new(issued.access_token),
                        PORTAL_ACCOUNT,
                    )
                    .with_max_results(1),
                );
                match paginate(env, pages) {
                    Ok((roles, n)) => {
                        let list: Vec<String> = roles
                            .iter()
                            .map(|r| format!("{}/{}", r.account_id, r.role_name))
                            .collect();
                        format!("ok pages={n} {list:?}")
                    }
                    Err(e) => e,
                }
            })
            .expect(r#"ok pages=2 ["111111111111/ReadOnly", "111111111111/AdministratorAccess"]"#)
            .counts(&[(LAR, 2)]),
    );
    t.push(
        Scenario::new("portal/logout_then_the_token_is_refused")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let out = env.adapter.call(&LogoutInput::new(AccessToken::new(
                    issued.access_token.clone(),
                )));
                let after = env.adapter.call(&grc_input(&issued.access_token));
                let again = env
                    .adapter
                    .call(&LogoutInput::new(AccessToken::new(issued.access_token)));
                format!(
                    "logout={} then={} again={}",
                    typed(out, |_| "done".into()),
                    typed(after, |_| "credentials".into()),
                    typed(again, |_| "done".into())
                )
            })
            .expect(format!(
                "logout=ok done then=service {} [sso] again=service {} [sso]",
                svc(
                    "GetRoleCredentials",
                    401,
                    "UnauthorizedException",
                    Some("Session token not found or invalid")
                ),
                svc(
                    "Logout",
                    401,
                    "UnauthorizedException",
                    Some("Session token not found or invalid")
                )
            ))
            .counts(&[(LOGOUT, 2), (GRC, 1)]),
    );
    let unauthorized = |op| {
        format!(
            "service {} [sso]",
            svc(
                op,
                401,
                "UnauthorizedException",
                Some("Session token not found or invalid")
            )
        )
    };
    t.push(
        Scenario::new("error/portal/unauthorized_bad_token")
            .action(|env| {
                let grc = env.adapter.call(&grc_input("not-a-token"));
                let la = env
                    .adapter
                    .call(&ListAccountsInput::new(AccessToken::new("nope")));
                format!(
                    "{} / {}",
                    typed(grc, |_| "credentials".into()),
                    typed(la, |_| "accounts".into())
                )
            })
            .expect(format!(
                "{} / {}",
                unauthorized("GetRoleCredentials"),
                unauthorized("ListAccounts")
            ))
            .counts(&[(GRC, 1), (LA, 1)]),
    );
    t.push(
        Scenario::new("error/portal/unauthorized_revoked_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                assert!(env.emu.revoke_access_token(&issued.access_token));
                typed(env.adapter.call(&grc_input(&issued.access_token)), |_| {
                    "credentials".into()
                })
            })
            .expect(unauthorized("GetRoleCredentials"))
            .counts(&[(GRC, 1)]),
    );
    t.push(
        Scenario::new("error/portal/unauthorized_expired_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                env.emu.advance(Duration::from_secs(3601));
                typed(
                    env.adapter.call(&ListAccountRolesInput::new(
                        AccessToken::new(issued.access_token),
                        PORTAL_ACCOUNT,
                    )),
                    |_| "roles".into(),
                )
            })
            .expect(unauthorized("ListAccountRoles"))
            .counts(&[(LAR, 1)]),
    );
    t.push(
        Scenario::new("error/portal/resource_not_found")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let token = AccessToken::new(issued.access_token.clone());
                let role = env.adapter.call(&GetRoleCredentialsInput::new(
                    "Billing",
                    "222222222222",
                    token.clone(),
                ));
                let account = env
                    .adapter
                    .call(&ListAccountRolesInput::new(token, "999999999999"));
                format!(
                    "{} / {}",
                    typed(role, |_| "credentials".into()),
                    typed(account, |_| "roles".into())
                )
            })
            .expect(format!(
                "service {} [sso] / service {} [sso]",
                svc(
                    "GetRoleCredentials",
                    404,
                    "ResourceNotFoundException",
                    Some("No access")
                ),
                svc(
                    "ListAccountRoles",
                    404,
                    "ResourceNotFoundException",
                    Some("No access")
                )
            ))
            .counts(&[(GRC, 1), (LAR, 1)]),
    );
    t.push(
        Scenario::new("error/portal/invalid_request_bad_next_token")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let input = ListAccountsInput::new(AccessToken::new(issued.access_token))
                    .with_next_token("not-a-page-token");
                typed(env.adapter.call(&input), |_| "accounts".into())
            })
            .expect(format!(
                "service {} [sso]",
                svc(
                    "ListAccounts",
                    400,
                    "InvalidRequestException",
                    Some("Invalid next_token")
                )
            ))
            .counts(&[(LA, 1)]),
    );
    t.push(
        Scenario::new("error/portal/invalid_input_refused_before_sending")
            .action(|env| {
                let input = ListAccountsInput::new(AccessToken::new("x")).with_max_results(0);
                typed(env.adapter.call(&input), |_| "accounts".into())
            })
            .expect(r#"core InvalidInput(Invalid { operation: "ListAccounts", member: "maxResults", reason: "must be between 1 and 100, got 0" }) [none]"#),
    );
    let portal_fault = |name: &str, kind: FaultKind, times: u32, expect: String, attempts: u64| {
        Scenario::new(format!("fault/portal/{name}"))
            .action(move |env| {
                let issued = env.emu.issue_token(&SCOPES);
                env.emu
                    .push_fault(fault(FaultTarget::Portal, kind.clone(), times));
                let r = env.adapter.call(&ListAccountsInput::new(AccessToken::new(
                    issued.access_token,
                )));
                format!(
                    "{} quota={}",
                    typed(r, |o| format!("accounts={}", o.account_list.len())),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(LA, attempts)])
    };
    t.push(portal_fault(
        "too_many_requests_twice_then_success",
        FaultKind::status(429, Some("TooManyRequestsException")),
        2,
        "ok accounts=2 quota=500".to_owned(),
        3,
    ));
    t.push(portal_fault(
        "too_many_requests_exhausts_attempts",
        FaultKind::status(429, Some("TooManyRequestsException")),
        3,
        format!(
            "service {} [sso] quota=490",
            svc(
                "ListAccounts",
                429,
                "TooManyRequestsException",
                Some("Injected fault")
            )
        ),
        3,
    ));
    t.push(portal_fault(
        "500_once_then_success",
        FaultKind::status(500, None),
        1,
        "ok accounts=2 quota=500".to_owned(),
        2,
    ));
    t.push(portal_fault(
        "unauthorized_not_retried",
        FaultKind::status(401, Some("UnauthorizedException")),
        3,
        format!(
            "service {} [sso] quota=500",
            svc(
                "ListAccounts",
                401,
                "UnauthorizedException",
                Some("Injected fault")
            )
        ),
        1,
    ));
}
