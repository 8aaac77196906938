//! The `vfs` fallback: a container root filesystem as a full copy of the
//! image layers, applying overlay whiteouts and opaque directories the way
//! overlayfs would. Layers are read with [`InRoot::walk`] (iterative,
//! descriptor-relative, symlinks never followed); destination operations
//! are relative to directory descriptors opened with `O_NOFOLLOW`, so a
//! symlink from a lower layer can never redirect a copy out of the
//! destination. Neither side recurses nor holds a descriptor per level.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{
    self as rfs, AtFlags, Dir, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags,
};
use rustix::io::Errno;

use super::error::{Result, StorageError};
use super::extract::is_whiteout;
use super::in_root::{InRoot, Node, NodeKind};
use super::tree_remove::remove_tree_at;
use crate::idmap::IdMaps;

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Copies the layer trees `diffs` (bottom first) into `dest`.
pub(crate) fn copy_layers(diffs: &[PathBuf], dest: &Path) -> Result<()> {
    copy_layers_shifted(diffs, dest, None)
}

/// [`copy_layers`], every owner shifted by `shift` (container ids to host
/// ids; an id the mappings lack becomes the kernel's overflow id 65534, as
/// an idmapped mount shows it).
pub(crate) fn copy_layers_shifted(
    diffs: &[PathBuf],
    dest: &Path,
    shift: Option<&IdMaps>,
) -> Result<()> {
    for diff in diffs {
        let src = InRoot::new(diff).map_err(StorageError::io("opening", diff))?;
        let dst = rfs::open(dest, DIR_FLAGS, Mode::empty())
            .map_err(|e| StorageError::io("opening", dest)(e.into()))?;
        copy_tree(&src, dst, shift).map_err(StorageError::io("copying layer", diff))?;
    }
    Ok(())
}

const OVERFLOW_ID: u32 = 65534;

