//! One module per command (or family). `dispatch` opens the engine and
//! runs the chosen command; each returns the process exit code.

mod api_service;
mod attach;
mod auto_update;
mod build;
mod cidfile;
mod commit;
mod common;
mod completion;
mod connection;
mod container_create;
mod container_filter;
mod cp;
mod create_meta_flags;
mod create_refused;
mod cri;
mod detach_keys;
mod diff;
mod events;
mod exec;
mod generate;
mod healthcheck;
mod history;
mod images;
mod info;
mod inspect;
mod kube;
mod lifecycle;
mod limit_flags;
mod login;
mod logs;
mod manifest;
mod mount;
mod network;
mod network_flags;
mod pod;
mod pod_ps;
mod pod_view;
mod port;
mod progress_bars;
mod ps;
mod pull;
mod push;
mod registry_opts;
mod rmi;
mod run;
mod runlabel;
mod save;
mod secret;
mod service_flags;
mod sig_proxy;
mod stats;
mod terminal;
mod volume;
// The modules' former names, still used by lifecycle.rs, container_filter.rs
// and system.rs.
mod rootlessport;
mod system;
mod tag;
mod top;
mod tree;
mod trust;
mod unshare;
mod update;

use crate::prep::{Eager, Lazy};
use clap::Subcommand;

use crate::cli_error::{CliError, CliResult};
use crate::Cli;

/// The commands. A leaf's arguments are [`Lazy`]: added (and prepared,
/// see `crate::prep`) only when clap parses that command; [`Eager`] where
/// one of them has a global flag's id.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Common(Box<ContainerCommon>),
    /// Build an image using instructions from Containerfiles
    Build(Eager<Box<build::BuildArgs>>),
    /// Build images with Buildah (alias of build)
    #[command(subcommand)]
    Buildx(build::BuildxCommand),
    /// Auto update containers according to their auto-update policy
    AutoUpdate(Lazy<auto_update::AutoUpdateArgs>),
    /// Generate shell autocompletions
    Completion(Lazy<completion::CompletionArgs>),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Serve the Kubernetes Container Runtime Interface (CRI v1)
    #[command(subcommand)]
    Cri(cri::CriCommand),
    /// Show podman system events
    Events(Lazy<events::EventsArgs>),
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
    Images(Lazy<images::ImagesArgs>),
    /// Show history of a specified image
    History(Lazy<history::HistoryArgs>),
    /// Import a tarball to create a filesystem image
    Import(Lazy<commit::ImportArgs>),
    /// Display rpod related system information
    Info(Lazy<info::InfoArgs>),
    /// Display the configuration of object denoted by ID
    Inspect(Lazy<inspect::InspectArgs>),
    /// Play containers, pods or volumes from a structured file
    #[command(subcommand)]
    Kube(kube::KubeCommand),
    /// Load image(s) from a tar archive or layout
    Load(Lazy<save::LoadArgs>),
    /// Manage remote API service destinations (Docker's `context`)
    #[command(subcommand, hide = true)]
    Context(connection::ContextCommand),
    /// Log in to a container registry
    Login(Lazy<login::LoginArgs>),
    /// Log out of a container registry
    Logout(Lazy<login::LogoutArgs>),
    /// Manage networks
    #[command(subcommand)]
    Network(network::NetworkCommand),
    /// Play containers, pods or volumes from a structured file
    #[command(subcommand)]
    Play(kube::PlayCommand),
    /// Manage pods
    #[command(subcommand)]
    Pod(pod::PodCommand),
    /// List containers
    #[command(alias = "list", alias = "ls")]
    Ps(Lazy<ps::PsArgs>),
    /// Pull an image from a registry
    Pull(Lazy<pull::PullArgs>),
    /// Push an image to a specified destination
    Push(Lazy<push::PushArgs>),
    /// Remove one or more images from local storage
    Rmi(Lazy<rmi::RmiArgs>),
    /// Save image(s) to an archive
    Save(Lazy<save::SaveArgs>),
    /// Manipulate manifest lists
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Manage secrets
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Manage rpod
    #[command(subcommand)]
    System(system::SystemCommand),
    /// Add an additional name to a local image
    Tag(Lazy<tag::TagArgs>),
    /// Remove a name from a local image
    Untag(Lazy<tag::UntagArgs>),
    /// Run a command in a modified user namespace
    Unshare(Lazy<unshare::UnshareArgs>),
    /// Forward a rootless container's published ports (internal)
    #[command(hide = true)]
    Rootlessport(Lazy<rootlessport::RootlessportArgs>),
    /// Display the rpod version information
    Version(Lazy<info::VersionArgs>),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::VolumeCommand),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

