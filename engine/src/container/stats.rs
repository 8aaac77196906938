//! `stats`: one sample of a container's resource use, read from its cgroup
//! (v1 controllers, or the unified hierarchy on a v2 host) and from its
//! network namespace (`/proc/PID/net/dev`) — files only, no runtime call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rpod_api::stats::{ContainerNetworkStats, ContainerStats};

use super::options::NetworkMode;
use crate::runtime::{cgroup_mode, CgroupMode};
use crate::state::{ContainerRecord, ContainerState};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// What a cgroup says about its processes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CgroupSample {
    pub cpu_nanos: u64,
    pub cpu_system_nanos: u64,
    pub per_cpu: Vec<u64>,
    pub mem_usage: u64,
    /// `None`: no limit.
    pub mem_limit: Option<u64>,
    pub pids: u64,
    pub blk_read: u64,
    pub blk_write: u64,
}

fn read(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

fn read_u64(path: &Path) -> std::io::Result<u64> {
    let s = read(path)?;
    let s = s.trim();
    if s == "max" {
        return Ok(u64::MAX);
    }
    s.parse()
        .map_err(|_| std::io::Error::other(format!("{}: not a number: {s:?}", path.display())))
}

/// `KEY VALUE` lines (`cpu.stat`, `memory.stat`): the value of `key`.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The v1 blkio byte counters: CFQ/BFQ's, else the throttle layer's
/// (`MAJ:MIN Read N` lines).
fn v1_block_io(dir: &Path) -> (u64, u64) {
    for file in [
        "blkio.io_service_bytes_recursive",
        "blkio.throttle.io_service_bytes_recursive",
    ] {
        let Ok(text) = read(&dir.join(file)) else {
            continue;
        };
        let (mut r, mut w) = (0u64, 0u64);
        let mut any = false;
        for l in text.lines() {
            let mut f = l.split_whitespace();
            let (Some(_dev), Some(op), Some(n)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let n: u64 = n.parse().unwrap_or(0);
            match op {
                "Read" => (r, any) = (r + n, true),
                "Write" => (w, any) = (w + n, true),
                _ => {}
            }
        }
        if any {
            return (r, w);
        }
    }
    (0, 0)
}

/// cgroup v1: each controller's directory for `rel`.
fn sample_v1(rel: &str) -> std::io::Result<CgroupSample> {
    let ctl = |c: &str| PathBuf::from(CGROUP_ROOT).join(c).join(rel);
    let cpuacct = ctl("cpuacct");
    let memory = ctl("memory");
    let per_cpu = read(&cpuacct.join("cpuacct.usage_percpu"))
        .map(|t| {
            t.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // cpuacct.stat is in clock ticks.
    let system_ticks = read(&cpuacct.join("cpuacct.stat"))
        .ok()
        .and_then(|t| keyed(&t, "system"))
        .unwrap_or(0);
    let limit = read_u64(&memory.join("memory.limit_in_bytes"))?;
    let (blk_read, blk_write) = v1_block_io(&ctl("blkio"));
    Ok(CgroupSample {
        cpu_nanos: read_u64(&cpuacct.join("cpuacct.usage"))?,
        cpu_system_nanos: system_ticks
            .saturating_mul(1_000_000_000 / super::procfs::clock_ticks().max(1)),
        per_cpu,
        mem_usage: read_u64(&memory.join("memory.usage_in_bytes"))?,
        // The kernel's "no limit" is the largest page-aligned value.
        mem_limit: (limit < (i64::MAX as u64) / 4096 * 4096).then_some(limit),
        pids: read_u64(&ctl("pids").join("pids.current")).unwrap_or(0),
        blk_read,
        blk_write,
    })
}

/// cgroup v2: one directory with every controller's files.
fn sample_v2(rel: &str) -> std::io::Result<CgroupSample> {
    let dir = PathBuf::from(CGROUP_ROOT).join(rel);
    let cpu = read(&dir.join("cpu.stat"))?;
    let usec = |k: &str| keyed(&cpu, k).unwrap_or(0).saturating_mul(1000);
    let (mut blk_read, mut blk_write) = (0u64, 0u64);
    if let Ok(io) = read(&dir.join("io.stat")) {
        for field in io.split_whitespace() {
            match field.split_once('=') {
                Some(("rbytes", n)) => blk_read += n.parse().unwrap_or(0),
                Some(("wbytes", n)) => blk_write += n.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let limit = read_u64(&dir.join("memory.max"))?;
    Ok(CgroupSample {
        cpu_nanos: usec("usage_usec"),
        cpu_system_nanos: usec("system_usec"),
        per_cpu: Vec::new(),
        mem_usage: read_u64(&dir.join("memory.current"))?,
        mem_limit: (limit != u64::MAX).then_some(limit),
        pids: read_u64(&dir.join("pids.current")).unwrap_or(0),
        blk_read,
        blk_write,
    })
}

/// The sample of the cgroup at `cgroups_path` (as in the OCI spec).
pub fn sample_cgroup(cgroups_path: &str) -> std::io::Result<CgroupSample> {
    let rel = cgroups_path.trim_start_matches('/');
    match cgroup_mode() {
        CgroupMode::Unified => sample_v2(rel),
        CgroupMode::Hybrid | CgroupMode::Legacy => sample_v1(rel),
    }
}

/// The interfaces of `/proc/PID/net/dev` (the process's network
/// namespace), loopback left out.
pub fn net_dev(pid: i32) -> std::io::Result<BTreeMap<String, ContainerNetworkStats>> {
    let text = read(Path::new(&format!("/proc/{pid}/net/dev")))?;
    Ok(parse_net_dev(&text))
}

fn parse_net_dev(text: &str) -> BTreeMap<String, ContainerNetworkStats> {
    let mut out = BTreeMap::new();
    // Two header lines, then `name: rx(8 fields) tx(8 fields)`.
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name == "lo" {
            continue;
        }
        let n: Vec<u64> = rest
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        if n.len() < 16 {
            continue;
        }
        out.insert(
            name.to_owned(),
            ContainerNetworkStats {
                rx_bytes: n[0],
                rx_packets: n[1],
                rx_errors: n[2],
                rx_dropped: n[3],
                tx_bytes: n[8],
                tx_packets: n[9],
                tx_errors: n[10],
                tx_dropped: n[11],
            },
        );
    }
    out
}

/// The host's memory (`sysinfo`'s total RAM), Podman's limit for a
/// container without one.
fn host_memory() -> u64 {
    nix::sys::sysinfo::sysinfo()
        .map(|s| s.ram_total())
        .unwrap_or(0)
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// CPU use between two points, percent (Podman's `calculateCPUPercent`).
fn cpu_percent(cpu_now: u64, cpu_before: u64, now: u64, before: u64) -> f64 {
    let cpu = cpu_now.saturating_sub(cpu_before) as f64;
    let wall = now.saturating_sub(before) as f64;
    if wall > 0.0 && cpu > 0.0 {
        cpu / wall * 100.0
    } else {
        0.0
    }
}

/// The stats of `rec` (reconciled), against `previous` (the same
/// container's last sample of a stream). A container that does not run
/// has its id and name only; one whose cgroup is gone (it exited just
/// now) gives `None`.
pub fn container_stats(
    rec: &ContainerRecord,
    previous: Option<&ContainerStats>,
) -> Option<ContainerStats> {
    let mut s = ContainerStats {
        container_id: rec.id.clone(),
        name: rec.name.clone(),
        ..ContainerStats::default()
    };
    let live = matches!(rec.state, ContainerState::Running | ContainerState::Paused);
    if !live || rec.pid <= 0 {
        return Some(s);
    }
    let cg = match sample_cgroup(&super::placement::cgroups_path(rec)) {
        Ok(cg) => cg,
        Err(e) => {
            tracing::debug!(container = %rec.id, "stats: {e}");
            return None;
        }
    };
    if !matches!(rec.options.network, NetworkMode::Host) {
        s.network = net_dev(rec.pid).unwrap_or_default();
    }
    let started = rec.started_at.map_or(0, |t| u64::try_from(t).unwrap_or(0));
    // A restarted container has a new cgroup: its counter starts again.
    let previous = previous.filter(|p| p.duration <= cg.cpu_nanos);
    let (cpu_before, before) = previous.map_or((0, started), |p| (p.cpu_nano, p.system_nano));
    let now = now_nanos();
    let host = host_memory();
    s.cpu = cpu_percent(cg.cpu_nanos, cpu_before, now, before);
    s.avg_cpu = cpu_percent(cg.cpu_nanos, 0, now, started);
    s.cpu_nano = cg.cpu_nanos;
    s.cpu_system_nano = cg.cpu_system_nanos;
    s.system_nano = now;
    s.per_cpu = cg.per_cpu;
    s.duration = cg.cpu_nanos;
    s.up_time = cg.cpu_nanos;
    s.mem_usage = cg.mem_usage;
    s.mem_limit = match cg.mem_limit {
        Some(l) if host == 0 || l <= host => l,
        _ => host,
    };
    if s.mem_limit > 0 {
        s.mem_perc = s.mem_usage as f64 / s.mem_limit as f64 * 100.0;
    }
    s.pids = cg.pids;
    s.block_input = cg.blk_read;
    s.block_output = cg.blk_write;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_skips_loopback_and_headers() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0\n";
        let m = parse_net_dev(text);
        assert_eq!(m.len(), 1);
        let e = &m["eth0"];
        assert_eq!(
            (e.rx_bytes, e.rx_packets, e.rx_errors, e.rx_dropped),
            (1500, 10, 1, 2)
        );
        assert_eq!(
            (e.tx_bytes, e.tx_packets, e.tx_errors, e.tx_dropped),
            (700, 5, 3, 4)
        );
    }

    #[test]
    fn cpu_percent_over_the_interval() {
        assert_eq!(cpu_percent(150, 100, 1100, 1000), 50.0);
        assert_eq!(cpu_percent(100, 100, 1100, 1000), 0.0);
        assert_eq!(cpu_percent(100, 0, 1000, 1000), 0.0);
    }

    #[test]
    fn keyed_values() {
        assert_eq!(keyed("usage_usec 12\nuser_usec 3\n", "user_usec"), Some(3));
        assert_eq!(keyed("usage_usec 12\n", "system_usec"), None);
    }
}
