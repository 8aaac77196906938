//! `rpod image mount`: an image's layers mounted read-only on the host at
//! `storage/image-mounts/<id>/merged`, with a mount count so repeated mounts
//! need as many unmounts (or one forced unmount).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::mount::{MountFlags, UnmountFlags};

use super::atomic;
use super::error::{Result, StorageError};
use super::images::Image;
use super::store::{check_id, Store};

const MOUNTS_DIR: &str = "image-mounts";
const COUNT_FILE: &str = "count";
/// Longest mount data the classic `mount(2)` accepts (one page, NUL included).
const MAX_MOUNT_DATA: usize = 4095;

fn is_mountpoint(path: &Path) -> bool {
    match (fs::metadata(path), path.parent().map(fs::metadata)) {
        (Ok(m), Some(Ok(p))) => m.dev() != p.dev(),
        _ => false,
    }
}

fn read_count(file: &Path) -> u32 {
    fs::read_to_string(file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

impl Store {
    fn image_mount_dir(&self, image_id: &str) -> Result<PathBuf> {
        check_id(image_id)?;
        Ok(self.inner.dir.join(MOUNTS_DIR).join(image_id))
    }

    /// Where `image_id` is mounted, if it is.
    pub fn image_mount_point(&self, image_id: &str) -> Result<Option<PathBuf>> {
        let merged = self.image_mount_dir(image_id)?.join("merged");
        Ok(is_mountpoint(&merged).then_some(merged))
    }

    /// Mounts `image` read-only (idempotent; counts the mount) and returns
    /// the mount point.
    pub fn mount_image(&self, image: &Image) -> Result<PathBuf> {
        let dir = self.image_mount_dir(&image.id)?;
        let merged = dir.join("merged");
        let empty = dir.join("empty");
        for d in [&dir, &merged, &empty] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)
                .map_err(StorageError::io("creating", d))?;
        }
        let _guard = self.lock_exclusive()?;
        if !is_mountpoint(&merged) {
            // Overlay without an upper layer is read-only and needs two
            // lower layers: an empty one at the bottom makes sure of that.
            let mut lowers = Vec::new();
            for chain in image.layers.iter().rev() {
                lowers.push(self.layer_link(chain)?);
            }
            lowers.push(empty);
            let data = format!(
                "lowerdir={}{}",
                lowers
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":"),
                // Rootless layers carry `user.overlay.` marks.
                if crate::rootless::is_rootless() {
                    ",userxattr"
                } else {
                    ""
                }
            );
            if data.len() > MAX_MOUNT_DATA {
                return Err(StorageError::io("mounting", &merged)(io::Error::other(
                    format!(
                        "image has too many layers ({}) to mount",
                        image.layers.len()
                    ),
                )));
            }
            let data = std::ffi::CString::new(data).map_err(|_| {
                StorageError::io("mounting", &merged)(io::Error::from_raw_os_error(libc::EINVAL))
            })?;
            rustix::mount::mount(
                "overlay",
                &merged,
                "overlay",
                MountFlags::RDONLY,
                data.as_c_str(),
            )
            .map_err(|e| StorageError::io("mounting", &merged)(e.into()))?;
        }
        let file = dir.join(COUNT_FILE);
        atomic::write_file(&file, (read_count(&file) + 1).to_string().as_bytes())?;
        Ok(merged)
    }

    /// Drops one mount of `image_id` (all with `force`); unmounts when none
    /// remain. Returns whether the image was unmounted; not mounted is
    /// `false`.
    pub fn unmount_image(&self, image_id: &str, force: bool) -> Result<bool> {
        let dir = self.image_mount_dir(image_id)?;
        let merged = dir.join("merged");
        let _guard = self.lock_exclusive()?;
        if !is_mountpoint(&merged) {
            return Ok(false);
        }
        let file = dir.join(COUNT_FILE);
        let count = if force {
            0
        } else {
            read_count(&file).saturating_sub(1)
        };
        if count > 0 {
            atomic::write_file(&file, count.to_string().as_bytes())?;
            return Ok(false);
        }
        match rustix::mount::unmount(&merged, UnmountFlags::empty()) {
            Ok(()) | Err(Errno::INVAL | Errno::NOENT) => {}
            Err(Errno::BUSY) => {
                rustix::mount::unmount(&merged, UnmountFlags::DETACH).map_err(|e| {
                    StorageError::Unmount {
                        target: merged.clone(),
                        source: e.into(),
                    }
                })?
            }
            Err(e) => {
                return Err(StorageError::Unmount {
                    target: merged,
                    source: e.into(),
                })
            }
        }
        let _ = fs::remove_file(&file);
        Ok(true)
    }

    /// Ends every mount of an image about to be removed and deletes its
    /// mount point.
    pub(super) fn release_image_mount(&self, image_id: &str) -> Result<()> {
        self.unmount_image(image_id, true)?;
        let dir = self.image_mount_dir(image_id)?;
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("removing", &dir)(e)),
        }
    }
}
