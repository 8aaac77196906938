//! `image trust show` and `image trust set`: the trust policy
//! (containers-policy.json) that `pull` enforces.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rpod_engine::registry::trust::Policy;
use serde_json::json;

use super::common::{print_listing, Globals};
use crate::cli_error::{CliError, CliResult};
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
    Show(ShowArgs),
    /// Set default trust policy or a new trust policy for a registry
    Set(SetArgs),
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

fn usage(e: impl ToString) -> CliError {
    CliError::usage(e.to_string())
}

pub async fn run(_g: &Globals, cmd: TrustCommand) -> CliResult {
    match cmd {
        TrustCommand::Show(a) => show(a),
        TrustCommand::Set(a) => set(a),
    }
}

fn show(a: ShowArgs) -> CliResult {
    let policy = Policy::load(a.policypath.as_deref()).map_err(usage)?;
    if a.raw {
        println!("{}", crate::format::json_pretty(&policy.raw()));
        return Ok(0);
    }
    let entries: Vec<_> = policy
        .entries()
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

fn set(a: SetArgs) -> CliResult {
    let mut policy = Policy::load(a.policypath.as_deref()).or_else(|e| match &a.policypath {
        // A new policy file may be created by `set`.
        Some(p) if !p.exists() => {
            std::fs::write(p, b"{}")
                .map_err(|e| usage(format!("creating {}: {e}", p.display())))?;
            Policy::load(Some(p)).map_err(usage)
        }
        _ => Err(usage(e)),
    })?;
    policy
        .set(&a.scope, &a.kind, &a.pubkeysfile)
        .map_err(usage)?;
    policy.save().map_err(usage)?;
    Ok(0)
}
