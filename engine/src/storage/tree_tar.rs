//! Writing a directory tree as a tar stream: a container's upper directory
//! as a layer (overlay whiteouts turned back into `.wh.` entries, opaque
//! directories into `.wh..wh..opq` markers) or a mounted root filesystem
//! for `export`. Hardlinks within the tree become link entries.
//!
//! The tree is read through [`InRoot::walk`]: iteratively, relative to
//! descriptors, never following a symlink, so a running container swapping
//! a directory for a symlink cannot put host files into the archive, and
//! no depth overflows the stack or the descriptor limit.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Stat};

use super::error::{Result, StorageError};
use super::in_root::{InRoot, Node, NodeKind};

/// Name prefix of a whiteout entry.
pub(crate) const WHITEOUT_PREFIX: &str = ".wh.";
/// The opaque-directory marker entry.
pub(crate) const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StorageError + '_ {
    move |e| StorageError::io("archiving", path)(e)
}

/// Writes the tree under `root` to `w`. With `layer`, overlay whiteouts and
/// opaque directories are converted to their archive form.
pub fn write_tree<W: Write>(root: &Path, w: W, layer: bool) -> Result<W> {
    let tree = InRoot::new(root).map_err(StorageError::io("opening", root))?;
    write_in_root(&tree, w, layer)
}

/// [`write_tree`] for a tree already opened.
pub fn write_in_root<W: Write>(tree: &InRoot, w: W, layer: bool) -> Result<W> {
    let root = tree.path();
    let mut builder = tar::Builder::new(w);
    builder.follow_symlinks(false);
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for node in tree.walk().map_err(io_err(root))? {
        let node = node.map_err(io_err(root))?;
        append(&mut builder, &mut links, node, layer).map_err(io_err(root))?;
    }
    builder.finish().map_err(io_err(root))?;
    builder.into_inner().map_err(io_err(root))
}

fn header_for(st: &Stat, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(st.st_mode & 0o7777);
    h.set_uid(u64::from(st.st_uid));
    h.set_gid(u64::from(st.st_gid));
    h.set_mtime(st.st_mtime.max(0) as u64);
    h.set_size(0);
    h
}

/// The path of `rel` with a trailing `/` (directories, as tar writes them).
fn dir_name(rel: &Path) -> PathBuf {
    let mut s = rel.as_os_str().to_owned();
    s.push("/");
    PathBuf::from(s)
}

/// `name` placed in the directory of `rel`.
fn sibling(rel: &Path, name: &std::ffi::OsStr) -> PathBuf {
    match rel.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(name),
        _ => PathBuf::from(name),
    }
}

pub(crate) fn append<W: Write>(
    b: &mut tar::Builder<W>,
    links: &mut HashMap<(u64, u64), PathBuf>,
    node: Node,
    layer: bool,
) -> io::Result<()> {
    let st = node.stat;
    if layer && node.is_whiteout() {
        let mut name = std::ffi::OsString::from(WHITEOUT_PREFIX);
        name.push(node.name());
        let mut h = header_for(&st, tar::EntryType::Regular);
        h.set_mode(0o644);
        return b.append_data(&mut h, sibling(&node.rel, &name), io::empty());
    }
    match node.kind {
        NodeKind::LeaveDir => Ok(()),
        NodeKind::Dir { opaque } => {
            let mut h = header_for(&st, tar::EntryType::Directory);
            b.append_data(&mut h, dir_name(&node.rel), io::empty())?;
            if layer && opaque {
                let mut h = header_for(&st, tar::EntryType::Regular);
                h.set_mode(0o644);
                b.append_data(&mut h, node.rel.join(WHITEOUT_OPAQUE), io::empty())?;
            }
            Ok(())
        }
        NodeKind::Symlink(target) => {
            let mut h = header_for(&st, tar::EntryType::Symlink);
            b.append_link(&mut h, &node.rel, &target)
        }
        NodeKind::File(f) => {
            if st.st_nlink > 1 {
                let key = (st.st_dev, st.st_ino);
                if let Some(first) = links.get(&key) {
                    let mut h = header_for(&st, tar::EntryType::Link);
                    return b.append_link(&mut h, &node.rel, first);
                }
                links.insert(key, node.rel.clone());
            }
            let mut h = header_for(&st, tar::EntryType::Regular);
            h.set_size(st.st_size as u64);
            // The header's size is what was checked: a file growing or
            // shrinking meanwhile is cut or padded to it.
            b.append_data(&mut h, &node.rel, SizedReader::new(f, st.st_size as u64))
        }
        NodeKind::Unopened => Err(io::Error::other("walk without file contents")),
        NodeKind::Other => {
            let kind = match FileType::from_raw_mode(st.st_mode) {
                FileType::CharacterDevice => tar::EntryType::Char,
                FileType::BlockDevice => tar::EntryType::Block,
                FileType::Fifo => tar::EntryType::Fifo,
                // Sockets are not archived.
                _ => return Ok(()),
            };
            let mut h = header_for(&st, kind);
            h.set_device_major(rustix::fs::major(st.st_rdev))?;
            h.set_device_minor(rustix::fs::minor(st.st_rdev))?;
            b.append_data(&mut h, &node.rel, io::empty())
        }
    }
}

