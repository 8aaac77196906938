//! Reading a container's or a layer's tree from inside its root only.
//!
//! A running container can replace any directory of its root filesystem by
//! a symlink at any moment. A reader that checks a path and then opens it by
//! its host name can be sent anywhere on the host. Everything here works on
//! descriptors instead:
//!
//! - [`InRoot::open`] resolves one path with `openat2(RESOLVE_IN_ROOT |
//!   RESOLVE_NO_MAGICLINKS)`: symlinks are followed as if the root were `/`,
//!   `..` never leaves it (for `cp` and single-file reads);
//! - [`InRoot::walk`] visits the whole tree iteratively, each entry opened
//!   once with `O_PATH | O_NOFOLLOW` relative to its parent's descriptor and
//!   everything about it (type, metadata, content, link target) read from
//!   that descriptor, so what is archived is what was checked. Symlinks are
//!   reported as symlinks, never followed. The walk holds a bounded number of
//!   descriptors whatever the depth (it goes back up through `..`, checked
//!   against the identity recorded on the way down) and no recursion.
//!
//! Neither depends on the container being paused.

use std::ffi::{CStr, CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, Dir, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

use super::extract::opaque_xattr;

/// How often [`InRoot::open`] retries a lookup raced by a rename.
const OPEN_RETRIES: u32 = 64;

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// A directory tree read from inside its root (a container's root
/// filesystem, its upper directory or a layer).
#[derive(Debug)]
pub struct InRoot {
    root: OwnedFd,
    path: PathBuf,
    /// The host's own `/`, named by its user: paths resolve as any
    /// program's would (magic links like `/dev/stdin` included).
    host: bool,
}

impl InRoot {
    /// Opens the root directory `path` (a host path the caller trusts, such
    /// as a mount point in the store).
    pub fn new(path: &Path) -> io::Result<InRoot> {
        let root = rfs::open(path, DIR_FLAGS, Mode::empty())?;
        Ok(InRoot {
            root,
            path: path.to_owned(),
            host: false,
        })
    }

    /// The host's `/` for paths its user gives (the host side of `cp`):
    /// not a boundary, symlinks and magic links resolve as usual.
    pub fn host() -> io::Result<InRoot> {
        let mut root = InRoot::new(Path::new("/"))?;
        root.host = true;
        Ok(root)
    }

    /// Takes the open directory `root` as a root (a running container's
    /// `/proc/PID/root`, a subtree opened from another root); `path` names
    /// it in messages.
    pub fn from_fd(root: OwnedFd, path: PathBuf) -> InRoot {
        InRoot {
            root,
            path,
            host: false,
        }
    }

    /// The directory `rel` of this tree (resolved as [`InRoot::open`]
    /// does) as a root of its own.
    pub fn subtree(&self, rel: &Path) -> io::Result<InRoot> {
        let root = self.open(rel, DIR_FLAGS)?;
        Ok(InRoot {
            root,
            path: self.path.join(strip_root(rel)),
            host: self.host,
        })
    }

    /// Another handle on the same root (a duplicated descriptor).
    pub fn try_clone(&self) -> io::Result<InRoot> {
        Ok(InRoot {
            root: self.root.try_clone()?,
            path: self.path.clone(),
            host: self.host,
        })
    }

    /// The path `rel` names inside the root, as `/`-rooted canonical path:
    /// `..` and symlinks (the last component's only with `follow_last`)
    /// resolved as the container would, never above the root. Components
    /// that do not exist are kept as they are, so a dangling symlink
    /// yields the path it points to. Every lookup is relative to the
    /// root's descriptor and follows no symlink itself: a tree changed
    /// meanwhile can make the answer stale, never read outside the root.
    pub fn resolve(&self, rel: &Path, follow_last: bool) -> io::Result<PathBuf> {
        /// Symlinks followed before giving up (as the kernel's limit).
        const MAX_LINKS: u32 = 40;
        let mut todo: Vec<std::ffi::OsString> = components_rev(strip_root(rel));
        let mut done: Vec<std::ffi::OsString> = Vec::new();
        let mut links = 0;
        while let Some(c) = todo.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            let last = todo.is_empty();
            let parent: PathBuf = done.iter().collect();
            let target = if last && !follow_last {
                None
            } else {
                self.read_link_at(&parent, &c)?
            };
            match target {
                Some(t) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Errno::LOOP.into());
                    }
                    if t.is_absolute() {
                        done.clear();
                    }
                    todo.extend(components_rev(&t));
                }
                None => done.push(c),
            }
        }
        let mut out = PathBuf::from("/");
        out.extend(done);
        Ok(out)
    }

    /// The target of `name` in the directory `parent` (a canonical path
    /// below the root) if it is a symlink; `None` if it is something else
    /// or does not exist.
    fn read_link_at(&self, parent: &Path, name: &OsStr) -> io::Result<Option<PathBuf>> {
        let dir = match self.open_no_symlinks(parent, OFlags::PATH | OFlags::DIRECTORY) {
            Ok(d) => d,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        match rfs::readlinkat(&dir, name, Vec::new()) {
            Ok(t) => Ok(Some(PathBuf::from(OsStr::from_bytes(t.as_bytes())))),
            Err(Errno::INVAL | Errno::NOENT | Errno::NOTDIR) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One entry as a walk would report it, named `name`: `rel` resolved as
    /// [`InRoot::open`] does (a symlink is followed; with `nofollow`, a
    /// final symlink is reported as such). A directory's content is not
    /// listed (walk it with [`InRoot::subtree`]).
    pub fn node(&self, rel: &Path, name: PathBuf, nofollow: bool) -> io::Result<Node> {
        let flags = if nofollow {
            OFlags::PATH | OFlags::NOFOLLOW
        } else {
            OFlags::PATH
        };
        let fd = self.open(rel, flags)?;
        let stat = rfs::fstat(&fd)?;
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => NodeKind::Dir {
                opaque: rfs::openat(&fd, c".", DIR_FLAGS, Mode::empty())
                    .is_ok_and(|d| fd_is_opaque(&d)),
            },
            FileType::RegularFile => NodeKind::File(reopen(&fd)?),
            FileType::Symlink => {
                let target = rfs::readlinkat(&fd, c"", Vec::new())?;
                NodeKind::Symlink(PathBuf::from(OsStr::from_bytes(target.as_bytes())))
            }
            _ => NodeKind::Other,
        };
        Ok(Node {
            rel: name,
            stat,
            kind,
        })
    }

    /// The host path the root was opened from (for messages only).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `rel` (relative or absolute, both taken inside the root) with
    /// `flags`, resolving symlinks and `..` as the container would see them
    /// and never outside the root; magic links (`/proc/*/fd/*`) are refused.
    /// Add `OFlags::NOFOLLOW` to get a final symlink itself (with `O_PATH`).
    pub fn open(&self, rel: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        let rel = strip_root(rel);
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        if self.host {
            return Ok(rfs::openat(
                &self.root,
                rel,
                flags | OFlags::CLOEXEC,
                Mode::empty(),
            )?);
        }
        let mut tries = 0;
        loop {
            match rfs::openat2(
                &self.root,
                rel,
                flags | OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            ) {
                // The kernel asks to retry when a rename raced the lookup;
                // a container renaming without pause cannot keep us here.
                Err(Errno::AGAIN | Errno::INTR) if tries < OPEN_RETRIES => tries += 1,
                other => return Ok(other?),
            }
        }
    }

    /// The metadata of `rel` as it is in this tree, following no symlink at
    /// all (a symlink among the parents means `rel` is not in this tree, as
    /// overlayfs sees lower layers). Works at any depth, also beyond
    /// `PATH_MAX`.
    pub fn lstat_no_symlinks(&self, rel: &Path) -> io::Result<Stat> {
        let fd = self.open_no_symlinks(rel, OFlags::PATH | OFlags::NOFOLLOW)?;
        Ok(rfs::fstat(&fd)?)
    }

    /// Opens `rel` following no symlink (see [`InRoot::lstat_no_symlinks`]).
    pub fn open_no_symlinks(&self, rel: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        open_no_symlinks(self.root.as_fd(), rel, flags)
    }

    /// True if the directory `rel` of this tree is an opaque overlay
    /// directory (following no symlink).
    pub fn is_opaque_dir(&self, rel: &Path) -> bool {
        match self.open_no_symlinks(rel, OFlags::RDONLY | OFlags::DIRECTORY) {
            Ok(fd) => fd_is_opaque(&fd),
            Err(_) => false,
        }
    }

    /// Walks the tree below the root (the root itself is not reported).
    pub fn walk(&self) -> io::Result<Walk> {
        self.walk_with(true)
    }

    /// [`InRoot::walk`] without opening regular files: they are reported as
    /// [`NodeKind::Unopened`] (for sizes and listings).
    pub fn walk_metadata(&self) -> io::Result<Walk> {
        self.walk_with(false)
    }

    /// Bytes of everything but directories below the root, as `du`
    /// would add apparent sizes (symlinks count their target's length).
    pub fn apparent_size(&self) -> io::Result<u64> {
        let mut total = 0;
        for node in self.walk_metadata()? {
            let node = node?;
            if !matches!(node.kind, NodeKind::Dir { .. } | NodeKind::LeaveDir) {
                total += node.stat.st_size.max(0) as u64;
            }
        }
        Ok(total)
    }

    fn walk_with(&self, open_files: bool) -> io::Result<Walk> {
        let cur = rfs::openat(&self.root, c".", DIR_FLAGS, Mode::empty())?;
        let st = rfs::fstat(&cur)?;
        let names = list_sorted(&cur)?;
        Ok(Walk {
            root: rfs::openat(&self.root, c".", DIR_FLAGS, Mode::empty())?,
            stack: vec![Frame {
                rel: PathBuf::new(),
                dev: st.st_dev,
                ino: st.st_ino,
                stat: st,
                names,
            }],
            cur,
            pending: None,
            open_files,
        })
    }
}

/// Opens `rel` below `root` following no symlink and never leaving `root`,
/// at any depth (component by component beyond `PATH_MAX`).
fn open_no_symlinks(root: BorrowedFd<'_>, rel: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    let rel = strip_root(rel);
    if rel.as_os_str().is_empty() {
        return Ok(rfs::openat(
            root,
            c".",
            flags | OFlags::CLOEXEC,
            Mode::empty(),
        )?);
    }
    match rfs::openat2(
        root,
        rel,
        flags | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    ) {
        Err(Errno::NAMETOOLONG) => {}
        other => return Ok(other?),
    }
    let mut comps = rel
        .components()
        .map(|c| c.as_os_str())
        .filter(|c| !c.is_empty() && *c != ".")
        .peekable();
    let mut cur: Option<OwnedFd> = None;
    while let Some(c) = comps.next() {
        if c == ".." {
            return Err(Errno::XDEV.into());
        }
        let dir = cur.as_ref().map_or(root, |f| f.as_fd());
        let f = if comps.peek().is_none() {
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC
        } else {
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
        };
        cur = Some(rfs::openat(dir, c, f, Mode::empty())?);
    }
    match cur {
        Some(fd) => Ok(fd),
        None => Ok(rfs::openat(
            root,
            c".",
            flags | OFlags::CLOEXEC,
            Mode::empty(),
        )?),
    }
}

/// The components of `p` that name something (no `/`, no `.`), last first.
fn components_rev(p: &Path) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = p
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_owned()),
            std::path::Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

