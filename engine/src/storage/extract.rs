//! Layer extraction: a tar stream (hostile input) unpacked into a directory in
//! overlay format.
//!
//! Member names are cleaned as containers/storage does: absolute names are
//! joined under the layer root, names whose `..` climbs above the root are
//! refused (`invalid path in layer: ../x`), and so are names longer than
//! `PATH_MAX`. Every file is created relative to a directory descriptor
//! inside the layer root; a symlink met on the way is resolved with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` against the layer
//! root, never against the host. Symlinks are stored literally, hardlinks
//! only point at files of this layer, device nodes and FIFOs are real nodes,
//! whiteouts become overlay whiteouts (0:0 character devices) and opaque
//! markers the `trusted.overlay.opaque` xattr.
//!
//! Cost stays linear in the archive: the directory of the previous entry is
//! kept open and the next entry's directory is reached from it by the
//! components that differ (`..` upwards, one `openat` per level downwards),
//! so consecutive entries of a deep tree never re-resolve their whole path.
//! Directory times are applied by one iterative walk at the end, and
//! replaced directories are removed iteratively, both with a bounded number
//! of descriptors. The limits of [`UnpackLimits`] (size per layer and image,
//! entries, depth) end the extraction with [`StorageError::Limit`].
//!
//! The diff id (sha256 of the whole uncompressed stream, trailing bytes after
//! the end-of-archive marker included) is computed while reading.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{
    self as rfs, AtFlags, FileType, Mode, OFlags, ResolveFlags, Timespec, Timestamps, XattrFlags,
};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use tar::EntryType;

use super::error::{Result, StorageError};
use super::limits::{check_announced, ImageBudget, LimitExceeded, LimitedReader, UnpackLimits};

/// Name prefix of a whiteout entry in a layer archive.
const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker entry in a layer archive.
const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";
/// Prefix of aufs metadata entries (`.wh..wh.plnk`, ...), skipped.
const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
/// The xattr overlayfs reads to treat a directory as opaque.
pub(crate) const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// The same in a user namespace (overlay mounted with `userxattr`).
pub(crate) const USER_OPAQUE_XATTR: &str = "user.overlay.opaque";
/// Xattrs of these namespaces steer overlayfs; only we may set them.
const OVERLAY_XATTR_PREFIXES: [&str; 2] = ["trusted.overlay.", "user.overlay."];

/// The opaque xattr of this store: rootless overlay reads `user.`
/// xattrs (the `trusted.` namespace needs privileges in the initial user
/// namespace).
pub(crate) fn opaque_xattr() -> &'static str {
    if crate::rootless::is_rootless() {
        USER_OPAQUE_XATTR
    } else {
        OPAQUE_XATTR
    }
}
/// PAX record prefix carrying extended attributes.
const PAX_XATTR_PREFIX: &str = "SCHILY.xattr.";
/// Longest member name accepted: `PATH_MAX` less its NUL, the most any
/// path-based tool (containers/storage included) can create.
const MAX_NAME_LEN: usize = 4095;

/// What extracting a layer produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedLayer {
    /// `sha256:<hex>` of the uncompressed stream.
    pub diff_id: String,
    /// Length of the uncompressed stream in bytes.
    pub size: u64,
}

/// Hashes and counts everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    headers: Rc<HeaderGuard>,
}

/// Most bytes the tar reader may consume between two entries it hands
/// out: headers, PAX records and GNU long names, which it holds in memory.
/// Go's archive/tar (which wrote most layers) refuses such records above
/// 1 MiB; this leaves room for a PAX record, a long name and a long link
/// name of that size.
const MAX_HEADER_BYTES: u64 = 4 << 20;

/// Counts the bytes read while no entry's data is being read.
#[derive(Default)]
struct HeaderGuard {
    in_entry: Cell<bool>,
    outside: Cell<u64>,
}

impl HeaderGuard {
    /// An entry was handed out: its data is read until [`Self::leave`].
    fn enter(&self) {
        self.in_entry.set(true);
        self.outside.set(0);
    }

