//! The reading half: an item of a tree as a tar stream.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use rustix::fs::OFlags;

use super::xattrs::{self, Xattr};
use super::{base_name, shown, CopyError, Rename};
use crate::storage::in_root::{InRoot, Node, NodeKind};
use crate::storage::tree_tar::append;

/// Directories below a container's root that are never copied out of it
/// (Podman's `Excludes` for `cp`).
const KERNEL_DIRS: &[&str] = &["dev", "proc", "sys"];

/// How [`get`] names and owns what it archives.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// A directory's members are named below the directory's own name
    /// (`dir/a`), else relative to it (`a`).
    pub keep_directory_names: bool,
    /// Member names renamed.
    pub rename: Option<Rename>,
    /// Owner recorded for every member instead of the file's own.
    pub owner: Option<(u32, u32)>,
    /// Leave out `/dev`, `/proc` and `/sys` of the root.
    pub exclude_kernel_dirs: bool,
    /// The item's own name in the stream (default: its base name).
    pub name: Option<String>,
}

fn excluded(abs: &Path) -> bool {
    match abs.components().find(|c| matches!(c, Component::Normal(_))) {
        Some(Component::Normal(first)) => KERNEL_DIRS.iter().any(|d| first == *d),
        _ => false,
    }
}

/// Writes `item` (a path inside `root`, symlinks followed inside it) to
/// `w` as a tar stream: a file under its base name, a directory with
/// everything below it, symlinks inside it archived as symlinks.
pub fn get<W: Write>(root: &InRoot, item: &Path, o: &GetOptions, w: W) -> Result<W, CopyError> {
    let item_str = item.to_string_lossy();
    let fail = |e: std::io::Error| CopyError(format!("copier: get: {:?}: {e}", item_str));
    let abs = if o.exclude_kernel_dirs {
        root.resolve(item, true).map_err(fail)?
    } else {
        PathBuf::new()
    };
    if o.exclude_kernel_dirs && excluded(&abs) {
        return Err(CopyError::new(
            "copier: get: copied no items: no such file or directory",
        ));
    }
    let base = o.name.clone().unwrap_or_else(|| base_name(&item_str));
    let top = root
        .node(item, PathBuf::from(&base), false)
        .map_err(|e| CopyError(format!("copier: get: lstat {:?}: {e}", shown(item))))?;
    let mut b = tar::Builder::new(w);
    b.follow_symlinks(false);
    let mut links = HashMap::new();
    let mut add = |b: &mut tar::Builder<W>, mut node: Node, attrs: Vec<Xattr>| {
        xattrs::append_pax(b, &attrs).map_err(fail)?;
        if let Some(r) = &o.rename {
            node.rel = PathBuf::from(r.apply(&node.rel.to_string_lossy()));
        }
        if let Some((uid, gid)) = o.owner {
            node.stat.st_uid = uid;
            node.stat.st_gid = gid;
        }
        append(b, &mut links, node, false).map_err(fail)
    };
    let top_attrs = node_xattrs(root, item, &top, true).map_err(fail)?;
    if matches!(top.kind, NodeKind::Dir { .. }) {
        let prefix = o.keep_directory_names.then(|| PathBuf::from(&base));
        if prefix.is_some() {
            add(&mut b, top, top_attrs)?;
        }
        let sub = root.subtree(item).map_err(fail)?;
        let mut walk = sub.walk().map_err(fail)?;
        while let Some(node) = walk.next() {
            let mut node = node.map_err(fail)?;
            if matches!(node.kind, NodeKind::LeaveDir) {
                continue;
            }
            if o.exclude_kernel_dirs && excluded(&abs.join(&node.rel)) {
                if matches!(node.kind, NodeKind::Dir { .. }) {
                    walk.skip_dir();
                }
                continue;
            }
            let attrs = node_xattrs(&sub, &node.rel.clone(), &node, false).map_err(fail)?;
            if let Some(p) = &prefix {
                node.rel = p.join(&node.rel);
            }
            add(&mut b, node, attrs)?;
        }
    } else {
        add(&mut b, top, top_attrs)?;
    }
    b.finish().map_err(fail)?;
    b.into_inner().map_err(fail)
}

/// The extended attributes copier keeps of a file or directory `node`
/// (`rel` inside `tree`; a final symlink followed only with `follow`).
fn node_xattrs(
    tree: &InRoot,
    rel: &Path,
    node: &Node,
    follow: bool,
) -> std::io::Result<Vec<Xattr>> {
    match &node.kind {
        NodeKind::File(f) => xattrs::read(f),
        NodeKind::Dir { .. } => {
            let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            if !follow {
                flags |= OFlags::NOFOLLOW;
            }
            xattrs::read(tree.open(rel, flags)?)
        }
        _ => Ok(Vec::new()),
    }
}
