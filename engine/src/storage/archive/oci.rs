//! OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`), as a
//! directory or inside a tar (oci-archive).

use std::io;

use serde_json::{json, Value};

use super::load::{store_image, ImageToLoad, LayerToLoad, LoadedImage};
use super::save::SaveItem;
use super::sink::Sink;
use super::source::Source;
use super::ArchiveError;
use crate::image_ref::platform::{self, IndexEntry, PlatformWanted};
use crate::image_ref::reference::ImageReference;
use crate::storage::layers::digest_hex;
use crate::storage::manifest::{self, Manifest, OCI_INDEX, OCI_MANIFEST};
use crate::storage::Store;

/// Annotation naming an image in an index.
pub(crate) const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn blob_path(digest: &str) -> Result<String, ArchiveError> {
    let hex = digest_hex(digest)
        .map_err(|_| ArchiveError::Invalid(format!("unsupported digest {digest:?}")))?;
    Ok(format!("blobs/sha256/{hex}"))
}

/// Reads a blob and checks its digest.
fn read_blob(src: &dyn Source, digest: &str) -> Result<Vec<u8>, ArchiveError> {
    let data = src.read(&blob_path(digest)?)?;
    let actual = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data))
    );
    if actual != digest {
        return Err(ArchiveError::DigestMismatch {
            expected: digest.to_string(),
            actual,
        });
    }
    Ok(data)
}

/// The stored name for a `ref.name` annotation: a full reference stays, a
/// short one goes under `localhost/`; a bare tag names nothing.
fn name_for(ref_name: &str) -> Option<String> {
    if !ref_name.contains('/') && !ref_name.contains(':') {
        return None;
    }
    let r = ImageReference::parse(ref_name).ok()?;
    let r = if r.is_short_name() {
        r.qualify("localhost")
    } else {
        r
    };
    Some(r.storage_name())
}

/// Loads the images of an OCI layout (only those whose ref name is
/// `reference`, if given). An index inside the index yields the image for
/// the host platform.
pub(crate) fn load(
    store: &Store,
    src: &dyn Source,
    reference: Option<&str>,
) -> Result<Vec<LoadedImage>, ArchiveError> {
    let index: Value = serde_json::from_slice(&src.read("index.json")?)
        .map_err(|e| ArchiveError::Invalid(format!("parsing index.json: {e}")))?;
    let entries = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for e in entries {
        let ref_name = e
            .pointer(&format!("/annotations/{}", REF_NAME.replace('/', "~1")))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(want) = reference {
            if ref_name.as_deref() != Some(want) {
                continue;
            }
        }
        let mut digest = e
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| ArchiveError::Invalid("index entry without digest".into()))?
            .to_string();
        let mut raw = read_blob(src, &digest)?;
        let media = e.get("mediaType").and_then(Value::as_str).unwrap_or("");
        if media == OCI_INDEX || media == manifest::DOCKER_LIST {
            let nested: Value = serde_json::from_slice(&raw)
                .map_err(|err| ArchiveError::Invalid(format!("parsing index {digest}: {err}")))?;
            let list: Vec<IndexEntry> =
                serde_json::from_value(nested.get("manifests").cloned().unwrap_or(json!([])))
                    .map_err(|err| {
                        ArchiveError::Invalid(format!("parsing index {digest}: {err}"))
                    })?;
            digest = platform::choose(&list, &PlatformWanted::default())
                .map_err(ArchiveError::Invalid)?;
            raw = read_blob(src, &digest)?;
        }
        let m = Manifest::parse(&raw)
            .map_err(|err| ArchiveError::Invalid(format!("parsing manifest {digest}: {err}")))?;
        let config = read_blob(src, &m.config.digest)?;
        let layers = m
            .layers
            .iter()
            .map(|l| {
                Ok(LayerToLoad {
                    path: blob_path(&l.digest)?,
                    digest: Some(l.digest.clone()),
                    media_type: Some(l.media_type.clone()),
                })
            })
            .collect::<Result<Vec<_>, ArchiveError>>()?;
        let names = ref_name.as_deref().and_then(name_for).into_iter().collect();
        out.push(store_image(
            store,
            src,
            ImageToLoad {
                manifest: Some(raw),
                config,
                layers,
                names,
            },
        )?);
    }
    if out.is_empty() {
        return Err(match reference {
            Some(r) => ArchiveError::Invalid(format!("no image named {r:?} in index.json")),
            None => ArchiveError::Invalid("index.json lists no image".into()),
        });
    }
    Ok(out)
}

