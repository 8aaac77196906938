//! `pod top`: the processes of a pod's running containers, read from the
//! host's /proc, with Podman's default descriptors (user pid ppid pcpu
//! etime tty time args; host pids).
//!
//! The /proc reader is the few fields `pod top` needs; it goes when the
//! engine gets the one reader `top` and `pod top` share.

use rpod_api::front_door::pods::PodTopProcess;
use rpod_api::{Error, ErrorKind, Result};

use crate::engine::Engine;
use crate::pod::PodHandle;

pub(super) async fn top(engine: &Engine, pod: PodHandle) -> Result<Vec<PodTopProcess>> {
    let members = engine.pod_members(&pod.id)?;
    let inits: Vec<i32> = members.iter().map(|c| c.pid).filter(|p| *p > 0).collect();
    if inits.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidState,
            format!(
                "pod top can only be used on pods with at least one running container: pod {} has none",
                pod.name
            ),
        ));
    }
    let all = all_processes()?;
    let hz = clock_ticks();
    let uptime = uptime_secs();
    let mut rows = Vec::new();
    for init in inits {
        let pids = descendants(init, &all);
        for p in all.iter().filter(|p| pids.contains(&p.host_pid)) {
            let elapsed = (uptime - p.start_ticks as f64 / hz as f64).max(0.0);
            let cpu = if elapsed > 0.0 {
                p.ticks as f64 / hz as f64 / elapsed * 100.0
            } else {
                0.0
            };
            rows.push(PodTopProcess {
                user: user_name(p.uid),
                pid: p.host_pid.to_string(),
                ppid: p.host_ppid.to_string(),
                cpu: format!("{cpu:.3}"),
                elapsed: clock(elapsed as u64),
                tty: "?".into(),
                time: clock(p.ticks / hz),
                command: p.args.join(" "),
            });
        }
    }
    Ok(rows)
}

/// One process as the host's /proc shows it.
struct Proc {
    host_pid: i32,
    host_ppid: i32,
    uid: u32,
    /// User plus system time.
    ticks: u64,
    /// Start time after boot.
    start_ticks: u64,
    args: Vec<String>,
}

fn read_proc(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, tail) = stat.rsplit_once(')')?;
    let f: Vec<&str> = tail.split_whitespace().collect();
    // Fields after the command, counted from `state` (field 3) as 0.
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(Proc {
        host_pid: pid,
        host_ppid: i32::try_from(num(1)).unwrap_or(0),
        uid,
        ticks: num(11) + num(12),
        start_ticks: num(19),
        args,
    })
}

fn all_processes() -> Result<Vec<Proc>> {
    Ok(std::fs::read_dir("/proc")
        .map_err(|e| Error::other(format!("reading /proc: {e}")))?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_proc)
        .collect())
}

/// Host pids of `init` and all its descendants among `all`.
fn descendants(init: i32, all: &[Proc]) -> Vec<i32> {
    let mut keep = vec![init];
    loop {
        let before = keep.len();
        for p in all {
            if keep.contains(&p.host_ppid) && !keep.contains(&p.host_pid) {
                keep.push(p.host_pid);
            }
        }
        if keep.len() == before {
            return keep;
        }
    }
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}

fn uptime_secs() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(uid.into())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

fn clock(secs: u64) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process_and_its_tree() {
        let me = i32::try_from(std::process::id()).unwrap();
        let all = all_processes().unwrap();
        let p = all.iter().find(|p| p.host_pid == me).unwrap();
        assert!(!p.args.is_empty());
        assert!(descendants(p.host_ppid, &all).contains(&me));
        assert_eq!(clock(3725), "01:02:05");
    }
}
