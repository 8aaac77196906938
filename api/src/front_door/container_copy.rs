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

/// What a container path names (Podman's `define.FileInfo`, the
/// `X-Docker-Container-Path-Stat` header of the archive endpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The base name of `link_target`.
    pub name: String,
    pub size: i64,
    /// The Unix `st_mode` (file type and permission bits) of what the path
    /// leads to (symlinks followed).
    pub mode: u32,
    /// Modification time: seconds and nanoseconds since the epoch.
    pub mtime: (i64, u32),
    pub is_dir: bool,
    /// The absolute container path, symlinks resolved, the trailing `/` or
    /// `/.` the caller gave kept.
    pub link_target: String,
}

/// Go's `os.FileMode` type bits, as Podman's and Docker's JSON carry modes.
const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
const GO_DEVICE: u32 = 1 << 26;
const GO_PIPE: u32 = 1 << 25;
const GO_SOCKET: u32 = 1 << 24;
const GO_SETUID: u32 = 1 << 23;
const GO_SETGID: u32 = 1 << 22;
const GO_CHAR: u32 = 1 << 21;
const GO_STICKY: u32 = 1 << 20;

impl PathStat {
    /// `mode` as Go's `os.FileMode`.
    pub fn go_mode(&self) -> u32 {
        let m = self.mode;
        let kind = match m & 0o170_000 {
            0o040_000 => GO_DIR,
            0o120_000 => GO_SYMLINK,
            0o060_000 => GO_DEVICE,
            0o020_000 => GO_DEVICE | GO_CHAR,
            0o010_000 => GO_PIPE,
            0o140_000 => GO_SOCKET,
            _ => 0,
        };
        let special = [
            (0o4000, GO_SETUID),
            (0o2000, GO_SETGID),
            (0o1000, GO_STICKY),
        ]
        .iter()
        .filter(|(unix, _)| m & unix != 0)
        .fold(0, |acc, (_, go)| acc | go);
        kind | special | (m & 0o777)
    }

    /// A Unix `st_mode` from Go's `os.FileMode` bits.
    pub fn mode_from_go(go: u32) -> u32 {
        let kind = if go & GO_DIR != 0 {
            0o040_000
        } else if go & GO_SYMLINK != 0 {
            0o120_000
        } else if go & GO_CHAR != 0 {
            0o020_000
        } else if go & GO_DEVICE != 0 {
            0o060_000
        } else if go & GO_PIPE != 0 {
            0o010_000
        } else if go & GO_SOCKET != 0 {
            0o140_000
        } else {
            0o100_000
        };
        let special = [
            (GO_SETUID, 0o4000),
            (GO_SETGID, 0o2000),
            (GO_STICKY, 0o1000),
        ]
        .iter()
        .filter(|(g, _)| go & g != 0)
        .fold(0, |acc, (_, unix)| acc | unix);
        kind | special | (go & 0o777)
    }
}

/// Podman's `cp` (its `ContainerStat`, `ContainerCopyToArchive` and
/// `ContainerCopyFromArchive` with the command's logic around them).
#[async_trait]
pub trait ContainerCopy: Send + Sync {
    /// Copies as `request` says; nothing is written if a side cannot be
    /// found or the kinds do not fit (a directory onto a file).
    async fn container_copy(&self, request: CopyRequest) -> Result<()>;

    /// Podman's `ContainerStat`: what `path` names in `container` (a
    /// relative path starts at its working directory); `None` when the path
    /// does not exist.
    async fn container_stat(&self, container: &str, path: &str) -> Result<Option<PathStat>>;
}

#[cfg(test)]
mod tests {
    use super::PathStat;

    fn stat(mode: u32) -> PathStat {
        PathStat {
            name: "x".into(),
            size: 0,
            mode,
            mtime: (0, 0),
            is_dir: false,
            link_target: "/x".into(),
        }
    }

    #[test]
    fn go_modes_round_trip() {
        // Docker's documented examples: a 0755 directory, a 0644 file.
        assert_eq!(stat(0o040_755).go_mode(), 2_147_484_141);
        assert_eq!(stat(0o100_644).go_mode(), 420);
        assert_eq!(stat(0o120_777).go_mode(), 134_218_239);
        for m in [
            0o040_755, 0o100_644, 0o104_755, 0o041_777, 0o020_666, 0o060_660,
        ] {
            assert_eq!(PathStat::mode_from_go(stat(m).go_mode()), m, "{m:o}");
        }
    }
}
