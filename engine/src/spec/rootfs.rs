//! Confined access to files inside a container's root filesystem.
//!
//! Every path is resolved with `openat2(RESOLVE_IN_ROOT)`, so `..` and
//! symlinks (absolute or relative) are clamped to the rootfs, like a chroot:
//! an image can never make the engine read or create host files.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::SpecError;
use crate::storage::in_root::InRoot;

/// Files bigger than this are not read (passwd/group are small).
const MAX_READ: u64 = 16 << 20;

/// Symlinks followed while creating a directory before giving up (ELOOP).
const MAX_SYMLINKS: u32 = 40;

const RESOLVE: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);

fn open_root(rootfs: &Path) -> Result<OwnedFd, SpecError> {
    rustix::fs::open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| SpecError::io("open rootfs", rootfs, e.into()))
}

/// `path` made relative to the rootfs, with `.`/`..` resolved lexically and
/// clamped at the root.
fn relative(path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Reads a regular file inside the rootfs. `Ok(None)` when it does not exist
/// (or a symlink on the way leads nowhere inside the rootfs).
pub(crate) fn read_file(rootfs: &Path, path: &str) -> Result<Option<String>, SpecError> {
    let root = InRoot::new(rootfs).map_err(|e| SpecError::io("open rootfs", rootfs, e))?;
    let rel = relative(path);
    let shown = rootfs.join(&rel);
    // O_NONBLOCK: opening a FIFO planted in the image must not hang us.
    let fd = match root.open(&rel, OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK) {
        Ok(fd) => fd,
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
            return Ok(None)
        }
        Err(e) => return Err(SpecError::io("open", shown, e)),
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| SpecError::io("stat", &shown, e.into()))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Ok(None);
    }
    let mut text = String::new();
    File::from(fd)
        .take(MAX_READ)
        .read_to_string(&mut text)
        .map_err(|e| SpecError::io("read", shown, e))?;
    Ok(Some(text))
}

/// What [`ensure_dir`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DirState {
    /// The directory was already there.
    Existed,
    /// It was created (and chowned to the requested owner).
    Created,
    /// Something that is not a directory is in the way.
    NotADirectory,
    /// It is missing and was not to be created; `through_link`: a symlink
    /// was followed on the way.
    Missing { through_link: bool },
}

/// Whether directory `path` exists inside the rootfs, creating nothing
/// (symlinks followed as by [`ensure_dir`]).
pub(crate) fn probe_dir(rootfs: &Path, path: &str) -> Result<DirState, SpecError> {
    walk_dir(rootfs, path, None)
}

/// Makes sure directory `path` exists inside the rootfs, creating missing
/// components (mode 0755); the last one, when created, is chowned to
/// `owner` (uid, gid), as Podman does for a working directory. Symlinks on
/// the way are followed as if the rootfs were `/`.
pub(crate) fn ensure_dir(
    rootfs: &Path,
    path: &str,
    owner: (u32, u32),
) -> Result<DirState, SpecError> {
    walk_dir(rootfs, path, Some(owner))
}