    fn leave(&self) {
        self.in_entry.set(false);
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        if !self.headers.in_entry.get() {
            let outside = self.headers.outside.get() + n as u64;
            self.headers.outside.set(outside);
            if outside > MAX_HEADER_BYTES {
                return Err(io::Error::other(format!(
                    "the headers of one entry exceed {MAX_HEADER_BYTES} bytes"
                )));
            }
        }
        Ok(n)
    }
}

/// Unpacks the uncompressed tar stream `reader` into the existing, empty
/// directory `root` and returns the stream's digest and size, with the
/// default limits. The whole stream is consumed.
pub fn extract_layer<R: Read>(reader: R, root: &Path) -> Result<ExtractedLayer> {
    extract_layer_limited(
        reader,
        root,
        &UnpackLimits::default(),
        &ImageBudget::default(),
    )
}

/// [`extract_layer`] within `limits`, charging the stream's bytes to
/// `image` (shared by the layers of one image).
pub fn extract_layer_limited<R: Read>(
    reader: R,
    root: &Path,
    limits: &UnpackLimits,
    image: &ImageBudget,
) -> Result<ExtractedLayer> {
    let root_fd = rfs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| StorageError::io("opening", root)(e.into()))?;
    let mut ex =
        Extractor::new(root_fd, limits, image).map_err(|e| StorageError::io("opening", root)(e))?;
    let headers = Rc::new(HeaderGuard::default());
    let mut archive = tar::Archive::new(HashingReader {
        inner: LimitedReader::new(reader, limits, image),
        hasher: Sha256::new(),
        count: 0,
        headers: Rc::clone(&headers),
    });
    let res = ex.run(&mut archive, &headers);
    // Bytes after the end-of-archive marker are hashed, not held.
    headers.enter();
    let mut rest = archive.into_inner();
    let res = res.and_then(|()| {
        io::copy(&mut rest, &mut io::sink())
            .map(drop)
            .map_err(StorageError::Archive)
    });
    if let Some(limit) = rest.inner.exceeded() {
        return Err(StorageError::Limit(limit));
    }
    res?;
    Ok(ExtractedLayer {
        diff_id: format!("sha256:{}", hex::encode(rest.hasher.finalize())),
        size: rest.count,
    })
}

/// Normalizes an archive path to components below the root, as Go's
/// `filepath.Clean` followed by containers/storage's breakout check: `.`
/// is dropped, `..` removes the previous component, a leading `/` is
/// dropped (and `..` at the top of an absolute name stays at the root).
/// `None` if a relative name climbs above the root.
fn clean_path(path: &Path) -> Option<Vec<OsString>> {
    let absolute = path.has_root();
    let mut out: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::ParentDir => {
                if out.pop().is_none() && !absolute {
                    return None;
                }
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

fn join(components: &[OsString]) -> PathBuf {
    components.iter().collect()
}

/// The [`StorageError`] for an I/O error while unpacking `entry`: a limit
/// carried inside the I/O error stays a [`StorageError::Limit`].
fn entry_error(entry: &str, e: io::Error) -> StorageError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitExceeded>())
    {
        Some(limit) => StorageError::Limit(*limit),
        None => StorageError::entry(entry, e),
    }
}

fn limit_error(limit: LimitExceeded) -> io::Error {
    io::Error::other(limit)
}

/// A path naming `name` inside the directory `dir` through procfs, for the
/// few calls that have no `*at` form (`lsetxattr`, recursive removal). `dir`
/// was resolved inside the root, and `name` is a single component the kernel
/// does not follow when it is a symlink.
fn proc_path(dir: &OwnedFd, name: &OsStr) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    p.push(name);
    p
}

fn resolve_flags() -> ResolveFlags {
    ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS
}

/// One directory level of [`DirCache`].
struct Level {
    /// The archive's name for it.
    name: OsString,
    /// Reached by resolving a symlink: its `..` is not the level above.
    via_link: bool,
    /// Directory levels below the layer root, symlinks resolved.
    depth: u32,
}

/// The directory the previous entry was in, kept open (`O_PATH`).
struct DirCache {
    levels: Vec<Level>,
    fd: OwnedFd,
}