/// Container commands that stand both at the top level (`rpod run`) and
/// under `rpod container` (`rpod container run`).
#[derive(Debug, Subcommand)]
pub enum ContainerCommon {
    /// Attach to a running container
    Attach(Lazy<attach::AttachArgs>),
    /// Create new image based on the changed container
    Commit(Lazy<commit::CommitArgs>),
    /// Copy files/folders between a container and the local filesystem
    Cp(Lazy<cp::CpArgs>),
    /// Create but do not start a container
    Create(Lazy<container_create::CreateArgs>),
    /// Inspect changes to the container's file systems
    Diff(Lazy<diff::DiffArgs>),
    /// Run a process in a running container
    Exec(Lazy<exec::ExecArgs>),
    /// Export container's filesystem contents as a tar archive
    Export(Lazy<mount::ExportArgs>),
    /// Kill one or more running containers with a specific signal
    Kill(Lazy<lifecycle::KillArgs>),
    /// Fetch the logs of one or more containers
    Logs(Lazy<logs::LogsArgs>),
    /// Mount a working container's root filesystem
    Mount(Lazy<mount::MountArgs>),
    /// Pause all the processes in one or more containers
    Pause(Lazy<lifecycle::NamesArgs>),
    /// List port mappings or a specific mapping for the container
    Port(Lazy<port::PortArgs>),
    /// Rename an existing container
    Rename(Lazy<lifecycle::RenameArgs>),
    /// Restart one or more containers
    Restart(Lazy<lifecycle::RestartArgs>),
    /// Remove one or more containers
    Rm(Lazy<lifecycle::RmArgs>),
    /// Run a command in a new container
    Run(Lazy<run::RunArgs>),
    /// Start one or more containers
    Start(Lazy<run::StartArgs>),
    /// Display a live stream of container resource usage statistics
    Stats(Lazy<stats::StatsArgs>),
    /// Stop one or more containers
    Stop(Lazy<lifecycle::StopArgs>),
    /// Display the running processes of a container
    Top(Lazy<top::TopArgs>),
    /// Unmount working container's root filesystem
    #[command(alias = "unmount")]
    Umount(Lazy<mount::UmountArgs>),
    /// Unpause the processes in one or more containers
    Unpause(Lazy<lifecycle::NamesArgs>),
    /// Update an existing container
    Update(Lazy<update::UpdateArgs>),
    /// Block on one or more containers
    Wait(Lazy<lifecycle::WaitArgs>),
}

#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Clean up network and mountpoints of one or more containers
    Cleanup(Lazy<lifecycle::CleanupArgs>),
    /// Execute the command described by an image label
    Runlabel(Lazy<runlabel::RunlabelArgs>),
    /// Check if a container exists in local storage
    Exists(Lazy<lifecycle::ExistsArgs>),
    Inspect(Lazy<inspect::ContainerInspectArgs>),
    #[command(alias = "list", alias = "ps")]
    Ls(Lazy<ps::PsArgs>),
    /// Remove all non running containers
    Prune(Lazy<system::PruneArgs>),
    #[command(flatten)]
    Common(Box<ContainerCommon>),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Build an image using instructions from Containerfiles
    Build(Eager<Box<build::BuildArgs>>),
    /// Check if an image exists in local storage
    Exists(Lazy<tag::ExistsArgs>),
    History(Lazy<history::HistoryArgs>),
    Diff(Lazy<diff::DiffArgs>),
    Import(Lazy<commit::ImportArgs>),
    Inspect(Lazy<inspect::ImageInspectArgs>),
    Load(Lazy<save::LoadArgs>),
    #[command(alias = "list")]
    Ls(Lazy<images::ImagesArgs>),
    /// Mount an image's root filesystem
    Mount(Lazy<mount::ImageMountArgs>),
    /// Unmount an image's root filesystem
    #[command(alias = "unmount")]
    Umount(Lazy<mount::ImageUmountArgs>),
    /// Remove unused images
    Prune(Lazy<rmi::PruneArgs>),
    Pull(Lazy<pull::PullArgs>),
    Push(Lazy<push::PushArgs>),
    #[command(alias = "remove")]
    Rm(Lazy<rmi::RmiArgs>),
    Save(Lazy<save::SaveArgs>),
    Tag(Lazy<tag::TagArgs>),
    /// Print layer hierarchy of an image in a tree format
    Tree(Lazy<tree::TreeArgs>),
    /// Manage container image trust policy
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    Untag(Lazy<tag::UntagArgs>),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

