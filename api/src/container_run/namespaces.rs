//! The namespace flags of a `create`/`run` (Podman's `--ipc`, `--pid`,
//! `--uts`, `--cgroupns`), as given: the engine parses them with Podman's
//! rules and messages and looks up the containers they name.

use serde::{Deserialize, Serialize};

/// `--ipc`, `--pid`, `--uts`, `--cgroupns`; `None`: the default (private,
/// `shareable` for IPC, host for the cgroup namespace on cgroup v1), or
/// the pod's namespace for a member of a pod that shares it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamespaceSpec {
    /// `host`, `private`, `shareable`, `none`, `container:ID`, `ns:PATH`.
    pub ipc: Option<String>,
    /// `host`, `private`, `container:ID`, `ns:PATH`.
    pub pid: Option<String>,
    /// `host`, `private`, `container:ID`, `ns:PATH`.
    pub uts: Option<String>,
    /// `host`, `private`, `container:ID`, `ns:PATH`.
    pub cgroupns: Option<String>,
    /// `--userns`: `host`, `keep-id`, `auto[:OPTIONS]`, `private`,
    /// `container:ID`, `ns:PATH` (`nomap` is refused for root).
    pub userns: Option<String>,
    /// `--uidmap CONTAINER:HOST:SIZE`, each as given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uidmap: Vec<String>,
    /// `--gidmap CONTAINER:HOST:SIZE`, each as given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gidmap: Vec<String>,
    /// `--subuidname NAME`: the user's /etc/subuid range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subuidname: Option<String>,
    /// `--subgidname NAME`: the user's /etc/subgid range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgidname: Option<String>,
}

/// `--cgroup-parent`, `--cgroups`, `--cgroup-conf`, as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CgroupSpec {
    /// `--cgroup-parent`: the cgroup the container's is created below.
    pub parent: Option<String>,
    /// `--cgroups`: `enabled`, `disabled`, `no-conmon`, `split`.
    pub mode: Option<String>,
    /// `--cgroup-conf KEY=VALUE`: cgroup v2 files to write.
    pub conf: Vec<String>,
}
