//! `stop`, `kill`, `rm`, `wait`, `pause`, `unpause`, `rename`, `restart`,
//! `container exists` and `container cleanup`.

use clap::Args;
use rpod_api::container::{
    ContainerCleanupOptions, ContainerExistsOptions, ContainerReport, Filters, KillOptions,
    PauseUnpauseOptions, RestartOptions, RmOptions, StopOptions, WaitOptions,
};
use rpod_api::ErrorKind;

use super::common::{open_front_door, parse_signal, print_batch, print_removals, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Stop all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time", alias = "timeout", allow_negative_numbers = true, value_parser = super::common::parse_stop_timeout)]
    time: Option<u64>,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Filter what containers are going to be stopped (with --all)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL", allow_hyphen_values = true)]
    signal: String,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Restart all non-running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Filter what containers restart
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Restart only running containers
    #[arg(long)]
    running: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time", alias = "timeout", allow_negative_numbers = true, value_parser = super::common::parse_stop_timeout)]
    time: Option<u64>,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// Check external storage containers as well as Podman containers
    #[arg(long)]
    external: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[arg(required_unless_present = "latest")]
    container: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal of a running or unusable container
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time", allow_negative_numbers = true, value_parser = super::common::parse_stop_timeout)]
    time: Option<u64>,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<String>,
    /// Remove container and all containers that depend on it
    #[arg(long)]
    depend: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Condition to wait on
    #[arg(long, value_delimiter = ',')]
    condition: Vec<String>,
    /// Time Interval to wait before polling for completion
    #[arg(short = 'i', long, default_value = "250ms")]
    interval: String,
    /// Ignore if a container does not exist
    #[arg(long)]
    ignore: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Act on all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    container: String,
    name: String,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Clean up all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Clean up the given exec session instead of the container
    #[arg(long)]
    exec: Option<String>,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Remove the container after cleanup
    #[arg(long)]
    rm: bool,
    /// After cleanup, remove the image entirely
    #[arg(long)]
    rmi: bool,
    containers: Vec<String>,
}

/// Prints batch reports as Podman does: what the user typed (the ID for `--all`)
/// for each success, `Error: ...` for each failure but the last, which ends the
/// command with its exit code.
fn print_reports(reports: Vec<ContainerReport>) -> CliResult {
    print_batch(reports.into_iter().map(|r| match r.err {
        None => Ok(r.raw_input),
        Some(e) => Err(e),
    }))
}

/// `--latest` excludes names.
fn check_latest(latest: bool, names: &[String]) -> CliResult<()> {
    if latest && !names.is_empty() {
        return Err(CliError::usage(
            "--latest and containers cannot be used together",
        ));
    }
    Ok(())
}

/// At least one name unless `--all` or `--latest`.
fn check_names(all: bool, latest: bool, names: &[String]) -> CliResult<()> {
    check_latest(latest, names)?;
    if !all && !latest && names.is_empty() {
        return Err(CliError::usage("you must provide at least one name or id"));
    }
    Ok(())
}

/// `--filter KEY=VALUE` specs grouped by key.
fn filters(specs: &[String]) -> CliResult<Filters> {
    super::container_filter::group_specs(specs)
}

/// The IDs the `--cidfile` files name (missing files are skipped with `ignore`).
fn cidfile_ids(cidfiles: &[String], ignore: bool) -> CliResult<Vec<String>> {
    Ok(super::cidfile::read_cidfiles(cidfiles, ignore)?
        .into_iter()
        .map(|(_, id)| id)
        .collect())
}

pub async fn stop(g: &Globals, a: StopArgs) -> CliResult {
    let filters = filters(&a.filter)?;
    let mut names = a.containers.clone();
    names.extend(cidfile_ids(&a.cidfile, a.ignore)?);
    if !a.cidfile.is_empty() && names.is_empty() {
        return Ok(0);
    }
    if !filters.is_empty() && !a.all {
        return Err(CliError::usage("--filter needs --all"));
    }
    check_names(a.all, a.latest, &names)?;
    let engine = open_front_door(g)?;
    let reports = engine
        .container_stop(StopOptions {
            names,
            all: a.all,
            latest: a.latest,
            ignore: a.ignore,
            filters,
            timeout: a.time,
        })
        .await?;
    print_reports(reports)
}

pub async fn kill(g: &Globals, a: KillArgs) -> CliResult {
    let signal = parse_signal(&a.signal)?;
    let mut names = a.containers.clone();
    names.extend(cidfile_ids(&a.cidfile, false)?);
    check_names(a.all, a.latest, &names)?;
    let engine = open_front_door(g)?;
    let reports = engine
        .container_kill(KillOptions {
            names,
            all: a.all,
            latest: a.latest,
            signal,
        })
        .await?;
    print_reports(reports)
}

