//! Pushing a stored image to a registry with its manifest bytes unchanged
//! (so its digest stays): for each layer blob, skip it if the registry has
//! it, else try a cross-repository mount from another repository of the same
//! registry the image is known under, else upload it from the blob store —
//! in one PUT up to [`MONOLITHIC_MAX`] bytes, in chunks beyond; then the
//! config, then the manifest (`push_manifest_raw`).

use std::io::Write;
use std::path::PathBuf;

use futures_util::{StreamExt, TryStreamExt};
use oci_client::errors::OciDistributionError;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::client::{connect, ConnectError, ConnectOptions};
use super::error::describe;
use super::mount::Mounter;
use super::recompress::{self, CompressionError, Recompress, Rewritten};
use super::registries_conf::RegistriesConf;
use crate::image_ref::reference::{ImageReference, ReferenceError};
use crate::storage::manifest::Manifest;
use crate::storage::{Image, StorageError, Store};

/// Blobs up to this size are uploaded in one request; larger ones in chunks.
pub const MONOLITHIC_MAX: u64 = 8 << 20;
/// Blobs uploaded at the same time.
const PARALLEL_UPLOADS: usize = 3;
const READ_CHUNK: usize = 1 << 20;

/// How to push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Certificates, credentials, `--tls-verify`.
    pub connect: ConnectOptions,
    /// registries.conf (insecure and blocked registries).
    pub registries_conf: RegistriesConf,
    /// No progress lines.
    pub quiet: bool,
    /// `--compression-format` and friends: layers written again.
    pub compression: Option<Recompress>,
}

/// What was pushed: the manifest as the registry has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `sha256:…` of the manifest bytes.
    pub digest: String,
    /// Their length.
    pub size: u64,
    /// The manifest's media type.
    pub media_type: String,
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The destination does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The destination needs a registry.
    #[error("{0}: destination must name a registry")]
    NoRegistry(String),
    /// The registry is blocked in registries.conf.
    #[error("registry {0} is blocked in registries.conf")]
    Blocked(String),
    /// Reading the image from the store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The registry could not be reached or refused the credentials.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Uploading a blob failed.
    #[error("writing blob {digest}: {message}")]
    Blob {
        /// The blob.
        digest: String,
        /// The cause.
        message: String,
    },
    /// Uploading the manifest failed.
    #[error("writing manifest: {0}")]
    Manifest(String),
    /// The stored manifest is unreadable.
    #[error("parsing stored manifest of {0}: {1}")]
    BadManifest(String, String),
    /// Reading an instance from its source registry failed.
    #[error("{0}")]
    Source(String),
    /// Writing layers in another compression failed.
    #[error(transparent)]
    Compression(#[from] CompressionError),
}

fn oci_reference(r: &ImageReference) -> Reference {
    let domain = r.domain.clone().unwrap_or_default();
    match &r.digest {
        Some(d) => Reference::with_digest(domain, r.path.clone(), d.clone()),
        None => Reference::with_tag(
            domain,
            r.path.clone(),
            r.tag.clone().unwrap_or_else(|| "latest".into()),
        ),
    }
}

/// Streams a file in chunks.
fn file_stream(
    path: PathBuf,
) -> impl futures_util::Stream<Item = oci_client::errors::Result<bytes::Bytes>> + Send + 'static {
    futures_util::stream::try_unfold(None::<tokio::fs::File>, move |file| {
        let path = path.clone();
        async move {
            let mut f = match file {
                Some(f) => f,
                None => tokio::fs::File::open(&path).await?,
            };
            let mut buf = vec![0u8; READ_CHUNK];
            let n = f.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, OciDistributionError>(None);
            }
            buf.truncate(n);
            Ok(Some((bytes::Bytes::from(buf), Some(f))))
        }
    })
}

