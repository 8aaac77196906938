//! What `create` and `run` ask for: the container's options as plain data
//! (Podman's `specgen.SpecGenerator`, reduced to what rpod implements) and
//! the decisions around creating it (pull policy, pod, `--replace`,
//! `--sdnotify`, id file).

use serde::{Deserialize, Serialize};

/// `--pull`: when the image is fetched from its registry before the
/// container is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PullPolicy {
    /// Always pull.
    Always,
    /// Pull only when the image is not stored (Podman's default).
    #[default]
    Missing,
    /// Never pull: a missing image is an error.
    Never,
    /// Pull when the registry has a newer image than the stored one; a
    /// registry that cannot be reached leaves the stored image in use.
    Newer,
}

impl PullPolicy {
    /// Parses Podman's `--pull` value.
    pub fn parse(s: &str) -> Option<PullPolicy> {
        Some(match s {
            "always" => PullPolicy::Always,
            "missing" => PullPolicy::Missing,
            "never" => PullPolicy::Never,
            "newer" => PullPolicy::Newer,
            _ => return None,
        })
    }
}

/// `--pod`: the pod the container joins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodTarget {
    /// No pod.
    #[default]
    None,
    /// An existing pod, by name or id.
    Existing(String),
    /// `--pod new:NAME`: a pod created (with Podman's defaults) for this
    /// container, removed again if the container cannot be created.
    New(String),
}

/// `--sdnotify`: who tells systemd (`$NOTIFY_SOCKET`) the container is ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdNotifyMode {
    /// Nobody.
    #[default]
    Ignore,
    /// The engine, once the container runs, with its monitor as main pid.
    Conmon,
    /// The container itself, through a socket its monitor relays.
    Container,
    /// The engine tells the main pid once the container runs; its monitor
    /// sends readiness when the health check first passes (Podman 5's
    /// `healthy`); `start` returns then.
    Healthy,
}

/// Networking flags of `create`/`run`, as given; the engine parses and
/// checks them (Podman's rules and messages).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSpec {
    /// `--network` values (`MODE`, `MODE:OPTIONS`, `NAME[,NAME]`,
    /// `NAME:ip=..,alias=..,mac=..`); empty: the default, or the pod's.
    pub modes: Vec<String>,
    /// `--ip` and `--ip6`.
    pub ips: Vec<String>,
    /// `--mac-address`.
    pub mac_address: Option<String>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// `-p/--publish`.
    pub publish: Vec<String>,
    /// `-P/--publish-all`.
    pub publish_all: bool,
    /// `--expose`.
    pub expose: Vec<String>,
    /// `--dns`.
    pub dns: Vec<String>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--dns-option`.
    pub dns_options: Vec<String>,
    /// `--add-host`.
    pub add_hosts: Vec<String>,
    /// `--no-hosts`.
    pub no_hosts: bool,
    /// `--hosts-file`.
    pub hosts_file: Option<String>,
}

impl NetworkSpec {
    /// Whether any networking flag was given.
    pub fn is_empty(&self) -> bool {
        *self == NetworkSpec::default()
    }
}

/// `-v SRC:DST[:OPTIONS]`: a host path bind-mounted into the container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindMount {
    pub source: String,
    pub destination: String,
    pub readonly: bool,
    /// Other mount options as given (`rbind`, `nosuid`, ...).
    pub options: Vec<String>,
}

/// Mount propagation options, as `-v` and `--mount` take them.
pub const PROPAGATIONS: [&str; 8] = [
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
];

/// `-v NAME:/path[:OPTIONS]`, `-v /path` (an anonymous volume: `name`
/// empty) or `--mount type=volume`: a named volume mounted into the
/// container, created when missing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedVolume {
    pub name: String,
    pub destination: String,
    /// Mount options as given (`ro`, `nocopy`, `U`, `noexec`, ...).
    pub options: Vec<String>,
}

/// `--tmpfs /path[:OPTIONS]` or `--mount type=tmpfs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmpfsMount {
    pub destination: String,
    /// tmpfs options (`size=`, `mode=`, `ro`, `noexec`, `notmpcopyup`, ...).
    pub options: Vec<String>,
}

/// `--mount type=image`: another image's content at `destination`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMount {
    /// The image as named (name or ID).
    pub source: String,
    pub destination: String,
    /// `rw=true`: writable, the writes discarded with the container's run.
    #[serde(default)]
    pub rw: bool,
    /// `subpath=DIR`: only this directory of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

/// `--mount type=ramfs|devpts`: a file system of that type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsMount {
    /// `ramfs` or `devpts`.
    pub fs_type: String,
    pub destination: String,
    #[serde(default)]
    pub options: Vec<String>,
}

