//! `--rootfs DIR:O`: an overlay with a directory outside the store as its
//! only lower layer and the container's own upper and work directories
//! (where image containers have theirs), so the directory is never
//! written and [`Store::unmount_rootfs`] unmounts it as any other root.

use std::path::{Path, PathBuf};

use super::error::{Result, StorageError};
use super::mount::{is_mountpoint, mount_overlay, overlay_dirs};
use super::store::Store;

impl Store {
    /// Mounts the overlay of `lower` for `container_id` (already mounted:
    /// its path); `volatile` as [`Store::mount_rootfs_with`].
    pub fn mount_rootfs_dir(
        &self,
        container_id: &str,
        lower: &Path,
        volatile: bool,
    ) -> Result<PathBuf> {
        let cdir = self.container_dir(container_id)?;
        let _guard = self.lock_shared()?;
        let (merged, upper, work) = overlay_dirs(&cdir)?;
        if is_mountpoint(&merged)? {
            return Ok(merged);
        }
        let lowers = [lower.to_path_buf()];
        let program = self.mount_program();
        let mounted = match mount_overlay(&lowers, &upper, &work, &merged, volatile, program) {
            Err(e) if volatile && e.raw_os_error() == Some(libc::EINVAL) => {
                mount_overlay(&lowers, &upper, &work, &merged, false, program)
            }
            other => other,
        };
        mounted.map_err(|source| StorageError::Mount {
            container: container_id.to_string(),
            target: merged.clone(),
            source,
        })?;
        Ok(merged)
    }
}
