//! `system prune|df|reset|migrate` and `container prune`.

use std::io::BufRead;
use std::path::Path;

use clap::{Args, Subcommand};
use rpod_engine::container::ContainerError;
use rpod_engine::pod::PodError;
use rpod_engine::state::ContainerState;
use rpod_engine::Engine;
use serde_json::json;

use super::common::{open_engine, Globals};
use super::container_filter::Filters;
use crate::cli_error::{CliError, CliResult};
use crate::format::{GoMethods, GoValue, HeaderMap, ToTemplate};
use crate::human;
use rpod_api::system::{SystemDfContainerReport, SystemDfImageReport, SystemDfReport};
use rpod_api::GoTime;

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Check storage consistency
    Check(CheckArgs),
    /// Show rpod disk usage
    Df(DfArgs),
    /// Show rpod system events
    Events(super::events::EventsArgs),
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
    /// Pretty-print images using a Go template
    #[arg(long, overrides_with = "format")]
    format: Option<String>,
    /// Show detailed information on disk usage
    #[arg(short = 'v', long)]
    verbose: bool,
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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Skip time-consuming checks. The default is to include time-consuming checks
    #[arg(short = 'q', long)]
    quick: bool,
    /// Remove inconsistent images
    #[arg(short = 'r', long)]
    repair: bool,
    /// Remove inconsistent images and containers
    #[arg(short = 'f', long)]
    force: bool,
    /// Maximum allowed age of unreferenced layers
    #[arg(short = 'm', long, value_name = "duration")]
    max: Option<String>,
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
        SystemCommand::Check(a) => check(g, a).await,
        SystemCommand::Prune(a) => prune(g, a).await,
        SystemCommand::Df(a) => df(g, a).await,
        SystemCommand::Events(a) => super::events::run(g, a).await,
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

/// The disk usage report (libpod's DiskUsage).
fn df_report(engine: &Engine) -> CliResult<SystemDfReport> {
    let containers = engine.containers()?;
    let images = engine
        .store()
        .images()
        .map_err(|e| anyhow::anyhow!("listing images: {e}"))?;
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut image_reports = Vec::new();
    for i in &images {
        let users = containers.iter().filter(|c| c.image_id == i.id).count();
        let created = i
            .created
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| GoTime(Some(t)))
            .unwrap_or_default();
        let names: Vec<(String, String)> = if i.names.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            i.names
                .iter()
                .map(|n| {
                    let (r, t) = super::images::split_name(n);
                    (r.to_owned(), t.to_owned())
                })
                .collect()
        };
        for (repository, tag) in names {
            image_reports.push(SystemDfImageReport {
                repository,
                tag,
                image_id: i.id.clone(),
                created,
                size: to_i64(i.size),
                // rpod does not compute layer sharing between images yet: every byte is
                // counted as the image's own.
                shared_size: 0,
                unique_size: to_i64(i.size),
                containers: i64::try_from(users).unwrap_or(i64::MAX),
            });
        }
    }
    let container_reports = containers
        .iter()
        .map(|c| {
            let rw = to_i64(dir_size(
                &engine.store().container_storage_paths(&c.id).upper,
            ));
            let image_size = images
                .iter()
                .find(|i| i.id == c.image_id)
                .map_or(0, |i| to_i64(i.size));
            SystemDfContainerReport {
                container_id: c.id.clone(),
                image: c.image_id.clone(),
                command: Some(c.command.clone()),
                local_volumes: 0,
                size: image_size.saturating_add(rw),
                rw_size: rw,
                created: GoTime::from_unix_nanos(c.created_at),
                status: if c.state.has_monitor() {
                    "running".into()
                } else {
                    c.state.as_str().into()
                },
                names: c.name.clone(),
            }
        })
        .collect();
    Ok(SystemDfReport {
        images_size: images.iter().map(|i| to_i64(i.size)).sum(),
        images: image_reports,
        containers: container_reports,
        volumes: Vec::new(),
    })
}

/// One line of the `system df` summary (Podman's dfSummary).
#[derive(Debug, Clone, serde::Serialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*system.dfSummary", methods)]
struct DfSummary {
    r#type: String,
    total: i64,
    active: i64,
    raw_size: i64,
    raw_reclaimable: i64,
}

impl DfSummary {
    fn size(&self) -> String {
        human::size_compact(u64::try_from(self.raw_size).unwrap_or(0), 4)
    }

    fn reclaimable(&self) -> String {
        let pct = if self.raw_size > 0 {
            (self.raw_reclaimable as f64 / self.raw_size as f64 * 100.0).round() as i64
        } else {
            0
        };
        format!(
            "{} ({pct}%)",
            human::size_compact(u64::try_from(self.raw_reclaimable).unwrap_or(0), 4)
        )
    }

