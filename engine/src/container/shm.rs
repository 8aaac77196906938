//! A pod's shared /dev/shm. When the pod shares IPC, its infra container
//! gets a tmpfs mounted on the host under its run directory
//! (`<runroot>/containers/<infra id>/shm`, as Podman's `userdata/shm`),
//! bind-mounted at /dev/shm in the infra container and in every member:
//! POSIX shared memory goes with the IPC namespace. The mount is made when
//! the infra container is initialized and undone when its resources are
//! released (exit cleanup, removal, a failed start).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{Mount, MountBuilder, Spec};
use rustix::mount::{MountFlags, UnmountFlags};

use super::placement::{infra_of, shares};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::ContainerRecord;

/// Podman's default /dev/shm size and modes.
const SHM_OPTIONS: &std::ffi::CStr = c"mode=1777,size=65536k";

/// Where the shm tmpfs of infra container `infra_id` is mounted.
pub fn shm_dir(ctx: &EngineCtx, infra_id: &str) -> PathBuf {
    ctx.config.container_run_dir(infra_id).join("shm")
}

/// The shm directory `rec` should get at /dev/shm, mounting it first for
/// an infra container: `None` outside pods, when the pod does not share
/// IPC, or when the infra container has none (made by an older rpod).
fn shared_shm(ctx: &EngineCtx, rec: &ContainerRecord) -> Result<Option<PathBuf>, ContainerError> {
    let Some(m) = rec.options.pod.as_ref() else {
        return Ok(None);
    };
    if !shares(rec, "ipc") {
        return Ok(None);
    }
    if m.infra {
        let dir = shm_dir(ctx, &rec.id);
        mount_shm(&dir)?;
        return Ok(Some(dir));
    }
    let Some(infra) = infra_of(ctx, rec)? else {
        return Ok(None);
    };
    let dir = shm_dir(ctx, &infra.id);
    Ok(is_mountpoint(&dir).then_some(dir))
}

/// Replaces the default /dev/shm tmpfs of the spec by the pod's shared
/// one (a user mount at /dev/shm is left alone).
pub(crate) fn apply(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    spec: &mut Spec,
) -> Result<(), ContainerError> {
    let Some(dir) = shared_shm(ctx, rec)? else {
        return Ok(());
    };
    let Some(mounts) = spec.mounts_mut() else {
        return Ok(());
    };
    for m in mounts.iter_mut() {
        if m.destination() == Path::new("/dev/shm") && m.typ().as_deref() == Some("tmpfs") {
            *m = bind(&dir)?;
        }
    }
    Ok(())
}

fn bind(dir: &Path) -> Result<Mount, ContainerError> {
    MountBuilder::default()
        .destination("/dev/shm")
        .typ("bind")
        .source(dir)
        .options(
            ["bind", "rprivate", "nosuid", "noexec", "nodev"]
                .map(String::from)
                .to_vec(),
        )
        .build()
        .map_err(|e| ContainerError::Spec(e.into()))
}

fn mount_shm(dir: &Path) -> Result<(), ContainerError> {
    let err = |source: std::io::Error| ContainerError::Io {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    if is_mountpoint(dir) {
        return Ok(());
    }
    rustix::mount::mount(
        "shm",
        dir,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NOEXEC | MountFlags::NODEV,
        SHM_OPTIONS,
    )
    .map_err(|e| err(e.into()))
}

/// Unmounts (and removes) container `id`'s shm directory if it has one;
/// members that still use it keep their own mount of it. Idempotent.
pub(crate) fn release(ctx: &EngineCtx, id: &str) -> Result<(), ContainerError> {
    let dir = shm_dir(ctx, id);
    while is_mountpoint(&dir) {
        // Detached: a member's process may still hold files open in it.
        rustix::mount::unmount(&dir, UnmountFlags::DETACH).map_err(|e| ContainerError::Io {
            path: dir.clone(),
            source: e.into(),
        })?;
    }
    match std::fs::remove_dir(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ContainerError::Io { path: dir, source }),
    }
}

fn is_mountpoint(dir: &Path) -> bool {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    match (std::fs::symlink_metadata(dir), std::fs::metadata(parent)) {
        (Ok(m), Ok(p)) => m.dev() != p.dev(),
        _ => false,
    }
}
