//! `stats` (and `container stats`) and `pod stats`: resource use as Podman
//! prints it, once (`--no-stream`) or refreshed every `--interval` seconds
//! (the screen cleared first unless `--no-reset`).

use std::io::Write;
use std::time::Duration;

use clap::Args;
use rpod_api::stats::{
    bytes_pair, human_pair, percent, ContainerStats, ContainerStatsOptions, PodStatsOptions,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, Origin, ToTemplate};

const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}";
const HEADERS: &[(&str, &str)] = &[
    ("ID", "ID"),
    ("UpTime", "CPU TIME"),
    ("CPUPerc", "CPU %"),
    ("AVGCPU", "Avg CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemUsageBytes", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET IO"),
    ("BlockIO", "BLOCK IO"),
    ("PIDS", "PIDS"),
];
/// What Podman writes to clear the terminal between refreshes.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

/// The output flags `stats` and `pod stats` share.
#[derive(Debug, Args)]
pub struct OutputFlags {
    /// Pretty-print container statistics to JSON or using a Go template
    #[arg(long, allow_hyphen_values = true)]
    format: Option<String>,
    /// Disable resetting the screen between intervals
    #[arg(long)]
    no_reset: bool,
    /// Disable streaming stats and only pull the first result, default setting is false
    #[arg(long)]
    no_stream: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers. Only running containers are shown by default. The default is false
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Do not truncate output
    #[arg(long)]
    no_trunc: bool,
    #[command(flatten)]
    out: OutputFlags,
    /// Time in seconds between stats reports
    #[arg(short = 'i', long, default_value_t = 5, allow_negative_numbers = true)]
    interval: i64,
    /// CONTAINER...
    containers: Vec<String>,
}

/// Podman's containerStats: a sample with the template methods `stats`
/// offers.
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "containers.containerStats", methods)]
struct StatsReporter {
    #[serde(flatten)]
    #[go(embed)]
    stats: ContainerStats,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

impl StatsReporter {
    fn id(&self) -> String {
        let id = &self.stats.container_id;
        if self.no_trunc {
            id.clone()
        } else {
            id.chars().take(12).collect()
        }
    }

    fn up(&self) -> String {
        rpod_api::time::go_duration(Duration::from_nanos(self.stats.up_time))
    }

    fn net_io(&self) -> String {
        let (rx, tx) = self.stats.net_io();
        human_pair(rx, tx)
    }

    fn text(&self, name: &str) -> Option<String> {
        let s = &self.stats;
        Some(match name {
            "ID" => self.id(),
            "CPUPerc" => percent(s.cpu),
            "AVGCPU" => percent(s.avg_cpu),
            "Up" | "UpTime" => self.up(),
            "MemPerc" => percent(s.mem_perc),
            "NetIO" => self.net_io(),
            "BlockIO" => human_pair(s.block_input, s.block_output),
            "PIDS" => s.pids.to_string(),
            "MemUsage" => human_pair(s.mem_usage, s.mem_limit),
            "MemUsageBytes" => bytes_pair(s.mem_usage, s.mem_limit),
            _ => return None,
        })
    }

