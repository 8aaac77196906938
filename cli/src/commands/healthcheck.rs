//! `healthcheck run`: run a container's health check now (through its
//! monitor, which records the result like a scheduled check).

use clap::{Args, Subcommand};
use rpod_engine::container::health;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum HealthcheckCommand {
    /// Run the health check of a container
    Run(HealthcheckRunArgs),
}

#[derive(Debug, Args)]
pub struct HealthcheckRunArgs {
    container: String,
}

/// Podman: prints `unhealthy` and exits 1 when the check fails, nothing
/// and 0 when it passes; 125 when the container has no health check or is
/// not running.
pub async fn run(g: &Globals, cmd: HealthcheckCommand) -> CliResult {
    let HealthcheckCommand::Run(a) = cmd;
    let engine = open_engine(g)?;
    let rec = engine.container(&a.container)?.get().await?;
    let result = tokio::task::spawn_blocking({
        let config = engine.config().clone();
        move || health::run_check(&config, &rec)
    })
    .await
    .map_err(|e| anyhow::anyhow!("health check task: {e}"))??;
    if result.exit_code == 0 {
        return Ok(0);
    }
    println!(
        "{}",
        if result.status == "starting" {
            "starting"
        } else {
            "unhealthy"
        }
    );
    Err(CliError::Exit(1))
}
