//! skopeo's `dir:` transport: `version`, `manifest.json` (raw, unchanged)
//! and every blob named by its hex digest.

use std::io;

use super::load::{store_image, ImageToLoad, LayerToLoad, LoadedImage};
use super::save::SaveItem;
use super::sink::Sink;
use super::source::Source;
use super::ArchiveError;
use crate::storage::layers::digest_hex;
use crate::storage::manifest::Manifest;
use crate::storage::Store;

const VERSION: &str = "Directory Transport Version: 1.1\n";

fn hex_of(digest: &str) -> Result<String, ArchiveError> {
    digest_hex(digest)
        .map(str::to_string)
        .map_err(|_| ArchiveError::Invalid(format!("unsupported digest {digest:?}")))
}

/// Loads the image of a `dir:` directory (it carries no name).
pub(crate) fn load(store: &Store, src: &dyn Source) -> Result<LoadedImage, ArchiveError> {
    let raw = src.read("manifest.json")?;
    let m = Manifest::parse(&raw)
        .map_err(|e| ArchiveError::Invalid(format!("parsing manifest.json: {e}")))?;
    let config = src.read(&hex_of(&m.config.digest)?)?;
    let layers = m
        .layers
        .iter()
        .map(|l| {
            Ok(LayerToLoad {
                path: hex_of(&l.digest)?,
                digest: Some(l.digest.clone()),
                media_type: Some(l.media_type.clone()),
            })
        })
        .collect::<Result<Vec<_>, ArchiveError>>()?;
    store_image(
        store,
        src,
        ImageToLoad {
            manifest: Some(raw),
            config,
            layers,
            names: Vec::new(),
        },
    )
}

/// Writes one image in `dir:` form.
pub(crate) fn write(
    store: &Store,
    item: &SaveItem,
    sink: &mut dyn Sink,
) -> Result<(), ArchiveError> {
    let raw = store.image_manifest(&item.image)?;
    let m = Manifest::parse(&raw)
        .map_err(|e| ArchiveError::Invalid(format!("parsing stored manifest: {e}")))?;
    sink.add_bytes(
        &hex_of(&m.config.digest)?,
        &store.image_config(&item.image)?,
    )?;
    for l in &m.layers {
        let f = store.open_blob(&l.digest)?;
        let size = f
            .metadata()
            .map_err(|e| ArchiveError::Read(l.digest.clone(), e))?
            .len();
        sink.add(&hex_of(&l.digest)?, size, &mut io::BufReader::new(f))?;
    }
    sink.add_bytes("manifest.json", &raw)?;
    sink.add_bytes("version", VERSION.as_bytes())
}