    /// Podman's `--format json` row: lower-case keys, text values.
    fn json(&self) -> Value {
        let t = |n: &str| self.text(n).unwrap_or_default();
        json!({
            "id": self.id(),
            "name": self.stats.name,
            "cpu_time": t("Up"),
            "cpu_percent": t("CPUPerc"),
            "avg_cpu": t("AVGCPU"),
            "mem_usage": t("MemUsage"),
            "mem_percent": t("MemPerc"),
            "net_io": t("NetIO"),
            "block_io": t("BlockIO"),
            "pids": t("PIDS"),
        })
    }
}

impl GoMethods for StatsReporter {
    fn arity(&self, name: &str) -> Option<usize> {
        self.text(name).map(|_| 0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        self.text(name)
            .map(GoValue::Str)
            .ok_or_else(|| format!("no method {name}"))
    }
}

/// Prints one round of samples.
fn print_stats(a: &StatsArgs, samples: &[ContainerStats]) -> CliResult<()> {
    let rows: Vec<StatsReporter> = samples
        .iter()
        .map(|s| StatsReporter {
            stats: s.clone(),
            no_trunc: a.no_trunc,
        })
        .collect();
    let mut out = String::new();
    if !a.out.no_reset {
        out.push_str(CLEAR_SCREEN);
    }
    if a.out.format.as_deref().is_some_and(format::is_json) {
        let list = Value::Array(rows.iter().map(StatsReporter::json).collect());
        out.push_str(&format::json_indent(&list, " ", true));
        out.push('\n');
    } else {
        let headers = HeaderMap::new("stats")
            .with_all(HEADERS)
            .row_type("containers.containerStats");
        let (origin, fmt) = match a.out.format.as_deref() {
            Some(f) => (Origin::User, f),
            None => (Origin::Podman, DEFAULT_FORMAT),
        };
        let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
        let text = format::render_typed(origin, fmt, &values, &headers, false)
            .map_err(|e| CliError::usage(e.to_string()))?;
        out.push_str(&text);
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(anyhow::Error::from)?;
    Ok(())
}

pub async fn run(g: &Globals, a: StatsArgs) -> CliResult {
    let given = a.all as u8 + a.latest as u8 + !a.containers.is_empty() as u8;
    if given > 1 {
        return Err(CliError::usage(
            "--all, --latest and containers cannot be used together",
        ));
    }
    if a.interval < 1 {
        return Err(CliError::usage(
            "invalid interval, must be a positive number greater zero",
        ));
    }
    let engine = open_front_door(g)?;
    let mut previous = Vec::new();
    loop {
        let samples = engine
            .container_stats(ContainerStatsOptions {
                names: a
                    .containers
                    .iter()
                    .map(|c| c.trim_start_matches('/').to_owned())
                    .collect(),
                all: a.all,
                latest: a.latest,
                previous,
            })
            .await?;
        print_stats(&a, &samples)?;
        if a.out.no_stream {
            return Ok(0);
        }
        previous = samples;
        tokio::time::sleep(Duration::from_secs(a.interval.unsigned_abs())).await;
    }
}

#[derive(Debug, Args)]
pub struct PodStatsArgs {
    /// Provide stats for all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest pod podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[command(flatten)]
    out: OutputFlags,
    /// POD...
    pods: Vec<String>,
}

const POD_HEADERS: &[(&str, &str)] = &[
    ("CPU", "CPU %"),
    ("MemUsage", "MEM USAGE/ LIMIT"),
    ("MemUsageBytes", "MEM USAGE/ LIMIT"),
    ("MEM", "MEM %"),
    ("BlockIO", "BLOCK IO"),
];

/// Podman's default `pod stats` table (a tab writer, `--` for no pod).
fn pod_default_table(reports: &[rpod_api::stats::PodStatsReport]) -> String {
    let mut text =
        "POD\tCID\tNAME\tCPU %\tMEM USAGE/ LIMIT\tMEM %\tNET IO\tBLOCK IO\tPIDS\n".to_owned();
    if reports.is_empty() {
        text.push_str("--\t--\t--\t--\t--\t--\t--\t--\t--\n");
    }
    for r in reports {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.pod, r.cid, r.name, r.cpu, r.mem_usage, r.mem, r.net_io, r.block_io, r.pids
        ));
    }
    crate::format::align(&text, crate::format::TabSettings::PODMAN)
}

pub async fn pod_run(g: &Globals, a: PodStatsArgs) -> CliResult {
    let engine = open_front_door(g)?;
    let json = a.out.format.as_deref().is_some_and(format::is_json);
    loop {
        let reports = engine
            .pod_stats(PodStatsOptions {
                names: a.pods.clone(),
                all: a.all,
                latest: a.latest,
            })
            .await?;
        let mut out = String::new();
        if json {
            let list = serde_json::to_value(&reports).map_err(anyhow::Error::from)?;
            out.push_str(&format::json_indent(&list, "     ", true));
            out.push('\n');
        } else {
            if !a.out.no_reset {
                out.push_str(CLEAR_SCREEN);
            }
            match a.out.format.as_deref() {
                Some(f) if !reports.is_empty() => {
                    let headers = HeaderMap::new("stats").with_all(POD_HEADERS);
                    let values: Vec<GoValue> =
                        reports.iter().map(ToTemplate::to_template).collect();
                    let text = format::render_typed(Origin::User, f, &values, &headers, false)
                        .map_err(|e| CliError::usage(e.to_string()))?;
                    out.push_str(&text);
                }
                Some(_) => {}
                None => out.push_str(&pod_default_table(&reports)),
            }
        }
        print!("{out}");
        std::io::stdout().flush().map_err(anyhow::Error::from)?;
        if a.out.no_stream {
            return Ok(0);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter() -> StatsReporter {
        StatsReporter {
            stats: ContainerStats {
                container_id: "0123456789abcdef".into(),
                name: "c1".into(),
                cpu: 12.345,
                mem_usage: 1_500_000,
                mem_limit: 1 << 30,
                mem_perc: 0.14,
                pids: 3,
                up_time: 1_500_000_000,
                ..ContainerStats::default()
            },
            no_trunc: false,
        }
    }

    #[test]
    fn template_names_are_podmans() {
        let r = reporter();
        let out = format::render_value(
            "{{.ID}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.PIDS}} {{.UpTime}} {{.ContainerID}} {{.PIDs}}",
            &r.to_template(),
            "stats",
        )
        .unwrap();
        assert_eq!(
            out,
            "0123456789ab c1 12.35% 1.5MB / 1.074GB 0.14% 3 1.5s 0123456789abcdef 3\n"
        );
        let j = r.json();
        assert_eq!(j["id"], "0123456789ab");
        assert_eq!(j["mem_usage"], "1.5MB / 1.074GB");
        assert_eq!(j["net_io"], "0B / 0B");
    }
}
