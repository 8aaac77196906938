//! A container's root filesystem: `mount`, `umount`, `export`, and `diff` of a
//! container or an image.

use std::path::Path;

use rpod_api::container::{
    Change, ContainerMountOptions, ContainerMountReport, ContainerUnmountOptions,
    ContainerUnmountReport, DiffOptions, DiffReport, DiffType,
};
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::{Error, Result};

use super::select::{find, name_or_latest};
use crate::engine::Engine;
use crate::state::{ContainerRecord, ContainerState};
use crate::storage::Image;

/// Paths the engine itself creates or mounts over in every container;
/// Podman leaves them out of a container's diff.
const INIT_INODES: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/notify",
    "/run/.containerenv",
    "/run/secrets",
    "/sys",
    "/etc/mtab",
];

fn other(e: impl ToString) -> Error {
    Error::other(e.to_string())
}

/// The container's record and image.
pub(crate) async fn container_image(
    engine: &Engine,
    name: &str,
) -> Result<(ContainerRecord, Image)> {
    let rec = engine.container(name)?.get().await?;
    let image = engine
        .store()
        .images()
        .map_err(other)?
        .into_iter()
        .find(|i| i.id == rec.image_id)
        .ok_or_else(|| Error::other(format!("{}: image not known", rec.image_name)))?;
    Ok((rec, image))
}

pub(crate) fn is_mounted(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (
        std::fs::metadata(path),
        path.parent().map(std::fs::metadata),
    ) {
        (Ok(m), Some(Ok(p))) => m.dev() != p.dev(),
        _ => false,
    }
}

/// `mount`: stops at the first container that cannot be mounted (its report
/// carries the error).
pub(super) async fn mount(
    engine: &Engine,
    o: ContainerMountOptions,
) -> Result<Vec<ContainerMountReport>> {
    let names: Vec<String> = if o.all || o.names.is_empty() {
        engine.containers()?.into_iter().map(|r| r.id).collect()
    } else {
        o.names.clone()
    };
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        let res = async {
            let (rec, image) = container_image(engine, name).await?;
            let path = engine
                .store()
                .user_mount_rootfs(&rec.id, &image)
                .map_err(other)?;
            Ok::<_, Error>((rec.id, path))
        }
        .await;
        match res {
            Ok((id, path)) => out.push(ContainerMountReport {
                id,
                name: name.clone(),
                path: path.display().to_string(),
                err: None,
            }),
            Err(e) => {
                out.push(ContainerMountReport {
                    name: name.clone(),
                    err: Some(e),
                    ..ContainerMountReport::default()
                });
                break;
            }
        }
    }
    Ok(out)
}

/// The containers whose root filesystem is mounted.
pub(super) async fn list_mounted(engine: &Engine) -> Result<Vec<ContainerMountReport>> {
    let mut out = Vec::new();
    for rec in engine.containers()? {
        let (rec, _) = container_image(engine, &rec.id).await?;
        let merged = engine.store().container_storage_paths(&rec.id).merged;
        if is_mounted(&merged) {
            out.push(ContainerMountReport {
                name: rec.name.clone(),
                id: rec.id,
                path: merged.display().to_string(),
                err: None,
            });
        }
    }
    Ok(out)
}

/// `umount`: drops a user mount of each container and unmounts the root filesystem
/// when none is left and the container does not run. Stops at the first failure.
pub(super) async fn unmount(
    engine: &Engine,
    o: ContainerUnmountOptions,
) -> Result<Vec<ContainerUnmountReport>> {
    let names: Vec<String> = if o.all {
        engine.containers()?.into_iter().map(|r| r.id).collect()
    } else {
        o.names.clone()
    };
    let mut out = Vec::with_capacity(names.len());
    for name in &names {
        let res = async {
            let rec = engine.container(name)?.get().await?;
            let merged = engine.store().container_storage_paths(&rec.id).merged;
            // A running container keeps its root filesystem.
            let running = matches!(
                rec.state,
                ContainerState::Running | ContainerState::Paused | ContainerState::Stopping
            );
            let remaining = engine
                .store()
                .user_unmount_count(&rec.id, o.force)
                .map_err(other)?;
            let unmount = remaining == 0 && !running && is_mounted(&merged);
            if unmount {
                engine.store().unmount_rootfs(&rec.id).map_err(other)?;
            }
            Ok::<_, Error>((rec.id, unmount))
        }
        .await;
        let failed = res.is_err();
        out.push(match res {
            Ok((id, unmounted)) => ContainerUnmountReport {
                id,
                raw_input: name.clone(),
                unmounted,
                err: None,
            },
            Err(e) => ContainerUnmountReport {
                raw_input: name.clone(),
                err: Some(e),
                ..ContainerUnmountReport::default()
            },
        });
        if failed {
            break;
        }
    }
    Ok(out)
}

