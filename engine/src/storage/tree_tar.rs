//! Writing a directory tree as a tar stream: a container's upper directory
//! as a layer (overlay whiteouts turned back into `.wh.` entries, opaque
//! directories into `.wh..wh..opq` markers) or a mounted root filesystem
//! for `export`. Hardlinks within the tree become link entries.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use super::error::{Result, StorageError};
use super::extract::OPAQUE_XATTR;

/// Name prefix of a whiteout entry.
pub(crate) const WHITEOUT_PREFIX: &str = ".wh.";
/// The opaque-directory marker entry.
pub(crate) const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";

/// True if `meta` is an overlay whiteout (a 0:0 character device).
pub(crate) fn is_whiteout(meta: &fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// True if the directory `path` is marked opaque for overlayfs.
pub(crate) fn is_opaque(path: &Path) -> bool {
    let mut buf = [0u8; 8];
    matches!(
        rustix::fs::lgetxattr(path, OPAQUE_XATTR, &mut buf),
        Ok(n) if n >= 1 && buf[0] == b'y'
    )
}

struct Writer<W: Write> {
    builder: tar::Builder<W>,
    links: HashMap<(u64, u64), String>,
    layer: bool,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StorageError + '_ {
    move |e| StorageError::io("archiving", path)(e)
}

/// Writes the tree under `root` to `w`. With `layer`, overlay whiteouts and
/// opaque directories are converted to their archive form.
pub fn write_tree<W: Write>(root: &Path, w: W, layer: bool) -> Result<W> {
    let mut builder = tar::Builder::new(w);
    builder.follow_symlinks(false);
    let mut wr = Writer {
        builder,
        links: HashMap::new(),
        layer,
    };
    wr.dir(root, "")?;
    wr.builder.finish().map_err(io_err(root))?;
    wr.builder.into_inner().map_err(io_err(root))
}

fn header_for(meta: &fs::Metadata, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(meta.mode() & 0o7777);
    h.set_uid(u64::from(meta.uid()));
    h.set_gid(u64::from(meta.gid()));
    h.set_mtime(meta.mtime().max(0) as u64);
    h.set_size(0);
    h
}

impl<W: Write> Writer<W> {
    fn dir(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .map_err(io_err(dir))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .map_err(io_err(dir))?;
        names.sort();
        if self.layer && !rel.is_empty() && is_opaque(dir) {
            let meta = fs::symlink_metadata(dir).map_err(io_err(dir))?;
            let mut h = header_for(&meta, tar::EntryType::Regular);
            h.set_mode(0o644);
            self.builder
                .append_data(&mut h, format!("{rel}/{WHITEOUT_OPAQUE}"), io::empty())
                .map_err(io_err(dir))?;
        }
        for name in names {
            let path = dir.join(&name);
            let name = name.to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            self.entry(&path, &rel, &name)?;
        }
        Ok(())
    }

    fn entry(&mut self, path: &Path, rel: &str, name: &str) -> Result<()> {
        let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
        let ft = meta.file_type();
        let b = &mut self.builder;
        if self.layer && is_whiteout(&meta) {
            let parent = rel.strip_suffix(name).unwrap_or("");
            let mut h = header_for(&meta, tar::EntryType::Regular);
            h.set_mode(0o644);
            return b
                .append_data(
                    &mut h,
                    format!("{parent}{WHITEOUT_PREFIX}{name}"),
                    io::empty(),
                )
                .map_err(io_err(path));
        }
        if ft.is_dir() {
            let mut h = header_for(&meta, tar::EntryType::Directory);
            b.append_data(&mut h, format!("{rel}/"), io::empty())
                .map_err(io_err(path))?;
            return self.dir(path, rel);
        }
        if ft.is_symlink() {
            let target = fs::read_link(path).map_err(io_err(path))?;
            let mut h = header_for(&meta, tar::EntryType::Symlink);
            return b.append_link(&mut h, rel, &target).map_err(io_err(path));
        }
        if ft.is_file() {
            if meta.nlink() > 1 {
                let key = (meta.dev(), meta.ino());
                if let Some(first) = self.links.get(&key) {
                    let mut h = header_for(&meta, tar::EntryType::Link);
                    return b.append_link(&mut h, rel, first).map_err(io_err(path));
                }
                self.links.insert(key, rel.to_string());
            }
            let mut h = header_for(&meta, tar::EntryType::Regular);
            h.set_size(meta.len());
            let f = fs::File::open(path).map_err(io_err(path))?;
            return b.append_data(&mut h, rel, f).map_err(io_err(path));
        }
        let kind = if ft.is_char_device() {
            tar::EntryType::Char
        } else if ft.is_block_device() {
            tar::EntryType::Block
        } else if ft.is_fifo() {
            tar::EntryType::Fifo
        } else {
            // Sockets are not archived.
            return Ok(());
        };
        let mut h = header_for(&meta, kind);
        let rdev = meta.rdev();
        h.set_device_major(libc::major(rdev))
            .map_err(io_err(path))?;
        h.set_device_minor(libc::minor(rdev))
            .map_err(io_err(path))?;
        b.append_data(&mut h, rel, io::empty())
            .map_err(io_err(path))
    }
}
