//! Writing an archive or layout: files added one at a time into a tar
//! stream or a directory.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::ArchiveError;

/// Where archive files go.
pub(crate) trait Sink {
    /// Adds the file `path` (relative, `/`-separated) of `size` bytes.
    fn add(&mut self, path: &str, size: u64, data: &mut dyn Read) -> Result<(), ArchiveError>;

    /// Whether `path` was already written (blobs shared by several images).
    fn has(&self, path: &str) -> bool;

    /// Adds a small file from memory.
    fn add_bytes(&mut self, path: &str, data: &[u8]) -> Result<(), ArchiveError> {
        self.add(path, data.len() as u64, &mut &data[..])
    }

    /// Completes the archive.
    fn finish(self: Box<Self>) -> Result<(), ArchiveError>;
}

/// A tar stream (uncompressed) into any writer.
pub(crate) struct TarSink<W: Write> {
    builder: tar::Builder<W>,
    written: std::collections::HashSet<String>,
    mtime: u64,
}

impl<W: Write> TarSink<W> {
    pub(crate) fn new(w: W) -> TarSink<W> {
        let mut builder = tar::Builder::new(w);
        builder.mode(tar::HeaderMode::Deterministic);
        TarSink {
            builder,
            written: Default::default(),
            mtime: chrono::Utc::now().timestamp().max(0) as u64,
        }
    }
}

fn write_err(what: &str) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |e| ArchiveError::Write(what.to_string(), e)
}

impl<W: Write> Sink for TarSink<W> {
    fn add(&mut self, path: &str, size: u64, data: &mut dyn Read) -> Result<(), ArchiveError> {
        // Parent directories first, as docker save does.
        let mut parent = String::new();
        for part in path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|x| x.1)
            .unwrap_or(&[])
        {
            parent = if parent.is_empty() {
                part.to_string()
            } else {
                format!("{parent}/{part}")
            };
            if self.written.insert(format!("{parent}/")) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_mtime(self.mtime);
                self.builder
                    .append_data(&mut h, format!("{parent}/"), io::empty())
                    .map_err(write_err(path))?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(size);
        h.set_mtime(self.mtime);
        let mut limited = data.take(size);
        let mut counting = CountingReader {
            inner: &mut limited,
            count: 0,
        };
        self.builder
            .append_data(&mut h, path, &mut counting)
            .map_err(write_err(path))?;
        if counting.count != size {
            return Err(ArchiveError::Truncated(path.to_string()));
        }
        self.written.insert(path.to_string());
        Ok(())
    }

    fn has(&self, path: &str) -> bool {
        self.written.contains(path)
    }

    fn finish(self: Box<Self>) -> Result<(), ArchiveError> {
        let mut w = self.builder.into_inner().map_err(write_err("archive"))?;
        w.flush().map_err(write_err("archive"))
    }
}

struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    count: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// A directory (OCI layout, `dir:`), created if missing.
pub(crate) struct DirSink {
    root: PathBuf,
}

impl DirSink {
    pub(crate) fn new(root: &Path) -> Result<DirSink, ArchiveError> {
        fs::create_dir_all(root).map_err(write_err(&root.display().to_string()))?;
        Ok(DirSink {
            root: root.to_path_buf(),
        })
    }
}

impl Sink for DirSink {
    fn add(&mut self, path: &str, size: u64, data: &mut dyn Read) -> Result<(), ArchiveError> {
        let target = self.root.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(write_err(path))?;
        }
        let tmp = target.with_extension("partial");
        let mut f = File::create(&tmp).map_err(write_err(path))?;
        let n = io::copy(&mut data.take(size), &mut f).map_err(write_err(path))?;
        if n != size {
            let _ = fs::remove_file(&tmp);
            return Err(ArchiveError::Truncated(path.to_string()));
        }
        f.sync_all().map_err(write_err(path))?;
        fs::rename(&tmp, &target).map_err(write_err(path))
    }

    fn has(&self, path: &str) -> bool {
        self.root.join(path).is_file()
    }

    fn finish(self: Box<Self>) -> Result<(), ArchiveError> {
        Ok(())
    }
}
