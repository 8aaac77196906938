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
    let info = open_front_door(g)?.system_info().await?;
    // The rootless network namespace exists while a container is set up
    // on a bridge network.
    let netns = if a.rootless_netns {
        let path = rpod_engine::rootless_netns_path(std::path::Path::new(&info.store.run_root));
        Some(std::fs::File::open(&path).map_err(|e| {
            CliError::usage(format!(
                "the rootless network namespace {} does not exist (no container is set up on a bridge network): {e}",
                path.display()
            ))
        })?)
    } else {
        None
    };
    let mut argv = a.command;
    if argv.is_empty() {
        argv.push(
            std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        );
    }
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env("CONTAINERS_GRAPHROOT", &info.store.graph_root)
        .env("CONTAINERS_RUNROOT", &info.store.run_root);
    if let Some(ns) = netns {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let fd = ns.as_raw_fd();
        // SAFETY: runs in the forked child before exec; setns(2) is
        // async-signal-safe and `ns` (moved into the closure) keeps the
        // descriptor open.
        unsafe {
            cmd.pre_exec(move || {
                let _keep = &ns;
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let status = cmd.status();
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
