//! The chowned copy behind an id-shifted root filesystem where idmapped
//! layers cannot be made (an old kernel, a filesystem without idmapping,
//! or rpod.conf `[storage] id_shift = "copy"`): the image's layers
//! flattened into one tree whose owners are the container's host ids, as
//! containers/storage copies and chowns layers when it cannot idmap them.
//!
//! One copy per image and mapping, under `storage/shifted/<key>/tree`,
//! shared by the containers with the same image and mappings; each user is
//! a file in `<key>/users/`, the copy goes with its last user (the
//! container's storage removal). A copy is built in a temp directory and
//! renamed into place, so a failure or a crash leaves none half-made.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::atomic;
use super::error::{Result, StorageError};
use super::images::Image;
use super::store::Store;
use super::tree_remove::remove_tree_if_exists;
use super::vfs;
use crate::idmap::IdMaps;

/// rpod.conf `[storage] id_shift`: how an id-shifted root filesystem gets
/// its layers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdShiftMode {
    /// Idmapped mounts where the kernel and filesystem allow them, else
    /// the chowned copy.
    #[default]
    Auto,
    /// Always the chowned copy.
    Copy,
}

const SHIFTED_DIR: &str = "shifted";
/// In the container's storage directory: the key of the copy it uses.
const MARKER: &str = "shifted-copy";

impl Store {
    fn shifted_dir(&self) -> PathBuf {
        self.inner.dir.join(SHIFTED_DIR)
    }

    /// The copy of `image` shifted by `maps`, made when missing, with the
    /// container whose storage directory is `cdir` recorded as a user.
    pub(crate) fn shifted_copy(
        &self,
        cdir: &Path,
        image: &Image,
        maps: &IdMaps,
    ) -> Result<PathBuf> {
        let id = container_id(cdir)?;
        let key = copy_key(image, maps);
        let base = self.shifted_dir().join(&key);
        let tree = base.join("tree");
        let users = base.join("users");
        let _lock = self.shifted_lock()?;
        if let Some(old) = read_marker(cdir).filter(|k| *k != key) {
            self.drop_user(&old, &id)?;
        }
        if !tree.is_dir() {
            if let Err(e) = self.build_copy(image, maps, &tree) {
                let _ = fs::remove_dir(&users);
                let _ = fs::remove_dir(&base);
                return Err(e);
            }
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&users)
            .map_err(StorageError::io("creating", &users))?;
        atomic::write_file(&users.join(&id), b"")?;
        atomic::write_file(&cdir.join(MARKER), key.as_bytes())?;
        Ok(tree)
    }

    /// Drops the container's use of its copy (if it has one) and removes
    /// the copy when no other container uses it.
    pub(crate) fn release_shifted_copy(&self, cdir: &Path) -> Result<()> {
        let Some(key) = read_marker(cdir) else {
            return Ok(());
        };
        let _lock = self.shifted_lock()?;
        self.drop_user(&key, &container_id(cdir)?)?;
        let marker = cdir.join(MARKER);
        match fs::remove_file(&marker) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(StorageError::io("removing", &marker)(e))
            }
            _ => Ok(()),
        }
    }

    fn drop_user(&self, key: &str, id: &str) -> Result<()> {
        let base = self.shifted_dir().join(key);
        let users = base.join("users");
        let user = users.join(id);
        match fs::remove_file(&user) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(StorageError::io("removing", &user)(e))
            }
            _ => {}
        }
        let others = fs::read_dir(&users).is_ok_and(|mut d| d.next().is_some());
        if !others {
            remove_tree_if_exists(&base).map_err(StorageError::io("removing", &base))?;
        }
        Ok(())
    }

    /// Flattens the image's layers into a temp directory with shifted
    /// owners, then renames it to `tree`.
    fn build_copy(&self, image: &Image, maps: &IdMaps, tree: &Path) -> Result<()> {
        let mut diffs = Vec::new();
        for chain in &image.layers {
            diffs.push(self.layer_diff_path(chain)?);
        }
        let tmp = self.temp_dir()?;
        vfs::copy_layers_shifted(&diffs, tmp.path(), Some(maps))?;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755))
            .map_err(StorageError::io("chmod", tmp.path()))?;
        std::os::unix::fs::chown(tmp.path(), maps.host_uid(0), maps.host_gid(0))
            .map_err(StorageError::io("chown", tmp.path()))?;
        crate::fault::point("shift.after-copy");
        let parent = tree.parent().unwrap_or(tree);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(StorageError::io("creating", parent))?;
        fs::rename(tmp.path(), tree).map_err(StorageError::io("renaming to", tree))
    }

    fn shifted_lock(&self) -> Result<crate::lock::LockGuard> {
        let dir = self.shifted_dir();
        crate::lock::lock_exclusive(&dir, "copies")
            .map_err(|e| StorageError::io("locking", &dir)(io::Error::other(e.to_string())))
    }
}

fn container_id(cdir: &Path) -> Result<String> {
    cdir.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| StorageError::io("naming", cdir)(io::ErrorKind::InvalidInput.into()))
}

fn read_marker(cdir: &Path) -> Option<String> {
    fs::read_to_string(cdir.join(MARKER))
        .ok()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The image's layers and the mappings, hashed.
fn copy_key(image: &Image, maps: &IdMaps) -> String {
    let mut h = Sha256::new();
    for l in &image.layers {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    for (kind, list) in [("u", &maps.uid), ("g", &maps.gid)] {
        for m in list {
            h.update(format!("{kind}{}:{}:{}\n", m.container, m.host, m.size).as_bytes());
        }
    }
    hex::encode(&h.finalize()[..16])
}
