//! Storing an image read from an archive: each layer blob copied to the
//! store's temp area while hashed, checked, unpacked (diff id checked) and
//! kept as a blob; on failure, the layers and blobs this load added are
//! removed again.

use std::fs::File;
use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::source::Source;
use super::ArchiveError;
use crate::storage::compression::{decompress, Compression};
use crate::storage::manifest::{
    build_oci_manifest, Descriptor, Manifest, OCI_CONFIG, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD,
};
use crate::storage::{chain_id, Image, ImageBudget, NewImage, Store};

/// One image as an archive describes it.
pub(crate) struct ImageToLoad {
    /// Raw manifest to keep (OCI layouts, `dir:`), or `None` to build an
    /// OCI manifest (docker-archive).
    pub manifest: Option<Vec<u8>>,
    /// Raw config bytes.
    pub config: Vec<u8>,
    /// Layers, bottom first.
    pub layers: Vec<LayerToLoad>,
    /// Names to give the image.
    pub names: Vec<String>,
}

/// Where a layer blob is in the archive.
pub(crate) struct LayerToLoad {
    /// Path inside the source.
    pub path: String,
    /// The digest the manifest names, if there is a manifest.
    pub digest: Option<String>,
    /// The media type the manifest names.
    pub media_type: Option<String>,
}

/// A stored image and the names it was loaded under.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// The stored image.
    pub image: Image,
    /// Names given to it by the archive.
    pub names: Vec<String>,
}

#[derive(serde::Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ConfigProbe {
    rootfs: RootFs,
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// What [`store_image`] added, removed again if the load fails.
#[derive(Default)]
pub(crate) struct Added {
    layers: Vec<String>,
    blobs: Vec<String>,
}

impl Added {
    pub(crate) fn discard(self, store: &Store) {
        if let Err(e) = store.discard_unused(&self.layers, &self.blobs) {
            tracing::warn!("removing layers of a failed load: {e}");
        }
    }
}

/// Stores `img` from `src` (see the module doc).
pub(crate) fn store_image(
    store: &Store,
    src: &dyn Source,
    img: ImageToLoad,
) -> Result<LoadedImage, ArchiveError> {
    let mut added = Added::default();
    match store_image_inner(store, src, img, &mut added) {
        Ok(l) => Ok(l),
        Err(e) => {
            added.discard(store);
            Err(e)
        }
    }
}

fn store_image_inner(
    store: &Store,
    src: &dyn Source,
    img: ImageToLoad,
    added: &mut Added,
) -> Result<LoadedImage, ArchiveError> {
    let diff_ids = serde_json::from_slice::<ConfigProbe>(&img.config)
        .map_err(|e| ArchiveError::Invalid(format!("parsing image config: {e}")))?
        .rootfs
        .diff_ids;
    if diff_ids.len() != img.layers.len() {
        return Err(ArchiveError::Invalid(format!(
            "image config has {} diff IDs but the manifest has {} layers",
            diff_ids.len(),
            img.layers.len()
        )));
    }
    let config_digest = sha256(&img.config);
    if let Some(raw) = &img.manifest {
        let m = Manifest::parse(raw)
            .map_err(|e| ArchiveError::Invalid(format!("parsing manifest: {e}")))?;
        if m.config.digest != config_digest {
            return Err(ArchiveError::DigestMismatch {
                expected: m.config.digest,
                actual: config_digest,
            });
        }
    }
    let mut chains = Vec::new();
    let mut descriptors = Vec::new();
    let mut parent: Option<String> = None;
    let budget = ImageBudget::default();
    for (layer, diff_id) in img.layers.iter().zip(&diff_ids) {
        let chain = chain_id(parent.as_deref(), diff_id);
        let (digest, size, compression) = store_layer(
            store,
            src,
            layer,
            parent.as_deref(),
            diff_id,
            &budget,
            added,
        )?;
        let media_type = match (layer.media_type.clone(), compression) {
            (Some(t), _) => t,
            (None, Compression::Gzip) => OCI_LAYER_GZIP.to_string(),
            (None, Compression::Zstd) => OCI_LAYER_ZSTD.to_string(),
            (None, Compression::None) => OCI_LAYER.to_string(),
            // No OCI media type names these: not stored as they are.
            (None, other) => {
                return Err(ArchiveError::Invalid(format!(
                    "layer {}: {other:?} compressed layers are not supported",
                    layer.path
                )))
            }
        };
        descriptors.push(Descriptor {
            media_type,
            digest,
            size,
            annotations: None,
        });
        chains.push(chain.clone());
        parent = Some(chain);
    }
    let manifest = match img.manifest {
        Some(raw) => raw,
        None => build_oci_manifest(
            &Descriptor {
                media_type: OCI_CONFIG.to_string(),
                digest: config_digest,
                size: img.config.len() as u64,
                annotations: None,
            },
            &descriptors,
        ),
    };
    let manifest_digest = sha256(&manifest);
    let image = store.commit_image(&NewImage {
        manifest: &manifest,
        manifest_digest: &manifest_digest,
        extra_digests: &[],
        config: &img.config,
        layers: &chains,
        names: &img.names,
    })?;
    Ok(LoadedImage {
        image,
        names: img.names,
    })
}