    /// Podman's JSON: the fields plus Docker's `TotalCount`, `Size`, `Reclaimable`.
    fn json(&self) -> serde_json::Value {
        json!({
            "Type": self.r#type,
            "Total": self.total,
            "Active": self.active,
            "RawSize": self.raw_size,
            "RawReclaimable": self.raw_reclaimable,
            "TotalCount": self.total,
            "Size": self.size(),
            "Reclaimable": self.reclaimable(),
        })
    }
}

impl GoMethods for DfSummary {
    fn arity(&self, name: &str) -> Option<usize> {
        matches!(name, "Size" | "Reclaimable").then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        Ok(GoValue::Str(if name == "Size" {
            self.size()
        } else {
            self.reclaimable()
        }))
    }
}

fn df_summaries(r: &SystemDfReport) -> Vec<DfSummary> {
    let mut seen = std::collections::HashSet::new();
    let (mut active, mut used) = (0, 0);
    for i in &r.images {
        if seen.insert(i.image_id.as_str()) && i.containers > 0 {
            active += 1;
            used += i.unique_size;
        }
    }
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let running = r.containers.iter().filter(|c| c.status == "running");
    let ctr_size: i64 = r.containers.iter().map(|c| c.rw_size).sum();
    let ctr_reclaimable: i64 = r
        .containers
        .iter()
        .filter(|c| c.status != "running")
        .map(|c| c.rw_size)
        .sum();
    vec![
        DfSummary {
            r#type: "Images".into(),
            total: count(r.images.len()),
            active,
            raw_size: r.images_size,
            raw_reclaimable: r.images_size - used,
        },
        DfSummary {
            r#type: "Containers".into(),
            total: count(r.containers.len()),
            active: count(running.count()),
            raw_size: ctr_size,
            raw_reclaimable: ctr_reclaimable,
        },
        DfSummary {
            r#type: "Local Volumes".into(),
            total: count(r.volumes.len()),
            active: r.volumes.iter().map(|v| v.links).sum(),
            raw_size: r.volumes.iter().map(|v| v.size).sum(),
            raw_reclaimable: r.volumes.iter().map(|v| v.reclaimable_size).sum(),
        },
    ]
}

fn render_table(format: &str, rows: &[GoValue], headers: &HeaderMap) -> CliResult<String> {
    crate::format::render_typed(crate::format::Origin::Podman, format, rows, headers, false)
        .map_err(|e| CliError::usage(e.to_string()))
}

