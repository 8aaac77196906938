//! One module per command (or family). `dispatch` opens the engine and
//! runs the chosen command; each returns the process exit code.

mod attach;
mod common;
mod container_create;
mod container_filter;
mod events;
mod exec;
mod generate;
mod healthcheck;
mod images;
mod info;
mod inspect;
mod lifecycle;
mod log_follow;
mod logs;
mod pod;
mod pod_ps;
mod pod_view;
mod ps;
mod pull;
mod run;
mod survival_cli;
mod survival_flags;
mod survival_status;
mod system;

use clap::Subcommand;

use crate::cli_error::{CliError, CliResult};
use crate::Cli;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Attach to a running container
    Attach(attach::AttachArgs),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Create but do not start a container
    Create(container_create::CreateArgs),
    /// Show podman system events
    Events(events::EventsArgs),
    /// Run a process in a running container
    Exec(exec::ExecArgs),
    /// Generate structured data based on containers
    #[command(subcommand)]
    Generate(generate::GenerateCommand),
    /// Manage health checks on containers
    #[command(subcommand)]
    Healthcheck(healthcheck::HealthcheckCommand),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCommand),
    /// List images in local storage
    Images(images::ImagesArgs),
    /// Display rpod related system information
    Info(info::InfoArgs),
    /// Display the configuration of object denoted by ID
    Inspect(inspect::InspectArgs),
    /// Kill one or more running containers with a specific signal
    Kill(lifecycle::KillArgs),
    /// Fetch the logs of one or more containers
    Logs(logs::LogsArgs),
    /// Pause all the processes in one or more containers
    Pause(lifecycle::NamesArgs),
    /// Manage pods
    #[command(subcommand)]
    Pod(pod::PodCommand),
    /// List containers
    #[command(alias = "list", alias = "ls")]
    Ps(ps::PsArgs),
    /// Pull an image from a registry
    Pull(pull::PullArgs),
    /// Rename an existing container
    Rename(lifecycle::RenameArgs),
    /// Remove one or more containers
    Rm(lifecycle::RmArgs),
    /// Run a command in a new container
    Run(run::RunArgs),
    /// Start one or more containers
    Start(run::StartArgs),
    /// Stop one or more containers
    Stop(lifecycle::StopArgs),
    /// Manage rpod
    #[command(subcommand)]
    System(system::SystemCommand),
    /// Unpause the processes in one or more containers
    Unpause(lifecycle::NamesArgs),
    /// Display the rpod version information
    Version(info::VersionArgs),
    /// Block on one or more containers
    Wait(lifecycle::WaitArgs),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    Attach(attach::AttachArgs),
    /// Clean up network and mountpoints of one or more containers
    Cleanup(lifecycle::CleanupArgs),
    Create(container_create::CreateArgs),
    Exec(exec::ExecArgs),
    Inspect(inspect::ContainerInspectArgs),
    Kill(lifecycle::KillArgs),
    Logs(logs::LogsArgs),
    #[command(alias = "list", alias = "ps")]
    Ls(ps::PsArgs),
    Pause(lifecycle::NamesArgs),
    /// Remove all non running containers
    Prune(system::PruneArgs),
    Rename(lifecycle::RenameArgs),
    Rm(lifecycle::RmArgs),
    Run(run::RunArgs),
    Start(run::StartArgs),
    Stop(lifecycle::StopArgs),
    Unpause(lifecycle::NamesArgs),
    Wait(lifecycle::WaitArgs),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    Inspect(inspect::ImageInspectArgs),
    #[command(alias = "list")]
    Ls(images::ImagesArgs),
    Pull(pull::PullArgs),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