fn strip_root(rel: &Path) -> &Path {
    rel.strip_prefix("/").unwrap_or(rel)
}

/// True if the open directory carries overlay's opaque marker.
pub(crate) fn fd_is_opaque<Fd: AsFd>(fd: Fd) -> bool {
    let mut buf = [0u8; 8];
    matches!(rfs::fgetxattr(fd, opaque_xattr(), &mut buf[..]), Ok(n) if n >= 1 && buf[0] == b'y')
}

/// What a walked entry is, read from its own descriptor.
#[derive(Debug)]
pub enum NodeKind {
    /// A directory; its entries follow, then a [`NodeKind::LeaveDir`].
    Dir {
        /// Marked opaque for overlayfs.
        opaque: bool,
    },
    /// A regular file, open for reading.
    File(File),
    /// A regular file, not opened ([`InRoot::walk_metadata`]).
    Unopened,
    /// A symlink and its target (never followed).
    Symlink(PathBuf),
    /// A device, FIFO or socket (not opened).
    Other,
    /// The end of a directory reported earlier (same path and metadata).
    LeaveDir,
}

/// One entry of a walk.
#[derive(Debug)]
pub struct Node {
    /// Path relative to the root (no leading `/`).
    pub rel: PathBuf,
    /// Metadata of the entry itself (from the descriptor the content is
    /// read from).
    pub stat: Stat,
    pub kind: NodeKind,
}

