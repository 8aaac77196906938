//! `pod create|start|stop|kill|restart|pause|unpause|rm|exists|prune`:
//! flags into the front door's pod requests, its reports printed as
//! Podman's. Listing and inspection are in `pod_ps`, `pod top` and
//! `pod logs` in `pod_view`.

use crate::prep::Lazy;
use clap::{Args, Subcommand};
use rpod_api::front_door::pods::{
    PodKillOptions, PodReport, PodRmOptions, PodSelect, PodSpec, PodStopOptions,
};
use rpod_api::ErrorKind;

use super::common::{open_front_door, parse_signal, print_batch, FailureCodes, Globals};
use super::{pod_ps, pod_view};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum PodCommand {
    /// Create a new empty pod
    Create(Lazy<Box<PodCreateArgs>>),
    /// Check if a pod exists in local storage
    Exists(Lazy<PodExistsArgs>),
    /// Display a pod configuration
    Inspect(Lazy<pod_ps::PodInspectArgs>),
    /// Send the specified signal or SIGKILL to containers in pod
    Kill(Lazy<PodKillArgs>),
    /// Fetch logs for pod with one or more containers
    Logs(Lazy<pod_view::PodLogsArgs>),
    /// Pause one or more pods
    Pause(Lazy<PodNamesArgs>),
    /// Remove all stopped pods and their containers
    Prune(Lazy<PodPruneArgs>),
    /// List pods
    #[command(alias = "ls", alias = "list")]
    Ps(Lazy<pod_ps::PodPsArgs>),
    /// Restart one or more pods
    Restart(Lazy<PodStopArgs>),
    /// Remove one or more pods
    Rm(Lazy<PodRmArgs>),
    /// Start one or more pods
    Start(Lazy<PodNamesArgs>),
    /// Display a live stream of resource usage statistics for the containers in one or more pods
    Stats(Lazy<super::stats::PodStatsArgs>),
    /// Stop one or more pods
    Stop(Lazy<PodStopArgs>),
    /// Display the running processes of containers in a pod
    Top(Lazy<pod_view::PodTopArgs>),
    /// Unpause one or more pods
    Unpause(Lazy<PodNamesArgs>),
}

