//! Layer extraction: a tar stream (hostile input) unpacked into a directory in
//! overlay format.
//!
//! Every file is created relative to a directory descriptor of the layer root
//! that was resolved with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`,
//! so no entry can reach outside the root: `..` stops at the root, absolute
//! paths and absolute symlinks (also as parents of later entries) are resolved
//! against the layer root, never against the host. Symlinks are stored
//! literally, hardlinks only point at files of this layer, device nodes and
//! FIFOs are real nodes, whiteouts become overlay whiteouts (0:0 character
//! devices) and opaque markers the `trusted.overlay.opaque` xattr.
//!
//! The diff id (sha256 of the whole uncompressed stream, trailing bytes after
//! the end-of-archive marker included) is computed while reading.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{
    self as rfs, AtFlags, FileType, Mode, OFlags, ResolveFlags, Timespec, Timestamps, XattrFlags,
};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use tar::EntryType;

use super::error::{Result, StorageError};

/// Name prefix of a whiteout entry in a layer archive.
const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker entry in a layer archive.
const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";
/// Prefix of aufs metadata entries (`.wh..wh.plnk`, ...), skipped.
const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
/// The xattr overlayfs reads to treat a directory as opaque.
pub(crate) const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// Xattrs of this namespace steer overlayfs; only we may set them.
const OVERLAY_XATTR_PREFIX: &str = "trusted.overlay.";
/// PAX record prefix carrying extended attributes.
const PAX_XATTR_PREFIX: &str = "SCHILY.xattr.";

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
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Unpacks the uncompressed tar stream `reader` into the existing, empty
/// directory `root` and returns the stream's digest and size. The whole
/// stream is consumed.
pub fn extract_layer<R: Read>(reader: R, root: &Path) -> Result<ExtractedLayer> {
    let root_fd = rfs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| StorageError::io("opening", root)(e.into()))?;
    let mut ex = Extractor {
        root: root_fd,
        dir_times: Vec::new(),
    };
    let mut archive = tar::Archive::new(HashingReader {
        inner: reader,
        hasher: Sha256::new(),
        count: 0,
    });
    for entry in archive.entries().map_err(StorageError::Archive)? {
        let mut entry = entry.map_err(StorageError::Archive)?;
        ex.unpack(&mut entry)?;
    }
    ex.apply_dir_times()?;
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(StorageError::Archive)?;
    Ok(ExtractedLayer {
        diff_id: format!("sha256:{}", hex::encode(rest.hasher.finalize())),
        size: rest.count,
    })
}

/// Normalizes an archive path to components below the root: leading `/` and
/// `.` are dropped and `..` never climbs above the root.
fn clean_path(path: &Path) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

