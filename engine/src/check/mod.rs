//! `system check` (Podman 5): inconsistencies between the database, the
//! layer store, container mounts and live monitors, and with `repair` what
//! can be rebuilt or removed without touching data in use.
//!
//! - The database: a damaged file is reported; `repair` moves it aside
//!   (`db.sqlite.corrupt-<timestamp>`) and rebuilds the container rows from
//!   their snapshots and run-root state ([`rebuild`]).
//! - Containers: snapshots without a row are rebuilt; rows whose image is
//!   missing are reported ("image missing") and removed only with `force`.
//! - Images: missing layers or data items are reported; `repair` removes
//!   such an image unless a container uses it (`force` removes those too).
//! - Orphans: run-root state (a live monitor), container storage or data
//!   directories of containers the database does not know and that cannot
//!   be rebuilt; `repair` removes what nothing uses (a live monitor's
//!   container only with `force`).
//! - Layers: a layer no image uses, older than the maximum age and mounted
//!   by nothing, is reported ("layer not referenced") and removed by
//!   `repair`; a layer without its data is reported.

mod rebuild;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::EngineConfig;
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::state::{integrity, snapshot, Db, StateError};
use crate::storage::{LayerInfo, StorageError, Store};

/// Podman's default for `--max`: layers younger than this may belong to a
/// pull in progress.
pub const DEFAULT_MAX_UNREFERENCED_AGE: Duration = Duration::from_secs(24 * 3600);

