//! Container root filesystems: `containers/<id>/{upper,work,merged}` with an
//! overlay mount of the image layers, or a `vfs` copy where overlay is not
//! available.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::mount::{
    fsconfig_create, fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, move_mount,
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MoveMountFlags, UnmountFlags,
};

use super::atomic;
use super::error::{Result, StorageError};
use super::images::Image;
use super::shifted::IdShiftMode;
use super::store::{check_id, Store};
use super::tree_remove::remove_tree_if_exists;
use super::vfs;
use crate::config::StorageDriver;
use crate::idmap::IdMaps;

/// Records that a container's root filesystem is a vfs copy; without it
/// the container uses overlay.
const DRIVER_FILE: &str = "driver";
/// Present once a vfs copy is complete.
const VFS_DONE_FILE: &str = "vfs-complete";
const VFS: &str = "vfs";
/// How many `rpod mount`s of the container are outstanding; while above
/// zero the engine's own unmount (container cleanup) keeps the mount, as
/// containers/storage's mount count does.
const USER_MOUNTS_FILE: &str = "user-mounts";
/// Longest mount data the classic `mount(2)` accepts (one page, NUL included).
const MAX_MOUNT_DATA: usize = 4095;

fn mkdir(path: &Path, mode: u32) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(StorageError::io("creating", path))
}

/// True if `path` is the root of a mount (its device differs from its parent's).
/// Makes a container's directory and its overlay's `merged`, `upper` and
/// `work` directories when missing; returns their paths in that order.
pub(super) fn overlay_dirs(cdir: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let merged = cdir.join("merged");
    let upper = cdir.join("upper");
    let work = cdir.join("work");
    mkdir(cdir, 0o700)?;
    mkdir(&upper, 0o755)?;
    mkdir(&work, 0o700)?;
    mkdir(&merged, 0o755)?;
    Ok((merged, upper, work))
}

pub(super) fn is_mountpoint(path: &Path) -> Result<bool> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    let (m, p) = match (fs::symlink_metadata(path), fs::metadata(parent)) {
        (Ok(m), Ok(p)) => (m, p),
        (Err(e), _) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        (Err(e), _) => return Err(StorageError::io("inspecting", path)(e)),
        (_, Err(e)) => return Err(StorageError::io("inspecting", parent)(e)),
    };
    Ok(m.dev() != p.dev())
}

/// Where a container's writable layer and mount point are.
#[derive(Debug, Clone)]
pub struct ContainerStoragePaths {
    pub upper: PathBuf,
    pub work: PathBuf,
    pub merged: PathBuf,
}

impl Store {
    pub(super) fn container_dir(&self, container_id: &str) -> Result<PathBuf> {
        check_id(container_id)?;
        Ok(self.inner.containers.join(container_id))
    }

    /// The paths of `container_id`'s upper, work and merged directories
    /// (whether or not they exist yet).
    pub fn container_storage_paths(&self, container_id: &str) -> ContainerStoragePaths {
        let cdir = self.inner.containers.join(container_id);
        ContainerStoragePaths {
            upper: cdir.join("upper"),
            work: cdir.join("work"),
            merged: cdir.join("merged"),
        }
    }

