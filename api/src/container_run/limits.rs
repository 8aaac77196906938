//! The security and resource settings of a `create`/`run` (Podman's
//! `--cap-add`, `--security-opt`, `--memory`, `--cpus`, ...), already
//! parsed: sizes in bytes, CPUs in nano-CPUs, capability names normalized.

use serde::{Deserialize, Serialize};

/// `--privileged`, `--cap-add`/`--cap-drop`, `--security-opt`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySpec {
    /// `--privileged`: every capability, the host's devices, no masked or
    /// read-only paths, no seccomp filter (unless a profile is named).
    #[serde(default)]
    pub privileged: bool,
    /// `--cap-add`: `CAP_`-prefixed upper-case names, or `ALL`.
    #[serde(default)]
    pub cap_add: Vec<String>,
    /// `--cap-drop`: as `cap_add`.
    #[serde(default)]
    pub cap_drop: Vec<String>,
    /// `--security-opt seccomp=`: a profile file or `unconfined`; `None`
    /// for the default profile.
    #[serde(default)]
    pub seccomp_profile: Option<String>,
    /// `--security-opt no-new-privileges`.
    #[serde(default)]
    pub no_new_privileges: bool,
    /// `--security-opt mask=`: more paths to mask.
    #[serde(default)]
    pub mask: Vec<String>,
    /// `--security-opt unmask=`: paths (or `ALL`) taken off the masked and
    /// read-only lists.
    #[serde(default)]
    pub unmask: Vec<String>,
    /// More paths made read-only, as `mask` masks more (a CRI container's
    /// `readonly_paths`; Podman has no flag for it). Not with `privileged`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readonly: Vec<String>,
    /// `--security-opt label=...` values (`disable`, `type:...`): SELinux
    /// is disabled on the hosts rpod supports, so they only show in inspect
    /// (Podman ignores them there too).
    #[serde(default)]
    pub label: Vec<String>,
    /// `--sysctl KEY=VALUE`: namespaced sysctls only (Podman's list).
    #[serde(default)]
    pub sysctls: Vec<(String, String)>,
    /// `--device HOST[:CONTAINER[:PERMISSIONS]]`.
    #[serde(default)]
    pub devices: Vec<DeviceSpec>,
    /// `--device-cgroup-rule "TYPE MAJOR:MINOR ACCESS"`.
    #[serde(default)]
    pub device_cgroup_rules: Vec<String>,
    /// `--init`: an init binary (catatonit) bind-mounted at
    /// `/run/podman-init` runs as PID 1 with the command after `--`.
    #[serde(default)]
    pub init: bool,
    /// `--init-path`: the init binary (default: catatonit).
    #[serde(default)]
    pub init_path: Option<String>,
    /// The capability set `cap_add`/`cap_drop` apply to: containers.conf's
    /// `default_capabilities` when the container was created (normalized
    /// names), `None` for Podman's default set. The engine sets it at
    /// create from its configuration, whatever a request says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_capabilities: Option<Vec<String>>,
}

/// One `--device`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSpec {
    /// The device node on the host.
    pub host: String,
    /// Where it appears in the container (default: the host path).
    pub container: String,
    /// `r`, `w`, `m` in any combination (default `rwm`).
    pub permissions: String,
}

/// One `--ulimit TYPE=SOFT[:HARD]` (`-1`: unlimited).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    /// The name without `RLIMIT_` (`nofile`, `nproc`, ...).
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// The `--ulimit` types (go-units' list).
pub const ULIMIT_TYPES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

impl std::str::FromStr for Ulimit {
    /// The message, in go-units' `ParseUlimit` words.
    type Err = String;

    /// `TYPE=SOFT[:HARD]`, as `--ulimit` and containers.conf's
    /// `default_ulimits` give it.
    fn from_str(v: &str) -> Result<Ulimit, String> {
        let (name, limits) = v
            .split_once('=')
            .ok_or_else(|| format!("invalid ulimit argument: {v}"))?;
        if !ULIMIT_TYPES.contains(&name) {
            return Err(format!("invalid ulimit type: {name}"));
        }
        let num = |s: &str| {
            s.parse::<i64>().map_err(|_| {
                format!(
                    "invalid ulimit argument: {v}: strconv.ParseInt: parsing {s:?}: invalid syntax"
                )
            })
        };
        let (soft, hard) = match limits.split_once(':') {
            Some((s, h)) => (num(s)?, num(h)?),
            None => (num(limits)?, num(limits)?),
        };
        // -1 (unlimited) is above every number.
        let above = |a: i64, b: i64| b != -1 && (a == -1 || a > b);
        if above(soft, hard) {
            let show = |n: i64| {
                if n == -1 {
                    "-1 (unlimited)".to_owned()
                } else {
                    n.to_string()
                }
            };
            return Err(format!(
                "ulimit option {v:?} requires name=SOFT:HARD, failed to be parsed: ulimit soft limit must be less than or equal to hard limit: soft: {}, hard: {}",
                show(soft),
                show(hard)
            ));
        }
        Ok(Ulimit {
            name: name.to_owned(),
            soft,
            hard,
        })
    }
}

