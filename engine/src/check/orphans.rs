//! Leftovers of containers the database does not know and that cannot be
//! rebuilt: run-root state (maybe a live monitor), container storage,
//! data directories.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::{CheckError, CheckOptions, CheckReport};
use crate::engine::Engine;
use crate::storage::StorageError;

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
    // Its /dev/shm tmpfs is mounted under the run dir, which a tree
    // removal never crosses.
    if let Err(e) = crate::container::shm::release(engine.ctx(), id) {
        tracing::debug!(container = id, "releasing /dev/shm: {e}");
    }
    for dir in [&paths.run_dir, &paths.data_dir] {
        // The data dir is the container's own: any depth, bounded descriptors.
        crate::storage::remove_tree_if_exists(dir)
            .map_err(|e| CheckError::Storage(StorageError::io("removing", dir)(e)))?;
    }
    Ok(())
}

/// Run-root state, container storage and data directories of containers
/// the database does not know (after rebuilding what could be rebuilt).
pub(super) async fn check_orphans(
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
