//! The writing half: a tar stream unpacked into a directory of a tree.
//!
//! Each member's directory is resolved inside the root
//! (`openat2(RESOLVE_IN_ROOT)`, missing directories created 0755 on the
//! way, as copier does) and the member itself is created relative to that
//! directory's descriptor with `O_NOFOLLOW`/`AT_SYMLINK_NOFOLLOW`; owner,
//! mode and times are set through the descriptor of what was created.
//! Directory modes and times are applied at the end (children first), so
//! a read-only directory in the stream can still be filled.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rpod_api::error_chain::io_reason;
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;
use tar::EntryType;

use super::{shown, CopyError, Rename};
use crate::storage::extract::special_node;
use crate::storage::in_root::InRoot;
use crate::storage::tree_remove::remove_tree_at;

/// How [`put`] treats what it unpacks.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Owner of everything created instead of the members' own.
    pub owner: Option<(u32, u32)>,
    /// A directory is never replaced by a non-directory (an error instead).
    pub no_overwrite_dir_non_dir: bool,
    /// A non-directory is never replaced by a directory (an error instead).
    pub no_overwrite_non_dir_dir: bool,
    /// Member names renamed.
    pub rename: Option<Rename>,
    /// Device nodes in the stream are skipped.
    pub ignore_devices: bool,
}

const PATH_DIR: OFlags = OFlags::PATH.union(OFlags::DIRECTORY);
const OPEN_DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW);

/// A directory whose mode (and times, for members) is set at the end.
struct DirFixup {
    path: PathBuf,
    mode: u32,
    times: Option<Timestamps>,
}

struct Putter<'a> {
    root: &'a InRoot,
    o: &'a PutOptions,
    /// Owner of directories created on the way.
    default_owner: (u32, u32),
    fixups: Vec<DirFixup>,
    /// Directories known to exist (created or checked).
    known: HashSet<PathBuf>,
    /// Members skipped (devices), so hardlinks to them are skipped too.
    ignored: HashSet<PathBuf>,
}

/// Lexically cleaned member name: relative, no `.`, `..` never above the
/// start (copier's `cleanerReldirectory`).
fn clean(name: &Path) -> PathBuf {
    let mut out: Vec<&OsStr> = Vec::new();
    for c in name.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out.iter().collect()
}

fn errno_msg(e: impl Into<io::Error>) -> String {
    io_reason(&e.into())
}

/// Unpacks the tar stream `r` into the directory `dir` of `root` (created
/// with its parents if missing; an existing non-directory is an error).
pub fn put<R: Read>(root: &InRoot, dir: &Path, o: &PutOptions, r: R) -> Result<(), CopyError> {
    let target = root.resolve(dir, true).map_err(|e| {
        CopyError(format!(
            "copier: put: error resolving {:?}: {}",
            shown(dir),
            io_reason(&e)
        ))
    })?;
    let mut p = Putter {
        root,
        o,
        default_owner: o.owner.unwrap_or((0, 0)),
        fixups: Vec::new(),
        known: HashSet::new(),
        ignored: HashSet::new(),
    };
    match root.open(&target, OFlags::PATH) {
        Ok(fd) => {
            let st = rfs::fstat(&fd).map_err(|e| CopyError(errno_msg(e)))?;
            if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
                return Err(CopyError(format!(
                    "copier: put: {} ({}): exists but is not a directory",
                    shown(dir),
                    target.display()
                )));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            p.ensure_dirs(&target)
                .map_err(|e| CopyError(format!("copier: put: {e}")))?;
        }
        Err(e) => {
            return Err(CopyError(format!(
                "copier: put: {}: {}",
                shown(dir),
                io_reason(&e)
            )))
        }
    }
    let res = p.unpack(&target, r);
    p.apply_fixups();
    res
}

