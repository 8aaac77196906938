//! `pod top` (processes of a pod's containers, read from /proc) and
//! `pod logs` (its members' logs, merged by time, followed).

use clap::Args;
use rpod_engine::state::ContainerRecord;

use super::common::{open_engine, Globals};
use super::logs::{logs_options, print_logs, Prefix};
use super::procfs::{all_processes, clock_ticks, descendants, uptime_secs, Proc};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PodTopArgs {
    pod: String,
}

#[derive(Debug, Args)]
pub struct PodLogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Show logs since TIMESTAMP (RFC 3339, Unix seconds, or a duration like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long)]
    until: Option<String>,
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

/// The processes of a container: its init process and all descendants.
fn container_processes(init: i32, all: &[Proc]) -> Vec<&Proc> {
    let pids = descendants(init, all);
    all.iter().filter(|p| pids.contains(&p.host_pid)).collect()
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
    let all = all_processes()?;
    let hz = clock_ticks();
    let uptime = uptime_secs();
    let mut rows = Vec::new();
    for c in running {
        for p in container_processes(c.pid, &all) {
            let elapsed = (uptime - p.start_ticks as f64 / hz as f64).max(0.0);
            let cpu = if elapsed > 0.0 {
                p.ticks as f64 / hz as f64 / elapsed * 100.0
            } else {
                0.0
            };
            rows.push(serde_json::json!({
                "User": user_name(p.uids[0]),
                "PID": p.host_pid.to_string(),
                "PPID": p.host_ppid.to_string(),
                "CPU": format!("{cpu:.3}"),
                "Elapsed": clock(elapsed as u64),
                "TTY": "?",
                "Time": clock(p.ticks / hz),
                "Command": p.args.join(" "),
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

/// Prints the logs of the pod's members (not its infra), each line
/// prefixed with its container's short id (or name), lines of different
/// containers interleaved in time order. With `--follow`, until every one
/// of them has exited.
pub async fn logs(g: &Globals, a: PodLogsArgs) -> CliResult {
    let options = logs_options(a.follow, a.since.as_deref(), a.until.as_deref(), a.tail)?;
    let prefix = if a.names {
        Prefix::Name
    } else {
        Prefix::ShortId
    };
    let request = rpod_api::logs::ContainerLogsRequest {
        target: rpod_api::logs::LogsTarget::Pod {
            pod: a.pod,
            container: a.container,
        },
        options,
    };
    print_logs(g, request, prefix, a.timestamps).await
}