impl Node {
    /// The entry's type.
    pub fn file_type(&self) -> FileType {
        FileType::from_raw_mode(self.stat.st_mode)
    }

    /// True for an overlay whiteout (a 0:0 character device).
    pub fn is_whiteout(&self) -> bool {
        self.file_type() == FileType::CharacterDevice && self.stat.st_rdev == 0
    }

    /// The entry's name (last component of `rel`).
    pub fn name(&self) -> &OsStr {
        self.rel.file_name().unwrap_or_default()
    }
}

/// A directory being walked.
struct Frame {
    rel: PathBuf,
    dev: u64,
    ino: u64,
    stat: Stat,
    /// Entries still to visit, last first (sorted descending).
    names: Vec<CString>,
}

/// An iterative, depth-first, name-ordered walk (see the module docs).
pub struct Walk {
    /// The root, to find a directory again if `..` does not lead back.
    root: OwnedFd,
    stack: Vec<Frame>,
    /// Descriptor of the directory on top of the stack.
    cur: OwnedFd,
    /// A directory just reported, entered on the next step.
    pending: Option<(OwnedFd, Frame)>,
    /// Regular files are opened (else reported as [`NodeKind::Unopened`]).
    open_files: bool,
}

impl Iterator for Walk {
    type Item = io::Result<Node>;

