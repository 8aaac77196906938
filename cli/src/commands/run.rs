//! `run` and `start`.

use clap::Args;
use rpod_engine::container::{ContainerHandle, ContainerPaths};
use rpod_engine::Engine;

use super::attach::{AttachSpec, Attached, DEFAULT_DETACH_KEYS};
use super::common::{for_each, open_engine, Globals};
use super::container_create::{create_from, ContainerFlags};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Remove image unless used by other containers, implies --rm
    #[arg(long)]
    rmi: bool,
    #[command(flatten)]
    flags: ContainerFlags,
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    detach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long, default_value = DEFAULT_DETACH_KEYS)]
    detach_keys: String,
    /// IMAGE [COMMAND [ARG...]]
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "IMAGE [COMMAND [ARG...]]"
    )]
    image_and_command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach container's STDOUT and STDERR
    #[arg(short = 'a', long)]
    attach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Select the key sequence for detaching a container
    #[arg(long, default_value = DEFAULT_DETACH_KEYS)]
    detach_keys: String,
    /// Start all containers regardless of their state or configuration
    #[arg(long)]
    all: bool,
    /// Filter output based on conditions given (with --all)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    containers: Vec<String>,
}

pub async fn run(g: &Globals, mut a: RunArgs) -> CliResult {
    a.flags.resolve_rm(a.rmi);
    if a.rmi && !a.flags.rm {
        return Err(CliError::usage(
            "the --rmi option does not work without --rm",
        ));
    }
    if a.rmi && a.detach {
        return Err(CliError::usage(
            "--rmi with --detach is not supported yet (the image would have to be removed when the container exits)",
        ));
    }
    let rmi_image = a.rmi.then(|| a.image_and_command[0].clone());
    let code = run_resolved(g, a).await;
    if let Some(image) = rmi_image {
        super::rmi::remove_unused(&open_engine(g)?, &image);
    }
    code
}

/// `run` once `--rm` is settled.
async fn run_resolved(g: &Globals, a: RunArgs) -> CliResult {
    let engine = open_engine(g)?;
    let handle = create_from(g, &engine, &a.flags, &a.image_and_command).await?;
    if a.detach {
        if let Err(e) = handle.start().await {
            discard_if_rm(&handle, a.flags.rm).await;
            return Err(e.into());
        }
        super::survival_cli::notify_ready(&handle).await?;
        println!("{}", handle.id);
        return Ok(0);
    }
    let spec = AttachSpec {
        tty: a.flags.tty,
        stdin: a.flags.interactive,
        detach_keys: &a.detach_keys,
    };
    let result = start_attached(&engine, &handle, &spec).await;
    if a.flags.rm && !matches!(result, Ok(None)) {
        discard_if_rm(&handle, true).await;
    }
    Ok(result?.unwrap_or(0))
}

/// `--rm`: the container goes once it has exited, whoever gets there first
/// (this CLI or the monitor's cleanup).
async fn discard_if_rm(handle: &ContainerHandle, rm: bool) {
    if rm {
        if let Err(e) = handle.remove(true, Some(0)).await {
            if !matches!(e, rpod_engine::container::ContainerError::NotFound(_)) {
                tracing::warn!("removing container {}: {e}", handle.id);
            }
        }
    }
}

/// Initializes the container, attaches, starts it and copies its streams.
/// `Some(code)` once it has exited, `None` if the user detached.
async fn start_attached(
    engine: &Engine,
    handle: &ContainerHandle,
    spec: &AttachSpec<'_>,
) -> CliResult<Option<i32>> {
    handle.init().await?;
    let paths = ContainerPaths::new(engine.config(), &handle.id);
    let attached = Attached::connect(
        &paths.monitor.attach_socket,
        &paths.monitor.control_socket,
        spec.tty,
    )?;
    handle.start().await?;
    attached.pump(spec)
}

pub async fn start(g: &Globals, a: StartArgs) -> CliResult {
    let engine = open_engine(g)?;
    let filters = super::container_filter::Filters::parse(
        &a.filter,
        &["restart-policy", "name", "id", "status", "label", "until"],
    )?;
    if !filters.is_empty() && !a.all {
        return Err(CliError::usage("--filter needs --all"));
    }
    let names: Vec<String> = if a.all {
        let all = engine.containers()?.into_iter();
        all.filter(|c| filters.matches(c)).map(|c| c.name).collect()
    } else {
        a.containers.clone()
    };
    if names.is_empty() {
        if a.all {
            return Ok(0);
        }
        return Err(CliError::usage("start requires at least one argument"));
    }
    if a.attach {
        if names.len() > 1 {
            return Err(CliError::usage(
                "you cannot start and attach multiple containers at once",
            ));
        }
        let handle = engine.container(&names[0])?;
        let rec = handle.get().await?;
        let spec = AttachSpec {
            tty: rec.options.tty,
            stdin: a.interactive && rec.options.interactive,
            detach_keys: &a.detach_keys,
        };
        return Ok(start_attached(&engine, &handle, &spec).await?.unwrap_or(0));
    }
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            let handle = engine.container(&name)?;
            handle.start().await?;
            super::survival_cli::notify_ready(&handle).await?;
            Ok(Some(name))
        }
    })
    .await
}
