//! `exec`: run a process in a running container under its own monitor.

use clap::Args;
use rpod_engine::container::ExecOptions;

use super::attach::{AttachSpec, Attached, DEFAULT_DETACH_KEYS};
use super::common::{open_engine, Globals};
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
    /// CONTAINER COMMAND [ARG...]
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CONTAINER COMMAND [ARG...]")]
    target: Vec<String>,
}

pub async fn run(g: &Globals, a: ExecArgs) -> CliResult {
    let engine = open_engine(g)?;
    let (container, command) = if a.latest {
        (super::latest::latest_container(&engine)?, &a.target[..])
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
    let handle = engine.container(&container)?;
    let options = ExecOptions {
        command: command.to_vec(),
        env,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        tty: a.tty,
        interactive: a.interactive,
    };
    if a.detach {
        // Podman: every failure of a detached exec is exit 125.
        let detached = async { handle.exec(options).await?.start_detached() }.await;
        return match detached {
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
    let mut session = handle.exec(options).await?;
    let attached = Attached::connect(&session.attach_socket, &session.control_socket, a.tty)?;
    session.start()?;
    if a.tty {
        // The exec's terminal exists only now.
        attached.resize();
    }
    let spec = AttachSpec {
        tty: a.tty,
        stdin: a.interactive,
        detach_keys: &a.detach_keys,
        sig_proxy: false,
    };
    Ok(attached.pump(&spec)?.unwrap_or(0))
}
