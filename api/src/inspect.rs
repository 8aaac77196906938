//! Container inspect (libpod/define.InspectContainerData and its parts), field for field as
//! Podman 5.8 declares them: JSON keys from the Go `json` tags, Go names for templates.

use crate::time::GoTime;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Go's `struct{}` (the values of `Volumes` and `ExposedPorts` sets): `{}` in JSON.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "struct {}")]
pub struct Empty {}

pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// image/manifest.Schema2HealthConfig: a health check (durations in nanoseconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*manifest.Schema2HealthConfig")]
pub struct HealthConfig {
    #[serde(rename = "Test", skip_serializing_if = "Option::is_none", default)]
    pub test: Option<Vec<String>>,
    #[serde(rename = "StartPeriod", skip_serializing_if = "is_zero", default)]
    pub start_period: crate::GoDuration,
    #[serde(rename = "StartInterval", skip_serializing_if = "is_zero", default)]
    pub start_interval: crate::GoDuration,
    #[serde(rename = "Interval", skip_serializing_if = "is_zero", default)]
    pub interval: crate::GoDuration,
    #[serde(rename = "Timeout", skip_serializing_if = "is_zero", default)]
    pub timeout: crate::GoDuration,
    #[serde(rename = "Retries", skip_serializing_if = "is_zero", default)]
    pub retries: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectContainerData")]
pub struct InspectContainerData {
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "Created")]
    pub created: GoTime,
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Args")]
    pub args: Option<Vec<String>>,
    #[serde(rename = "State")]
    pub state: Option<InspectContainerState>,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "ImageDigest")]
    pub image_digest: String,
    #[serde(rename = "ImageName")]
    pub image_name: String,
    #[serde(rename = "Rootfs")]
    pub rootfs: String,
    #[serde(rename = "Pod")]
    pub pod: String,
    #[serde(rename = "ResolvConfPath")]
    pub resolv_conf_path: String,
    #[serde(rename = "HostnamePath")]
    pub hostname_path: String,
    #[serde(rename = "HostsPath")]
    pub hosts_path: String,
    #[serde(rename = "StaticDir")]
    pub static_dir: String,
    #[serde(
        rename = "OCIConfigPath",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "OCIConfigPath")]
    pub oci_config_path: String,
    #[serde(
        rename = "OCIRuntime",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "OCIRuntime")]
    pub oci_runtime: String,
    #[serde(rename = "ConmonPidFile")]
    pub conmon_pid_file: String,
    #[serde(rename = "PidFile")]
    pub pid_file: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "RestartCount")]
    pub restart_count: i32,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "MountLabel")]
    pub mount_label: String,
    #[serde(rename = "ProcessLabel")]
    pub process_label: String,
    #[serde(rename = "AppArmorProfile")]
    pub app_armor_profile: String,
    #[serde(rename = "EffectiveCaps")]
    pub effective_caps: Option<Vec<String>>,
    #[serde(rename = "BoundingCaps")]
    pub bounding_caps: Option<Vec<String>>,
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Option<Vec<String>>,
    #[serde(rename = "GraphDriver")]
    pub graph_driver: Option<DriverData>,
    #[serde(rename = "SizeRw", skip_serializing_if = "Option::is_none", default)]
    pub size_rw: Option<i64>,
    #[serde(rename = "SizeRootFs", skip_serializing_if = "is_zero", default)]
    pub size_root_fs: i64,
    #[serde(rename = "Mounts")]
    pub mounts: Option<Vec<InspectMount>>,
    #[serde(rename = "Dependencies")]
    pub dependencies: Option<Vec<String>>,
    #[serde(rename = "NetworkSettings")]
    pub network_settings: Option<InspectNetworkSettings>,
    #[serde(rename = "Namespace")]
    pub namespace: String,
    #[serde(rename = "IsInfra")]
    pub is_infra: bool,
    #[serde(rename = "IsService")]
    pub is_service: bool,
    #[serde(rename = "KubeExitCodePropagation")]
    pub kube_exit_code_propagation: String,
    #[serde(rename = "lockNumber")]
    #[go(name = "LockNumber")]
    pub lock_number: u32,
    #[serde(rename = "Config")]
    pub config: Option<InspectContainerConfig>,
    #[serde(rename = "HostConfig")]
    pub host_config: Option<InspectContainerHostConfig>,
    #[serde(rename = "UseImageHosts")]
    pub use_image_hosts: bool,
    #[serde(rename = "UseImageHostname")]
    pub use_image_hostname: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectContainerState", methods)]
