//! `rootlessport` (hidden, as Podman's): the port forwarder of a rootless
//! container on a bridge network, started by the engine with the host
//! sockets it reserved. Not for users.

use std::path::PathBuf;

use clap::Args;

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct RootlessportArgs {
    /// The rootless network namespace the connections are made in
    #[arg(long, value_name = "PATH")]
    netns: PathBuf,
    /// An inherited listening socket and where its connections go
    #[arg(long = "forward", value_name = "FD=ADDRESS:PORT/PROTO")]
    forwards: Vec<String>,
}

pub async fn run(a: RootlessportArgs) -> CliResult {
    let forwards = a
        .forwards
        .iter()
        .map(|f| rpod_engine::rootlessport_forward(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::usage)?;
    tokio::task::spawn_blocking(move || rpod_engine::rootlessport_serve(&a.netns, &forwards))
        .await
        .map_err(|e| CliError::usage(e.to_string()))?
        .map_err(|e| CliError::usage(format!("rootlessport: {e}")))?;
    Ok(0)
}