struct Extractor<'a> {
    root: OwnedFd,
    limits: &'a UnpackLimits,
    image: &'a ImageBudget,
    cache: DirCache,
    /// Depth of every directory of the layer, by inode number.
    depths: HashMap<u64, u32>,
    /// Times of the directories the archive names, by inode number; applied
    /// at the end since creating children changes them.
    dir_times: HashMap<u64, Timestamps>,
    /// File contents pass through this buffer: large reads from the
    /// decompressor and large writes (std's `io::copy` moves 8 KiB at a
    /// time), allocated at the first regular file.
    copy_buf: Vec<u8>,
}

/// Size of [`Extractor::copy_buf`].
const COPY_BUFFER: usize = 256 * 1024;

struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    times: Timestamps,
    xattrs: Vec<(String, Vec<u8>)>,
}

/// An empty numeric header field reads as 0, as Go's archive/tar (which
/// wrote most layers) does.
fn numeric(parsed: io::Result<u64>, raw: &[u8]) -> io::Result<u64> {
    match parsed {
        Err(_) if raw.iter().all(|b| *b == 0 || *b == b' ') => Ok(0),
        other => other,
    }
}

fn to_u32(v: u64, what: &str, entry: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| StorageError::entry(entry, format!("{what} {v} out of range")))
}

const PATH_DIR: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

fn open_root_path(root: &OwnedFd) -> io::Result<OwnedFd> {
    Ok(rfs::openat(root, ".", PATH_DIR, Mode::empty())?)
}

impl<'a> Extractor<'a> {
    fn new(root: OwnedFd, limits: &'a UnpackLimits, image: &'a ImageBudget) -> io::Result<Self> {
        let fd = open_root_path(&root)?;
        let ino = rfs::fstat(&root)?.st_ino;
        Ok(Extractor {
            cache: DirCache {
                levels: Vec::new(),
                fd,
            },
            root,
            limits,
            image,
            depths: HashMap::from([(ino, 0)]),
            dir_times: HashMap::new(),
            copy_buf: Vec::new(),
        })
    }

    fn run<R: Read>(&mut self, archive: &mut tar::Archive<R>, headers: &HeaderGuard) -> Result<()> {
        let mut count = 0u64;
        for entry in archive.entries().map_err(StorageError::Archive)? {
            let mut entry = entry.map_err(StorageError::Archive)?;
            headers.enter();
            count += 1;
            if count > self.limits.max_layer_entries {
                return Err(StorageError::Limit(LimitExceeded::Entries(
                    self.limits.max_layer_entries,
                )));
            }
            self.unpack(&mut entry)?;
            // Data an entry type does not use is read here, not skipped by
            // the tar reader between entries.
            io::copy(&mut entry, &mut io::sink()).map_err(StorageError::Archive)?;
            headers.leave();
        }
        self.apply_dir_times()
    }

    fn cached_depth(&self) -> u32 {
        self.cache.levels.last().map_or(0, |l| l.depth)
    }

    fn check_depth(&self, depth: u32) -> io::Result<()> {
        if depth > self.limits.max_path_depth {
            return Err(limit_error(LimitExceeded::Depth(
                self.limits.max_path_depth,
            )));
        }
        Ok(())
    }

    /// Forgets the cached directory (after something on its path may have
    /// been removed or replaced).
    fn reset_cache(&mut self) -> io::Result<()> {
        self.cache.levels.clear();
        self.cache.fd = open_root_path(&self.root)?;
        Ok(())
    }

    /// Opens (as `O_PATH`) the directory `rel` resolved inside the root,
    /// creating missing components (0755, root-owned) when `create` is set.
    /// Returns it with its depth.
    fn open_dir(&mut self, rel: &[OsString], create: bool) -> io::Result<(OwnedFd, u32)> {
        let common = self
            .cache
            .levels
            .iter()
            .zip(rel)
            .take_while(|(l, n)| l.name == **n)
            .count();
        while self.cache.levels.len() > common {
            if self.cache.levels.last().is_some_and(|l| l.via_link) {
                self.reset_cache()?;
                break;
            }
            // A level reached without a symlink is a real child of the one
            // above: its `..` is that level.
            self.cache.fd = rfs::openat(&self.cache.fd, "..", PATH_DIR, Mode::empty())?;
            self.cache.levels.pop();
        }
        while self.cache.levels.len() < rel.len() {
            let i = self.cache.levels.len();
            self.step(&rel[..=i], create)?;
        }
        Ok((self.cache.fd.try_clone()?, self.cached_depth()))
    }

