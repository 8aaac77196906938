//! `run` and `start`.

use std::io::IsTerminal;

use clap::Args;
use rpod_api::container::StartSelectOptions;
use rpod_api::container_run::{RunSpec, StartAttachOptions};
use rpod_api::front_door::container_run::RunStarted;
use rpod_api::front_door::images::ImageRemoveOptions;
use rpod_api::FrontDoor;

use super::attach::{pump, AttachSpec, Streams, DEFAULT_DETACH_KEYS};
use super::common::{for_each_concurrent, open_front_door, Globals};
use super::container_create::{create_spec, ContainerFlags};
use super::terminal::caller_terminal_size;
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
    /// Proxy received signals to the process
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true")]
    sig_proxy: bool,
    /// Pass a number of additional file descriptors into the container
    #[arg(long, default_value_t = 0)]
    preserve_fds: u32,
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
    /// Proxy received signals to the process (default true if attaching, false otherwise)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    sig_proxy: Option<bool>,
    /// Start all containers regardless of their state or configuration
    #[arg(long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Filter output based on conditions given
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    containers: Vec<String>,
}

pub async fn run(g: &Globals, mut a: RunArgs) -> CliResult {
    if a.flags.tty && a.flags.interactive && !std::io::stdin().is_terminal() {
        tracing::warn!(
            "The input device is not a TTY. The --tty and --interactive flags might not work properly"
        );
    }
    a.flags.resolve_rm(a.rmi);
    if a.rmi && !a.flags.rm {
        return Err(CliError::usage(
            "the --rmi option does not work without --rm",
        ));
    }
    // Detached, the container's cleanup removes the image.
    let rmi_image = (a.rmi && !a.detach).then(|| a.image_and_command[0].clone());
    let code = run_resolved(g, a).await;
    if let Some(image) = rmi_image {
        remove_image(g, &image).await;
    }
    code
}

/// `run --rmi`: the image goes as `rmi IMAGE` would take it (only that name
/// when it has several); a failure is a warning, as in Podman.
async fn remove_image(g: &Globals, image: &str) {
    let removed = match open_front_door(g) {
        Ok(front) => front
            .image_remove(
                vec![image.to_owned()],
                ImageRemoveOptions {
                    ignore: true,
                    unused_only: true,
                    ..Default::default()
                },
            )
            .await
            .map(|r| r.errors),
        Err(e) => Err(rpod_api::Error::other(e.to_string())),
    };
    let errors = removed.unwrap_or_else(|e| vec![e]);
    for e in errors {
        tracing::warn!("failed removing image {image}: {e}");
    }
}

/// `run` once `--rm` is settled.
async fn run_resolved(g: &Globals, mut a: RunArgs) -> CliResult {
    // `--attach` is run's: `create` refuses it.
    let attach = std::mem::take(&mut a.flags.refused.attach);
    let streams = Streams::parse(&attach)?;
    let mut create = create_spec(g, &a.flags, &a.image_and_command)?;
    create.options.remove_image = a.rmi;
    create.options.preserve_fds = a.preserve_fds;
    let front = open_front_door(g)?;
    let mut spec = RunSpec {
        terminal_size: a.flags.tty.then(caller_terminal_size).flatten(),
        detach: a.detach,
        create,
    };
    let progress = super::progress_bars::pull_sink(&mut spec.create);
    let started = front.container_run(spec, progress).await;
    match started? {
        RunStarted::Detached(report) => {
            print_warnings(&report.warnings);
            println!("{}", report.id);
            Ok(0)
        }
        RunStarted::Attached(session, warnings) => {
            print_warnings(&warnings);
            let spec = AttachSpec {
                detach_keys: &a.detach_keys,
                sig_proxy: a.sig_proxy,
                streams,
            };
            Ok(pump(session, &spec).await?.unwrap_or(0))
        }
    }
}

/// The engine's warnings about a create, each a plain line on stderr as
/// Podman prints them (before the container's output).
pub(super) fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("{w}");
    }
}

pub async fn start(g: &Globals, a: StartArgs) -> CliResult {
    validate_start(&a)?;
    let sig_proxy = a.sig_proxy.unwrap_or(a.attach);
    if sig_proxy && !a.attach {
        return Err(CliError::usage(
            "you cannot use sig-proxy without --attach: invalid argument",
        ));
    }
    let front = open_front_door(g)?;
    let targets = start_targets(front.as_ref(), &a).await?;
    if a.attach {
        let Some((_, target)) = targets.first() else {
            return Ok(0);
        };
        let options = StartAttachOptions {
            interactive: a.interactive,
            terminal_size: caller_terminal_size(),
        };
        let session = front.container_start_attached(target, options).await?;
        let spec = AttachSpec {
            detach_keys: &a.detach_keys,
            sig_proxy,
            streams: Streams::ALL,
        };
        return Ok(pump(session, &spec).await?.unwrap_or(0));
    }
    let skip_running = a.all;
    // Many containers start side by side (each start mostly waits on its
    // monitor and the runtime); the names print in the order given.
    for_each_concurrent(&targets, |(input, target)| {
        let front = &front;
        async move {
            // Starting a running container is no error; `--all` lists
            // only the containers it started. Podman: a failed (detached)
            // start is 125, whatever the runtime said (no 126/127 as for
            // `run`).
            let started = front
                .container_start(&target, skip_running)
                .await
                .map_err(|e| CliError::Coded {
                    msg: e.message,
                    code: 125,
                })?;
            Ok(started.then_some(input))
        }
    })
    .await
}

/// The containers `start` acts on, as (what the user typed, the
/// container): Podman echoes the former, or the ID when it picked the
/// containers itself.
async fn start_targets(front: &dyn FrontDoor, a: &StartArgs) -> CliResult<Vec<(String, String)>> {
    let options = StartSelectOptions {
        names: a.containers.clone(),
        all: a.all,
        latest: a.latest,
        filters: super::container_filter::group_specs(&a.filter)?,
    };
    Ok(front
        .container_start_select(options)
        .await?
        .into_iter()
        .map(|s| (s.raw_input, s.id))
        .collect())
}

/// Podman's checks of `start`'s arguments, in its order and words.
fn validate_start(a: &StartArgs) -> CliResult<()> {
    let args = !a.containers.is_empty();
    let msg = if !args && !a.latest && !a.all && a.filter.is_empty() {
        "start requires at least one argument"
    } else if a.all && a.latest {
        "--all and --latest cannot be used together"
    } else if args && a.latest {
        "--latest and containers cannot be used together"
    } else if a.containers.len() > 1 && a.attach {
        "you cannot start and attach multiple containers at once"
    } else if (args || a.latest) && a.all {
        "either start all containers or the container(s) provided in the arguments"
    } else if a.attach && a.all {
        "you cannot start and attach all containers at once"
    } else {
        return Ok(());
    };
    Err(CliError::usage(msg))
}
