//! Fuzz target `endpoint`: `endpoint::resolve` and `Endpoint::from_url`.

use oidc_core::endpoint::{self, Endpoint, EndpointConfig, Service};
use oidc_core::sso_oidc::register_client::{self, RegisterClientInput};

/// `endpoint::resolve` for the configuration in the input (and
/// `Endpoint::from_url` for its URL line). A resolved endpoint validates
/// again with `from_url`, carries the region in its host when no custom URL
/// was set, and forms a request URI for every operation path.
pub fn endpoint(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let flags = lines.next().unwrap_or_default();
    let region = lines.next().filter(|l| *l != "-");
    let url = lines.next().filter(|l| *l != "-");
    let mut service = Service::SsoOidc;
    let mut config = EndpointConfig::new();
    for flag in flags.split_whitespace() {
        match flag {
            "oidc" => service = Service::SsoOidc,
            "sso" => service = Service::SsoPortal,
            "sts" => service = Service::Sts,
            "fips" => config = config.with_fips(true),
            "dualstack" => config = config.with_dual_stack(true),
            "global" => config = config.with_global_endpoint(true),
            _ => {}
        }
    }
    if let Some(region) = region {
        config.region = Some(region.to_owned());
    }
    if let Some(url) = url {
        config = config.with_endpoint_url(url);
        if let Ok(e) = Endpoint::from_url(url) {
            assert_eq!(e.url(), url, "from_url changed the URL");
            check_endpoint(&e);
        }
    }
    match endpoint::resolve(service, &config) {
        Ok(e) => {
            let again = Endpoint::from_url(e.url()).expect("a resolved URL validates");
            assert_eq!(again.url(), e.url());
            match (&config.endpoint_url, &config.region) {
                (Some(url), _) => assert_eq!(e.url(), url, "custom endpoint not verbatim"),
                (None, Some(region)) => {
                    let global_sts =
                        service == Service::Sts && e.url() == "https://sts.amazonaws.com";
                    assert!(
                        e.url().starts_with("https://")
                            && (global_sts || e.url().contains(region.as_str())),
                        "{} does not name region {region:?}",
                        e.url()
                    );
                }
                (None, None) => panic!("resolved {} without a region or URL", e.url()),
            }
            check_endpoint(&e);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Every operation can build its request on a validated endpoint.
fn check_endpoint(e: &Endpoint) {
    let input = RegisterClientInput::new("fuzz");
    let request = register_client::request(&input, e).unwrap_or_else(|err| {
        panic!(
            "endpoint {:?} validated but cannot form a request: {err}",
            e.url()
        )
    });
    assert!(request.uri().to_string().ends_with("/client/register"));
    for path in ["/token", "/token?aws_iam=t", "/device_authorization"] {
        let joined = e.join(path);
        assert!(
            joined.parse::<http::Uri>().is_ok(),
            "{joined:?} is not a request URI"
        );
    }
}
