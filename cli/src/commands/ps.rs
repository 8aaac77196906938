//! `ps`: list containers, reconciled with their monitors, as Podman's ListContainer reports
//! printed through Podman's psReporter (its template methods).

use clap::Args;
use rpod_api::container::ContainerListOptions;
use rpod_api::ps::ListContainer;
use serde::Serialize;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, Origin, ToTemplate};
use crate::human;

/// Podman's `ps` column headers (report.Headers overrides).
pub const HEADERS: &[(&str, &str)] = &[
    ("Cgroup", "cgroupns"),
    ("CreatedHuman", "created"),
    ("ID", "container id"),
    ("IPC", "ipc"),
    ("MNT", "mnt"),
    ("NET", "net"),
    ("Networks", "networks"),
    ("PIDNS", "pidns"),
    ("Pod", "pod id"),
    ("PodName", "podname"),
    ("Restarts", "restarts"),
    ("RunningFor", "running for"),
    ("UTS", "uts"),
    ("User", "userns"),
];

/// `--sort` keys.
const SORT_KEYS: &[&str] = &[
    "command",
    "created",
    "id",
    "image",
    "names",
    "runningfor",
    "size",
    "status",
];

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Show containers in storage not controlled by Podman (rpod's storage holds only its own containers)
    #[arg(long)]
    external: bool,
    /// Filter output based on conditions given
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    filter: Vec<String>,
    /// Print only the container IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate the output
    #[arg(long)]
    no_trunc: bool,
    /// Pretty-print containers to JSON or using a Go template
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
    format: Option<String>,
    /// Print the n last created containers (all states)
    #[arg(short = 'n', long, allow_negative_numbers = true, default_value_t = -1)]
    last: i64,
    /// Show the latest container created (all states)
    #[arg(short = 'l', long)]
    latest: bool,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
    /// Display namespace information
    #[arg(long)]
    ns: bool,
    /// Print the ID and name of the pod the containers are associated with
    #[arg(short = 'p', long)]
    pod: bool,
    /// Display the total file sizes
    #[arg(short = 's', long)]
    size: bool,
    /// Sort output by: command, created, id, image, names, runningfor, size, status
    #[arg(long)]
    sort: Option<String>,
}

/// Podman's psReporter: a ListContainer with the template methods `ps` offers.
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "containers.psReporter", methods)]
struct PsReporter {
    #[serde(flatten)]
    #[go(embed)]
    c: ListContainer,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

fn short(s: &str, no_trunc: bool) -> String {
    if no_trunc {
        s.to_owned()
    } else {
        s.chars().take(12).collect()
    }
}

fn since_secs(unix: i64) -> String {
    human::since(unix.saturating_mul(1_000_000_000))
}

impl PsReporter {
    fn status(&self) -> String {
        let c = &self.c;
        let mut state = match c.state.as_str() {
            // Docker's text while a restart policy is between two runs.
            "restarting" => format!(
                "Restarting ({}) {} ago",
                c.exit_code,
                since_secs(c.exited_at)
            ),
            "running" => format!("Up {}", since_secs(c.started_at)),
            "exited" | "stopped" => {
                format!("Exited ({}) {} ago", c.exit_code, since_secs(c.exited_at))
            }
            other => title(other),
        };
        if !c.status.is_empty() {
            state.push_str(&format!(" ({})", c.status));
        }
        state
    }

    fn created_human(&self) -> String {
        match self.c.created.unix_nanos() {
            Some(n) => human::since(n) + " ago",
            None => String::new(),
        }
    }

    fn command(&self) -> String {
        let cmd = self.c.command.as_deref().unwrap_or_default().join(" ");
        if !self.no_trunc && cmd.len() > 17 {
            let mut cut = 17;
            while !cmd.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}...", &cmd[..cut])
        } else {
            cmd
        }
    }

