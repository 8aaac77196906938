//! Telling archive formats apart and loading whatever a path holds.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::load::LoadedImage;
use super::source::{DirSource, Source, TarSource};
use super::{dir, docker, oci, ArchiveError};
use crate::storage::compression::{decompress, Compression};
use crate::storage::Store;

/// An archive or layout format (a transport in containers/image terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker-archive`: docker save's tar.
    DockerArchive,
    /// `oci-archive`: a tar of an OCI layout.
    OciArchive,
    /// `oci`: an OCI layout directory.
    OciDir,
    /// `dir`: skopeo's directory transport.
    Dir,
}

impl ArchiveFormat {
    /// The transport name (`docker-archive`, `oci-archive`, `oci`, `dir`).
    pub fn transport(self) -> &'static str {
        match self {
            ArchiveFormat::DockerArchive => "docker-archive",
            ArchiveFormat::OciArchive => "oci-archive",
            ArchiveFormat::OciDir => "oci",
            ArchiveFormat::Dir => "dir",
        }
    }

    /// Parses a transport name, also Podman's `save --format` names
    /// (`oci-dir`, `docker-dir`).
    pub fn from_name(name: &str) -> Option<ArchiveFormat> {
        Some(match name {
            "docker-archive" => ArchiveFormat::DockerArchive,
            "oci-archive" => ArchiveFormat::OciArchive,
            "oci" | "oci-dir" => ArchiveFormat::OciDir,
            "dir" | "docker-dir" => ArchiveFormat::Dir,
            _ => return None,
        })
    }
}

/// What kind of layout a source holds.
fn layout_kind(src: &dyn Source) -> Option<ArchiveFormat> {
    if src.exists("manifest.json") && src.exists("version") {
        Some(ArchiveFormat::Dir)
    } else if src.exists("manifest.json") {
        Some(ArchiveFormat::DockerArchive)
    } else if src.exists("index.json") {
        Some(ArchiveFormat::OciArchive)
    } else {
        None
    }
}

/// Why `path` is none of the formats: `is_dir` says whether it is a
/// directory, `is_tar` whether it is a tar archive (after decompression).
fn unknown_format(path: &Path, is_dir: bool, is_tar: bool) -> ArchiveError {
    let p = path.display();
    let (missing_in_dir, not_a_dir) = ("no such file or directory", "not a directory");
    let in_dir = if is_dir { missing_in_dir } else { not_a_dir };
    let in_tar = if is_tar {
        "file does not exist"
    } else {
        "not a tar archive"
    };
    ArchiveError::UnknownFormat(vec![
        ("oci", format!("open {p}/index.json: {in_dir}")),
        (
            "oci-archive",
            format!("loading index: index.json in {p}: {in_tar}"),
        ),
        (
            "docker-archive",
            format!("loading tar component \"manifest.json\": {in_tar}"),
        ),
        ("dir", format!("open {p}/manifest.json: {in_dir}")),
    ])
}

/// Loads every image from `path`: an OCI layout or `dir:` directory, or a
/// docker-archive / oci-archive file, possibly gzip- or zstd-compressed.
/// `reference` picks one image of an OCI layout by its ref name.
pub fn load_path(
    store: &Store,
    path: &Path,
    reference: Option<&str>,
) -> Result<Vec<LoadedImage>, ArchiveError> {
    let meta =
        std::fs::metadata(path).map_err(|e| ArchiveError::Read(path.display().to_string(), e))?;
    if meta.is_dir() {
        let src = DirSource::new(path);
        return match layout_kind(&src) {
            Some(ArchiveFormat::Dir) => dir::load(store, &src).map(|i| vec![i]),
            Some(ArchiveFormat::OciArchive) => oci::load(store, &src, reference),
            Some(ArchiveFormat::DockerArchive) => docker::load(store, &src),
            _ => Err(unknown_format(path, true, false)),
        };
    }
    let file = File::open(path).map_err(|e| ArchiveError::Read(path.display().to_string(), e))?;
    let mut head = BufReader::new(file);
    let magic = head
        .fill_buf()
        .map_err(|e| ArchiveError::Read(path.display().to_string(), e))?
        .to_vec();
    drop(head);
    let tmp;
    let tar_path: PathBuf = match decompress(&magic[..]) {
        Ok((Compression::None, _)) => path.to_path_buf(),
        Ok(_) => {
            // A compressed archive is unpacked once to a temp file so that
            // its entries can be read by seeking.
            tmp = store.temp_dir()?;
            let out = tmp.path().join("archive.tar");
            let file =
                File::open(path).map_err(|e| ArchiveError::Read(path.display().to_string(), e))?;
            let (_, mut r) =
                decompress(file).map_err(|e| ArchiveError::Read(path.display().to_string(), e))?;
            let mut w = File::create(&out)
                .map_err(|e| ArchiveError::Write(out.display().to_string(), e))?;
            io::copy(&mut r, &mut w).map_err(|e| {
                ArchiveError::Invalid(format!("decompressing {}: {e}", path.display()))
            })?;
            out
        }
        Err(e) => return Err(ArchiveError::Read(path.display().to_string(), e)),
    };
    if !is_tar(&tar_path) {
        return Err(unknown_format(path, false, false));
    }
    let src = TarSource::open_file(&tar_path)?;
    match layout_kind(&src) {
        Some(ArchiveFormat::DockerArchive) => docker::load(store, &src),
        Some(ArchiveFormat::OciArchive) => oci::load(store, &src, reference),
        _ => Err(unknown_format(path, false, true)),
    }
}

/// A ustar/GNU tar header starts the file.
fn is_tar(path: &Path) -> bool {
    let mut head = [0u8; 512];
    File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head[257..262] == b"ustar"
}

/// [`load_path`] for a stream (stdin): it is copied to the store's temp
/// area first, removed again afterwards (also if this process dies).
pub fn load_reader(
    store: &Store,
    reader: &mut dyn io::Read,
    reference: Option<&str>,
) -> Result<Vec<LoadedImage>, ArchiveError> {
    let tmp = store.temp_dir()?;
    let path = tmp.path().join("input");
    let mut f =
        File::create(&path).map_err(|e| ArchiveError::Write(path.display().to_string(), e))?;
    io::copy(reader, &mut f).map_err(|e| ArchiveError::Read("stdin".into(), e))?;
    drop(f);
    load_path(store, &path, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_payload_lists_every_format_as_podman() {
        let base = tempfile::tempdir().unwrap();
        let store = Store::open(&base.path().join("root")).unwrap();
        let invalid = base.path().join("invalid");
        std::fs::write(&invalid, "I am not an image\n").unwrap();
        let err = load_path(&store, &invalid, None).unwrap_err().to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines[0],
            "payload does not match any of the supported image formats:"
        );
        let transports: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l.trim_start_matches(" * ").split(':').next().unwrap())
            .collect();
        assert_eq!(transports, ["oci", "oci-archive", "docker-archive", "dir"]);
        assert!(lines[1].ends_with("index.json: not a directory"), "{err}");
    }
}
