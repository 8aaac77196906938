//! What a pod is in the database: its options (what `pod create` asked
//! for), its infra container and the transient state of an operation in
//! progress.

use serde::{Deserialize, Serialize};

/// `--exit-policy`: what happens when the pod's last regular member exits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitPolicy {
    /// The infra container keeps running (Podman's default).
    #[default]
    Continue,
    /// The pod (its infra container) is stopped.
    Stop,
}

impl ExitPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitPolicy::Continue => "continue",
            ExitPolicy::Stop => "stop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "continue" => Some(ExitPolicy::Continue),
            "stop" => Some(ExitPolicy::Stop),
            _ => None,
        }
    }
}

/// Namespaces a pod can share between its members (`--share`).
pub const SHAREABLE: &[&str] = &["cgroup", "ipc", "net", "pid", "uts"];

/// Podman's default `--share` on this kind of host (cgroup only where
/// containers get a cgroup namespace of their own, i.e. cgroup v2).
pub fn default_share(cgroup2: bool) -> Vec<String> {
    let mut v = Vec::new();
    if cgroup2 {
        v.push("cgroup".to_owned());
    }
    v.extend(["ipc", "net", "uts"].map(String::from));
    v
}

/// What `pod create` asked for, stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodOptions {
    /// Shared namespaces (`net`, `ipc`, `uts`, `pid`, `cgroup`).
    #[serde(default)]
    pub share: Vec<String>,
    /// Whether the pod has an infra container.
    #[serde(default)]
    pub infra: bool,
    /// `--infra-command`: the infra container's command.
    #[serde(default)]
    pub infra_command: Option<Vec<String>>,
    /// `--infra-name`.
    #[serde(default)]
    pub infra_name: Option<String>,
    /// `--infra-image` (or containers.conf `infra_image`): the infra
    /// container's image as named; `None`: no image, the default root of
    /// [`super::infra_rootfs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_image: Option<String>,
    /// `--hostname`: the hostname members see through the shared UTS
    /// namespace (default: the pod's name).
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub labels: Vec<(String, String)>,
    /// `-p`: published on the infra container's network.
    #[serde(default)]
    pub ports: Vec<String>,
    /// The infra container's network as `pod create`'s networking flags
    /// give it (`None`: the engine's default mode, with `ports`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_network: Option<(crate::container::NetworkMode, crate::container::NetOptions)>,
    #[serde(default)]
    pub exit_policy: ExitPolicy,
    /// `--restart`: the policy of the infra container and of members
    /// created without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<crate::container::RestartConfig>,
    /// `--share-parent=false`: members' cgroups are not placed below the
    /// pod's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_share_parent: bool,
    /// `--memory`, `--cpus`, `--cpuset-*`, blkio limits of the pod's
    /// cgroup: what its members use together.
    #[serde(default, skip_serializing_if = "is_default")]
    pub resources: rpod_api::container_run::ResourceSpec,
    /// `--userns`, `--uidmap`...: the infra container's user namespace,
    /// which members join unless given their own.
    #[serde(default, skip_serializing_if = "is_host_user")]
    pub userns: crate::container::ns_modes::UserNsMode,
    /// The user the infra container runs as (`--userns=keep-id`'s), which
    /// members without `--user` inherit, as Podman's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Id of the service container whose lifetime is this pod's (`kube
    /// play --service-container`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_container: Option<String>,
    /// The infra container's own user, groups, read-only root and security
    /// settings (capability names normalized), not inherited by members.
    #[serde(default, skip_serializing_if = "is_default_infra_security")]
    pub infra_security: rpod_api::front_door::pods::InfraSecuritySpec,
}

fn is_default_infra_security(s: &rpod_api::front_door::pods::InfraSecuritySpec) -> bool {
    *s == rpod_api::front_door::pods::InfraSecuritySpec::default()
}

fn is_host_user(m: &crate::container::ns_modes::UserNsMode) -> bool {
    *m == crate::container::ns_modes::UserNsMode::Host
}

fn is_default(r: &rpod_api::container_run::ResourceSpec) -> bool {
    *r == rpod_api::container_run::ResourceSpec::default()
}

impl PodOptions {
    /// Podman's defaults for a new pod on this host: an infra container
    /// sharing Podman's default namespaces (what `pod create` and
    /// `run --pod new:NAME` give without flags).
    pub fn host_defaults() -> PodOptions {
        let cgroup2 = crate::runtime::cgroup_mode() == crate::runtime::CgroupMode::Unified;
        PodOptions {
            share: default_share(cgroup2),
            infra: true,
            ..PodOptions::default()
        }
    }

