//! `exec`: run a process in a running container under its own monitor.

use clap::Args;
use rpod_api::container_run::ExecOptions;

use super::attach::{pump, AttachSpec, DEFAULT_DETACH_KEYS};
use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Run the exec session in detached mode (backgrounded)
    #[arg(short = 'd', long)]
    detach: bool,
    /// Select the key sequence for detaching a container
    #[arg(long, default_value = DEFAULT_DETACH_KEYS)]
    detach_keys: String,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    tty: bool,
    /// Sets the username or UID used and optionally the groupname or GID for the specified command
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Pass N additional file descriptors to the container
    #[arg(long, default_value_t = 0)]
    preserve_fds: u32,
    /// CONTAINER COMMAND [ARG...]
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CONTAINER COMMAND [ARG...]")]
    target: Vec<String>,
}

pub async fn run(g: &Globals, a: ExecArgs) -> CliResult {
    let (container, command) = if a.latest {
        (String::new(), &a.target[..])
    } else {
        let (c, rest) = a.target.split_first().ok_or_else(|| {
            CliError::usage("exec requires the name or ID of a container or the --latest flag")
        })?;
        (c.clone(), rest)
    };
    if command.is_empty() {
        return Err(CliError::usage(
            "must provide a non-empty command to start an exec session: invalid argument",
        ));
    }
    let env = a
        .env
        .iter()
        .filter_map(|e| {
            if e.contains('=') {
                Some(e.clone())
            } else {
                std::env::var(e).ok().map(|v| format!("{e}={v}"))
            }
        })
        .collect();
    let front = open_front_door(g)?;
    let options = ExecOptions {
        latest: a.latest,
        command: command.to_vec(),
        env,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        tty: a.tty,
        interactive: a.interactive,
        terminal_size: a.tty.then(super::terminal::caller_terminal_size).flatten(),
        preserve_fds: a.preserve_fds,
    };
    if a.detach {
        // Podman: every failure of a detached exec is exit 125.
        return match front.container_exec_detached(&container, options).await {
            Ok(id) => {
                println!("{id}");
                Ok(0)
            }
            Err(e) => Err(CliError::Coded {
                msg: e.to_string(),
                code: 125,
            }),
        };
    }
    let session = front.container_exec(&container, options).await?;
    let spec = AttachSpec {
        detach_keys: &a.detach_keys,
        sig_proxy: false,
        streams: super::attach::Streams::ALL,
    };
    Ok(pump(session, &spec).await?.unwrap_or(0))
}
