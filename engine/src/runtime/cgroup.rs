//! Which cgroup hierarchy this host runs.

use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
const UNIFIED_MOUNT: &str = "/sys/fs/cgroup/unified";

/// The host's cgroup layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupMode {
    /// cgroup v2 only: /sys/fs/cgroup is a cgroup2 filesystem.
    Unified,
    /// v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified
    /// (crun refuses to run containers here).
    Hybrid,
    /// cgroup v1 only.
    Legacy,
}

fn is_cgroup2(path: &str) -> bool {
    statfs(path).is_ok_and(|s| s.filesystem_type() == CGROUP2_SUPER_MAGIC)
}

/// Detects the host's cgroup layout (the same statfs test Podman uses).
pub fn cgroup_mode() -> CgroupMode {
    if is_cgroup2(CGROUP_ROOT) {
        CgroupMode::Unified
    } else if is_cgroup2(UNIFIED_MOUNT) {
        CgroupMode::Hybrid
    } else {
        CgroupMode::Legacy
    }
}
