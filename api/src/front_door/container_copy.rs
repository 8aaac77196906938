//! `cp`: copying files and directories between a container and the host,
//! between two containers, or between a container and a tar stream.

use std::io::{Read, Write};
use std::path::PathBuf;

use async_trait::async_trait;

use crate::Result;

/// Where `cp` reads.
pub enum CopySource {
    /// A file or directory of the host, as given (a trailing `/` or `/.`
    /// matters, as in Podman).
    Host(PathBuf),
    /// A path in a container (running or not); a relative path is taken
    /// from the container's working directory.
    Container { container: String, path: String },
    /// A tar archive, plain or compressed (`-`: the CLI's stdin, a request
    /// body), unpacked into the destination directory.
    Stream(Box<dyn Read + Send>),
}

/// Where `cp` writes.
pub enum CopyDestination {
    /// A path of the host.
    Host(PathBuf),
    /// A path in a container.
    Container { container: String, path: String },
    /// A tar stream of what is copied (`-`: the CLI's stdout, a response
    /// body).
    Stream(Box<dyn Write + Send>),
}

/// `cp`'s flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOptions {
    /// `--archive` (default true): what is copied into a container is owned
    /// by the container's user; false keeps the owners of the source.
    pub chown: bool,
    /// `--overwrite`: a directory may replace a non-directory and the
    /// reverse (otherwise an error).
    pub overwrite: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            chown: true,
            overwrite: false,
        }
    }
}

/// One `cp`. At least one side is a container.
pub struct CopyRequest {
    pub source: CopySource,
    pub destination: CopyDestination,
    pub options: CopyOptions,
}

/// Podman's `cp` (its `ContainerStat`, `ContainerCopyToArchive` and
/// `ContainerCopyFromArchive` with the command's logic around them).
#[async_trait]
pub trait ContainerCopy: Send + Sync {
    /// Copies as `request` says; nothing is written if a side cannot be
    /// found or the kinds do not fit (a directory onto a file).
    async fn container_copy(&self, request: CopyRequest) -> Result<()>;
}
