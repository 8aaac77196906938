//! What a user asked for at `create`/`run`, stored as JSON in the database
//! and turned into an OCI runtime spec by [`crate::spec`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::network::mode::NetworkAttach;
use crate::network::ports::PortSpec;

/// `--network`: where the container's network namespace comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// A private network namespace with only loopback.
    #[default]
    None,
    /// The host's network namespace.
    Host,
    /// A namespace of its own, plumbed into the networks of
    /// [`NetOptions::networks`] by the network backend.
    Bridge,
    /// `ns:PATH`: an existing namespace, joined.
    Ns(String),
    /// `container:ID`: another container's namespace, joined.
    Container(String),
    /// A namespace of its own, plumbed by slirp4netns (with its options).
    Slirp4netns(Vec<String>),
    /// A namespace of its own, plumbed by pasta (with its options).
    Pasta(Vec<String>),
}

impl NetworkMode {
    /// The name `HostConfig.NetworkMode` shows.
    pub fn name(&self) -> String {
        match self {
            NetworkMode::None => "none".into(),
            NetworkMode::Host => "host".into(),
            NetworkMode::Bridge => "bridge".into(),
            NetworkMode::Ns(p) => format!("ns:{p}"),
            NetworkMode::Container(id) => format!("container:{id}"),
            NetworkMode::Slirp4netns(_) => "slirp4netns".into(),
            NetworkMode::Pasta(_) => "pasta".into(),
        }
    }
}

/// Networking options beyond the mode: networks with their per-network
/// settings, published ports, DNS and /etc/hosts entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetOptions {
    /// Bridge mode: by network name, the container's settings there
    /// (interface, static addresses and MAC, aliases).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, NetworkAttach>,
    /// `-p`, and `-P`'s exposed ports (random host ports).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    /// `-P` as given (for inspect's `PublishAllPorts`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub publish_all: bool,
    /// `--expose`: port and protocol.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<(u16, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<IpAddr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_options: Vec<String>,
    /// `--add-host NAME[;NAME2]:IP` as given (`host-gateway` resolved at start).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add_hosts: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_hosts: bool,
    /// `--hosts-file`: the base of /etc/hosts instead of the host's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts_file: Option<String>,
}

impl NetOptions {
    pub fn is_empty(&self) -> bool {
        *self == NetOptions::default()
    }
}

/// `-v SRC:DST[:ro|rw,...]` bind mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindMount {
    pub source: String,
    pub destination: String,
    #[serde(default)]
    pub readonly: bool,
    /// Other mount options as given (e.g. `z`, `rbind`, `nosuid`).
    #[serde(default)]
    pub options: Vec<String>,
}

/// A named volume mounted into the container (`-v NAME:DST`, `-v DST`,
/// an image's VOLUME, `--mount type=volume`). The volume exists before the
/// container's row does; a volume created for this container alone is
/// marked anonymous in the volume's own record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    pub name: String,
    pub destination: String,
    /// Mount options as given (`ro`, `nocopy`, `U`, `noexec`, ...).
    #[serde(default)]
    pub options: Vec<String>,
}

impl VolumeMount {
    pub fn readonly(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }
}

/// `--rootfs PATH[:O]`: an exploded root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootfsDir {
    /// The directory (absolute).
    pub path: std::path::PathBuf,
    /// `:O`: an overlay with the directory as its only lower layer, so the
    /// directory itself is never written.
    #[serde(default)]
    pub overlay: bool,
}

