//! `volume create|exists|export|import|inspect|ls|mount|prune|rm|unmount`:
//! flags into the front door's volume requests, its reports printed as
//! Podman's.

use crate::prep::Lazy;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::front_door::images::ArchiveSource;
use rpod_api::volume::{
    VolumeCreateOptions, VolumeListOptions, VolumePruneOptions, VolumeRmOptions,
};
use rpod_api::ErrorKind;

use super::common::{open_front_door, print_removals, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

/// Podman's `volume ls` column headers.
const HEADERS: &[(&str, &str)] = &[
    ("Name", "VOLUME NAME"),
    ("Driver", "DRIVER"),
    ("Mountpoint", "MOUNTPOINT"),
    ("CreatedAt", "CREATED AT"),
    ("Labels", "LABELS"),
    ("Scope", "SCOPE"),
    ("Options", "OPTIONS"),
    ("UID", "UID"),
    ("GID", "GID"),
    ("Anonymous", "ANONYMOUS"),
    ("MountCount", "MOUNT COUNT"),
    ("NeedsCopyUp", "NEEDS COPY UP"),
    ("NeedsChown", "NEEDS CHOWN"),
    ("LockNumber", "LOCK NUMBER"),
];

#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a new volume
    Create(Lazy<CreateArgs>),
    /// Check if volume exists
    Exists(Lazy<NameArg>),
    /// Export volumes
    Export(Lazy<ExportArgs>),
    /// Import a tarball contents into a volume
    Import(Lazy<ImportArgs>),
    /// Display detailed information on one or more volumes
    Inspect(Lazy<InspectArgs>),
    /// List volumes
    #[command(alias = "list")]
    Ls(Lazy<LsArgs>),
    /// Mount volume
    Mount(Lazy<NameArg>),
    /// Remove all unused volumes
    Prune(Lazy<PruneArgs>),
    /// Remove one or more volumes
    #[command(alias = "remove")]
    Rm(Lazy<RmArgs>),
    /// Unmount volume
    #[command(alias = "umount")]
    Unmount(Lazy<NameArg>),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Specify volume driver name
    #[arg(short = 'd', long, default_value = "local")]
    driver: String,
    /// Set metadata for a volume
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// Don't fail if volume already exists
    #[arg(long)]
    ignore: bool,
    /// Set the UID of the volume owner
    #[arg(long)]
    uid: Option<u32>,
    /// Set the GID of the volume owner
    #[arg(long)]
    gid: Option<u32>,
    name: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArg {
    name: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    name: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    name: String,
    /// A tar archive, or `-` for standard input
    source: String,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Inspect all volumes
    #[arg(short = 'a', long)]
    all: bool,
    /// Format volume output using Go template
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Filter volume output
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Format volume output using Go template
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
    format: Option<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Print volume output in quiet mode
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Provide filter values (e.g. 'label=<key>=<value>')
    #[arg(long)]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all volumes
    #[arg(short = 'a', long)]
    all: bool,
    /// Remove a volume by force, even if it is being used by a container
    #[arg(short = 'f', long)]
    force: bool,
    /// Seconds to wait for running containers to stop before killing the container
    #[arg(short = 't', long = "time", allow_negative_numbers = true)]
    time: Option<i64>,
    names: Vec<String>,
}

pub async fn dispatch(g: &Globals, cmd: VolumeCommand) -> CliResult {
    match cmd {
        VolumeCommand::Create(Lazy(a)) => create(g, a).await,
        VolumeCommand::Exists(Lazy(a)) => exists(g, a).await,
        VolumeCommand::Export(Lazy(a)) => export(g, a).await,
        VolumeCommand::Import(Lazy(a)) => import(g, a).await,
        VolumeCommand::Inspect(Lazy(a)) => inspect(g, a).await,
        VolumeCommand::Ls(Lazy(a)) => ls(g, a).await,
        VolumeCommand::Mount(Lazy(a)) => {
            println!("{}", open_front_door(g)?.volume_mount(&a.name).await?);
            Ok(0)
        }
        VolumeCommand::Prune(Lazy(a)) => prune(g, a).await,
        VolumeCommand::Rm(Lazy(a)) => rm(g, a).await,
        VolumeCommand::Unmount(Lazy(a)) => {
            open_front_door(g)?.volume_unmount(&a.name).await?;
            println!("{}", a.name);
            Ok(0)
        }
    }
}

/// `key=value` pairs (a key alone has an empty value).
pub(super) fn key_values(items: &[String]) -> std::collections::BTreeMap<String, String> {
    items
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (l.clone(), String::new()),
        })
        .collect()
}

async fn create(g: &Globals, a: CreateArgs) -> CliResult {
    let mut options = key_values(&a.opt);
    if let Some(uid) = a.uid {
        options.insert("UID".into(), uid.to_string());
    }
    if let Some(gid) = a.gid {
        options.insert("GID".into(), gid.to_string());
    }
    let name = open_front_door(g)?
        .volume_create(VolumeCreateOptions {
            name: a.name,
            driver: a.driver,
            label: key_values(&a.label),
            options,
            ignore_if_exists: a.ignore,
        })
        .await?;
    println!("{name}");
    Ok(0)
}