    /// Whether members join the infra container's namespace `ns`.
    pub fn shares(&self, ns: &str) -> bool {
        self.infra && self.share.iter().any(|s| s == ns)
    }
}

/// An operation on the pod that was in progress; recorded first so one cut
/// off (SIGKILL, power loss) is noticed and finished by the next command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PodTransition {
    #[default]
    Idle,
    Starting,
    Stopping,
    Removing,
}

impl PodTransition {
    pub fn as_str(self) -> &'static str {
        match self {
            PodTransition::Idle => "",
            PodTransition::Starting => "starting",
            PodTransition::Stopping => "stopping",
            PodTransition::Removing => "removing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "" => PodTransition::Idle,
            "starting" => PodTransition::Starting,
            "stopping" => PodTransition::Stopping,
            "removing" => PodTransition::Removing,
            _ => return None,
        })
    }
}

/// A pod's row.
#[derive(Debug, Clone)]
pub struct PodRecord {
    pub id: String,
    pub name: String,
    pub options: PodOptions,
    /// Id of the infra container, if the pod has one (and it was created).
    pub infra_id: Option<String>,
    pub transition: PodTransition,
    /// Unix nanoseconds.
    pub created_at: i64,
}

impl PodRecord {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }

    /// The hostname of the pod's shared UTS namespace.
    pub fn hostname(&self) -> String {
        self.options
            .hostname
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| self.name.clone())
    }

    /// The cgroup (path below each hierarchy's root) holding all members.
    pub fn cgroup_parent(&self) -> String {
        cgroup_parent(&self.id)
    }
}

/// The pod cgroup parent of pod `pod_id`.
pub fn cgroup_parent(pod_id: &str) -> String {
    format!("/rpod/pod-{pod_id}")
}

/// Podman's pod status, derived from its members' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodStatus {
    Created,
    Running,
    Degraded,
    Paused,
    Exited,
    Stopped,
}

impl PodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PodStatus::Created => "Created",
            PodStatus::Running => "Running",
            PodStatus::Degraded => "Degraded",
            PodStatus::Paused => "Paused",
            PodStatus::Exited => "Exited",
            PodStatus::Stopped => "Stopped",
        }
    }

    /// Podman's rules: all running → Running, some → Degraded, all paused
    /// → Paused, all exited → Exited, some exited → Stopped, else Created.
    pub fn from_members(states: &[crate::state::ContainerState]) -> PodStatus {
        use crate::state::ContainerState as S;
        let n = states.len();
        let count = |f: &dyn Fn(S) -> bool| states.iter().filter(|s| f(**s)).count();
        let running = count(&|s| matches!(s, S::Running | S::Stopping));
        let paused = count(&|s| s == S::Paused);
        let exited = count(&|s| s == S::Exited);
        if n == 0 {
            PodStatus::Created
        } else if running == n {
            PodStatus::Running
        } else if running > 0 {
            PodStatus::Degraded
        } else if paused == n {
            PodStatus::Paused
        } else if exited == n {
            PodStatus::Exited
        } else if exited > 0 {
            PodStatus::Stopped
        } else {
            PodStatus::Created
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ContainerState as S;

    #[test]
    fn status_follows_podman() {
        assert_eq!(PodStatus::from_members(&[]), PodStatus::Created);
        assert_eq!(
            PodStatus::from_members(&[S::Running, S::Running]),
            PodStatus::Running
        );
        assert_eq!(
            PodStatus::from_members(&[S::Running, S::Exited]),
            PodStatus::Degraded
        );
        assert_eq!(
            PodStatus::from_members(&[S::Exited, S::Exited]),
            PodStatus::Exited
        );
        assert_eq!(
            PodStatus::from_members(&[S::Created, S::Exited]),
            PodStatus::Stopped
        );
        assert_eq!(
            PodStatus::from_members(&[S::Paused, S::Paused]),
            PodStatus::Paused
        );
        assert_eq!(
            PodStatus::from_members(&[S::Created, S::Created]),
            PodStatus::Created
        );
    }

    #[test]
    fn transitions_round_trip() {
        for t in [
            PodTransition::Idle,
            PodTransition::Starting,
            PodTransition::Stopping,
            PodTransition::Removing,
        ] {
            assert_eq!(PodTransition::parse(t.as_str()), Some(t));
        }
    }
}
