//! The IPC, PID, UTS and cgroup namespace modes of a container (Podman's
//! `--ipc`, `--pid`, `--uts`, `--cgroupns`): parsed with Podman's rules and
//! messages, stored with the container, shown by inspect.

use oci_spec::runtime::LinuxNamespaceType;
use serde::{Deserialize, Serialize};

/// One namespace's mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NsMode {
    /// Not given: private (IPC: shareable; cgroup: private on cgroup v2,
    /// host on v1), or the pod's namespace when the pod shares it.
    #[default]
    Default,
    /// The host's namespace.
    Host,
    /// A namespace of its own (IPC: one no other container may join).
    Private,
    /// IPC only: a namespace of its own that others may join, with a
    /// /dev/shm they share.
    Shareable,
    /// IPC only: a namespace of its own and no /dev/shm.
    None,
    /// `container:ID`: another container's namespace (full id).
    Container(String),
    /// `ns:PATH`: an existing namespace.
    Path(String),
}

/// The namespaces with a mode of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsKind {
    Ipc,
    Pid,
    Uts,
    Cgroup,
}

impl NsKind {
    pub const ALL: [NsKind; 4] = [NsKind::Ipc, NsKind::Pid, NsKind::Uts, NsKind::Cgroup];

    /// The name in `/proc/PID/ns/` and in a pod's `--share` list.
    pub fn name(self) -> &'static str {
        match self {
            NsKind::Ipc => "ipc",
            NsKind::Pid => "pid",
            NsKind::Uts => "uts",
            NsKind::Cgroup => "cgroup",
        }
    }

    pub fn oci_type(self) -> LinuxNamespaceType {
        match self {
            NsKind::Ipc => LinuxNamespaceType::Ipc,
            NsKind::Pid => LinuxNamespaceType::Pid,
            NsKind::Uts => LinuxNamespaceType::Uts,
            NsKind::Cgroup => LinuxNamespaceType::Cgroup,
        }
    }
}

/// `--userns` for root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserNsMode {
    /// No user namespace (the host's).
    #[default]
    Host,
    /// A user namespace with the host's own mappings (identity, as
    /// Podman gives root), the process running as 0:0 unless `--user`.
    KeepId,
    /// `container:ID`: another container's user namespace.
    Container(String),
    /// `ns:PATH`: an existing user namespace (`/proc/PID/ns/user`).
    Path(String),
    /// `--uidmap`/`--gidmap`/`--subuidname`/`--subgidname`/`--userns=auto`:
    /// a user namespace of its own with these mappings, the root
    /// filesystem id-shifted to them.
    Private(crate::idmap::IdMaps),
}

impl UserNsMode {
    /// `HostConfig.UsernsMode`: empty for the host's, as Podman.
    pub fn inspect_name(&self) -> String {
        match self {
            UserNsMode::Host => String::new(),
            UserNsMode::KeepId | UserNsMode::Private(_) => "private".into(),
            UserNsMode::Container(id) => format!("container:{id}"),
            UserNsMode::Path(p) => format!("ns:{p}"),
        }
    }

    /// The mappings of a namespace the container makes itself.
    pub fn own_maps(&self) -> Option<&crate::idmap::IdMaps> {
        match self {
            UserNsMode::Private(maps) => Some(maps),
            _ => None,
        }
    }
}

/// A container's `--ipc`, `--pid`, `--uts`, `--cgroupns` and `--userns`
/// modes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamespaceModes {
    pub ipc: NsMode,
    pub pid: NsMode,
    pub uts: NsMode,
    pub cgroup: NsMode,
    #[serde(skip_serializing_if = "is_host_user")]
    pub user: UserNsMode,
}

fn is_host_user(m: &UserNsMode) -> bool {
    *m == UserNsMode::Host
}

impl NamespaceModes {
    pub fn get(&self, kind: NsKind) -> &NsMode {
        match kind {
            NsKind::Ipc => &self.ipc,
            NsKind::Pid => &self.pid,
            NsKind::Uts => &self.uts,
            NsKind::Cgroup => &self.cgroup,
        }
    }

    pub fn get_mut(&mut self, kind: NsKind) -> &mut NsMode {
        match kind {
            NsKind::Ipc => &mut self.ipc,
            NsKind::Pid => &mut self.pid,
            NsKind::Uts => &mut self.uts,
            NsKind::Cgroup => &mut self.cgroup,
        }
    }

