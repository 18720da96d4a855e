//! Injected faults on STS: retried, re-signed on every attempt, or reported.

#[allow(unused_imports)]
use super::*;

pub(crate) fn sts_fault_scenarios(t: &mut Vec<Scenario>) {
    let on_gci = |name: &str,
                  target: FaultTarget,
                  kind: FaultKind,
                  times: u32,
                  expect: String,
                  attempts: u64| {
        Scenario::new(format!("fault/sts/{name}"))
            .emulator(iam_emulator())
            .action(move |env| {
                env.emu
                    .push_fault(fault(target.clone(), kind.clone(), times));
                let r = env
                    .adapter
                    .call_signed(&GetCallerIdentityInput::new(), signer());
                format!(
                    "{} quota={}",
                    typed(r, |o| o.arn),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(GCI, attempts)])
    };
    let gci_target = FaultTarget::StsOperation(StsOperation::GetCallerIdentity);
    let ok = format!("ok {STATIC_ARN} quota=500");
    let injected = |status: u16, code: &str, fault: &str| {
        sts_svc("GetCallerIdentity", status, code, "Injected fault", fault)
    };
    t.push(on_gci(
        "500_twice_then_success_signed_every_attempt",
        gci_target.clone(),
        FaultKind::status(500, Some("InternalFailure")),
        2,
        ok.clone(),
        3,
    ));
    t.push(on_gci(
        "503_exhausts_attempts",
        gci_target.clone(),
        FaultKind::status(503, Some("ServiceUnavailable")),
        3,
        format!(
            "{} [other] quota=490",
            injected(503, "ServiceUnavailable", "Receiver")
        ),
        3,
    ));
    t.push(on_gci(
        "throttling_twice_then_success",
        gci_target.clone(),
        FaultKind::status(400, Some("Throttling")),
        2,
        ok.clone(),
        3,
    ));
    t.push(on_gci(
        "throttling_exhausts_attempts",
        gci_target.clone(),
        FaultKind::status(400, Some("Throttling")),
        3,
        format!(
            "{} [other] quota=490",
            injected(400, "Throttling", "Sender")
        ),
        3,
    ));
    t.push(on_gci(
        "access_denied_not_retried",
        gci_target.clone(),
        FaultKind::status(403, Some("AccessDenied")),
        3,
        format!(
            "{} [other] quota=500",
            injected(403, "AccessDenied", "Sender")
        ),
        1,
    ));
    t.push(on_gci(
        "any_sts_drop_once_then_success",
        FaultTarget::Sts,
        FaultKind::Drop,
        1,
        ok.clone(),
        2,
    ));
    t.push(on_gci(
        "fault_on_another_operation_does_not_apply",
        FaultTarget::StsOperation(StsOperation::AssumeRole),
        FaultKind::status(500, Some("InternalFailure")),
        3,
        ok,
        1,
    ));
    t.push(
        Scenario::new("fault/sts/idp_communication_error_retried_unsigned")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::StsOperation(StsOperation::AssumeRoleWithWebIdentity),
                    FaultKind::status(400, Some("IDPCommunicationError")),
                    2,
                ));
                let token =
                    jwt(r#"{"iss":"https://idp.example.com","sub":"user-1","aud":"client-1"}"#);
                let input = AssumeRoleWithWebIdentityInput::new(ROLE_ARN, "web-session", token);
                typed(env.adapter.call(&input), |o| {
                    format!("{:?}", o.assumed_role_user.map(|u| u.arn))
                })
            })
            .expect(r#"ok Some("arn:aws:sts::210987654321:assumed-role/demo/web-session")"#)
            .counts(&[(ARWI, 3)]),
    );
    t.push(
        Scenario::new("fault/sts/idp_communication_error_exhausts_attempts")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::StsOperation(StsOperation::AssumeRoleWithSaml),
                    FaultKind::status(400, Some("IDPCommunicationError")),
                    3,
                ));
                typed(env.adapter.call(&saml_input(saml(""))), |_| {
                    "assumed".into()
                })
            })
            .expect(format!(
                "{} [sts]",
                sts_svc(
                    "AssumeRoleWithSAML",
                    400,
                    "IDPCommunicationError",
                    "Injected fault",
                    "Sender"
                )
            ))
            .counts(&[(ARS, 3)]),
    );
}
