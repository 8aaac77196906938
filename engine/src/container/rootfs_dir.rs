//! The root of a `--rootfs` container: the directory itself, or with `:O`
//! an overlay over it in the store (unmounted as an image container's).

use std::path::PathBuf;

use super::{ContainerError, RootfsDir};
use crate::state::ContainerRecord;

/// The path the runtime gets as the container's root.
pub(crate) fn mount(
    ctx: &crate::engine::EngineCtx,
    rec: &ContainerRecord,
    dir: &RootfsDir,
) -> Result<PathBuf, ContainerError> {
    if !dir.overlay {
        return Ok(dir.path.clone());
    }
    Ok(ctx
        .store
        .mount_rootfs_dir(&rec.id, &dir.path, rec.options.remove)?)
}
