//! Filesystem changes of a container (its upper directory) or an image (its
//! top layer) against the layers below: `A` added, `C` changed, `D` deleted,
//! as `podman diff` prints them.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{Result, StorageError};
use super::images::Image;
use super::store::Store;
use super::tree_tar::{is_opaque, is_whiteout};

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Absolute path in the container.
    pub path: String,
    /// `A`, `C` or `D`.
    pub kind: char,
}

/// Whether `rel` exists in the stack of `lowers` (top first), honouring
/// whiteouts and opaque directories of the upper layers.
fn in_lowers(lowers: &[PathBuf], rel: &Path) -> bool {
    for lower in lowers {
        let p = lower.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if is_whiteout(&m) => return false,
            Ok(_) => return true,
            Err(_) => {}
        }
        // An opaque parent in this layer hides everything below.
        let mut parent = rel.parent();
        while let Some(d) = parent.filter(|d| !d.as_os_str().is_empty()) {
            if is_opaque(&lower.join(d)) {
                return false;
            }
            parent = d.parent();
        }
    }
    false
}

fn walk(top: &Path, lowers: &[PathBuf], rel: &Path, out: &mut Vec<Change>) -> Result<()> {
    let dir = top.join(rel);
    let entries = fs::read_dir(&dir).map_err(StorageError::io("reading", &dir))?;
    for e in entries {
        let e = e.map_err(StorageError::io("reading", &dir))?;
        let r = rel.join(e.file_name());
        let p = top.join(&r);
        let meta = fs::symlink_metadata(&p).map_err(StorageError::io("reading", &p))?;
        let shown = format!("/{}", r.display());
        if is_whiteout(&meta) {
            if in_lowers(lowers, &r) {
                out.push(Change {
                    path: shown,
                    kind: 'D',
                });
            }
            continue;
        }
        let kind = if in_lowers(lowers, &r) { 'C' } else { 'A' };
        out.push(Change { path: shown, kind });
        if meta.is_dir() {
            walk(top, lowers, &r, out)?;
        }
    }
    Ok(())
}

/// Changes of the tree `top` over `lowers` (top first), sorted by path.
pub fn changes(top: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    if top.exists() {
        walk(top, lowers, Path::new(""), &mut out)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

impl Store {
    /// The unpacked layers of `image`, top first.
    pub fn image_layer_dirs(&self, image: &Image) -> Result<Vec<PathBuf>> {
        image
            .layers
            .iter()
            .rev()
            .map(|c| self.layer_diff_path(c))
            .collect()
    }

    /// Changes in container `id` (created from `image`) over its image.
    pub fn container_changes(&self, id: &str, image: &Image) -> Result<Vec<Change>> {
        let upper = self.container_storage_paths(id).upper;
        changes(&upper, &self.image_layer_dirs(image)?)
    }

    /// Changes of an image's top layer over the layers below it.
    pub fn image_changes(&self, image: &Image) -> Result<Vec<Change>> {
        let dirs = self.image_layer_dirs(image)?;
        match dirs.split_first() {
            Some((top, lowers)) => changes(top, lowers),
            None => Ok(Vec::new()),
        }
    }
}
