//! The cgroup manager (`--cgroup-manager`, rpod.conf `[engine]
//! cgroup_manager`): rpod manages cgroups itself (`cgroupfs`). `systemd`
//! is accepted as a setting, reported by `info` and `inspect`, and refuses
//! every container start with a clear error: rpod has no systemd manager.

/// Podman's two managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CgroupManager {
    #[default]
    Cgroupfs,
    Systemd,
}

/// The name of PID 1 tells whether systemd manages this host (a
/// `/run/systemd/system` directory alone can be a leftover).
const PID1_COMM: &str = "/proc/1/comm";

impl CgroupManager {
    /// `cgroupfs` or `systemd`; anything else is refused.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "cgroupfs" => Ok(CgroupManager::Cgroupfs),
            "systemd" => Ok(CgroupManager::Systemd),
            other => Err(format!(
                "invalid cgroup manager {other:?}: must be cgroupfs or systemd"
            )),
        }
    }

    /// `info`'s `host.cgroupManager`, inspect's `CgroupManager`.
    pub fn name(self) -> &'static str {
        match self {
            CgroupManager::Cgroupfs => "cgroupfs",
            CgroupManager::Systemd => "systemd",
        }
    }

    /// Why a container cannot start under this manager, if it cannot.
    pub fn start_refusal(self) -> Option<String> {
        let pid1 = std::fs::read_to_string(PID1_COMM).unwrap_or_default();
        self.start_refusal_with(pid1.trim() == "systemd")
    }

    fn start_refusal_with(self, systemd_runs: bool) -> Option<String> {
        match self {
            CgroupManager::Cgroupfs => None,
            // The words runc and Podman use for a systemd cgroup request
            // on a host without systemd.
            CgroupManager::Systemd if !systemd_runs => Some(
                "systemd cgroup flag passed, but systemd support for managing cgroups is not available"
                    .into(),
            ),
            CgroupManager::Systemd => Some(
                "the systemd cgroup manager is not supported yet: rpod manages cgroups itself (use --cgroup-manager cgroupfs)"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_refusals() {
        assert_eq!(CgroupManager::parse("systemd"), Ok(CgroupManager::Systemd));
        assert_eq!(
            CgroupManager::parse("cgroupfs").map(CgroupManager::name),
            Ok("cgroupfs")
        );
        assert!(CgroupManager::parse("bogus").is_err());
        assert_eq!(CgroupManager::Cgroupfs.start_refusal(), None);
        assert!(CgroupManager::Systemd
            .start_refusal_with(false)
            .unwrap()
            .contains("systemd support for managing cgroups is not available"));
        assert!(CgroupManager::Systemd
            .start_refusal_with(true)
            .unwrap()
            .contains("not supported yet"));
    }
}