/// One `--blkio-weight-device` or `--device-read-bps`-style entry: a
/// block device and its weight or rate (bytes or operations per second).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlkioDevice {
    pub path: String,
    pub value: u64,
}

/// Resource limits: `linux.resources` of the runtime spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSpec {
    /// `--memory`, bytes.
    #[serde(default)]
    pub memory: Option<i64>,
    /// `--memory-swap`, bytes (memory + swap); `-1` unlimited.
    #[serde(default)]
    pub memory_swap: Option<i64>,
    /// `--memory-reservation`, bytes.
    #[serde(default)]
    pub memory_reservation: Option<i64>,
    /// `--memory-swappiness`, 0..=100.
    #[serde(default)]
    pub memory_swappiness: Option<u64>,
    /// `--oom-kill-disable`.
    #[serde(default)]
    pub oom_kill_disable: bool,
    /// `--oom-score-adj`, -1000..=1000.
    #[serde(default)]
    pub oom_score_adj: Option<i32>,
    /// `--cpus` in billionths of a CPU.
    #[serde(default)]
    pub nano_cpus: Option<i64>,
    /// `--cpu-shares`.
    #[serde(default)]
    pub cpu_shares: Option<u64>,
    /// `--cpu-period`, microseconds.
    #[serde(default)]
    pub cpu_period: Option<u64>,
    /// `--cpu-quota`, microseconds.
    #[serde(default)]
    pub cpu_quota: Option<i64>,
    /// `--cpu-rt-period`, microseconds (cgroup v1 real-time scheduling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<u64>,
    /// `--cpu-rt-runtime`, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    /// `--cpuset-cpus`.
    #[serde(default)]
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`.
    #[serde(default)]
    pub cpuset_mems: Option<String>,
    /// `--pids-limit`; `-1` (or 0) unlimited.
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// `--ulimit`.
    #[serde(default)]
    pub ulimits: Vec<Ulimit>,
    /// `--ulimit host`: the host's limits, not containers.conf's
    /// `default_ulimits`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ulimit_host: bool,
    /// `--blkio-weight`, 10..=1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_weight: Option<u16>,
    /// `--blkio-weight-device PATH:WEIGHT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blkio_weight_device: Vec<BlkioDevice>,
    /// `--device-read-bps PATH:RATE`, bytes per second.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<BlkioDevice>,
    /// `--device-write-bps PATH:RATE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<BlkioDevice>,
    /// `--device-read-iops PATH:RATE`, operations per second.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<BlkioDevice>,
    /// `--device-write-iops PATH:RATE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<BlkioDevice>,
    /// `--shm-size`: bytes of the /dev/shm tmpfs (default 64 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
}

impl ResourceSpec {
    /// CFS period and quota for `--cpus` (Podman's `CoresToPeriodAndQuota`:
    /// a 100ms period).
    pub fn cpus_period_quota(nano_cpus: i64) -> (u64, i64) {
        const PERIOD: u64 = 100_000;
        let quota = (nano_cpus as i128 * PERIOD as i128 / 1_000_000_000) as i64;
        (PERIOD, quota)
    }
}

/// The capabilities Linux knows, by number (`CAP_LAST_CAP` is 40).
pub const KNOWN_CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// containers/common's `NormalizeCapabilities`: upper case, `CAP_` added
/// when missing, `ALL` kept; an unknown name is its error
/// (`"CAP_FOO": unknown capability`).
pub fn normalize_capabilities(caps: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(caps.len());
    for c in caps {
        let mut c = c.to_ascii_uppercase();
        if c != "ALL" {
            if !c.starts_with("CAP_") {
                c = format!("CAP_{c}");
            }
            if !KNOWN_CAPABILITIES.contains(&c.as_str()) {
                return Err(format!("{c:?}: unknown capability"));
            }
        }
        out.push(c);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_normalized_as_podman() {
        let given = ["net_admin", "CAP_CHOWN", "all"].map(String::from);
        assert_eq!(
            normalize_capabilities(&given).unwrap(),
            ["ALL", "CAP_CHOWN", "CAP_NET_ADMIN"]
        );
        assert_eq!(
            normalize_capabilities(&["foo".into()]).unwrap_err(),
            "\"CAP_FOO\": unknown capability"
        );
    }

    #[test]
    fn cpus_become_a_100ms_period_and_quota() {
        assert_eq!(
            ResourceSpec::cpus_period_quota(500_000_000),
            (100_000, 50_000)
        );
        assert_eq!(
            ResourceSpec::cpus_period_quota(2_000_000_000),
            (100_000, 200_000)
        );
    }
}
