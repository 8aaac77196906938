//! The pod cgroup parent: every member's cgroup is
//! `/rpod/pod-<pod id>/<container id>` in each hierarchy (the runtime
//! creates it); removing the pod removes the parent from every hierarchy.
//! A pod created with limits (`pod create --memory`, `--cpus`, ...) gets
//! its parent made and limited before its first member starts, so the
//! members' sum is held to them.

use std::path::{Path, PathBuf};

use rpod_api::container_run::ResourceSpec;

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

/// Creates `dir` and its missing parents; a new v1 cpuset directory gets
/// its parent's CPUs and memory nodes (the kernel leaves them empty and
/// refuses tasks then).
fn make_dir(dir: &Path, cpuset: bool) -> Result<(), PodError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dir(parent, cpuset)?;
    }
    let err = |source| PodError::Limit {
        path: dir.to_owned(),
        source,
    };
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(err(e)),
    }
    if cpuset {
        for f in ["cpuset.cpus", "cpuset.mems"] {
            let own = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            if own.trim().is_empty() {
                let parent = dir.parent().map(|p| p.join(f)).unwrap_or_default();
                let value = std::fs::read_to_string(parent).map_err(err)?;
                write(&dir.join(f), value.trim())?;
            }
        }
    }
    Ok(())
}

fn write(path: &Path, value: &str) -> Result<(), PodError> {
    std::fs::write(path, value).map_err(|source| PodError::Limit {
        path: path.to_owned(),
        source,
    })
}

/// The `(file, value)` pairs of each cgroup v1 controller for `r`.
fn v1_files(r: &ResourceSpec) -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    if let Some(m) = r.memory {
        out.push(("memory", "memory.limit_in_bytes", m.to_string()));
    }
    if let Some(sw) = r.memory_swap.filter(|_| {
        Path::new(CGROUP_ROOT)
            .join("memory/memory.memsw.limit_in_bytes")
            .exists()
    }) {
        out.push(("memory", "memory.memsw.limit_in_bytes", sw.to_string()));
    }
    let (period, quota) = match r.nano_cpus {
        Some(n) => {
            let (p, q) = ResourceSpec::cpus_period_quota(n);
            (Some(p), Some(q))
        }
        None => (r.cpu_period, r.cpu_quota),
    };
    if let Some(p) = period {
        out.push(("cpu", "cpu.cfs_period_us", p.to_string()));
    }
    if let Some(q) = quota {
        out.push(("cpu", "cpu.cfs_quota_us", q.to_string()));
    }
    if let Some(s) = r.cpu_shares {
        out.push(("cpu", "cpu.shares", s.to_string()));
    }
    if let Some(c) = &r.cpuset_cpus {
        out.push(("cpuset", "cpuset.cpus", c.clone()));
    }
    if let Some(m) = &r.cpuset_mems {
        out.push(("cpuset", "cpuset.mems", m.clone()));
    }
    out
}

/// cgroup v2: the same limits in the unified files (`memory.swap.max` is
/// swap alone; CPU shares become a weight as runc converts them).
fn v2_files(r: &ResourceSpec) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(m) = r.memory {
        out.push(("memory.max", m.to_string()));
        if let Some(sw) = r.memory_swap {
            let swap = if sw < 0 {
                "max".to_owned()
            } else {
                (sw - m).max(0).to_string()
            };
            out.push(("memory.swap.max", swap));
        }
    }
    let (period, quota) = match r.nano_cpus {
        Some(n) => {
            let (p, q) = ResourceSpec::cpus_period_quota(n);
            (Some(p), Some(q))
        }
        None => (r.cpu_period, r.cpu_quota),
    };
    if quota.is_some() || period.is_some() {
        let q = quota
            .filter(|&q| q > 0)
            .map_or("max".to_owned(), |q| q.to_string());
        out.push(("cpu.max", format!("{q} {}", period.unwrap_or(100_000))));
    }
    if let Some(s) = r.cpu_shares {
        let weight = 1 + (s.clamp(2, 262_144) - 2) * 9999 / 262_142;
        out.push(("cpu.weight", weight.to_string()));
    }
    if let Some(c) = &r.cpuset_cpus {
        out.push(("cpuset.cpus", c.clone()));
    }
    if let Some(m) = &r.cpuset_mems {
        out.push(("cpuset.mems", m.clone()));
    }
    out
}

/// Makes the pod's cgroup parent and writes its limits (nothing to do for
/// a pod without any). Idempotent: run before each start of a member.
pub fn apply_limits(pod_id: &str, r: &ResourceSpec) -> Result<(), PodError> {
    if *r == ResourceSpec::default() {
        return Ok(());
    }
    let rel = super::records::cgroup_parent(pod_id);
    let rel = rel.trim_start_matches('/');
    if crate::runtime::cgroup_mode() == crate::runtime::CgroupMode::Unified {
        let dir = Path::new(CGROUP_ROOT).join(rel);
        make_dir(&dir, false)?;
        // Each level hands the controllers down to the next.
        let mut level = PathBuf::from(CGROUP_ROOT);
        for part in Path::new(rel).components() {
            let ctl = level.join("cgroup.subtree_control");
            for c in ["+memory", "+cpu", "+cpuset", "+io", "+pids"] {
                // A controller the host lacks stays off; its file then fails below.
                let _ = std::fs::write(&ctl, c);
            }
            level.push(part);
        }
        for (file, value) in v2_files(r) {
            write(&dir.join(file), &value)?;
        }
    } else {
        for (controller, file, value) in v1_files(r) {
            let dir = Path::new(CGROUP_ROOT).join(controller).join(rel);
            make_dir(&dir, controller == "cpuset")?;
            write(&dir.join(file), &value)?;
        }
        let blkio = Path::new(CGROUP_ROOT).join("blkio").join(rel);
        if !r.device_read_bps.is_empty() || !r.device_write_bps.is_empty() {
            make_dir(&blkio, false)?;
        }
    }
    crate::spec::write_throttles(&super::records::cgroup_parent(pod_id), r)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_become_cgroup_files() {
        let r = ResourceSpec {
            memory: Some(64 << 20),
            nano_cpus: Some(500_000_000),
            cpu_shares: Some(512),
            ..Default::default()
        };
        let v1 = v1_files(&r);
        assert!(v1.contains(&("memory", "memory.limit_in_bytes", (64u64 << 20).to_string())));
        assert!(v1.contains(&("cpu", "cpu.cfs_quota_us", "50000".into())));
        assert!(v1.contains(&("cpu", "cpu.shares", "512".into())));
        let v2 = v2_files(&r);
        assert!(v2.contains(&("cpu.max", "50000 100000".into())));
        assert!(v2.contains(&("memory.max", (64u64 << 20).to_string())));
    }
}