/// `dest`'s registry and whether registries.conf marks it insecure; an
/// error if it is blocked or missing.
pub(super) fn destination(
    dest: &ImageReference,
    opts: &PushOptions,
) -> Result<(String, bool), PushError> {
    let registry = dest
        .domain
        .clone()
        .ok_or_else(|| PushError::NoRegistry(dest.to_string()))?;
    let conf_entry = opts.registries_conf.find_registry(&dest.name());
    if conf_entry.is_some_and(|r| r.blocked) {
        return Err(PushError::Blocked(registry));
    }
    Ok((registry, conf_entry.is_some_and(|r| r.insecure)))
}

/// The `layers` (digest, blob file) that `how` writes again, into `dir`.
pub(super) async fn recompress_layers(
    layers: &[(String, PathBuf)],
    how: Recompress,
    dir: &std::path::Path,
) -> Result<Vec<Rewritten>, PushError> {
    let mut out = Vec::new();
    for (i, (digest, src)) in layers.iter().enumerate() {
        let (digest, src) = (digest.clone(), src.clone());
        let dest = dir.join(format!("layer-{i}"));
        let done = tokio::task::spawn_blocking(move || {
            let current = recompress::sniff(&src).map_err(|source| CompressionError::Io {
                digest: digest.clone(),
                source,
            })?;
            if !how.needed(current) {
                return Ok(None);
            }
            recompress::recompress_blob(&digest, &src, dest, how).map(Some)
        })
        .await
        .map_err(|e| PushError::Manifest(format!("recompressing: {e}")))??;
        out.extend(done);
    }
    Ok(out)
}

/// Pushes `image` to `dest` and returns what the registry now has.
pub async fn push(
    store: &Store,
    image: &Image,
    dest: &ImageReference,
    opts: &PushOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Pushed, PushError> {
    destination(dest, opts)?;
    let stored = store.image_manifest(image)?;
    let config = store.image_config(image)?;
    let bad = |e: serde_json::Error| PushError::BadManifest(image.id.clone(), e.to_string());
    let manifest = Manifest::parse(&stored).map_err(bad)?;
    for l in &manifest.layers {
        if !store.has_blob(&l.digest) {
            return Err(StorageError::BlobUnknown(l.digest.clone()).into());
        }
    }
    // Layers in another compression: written to this temp dir, held until
    // the push is done.
    let scratch = store.temp_dir()?;
    let files = manifest
        .layers
        .iter()
        .map(|l| Ok((l.digest.clone(), store.blob_path(&l.digest)?)))
        .collect::<Result<Vec<_>, PushError>>()?;
    let (raw, manifest, files) = apply_compression(
        stored,
        manifest,
        files,
        dest,
        opts,
        scratch.path(),
        &image.id,
    )
    .await?;
    let pushed = upload_image(
        ImageFiles {
            raw,
            manifest,
            config,
            layers: files,
            known_as: &image.names,
        },
        dest,
        opts,
        progress,
    )
    .await?;
    drop(scratch);
    Ok(pushed)
}

/// The blobs of `files` that `dest`'s repository already has.
async fn present_at(
    dest: &ImageReference,
    opts: &PushOptions,
    files: &[(String, PathBuf)],
) -> Result<Vec<String>, PushError> {
    let (registry, insecure) = destination(dest, opts)?;
    let endpoint = connect(&registry, &dest.path, insecure, &opts.connect, true).await?;
    let oref = oci_reference(dest);
    let mut present = Vec::new();
    for (digest, _) in files {
        if endpoint
            .client
            .blob_exists(&oref, digest)
            .await
            .unwrap_or(false)
        {
            present.push(digest.clone());
        }
    }
    Ok(present)
}

/// The manifest and layer files to push once `opts.compression` is
/// applied (rewritten layers written into `dir`).
pub(super) async fn apply_compression(
    raw: Vec<u8>,
    manifest: Manifest,
    files: Vec<(String, PathBuf)>,
    dest: &ImageReference,
    opts: &PushOptions,
    dir: &std::path::Path,
    what: &str,
) -> Result<(Vec<u8>, Manifest, Vec<(String, PathBuf)>), PushError> {
    let Some(how) = opts.compression else {
        return Ok((raw, manifest, files));
    };
    // Without --force-compression, a blob the destination has is reused.
    let reused = if how.force {
        Vec::new()
    } else {
        present_at(dest, opts, &files).await?
    };
    let todo: Vec<_> = files
        .iter()
        .filter(|(d, _)| !reused.contains(d))
        .cloned()
        .collect();
    let rewritten = recompress_layers(&todo, how, dir).await?;
    if rewritten.is_empty() {
        return Ok((raw, manifest, files));
    }
    let raw = recompress::rewrite_manifest(&raw, how.target, &rewritten)?;
    let manifest = Manifest::parse(&raw)
        .map_err(|e| PushError::BadManifest(what.to_string(), e.to_string()))?;
    let files = files
        .into_iter()
        .map(
            |(digest, path)| match rewritten.iter().find(|r| r.from == digest) {
                Some(r) => (r.digest.clone(), r.path.clone()),
                None => (digest, path),
            },
        )
        .collect();
    Ok((raw, manifest, files))
}

/// An image's parts ready for upload.
pub(super) struct ImageFiles<'a> {
    /// The manifest as it will be pushed.
    pub raw: Vec<u8>,
    /// It parsed.
    pub manifest: Manifest,
    /// The config blob.
    pub config: Vec<u8>,
    /// Each layer's digest and the file holding its blob.
    pub layers: Vec<(String, PathBuf)>,
    /// Names the image is known under (cross-repository mount sources).
    pub known_as: &'a [String],
}

