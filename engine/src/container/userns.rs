//! A container's own user namespace (`--userns=keep-id`, `auto`,
//! `--uidmap`...): pinned on a file in its run directory before anything
//! else, so that its network namespace can be made owned by it and its
//! root filesystem idmapped with it; the runtime joins it by path.

use std::path::{Path, PathBuf};

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::idmap::{self, IdMap, IdMaps};
use crate::state::ContainerRecord;

/// The pinned namespace's file.
pub(crate) fn pin_path(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("userns")
}

/// The mappings of the namespace `rec` makes itself, if any: `keep-id`
/// gets rpod's own (root: the identity), the others their stored maps.
pub(crate) fn own_maps(rec: &ContainerRecord) -> Result<Option<IdMaps>, ContainerError> {
    use super::ns_modes::UserNsMode;
    Ok(match &rec.options.namespaces.user {
        UserNsMode::KeepId => Some(IdMaps {
            uid: read_proc_map("/proc/self/uid_map")?,
            gid: read_proc_map("/proc/self/gid_map")?,
        }),
        UserNsMode::Private(maps) => Some(maps.clone()),
        _ => None,
    })
}

fn read_proc_map(file: &str) -> Result<Vec<IdMap>, ContainerError> {
    let text = std::fs::read_to_string(file).map_err(super::error::io_err(Path::new(file)))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().map(|n| n.parse::<u32>().ok());
            Some(IdMap {
                container: f.next()??,
                host: f.next()??,
                size: f.next()??,
            })
        })
        .collect())
}

/// Pins the namespace (when `rec` has one of its own) and mounts the root
/// filesystem: with its layers idmapped when the mappings shift ids.
pub(crate) fn mount_root(
    ctx: &crate::engine::EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    image: &crate::storage::Image,
) -> Result<(PathBuf, Option<IdMaps>), ContainerError> {
    let volatile = rec.options.remove;
    let (maps, pin, own) = match own_maps(rec)? {
        Some(maps) => {
            release(paths);
            let pin = pin_path(paths);
            idmap::pin_userns(&pin, &maps)?;
            (maps, pin, true)
        }
        // A joined namespace (another container's, the pod's) shifts the
        // layers by its own mappings.
        None => match joined_maps(ctx, rec, paths)? {
            Some((path, maps)) if !maps.is_identity() => (maps, path, false),
            _ => return Ok((ctx.store.mount_rootfs_with(&rec.id, image, volatile)?, None)),
        },
    };
    let shift = (!maps.is_identity()).then_some(crate::storage::IdShift {
        userns: pin.as_path(),
        maps: &maps,
        mode: ctx.config.id_shift,
    });
    let mounted = ctx
        .store
        .mount_rootfs_shifted(&rec.id, image, volatile, shift)
        .map_err(|e| e.to_string())
        .and_then(|merged| match shift {
            Some(_) => reachable_root(&rec.id, &merged),
            None => Ok(merged),
        });
    match mounted {
        Ok(root) => Ok((root, Some(maps))),
        Err(e) => {
            if own {
                release(paths);
            }
            Err(ContainerError::IdShift(e))
        }
    }
}

/// Pins the namespace (when `rec` has one of its own) and mounts a
/// `--rootfs` root: the default infra container of a pod with a user
/// namespace overlays an empty directory, whose root the overlay gives to
/// the namespace's root (Podman chowns its infra overlay the same way).
pub(crate) fn mount_dir_root(
    ctx: &crate::engine::EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    dir: &super::RootfsDir,
) -> Result<(PathBuf, Option<IdMaps>), ContainerError> {
    let Some(maps) = own_maps(rec)? else {
        return Ok((super::rootfs_dir::mount(ctx, rec, dir)?, None));
    };
    if !dir.overlay {
        return Err(ContainerError::IdShift(
            "--rootfs with a user namespace needs the :O overlay".to_owned(),
        ));
    }
    release(paths);
    idmap::pin_userns(&pin_path(paths), &maps)?;
    let mounted = super::rootfs_dir::mount(ctx, rec, dir)
        .map_err(|e| e.to_string())
        .and_then(|merged| {
            if let (Some(uid), Some(gid)) = (maps.host_uid(0), maps.host_gid(0)) {
                std::os::unix::fs::chown(&merged, Some(uid), Some(gid))
                    .map_err(|e| format!("chown {}: {e}", merged.display()))?;
            }
            reachable_root(&rec.id, &merged)
        });
    match mounted {
        Ok(root) => Ok((root, Some(maps))),
        Err(e) => {
            release(paths);
            Err(ContainerError::IdShift(e))
        }
    }
}

