//! `pod ps` and `pod inspect`.

use clap::Args;
use rpod_api::inspect::InspectHostPort;
use rpod_api::pod::{
    InspectPodContainerInfo, InspectPodData, InspectPodInfraConfig, ListPodContainer,
    ListPodsReport, PodInspectReport,
};
use rpod_api::GoTime;
use rpod_engine::pod::{PodRecord, PodStatus};
use rpod_engine::state::ContainerRecord;
use rpod_engine::Engine;
use serde::Serialize;
use std::collections::BTreeMap;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, Origin, ToTemplate};
use crate::human;

/// Podman's `pod ps` column headers.
const HEADERS: &[(&str, &str)] = &[
    ("Id", "POD ID"),
    ("ID", "POD ID"),
    ("Name", "NAME"),
    ("Status", "STATUS"),
    ("Labels", "LABELS"),
    ("NumberOfContainers", "# OF CONTAINERS"),
    ("Created", "CREATED"),
    ("InfraID", "INFRA ID"),
    ("ContainerIds", "IDS"),
    ("ContainerNames", "NAMES"),
    ("ContainerStatuses", "STATUS"),
    ("Cgroup", "CGROUP"),
    ("Namespace", "NAMESPACES"),
    ("Restarts", "RESTARTS"),
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
    #[arg(long, overrides_with = "format")]
    format: Option<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Do not truncate pod and container IDs
    #[arg(long)]
    no_trunc: bool,
    /// Print the numeric IDs of the pods only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Display namespace information of the pod
    #[arg(long)]
    ns: bool,
    /// Sort output by created, id, name, or number
    #[arg(long, default_value = "created")]
    sort: String,
}

#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long, overrides_with = "format")]
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

fn labels(p: &PodRecord) -> BTreeMap<String, String> {
    p.options.labels.iter().cloned().collect()
}

/// Podman's ListPodsReport of a pod.
fn report(v: &PodView) -> ListPodsReport {
    let p = &v.pod;
    ListPodsReport {
        cgroup: p.cgroup_parent(),
        containers: Some(
            v.members
                .iter()
                .map(|c| ListPodContainer {
                    id: c.id.clone(),
                    names: c.name.clone(),
                    status: c.state.as_str().to_owned(),
                    restart_count: 0,
                })
                .collect(),
        ),
        created: GoTime::from_unix_nanos(p.created_at),
        id: p.id.clone(),
        infra_id: p.infra_id.clone().unwrap_or_default(),
        name: p.name.clone(),
        namespace: String::new(),
        networks: Some(Vec::new()),
        status: v.status().as_str().to_owned(),
        labels: Some(labels(p)),
    }
}

