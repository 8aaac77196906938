//! `stop`, `kill`, `rm`, `wait`, `pause`, `unpause`, `rename` and
//! `container cleanup`.

use clap::Args;
use rpod_engine::container::ContainerError;
use rpod_engine::Engine;

use super::common::{for_each, open_engine, parse_signal, FailureCodes, Globals};
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
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
    containers: Vec<String>,
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
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Condition to wait on (only "stopped"/"exited" are supported)
    #[arg(long)]
    condition: Vec<String>,
    /// Ignore if a container does not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    #[arg(required = true)]
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Act on all containers
    #[arg(short = 'a', long)]
    all: bool,
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
    for f in &a.cidfile {
        match super::survival_cli::read_cidfile(f)? {
            Some(id) => containers.push(id),
            None if a.ignore => {}
            None => {
                return Err(CliError::usage(format!(
                    "reading CIDFile: open {f}: no such file or directory"
                )))
            }
        }
    }
    if !a.cidfile.is_empty() && containers.is_empty() {
        return Ok(0);
    }
    let names = if filters.is_empty() {
        names_or_all(&engine, a.all, &containers, true)?
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
    let names = names_or_all(&engine, a.all, &a.containers, true)?;
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
    for f in &a.cidfile {
        match super::survival_cli::read_cidfile(f)? {
            Some(id) => {
                containers.push(id);
                // Podman removes the file with the container.
                let _ = std::fs::remove_file(f);
            }
            None if a.ignore => {}
            None => {
                return Err(CliError::usage(format!(
                    "reading CIDFile: open {f}: no such file or directory"
                )))
            }
        }
    }
    if !a.cidfile.is_empty() && containers.is_empty() {
        return Ok(0);
    }
    let names = names_or_all(&engine, a.all, &containers, false)?;
    let mut failures = FailureCodes::default();
    for name in &names {
        let res = match engine.container(name) {
            Ok(h) => match super::pod::infra_of_pod(&engine, &h).await {
                // `rm -a` leaves pods to `pod rm`.
                Some(_) if a.all => continue,
                Some(msg) => Err(ContainerError::StateImproper(msg)),
                None => h.remove(a.force, a.time).await,
            },
            Err(e) => Err(e),
        };
        match res {
            Ok(()) => println!("{name}"),
            Err(ContainerError::NotFound(_)) if a.ignore => {}
            Err(e) => {
                let code = match &e {
                    ContainerError::NotFound(_) => 1,
                    ContainerError::StateImproper(_) => 2,
                    _ => 125,
                };
                failures.fail(&e, code);
            }
        }
    }
    failures.finish()
}

pub async fn wait(g: &Globals, a: WaitArgs) -> CliResult {
    for c in &a.condition {
        if !matches!(c.as_str(), "stopped" | "exited") {
            return Err(CliError::usage(format!(
                "unsupported wait condition {c:?}: only stopped and exited are supported"
            )));
        }
    }
    let engine = open_engine(g)?;
    for_each(&a.containers, |name| {
        let engine = &engine;
        async move {
            let h = match engine.container(&name) {
                Ok(h) => h,
                Err(ContainerError::NotFound(_)) if a.ignore => return Ok(Some("-1".into())),
                Err(e) => return Err(e.into()),
            };
            Ok(Some(h.wait().await?.to_string()))
        }
    })
    .await
}

pub async fn pause(g: &Globals, a: NamesArgs, pause: bool) -> CliResult {
    let engine = open_engine(g)?;
    let names = names_or_all(&engine, a.all, &a.containers, true)?;
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
    let engine = open_engine(g)?;
    engine.container(&a.container)?.rename(a.name).await?;
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
