//! Reading files out of an archive or layout without unpacking it: a
//! directory, or an uncompressed tar file indexed once (names → data
//! offsets), read by seeking. Archive paths are only used as keys, never as
//! host paths outside the directory being read.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use super::ArchiveError;

/// Metadata files (manifests, configs, indexes) larger than this are refused.
const MAX_METADATA: u64 = 64 << 20;

/// Something files can be read from by their path inside it.
pub(crate) trait Source {
    /// Opens the file at `path` (relative, `/`-separated) with its size.
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), ArchiveError>;

    /// Whether `path` exists.
    fn exists(&self, path: &str) -> bool;

    /// Reads a small file (metadata) whole.
    fn read(&self, path: &str) -> Result<Vec<u8>, ArchiveError> {
        let (r, size) = self.open(path)?;
        if size > MAX_METADATA {
            return Err(ArchiveError::Invalid(format!(
                "{path} is too large ({size} bytes)"
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        r.take(MAX_METADATA)
            .read_to_end(&mut data)
            .map_err(|e| ArchiveError::Read(path.to_string(), e))?;
        if (data.len() as u64) < size {
            return Err(ArchiveError::Truncated(path.to_string()));
        }
        Ok(data)
    }
}

/// Normalizes an archive path: no leading `./` or `/`, no `.` parts; `..`
/// is refused.
pub(crate) fn clean(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// A directory (OCI layout or `dir:`).
pub(crate) struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub(crate) fn new(root: &Path) -> DirSource {
        DirSource {
            root: root.to_path_buf(),
        }
    }

    fn path(&self, path: &str) -> Result<PathBuf, ArchiveError> {
        let c = clean(path).ok_or_else(|| ArchiveError::Invalid(format!("bad path {path:?}")))?;
        Ok(self.root.join(c))
    }
}

impl Source for DirSource {
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), ArchiveError> {
        let p = self.path(path)?;
        let f = File::open(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ArchiveError::Missing(path.to_string()),
            _ => ArchiveError::Read(p.display().to_string(), e),
        })?;
        let size = f
            .metadata()
            .map_err(|e| ArchiveError::Read(p.display().to_string(), e))?
            .len();
        Ok((Box::new(f), size))
    }

    fn exists(&self, path: &str) -> bool {
        self.path(path).is_ok_and(|p| p.is_file())
    }
}

#[derive(Debug, Clone)]
enum Node {
    File { offset: u64, size: u64 },
    Link(String),
}

/// An uncompressed tar file with its entries indexed.
pub(crate) struct TarSource {
    path: PathBuf,
    entries: HashMap<String, Node>,
}

impl TarSource {
    /// Indexes the tar file at `path` (every header is read; data is skipped).
    pub(crate) fn open_file(path: &Path) -> Result<TarSource, ArchiveError> {
        let file =
            File::open(path).map_err(|e| ArchiveError::Read(path.display().to_string(), e))?;
        let len = file
            .metadata()
            .map_err(|e| ArchiveError::Read(path.display().to_string(), e))?
            .len();
        let mut archive = tar::Archive::new(
            file.try_clone()
                .map_err(|e| ArchiveError::Read(path.display().to_string(), e))?,
        );
        let mut entries = HashMap::new();
        let bad = |e: io::Error| ArchiveError::Invalid(format!("reading tar archive: {e}"));
        for entry in archive.entries_with_seek().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
            let Some(name) = clean(&name) else { continue };
            let header = entry.header();
            let node = match header.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let offset = entry.raw_file_position();
                    let size = entry.size();
                    if offset.saturating_add(size) > len {
                        return Err(ArchiveError::Truncated(name));
                    }
                    Node::File { offset, size }
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(bad)?
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let base = Path::new(&name)
                        .parent()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let joined = if target.starts_with('/') {
                        target
                    } else {
                        format!("{base}/{target}")
                    };
                    match clean(&joined) {
                        Some(t) => Node::Link(t),
                        None => continue,
                    }
                }
                tar::EntryType::Link => {
                    let target = entry
                        .link_name()
                        .map_err(bad)?
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    match clean(&target) {
                        Some(t) => Node::Link(t),
                        None => continue,
                    }
                }
                _ => continue,
            };
            entries.insert(name, node);
        }
        drop(file);
        Ok(TarSource {
            path: path.to_path_buf(),
            entries,
        })
    }

    fn resolve(&self, path: &str) -> Option<(u64, u64)> {
        let mut key = clean(path)?;
        // Links between entries, bounded so loops end.
        for _ in 0..16 {
            match self.entries.get(&key)? {
                Node::File { offset, size } => return Some((*offset, *size)),
                Node::Link(t) => key = t.clone(),
            }
        }
        None
    }
}

impl Source for TarSource {
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), ArchiveError> {
        let (offset, size) = self
            .resolve(path)
            .ok_or_else(|| ArchiveError::Missing(path.to_string()))?;
        let mut f = File::open(&self.path)
            .map_err(|e| ArchiveError::Read(self.path.display().to_string(), e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| ArchiveError::Read(path.to_string(), e))?;
        Ok((Box::new(f.take(size)), size))
    }

    fn exists(&self, path: &str) -> bool {
        self.resolve(path).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths() {
        assert_eq!(clean("./a/b").as_deref(), Some("a/b"));
        assert_eq!(clean("/a/./b").as_deref(), Some("a/b"));
        assert_eq!(clean("a/../b").as_deref(), Some("b"));
        assert_eq!(clean("../b"), None);
        assert_eq!(clean("."), None);
    }
}
