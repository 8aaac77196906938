//! `info`'s `host.security` and `host.cgroupControllers`, read from the
//! host as Podman reads them (containers/common's apparmor, seccomp and
//! selinux probes and `cgroups.AvailableControllers`).

use std::path::Path;

use rpod_api::info::SecurityInfo;

use crate::spec::DEFAULT_CAPABILITIES;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The security options in force for new containers.
pub(super) fn security_info() -> SecurityInfo {
    SecurityInfo {
        apparmor_enabled: apparmor_enabled(),
        default_capabilities: DEFAULT_CAPABILITIES
            .iter()
            .map(|c| format!("CAP_{c}"))
            .collect::<Vec<_>>()
            .join(","),
        rootless: !nix::unistd::Uid::effective().is_root(),
        seccomp_enabled: seccomp_enabled(),
        // rpod's default profile is built in (containers-common's), never
        // read from /usr/share/containers/seccomp.json: no file to name.
        seccomp_profile_path: String::new(),
        selinux_enabled: Path::new("/sys/fs/selinux/enforce").exists(),
    }
}

/// AppArmor is on when the kernel module says so and its securityfs is
/// there (runc's and containers/common's test).
fn apparmor_enabled() -> bool {
    Path::new("/sys/kernel/security/apparmor").is_dir()
        && std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.starts_with('Y'))
}

/// The kernel supports seccomp filters (a `Seccomp:` line in our status).
fn seccomp_enabled() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Seccomp:")))
}

/// The cgroup controllers available: on v2 the root's `cgroup.controllers`;
/// on v1 the enabled subsystems of /proc/cgroups that are mounted under
/// /sys/fs/cgroup (none for a rootless user, as Podman).
pub(super) fn cgroup_controllers(unified: bool) -> Vec<String> {
    if unified {
        return std::fs::read_to_string(Path::new(CGROUP_ROOT).join("cgroup.controllers"))
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
    }
    if !nix::unistd::Uid::effective().is_root() {
        return Vec::new();
    }
    let table = std::fs::read_to_string("/proc/cgroups").unwrap_or_default();
    v1_enabled(&table)
        .into_iter()
        .filter(|name| Path::new(CGROUP_ROOT).join(name).exists())
        .collect()
}

/// The enabled subsystems of a /proc/cgroups table, in its order.
fn v1_enabled(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 4 && f[3] != "0").then(|| f[0].to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_subsystems_are_the_enabled_ones_in_order() {
        let table = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n\
                     cpuset\t3\t43\t1\ncpu\t1\t43\t1\nrdma\t0\t1\t0\npids\t8\t43\t1\n";
        assert_eq!(v1_enabled(table), vec!["cpuset", "cpu", "pids"]);
    }

    #[test]
    fn capabilities_are_podmans_default_list() {
        let caps = security_info().default_capabilities;
        assert!(caps.starts_with("CAP_CHOWN,CAP_DAC_OVERRIDE,"), "{caps}");
        assert!(caps.ends_with(",CAP_SYS_CHROOT"), "{caps}");
    }
}