pub struct InspectContainerState {
    #[serde(rename = "OciVersion")]
    pub oci_version: String,
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Running")]
    pub running: bool,
    #[serde(rename = "Paused")]
    pub paused: bool,
    #[serde(rename = "Restarting")]
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    #[go(name = "OOMKilled")]
    pub oom_killed: bool,
    #[serde(rename = "Dead")]
    pub dead: bool,
    #[serde(rename = "Pid")]
    pub pid: i64,
    #[serde(rename = "ConmonPid", skip_serializing_if = "is_zero", default)]
    pub conmon_pid: i64,
    #[serde(rename = "ExitCode")]
    pub exit_code: i32,
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "StartedAt")]
    pub started_at: GoTime,
    #[serde(rename = "FinishedAt")]
    pub finished_at: GoTime,
    #[serde(rename = "Health", skip_serializing_if = "Option::is_none", default)]
    pub health: Option<HealthCheckResults>,
    #[serde(
        rename = "Checkpointed",
        skip_serializing_if = "std::ops::Not::not",
        default
    )]
    pub checkpointed: bool,
    #[serde(
        rename = "CgroupPath",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub cgroup_path: String,
    #[serde(rename = "CheckpointedAt")]
    pub checkpointed_at: GoTime,
    #[serde(rename = "RestoredAt")]
    pub restored_at: GoTime,
    #[serde(
        rename = "CheckpointLog",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub checkpoint_log: String,
    #[serde(
        rename = "CheckpointPath",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub checkpoint_path: String,
    #[serde(
        rename = "RestoreLog",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub restore_log: String,
    #[serde(
        rename = "Restored",
        skip_serializing_if = "std::ops::Not::not",
        default
    )]
    pub restored: bool,
    #[serde(
        rename = "StoppedByUser",
        skip_serializing_if = "std::ops::Not::not",
        default
    )]
    pub stopped_by_user: bool,
}

