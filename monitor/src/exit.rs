//! The exit record: status decoding, OOM detection through the memory
//! cgroup, and the atomic exit file.

use std::fs;
use std::path::{Path, PathBuf};

use nix::sys::wait::WaitStatus;
use rpod_proto::ExitRecord;

use crate::fdio::atomic_write;

/// Shell-convention exit code and signal of a terminated process; `None`
/// for statuses that are not terminations.
pub fn code_of(status: WaitStatus) -> Option<(i32, Option<i32>)> {
    match status {
        WaitStatus::Exited(_, code) => Some((code, None)),
        WaitStatus::Signaled(_, sig, _) => Some((128 + sig as i32, Some(sig as i32))),
        _ => None,
    }
}

/// Unix time now in nanoseconds.
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Writes the record to `path` atomically.
pub fn write_exit_file(path: &Path, rec: &ExitRecord) -> std::io::Result<()> {
    let data = serde_json::to_vec(rec).map_err(std::io::Error::other)?;
    atomic_write(path, &data)
}

/// The memory cgroup counter file holding `oom_kill`, with the value seen
/// when the process started so earlier kills (of other exec sessions) do
/// not count.
pub struct OomWatch {
    file: Option<PathBuf>,
    baseline: u64,
}

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

impl OomWatch {
    /// Locates the counter for `pid` (from /proc/PID/cgroup while it runs),
    /// falling back to the configured cgroup path.
    pub fn new(pid: i32, cgroup_path: Option<&str>) -> OomWatch {
        let proc_cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let file =
            counter_file(&proc_cgroup).or_else(|| cgroup_path.and_then(configured_counter_file));
        let baseline = file.as_deref().and_then(read_oom_kill).unwrap_or(0);
        OomWatch { file, baseline }
    }

    /// Whether an OOM kill happened since the watch was created.
    pub fn oom_killed(&self) -> bool {
        self.file
            .as_deref()
            .and_then(read_oom_kill)
            .is_some_and(|n| n > self.baseline)
    }
}

/// Candidate counter files from the contents of /proc/PID/cgroup: the v1
/// memory controller's `memory.oom_control`, else the v2 `memory.events`.
fn counter_file(proc_cgroup: &str) -> Option<PathBuf> {
    let mut v2 = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let rel = path.trim_start_matches('/');
        if ctrls.split(',').any(|c| c == "memory") {
            let f = Path::new(CGROUP_ROOT)
                .join("memory")
                .join(rel)
                .join("memory.oom_control");
            if f.exists() {
                return Some(f);
            }
        } else if ctrls.is_empty() {
            v2 = [
                Path::new(CGROUP_ROOT).join(rel),
                Path::new(CGROUP_ROOT).join("unified").join(rel),
            ]
            .into_iter()
            .map(|d| d.join("memory.events"))
            .find(|f| f.exists());
        }
    }
    v2
}

/// Counter file for an OCI `cgroupsPath` of the cgroupfs form (`/a/b`).
fn configured_counter_file(path: &str) -> Option<PathBuf> {
    if !path.starts_with('/') {
        return None;
    }
    let rel = path.trim_start_matches('/');
    [
        Path::new(CGROUP_ROOT)
            .join("memory")
            .join(rel)
            .join("memory.oom_control"),
        Path::new(CGROUP_ROOT).join(rel).join("memory.events"),
    ]
    .into_iter()
    .find(|f| f.exists())
}

/// Reads the `oom_kill N` line of a counter file.
fn read_oom_kill(file: &Path) -> Option<u64> {
    parse_oom_kill(&fs::read_to_string(file).ok()?)
}

fn parse_oom_kill(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;
    use nix::unistd::Pid;

    #[test]
    fn codes() {
        let p = Pid::from_raw(1);
        assert_eq!(code_of(WaitStatus::Exited(p, 42)), Some((42, None)));
        assert_eq!(
            code_of(WaitStatus::Signaled(p, Signal::SIGKILL, false)),
            Some((137, Some(9)))
        );
    }

    #[test]
    fn parses_both_counter_formats() {
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"),
            Some(3)
        );
        assert_eq!(
            parse_oom_kill("low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n"),
            Some(1)
        );
        assert_eq!(parse_oom_kill("low 0\n"), None);
    }
}
