//! The layer store: `layers/<chain-id-hex>/{diff,layer.json,link}`, each
//! written in a temp directory and renamed into place only once complete and
//! verified against its diff id.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic;
use super::compression::decompress_buffered;
use super::error::{Result, StorageError};
use super::extract::extract_layer_limited;
use super::limits::{ImageBudget, LimitedReader};
use super::store::Store;
use super::tree_remove::remove_tree_at;

/// Metadata of a stored layer (`layer.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Chain id, `sha256:<hex>`; its hex part names the directory.
    pub chain_id: String,
    /// Digest of the uncompressed layer tar stream, `sha256:<hex>`.
    pub diff_id: String,
    /// Size of the uncompressed tar stream in bytes.
    pub size: u64,
    /// Chain id of the layer below, if any.
    pub parent: Option<String>,
    /// Short name of this layer's `diff` under `storage/l/`.
    pub link: String,
}

/// The chain id of a layer whose parent chain is `parent` (both `sha256:…`).
pub fn chain_id(parent: Option<&str>, diff_id: &str) -> String {
    match parent {
        None => diff_id.to_string(),
        Some(p) => format!(
            "sha256:{}",
            hex::encode(Sha256::digest(format!("{p} {diff_id}").as_bytes()))
        ),
    }
}

/// The hex part of a `sha256:` digest, checked to be a safe file name.
pub(crate) fn digest_hex(digest: &str) -> Result<&str> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(StorageError::InvalidId(digest.to_string()))
    }
}

fn short_link_name() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..26)
        .map(|_| ALPHABET[rand::random::<usize>() % ALPHABET.len()] as char)
        .collect()
}

/// File in a pull's temp directory listing what the pull stored before its
/// image was committed (`layer <chain-id>` and `blob <digest>` lines), so
/// that a pull killed between storing a layer and committing its image
/// leaves no layer that no image refers to: the next [`Store::open`] finds
/// the record in the dead pull's temp directory and removes them.
pub(crate) const STORED_RECORD: &str = "stored";

/// Appends `kind id` to the record `path` (see [`STORED_RECORD`]).
pub(crate) fn record_stored(path: &Path, kind: &str, id: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(StorageError::io("opening", path))?;
    f.write_all(format!("{kind} {id}\n").as_bytes())
        .map_err(StorageError::io("writing", path))
}

impl Store {
    /// Removes what killed pulls stored without committing their image
    /// (their temp directory holds a [`STORED_RECORD`] and its lock is
    /// free), unless an image uses it. Failures are warnings: they never
    /// keep the store from opening.
    pub(crate) fn discard_dead_pulls(&self) {
        let mut layers = Vec::new();
        let mut blobs = Vec::new();
        let Ok(entries) = fs::read_dir(&self.inner.tmp) else {
            return;
        };
        for entry in entries.flatten() {
            let record = entry.path().join(STORED_RECORD);
            let Ok(text) = fs::read_to_string(&record) else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let lock = self
                .inner
                .tmp
                .join(format!("{name}{}", super::store::TMP_LOCK_SUFFIX));
            let alive = fs::File::open(&lock).is_ok_and(|f| {
                rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockShared).is_err()
            });
            if alive {
                continue;
            }
            for line in text.lines() {
                match line.split_once(' ') {
                    Some(("layer", id)) if digest_hex(id).is_ok() => layers.push(id.to_string()),
                    Some(("blob", id)) if digest_hex(id).is_ok() => blobs.push(id.to_string()),
                    _ => {}
                }
            }
        }
        if layers.is_empty() && blobs.is_empty() {
            return;
        }
        tracing::debug!(?layers, ?blobs, "removing what a killed pull stored");
        if let Err(e) = self.discard_unused(&layers, &blobs) {
            tracing::warn!("removing layers of a killed pull: {e}");
        }
    }

    /// Copies the uncompressed layer stream `reader` to `writer` within the
    /// store's limits on a layer and on `image`; `what` names the layer in
    /// the error. Returns the number of bytes copied.
    pub(crate) fn copy_within_limits(
        &self,
        reader: &mut dyn Read,
        writer: &mut dyn Write,
        image: &ImageBudget,
        what: &str,
    ) -> Result<u64> {
        let mut limited = LimitedReader::new(reader, &self.limits, image);
        let res = io::copy(&mut limited, writer);
        if let Some(limit) = limited.exceeded() {
            return Err(StorageError::LayerLimit {
                layer: what.to_string(),
                limit,
            });
        }
        res.map_err(StorageError::Archive)
    }
}