/// Podman's `/etc/mtab`: where the image has none, a symlink to
/// `/proc/mounts` (so `mount` and `df` work inside), owned by the
/// container's root (`owner`, host ids), as is an `/etc` made for it. An
/// existing entry of any kind is left alone, and so is a read-only root.
pub(crate) fn link_mtab(rootfs: &Path, owner: (u32, u32)) -> Result<(), SpecError> {
    let etc_state = match ensure_dir(rootfs, "/etc", owner) {
        Err(SpecError::Io { source, .. }) if source.raw_os_error() == Some(libc::EROFS) => {
            return Ok(())
        }
        other => other?,
    };
    if etc_state == DirState::NotADirectory {
        return Ok(());
    }
    let root = InRoot::new(rootfs).map_err(|e| SpecError::io("open rootfs", rootfs, e))?;
    let shown = rootfs.join("etc/mtab");
    let etc = root
        .open(
            Path::new("etc"),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        )
        .map_err(|e| SpecError::io("open", rootfs.join("etc"), e))?;
    match rustix::fs::symlinkat("/proc/mounts", &etc, "mtab") {
        Ok(()) => {}
        Err(Errno::EXIST | Errno::ROFS) => return Ok(()),
        Err(e) => return Err(SpecError::io("symlink", shown, e.into())),
    }
    if owner != (0, 0) {
        rustix::fs::chownat(
            &etc,
            "mtab",
            Some(rustix::fs::Uid::from_raw(owner.0)),
            Some(rustix::fs::Gid::from_raw(owner.1)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| SpecError::io("chown", shown, e.into()))?;
    }
    Ok(())
}

/// Resolves `path` component by component; creates what is missing when
/// `create` names the owner of the last component, else reports it missing.
fn walk_dir(rootfs: &Path, path: &str, create: Option<(u32, u32)>) -> Result<DirState, SpecError> {
    let root = open_root(rootfs)?;
    let mut pending: VecDeque<OsString> = relative(path)
        .components()
        .map(|c| c.as_os_str().to_owned())
        .collect();
    // `resolved` only ever holds real directories (no symlinks).
    let mut resolved = PathBuf::new();
    let mut links = 0;
    let mut created_last = false;
    while let Some(comp) = pending.pop_front() {
        if comp == ".." {
            resolved.pop();
            continue;
        }
        if comp == "." {
            continue;
        }
        let shown = rootfs.join(&resolved).join(&comp);
        let parent = open_dir(&root, &resolved)
            .map_err(|e| SpecError::io("open", rootfs.join(&resolved), e.into()))?;
        match rustix::fs::statat(&parent, &comp, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {
                    created_last = false;
                    resolved.push(&comp);
                }
                FileType::Symlink => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(SpecError::io("resolve", shown, Errno::LOOP.into()));
                    }
                    let target = rustix::fs::readlinkat(&parent, &comp, Vec::new())
                        .map_err(|e| SpecError::io("readlink", &shown, e.into()))?;
                    let target = PathBuf::from(OsString::from_vec(target.into_bytes()));
                    if target.is_absolute() {
                        resolved = PathBuf::new();
                    }
                    for c in target.components().rev() {
                        if let Component::Normal(_) | Component::ParentDir = c {
                            pending.push_front(c.as_os_str().to_owned());
                        }
                    }
                }
                _ => return Ok(DirState::NotADirectory),
            },
            Err(Errno::NOENT) => {
                let Some(owner) = create else {
                    return Ok(DirState::Missing {
                        through_link: links > 0,
                    });
                };
                rustix::fs::mkdirat(&parent, &comp, Mode::from_raw_mode(0o755))
                    .map_err(|e| SpecError::io("mkdir", &shown, e.into()))?;
                created_last = true;
                if pending.is_empty() {
                    rustix::fs::chownat(
                        &parent,
                        &comp,
                        Some(rustix::fs::Uid::from_raw(owner.0)),
                        Some(rustix::fs::Gid::from_raw(owner.1)),
                        AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .map_err(|e| SpecError::io("chown", &shown, e.into()))?;
                }
                resolved.push(&comp);
            }
            Err(e) => return Err(SpecError::io("stat", shown, e.into())),
        }
    }
    Ok(if created_last {
        DirState::Created
    } else {
        DirState::Existed
    })
}

