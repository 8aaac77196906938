//! `stop`, `kill`, `rm`, `wait`, `pause`, `unpause`, `rename`, `restart`,
//! `container exists` and `container cleanup`.

use clap::Args;
use rpod_engine::container::{ContainerError, WaitCondition};
use rpod_engine::state::ContainerState;
use rpod_engine::Engine;

use super::common::{for_each, open_engine, open_front_door, parse_signal, FailureCodes, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Stop all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time", alias = "timeout")]
    time: Option<u64>,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Filter what containers are going to be stopped (with --all)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL", allow_hyphen_values = true)]
    signal: String,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Restart all non-running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Filter what containers restart
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Restart only running containers
    #[arg(long)]
    running: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time", alias = "timeout")]
    time: Option<u64>,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// Check external storage containers as well as Podman containers
    #[arg(long)]
    external: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[arg(required_unless_present = "latest")]
    container: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal of a running or unusable container
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time")]
    time: Option<u64>,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Remove container and all containers that depend on it
    #[arg(long)]
    depend: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Condition to wait on
    #[arg(long, value_delimiter = ',')]
    condition: Vec<String>,
    /// Time Interval to wait before polling for completion
    #[arg(short = 'i', long, default_value = "250ms")]
    interval: String,
    /// Ignore if a container does not exist
    #[arg(long)]
    ignore: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Act on all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    container: String,
    name: String,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Clean up all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Remove the container after cleanup
    #[arg(long)]
    rm: bool,
    containers: Vec<String>,
}

/// The containers a command acts on: `--all` (their IDs), `--latest`, or
/// the names as typed.
fn targets(
    engine: &Engine,
    all: bool,
    latest: bool,
    names: &[String],
    keep: impl Fn(ContainerState) -> bool,
) -> CliResult<Vec<String>> {
    if latest {
        if !names.is_empty() {
            return Err(CliError::usage(
                "--latest and containers cannot be used together",
            ));
        }
        return Ok(vec![super::latest::latest_container(engine)?]);
    }
    if all {
        return Ok(engine
            .containers()?
            .into_iter()
            .filter(|c| keep(c.state))
            .map(|c| c.id)
            .collect());
    }
    names_or_all(engine, false, names, false)
}

fn names_or_all(
    engine: &Engine,
    all: bool,
    names: &[String],
    running_only: bool,
) -> CliResult<Vec<String>> {
    if all {
        return Ok(engine
            .containers()?
            .into_iter()
            .filter(|c| !running_only || c.state.has_monitor())
            .map(|c| c.id)
            .collect());
    }
    if names.is_empty() {
        return Err(CliError::usage("you must provide at least one name or id"));
    }
    Ok(names.to_vec())
}

pub async fn stop(g: &Globals, a: StopArgs) -> CliResult {
    let engine = open_engine(g)?;
    let filters = super::container_filter::Filters::parse(
        &a.filter,
        &["restart-policy", "name", "id", "status", "label", "until"],
    )?;
    let mut containers = a.containers.clone();
    containers.extend(
        super::survival_cli::read_cidfiles(&a.cidfile, a.ignore)?
            .into_iter()
            .map(|(_, id)| id),
    );
    if !a.cidfile.is_empty() && containers.is_empty() {
        return Ok(0);
    }
    let names = if filters.is_empty() {
        targets(&engine, a.all, a.latest, &containers, |s| s.has_monitor())?
    } else if a.all {
        let all = engine.containers()?.into_iter();
        all.filter(|c| c.state.has_monitor() && filters.matches(c))
            .map(|c| c.id)
            .collect()
    } else {
        return Err(CliError::usage("--filter needs --all"));
    };
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            match engine.container(&name) {
                Ok(h) => h.stop(a.time).await?,
                Err(ContainerError::NotFound(_)) if a.ignore => return Ok(None),
                Err(e) => return Err(e.into()),
            }
            Ok(Some(name))
        }
    })
    .await
}