/// `--tmpfs` / `--mount type=tmpfs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmpfsMount {
    pub destination: String,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerOptions {
    /// Image as the user named it (with `--rootfs`: the argument as given).
    pub image: String,
    /// `--rootfs`: the root filesystem is this directory, not an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<RootfsDir>,
    /// Rootless `--userns=keep-id`: the user's passwd and group entries,
    /// added to the container's files at start when missing (Podman).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_id_entry: Option<crate::rootless::passwd::UserEntry>,
    /// `--conmon-pidfile`: written with the monitor's pid at each start
    /// and left in place after the exit, as conmon's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conmon_pidfile: Option<String>,
    /// Command given after the image (replaces the image's Cmd).
    #[serde(default)]
    pub command: Vec<String>,
    /// `--entrypoint`: `Some(vec![])` clears the image's entrypoint.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// `-e`/`--env-file` entries, `KEY=VALUE`, applied over the image's Env.
    #[serde(default)]
    pub env: Vec<String>,
    /// `--timeout`: seconds the process may run before its monitor kills
    /// it (exit code -1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// `--unsetenv`: default variables (image, containers.conf, built-in)
    /// left out of the process environment; `env` still applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset_env: Vec<String>,
    /// `--unsetenv-all`: no default variable at all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unset_env_all: bool,
    #[serde(default)]
    pub workdir: Option<String>,
    /// `-u user[:group]`, names or numbers.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// `--no-hostname`: no /etc/hostname is mounted (the image's stays).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_hostname: bool,
    #[serde(default)]
    pub tty: bool,
    /// `-i`: keep stdin open.
    #[serde(default)]
    pub interactive: bool,
    #[serde(default)]
    pub mounts: Vec<BindMount>,
    /// Named and anonymous volumes (`$.volumes[*].name` is what the state
    /// database queries for a volume's users).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<TmpfsMount>,
    #[serde(default)]
    pub read_only: bool,
    /// `--read-only-tmpfs=false`: a read-only container without its
    /// writable tmpfs set, /dev and /dev/shm read-only too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only_no_tmpfs: bool,
    #[serde(default)]
    pub network: NetworkMode,
    #[serde(default, skip_serializing_if = "NetOptions::is_empty")]
    pub net: NetOptions,
    /// `--log-opt max-size=`, bytes.
    #[serde(default)]
    pub log_max_size: Option<u64>,
    /// `--runtime`: name or path; `None` picks per host.
    #[serde(default)]
    pub runtime: Option<String>,
    /// `--rm`.
    #[serde(default)]
    pub remove: bool,
    /// `run --rmi`: the image goes when the container is removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove_image: bool,
    /// `run --preserve-fds N`: descriptors 3..3+N of the process that starts
    /// the container are passed into it (as libpod keeps `PreserveFDs`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub preserve_fds: u32,
    #[serde(default)]
    pub labels: Vec<(String, String)>,
    /// OCI annotations, in the runtime spec and `.Config.Annotations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<(String, String)>,
    /// Signal for `stop`, as a number (default SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<i32>,
    /// Seconds before `stop` escalates to SIGKILL (default 10).
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    /// A service container (`kube play --service-container`), with how its
    /// pods' exit codes become its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<crate::pod::service::ExitCodePropagation>,
    /// `--restart`, enforced by the container's monitor.
    #[serde(default)]
    pub restart: Option<RestartConfig>,
    /// `--health-*`, scheduled by the container's monitor.
    #[serde(default)]
    pub healthcheck: Option<HealthConfig>,
    /// `update --no-healthcheck` (or `--health-cmd none`): the check is
    /// off for good (inspect: Test `["NONE"]`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub healthcheck_disabled: bool,
    /// `--health-startup-*`, run by the monitor after each start until it
    /// passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_healthcheck: Option<rpod_api::container_run::StartupHealthCheck>,
    /// `--health-log-destination` (a directory made absolute),
    /// `--health-max-log-count`, `--health-max-log-size`.
    #[serde(default)]
    pub health_log: rpod_api::container_run::HealthLogSpec,
    /// `--log-opt max-file=`: files kept when the log rotates.
    #[serde(default)]
    pub log_max_files: Option<u32>,
    /// `--log-opt path=`: the log file's place; the container's `ctr.log`
    /// becomes a link to it when the container starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_path: Option<std::path::PathBuf>,
    /// `--sdnotify=conmon`: whoever starts the container tells systemd
    /// (`$NOTIFY_SOCKET`) it is ready, with the monitor as main pid.
    #[serde(default)]
    pub sdnotify_conmon: bool,
    /// `--sdnotify=container`: the container itself notifies readiness,
    /// through a socket its monitor relays to `$NOTIFY_SOCKET`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sdnotify_container: bool,
    /// `--sdnotify=healthy`: the monitor tells `$NOTIFY_SOCKET` the
    /// container is ready when its health check first passes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sdnotify_healthy: bool,
    /// `--pod`: the pod this container belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodMembership>,
    /// `--requires`: ids of containers that must run before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// `--log-driver` as given: `k8s-file` (default), `json-file` (the same
    /// file), `none` (nothing is logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_driver: Option<String>,
    /// `--umask`: the process's file mode creation mask (runc's default,
    /// 0022, when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub umask: Option<u32>,
    /// `--group-add`: groups (names from the container's /etc/group, or
    /// numbers) added to the process's supplementary groups, and to those
    /// of exec sessions that name their own `--user`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// `--privileged`, `--cap-add`/`--cap-drop`, `--security-opt` (the
    /// front door's parsed form, stored as it is).
    #[serde(default)]
    pub security: rpod_api::container_run::SecuritySpec,
    /// `--memory`, `--cpus`, `--pids-limit`, ... (the front door's parsed
    /// form, stored as it is).
    #[serde(default)]
    pub resources: rpod_api::container_run::ResourceSpec,
    /// `--secret`: each secret as found at create (name and ID), with how
    /// the container receives it. Never the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secret::container::ContainerSecret>,
    /// `--mount type=image`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_mounts: Vec<rpod_api::container_run::ImageMount>,
    /// `--mount type=ramfs|devpts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_mounts: Vec<rpod_api::container_run::FsMount>,
    /// `--ipc`, `--pid`, `--uts`, `--cgroupns` (container names resolved
    /// to full ids).
    #[serde(default, skip_serializing_if = "is_default_modes")]
    pub namespaces: super::ns_modes::NamespaceModes,
    /// `--cgroup-parent`, `--cgroups`, `--cgroup-conf`.
    #[serde(
        default,
        skip_serializing_if = "super::cgroup_opts::CgroupOptions::is_default"
    )]
    pub cgroup: super::cgroup_opts::CgroupOptions,
}