/// `system df -v`: the images, containers and volumes tables.
fn df_verbose(r: &SystemDfReport) -> CliResult<()> {
    let size = |n: i64| human::size_compact(u64::try_from(n).unwrap_or(0), 4);
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let since = |t: &GoTime| t.unix_nanos().map(human::since).unwrap_or_default();
    print!("Images space usage:\n\n");
    let images: Vec<GoValue> = r
        .images
        .iter()
        .map(|i| {
            json!({
                "Repository": i.repository, "Tag": i.tag, "ImageID": short(&i.image_id),
                "Created": since(&i.created), "Size": size(i.size),
                "SharedSize": size(i.shared_size), "UniqueSize": size(i.unique_size),
                "Containers": i.containers,
            })
            .to_template()
        })
        .collect();
    let h = HeaderMap::new("df").with_all(&[
        ("ImageID", "IMAGE ID"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ]);
    print!("{}", render_table("table {{.Repository}}\t{{.Tag}}\t{{.ImageID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", &images, &h)?);
    print!("\nContainers space usage:\n\n");
    let containers: Vec<GoValue> = r
        .containers
        .iter()
        .map(|c| {
            json!({
                "ContainerID": short(&c.container_id), "Image": short(&c.image),
                "Command": c.command.as_deref().unwrap_or_default().join(" "),
                "LocalVolumes": c.local_volumes, "RWSize": size(c.rw_size),
                "Created": since(&c.created), "Status": c.status, "Names": c.names,
            })
            .to_template()
        })
        .collect();
    let h = HeaderMap::new("df").with_all(&[
        ("ContainerID", "CONTAINER ID"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("RWSize", "SIZE"),
    ]);
    print!("{}", render_table("table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.RWSize}}\t{{.Created}}\t{{.Status}}\t{{.Names}}", &containers, &h)?);
    print!("\nLocal Volumes space usage:\n\n");
    let h = HeaderMap::new("df").with("VolumeName", "VOLUME NAME");
    print!(
        "{}",
        render_table("table {{.VolumeName}}\t{{.Links}}\t{{.Size}}", &[], &h)?
    );
    Ok(())
}

async fn df(g: &Globals, a: DfArgs) -> CliResult {
    if a.format.is_some() && a.verbose {
        return Err(CliError::usage(
            "cannot combine --format and --verbose flags",
        ));
    }
    let engine = open_engine(g)?;
    let report = df_report(&engine)?;
    if a.verbose {
        df_verbose(&report)?;
        return Ok(0);
    }
    let summaries = df_summaries(&report);
    if a.format.as_deref().is_some_and(crate::format::is_json) {
        let list = serde_json::Value::Array(summaries.iter().map(DfSummary::json).collect());
        println!("{}", crate::format::typed_json(&list, "    ", true));
        return Ok(0);
    }
    let headers =
        HeaderMap::new("df").with_all(&[("Size", "SIZE"), ("Reclaimable", "RECLAIMABLE")]);
    let (origin, fmt) = match a.format.as_deref() {
        Some(f) => (crate::format::Origin::User, f),
        None => (
            crate::format::Origin::Podman,
            "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        ),
    };
    let rows: Vec<GoValue> = summaries.iter().map(ToTemplate::to_template).collect();
    let out = crate::format::render_typed(origin, fmt, &rows, &headers, false)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
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
    // Images mounted with `image mount` go too (a live mount would keep
    // its directory).
    for image in engine.store().images().map_err(anyhow::Error::from)? {
        engine
            .store()
            .unmount_image(&image.id, true)
            .map_err(anyhow::Error::from)?;
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
        // following symlinks or entering mounts. The monitors of the
        // containers just removed may still be finishing their clean-up,
        // which touches the store: a directory refilled meanwhile is
        // emptied again, for a bounded time.
        let mut tries = 0;
        loop {
            match rpod_engine::storage::remove_tree_if_exists(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty && tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                res => {
                    res.map_err(|e| anyhow::anyhow!("removing {}: {e}", path.display()))?;
                    break;
                }
            }
        }
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

/// `system check`: report (and with `--repair` fix) inconsistencies, then
/// check again after a repair, as Podman does.
async fn check(g: &Globals, a: CheckArgs) -> CliResult {
    use rpod_engine::check::{system_check, CheckOptions, DEFAULT_MAX_UNREFERENCED_AGE};
    let max_unreferenced_age = match &a.max {
        None => DEFAULT_MAX_UNREFERENCED_AGE,
        Some(m) => super::survival_flags::parse_go_duration(m).ok_or_else(|| {
            CliError::usage(format!(
                "invalid argument {m:?} for \"-m, --max\" flag: time: invalid duration {m:?}"
            ))
        })?,
    };
    let mut opts = CheckOptions {
        quick: a.quick,
        // `--force` implies repairing, as Podman's RepairLossy does.
        repair: a.repair || a.force,
        force: a.force,
        max_unreferenced_age,
    };
    let config = super::common::engine_config(g)?;
    let exe = std::env::current_exe().map_err(anyhow::Error::from)?;
    let report = system_check(config.clone(), exe.clone(), &opts)
        .await
        .map_err(anyhow::Error::from)?;
    print_check_report(&report);
    if !opts.repair {
        if report.errors {
            return Err(anyhow::anyhow!("damage detected in local storage").into());
        }
        return Ok(0);
    }
    opts.repair = false;
    opts.force = false;
    let recheck = system_check(config, exe, &opts)
        .await
        .map_err(anyhow::Error::from)?;
    if recheck.errors {
        return Err(
            anyhow::anyhow!("damage in local storage still present after repair attempt").into(),
        );
    }
    Ok(0)
}

/// Errors of one item, as Go's multierror prints them.
fn multierror(errs: &[String]) -> String {
    let mut out = if errs.len() == 1 {
        "1 error occurred:\n".to_owned()
    } else {
        format!("{} errors occurred:\n", errs.len())
    };
    for e in errs {
        out.push_str(&format!("\t* {e}\n"));
    }
    out.push('\n');
    out
}

fn print_check_report(r: &rpod_engine::check::CheckReport) {
    for (db, errs) in &r.database {
        print!("Damaged database {db}:\n{}", multierror(errs));
    }
    if let Some(moved) = &r.moved_database {
        println!("Moved damaged database to: {}", moved.display());
    }
    for (id, name) in &r.rebuilt_containers {
        println!("Rebuilt container: {id} ({name})");
    }
    for (layer, errs) in &r.layers {
        print!("Damaged layer {layer}:\n{}", multierror(errs));
    }
    for layer in &r.removed_layers {
        println!("Deleted damaged layer: {layer}");
    }
    for (image, errs) in &r.images {
        print!("Damaged image {image}:\n{}", multierror(errs));
    }
    for image in r.removed_images.keys() {
        println!("Deleted damaged image: {image}");
    }
    for (ctr, errs) in &r.containers {
        print!("Damaged container {ctr}:\n{}", multierror(errs));
    }
    for ctr in r.removed_containers.keys() {
        println!("Deleted damaged container: {ctr}");
    }
}
