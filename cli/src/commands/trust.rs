//! `image trust show` and `image trust set`: the trust policy
//! (containers-policy.json) that `pull` enforces.

use crate::prep::Lazy;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use rpod_api::front_door::images::{SetTrustOptions, ShowTrustReport};
use serde_json::json;

use super::common::{open_front_door, print_listing, Globals};
use crate::cli_error::CliResult;
use crate::format::HeaderMap;

const DEFAULT_FORMAT: &str =
    "table {{.Transport}}\t{{.Name}}\t{{.Type}}\t{{.GPGId}}\t{{.SignatureStore}}";
const HEADERS: &[(&str, &str)] = &[
    ("Transport", "TRANSPORT"),
    ("Name", "NAME"),
    ("Type", "TYPE"),
    ("GPGId", "ID"),
    ("SignatureStore", "STORE"),
];

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Display trust policy for the system
    Show(Lazy<ShowArgs>),
    /// Set default trust policy or a new trust policy for a registry
    Set(Lazy<SetArgs>),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Output raw policy file
    #[arg(long)]
    raw: bool,
    /// Output as json
    #[arg(short = 'j', long)]
    json: bool,
    /// Do not print column headings
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Trust policy file path (default /etc/containers/policy.json)
    #[arg(long)]
    policypath: Option<PathBuf>,
    /// Registry or repository to show
    registry: Option<String>,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Trust type: accept, reject, signedBy
    #[arg(short = 't', long = "type")]
    kind: String,
    /// Path of installed public key(s) to trust for TARGET
    #[arg(short = 'f', long = "pubkeysfile")]
    pubkeysfile: Vec<PathBuf>,
    /// Trust policy file path (default /etc/containers/policy.json)
    #[arg(long)]
    policypath: Option<PathBuf>,
    /// `default` or REGISTRY[/REPOSITORY]
    scope: String,
}

pub async fn run(g: &Globals, cmd: TrustCommand) -> CliResult {
    let fd = open_front_door(g)?;
    match cmd {
        TrustCommand::Show(Lazy(a)) => show(fd.trust_show(a.policypath.clone()).await?, a),
        TrustCommand::Set(Lazy(a)) => {
            fd.trust_set(SetTrustOptions {
                policy_path: a.policypath,
                kind: a.kind,
                pub_keys_file: a.pubkeysfile,
                scope: a.scope,
            })
            .await?;
            Ok(0)
        }
    }
}

fn show(policy: ShowTrustReport, a: ShowArgs) -> CliResult {
    if a.raw {
        println!("{}", crate::format::json_pretty(&policy.raw));
        return Ok(0);
    }
    let entries: Vec<_> = policy
        .entries
        .into_iter()
        .filter(|e| a.registry.as_ref().is_none_or(|r| &e.name == r))
        .collect();
    if a.json {
        let v: Vec<_> = entries
            .iter()
            .map(|e| json!({"transport": e.transport, "name": e.name, "repo_name": e.name, "type": e.kind}))
            .collect();
        println!("{}", crate::format::json_pretty(&json!(v)));
        return Ok(0);
    }
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            json!({"Transport": e.transport, "Name": e.name, "Type": e.kind, "GPGId": "", "SignatureStore": ""})
        })
        .collect();
    let headers = HeaderMap::new("trust").with_all(HEADERS);
    print_listing(None, DEFAULT_FORMAT, &rows, &headers, a.noheading)?;
    Ok(0)
}