/// What to check and repair (`system check` flags).
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--quick`: skip the database's page-level check.
    pub quick: bool,
    /// `--repair`.
    pub repair: bool,
    /// `--force`: also remove containers that use damaged images.
    pub force: bool,
    /// `--max`: unreferenced layers older than this are damage.
    pub max_unreferenced_age: Duration,
}

/// What was found and done, in the shape of Podman's SystemCheckReport
/// (plus the database, which Podman's storage check does not cover).
#[derive(Debug, Default, Clone)]
pub struct CheckReport {
    pub errors: bool,
    /// The database file → what is wrong with it.
    pub database: BTreeMap<String, Vec<String>>,
    /// Where a damaged database was moved by `repair`.
    pub moved_database: Option<PathBuf>,
    pub layers: BTreeMap<String, Vec<String>>,
    pub removed_layers: Vec<String>,
    pub images: BTreeMap<String, Vec<String>>,
    /// Image id → its names.
    pub removed_images: BTreeMap<String, Vec<String>>,
    pub containers: BTreeMap<String, Vec<String>>,
    /// Container id → name.
    pub removed_containers: BTreeMap<String, String>,
    /// Container id → name: rows rebuilt from snapshots and run-root state.
    pub rebuilt_containers: BTreeMap<String, String>,
}

impl CheckReport {
    fn note(map: &mut BTreeMap<String, Vec<String>>, key: &str, what: impl Into<String>) {
        map.entry(key.to_owned()).or_default().push(what.into());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Open(#[from] crate::engine::OpenError),
    #[error("moving the damaged database {} aside: {source}", path.display())]
    Quarantine {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Runs the check (and the repairs `opts` ask for) on the store of
/// `config`. Works when the database cannot be opened: that is one of the
/// things it reports and repairs.
pub async fn system_check(
    config: EngineConfig,
    cleanup_exe: PathBuf,
    opts: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::default();
    let root = config.root.clone();
    if !check_database(&config, opts, &mut report)? {
        return Ok(report);
    }
    let engine = Engine::open(config, cleanup_exe)?;
    check_snapshots(&engine, opts, &mut report)?;
    check_containers(&engine, opts, &mut report).await?;
    check_orphans(&engine, opts, &mut report).await?;
    check_images(&engine, opts, &mut report).await?;
    check_layers(engine.store(), opts, &mut report)?;
    report.errors = !report.database.is_empty()
        || !report.layers.is_empty()
        || !report.images.is_empty()
        || !report.containers.is_empty();
    tracing::debug!(root = %root.display(), errors = report.errors, "system check done");
    Ok(report)
}

/// Checks the database file; with `repair`, moves a damaged one aside and
/// rebuilds it. Returns whether the rest of the check can run.
fn check_database(
    config: &EngineConfig,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<bool, CheckError> {
    let root = &config.root;
    let db_path = root.join(integrity::DB_FILE).display().to_string();
    let problems = match Db::open(root) {
        Ok(db) if opts.quick => {
            drop(db);
            Vec::new()
        }
        Ok(db) => db.quick_check()?,
        Err(StateError::Damaged { cause, .. }) => vec![cause],
        Err(e) => return Err(e.into()),
    };
    if problems.is_empty() {
        return Ok(true);
    }
    report.errors = true;
    for p in &problems {
        CheckReport::note(&mut report.database, &db_path, p.clone());
    }
    if !opts.repair {
        return Ok(false);
    }
    // Under the database lock, released before re-creating (which takes
    // it to migrate): a process opening meanwhile finds the file missing
    // and refuses, as it did the damaged one.
    let guard = crate::lock::lock_exclusive(root, "db").map_err(StateError::from)?;
    let moved = integrity::quarantine(root).map_err(|source| CheckError::Quarantine {
        path: root.join(integrity::DB_FILE),
        source,
    })?;
    drop(guard);
    tracing::debug!("moved the damaged database to {}", moved.display());
    report.moved_database = Some(moved);
    let db = Db::recreate(root)?;
    for pod in snapshot::read_pods(root) {
        db.insert_pod(&pod.into_record())?;
    }
    let (snapshots, unreadable) = snapshot::read_all(root);
    for snap in snapshots {
        let rec = rebuild::insert(&db, rebuild::record_from_run_root(config, snap))?;
        report.rebuilt_containers.insert(rec.id, rec.name);
    }
    for (id, why) in unreadable {
        CheckReport::note(
            &mut report.containers,
            &id,
            format!("cannot be rebuilt: {why}"),
        );
    }
    Ok(true)
}

/// Snapshots without a row: containers the database lost.
fn check_snapshots(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let ctx = engine.ctx();
    let known: HashSet<String> = ctx
        .db
        .list_containers()?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for pod in snapshot::read_pods(&ctx.config.root) {
        if ctx.db.pod_by_id(&pod.id)?.is_some() {
            continue;
        }
        if opts.repair {
            ctx.db.insert_pod(&pod.into_record())?;
        } else {
            CheckReport::note(
                &mut report.containers,
                &pod.id,
                format!("pod {} is missing from the database", pod.name),
            );
        }
    }
    let (snapshots, _) = snapshot::read_all(&ctx.config.root);
    for snap in snapshots.into_iter().filter(|s| !known.contains(&s.id)) {
        if !opts.repair {
            CheckReport::note(
                &mut report.containers,
                &snap.id,
                "container is missing from the database",
            );
            continue;
        }
        let rec = rebuild::insert(&ctx.db, rebuild::record_from_run_root(&ctx.config, snap))?;
        report.rebuilt_containers.insert(rec.id, rec.name);
    }
    Ok(())
}

/// Rows whose image is gone.
async fn check_containers(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let images: HashSet<String> = engine.store().images()?.into_iter().map(|i| i.id).collect();
    for c in engine.containers()? {
        if c.image_id.is_empty() || images.contains(&c.image_id) {
            continue;
        }
        if opts.repair && opts.force {
            engine.container(&c.id)?.remove(true, Some(0)).await?;
            report.removed_containers.insert(c.id, c.name);
        } else {
            CheckReport::note(&mut report.containers, &c.id, "image missing");
        }
    }
    Ok(())
}

/// What is wrong with one image: missing layers or data items.
fn image_problems(store: &Store, image: &crate::storage::Image) -> Vec<String> {
    let mut problems = Vec::new();
    for chain in &image.layers {
        let present = match store.layer(chain) {
            Ok(Some(_)) => store.layer_diff_path(chain).is_ok_and(|p| p.is_dir()),
            _ => false,
        };
        if !present {
            problems.push(format!("image layer is missing: {chain}"));
        }
    }
    if let Err(e) = store.image_config(image) {
        problems.push(format!("image data item is missing: config: {e}"));
    }
    if let Err(e) = store.image_manifest(image) {
        problems.push(format!("image data item is missing: manifest: {e}"));
    }
    problems
}

async fn check_images(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let store = engine.store();
    for image in store.images()? {
        let problems = image_problems(store, &image);
        if problems.is_empty() {
            continue;
        }
        let users = engine.ctx().db.containers_using_image(&image.id)?;
        if !opts.repair || (!users.is_empty() && !opts.force) {
            for p in problems {
                CheckReport::note(&mut report.images, &image.id, p);
            }
            continue;
        }
        for id in users {
            let name = engine.container(&id)?.get().await?.name;
            engine.container(&id)?.remove(true, Some(0)).await?;
            report.removed_containers.insert(id, name);
        }
        store.remove_image(&image.id)?;
        report.removed_images.insert(image.id, image.names);
    }
    Ok(())
}

/// Every layer directory in the store: its chain id (`sha256:…`) and
/// metadata, or why the metadata cannot be read.
fn list_layers(store: &Store) -> Vec<(String, Result<LayerInfo, String>)> {
    let dir = store.dir().join("layers");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let hex = entry.file_name().to_string_lossy().into_owned();
        let chain = format!("sha256:{hex}");
        let info = match store.layer(&chain) {
            Ok(Some(info)) => Ok(info),
            Ok(None) => Err("layer metadata is missing".to_owned()),
            Err(e) => Err(format!("layer metadata is unreadable: {e}")),
        };
        out.push((chain, info));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn older_than(path: &Path, max: Duration) -> bool {
    let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return true;
    };
    SystemTime::now()
        .duration_since(modified)
        .is_ok_and(|age| age >= max)
}

fn check_layers(
    store: &Store,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let referenced: HashSet<String> = store.images()?.into_iter().flat_map(|i| i.layers).collect();
    let layers = list_layers(store);
    let infos: Vec<LayerInfo> = layers
        .iter()
        .filter_map(|(_, i)| i.as_ref().ok().cloned())
        .collect();
    let mounted = store.mounted_layers(&infos);
    for (chain, info) in layers {
        let info = match info {
            Ok(info) => info,
            Err(why) => {
                CheckReport::note(&mut report.layers, &chain, why);
                continue;
            }
        };
        let diff = store.layer_diff_path(&chain)?;
        if !diff.is_dir() {
            CheckReport::note(&mut report.layers, &chain, "layer data is missing");
        }
        let meta = diff.parent().map(|d| d.join("layer.json")).unwrap_or(diff);
        if referenced.contains(&info.chain_id)
            || mounted.contains(&info.chain_id)
            || !older_than(&meta, opts.max_unreferenced_age)
        {
            continue;
        }
        if opts.repair {
            store.discard_unused(std::slice::from_ref(&info.chain_id), &[])?;
            if store.layer(&chain)?.is_none() {
                report.removed_layers.push(chain);
                continue;
            }
        }
        CheckReport::note(&mut report.layers, &chain, "layer not referenced");
    }
    Ok(())
}

/// A full container id (64 hex digits): anything else in these
/// directories is not rpod's and is left alone.
fn is_container_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Names of the directories in `dir`.
fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Ends a container nothing in the database describes: its monitor, its
/// runtime state, its mount and its directories.
async fn remove_unknown_container(engine: &Engine, id: &str) -> Result<(), CheckError> {
    let config = engine.config();
    let paths = crate::container::paths::ContainerPaths::new(config, id);
    if let Some(pid) = crate::monitor::read_monitor_pid(&paths.monitor.monitor_pid_file) {
        if crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
    if let Ok(runtime) = crate::engine::select_runtime(config, None) {
        if let Err(e) = runtime.delete(id, true).await {
            tracing::debug!(container = id, "runtime delete: {e}");
        }
    }
    engine.store().remove_container_storage(id)?;
    for dir in [&paths.run_dir, &paths.data_dir] {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(CheckError::Storage(StorageError::io("removing", dir)(e)));
            }
        }
    }
    Ok(())
}

/// Run-root state, container storage and data directories of containers
/// the database does not know (after rebuilding what could be rebuilt).
async fn check_orphans(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let config = engine.config();
    let known: HashSet<String> = engine
        .ctx()
        .db
        .list_containers()?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in dir_names(&config.runroot.join("containers")) {
        let paths = crate::container::paths::ContainerPaths::new(config, &id);
        let what = if crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file) {
            format!(
                "container is running (pod-monitor pid {}) but is missing from the database and cannot be rebuilt",
                crate::monitor::read_monitor_pid(&paths.monitor.monitor_pid_file).unwrap_or(0)
            )
        } else {
            "run-root state of a container missing from the database".to_owned()
        };
        unknown.entry(id).or_default().push(what);
    }
    for id in dir_names(&engine.store().dir().join("containers")) {
        unknown
            .entry(id)
            .or_default()
            .push("container storage not accounted for".to_owned());
    }
    for id in dir_names(&config.root.join("containers")) {
        unknown
            .entry(id)
            .or_default()
            .push("container data not accounted for".to_owned());
    }
    for (id, problems) in unknown {
        if known.contains(&id) || !is_container_id(&id) {
            continue;
        }
        let paths = crate::container::paths::ContainerPaths::new(config, &id);
        let live = crate::monitor::monitor_alive(&paths.monitor.monitor_pid_file);
        // Created meanwhile by another command: not an orphan.
        if engine.ctx().db.container_by_id(&id)?.is_some() {
            continue;
        }
        if opts.repair && (!live || opts.force) {
            remove_unknown_container(engine, &id).await?;
            report.removed_containers.insert(id, String::new());
            continue;
        }
        for p in problems {
            CheckReport::note(&mut report.containers, &id, p);
        }
    }
    Ok(())
}
