//! Manifest lists (`manifest create|add|rm`): `manifest-lists/<id>.json`,
//! each the list's names and its OCI index / Docker manifest list, kept
//! apart from images (a list has no config or layers of its own).

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::atomic;
use super::error::{Result, StorageError};
use super::store::Store;

const LISTS_DIR: &str = "manifest-lists";

/// A stored manifest list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestList {
    /// Random 64-hex id, as Podman gives the list's image.
    pub id: String,
    /// Fully qualified names.
    pub names: Vec<String>,
    /// The list's instances (descriptors with platforms), in order.
    pub manifests: Vec<serde_json::Value>,
    /// The list's annotations.
    #[serde(default)]
    pub annotations: serde_json::Map<String, serde_json::Value>,
    /// Where each instance (by digest) was added from, for `push --all`:
    /// `containers-storage:<image id>` or `docker://<repository>@<digest>`.
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, String>,
}

impl Store {
    fn lists_dir(&self) -> Result<PathBuf> {
        let dir = self.inner.dir.join(LISTS_DIR);
        fs::create_dir_all(&dir).map_err(StorageError::io("creating", &dir))?;
        Ok(dir)
    }

    fn load_lists(&self) -> Result<Vec<ManifestList>> {
        let dir = self.lists_dir()?;
        let mut lists = Vec::new();
        for entry in fs::read_dir(&dir).map_err(StorageError::io("reading", &dir))? {
            let path = entry.map_err(StorageError::io("reading", &dir))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                lists.push(atomic::read_json(&path)?);
            }
        }
        Ok(lists)
    }

    /// The list named `name` (fully qualified) or with id (prefix) `name`.
    pub fn lookup_list(&self, name: &str) -> Result<Option<ManifestList>> {
        let _guard = self.lock_shared()?;
        let lists = self.load_lists()?;
        if let Some(l) = lists.iter().find(|l| l.names.iter().any(|n| n == name)) {
            return Ok(Some(l.clone()));
        }
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if hex.len() >= 3 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let mut found = lists.iter().filter(|l| l.id.starts_with(hex));
            if let (Some(l), None) = (found.next(), found.next()) {
                return Ok(Some(l.clone()));
            }
        }
        Ok(None)
    }

    /// Stores `list` (new or updated). A name is taken from any other list.
    pub fn save_list(&self, list: &ManifestList) -> Result<()> {
        let _guard = self.lock_exclusive()?;
        let dir = self.lists_dir()?;
        for mut other in self.load_lists()? {
            if other.id != list.id && other.names.iter().any(|n| list.names.contains(n)) {
                other.names.retain(|n| !list.names.contains(n));
                atomic::write_json(&dir.join(format!("{}.json", other.id)), &other)?;
            }
        }
        atomic::write_json(&dir.join(format!("{}.json", list.id)), list)
    }

    /// Deletes the list with id `id`; a missing one is fine.
    pub fn delete_list(&self, id: &str) -> Result<()> {
        let _guard = self.lock_exclusive()?;
        let path = self.lists_dir()?.join(format!("{id}.json"));
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("removing", &path)(e)),
        }
    }
}