fn open_dir(root: &OwnedFd, rel: &Path) -> Result<OwnedFd, Errno> {
    let rel: &Path = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    rustix::fs::openat2(
        root,
        rel,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        RESOLVE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt};

    #[test]
    fn relative_clamps_parent_dirs() {
        assert_eq!(relative("/../../etc/./passwd"), PathBuf::from("etc/passwd"));
        assert_eq!(relative("/"), PathBuf::new());
    }

    #[test]
    fn reads_stay_inside_the_rootfs() {
        let host = tempfile::tempdir().unwrap();
        std::fs::write(host.path().join("secret"), "host-only\n").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        symlink(host.path().join("secret"), root.path().join("etc/abs")).unwrap();
        symlink(
            "../../../../../../..".to_string() + host.path().join("secret").to_str().unwrap(),
            root.path().join("etc/rel"),
        )
        .unwrap();
        std::fs::write(root.path().join("etc/plain"), "inside\n").unwrap();
        assert_eq!(read_file(root.path(), "/etc/abs").unwrap(), None);
        assert_eq!(read_file(root.path(), "/etc/rel").unwrap(), None);
        assert_eq!(
            read_file(root.path(), "/etc/plain").unwrap().as_deref(),
            Some("inside\n")
        );
        assert_eq!(read_file(root.path(), "/etc/missing").unwrap(), None);
        // A directory is not a file to read.
        assert_eq!(read_file(root.path(), "/etc").unwrap(), None);
    }

    #[test]
    fn ensure_dir_creates_inside_and_never_outside() {
        let host = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        symlink(host.path(), root.path().join("escape")).unwrap();
        assert_eq!(
            ensure_dir(root.path(), "/escape/sub", (1000, 1000)).unwrap(),
            DirState::Created
        );
        // The symlink was resolved inside the rootfs: nothing under the host dir.
        assert!(std::fs::read_dir(host.path()).unwrap().next().is_none());
        let made = root
            .path()
            .join(host.path().strip_prefix("/").unwrap())
            .join("sub");
        let md = std::fs::metadata(&made).unwrap();
        assert!(md.is_dir());
        assert_eq!((md.uid(), md.gid()), (1000, 1000));
        assert_eq!(
            ensure_dir(root.path(), "/escape/sub", (0, 0)).unwrap(),
            DirState::Existed
        );
        std::fs::write(root.path().join("file"), "").unwrap();
        assert_eq!(
            ensure_dir(root.path(), "/file/x", (0, 0)).unwrap(),
            DirState::NotADirectory
        );
        assert_eq!(
            ensure_dir(root.path(), "/file", (0, 0)).unwrap(),
            DirState::NotADirectory
        );
    }

    #[test]
    fn probe_dir_creates_nothing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("d")).unwrap();
        symlink("/nowhere", root.path().join("link")).unwrap();
        assert_eq!(probe_dir(root.path(), "/d").unwrap(), DirState::Existed);
        assert_eq!(
            probe_dir(root.path(), "/d/x/y").unwrap(),
            DirState::Missing {
                through_link: false
            }
        );
        assert_eq!(
            probe_dir(root.path(), "/link").unwrap(),
            DirState::Missing { through_link: true }
        );
        assert!(!root.path().join("d/x").exists());
    }

    #[test]
    fn mtab_link_is_made_only_where_missing() {
        let root = tempfile::tempdir().unwrap();
        // No /etc at all: made, with the link in it.
        link_mtab(root.path(), (0, 0)).unwrap();
        let link = root.path().join("etc/mtab");
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("/proc/mounts")
        );
        // An image's own file is kept.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir(other.path().join("etc")).unwrap();
        std::fs::write(other.path().join("etc/mtab"), "mine").unwrap();
        link_mtab(other.path(), (0, 0)).unwrap();
        assert_eq!(
            std::fs::read_to_string(other.path().join("etc/mtab")).unwrap(),
            "mine"
        );
        // /etc leading out of the root: the link lands inside, never on the host.
        let host = tempfile::tempdir().unwrap();
        let escape = tempfile::tempdir().unwrap();
        symlink(host.path(), escape.path().join("etc")).unwrap();
        link_mtab(escape.path(), (1000, 1000)).unwrap();
        assert!(std::fs::symlink_metadata(host.path().join("mtab")).is_err());
        let inside = std::fs::symlink_metadata(
            escape
                .path()
                .join(host.path().strip_prefix("/").unwrap())
                .join("mtab"),
        )
        .unwrap();
        assert!(inside.file_type().is_symlink());
        use std::os::unix::fs::MetadataExt;
        assert_eq!((inside.uid(), inside.gid()), (1000, 1000));
    }
}
