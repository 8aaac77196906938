//! Names and removal: tagging, untagging, and deleting an image together
//! with the layers and blobs no other image uses.

use std::collections::HashSet;
use std::fs;

use super::atomic;
use super::error::{Result, StorageError};
use super::images::Image;
use super::manifest::Manifest;
use super::store::Store;

impl Store {
    /// Points `name` (fully qualified, `registry/repo:tag`) at image `id`,
    /// moving it away from any other image.
    pub fn tag_image(&self, id: &str, name: &str) -> Result<()> {
        let _guard = self.lock_exclusive()?;
        if !self.load_images()?.iter().any(|i| i.id == id) {
            return Err(StorageError::ImageUnknown(id.to_string()));
        }
        let mut names = self.read_names()?;
        names.insert(name.to_string(), id.to_string());
        atomic::write_json(&self.inner.names, &names)?;
        self.note_names_history(id, &names)
    }

    /// Removes `name` from image `id`. Returns false (and changes nothing)
    /// if the name does not point at that image.
    pub fn untag_image(&self, id: &str, name: &str) -> Result<bool> {
        let _guard = self.lock_exclusive()?;
        let mut names = self.read_names()?;
        if names.get(name).map(String::as_str) != Some(id) {
            return Ok(false);
        }
        names.remove(name);
        atomic::write_json(&self.inner.names, &names)?;
        self.note_names_history(id, &names)?;
        Ok(true)
    }

    /// Deletes image `id`: its names, its record, then the layers and blobs
    /// that no remaining image refers to. The record goes first, so a crash
    /// midway leaves at worst unreferenced layers, never an image without
    /// its layers.
    pub fn remove_image(&self, id: &str) -> Result<()> {
        // A mounted image (`rpod image mount`) is unmounted first: its
        // layers are about to go.
        if super::store::check_id(id).is_ok() {
            self.release_image_mount(id)?;
        }
        let _guard = self.lock_exclusive()?;
        let images = self.load_images()?;
        let Some(image) = images.iter().find(|i| i.id == id).cloned() else {
            return Err(StorageError::ImageUnknown(id.to_string()));
        };
        let blobs = self.manifest_blobs(&image);
        let mut names = self.read_names()?;
        let before = names.len();
        names.retain(|_, v| v != id);
        if names.len() != before {
            atomic::write_json(&self.inner.names, &names)?;
        }
        let dir = self.image_dir(id)?;
        let trash = self.temp_dir_locked()?;
        let target = trash.path().join("image");
        fs::rename(&dir, &target).map_err(StorageError::io("renaming", &dir))?;
        atomic::sync_dir(&self.inner.images)?;

        let others: Vec<&Image> = images.iter().filter(|i| i.id != id).collect();
        let used_layers: HashSet<&str> = others
            .iter()
            .flat_map(|i| i.layers.iter().map(String::as_str))
            .collect();
        let used_blobs: HashSet<String> =
            others.iter().flat_map(|i| self.manifest_blobs(i)).collect();
        for chain in image.layers.iter().rev() {
            if !used_layers.contains(chain.as_str()) {
                self.delete_layer(chain, trash.path())?;
            }
        }
        for blob in blobs {
            if !used_blobs.contains(&blob) {
                self.delete_blob(&blob)?;
            }
        }
        tracing::debug!(image = id, "removed image");
        Ok(())
    }

    /// Digests of the layer blobs an image's manifest names.
    fn manifest_blobs(&self, image: &Image) -> Vec<String> {
        self.image_manifest(image)
            .ok()
            .and_then(|raw| Manifest::parse(&raw).ok())
            .map(|m| m.layers.into_iter().map(|l| l.digest).collect())
            .unwrap_or_default()
    }

    /// Moves a layer into `trash` (removed with it) and drops its short link.
    fn delete_layer(&self, chain: &str, trash: &std::path::Path) -> Result<()> {
        let Some(info) = self.layer(chain)? else {
            return Ok(());
        };
        if self.keep_mounted_layer(chain, &info) {
            return Ok(());
        }
        let link = self.inner.links.join(&info.link);
        match fs::remove_file(&link) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::io("removing", &link)(e)),
        }
        let dir = self.layer_dir(chain)?;
        let target = trash.join(super::layers::digest_hex(chain)?);
        fs::rename(&dir, &target).map_err(StorageError::io("renaming", &dir))?;
        Ok(())
    }
}

impl Store {
    /// Which of `image`'s names the query `name` (as a user would type it)
    /// refers to, resolved like [`Store::lookup_image`].
    /// The `repo@digest` name a digest query gives `image`, if it names
    /// one of its manifests (see [`super::lookup::digest_name`]).
    pub fn digest_name(&self, image: &Image, query: &str) -> Option<String> {
        super::lookup::digest_name(image, query)
    }

    pub fn matching_name(&self, image: &Image, name: &str) -> Option<String> {
        image.names.iter().find_map(|n| {
            let one = Image {
                names: vec![n.clone()],
                ..image.clone()
            };
            let is_id = name
                .strip_prefix("sha256:")
                .unwrap_or(name)
                .chars()
                .all(|c| c.is_ascii_hexdigit());
            if is_id
                && image
                    .id
                    .starts_with(name.strip_prefix("sha256:").unwrap_or(name))
            {
                return None;
            }
            match super::lookup::resolve(std::slice::from_ref(&one), name) {
                Ok(Some(_)) => Some(n.clone()),
                _ => None,
            }
        })
    }
}

impl Store {
    /// Removes those of `layers` and `blobs` that no image refers to (what a
    /// failed load or commit added).
    pub(crate) fn discard_unused(&self, layers: &[String], blobs: &[String]) -> Result<()> {
        let _guard = self.lock_exclusive()?;
        let images = self.load_images()?;
        let used_layers: HashSet<&str> = images
            .iter()
            .flat_map(|i| i.layers.iter().map(String::as_str))
            .collect();
        let used_blobs: HashSet<String> =
            images.iter().flat_map(|i| self.manifest_blobs(i)).collect();
        let trash = self.temp_dir_locked()?;
        for chain in layers.iter().rev() {
            if !used_layers.contains(chain.as_str()) {
                self.delete_layer(chain, trash.path())?;
            }
        }
        for blob in blobs {
            if !used_blobs.contains(blob) {
                self.delete_blob(blob)?;
            }
        }
        Ok(())
    }
}
