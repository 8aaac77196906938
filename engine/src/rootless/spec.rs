//! The rootless shape of a container's runtime spec and runtime flags.
//!
//! On cgroup v1 (and on v2 without a delegated systemd user session) an
//! ordinary user cannot create cgroups: the container gets none. The spec
//! names no cgroup path and sets no resources, runc is told it is rootless
//! (it ignores the cgroup controllers it may not write to, which it does
//! only when no path was asked for), and limits given by the user draw
//! Podman's warning.

use oci_spec::runtime::{LinuxResources, Spec};

/// Podman's warning when a rootless container on cgroup v1 asks for limits.
pub const LIMITS_IGNORED: &str =
    "Resource limits are not supported and ignored on cgroups V1 rootless systems";

/// Removes the cgroup path and resources of a rootless container's spec,
/// warning when the user asked for limits. A no-op for root.
pub fn adjust(spec: &mut Spec) {
    if !super::is_rootless() {
        return;
    }
    let Some(linux) = spec.linux_mut() else {
        return;
    };
    if linux.resources().as_ref().is_some_and(has_limits) {
        tracing::warn!("{LIMITS_IGNORED}");
    }
    linux.set_resources(None);
    linux.set_cgroups_path(None);
}

/// The global runtime flags a rootless rpod adds: runc must be told, as
/// it treats root in a user namespace as rootful for cgroups.
pub fn runtime_flags(runtime_name: &str) -> Vec<String> {
    if super::is_rootless() && runtime_name == "runc" {
        vec!["--rootless=true".to_string()]
    } else {
        Vec::new()
    }
}

/// The cgroup path the monitor watches (for OOM); none when rootless.
pub fn monitor_cgroup(path: String) -> Option<String> {
    (!super::is_rootless()).then_some(path)
}

fn has_limits(r: &LinuxResources) -> bool {
    r.memory().is_some()
        || r.cpu().is_some()
        || r.pids().is_some()
        || r.block_io().is_some()
        || r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty())
        || r.network().is_some()
        || r.rdma().as_ref().is_some_and(|m| !m.is_empty())
        || r.unified().as_ref().is_some_and(|m| !m.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{LinuxMemoryBuilder, LinuxResourcesBuilder};

    #[test]
    fn devices_alone_are_no_limits() {
        let r = LinuxResourcesBuilder::default().build().unwrap();
        assert!(!has_limits(&r));
        let r = LinuxResourcesBuilder::default()
            .memory(
                LinuxMemoryBuilder::default()
                    .limit(1 << 20)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert!(has_limits(&r));
    }
}
