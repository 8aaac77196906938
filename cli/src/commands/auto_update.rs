//! `auto-update`: flags into the front door's request, its reports printed
//! as Podman's table, JSON or Go template, then the errors met.

use clap::Args;
use rpod_api::auto_update::{AutoUpdateOptions, AutoUpdateReport};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

#[derive(Debug, Args)]
pub struct AutoUpdateArgs {
    /// Path to the authentication file. Use REGISTRY_AUTH_FILE environment variable to override
    #[arg(long)]
    authfile: Option<String>,
    /// Check for pending updates
    #[arg(long)]
    dry_run: bool,
    /// Rollback to previous image if update fails
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    rollback: bool,
    /// Change the output format to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    tls_verify: Option<bool>,
    #[arg(hide = true)]
    args: Vec<String>,
}

pub async fn run(g: &Globals, a: AutoUpdateArgs) -> CliResult {
    if !a.args.is_empty() {
        return Err(CliError::usage("`rpod auto-update` takes no arguments"));
    }
    if let Some(f) = &a.authfile {
        super::registry_opts::check_authfile(std::path::Path::new(f))?;
    }
    let options = AutoUpdateOptions {
        authfile: a.authfile.clone(),
        dry_run: a.dry_run,
        rollback: a.rollback,
        tls_verify: a.tls_verify,
    };
    let outcome = open_front_door(g)?.auto_update(options).await?;
    if !outcome.reports.is_empty() {
        print_reports(&outcome.reports, a.format.as_deref())?;
    }
    if outcome.errors.is_empty() {
        Ok(0)
    } else {
        Err(CliError::usage(outcome.errors.join("\n")))
    }
}

fn print_reports(reports: &[AutoUpdateReport], fmt: Option<&str>) -> CliResult<()> {
    if fmt == Some("json") {
        let value = serde_json::to_value(reports).map_err(|e| CliError::usage(e.to_string()))?;
        println!("{}", format::json_indent(&value, "    ", true));
        return Ok(());
    }
    let values: Vec<GoValue> = reports.iter().map(ToTemplate::to_template).collect();
    let headers = HeaderMap::new("auto-update").with_all(&[
        ("ContainerName", "CONTAINER NAME"),
        ("ContainerID", "CONTAINER ID"),
    ]);
    let (origin, fmt) = match fmt {
        Some(f) => (Origin::User, f.to_owned()),
        None => (
            Origin::Podman,
            "table {{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}".to_owned(),
        ),
    };
    let out = format::render_typed(origin, &fmt, &values, &headers, false)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(())
}
