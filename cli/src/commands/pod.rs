//! `pod create|start|stop|kill|restart|pause|unpause|rm|exists|prune`:
//! pod lifecycle through the pod actor. Listing and inspection are in
//! `pod_ps`, `pod top` and `pod logs` in `pod_view`.

use clap::{Args, Subcommand};
use rpod_engine::pod::{default_share, ExitPolicy, NewPod, PodError, PodOptions};
use rpod_engine::Engine;

use super::common::{for_each, open_engine, parse_signal, FailureCodes, Globals};
use super::{pod_ps, pod_view};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum PodCommand {
    /// Create a new empty pod
    Create(PodCreateArgs),
    /// Check if a pod exists in local storage
    Exists(PodExistsArgs),
    /// Display a pod configuration
    Inspect(pod_ps::PodInspectArgs),
    /// Send the specified signal or SIGKILL to containers in pod
    Kill(PodKillArgs),
    /// Fetch logs for pod with one or more containers
    Logs(pod_view::PodLogsArgs),
    /// Pause one or more pods
    Pause(PodNamesArgs),
    /// Remove all stopped pods and their containers
    Prune(PodPruneArgs),
    /// List pods
    #[command(alias = "ls", alias = "list")]
    Ps(pod_ps::PodPsArgs),
    /// Restart one or more pods
    Restart(PodStopArgs),
    /// Remove one or more pods
    Rm(PodRmArgs),
    /// Start one or more pods
    Start(PodNamesArgs),
    /// Stop one or more pods
    Stop(PodStopArgs),
    /// Display the running processes of containers in a pod
    Top(pod_view::PodTopArgs),
    /// Unpause one or more pods
    Unpause(PodNamesArgs),
}

