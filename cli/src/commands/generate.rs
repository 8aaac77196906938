//! `generate systemd`: the engine writes the units that run a container (or
//! a pod and its members) as services; this prints them or, with `--files`,
//! writes them to the current directory.

use crate::prep::Lazy;
use clap::{Args, Subcommand};
use rpod_api::generate::{GenerateSystemdOptions, GenerateSystemdReport};

use super::common::{open_front_door, Globals};
use crate::cli_error::CliResult;

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Generate systemd units
    Systemd(Lazy<SystemdArgs>),
    /// Generate Kubernetes YAML based on containers, pods or volumes
    #[command(override_usage = "rpod generate kube [options] {CONTAINER...|POD...|VOLUME...}")]
    Kube(Lazy<super::kube::GenerateArgs>),
}

#[derive(Debug, Args)]
pub struct SystemdArgs {
    /// Generate .service files instead of printing to stdout
    #[arg(short = 'f', long)]
    files: bool,
    /// Use container names instead of IDs in unit names and commands
    #[arg(short = 'n', long)]
    name: bool,
    /// Create a new container instead of starting an existing one
    #[arg(long)]
    new: bool,
    /// Do not generate the header including the rpod version and the timestamp
    #[arg(long)]
    no_header: bool,
    /// Systemd restart-policy
    #[arg(long, default_value = "on-failure")]
    restart_policy: String,
    /// Stop timeout override
    #[arg(short = 't', long = "time", alias = "stop-timeout")]
    time: Option<u64>,
    /// Systemd unit name prefix for containers
    #[arg(long, default_value = "container")]
    container_prefix: String,
    /// Systemd unit name prefix for pods
    #[arg(long, default_value = "pod")]
    pod_prefix: String,
    /// Systemd unit name separator between name/id and prefix
    #[arg(long, default_value = "-")]
    separator: String,
    /// A container, or a pod (then one unit for the pod and one per member)
    container: String,
}

pub async fn run(g: &Globals, cmd: GenerateCommand) -> CliResult {
    let a = match cmd {
        GenerateCommand::Systemd(Lazy(a)) => a,
        GenerateCommand::Kube(Lazy(a)) => return super::kube::generate(g, a).await,
    };
    let options = GenerateSystemdOptions {
        use_name: a.name,
        new: a.new,
        no_header: a.no_header,
        restart_policy: a.restart_policy,
        stop_timeout: a.time,
        container_prefix: a.container_prefix,
        pod_prefix: a.pod_prefix.clone(),
        separator: a.separator.clone(),
    };
    let report = open_front_door(g)?
        .generate_systemd(&a.container, options)
        .await?;
    let units = ordered(report, &format!("{}{}", a.pod_prefix, a.separator));
    let dir = std::env::current_dir().map_err(|e| anyhow::anyhow!("current directory: {e}"))?;
    for (i, (unit, text)) in units.iter().enumerate() {
        if a.files {
            let path = dir.join(unit);
            std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            println!("{}", path.display());
        } else {
            if i > 0 {
                println!();
            }
            print!("{text}");
        }
    }
    Ok(0)
}

/// The units in the order they are printed: a pod's own unit (its name
/// starts with `pod_stem`, `pod-`) before its members', then by name.
fn ordered(report: GenerateSystemdReport, pod_stem: &str) -> Vec<(String, String)> {
    let mut units: Vec<(String, String)> = report.units.into_iter().collect();
    units.sort_by_key(|(name, _)| !name.starts_with(pod_stem));
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_unit_first() {
        let report = GenerateSystemdReport {
            units: [
                ("container-b.service", "b"),
                ("pod-p.service", "p"),
                ("container-a.service", "a"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        };
        let names: Vec<String> = ordered(report, "pod-")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "pod-p.service",
                "container-a.service",
                "container-b.service"
            ]
        );
    }
}