    fn next(&mut self) -> Option<io::Result<Node>> {
        match self.step() {
            Ok(Some(n)) => Some(Ok(n)),
            Ok(None) => None,
            Err(e) => {
                // Stop after an error.
                self.stack.clear();
                self.pending = None;
                Some(Err(e))
            }
        }
    }
}

impl Walk {
    /// Leaves out the content of the directory reported last (it is not
    /// entered, and no [`NodeKind::LeaveDir`] follows for it).
    pub fn skip_dir(&mut self) {
        self.pending = None;
    }

    fn step(&mut self) -> io::Result<Option<Node>> {
        if let Some((fd, frame)) = self.pending.take() {
            self.stack.push(frame);
            self.cur = fd;
        }
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(None);
            };
            let Some(name) = frame.names.pop() else {
                return self.leave();
            };
            let rel = frame.rel.join(OsStr::from_bytes(name.to_bytes()));
            if let Some(node) = self.visit(&name, rel)? {
                return Ok(Some(node));
            }
        }
    }

    /// Reports the entry `name` of the current directory; `None` if it
    /// vanished since it was listed.
    fn visit(&mut self, name: &CStr, rel: PathBuf) -> io::Result<Option<Node>> {
        let fd = match rfs::openat(
            &self.cur,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let stat = rfs::fstat(&fd)?;
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => {
                // `.` of the O_PATH descriptor: that very directory
                // (gone if it was removed meanwhile).
                let dir = match rfs::openat(&fd, c".", DIR_FLAGS, Mode::empty()) {
                    Ok(dir) => dir,
                    Err(Errno::NOENT) => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                let opaque = fd_is_opaque(&dir);
                let names = list_sorted(&dir)?;
                self.pending = Some((
                    dir,
                    Frame {
                        rel: rel.clone(),
                        dev: stat.st_dev,
                        ino: stat.st_ino,
                        stat,
                        names,
                    },
                ));
                NodeKind::Dir { opaque }
            }
            FileType::RegularFile if self.open_files => NodeKind::File(reopen(&fd)?),
            FileType::RegularFile => NodeKind::Unopened,
            FileType::Symlink => {
                let target = rfs::readlinkat(&fd, c"", Vec::new())?;
                NodeKind::Symlink(PathBuf::from(OsStr::from_bytes(target.as_bytes())))
            }
            _ => NodeKind::Other,
        };
        Ok(Some(Node { rel, stat, kind }))
    }

    /// Leaves the directory on top of the stack.
    fn leave(&mut self) -> io::Result<Option<Node>> {
        let done = self.stack.pop().expect("called with a frame");
        let Some(parent) = self.stack.last() else {
            // The root itself is not reported.
            return Ok(None);
        };
        let is_parent = |fd: &OwnedFd| {
            rfs::fstat(fd).is_ok_and(|st| (st.st_dev, st.st_ino) == (parent.dev, parent.ino))
        };
        let up = match rfs::openat(&self.cur, c"..", DIR_FLAGS, Mode::empty()) {
            Ok(up) if is_parent(&up) => up,
            // The directory was moved or removed while it was read: find
            // the parent again from the root, by name and identity.
            _ => match open_no_symlinks(self.root.as_fd(), &parent.rel, DIR_FLAGS) {
                Ok(up) if is_parent(&up) => up,
                _ => {
                    return Err(io::Error::other(format!(
                        "{} was moved while it was being read",
                        parent.rel.display()
                    )))
                }
            },
        };
        self.cur = up;
        Ok(Some(Node {
            rel: done.rel,
            stat: done.stat,
            kind: NodeKind::LeaveDir,
        }))
    }
}