pub async fn dispatch(cli: Cli) -> CliResult {
    let g = common::Globals::from(&cli);
    match cli.command.0 {
        Command::Common(c) | Command::Container(ContainerCommand::Common(c)) => {
            dispatch_common(&g, *c).await
        }
        Command::Image(ImageCommand::Diff(Lazy(a))) => diff::run(&g, a).await,
        Command::Build(Eager(a)) | Command::Image(ImageCommand::Build(Eager(a))) => {
            build::run(&g, *a).await
        }
        Command::Buildx(build::BuildxCommand::Build(Eager(a))) => build::run(&g, *a).await,
        Command::Buildx(build::BuildxCommand::Version(_)) => build::buildx_version(&g).await,
        Command::Image(ImageCommand::Mount(Lazy(a))) => mount::image_mount(&g, a).await,
        Command::Image(ImageCommand::Umount(Lazy(a))) => mount::image_umount(&g, a).await,
        Command::Container(ContainerCommand::Cleanup(Lazy(a))) => lifecycle::cleanup(&g, a).await,
        Command::Container(ContainerCommand::Runlabel(Lazy(a))) => runlabel::run(&g, a).await,
        Command::Container(ContainerCommand::Exists(Lazy(a))) => lifecycle::exists(&g, a).await,
        Command::Events(Lazy(a)) => events::run(&g, a).await,
        Command::System(c) => system::run(&g, c).await,
        Command::Container(ContainerCommand::Prune(Lazy(a))) => {
            system::container_prune(&g, a).await
        }
        Command::Generate(c) => generate::run(&g, c).await,
        Command::AutoUpdate(Lazy(a)) => auto_update::run(&g, a).await,
        Command::Healthcheck(c) => healthcheck::run(&g, c).await,
        Command::Container(ContainerCommand::Inspect(Lazy(a))) => inspect::containers(&g, a).await,
        Command::Image(ImageCommand::Inspect(Lazy(a))) => inspect::images(&g, a).await,
        Command::Images(Lazy(a)) | Command::Image(ImageCommand::Ls(Lazy(a))) => {
            images::run(&g, a).await
        }
        Command::Info(Lazy(a)) => info::info(&g, a, info::Invoked::TopLevel).await,
        Command::History(Lazy(a)) | Command::Image(ImageCommand::History(Lazy(a))) => {
            history::run(&g, a).await
        }
        Command::Rmi(Lazy(a)) | Command::Image(ImageCommand::Rm(Lazy(a))) => rmi::rmi(&g, a).await,
        Command::Image(ImageCommand::Prune(Lazy(a))) => rmi::prune(&g, a).await,
        Command::Push(Lazy(a)) | Command::Image(ImageCommand::Push(Lazy(a))) => {
            push::run(&g, a).await
        }
        Command::Save(Lazy(a)) | Command::Image(ImageCommand::Save(Lazy(a))) => {
            save::run_save(&g, a).await
        }
        Command::Load(Lazy(a)) | Command::Image(ImageCommand::Load(Lazy(a))) => {
            save::run_load(&g, a).await
        }
        Command::Context(c) => connection::run_context(c),
        Command::Login(Lazy(a)) => login::login(&g, a).await,
        Command::Image(ImageCommand::Trust(c)) => trust::run(&g, c).await,
        Command::Image(ImageCommand::Tree(Lazy(a))) => tree::run(&g, a).await,
        Command::Import(Lazy(a)) | Command::Image(ImageCommand::Import(Lazy(a))) => {
            commit::import(&g, a).await
        }
        Command::Logout(Lazy(a)) => login::logout(&g, a).await,
        Command::Image(ImageCommand::Exists(Lazy(a))) => tag::exists(&g, a).await,
        Command::Tag(Lazy(a)) | Command::Image(ImageCommand::Tag(Lazy(a))) => tag::tag(&g, a).await,
        Command::Untag(Lazy(a)) | Command::Image(ImageCommand::Untag(Lazy(a))) => {
            tag::untag(&g, a).await
        }
        Command::Inspect(Lazy(a)) => inspect::run(&g, a).await,
        Command::Pod(c) => pod::dispatch(&g, c).await,
        Command::Ps(Lazy(a)) | Command::Container(ContainerCommand::Ls(Lazy(a))) => {
            ps::run(&g, a).await
        }
        Command::Pull(Lazy(a)) | Command::Image(ImageCommand::Pull(Lazy(a))) => {
            pull::run(&g, a).await
        }
        Command::Unshare(Lazy(a)) => unshare::run(&g, a).await,
        Command::Rootlessport(Lazy(a)) => rootlessport::run(a).await,
        Command::Version(Lazy(a)) => info::version(&g, a, info::Invoked::TopLevel).await,
        Command::Network(c) => network::dispatch(&g, c).await,
        Command::Completion(Lazy(a)) => completion::run(a),
        Command::Volume(c) => volume::dispatch(&g, c).await,
        Command::Manifest(c) => manifest::dispatch(&g, c).await,
        Command::Secret(c) => secret::dispatch(&g, c).await,
        Command::Kube(c) => kube::dispatch(&g, c).await,
        Command::Cri(c) => cri::dispatch(&g, c).await,
        Command::Play(kube::PlayCommand::Kube(Lazy(a))) => kube::play(&g, a).await,
        Command::Other(args) => not_implemented("", &args),
        Command::Container(ContainerCommand::Other(args)) => not_implemented("container ", &args),
        Command::Image(ImageCommand::Other(args)) => not_implemented("image ", &args),
    }
}