#[derive(Debug, Args)]
pub struct PodCreateArgs {
    /// Assign a name to the pod
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// A comma-separated list of kernel namespaces the pod will share
    #[arg(long)]
    share: Option<String>,
    /// Use the pod's cgroup as the cgroup parent for all containers joining the pod
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    share_parent: Option<bool>,
    /// Create an infra container associated with the pod to share namespaces with
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    infra: bool,
    /// The command to run on the infra container when the pod is started
    #[arg(long)]
    infra_command: Option<String>,
    /// The name used as infra container name
    #[arg(long)]
    infra_name: Option<String>,
    /// Container image to use as the infra container (default: none, catatonit from the host)
    #[arg(long)]
    infra_image: Option<String>,
    /// Set the pod's hostname
    #[arg(long)]
    hostname: Option<String>,
    /// Set metadata on pod
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    /// The infra container's network (`-p`, `--network`, `--ip`, `--dns`, ...)
    #[command(flatten)]
    net: super::network_flags::NetworkFlags,
    /// Behaviour when the last container exits (continue, stop)
    #[arg(long, default_value = "continue")]
    exit_policy: String,
    /// Restart policy to apply when a container exits ("always"|"no"|"never"|"on-failure"|"unless-stopped")
    #[arg(long)]
    restart: Option<String>,
    /// Write the pod ID to the file
    #[arg(long)]
    pod_id_file: Option<String>,
    /// Write the infra container's monitor PID to this file (a link to it)
    #[arg(long)]
    infra_conmon_pidfile: Option<String>,
    /// If a pod with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// Limits on the pod's cgroup, shared by its containers
    #[command(flatten)]
    limits: super::limit_flags::ResourceFlags,
    /// User namespace of the pod (host, keep-id, auto[:OPTIONS], private)
    #[arg(long)]
    userns: Option<String>,
    /// UID map for the pod's user namespace (CONTAINER_UID:HOST_UID:AMOUNT)
    #[arg(long)]
    uidmap: Vec<String>,
    /// GID map for the pod's user namespace (CONTAINER_GID:HOST_GID:AMOUNT)
    #[arg(long)]
    gidmap: Vec<String>,
    /// Name of range listed in /etc/subuid for the pod's user namespace
    #[arg(long)]
    subuidname: Option<String>,
    /// Name of range listed in /etc/subgid for the pod's user namespace
    #[arg(long)]
    subgidname: Option<String>,
    /// Pod name (alternative to --name)
    #[arg(value_name = "NAME")]
    positional_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PodNamesArgs {
    /// Act on all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodStopArgs {
    /// Act on all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Ignore errors when a specified pod is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for pod stop before killing the container
    #[arg(short = 't', long = "time", allow_negative_numbers = true, value_parser = super::common::parse_stop_timeout)]
    time: Option<u64>,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodKillArgs {
    /// Kill all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Signal to send to the containers in the pod
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodRmArgs {
    /// Remove all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Force removal of a running pod by first stopping all containers, then removing all containers in the pod
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore errors when a specified pod is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for pod stop before killing the container
    #[arg(short = 't', long = "time", allow_negative_numbers = true, value_parser = super::common::parse_stop_timeout)]
    time: Option<u64>,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodExistsArgs {
    pod: String,
}

#[derive(Debug, Args)]
pub struct PodPruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

pub async fn dispatch(g: &Globals, cmd: PodCommand) -> CliResult {
    match cmd {
        PodCommand::Create(Lazy(a)) => create(g, *a).await,
        PodCommand::Exists(Lazy(a)) => exists(g, a).await,
        PodCommand::Inspect(Lazy(a)) => pod_ps::inspect(g, a).await,
        PodCommand::Kill(Lazy(a)) => kill(g, a).await,
        PodCommand::Logs(Lazy(a)) => pod_view::logs(g, a).await,
        PodCommand::Pause(Lazy(a)) => simple(g, a, Op::Pause).await,
        PodCommand::Prune(Lazy(a)) => prune(g, a).await,
        PodCommand::Ps(Lazy(a)) => pod_ps::ps(g, a).await,
        PodCommand::Restart(Lazy(a)) => stop(g, a, true).await,
        PodCommand::Rm(Lazy(a)) => rm(g, a).await,
        PodCommand::Start(Lazy(a)) => simple(g, a, Op::Start).await,
        PodCommand::Stop(Lazy(a)) => stop(g, a, false).await,
        PodCommand::Top(Lazy(a)) => pod_view::top(g, a).await,
        PodCommand::Stats(Lazy(a)) => super::stats::pod_run(g, a).await,
        PodCommand::Unpause(Lazy(a)) => simple(g, a, Op::Unpause).await,
    }
}

/// Parses `key=value` labels.
pub fn parse_labels(labels: &[String]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (l.clone(), String::new()),
        })
        .collect()
}

async fn create(g: &Globals, a: PodCreateArgs) -> CliResult {
    if a.name.is_some() && a.positional_name.is_some() {
        return Err(CliError::usage("cannot specify both a pod name and --name"));
    }
    let limits = super::limit_flags::LimitFlags {
        common: a.limits.clone(),
        ..Default::default()
    };
    let spec = PodSpec {
        resources: limits.resources()?,
        name: a.name.or(a.positional_name),
        share: a
            .share
            .as_deref()
            .map(|s| s.split(',').map(str::to_owned).collect()),
        no_infra: !a.infra,
        share_parent: a.share_parent,
        infra_command: a
            .infra_command
            .as_deref()
            .map(super::container_create::parse_entrypoint),
        infra_name: a.infra_name,
        infra_image: a.infra_image,
        hostname: a.hostname,
        labels: parse_labels(&a.label),
        port_mappings: a.net.publish.clone(),
        network: rpod_api::container_run::NetworkSpec {
            publish: Vec::new(),
            ..a.net.to_spec()?
        },
        exit_policy: Some(a.exit_policy),
        restart: a
            .restart
            .as_deref()
            .map(rpod_api::container_run::RestartPolicy::parse)
            .transpose()
            .map_err(CliError::usage)?,
        infra_conmon_pid_file: a.infra_conmon_pidfile,
        replace: a.replace,
        userns: rpod_api::container_run::NamespaceSpec {
            userns: a.userns,
            uidmap: a.uidmap,
            gidmap: a.gidmap,
            subuidname: a.subuidname,
            subgidname: a.subgidname,
            ..Default::default()
        },
        service_container: None,
        infra_security: Default::default(),
    };
    let report = open_front_door(g)?.pod_create(spec).await?;
    if let Some(f) = &a.pod_id_file {
        std::fs::write(f, &report.id)
            .map_err(|e| CliError::usage(format!("writing pod id file {f}: {e}")))?;
    }
    println!("{}", report.id);
    Ok(0)
}

async fn exists(g: &Globals, a: PodExistsArgs) -> CliResult {
    match open_front_door(g)?.pod_exists(&a.pod).await? {
        true => Ok(0),
        false => Ok(1),
    }
}

/// Podman's output of a batch: each pod's id as it is done; failures on
/// stderr, the last one ending the command (125 unless it says otherwise).
fn print_reports(reports: Vec<PodReport>) -> CliResult {
    print_batch(reports.into_iter().map(|r| match r.err {
        None => Ok(r.id),
        Some(e) => Err(e),
    }))
}

enum Op {
    Start,
    Pause,
    Unpause,
}

async fn simple(g: &Globals, a: PodNamesArgs, op: Op) -> CliResult {
    let select = PodSelect {
        all: a.all,
        latest: a.latest,
    };
    let fd = open_front_door(g)?;
    let reports = match op {
        Op::Start => fd.pod_start(&a.pods, select).await?,
        Op::Pause => fd.pod_pause(&a.pods, select).await?,
        Op::Unpause => fd.pod_unpause(&a.pods, select).await?,
    };
    print_reports(reports)
}

async fn stop(g: &Globals, a: PodStopArgs, restart: bool) -> CliResult {
    let options = PodStopOptions {
        select: PodSelect {
            all: a.all,
            latest: a.latest,
        },
        ignore: a.ignore,
        timeout: a.time,
    };
    let fd = open_front_door(g)?;
    let reports = if restart {
        fd.pod_restart(&a.pods, options).await?
    } else {
        fd.pod_stop(&a.pods, options).await?
    };
    print_reports(reports)
}

async fn kill(g: &Globals, a: PodKillArgs) -> CliResult {
    let options = PodKillOptions {
        select: PodSelect {
            all: a.all,
            latest: a.latest,
        },
        signal: parse_signal(&a.signal)?,
    };
    print_reports(open_front_door(g)?.pod_kill(&a.pods, options).await?)
}

/// Podman's exit codes: 1 if a pod did not exist, 125 for other failures
/// (live members without --force among them). --force implies --ignore.
async fn rm(g: &Globals, a: PodRmArgs) -> CliResult {
    if a.time.is_some() && !a.force {
        return Err(CliError::usage(
            "--force option must be specified to use the --time option",
        ));
    }
    let options = PodRmOptions {
        select: PodSelect {
            all: a.all,
            latest: a.latest,
        },
        force: a.force,
        ignore: a.ignore || a.force,
        timeout: a.time,
    };
    let mut failures = FailureCodes::default();
    for r in open_front_door(g)?.pod_rm(&a.pods, options).await? {
        match r.err {
            None => println!("{}", r.id),
            Some(e) => {
                let code = match e.kind {
                    ErrorKind::NoSuchPod => 1,
                    _ => 125,
                };
                // Podman prints each member's failure as its own error.
                for line in e.message.lines() {
                    failures.fail_msg(line, code);
                }
            }
        }
    }
    failures.finish()
}

/// Removes pods none of whose containers is live.
async fn prune(g: &Globals, a: PodPruneArgs) -> CliResult {
    if !a.force {
        return Err(CliError::usage(
            "rpod pod prune asks no questions: pass --force (-f)",
        ));
    }
    print_reports(open_front_door(g)?.pod_prune().await?)
}
