//! Tests of the public endpoint API.

use super::*;

const ALL: [Service; 3] = [Service::SsoOidc, Service::SsoPortal, Service::Sts];

fn url(service: Service, config: &EndpointConfig) -> String {
    resolve(service, config).unwrap().url().to_owned()
}

#[test]
fn join_uses_exactly_one_slash() {
    let cases = [
        ("https://x.com", "/token", "https://x.com/token"),
        ("https://x.com/", "/token", "https://x.com/token"),
        ("https://x.com", "token", "https://x.com/token"),
        ("https://x.com/", "token", "https://x.com/token"),
        ("https://x.com//", "//token", "https://x.com/token"),
        ("https://x.com", "/", "https://x.com/"),
        ("https://x.com", "", "https://x.com/"),
        (
            "http://127.0.0.1:9/prefix",
            "/token",
            "http://127.0.0.1:9/prefix/token",
        ),
        (
            "http://127.0.0.1:9/prefix/",
            "/token",
            "http://127.0.0.1:9/prefix/token",
        ),
        (
            "https://x.com",
            "/token?aws_iam=t",
            "https://x.com/token?aws_iam=t",
        ),
        (
            "https://x.com",
            "/?Action=GetCallerIdentity",
            "https://x.com/?Action=GetCallerIdentity",
        ),
    ];
    for (base, path, want) in cases {
        assert_eq!(
            Endpoint::from_url(base).unwrap().join(path),
            want,
            "{base} + {path}"
        );
    }
}

#[test]
fn from_url_keeps_the_url_and_has_no_overrides() {
    let e = Endpoint::from_url("HTTP://LocalHost:8080/p").unwrap();
    assert_eq!(e.url(), "HTTP://LocalHost:8080/p");
    assert_eq!(e.signing_region(), None);
    assert_eq!(e.signing_name(), None);
    assert_eq!(e.auth_scheme(), None);
    assert!(e.headers().is_empty());
}

#[test]
fn from_url_rejects_unusable_urls() {
    let cases = [
        ("", "empty"),
        ("ftp://example.com", "scheme `ftp` is not http or https"),
        ("example.com", "not an absolute URL"),
        ("/token", "not an absolute URL"),
        ("https://", "not a valid URI"),
        ("https:///path", "not a valid URI"),
        ("not a url", "not a valid URI"),
        ("https://exa mple.com", "not a valid URI"),
        ("\u{7f}", "not a valid URI"),
        ("https://user:pw@example.com", "user info"),
        ("https://example.com/?a=b", "query"),
        ("https://example.com/#frag", "fragment"),
    ];
    for (input, want) in cases {
        match Endpoint::from_url(input) {
            Err(EndpointError::InvalidUrl { url, reason }) => {
                assert_eq!(url, input);
                assert!(
                    reason.contains(want),
                    "{input:?}: {reason:?} lacks {want:?}"
                );
                let shown = EndpointError::InvalidUrl { url, reason }.to_string();
                assert!(shown.contains(input), "{shown}");
            }
            other => panic!("{input:?}: expected InvalidUrl, got {other:?}"),
        }
    }
}

#[test]
fn unknown_region_falls_back_to_the_aws_partition() {
    let config = EndpointConfig::for_region("xx-nowhere-9");
    assert_eq!(
        url(Service::SsoOidc, &config),
        "https://oidc.xx-nowhere-9.amazonaws.com"
    );
    assert_eq!(
        url(Service::SsoPortal, &config.clone().with_dual_stack(true)),
        "https://portal.sso.xx-nowhere-9.api.aws"
    );
    assert_eq!(
        url(Service::Sts, &config.with_fips(true)),
        "https://sts-fips.xx-nowhere-9.amazonaws.com"
    );
}

#[test]
fn sts_aws_global_is_signed_for_us_east_1() {
    for global in [false, true] {
        let config = EndpointConfig::for_region("aws-global").with_global_endpoint(global);
        let e = resolve(Service::Sts, &config).unwrap();
        assert_eq!(e.url(), "https://sts.amazonaws.com");
        assert_eq!(e.signing_region(), Some("us-east-1"));
        assert_eq!(e.signing_name(), Some("sts"));
        assert_eq!(e.auth_scheme(), Some("sigv4"));
    }
}

#[test]
fn global_endpoint_flag_only_affects_sts() {
    let config = EndpointConfig::for_region("eu-west-1").with_global_endpoint(true);
    assert_eq!(url(Service::Sts, &config), "https://sts.amazonaws.com");
    assert_eq!(
        url(Service::SsoOidc, &config),
        "https://oidc.eu-west-1.amazonaws.com"
    );
    let regional = resolve(Service::Sts, &EndpointConfig::for_region("eu-west-1")).unwrap();
    assert_eq!(regional.url(), "https://sts.eu-west-1.amazonaws.com");
    assert_eq!(regional.signing_region(), None);
}