/// Writes the tree at `path` as a tarball to `output` (a file is written whole or
/// not at all).
pub(crate) fn write_tar(path: &Path, output: ExportOutput) -> std::result::Result<(), String> {
    fn tar<W: std::io::Write>(path: &Path, w: W) -> std::result::Result<(), String> {
        let mut w = crate::storage::tree_tar::write_tree(path, std::io::BufWriter::new(w), false)
            .map_err(|e| e.to_string())?;
        std::io::Write::flush(&mut w).map_err(|e| e.to_string())
    }
    match output {
        // A device or pipe (`--output /dev/null`) is written in place: a
        // temporary file renamed over it would replace it.
        ExportOutput::File(o) if std::fs::metadata(&o).is_ok_and(|m| !m.is_file()) => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&o)
                .map_err(|e| format!("opening {}: {e}", o.display()))?;
            tar(path, f)
        }
        ExportOutput::File(o) => {
            let tmp = o.with_extension("partial");
            let f = std::fs::File::create(&tmp)
                .map_err(|e| format!("creating {}: {e}", o.display()))?;
            let res = tar(path, f);
            match res {
                Ok(()) => std::fs::rename(&tmp, &o)
                    .map_err(|e| format!("renaming {}: {e}", tmp.display())),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        }
        ExportOutput::Stream(w) => tar(path, w),
    }
}

/// `export`: mounts the root filesystem for the time of the export if it was not.
pub(super) async fn export(engine: &Engine, name: &str, output: ExportOutput) -> Result<()> {
    let (rec, image) = container_image(engine, name).await?;
    let (path, was_mounted) = mount_rootfs(engine, &rec, &image)?;
    let result = tokio::task::spawn_blocking(move || write_tar(&path, output))
        .await
        .map_err(|e| Error::other(format!("export task failed: {e}")))?;
    if !was_mounted {
        release_rootfs(engine, &rec.id).await?;
    }
    result.map_err(Error::other)
}

/// Mounts the container's root filesystem for the engine's own use;
/// returns where, and whether it was mounted already.
pub(crate) fn mount_rootfs(
    engine: &Engine,
    rec: &ContainerRecord,
    image: &Image,
) -> Result<(std::path::PathBuf, bool)> {
    let store = engine.store();
    let was_mounted = is_mounted(&store.container_storage_paths(&rec.id).merged);
    let path = store.mount_rootfs(&rec.id, image).map_err(other)?;
    Ok((path, was_mounted))
}

/// Undoes a [`mount_rootfs`] that mounted: unmounts unless the container
/// runs by now.
pub(crate) async fn release_rootfs(engine: &Engine, id: &str) -> Result<()> {
    let rec = engine.container(id)?.get().await?;
    if !matches!(rec.state, ContainerState::Running | ContainerState::Paused) {
        engine.store().unmount_rootfs(&rec.id).map_err(other)?;
    }
    Ok(())
}

/// `diff` of a container (without the paths the engine creates), else of an
/// image's top layer.
pub(super) async fn diff(engine: &Engine, name: &str, o: DiffOptions) -> Result<DiffReport> {
    let name = name_or_latest(engine, name, o.latest)?;
    let store = engine.store();
    let handle = if o.r#type == DiffType::Image {
        None
    } else {
        find(engine, &name)?
    };
    let changes = match handle {
        Some(h) => {
            let rec = h.get().await?;
            let image = store
                .images()
                .map_err(other)?
                .into_iter()
                .find(|i| i.id == rec.image_id)
                .ok_or_else(|| Error::other(format!("{}: image not known", rec.image_name)))?;
            store.container_changes(&rec.id, &image).map(|all| {
                all.into_iter()
                    .filter(|c| !INIT_INODES.contains(&c.path.as_str()))
                    .collect::<Vec<_>>()
            })
        }
        None if o.r#type == DiffType::Container => {
            return Err(Error::new(
                rpod_api::ErrorKind::NoSuchContainer,
                format!("{name}: no such container"),
            ))
        }
        None => {
            let image = store
                .lookup_image(&name)
                .ok()
                .flatten()
                .ok_or_else(|| Error::other(format!("{name}: no such container or image")))?;
            store.image_changes(&image)
        }
    }
    .map_err(other)?;
    Ok(DiffReport {
        changes: changes
            .into_iter()
            .map(|c| Change {
                path: c.path,
                kind: c.kind,
            })
            .collect(),
    })
}