    fn size(&self) -> String {
        match &self.c.size {
            None => {
                eprintln!(
                    "time=\"{}\" level=error msg=\"Size format requires --size option\"",
                    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
                );
                String::new()
            }
            Some(s) => format!(
                "{} (virtual {})",
                human::size_compact(u64::try_from(s.rw_size).unwrap_or(0), 3),
                human::size_compact(u64::try_from(s.root_fs_size).unwrap_or(0), 3)
            ),
        }
    }
}

/// Go's `strings.Title` for a state word.
fn title(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

impl GoMethods for PsReporter {
    fn arity(&self, name: &str) -> Option<usize> {
        match name {
            "Label" => Some(1),
            "ImageID" | "ID" | "Pod" | "Status" | "Restarts" | "RunningFor" | "Command"
            | "Size" | "Names" | "Networks" | "Ports" | "CreatedAt" | "CreatedHuman" | "Cgroup"
            | "IPC" | "MNT" | "NET" | "PIDNS" | "User" | "UTS" => Some(0),
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[&str]) -> Result<GoValue, String> {
        let c = &self.c;
        let ns = &c.namespaces;
        Ok(GoValue::Str(match name {
            "Label" => c
                .labels
                .as_ref()
                .and_then(|l| l.get(args[0]).cloned())
                .unwrap_or_default(),
            "ImageID" => short(&c.image_id, self.no_trunc),
            "ID" => short(&c.id, self.no_trunc),
            "Pod" => short(&c.pod, self.no_trunc),
            "Status" => self.status(),
            "Restarts" => c.restarts.to_string(),
            "RunningFor" | "CreatedHuman" => self.created_human(),
            "Command" => self.command(),
            "Size" => self.size(),
            "Names" => c.names.first().cloned().unwrap_or_default(),
            "Networks" => c.networks.as_deref().unwrap_or_default().join(","),
            "Ports" => rpod_api::ps::ports_text(c.ports.as_deref().unwrap_or_default()),
            "CreatedAt" => c.created.go_string(),
            "Cgroup" | "CGROUPNS" => ns.cgroup.clone(),
            "IPC" => ns.ipc.clone(),
            "MNT" => ns.mnt.clone(),
            "NET" => ns.net.clone(),
            "PIDNS" => ns.pidns.clone(),
            "User" | "USERNS" => ns.user.clone(),
            "UTS" => ns.uts.clone(),
            other => return Err(format!("no method {other}")),
        }))
    }
}

fn sort_rows(rows: &mut [PsReporter], key: &str) {
    let c = |r: &PsReporter| r.c.clone();
    match key {
        "id" => rows.sort_by(|a, b| a.c.id.cmp(&b.c.id)),
        "image" => rows.sort_by(|a, b| a.c.image.cmp(&b.c.image)),
        "command" => rows.sort_by_key(|r| c(r).command.unwrap_or_default().join(" ")),
        "runningfor" => rows.sort_by_key(|r| r.c.started_at),
        "status" => rows.sort_by(|a, b| a.c.state.cmp(&b.c.state)),
        "size" => rows.sort_by_key(|r| r.c.size.as_ref().map_or(0, |s| s.root_fs_size)),
        "names" => rows.sort_by(|a, b| a.c.names.cmp(&b.c.names)),
        _ => rows.sort_by_key(|r| r.c.created),
    }
}

pub async fn run(g: &Globals, a: PsArgs) -> CliResult {
    if a.last >= 0 && a.latest {
        return Err(CliError::usage("last and latest are mutually exclusive"));
    }
    if a.quiet && (a.size || a.ns) {
        return Err(CliError::usage("quiet conflicts with size and namespace"));
    }
    if a.size && a.ns {
        return Err(CliError::usage("size and namespace options conflict"));
    }
    if let Some(s) = &a.sort {
        if !SORT_KEYS.contains(&s.as_str()) {
            return Err(CliError::usage(format!(
                "\"{s}\" is not a valid value. Choices are: {}",
                SORT_KEYS.join(", ")
            )));
        }
    }
    let engine = open_front_door(g)?;
    let list = engine
        .container_list(ContainerListOptions {
            all: a.all,
            filters: super::container_filter::group_specs(&a.filter)?,
            last: a.last,
            latest: a.latest,
            namespace: a.ns,
            pod: a.pod,
            size: a.size,
        })
        .await?;
    let mut rows: Vec<PsReporter> = list
        .into_iter()
        .map(|c| PsReporter {
            c,
            no_trunc: a.no_trunc,
        })
        .collect();
    if let Some(key) = &a.sort {
        sort_rows(&mut rows, key);
    }
    let user_format = a.format.as_deref();
    if user_format.is_some_and(format::is_json) {
        print_json(&rows)?;
        return Ok(0);
    }
    if a.quiet && user_format.is_none() {
        for r in &rows {
            println!("{}", short(&r.c.id, a.no_trunc));
        }
        return Ok(0);
    }
    let headers = HeaderMap::new("ps")
        .with_all(HEADERS)
        .row_type("containers.psReporter");
    let (origin, fmt, no_heading) = match user_format {
        Some(f) => (
            Origin::User,
            f.replace(".Namespaces.", "."),
            a.noheading || !f.starts_with("table"),
        ),
        None => (Origin::Podman, default_format(&a), a.noheading),
    };
    let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
    let out = format::render_typed(origin, &fmt, &values, &headers, no_heading)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

fn default_format(a: &PsArgs) -> String {
    if a.ns {
        return "table {{.ID}}\t{{.Names}}\t{{.Pid}}\t{{.Cgroup}}\t{{.IPC}}\t{{.MNT}}\t{{.NET}}\t{{.PIDNS}}\t{{.User}}\t{{.UTS}}".to_owned();
    }
    let mut f = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}".to_owned();
    if a.pod || a.format.as_deref().is_some_and(|f| f.contains(".PodName")) {
        f.push_str("\t{{.Pod}}\t{{.PodName}}");
    }
    if a.size {
        f.push_str("\t{{.Size}}");
    }
    f
}

/// `--format json`: the ListContainers with `Created` as Unix seconds, `CreatedAt` and
/// `Status` as the table shows them (Podman's jsonOut).
fn print_json(rows: &[PsReporter]) -> CliResult<()> {
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = serde_json::to_value(&r.c).map_err(anyhow::Error::from)?;
        v["CreatedAt"] = serde_json::Value::String(r.created_human());
        v["Status"] = serde_json::Value::String(r.status());
        if let Some(obj) = v.as_object_mut() {
            obj.shift_remove("Created");
            obj.insert(
                "Created".into(),
                serde_json::Value::from(r.c.created.unix()),
            );
        }
        list.push(v);
    }
    println!(
        "{}",
        format::typed_json(&serde_json::Value::Array(list), "  ", true)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter(state: &str, status: &str) -> PsReporter {
        PsReporter {
            c: ListContainer {
                id: "0123456789abcdef".into(),
                state: state.into(),
                status: status.into(),
                exit_code: 3,
                exited_at: chrono::Utc::now().timestamp() - 5,
                started_at: chrono::Utc::now().timestamp() - 5,
                ..ListContainer::default()
            },
            no_trunc: false,
        }
    }

    #[test]
    fn status_texts() {
        assert!(reporter("running", "healthy")
            .status()
            .ends_with(" (healthy)"));
        assert!(reporter("running", "").status().starts_with("Up "));
        assert!(reporter("exited", "").status().starts_with("Exited (3) "));
        assert!(reporter("restarting", "")
            .status()
            .starts_with("Restarting (3) "));
        assert_eq!(reporter("created", "").status(), "Created");
    }

    #[test]
    fn template_methods() {
        let r = reporter("running", "");
        let out = format::render_typed(
            Origin::User,
            "{{.ID}} {{.State}}",
            &[r.to_template()],
            &HeaderMap::new("ps"),
            true,
        )
        .unwrap();
        assert_eq!(out, "0123456789ab running\n");
    }
}
