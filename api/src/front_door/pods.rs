//! Pods: create, start, stop, restart, kill, pause, unpause, rm, exists,
//! prune, list (`pod ps`), inspect, top. Podman's `ContainerEngine.Pod*`
//! methods and the option and report types of its `pkg/domain/entities`
//! (pods.go): names (or `all`/`latest`) in, one report per pod out, in the
//! order of the names given.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::pod::{ListPodsReport, PodInspectReport};
use crate::{Error, Result};

/// Podman's `Pod*` operations.
#[async_trait]
pub trait Pods: Send + Sync {
    /// `pod create`: the new pod's id.
    async fn pod_create(&self, spec: PodSpec) -> Result<PodCreateReport>;

    /// `pod exists`: whether `name_or_id` names a pod.
    async fn pod_exists(&self, name_or_id: &str) -> Result<bool>;

    /// `pod start`: each pod's infra container, init containers, then its
    /// members in dependency order. One by one, as Podman.
    async fn pod_start(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>>;

    /// `pod stop`: members in reverse start order, infra last; the pods
    /// concurrently, as Podman.
    async fn pod_stop(&self, names: &[String], options: PodStopOptions) -> Result<Vec<PodReport>>;

    /// `pod restart`: stop, then start.
    async fn pod_restart(
        &self,
        names: &[String],
        options: PodStopOptions,
    ) -> Result<Vec<PodReport>>;

    /// `pod kill`: `signal` to every live member.
    async fn pod_kill(&self, names: &[String], options: PodKillOptions) -> Result<Vec<PodReport>>;

    /// `pod pause`.
    async fn pod_pause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>>;

    /// `pod unpause`.
    async fn pod_unpause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>>;

    /// `pod rm`: the pods concurrently, as Podman.
    async fn pod_rm(&self, names: &[String], options: PodRmOptions) -> Result<Vec<PodReport>>;

    /// `pod prune`: removes every pod none of whose containers is live.
    async fn pod_prune(&self) -> Result<Vec<PodReport>>;

    /// `pod ps`: the pods that pass every filter, sorted.
    async fn pod_ps(&self, options: PodPsOptions) -> Result<Vec<ListPodsReport>>;

    /// `pod inspect`: the pods found, and an error for each name that is not one.
    async fn pod_inspect(
        &self,
        names: &[String],
        options: PodSelect,
    ) -> Result<(Vec<PodInspectReport>, Vec<Error>)>;

    /// `pod top`: the processes of the pod's running containers, a header
    /// line and a line per process, cells separated by tabs (as `top`).
    async fn pod_top(&self, options: PodTopOptions) -> Result<crate::container::StringSliceReport>;

    /// `pod stats`: one sample of each member of the pods.
    async fn pod_stats(
        &self,
        options: crate::stats::PodStatsOptions,
    ) -> Result<Vec<crate::stats::PodStatsReport>>;
}

/// What `pod create` asks for (the parts of Podman's `specgen.PodSpecGenerator`
/// rpod implements).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSpec {
    /// `--name` (a random name if `None`).
    pub name: Option<String>,
    /// `--share`: the namespaces to share; `None` is Podman's default for
    /// this host (none without an infra container).
    pub share: Option<Vec<String>>,
    /// `--infra=false`.
    pub no_infra: bool,
    /// `--infra-command`, split.
    pub infra_command: Option<Vec<String>>,
    /// `--infra-name`.
    pub infra_name: Option<String>,
    /// `--infra-image` (`None`: containers.conf `infra_image`, else no
    /// image: Podman 5's default infra root).
    #[serde(default)]
    pub infra_image: Option<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `--label`, in the order given.
    pub labels: Vec<(String, String)>,
    /// `-p`: published on the infra container's network.
    pub port_mappings: Vec<String>,
    /// The infra container's networking flags (`--network`, `--ip`,
    /// `--dns*`, `--add-host`, ...); `-p` is in `port_mappings`.
    #[serde(default)]
    pub network: crate::container_run::NetworkSpec,
    /// `--exit-policy` (`continue`, `stop`); `None` is `continue`.
    pub exit_policy: Option<String>,
    /// `--restart`: the restart policy of the infra container and of every
    /// member created without its own (init containers aside).
    #[serde(default)]
    pub restart: Option<crate::container_run::RestartPolicy>,
    /// `--infra-conmon-pidfile`: made a link to the infra container's
    /// monitor pid file.
    pub infra_conmon_pid_file: Option<String>,
    /// `--replace`: a pod with the same name is removed first.
    pub replace: bool,
    /// `--share-parent`: the pod's cgroup is its members' parent (`None`:
    /// true, Podman's default).
    #[serde(default)]
    pub share_parent: Option<bool>,
    /// `--memory`, `--cpus`, ...: limits on the pod's cgroup.
    #[serde(default)]
    pub resources: crate::container_run::ResourceSpec,
    /// `--userns`, `--uidmap`, `--gidmap`, `--subuidname`, `--subgidname`:
    /// the user namespace of the infra container, which members join
    /// (only the user namespace fields are read).
    #[serde(default)]
    pub userns: crate::container_run::NamespaceSpec,
    /// The service container (name or id) whose lifetime is this pod's
    /// (`kube play --service-container`; Podman's `ServiceContainerID`).
    #[serde(default)]
    pub service_container: Option<String>,
    /// The infra container's own user, groups, root filesystem and security
    /// settings (a CRI sandbox's security context); members do not inherit
    /// them.
    #[serde(default)]
    pub infra_security: InfraSecuritySpec,
}