/// Podman's ListPodReporter: a ListPodsReport with the template methods `pod ps` offers.
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "pods.ListPodReporter", methods)]
struct PodReporter {
    #[serde(flatten)]
    #[go(embed)]
    r: ListPodsReport,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

impl GoMethods for PodReporter {
    fn arity(&self, name: &str) -> Option<usize> {
        match name {
            "Label" => Some(1),
            "Created" | "Labels" | "Networks" | "NumberOfContainers" | "ID" | "Id" | "InfraID"
            | "InfraId" | "ContainerIds" | "ContainerNames" | "ContainerStatuses" | "Restarts" => {
                Some(0)
            }
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[&str]) -> Result<GoValue, String> {
        let r = &self.r;
        let members = r.containers.as_deref().unwrap_or_default();
        let labels = r.labels.clone().unwrap_or_default();
        Ok(match name {
            "NumberOfContainers" => GoValue::Int(i64::try_from(members.len()).unwrap_or(0)),
            "Label" => GoValue::Str(labels.get(args[0]).cloned().unwrap_or_default()),
            "Labels" => labels.to_template(),
            "Created" => GoValue::Str(
                r.created
                    .unix_nanos()
                    .map_or_else(String::new, |n| human::since(n) + " ago"),
            ),
            "Networks" => GoValue::Str(r.networks.as_deref().unwrap_or_default().join(",")),
            "ID" | "Id" => GoValue::Str(short(&r.id, self.no_trunc).to_owned()),
            "InfraID" | "InfraId" => GoValue::Str(short(&r.infra_id, self.no_trunc).to_owned()),
            "ContainerIds" => GoValue::Str(
                members
                    .iter()
                    .map(|c| short(&c.id, self.no_trunc))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            "ContainerNames" => GoValue::Str(
                members
                    .iter()
                    .map(|c| c.names.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            "ContainerStatuses" => GoValue::Str(
                members
                    .iter()
                    .map(|c| c.status.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            "Restarts" => GoValue::Str(
                members
                    .iter()
                    .map(|c| c.restart_count)
                    .sum::<u64>()
                    .to_string(),
            ),
            other => return Err(format!("no method {other}")),
        })
    }
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
    let mut reports: Vec<ListPodsReport> = views.iter().map(report).collect();
    match a.sort.as_str() {
        "created" => reports.sort_by_key(|r| std::cmp::Reverse(r.created)),
        "id" => reports.sort_by(|x, y| x.id.cmp(&y.id)),
        "name" => reports.sort_by(|x, y| x.name.cmp(&y.name)),
        "number" => reports.sort_by_key(|r| r.containers.as_ref().map_or(0, Vec::len)),
        "status" => reports.sort_by(|x, y| x.status.cmp(&y.status)),
        _ => {
            return Err(CliError::usage(
                "invalid option for --sort, options are: created, id, name, number, or status",
            ))
        }
    }
    if a.format.as_deref().is_some_and(format::is_json) {
        let v = serde_json::to_value(&reports).map_err(anyhow::Error::from)?;
        println!("{}", format::typed_json(&v, "  ", true));
        return Ok(0);
    }
    if a.quiet {
        for r in &reports {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    let headers = HeaderMap::new("pod ps")
        .with_all(HEADERS)
        .row_type("pods.ListPodReporter");
    let mut fmt = String::from("table {{.Id}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}");
    if a.ctr_ids {
        fmt.push_str("\t{{.ContainerIds}}");
    }
    if a.ctr_names {
        fmt.push_str("\t{{.ContainerNames}}");
    }
    if a.ctr_status {
        fmt.push_str("\t{{.ContainerStatuses}}");
    }
    if a.ns {
        fmt.push_str("\t{{.Cgroup}}\t{{.Namespace}}");
    }
    if !(a.ctr_names || a.ctr_ids || a.ctr_status) {
        fmt.push_str("\t{{.NumberOfContainers}}");
    }
    let (origin, fmt) = match a.format.as_deref() {
        Some(f) => (Origin::User, f.to_owned()),
        None => (Origin::Podman, fmt),
    };
    let rows: Vec<GoValue> = reports
        .into_iter()
        .map(|r| {
            PodReporter {
                r,
                no_trunc: a.no_trunc,
            }
            .to_template()
        })
        .collect();
    let out = format::render_typed(origin, &fmt, &rows, &headers, a.noheading)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

/// `host:container[/proto]` port specs as Podman's PortBindings map.
fn port_bindings(specs: &[String]) -> BTreeMap<String, Option<Vec<InspectHostPort>>> {
    let mut out: BTreeMap<String, Option<Vec<InspectHostPort>>> = BTreeMap::new();
    for spec in specs {
        let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
        let parts: Vec<&str> = ports.split(':').collect();
        let (host_ip, host_port, ctr) = match parts.as_slice() {
            [c] => ("", "", *c),
            [h, c] => ("", *h, *c),
            [ip, h, c] => (*ip, *h, *c),
            _ => continue,
        };
        out.entry(format!("{ctr}/{proto}"))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(InspectHostPort {
                host_ip: host_ip.to_owned(),
                host_port: host_port.to_owned(),
            });
    }
    out
}

/// Podman's InspectPodData (plus rpod's Transition).
fn inspect_report(v: &PodView) -> PodInspectReport {
    let p = &v.pod;
    let o = &p.options;
    let data = InspectPodData {
        id: p.id.clone(),
        name: p.name.clone(),
        created: GoTime::from_unix_nanos(p.created_at),
        exit_policy: o.exit_policy.as_str().to_owned(),
        state: v.status().as_str().to_owned(),
        hostname: p.hostname(),
        labels: Some(labels(p)),
        create_cgroup: true,
        cgroup_parent: "/rpod".to_owned(),
        cgroup_path: p.cgroup_parent(),
        create_infra: o.infra,
        infra_container_id: p.infra_id.clone().unwrap_or_default(),
        infra_config: o.infra.then(|| InspectPodInfraConfig {
            port_bindings: Some(port_bindings(&o.ports)),
            ..InspectPodInfraConfig::default()
        }),
        shared_namespaces: Some(o.share.clone()),
        num_containers: u64::try_from(v.members.len()).unwrap_or(0),
        containers: Some(
            v.members
                .iter()
                .map(|c| InspectPodContainerInfo {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    state: c.state.as_str().to_owned(),
                })
                .collect(),
        ),
        ..InspectPodData::default()
    };
    PodInspectReport {
        data,
        transition: p.transition.as_str().to_owned(),
    }
}

pub async fn inspect(g: &Globals, a: PodInspectArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut out = Vec::new();
    let mut missing = None;
    for name in &a.pods {
        match engine.pod(name) {
            Ok(h) => {
                let rec = h.get().await?;
                out.push(inspect_report(&load(&engine, rec)?).to_template());
            }
            Err(e) => missing = Some(e),
        }
    }
    match a.format.as_deref() {
        Some(f) if !format::is_json(f) => {
            let text =
                format::render_typed(Origin::User, f, &out, &HeaderMap::new("inspect"), false)
                    .map_err(|e| CliError::usage(e.to_string()))?;
            print!("{text}");
        }
        _ => {
            let list = serde_json::Value::Array(out.iter().map(GoValue::to_json).collect());
            println!("{}", format::typed_json(&list, "     ", false));
        }
    }
    match missing {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
