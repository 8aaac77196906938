//! `pod ps` and `pod inspect`.

use clap::Args;
use rpod_engine::container::inspect::format_time;
use rpod_engine::pod::{PodRecord, PodStatus};
use rpod_engine::state::ContainerRecord;
use rpod_engine::Engine;
use serde_json::{json, Value};

use super::common::{open_engine, print_inspect_json, print_listing, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, HeaderMap};
use crate::human;

/// Podman's `pod ps` column headers.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "POD ID"),
    ("InfraID", "INFRA ID"),
    ("NumberOfContainers", "# OF CONTAINERS"),
    ("ContainerNames", "NAMES"),
    ("ContainerIds", "IDS"),
    ("ContainerStatuses", "STATUS"),
];

#[derive(Debug, Args)]
pub struct PodPsArgs {
    /// Display the container names
    #[arg(long)]
    ctr_names: bool,
    /// Display the container UUIDs. If no-trunc is not set they will be truncated
    #[arg(long)]
    ctr_ids: bool,
    /// Display the container status
    #[arg(long)]
    ctr_status: bool,
    /// Filter output based on conditions given (id, name, status, label, ctr-names, ctr-ids)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Pretty-print pods to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
    /// Do not truncate pod and container IDs
    #[arg(long)]
    no_trunc: bool,
    /// Print the numeric IDs of the pods only
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    #[arg(required = true)]
    pods: Vec<String>,
}

/// A pod with its reconciled members.
struct PodView {
    pod: PodRecord,
    members: Vec<ContainerRecord>,
}

impl PodView {
    fn status(&self) -> PodStatus {
        // Init containers run to completion: they do not make a pod
        // "Stopped" or "Created".
        let states: Vec<_> = self
            .members
            .iter()
            .filter(|c| c.options.pod.as_ref().is_none_or(|m| m.init_ctr.is_none()))
            .map(|c| c.state)
            .collect();
        PodStatus::from_members(&states)
    }
}

fn load(engine: &Engine, pod: PodRecord) -> CliResult<PodView> {
    let members = engine.pod_members(&pod.id)?;
    Ok(PodView { pod, members })
}

fn short(id: &str, no_trunc: bool) -> &str {
    if no_trunc {
        id
    } else {
        &id[..12.min(id.len())]
    }
}

fn matches_filter(v: &PodView, filter: &str) -> CliResult<bool> {
    let (key, value) = filter
        .split_once('=')
        .ok_or_else(|| CliError::usage(format!("invalid filter {filter:?}")))?;
    Ok(match key {
        "id" => v.pod.id.starts_with(value),
        "name" => v.pod.name.contains(value),
        "status" => v.status().as_str().eq_ignore_ascii_case(value),
        "label" => {
            let (k, val) = match value.split_once('=') {
                Some((k, val)) => (k, Some(val)),
                None => (value, None),
            };
            v.pod
                .options
                .labels
                .iter()
                .any(|(lk, lv)| lk == k && val.is_none_or(|x| x == lv))
        }
        "ctr-names" => v.members.iter().any(|c| c.name == value),
        "ctr-ids" => v.members.iter().any(|c| c.id.starts_with(value)),
        "ctr-number" => value.parse::<usize>().ok() == Some(v.members.len()),
        other => return Err(CliError::usage(format!("{other} is an invalid filter"))),
    })
}

fn labels(p: &PodRecord) -> std::collections::BTreeMap<&str, &str> {
    p.options
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn row(v: &PodView, no_trunc: bool) -> Value {
    let p = &v.pod;
    json!({
        "ID": short(&p.id, no_trunc),
        "Id": p.id,
        "Name": p.name,
        "Status": v.status().as_str(),
        "Created": human::since(p.created_at) + " ago",
        "CreatedAt": format_time(p.created_at),
        "InfraID": p.infra_id.as_deref().map(|i| short(i, no_trunc)).unwrap_or(""),
        "InfraId": p.infra_id.clone().unwrap_or_default(),
        "NumberOfContainers": v.members.len(),
        "ContainerNames": v.members.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","),
        "ContainerIds": v.members.iter().map(|c| short(&c.id, no_trunc)).collect::<Vec<_>>().join(","),
        "ContainerStatuses": v.members.iter().map(|c| c.state.as_str()).collect::<Vec<_>>().join(","),
        "Labels": labels(p),
        "Cgroup": p.cgroup_parent(),
        "Networks": Vec::<String>::new(),
    })
}

