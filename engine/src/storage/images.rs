//! The image store: `images/<id>/{manifest.json,config.json,image.json}`
//! (raw manifest and config bytes kept exactly) and the names index
//! `names.json` (a name points to one image at a time).

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use rustix::fs::{RenameFlags, CWD};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic;
use super::error::{Result, StorageError};
use super::layers::digest_hex;
use super::lookup;
use super::store::Store;

const MANIFEST_FILE: &str = "manifest.json";
const CONFIG_FILE: &str = "config.json";
const IMAGE_FILE: &str = "image.json";

/// A stored image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Image id: hex sha256 of the config blob (64 chars).
    pub id: String,
    /// Digest of the stored manifest, `sha256:…`.
    pub digest: String,
    /// Every manifest digest this image was pulled by (manifests and
    /// manifest lists / indexes), `digest` included.
    pub digests: Vec<String>,
    /// Fully qualified names (`registry/repo:tag`); filled from the names index.
    #[serde(skip)]
    pub names: Vec<String>,
    /// Creation time from the config (RFC 3339), if present.
    pub created: Option<String>,
    /// Sum of the uncompressed layer sizes.
    pub size: u64,
    /// Layer chain ids (`sha256:…`), bottom layer first.
    pub layers: Vec<String>,
    /// When the image was first stored (Unix seconds).
    pub added_at: i64,
    /// Every name the image had, latest first, removed ones included
    /// (containers/storage's NamesHistory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names_history: Vec<String>,
}

/// What [`Store::commit_image`] stores.
#[derive(Debug, Clone)]
pub struct NewImage<'a> {
    /// Raw manifest bytes, kept exactly.
    pub manifest: &'a [u8],
    /// Digest of `manifest`.
    pub manifest_digest: &'a str,
    /// Other digests to record (the manifest list / index the manifest was chosen from).
    pub extra_digests: &'a [String],
    /// Raw config bytes, kept exactly; the image id is their sha256.
    pub config: &'a [u8],
    /// Chain ids of the image's layers, bottom first; all must be stored.
    pub layers: &'a [String],
    /// Names to point at this image (moved away from other images).
    pub names: &'a [String],
}

#[derive(Deserialize)]
struct ConfigCreated {
    created: Option<String>,
}

type NamesIndex = BTreeMap<String, String>;

impl Store {
    pub(crate) fn image_dir(&self, id: &str) -> Result<PathBuf> {
        Ok(self.inner.images.join(digest_hex(id)?))
    }

    pub(crate) fn read_names(&self) -> Result<NamesIndex> {
        match fs::metadata(&self.inner.names) {
            Ok(_) => atomic::read_json(&self.inner.names),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(NamesIndex::new()),
            Err(e) => Err(StorageError::io("reading", &self.inner.names)(e)),
        }
    }

    /// Records the names image `id` has now (per `names`) in its name
    /// history, as containers/storage does on every change of an image's
    /// names: each current name moves to the front, in order. Caller holds
    /// the exclusive lock.
    pub(crate) fn note_names_history(&self, id: &str, names: &NamesIndex) -> Result<()> {
        let path = self.image_dir(id)?.join(IMAGE_FILE);
        let mut record: Image = atomic::read_json(&path)?;
        for n in names.iter().filter(|(_, i)| *i == id).map(|(n, _)| n) {
            record.names_history.retain(|h| h != n);
            record.names_history.insert(0, n.clone());
        }
        atomic::write_json(&path, &record)
    }

    /// Reads all image records with their names; caller holds a lock.
    pub(crate) fn load_images(&self) -> Result<Vec<Image>> {
        let names = self.read_names()?;
        let dir = &self.inner.images;
        let mut images = Vec::new();
        for entry in fs::read_dir(dir).map_err(StorageError::io("reading", dir))? {
            let entry = entry.map_err(StorageError::io("reading", dir))?;
            let path = entry.path().join(IMAGE_FILE);
            if !path.exists() {
                continue;
            }
            let mut img: Image = atomic::read_json(&path)?;
            img.names = names
                .iter()
                .filter(|(_, id)| **id == img.id)
                .map(|(n, _)| n.clone())
                .collect();
            images.push(img);
        }
        images.sort_by(|a, b| b.added_at.cmp(&a.added_at).then(a.id.cmp(&b.id)));
        Ok(images)
    }

    /// All stored images, most recently added first.
    pub fn images(&self) -> Result<Vec<Image>> {
        let _guard = self.lock_shared()?;
        self.load_images()
    }