/// `--image-volume`: what the image's `VOLUME`s become.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageVolumeMode {
    /// Anonymous volumes (Podman's default, `anonymous` or `bind`).
    #[default]
    Anonymous,
    /// A tmpfs on each.
    Tmpfs,
    /// Nothing: the image's directories as they are.
    Ignore,
}

/// Podman's restart policy names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicyName {
    No,
    OnFailure,
    Always,
    UnlessStopped,
}

/// `--restart POLICY[:MAX]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    pub name: RestartPolicyName,
    /// Most restarts for `on-failure`; 0 means unlimited.
    pub max_retries: u32,
}

impl RestartPolicy {
    /// Parses Podman's `--restart` value (`no`/`never`, `on-failure[:N]`,
    /// `always`, `unless-stopped`); the error is Podman's message.
    pub fn parse(s: &str) -> Result<RestartPolicy, String> {
        let (name, max) = match s.split_once(':') {
            Some((n, m)) => (n, Some(m)),
            None => (s, None),
        };
        let name = match name {
            "" | "no" | "never" => RestartPolicyName::No,
            "on-failure" => RestartPolicyName::OnFailure,
            "always" => RestartPolicyName::Always,
            "unless-stopped" => RestartPolicyName::UnlessStopped,
            _ => return Err(format!("invalid restart policy: {s}")),
        };
        let max_retries = match max {
            None => 0,
            Some(_) if name != RestartPolicyName::OnFailure => {
                return Err("restart policy retries can only be specified with on-failure".into())
            }
            Some(m) => m
                .parse::<u32>()
                .map_err(|_| format!("invalid restart policy: {s}"))?,
        };
        Ok(RestartPolicy { name, max_retries })
    }
}

/// `--health-on-failure`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthOnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
}

impl HealthOnFailure {
    pub fn parse(s: &str) -> Option<HealthOnFailure> {
        Some(match s {
            "none" => HealthOnFailure::None,
            "kill" => HealthOnFailure::Kill,
            "restart" => HealthOnFailure::Restart,
            "stop" => HealthOnFailure::Stop,
            _ => return None,
        })
    }
}

/// `--health-*`: Podman's `HealthConfig` with durations in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `["CMD-SHELL", cmd]` or `["CMD", arg...]`.
    pub test: Vec<String>,
    /// 0 disables the schedule (only `healthcheck run`).
    pub interval_ms: u64,
    pub timeout_ms: u64,
    pub start_period_ms: u64,
    pub retries: u32,
    pub on_failure: HealthOnFailure,
}

/// `--health-startup-*`: the check run after each start until it passes,
/// before the regular one (durations in milliseconds; `retries` 0: never
/// restart the container, `successes` 0: one success passes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartupHealthCheck {
    pub test: Vec<String>,
    pub interval_ms: u64,
    pub timeout_ms: u64,
    pub retries: u32,
    pub successes: u32,
}

/// Podman's default `--health-max-log-count`.
pub const DEFAULT_HEALTH_MAX_LOG_COUNT: u32 = 5;
/// Podman's default `--health-max-log-size`.
pub const DEFAULT_HEALTH_MAX_LOG_SIZE: u32 = 500;

/// `--health-log-destination`, `--health-max-log-count`,
/// `--health-max-log-size` (0: no limit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthLogSpec {
    /// `local`, `events_logger` or a directory.
    pub destination: String,
    pub max_count: u32,
    pub max_size: u32,
}

impl Default for HealthLogSpec {
    fn default() -> Self {
        HealthLogSpec {
            destination: "local".to_owned(),
            max_count: DEFAULT_HEALTH_MAX_LOG_COUNT,
            max_size: DEFAULT_HEALTH_MAX_LOG_SIZE,
        }
    }
}

/// `--init-ctr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitCtrMode {
    /// Runs at the pod's first start, then is removed.
    Once,
    /// Runs at every start of the pod.
    Always,
}

