//! Removing a directory tree of any depth with a bounded number of open
//! descriptors.
//!
//! `std::fs::remove_dir_all` (and the `remove_dir_all` crate) keep one
//! descriptor open per directory level, so a tree deeper than `ulimit -n`
//! (a hostile layer or a container can build one cheaply) cannot be removed
//! and the store's clean-up fails forever. Here the walk holds at most three
//! descriptors whatever the depth: the current directory, a transient one
//! for reading it, and the child being entered. Going back up uses `..`,
//! checked against the device and inode recorded on the way down, so a
//! directory moved during the walk stops the removal instead of redirecting
//! it. Every operation is relative to a descriptor and never follows a
//! symlink; the walk never crosses into another filesystem (a mount point
//! inside the tree is an error, its content is left alone).

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

/// How often a directory found non-empty at `rmdir` (something was created
/// in it meanwhile) is cleared again before giving up.
const NOT_EMPTY_RETRIES: u32 = 16;

/// One directory on the way down: its name in its parent, its identity and
/// the subdirectories still to remove.
struct Frame {
    name: CString,
    dev: u64,
    ino: u64,
    subdirs: Vec<CString>,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Removes `path` and everything below it. A `path` that is not a directory
/// (a symlink included) is unlinked itself. Missing is an error of kind
/// `NotFound`, as with `std::fs::remove_dir_all`.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no final path component"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let pfd = rfs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    remove_tree_at(pfd.as_fd(), name)
}