/// Copies one layer blob into the store; returns its digest, size and
/// compression.
fn store_layer(
    store: &Store,
    src: &dyn Source,
    layer: &LayerToLoad,
    parent: Option<&str>,
    diff_id: &str,
    budget: &ImageBudget,
    added: &mut Added,
) -> Result<(String, u64, Compression), ArchiveError> {
    let chain = chain_id(parent, diff_id);
    let tmp = store.temp_dir()?;
    let path = tmp.path().join("blob");
    let (mut reader, size) = src.open(&layer.path)?;
    let mut file =
        File::create(&path).map_err(|e| ArchiveError::Write(path.display().to_string(), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut count = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ArchiveError::Read(layer.path.clone(), e)),
        };
        hasher.update(&buf[..n]);
        count += n as u64;
        file.write_all(&buf[..n])
            .map_err(|e| ArchiveError::Write(path.display().to_string(), e))?;
    }
    if count < size {
        return Err(ArchiveError::Truncated(layer.path.clone()));
    }
    drop(file);
    let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
    if let Some(expected) = &layer.digest {
        if *expected != digest {
            return Err(ArchiveError::DigestMismatch {
                expected: expected.clone(),
                actual: digest,
            });
        }
    }
    let open = || File::open(&path).map_err(|e| ArchiveError::Read(path.display().to_string(), e));
    let (compression, _) =
        decompress(open()?).map_err(|e| ArchiveError::Read(layer.path.clone(), e))?;
    let existed = store.layer(&chain)?.is_some();
    if existed {
        // The stored layer is not re-read: check this blob is that layer.
        let (_, mut plain) =
            decompress(open()?).map_err(|e| ArchiveError::Read(layer.path.clone(), e))?;
        let mut h = Sha256::new();
        store.copy_within_limits(
            &mut plain,
            &mut HashWriter(&mut h),
            budget,
            &format!("layer {diff_id}"),
        )?;
        let actual = format!("sha256:{}", hex::encode(h.finalize()));
        if actual != diff_id {
            return Err(crate::storage::StorageError::DiffIdMismatch {
                expected: diff_id.to_string(),
                actual,
            }
            .into());
        }
    } else {
        store.create_layer_in(parent, diff_id, io::BufReader::new(open()?), budget)?;
    }
    if !existed {
        added.layers.push(chain);
    }
    if !store.has_blob(&digest) {
        store.adopt_blob(&path, &digest)?;
        added.blobs.push(digest.clone());
    }
    Ok((digest, count, compression))
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
