//! `info` and `version`: the engine's reports, printed.

use clap::Args;
use rpod_api::info::InfoReport;
use rpod_api::version::Version;
use rpod_api::ErrorKind;

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

/// How `info` or `version` was invoked: Podman's remote client shows its
/// own part when the service cannot be reached only for the top-level
/// command, not for `system info`/`system version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invoked {
    TopLevel,
    UnderSystem,
}

/// Whether the error is a remote service that cannot be reached, for a
/// top-level command: then the client's own part is printed first.
fn shows_client_part(g: &Globals, invoked: Invoked, e: &rpod_api::Error) -> bool {
    g.remote.is_some() && invoked == Invoked::TopLevel && e.kind == ErrorKind::Unreachable
}

/// Podman's remote `info` without a service: the client's OS, VM provider
/// (rpod has no machines: empty) and version, as YAML.
fn client_info_yaml() -> String {
    let v = rpod_remote::client_version();
    format!(
        "OS: {}\nprovider: \"\"\nversion: {}\n",
        v.os_arch, v.version
    )
}

pub async fn version(g: &Globals, a: VersionArgs, invoked: Invoked) -> CliResult {
    let report = match open_front_door(g)?.system_version().await {
        Ok(r) => r,
        Err(e) if shows_client_part(g, invoked, &e) && a.format.is_none() => {
            print_client_version(&rpod_remote::client_version());
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
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
            print_client_version(&report.client);
            if let Some(server) = &report.server {
                println!();
                print_version_lines("Server", server);
            }
        }
    }
    Ok(0)
}

/// `version`'s client part.
fn print_client_version(v: &Version) {
    print_version_lines("Client", v);
}

fn print_version_lines(side: &str, v: &Version) {
    println!("{:<14}rpod", format!("{side}:"));
    println!("Version:      {}", v.version);
    println!("API Version:  {}", v.api_version);
    println!("OS/Arch:      {}", v.os_arch);
}

pub async fn info(g: &Globals, a: InfoArgs, invoked: Invoked) -> CliResult {
    let info = match open_front_door(g)?.system_info().await {
        Ok(i) => i,
        Err(e) if shows_client_part(g, invoked, &e) => {
            println!("{}", client_info_yaml());
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
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
