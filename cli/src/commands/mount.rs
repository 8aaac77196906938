//! `mount`, `umount` and `export`: a container's root filesystem on the
//! host, and as a tarball.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rpod_api::container::{ContainerMountOptions, ContainerUnmountOptions};
use rpod_api::front_door::containers::ExportOutput;

use rpod_api::front_door::images::ImageMountOptions;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct MountArgs {
    /// Mount all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not truncate the container IDs when listing mounts
    #[arg(long, alias = "no-trunc")]
    notruncate: bool,
    /// Containers
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UmountArgs {
    /// Unmount all of the currently mounted containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force the complete unmount of the specified mounted containers
    #[arg(short = 'f', long)]
    force: bool,
    /// Containers
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Container
    container: String,
}

pub async fn mount(g: &Globals, a: MountArgs) -> CliResult {
    let engine = open_front_door(g)?;
    if a.containers.is_empty() && !a.all {
        for r in engine.container_list_mounted().await? {
            let id = if a.notruncate { &r.id[..] } else { &r.id[..12] };
            println!("{id} {}", r.path);
        }
        return Ok(0);
    }
    let reports = engine
        .container_mount(ContainerMountOptions {
            names: a.containers.clone(),
            all: a.all,
        })
        .await?;
    for r in reports {
        if let Some(e) = r.err {
            return Err(e.into());
        }
        if a.all {
            println!("{} {}", r.id, r.path);
        } else {
            println!("{}", r.path);
        }
    }
    Ok(0)
}

pub async fn umount(g: &Globals, a: UmountArgs) -> CliResult {
    if !a.all && a.containers.is_empty() {
        return Err(CliError::usage("at least one container must be specified"));
    }
    let engine = open_front_door(g)?;
    let reports = engine
        .container_unmount(ContainerUnmountOptions {
            names: a.containers.clone(),
            all: a.all,
            force: a.force,
        })
        .await?;
    for r in reports {
        if let Some(e) = r.err {
            return Err(e.into());
        }
        if a.all {
            if r.unmounted {
                println!("{}", r.id);
            }
        } else {
            println!("{}", r.raw_input);
        }
    }
    Ok(0)
}

#[derive(Debug, Args)]
pub struct ImageMountArgs {
    /// Mount all images
    #[arg(short = 'a', long)]
    all: bool,
    /// Images
    images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImageUmountArgs {
    /// Unmount all of the currently mounted images
    #[arg(short = 'a', long)]
    all: bool,
    /// Force the complete unmount of the specified mounted images
    #[arg(short = 'f', long)]
    force: bool,
    /// Images
    images: Vec<String>,
}

/// `image mount`: mounts images read-only; with no argument, lists the
/// mounted ones as `NAME PATH`.
pub async fn image_mount(g: &Globals, a: ImageMountArgs) -> CliResult {
    if a.all && !a.images.is_empty() {
        return Err(CliError::usage(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    let fd = open_front_door(g)?;
    let list = a.images.is_empty();
    let mounted = fd
        .image_mount(
            a.images,
            ImageMountOptions {
                all: a.all,
                force: false,
            },
        )
        .await?;
    for m in mounted {
        if list {
            println!("{} {}", m.name, m.path);
        } else {
            println!("{}", m.path);
        }
    }
    Ok(0)
}

/// `image umount`: drops a mount of each image (all with `--force`) and
/// prints the ID of every image actually unmounted.
pub async fn image_umount(g: &Globals, a: ImageUmountArgs) -> CliResult {
    if a.all && !a.images.is_empty() {
        return Err(CliError::usage(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    if !a.all && a.images.is_empty() {
        return Err(CliError::usage("image name or ID must be specified"));
    }
    let fd = open_front_door(g)?;
    let unmounted = fd
        .image_unmount(
            a.images,
            ImageMountOptions {
                all: a.all,
                force: a.force,
            },
        )
        .await?;
    for id in unmounted {
        println!("{id}");
    }
    Ok(0)
}

pub async fn export(g: &Globals, a: ExportArgs) -> CliResult {
    if a.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::usage(
            "refusing to export to terminal. Use -o flag or redirect",
        ));
    }
    let engine = open_front_door(g)?;
    let output = match a.output {
        Some(path) => ExportOutput::File(path),
        None => ExportOutput::Stream(Box::new(std::io::stdout())),
    };
    engine.container_export(&a.container, output).await?;
    Ok(0)
}