/// Removes the directory `name` in `dir` with [`remove_tree_at`], warning
/// when that fails.
fn discard_tree(dir: &Path, name: &str) {
    let res = rustix::fs::open(
        dir,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(std::io::Error::from)
    .and_then(|fd| remove_tree_at(std::os::fd::AsFd::as_fd(&fd), std::ffi::OsStr::new(name)));
    if let Err(e) = res {
        tracing::warn!(path = %dir.join(name).display(), "removing a refused layer: {e}");
    }
}

impl Store {
    pub(crate) fn layer_dir(&self, chain_id: &str) -> Result<PathBuf> {
        Ok(self.inner.layers.join(digest_hex(chain_id)?))
    }

    /// The unpacked content of a layer.
    pub fn layer_diff_path(&self, chain_id: &str) -> Result<PathBuf> {
        Ok(self.layer_dir(chain_id)?.join("diff"))
    }

    /// The layer with this chain id (`sha256:…` or bare hex), if stored.
    pub fn layer(&self, chain_id: &str) -> Result<Option<LayerInfo>> {
        let path = self.layer_dir(chain_id)?.join("layer.json");
        match fs::metadata(&path) {
            Ok(_) => atomic::read_json(&path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io("reading", &path)(e)),
        }
    }

    /// Unpacks a layer blob (gzip, zstd or plain tar) on top of the chain
    /// `parent` and stores it, unless the uncompressed stream's digest differs
    /// from `expected_diff_id`: then nothing is kept and
    /// [`StorageError::DiffIdMismatch`] is returned. Storing a layer that
    /// already exists (another process won the race) is not an error.
    pub fn create_layer<R: Read + Send>(
        &self,
        parent: Option<&str>,
        expected_diff_id: &str,
        blob: R,
    ) -> Result<LayerInfo> {
        self.create_layer_in(parent, expected_diff_id, blob, &ImageBudget::default())
    }

    /// [`Store::create_layer`] for one layer of an image whose unpacked
    /// bytes so far are `image`: the store's unpack limits apply to the
    /// layer and to the image, and a layer that passes one is refused with
    /// [`StorageError::LayerLimit`], leaving nothing behind.
    pub fn create_layer_in<R: Read + Send>(
        &self,
        parent: Option<&str>,
        expected_diff_id: &str,
        blob: R,
        image: &ImageBudget,
    ) -> Result<LayerInfo> {
        let mut blob = BufReader::with_capacity(128 * 1024, blob);
        self.create_layer_streamed(parent, expected_diff_id, &mut blob, image, |_| Ok(()))
    }

    /// [`Store::create_layer_in`] for a blob that arrives while it is
    /// unpacked: once the layer is unpacked and its diff id verified (or
    /// found already stored), `complete` is called with the blob reader,
    /// before anything is stored; an error from it (the rest of the blob
    /// failed to arrive or to verify) discards the unpacked layer.
    pub(crate) fn create_layer_streamed<R: BufRead + Send>(
        &self,
        parent: Option<&str>,
        expected_diff_id: &str,
        blob: &mut R,
        image: &ImageBudget,
        complete: impl FnOnce(&mut R) -> io::Result<()>,
    ) -> Result<LayerInfo> {
        digest_hex(expected_diff_id)?;
        let chain = chain_id(parent, expected_diff_id);
        let final_dir = self.layer_dir(&chain)?;
        if let Some(info) = self.layer(&chain)? {
            complete(blob).map_err(StorageError::Archive)?;
            return Ok(info);
        }
        let tmp = self.temp_dir()?;
        let diff = tmp.path().join("diff");
        fs::create_dir(&diff).map_err(StorageError::io("creating", &diff))?;
        let (_, reader) = decompress_buffered(&mut *blob).map_err(StorageError::Archive)?;
        let extracted = match extract_layer_limited(reader, &diff, &self.limits, image) {
            Ok(e) => e,
            Err(e) => {
                // Removed here, at any depth, rather than by the temp dir's
                // drop: a hostile tree may be deeper than that can handle.
                discard_tree(tmp.path(), "diff");
                return Err(match e {
                    StorageError::Limit(limit) => StorageError::LayerLimit {
                        layer: format!("layer {expected_diff_id}"),
                        limit,
                    },
                    other => other,
                });
            }
        };
        if extracted.diff_id != expected_diff_id {
            discard_tree(tmp.path(), "diff");
            return Err(StorageError::DiffIdMismatch {
                expected: expected_diff_id.to_string(),
                actual: extracted.diff_id,
            });
        }
        if let Err(e) = complete(blob) {
            discard_tree(tmp.path(), "diff");
            return Err(StorageError::Archive(e));
        }
        let info = LayerInfo {
            chain_id: chain.clone(),
            diff_id: extracted.diff_id,
            size: extracted.size,
            parent: parent.map(str::to_string),
            link: short_link_name(),
        };
        atomic::write_json(&tmp.path().join("layer.json"), &info)?;
        match rustix::fs::renameat_with(CWD, tmp.path(), CWD, &final_dir, RenameFlags::NOREPLACE) {
            Ok(()) => {}
            Err(Errno::EXIST | Errno::NOTEMPTY) => {
                return self
                    .layer(&chain)?
                    .ok_or_else(|| StorageError::LayerUnknown(chain.clone()));
            }
            Err(e) => return Err(StorageError::io("renaming", tmp.path())(e.into())),
        }
        atomic::sync_dir(&self.inner.layers)?;
        tracing::debug!(chain_id = %chain, "stored layer");
        Ok(info)
    }
}