/// The container as the user described it. Values left `None` take the
/// engine's defaults (containers.conf, then Podman's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// The image as the user named it; with `rootfs`, `PATH[:O]`.
    pub image: String,
    /// `--rootfs`: `image` is an exploded root filesystem directory.
    #[serde(default)]
    pub rootfs: bool,
    /// The command after the image (replaces the image's Cmd).
    pub command: Vec<String>,
    /// `--entrypoint`: `Some(vec![])` clears the image's entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=VALUE` entries, over the image's and containers.conf's.
    pub env: Vec<String>,
    /// `--timeout`: seconds the container may run before it is killed
    /// (exit code -1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// `--unsetenv`: default variables (the image's, containers.conf's,
    /// rpod's own such as `container=podman`) left out; `env` still applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset_env: Vec<String>,
    /// `--unsetenv-all`: every default variable left out.
    #[serde(default)]
    pub unset_env_all: bool,
    pub workdir: Option<String>,
    /// `-u user[:group]`.
    pub user: Option<String>,
    /// `--umask` (runc's 0022 when unset).
    #[serde(default)]
    pub umask: Option<u32>,
    /// `--group-add`: group names (from the container's /etc/group) or numbers.
    #[serde(default)]
    pub group_add: Vec<String>,
    pub hostname: Option<String>,
    /// `--no-hostname`: no /etc/hostname mounted (the image's stays).
    #[serde(default)]
    pub no_hostname: bool,
    pub tty: bool,
    /// `-i`: keep stdin open.
    pub interactive: bool,
    pub mounts: Vec<BindMount>,
    /// Named and anonymous volumes.
    #[serde(default)]
    pub volumes: Vec<NamedVolume>,
    /// `--tmpfs` and `--mount type=tmpfs`.
    #[serde(default)]
    pub tmpfs: Vec<TmpfsMount>,
    /// `--volumes-from CTR[:ro|rw|z|Z]`: the named volumes and bind mounts
    /// of other containers.
    #[serde(default)]
    pub volumes_from: Vec<String>,
    /// `--image-volume`; containers.conf's `image_volume_mode` when `None`.
    #[serde(default)]
    pub image_volume: Option<ImageVolumeMode>,
    /// `--read-only`; containers.conf's `read_only` when `None`.
    pub read_only: Option<bool>,
    /// `--read-only-tmpfs` (default true): the writable tmpfs set of a
    /// read-only container; `false`: none, /dev and /dev/shm read-only too.
    #[serde(default)]
    pub read_only_tmpfs: Option<bool>,
    /// `--network` and the other networking flags.
    #[serde(default)]
    pub network: NetworkSpec,
    /// `--tz`: a zone name or `local`; containers.conf's `tz` when `None`.
    pub timezone: Option<String>,
    /// `--log-driver` (`k8s-file`, `json-file`, `none`); containers.conf's
    /// when `None`.
    pub log_driver: Option<String>,
    /// `--log-opt max-size=`, bytes.
    pub log_max_size: Option<u64>,
    /// `--log-opt max-file=`.
    pub log_max_files: Option<u32>,
    /// `--log-opt path=`: where the log file is (a CRI container's
    /// `log_path`); the container's own directory when `None`.
    #[serde(default)]
    pub log_path: Option<String>,
    /// `--runtime`: name or path.
    pub runtime: Option<String>,
    /// `--rm`.
    pub remove: bool,
    /// `run --rmi`: the image goes too when the container is removed
    /// (if no other container uses it).
    pub remove_image: bool,
    /// `run --preserve-fds N`: the caller's descriptors 3..3+N are passed
    /// into the container (the same numbers) when it starts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub preserve_fds: u32,
    /// Labels in order, later ones winning.
    pub labels: Vec<(String, String)>,
    /// OCI annotations (`kube play`: the pod's and `--annotation`s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<(String, String)>,
    /// `--stop-signal`, as a number.
    pub stop_signal: Option<i32>,
    /// `--stop-timeout`, seconds.
    pub stop_timeout: Option<u64>,
    pub restart: Option<RestartPolicy>,
    pub healthcheck: Option<HealthCheck>,
    /// `--no-healthcheck` or `--health-cmd none`: no check, the image's
    /// neither (inspect: Test `["NONE"]`).
    #[serde(default)]
    pub no_healthcheck: bool,
    /// `--health-startup-*`.
    #[serde(default)]
    pub startup_healthcheck: Option<StartupHealthCheck>,
    /// `--health-log-destination`, `--health-max-log-*`.
    #[serde(default)]
    pub health_log: HealthLogSpec,
    /// `--requires`: names or ids (comma-separated lists allowed).
    pub requires: Vec<String>,
    /// `--init-ctr` (needs a pod).
    pub init_ctr: Option<InitCtrMode>,
    /// Capabilities, seccomp and the other `--security-opt`s.
    #[serde(default)]
    pub security: super::SecuritySpec,
    /// `--memory`, `--cpus`, `--pids-limit`, ...
    #[serde(default)]
    pub resources: super::ResourceSpec,
    /// `--ipc`, `--pid`, `--uts`, `--cgroupns`.
    #[serde(default)]
    pub namespaces: super::NamespaceSpec,
    /// `--cgroup-parent`, `--cgroups`, `--cgroup-conf`.
    #[serde(default)]
    pub cgroup: super::CgroupSpec,
    /// `--secret`: secrets mounted as files or set as variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secret::SecretUse>,
    /// `--mount type=image`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_mounts: Vec<ImageMount>,
    /// `--mount type=ramfs|devpts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs_mounts: Vec<FsMount>,
}