    /// Descends from the cached directory into the last component of `prefix`.
    fn step(&mut self, prefix: &[OsString], create: bool) -> io::Result<()> {
        let name = &prefix[prefix.len() - 1];
        let depth = self.cached_depth() + 1;
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let (fd, via_link, depth) = match rfs::openat(&self.cache.fd, name, flags, Mode::empty()) {
            Ok(fd) => {
                let st = rfs::fstat(&fd)?;
                match FileType::from_raw_mode(st.st_mode) {
                    FileType::Directory => (fd, false, depth),
                    FileType::Symlink => {
                        // Resolved against the layer root, like the
                        // container will see it.
                        let fd = rfs::openat2(
                            &self.root,
                            join(prefix),
                            PATH_DIR.difference(OFlags::NOFOLLOW),
                            Mode::empty(),
                            resolve_flags(),
                        )?;
                        let ino = rfs::fstat(&fd)?.st_ino;
                        let depth = self.depths.get(&ino).copied().unwrap_or(depth);
                        (fd, true, depth)
                    }
                    _ => return Err(Errno::NOTDIR.into()),
                }
            }
            Err(Errno::NOENT) if create => {
                self.check_depth(depth)?;
                rfs::mkdirat(&self.cache.fd, name, Mode::from_raw_mode(0o755))?;
                let fd = rfs::openat(&self.cache.fd, name, PATH_DIR, Mode::empty())?;
                let ino = rfs::fstat(&fd)?.st_ino;
                self.depths.insert(ino, depth);
                self.dir_times.remove(&ino);
                (fd, false, depth)
            }
            Err(e) => return Err(e.into()),
        };
        self.check_depth(depth)?;
        self.cache.levels.push(Level {
            name: name.clone(),
            via_link,
            depth,
        });
        self.cache.fd = fd;
        Ok(())
    }

    /// [`remove_existing_kind`], forgetting the cached directory if a directory
    /// or symlink (possibly on its path) went away.
    fn remove(&mut self, dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
        if let Some(FileType::Directory | FileType::Symlink) = remove_existing_kind(dir, name)? {
            self.reset_cache()?;
        }
        Ok(())
    }

    fn unpack<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let raw_path = entry.path().map_err(StorageError::Archive)?.into_owned();
        let shown = raw_path.display().to_string();
        if raw_path.as_os_str().len() > MAX_NAME_LEN {
            return Err(StorageError::entry(
                &shown,
                io::Error::from(Errno::NAMETOOLONG),
            ));
        }
        let comps =
            clean_path(&raw_path).ok_or_else(|| StorageError::InvalidPath(shown.clone()))?;
        let header = entry.header().clone();
        let kind = header.entry_type();
        let err = |e: io::Error| entry_error(&shown, e);
        let mtime = numeric(header.mtime(), &header.as_old().mtime).map_err(err)?;
        let ts = Timespec {
            tv_sec: i64::try_from(mtime).unwrap_or(i64::MAX),
            tv_nsec: 0,
        };
        let mut meta = Meta {
            mode: header.mode().map_err(err)? & 0o7777,
            uid: to_u32(
                numeric(header.uid(), &header.as_old().uid).map_err(err)?,
                "uid",
                &shown,
            )?,
            gid: to_u32(
                numeric(header.gid(), &header.as_old().gid).map_err(err)?,
                "gid",
                &shown,
            )?,
            times: Timestamps {
                last_access: ts,
                last_modification: ts,
            },
            xattrs: Vec::new(),
        };
        if let Some(exts) = entry.pax_extensions().map_err(err)? {
            for ext in exts {
                let ext = ext.map_err(err)?;
                let Ok(key) = ext.key() else { continue };
                if let Some(name) = key.strip_prefix(PAX_XATTR_PREFIX) {
                    if OVERLAY_XATTR_PREFIXES.iter().any(|p| name.starts_with(p)) {
                        tracing::warn!(entry = %shown, xattr = name, "ignoring overlay xattr from layer");
                        continue;
                    }
                    meta.xattrs
                        .push((name.to_string(), ext.value_bytes().to_vec()));
                }
            }
        }