/// Uploads `image`'s blobs and then its manifest to `dest`.
pub(super) async fn upload_image(
    image: ImageFiles<'_>,
    dest: &ImageReference,
    opts: &PushOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Pushed, PushError> {
    let ImageFiles {
        raw,
        manifest,
        config,
        layers,
        known_as,
    } = image;
    let (registry, insecure) = destination(dest, opts)?;
    // A push by digest goes to the digest of what is pushed (which a
    // recompression changed).
    let by_digest;
    let dest = match &dest.digest {
        Some(_) => {
            by_digest = ImageReference {
                digest: Some(format!("sha256:{}", hex::encode(Sha256::digest(&raw)))),
                tag: None,
                ..dest.clone()
            };
            &by_digest
        }
        None => dest,
    };
    let small = connect(&registry, &dest.path, insecure, &opts.connect, true).await?;
    let large = connect(&registry, &dest.path, insecure, &opts.connect, false).await?;
    let oref = oci_reference(dest);
    for c in [&small.client, &large.client] {
        c.store_auth_if_needed(oref.resolve_registry(), &small.auth)
            .await;
    }
    // Other repositories of this registry the image is known under: mount sources.
    let mut mount_from: Vec<String> = known_as
        .iter()
        .filter_map(|n| ImageReference::parse(n).ok())
        .filter(|r| r.domain.as_deref() == Some(registry.as_str()) && r.path != dest.path)
        .map(|r| r.path)
        .collect();
    mount_from.sort();
    mount_from.dedup();
    let mounter = if mount_from.is_empty() {
        None
    } else {
        let scheme = if small.plain_http { "http" } else { "https" };
        Mounter::new(
            small.http()?,
            format!("{scheme}://{registry}"),
            &dest.path,
            mount_from,
            small.credentials.as_ref(),
        )
        .await
    };
    if !opts.quiet {
        let _ = writeln!(progress, "Getting image source signatures");
    }
    // Collected first: a lazy `map` keeps its closure in the future, which
    // rustc then cannot prove `Send` (as the front door's async trait needs).
    let jobs: Vec<_> = layers
        .into_iter()
        .map(|(digest, path)| {
            let (small, large, oref, mounter, registry) = (
                &small.client,
                &large.client,
                &oref,
                mounter.as_ref(),
                registry.as_str(),
            );
            async move {
                let outcome =
                    upload_blob(small, large, oref, mounter, &digest, path, registry).await?;
                Ok::<_, PushError>((digest, outcome))
            }
        })
        .collect();
    let results: Vec<(String, &str)> = futures_util::stream::iter(jobs)
        .buffered(PARALLEL_UPLOADS)
        .try_collect()
        .await?;
    if !opts.quiet {
        for (digest, outcome) in &results {
            let _ = writeln!(progress, "Copying blob {digest}{outcome}");
        }
        let _ = writeln!(progress, "Copying config {}", manifest.config.digest);
    }
    let config_digest = format!("sha256:{}", hex::encode(Sha256::digest(&config)));
    let blob_err = |digest: &str, e: OciDistributionError| PushError::Blob {
        digest: digest.to_string(),
        message: describe(&e, "uploading", &registry),
    };
    if !small
        .client
        .blob_exists(&oref, &config_digest)
        .await
        .map_err(|e| blob_err(&config_digest, e))?
    {
        small
            .client
            .push_blob(&oref, config.clone(), &config_digest)
            .await
            .map_err(|e| blob_err(&config_digest, e))?;
    }
    if !opts.quiet {
        let _ = writeln!(progress, "Writing manifest to image destination");
    }
    put_manifest(
        &small.client,
        &oref,
        raw,
        manifest.content_type(),
        &registry,
    )
    .await
}

/// Uploads the manifest `raw` of `media_type` to `oref`.
async fn put_manifest(
    client: &Client,
    oref: &Reference,
    raw: Vec<u8>,
    media_type: &str,
    registry: &str,
) -> Result<Pushed, PushError> {
    let content_type = media_type
        .parse()
        .map_err(|e| PushError::Manifest(format!("media type: {e}")))?;
    client
        .push_manifest_raw(oref, raw.clone(), content_type)
        .await
        .map_err(|e| PushError::Manifest(describe(&e, "uploading manifest", registry)))?;
    Ok(Pushed {
        digest: format!("sha256:{}", hex::encode(Sha256::digest(&raw))),
        size: raw.len() as u64,
        media_type: media_type.to_string(),
    })
}

/// Makes sure the registry has blob `digest`; returns what was done, as the
/// suffix of Podman's "Copying blob" line.
async fn upload_blob(
    small: &Client,
    large: &Client,
    dest: &Reference,
    mounter: Option<&Mounter>,
    digest: &str,
    path: PathBuf,
    registry: &str,
) -> Result<&'static str, PushError> {
    let err = |e: OciDistributionError| PushError::Blob {
        digest: digest.to_string(),
        message: describe(&e, "uploading", registry),
    };
    if small.blob_exists(dest, digest).await.map_err(err)? {
        return Ok(" skipped: already exists");
    }
    if let Some(m) = mounter {
        if let Some(src) = m.mount(digest).await {
            if small.blob_exists(dest, digest).await.unwrap_or(false) {
                tracing::debug!(digest, from = src, "mounted blob");
                return Ok(" skipped: already exists");
            }
        }
    }
    let size = std::fs::metadata(&path)
        .map_err(StorageError::io("reading", &path))?
        .len();
    if size <= MONOLITHIC_MAX {
        small
            .push_blob_stream(dest, file_stream(path), digest, Some(size))
            .await
            .map_err(err)?;
    } else {
        large
            .push_blob_stream(dest, file_stream(path), digest, None)
            .await
            .map_err(err)?;
    }
    Ok("")
}

/// Pushes the manifest list `raw` (of `media_type`) to `dest`; its
/// instances must be there already.
pub async fn push_list(
    raw: Vec<u8>,
    media_type: &str,
    dest: &ImageReference,
    opts: &PushOptions,
) -> Result<Pushed, PushError> {
    let (registry, insecure) = destination(dest, opts)?;
    let endpoint = connect(&registry, &dest.path, insecure, &opts.connect, true).await?;
    let oref = oci_reference(dest);
    endpoint
        .client
        .store_auth_if_needed(oref.resolve_registry(), &endpoint.auth)
        .await;
    put_manifest(&endpoint.client, &oref, raw, media_type, &registry).await
}
