//! How many ids an image needs: one past the highest uid or gid owning a
//! file of its layers or named in its /etc/passwd and /etc/group (the
//! `nobody`/`nogroup` entries and id 65534 aside), as containers/storage
//! sizes a `--userns=auto` namespace when no `size` is given.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::{Result, StorageError};
use super::images::Image;
use super::store::Store;

/// The overflow id ("nobody"), left out of /etc/passwd and /etc/group.
const NOBODY: u32 = 65534;

impl Store {
    /// The size of the id range `image` needs.
    pub fn id_range_needed(&self, image: &Image) -> Result<u32> {
        let mut diffs = Vec::new();
        for chain in &image.layers {
            diffs.push(self.layer_diff_path(chain)?);
        }
        let mut size = 0u32;
        for diff in &diffs {
            size = size.max(tree_size(diff).map_err(StorageError::io("reading", diff))?);
        }
        // The topmost layer holding each file has the image's copy.
        for (file, is_group) in [("etc/passwd", false), ("etc/group", true)] {
            if let Some(text) = diffs.iter().rev().find_map(|d| regular_file(d, file)) {
                size = size.max(user_file_size(&text, is_group));
            }
        }
        Ok(size)
    }
}

/// One past the highest owner of anything under `dir` (symlinks not
/// followed).
fn tree_size(dir: &Path) -> io::Result<u32> {
    let mut size = 0u32;
    let mut todo: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            size = size
                .max(meta.uid().saturating_add(1))
                .max(meta.gid().saturating_add(1));
            if meta.is_dir() {
                todo.push(entry.path());
            }
        }
    }
    Ok(size)
}

/// `rel` in layer `diff` when it is a regular file reached without
/// symlinks; `None` when the layer lacks it (or hides it).
fn regular_file(diff: &Path, rel: &str) -> Option<String> {
    let mut path = diff.to_owned();
    for part in Path::new(rel).components() {
        path.push(part);
        let meta = fs::symlink_metadata(&path).ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .and_then(|_| fs::read_to_string(&path).ok())
}

/// One past the highest uid/gid of /etc/passwd entries (`is_group`:
/// /etc/group's gids), as containers/storage's parseMountedFiles.
fn user_file_size(text: &str, is_group: bool) -> u32 {
    let mut size = 0u32;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 3 || f[0] == "nobody" || f[0] == "nogroup" {
            continue;
        }
        let ids = if is_group {
            &f[2..3]
        } else {
            &f[2..f.len().min(4)]
        };
        for id in ids.iter().filter_map(|i| i.trim().parse::<u32>().ok()) {
            if id > size && id != NOBODY {
                size = id.saturating_add(1);
            }
        }
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_ids_but_nobody() {
        let passwd = "root:x:0:0::/root:/bin/sh\nsvc:x:1500:1600::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
        assert_eq!(user_file_size(passwd, false), 1601);
        let group = "root:x:0:\nwheel:x:10:\nbig:x:70000:\nnogroup:x:65534:\n";
        assert_eq!(user_file_size(group, true), 70001);
        assert_eq!(user_file_size("odd:x:65534:65534::/:/bin/sh\n", false), 0);
    }

    #[test]
    fn file_owners_count() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/f"), "x").unwrap();
        std::os::unix::fs::lchown(dir.path().join("d/f"), Some(3000), Some(20)).unwrap();
        assert_eq!(tree_size(dir.path()).unwrap(), 3001);
    }
}
