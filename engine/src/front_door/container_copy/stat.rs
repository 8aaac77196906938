//! Podman's `ContainerStat` and `ResolveHostPath`: what a `cp` argument
//! names, with the `LinkTarget` the copy continues from.

use std::io;
use std::path::Path;

use rpod_api::front_door::container_copy::PathStat;
use rustix::fs::{self as rfs, FileType, OFlags};

use super::access::{Access, Located};
use super::paths::{clean, join, preserve_base_path};

/// What a path names (Podman's `define.FileInfo`, the fields `cp` uses).
#[derive(Debug, Clone)]
pub(super) struct FileInfo {
    pub is_dir: bool,
    pub is_regular: bool,
    /// The path the copy works on: symlinks resolved (inside the
    /// container), the user's trailing `/` or `/.` kept.
    pub link_target: String,
}

/// A stat that failed, possibly after learning where a dangling symlink
/// points (Podman returns both then).
pub(super) struct StatFailure {
    pub info: Option<FileInfo>,
    pub error: io::Error,
}

fn enoent() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOENT)
}

/// Podman's `(*Container).stat`: `path` in the container, symlinks
/// resolved inside it; also the tree and path inside it to copy from.
pub(super) fn container_stat(acc: &Access, path: &str) -> Result<(FileInfo, Located), StatFailure> {
    let fail = |error| StatFailure { info: None, error };
    let path = if path == "/" { "/." } else { path };
    if path.contains('*') {
        return Err(fail(enoent()));
    }
    let abs = acc.path_abs(path);
    let at = acc.locate(&abs).map_err(fail)?;
    let fd = at
        .root
        .open(Path::new(&at.rel), OFlags::PATH | OFlags::NOFOLLOW)
        .map_err(fail)?;
    let st = rfs::fstat(&fd).map_err(|e| fail(e.into()))?;
    let kind = FileType::from_raw_mode(st.st_mode);
    if kind != FileType::Symlink {
        return Ok((
            FileInfo {
                is_dir: kind == FileType::Directory,
                is_regular: kind == FileType::RegularFile,
                link_target: preserve_base_path(path, &clean(&abs)),
            },
            at,
        ));
    }
    let target = at.root.resolve(Path::new(&at.rel), true).map_err(fail)?;
    let target = join(&at.dest, &target.to_string_lossy());
    let mut info = FileInfo {
        is_dir: false,
        is_regular: false,
        link_target: preserve_base_path(path, &target),
    };
    match at
        .root
        .open(Path::new(&at.rel), OFlags::PATH)
        .and_then(|fd| Ok(rfs::fstat(&fd)?))
    {
        Ok(st) => {
            let kind = FileType::from_raw_mode(st.st_mode);
            info.is_dir = kind == FileType::Directory;
            info.is_regular = kind == FileType::RegularFile;
            Ok((info, at))
        }
        Err(error) => Err(StatFailure {
            info: Some(info),
            error: if error.kind() == io::ErrorKind::NotFound {
                enoent()
            } else {
                error
            },
        }),
    }
}

/// Podman's `ContainerStat` for the API: what `path` names, its metadata
/// read from what it leads to; `None` when it does not exist.
pub(super) fn path_stat(acc: &Access, path: &str) -> io::Result<Option<PathStat>> {
    let (info, at) = match container_stat(acc, path) {
        Ok(found) => found,
        Err(f) if f.error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(f) => return Err(f.error),
    };
    let fd = at.root.open(Path::new(&at.rel), OFlags::PATH)?;
    let st = rfs::fstat(&fd)?;
    Ok(Some(PathStat {
        name: super::paths::base(&info.link_target),
        size: st.st_size,
        mode: st.st_mode,
        mtime: (st.st_mtime, u32::try_from(st.st_mtime_nsec).unwrap_or(0)),
        is_dir: info.is_dir,
        link_target: info.link_target,
    }))
}

/// Podman's `ResolveHostPath`: `path` made absolute (not resolved), with
/// what it names (symlinks followed).
pub(super) fn host_stat(path: &Path) -> io::Result<FileInfo> {
    let original = path.to_string_lossy();
    let abs = if original.starts_with('/') {
        clean(&original)
    } else {
        let cwd = std::env::current_dir()?;
        join(&cwd.to_string_lossy(), &original)
    };
    let resolved = preserve_base_path(&original, &abs);
    let meta = std::fs::metadata(&resolved)?;
    Ok(FileInfo {
        is_dir: meta.is_dir(),
        is_regular: meta.is_file(),
        link_target: resolved,
    })
}
