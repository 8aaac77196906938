//! `stats` and `pod stats`: resource use of containers, read from their
//! cgroups and network namespaces (Podman's `define.ContainerStats` and
//! `entities.PodStatsReport`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One interface's counters (Podman's `define.ContainerNetworkStats`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, gotmpl::ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "define.ContainerNetworkStats")]
pub struct ContainerNetworkStats {
    pub rx_bytes: u64,
    pub rx_dropped: u64,
    pub rx_errors: u64,
    pub rx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
    pub tx_errors: u64,
    pub tx_packets: u64,
}

/// One container's sample (Podman's `define.ContainerStats`). A container
/// that is not running has only its id and name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, gotmpl::ToTemplate)]
#[go(type = "define.ContainerStats")]
pub struct ContainerStats {
    /// CPU use since the container started, percent of one CPU.
    #[serde(rename = "AvgCPU")]
    #[go(name = "AvgCPU")]
    pub avg_cpu: f64,
    #[serde(rename = "ContainerID")]
    #[go(name = "ContainerID")]
    pub container_id: String,
    #[serde(rename = "Name")]
    #[go(name = "Name")]
    pub name: String,
    /// Nanoseconds per CPU (cgroup v1 `cpuacct.usage_percpu`).
    #[serde(rename = "PerCPU")]
    #[go(name = "PerCPU")]
    pub per_cpu: Vec<u64>,
    /// CPU use since the previous sample (or the start), percent.
    #[serde(rename = "CPU")]
    #[go(name = "CPU")]
    pub cpu: f64,
    /// CPU time used, nanoseconds.
    #[serde(rename = "CPUNano")]
    #[go(name = "CPUNano")]
    pub cpu_nano: u64,
    /// CPU time in kernel mode, nanoseconds.
    #[serde(rename = "CPUSystemNano")]
    #[go(name = "CPUSystemNano")]
    pub cpu_system_nano: u64,
    /// When the sample was taken, nanoseconds since the epoch.
    #[serde(rename = "SystemNano")]
    #[go(name = "SystemNano")]
    pub system_nano: u64,
    #[serde(rename = "MemUsage")]
    #[go(name = "MemUsage")]
    pub mem_usage: u64,
    /// The cgroup's limit, or the host's memory when it is higher or unset.
    #[serde(rename = "MemLimit")]
    #[go(name = "MemLimit")]
    pub mem_limit: u64,
    #[serde(rename = "MemPerc")]
    #[go(name = "MemPerc")]
    pub mem_perc: f64,
    /// By interface name (loopback left out).
    #[serde(rename = "Network")]
    #[go(name = "Network")]
    pub network: BTreeMap<String, ContainerNetworkStats>,
    #[serde(rename = "BlockInput")]
    #[go(name = "BlockInput")]
    pub block_input: u64,
    #[serde(rename = "BlockOutput")]
    #[go(name = "BlockOutput")]
    pub block_output: u64,
    #[serde(rename = "PIDs")]
    #[go(name = "PIDs")]
    pub pids: u64,
    /// CPU time used (Go's `time.Duration`, nanoseconds).
    #[serde(rename = "UpTime")]
    #[go(name = "UpTime")]
    pub up_time: u64,
    #[serde(rename = "Duration")]
    #[go(name = "Duration")]
    pub duration: u64,
}

impl ContainerStats {
    /// Received and sent bytes over every interface.
    pub fn net_io(&self) -> (u64, u64) {
        self.network
            .values()
            .fold((0, 0), |(r, t), n| (r + n.rx_bytes, t + n.tx_bytes))
    }
}

/// `stats [CONTAINER...]`: the names, `--latest` or `--all` (none of them:
/// the running containers).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerStatsOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    /// The previous samples of a stream: CPU percentages are over the time
    /// since them (since each container's start without one).
    pub previous: Vec<ContainerStats>,
}

/// `pod stats [POD...]` (no names and no `--latest`: every pod).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodStatsOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
}

/// One member of a pod (Podman's `entities.PodStatsReport`: text as
/// printed, `-- / --` and `--` for a member that does not run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, gotmpl::ToTemplate)]
#[go(type = "*entities.PodStatsReport")]
pub struct PodStatsReport {
    #[serde(rename = "CPU")]
    #[go(name = "CPU")]
    pub cpu: String,
    #[serde(rename = "MemUsage")]
    pub mem_usage: String,
    #[serde(rename = "MemUsageBytes")]
    pub mem_usage_bytes: String,
    #[serde(rename = "Mem")]
    pub mem: String,
    #[serde(rename = "NetIO")]
    #[go(name = "NetIO")]
    pub net_io: String,
    #[serde(rename = "BlockIO")]
    #[go(name = "BlockIO")]
    pub block_io: String,
    #[serde(rename = "PIDS")]
    #[go(name = "PIDS")]
    pub pids: String,
    #[serde(rename = "Pod")]
    pub pod: String,
    #[serde(rename = "CID")]
    #[go(name = "CID")]
    pub cid: String,
    #[serde(rename = "Name")]
    pub name: String,
}

/// `a / b` in go-units' decimal sizes (`HumanSize`).
pub fn human_pair(a: u64, b: u64) -> String {
    format!(
        "{} / {}",
        crate::units::human_size(a, 4),
        crate::units::human_size(b, 4)
    )
}

/// `a / b` in go-units' binary sizes (`BytesSize`: `1.5MiB`).
pub fn bytes_pair(a: u64, b: u64) -> String {
    format!("{} / {}", bytes_size(a), bytes_size(b))
}

/// go-units `BytesSize`: four significant digits, binary units.
pub fn bytes_size(n: u64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{}{}", crate::units::significant(v, 4), UNITS[unit])
}

/// `12.34%`.
pub fn percent(f: f64) -> String {
    format!("{f:.2}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_go_units_prints_them() {
        assert_eq!(human_pair(0, 1_500_000), "0B / 1.5MB");
        assert_eq!(bytes_pair(1024, 1536 * 1024), "1KiB / 1.5MiB");
        assert_eq!(percent(12.345_6), "12.35%");
    }
}
