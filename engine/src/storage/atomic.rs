//! Crash-safe metadata writes: write a temp file next to the target, fsync,
//! rename over the target, fsync the directory.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::error::{Result, StorageError};

/// Replaces `path` with `data` atomically: a reader sees the old or the new
/// content, never a mix, even if the writer is killed or the power fails.
pub(crate) fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| StorageError::InvalidId(path.display().to_string()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
            .map_err(StorageError::io("creating", &tmp))?;
        f.write_all(data)
            .map_err(StorageError::io("writing", &tmp))?;
        f.sync_all().map_err(StorageError::io("syncing", &tmp))?;
        fs::rename(&tmp, path).map_err(StorageError::io("renaming", &tmp))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes JSON atomically (see [`write_file`]).
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let data = serde_json::to_vec_pretty(value).map_err(|source| StorageError::Metadata {
        path: path.to_path_buf(),
        source,
    })?;
    write_file(path, &data)
}

/// Reads and parses a JSON metadata file.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let data = fs::read(path).map_err(StorageError::io("reading", path))?;
    serde_json::from_slice(&data).map_err(|source| StorageError::Metadata {
        path: path.to_path_buf(),
        source,
    })
}

/// Makes a rename or creation inside `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StorageError::io("syncing", dir))
}
