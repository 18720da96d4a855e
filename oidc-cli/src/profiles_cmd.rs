//! `profiles`: every profile of the AWS config and credentials files, with
//! what `oidc_host::profile::list_profiles` makes of it; and (in
//! [`completion`]) the shell completion of profile and sso-session names.

pub(crate) mod completion;

use std::time::SystemTime;

use oidc_host::aws_config::Environment;
use oidc_host::profile::{
    list_profiles, ProfileFiles, ProfileKind, ProfileSummary, ResolveOptions,
};
use serde_json::json;

use crate::commands::emit;
use crate::exit::{self, Failure};
use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::ui::{self, Style};
use crate::{Global, Output};

/// `profiles`.
pub(crate) fn profiles(_rt: &Runtime, g: &Global) -> Result<(), BoxError> {
    let env = Environment::from_env();
    let files = ProfileFiles::load(&env)
        .map_err(|e| Failure::caused_by(exit::LOCAL, "the AWS configuration cannot be used", e))?;
    let mut options = ResolveOptions::from_env(&env)?;
    if let Some(url) = &g.endpoint_url {
        options = options.with_endpoint_url(url.clone());
    }
    let list = list_profiles(&files, &env, &options, SystemTime::now());
    match g.output {
        Output::Json => {
            for p in &list {
                emit(&to_json(p));
            }
        }
        Output::Text => print_table(&list),
    }
    Ok(())
}

/// One profile as a JSON object (`null` for what it does not have).
fn to_json(p: &ProfileSummary) -> serde_json::Value {
    let mut value = json!({
        "profile": p.name,
        "kind": p.kind.name(),
        "ssoSession": p.sso_session,
        "startUrl": p.start_url,
        "accountId": p.account_id,
        "roleName": p.role_name,
        "sourceProfile": p.source,
        "region": p.region,
    });
    if let (ProfileKind::Invalid { reason }, Some(object)) = (&p.kind, value.as_object_mut()) {
        object.insert("error".to_owned(), json!(reason));
    }
    value
}

/// The table's cells of one profile, each printable.
fn row(p: &ProfileSummary) -> [String; 6] {
    let cell = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_owned(), ui::shown);
    [
        ui::shown(&p.name),
        p.kind.name().to_owned(),
        cell(&p.sso_session),
        cell(&p.account_id),
        cell(&p.role_name),
        cell(&p.region),
    ]
}

fn print_table(list: &[ProfileSummary]) {
    if list.is_empty() {
        println!("No profile is configured; `oidc-cli configure` writes some.");
        return;
    }
    let header = ["PROFILE", "KIND", "SESSION", "ACCOUNT", "ROLE", "REGION"].map(str::to_owned);
    let rows: Vec<[String; 6]> = std::iter::once(header)
        .chain(list.iter().map(row))
        .collect();
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for r in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in r.iter().zip(widths).enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let pad = w - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{}", line.trim_end());
    }
    let style = Style::stderr();
    for p in list {
        if let ProfileKind::Invalid { reason } = &p.kind {
            eprintln!(
                "{} profile {}: {}",
                style.warn("warning:"),
                ui::shown(&p.name),
                ui::shown(reason)
            );
        }
    }
}