pub async fn dispatch(cli: Cli) -> CliResult {
    let g = common::Globals::from(&cli);
    match cli.command {
        Command::Attach(a) | Command::Container(ContainerCommand::Attach(a)) => {
            attach::run(&g, a).await
        }
        Command::Container(ContainerCommand::Cleanup(a)) => lifecycle::cleanup(&g, a).await,
        Command::Create(a) | Command::Container(ContainerCommand::Create(a)) => {
            container_create::run(&g, a).await
        }
        Command::Exec(a) | Command::Container(ContainerCommand::Exec(a)) => exec::run(&g, a).await,
        Command::Events(a) => events::run(&g, a).await,
        Command::System(c) => system::run(&g, c).await,
        Command::Container(ContainerCommand::Prune(a)) => system::container_prune(&g, a).await,
        Command::Generate(c) => generate::run(&g, c).await,
        Command::Healthcheck(c) => healthcheck::run(&g, c).await,
        Command::Container(ContainerCommand::Inspect(a)) => inspect::containers(&g, a).await,
        Command::Image(ImageCommand::Inspect(a)) => inspect::images(&g, a).await,
        Command::Images(a) | Command::Image(ImageCommand::Ls(a)) => images::run(&g, a).await,
        Command::Info(a) => info::info(&g, a).await,
        Command::Inspect(a) => inspect::run(&g, a).await,
        Command::Kill(a) | Command::Container(ContainerCommand::Kill(a)) => {
            lifecycle::kill(&g, a).await
        }
        Command::Logs(a) | Command::Container(ContainerCommand::Logs(a)) => logs::run(&g, a).await,
        Command::Pause(a) | Command::Container(ContainerCommand::Pause(a)) => {
            lifecycle::pause(&g, a, true).await
        }
        Command::Unpause(a) | Command::Container(ContainerCommand::Unpause(a)) => {
            lifecycle::pause(&g, a, false).await
        }
        Command::Pod(c) => pod::dispatch(&g, c).await,
        Command::Ps(a) | Command::Container(ContainerCommand::Ls(a)) => ps::run(&g, a).await,
        Command::Pull(a) | Command::Image(ImageCommand::Pull(a)) => pull::run(&g, a).await,
        Command::Rename(a) | Command::Container(ContainerCommand::Rename(a)) => {
            lifecycle::rename(&g, a).await
        }
        Command::Rm(a) | Command::Container(ContainerCommand::Rm(a)) => lifecycle::rm(&g, a).await,
        Command::Run(a) | Command::Container(ContainerCommand::Run(a)) => run::run(&g, a).await,
        Command::Start(a) | Command::Container(ContainerCommand::Start(a)) => {
            run::start(&g, a).await
        }
        Command::Stop(a) | Command::Container(ContainerCommand::Stop(a)) => {
            lifecycle::stop(&g, a).await
        }
        Command::Version(a) => info::version(&g, a).await,
        Command::Wait(a) | Command::Container(ContainerCommand::Wait(a)) => {
            lifecycle::wait(&g, a).await
        }
        Command::Other(args) => not_implemented("", &args),
        Command::Container(ContainerCommand::Other(args)) => not_implemented("container ", &args),
        Command::Image(ImageCommand::Other(args)) => not_implemented("image ", &args),
    }
}

/// Podman commands rpod does not have yet. Anything else is unknown.
const PLANNED: &[&str] = &[
    "auto-update",
    "build",
    "checkpoint",
    "commit",
    "cp",
    "diff",
    "export",
    "history",
    "import",
    "init",
    "kube",
    "load",
    "login",
    "logout",
    "machine",
    "manifest",
    "mount",
    "network",
    "play",
    "port",
    "prune",
    "push",
    "restart",
    "restore",
    "rmi",
    "save",
    "search",
    "secret",
    "stats",
    "tag",
    "top",
    "tree",
    "trust",
    "umount",
    "unmount",
    "unshare",
    "untag",
    "update",
    "volume",
    "exists",
];

fn not_implemented(prefix: &str, args: &[String]) -> CliResult {
    let name = args.first().map(String::as_str).unwrap_or("");
    if PLANNED.contains(&name) {
        Err(CliError::usage(format!(
            "rpod {prefix}{name} is not implemented yet (see docs/compatibility.md)"
        )))
    } else {
        Err(CliError::usage(format!(
            "unrecognized command `rpod {prefix}{name}`"
        )))
    }
}
