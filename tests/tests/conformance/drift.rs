//! Configuration edges: the HTTPS rule, endpoint overrides, user agents.

#[allow(unused_imports)]
use super::*;

pub(super) fn scenarios(t: &mut Vec<Scenario>) {
    t.push(
        Scenario::new("drift/user_agent_suffix_invalid")
            .config(|c| c.with_user_agent_suffix("tool/1\nX-Injected: yes"))
            .action(|_| "client built".to_owned())
            .expect("config UserAgent"),
    );
    t.push(
        Scenario::new("drift/tls_failure_is_not_retried")
            .action(|env| {
                let (port, connections) = garbage_server();
                let config = env
                    .config
                    .clone()
                    .with_endpoint_url(format!("https://127.0.0.1:{port}"));
                let client = Adapter::new(env.kind, config).expect("client");
                let r = client.call(&register_input());
                format!(
                    "{} connections={}",
                    outcome::result(r, registered),
                    connections.load(Ordering::SeqCst)
                )
            })
            .expect("transport RegisterClient Tls connections=1"),
    );
    t.push(
        Scenario::new("drift/https_rule")
            .action(|env| {
                let remote =
                    Config::for_region("us-east-1").with_endpoint_url("http://oidc.example.com");
                let refused = Adapter::new(env.kind, remote.clone()).err();
                let allowed = Adapter::new(env.kind, remote.with_insecure_http(true)).is_ok();
                let loopback = Adapter::new(
                    env.kind,
                    Config::for_region("us-east-1").with_endpoint_url("http://127.0.0.1:9"),
                )
                .is_ok();
                format!(
                    "remote-http={} allowed-when-asked={} loopback={}",
                    refused.map_or("accepted".to_owned(), |e| outcome::error(&e)),
                    yes(allowed),
                    yes(loopback)
                )
            })
            .expect("remote-http=config Insecure allowed-when-asked=yes loopback=yes"),
    );
}
