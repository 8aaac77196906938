//! `system prune|df|reset|migrate` and `container prune`.

use std::io::BufRead;
use std::path::Path;

use clap::{Args, Subcommand};
use rpod_engine::container::ContainerError;
use rpod_engine::pod::PodError;
use rpod_engine::state::ContainerState;
use rpod_engine::Engine;
use serde_json::json;

use super::common::{open_engine, print_listing, Globals};
use super::container_filter::Filters;
use crate::cli_error::{CliError, CliResult};
use crate::format::HeaderMap;
use crate::human;

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Show rpod disk usage
    Df(DfArgs),
    /// Migrate containers (the state database schema)
    Migrate(MigrateArgs),
    /// Remove unused data
    Prune(SystemPruneArgs),
    /// Reset rpod storage
    Reset(ResetArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>', 'until=<timestamp>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Prune volumes (there are none yet)
    #[arg(long)]
    volumes: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>', 'until=<timestamp>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DfArgs {
    /// Pretty-print disk usage using a Go template
    #[arg(long)]
    format: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Change the OCI runtime of every container (not supported yet)
    #[arg(long)]
    new_runtime: Option<String>,
}

/// Asks `question`; true only for an explicit yes.
fn confirm(question: &str) -> bool {
    eprint!("{question}\nAre you sure you want to continue? [y/N] ");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
}

/// Removes every container that is not running (matching `filters`);
/// returns their ids and the bytes their writable layers held.
async fn prune_containers(engine: &Engine, filters: &Filters) -> CliResult<(Vec<String>, u64)> {
    let mut removed = Vec::new();
    let mut reclaimed = 0;
    for c in engine.containers()? {
        // A pod's infra container goes with its pod (`pod rm`), never alone.
        let infra = c.options.pod.as_ref().is_some_and(|p| p.infra);
        if infra
            || !matches!(c.state, ContainerState::Created | ContainerState::Exited)
            || !filters.matches(&c)
        {
            continue;
        }
        let size = dir_size(&engine.store().container_storage_paths(&c.id).upper);
        match engine.container(&c.id)?.remove(false, None).await {
            Ok(()) => {
                removed.push(c.id);
                reclaimed += size;
            }
            // Gone meanwhile, or started by someone else: not ours to prune.
            Err(ContainerError::NotFound(_) | ContainerError::StateImproper(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((removed, reclaimed))
}

/// Removes every pod none of whose containers runs (with its
/// containers); returns their ids.
async fn prune_pods(engine: &Engine) -> CliResult<Vec<String>> {
    let mut removed = Vec::new();
    for pod in engine.pods()? {
        let members = engine.pod_members(&pod.id)?;
        if members.iter().any(|c| c.state.has_monitor()) {
            continue;
        }
        match engine.pod(&pod.id)?.remove(false, None).await {
            Ok(()) => removed.push(pod.id),
            // Gone meanwhile, or started by someone else: not ours to prune.
            Err(PodError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(removed)
}

pub async fn container_prune(g: &Globals, a: PruneArgs) -> CliResult {
    let filters = Filters::parse(&a.filter, &["until", "label"])?;
    if !a.force && !confirm("WARNING! This will remove all non running containers.") {
        return Ok(0);
    }
    let engine = open_engine(g)?;
    let (removed, _) = prune_containers(&engine, &filters).await?;
    for id in removed {
        println!("{id}");
    }
    Ok(0)
}

pub async fn run(g: &Globals, cmd: SystemCommand) -> CliResult {
    match cmd {
        SystemCommand::Prune(a) => prune(g, a).await,
        SystemCommand::Df(a) => df(g, a).await,
        SystemCommand::Reset(a) => reset(g, a).await,
        SystemCommand::Migrate(a) => migrate(g, a).await,
    }
}

async fn prune(g: &Globals, a: SystemPruneArgs) -> CliResult {
    let filters = Filters::parse(&a.filter, &["until", "label"])?;
    // The same `label=` filters select images; `until=` compares with the
    // time an image was stored.
    let mut image_filters = Vec::new();
    let mut until = None;
    for f in &a.filter {
        match f.split_once('=') {
            Some(("label", _)) => {
                image_filters.extend(super::images::parse_filters(std::slice::from_ref(f))?)
            }
            Some(("until", v)) => {
                until = super::container_filter::until_nanos(v).map(|n| n / 1_000_000_000)
            }
            _ => {}
        }
    }
    let images = if a.all {
        "\t- all images not used by at least one container"
    } else {
        "\t- all dangling images"
    };
    if !a.force
        && !confirm(&format!(
            "WARNING! This command removes:\n\t- all pods not in use\n\t- all stopped containers\n{images}\n"
        ))
    {
        return Ok(0);
    }
    let engine = open_engine(g)?;
    let pods = prune_pods(&engine).await?;
    if !pods.is_empty() {
        println!("Deleted Pods");
        for id in &pods {
            println!("{id}");
        }
    }
    let (removed, mut reclaimed) = prune_containers(&engine, &filters).await?;
    if !removed.is_empty() {
        println!("Deleted Containers");
        for id in &removed {
            println!("{id}");
        }
    }
    let images = super::rmi::prune_images(&engine, a.all, &image_filters, until)?;
    if !images.is_empty() {
        println!("Deleted Images");
        for (id, size) in &images {
            println!("{id}");
            reclaimed += size;
        }
    }
    println!("Total reclaimed space: {}", human::size(reclaimed));
    Ok(0)
}

async fn df(g: &Globals, a: DfArgs) -> CliResult {
    let engine = open_engine(g)?;
    let containers = engine.containers()?;
    let images = engine
        .store()
        .images()
        .map_err(|e| anyhow::anyhow!("listing images: {e}"))?;
    let used: std::collections::BTreeSet<&str> =
        containers.iter().map(|c| c.image_id.as_str()).collect();
    let image_size: u64 = images.iter().map(|i| i.size).sum();
    let image_unused: u64 = images
        .iter()
        .filter(|i| !used.contains(i.id.as_str()))
        .map(|i| i.size)
        .sum();
    let active_images = images
        .iter()
        .filter(|i| used.contains(i.id.as_str()))
        .count();
    let mut ctr_size = 0;
    let mut ctr_reclaimable = 0;
    let mut running = 0;
    for c in &containers {
        let size = dir_size(&engine.store().container_storage_paths(&c.id).upper);
        ctr_size += size;
        if c.state.has_monitor() {
            running += 1;
        } else {
            ctr_reclaimable += size;
        }
    }
    let pct = |part: u64, total: u64| (part * 100).checked_div(total).unwrap_or(0);
    let rows = vec![
        json!({
            "Type": "Images",
            "Total": images.len(),
            "Active": active_images,
            "Size": human::size(image_size),
            "Reclaimable": format!("{} ({}%)", human::size(image_unused), pct(image_unused, image_size)),
        }),
        json!({
            "Type": "Containers",
            "Total": containers.len(),
            "Active": running,
            "Size": human::size(ctr_size),
            "Reclaimable": format!("{} ({}%)", human::size(ctr_reclaimable), pct(ctr_reclaimable, ctr_size)),
        }),
        json!({
            "Type": "Local Volumes",
            "Total": 0,
            "Active": 0,
            "Size": human::size(0),
            "Reclaimable": format!("{} (0%)", human::size(0)),
        }),
    ];
    let headers = HeaderMap::new("system df");
    print_listing(
        a.format.as_deref(),
        "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        &rows,
        &headers,
        false,
    )?;
    Ok(0)
}

async fn reset(g: &Globals, a: ResetArgs) -> CliResult {
    if !a.force
        && !confirm(
            "WARNING! This will remove:\n\t- all containers\n\t- all images\n\t- all events",
        )
    {
        return Ok(0);
    }
    let engine = open_engine(g)?;
    let root = engine.config().root.clone();
    let runroot = engine.config().runroot.clone();
    for c in engine.containers()? {
        match engine.container(&c.id)?.remove(true, Some(0)).await {
            Ok(()) | Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    drop(engine);
    for dir in [&root, &runroot] {
        empty_dir(dir)?;
    }
    Ok(0)
}

async fn migrate(g: &Globals, a: MigrateArgs) -> CliResult {
    if a.new_runtime.is_some() {
        return Err(CliError::usage(
            "--new-runtime is not supported yet (see docs/compatibility.md)",
        ));
    }
    // Opening the engine migrates the database schema (under its lock).
    open_engine(g)?;
    Ok(0)
}

/// Removes everything inside `dir`, keeping `dir`.
fn empty_dir(dir: &Path) -> CliResult<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", dir.display()).into()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Any depth (a container may have built a very deep tree), never
        // following symlinks or entering mounts.
        rpod_engine::storage::remove_tree_if_exists(&path)
            .map_err(|e| anyhow::anyhow!("removing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Bytes of the files under `dir` (a container's upper directory), read
/// from inside it: iterative, never following a symlink, at any depth.
fn dir_size(dir: &Path) -> u64 {
    match rpod_engine::storage::in_root::InRoot::new(dir).and_then(|t| t.apparent_size()) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => {
            tracing::debug!("sizing {}: {e}", dir.display());
            0
        }
    }
}