pub async fn kill(g: &Globals, a: KillArgs) -> CliResult {
    let signal = parse_signal(&a.signal)?;
    let engine = open_engine(g)?;
    let mut containers = a.containers.clone();
    containers.extend(
        super::survival_cli::read_cidfiles(&a.cidfile, false)?
            .into_iter()
            .map(|(_, id)| id),
    );
    let names = targets(&engine, a.all, a.latest, &containers, |s| s.has_monitor())?;
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            engine.container(&name)?.kill(signal).await?;
            Ok(Some(name))
        }
    })
    .await
}

/// Podman's `rm` exit codes: 1 if a container did not exist, 2 if one was
/// running (without --force), 125 for other failures.
pub async fn rm(g: &Globals, a: RmArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut containers = a.containers.clone();
    for (f, id) in super::survival_cli::read_cidfiles(&a.cidfile, a.ignore)? {
        containers.push(id);
        // Podman removes the file with the container.
        let _ = std::fs::remove_file(f);
    }
    if !a.cidfile.is_empty() && containers.is_empty() {
        return Ok(0);
    }
    let names = targets(&engine, a.all, a.latest, &containers, |_| true)?;
    let mut failures = FailureCodes::default();
    for name in &names {
        // With --depend, the containers that depend on this one go first.
        let mut order = Vec::new();
        if a.depend {
            if let Ok(h) = engine.container(name) {
                dependents_first(&h, &engine, &mut order)?;
            }
        }
        order.push(name.clone());
        for name in &order {
            let res = match engine.container(name) {
                Ok(h) => match super::pod::infra_of_pod(&engine, &h).await {
                    // `rm -a` leaves pods to `pod rm`.
                    Some(_) if a.all => continue,
                    Some(msg) => Err(ContainerError::StateImproper(msg)),
                    None => h.remove(a.force || a.depend, a.time).await,
                },
                Err(e) => Err(e),
            };
            match res {
                Ok(()) => println!("{name}"),
                // Podman: `rm --force` of a missing container is no error.
                Err(ContainerError::NotFound(_)) if a.ignore || a.force => {}
                Err(ContainerError::NotFound(n)) => {
                    let msg =
                        format!("no container with ID or name \"{n}\" found: no such container");
                    failures.fail_msg(&msg, 1);
                }
                Err(e) => {
                    let code = match &e {
                        ContainerError::StateImproper(_) => 2,
                        _ => 125,
                    };
                    failures.fail(&e, code);
                }
            }
        }
    }
    failures.finish()
}

/// Appends the IDs of the containers depending on `h`, transitively,
/// deepest first, each once.
fn dependents_first(
    h: &rpod_engine::container::ContainerHandle,
    engine: &Engine,
    order: &mut Vec<String>,
) -> CliResult<()> {
    for id in h.dependents()? {
        if order.contains(&id) {
            continue;
        }
        if let Ok(dep) = engine.container(&id) {
            dependents_first(&dep, engine, order)?;
        }
        if !order.contains(&id) {
            order.push(id);
        }
    }
    Ok(())
}

pub async fn wait(g: &Globals, a: WaitArgs) -> CliResult {
    let conditions = a
        .condition
        .iter()
        .map(|c| WaitCondition::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    let interval = super::survival_flags::parse_go_duration(&a.interval)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("time: invalid duration {:?}", a.interval)))?;
    let engine = open_engine(g)?;
    if a.containers.is_empty() && !a.latest {
        return Err(CliError::usage("wait requires at least one argument"));
    }
    let names = targets(&engine, false, a.latest, &a.containers, |_| true)?;
    for_each(&names, |name| {
        let engine = &engine;
        let conditions = &conditions;
        async move {
            let h = match engine.container(&name) {
                Ok(h) => h,
                Err(ContainerError::NotFound(_)) if a.ignore => return Ok(Some("-1".into())),
                Err(e) => return Err(e.into()),
            };
            Ok(Some(h.wait_for(conditions, interval).await?.to_string()))
        }
    })
    .await
}

