//! `pod top` (processes of a pod's containers, read from /proc) and
//! `pod logs` (its members' logs, merged by time, followed).

use std::io::Write;

use clap::Args;
use rpod_engine::container::ContainerPaths;
use rpod_engine::state::ContainerRecord;

use rpod_api::front_door::pods::PodTopOptions;

use super::common::{open_engine, open_front_door, Globals};
use super::log_source::{tail, take_lines, LogSource, Printer, TimeFilter, FOLLOW_INTERVAL};
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
    let filter = TimeFilter::parse(a.since.as_deref(), a.until.as_deref())?;
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
    let mut sources: Vec<Member> = members
        .iter()
        .map(|c| {
            let prefix = if a.names {
                c.name.clone()
            } else {
                c.short_id().to_owned()
            };
            Member {
                id: c.id.clone(),
                source: LogSource::new(&ContainerPaths::new(engine.config(), &c.id).log),
                printer: Printer::new(a.timestamps, Some(prefix), filter),
                pending: Vec::new(),
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();

    // The backlog, --tail per container.
    for m in &mut sources {
        m.source.poll(&mut m.pending)?;
        tail(&mut m.pending, a.tail);
    }
    print_merged(&mut sources, &mut out, &mut err)?;
    if a.follow {
        loop {
            let mut live = false;
            for m in &sources {
                if let Ok(h) = engine.container(&m.id) {
                    live |= h.get().await.is_ok_and(|r| r.state.has_monitor());
                }
            }
            // All exited: their monitors wrote everything, this read gets the rest.
            for m in &mut sources {
                m.source.poll(&mut m.pending)?;
            }
            print_merged(&mut sources, &mut out, &mut err)?;
            if !live {
                break;
            }
            out.flush().ok();
            tokio::time::sleep(FOLLOW_INTERVAL).await;
        }
    }
    // Lines nobody finished (a member killed mid-line).
    for m in &mut sources {
        for r in std::mem::take(&mut m.pending) {
            m.printer.print(&r, &mut out, &mut err)?;
        }
    }
    Ok(0)
}

/// One member's log being read.
struct Member {
    id: String,
    source: LogSource,
    printer: Printer,
    /// Records read but not printed: an unfinished line.
    pending: Vec<String>,
}

/// Prints the complete lines read from every member, ordered by time
/// (ties keep the member order); unfinished lines wait for their end.
fn print_merged(
    members: &mut [Member],
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> CliResult<()> {
    let mut lines: Vec<(i64, usize, Vec<String>)> = Vec::new();
    for (i, m) in members.iter_mut().enumerate() {
        lines.extend(
            take_lines(&mut m.pending)
                .into_iter()
                .map(|(t, l)| (t, i, l)),
        );
    }
    // Stable: a member's own lines keep their order.
    lines.sort_by_key(|(t, i, _)| (*t, *i));
    for (_, i, records) in lines {
        for r in &records {
            members[i].printer.print(r, out, err)?;
        }
    }
    Ok(())
}
