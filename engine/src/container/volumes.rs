//! A container's named volumes around its runs: mounted (driver mount,
//! copy-up, ownership) before the runtime creates the container, released
//! when it has stopped. Which volumes this run counts as mounted is kept in
//! the run directory, so a release is done once however often cleanup runs.

use std::path::PathBuf;

use oci_spec::runtime::Spec;

use super::paths::ContainerPaths;
use super::ContainerError;
use crate::engine::EngineCtx;
use crate::state::ContainerRecord;
use crate::volume::store::{VolumeStore, VolumeUse};

fn mounted_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("volumes-mounted.json")
}

/// Prepares every volume of `rec` for a run on `rootfs` as `spec` describes
/// it (its process user owns new volumes). On failure, what was mounted is
/// released again.
pub(crate) fn mount(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    rootfs: &std::path::Path,
    spec: &Spec,
    paths: &ContainerPaths,
) -> Result<(), ContainerError> {
    if rec.options.volumes.is_empty() {
        return Ok(());
    }
    let (uid, gid) = spec
        .process()
        .as_ref()
        .map(|p| (p.user().uid(), p.user().gid()))
        .unwrap_or((0, 0));
    let (uid, gid) = super::userns::host_ids(rec, uid, gid);
    let store = VolumeStore::new(ctx);
    let mut counted = Vec::new();
    for v in &rec.options.volumes {
        let res = store.mount_for(&VolumeUse {
            name: &v.name,
            rootfs,
            destination: &v.destination,
            nocopy: v.options.iter().any(|o| o == "nocopy"),
            chown_always: v.options.iter().any(|o| o == "U"),
            uid,
            gid,
        });
        match res {
            Ok(true) => counted.push(v.name.clone()),
            Ok(false) => {}
            Err(e) => {
                unmount_all(&store, &counted);
                return Err(e.into());
            }
        }
    }
    if counted.is_empty() {
        return Ok(());
    }
    let file = mounted_file(paths);
    let json = serde_json::to_vec(&counted).unwrap_or_default();
    if let Err(e) = std::fs::write(&file, json) {
        unmount_all(&store, &counted);
        return Err(ContainerError::Io {
            path: file,
            source: e,
        });
    }
    Ok(())
}

/// Releases the volumes the last run mounted (nothing if already done).
pub(crate) fn release(ctx: &EngineCtx, paths: &ContainerPaths) {
    super::extra_mounts::release(ctx, paths);
    super::overlay_volumes::release(paths);
    let file = mounted_file(paths);
    let Ok(raw) = std::fs::read(&file) else {
        return;
    };
    let names: Vec<String> = serde_json::from_slice(&raw).unwrap_or_default();
    unmount_all(&VolumeStore::new(ctx), &names);
    let _ = std::fs::remove_file(&file);
}

fn unmount_all(store: &VolumeStore<'_>, names: &[String]) {
    for name in names {
        if let Err(e) = store.unmount_for(name) {
            tracing::warn!(volume = %name, "unmounting volume: {e}");
        }
    }
}

/// After the container's removal: its anonymous volumes (`rm -v`, `--rm`).
pub(crate) fn remove_anonymous(ctx: &EngineCtx, rec: &ContainerRecord) {
    VolumeStore::new(ctx).remove_anonymous(&rec.options.volumes);
}