/// The container commands shared by the top level and `rpod container`.
async fn dispatch_common(g: &common::Globals, c: ContainerCommon) -> CliResult {
    match c {
        ContainerCommon::Attach(Lazy(a)) => attach::run(g, a).await,
        ContainerCommon::Commit(Lazy(a)) => commit::commit(g, a).await,
        ContainerCommon::Cp(Lazy(a)) => cp::run(g, a).await,
        ContainerCommon::Create(Lazy(a)) => container_create::run(g, a).await,
        ContainerCommon::Diff(Lazy(a)) => diff::run(g, a).await,
        ContainerCommon::Exec(Lazy(a)) => exec::run(g, a).await,
        ContainerCommon::Export(Lazy(a)) => mount::export(g, a).await,
        ContainerCommon::Kill(Lazy(a)) => lifecycle::kill(g, a).await,
        ContainerCommon::Logs(Lazy(a)) => logs::run(g, a).await,
        ContainerCommon::Mount(Lazy(a)) => mount::mount(g, a).await,
        ContainerCommon::Pause(Lazy(a)) => lifecycle::pause(g, a, true).await,
        ContainerCommon::Port(Lazy(a)) => port::run(g, a).await,
        ContainerCommon::Rename(Lazy(a)) => lifecycle::rename(g, a).await,
        ContainerCommon::Restart(Lazy(a)) => lifecycle::restart(g, a).await,
        ContainerCommon::Rm(Lazy(a)) => lifecycle::rm(g, a).await,
        ContainerCommon::Run(Lazy(a)) => run::run(g, a).await,
        ContainerCommon::Start(Lazy(a)) => run::start(g, a).await,
        ContainerCommon::Stats(Lazy(a)) => stats::run(g, a).await,
        ContainerCommon::Stop(Lazy(a)) => lifecycle::stop(g, a).await,
        ContainerCommon::Top(Lazy(a)) => top::run(g, a).await,
        ContainerCommon::Umount(Lazy(a)) => mount::umount(g, a).await,
        ContainerCommon::Unpause(Lazy(a)) => lifecycle::pause(g, a, false).await,
        ContainerCommon::Update(Lazy(a)) => update::run(g, a).await,
        ContainerCommon::Wait(Lazy(a)) => lifecycle::wait(g, a).await,
    }
}

/// Podman commands rpod does not have yet. Anything else is unknown.
const PLANNED: &[&str] = &[
    "checkpoint",
    "init",
    "machine",
    "prune",
    "restore",
    "search",
];

fn not_implemented(prefix: &str, args: &[String]) -> CliResult {
    let name = args.first().map(String::as_str).unwrap_or("");
    if PLANNED.contains(&name) {
        Err(CliError::usage(format!(
            "rpod {prefix}{name} is not implemented yet (see docs/compatibility.md)"
        )))
    } else if let Some(flag) = args.iter().skip(1).find(|a| a.starts_with('-')) {
        // As Podman (cobra): the flags are parsed before the command is
        // looked up, so an unknown flag is reported first.
        let flag = flag.split('=').next().unwrap_or(flag);
        Err(CliError::usage(format!(
            "unknown flag: {flag}\nSee 'rpod {}--help'",
            prefix
        )))
    } else {
        Err(CliError::usage(format!(
            "unrecognized command `rpod {prefix}{name}`\nTry 'rpod {prefix}--help' for more information"
        )))
    }
}