async fn exists(g: &Globals, a: NameArg) -> CliResult {
    match open_front_door(g)?.volume_exists(&a.name).await? {
        true => Ok(0),
        false => Ok(1),
    }
}

async fn export(g: &Globals, a: ExportArgs) -> CliResult {
    let output = match a.output {
        Some(path) if path.as_os_str().is_empty() => {
            return Err(CliError::usage(
                "must provide valid path for file to write to",
            ))
        }
        Some(path) => ExportOutput::File(path),
        None if std::io::stdout().is_terminal() => {
            return Err(CliError::usage(
                "cannot write to terminal, use command-line redirection or the --output flag",
            ))
        }
        None => ExportOutput::Stream(Box::new(std::io::stdout())),
    };
    open_front_door(g)?.volume_export(&a.name, output).await?;
    Ok(0)
}

async fn import(g: &Globals, a: ImportArgs) -> CliResult {
    let from = if a.source == "-" {
        ArchiveSource::Stream(Box::new(std::io::stdin()))
    } else {
        ArchiveSource::Path(PathBuf::from(&a.source))
    };
    open_front_door(g)?.volume_import(&a.name, from).await?;
    Ok(0)
}

async fn inspect(g: &Globals, a: InspectArgs) -> CliResult {
    if a.all != a.names.is_empty() {
        return Err(CliError::usage(
            "provide one or more volume names or use --all",
        ));
    }
    let (found, errs) = open_front_door(g)?.volume_inspect(&a.names, a.all).await?;
    let out: Vec<GoValue> = found.iter().map(ToTemplate::to_template).collect();
    super::inspect::print_reports(a.format.as_deref(), &out)?;
    let mut errs = errs;
    match errs.pop() {
        Some(last) => {
            for e in errs {
                eprintln!("Error: {}", e.message);
            }
            Err(last.into())
        }
        None => Ok(0),
    }
}

async fn ls(g: &Globals, a: LsArgs) -> CliResult {
    if a.quiet && a.format.is_some() {
        return Err(CliError::usage(
            "quiet and format flags cannot be used together",
        ));
    }
    let reports = open_front_door(g)?
        .volume_list(VolumeListOptions {
            filters: a.filter.clone(),
        })
        .await?;
    let rows: Vec<GoValue> = reports.iter().map(ToTemplate::to_template).collect();
    let headers = HeaderMap::new("volume ls")
        .with_all(HEADERS)
        .json_style("  ", true)
        .row_type("*entities.VolumeListReport");
    let (origin, fmt) = match (a.format, a.quiet) {
        (Some(f), _) => (Origin::User, f),
        (None, true) => (Origin::User, "{{.Name}}\n".to_owned()),
        (None, false) => (Origin::Podman, "table {{.Driver}}\t{{.Name}}".to_owned()),
    };
    let out = format::render_typed(origin, &fmt, &rows, &headers, a.noheading)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

async fn prune(g: &Globals, a: PruneArgs) -> CliResult {
    let front = open_front_door(g)?;
    if !a.force {
        println!("WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:");
        let mut filters = a.filter.clone();
        filters.push("dangling=true".into());
        let unused = front.volume_list(VolumeListOptions { filters }).await?;
        if unused.is_empty() {
            println!("No dangling volumes found");
            return Ok(0);
        }
        for v in &unused {
            println!("{}", v.name);
        }
        print!("Are you sure you want to continue? [y/N] ");
        std::io::Write::flush(&mut std::io::stdout()).map_err(anyhow::Error::from)?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(anyhow::Error::from)?;
        if !answer.trim_start().to_ascii_lowercase().starts_with('y') {
            return Ok(0);
        }
    }
    let reports = front
        .volume_prune(VolumePruneOptions { filters: a.filter })
        .await?;
    print_removals(
        reports.into_iter().map(|r| match r.err {
            None => Ok(r.id),
            Some(e) => Err(e),
        }),
        |_| 125,
    )
}

/// Podman's exit codes: 1 if a volume did not exist, 2 if one was in use.
async fn rm(g: &Globals, a: RmArgs) -> CliResult {
    if a.all != a.names.is_empty() {
        return Err(CliError::usage("choose either one or more volumes or all"));
    }
    if a.time.is_some() && !a.force {
        return Err(CliError::usage(
            "--force option must be specified to use the --time option",
        ));
    }
    let options = VolumeRmOptions {
        all: a.all,
        force: a.force,
        timeout: a.time,
    };
    let reports = open_front_door(g)?.volume_remove(&a.names, options).await?;
    print_removals(
        reports.into_iter().map(|r| match r.err {
            None => Ok(r.id),
            Some(e) => Err(e),
        }),
        |kind| match kind {
            ErrorKind::NoSuchVolume => 1,
            ErrorKind::InUse => 2,
            _ => 125,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_keep_bare_keys() {
        let kv = key_values(&["type=tmpfs".into(), "nocopy".into(), "o=size=2M".into()]);
        assert_eq!(kv["type"], "tmpfs");
        assert_eq!(kv["nocopy"], "");
        assert_eq!(kv["o"], "size=2M");
    }
}