#[test]
fn custom_endpoint_is_verbatim_then_validated() {
    let config = EndpointConfig::new().with_endpoint_url("http://127.0.0.1:9/prefix");
    let e = resolve(Service::SsoOidc, &config).unwrap();
    assert_eq!(e.url(), "http://127.0.0.1:9/prefix");
    assert_eq!(e.join("/token"), "http://127.0.0.1:9/prefix/token");

    let bad = EndpointConfig::for_region("us-east-1").with_endpoint_url("ftp://example.com");
    assert!(matches!(
        resolve(Service::Sts, &bad),
        Err(EndpointError::InvalidUrl { .. })
    ));
    // The rule set's configuration errors come first.
    let err = resolve(Service::Sts, &bad.with_fips(true)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid Configuration: FIPS and custom endpoint are not supported"
    );
}

#[test]
fn regions_that_are_not_host_labels_are_rejected() {
    for region in [
        "",
        "us-east-1.evil.com",
        "evil.com/x?",
        "us east 1",
        "-x",
        "é",
    ] {
        for service in ALL {
            let config = EndpointConfig::for_region(region);
            assert_eq!(
                resolve(service, &config),
                Err(EndpointError::InvalidRegion {
                    region: region.to_owned()
                }),
                "{region:?}"
            );
        }
    }
}

#[test]
fn service_names() {
    let names: Vec<_> = ALL
        .iter()
        .map(|s| (s.signing_name(), s.endpoint_prefix()))
        .collect();
    assert_eq!(
        names,
        [
            ("sso-oauth", "oidc"),
            ("awsssoportal", "portal.sso"),
            ("sts", "sts")
        ]
    );
}

#[test]
fn config_builders() {
    let c = EndpointConfig::for_region("r")
        .with_fips(true)
        .with_dual_stack(true)
        .with_endpoint_url("https://e")
        .with_global_endpoint(true);
    assert_eq!(c.region.as_deref(), Some("r"));
    assert!(c.use_fips && c.use_dual_stack && c.use_global_endpoint);
    assert_eq!(c.endpoint_url.as_deref(), Some("https://e"));
    assert_eq!(EndpointConfig::new(), EndpointConfig::default());
}

/// Weird regions and URLs in every combination of flags: resolution may
/// fail, but must never panic, and any endpoint it returns has a valid URL.
#[test]
fn weird_inputs_never_panic() {
    let mut strings: Vec<String> = [
        "",
        " ",
        "{",
        "}",
        "{Region}",
        "{{",
        "#",
        "a#b",
        "[0]",
        "us-east-1",
        "aws-global",
        "cn-north-1",
        "us-gov-west-1",
        "us-east-1\0",
        "ünïcödé",
        "日本-east-1",
        "🦀",
        "us-east-1\n",
        "..",
        "-",
        "a-",
        "x.y",
        "%00",
        "http://",
        "https://",
        "https://[::1]:1/",
        "https://example.com",
        "https://example.com:99999",
        "https://example.com/a?b",
        "//x",
        "ftp://x",
        "https://x/#",
        "https://u@x",
        "http://127.0.0.1:9/prefix",
        "\u{202e}",
        "https://ex\u{e9}mple.com",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    strings.push("a".repeat(63));
    strings.push("a".repeat(64));
    strings.push("x".repeat(100_000));
    strings.push(format!("https://{}.com", "a".repeat(10_000)));
    strings.push("{".repeat(1000));

    let mut runs = 0;
    for text in &strings {
        for flags in 0..16u8 {
            let base = EndpointConfig::new()
                .with_fips(flags & 1 != 0)
                .with_dual_stack(flags & 2 != 0)
                .with_global_endpoint(flags & 4 != 0);
            let configs = [
                EndpointConfig {
                    region: Some(text.clone()),
                    ..base.clone()
                },
                EndpointConfig {
                    endpoint_url: Some(text.clone()),
                    region: (flags & 8 != 0).then(|| "us-east-1".to_owned()),
                    ..base
                },
            ];
            for config in &configs {
                for service in ALL {
                    runs += 1;
                    match resolve(service, config) {
                        Ok(e) => {
                            assert!(Endpoint::from_url(e.url()).is_ok(), "{config:?}");
                            let _ = e.join(text);
                        }
                        Err(EndpointError::Evaluation { message }) => {
                            panic!("evaluator error for {config:?}: {message}")
                        }
                        Err(_) => {}
                    }
                }
            }
            let _ = Endpoint::from_url(text.as_str());
        }
    }
    assert!(runs > 300, "only {runs} runs");
}