/// Exactly `len` bytes of a file: its content, cut or zero-padded.
struct SizedReader<R> {
    inner: io::Take<R>,
    pad: u64,
}

impl<R: io::Read> SizedReader<R> {
    fn new(inner: R, len: u64) -> Self {
        SizedReader {
            inner: inner.take(len),
            pad: len,
        }
    }
}

impl<R: io::Read> io::Read for SizedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.pad -= n as u64;
            return Ok(n);
        }
        let n = buf.len().min(self.pad as usize);
        buf[..n].fill(0);
        self.pad -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::extract::OPAQUE_XATTR;
    use crate::storage::tree_remove::tests::{deep_tree, with_fd_limit_in_child};
    use std::fs;

    #[test]
    fn archives_a_deep_tree_within_a_small_descriptor_limit() {
        let test = "storage::tree_tar::tests::archives_a_deep_tree_within_a_small_descriptor_limit";
        with_fd_limit_in_child(test, 128, || {
            let base = tempfile::tempdir().unwrap();
            let top = deep_tree(base.path(), 3000);
            let out = write_tree(&top, Vec::new(), false).unwrap();
            let mut ar = tar::Archive::new(&out[..]);
            let mut files = 0;
            let mut deepest = 0;
            for e in ar.entries().unwrap() {
                let e = e.unwrap();
                let p = e.path().unwrap().into_owned();
                deepest = deepest.max(p.components().count());
                if e.header().entry_type() == tar::EntryType::Symlink {
                    assert_eq!(e.link_name().unwrap().unwrap(), Path::new("/etc/passwd"));
                }
                if e.header().entry_type() == tar::EntryType::Regular {
                    files += 1;
                }
            }
            assert_eq!(files, 3000);
            assert_eq!(deepest, 3000);
        });
    }

    #[test]
    fn layers_keep_whiteouts_opaque_dirs_and_hardlinks() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        fs::create_dir_all(root.join("d/o")).unwrap();
        rustix::fs::setxattr(
            root.join("d/o"),
            OPAQUE_XATTR,
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("d/gone"),
            FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        fs::write(root.join("d/a"), b"abc").unwrap();
        fs::hard_link(root.join("d/a"), root.join("d/b")).unwrap();
        let out = write_tree(root, Vec::new(), true).unwrap();
        let mut ar = tar::Archive::new(&out[..]);
        let got: Vec<(String, tar::EntryType)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().entry_type(),
                )
            })
            .collect();
        use tar::EntryType::*;
        let want: Vec<(String, tar::EntryType)> = [
            ("d/", Directory),
            ("d/a", Regular),
            ("d/b", Link),
            ("d/.wh.gone", Regular),
            ("d/o/", Directory),
            ("d/o/.wh..wh..opq", Regular),
        ]
        .iter()
        .map(|(p, k)| (p.to_string(), *k))
        .collect();
        assert_eq!(got, want);
    }
}
