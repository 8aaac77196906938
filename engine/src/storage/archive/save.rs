//! Writing images to an archive file, a writer (stdout) or a layout
//! directory.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use super::sink::{DirSink, Sink, TarSink};
use super::{dir, docker, oci, ArchiveError, ArchiveFormat};
use crate::storage::{Image, Store};

/// One image to save and the names to record for it.
#[derive(Debug, Clone)]
pub struct SaveItem {
    /// The stored image.
    pub image: Image,
    /// Fully qualified names (`RepoTags`, `ref.name`).
    pub names: Vec<String>,
}

/// Where a saved archive goes.
pub enum SaveTarget<'a> {
    /// A file (archives) or directory (layouts) at this path.
    Path(&'a Path),
    /// A stream (archives only), e.g. stdout.
    Writer(Box<dyn Write + 'a>),
}

fn write_items(
    store: &Store,
    items: &[SaveItem],
    format: ArchiveFormat,
    sink: &mut dyn Sink,
    existing_index: Option<serde_json::Value>,
    uncompressed: bool,
) -> Result<(), ArchiveError> {
    match format {
        ArchiveFormat::DockerArchive => docker::write(store, items, sink),
        ArchiveFormat::OciArchive | ArchiveFormat::OciDir => {
            oci::write(store, items, sink, existing_index, uncompressed)
        }
        ArchiveFormat::Dir => match items {
            [one] => dir::write(store, one, sink),
            _ => Err(ArchiveError::Invalid(
                "the dir format holds exactly one image".into(),
            )),
        },
    }
}

/// Saves `items` in `format` to `target`. An archive file is written under
/// a temporary name and renamed when complete.
pub fn save(
    store: &Store,
    items: &[SaveItem],
    format: ArchiveFormat,
    target: SaveTarget<'_>,
) -> Result<(), ArchiveError> {
    save_with(store, items, format, target, false)
}

/// As [`save`]; `uncompressed` writes OCI layers uncompressed (digest =
/// diff id), as `save --uncompressed`. Docker archives always are.
pub fn save_with(
    store: &Store,
    items: &[SaveItem],
    format: ArchiveFormat,
    target: SaveTarget<'_>,
    uncompressed: bool,
) -> Result<(), ArchiveError> {
    let is_dir = matches!(format, ArchiveFormat::OciDir | ArchiveFormat::Dir);
    match target {
        SaveTarget::Writer(w) => {
            if is_dir {
                return Err(ArchiveError::Invalid(format!(
                    "{} needs a directory path",
                    format.transport()
                )));
            }
            let mut sink = Box::new(TarSink::new(w));
            write_items(store, items, format, sink.as_mut(), None, uncompressed)?;
            sink.finish()
        }
        SaveTarget::Path(path) if is_dir => {
            let existing = if format == ArchiveFormat::OciDir {
                fs::read(path.join("index.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
            } else {
                None
            };
            let mut sink = Box::new(DirSink::new(path)?);
            write_items(store, items, format, sink.as_mut(), existing, uncompressed)?;
            sink.finish()
        }
        SaveTarget::Path(path) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
            let result = (|| {
                let file = File::create(&tmp)
                    .map_err(|e| ArchiveError::Write(path.display().to_string(), e))?;
                let mut sink = Box::new(TarSink::new(BufWriter::new(&file)));
                write_items(store, items, format, sink.as_mut(), None, uncompressed)?;
                sink.finish()?;
                file.sync_all()
                    .map_err(|e| ArchiveError::Write(path.display().to_string(), e))?;
                fs::rename(&tmp, path)
                    .map_err(|e| ArchiveError::Write(path.display().to_string(), e))
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result
        }
    }
}