/// Podman's `Healthcheck()` method: `.State.Healthcheck`, the older name
/// of `.State.Health` (zero values without a check).
impl gotmpl::GoMethods for InspectContainerState {
    fn arity(&self, name: &str) -> Option<usize> {
        (name == "Healthcheck").then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<gotmpl::GoValue, String> {
        match name {
            "Healthcheck" => Ok(self.health.clone().unwrap_or_default().to_template()),
            _ => Err(format!("can't evaluate method {name}")),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.HealthCheckResults")]
pub struct HealthCheckResults {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "FailingStreak")]
    pub failing_streak: i64,
    #[serde(rename = "Log")]
    pub log: Option<Vec<HealthCheckLog>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.HealthCheckLog")]
pub struct HealthCheckLog {
    #[serde(rename = "Start")]
    pub start: String,
    #[serde(rename = "End")]
    pub end: String,
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    #[serde(rename = "Output")]
    pub output: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectContainerConfig")]
pub struct InspectContainerConfig {
    #[serde(rename = "Hostname")]
    pub hostname: String,
    #[serde(rename = "Domainname")]
    #[go(name = "DomainName")]
    pub domain_name: String,
    #[serde(rename = "User")]
    pub user: String,
    #[serde(rename = "AttachStdin")]
    pub attach_stdin: bool,
    #[serde(rename = "AttachStdout")]
    pub attach_stdout: bool,
    #[serde(rename = "AttachStderr")]
    pub attach_stderr: bool,
    #[serde(rename = "Tty")]
    pub tty: bool,
    #[serde(rename = "OpenStdin")]
    pub open_stdin: bool,
    #[serde(rename = "StdinOnce")]
    pub stdin_once: bool,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Cmd")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Volumes")]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "WorkingDir")]
    pub working_dir: String,
    #[serde(rename = "Entrypoint")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "OnBuild")]
    pub on_build: Option<String>,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "StopSignal")]
    pub stop_signal: String,
    #[serde(
        rename = "StartupHealthCheck",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub startup_health_check: Option<StartupHealthCheck>,
    #[serde(
        rename = "Healthcheck",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub healthcheck: Option<HealthConfig>,
    #[serde(
        rename = "HealthcheckOnFailureAction",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub healthcheck_on_failure_action: String,
    #[serde(
        rename = "HealthLogDestination",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub health_log_destination: String,
    #[serde(
        rename = "HealthcheckMaxLogCount",
        skip_serializing_if = "is_zero",
        default
    )]
    #[go(name = "HealthMaxLogCount")]
    pub health_max_log_count: u64,
    #[serde(
        rename = "HealthcheckMaxLogSize",
        skip_serializing_if = "is_zero",
        default
    )]
    #[go(name = "HealthMaxLogSize")]
    pub health_max_log_size: u64,
    #[serde(
        rename = "CreateCommand",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub create_command: Option<Vec<String>>,
    #[serde(rename = "Timezone", skip_serializing_if = "String::is_empty", default)]
    pub timezone: String,
    #[serde(
        rename = "SystemdMode",
        skip_serializing_if = "std::ops::Not::not",
        default
    )]
    pub systemd_mode: bool,
    #[serde(rename = "Umask", skip_serializing_if = "String::is_empty", default)]
    pub umask: String,
    #[serde(rename = "Secrets", skip_serializing_if = "Option::is_none", default)]
    pub secrets: Option<Vec<Option<InspectSecret>>>,
    #[serde(rename = "Timeout")]
    pub timeout: u64,
    #[serde(rename = "StopTimeout")]
    pub stop_timeout: u64,
    #[serde(rename = "Passwd", skip_serializing_if = "Option::is_none", default)]
    pub passwd: Option<bool>,
    #[serde(
        rename = "ChrootDirs",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub chroot_dirs: Option<Vec<String>>,
    #[serde(
        rename = "sdNotifyMode",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "SdNotifyMode")]
    pub sd_notify_mode: String,
    #[serde(
        rename = "sdNotifySocket",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "SdNotifySocket")]
    pub sd_notify_socket: String,
    #[serde(
        rename = "ExposedPorts",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectMount")]
pub struct InspectMount {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(rename = "Name", skip_serializing_if = "String::is_empty", default)]
    pub name: String,
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "Destination")]
    pub destination: String,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "Mode")]
    pub mode: String,
    #[serde(rename = "Options")]
    pub options: Option<Vec<String>>,
    #[serde(rename = "RW")]
    #[go(name = "RW")]
    pub rw: bool,
    #[serde(rename = "Propagation")]
    pub propagation: String,
    #[serde(rename = "SubPath", skip_serializing_if = "String::is_empty", default)]
    pub sub_path: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.DriverData")]
