//! The `linux` section: namespaces, masked and read-only paths, the device
//! cgroup, sysctls and the cgroup path.

use std::collections::HashMap;

use oci_spec::runtime::{
    Linux, LinuxBuilder, LinuxDeviceCgroupBuilder, LinuxNamespaceBuilder, LinuxNamespaceType,
    LinuxResourcesBuilder,
};

use super::SpecError;
use crate::container::ns_modes::{NamespaceModes, NsKind};
use crate::container::options::NetworkMode;

/// Podman's default masked paths (containers/common `DefaultMaskedPaths`).
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
    "/sys/fs/selinux",
];

/// Podman's default read-only paths.
pub const READONLY_PATHS: [&str; 6] = [
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The namespaces a container gets: network (unless host), mount, and
/// pid, ipc, uts and cgroup as its modes say (`--pid host` and the like
/// leave one out; the cgroup namespace by default only on a unified cgroup
/// v2 host, as Podman). Never a user namespace. Joined namespaces get their
/// paths later ([`super::join_namespaces`]).
pub(crate) fn namespace_types(
    network: &NetworkMode,
    modes: &NamespaceModes,
    cgroup2: bool,
) -> Vec<LinuxNamespaceType> {
    let mut ns = Vec::new();
    if modes.has_namespace(NsKind::Pid, cgroup2) {
        ns.push(LinuxNamespaceType::Pid);
    }
    if *network != NetworkMode::Host {
        ns.push(LinuxNamespaceType::Network);
    }
    for kind in [NsKind::Ipc, NsKind::Uts] {
        if modes.has_namespace(kind, cgroup2) {
            ns.push(kind.oci_type());
        }
    }
    ns.push(LinuxNamespaceType::Mount);
    if modes.has_namespace(NsKind::Cgroup, cgroup2) {
        ns.push(LinuxNamespaceType::Cgroup);
    }
    ns
}

pub(crate) fn build(
    network: &NetworkMode,
    modes: &NamespaceModes,
    cgroup2: bool,
    cgroups_path: Option<&str>,
) -> Result<Linux, SpecError> {
    let namespaces = namespace_types(network, modes, cgroup2)
        .into_iter()
        .map(|t| LinuxNamespaceBuilder::default().typ(t).build())
        .collect::<Result<Vec<_>, _>>()?;
    // Deny every device; the runtime adds its default allow-list (null,
    // zero, full, random, urandom, tty, ptmx, pts) after these rules, which
    // is what a Podman container ends up with.
    let deny_all = LinuxDeviceCgroupBuilder::default()
        .allow(false)
        .access("rwm")
        .build()?;
    let resources = LinuxResourcesBuilder::default()
        .devices(vec![deny_all])
        .build()?;
    let mut builder = LinuxBuilder::default()
        .namespaces(namespaces)
        .masked_paths(MASKED_PATHS.map(String::from).to_vec())
        .readonly_paths(READONLY_PATHS.map(String::from).to_vec())
        .resources(resources);
    // Not for a joined container's namespace (Podman: the donor's may be
    // the host's, where the runtime refuses network sysctls).
    if !matches!(network, NetworkMode::Host | NetworkMode::Container(_)) {
        // containers.conf `default_sysctls`: unprivileged ICMP sockets.
        builder = builder.sysctl(HashMap::from([(
            "net.ipv4.ping_group_range".to_string(),
            "0 0".to_string(),
        )]));
    }
    if let Some(p) = cgroups_path {
        builder = builder.cgroups_path(p);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_host_has_no_network_namespace() {
        let host = namespace_types(&NetworkMode::Host, &NamespaceModes::default(), false);
        assert!(!host.contains(&LinuxNamespaceType::Network));
        assert!(!host.contains(&LinuxNamespaceType::User));
        let none = namespace_types(&NetworkMode::None, &NamespaceModes::default(), false);
        assert_eq!(
            none,
            vec![
                LinuxNamespaceType::Pid,
                LinuxNamespaceType::Network,
                LinuxNamespaceType::Ipc,
                LinuxNamespaceType::Uts,
                LinuxNamespaceType::Mount,
            ]
        );
        assert!(
            namespace_types(&NetworkMode::None, &NamespaceModes::default(), true)
                .contains(&LinuxNamespaceType::Cgroup)
        );
    }

    #[test]
    fn modes_leave_out_or_add_namespaces() {
        use crate::container::ns_modes::NsMode;
        let modes = NamespaceModes {
            pid: NsMode::Host,
            ipc: NsMode::None,
            uts: NsMode::Host,
            cgroup: NsMode::Private,
            ..Default::default()
        };
        assert_eq!(
            namespace_types(&NetworkMode::Host, &modes, false),
            vec![
                LinuxNamespaceType::Ipc,
                LinuxNamespaceType::Mount,
                LinuxNamespaceType::Cgroup,
            ]
        );
    }

    #[test]
    fn masked_readonly_devices_and_cgroup_path() {
        let l = build(
            &NetworkMode::None,
            &NamespaceModes::default(),
            false,
            Some("/rpod/abc"),
        )
        .unwrap();
        let masked = l.masked_paths().as_ref().unwrap();
        for p in ["/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/acpi"] {
            assert!(masked.iter().any(|m| m == p), "{p}");
        }
        assert!(l
            .readonly_paths()
            .as_ref()
            .unwrap()
            .iter()
            .any(|p| p == "/proc/sys"));
        let devs = l.resources().as_ref().unwrap().devices().as_ref().unwrap();
        assert_eq!(devs.len(), 1);
        assert!(!devs[0].allow());
        assert_eq!(
            l.cgroups_path().as_deref(),
            Some(std::path::Path::new("/rpod/abc"))
        );
        assert!(l.sysctl().is_some());
        assert!(
            build(&NetworkMode::Host, &NamespaceModes::default(), false, None)
                .unwrap()
                .sysctl()
                .is_none()
        );
    }
}