/// How the infra container's process runs: what a CRI sandbox's
/// `LinuxSandboxSecurityContext` asks of the sandbox process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfraSecuritySpec {
    /// `USER[:GROUP]` (numbers, or names of the infra root's files).
    #[serde(default)]
    pub user: Option<String>,
    /// Supplementary groups, as `--group-add`.
    #[serde(default)]
    pub group_add: Vec<String>,
    /// A read-only root filesystem, as `--read-only`.
    #[serde(default)]
    pub read_only: bool,
    /// `--privileged`, `--security-opt seccomp=`/`no-new-privileges`,
    /// `--sysctl` (namespaced sysctls of the namespaces the pod shares).
    #[serde(default)]
    pub security: crate::container_run::SecuritySpec,
}

/// Podman's `PodCreateReport`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodCreateReport {
    pub id: String,
}

/// Which pods: the names given, or `all`, or the `latest` created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSelect {
    pub all: bool,
    pub latest: bool,
}

/// Podman's `PodStopOptions` (and rpod's `pod restart` options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodStopOptions {
    pub select: PodSelect,
    /// Names that are no pod are skipped, not errors.
    pub ignore: bool,
    /// Seconds to wait for each member before killing it (`None`: its own).
    pub timeout: Option<u64>,
}

/// Podman's `PodKillOptions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodKillOptions {
    pub select: PodSelect,
    pub signal: i32,
}

/// Podman's `PodRmOptions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodRmOptions {
    pub select: PodSelect,
    /// Stop live members first.
    pub force: bool,
    /// Names that are no pod are skipped, not errors.
    pub ignore: bool,
    pub timeout: Option<u64>,
}

/// Podman's `PodPSOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodPsOptions {
    /// `key=value` filters (id, name, status, label, ctr-names, ctr-ids,
    /// ctr-number); a pod must pass all.
    pub filters: Vec<String>,
    /// Only the most recently created pod.
    pub latest: bool,
    /// `created` (newest first), `id`, `name`, `number`, `status`; empty
    /// is `created`.
    pub sort: String,
}

/// Podman's `PodTopOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodTopOptions {
    pub name_or_id: String,
    pub latest: bool,
    /// psgo's descriptors (names or AIX codes, comma or space separated);
    /// empty: Podman's default set.
    #[serde(default)]
    pub descriptors: Vec<String>,
}

/// The outcome for one pod of a batch (Podman's `PodStopReport`,
/// `PodRmReport`, `PodPruneReport`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodReport {
    /// The pod's full id (empty if the name matched no pod).
    pub id: String,
    /// The name or id as given (the id with `all`/`latest`).
    pub raw_input: String,
    pub err: Option<Error>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn reports_use_podmans_json_keys() {
        let r = PodReport {
            id: "abc".into(),
            raw_input: "p".into(),
            err: Some(Error::new(ErrorKind::NoSuchPod, "gone")),
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Id"], "abc");
        assert_eq!(j["RawInput"], "p");
        assert_eq!(j["Err"]["kind"], "NoSuchPod");
        let j = serde_json::to_value(PodCreateReport { id: "x".into() }).unwrap();
        assert_eq!(j["Id"], "x");
    }

    #[test]
    fn requests_round_trip() {
        let spec = PodSpec {
            name: Some("p".into()),
            share: Some(vec!["net".into()]),
            labels: vec![("a".into(), "b".into())],
            ..PodSpec::default()
        };
        let s = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<PodSpec>(&s).unwrap(), spec);
        let o = PodRmOptions {
            force: true,
            timeout: Some(0),
            ..PodRmOptions::default()
        };
        let s = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<PodRmOptions>(&s).unwrap(), o);
    }
}
