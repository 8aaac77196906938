//! docker-archive: `manifest.json` (`[{Config, RepoTags, Layers}]`), the
//! configs as `<id>.json` and uncompressed layers as `<diff-id>.tar`.

use std::fs::File;
use std::io;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::load::{store_image, ImageToLoad, LayerToLoad, LoadedImage};
use super::save::SaveItem;
use super::sink::Sink;
use super::source::Source;
use super::ArchiveError;
use crate::image_ref::reference::{ImageReference, DOCKER_DOMAIN};
use crate::storage::compression::decompress;
use crate::storage::layers::digest_hex;
use crate::storage::manifest::Manifest;
use crate::storage::Store;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// A docker-archive name, normalized as Docker does (`busybox` →
/// `docker.io/library/busybox:latest`).
fn normalize(tag: &str) -> Result<String, ArchiveError> {
    let r = ImageReference::parse(tag)
        .map_err(|e| ArchiveError::Invalid(format!("RepoTags entry {tag:?}: {e}")))?;
    let r = if r.is_short_name() {
        r.qualify(DOCKER_DOMAIN)
    } else {
        r
    };
    Ok(r.storage_name())
}

/// Loads every image of a docker-archive.
pub(crate) fn load(store: &Store, src: &dyn Source) -> Result<Vec<LoadedImage>, ArchiveError> {
    let raw = src.read("manifest.json")?;
    let entries: Vec<Entry> = serde_json::from_slice(&raw)
        .map_err(|e| ArchiveError::Invalid(format!("parsing manifest.json: {e}")))?;
    if entries.is_empty() {
        return Err(ArchiveError::Invalid("manifest.json lists no image".into()));
    }
    let mut out = Vec::new();
    for e in entries {
        let config = src.read(&e.config)?;
        let names = e
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|t| normalize(t))
            .collect::<Result<Vec<_>, _>>()?;
        let layers = e
            .layers
            .iter()
            .map(|p| LayerToLoad {
                path: p.clone(),
                digest: None,
                media_type: None,
            })
            .collect();
        out.push(store_image(
            store,
            src,
            ImageToLoad {
                manifest: None,
                config,
                layers,
                names,
            },
        )?);
    }
    Ok(out)
}

/// Writes `items` as a docker-archive into `sink`.
pub(crate) fn write(
    store: &Store,
    items: &[SaveItem],
    sink: &mut dyn Sink,
) -> Result<(), ArchiveError> {
    let mut entries = Vec::new();
    for item in items {
        let config = store.image_config(&item.image)?;
        let config_path = format!("{}.json", item.image.id);
        if !sink.has(&config_path) {
            sink.add_bytes(&config_path, &config)?;
        }
        let raw = store.image_manifest(&item.image)?;
        let manifest = Manifest::parse(&raw)
            .map_err(|e| ArchiveError::Invalid(format!("parsing stored manifest: {e}")))?;
        let mut layers = Vec::new();
        for (blob, chain) in manifest.layers.iter().zip(&item.image.layers) {
            let info = store
                .layer(chain)?
                .ok_or_else(|| crate::storage::StorageError::LayerUnknown(chain.clone()))?;
            let path = format!("{}.tar", digest_hex(&info.diff_id)?);
            if !sink.has(&path) {
                write_layer(store, &blob.digest, &info.diff_id, &path, sink)?;
            }
            layers.push(path);
        }
        entries.push(Entry {
            config: config_path,
            repo_tags: Some(item.names.clone()),
            layers,
        });
    }
    let manifest = serde_json::to_vec(&entries)
        .map_err(|e| ArchiveError::Invalid(format!("encoding manifest.json: {e}")))?;
    sink.add_bytes("manifest.json", &manifest)
}

/// Adds a layer uncompressed (its digest is then its diff id); returns its
/// size.
pub(super) fn write_layer(
    store: &Store,
    blob: &str,
    diff_id: &str,
    path: &str,
    sink: &mut dyn Sink,
) -> Result<u64, ArchiveError> {
    let file = store.open_blob(blob)?;
    if blob == diff_id {
        let size = file
            .metadata()
            .map_err(|e| ArchiveError::Read(blob.to_string(), e))?
            .len();
        sink.add(path, size, &mut io::BufReader::new(file))?;
        return Ok(size);
    }
    let tmp = store.temp_dir()?;
    let plain = tmp.path().join("layer.tar");
    let (_, mut r) = decompress(file).map_err(|e| ArchiveError::Read(blob.to_string(), e))?;
    let mut w =
        File::create(&plain).map_err(|e| ArchiveError::Write(plain.display().to_string(), e))?;
    let mut hasher = HashingWriter {
        inner: &mut w,
        hasher: Sha256::new(),
    };
    let size =
        io::copy(&mut r, &mut hasher).map_err(|e| ArchiveError::Read(blob.to_string(), e))?;
    let actual = format!("sha256:{}", hex::encode(hasher.hasher.finalize()));
    if actual != diff_id {
        return Err(crate::storage::StorageError::DiffIdMismatch {
            expected: diff_id.to_string(),
            actual,
        }
        .into());
    }
    let f = File::open(&plain).map_err(|e| ArchiveError::Read(plain.display().to_string(), e))?;
    sink.add(path, size, &mut io::BufReader::new(f))?;
    Ok(size)
}

struct HashingWriter<'a, W: io::Write> {
    inner: &'a mut W,
    hasher: Sha256,
}

impl<W: io::Write> io::Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
