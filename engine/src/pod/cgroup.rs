//! The pod cgroup parent: every member's cgroup is
//! `/rpod/pod-<pod id>/<container id>` in each hierarchy (the runtime
//! creates it); removing the pod removes the parent from every hierarchy.

use std::path::{Path, PathBuf};

use super::PodError;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Directories of the pod's cgroup parent that exist, one per hierarchy
/// (v1 controllers, the hybrid `unified` mount, or the v2 root).
pub fn parent_dirs(pod_id: &str) -> Vec<PathBuf> {
    let rel = super::records::cgroup_parent(pod_id);
    let rel = rel.trim_start_matches('/');
    let mut roots = vec![PathBuf::from(CGROUP_ROOT)];
    if let Ok(entries) = std::fs::read_dir(CGROUP_ROOT) {
        for e in entries.flatten() {
            // v1 aliases (cpu -> cpu,cpuacct) are symlinks: visit each once.
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                roots.push(e.path());
            }
        }
    }
    roots
        .into_iter()
        .map(|r| r.join(rel))
        .filter(|p| p.is_dir())
        .collect()
}

/// Removes the pod's cgroup parent from every hierarchy. Members' own
/// cgroups are gone by then (the runtime deletes them); empty leftovers
/// below the parent are removed too.
pub fn remove_parent(pod_id: &str) -> Result<(), PodError> {
    for dir in parent_dirs(pod_id) {
        remove_tree(&dir)?;
    }
    Ok(())
}

/// Cgroup directories can only be removed with rmdir, children first.
fn remove_tree(dir: &Path) -> Result<(), PodError> {
    let err = |source| PodError::Cgroup {
        path: dir.to_owned(),
        source,
    };
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    remove_tree(&e.path())?;
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(e)),
    }
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(err(e)),
    }
}
