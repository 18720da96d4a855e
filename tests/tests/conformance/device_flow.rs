//! The device flow: pending, slow down, denial, expiry, cancel.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    fn flow_outcome(
        r: Result<CreateTokenOutput, Error>,
        flow: &DeviceFlow,
        prompts: usize,
    ) -> String {
        format!(
            "{} prompts={prompts} interval={:?}",
            outcome::result(r, token_out),
            flow.interval()
        )
    }
    t.push(
        Scenario::new("device_flow/approved_before_the_first_poll")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                assert!(env.emu.approve(&started.user_code));
                let mut flow = DeviceFlow::new(
                    issued.client_id.clone(),
                    ClientSecret::new(issued.client_secret.clone()),
                    started,
                    env.adapter.endpoint(Service::SsoOidc).expect("endpoint"),
                    Instant::now(),
                );
                let prompts = AtomicUsize::new(0);
                let r = env.adapter.run_device_flow(
                    &mut flow,
                    |_| {
                        prompts.fetch_add(1, Ordering::SeqCst);
                    },
                    &CancelToken::new(),
                );
                flow_outcome(r, &flow, prompts.load(Ordering::SeqCst))
            })
            .expect("ok token access=yes refresh=yes prompts=0 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("device_flow/pending_twice_then_approved")
            .action(|env| {
                let cancel = CancelToken::new();
                let (r, flow, prompts) = thread::scope(|s| {
                    let (tx, rx) = mpsc::channel::<String>();
                    let emu = env.emu;
                    s.spawn(move || {
                        if let Ok(code) = rx.recv_timeout(Duration::from_secs(10)) {
                            wait_for(Duration::from_secs(10), || {
                                emu.stats().create_token_device_code >= 2
                            });
                            thread::sleep(Duration::from_millis(300));
                            emu.approve(&code);
                        }
                    });
                    let tx = Mutex::new(tx);
                    run_flow(env, &cancel, move |_, p, _| {
                        let _ = tx.lock().unwrap().send(p.user_code.clone());
                    })
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 3)]),
    );
    t.push(
        Scenario::new("device_flow/slow_down_grows_the_interval")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(400, Some("SlowDownException")),
                    1,
                ));
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                format!(
                    "{} waited>=6s={}",
                    flow_outcome(r, &flow, prompts),
                    yes(started.elapsed() >= Duration::from_secs(6))
                )
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=6s waited>=6s=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/denied")
            .action(|env| {
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.deny(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow denied ({}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    400,
                    "AccessDeniedException",
                    Some("The user denied the authorization request")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/expired_by_the_service")
            .action(|env| {
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, _, _| {
                    emu.advance(Duration::from_secs(700));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow expired ({}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    400,
                    "ExpiredTokenException",
                    Some("Device code has expired")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/ends_at_its_deadline")
            .emulator(EmulatorConfig::default().with_device_code_expires_in(2))
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |_, _, _| {});
                let elapsed = started.elapsed();
                format!(
                    "{} by-deadline={}",
                    flow_outcome(r, &flow, prompts),
                    yes(elapsed >= Duration::from_millis(1900)
                        && elapsed < Duration::from_millis(2600))
                )
            })
            .expect("device-flow expired (local deadline) prompts=1 interval=1s by-deadline=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/abandons_a_poll_in_flight_at_the_deadline")
            .emulator(EmulatorConfig::default().with_device_code_expires_in(2))
            .config(|c| {
                c.with_read_timeout(Duration::from_secs(10))
                    .with_call_timeout(Duration::from_secs(10))
            })
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, _, _| {
                    emu.push_fault(fault(
                        FaultTarget::CreateTokenDeviceCode,
                        FaultKind::Delay { ms: 4000 },
                        1,
                    ));
                });
                let elapsed = started.elapsed();
                format!(
                    "{} by-deadline={}",
                    flow_outcome(r, &flow, prompts),
                    yes(elapsed < Duration::from_millis(2600))
                )
            })
            .expect("device-flow expired (local deadline) prompts=1 interval=1s by-deadline=yes")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/a_5xx_poll_is_counted_once_not_retried")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(500, Some("InternalServerException")),
                    1,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/a_dropped_poll_is_counted_once")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::Drop,
                    1,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |emu, p, _| {
                    assert!(emu.approve(&p.user_code));
                });
                flow_outcome(r, &flow, prompts)
            })
            .expect("ok token access=yes refresh=yes prompts=1 interval=1s")
            .counts(&[(SDA, 1), (CTDC, 2)]),
    );
    t.push(
        Scenario::new("device_flow/four_5xx_polls_in_a_row_give_up")
            .action(|env| {
                env.emu.push_fault(fault(
                    FaultTarget::CreateTokenDeviceCode,
                    FaultKind::status(500, Some("InternalServerException")),
                    4,
                ));
                let (r, flow, prompts) = run_flow(env, &CancelToken::new(), |_, _, _| {});
                flow_outcome(r, &flow, prompts)
            })
            .expect(format!(
                "device-flow failed (service {}) prompts=1 interval=1s",
                svc(
                    "CreateToken",
                    500,
                    "InternalServerException",
                    Some("Injected fault")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 4)]),
    );
    t.push(
        Scenario::new("device_flow/cancel_during_the_wait")
            .action(|env| {
                let started = Instant::now();
                let (r, flow, prompts) =
                    run_flow(env, &CancelToken::new(), |_, _, cancel| cancel.cancel());
                format!(
                    "{} prompt={}",
                    flow_outcome(r, &flow, prompts),
                    yes(started.elapsed() < Duration::from_millis(800))
                )
            })
            .expect("cancelled prompts=1 interval=1s prompt=yes")
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
    t.push(
        Scenario::new("device_flow/invalid_client")
            .action(|env| {
                let issued = env.emu.issue_token(&SCOPES);
                let started = env.adapter.call(&start_input(&issued)).expect("started");
                let mut flow = DeviceFlow::new(
                    issued.client_id.clone(),
                    ClientSecret::new("wrong"),
                    started,
                    env.adapter.endpoint(Service::SsoOidc).expect("endpoint"),
                    Instant::now(),
                );
                let r = env
                    .adapter
                    .run_device_flow(&mut flow, |_| {}, &CancelToken::new());
                flow_outcome(r, &flow, 0)
            })
            .expect(format!(
                "device-flow invalid-client ({}) prompts=0 interval=1s",
                svc(
                    "CreateToken",
                    401,
                    "InvalidClientException",
                    Some("Invalid client")
                )
            ))
            .counts(&[(SDA, 1), (CTDC, 1)]),
    );
}
