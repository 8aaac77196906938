//! Image archives and layouts: `docker-archive` (docker save/load tar, one
//! or several images), `oci-archive` (tar of an OCI layout), `oci` layout
//! directories and `dir` (skopeo's directory transport). Saving writes
//! configs and stored layer blobs unchanged (image ids stay); loading
//! verifies every blob against its digest and every layer against its diff
//! id, and leaves the store as it was when anything fails.

mod detect;
mod dir;
mod docker;
mod load;
mod oci;
mod sink;
mod source;

use std::io;

use super::error::StorageError;

pub use detect::{load_path, load_reader, ArchiveFormat};
pub use load::LoadedImage;
pub use save::{save, save_with, SaveItem, SaveTarget};

mod save;

fn unknown_format_reasons(reasons: &[(&'static str, String)]) -> String {
    reasons
        .iter()
        .map(|(transport, reason)| format!("\n * {transport}: {reason}"))
        .collect()
}

/// Why reading or writing an archive failed. Each variant names its cause
/// in one line.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading a file failed.
    #[error("reading {0}: {1}")]
    Read(String, #[source] io::Error),
    /// Writing a file failed.
    #[error("writing {0}: {1}")]
    Write(String, #[source] io::Error),
    /// The archive is malformed.
    #[error("invalid archive: {0}")]
    Invalid(String),
    /// A file the archive's index or manifest names is not in it.
    #[error("invalid archive: file {0:?} not found")]
    Missing(String),
    /// A file ends before its announced size.
    #[error("invalid archive: {0} is truncated")]
    Truncated(String),
    /// A blob does not hash to the digest its manifest names.
    #[error("copying blob {expected}: digest did not match, expected {expected}, got {actual}")]
    DigestMismatch {
        /// Digest named by the manifest.
        expected: String,
        /// Digest of the content.
        actual: String,
    },
    /// The input is none of the known formats; why, for each format (as
    /// Podman lists them, one ` * transport: reason` line each).
    #[error("payload does not match any of the supported image formats:{}", unknown_format_reasons(.0))]
    UnknownFormat(Vec<(&'static str, String)>),
    /// The store refused (diff id mismatch, I/O, ...).
    #[error(transparent)]
    Storage(#[from] StorageError),
}
