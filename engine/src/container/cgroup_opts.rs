//! Where a container's cgroup goes and what rpod does with it (Podman's
//! `--cgroup-parent`, `--cgroups`, `--cgroup-conf`), as stored with the
//! container.

use serde::{Deserialize, Serialize};

/// `--cgroups`. `disabled` needs a runtime that runs containers without a
/// cgroup (crun); rpod refuses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CgroupsMode {
    /// A cgroup of its own below the parent (the default).
    #[default]
    Enabled,
    /// As `enabled`; the monitor is not moved into a cgroup (rpod never
    /// moves it).
    NoConmon,
    /// The container's cgroup below the cgroup of the process that
    /// created it (resolved at create and kept as the parent).
    Split,
}

/// A container's cgroup settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CgroupOptions {
    /// `--cgroup-parent` (for `split`: the creator's own cgroup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub mode: CgroupsMode,
    /// `--cgroup-conf`: cgroup v2 files and values
    /// (`linux.resources.unified`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conf: Vec<(String, String)>,
}

impl CgroupOptions {
    pub fn is_default(&self) -> bool {
        *self == CgroupOptions::default()
    }
}

/// The cgroup of the calling process, as Podman finds it for `split`: the
/// unified (`0::`) entry of /proc/self/cgroup, else the longest v1 path;
/// the root cgroup is refused (Podman's words).
pub fn own_cgroup() -> Result<String, String> {
    let proc_file = "/proc/self/cgroup";
    let text = std::fs::read_to_string(proc_file).map_err(|e| format!("{proc_file}: {e}"))?;
    pick_own_cgroup(&text).ok_or_else(|| format!("could not find cgroup mount in {proc_file:?}"))
}

fn pick_own_cgroup(text: &str) -> Option<String> {
    let mut cgroup = "";
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let Some(unified) = line.strip_prefix("0::") {
            cgroup = unified;
            break;
        }
        if path.len() > cgroup.len() {
            cgroup = path;
        }
    }
    (!cgroup.is_empty() && cgroup != "/").then(|| cgroup.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cgroup_follows_podmans_rule() {
        assert_eq!(pick_own_cgroup("4:memory:/a/b\n3:cpu:/\n0::/\n"), None);
        assert_eq!(
            pick_own_cgroup("4:memory:/a/b\n3:cpu:/\n"),
            Some("/a/b".into())
        );
        assert_eq!(
            pick_own_cgroup("0::/user.slice/x.scope\n"),
            Some("/user.slice/x.scope".into())
        );
    }
}