fn json_row(v: &PodView) -> Value {
    let p = &v.pod;
    json!({
        "Cgroup": p.cgroup_parent(),
        "Containers": v.members.iter().map(|c| json!({
            "Id": c.id,
            "Names": c.name,
            "Status": c.state.as_str(),
        })).collect::<Vec<_>>(),
        "Created": format_time(p.created_at),
        "Id": p.id,
        "InfraId": p.infra_id.clone().unwrap_or_default(),
        "Name": p.name,
        "Namespace": "",
        "Networks": [],
        "Status": v.status().as_str(),
        "Labels": labels(p),
    })
}

pub async fn ps(g: &Globals, a: PodPsArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut views = Vec::new();
    for pod in engine.pods()? {
        let v = load(&engine, pod)?;
        let mut keep = true;
        for f in &a.filter {
            keep &= matches_filter(&v, f)?;
        }
        if keep {
            views.push(v);
        }
    }
    // Newest first, as Podman lists them.
    views.reverse();
    if a.quiet && a.format.is_none() {
        for v in &views {
            println!("{}", short(&v.pod.id, a.no_trunc));
        }
        return Ok(0);
    }
    let headers = HeaderMap::new("pod ps")
        .with_all(HEADERS)
        .json_style("  ", true)
        .row_type("pods.podPsReporter");
    let rows: Vec<Value> = if a.format.as_deref().is_some_and(format::is_json) {
        views.iter().map(json_row).collect()
    } else {
        views.iter().map(|v| row(v, a.no_trunc)).collect()
    };
    let mut fmt = String::from("table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}");
    if a.ctr_names {
        fmt.push_str("\t{{.ContainerNames}}");
    }
    if a.ctr_ids {
        fmt.push_str("\t{{.ContainerIds}}");
    }
    if a.ctr_status {
        fmt.push_str("\t{{.ContainerStatuses}}");
    }
    if !(a.ctr_names || a.ctr_ids || a.ctr_status) {
        fmt.push_str("\t{{.NumberOfContainers}}");
    }
    print_listing(a.format.as_deref(), &fmt, &rows, &headers, a.noheading)?;
    Ok(0)
}

/// libpod's InspectPodData.
fn inspect_json(v: &PodView) -> Value {
    let p = &v.pod;
    let o = &p.options;
    let infra = v
        .members
        .iter()
        .find(|c| c.options.pod.as_ref().is_some_and(|m| m.infra));
    json!({
        "Id": p.id,
        "Name": p.name,
        "Created": format_time(p.created_at),
        "CreateCommand": [],
        "ExitPolicy": o.exit_policy.as_str(),
        "State": v.status().as_str(),
        "Hostname": p.hostname(),
        "Labels": labels(p),
        "CreateCgroup": true,
        "CgroupParent": "/rpod",
        "CgroupPath": p.cgroup_parent(),
        "CreateInfra": o.infra,
        "InfraContainerID": p.infra_id.clone().unwrap_or_default(),
        "InfraConfig": if o.infra { json!({
            "PortBindings": o.ports,
            "HostNetwork": false,
            "InfraCommand": o.infra_command,
            "Pid": infra.map(|c| c.pid).unwrap_or(0),
        }) } else { Value::Null },
        "SharedNamespaces": o.share,
        "NumContainers": v.members.len(),
        "Containers": v.members.iter().map(|c| json!({
            "Id": c.id,
            "Name": c.name,
            "State": c.state.as_str(),
        })).collect::<Vec<_>>(),
        "Transition": p.transition.as_str(),
    })
}

pub async fn inspect(g: &Globals, a: PodInspectArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut out = Vec::new();
    let mut missing = None;
    for name in &a.pods {
        match engine.pod(name) {
            Ok(h) => {
                let rec = h.get().await?;
                out.push(inspect_json(&load(&engine, rec)?));
            }
            Err(e) => missing = Some(e),
        }
    }
    match a.format.as_deref() {
        None | Some("json") => print_inspect_json(&Value::Array(out)),
        Some(f) => super::common::print_formatted(
            f,
            &out,
            &HeaderMap::new("pod inspect").json_style("     ", false),
        )?,
    }
    match missing {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