/// Podman's `rm` exit codes: 1 if a container did not exist, 2 if one was
/// running (without --force), 125 for other failures; each failure is printed
/// as it comes.
pub async fn rm(g: &Globals, a: RmArgs) -> CliResult {
    let mut names = a.containers.clone();
    for (f, id) in super::cidfile::read_cidfiles(&a.cidfile, a.ignore)? {
        names.push(id);
        // Podman removes the file with the container.
        let _ = std::fs::remove_file(f);
    }
    if !a.cidfile.is_empty() && names.is_empty() {
        return Ok(0);
    }
    check_names(a.all, a.latest, &names)?;
    let engine = open_front_door(g)?;
    let reports = engine
        .container_rm(RmOptions {
            names,
            all: a.all,
            latest: a.latest,
            ignore: a.ignore,
            force: a.force,
            depend: a.depend,
            volumes: a.volumes,
            timeout: a.time,
            filters: Filters::new(),
        })
        .await?;
    print_removals(
        reports.into_iter().map(|r| match r.err {
            None => Ok(r.raw_input),
            Some(e) => Err(e),
        }),
        |kind| match kind {
            ErrorKind::NoSuchContainer => 1,
            ErrorKind::InvalidState => 2,
            _ => 125,
        },
    )
}

pub async fn wait(g: &Globals, a: WaitArgs) -> CliResult {
    let interval = super::service_flags::parse_go_duration(&a.interval)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("time: invalid duration {:?}", a.interval)))?;
    if a.containers.is_empty() && !a.latest {
        return Err(CliError::usage("wait requires at least one argument"));
    }
    check_latest(a.latest, &a.containers)?;
    let engine = open_front_door(g)?;
    let reports = engine
        .container_wait(WaitOptions {
            names: a.containers.clone(),
            latest: a.latest,
            ignore: a.ignore,
            conditions: a.condition.clone(),
            interval,
        })
        .await?;
    print_batch(reports.into_iter().map(|r| match r.error {
        None => Ok(r.exit_code.to_string()),
        Some(e) => Err(e),
    }))
}

/// `restart`: stops (if running) and starts each container; prints what
/// the user typed, or the IDs for `--all`/`--running`/`--filter`.
pub async fn restart(g: &Globals, a: RestartArgs) -> CliResult {
    let filters = filters(&a.filter)?;
    let mut names = a.containers.clone();
    names.extend(cidfile_ids(&a.cidfile, false)?);
    if (a.all || a.running) && !names.is_empty() {
        return Err(CliError::usage(
            "--all or --running and containers cannot be used together",
        ));
    }
    let select_all = a.all || a.running || !filters.is_empty();
    if !select_all {
        if names.is_empty() && !a.latest {
            return Err(CliError::usage("restart requires at least one argument"));
        }
        check_latest(a.latest, &names)?;
    }
    let engine = open_front_door(g)?;
    let reports = engine
        .container_restart(RestartOptions {
            names,
            all: a.all,
            latest: a.latest,
            running: a.running,
            filters,
            timeout: a.time,
        })
        .await?;
    print_reports(reports)
}

/// `container exists`: exit 0 if the container exists, 1 if not.
pub async fn exists(g: &Globals, a: ExistsArgs) -> CliResult {
    if a.container.is_some() && a.latest {
        return Err(CliError::usage(
            "--latest and containers cannot be used together",
        ));
    }
    let engine = open_front_door(g)?;
    let name = a.container.clone().unwrap_or_default();
    let found = engine
        .container_exists(
            &name,
            ContainerExistsOptions {
                external: a.external,
                latest: a.latest,
            },
        )
        .await?;
    Ok(if found { 0 } else { 1 })
}

pub async fn pause(g: &Globals, a: NamesArgs, pause: bool) -> CliResult {
    check_names(a.all, a.latest, &a.containers)?;
    let engine = open_front_door(g)?;
    let options = PauseUnpauseOptions {
        names: a.containers.clone(),
        all: a.all,
        latest: a.latest,
        filters: Filters::new(),
    };
    let reports = if pause {
        engine.container_pause(options).await?
    } else {
        engine.container_unpause(options).await?
    };
    print_reports(reports)
}

pub async fn rename(g: &Globals, a: RenameArgs) -> CliResult {
    let engine = open_front_door(g)?;
    engine.container_rename(&a.container, &a.name).await?;
    Ok(0)
}

/// Run by a container's monitor after the container exited: records the
/// exit and releases mounts; removes `--rm` containers. Quiet when the
/// container is already gone.
pub async fn cleanup(g: &Globals, a: CleanupArgs) -> CliResult {
    if a.exec.is_some() {
        if a.all {
            return Err(CliError::usage("--all and --exec cannot be set together"));
        }
        if a.rmi {
            return Err(CliError::usage("--exec and --rmi cannot be set together"));
        }
        return Err(CliError::usage(
            "--exec is not supported yet (cleaning up one exec session)",
        ));
    }
    check_names(a.all, a.latest, &a.containers)?;
    let engine = open_front_door(g)?;
    let reports = engine
        .container_cleanup(ContainerCleanupOptions {
            names: a.containers.clone(),
            all: a.all,
            remove: a.rm,
            latest: a.latest,
            remove_image: a.rmi,
        })
        .await?;
    match reports.into_iter().find_map(|r| r.err) {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
