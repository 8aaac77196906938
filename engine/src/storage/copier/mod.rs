//! `cp`'s two halves, as buildah's copier package has them for Podman:
//! [`get`] writes an item of a tree (a file, or a directory and everything
//! below it) as a tar stream, [`put`] unpacks a tar stream into a directory
//! of a tree. The tree is an [`InRoot`](super::in_root::InRoot): a
//! container's root filesystem (`/proc/PID/root` of a running container, its
//! mounted storage otherwise), the source of a volume or bind mount, or a
//! directory of the host. Every path is resolved inside that root with
//! `openat2(RESOLVE_IN_ROOT)` and every node created or changed relative to
//! a descriptor of its parent without following a symlink, so a container
//! swapping a directory for a symlink during the copy cannot make either
//! half read or write outside its root.

mod get;
mod put;
mod xattrs;

use std::path::Path;

pub use get::{get, GetOptions};
pub use put::{put, PutOptions};

/// Errors of a copy: the message says what failed, as Podman's copier does.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CopyError(pub String);

impl CopyError {
    pub(crate) fn new(msg: impl Into<String>) -> CopyError {
        CopyError(msg.into())
    }
}

/// A rename applied to tar member names: the member `from`, or anything
/// below it, is named `to` instead (copier's `Rename` with one entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub from: String,
    pub to: String,
}

impl Rename {
    /// `name` renamed (names use `/`; a trailing `/` is kept).
    pub fn apply(&self, name: &str) -> String {
        let trimmed = name.trim_end_matches('/');
        let slash = if trimmed.len() < name.len() { "/" } else { "" };
        if trimmed == self.from {
            return format!("{}{slash}", self.to);
        }
        match trimmed.strip_prefix(self.from.as_str()) {
            Some(rest) if rest.starts_with('/') => format!("{}{rest}{slash}", self.to),
            _ => name.to_owned(),
        }
    }
}

/// `path` as Go's `filepath.Base` has it: the last element, trailing
/// slashes dropped; `.` for an empty path, `/` for slashes only.
pub fn base_name(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// How a path inside a root is shown in messages: `/`-rooted.
fn shown(p: &Path) -> String {
    let s = p.to_string_lossy();
    if s.starts_with('/') {
        s.into_owned()
    } else {
        format!("/{s}")
    }
}

#[cfg(test)]
mod tests;