/// The owner a copy of a node owned by `st` gets.
fn owner(st: &rfs::Stat, shift: Option<&IdMaps>) -> (rfs::Uid, rfs::Gid) {
    let (uid, gid) = match shift {
        None => (st.st_uid, st.st_gid),
        Some(m) => (
            m.host_uid(st.st_uid).unwrap_or(OVERFLOW_ID),
            m.host_gid(st.st_gid).unwrap_or(OVERFLOW_ID),
        ),
    };
    (rfs::Uid::from_raw(uid), rfs::Gid::from_raw(gid))
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

/// Copies xattrs (except overlay's own) from the open `src` onto the open `dst`.
fn copy_xattrs<S: AsFd, D: AsFd>(src: S, dst: D) -> io::Result<()> {
    let mut names = vec![0u8; 64 * 1024];
    let n = match rfs::flistxattr(&src, &mut names[..]) {
        Ok(n) => n,
        Err(Errno::OPNOTSUPP) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut value = vec![0u8; 64 * 1024];
    for name in names[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        if name.starts_with(b"trusted.overlay.") || name.starts_with(b"user.overlay.") {
            continue;
        }
        let name = <OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name);
        let len = rfs::fgetxattr(&src, name, &mut value[..])?;
        rfs::fsetxattr(&dst, name, &value[..len], XattrFlags::empty())?;
    }
    Ok(())
}

fn set_meta<S: AsFd, D: AsFd>(
    dst: D,
    src: S,
    st: &rfs::Stat,
    shift: Option<&IdMaps>,
) -> io::Result<()> {
    let (uid, gid) = owner(st, shift);
    // Owner first: the mode after it keeps set-id bits chown clears.
    rfs::fchown(&dst, Some(uid), Some(gid))?;
    rfs::fchmod(&dst, Mode::from_raw_mode(st.st_mode & 0o7777))?;
    copy_xattrs(src, &dst)?;
    rfs::futimens(&dst, &times(st))?;
    Ok(())
}

/// Removes the entry `name` of `dir` (a whole tree if it is a directory);
/// missing is fine.
fn remove_entry(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    match remove_tree_at(dir.as_fd(), name) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Removes everything in `dir` (below an opaque directory).
fn empty_dir(dir: &OwnedFd) -> io::Result<()> {
    let mut names = Vec::new();
    let mut reader = Dir::read_from(dir)?;
    while let Some(entry) = reader.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    drop(reader);
    for name in names {
        remove_entry(
            dir,
            <OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name.to_bytes()),
        )?;
    }
    Ok(())
}

/// Copies the tree `src` over the directory `root`.
fn copy_tree(src: &InRoot, root: OwnedFd, shift: Option<&IdMaps>) -> io::Result<()> {
    let mut cur = root;
    // Identities of the destination directories above `cur`.
    let mut parents: Vec<(u64, u64)> = Vec::new();
    for node in src.walk()? {
        let node = node?;
        if is_whiteout(&node.stat) {
            remove_entry(&cur, node.name())?;
            continue;
        }
        match node.kind {
            NodeKind::Dir { opaque } => {
                let name = node.name();
                match rfs::statat(&cur, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(d) if FileType::from_raw_mode(d.st_mode) == FileType::Directory => {}
                    Ok(_) => {
                        remove_entry(&cur, name)?;
                        rfs::mkdirat(&cur, name, Mode::from_raw_mode(0o700))?;
                    }
                    Err(Errno::NOENT) => rfs::mkdirat(&cur, name, Mode::from_raw_mode(0o700))?,
                    Err(e) => return Err(e.into()),
                }
                let child = rfs::openat(&cur, name, DIR_FLAGS, Mode::empty())?;
                if opaque {
                    empty_dir(&child)?;
                }
                let st = rfs::fstat(&cur)?;
                parents.push((st.st_dev, st.st_ino));
                cur = child;
            }
            NodeKind::LeaveDir => {
                let src_dir =
                    src.open_no_symlinks(&node.rel, OFlags::RDONLY | OFlags::DIRECTORY)?;
                set_meta(&cur, &src_dir, &node.stat, shift)?;
                let up = rfs::openat(&cur, c"..", DIR_FLAGS, Mode::empty())?;
                let st = rfs::fstat(&up)?;
                if Some((st.st_dev, st.st_ino)) != parents.pop() {
                    return Err(io::Error::other(format!(
                        "{} was moved during the copy",
                        node.rel.display()
                    )));
                }
                cur = up;
            }
            NodeKind::File(ref f) => copy_file(&cur, &node, f, shift)?,
            NodeKind::Symlink(ref target) => {
                let name = node.name();
                remove_entry(&cur, name)?;
                rfs::symlinkat(target, &cur, name)?;
                own_and_time(&cur, &node, shift)?;
            }
            NodeKind::Unopened => {
                return Err(io::Error::other("walk without file contents"));
            }
            NodeKind::Other => {
                let name = node.name();
                remove_entry(&cur, name)?;
                let ft = node.file_type();
                if ft == FileType::Socket {
                    continue;
                }
                rfs::mknodat(
                    &cur,
                    name,
                    ft,
                    Mode::from_raw_mode(0o600),
                    node.stat.st_rdev,
                )?;
                own_and_time(&cur, &node, shift)?;
                // Just created by us as a non-symlink node in our own tree.
                rfs::chmodat(
                    &cur,
                    name,
                    Mode::from_raw_mode(node.stat.st_mode & 0o7777),
                    AtFlags::empty(),
                )?;
                rfs::utimensat(&cur, name, &times(&node.stat), AtFlags::SYMLINK_NOFOLLOW)?;
            }
        }
    }
    Ok(())
}

fn copy_file(dir: &OwnedFd, node: &Node, mut src: &File, shift: Option<&IdMaps>) -> io::Result<()> {
    let name = node.name();
    remove_entry(dir, name)?;
    let out = rfs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    let mut out = File::from(out);
    io::copy(&mut src, &mut out)?;
    set_meta(&out, src, &node.stat, shift)
}

/// Owner and times of a node just created (not followed if a symlink).
fn own_and_time(dir: &OwnedFd, node: &Node, shift: Option<&IdMaps>) -> io::Result<()> {
    let name = node.name();
    let (uid, gid) = owner(&node.stat, shift);
    rfs::chownat(dir, name, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW)?;
    rfs::utimensat(dir, name, &times(&node.stat), AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;
    use std::fs;

    fn is_opaque(path: &Path) -> bool {
        let dir = rfs::open(path, DIR_FLAGS, Mode::empty()).unwrap();
        crate::storage::in_root::fd_is_opaque(&dir)
    }

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

    #[test]
    fn copies_a_tree_deeper_than_the_descriptor_limit() {
        use crate::storage::tree_remove::tests::{deep_tree, with_fd_limit_in_child};
        let test = "storage::vfs::tests::copies_a_tree_deeper_than_the_descriptor_limit";
        with_fd_limit_in_child(test, 128, || {
            let base = tempfile::tempdir().unwrap();
            let src = deep_tree(base.path(), 2000);
            let dest = base.path().join("dest");
            fs::create_dir(&dest).unwrap();
            copy_layers(std::slice::from_ref(&src), &dest).unwrap();
            let deep: PathBuf = std::iter::repeat_n("d", 1999).collect();
            let got = InRoot::new(&dest).unwrap();
            let fd = got
                .open_no_symlinks(&deep.join("f"), OFlags::RDONLY)
                .unwrap();
            let mut s = String::new();
            io::Read::read_to_string(&mut File::from(fd), &mut s).unwrap();
            assert_eq!(s, "1999");
            let st = got.lstat_no_symlinks(&deep.join("l")).unwrap();
            assert_eq!(FileType::from_raw_mode(st.st_mode), FileType::Symlink);
        });
    }
}
