//! An idmapped view of a directory tree: `open_tree(OPEN_TREE_CLONE)` of
//! the source, `mount_setattr(MOUNT_ATTR_IDMAP)` with a user namespace,
//! `move_mount` onto the target. Files owned by id N on disk appear owned
//! by the host id the namespace maps N to, so the container's root sees
//! the image's files as its own and writes them back unshifted.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::mount::{umount2, MntFlags};

use super::IdmapError;

/// `struct mount_attr` of mount_setattr(2).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
const OPEN_TREE_CLONE: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;

/// Mounts an idmapped clone of `source` on `target` (created when
/// missing), shifted by the user namespace at `userns`.
pub fn mount_idmapped(source: &Path, target: &Path, userns: &Path) -> Result<(), IdmapError> {
    std::fs::create_dir_all(target).map_err(IdmapError::io("creating", target))?;
    let ns = std::fs::File::open(userns).map_err(IdmapError::io("opening", userns))?;
    let src = cstr(source)?;
    // SAFETY: open_tree reads the NUL-terminated path for the duration of
    // the call; the result is checked before use.
    let tree = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            src.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | libc::AT_RECURSIVE as libc::c_uint,
        )
    };
    if tree < 0 {
        return Err(IdmapError::io("cloning the mount", source)(
            std::io::Error::last_os_error(),
        ));
    }
    let fd =
        i32::try_from(tree).map_err(|_| IdmapError::Invalid("open_tree: bad descriptor".into()))?;
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let tree = unsafe { OwnedFd::from_raw_fd(fd) };
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_IDMAP,
        attr_clr: 0,
        propagation: 0,
        userns_fd: u64::try_from(ns.as_raw_fd()).unwrap_or_default(),
    };
    let empty = c"";
    // SAFETY: mount_setattr reads `attr` (a valid mount_attr of the size
    // passed) and the empty path during the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc < 0 {
        return Err(IdmapError::io("idmapping the mount of", source)(
            std::io::Error::last_os_error(),
        ));
    }
    let dst = cstr(target)?;
    // SAFETY: move_mount reads the two NUL-terminated paths during the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_FDCWD,
            dst.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc < 0 {
        return Err(IdmapError::io("mounting the idmapped tree on", target)(
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Unmounts an idmapped tree and removes its directory; nothing mounted
/// is no error.
pub fn unmount_idmapped(target: &Path) -> Result<(), IdmapError> {
    match umount2(target, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(IdmapError::io("unmounting", target)(e.into())),
    }
    match std::fs::remove_dir(target) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(IdmapError::io("removing", target)(e))
        }
        _ => Ok(()),
    }
}

fn cstr(p: &Path) -> Result<CString, IdmapError> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| IdmapError::Invalid(format!("{}: a path with a NUL byte", p.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idmap::{pin_userns, unpin_userns, IdMap, IdMaps};
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn files_appear_shifted() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(src.join("f"), "x").unwrap();
        std::os::unix::fs::chown(src.join("f"), Some(0), Some(0)).unwrap();
        // A tmpfs: idmapped mounts need a filesystem that allows them.
        nix::mount::mount(
            Some("tmpfs"),
            &src,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .unwrap();
        std::fs::write(src.join("f"), "x").unwrap();
        let ns = dir.path().join("ns");
        let m = IdMap {
            container: 0,
            host: 400000,
            size: 10,
        };
        pin_userns(
            &ns,
            &IdMaps {
                uid: vec![m],
                gid: vec![m],
            },
        )
        .unwrap();
        let dst = dir.path().join("dst");
        mount_idmapped(&src, &dst, &ns).unwrap();
        let meta = std::fs::metadata(dst.join("f")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (400000, 400000));
        unmount_idmapped(&dst).unwrap();
        unpin_userns(&ns).unwrap();
        umount2(&src, MntFlags::MNT_DETACH).unwrap();
    }
}