    /// Whether the container gets a namespace of `kind` (its own or a
    /// joined one): every mode but `host`, and for the cgroup namespace by
    /// default only on a unified cgroup v2 host (Podman's default).
    pub fn has_namespace(&self, kind: NsKind, cgroup2: bool) -> bool {
        match self.get(kind) {
            NsMode::Host => false,
            NsMode::Default if kind == NsKind::Cgroup => cgroup2,
            _ => true,
        }
    }
}

/// Parses one flag's value (never empty: an empty flag is no flag, as in
/// Podman). `pod` (the pod's namespace) gives [`NsMode::Default`]; the
/// caller checks there is a pod.
pub fn parse(kind: NsKind, value: &str) -> Result<NsMode, String> {
    if kind == NsKind::Ipc {
        match value {
            "shareable" => return Ok(NsMode::Shareable),
            "none" => return Ok(NsMode::None),
            _ => {}
        }
    }
    let mode = match value {
        "pod" => NsMode::Default,
        "host" => NsMode::Host,
        "private" => NsMode::Private,
        _ => {
            if let Some(p) = value.strip_prefix("ns:") {
                NsMode::Path(p.to_owned())
            } else if let Some(c) = value.strip_prefix("container:") {
                NsMode::Container(c.to_owned())
            } else {
                return Err(format!("unrecognized namespace mode {value} passed"));
            }
        }
    };
    match &mode {
        NsMode::Path(v) if v.is_empty() => Err("namespace mode path requires a value".into()),
        NsMode::Container(v) if v.is_empty() => {
            Err("namespace mode container requires a value".into())
        }
        _ => Ok(mode),
    }
}

/// The mode as `HostConfig.IpcMode`/`PidMode`/`UTSMode`/`CgroupMode`
/// show it. `pod_holder`: the infra container whose namespace a pod member
/// joins by default.
pub fn inspect_name(
    kind: NsKind,
    mode: &NsMode,
    pod_holder: Option<&str>,
    cgroup2: bool,
) -> String {
    match mode {
        NsMode::Default => match (pod_holder, kind) {
            (Some(id), _) => format!("container:{id}"),
            (None, NsKind::Ipc) => "shareable".into(),
            (None, NsKind::Cgroup) if !cgroup2 => "host".into(),
            (None, _) => "private".into(),
        },
        NsMode::Host => "host".into(),
        NsMode::Private => "private".into(),
        NsMode::Shareable => "shareable".into(),
        NsMode::None => "none".into(),
        NsMode::Container(id) => format!("container:{id}"),
        NsMode::Path(p) => format!("ns:{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_podmans_spellings() {
        assert_eq!(parse(NsKind::Ipc, "shareable"), Ok(NsMode::Shareable));
        assert_eq!(parse(NsKind::Ipc, "none"), Ok(NsMode::None));
        assert_eq!(
            parse(NsKind::Pid, "none"),
            Err("unrecognized namespace mode none passed".into())
        );
        assert_eq!(parse(NsKind::Pid, "host"), Ok(NsMode::Host));
        assert_eq!(parse(NsKind::Uts, "private"), Ok(NsMode::Private));
        assert_eq!(
            parse(NsKind::Cgroup, "ns:/proc/1/ns/cgroup"),
            Ok(NsMode::Path("/proc/1/ns/cgroup".into()))
        );
        assert_eq!(
            parse(NsKind::Ipc, "container:abc"),
            Ok(NsMode::Container("abc".into()))
        );
        assert!(parse(NsKind::Pid, "container:").is_err());
        assert_eq!(
            parse(NsKind::Pid, "bogus"),
            Err("unrecognized namespace mode bogus passed".into())
        );
    }

    #[test]
    fn defaults_show_as_podman_shows_them() {
        let m = NamespaceModes::default();
        assert_eq!(inspect_name(NsKind::Ipc, &m.ipc, None, false), "shareable");
        assert_eq!(inspect_name(NsKind::Pid, &m.pid, None, false), "private");
        assert_eq!(inspect_name(NsKind::Cgroup, &m.cgroup, None, false), "host");
        assert_eq!(
            inspect_name(NsKind::Cgroup, &m.cgroup, None, true),
            "private"
        );
        assert_eq!(
            inspect_name(NsKind::Uts, &m.uts, Some("abc"), false),
            "container:abc"
        );
        assert!(!m.has_namespace(NsKind::Cgroup, false));
        assert!(m.has_namespace(NsKind::Pid, false));
        let host = NamespaceModes {
            pid: NsMode::Host,
            cgroup: NsMode::Private,
            ..Default::default()
        };
        assert!(!host.has_namespace(NsKind::Pid, true));
        assert!(host.has_namespace(NsKind::Cgroup, false));
    }
}