fn is_default_modes(m: &super::ns_modes::NamespaceModes) -> bool {
    *m == super::ns_modes::NamespaceModes::default()
}

impl ContainerOptions {
    /// Whether the container's output is logged (not `--log-driver none`).
    pub fn logs_output(&self) -> bool {
        self.log_driver.as_deref() != Some("none")
    }

    /// Whether the output goes to the journal (`--log-driver journald`).
    pub fn logs_to_journal(&self) -> bool {
        self.log_driver.as_deref() == Some("journald")
    }

    /// Whether the output goes to the container's log file.
    pub fn logs_to_file(&self) -> bool {
        self.logs_output() && !self.logs_to_journal()
    }

    /// The log driver's name as Podman shows it.
    pub fn log_driver_name(&self) -> &str {
        self.log_driver.as_deref().unwrap_or("k8s-file")
    }
}

/// A container's place in its pod, decided by the pod when the container is
/// created: the container module places the container from these values
/// (its cgroup, the namespaces it holds or joins) without knowing pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodMembership {
    /// Full id of the pod.
    pub pod_id: String,
    /// Whether this is the pod's infra container (holder of the shared namespaces).
    #[serde(default)]
    pub infra: bool,
    /// `--init-ctr`: an init container runs to completion before the
    /// pod's regular members start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_ctr: Option<InitCtrMode>,
    /// The pod's cgroup (`/rpod/pod-<id>`), parent of the container's own.
    /// Empty in records made before it was stored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cgroup_parent: String,
    /// The namespaces the pod shares (`cgroup`, `ipc`, `net`, `pid`,
    /// `uts`): the infra container holds them, the other members join them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
}

/// `--init-ctr once|always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitCtrMode {
    /// Runs at the pod's first start, then is removed.
    Once,
    /// Runs at every start of the pod.
    Always,
}

/// Podman's `--restart` policies (stored as the monitor reads them:
/// converted to `rpod_proto`'s at the monitor boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    No,
    OnFailure,
    Always,
    UnlessStopped,
    /// A name this version does not know (a newer row).
    #[serde(other)]
    Unknown,
}

impl RestartPolicy {
    /// The policy's name as Podman spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
            RestartPolicy::Unknown => "",
        }
    }
}

/// `--restart POLICY[:MAX]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartConfig {
    pub policy: RestartPolicy,
    /// Most restarts for `on-failure`; 0 means unlimited.
    #[serde(default)]
    pub max_retries: u32,
}

