//! `ps`: list containers, reconciled with their monitors.

use clap::Args;
use rpod_engine::container::inspect::format_time;
use rpod_engine::state::{ContainerRecord, ContainerState};
use serde_json::{json, Value};

use super::common::{open_engine, print_listing, Globals};
use crate::cli_error::CliResult;
use crate::format::{self, HeaderMap};
use crate::human;

const DEFAULT_FORMAT: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/// Podman's `ps` column headers.
pub const HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("CreatedHuman", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("ExitCode", "EXIT CODE"),
    ("Pod", "POD ID"),
    ("PodName", "PODNAME"),
];

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Print only the container IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate the output
    #[arg(long)]
    no_trunc: bool,
    /// Pretty-print containers to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Print the n last created containers (all states)
    #[arg(short = 'n', long)]
    last: Option<usize>,
    /// Show the latest container created (all states)
    #[arg(short = 'l', long)]
    latest: bool,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
    /// Display the pods the containers are associated with
    #[arg(short = 'p', long)]
    pod: bool,
}

/// A container's pod: (short or full pod id, pod name, is infra).
fn pod_of<'a>(
    c: &ContainerRecord,
    pods: &'a std::collections::HashMap<String, String>,
    no_trunc: bool,
) -> (String, &'a str, bool) {
    match &c.options.pod {
        Some(m) => (
            if no_trunc {
                m.pod_id.clone()
            } else {
                m.pod_id.chars().take(12).collect()
            },
            pods.get(&m.pod_id).map(String::as_str).unwrap_or(""),
            m.infra,
        ),
        None => (String::new(), "", false),
    }
}

fn status(c: &ContainerRecord) -> String {
    match c.state {
        ContainerState::Created => "Created".into(),
        ContainerState::Initialized => "Initialized".into(),
        ContainerState::Running => {
            format!("Up {}", human::since(c.started_at.unwrap_or(c.created_at)))
        }
        ContainerState::Paused => {
            format!(
                "Up {} (Paused)",
                human::since(c.started_at.unwrap_or(c.created_at))
            )
        }
        ContainerState::Stopping => "Stopping".into(),
        ContainerState::Removing => "Removing".into(),
        ContainerState::Exited => format!(
            "Exited ({}) {} ago",
            c.exit_code.unwrap_or(0),
            human::since(c.finished_at.unwrap_or(c.created_at))
        ),
    }
}

fn command_text(c: &ContainerRecord, no_trunc: bool) -> String {
    let cmd = c.command.join(" ");
    if !no_trunc && cmd.chars().count() > 17 {
        format!("{}...", cmd.chars().take(17).collect::<String>())
    } else {
        cmd
    }
}

fn labels(c: &ContainerRecord) -> std::collections::BTreeMap<&str, &str> {
    c.options
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The row a Go template sees (Podman's ps field names).
fn template_row(
    c: &ContainerRecord,
    no_trunc: bool,
    pods: &std::collections::HashMap<String, String>,
) -> Value {
    let (pod, pod_name, infra) = pod_of(c, pods, no_trunc);
    let created = human::since(c.created_at) + " ago";
    json!({
        "ID": if no_trunc { c.id.as_str() } else { c.short_id() },
        "Image": c.image_name,
        "ImageID": c.image_id,
        "Command": command_text(c, no_trunc),
        "CreatedHuman": created,
        "RunningFor": created,
        "CreatedAt": format_time(c.created_at),
        "Created": c.created_at / 1_000_000_000,
        "Status": status(c),
        "State": c.state.as_str(),
        "Ports": "",
        "Names": c.name,
        "Labels": labels(c),
        "Pid": c.pid,
        "ExitCode": c.exit_code.unwrap_or(0),
        "Exited": c.state == ContainerState::Exited,
        "AutoRemove": c.options.remove,
        "Mounts": c.options.mounts.iter().map(|m| m.destination.clone()).collect::<Vec<_>>(),
        "Networks": Vec::<String>::new(),
        "Pod": pod,
        "PodName": pod_name,
        "Size": Value::Null,
        "IsInfra": infra,
    })
}

/// The objects of `--format json` (Podman's ListContainer JSON).
fn json_row(c: &ContainerRecord, pods: &std::collections::HashMap<String, String>) -> Value {
    let (pod, pod_name, infra) = pod_of(c, pods, true);
    json!({
        "AutoRemove": c.options.remove,
        "Command": c.command,
        "CreatedAt": human::since(c.created_at) + " ago",
        "Exited": c.state == ContainerState::Exited,
        "ExitedAt": c.finished_at.map(|n| n / 1_000_000_000).unwrap_or(0),
        "ExitCode": c.exit_code.unwrap_or(0),
        "Id": c.id,
        "Image": c.image_name,
        "ImageID": c.image_id,
        "IsInfra": infra,
        "Labels": labels(c),
        "Mounts": c.options.mounts.iter().map(|m| m.destination.clone()).collect::<Vec<_>>(),
        "Names": [c.name],
        "Namespaces": {},
        "Networks": [],
        "Pid": c.pid,
        "Pod": pod,
        "PodName": pod_name,
        "Ports": Value::Null,
        "Size": Value::Null,
        "StartedAt": c.started_at.map(|n| n / 1_000_000_000).unwrap_or(0),
        "State": c.state.as_str(),
        "Status": status(c),
        "Created": c.created_at / 1_000_000_000,
    })
}

pub async fn run(g: &Globals, a: PsArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut containers = engine.containers()?;
    let last = if a.latest { Some(1) } else { a.last };
    if let Some(n) = last {
        let skip = containers.len().saturating_sub(n);
        containers.drain(..skip);
    } else if !a.all {
        containers.retain(|c| {
            matches!(
                c.state,
                ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
            )
        });
    }
    // Newest first, as Podman lists them.
    containers.reverse();
    if a.quiet && a.format.is_none() {
        for c in &containers {
            println!(
                "{}",
                if a.no_trunc {
                    c.id.as_str()
                } else {
                    c.short_id()
                }
            );
        }
        return Ok(0);
    }
    let headers = HeaderMap::new("ps")
        .with_all(HEADERS)
        .json_style("  ", true)
        .row_type("containers.psReporter");
    let pods: std::collections::HashMap<String, String> =
        engine.pods()?.into_iter().map(|p| (p.id, p.name)).collect();
    let mut rows: Vec<Value> = if a.format.as_deref().is_some_and(format::is_json) {
        containers.iter().map(|c| json_row(c, &pods)).collect()
    } else {
        containers
            .iter()
            .map(|c| template_row(c, a.no_trunc, &pods))
            .collect()
    };
    let default_format = if a.pod {
        format!("{DEFAULT_FORMAT}\t{{{{.Pod}}}}\t{{{{.PodName}}}}")
    } else {
        DEFAULT_FORMAT.to_owned()
    };
    for (c, row) in containers.iter().zip(rows.iter_mut()) {
        super::survival_status::decorate(engine.config(), c, row);
    }
    print_listing(
        a.format.as_deref(),
        &default_format,
        &rows,
        &headers,
        a.noheading,
    )?;
    Ok(0)
}