/// The path and mappings of the user namespace `rec` joins, if any.
fn joined_maps(
    ctx: &crate::engine::EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
) -> Result<Option<(PathBuf, IdMaps)>, ContainerError> {
    let crate::spec::UserNs::Join(path) = super::placement::user_namespace(ctx, rec, paths)? else {
        return Ok(None);
    };
    let Some(proc_dir) = path.to_str().and_then(|p| p.strip_suffix("/ns/user")) else {
        return Ok(None);
    };
    let maps = IdMaps {
        uid: read_proc_map(&format!("{proc_dir}/uid_map"))?,
        gid: read_proc_map(&format!("{proc_dir}/gid_map"))?,
    };
    Ok(Some((path, maps)))
}

/// Where the root filesystem of a container whose root is not the host's
/// is bound for the runtime: the runtime mounts it from inside the user
/// namespace, whose root cannot pass the store's private (0700)
/// directories, so it gets a path below a directory only traversable
/// (0711) for everyone.
fn reachable_root_path(id: &str) -> PathBuf {
    reachable_roots().join(id)
}

/// Root's `/run/rpod-userns-roots`; a rootless user's own directory.
fn reachable_roots() -> PathBuf {
    if crate::rootless::is_rootless() {
        match crate::rootless::dirs::reachable_roots_dir() {
            Ok(dir) => return dir,
            Err(e) => tracing::warn!("{e}"),
        }
    }
    PathBuf::from(REACHABLE_ROOTS)
}

const REACHABLE_ROOTS: &str = "/run/rpod-userns-roots";

fn reachable_root(id: &str, merged: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let target = reachable_root_path(id);
    let _ = nix::mount::umount2(&target, nix::mount::MntFlags::MNT_DETACH);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(&target)
        .map_err(|e| format!("creating {}: {e}", target.display()))?;
    let _ = std::fs::set_permissions(reachable_roots(), std::fs::Permissions::from_mode(0o711));
    nix::mount::mount(
        Some(merged),
        &target,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND | nix::mount::MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("binding {} on {}: {e}", merged.display(), target.display()))?;
    Ok(target)
}

/// Unpins the namespace [`mount_root`] pinned; idempotent, failures logged.
pub(crate) fn release(paths: &ContainerPaths) {
    if let Some(id) = paths.run_dir.file_name().and_then(|n| n.to_str()) {
        let target = reachable_root_path(id);
        let _ = nix::mount::umount2(&target, nix::mount::MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir(&target);
    }
    if let Err(e) = idmap::unpin_userns(&pin_path(paths)) {
        tracing::warn!("{e}");
    }
}

/// The pinned namespace's file, when `rec`'s run has one.
pub(crate) fn pinned(paths: &ContainerPaths) -> Option<PathBuf> {
    let pin = pin_path(paths);
    nix::sys::statfs::statfs(&pin)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
        .then_some(pin)
}

/// The host ids of container ids `uid`/`gid` in `rec`'s own namespace
/// (unchanged without one, or where unmapped).
pub(crate) fn host_ids(rec: &ContainerRecord, uid: u32, gid: u32) -> (u32, u32) {
    match rec.options.namespaces.user.own_maps() {
        Some(m) => (
            m.host_uid(uid).unwrap_or(uid),
            m.host_gid(gid).unwrap_or(gid),
        ),
        None => (uid, gid),
    }
}

/// `/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname` and
/// `/run/.containerenv` belong to the container's root, as Podman's.
pub(crate) fn chown_etc_files(
    maps: &IdMaps,
    files: &crate::spec::EtcFiles,
) -> Result<(), ContainerError> {
    let (Some(uid), Some(gid)) = (maps.host_uid(0), maps.host_gid(0)) else {
        return Ok(());
    };
    for f in [
        &files.hosts,
        &files.resolv_conf,
        &files.hostname,
        &files.containerenv,
    ] {
        match std::os::unix::fs::chown(f, Some(uid), Some(gid)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(super::error::io_err(f)(e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The secret files written for this run (owned by container ids) and
/// their directory, owned by the host ids those map to.
pub(crate) fn shift_secrets(maps: &IdMaps, run_dir: &Path) -> Result<(), ContainerError> {
    use std::os::unix::fs::MetadataExt;
    let dir = crate::secret::container::secrets_dir(run_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    let paths = entries
        .flatten()
        .map(|e| e.path())
        .chain(std::iter::once(dir.clone()));
    for p in paths {
        let meta = std::fs::symlink_metadata(&p).map_err(super::error::io_err(&p))?;
        let uid = maps.host_uid(meta.uid()).unwrap_or(meta.uid());
        let gid = maps.host_gid(meta.gid()).unwrap_or(meta.gid());
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).map_err(super::error::io_err(&p))?;
    }
    Ok(())
}