impl From<RestartConfig> for rpod_proto::RestartConfig {
    fn from(r: RestartConfig) -> rpod_proto::RestartConfig {
        use rpod_proto::RestartPolicy as P;
        rpod_proto::RestartConfig {
            policy: match r.policy {
                RestartPolicy::No => P::No,
                RestartPolicy::OnFailure => P::OnFailure,
                RestartPolicy::Always => P::Always,
                RestartPolicy::UnlessStopped => P::UnlessStopped,
                RestartPolicy::Unknown => P::Unknown,
            },
            max_retries: r.max_retries,
        }
    }
}

/// What happens when a container turns unhealthy (`--health-on-failure`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthOnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
    /// An action this version does not know (a newer row).
    #[serde(other)]
    Unknown,
}

impl HealthOnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthOnFailure::None | HealthOnFailure::Unknown => "none",
            HealthOnFailure::Kill => "kill",
            HealthOnFailure::Restart => "restart",
            HealthOnFailure::Stop => "stop",
        }
    }
}

/// `--health-*`: the check the container's monitor schedules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthConfig {
    /// Podman's Test: `["CMD-SHELL", cmd]` or `["CMD", arg...]`.
    pub test: Vec<String>,
    /// 0 disables the schedule (only `healthcheck run`).
    pub interval_ms: u64,
    pub timeout_ms: u64,
    #[serde(default)]
    pub start_period_ms: u64,
    pub retries: u32,
    #[serde(default)]
    pub on_failure: HealthOnFailure,
}

impl From<HealthConfig> for rpod_proto::health::HealthConfig {
    fn from(h: HealthConfig) -> rpod_proto::health::HealthConfig {
        use rpod_proto::health::HealthOnFailure as F;
        rpod_proto::health::HealthConfig {
            test: h.test,
            interval_ms: h.interval_ms,
            timeout_ms: h.timeout_ms,
            start_period_ms: h.start_period_ms,
            retries: h.retries,
            on_failure: match h.on_failure {
                HealthOnFailure::None => F::None,
                HealthOnFailure::Kill => F::Kill,
                HealthOnFailure::Restart => F::Restart,
                HealthOnFailure::Stop => F::Stop,
                HealthOnFailure::Unknown => F::Unknown,
            },
            startup: None,
            max_log_count: rpod_api::container_run::DEFAULT_HEALTH_MAX_LOG_COUNT,
            max_log_size: rpod_api::container_run::DEFAULT_HEALTH_MAX_LOG_SIZE,
            log_file: None,
            held_in_start_period: false,
        }
    }
}

/// serde: a count of zero is left out.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows written before the options had types of their own read the same.
    #[test]
    fn stored_shape_is_the_wire_shape() {
        let wire = rpod_proto::RestartConfig::parse("on-failure:4").unwrap();
        let json = serde_json::to_string(&wire).unwrap();
        let ours: RestartConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.policy, RestartPolicy::OnFailure);
        assert_eq!(serde_json::to_string(&ours).unwrap(), json);
        assert_eq!(rpod_proto::RestartConfig::from(ours), wire);

        let wire = rpod_proto::health::HealthConfig {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval_ms: 1000,
            timeout_ms: 2000,
            start_period_ms: 0,
            retries: 3,
            on_failure: rpod_proto::health::HealthOnFailure::Kill,
            startup: None,
            max_log_count: 5,
            max_log_size: 500,
            log_file: None,
            held_in_start_period: false,
        };
        let json = serde_json::to_string(&wire).unwrap();
        let ours: HealthConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.on_failure, HealthOnFailure::Kill);
        // The stored shape is the wire's first fields (the startup check
        // and the log settings travel beside it, in the container's options).
        let stored = serde_json::to_string(&ours).unwrap();
        let read: rpod_proto::health::HealthConfig = serde_json::from_str(&stored).unwrap();
        assert_eq!(read, wire);
        assert_eq!(rpod_proto::health::HealthConfig::from(ours), wire);
        let unknown: HealthConfig = serde_json::from_str(
            r#"{"test":[],"interval_ms":0,"timeout_ms":0,"retries":0,"on_failure":"explode"}"#,
        )
        .unwrap();
        assert_eq!(unknown.on_failure.as_str(), "none");
    }
}