/// [`remove_tree`], but a missing `path` is fine.
pub fn remove_tree_if_exists(path: &Path) -> io::Result<()> {
    match remove_tree(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Removes the entry `name` of the directory `parent` and, if it is a
/// directory, everything below it.
pub fn remove_tree_at(parent: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let name = CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in file name"))?;
    let st = rfs::statat(parent, &name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Ok(rfs::unlinkat(parent, &name, AtFlags::empty())?);
    }
    let top = rfs::openat(parent, &name, DIR_FLAGS, Mode::empty())?;
    let top_st = rfs::fstat(&top)?;
    let dev = top_st.st_dev;
    let mut stack = vec![Frame {
        name: name.clone(),
        dev,
        ino: top_st.st_ino,
        subdirs: clear_dir(&top)?,
    }];
    let mut cur = top;
    let mut retries = 0;
    loop {
        let frame = stack.last_mut().expect("the stack holds the top directory");
        if let Some(sub) = frame.subdirs.pop() {
            match rfs::openat(&cur, &sub, DIR_FLAGS, Mode::empty()) {
                Ok(child) => {
                    let st = rfs::fstat(&child)?;
                    if st.st_dev != dev {
                        return Err(io::Error::new(
                            io::ErrorKind::ResourceBusy,
                            format!("{} is a mount point", sub.to_string_lossy()),
                        ));
                    }
                    let subdirs = clear_dir(&child)?;
                    stack.push(Frame {
                        name: sub,
                        dev: st.st_dev,
                        ino: st.st_ino,
                        subdirs,
                    });
                    cur = child;
                }
                Err(Errno::NOENT) => {}
                // Replaced by something else since it was listed.
                Err(Errno::NOTDIR | Errno::LOOP) => unlink_missing_ok(&cur, &sub)?,
                Err(e) => return Err(e.into()),
            }
            continue;
        }
        let done = stack.pop().expect("checked above");
        let Some(parent_frame) = stack.last_mut() else {
            drop(cur);
            return rmdir(parent, &done.name).map_err(io::Error::from);
        };
        let up = rfs::openat(&cur, c"..", DIR_FLAGS, Mode::empty())?;
        let st = rfs::fstat(&up)?;
        if (st.st_dev, st.st_ino) != (parent_frame.dev, parent_frame.ino) {
            return Err(io::Error::other(format!(
                "directory {} was moved while it was being removed",
                done.name.to_string_lossy()
            )));
        }
        cur = up;
        match rmdir(cur.as_fd(), &done.name) {
            Ok(()) => {}
            Err(Errno::NOTEMPTY) if retries < NOT_EMPTY_RETRIES => {
                retries += 1;
                parent_frame.subdirs.push(done.name);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn rmdir(dir: BorrowedFd<'_>, name: &CStr) -> Result<(), Errno> {
    match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

fn unlink_missing_ok<Fd: AsFd>(dir: Fd, name: &CStr) -> io::Result<()> {
    match rfs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Unlinks every entry of `dir` that is not a directory and returns the
/// names of its subdirectories.
fn clear_dir(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    let mut reader = Dir::read_from(dir)?;
    let mut subdirs = Vec::new();
    while let Some(entry) = reader.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => FileType::from_raw_mode(st.st_mode) == FileType::Directory,
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            },
            _ => false,
        };
        if is_dir {
            subdirs.push(name.to_owned());
            continue;
        }
        match rfs::unlinkat(dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            // Replaced by a directory since it was listed.
            Err(Errno::ISDIR) => subdirs.push(name.to_owned()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(subdirs)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    /// Builds `levels` nested directories `d/d/...` below `base` with a file
    /// and a symlink at every level, using descriptors only (paths that deep
    /// exceed PATH_MAX). Returns the top directory.
    pub(crate) fn deep_tree(base: &Path, levels: usize) -> PathBuf {
        let top = base.join("deep");
        fs::create_dir(&top).unwrap();
        let mut cur = rfs::open(&top, DIR_FLAGS, Mode::empty()).unwrap();
        for i in 0..levels {
            let f = rfs::openat(
                &cur,
                "f",
                OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .unwrap();
            rustix::io::write(&f, format!("{i}").as_bytes()).unwrap();
            rfs::symlinkat("/etc/passwd", &cur, "l").unwrap();
            rfs::mkdirat(&cur, "d", Mode::from_raw_mode(0o755)).unwrap();
            cur = rfs::openat(&cur, "d", DIR_FLAGS, Mode::empty()).unwrap();
        }
        top
    }

    /// Runs `body` with the open-file limit lowered to `limit`, in a child
    /// process running only the test `test` (its path below the crate): the
    /// limit is per process, and lowering it here would make the tests
    /// running in parallel threads fail.
    pub(crate) fn with_fd_limit_in_child(test: &str, limit: u64, body: impl FnOnce()) {
        const CHILD: &str = "RPOD_TEST_FD_LIMIT_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let old = rustix::process::getrlimit(rustix::process::Resource::Nofile);
            rustix::process::setrlimit(
                rustix::process::Resource::Nofile,
                rustix::process::Rlimit {
                    current: Some(limit),
                    maximum: old.maximum,
                },
            )
            .unwrap();
            body();
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{test} under a limit of {limit} descriptors:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn removes_a_tree_deeper_than_the_descriptor_limit() {
        let test = "storage::tree_remove::tests::removes_a_tree_deeper_than_the_descriptor_limit";
        with_fd_limit_in_child(test, 128, || {
            let base = tempfile::tempdir().unwrap();
            let top = deep_tree(base.path(), 3000);
            // std's remove_dir_all needs one descriptor per level.
            let std_result = fs::remove_dir_all(&top);
            assert!(
                std_result.is_err(),
                "the tree must be deeper than the limit"
            );
            remove_tree(&top).unwrap();
            assert!(!top.exists());
            assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);
        });
    }

    #[test]
    fn never_follows_symlinks_out_of_the_tree() {
        let base = tempfile::tempdir().unwrap();
        let outside = base.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("canary"), b"keep").unwrap();
        let tree = base.path().join("tree");
        fs::create_dir_all(tree.join("a/b")).unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("a/link")).unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("a/b/link")).unwrap();
        fs::write(tree.join("a/b/file"), b"x").unwrap();
        remove_tree(&tree).unwrap();
        assert!(!tree.exists());
        assert_eq!(fs::read(outside.join("canary")).unwrap(), b"keep");
    }

    #[test]
    fn a_symlink_or_file_is_unlinked_itself() {
        let base = tempfile::tempdir().unwrap();
        let outside = base.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("canary"), b"keep").unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        remove_tree(&link).unwrap();
        assert!(outside.join("canary").exists());
        let file = base.path().join("file");
        fs::write(&file, b"x").unwrap();
        remove_tree(&file).unwrap();
        assert!(!file.exists());
        assert_eq!(
            remove_tree(&file).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        remove_tree_if_exists(&file).unwrap();
    }

    #[test]
    fn stops_at_mount_points() {
        let base = tempfile::tempdir().unwrap();
        let tree = base.path().join("tree");
        let mnt = tree.join("mnt");
        fs::create_dir_all(&mnt).unwrap();
        rustix::mount::mount(
            "tmpfs",
            &mnt,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            None,
        )
        .unwrap();
        fs::write(mnt.join("canary"), b"keep").unwrap();
        let res = remove_tree(&tree);
        let kept = fs::read(mnt.join("canary"));
        rustix::mount::unmount(&mnt, rustix::mount::UnmountFlags::DETACH).unwrap();
        assert_eq!(res.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
        assert_eq!(kept.unwrap(), b"keep");
        remove_tree(&tree).unwrap();
    }
}
