//! Copying an image from one registry to another without storing it
//! (`manifest push --all` of instances added from a registry): the
//! manifest and config are read, each layer blob is downloaded into a temp
//! dir (and verified), then uploaded as a push does.

use std::io::Write;

use oci_client::errors::OciDistributionError;

use super::error::describe;
use super::pull::{connect_source, fetch_config, oci_reference, sha256_digest, ACCEPTED_MANIFESTS};
use super::push::{apply_compression, upload_image, ImageFiles, PushError, PushOptions, Pushed};
use super::PullOptions;
use crate::image_ref::reference::ImageReference;
use crate::storage::manifest::Manifest;
use crate::storage::Store;

/// Copies `source` (a reference by digest) to `dest`.
pub async fn copy_image(
    store: &Store,
    source: &ImageReference,
    dest: &ImageReference,
    pull: &PullOptions,
    push: &PushOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Pushed, PushError> {
    let shown = source.to_string();
    let err = |m: String| PushError::Source(format!("reading {shown}: {m}"));
    let conf = &pull.registries_conf;
    let sources = conf
        .pull_sources(source)
        .map_err(|b| PushError::Blocked(b.registry))?;
    let src = sources
        .first()
        .ok_or_else(|| err("no pull source".to_string()))?;
    let registry = src.reference.domain.clone().unwrap_or_default();
    let endpoint = connect_source(src, pull).await.map_err(err)?;
    let oref = oci_reference(&src.reference);
    let describe_err = |e: OciDistributionError, what: &str| err(describe(&e, what, &registry));
    let (raw, _) = endpoint
        .client
        .pull_manifest_raw(&oref, &endpoint.auth, ACCEPTED_MANIFESTS)
        .await
        .map_err(|e| describe_err(e, "reading manifest"))?;
    let raw = raw.to_vec();
    if let Some(want) = &source.digest {
        let got = sha256_digest(&raw);
        if &got != want {
            return Err(err(format!(
                "manifest digest did not match, expected {want}, got {got}"
            )));
        }
    }
    let manifest = Manifest::parse(&raw).map_err(|e| err(format!("parsing manifest: {e}")))?;
    let config = fetch_config(&endpoint.client, &oref, &manifest.config.digest, &registry)
        .await
        .map_err(|e| err(e.to_string()))?;
    let scratch = store.temp_dir()?;
    let mut files = Vec::with_capacity(manifest.layers.len());
    for (i, l) in manifest.layers.iter().enumerate() {
        let path = scratch.path().join(format!("blob-{i}"));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| err(format!("creating {}: {e}", path.display())))?;
        endpoint
            .client
            .pull_blob(&oref, l.digest.as_str(), &mut file)
            .await
            .map_err(|e| describe_err(e, "reading blob"))?;
        files.push((l.digest.clone(), path));
    }
    let (raw, manifest, files) =
        apply_compression(raw, manifest, files, dest, push, scratch.path(), &shown).await?;
    let pushed = upload_image(
        ImageFiles {
            raw,
            manifest,
            config,
            layers: files,
            known_as: &[],
        },
        dest,
        push,
        progress,
    )
    .await?;
    drop(scratch);
    Ok(pushed)
}
