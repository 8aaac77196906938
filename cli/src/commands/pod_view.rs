//! `pod top` (processes of a pod's containers, read from /proc) and
//! `pod logs` (its members' logs, merged by time, followed).

use clap::Args;

use rpod_api::front_door::pods::PodTopOptions;

use super::common::{open_front_door, Globals};
use super::logs::{logs_options, print_logs, Prefix};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PodTopArgs {
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    pod: Option<String>,
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

/// Podman's default `pod top` descriptors: user pid ppid pcpu etime tty
/// time args (host pids, as seen from the host).
pub async fn top(g: &Globals, a: PodTopArgs) -> CliResult {
    if a.pod.is_none() && !a.latest {
        return Err(CliError::usage("you must provide the name or id of a pod"));
    }
    let options = PodTopOptions {
        name_or_id: a.pod.unwrap_or_default(),
        latest: a.latest,
    };
    let processes = open_front_door(g)?.pod_top(options).await?;
    let rows: Vec<serde_json::Value> = processes
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::from)?;
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
