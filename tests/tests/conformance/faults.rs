//! Injected faults: throttling, 5xx, dropped connections, timeouts, garbage answers, and how each is retried or reported.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    // Every error shape the model names, as the emulator renders it, on
    // RegisterClient; then throttling and a code the model does not name.
    let mut codes: Vec<(String, u16)> = oidc_core::sso_oidc::ErrorCode::modelled()
        .map(|c| {
            let status = match c.as_str() {
                "InternalServerException" => 500,
                "InvalidClientException" => 401,
                _ => 400,
            };
            (c.as_str().to_owned(), status)
        })
        .collect();
    codes.push(("ThrottlingException".to_owned(), 400));
    codes.push(("SomethingNewException".to_owned(), 400));
    for (code, status) in codes {
        let retried = matches!(
            code.as_str(),
            "InternalServerException" | "ThrottlingException"
        );
        let attempts = if retried { 3 } else { 1 };
        let msg = "Injected fault";
        let fault_code = code.clone();
        t.push(
            Scenario::new(format!("fault/status/{code}"))
                .action(move |env| {
                    env.emu.push_fault(fault(
                        FaultTarget::RegisterClient,
                        FaultKind::status(status, Some(&fault_code)),
                        3,
                    ));
                    outcome::result(env.adapter.call(&register_input()), registered)
                })
                .expect(format!(
                    "service {}",
                    svc("RegisterClient", status, &code, Some(msg))
                ))
                .counts(&[(REG, attempts)]),
        );
    }

    let on_register = |name: &str, kind: FaultKind, times: u32, expect: &str, attempts: u64| {
        Scenario::new(format!("fault/{name}"))
            .action(move |env| {
                env.emu
                    .push_fault(fault(FaultTarget::RegisterClient, kind.clone(), times));
                let r = env.adapter.call(&register_input());
                format!(
                    "{} quota={}",
                    outcome::result(r, registered),
                    env.adapter.retry_quota_available()
                )
            })
            .expect(expect)
            .counts(&[(REG, attempts)])
    };
    let ok = "ok registered id=yes secret=yes expires=yes";
    t.push(on_register(
        "500_twice_then_success",
        FaultKind::status(500, Some("InternalServerException")),
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "503_empty_body_exhausts_attempts",
        FaultKind::status(503, None),
        3,
        "service RegisterClient 503 503 msg=none rid=yes quota=490",
        3,
    ));
    t.push(on_register(
        "throttling_twice_then_success",
        FaultKind::status(400, Some("ThrottlingException")),
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "drop_twice_then_success",
        FaultKind::Drop,
        2,
        &format!("{ok} quota=500"),
        3,
    ));
    t.push(on_register(
        "drop_exhausts_attempts",
        FaultKind::Drop,
        3,
        "transport RegisterClient Exchange quota=490",
        3,
    ));
    t.push(on_register(
        "truncated_exhausts_attempts",
        FaultKind::Truncated,
        3,
        // A body cut before its Content-Length is a transport failure
        // in both adapters (retried).
        "transport RegisterClient Exchange quota=490",
        3,
    ));
    t.push(on_register(
        "truncated_once_then_success",
        FaultKind::Truncated,
        1,
        &format!("{ok} quota=500"),
        2,
    ));
    t.push(on_register("malformed_not_retried", FaultKind::Malformed, 3, "parse RegisterClient 200 NotJson { line: 1, column: 46, looks_like_html: false } rid=yes quota=500", 1));
    t.push(on_register(
        "empty_not_retried",
        FaultKind::Empty,
        3,
        "parse RegisterClient 200 EmptyBody rid=yes quota=500",
        1,
    ));
    t.push(on_register("wrong_shape_not_retried", FaultKind::WrongShape, 3, r#"parse RegisterClient 200 WrongShape { detail: "invalid type or value, expected a string" } rid=yes quota=500"#, 1));
    t.push(on_register("html_502_exhausts_attempts", FaultKind::Html, 3, "parse RegisterClient 502 NotJson { line: 1, column: 1, looks_like_html: true } rid=yes quota=490", 3));
    t.push(on_register(
        "oversized_body_refused",
        FaultKind::Oversized { bytes: 2_000_000 },
        3,
        "transport RegisterClient BodyTooLarge { status: 200, limit: 1048576 } quota=500",
        1,
    ));
    t.push(
        on_register(
            "oversized_past_a_small_cap",
            FaultKind::Oversized { bytes: 5000 },
            3,
            "transport RegisterClient BodyTooLarge { status: 200, limit: 4096 } quota=500",
            1,
        )
        .config(|c| c.with_max_body_bytes(4096)),
    );
    t.push(on_register(
        "short_delay_within_timeouts",
        FaultKind::Delay { ms: 100 },
        1,
        &format!("{ok} quota=500"),
        1,
    ));
    t.push(
        on_register(
            "delay_past_read_timeout_once_then_success",
            FaultKind::Delay { ms: 900 },
            1,
            &format!("{ok} quota=500"),
            2,
        )
        .config(|c| c.with_read_timeout(Duration::from_millis(300))),
    );
    t.push(
        on_register(
            "delay_past_read_timeout_exhausts_attempts",
            FaultKind::Delay { ms: 900 },
            3,
            "transport RegisterClient Timeout { phase: Read, after: 300ms } quota=480",
            3,
        )
        .config(|c| c.with_read_timeout(Duration::from_millis(300))),
    );
    t.push(
        on_register(
            "delay_past_call_timeout_exhausts_attempts",
            FaultKind::Delay { ms: 900 },
            3,
            "transport RegisterClient Timeout { phase: Call, after: 300ms } quota=480",
            3,
        )
        .config(|c| {
            c.with_read_timeout(Duration::from_secs(5))
                .with_call_timeout(Duration::from_millis(300))
        }),
    );
    t.push(
        Scenario::new("fault/connection_refused")
            .action(|env| {
                // Port 1 (tcpmux): nothing listens there, and no emulator of
                // a concurrent scenario can be given it (emulators take
                // ephemeral ports). A port freed by binding and dropping a
                // listener could be handed to one, which would then count
                // this scenario's retries as its own connections.
                let port = 1;
                let config = env
                    .config
                    .clone()
                    .with_endpoint_url(format!("http://127.0.0.1:{port}"));
                let client = Adapter::new(env.kind, config).expect("client");
                let r = client.call(&register_input());
                format!(
                    "{} quota={}",
                    outcome::result(r, registered),
                    client.retry_quota_available()
                )
            })
            .expect("transport RegisterClient Connect quota=490"),
    );
}
