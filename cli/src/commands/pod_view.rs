//! `pod top` (processes of a pod's containers, read from /proc) and
//! `pod logs` (its members' logs, merged by time).

use std::collections::BTreeSet;

use clap::Args;
use rpod_engine::container::ContainerPaths;
use rpod_engine::logs::{parse_line, Stream};
use rpod_engine::state::ContainerRecord;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PodTopArgs {
    pod: String,
}

#[derive(Debug, Args)]
pub struct PodLogsArgs {
    /// Filter logs by container name or id which belongs to pod
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// Output the specified number of LINES at the end of the logs (per container)
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    tail: i64,
    /// Output the timestamps in the log
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Output the container name in the log
    #[arg(short = 'n', long)]
    names: bool,
    pod: String,
}

const TOP_FORMAT: &str =
    "table {{.User}}\t{{.PID}}\t{{.PPID}}\t{{.CPU}}\t{{.Elapsed}}\t{{.TTY}}\t{{.Time}}\t{{.Command}}";

/// One process, as /proc describes it.
struct Proc {
    pid: i32,
    ppid: i32,
    uid: u32,
    /// Clock ticks in user + system mode.
    ticks: u64,
    /// Start time in clock ticks after boot.
    start: u64,
    args: String,
}

fn read_proc(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ppid = f.get(1)?.parse().ok()?;
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let start = f.get(19)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|u| u.parse().ok())?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Proc {
        pid,
        ppid,
        uid,
        ticks,
        start,
        args,
    })
}

/// The processes of a container: its init process and all descendants.
fn container_processes(init: i32, all: &[Proc]) -> Vec<&Proc> {
    let mut pids: BTreeSet<i32> = BTreeSet::from([init]);
    loop {
        let before = pids.len();
        for p in all {
            if pids.contains(&p.ppid) {
                pids.insert(p.pid);
            }
        }
        if pids.len() == before {
            break;
        }
    }
    all.iter().filter(|p| pids.contains(&p.pid)).collect()
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

/// Podman's default `pod top` descriptors: user pid ppid pcpu etime tty
/// time args (host pids, as seen from the host).
pub async fn top(g: &Globals, a: PodTopArgs) -> CliResult {
    let engine = open_engine(g)?;
    let pod = engine.pod(&a.pod)?;
    let members = engine.pod_members(&pod.id)?;
    let running: Vec<&ContainerRecord> = members.iter().filter(|c| c.pid > 0).collect();
    if running.is_empty() {
        return Err(CliError::usage(format!(
            "pod top can only be used on pods with at least one running container: pod {} has none",
            pod.name
        )));
    }
    let all: Vec<Proc> = std::fs::read_dir("/proc")
        .map_err(|e| anyhow::anyhow!("reading /proc: {e}"))?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_proc)
        .collect();
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as u64;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let mut rows = Vec::new();
    for c in running {
        for p in container_processes(c.pid, &all) {
            let elapsed = (uptime - p.start as f64 / hz as f64).max(0.0);
            let cpu = if elapsed > 0.0 {
                p.ticks as f64 / hz as f64 / elapsed * 100.0
            } else {
                0.0
            };
            rows.push(serde_json::json!({
                "User": user_name(p.uid),
                "PID": p.pid.to_string(),
                "PPID": p.ppid.to_string(),
                "CPU": format!("{cpu:.3}"),
                "Elapsed": clock(elapsed as u64),
                "TTY": "?",
                "Time": clock(p.ticks / hz),
                "Command": p.args,
            }));
        }
    }
    let headers = crate::format::HeaderMap::new("pod top").with_all(&[
        ("CPU", "%CPU"),
        ("Elapsed", "ELAPSED"),
        ("Time", "TIME"),
        ("Command", "COMMAND"),
        ("User", "USER"),
    ]);
    super::common::print_listing(None, TOP_FORMAT, &rows, &headers, false)?;
    Ok(0)
}

/// Prints the logs of the pod's members (not its infra), merged in time
/// order, each line prefixed with its container's short id (or name).
pub async fn logs(g: &Globals, a: PodLogsArgs) -> CliResult {
    let engine = open_engine(g)?;
    let pod = engine.pod(&a.pod)?;
    let mut members: Vec<ContainerRecord> = engine
        .pod_members(&pod.id)?
        .into_iter()
        .filter(|c| !c.options.pod.as_ref().is_some_and(|m| m.infra))
        .collect();
    if let Some(want) = &a.container {
        members.retain(|c| &c.name == want || c.id.starts_with(want.as_str()));
        if members.is_empty() {
            return Err(CliError::usage(format!(
                "container {want} is not in pod {}",
                pod.name
            )));
        }
    }
    let mut lines: Vec<(i64, usize, String, bool)> = Vec::new();
    for c in &members {
        let path = ContainerPaths::new(engine.config(), &c.id).log;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(anyhow::anyhow!("reading log {}: {e}", path.display()).into()),
        };
        let prefix = if a.names {
            c.name.clone()
        } else {
            c.short_id().to_owned()
        };
        let mut mine: Vec<(i64, usize, String, bool)> = Vec::new();
        let mut current = String::new();
        for raw in text.lines() {
            let Some(l) = parse_line(raw) else { continue };
            if current.is_empty() {
                current = if a.timestamps {
                    format!("{prefix} {} ", l.time)
                } else {
                    format!("{prefix} ")
                };
            }
            current.push_str(l.text);
            if !l.partial {
                let n = lines.len() + mine.len();
                mine.push((
                    l.nanos,
                    n,
                    std::mem::take(&mut current),
                    l.stream == Stream::Stderr,
                ));
            }
        }
        if a.tail >= 0 {
            let skip = mine.len().saturating_sub(a.tail as usize);
            mine.drain(..skip);
        }
        lines.extend(mine);
    }
    lines.sort_by_key(|(t, n, _, _)| (*t, *n));
    for (_, _, text, stderr) in lines {
        if stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
    Ok(0)
}
