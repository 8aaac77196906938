//! `system check|df|prune|reset|migrate` and `container prune`: requests
//! to the engine's `System` service, and its reports printed.

use crate::prep::Lazy;
use std::io::BufRead;

use clap::{Args, Subcommand};
use rpod_api::check::{SystemCheckOptions, SystemCheckReport};
use rpod_api::prune::{ContainerPruneOptions, SystemPruneOptions};
use rpod_api::system::SystemDfReport;
use rpod_api::GoTime;
use serde_json::json;

use super::common::{open_front_door, open_store_checker, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{GoMethods, GoStruct, GoValue, HeaderMap, ToTemplate};
use crate::human;

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Check storage consistency
    Check(Lazy<CheckArgs>),
    /// Show rpod disk usage
    Df(Lazy<DfArgs>),
    /// Display rpod related system information (as `rpod info`)
    Info(Lazy<super::info::InfoArgs>),
    /// Show rpod system events
    Events(Lazy<super::events::EventsArgs>),
    /// Migrate containers (the state database schema)
    Migrate(Lazy<MigrateArgs>),
    /// Remove unused data
    Prune(Lazy<SystemPruneArgs>),
    /// Reset rpod storage
    Reset(Lazy<ResetArgs>),
    /// Run API service
    Service(Lazy<super::api_service::ServiceArgs>),
    /// Manage remote API service destinations
    #[command(subcommand)]
    Connection(super::connection::ConnectionCommand),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>', 'until=<timestamp>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Prune volumes
    #[arg(long)]
    volumes: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>', 'until=<timestamp>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DfArgs {
    /// Pretty-print images using a Go template
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
    format: Option<String>,
    /// Show detailed information on disk usage
    #[arg(short = 'v', long)]
    verbose: bool,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Change the OCI runtime of every container (not supported yet)
    #[arg(long)]
    new_runtime: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Skip time-consuming checks. The default is to include time-consuming checks
    #[arg(short = 'q', long)]
    quick: bool,
    /// Remove inconsistent images
    #[arg(short = 'r', long)]
    repair: bool,
    /// Remove inconsistent images and containers
    #[arg(short = 'f', long)]
    force: bool,
    /// Maximum allowed age of unreferenced layers
    #[arg(short = 'm', long, value_name = "duration")]
    max: Option<String>,
}

/// Asks `question`; true only for an explicit yes.
pub(super) fn confirm(question: &str) -> bool {
    eprint!("{question}\nAre you sure you want to continue? [y/N] ");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
}

pub async fn container_prune(g: &Globals, a: PruneArgs) -> CliResult {
    if !a.force && !confirm("WARNING! This will remove all non running containers.") {
        return Ok(0);
    }
    let options = ContainerPruneOptions { filters: a.filter };
    let reports = open_front_door(g)?.container_prune(options).await?;
    for r in reports {
        println!("{}", r.id);
    }
    Ok(0)
}

pub async fn run(g: &Globals, cmd: SystemCommand) -> CliResult {
    match cmd {
        SystemCommand::Check(Lazy(a)) => check(g, a).await,
        SystemCommand::Prune(Lazy(a)) => prune(g, a).await,
        SystemCommand::Df(Lazy(a)) => df(g, a).await,
        SystemCommand::Info(Lazy(a)) => {
            super::info::info(g, a, super::info::Invoked::UnderSystem).await
        }
        SystemCommand::Events(Lazy(a)) => super::events::run(g, a).await,
        SystemCommand::Reset(Lazy(a)) => reset(g, a).await,
        SystemCommand::Migrate(Lazy(a)) => migrate(g, a).await,
        SystemCommand::Service(Lazy(a)) => super::api_service::run(g, a).await,
        SystemCommand::Connection(c) => super::connection::run(c),
    }
}

async fn prune(g: &Globals, a: SystemPruneArgs) -> CliResult {
    let images = if a.all {
        "\t- all images not used by at least one container"
    } else {
        "\t- all dangling images"
    };
    let volumes = if a.volumes {
        "\t- all volumes not used by at least one container\n"
    } else {
        ""
    };
    if !a.force
        && !confirm(&format!(
            "WARNING! This command removes:\n\t- all pods not in use\n\t- all stopped containers\n{volumes}{images}\n"
        ))
    {
        return Ok(0);
    }
    let options = SystemPruneOptions {
        all: a.all,
        volume: a.volumes,
        filters: a.filter,
    };
    let report = open_front_door(g)?.system_prune(options).await?;
    let sections = [
        (
            "Deleted Pods",
            report
                .pod_prune_report
                .iter()
                .map(|r| &r.id)
                .collect::<Vec<_>>(),
        ),
        (
            "Deleted Containers",
            report
                .container_prune_reports
                .iter()
                .map(|r| &r.id)
                .collect(),
        ),
        (
            "Deleted Volumes",
            report.volume_prune_reports.iter().map(|r| &r.id).collect(),
        ),
        (
            "Deleted Images",
            report.image_prune_reports.iter().map(|r| &r.id).collect(),
        ),
    ];
    for (title, ids) in sections {
        if !ids.is_empty() {
            println!("{title}");
            for id in ids {
                println!("{id}");
            }
        }
    }
    println!(
        "Total reclaimed space: {}",
        human::size(report.reclaimed_space)
    );
    Ok(0)
}

/// One line of the `system df` summary (Podman's dfSummary).
#[derive(Debug, Clone)]
struct DfSummary {
    r#type: String,
    total: i64,
    active: i64,
    raw_size: i64,
    raw_reclaimable: i64,
}

impl DfSummary {
    fn size(&self) -> String {
        human::size_compact(u64::try_from(self.raw_size).unwrap_or(0), 4)
    }

    fn reclaimable(&self) -> String {
        let pct = if self.raw_size > 0 {
            (self.raw_reclaimable as f64 / self.raw_size as f64 * 100.0).round() as i64
        } else {
            0
        };
        format!(
            "{} ({pct}%)",
            human::size_compact(u64::try_from(self.raw_reclaimable).unwrap_or(0), 4)
        )
    }

    /// Podman's JSON: the fields plus Docker's `TotalCount`, `Size`, `Reclaimable`.
    fn json(&self) -> serde_json::Value {
        json!({
            "Type": self.r#type,
            "Total": self.total,
            "Active": self.active,
            "RawSize": self.raw_size,
            "RawReclaimable": self.raw_reclaimable,
            "TotalCount": self.total,
            "Size": self.size(),
            "Reclaimable": self.reclaimable(),
        })
    }
}

/// The template value: the fields and `Size`/`Reclaimable` methods, and as
/// `{{json .}}` Podman's MarshalJSON form ([`DfSummary::json`]).
impl ToTemplate for DfSummary {
    fn to_template(&self) -> GoValue {
        GoValue::from_struct(
            GoStruct::new("*system.dfSummary", self.json())
                .field("Type", GoValue::Str(self.r#type.clone()))
                .field("Total", GoValue::Int(self.total))
                .field("Active", GoValue::Int(self.active))
                .field("RawSize", GoValue::Int(self.raw_size))
                .field("RawReclaimable", GoValue::Int(self.raw_reclaimable))
                .methods(std::sync::Arc::new(self.clone())),
        )
    }
}

impl GoMethods for DfSummary {
    fn arity(&self, name: &str) -> Option<usize> {
        matches!(name, "Size" | "Reclaimable").then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        Ok(GoValue::Str(if name == "Size" {
            self.size()
        } else {
            self.reclaimable()
        }))
    }
}

fn df_summaries(r: &SystemDfReport) -> Vec<DfSummary> {
    let mut seen = std::collections::HashSet::new();
    let (mut active, mut used) = (0, 0);
    for i in &r.images {
        if seen.insert(i.image_id.as_str()) && i.containers > 0 {
            active += 1;
            used += i.unique_size;
        }
    }
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let running = r.containers.iter().filter(|c| c.status == "running");
    let ctr_size: i64 = r.containers.iter().map(|c| c.rw_size).sum();
    let ctr_reclaimable: i64 = r
        .containers
        .iter()
        .filter(|c| c.status != "running")
        .map(|c| c.rw_size)
        .sum();
    vec![
        DfSummary {
            r#type: "Images".into(),
            total: count(r.images.len()),
            active,
            raw_size: r.images_size,
            raw_reclaimable: r.images_size - used,
        },
        DfSummary {
            r#type: "Containers".into(),
            total: count(r.containers.len()),
            active: count(running.count()),
            raw_size: ctr_size,
            raw_reclaimable: ctr_reclaimable,
        },
        DfSummary {
            r#type: "Local Volumes".into(),
            total: count(r.volumes.len()),
            active: r.volumes.iter().map(|v| v.links).sum(),
            raw_size: r.volumes.iter().map(|v| v.size).sum(),
            raw_reclaimable: r.volumes.iter().map(|v| v.reclaimable_size).sum(),
        },
    ]
}

fn render_table(format: &str, rows: &[GoValue], headers: &HeaderMap) -> CliResult<String> {
    crate::format::render_typed(crate::format::Origin::Podman, format, rows, headers, false)
        .map_err(|e| CliError::usage(e.to_string()))
}

/// `system df -v`: the images, containers and volumes tables.
fn df_verbose(r: &SystemDfReport) -> CliResult<()> {
    let size = |n: i64| human::size_compact(u64::try_from(n).unwrap_or(0), 4);
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let since = |t: &GoTime| t.unix_nanos().map(human::since).unwrap_or_default();
    print!("Images space usage:\n\n");
    let images: Vec<GoValue> = r
        .images
        .iter()
        .map(|i| {
            json!({
                "Repository": i.repository, "Tag": i.tag, "ImageID": short(&i.image_id),
                "Created": since(&i.created), "Size": size(i.size),
                "SharedSize": size(i.shared_size), "UniqueSize": size(i.unique_size),
                "Containers": i.containers,
            })
            .to_template()
        })
        .collect();
    let h = HeaderMap::new("df").with_all(&[
        ("ImageID", "IMAGE ID"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ]);
    print!("{}", render_table("table {{.Repository}}\t{{.Tag}}\t{{.ImageID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", &images, &h)?);
    print!("\nContainers space usage:\n\n");
    let containers: Vec<GoValue> = r
        .containers
        .iter()
        .map(|c| {
            json!({
                "ContainerID": short(&c.container_id), "Image": short(&c.image),
                "Command": c.command.as_deref().unwrap_or_default().join(" "),
                "LocalVolumes": c.local_volumes, "RWSize": size(c.rw_size),
                "Created": since(&c.created), "Status": c.status, "Names": c.names,
            })
            .to_template()
        })
        .collect();
    let h = HeaderMap::new("df").with_all(&[
        ("ContainerID", "CONTAINER ID"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("RWSize", "SIZE"),
    ]);
    print!("{}", render_table("table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.RWSize}}\t{{.Created}}\t{{.Status}}\t{{.Names}}", &containers, &h)?);
    print!("\nLocal Volumes space usage:\n\n");
    let volumes: Vec<GoValue> = r
        .volumes
        .iter()
        .map(|v| {
            json!({"VolumeName": v.volume_name, "Links": v.links, "Size": size(v.size)})
                .to_template()
        })
        .collect();
    let h = HeaderMap::new("df").with("VolumeName", "VOLUME NAME");
    print!(
        "{}",
        render_table("table {{.VolumeName}}\t{{.Links}}\t{{.Size}}", &volumes, &h)?
    );
    Ok(())
}

async fn df(g: &Globals, a: DfArgs) -> CliResult {
    if a.format.is_some() && a.verbose {
        return Err(CliError::usage(
            "cannot combine --format and --verbose flags",
        ));
    }
    let report = open_front_door(g)?.system_df().await?;
    if a.verbose {
        df_verbose(&report)?;
        return Ok(0);
    }
    let summaries = df_summaries(&report);
    if a.format.as_deref().is_some_and(crate::format::is_json) {
        let list = serde_json::Value::Array(summaries.iter().map(DfSummary::json).collect());
        println!("{}", crate::format::typed_json(&list, "    ", true));
        return Ok(0);
    }
    let headers =
        HeaderMap::new("df").with_all(&[("Size", "SIZE"), ("Reclaimable", "RECLAIMABLE")]);
    let (origin, fmt) = match a.format.as_deref() {
        Some(f) => (crate::format::Origin::User, f),
        None => (
            crate::format::Origin::Podman,
            "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        ),
    };
    let rows: Vec<GoValue> = summaries.iter().map(ToTemplate::to_template).collect();
    let out = crate::format::render_typed(origin, fmt, &rows, &headers, false)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

async fn reset(g: &Globals, a: ResetArgs) -> CliResult {
    if !a.force
        && !confirm(
            "WARNING! This will remove:\n\t- all containers\n\t- all images\n\t- all events",
        )
    {
        return Ok(0);
    }
    open_front_door(g)?.system_reset().await?;
    Ok(0)
}

async fn migrate(g: &Globals, a: MigrateArgs) -> CliResult {
    // Opening the engine migrates the database schema (under its lock).
    open_front_door(g)?.system_migrate(a.new_runtime).await?;
    Ok(0)
}

/// `system check`: report (and with `--repair` fix) inconsistencies, then
/// check again after a repair, as Podman does.
async fn check(g: &Globals, a: CheckArgs) -> CliResult {
    let max = match &a.max {
        None => None,
        Some(m) => Some(super::service_flags::parse_go_duration(m).ok_or_else(|| {
            CliError::usage(format!(
                "invalid argument {m:?} for \"-m, --max\" flag: time: invalid duration {m:?}"
            ))
        })?),
    };
    let options = SystemCheckOptions {
        quick: a.quick,
        repair: a.repair,
        repair_lossy: a.force,
        unreferenced_layer_maximum_age: max,
    };
    let checker = open_store_checker(g)?;
    let report = checker.system_check(options.clone()).await?;
    print_check_report(&report);
    if !(options.repair || options.repair_lossy) {
        if report.errors {
            return Err(anyhow::anyhow!("damage detected in local storage").into());
        }
        return Ok(0);
    }
    let recheck = checker
        .system_check(SystemCheckOptions {
            repair: false,
            repair_lossy: false,
            ..options
        })
        .await?;
    if recheck.errors {
        return Err(
            anyhow::anyhow!("damage in local storage still present after repair attempt").into(),
        );
    }
    Ok(0)
}

/// Errors of one item, as Go's multierror prints them.
fn multierror(errs: &[String]) -> String {
    let mut out = if errs.len() == 1 {
        "1 error occurred:\n".to_owned()
    } else {
        format!("{} errors occurred:\n", errs.len())
    };
    for e in errs {
        out.push_str(&format!("\t* {e}\n"));
    }
    out.push('\n');
    out
}

fn print_check_report(r: &SystemCheckReport) {
    for (db, errs) in &r.database {
        print!("Damaged database {db}:\n{}", multierror(errs));
    }
    if let Some(moved) = &r.moved_database {
        println!("Moved damaged database to: {moved}");
    }
    for (id, name) in &r.rebuilt_containers {
        println!("Rebuilt container: {id} ({name})");
    }
    for name in &r.rebuilt_volumes {
        println!("Rebuilt volume: {name}");
    }
    for (layer, errs) in &r.layers {
        print!("Damaged layer {layer}:\n{}", multierror(errs));
    }
    for layer in &r.removed_layers {
        println!("Deleted damaged layer: {layer}");
    }
    for (image, errs) in &r.images {
        print!("Damaged image {image}:\n{}", multierror(errs));
    }
    for image in r.removed_images.keys() {
        println!("Deleted damaged image: {image}");
    }
    for (ctr, errs) in &r.containers {
        print!("Damaged container {ctr}:\n{}", multierror(errs));
    }
    for ctr in r.removed_containers.keys() {
        println!("Deleted damaged container: {ctr}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::system::{SystemDfContainerReport, SystemDfImageReport};

    fn report() -> SystemDfReport {
        let image = |tag: &str, users| SystemDfImageReport {
            repository: "busybox".into(),
            tag: tag.into(),
            image_id: "i1".into(),
            size: 2000,
            unique_size: 2000,
            containers: users,
            ..SystemDfImageReport::default()
        };
        let ctr = |status: &str, rw| SystemDfContainerReport {
            status: status.into(),
            rw_size: rw,
            ..SystemDfContainerReport::default()
        };
        SystemDfReport {
            images_size: 2000,
            images: vec![image("1", 1), image("latest", 1)],
            containers: vec![ctr("running", 100), ctr("exited", 50)],
            volumes: Vec::new(),
        }
    }

    #[test]
    fn df_summary_rows() {
        let s = df_summaries(&report());
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].total, s[0].active, s[0].raw_reclaimable), (2, 1, 0));
        assert_eq!((s[1].total, s[1].active, s[1].raw_size), (2, 1, 150));
        assert_eq!(s[1].raw_reclaimable, 50);
        assert_eq!(s[2].r#type, "Local Volumes");
    }

    #[test]
    fn df_summary_json_keys_and_go_names() {
        let s = df_summaries(&report());
        let j = s[1].json();
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Type",
                "Total",
                "Active",
                "RawSize",
                "RawReclaimable",
                "TotalCount",
                "Size",
                "Reclaimable"
            ]
        );
        let rows: Vec<GoValue> = s.iter().map(ToTemplate::to_template).collect();
        let render = |format: &str| {
            crate::format::render_typed(
                crate::format::Origin::User,
                format,
                &rows[1..2],
                &HeaderMap::new("df"),
                false,
            )
            .unwrap()
        };
        let (size, reclaimable) = (s[1].size(), s[1].reclaimable());
        assert_eq!(
            render("{{.Type}} {{.Total}} {{.Active}} {{.RawSize}} {{.Size}} {{.Reclaimable}}"),
            format!("Containers 2 1 150 {size} {reclaimable}\n")
        );
        // `{{json .}}` is a template: one compact object per row, Podman's
        // MarshalJSON form.
        assert_eq!(
            render("{{json .}}"),
            format!(
                "{{\"Type\":\"Containers\",\"Total\":2,\"Active\":1,\"RawSize\":150,\"RawReclaimable\":50,\"TotalCount\":2,\"Size\":\"{size}\",\"Reclaimable\":\"{reclaimable}\"}}\n"
            )
        );
    }

    #[test]
    fn check_report_lines() {
        assert_eq!(multierror(&["a".into()]), "1 error occurred:\n\t* a\n\n");
        assert_eq!(
            multierror(&["a".into(), "b".into()]),
            "2 errors occurred:\n\t* a\n\t* b\n\n"
        );
    }
}
