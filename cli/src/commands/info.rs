//! `info` and `version`: the engine's reports, printed.

use clap::Args;
use rpod_api::info::InfoReport;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, ToTemplate};
use crate::yaml::to_yaml;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Change the output format to JSON or a Go template
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Change the output format to JSON or a Go template
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
}

pub async fn version(g: &Globals, a: VersionArgs) -> CliResult {
    let report = open_front_door(g)?.system_version().await?;
    match a.format.as_deref() {
        Some(f) if format::is_json(f) => {
            let v = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
            println!("{}", format::typed_json(&v, "    ", true));
        }
        Some(f) => {
            // Podman falls back to the client alone for templates written for older
            // versions (`{{.Version}}`).
            let out = format::render_value(f, &report.to_template(), "version")
                .or_else(|_| format::render_value(f, &report.client.to_template(), "version"));
            print!("{}", out.map_err(|e| CliError::usage(e.to_string()))?);
        }
        None => {
            let c = &report.client;
            println!("Client:       rpod");
            println!("Version:      {}", c.version);
            println!("API Version:  {}", c.api_version);
            println!("OS/Arch:      {}", c.os_arch);
        }
    }
    Ok(0)
}

pub async fn info(g: &Globals, a: InfoArgs) -> CliResult {
    let info = open_front_door(g)?.system_info().await?;
    let report = InfoReport { info, client: None };
    let json = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
    match a.format.as_deref() {
        None | Some("yaml") => print!("{}", to_yaml(&json)),
        Some(f) if format::is_json(f) => println!("{}", format::typed_json(&json, "  ", true)),
        Some(f) => {
            let out = format::render_value(f, &report.to_template(), "info")
                .map_err(|e| CliError::usage(e.to_string()))?;
            print!("{out}");
        }
    }
    Ok(0)
}