pub struct DriverData {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Data")]
    pub data: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectContainerHostConfig")]
pub struct InspectContainerHostConfig {
    #[serde(rename = "Binds")]
    pub binds: Option<Vec<String>>,
    #[serde(
        rename = "CgroupManager",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub cgroup_manager: String,
    #[serde(rename = "CgroupMode")]
    pub cgroup_mode: String,
    #[serde(rename = "ContainerIDFile")]
    #[go(name = "ContainerIDFile")]
    pub container_id_file: String,
    #[serde(rename = "LogConfig")]
    pub log_config: Option<InspectLogConfig>,
    #[serde(rename = "NetworkMode")]
    pub network_mode: String,
    #[serde(rename = "PortBindings")]
    pub port_bindings: Option<BTreeMap<String, Option<Vec<InspectHostPort>>>>,
    #[serde(rename = "RestartPolicy")]
    pub restart_policy: Option<InspectRestartPolicy>,
    #[serde(rename = "AutoRemove")]
    pub auto_remove: bool,
    #[serde(rename = "AutoRemoveImage")]
    pub auto_remove_image: bool,
    #[serde(rename = "Annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "VolumeDriver")]
    pub volume_driver: String,
    #[serde(rename = "VolumesFrom")]
    pub volumes_from: Option<Vec<String>>,
    #[serde(rename = "CapAdd")]
    pub cap_add: Option<Vec<String>>,
    #[serde(rename = "CapDrop")]
    pub cap_drop: Option<Vec<String>>,
    #[serde(rename = "Dns")]
    pub dns: Option<Vec<String>>,
    #[serde(rename = "DnsOptions")]
    pub dns_options: Option<Vec<String>>,
    #[serde(rename = "DnsSearch")]
    pub dns_search: Option<Vec<String>>,
    #[serde(rename = "ExtraHosts")]
    pub extra_hosts: Option<Vec<String>>,
    #[serde(rename = "HostsFile")]
    pub hosts_file: String,
    #[serde(rename = "GroupAdd")]
    pub group_add: Option<Vec<String>>,
    #[serde(rename = "IpcMode")]
    pub ipc_mode: String,
    #[serde(rename = "Cgroup")]
    pub cgroup: String,
    #[serde(rename = "Cgroups")]
    pub cgroups: String,
    #[serde(rename = "Links")]
    pub links: Option<Vec<String>>,
    #[serde(rename = "OomScoreAdj")]
    pub oom_score_adj: i64,
    #[serde(rename = "PidMode")]
    pub pid_mode: String,
    #[serde(rename = "Privileged")]
    pub privileged: bool,
    #[serde(rename = "PublishAllPorts")]
    pub publish_all_ports: bool,
    #[serde(rename = "ReadonlyRootfs")]
    pub readonly_rootfs: bool,
    #[serde(rename = "SecurityOpt")]
    pub security_opt: Option<Vec<String>>,
    #[serde(rename = "Tmpfs")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    #[serde(rename = "UTSMode")]
    #[go(name = "UTSMode")]
    pub uts_mode: String,
    #[serde(rename = "UsernsMode")]
    pub userns_mode: String,
    #[serde(
        rename = "IDMappings",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "IDMappings")]
    pub id_mappings: Option<InspectIDMappings>,
    #[serde(rename = "ShmSize")]
    pub shm_size: i64,
    #[serde(rename = "Runtime")]
    pub runtime: String,
    #[serde(rename = "ConsoleSize")]
    pub console_size: Option<Vec<u64>>,
    #[serde(rename = "Isolation")]
    pub isolation: String,
    #[serde(rename = "CpuShares")]
    pub cpu_shares: u64,
    #[serde(rename = "Memory")]
    pub memory: i64,
    #[serde(rename = "NanoCpus")]
    pub nano_cpus: i64,
    #[serde(rename = "CgroupParent")]
    pub cgroup_parent: String,
    #[serde(rename = "BlkioWeight")]
    pub blkio_weight: u16,
    #[serde(rename = "BlkioWeightDevice")]
    pub blkio_weight_device: Option<Vec<InspectBlkioWeightDevice>>,
    #[serde(rename = "BlkioDeviceReadBps")]
    pub blkio_device_read_bps: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(rename = "BlkioDeviceWriteBps")]
    pub blkio_device_write_bps: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(rename = "CpuPeriod")]
    pub cpu_period: u64,
    #[serde(rename = "CpuQuota")]
    pub cpu_quota: i64,
    #[serde(rename = "CpuRealtimePeriod")]
    pub cpu_realtime_period: u64,
    #[serde(rename = "CpuRealtimeRuntime")]
    pub cpu_realtime_runtime: i64,
    #[serde(rename = "CpusetCpus")]
    pub cpuset_cpus: String,
    #[serde(rename = "CpusetMems")]
    pub cpuset_mems: String,
    #[serde(rename = "Devices")]
    pub devices: Option<Vec<InspectDevice>>,
    #[serde(rename = "DiskQuota")]
    pub disk_quota: u64,
    #[serde(rename = "KernelMemory")]
    pub kernel_memory: i64,
    #[serde(rename = "MemoryReservation")]
    pub memory_reservation: i64,
    #[serde(rename = "MemorySwap")]
    pub memory_swap: i64,
    #[serde(rename = "MemorySwappiness")]
    pub memory_swappiness: i64,
    #[serde(rename = "OomKillDisable")]
    pub oom_kill_disable: bool,
    #[serde(rename = "Init", skip_serializing_if = "std::ops::Not::not", default)]
    pub init: bool,
    #[serde(rename = "PidsLimit")]
    pub pids_limit: i64,
    #[serde(rename = "Ulimits")]
    pub ulimits: Option<Vec<InspectUlimit>>,
    #[serde(rename = "CpuCount")]
    pub cpu_count: u64,
    #[serde(rename = "CpuPercent")]
    pub cpu_percent: u64,
    #[serde(rename = "IOMaximumIOps")]
    #[go(name = "IOMaximumIOps")]
    pub io_maximum_iops: u64,
    #[serde(rename = "IOMaximumBandwidth")]
    #[go(name = "IOMaximumBandwidth")]
    pub io_maximum_bandwidth: u64,
    #[serde(rename = "CgroupConf")]
    pub cgroup_conf: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "IntelRdtClosID",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "IntelRdtClosID")]
    pub intel_rdt_clos_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectRestartPolicy")]