impl Putter<'_> {
    fn unpack<R: Read>(&mut self, target: &Path, r: R) -> Result<(), CopyError> {
        let mut archive = tar::Archive::new(r);
        let entries = archive
            .entries()
            .map_err(|e| CopyError(format!("reading tar stream: {}", io_reason(&e))))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                CopyError(format!(
                    "reading tar stream: expected EOF: {}",
                    io_reason(&e)
                ))
            })?;
            let raw = PathBuf::from(OsStr::from_bytes(&entry.path_bytes()));
            if raw.as_os_str().is_empty() {
                continue;
            }
            let name = match &self.o.rename {
                Some(r) => PathBuf::from(r.apply(&raw.to_string_lossy())),
                None => raw.clone(),
            };
            let path = target.join(clean(&name));
            self.member(&mut entry, &raw, &path, target)?;
        }
        Ok(())
    }

    fn member<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        raw: &Path,
        path: &Path,
        target: &Path,
    ) -> Result<(), CopyError> {
        let p = shown(path);
        let bad = |e: io::Error| {
            CopyError(format!(
                "copier: put: error creating {p:?}: {}",
                io_reason(&e)
            ))
        };
        let attrs = super::xattrs::from_pax(entry).map_err(bad)?;
        let h = entry.header();
        let kind = h.entry_type();
        let (uid, gid) = match self.o.owner {
            Some(o) => o,
            None => (h.uid().map_err(bad)? as u32, h.gid().map_err(bad)? as u32),
        };
        let mode = h.mode().map_err(bad)? & 0o7777;
        let mtime = Timespec {
            tv_sec: i64::try_from(h.mtime().map_err(bad)?).unwrap_or(i64::MAX),
            tv_nsec: 0,
        };
        let times = Timestamps {
            last_access: mtime,
            last_modification: mtime,
        };
        let meta = Meta {
            uid,
            gid,
            mode,
            times,
        };
        let Some(parent) = path.parent() else {
            // The target is the root itself ("./" in the stream).
            if kind == EntryType::Directory {
                self.dir_meta(path, None, &meta).map_err(bad)?;
            }
            return Ok(());
        };
        let Some(name) = path.file_name() else {
            return Ok(());
        };
        self.ensure_dirs(parent)
            .map_err(|e| CopyError(format!("copier: put: {e}")))?;
        let pfd = self.root.open(parent, PATH_DIR).map_err(bad)?;
        match kind {
            EntryType::Regular | EntryType::Continuous => {
                let mut f = self.create_file(&pfd, name, &p)?;
                let n = io::copy(entry, &mut f).map_err(|e| {
                    CopyError(format!(
                        "copier: put: error writing file {p:?}: {}",
                        io_reason(&e)
                    ))
                })?;
                if n != entry.size() {
                    return Err(CopyError(format!(
                        "copier: put: error creating regular file {p:?}: incorrect length ({n} != {})",
                        entry.size()
                    )));
                }
                set_meta_fd(f.as_fd(), &meta, true).map_err(bad)?;
                // After the chown, which drops security.capability.
                super::xattrs::write(f.as_fd(), &attrs).map_err(bad)?;
            }
            EntryType::Directory => {
                self.make_dir(&pfd, name, path, &meta)?;
                if !attrs.is_empty() {
                    let fd = self.root.open(path, OPEN_DIR).map_err(bad)?;
                    super::xattrs::write(&fd, &attrs).map_err(bad)?;
                }
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name_bytes()
                    .map(|b| PathBuf::from(OsStr::from_bytes(&b)))
                    .unwrap_or_default();
                self.replace(&pfd, name, &p, "symlink", |d, n| {
                    rfs::symlinkat(&link, d, n)
                })?;
                finish_node(&pfd, name, &meta, false).map_err(bad)?;
            }
            EntryType::Link => {
                let link = entry
                    .link_name_bytes()
                    .map(|b| PathBuf::from(OsStr::from_bytes(&b)))
                    .unwrap_or_default();
                if self.ignored.contains(&link) {
                    self.ignored.insert(raw.to_owned());
                    return Ok(());
                }
                let link = match &self.o.rename {
                    Some(r) => PathBuf::from(r.apply(&link.to_string_lossy())),
                    None => link,
                };
                let lpath = target.join(clean(&link));
                let (Some(lparent), Some(lname)) = (lpath.parent(), lpath.file_name()) else {
                    return Err(bad(Errno::INVAL.into()));
                };
                let lfd = self.root.open(lparent, PATH_DIR).map_err(bad)?;
                self.replace(&pfd, name, &p, "link", |d, n| {
                    rfs::linkat(&lfd, lname, d, n, AtFlags::empty())
                })?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                if kind != EntryType::Fifo && self.o.ignore_devices {
                    self.ignored.insert(raw.to_owned());
                    return Ok(());
                }
                let (ft, dev) = special_node(h).map_err(bad)?;
                self.replace(&pfd, name, &p, "mknod", |d, n| {
                    rfs::mknodat(d, n, ft, Mode::from_raw_mode(0o600), dev)
                })?;
                finish_node(&pfd, name, &meta, true).map_err(bad)?;
            }
            other => {
                tracing::debug!(member = %raw.display(), kind = ?other, "cp: skipping tar member");
            }
        }
        Ok(())
    }

    /// A new regular file `name` (copier's `createFile`): an existing
    /// non-directory is replaced, an existing directory too unless
    /// `no_overwrite_dir_non_dir`.
    fn create_file(&self, pfd: &OwnedFd, name: &OsStr, p: &str) -> Result<File, CopyError> {
        let create = || {
            rfs::openat(
                pfd,
                name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
        };
        let fd = match create() {
            Err(Errno::EXIST) => {
                if self.o.no_overwrite_dir_non_dir && is_dir_at(pfd, name) {
                    return Err(CopyError(format!(
                        "copier: put: error creating {p:?}: copier: put: error creating file at {p:?}: open {p}: file exists"
                    )));
                }
                remove_tree_at(pfd.as_fd(), name).map_err(|e| {
                    CopyError(format!(
                        "copier: put: error removing item to be overwritten {p:?}: {}",
                        io_reason(&e)
                    ))
                })?;
                create()
            }
            other => other,
        };
        fd.map(File::from).map_err(|e| {
            CopyError(format!(
                "copier: put: error opening file {p:?} for writing: {}",
                errno_msg(e)
            ))
        })
    }

    /// Creates a non-regular, non-directory node with `make`, replacing
    /// what is there (a directory only without `no_overwrite_dir_non_dir`).
    fn replace(
        &self,
        pfd: &OwnedFd,
        name: &OsStr,
        p: &str,
        op: &str,
        make: impl Fn(BorrowedFd<'_>, &OsStr) -> rustix::io::Result<()>,
    ) -> Result<(), CopyError> {
        let fail = |e: Errno| {
            CopyError(format!(
                "copier: put: error creating {p:?}: {op} {p}: {}",
                errno_msg(e)
            ))
        };
        match make(pfd.as_fd(), name) {
            Err(Errno::EXIST) => {
                if self.o.no_overwrite_dir_non_dir && is_dir_at(pfd, name) {
                    return Err(fail(Errno::EXIST));
                }
                remove_tree_at(pfd.as_fd(), name).map_err(|e| {
                    CopyError(format!(
                        "copier: put: error creating {p:?}: {}",
                        io_reason(&e)
                    ))
                })?;
                make(pfd.as_fd(), name).map_err(fail)
            }
            other => other.map_err(fail),
        }
    }

    /// A directory member: created, or kept if it is one; an existing
    /// non-directory is replaced unless `no_overwrite_non_dir_dir`.
    fn make_dir(
        &mut self,
        pfd: &OwnedFd,
        name: &OsStr,
        path: &Path,
        meta: &Meta,
    ) -> Result<(), CopyError> {
        let p = shown(path);
        let fail = |e: Errno| {
            CopyError(format!(
                "copier: put: error creating {p:?}: mkdir {p}: {}",
                errno_msg(e)
            ))
        };
        match rfs::mkdirat(pfd, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) if is_dir_at(pfd, name) => {}
            Err(Errno::EXIST) => {
                if self.o.no_overwrite_non_dir_dir {
                    return Err(fail(Errno::EXIST));
                }
                rfs::unlinkat(pfd, name, AtFlags::empty()).map_err(fail)?;
                rfs::mkdirat(pfd, name, Mode::from_raw_mode(0o700)).map_err(fail)?;
            }
            Err(e) => return Err(fail(e)),
        }
        self.known.insert(path.to_owned());
        self.dir_meta(path, Some((pfd, name)), meta).map_err(|e| {
            CopyError(format!(
                "copier: put: error creating {p:?}: {}",
                io_reason(&e)
            ))
        })
    }

    /// Owner now; mode and times of the directory at the end.
    fn dir_meta(
        &mut self,
        path: &Path,
        at: Option<(&OwnedFd, &OsStr)>,
        meta: &Meta,
    ) -> io::Result<()> {
        let fd = match at {
            Some((pfd, name)) => rfs::openat(pfd, name, OPEN_DIR | OFlags::CLOEXEC, Mode::empty())?,
            None => self.root.open(path, OPEN_DIR)?,
        };
        chown_fd(fd.as_fd(), meta.uid, meta.gid)?;
        self.fixups.push(DirFixup {
            path: path.to_owned(),
            mode: meta.mode,
            times: Some(meta.times.clone()),
        });
        Ok(())
    }

    /// Creates the missing directories of `dir` (0755, owned by the default
    /// owner), each inside the root.
    fn ensure_dirs(&mut self, dir: &Path) -> Result<(), String> {
        if self.known.contains(dir) {
            return Ok(());
        }
        let mut cur = PathBuf::from("/");
        for c in dir.components() {
            let Component::Normal(name) = c else { continue };
            let next = cur.join(name);
            if !self.known.contains(&next) {
                let pfd = self.root.open(&cur, PATH_DIR).map_err(|e| {
                    format!(
                        "error checking directory {:?}: {}",
                        shown(&cur),
                        io_reason(&e)
                    )
                })?;
                match rfs::mkdirat(&pfd, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) => {
                        let fd = rfs::openat(&pfd, name, OPEN_DIR | OFlags::CLOEXEC, Mode::empty())
                            .map_err(|e| {
                                format!(
                                    "error checking directory {:?}: {}",
                                    shown(&next),
                                    errno_msg(e)
                                )
                            })?;
                        chown_fd(fd.as_fd(), self.default_owner.0, self.default_owner.1).map_err(
                            |e| {
                                format!(
                                    "error setting owner of {:?} to {}:{}: {}",
                                    shown(&next),
                                    self.default_owner.0,
                                    self.default_owner.1,
                                    io_reason(&e)
                                )
                            },
                        )?;
                        self.fixups.push(DirFixup {
                            path: next.clone(),
                            mode: 0o755,
                            times: None,
                        });
                    }
                    Err(Errno::EXIST) => {}
                    Err(e) => {
                        return Err(format!(
                            "error checking directory {:?}: {}",
                            shown(&next),
                            errno_msg(e)
                        ))
                    }
                }
                self.known.insert(next.clone());
            }
            cur = next;
        }
        Ok(())
    }

    /// Directory modes and times, deepest (latest) first; failures are only
    /// logged, as copier does.
    fn apply_fixups(&mut self) {
        for f in self.fixups.drain(..).rev() {
            let res = self.root.open(&f.path, OPEN_DIR).and_then(|fd| {
                rfs::fchmod(&fd, Mode::from_raw_mode(f.mode))?;
                if let Some(t) = &f.times {
                    rfs::futimens(&fd, t)?;
                }
                Ok(())
            });
            if let Err(e) = res {
                tracing::debug!(path = %f.path.display(), "cp: setting directory mode and times: {e}");
            }
        }
    }
}

