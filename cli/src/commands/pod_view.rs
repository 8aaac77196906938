//! `pod top` (processes of a pod's containers, read from /proc) and
//! `pod logs` (its members' logs, merged by time, followed).

use clap::Args;

use rpod_api::front_door::pods::PodTopOptions;

use super::common::{open_front_door, Globals};
use super::logs::{logs_options, print_logs, Prefix};
use crate::cli_error::CliResult;

#[derive(Debug, Args)]
pub struct PodTopArgs {
    /// Display the available format descriptors
    #[arg(long)]
    list_descriptors: bool,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// POD [FORMAT-DESCRIPTORS...]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
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

/// psgo's descriptors after the pod (Podman's default set without any),
/// aligned as `top` prints them.
pub async fn top(g: &Globals, a: PodTopArgs) -> CliResult {
    let engine = open_front_door(g)?;
    if a.list_descriptors {
        super::top::print_descriptors(&*engine);
        return Ok(0);
    }
    let (name, descriptors) = super::top::target_and_descriptors(
        a.latest,
        &a.args,
        "you must provide the name or id of a pod",
    )?;
    let options = PodTopOptions {
        name_or_id: name,
        latest: a.latest,
        descriptors: descriptors.to_vec(),
    };
    let report = engine.pod_top(options).await?;
    super::top::print_table(&report.value);
    Ok(0)
}

/// Prints the logs of the pod's members (not its infra), each line
/// prefixed with its container's short id (or name), lines of different
/// containers interleaved in time order. With `--follow`, until every one
/// of them has exited.
pub async fn logs(g: &Globals, a: PodLogsArgs) -> CliResult {
    let mut options = logs_options(a.follow, a.since.as_deref(), a.until.as_deref(), a.tail)?;
    options.times = a.timestamps;
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