    /// Finds an image the way Podman resolves local images: full id or
    /// unique id prefix (with or without `sha256:`), exact name, name without
    /// tag as `:latest`, short names matching `*/name:tag` (docker.io/library
    /// first, then localhost, then others), `name@sha256:…` by manifest digest.
    pub fn lookup_image(&self, name_or_id: &str) -> Result<Option<Image>> {
        let _guard = self.lock_shared()?;
        let images = self.load_images()?;
        Ok(lookup::resolve(&images, name_or_id)?.cloned())
    }

    /// [`Store::lookup_image`] with the name the query resolved to (see
    /// [`lookup::resolve_named`]).
    pub fn lookup_image_named(&self, name_or_id: &str) -> Result<Option<(Image, String)>> {
        let _guard = self.lock_shared()?;
        let images = self.load_images()?;
        Ok(lookup::resolve_named(&images, name_or_id)?.map(|(i, n)| (i.clone(), n)))
    }

    /// The raw config bytes of an image.
    pub fn image_config(&self, image: &Image) -> Result<Vec<u8>> {
        let path = self.image_dir(&image.id)?.join(CONFIG_FILE);
        fs::read(&path).map_err(StorageError::io("reading", &path))
    }

    /// The raw manifest bytes of an image (the one named by `image.digest`).
    pub fn image_manifest(&self, image: &Image) -> Result<Vec<u8>> {
        let path = self.image_dir(&image.id)?.join(MANIFEST_FILE);
        fs::read(&path).map_err(StorageError::io("reading", &path))
    }

    /// Stores an image whose layers are all present and points `names` at
    /// it. Committing an image that exists updates its manifest and digests
    /// and adds the names.
    pub fn commit_image(&self, new: &NewImage<'_>) -> Result<Image> {
        let id = hex::encode(Sha256::digest(new.config));
        let created = serde_json::from_slice::<ConfigCreated>(new.config)
            .map_err(|e| StorageError::InvalidConfig(e.to_string()))?
            .created;
        digest_hex(new.manifest_digest)?;
        let _guard = self.lock_exclusive()?;
        let mut size = 0;
        for chain in new.layers {
            let info = self
                .layer(chain)?
                .ok_or_else(|| StorageError::LayerUnknown(chain.clone()))?;
            size += info.size;
        }
        let dir = self.image_dir(&id)?;
        let record_path = dir.join(IMAGE_FILE);
        let mut digests = vec![new.manifest_digest.to_string()];
        for d in new.extra_digests {
            if !digests.contains(d) {
                digests.push(d.clone());
            }
        }
        if record_path.exists() {
            let mut record: Image = atomic::read_json(&record_path)?;
            for d in record.digests.drain(..) {
                if !digests.contains(&d) {
                    digests.push(d);
                }
            }
            record.digests = digests;
            record.digest = new.manifest_digest.to_string();
            atomic::write_file(&dir.join(MANIFEST_FILE), new.manifest)?;
            atomic::write_json(&record_path, &record)?;
        } else {
            let record = Image {
                id: id.clone(),
                digest: new.manifest_digest.to_string(),
                digests,
                names: Vec::new(),
                created,
                size,
                layers: new.layers.to_vec(),
                names_history: Vec::new(),
                added_at: chrono::Utc::now().timestamp(),
            };
            let tmp = self.temp_dir_locked()?;
            atomic::write_file(&tmp.path().join(MANIFEST_FILE), new.manifest)?;
            atomic::write_file(&tmp.path().join(CONFIG_FILE), new.config)?;
            atomic::write_json(&tmp.path().join(IMAGE_FILE), &record)?;
            match rustix::fs::renameat_with(CWD, tmp.path(), CWD, &dir, RenameFlags::NOREPLACE) {
                Ok(()) => {}
                // Only a half-removed image dir can be in the way while we
                // hold the exclusive lock: replace it.
                Err(Errno::EXIST | Errno::NOTEMPTY) => {
                    super::tree_remove::remove_tree(&dir)
                        .map_err(StorageError::io("removing", &dir))?;
                    fs::rename(tmp.path(), &dir)
                        .map_err(StorageError::io("renaming", tmp.path()))?;
                }
                Err(e) => return Err(StorageError::io("renaming", tmp.path())(e.into())),
            }
            atomic::sync_dir(&self.inner.images)?;
        }
        if !new.names.is_empty() {
            let mut names = self.read_names()?;
            for n in new.names {
                names.insert(n.clone(), id.clone());
            }
            atomic::write_json(&self.inner.names, &names)?;
            self.note_names_history(&id, &names)?;
        }
        self.load_images()?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or(StorageError::ImageUnknown(id))
    }
}
