//! `mount`, `umount` and `export`: a container's root filesystem on the
//! host, and as a tarball.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rpod_engine::state::ContainerState;
use rpod_engine::Engine;

use rpod_api::front_door::images::ImageMountOptions;

use super::common::{open_engine, open_front_door, Globals};
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

fn usage(e: impl ToString) -> CliError {
    CliError::usage(e.to_string())
}

/// The container's record and image.
async fn container_image(
    engine: &Engine,
    name: &str,
) -> CliResult<(
    rpod_engine::state::ContainerRecord,
    rpod_engine::storage::Image,
)> {
    let rec = engine.container(name)?.get().await?;
    let image = engine
        .store()
        .images()
        .map_err(usage)?
        .into_iter()
        .find(|i| i.id == rec.image_id)
        .ok_or_else(|| CliError::usage(format!("{}: image not known", rec.image_name)))?;
    Ok((rec, image))
}

fn is_mounted(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (
        std::fs::metadata(path),
        path.parent().map(std::fs::metadata),
    ) {
        (Ok(m), Some(Ok(p))) => m.dev() != p.dev(),
        _ => false,
    }
}

pub async fn mount(g: &Globals, a: MountArgs) -> CliResult {
    let engine = open_engine(g)?;
    let names: Vec<String> = if a.all || a.containers.is_empty() {
        engine.containers()?.into_iter().map(|r| r.id).collect()
    } else {
        a.containers.clone()
    };
    for name in &names {
        let (rec, image) = container_image(&engine, name).await?;
        if a.containers.is_empty() && !a.all {
            let merged = engine.store().container_storage_paths(&rec.id).merged;
            if is_mounted(&merged) {
                let id = if a.notruncate {
                    &rec.id[..]
                } else {
                    &rec.id[..12]
                };
                println!("{id} {}", merged.display());
            }
            continue;
        }
        let path = engine
            .store()
            .user_mount_rootfs(&rec.id, &image)
            .map_err(usage)?;
        if a.all {
            println!("{} {}", rec.id, path.display());
        } else {
            println!("{}", path.display());
        }
    }
    Ok(0)
}

pub async fn umount(g: &Globals, a: UmountArgs) -> CliResult {
    let engine = open_engine(g)?;
    let names: Vec<String> = if a.all {
        engine.containers()?.into_iter().map(|r| r.id).collect()
    } else if a.containers.is_empty() {
        return Err(CliError::usage("at least one container must be specified"));
    } else {
        a.containers.clone()
    };
    for name in &names {
        let rec = engine.container(name)?.get().await?;
        let merged = engine.store().container_storage_paths(&rec.id).merged;
        // A running container keeps its root filesystem.
        let running = matches!(
            rec.state,
            ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
        );
        let remaining = engine
            .store()
            .user_unmount_count(&rec.id, a.force)
            .map_err(usage)?;
        if remaining == 0 && !running && is_mounted(&merged) {
            engine.store().unmount_rootfs(&rec.id).map_err(usage)?;
            if a.all {
                println!("{}", rec.id);
            }
        }
        if !a.all {
            println!("{name}");
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
    let engine = open_engine(g)?;
    let (rec, image) = container_image(&engine, &a.container).await?;
    let store = engine.store().clone();
    let merged = store.container_storage_paths(&rec.id).merged;
    let was_mounted = is_mounted(&merged);
    let path = store.mount_rootfs(&rec.id, &image).map_err(usage)?;
    let output = a.output.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<(), String> {
        match output {
            Some(o) => {
                let tmp = o.with_extension("partial");
                let f = std::fs::File::create(&tmp)
                    .map_err(|e| format!("creating {}: {e}", o.display()))?;
                let w = std::io::BufWriter::new(f);
                let res = rpod_engine::storage::tree_tar::write_tree(&path, w, false)
                    .map_err(|e| e.to_string())
                    .and_then(|mut w| std::io::Write::flush(&mut w).map_err(|e| e.to_string()));
                match res {
                    Ok(()) => std::fs::rename(&tmp, &o)
                        .map_err(|e| format!("renaming {}: {e}", tmp.display())),
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(e)
                    }
                }
            }
            None => {
                let out = std::io::BufWriter::new(std::io::stdout().lock());
                rpod_engine::storage::tree_tar::write_tree(&path, out, false)
                    .map_err(|e| e.to_string())
                    .and_then(|mut w| std::io::Write::flush(&mut w).map_err(|e| e.to_string()))
            }
        }
    })
    .await
    .map_err(|e| CliError::usage(format!("export task failed: {e}")))?;
    if !was_mounted {
        let rec = engine.container(&rec.id)?.get().await?;
        if !matches!(rec.state, ContainerState::Running | ContainerState::Paused) {
            engine.store().unmount_rootfs(&rec.id).map_err(usage)?;
        }
    }
    result.map_err(CliError::usage)?;
    Ok(0)
}
