//! Errors of the storage layer.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in layer extraction, the layer and image
/// stores and root filesystem mounts. Every variant names what it was
/// working on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A filesystem operation on a path failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("creating", "renaming", ...).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A layer archive entry could not be unpacked.
    #[error("unpacking layer entry {entry:?}: {reason}")]
    Entry {
        /// The entry's path as written in the archive.
        entry: String,
        /// Why it failed.
        reason: String,
    },
    /// A layer member's name climbs above the layer root (`../x`).
    #[error("invalid path in layer: {0}")]
    InvalidPath(String),
    /// Unpacking reached one of the limits of rpod.conf's `[storage]`.
    #[error(transparent)]
    Limit(#[from] super::limits::LimitExceeded),
    /// Unpacking a layer reached one of the limits of rpod.conf's `[storage]`.
    #[error("{layer}: {limit}")]
    LayerLimit {
        /// What was unpacked (`layer sha256:…`).
        layer: String,
        /// The limit.
        #[source]
        limit: super::limits::LimitExceeded,
    },
    /// A layer archive could not be read.
    #[error("reading layer archive: {0}")]
    Archive(#[source] io::Error),
    /// The uncompressed layer does not hash to the diff id named by the image config.
    #[error("layer diff ID did not match, expected {expected}, got {actual}")]
    DiffIdMismatch {
        /// The diff id from the image config.
        expected: String,
        /// The digest of what was received.
        actual: String,
    },
    /// A metadata file is not valid JSON of the expected shape.
    #[error("parsing {}: {source}", path.display())]
    Metadata {
        /// The metadata file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A layer blob an image's manifest names is not stored.
    #[error("blob {0} is not in the store")]
    BlobUnknown(String),
    /// A layer an image refers to is not in the store.
    #[error("layer {0} is not in the store")]
    LayerUnknown(String),
    /// An image id or name matched nothing.
    #[error("{0}: image not known")]
    ImageUnknown(String),
    /// A short id prefix matched more than one image.
    #[error("{0}: ambiguous image id prefix, it matches {1} images")]
    AmbiguousId(String, usize),
    /// An identifier is not acceptable as a file name (container ids, chain ids).
    #[error("invalid identifier {0:?}")]
    InvalidId(String),
    /// The image config blob is not an OCI/Docker image config.
    #[error("invalid image config: {0}")]
    InvalidConfig(String),
    /// Mounting a container root filesystem failed.
    #[error("mounting {} for container {container}: {source}", target.display())]
    Mount {
        /// The container whose root filesystem was being mounted.
        container: String,
        /// The mount point.
        target: PathBuf,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Unmounting a container root filesystem failed.
    #[error("unmounting {}: {source}", target.display())]
    Unmount {
        /// The mount point.
        target: PathBuf,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl StorageError {
    /// Wraps an I/O error with the operation and path it happened on.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| StorageError::Io { op, path, source }
    }

    /// Builds an [`StorageError::Entry`] error.
    pub(crate) fn entry(entry: &str, reason: impl std::fmt::Display) -> Self {
        StorageError::Entry {
            entry: entry.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Result type of the storage module.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
