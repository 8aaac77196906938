//! `pod top`: the processes of a pod's running containers, read from the
//! host's /proc, with Podman's default descriptors (user pid ppid pcpu
//! etime tty time args; host pids).
//! /proc is read by the same reader as `top` (`container::procfs`).

use rpod_api::front_door::pods::PodTopProcess;
use rpod_api::{Error, ErrorKind, Result};

use crate::container::procfs::{all_processes, clock_ticks, descendants, uptime_secs};
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
                user: user_name(p.uids[0]),
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