struct Meta {
    uid: u32,
    gid: u32,
    mode: u32,
    times: Timestamps,
}

fn is_dir_at(pfd: &OwnedFd, name: &OsStr) -> bool {
    rfs::statat(pfd, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

fn chown_fd(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> io::Result<()> {
    rfs::fchown(
        fd,
        Some(rfs::Uid::from_raw(uid)),
        Some(rfs::Gid::from_raw(gid)),
    )?;
    Ok(())
}

/// Owner, then mode (chown clears setuid bits), then times of an open file.
fn set_meta_fd(fd: BorrowedFd<'_>, meta: &Meta, times: bool) -> io::Result<()> {
    chown_fd(fd, meta.uid, meta.gid)?;
    rfs::fchmod(fd, Mode::from_raw_mode(meta.mode))?;
    if times {
        rfs::futimens(fd, &meta.times)?;
    }
    Ok(())
}

/// Owner, mode (`chmod`) and times of a symlink, device or FIFO just made
/// as `name` in `pfd`: taken from an `O_PATH | O_NOFOLLOW` descriptor of
/// it, so a swapped name never leads elsewhere.
fn finish_node(pfd: &OwnedFd, name: &OsStr, meta: &Meta, chmod: bool) -> io::Result<()> {
    let fd = rfs::openat(
        pfd,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    rfs::chownat(
        &fd,
        c"",
        Some(rfs::Uid::from_raw(meta.uid)),
        Some(rfs::Gid::from_raw(meta.gid)),
        AtFlags::EMPTY_PATH,
    )?;
    let st = rfs::fstat(&fd)?;
    if chmod && FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
        // The magic link of our own descriptor is that very inode.
        let proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
        rfs::chmod(proc.as_str(), Mode::from_raw_mode(meta.mode))?;
    }
    rfs::utimensat(pfd, name, &meta.times, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(())
}