    /// Ensures `l/<link>` points at the layer's diff and returns that short path.
    pub(super) fn layer_link(&self, chain_id: &str) -> Result<PathBuf> {
        let info = self
            .layer(chain_id)?
            .ok_or_else(|| StorageError::LayerUnknown(chain_id.to_string()))?;
        let link = self.inner.links.join(&info.link);
        let target = Path::new("..")
            .join("layers")
            .join(super::layers::digest_hex(chain_id)?)
            .join("diff");
        match std::os::unix::fs::symlink(&target, &link) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StorageError::io("creating", &link)(e)),
        }
        Ok(link)
    }

    /// Mounts the root filesystem of `container_id` built from `image` and
    /// returns the mount point (`containers/<id>/merged`). Idempotent.
    /// Overlay (lowerdirs top first, short `l/` names so long layer lists fit
    /// one page, or the new mount API beyond); a full copy (`vfs`) only if
    /// the kernel refuses overlay with EINVAL/ENODEV.
    pub fn mount_rootfs(&self, container_id: &str, image: &Image) -> Result<PathBuf> {
        self.mount_rootfs_with(container_id, image, false)
    }

    /// As [`Store::mount_rootfs`]; `volatile` mounts the overlay with the
    /// `volatile` option (no sync of the upper layer on unmount), as Podman
    /// does for `--rm` containers whose changes are thrown away anyway.
    /// Kernels without the option get a normal mount.
    pub fn mount_rootfs_with(
        &self,
        container_id: &str,
        image: &Image,
        volatile: bool,
    ) -> Result<PathBuf> {
        self.mount_rootfs_shifted(container_id, image, volatile, None)
    }

    /// As [`Store::mount_rootfs_with`]; with `shift` (a pinned user
    /// namespace and its mappings), the image
    /// layers are idmapped mounts made with that namespace (as
    /// containers/storage does for overlay), so the container's ids see
    /// the image's files as their own, and the upper layer's root belongs
    /// to the container's root. Overlay keeps private clones of its
    /// layers: the idmapped mounts are detached once it is mounted. Where
    /// idmapped layers cannot be made, or `shift.mode` asks for it, the
    /// only lower layer is a chowned copy of the image ([`super::shifted`]).
    pub fn mount_rootfs_shifted(
        &self,
        container_id: &str,
        image: &Image,
        volatile: bool,
        shift: Option<IdShift<'_>>,
    ) -> Result<PathBuf> {
        let cdir = self.container_dir(container_id)?;
        let _guard = self.lock_shared()?;
        let (merged, upper, work) = overlay_dirs(&cdir)?;
        let driver_path = cdir.join(DRIVER_FILE);
        let mut driver = fs::read_to_string(&driver_path).unwrap_or_default();
        if driver.is_empty() && self.driver() == StorageDriver::Vfs && !is_mountpoint(&merged)? {
            atomic::write_file(&driver_path, VFS.as_bytes())?;
            driver = VFS.to_owned();
        }
        if driver == VFS {
            if cdir.join(VFS_DONE_FILE).exists() {
                return Ok(merged);
            }
            return self.vfs_copy(&cdir, &merged, image);
        }
        if is_mountpoint(&merged)? {
            return Ok(merged);
        }
        let mut lowers = Vec::new();
        for chain in image.layers.iter().rev() {
            lowers.push(self.layer_link(chain)?);
        }
        if lowers.is_empty() {
            let empty = cdir.join("empty");
            mkdir(&empty, 0o755)?;
            lowers.push(empty);
        }
        // Without `volatile` where the kernel lacks it.
        let mount_overlay_volatile = |layers: &[PathBuf]| match mount_overlay(
            layers,
            &upper,
            &work,
            &merged,
            volatile,
            self.mount_program(),
        ) {
            Err(e) if volatile && e.raw_os_error() == Some(libc::EINVAL) => {
                mount_overlay(layers, &upper, &work, &merged, false, self.mount_program())
            }
            other => other,
        };
        if let Some(shift) = shift {
            let (uid, gid) = (
                shift.maps.host_uid(0).unwrap_or(0),
                shift.maps.host_gid(0).unwrap_or(0),
            );
            std::os::unix::fs::chown(&upper, Some(uid), Some(gid))
                .map_err(StorageError::io("chown", &upper))?;
            if shift.mode == IdShiftMode::Auto {
                match idmapped_layers(&cdir, &lowers, shift.userns).and_then(|layers| {
                    mount_overlay_volatile(&layers.paths).map_err(|source| StorageError::Mount {
                        container: container_id.to_string(),
                        target: merged.clone(),
                        source,
                    })
                }) {
                    Ok(()) => return Ok(merged),
                    Err(e) => tracing::info!(
                        container = container_id,
                        "idmapped layers refused ({e}): using a chowned copy"
                    ),
                }
            }
            let copy = self.shifted_copy(&cdir, image, shift.maps)?;
            return match mount_overlay_volatile(std::slice::from_ref(&copy)) {
                Ok(()) => Ok(merged),
                Err(source) => {
                    if let Err(e) = self.release_shifted_copy(&cdir) {
                        tracing::warn!(container = container_id, "{e}");
                    }
                    Err(StorageError::Mount {
                        container: container_id.to_string(),
                        target: merged,
                        source,
                    })
                }
            };
        }
        let mounted = mount_overlay_volatile(&lowers);
        match mounted {
            Ok(()) => {
                // No marker: only the vfs fallback is recorded (below).
                Ok(merged)
            }
            Err(e)
                if e.raw_os_error() == Some(libc::EINVAL)
                    || e.raw_os_error() == Some(libc::ENODEV) =>
            {
                tracing::warn!(
                    container = container_id,
                    "overlay mount failed ({e}), falling back to vfs copy"
                );
                atomic::write_file(&driver_path, VFS.as_bytes())?;
                self.vfs_copy(&cdir, &merged, image)
            }
            Err(source) => Err(StorageError::Mount {
                container: container_id.to_string(),
                target: merged,
                source,
            }),
        }
    }

    fn vfs_copy(&self, cdir: &Path, merged: &Path, image: &Image) -> Result<PathBuf> {
        remove_tree_if_exists(merged).map_err(StorageError::io("removing", merged))?;
        mkdir(merged, 0o755)?;
        let mut diffs = Vec::new();
        for chain in &image.layers {
            diffs.push(self.layer_diff_path(chain)?);
        }
        vfs::copy_layers(&diffs, merged)?;
        atomic::write_file(&cdir.join(VFS_DONE_FILE), b"")?;
        Ok(merged.to_path_buf())
    }

    /// `rpod mount`: mounts the root filesystem and counts the mount, so the
    /// container's own cleanup leaves it mounted until `rpod umount`.
    pub fn user_mount_rootfs(&self, container_id: &str, image: &Image) -> Result<PathBuf> {
        let cdir = self.container_dir(container_id)?;
        mkdir(&cdir, 0o700)?;
        // Counted before mounting: a concurrent cleanup of the container
        // then either sees the count and keeps the mount, or unmounts
        // before the mount below is made.
        {
            let _guard = self.lock_exclusive()?;
            let file = cdir.join(USER_MOUNTS_FILE);
            let count = read_count(&file).saturating_add(1);
            atomic::write_file(&file, count.to_string().as_bytes())?;
        }
        match self.mount_rootfs(container_id, image) {
            Ok(path) => Ok(path),
            Err(e) => {
                let _ = self.user_unmount_count(container_id, false);
                Err(e)
            }
        }
    }

    /// `rpod umount`: drops one counted mount (all of them with `force`) and
    /// returns how many remain. The caller unmounts when none remain and the
    /// container does not run.
    pub fn user_unmount_count(&self, container_id: &str, force: bool) -> Result<u32> {
        let cdir = self.container_dir(container_id)?;
        let _guard = self.lock_exclusive()?;
        let file = cdir.join(USER_MOUNTS_FILE);
        let count = if force {
            0
        } else {
            read_count(&file).saturating_sub(1)
        };
        if count == 0 {
            match fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("removing", &file)(e)),
            }
        } else {
            atomic::write_file(&file, count.to_string().as_bytes())?;
        }
        Ok(count)
    }

    /// Unmounts a container's root filesystem unless a user mount
    /// (`rpod mount`) is outstanding. Not mounted is fine; a busy mount is
    /// detached lazily as a last resort.
    pub fn unmount_rootfs(&self, container_id: &str) -> Result<()> {
        let cdir = self.container_dir(container_id)?;
        // Held while unmounting, so a concurrent `rpod mount` counts its
        // mount either before this check or after this unmount.
        let _guard = self.lock_shared()?;
        if read_count(&cdir.join(USER_MOUNTS_FILE)) > 0 {
            return Ok(());
        }
        let merged = cdir.join("merged");
        if fs::read_to_string(cdir.join(DRIVER_FILE)).unwrap_or_default() == VFS {
            return Ok(());
        }
        loop {
            match rustix::mount::unmount(&merged, UnmountFlags::empty()) {
                Ok(()) => {
                    // Overlays can be stacked by repeated mounts from older
                    // versions or other tools: unmount until nothing is left.
                    if !is_mountpoint(&merged)? {
                        return Ok(());
                    }
                }
                Err(Errno::INVAL | Errno::NOENT) => return Ok(()),
                Err(Errno::BUSY) => {
                    tracing::warn!(path = %merged.display(), "mount busy, detaching lazily");
                    return rustix::mount::unmount(&merged, UnmountFlags::DETACH).map_err(|e| {
                        StorageError::Unmount {
                            target: merged.clone(),
                            source: e.into(),
                        }
                    });
                }
                Err(e) => {
                    return Err(StorageError::Unmount {
                        target: merged,
                        source: e.into(),
                    })
                }
            }
        }
    }

    /// Unmounts and deletes a container's upper, work and merged directories.
    pub fn remove_container_storage(&self, container_id: &str) -> Result<()> {
        let cdir = self.container_dir(container_id)?;
        // Removing the container ends its user mounts too.
        self.user_unmount_count(container_id, true)?;
        self.unmount_rootfs(container_id)?;
        let merged = cdir.join("merged");
        if fs::read_to_string(cdir.join(DRIVER_FILE)).unwrap_or_default() != VFS
            && is_mountpoint(&merged)?
        {
            // Never recurse into a live overlay: that would delete image layers.
            return Err(StorageError::Unmount {
                target: merged,
                source: io::Error::from_raw_os_error(libc::EBUSY),
            });
        }
        // The chowned copy it used goes with its last user.
        self.release_shifted_copy(&cdir)?;
        // Any depth, bounded descriptors, never into a mount (see
        // tree_remove); beside the rest of the removal.
        self.remove_tree_aside(&cdir)
    }
}