pub struct InspectRestartPolicy {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "MaximumRetryCount")]
    pub maximum_retry_count: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectLogConfig")]
pub struct InspectLogConfig {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(rename = "Config")]
    pub config: Option<BTreeMap<String, String>>,
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Tag")]
    pub tag: String,
    #[serde(rename = "Size")]
    pub size: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectNetworkSettings")]
pub struct InspectNetworkSettings {
    #[serde(flatten)]
    #[go(embed)]
    pub inspect_basic_network_config: InspectBasicNetworkConfig,
    #[serde(rename = "Bridge")]
    pub bridge: String,
    #[serde(rename = "SandboxID")]
    #[go(name = "SandboxID")]
    pub sandbox_id: String,
    #[serde(rename = "HairpinMode")]
    pub hairpin_mode: bool,
    #[serde(rename = "LinkLocalIPv6Address")]
    pub link_local_ipv6_address: String,
    #[serde(rename = "LinkLocalIPv6PrefixLen")]
    pub link_local_ipv6_prefix_len: i64,
    #[serde(rename = "Ports")]
    pub ports: Option<BTreeMap<String, Option<Vec<InspectHostPort>>>>,
    #[serde(rename = "SandboxKey")]
    pub sandbox_key: String,
    #[serde(rename = "Networks", skip_serializing_if = "Option::is_none", default)]
    pub networks: Option<BTreeMap<String, InspectAdditionalNetwork>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectBasicNetworkConfig")]
pub struct InspectBasicNetworkConfig {
    #[serde(rename = "EndpointID")]
    #[go(name = "EndpointID")]
    pub endpoint_id: String,
    #[serde(rename = "Gateway")]
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    #[go(name = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    #[go(name = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    #[serde(
        rename = "SecondaryIPAddresses",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "SecondaryIPAddresses")]
    pub secondary_ip_addresses: Option<Vec<Address>>,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: i64,
    #[serde(
        rename = "SecondaryIPv6Addresses",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub secondary_ipv6_addresses: Option<Vec<Address>>,
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    #[serde(
        rename = "AdditionalMACAddresses",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "AdditionalMacAddresses")]
    pub additional_mac_addresses: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectHostPort")]
