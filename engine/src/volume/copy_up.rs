//! What the first mount of a new volume does, as Podman: the image's
//! content at the mount point is copied into the empty volume
//! (NeedsCopyUp, unless `nocopy`), and the volume is given to the
//! container's user and takes the mode of the directory it covers
//! (NeedsChown).
//!
//! The container's mount point is resolved inside its root filesystem
//! (openat2 RESOLVE_IN_ROOT through [`InRoot`]), so an image whose path is
//! a symlink can never make the copy read from the host.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::OFlags;

use super::store::VolumeUse;
use super::{VolumeError, VolumeRecord};
use crate::storage::in_root::InRoot;

/// Copies up and fixes ownership for the use `u` of `v`, whose content is
/// at `target`; updates `v`'s state (the caller saves it).
pub fn prepare(v: &mut VolumeRecord, target: &Path, u: &VolumeUse<'_>) -> Result<(), VolumeError> {
    let rootfs = InRoot::new(u.rootfs).map_err(VolumeError::io("opening", u.rootfs))?;
    // The directory the volume covers, if the image has one there.
    let covered = match rootfs.open(Path::new(u.destination), OFlags::RDONLY | OFlags::DIRECTORY) {
        Ok(fd) => Some(fd),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => None,
        Err(e) => return Err(VolumeError::io("opening", &u.rootfs.join(u.destination))(e)),
    };
    let covered_path = covered
        .as_ref()
        .map(|fd| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())));
    if v.needs_copy_up && !u.nocopy && !v.no_copy() {
        if let Some(src) = &covered_path {
            if !is_empty(src)? && is_empty(target)? {
                v.needs_copy_up = false;
                v.copied_up = true;
                copy_tree(src, target, &v.name)?;
            }
        }
    }
    fix_ownership(v, target, covered_path.as_deref(), u)
}

/// Podman's fixVolumePermissions.
fn fix_ownership(
    v: &mut VolumeRecord,
    target: &Path,
    covered: Option<&Path>,
    u: &VolumeUse<'_>,
) -> Result<(), VolumeError> {
    if v.needs_chown && !v.copied_up && !is_empty(target)? {
        // Content that came from elsewhere is never chowned.
        v.needs_chown = false;
        return Ok(());
    }
    if !(v.needs_chown || u.chown_always) {
        return Ok(());
    }
    if v.copied_up {
        v.needs_chown = false;
    }
    v.copied_up = false;
    chown(target, u.uid, u.gid)?;
    if u.chown_always {
        return Ok(());
    }
    if let Some(dir) = covered {
        let st = std::fs::metadata(dir).map_err(VolumeError::io("reading", dir))?;
        chown(target, st.uid(), st.gid())?;
        // Root ownership sticks: later mounts leave it.
        if st.uid() == 0 && st.gid() == 0 {
            v.needs_chown = false;
        }
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(st.mode() & 0o7777))
            .map_err(VolumeError::io("setting permissions of", target))?;
    }
    Ok(())
}

fn chown(path: &Path, uid: u32, gid: u32) -> Result<(), VolumeError> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(VolumeError::io("chowning", path))
}

fn is_empty(dir: &Path) -> Result<bool, VolumeError> {
    let mut entries = std::fs::read_dir(dir).map_err(VolumeError::io("reading", dir))?;
    Ok(entries.next().is_none())
}

/// Streams the tree `src` as a tar archive into `dst` (ownership, modes,
/// links and special files kept).
fn copy_tree(src: &Path, dst: &Path, name: &str) -> Result<(), VolumeError> {
    let copy_err = |e: String| VolumeError::Mount {
        name: name.to_owned(),
        message: format!("copying up into volume {name}: {e}"),
    };
    let tree = InRoot::new(src).map_err(VolumeError::io("opening", src))?;
    let (reader, writer) = std::io::pipe().map_err(|e| copy_err(e.to_string()))?;
    let written = std::thread::scope(|s| {
        let producer = s.spawn(move || {
            crate::storage::tree_tar::write_in_root(&tree, io::BufWriter::new(writer), false)
                .and_then(|mut w| {
                    io::Write::flush(&mut w)
                        .map_err(crate::storage::StorageError::io("archiving", src))
                })
                .map(drop)
        });
        let extracted = crate::storage::extract_layer(reader, dst);
        let produced = producer.join();
        (extracted, produced)
    });
    match written {
        (Ok(_), Ok(Ok(()))) => Ok(()),
        (Err(e), _) => Err(copy_err(e.to_string())),
        (_, Ok(Err(e))) => Err(copy_err(e.to_string())),
        (_, Err(_)) => Err(copy_err("the archiving thread panicked".into())),
    }
}