/// A `create` (or the create step of a `run`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSpec {
    pub options: ContainerSpec,
    /// `--name`; a leading `/` (Docker's spelling) is dropped.
    pub name: Option<String>,
    pub pull: PullPolicy,
    /// `--tls-verify` for the pull.
    pub tls_verify: Option<bool>,
    /// `--authfile`, `--cert-dir` and `--creds` for the pull (its
    /// `tls_verify` is unused: the field above holds it). Used for the pull
    /// only, never kept with the container.
    #[serde(default)]
    pub pull_registry: crate::front_door::images::RegistryOptions,
    /// `-q`: no pull progress.
    pub quiet: bool,
    /// Report the pull's blob transfers as events for progress bars
    /// (see `ImagePullOptions::blob_progress`).
    #[serde(default)]
    pub blob_progress: bool,
    pub pod: PodTarget,
    /// `--replace`: a container with the same name is removed first.
    pub replace: bool,
    pub sdnotify: SdNotifyMode,
    /// `--cidfile`: receives the container's id (opened before the
    /// container is created, so a bad path creates nothing).
    pub cidfile: Option<String>,
    /// `--conmon-pidfile`: receives the pid of the container's monitor.
    pub conmon_pidfile: Option<String>,
    /// `--retry`: attempts of the image pull after a failure (`None`: the
    /// pull's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    /// `--retry-delay`: the pause between pull attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<std::time::Duration>,
    /// `--http-proxy`: whether the proxy variables of the engine's
    /// environment (`http_proxy`, `HTTPS_PROXY`, ...) go into the
    /// container's (`None`: containers.conf's `http_proxy`, default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_proxy: Option<bool>,
}

/// A `run`: the create, then either a detached start or an attached one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    pub create: CreateSpec,
    /// `-d`: start and leave the container running.
    pub detach: bool,
    /// The caller's terminal size, applied before the process starts.
    pub terminal_size: Option<(u16, u16)>,
}

/// What a create made (entities.ContainerCreateReport with the REST
/// response's `Warnings`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateReport {
    /// Full id of the new container.
    pub id: String,
    /// What the engine dropped and why, in Podman's words (e.g. ports given
    /// to a network mode without ports); the CLI prints each on stderr.
    #[serde(rename = "Warnings", default)]
    pub warnings: Vec<String>,
}

/// serde: a count of zero is left out.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policies() {
        assert_eq!(PullPolicy::parse("newer"), Some(PullPolicy::Newer));
        assert_eq!(PullPolicy::parse("sometimes"), None);
        assert_eq!(PullPolicy::default(), PullPolicy::Missing);
        assert_eq!(
            serde_json::to_string(&PullPolicy::Always).unwrap(),
            "\"always\""
        );
    }

    #[test]
    fn restart_policies() {
        let p = RestartPolicy::parse("on-failure:3").unwrap();
        assert_eq!(p.name, RestartPolicyName::OnFailure);
        assert_eq!(p.max_retries, 3);
        assert_eq!(
            RestartPolicy::parse("never").unwrap().name,
            RestartPolicyName::No
        );
        assert_eq!(
            RestartPolicy::parse("always:2").unwrap_err(),
            "restart policy retries can only be specified with on-failure"
        );
        assert_eq!(
            RestartPolicy::parse("sometimes").unwrap_err(),
            "invalid restart policy: sometimes"
        );
        assert_eq!(
            serde_json::to_string(&RestartPolicyName::UnlessStopped).unwrap(),
            "\"unless-stopped\""
        );
    }

    #[test]
    fn create_spec_round_trips() {
        let spec = CreateSpec {
            options: ContainerSpec {
                image: "alpine".into(),
                command: vec!["true".into()],
                restart: Some(RestartPolicy {
                    name: RestartPolicyName::Always,
                    max_retries: 0,
                }),
                ..Default::default()
            },
            name: Some("c".into()),
            pod: PodTarget::New("p".into()),
            sdnotify: SdNotifyMode::Conmon,
            ..Default::default()
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains("\"pull\":\"missing\""), "{json}");
        assert!(json.contains("\"pod\":{\"New\":\"p\"}"), "{json}");
        assert_eq!(serde_json::from_str::<CreateSpec>(&json).unwrap(), spec);
    }
}