/// Writes `item`'s layers uncompressed (digest = diff id, as
/// `--uncompressed` asks) and returns its manifest pointing at them.
fn write_plain_layers(
    store: &Store,
    item: &SaveItem,
    oci: &[u8],
    sink: &mut dyn Sink,
    plain_sizes: &mut std::collections::HashMap<String, u64>,
) -> Result<Vec<u8>, ArchiveError> {
    let bad = |e: serde_json::Error| ArchiveError::Invalid(format!("parsing stored manifest: {e}"));
    let mut doc: Value = serde_json::from_slice(oci).map_err(bad)?;
    let layers = doc
        .get_mut("layers")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ArchiveError::Invalid("stored manifest has no layers".into()))?;
    for (layer, chain) in layers.iter_mut().zip(&item.image.layers) {
        let info = store
            .layer(chain)?
            .ok_or_else(|| crate::storage::StorageError::LayerUnknown(chain.clone()))?;
        let blob = layer
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let size = match plain_sizes.get(&info.diff_id) {
            Some(size) => *size,
            None => {
                let path = blob_path(&info.diff_id)?;
                let size = super::docker::write_layer(store, &blob, &info.diff_id, &path, sink)?;
                plain_sizes.insert(info.diff_id.clone(), size);
                size
            }
        };
        layer["mediaType"] = json!("application/vnd.oci.image.layer.v1.tar");
        layer["digest"] = json!(info.diff_id);
        layer["size"] = json!(size);
    }
    serde_json::to_vec(&doc).map_err(bad)
}

/// Writes `items` as an OCI layout into `sink`; `existing` is the index of
/// a layout directory being added to (entries with the same names are
/// replaced). Docker manifests are converted to OCI media types.
pub(crate) fn write(
    store: &Store,
    items: &[SaveItem],
    sink: &mut dyn Sink,
    existing: Option<Value>,
    uncompressed: bool,
) -> Result<(), ArchiveError> {
    // Uncompressed layers written so far: diff id → size.
    let mut plain_sizes: std::collections::HashMap<String, u64> = Default::default();
    let mut manifests: Vec<Value> = existing
        .and_then(|v| v.get("manifests").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    sink.add_bytes("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    for item in items {
        let raw = store.image_manifest(&item.image)?;
        let mut oci = manifest::to_oci(&raw)
            .map_err(|e| ArchiveError::Invalid(format!("parsing stored manifest: {e}")))?;
        if uncompressed {
            oci = write_plain_layers(store, item, &oci, sink, &mut plain_sizes)?;
        }
        let m = Manifest::parse(&oci)
            .map_err(|e| ArchiveError::Invalid(format!("parsing stored manifest: {e}")))?;
        let config = store.image_config(&item.image)?;
        let cpath = blob_path(&m.config.digest)?;
        if !sink.has(&cpath) {
            sink.add_bytes(&cpath, &config)?;
        }
        for l in &m.layers {
            let p = blob_path(&l.digest)?;
            if sink.has(&p) || plain_sizes.contains_key(&l.digest) {
                continue;
            }
            let f = store.open_blob(&l.digest)?;
            let size = f
                .metadata()
                .map_err(|e| ArchiveError::Read(l.digest.clone(), e))?
                .len();
            sink.add(&p, size, &mut io::BufReader::new(f))?;
        }
        let digest = format!(
            "sha256:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&oci))
        );
        let mpath = blob_path(&digest)?;
        if !sink.has(&mpath) {
            sink.add_bytes(&mpath, &oci)?;
        }
        let names: Vec<&String> = item.names.iter().collect();
        let mut entry = json!({
            "mediaType": OCI_MANIFEST,
            "digest": digest,
            "size": oci.len(),
        });
        manifests.retain(|e| {
            let n = e
                .pointer(&format!("/annotations/{}", REF_NAME.replace('/', "~1")))
                .and_then(Value::as_str);
            !n.is_some_and(|n| names.iter().any(|x| x.as_str() == n))
        });
        if names.is_empty() {
            manifests.push(entry);
        } else {
            for n in names {
                entry["annotations"] = json!({ REF_NAME: n });
                manifests.push(entry.clone());
            }
        }
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec(&index)
        .map_err(|e| ArchiveError::Invalid(format!("encoding index.json: {e}")))?;
    sink.add_bytes("index.json", &bytes)
}