        let Some((name, parent_comps)) = comps.split_last() else {
            // The root itself ("./"): only its metadata can be set.
            if kind == EntryType::Directory {
                let fd = rfs::openat(
                    &self.root,
                    ".",
                    OFlags::RDONLY | OFlags::DIRECTORY,
                    Mode::empty(),
                )
                .map_err(|e| err(e.into()))?;
                self.set_owner_mode_fd(&fd, &meta).map_err(err)?;
                self.set_xattrs_fd(&fd, &meta).map_err(err)?;
                let ino = rfs::fstat(&fd).map_err(|e| err(e.into()))?.st_ino;
                self.dir_times.insert(ino, meta.times);
            }
            return Ok(());
        };
        let name_str = name.to_string_lossy();
        if name_str.starts_with(WHITEOUT_PREFIX) {
            return self.whiteout(parent_comps, &name_str).map_err(err);
        }
        let (parent, parent_depth) = self.open_dir(parent_comps, true).map_err(err)?;
        match kind {
            EntryType::Directory => {
                self.check_depth(parent_depth + 1).map_err(err)?;
                let ino = self
                    .make_dir(&parent, name, parent_depth + 1, &meta)
                    .map_err(err)?;
                self.dir_times.insert(ino, meta.times);
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                // The announced size (for sparse files the size with holes
                // filled) must fit before anything is written.
                let logical = match header.as_gnu() {
                    Some(gnu) if kind == EntryType::GNUSparse => {
                        gnu.real_size().map_err(err)?.max(entry.size())
                    }
                    _ => entry.size(),
                };
                check_announced(self.limits, self.image, entry.raw_file_position(), logical)
                    .map_err(StorageError::Limit)?;
                self.remove(&parent, name).map_err(err)?;
                let fd = rfs::openat(
                    &parent,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(|e| err(e.into()))?;
                let mut file = File::from(fd);
                self.copy_data(entry, &mut file).map_err(err)?;
                self.set_owner_mode_fd(file.as_fd(), &meta).map_err(err)?;
                self.set_xattrs_fd(file.as_fd(), &meta).map_err(err)?;
                rfs::futimens(&file, &meta.times).map_err(|e| err(e.into()))?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(err)?
                    .ok_or_else(|| StorageError::entry(&shown, "symlink without target"))?
                    .into_owned();
                self.remove(&parent, name).map_err(err)?;
                rfs::symlinkat(&target, &parent, name).map_err(|e| err(e.into()))?;
                self.finish_node(&parent, name, &meta, false).map_err(err)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(err)?
                    .ok_or_else(|| StorageError::entry(&shown, "hardlink without target"))?
                    .into_owned();
                self.hardlink(&parent, name, &comps, &target).map_err(|e| {
                    match entry_error(&shown, e) {
                        StorageError::Entry { entry, reason } => StorageError::Entry {
                            entry,
                            reason: format!("hardlink to {}: {reason}", target.display()),
                        },
                        other => other,
                    }
                })?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let (ft, dev) = special_node(&header).map_err(err)?;
                self.remove(&parent, name).map_err(err)?;
                rfs::mknodat(&parent, name, ft, Mode::from_raw_mode(0o600), dev)
                    .map_err(|e| err(e.into()))?;
                self.finish_node(&parent, name, &meta, true).map_err(err)?;
            }
            other => {
                tracing::debug!(entry = %shown, kind = ?other, "skipping unsupported tar entry type");
            }
        }
        Ok(())
    }

