//! `healthcheck run`: run a container's health check now (through its
//! monitor, which records the result like a scheduled check).

use crate::prep::Lazy;
use clap::{Args, Subcommand};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum HealthcheckCommand {
    /// Run the health check of a container
    Run(Lazy<HealthcheckRunArgs>),
}

#[derive(Debug, Args)]
pub struct HealthcheckRunArgs {
    container: String,
}

/// Podman: prints `unhealthy` and exits 1 when the check fails, nothing
/// and 0 when it passes; 125 when the container has no health check or is
/// not running.
pub async fn run(g: &Globals, cmd: HealthcheckCommand) -> CliResult {
    let HealthcheckCommand::Run(Lazy(a)) = cmd;
    let engine = open_front_door(g)?;
    let report = engine.container_healthcheck_run(&a.container).await?;
    if report.status == "healthy" {
        return Ok(0);
    }
    println!("{}", report.status);
    Err(CliError::Exit(1))
}
