//! `pod ps` and `pod inspect`: the front door's reports printed as
//! Podman's (table, Go template or JSON).

use clap::Args;
use rpod_api::front_door::pods::{PodPsOptions, PodSelect};
use rpod_api::pod::ListPodsReport;
use serde::Serialize;

use super::common::{open_front_door, print_typed_listing, Globals};
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
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
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
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
}

#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Format the output to a Go template or json
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    /// Act on the latest pod rpod is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[arg(required_unless_present = "latest")]
    pods: Vec<String>,
}

fn short(id: &str, no_trunc: bool) -> &str {
    if no_trunc {
        id
    } else {
        &id[..12.min(id.len())]
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
    let options = PodPsOptions {
        filters: a.filter.clone(),
        latest: a.latest,
        sort: a.sort.clone(),
    };
    let reports: Vec<ListPodsReport> = open_front_door(g)?.pod_ps(options).await?;
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
    print_typed_listing(a.format.as_deref(), &fmt, &rows, &headers, a.noheading)?;
    Ok(0)
}

pub async fn inspect(g: &Globals, a: PodInspectArgs) -> CliResult {
    let select = PodSelect {
        all: false,
        latest: a.latest,
    };
    let (reports, errs) = open_front_door(g)?.pod_inspect(&a.pods, select).await?;
    let out: Vec<GoValue> = reports.iter().map(ToTemplate::to_template).collect();
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
    match errs.into_iter().last() {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