/// `restart`: stops (if running) and starts each container; prints what
/// the user typed, or the IDs for `--all`/`--running`/`--filter`.
pub async fn restart(g: &Globals, a: RestartArgs) -> CliResult {
    let engine = open_engine(g)?;
    let filters = super::container_filter::Filters::parse(
        &a.filter,
        super::container_filter::START_FILTER_KEYS,
    )?;
    let mut containers = a.containers.clone();
    containers.extend(
        super::survival_cli::read_cidfiles(&a.cidfile, false)?
            .into_iter()
            .map(|(_, id)| id),
    );
    if (a.all || a.running) && !containers.is_empty() {
        return Err(CliError::usage(
            "--all or --running and containers cannot be used together",
        ));
    }
    let names = if a.all || a.running || !filters.is_empty() {
        engine
            .containers()?
            .into_iter()
            .filter(|c| !a.running || c.state == ContainerState::Running)
            .filter(|c| filters.matches(c))
            .map(|c| c.id)
            .collect()
    } else {
        if containers.is_empty() && !a.latest {
            return Err(CliError::usage("restart requires at least one argument"));
        }
        targets(&engine, false, a.latest, &containers, |_| true)?
    };
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            engine.container(&name)?.restart(a.time).await?;
            Ok(Some(name))
        }
    })
    .await
}

/// `container exists`: exit 0 if the container exists, 1 if not.
pub async fn exists(g: &Globals, a: ExistsArgs) -> CliResult {
    let engine = open_engine(g)?;
    let name = match (&a.container, a.latest) {
        (Some(_), true) => {
            return Err(CliError::usage(
                "--latest and containers cannot be used together",
            ))
        }
        (Some(name), false) => name.clone(),
        (None, _) => match super::latest::latest_container(&engine) {
            Ok(id) => id,
            Err(_) => return Ok(1),
        },
    };
    match engine.container(&name) {
        Ok(_) => Ok(0),
        Err(ContainerError::NotFound(_)) => {
            // --external: a container of rpod's storage without a record
            // (rpod's storage holds no other tool's containers).
            let in_storage = a.external
                && name.len() == 64
                && name.bytes().all(|b| b.is_ascii_hexdigit())
                && engine
                    .store()
                    .container_storage_paths(&name)
                    .upper
                    .parent()
                    .is_some_and(|dir| dir.exists());
            Ok(if in_storage { 0 } else { 1 })
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn pause(g: &Globals, a: NamesArgs, pause: bool) -> CliResult {
    let engine = open_engine(g)?;
    // --all: the containers the operation applies to.
    let want = if pause {
        ContainerState::Running
    } else {
        ContainerState::Paused
    };
    let names = targets(&engine, a.all, a.latest, &a.containers, |s| s == want)?;
    for_each(&names, |name| {
        let engine = &engine;
        async move {
            let h = engine.container(&name)?;
            if pause {
                h.pause().await?
            } else {
                h.unpause().await?
            }
            Ok(Some(name))
        }
    })
    .await
}

pub async fn rename(g: &Globals, a: RenameArgs) -> CliResult {
    let engine = open_front_door(g)?;
    engine.container_rename(&a.container, &a.name).await?;
    Ok(0)
}

/// Run by a container's monitor after the container exited: records the
/// exit and releases mounts; removes `--rm` containers. Quiet when the
/// container is already gone.
pub async fn cleanup(g: &Globals, a: CleanupArgs) -> CliResult {
    let engine = open_engine(g)?;
    let names = names_or_all(&engine, a.all, &a.containers, false)?;
    for name in &names {
        let handle = match engine.container(name) {
            Ok(h) => h,
            Err(ContainerError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let removed = match handle.cleanup().await {
            Ok(removed) => removed,
            // Removed meanwhile (e.g. by `run --rm` in the foreground).
            Err(ContainerError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        if a.rm && !removed {
            match handle.remove(false, None).await {
                Ok(()) | Err(ContainerError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(0)
}
