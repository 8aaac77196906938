//! `rpod`: a stateless CLI. Every invocation opens the state, asks the
//! engine and the live monitors, prints and exits.

mod cli_error;
mod commands;
mod format;
mod human;
mod logging;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use cli_error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "rpod",
    version,
    about = "Manage pods, containers and images (Podman-compatible)"
)]
pub struct Cli {
    /// Path to the root directory in which data, including images, is stored
    #[arg(long, global = true, value_name = "PATH")]
    root: Option<PathBuf>,
    /// Path to the 'run directory' where all state information is stored
    #[arg(long, global = true, value_name = "PATH")]
    runroot: Option<PathBuf>,
    /// Path to the rpod configuration file (TOML)
    #[arg(long, global = true, value_name = "PATH", env = "RPOD_CONFIG")]
    config: Option<PathBuf>,
    /// Log messages above specified level (trace, debug, info, warn, error, fatal, panic)
    #[arg(long, global = true, default_value = "warn", value_name = "LEVEL")]
    log_level: String,
    /// Path to the OCI-compatible binary used to run containers
    #[arg(long = "runtime", global = true, value_name = "PATH")]
    runtime: Option<String>,
    /// Select which storage driver is used to manage storage of images and containers (overlay, vfs)
    #[arg(long, global = true, value_name = "DRIVER")]
    storage_driver: Option<String>,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = logging::init(&cli.log_level) {
        eprintln!("Error: {e}");
        return ExitCode::from(125);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: starting the async runtime: {e}");
            return ExitCode::from(125);
        }
    };
    match rt.block_on(commands::dispatch(cli)) {
        Ok(code) => ExitCode::from(code as u8),
        Err(CliError::Exit(code)) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