/// Opens for reading the regular file that the `O_PATH` descriptor `fd`
/// refers to: the very inode checked, whatever happened to its name since.
fn reopen(fd: &OwnedFd) -> io::Result<File> {
    let proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let f = rfs::open(
        proc.as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    Ok(File::from(f))
}

/// The names in the directory `dir` (without `.` and `..`), sorted
/// descending so that popping yields them in ascending order.
fn list_sorted(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    let mut reader = Dir::read_from(dir)?;
    let mut names = Vec::new();
    while let Some(entry) = reader.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    names.sort_unstable_by(|a, b| b.cmp(a));
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tree_remove::tests::{deep_tree, with_fd_limit_in_child};
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    #[test]
    fn walk_reports_symlinks_as_symlinks_and_reads_only_inside() {
        let base = tempfile::tempdir().unwrap();
        let outside = base.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("canary"), b"host secret").unwrap();
        let root = base.path().join("root");
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/f"), b"inside").unwrap();
        symlink(&outside, root.join("a/esc")).unwrap();
        symlink("/", root.join("slash")).unwrap();
        let tree = InRoot::new(&root).unwrap();
        let mut seen = Vec::new();
        for node in tree.walk().unwrap() {
            let node = node.unwrap();
            let what = match node.kind {
                NodeKind::Dir { .. } => "dir".to_string(),
                NodeKind::LeaveDir => "leave".to_string(),
                NodeKind::File(mut f) => {
                    let mut s = String::new();
                    f.read_to_string(&mut s).unwrap();
                    format!("file {s}")
                }
                NodeKind::Symlink(t) => format!("link {}", t.display()),
                NodeKind::Other | NodeKind::Unopened => "other".to_string(),
            };
            seen.push(format!("{} {what}", node.rel.display()));
        }
        assert_eq!(
            seen,
            vec![
                "a dir".to_string(),
                "a/b dir".into(),
                "a/b/f file inside".into(),
                "a/b leave".into(),
                format!("a/esc link {}", outside.display()),
                "a leave".into(),
                "slash link /".into(),
            ]
        );
    }

    /// Paths of a walk's entries and leaves, changing the tree with
    /// `meddle` right after the entry `at` was reported.
    fn walk_meddled(root: &Path, at: &str, meddle: impl FnOnce()) -> Vec<String> {
        let tree = InRoot::new(root).unwrap();
        let mut meddle = Some(meddle);
        let mut seen = Vec::new();
        for node in tree.walk().unwrap() {
            let node = node.unwrap();
            let leave = matches!(node.kind, NodeKind::LeaveDir);
            let rel = node.rel.display().to_string();
            seen.push(format!("{}{rel}", if leave { "-" } else { "" }));
            if rel == at && !leave {
                if let Some(m) = meddle.take() {
                    m();
                }
            }
        }
        seen
    }

    #[test]
    fn walk_survives_directories_moved_or_removed_while_read() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("root");
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::create_dir_all(root.join("z")).unwrap();
        fs::write(root.join("a/b/c"), b"c").unwrap();
        fs::write(root.join("a/y"), b"y").unwrap();
        let (from, to) = (root.join("a/b"), root.join("z/b"));
        let seen = walk_meddled(&root, "a/b", || fs::rename(&from, &to).unwrap());
        assert_eq!(
            seen,
            ["a", "a/b", "a/b/c", "-a/b", "a/y", "-a", "z", "z/b", "z/b/c", "-z/b", "-z"]
        );

        fs::rename(&to, &from).unwrap();
        let gone = from.clone();
        let seen = walk_meddled(&root, "a/b", || fs::remove_dir_all(&gone).unwrap());
        assert_eq!(seen, ["a", "a/b", "-a/b", "a/y", "-a", "z", "-z"]);
    }

    #[test]
    fn open_resolves_symlinks_inside_the_root() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("root");
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(root.join("etc/passwd"), b"container").unwrap();
        symlink("/etc", root.join("link")).unwrap();
        symlink("../../../../etc/passwd", root.join("up")).unwrap();
        let tree = InRoot::new(&root).unwrap();
        for p in ["link/passwd", "/up", "up", "../../etc/passwd"] {
            let mut f = File::from(tree.open(Path::new(p), OFlags::RDONLY).unwrap());
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(s, "container", "{p}");
        }
        assert!(tree.lstat_no_symlinks(Path::new("link/passwd")).is_err());
        assert!(tree.lstat_no_symlinks(Path::new("etc/passwd")).is_ok());
    }

    #[test]
    fn walk_is_bounded_in_descriptors_and_depth() {
        let test = "storage::in_root::tests::walk_is_bounded_in_descriptors_and_depth";
        with_fd_limit_in_child(test, 128, || {
            let base = tempfile::tempdir().unwrap();
            let top = deep_tree(base.path(), 2500);
            let tree = InRoot::new(&top).unwrap();
            let mut files = 0;
            let mut max_depth = 0;
            for node in tree.walk().unwrap() {
                let node = node.unwrap();
                if matches!(node.kind, NodeKind::File(_)) {
                    files += 1;
                }
                max_depth = max_depth.max(node.rel.components().count());
            }
            assert_eq!(files, 2500);
            assert_eq!(max_depth, 2500);
            let want: u64 = (0..2500u64)
                .map(|i| i.to_string().len() as u64 + "/etc/passwd".len() as u64)
                .sum();
            assert_eq!(tree.apparent_size().unwrap(), want);
            let deep: PathBuf = std::iter::repeat_n("d", 2400).collect();
            let st = tree.lstat_no_symlinks(&deep.join("f")).unwrap();
            assert_eq!(FileType::from_raw_mode(st.st_mode), FileType::RegularFile);
        });
    }
}
