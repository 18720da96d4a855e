//! `console`: the AWS console, signed in with a profile's temporary
//! credentials through the federation endpoint.
//!
//! 1. The console page: `--service` and `--region` (default: the
//!    profile's region) name it; the region's partition (`aws`, `aws-cn`,
//!    `aws-us-gov`) picks the console and sign-in hosts.
//! 2. The profile's credentials, which must be temporary (an SSO role, an
//!    assumed role, ...): long-term keys are refused.
//! 3. `getSigninToken` at the federation endpoint, with a 12-hour
//!    `SessionDuration` unless the credentials come from role chaining
//!    (a role assumed with another role's credentials), for which the
//!    endpoint refuses one.
//! 4. The `login` URL: opened in the browser (only URLs the untrusted-URI
//!    rules allow), or printed with `--no-browser`, on a headless or remote
//!    machine, and always with `--output json` (`{"url": ...}`).
//!
//! The federation endpoint is the partition's
//! (`https://signin.aws.amazon.com/federation`, ...), unless
//! `AWS_ENDPOINT_URL_SIGNIN` names one (used as is, `/federation` added
//! when it has no path), or else `--endpoint-url` or `AWS_ENDPOINT_URL`
//! does (with `/federation` appended: the emulator serves it there).
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` ignores the two variables.
//!
//! The URL holds a sign-in token (console access for 15 minutes): it goes
//! to stdout only, never to stderr or a log.

use oidc_core::federation::{
    console_destination, login_url, FederationEndpoint, Partition, SigninTokenRequest,
    MAX_SESSION_DURATION,
};
use oidc_host::console::SigninTokenFlow;
use oidc_host::profile::{LinkKind, Resolution};

use crate::exit::{self, Failure};
use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::{ConsoleArgs, Global, Output};

/// What the login URL names as its issuer.
const ISSUER: &str = "oidc-cli";

/// `console`.
pub(crate) fn console(rt: &Runtime, g: &Global, args: &ConsoleArgs) -> Result<(), BoxError> {
    let resolution = crate::profiles::resolve_profile(rt, g)?;
    let region = args
        .region
        .as_deref()
        .or(resolution.region.as_deref())
        .filter(|r| !r.is_empty());
    let usage = |e: oidc_core::federation::FederationError| -> BoxError {
        Failure::caused_by(exit::USAGE, "the console page cannot be named", e).into()
    };
    let partition = match region {
        Some(region) => Partition::from_region(region).map_err(usage)?,
        None => Partition::Aws,
    };
    let destination =
        console_destination(partition, region, args.service.as_deref()).map_err(usage)?;
    let endpoint = federation_endpoint(g, partition)?;

    let credentials = crate::profiles::credentials(rt, &resolution)?;
    let mut request = SigninTokenRequest::new(&credentials).map_err(|e| {
        Failure::caused_by(
            exit::USAGE,
            format!(
                "profile {} has long-term keys; `console` needs temporary credentials \
                 (an SSO profile, or a role to assume)",
                crate::ui::shown(&resolution.profile)
            ),
            e,
        )
    })?;
    if !role_chained(&resolution) {
        request = request.with_session_duration(MAX_SESSION_DURATION);
    }

    rt.arm();
    let client = crate::profiles::client(rt, &resolution)?;
    rt.step("getting a console sign-in token");
    let token = client
        .run(
            SigninTokenFlow::new(&request, &endpoint),
            |_| {},
            &rt.options(),
        )
        .map_err(|e| -> BoxError {
            let code = match &e {
                // The endpoint refused the credentials or garbled its answer.
                oidc_ureq::Error::Federation(_) => exit::SERVICE,
                e => exit::code_of(e),
            };
            Failure::caused_by(
                code,
                format!(
                    "the federation endpoint {} gave no sign-in token",
                    crate::ui::shown(endpoint.url())
                ),
                e,
            )
            .into()
        })?;
    let url = login_url(&endpoint, ISSUER, &destination, &token);

    if g.output == Output::Json {
        crate::commands::emit(&serde_json::json!({ "url": url }));
        return Ok(());
    }
    let open = !args.no_browser && !crate::target::headless_or_remote();
    if open {
        match crate::opener::open(&url) {
            Ok(()) => {
                eprintln!("Opened the console ({}) in your browser.", destination);
                return Ok(());
            }
            Err(note) => eprintln!("{note}"),
        }
    }
    eprintln!("Open this URL within 15 minutes to sign in to the console ({destination}):");
    println!("{url}");
    Ok(())
}

/// The federation endpoint: `AWS_ENDPOINT_URL_SIGNIN`, or the global
/// endpoint URL (`--endpoint-url`, `AWS_ENDPOINT_URL`) with `/federation`,
/// or the partition's.
fn federation_endpoint(g: &Global, partition: Partition) -> Result<FederationEndpoint, BoxError> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !ignore && !v.trim().is_empty())
    };
    let configured = match (&g.endpoint_url, var("AWS_ENDPOINT_URL_SIGNIN")) {
        (None, Some(signin)) => Some(signin),
        (Some(url), _) => Some(join_federation(url)),
        (None, None) => var("AWS_ENDPOINT_URL").map(|url| join_federation(&url)),
    };
    match configured {
        None => Ok(FederationEndpoint::for_partition(partition)),
        Some(url) => FederationEndpoint::from_url(url.trim()).map_err(|e| {
            Failure::caused_by(exit::USAGE, "the federation endpoint cannot be used", e).into()
        }),
    }
}

/// `url` with `/federation` appended to its path.
fn join_federation(url: &str) -> String {
    format!("{}/federation", url.trim().trim_end_matches('/'))
}

/// Whether the credentials come from role chaining: the profile assumes a
/// role with credentials that are themselves a role's (anything but an IAM
/// user's long-term keys in a file).
fn role_chained(resolution: &Resolution) -> bool {
    match resolution.links.first().map(|l| &l.kind) {
        Some(LinkKind::AssumeRole { .. }) => !matches!(
            resolution.links.get(1).map(|l| &l.kind),
            Some(LinkKind::StaticKeys { .. })
        ),
        _ => false,
    }
}
