//! `unshare`: runs a command inside the user's rootless namespace (the one
//! `main` joined), with the store's roots in the environment, as Podman's
//! `podman unshare` does for inspecting or fixing files owned by mapped ids.

use clap::Args;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// Join the rootless network namespace
    #[arg(short = 'n', long)]
    rootless_netns: bool,
    /// The command (default: $SHELL, else /bin/sh) and its arguments
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<String>,
}

pub async fn run(g: &Globals, a: UnshareArgs) -> CliResult {
    if !rpod_engine::is_rootless() {
        return Err(CliError::usage("please use unshare with rootless"));
    }
    if a.rootless_netns {
        // rpod has no shared rootless network namespace: every container
        // gets its own from pasta or slirp4netns.
        return Err(CliError::usage(
            "--rootless-netns is not supported: rpod has no rootless network namespace (see docs/compatibility.md)",
        ));
    }
    let info = open_front_door(g)?.system_info().await?;
    let mut argv = a.command;
    if argv.is_empty() {
        argv.push(
            std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        );
    }
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env("CONTAINERS_GRAPHROOT", &info.store.graph_root)
        .env("CONTAINERS_RUNROOT", &info.store.run_root)
        .status();
    match status {
        Ok(st) => {
            use std::os::unix::process::ExitStatusExt;
            Ok(st
                .code()
                .or_else(|| st.signal().map(|s| 128 + s))
                .unwrap_or(125))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CliError::usage(format!(
            "exec: \"{}\": executable file not found in $PATH",
            argv[0]
        ))),
        Err(e) => Err(CliError::usage(format!("exec: \"{}\": {e}", argv[0]))),
    }
}