    /// `.wh.NAME` → 0:0 character device NAME; `.wh..wh..opq` → opaque xattr
    /// on the directory.
    fn whiteout(&mut self, parent_comps: &[OsString], name: &str) -> io::Result<()> {
        if name == WHITEOUT_OPAQUE {
            let (dir, _) = self.open_dir(parent_comps, true)?;
            let dir = rfs::openat(
                &dir,
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            rfs::fsetxattr(&dir, opaque_xattr(), b"y", XattrFlags::empty())?;
            return Ok(());
        }
        if name.starts_with(WHITEOUT_META_PREFIX) {
            return Ok(());
        }
        let target = &name[WHITEOUT_PREFIX.len()..];
        if target.is_empty() || target == "." || target == ".." {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid whiteout name",
            ));
        }
        let (parent, _) = self.open_dir(parent_comps, true)?;
        self.remove(&parent, OsStr::new(target))?;
        rfs::mknodat(
            &parent,
            target,
            FileType::CharacterDevice,
            Mode::empty(),
            rfs::makedev(0, 0),
        )?;
        Ok(())
    }

    /// Creates (or keeps) directory `name` at `depth`; returns its inode number.
    fn make_dir(
        &mut self,
        parent: &OwnedFd,
        name: &OsStr,
        depth: u32,
        meta: &Meta,
    ) -> io::Result<u64> {
        match rfs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {}
            Ok(_) => {
                self.remove(parent, name)?;
                rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700))?;
            }
            Err(Errno::NOENT) => rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700))?,
            Err(e) => return Err(e.into()),
        }
        let fd = rfs::openat(
            parent,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        self.set_owner_mode_fd(&fd, meta)?;
        self.set_xattrs_fd(&fd, meta)?;
        let ino = rfs::fstat(&fd)?.st_ino;
        self.depths.insert(ino, depth);
        Ok(ino)
    }

    fn hardlink(
        &mut self,
        parent: &OwnedFd,
        name: &OsStr,
        comps: &[OsString],
        target: &Path,
    ) -> io::Result<()> {
        let tcomps = clean_path(target).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "target is outside the layer")
        })?;
        let Some((tname, tparent_comps)) = tcomps.split_last() else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "empty target"));
        };
        if tcomps == comps {
            return Ok(());
        }
        // The target's directory is resolved inside the root like any entry,
        // and must already exist in this layer.
        let (tparent, _) = self
            .open_dir(tparent_comps, false)
            .map_err(|e| io::Error::new(e.kind(), format!("target is not in this layer: {e}")))?;
        let st = rfs::statat(&tparent, tname, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("target is not in this layer: {e}"),
            )
        })?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "target is a directory",
            ));
        }
        self.remove(parent, name)?;
        rfs::linkat(&tparent, tname, parent, name, AtFlags::empty())?;
        Ok(())
    }

    /// Owner, mode, xattrs and times of a node that cannot be opened
    /// (symlink, device, FIFO).
    fn finish_node(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        meta: &Meta,
        chmod: bool,
    ) -> io::Result<()> {
        rfs::chownat(
            parent,
            name,
            Some(rfs::Uid::from_raw(meta.uid)),
            Some(rfs::Gid::from_raw(meta.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| crate::rootless::chown_error(e.into(), meta.uid, meta.gid))?;
        if chmod {
            // The node was just created by us in our private temp directory
            // and is not a symlink, so following is not a concern.
            rfs::chmodat(
                parent,
                name,
                Mode::from_raw_mode(meta.mode),
                AtFlags::empty(),
            )?;
        }
        let path = proc_path(parent, name);
        for (key, value) in &meta.xattrs {
            set_xattr_result(
                rfs::lsetxattr(&path, key.as_str(), value, XattrFlags::empty()),
                key,
            )?;
        }
        rfs::utimensat(parent, name, &meta.times, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(())
    }

    /// Copies an entry's data to its file through [`Self::copy_buf`].
    fn copy_data(&mut self, from: &mut impl Read, to: &mut File) -> io::Result<()> {
        if self.copy_buf.is_empty() {
            self.copy_buf = vec![0; COPY_BUFFER];
        }
        loop {
            let n = match from.read(&mut self.copy_buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            to.write_all(&self.copy_buf[..n])?;
        }
    }

    fn set_owner_mode_fd<Fd: AsFd>(&self, fd: Fd, meta: &Meta) -> io::Result<()> {
        // chown first: it clears setuid/setgid bits that chmod then restores.
        rfs::fchown(
            &fd,
            Some(rfs::Uid::from_raw(meta.uid)),
            Some(rfs::Gid::from_raw(meta.gid)),
        )
        .map_err(|e| crate::rootless::chown_error(e.into(), meta.uid, meta.gid))?;
        rfs::fchmod(&fd, Mode::from_raw_mode(meta.mode))?;
        Ok(())
    }

    fn set_xattrs_fd<Fd: AsFd>(&self, fd: Fd, meta: &Meta) -> io::Result<()> {
        for (key, value) in &meta.xattrs {
            set_xattr_result(
                rfs::fsetxattr(&fd, key.as_str(), value, XattrFlags::empty()),
                key,
            )?;
        }
        Ok(())
    }

    /// Sets the recorded directory times, children before parents, in one
    /// walk of the tree.
    fn apply_dir_times(&self) -> Result<()> {
        if self.dir_times.is_empty() {
            return Ok(());
        }
        let start = rfs::openat(&self.root, ".", TREE_DIR, Mode::empty())
            .map_err(|e| StorageError::entry(".", io::Error::from(e)))?;
        walk_post_order(start, |dir| {
            let ino = rfs::fstat(dir)?.st_ino;
            if let Some(times) = self.dir_times.get(&ino) {
                rfs::futimens(dir, times)?;
            }
            Ok(())
        })
        .map_err(|e| StorageError::entry("setting directory times", e))
    }
}

/// The node type and device number a character device, block device or
/// FIFO member of an archive describes.
pub(crate) fn special_node(header: &tar::Header) -> io::Result<(FileType, u64)> {
    let kind = header.entry_type();
    if kind == EntryType::Fifo {
        return Ok((FileType::Fifo, 0));
    }
    let major = header.device_major()?.unwrap_or(0);
    let minor = header.device_minor()?.unwrap_or(0);
    let ft = if kind == EntryType::Char {
        FileType::CharacterDevice
    } else {
        FileType::BlockDevice
    };
    Ok((ft, rfs::makedev(major, minor)))
}

/// Flags of the directories opened by the tree walks.
const TREE_DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The subdirectories of `dir` (symlinks to directories are not).
fn scan_dir(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    let mut subdirs = Vec::new();
    let mut list = rfs::Dir::read_from(dir)?;
    while let Some(entry) = list.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => {
                let st = rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
                FileType::from_raw_mode(st.st_mode) == FileType::Directory
            }
            _ => false,
        };
        if is_dir {
            subdirs.push(name.to_owned());
        }
    }
    Ok(subdirs)
}

/// Walks the directories below `start` depth first without recursion,
/// holding two descriptors at a time: `leave` sees every directory after
/// all of its subdirectories (`start` last). Subdirectories are entered
/// without following symlinks and left through their real `..`.
fn walk_post_order(
    start: OwnedFd,
    mut leave: impl FnMut(&OwnedFd) -> io::Result<()>,
) -> io::Result<()> {
    let mut cur = start;
    let mut pending: Vec<Vec<CString>> = vec![scan_dir(&cur)?];
    loop {
        let next = pending.last_mut().and_then(Vec::pop);
        match next {
            Some(sub) => {
                let child = rfs::openat(&cur, &sub, TREE_DIR, Mode::empty())?;
                pending.push(scan_dir(&child)?);
                cur = child;
            }
            None => {
                leave(&cur)?;
                pending.pop();
                if pending.is_empty() {
                    return Ok(());
                }
                cur = rfs::openat(&cur, "..", TREE_DIR, Mode::empty())?;
            }
        }
    }
}

/// Filesystems without xattr support for a namespace get a warning, not a
/// failed pull.
fn set_xattr_result(res: rustix::io::Result<()>, key: &str) -> io::Result<()> {
    match res {
        Ok(()) => Ok(()),
        Err(Errno::OPNOTSUPP) => {
            tracing::warn!(
                xattr = key,
                "filesystem does not support this xattr, skipped"
            );
            Ok(())
        }
        Err(e) => Err(io::Error::new(
            io::Error::from(e).kind(),
            format!("setting xattr {key}: {e}"),
        )),
    }
}

/// Removes whatever exists at `name` in `dir` (a directory with everything
/// below it), without following symlinks; returns the type of what was removed.
fn remove_existing_kind(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<FileType>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
            super::tree_remove::remove_tree_at(dir.as_fd(), name)?;
            Ok(Some(FileType::Directory))
        }
        Ok(st) => {
            rfs::unlinkat(dir, name, AtFlags::empty())?;
            Ok(Some(FileType::from_raw_mode(st.st_mode)))
        }
    }
}

/// True if `st` is an overlay whiteout device (character device 0:0).
pub(crate) fn is_whiteout(st: &rfs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice && st.st_rdev == 0
}
