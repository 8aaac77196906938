//! A container's /dev/shm, as its IPC mode says (Podman's rules):
//! - `shareable` (the default) and a pod's infra container: a tmpfs
//!   mounted on the host under the container's run directory
//!   (`<runroot>/containers/<id>/shm`, as Podman's `userdata/shm`),
//!   bind-mounted at /dev/shm, so containers that join the IPC namespace
//!   (`--ipc container:ID`, pod members when the pod shares IPC) bind the
//!   same one: POSIX shared memory goes with the IPC namespace. The mount
//!   is made when the container is initialized and undone when its
//!   resources are released (exit cleanup, removal, a failed start);
//! - `private` and `ns:PATH`: a tmpfs of the container's own;
//! - `host`: the host's /dev/shm; `none`: no /dev/shm at all.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{Mount, MountBuilder, Spec};
use rustix::mount::{MountFlags, UnmountFlags};

use super::ns_modes::{NsKind, NsMode};
use super::placement::{infra_of, joins_pod};
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::ContainerRecord;

/// Podman's default /dev/shm size (`--shm-size` changes it in the spec).
const DEFAULT_SHM_SIZE: &str = "size=65536k";

/// Where the shm tmpfs of container `id` is mounted.
pub fn shm_dir(ctx: &EngineCtx, id: &str) -> PathBuf {
    ctx.config.container_run_dir(id).join("shm")
}

/// What `rec` gets at /dev/shm.
enum Shm {
    /// The spec's own tmpfs.
    OwnTmpfs,
    /// Nothing (`--ipc none`).
    Nothing,
    /// A bind mount of a host directory.
    Bind(PathBuf),
}

/// The /dev/shm of `rec`, mounting its shareable one first.
fn shm_for(ctx: &EngineCtx, rec: &ContainerRecord, size: &str) -> Result<Shm, ContainerError> {
    match &rec.options.namespaces.ipc {
        NsMode::None => Ok(Shm::Nothing),
        NsMode::Host => Ok(Shm::Bind(PathBuf::from("/dev/shm"))),
        NsMode::Private | NsMode::Path(_) => Ok(Shm::OwnTmpfs),
        NsMode::Container(id) => Ok(joined_shm(ctx, id)),
        NsMode::Default | NsMode::Shareable => {
            if joins_pod(rec, NsKind::Ipc) {
                let Some(infra) = infra_of(ctx, rec)? else {
                    return Ok(Shm::OwnTmpfs);
                };
                return Ok(joined_shm(ctx, &infra.id));
            }
            let dir = shm_dir(ctx, &rec.id);
            mount_shm(&dir, size)?;
            Ok(Shm::Bind(dir))
        }
    }
}

/// The /dev/shm of the container `id` whose IPC namespace is joined: its
/// mounted shm directory, the host's for a `--ipc host` one, else (made
/// by an older rpod, or with a private tmpfs) a tmpfs of the joiner's own.
fn joined_shm(ctx: &EngineCtx, id: &str) -> Shm {
    let dir = shm_dir(ctx, id);
    if is_mountpoint(&dir) {
        return Shm::Bind(dir);
    }
    match ctx.db.container_by_id(id) {
        Ok(Some(donor)) if donor.options.namespaces.ipc == NsMode::Host => {
            Shm::Bind(PathBuf::from("/dev/shm"))
        }
        _ => Shm::OwnTmpfs,
    }
}

/// Replaces the default /dev/shm tmpfs of the spec as the container's IPC
/// mode says (a user mount at /dev/shm is left alone).
pub(crate) fn apply(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    spec: &mut Spec,
) -> Result<(), ContainerError> {
    let is_default =
        |m: &Mount| m.destination() == Path::new("/dev/shm") && m.typ().as_deref() == Some("tmpfs");
    // The size the spec gives the default tmpfs (`--shm-size`) is the
    // size of the shareable one mounted on the host.
    let size = spec
        .mounts()
        .iter()
        .flatten()
        .filter(|m| is_default(m))
        .flat_map(|m| m.options().iter().flatten())
        .find(|o| o.starts_with("size="))
        .cloned()
        .unwrap_or_else(|| DEFAULT_SHM_SIZE.to_owned());
    let shm = shm_for(ctx, rec, &size)?;
    let Some(mounts) = spec.mounts_mut() else {
        return Ok(());
    };
    match shm {
        Shm::OwnTmpfs => {}
        Shm::Nothing => mounts.retain(|m| !is_default(m)),
        Shm::Bind(dir) => {
            for m in mounts.iter_mut() {
                if is_default(m) {
                    *m = bind(&dir)?;
                }
            }
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

fn mount_shm(dir: &Path, size: &str) -> Result<(), ContainerError> {
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
        std::ffi::CString::new(format!("mode=1777,{size}"))
            .map_err(|e| err(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?
            .as_c_str(),
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