pub struct InspectHostPort {
    #[serde(rename = "HostIp")]
    #[go(name = "HostIP")]
    pub host_ip: String,
    #[serde(rename = "HostPort")]
    pub host_port: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectAdditionalNetwork")]
pub struct InspectAdditionalNetwork {
    #[serde(flatten)]
    #[go(embed)]
    pub inspect_basic_network_config: InspectBasicNetworkConfig,
    #[serde(
        rename = "NetworkID",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "NetworkID")]
    pub network_id: String,
    #[serde(rename = "DriverOpts")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "IPAMConfig")]
    #[go(name = "IPAMConfig")]
    pub ipam_config: Option<BTreeMap<String, String>>,
    #[serde(rename = "Links")]
    pub links: Option<Vec<String>>,
    #[serde(rename = "Aliases", skip_serializing_if = "Option::is_none", default)]
    pub aliases: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectBlkioWeightDevice")]
pub struct InspectBlkioWeightDevice {
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Weight")]
    pub weight: u16,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectBlkioThrottleDevice")]
pub struct InspectBlkioThrottleDevice {
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Rate")]
    pub rate: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectDevice")]
pub struct InspectDevice {
    #[serde(rename = "PathOnHost")]
    pub path_on_host: String,
    #[serde(rename = "PathInContainer")]
    pub path_in_container: String,
    #[serde(rename = "CgroupPermissions")]
    pub cgroup_permissions: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectUlimit")]
pub struct InspectUlimit {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Soft")]
    pub soft: i64,
    #[serde(rename = "Hard")]
    pub hard: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectIDMappings")]
pub struct InspectIDMappings {
    #[serde(rename = "UidMap")]
    #[go(name = "UIDMap")]
    pub uid_map: Option<Vec<String>>,
    #[serde(rename = "GidMap")]
    #[go(name = "GIDMap")]
    pub gid_map: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectSecret")]
pub struct InspectSecret {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "ID")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "UID")]
    #[go(name = "UID")]
    pub uid: u32,
    #[serde(rename = "GID")]
    #[go(name = "GID")]
    pub gid: u32,
    #[serde(rename = "Mode")]
    pub mode: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.Address")]
pub struct Address {
    #[serde(rename = "Addr")]
    pub addr: String,
    #[serde(rename = "PrefixLength")]
    pub prefix_length: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.StartupHealthCheck")]
pub struct StartupHealthCheck {
    #[serde(flatten)]
    #[go(embed)]
    pub schema2_health_config: HealthConfig,
    #[serde(rename = "Successes", skip_serializing_if = "is_zero", default)]
    pub successes: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_json_keys_and_go_names() {
        let d = InspectContainerData {
            id: "abc".into(),
            state: Some(InspectContainerState {
                status: "running".into(),
                conmon_pid: 0,
                ..InspectContainerState::default()
            }),
            config: Some(InspectContainerConfig {
                labels: Some([("k".to_string(), "v".to_string())].into()),
                ..InspectContainerConfig::default()
            }),
            host_config: Some(InspectContainerHostConfig {
                network_mode: "none".into(),
                ..InspectContainerHostConfig::default()
            }),
            ..InspectContainerData::default()
        };
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["Id"], "abc");
        assert_eq!(j["State"]["Status"], "running");
        assert!(j["State"].get("ConmonPid").is_none(), "omitempty");
        assert_eq!(j["State"]["StartedAt"], "0001-01-01T00:00:00Z");
        assert_eq!(j["lockNumber"], 0);
        assert_eq!(j["HostConfig"]["NetworkMode"], "none");
        assert_eq!(j["HostConfig"]["MemorySwappiness"], 0);
        let out = gotmpl::render_value(
            "{{.ID}} {{.State.Status}} {{.Config.Labels.k}} {{.HostConfig.NetworkMode}} {{.LockNumber}}",
            &d.to_template(),
            "inspect",
        )
        .unwrap();
        assert_eq!(out, "abc running v none 0\n");
        let err = gotmpl::render_value("{{.Id}}", &d.to_template(), "inspect").unwrap_err();
        assert!(
            err.to_string()
                .contains("can't evaluate field Id in type *define.InspectContainerData"),
            "{err}"
        );
    }
}