#[derive(Debug, Args)]
pub struct PodCreateArgs {
    /// Assign a name to the pod
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// A comma-separated list of kernel namespaces the pod will share
    #[arg(long)]
    share: Option<String>,
    /// Create an infra container associated with the pod to share namespaces with
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    infra: bool,
    /// The command to run on the infra container when the pod is started
    #[arg(long)]
    infra_command: Option<String>,
    /// The name used as infra container name
    #[arg(long)]
    infra_name: Option<String>,
    /// Set the pod's hostname
    #[arg(long)]
    hostname: Option<String>,
    /// Set metadata on pod
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    /// Publish a container's port, or a range of ports, to the host (recorded)
    #[arg(short = 'p', long = "publish")]
    publish: Vec<String>,
    /// Behaviour when the last container exits (continue, stop)
    #[arg(long, default_value = "continue")]
    exit_policy: String,
    /// Write the pod ID to the file
    #[arg(long)]
    pod_id_file: Option<String>,
    /// Write the infra container's monitor PID to this file (a link to it)
    #[arg(long)]
    infra_conmon_pidfile: Option<String>,
    /// If a pod with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// Pod name (alternative to --name)
    #[arg(value_name = "NAME")]
    positional_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PodNamesArgs {
    /// Act on all pods
    #[arg(short = 'a', long)]
    all: bool,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodStopArgs {
    /// Act on all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Ignore errors when a specified pod is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for pod stop before killing the container
    #[arg(short = 't', long = "time")]
    time: Option<u64>,
    pods: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodKillArgs {
    /// Kill all pods
    #[arg(short = 'a', long)]
    all: bool,
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
    /// Force removal of a running pod by first stopping all containers, then removing all containers in the pod
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore errors when a specified pod is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for pod stop before killing the container
    #[arg(short = 't', long = "time")]
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
        PodCommand::Create(a) => create(g, a).await,
        PodCommand::Exists(a) => exists(g, a).await,
        PodCommand::Inspect(a) => pod_ps::inspect(g, a).await,
        PodCommand::Kill(a) => kill(g, a).await,
        PodCommand::Logs(a) => pod_view::logs(g, a).await,
        PodCommand::Pause(a) => simple(g, a, Op::Pause).await,
        PodCommand::Prune(a) => prune(g, a).await,
        PodCommand::Ps(a) => pod_ps::ps(g, a).await,
        PodCommand::Restart(a) => stop(g, a, true).await,
        PodCommand::Rm(a) => rm(g, a).await,
        PodCommand::Start(a) => simple(g, a, Op::Start).await,
        PodCommand::Stop(a) => stop(g, a, false).await,
        PodCommand::Top(a) => pod_view::top(g, a).await,
        PodCommand::Unpause(a) => simple(g, a, Op::Unpause).await,
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

/// The options of a pod created with defaults (`--pod new:NAME`).
pub fn default_pod_options() -> PodOptions {
    let cgroup2 = rpod_engine::runtime::cgroup_mode() == rpod_engine::runtime::CgroupMode::Unified;
    PodOptions {
        share: default_share(cgroup2),
        infra: true,
        ..Default::default()
    }
}

async fn create(g: &Globals, a: PodCreateArgs) -> CliResult {
    if a.name.is_some() && a.positional_name.is_some() {
        return Err(CliError::usage("cannot specify both a pod name and --name"));
    }
    let exit_policy = ExitPolicy::parse(&a.exit_policy).ok_or_else(|| {
        CliError::usage(format!(
            "invalid pod exit policy: {:?}: must be one of continue, stop",
            a.exit_policy
        ))
    })?;
    let mut options = default_pod_options();
    options.infra = a.infra;
    if let Some(share) = &a.share {
        options.share = share
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty() && s != "none")
            .collect();
    } else if !a.infra {
        options.share.clear();
    }
    options.infra_command = a
        .infra_command
        .as_deref()
        .map(super::container_create::parse_entrypoint);
    options.infra_name = a.infra_name;
    options.hostname = a.hostname;
    options.labels = parse_labels(&a.label);
    options.ports = a.publish;
    options.exit_policy = exit_policy;
    let engine = open_engine(g)?;
    let name = a.name.or(a.positional_name);
    if a.replace {
        super::pod_service::replace_existing(&engine, name.as_deref()).await?;
    }
    let pod = engine.create_pod(NewPod { name, options }).await?;
    if let Some(f) = &a.infra_conmon_pidfile {
        super::pod_service::link_infra_pidfile(&engine, &pod, f)?;
    }
    if let Some(f) = &a.pod_id_file {
        std::fs::write(f, &pod.id)
            .map_err(|e| CliError::usage(format!("writing pod id file {f}: {e}")))?;
    }
    println!("{}", pod.id);
    Ok(0)
}

async fn exists(g: &Globals, a: PodExistsArgs) -> CliResult {
    let engine = open_engine(g)?;
    match engine.pod(&a.pod) {
        Ok(_) => Ok(0),
        Err(PodError::NotFound(_)) => Ok(1),
        Err(e) => Err(e.into()),
    }
}

/// The pods named, or every pod with `--all`.
pub fn pods_or_all(engine: &Engine, all: bool, names: &[String]) -> CliResult<Vec<String>> {
    if all {
        return Ok(engine.pods()?.into_iter().map(|p| p.id).collect());
    }
    if names.is_empty() {
        return Err(CliError::usage("you must provide at least one name or id"));
    }
    Ok(names.to_vec())
}

enum Op {
    Start,
    Pause,
    Unpause,
}

/// Podman prints the pod id of each pod acted on.
async fn simple(g: &Globals, a: PodNamesArgs, op: Op) -> CliResult {
    let engine = open_engine(g)?;
    let names = pods_or_all(&engine, a.all, &a.pods)?;
    for_each(&names, |name| {
        let engine = &engine;
        let op = &op;
        async move {
            let pod = engine.pod(&name)?;
            match op {
                Op::Start => pod.start().await?,
                Op::Pause => pod.pause().await?,
                Op::Unpause => pod.unpause().await?,
            }
            Ok(Some(pod.id))
        }
    })
    .await
}

async fn stop(g: &Globals, a: PodStopArgs, restart: bool) -> CliResult {
    let engine = open_engine(g)?;
    let names = pods_or_all(&engine, a.all, &a.pods)?;
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            let pod = match engine.pod(&name) {
                Ok(p) => p,
                Err(PodError::NotFound(_)) if a.ignore => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            if restart {
                pod.restart(a.time).await?
            } else {
                pod.stop(a.time).await?
            }
            Ok(Some(pod.id))
        }
    })
    .await
}

async fn kill(g: &Globals, a: PodKillArgs) -> CliResult {
    let signal = parse_signal(&a.signal)?;
    let engine = open_engine(g)?;
    let names = pods_or_all(&engine, a.all, &a.pods)?;
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            let pod = engine.pod(&name)?;
            pod.kill(signal).await?;
            Ok(Some(pod.id))
        }
    })
    .await
}

/// Podman's exit codes: 1 if a pod did not exist, 2 if one had live
/// members (without --force), 125 for other failures.
async fn rm(g: &Globals, a: PodRmArgs) -> CliResult {
    let engine = open_engine(g)?;
    let names = pods_or_all(&engine, a.all, &a.pods)?;
    let mut failures = FailureCodes::default();
    for name in &names {
        let res = match engine.pod(name) {
            Ok(p) => p.remove(a.force, a.time).await.map(|()| p.id),
            Err(e) => Err(e),
        };
        match res {
            Ok(id) => println!("{id}"),
            Err(PodError::NotFound(_)) if a.ignore => {}
            Err(e) => {
                let code = match &e {
                    PodError::NotFound(_) => 1,
                    PodError::StateImproper(_) => 2,
                    _ => 125,
                };
                failures.fail(&e, code);
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
    let engine = open_engine(g)?;
    for pod in engine.pods()? {
        let members = engine.pod_members(&pod.id)?;
        if members.iter().any(|c| c.state.has_monitor()) {
            continue;
        }
        engine.pod(&pod.id)?.remove(false, None).await?;
        println!("{}", pod.id);
    }
    Ok(0)
}
