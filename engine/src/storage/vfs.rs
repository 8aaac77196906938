//! The `vfs` fallback: a container root filesystem as a full copy of the
//! image layers, applying overlay whiteouts and opaque directories the way
//! overlayfs would. Destination operations are relative to directory
//! descriptors opened with `O_NOFOLLOW`, so a symlink from a lower layer can
//! never redirect a copy out of the destination.

use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;

use super::error::{Result, StorageError};
use super::extract::{is_whiteout, remove_existing, OPAQUE_XATTR};

/// Copies the layer trees `diffs` (bottom first) into `dest`.
pub(crate) fn copy_layers(diffs: &[PathBuf], dest: &Path) -> Result<()> {
    let dst = rfs::open(
        dest,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| StorageError::io("opening", dest)(e.into()))?;
    for diff in diffs {
        copy_dir(diff, &dst).map_err(StorageError::io("copying layer", diff))?;
    }
    Ok(())
}

fn times(st: &rfs::Stat) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: st.st_atime as _,
            tv_nsec: st.st_atime_nsec as _,
        },
        last_modification: Timespec {
            tv_sec: st.st_mtime as _,
            tv_nsec: st.st_mtime_nsec as _,
        },
    }
}

fn is_opaque(path: &Path) -> bool {
    let mut buf = [0u8; 4];
    matches!(rfs::lgetxattr(path, OPAQUE_XATTR, &mut buf[..]), Ok(1) if buf[0] == b'y')
}

/// Copies xattrs (except overlay's own) from `src` onto the open `dst`.
fn copy_xattrs<Fd: AsFd>(src: &Path, dst: Fd) -> io::Result<()> {
    let mut names = vec![0u8; 64 * 1024];
    let n = match rfs::llistxattr(src, &mut names[..]) {
        Ok(n) => n,
        Err(Errno::OPNOTSUPP) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut value = vec![0u8; 64 * 1024];
    for name in names[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        if name.starts_with(b"trusted.overlay.") {
            continue;
        }
        let name = std::ffi::OsStr::from_bytes(name);
        let len = rfs::lgetxattr(src, name, &mut value[..])?;
        rfs::fsetxattr(&dst, name, &value[..len], XattrFlags::empty())?;
    }
    Ok(())
}

fn set_meta<Fd: AsFd>(fd: Fd, src: &Path, st: &rfs::Stat) -> io::Result<()> {
    rfs::fchown(
        &fd,
        Some(rfs::Uid::from_raw(st.st_uid)),
        Some(rfs::Gid::from_raw(st.st_gid)),
    )?;
    rfs::fchmod(&fd, Mode::from_raw_mode(st.st_mode & 0o7777))?;
    copy_xattrs(src, &fd)?;
    rfs::futimens(&fd, &times(st))?;
    Ok(())
}

fn copy_dir(src: &Path, dst: &OwnedFd) -> io::Result<()> {
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        let spath = entry.path();
        let st = rfs::lstat(&spath)?;
        if is_whiteout(&st) {
            remove_existing(dst, &name)?;
            continue;
        }
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                match rfs::statat(dst, &name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(d) if FileType::from_raw_mode(d.st_mode) == FileType::Directory => {}
                    Ok(_) => {
                        remove_existing(dst, &name)?;
                        rfs::mkdirat(dst, &name, Mode::from_raw_mode(0o700))?;
                    }
                    Err(Errno::NOENT) => rfs::mkdirat(dst, &name, Mode::from_raw_mode(0o700))?,
                    Err(e) => return Err(e.into()),
                }
                let child = rfs::openat(
                    dst,
                    &name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                if is_opaque(&spath) {
                    let child_path = PathBuf::from(format!(
                        "/proc/self/fd/{}",
                        std::os::fd::AsRawFd::as_raw_fd(&child)
                    ));
                    for old in fs::read_dir(&child_path)? {
                        remove_existing(&child, &old?.file_name())?;
                    }
                }
                copy_dir(&spath, &child)?;
                set_meta(&child, &spath, &st)?;
            }
            FileType::RegularFile => {
                remove_existing(dst, &name)?;
                let out = rfs::openat(
                    dst,
                    &name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )?;
                let mut out = File::from(out);
                io::copy(&mut File::open(&spath)?, &mut out)?;
                set_meta(&out, &spath, &st)?;
            }
            FileType::Symlink => {
                remove_existing(dst, &name)?;
                let target = fs::read_link(&spath)?;
                rfs::symlinkat(&target, dst, &name)?;
                rfs::chownat(
                    dst,
                    &name,
                    Some(rfs::Uid::from_raw(st.st_uid)),
                    Some(rfs::Gid::from_raw(st.st_gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                )?;
                rfs::utimensat(dst, &name, &times(&st), AtFlags::SYMLINK_NOFOLLOW)?;
            }
            ft => {
                remove_existing(dst, &name)?;
                rfs::mknodat(dst, &name, ft, Mode::from_raw_mode(0o600), st.st_rdev)?;
                rfs::chownat(
                    dst,
                    &name,
                    Some(rfs::Uid::from_raw(st.st_uid)),
                    Some(rfs::Gid::from_raw(st.st_gid)),
                    AtFlags::SYMLINK_NOFOLLOW,
                )?;
                // Just created by us as a non-symlink node in our own tree.
                rfs::chmodat(
                    dst,
                    &name,
                    Mode::from_raw_mode(st.st_mode & 0o7777),
                    AtFlags::empty(),
                )?;
                rfs::utimensat(dst, &name, &times(&st), AtFlags::SYMLINK_NOFOLLOW)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;

    fn layer(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            h.set_mode(0o4755);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(5);
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn sha(d: &[u8]) -> String {
        use sha2::Digest;
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(d)))
    }

    #[test]
    fn copy_applies_whiteouts_and_opaque_dirs() {
        let base = tempfile::tempdir().unwrap();
        let store = Store::open(base.path()).unwrap();
        let l1 = layer(&[("etc/gone", b"1"), ("data/old", b"1"), ("keep", b"1")]);
        let l2 = layer(&[
            ("etc/.wh.gone", b""),
            ("data/.wh..wh..opq", b""),
            ("data/new", b"2"),
        ]);
        let i1 = store.create_layer(None, &sha(&l1), &l1[..]).unwrap();
        let i2 = store
            .create_layer(Some(&i1.chain_id), &sha(&l2), &l2[..])
            .unwrap();
        let dest = base.path().join("merged");
        fs::create_dir(&dest).unwrap();
        let diffs = vec![
            store.layer_diff_path(&i1.chain_id).unwrap(),
            store.layer_diff_path(&i2.chain_id).unwrap(),
        ];
        copy_layers(&diffs, &dest).unwrap();
        assert!(!dest.join("etc/gone").exists());
        assert!(dest.join("etc").is_dir());
        assert!(!dest.join("data/old").exists());
        assert_eq!(fs::read(dest.join("data/new")).unwrap(), b"2");
        let m = fs::metadata(dest.join("keep")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777,
            0o4755
        );
        assert!(
            !is_opaque(&dest.join("data")),
            "overlay xattrs must not be copied"
        );
    }
}
