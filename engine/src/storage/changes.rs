//! Filesystem changes of a container (its upper directory) or an image (its
//! top layer) against the layers below: `A` added, `C` changed, `D` deleted,
//! as `podman diff` prints them.

use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use super::error::{Result, StorageError};
use super::images::Image;
use super::in_root::{InRoot, NodeKind};
use super::store::Store;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Absolute path in the container.
    pub path: String,
    /// `A`, `C` or `D`.
    pub kind: char,
}

/// The layers below a tree, each opened as its own root, with the state of
/// the directory being walked: which layers an opaque directory (at or
/// above it) hides from the layers under it.
struct Lowers {
    trees: Vec<InRoot>,
    /// One entry per directory entered: `hidden[d][i]` is true if layer `i`
    /// has an opaque directory on the path down to that directory, so
    /// nothing below it exists in the layers under `i`.
    hidden: Vec<Vec<bool>>,
}

impl Lowers {
    /// Whether `rel` exists in the stack of lowers (top first), honouring
    /// whiteouts and opaque directories of the upper ones.
    fn contains(&self, rel: &Path) -> bool {
        let hidden = self.hidden.last().expect("the root level is pushed first");
        for (tree, hides_below) in self.trees.iter().zip(hidden) {
            match tree.lstat_no_symlinks(rel) {
                Ok(st) if is_whiteout_stat(&st) => return false,
                Ok(_) => return true,
                Err(_) => {}
            }
            if *hides_below {
                return false;
            }
        }
        false
    }

    fn enter(&mut self, rel: &Path) {
        let parent = self.hidden.last().expect("the root level is pushed first");
        let next = self
            .trees
            .iter()
            .zip(parent)
            .map(|(t, h)| *h || t.is_opaque_dir(rel))
            .collect();
        self.hidden.push(next);
    }

    fn leave(&mut self) {
        self.hidden.pop();
    }
}

fn is_whiteout_stat(st: &rustix::fs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice && st.st_rdev == 0
}

/// Changes of the tree `top` over `lowers` (top first), sorted by path.
/// The walk is iterative and descriptor-relative (see [`InRoot::walk`]).
pub fn changes(top: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    if !top.exists() {
        return Ok(out);
    }
    let mut state = Lowers {
        trees: lowers
            .iter()
            .map(|l| InRoot::new(l).map_err(StorageError::io("opening", l)))
            .collect::<Result<_>>()?,
        hidden: vec![vec![false; lowers.len()]],
    };
    let tree = InRoot::new(top).map_err(StorageError::io("opening", top))?;
    for node in tree.walk().map_err(StorageError::io("reading", top))? {
        let node = node.map_err(StorageError::io("reading", top))?;
        if matches!(node.kind, NodeKind::LeaveDir) {
            state.leave();
            continue;
        }
        let shown = format!("/{}", node.rel.display());
        let present = state.contains(&node.rel);
        if node.is_whiteout() {
            if present {
                out.push(Change {
                    path: shown,
                    kind: 'D',
                });
            }
            continue;
        }
        out.push(Change {
            path: shown,
            kind: if present { 'C' } else { 'A' },
        });
        if matches!(node.kind, NodeKind::Dir { .. }) {
            state.enter(&node.rel);
        }
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