fn join(components: &[OsString]) -> PathBuf {
    components.iter().collect()
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

struct Extractor {
    root: OwnedFd,
    /// Directory mtimes, applied at the end since creating children changes them.
    dir_times: Vec<(Vec<OsString>, Timestamps)>,
}

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

impl Extractor {
    /// Opens (as `O_PATH`) the directory `rel` resolved inside the root,
    /// creating missing components (0755, root-owned) when `create` is set.
    fn open_dir(&self, rel: &[OsString], create: bool) -> io::Result<OwnedFd> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if rel.is_empty() {
            return Ok(rfs::openat(&self.root, ".", flags, Mode::empty())?);
        }
        match rfs::openat2(&self.root, join(rel), flags, Mode::empty(), resolve_flags()) {
            Ok(fd) => return Ok(fd),
            Err(Errno::NOENT) if create => {}
            Err(e) => return Err(e.into()),
        }
        let mut parent = rfs::openat(&self.root, ".", flags, Mode::empty())?;
        for i in 1..=rel.len() {
            let prefix = join(&rel[..i]);
            let fd = match rfs::openat2(&self.root, &prefix, flags, Mode::empty(), resolve_flags())
            {
                Ok(fd) => fd,
                Err(Errno::NOENT) => {
                    match rfs::mkdirat(&parent, &rel[i - 1], Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(e.into()),
                    }
                    rfs::openat2(&self.root, &prefix, flags, Mode::empty(), resolve_flags())?
                }
                Err(e) => return Err(e.into()),
            };
            parent = fd;
        }
        Ok(parent)
    }

    fn unpack<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let raw_path = entry.path().map_err(StorageError::Archive)?.into_owned();
        let shown = raw_path.display().to_string();
        let comps = clean_path(&raw_path);
        let header = entry.header().clone();
        let kind = header.entry_type();
        let err = |e: io::Error| StorageError::entry(&shown, e);
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
                    if name.starts_with(OVERLAY_XATTR_PREFIX) {
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
                self.dir_times.push((Vec::new(), meta.times));
            }
            return Ok(());
        };
        let name_str = name.to_string_lossy();
        if name_str.starts_with(WHITEOUT_PREFIX) {
            return self.whiteout(parent_comps, &name_str).map_err(err);
        }
        let parent = self.open_dir(parent_comps, true).map_err(err)?;
        match kind {
            EntryType::Directory => {
                self.make_dir(&parent, name, &meta).map_err(err)?;
                self.dir_times.push((comps.clone(), meta.times));
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                remove_existing(&parent, name).map_err(err)?;
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
                io::copy(entry, &mut file).map_err(err)?;
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
                remove_existing(&parent, name).map_err(err)?;
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
                    StorageError::entry(&shown, format!("hardlink to {}: {e}", target.display()))
                })?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let (ft, dev) = match kind {
                    EntryType::Fifo => (FileType::Fifo, 0),
                    _ => {
                        let major = header.device_major().map_err(err)?.unwrap_or(0);
                        let minor = header.device_minor().map_err(err)?.unwrap_or(0);
                        let ft = if kind == EntryType::Char {
                            FileType::CharacterDevice
                        } else {
                            FileType::BlockDevice
                        };
                        (ft, rfs::makedev(major, minor))
                    }
                };
                remove_existing(&parent, name).map_err(err)?;
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
    fn whiteout(&self, parent_comps: &[OsString], name: &str) -> io::Result<()> {
        if name == WHITEOUT_OPAQUE {
            let dir = self.open_dir(parent_comps, true)?;
            let dir = rfs::openat(
                &dir,
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            rfs::fsetxattr(&dir, OPAQUE_XATTR, b"y", XattrFlags::empty())?;
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
        let parent = self.open_dir(parent_comps, true)?;
        remove_existing(&parent, OsStr::new(target))?;
        rfs::mknodat(
            &parent,
            target,
            FileType::CharacterDevice,
            Mode::empty(),
            rfs::makedev(0, 0),
        )?;
        Ok(())
    }

    fn make_dir(&self, parent: &OwnedFd, name: &OsStr, meta: &Meta) -> io::Result<()> {
        match rfs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {}
            Ok(_) => {
                remove_existing(parent, name)?;
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
        self.set_xattrs_fd(&fd, meta)
    }

    fn hardlink(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        comps: &[OsString],
        target: &Path,
    ) -> io::Result<()> {
        let tcomps = clean_path(target);
        let Some((tname, tparent_comps)) = tcomps.split_last() else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "empty target"));
        };
        if tcomps == comps {
            return Ok(());
        }
        // The target's directory is resolved inside the root like any entry,
        // and must already exist in this layer.
        let tparent = self
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
        remove_existing(parent, name)?;
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
        )?;
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

    fn set_owner_mode_fd<Fd: AsFd>(&self, fd: Fd, meta: &Meta) -> io::Result<()> {
        // chown first: it clears setuid/setgid bits that chmod then restores.
        rfs::fchown(
            &fd,
            Some(rfs::Uid::from_raw(meta.uid)),
            Some(rfs::Gid::from_raw(meta.gid)),
        )?;
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

    fn apply_dir_times(&self) -> Result<()> {
        for (comps, times) in self.dir_times.iter().rev() {
            let shown = join(comps).display().to_string();
            let res = match comps.split_last() {
                None => rfs::futimens(&self.root, times).map_err(io::Error::from),
                Some((name, parent)) => self.open_dir(parent, false).and_then(|p| {
                    rfs::utimensat(&p, name, times, AtFlags::SYMLINK_NOFOLLOW)
                        .map_err(io::Error::from)
                }),
            };
            match res {
                Ok(()) => {}
                // A later entry replaced or whited out the directory.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::entry(&shown, e)),
            }
        }
        Ok(())
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

/// Removes whatever exists at `name` in `dir` (a directory recursively),
/// without following symlinks.
pub(crate) fn remove_existing(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
            std::fs::remove_dir_all(proc_path(dir, name))
        }
        Ok(_) => Ok(rfs::unlinkat(dir, name, AtFlags::empty())?),
    }
}

/// True if `st` is an overlay whiteout device (character device 0:0).
pub(crate) fn is_whiteout(st: &rfs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice && st.st_rdev == 0
}