/// Idmapped views of a container's layers under `idmapped/`, unmounted
/// and removed on drop.
struct IdmappedLayers {
    paths: Vec<PathBuf>,
}

impl Drop for IdmappedLayers {
    fn drop(&mut self) {
        for p in &self.paths {
            if let Err(e) = crate::idmap::unmount_idmapped(p) {
                tracing::warn!("{e}");
            }
        }
    }
}

fn idmapped_layers(cdir: &Path, lowers: &[PathBuf], userns: &Path) -> Result<IdmappedLayers> {
    let dir = cdir.join("idmapped");
    let mut out = IdmappedLayers { paths: Vec::new() };
    for (i, lower) in lowers.iter().enumerate() {
        let target = dir.join(i.to_string());
        // A leftover of a run cut off before its cleanup.
        let _ = crate::idmap::unmount_idmapped(&target);
        crate::idmap::mount_idmapped(lower, &target, userns).map_err(|e| StorageError::Mount {
            container: cdir.display().to_string(),
            target: target.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        out.paths.push(target);
    }
    Ok(out)
}

/// How [`Store::mount_rootfs_shifted`] shifts ids: the pinned user
/// namespace of the container, its mappings, and the way (idmapped layers
/// or the chowned copy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdShift<'a> {
    pub userns: &'a Path,
    pub maps: &'a IdMaps,
    pub mode: IdShiftMode,
}

/// A mount count kept in a file; absent or unreadable is zero.
fn read_count(file: &Path) -> u32 {
    fs::read_to_string(file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Mounts overlay with the classic `mount(2)` when the options fit a page,
/// otherwise with the new mount API adding lower layers one at a time
/// (`lowerdir+`, Linux 6.8+).
pub(super) fn mount_overlay(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
    volatile: bool,
    mount_program: Option<&Path>,
) -> io::Result<()> {
    if let Some(program) = super::fuse_overlay::program(mount_program) {
        // FUSE has no `volatile`: its writes reach the upper directory
        // as the program syncs them.
        let log = work.with_file_name("mount-program.log");
        return super::fuse_overlay::mount(&program, lowers, upper, work, target, &log);
    }
    let lowerdir = lowers
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    // Rootless: overlay keeps its whiteout and opaque marks in `user.`
    // xattrs (Linux 5.11+), as the layers were unpacked.
    let userxattr = crate::rootless::is_rootless();
    crate::rootless::overlay::check()?;
    let data = format!(
        "lowerdir={lowerdir},upperdir={},workdir={}{}{}",
        upper.display(),
        work.display(),
        if volatile { ",volatile" } else { "" },
        if userxattr { ",userxattr" } else { "" }
    );
    if data.len() <= MAX_MOUNT_DATA {
        let data =
            std::ffi::CString::new(data).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        rustix::mount::mount(
            "overlay",
            target,
            "overlay",
            MountFlags::empty(),
            data.as_c_str(),
        )?;
        return Ok(());
    }
    let fs_fd = fsopen("overlay", FsOpenFlags::FSOPEN_CLOEXEC)?;
    fsconfig_set_string(&fs_fd, "source", "overlay")?;
    for lower in lowers {
        fsconfig_set_string(&fs_fd, "lowerdir+", lower.as_path())?;
    }
    fsconfig_set_string(&fs_fd, "upperdir", upper)?;
    fsconfig_set_string(&fs_fd, "workdir", work)?;
    if volatile {
        fsconfig_set_flag(&fs_fd, "volatile")?;
    }
    if userxattr {
        fsconfig_set_flag(&fs_fd, "userxattr")?;
    }
    fsconfig_create(&fs_fd)?;
    let mnt = fsmount(
        &fs_fd,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::empty(),
    )?;
    move_mount(
        &mnt,
        "",
        rustix::fs::CWD,
        target,
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unmounts on drop so a failing test leaves no mount behind.
    struct Unmount(PathBuf);

    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = rustix::mount::unmount(&self.0, UnmountFlags::DETACH);
        }
    }

    #[test]
    fn long_lowerdir_lists_use_the_new_mount_api() {
        let base = tempfile::tempdir().unwrap();
        let mut lowers = Vec::new();
        for i in 0..120 {
            let d = base
                .path()
                .join(format!("lower-with-a-rather-long-directory-name-{i:04}"));
            fs::create_dir(&d).unwrap();
            fs::write(d.join(format!("f{i}")), i.to_string()).unwrap();
            fs::write(d.join("top"), i.to_string()).unwrap();
            lowers.push(d);
        }
        let data_len: usize = lowers.iter().map(|p| p.as_os_str().len() + 1).sum();
        assert!(data_len > MAX_MOUNT_DATA);
        let (upper, work, merged) = (
            base.path().join("u"),
            base.path().join("w"),
            base.path().join("m"),
        );
        for d in [&upper, &work, &merged] {
            fs::create_dir(d).unwrap();
        }
        mount_overlay(&lowers, &upper, &work, &merged, true, None).unwrap();
        let _guard = Unmount(merged.clone());
        assert!(is_mountpoint(&merged).unwrap());
        assert!(
            mount_options(&merged).contains("volatile"),
            "{}",
            mount_options(&merged)
        );
        assert_eq!(
            fs::read_to_string(merged.join("top")).unwrap(),
            "0",
            "first lowerdir is the top"
        );
        assert_eq!(fs::read_to_string(merged.join("f119")).unwrap(), "119");
    }

    /// The superblock options of the mount at `target` (from mountinfo).
    fn mount_options(target: &Path) -> String {
        let info = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let t = target.display().to_string();
        info.lines()
            .find(|l| l.split(' ').nth(4) == Some(t.as_str()))
            .map(|l| l.rsplit(' ').next().unwrap_or("").to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn volatile_is_applied_and_optional() {
        let base = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = ["l", "u", "w", "m", "u2", "w2", "m2"]
            .iter()
            .map(|d| base.path().join(d))
            .collect();
        for d in &dirs {
            fs::create_dir(d).unwrap();
        }
        let lowers = vec![dirs[0].clone()];
        mount_overlay(&lowers, &dirs[1], &dirs[2], &dirs[3], true, None).unwrap();
        let _a = Unmount(dirs[3].clone());
        assert!(mount_options(&dirs[3]).contains("volatile"));
        mount_overlay(&lowers, &dirs[4], &dirs[5], &dirs[6], false, None).unwrap();
        let _b = Unmount(dirs[6].clone());
        assert!(!mount_options(&dirs[6]).contains("volatile"));
    }
}
