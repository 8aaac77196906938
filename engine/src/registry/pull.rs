//! Pulling an image from a registry into the store: resolve the name
//! (aliases, unqualified-search registries, mirrors), fetch the manifest
//! (choosing a platform from a list), the config, then each missing layer
//! in one streaming pass: network (digest verified as it arrives) → blob
//! file and decompress → unpack into a staging directory (diff id
//! verified) → rename into place, the layers of an image at the same time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};
use oci_client::{Client, Reference};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::blob_stream::{blob_stream, BlobReader};
use super::client::{connect, ConnectOptions};
use super::error::{describe, stream_digest_mismatch, PullError};
use super::progress::Progress;
use super::registries_conf::{PullSource, RegistriesConf};
use crate::image_ref::platform::{self, IndexEntry, PlatformWanted};
use crate::image_ref::reference::ImageReference;
use crate::storage::layers::{record_stored, STORED_RECORD};
use crate::storage::{
    chain_id, Image, ImageBudget, LayerInfo, LimitExceeded, NewImage, StorageError, Store,
};

/// Layers downloaded and unpacked at the same time (containers/image's
/// default for parallel copies is 6 too).
const PARALLEL_LAYERS: usize = 6;
pub(super) const ACCEPTED_MANIFESTS: &[&str] = &[
    OCI_IMAGE_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `--tls-verify`: `Some(false)` allows plain HTTP everywhere,
    /// `Some(true)` requires HTTPS even for registries marked insecure,
    /// `None` follows registries.conf.
    pub tls_verify: Option<bool>,
    /// The registries configuration (see [`RegistriesConf::load`]).
    pub registries_conf: RegistriesConf,
    /// `--arch` (Go name); host architecture if `None`.
    pub arch: Option<String>,
    /// `--os`; `linux` if `None`.
    pub os: Option<String>,
    /// `--variant`.
    pub variant: Option<String>,
    /// `--quiet`: no progress lines.
    pub quiet: bool,
    /// Certificates and credentials (`tls_verify` above wins over its own).
    pub connect: ConnectOptions,
    /// `--signature-policy`: the trust policy file (default policy.json).
    pub policy: Option<PathBuf>,
    /// Progress observer (terminal progress bars); plain lines without one.
    pub progress: Progress,
}

#[derive(Deserialize)]
struct ManifestProbe {
    #[serde(rename = "schemaVersion", default)]
    schema_version: u32,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<IndexEntry>>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(Deserialize)]
struct ImageManifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigProbe {
    rootfs: RootFs,
}

/// Pulls `reference` into `store` and returns the stored image. Progress
/// lines like Podman's go to `progress` unless `opts.quiet`.
pub async fn pull(
    store: &Store,
    reference: &str,
    opts: &PullOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Image, PullError> {
    let parsed = ImageReference::parse(reference)?;
    let conf = &opts.registries_conf;
    let candidates = if !parsed.is_short_name() {
        vec![parsed]
    } else if let Some(alias) = conf.resolve_alias(&parsed) {
        vec![alias]
    } else if conf.unqualified_search_registries.is_empty() {
        return Err(PullError::ShortName {
            name: reference.to_string(),
            path: conf.path.clone(),
        });
    } else {
        conf.unqualified_search_registries
            .iter()
            .map(|r| parsed.qualify(r))
            .collect()
    };
    let mut errors = Vec::new();
    for candidate in candidates {
        if !opts.quiet {
            let _ = writeln!(progress, "Trying to pull {candidate}...");
        }
        match pull_candidate(store, &candidate, opts, progress).await {
            Ok(image) => return Ok(image),
            Err(e) => {
                tracing::debug!(reference = %candidate, "pull failed: {e}");
                errors.push(e);
            }
        }
    }
    if errors.len() == 1 {
        Err(errors.remove(0))
    } else {
        Err(PullError::Multiple(errors))
    }
}

/// One fully qualified candidate: its mirrors, then its (rewritten) location.
async fn pull_candidate(
    store: &Store,
    name: &ImageReference,
    opts: &PullOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Image, PullError> {
    super::trust::Policy::load(opts.policy.as_deref())?.check_pull(name)?;
    let sources = pull_sources(name, opts)?;
    let mut last = None;
    for source in &sources {
        match pull_from(store, name, source, opts, progress).await {
            Ok(image) => return Ok(image),
            Err(e) => {
                tracing::debug!(source = %source.reference, "pull source failed: {e}");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| PullError::Source {
        reference: name.to_string(),
        message: "no pull source".to_string(),
    }))
}

pub(super) fn oci_reference(r: &ImageReference) -> Reference {
    let domain = r.domain.clone().unwrap_or_default();
    match (&r.digest, r.tag_or_default()) {
        (Some(d), Some(t)) => {
            Reference::with_tag_and_digest(domain, r.path.clone(), t.into(), d.clone())
        }
        (Some(d), None) => Reference::with_digest(domain, r.path.clone(), d.clone()),
        (None, t) => Reference::with_tag(domain, r.path.clone(), t.unwrap_or("latest").into()),
    }
}

pub(super) fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Connects to the registry of `source` with `opts`' TLS and credentials.
pub(super) async fn connect_source(
    source: &PullSource,
    opts: &PullOptions,
) -> Result<super::client::Endpoint, String> {
    let registry = source.reference.domain.clone().unwrap_or_default();
    let connect_opts = ConnectOptions {
        tls_verify: opts.tls_verify.or(opts.connect.tls_verify),
        ..opts.connect.clone()
    };
    connect(
        &registry,
        &source.reference.path,
        source.insecure,
        &connect_opts,
        false,
    )
    .await
    .map_err(|e| e.to_string())
}

/// A manifest fetched from one endpoint, an index resolved to the
/// platform's manifest.
struct Fetched {
    client: Client,
    oref: Reference,
    registry: String,
    /// The (platform) manifest's bytes and digest.
    raw: Vec<u8>,
    digest: String,
    /// The index's digest when the reference named an index.
    extra_digests: Vec<String>,
}

/// Connects to `source` and fetches the manifest of `name` (errors name
/// `name`, as Podman's do).
async fn fetch_manifest(
    name: &ImageReference,
    source: &PullSource,
    opts: &PullOptions,
) -> Result<Fetched, PullError> {
    let oref = oci_reference(&source.reference);
    let registry = source.reference.domain.clone().unwrap_or_default();
    let shown = name.to_string();
    let source_err = |message: String| PullError::Source {
        reference: shown.clone(),
        message,
    };
    let endpoint = connect_source(source, opts).await.map_err(source_err)?;
    let client = endpoint.client;
    let auth = endpoint.auth;
    let what = format!(
        "reading manifest {} in {}",
        source.reference.manifest_reference(),
        source.reference.name()
    );
    let (mut raw, mut digest) = client
        .pull_manifest_raw(&oref, &auth, ACCEPTED_MANIFESTS)
        .await
        .map_err(|e| source_err(describe(&e, &what, &registry)))?;
    let mut extra_digests = Vec::new();
    let probe: ManifestProbe =
        serde_json::from_slice(&raw).map_err(|e| source_err(format!("parsing manifest: {e}")))?;
    if probe.schema_version != 2 {
        return Err(source_err(format!(
            "unsupported manifest schema version {}",
            probe.schema_version
        )));
    }
    let is_index = matches!(
        probe.media_type.as_deref(),
        Some(OCI_IMAGE_INDEX_MEDIA_TYPE) | Some(IMAGE_MANIFEST_LIST_MEDIA_TYPE)
    ) || (probe.media_type.is_none() && probe.manifests.is_some());
    if is_index {
        let entries = probe.manifests.unwrap_or_default();
        let wanted = PlatformWanted {
            os: opts.os.clone(),
            arch: opts.arch.clone(),
            variant: opts.variant.clone(),
        };
        let chosen =
            platform::choose(&entries, &wanted).map_err(|message| PullError::Platform {
                reference: shown.clone(),
                message,
            })?;
        let child = oref.clone_with_digest(chosen.clone());
        let what = format!("reading manifest {chosen} in {}", source.reference.name());
        let (child_raw, child_digest) = client
            .pull_manifest_raw(&child, &auth, ACCEPTED_MANIFESTS)
            .await
            .map_err(|e| source_err(describe(&e, &what, &registry)))?;
        extra_digests.push(digest);
        raw = child_raw;
        digest = child_digest;
    }
    // The stored digest must be exactly the digest of the stored bytes.
    let actual = sha256_digest(&raw);
    if actual != digest {
        return Err(source_err(format!(
            "manifest digest did not match, expected {digest}, got {actual}"
        )));
    }
    Ok(Fetched {
        client,
        oref,
        registry,
        raw: raw.to_vec(),
        digest,
        extra_digests,
    })
}

/// Where to pull `name` from (registries.conf: mirrors first, then the
/// primary location); a blocked registry is `PullError::Blocked`.
pub(super) fn pull_sources(
    name: &ImageReference,
    opts: &PullOptions,
) -> Result<Vec<PullSource>, PullError> {
    let conf = &opts.registries_conf;
    conf.pull_sources(name).map_err(|b| PullError::Blocked {
        registry: b.registry,
        path: conf.path.clone(),
    })
}

/// The digests `reference` (fully qualified) has in its registry now: the
/// platform manifest's and, for an index, the index's. Used by
/// `auto-update` to tell whether a newer image is there without pulling it.
pub async fn remote_digests(reference: &str, opts: &PullOptions) -> Result<Vec<String>, PullError> {
    let name = ImageReference::parse(reference)?;
    let sources = pull_sources(&name, opts)?;
    let mut last = None;
    for source in &sources {
        match fetch_manifest(&name, source, opts).await {
            Ok(f) => {
                let mut digests = vec![f.digest];
                digests.extend(f.extra_digests);
                return Ok(digests);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| PullError::Source {
        reference: name.to_string(),
        message: "no pull source".to_string(),
    }))
}

/// Pulls `name` from one endpoint (`source.reference` is `name` rewritten
/// for a mirror or location). The image is stored under `name`.
async fn pull_from(
    store: &Store,
    name: &ImageReference,
    source: &PullSource,
    opts: &PullOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Image, PullError> {
    let shown = name.to_string();
    let source_err = |message: String| PullError::Source {
        reference: shown.clone(),
        message,
    };
    let fetched = fetch_manifest(name, source, opts).await?;
    let Fetched {
        client,
        oref,
        registry,
        raw,
        digest,
        extra_digests,
    } = fetched;
    let manifest: ImageManifest = serde_json::from_slice(&raw)
        .map_err(|e| source_err(format!("parsing manifest {digest}: {e}")))?;

    if !opts.quiet {
        let _ = writeln!(progress, "Getting image source signatures");
    }
    let config = fetch_config(&client, &oref, &manifest.config.digest, &registry).await?;
    let diff_ids = serde_json::from_slice::<ConfigProbe>(&config)
        .map_err(|e| {
            source_err(format!(
                "parsing image config {}: {e}",
                manifest.config.digest
            ))
        })?
        .rootfs
        .diff_ids;
    if diff_ids.len() != manifest.layers.len() {
        return Err(source_err(format!(
            "image config has {} diff IDs but the manifest has {} layers",
            diff_ids.len(),
            manifest.layers.len()
        )));
    }
    let mut chains = Vec::with_capacity(diff_ids.len());
    let mut parent: Option<String> = None;
    for d in &diff_ids {
        let c = chain_id(parent.as_deref(), d);
        parent = Some(c.clone());
        chains.push(c);
    }

    let mut jobs = Vec::new();
    // Layers of this image already stored count towards its size limit.
    let mut present_size = 0u64;
    for (i, layer) in manifest.layers.iter().enumerate() {
        // The blob is kept beside the unpacked layer (for push and save).
        let stored = store.layer(&chains[i])?;
        let present = stored.is_some() && store.has_blob(&layer.digest);
        if let (true, Some(info)) = (present, &stored) {
            present_size = present_size.saturating_add(info.size);
        }
        if opts.progress.is_on() {
            opts.progress.start(&layer.digest, layer.size, present);
        } else if !opts.quiet {
            let suffix = if present {
                " skipped: already exists"
            } else {
                ""
            };
            let _ = writeln!(progress, "Copying blob {}{suffix}", layer.digest);
        }
        if !present {
            let parent = i.checked_sub(1).map(|p| chains[p].clone());
            jobs.push((layer.digest.clone(), diff_ids[i].clone(), parent));
        }
    }
    let budget = ImageBudget::with_used(present_size);
    if present_size > store.limits().max_image_size {
        return Err(PullError::Layer {
            digest: manifest.config.digest.clone(),
            source: StorageError::Limit(LimitExceeded::ImageSize(store.limits().max_image_size)),
        });
    }
    // Layers stored by this pull, removed again if the pull fails so that
    // no layer without an image is left behind; also written to a record
    // in a temp dir held until the image is committed, for the next
    // command to remove them if this process is killed.
    let added: Added = Arc::default();
    let pending = store.temp_dir().map_err(|source| PullError::Layer {
        digest: manifest.config.digest.clone(),
        source,
    })?;
    let record: Arc<Path> = pending.path().join(STORED_RECORD).into();
    // Each layer is a task of its own, so that the network side of the
    // layers (the registry client's digest check hashes every byte) runs
    // on all the runtime's threads, not taking turns on one.
    let fetched = futures_util::stream::iter(jobs)
        .map(|(blob, diff_id, parent)| {
            let layer = fetch_layer(
                store.clone(),
                client.clone(),
                oref.clone(),
                LayerJob {
                    blob: blob.clone(),
                    diff_id,
                    parent,
                },
                registry.clone(),
                opts.progress.clone(),
                budget.clone(),
                (Arc::clone(&added), Arc::clone(&record)),
            );
            async move {
                let mut task = LayerTask(tokio::spawn(layer));
                (&mut task.0).await.unwrap_or_else(|e| {
                    Err(PullError::Blob {
                        what: "blob",
                        digest: blob,
                        message: format!("layer task failed: {e}"),
                    })
                })
            }
        })
        .buffer_unordered(PARALLEL_LAYERS)
        // Every started layer is waited for, also after a failure, so that
        // none is still being stored when the failed pull removes them.
        .collect::<Vec<Result<LayerInfo, PullError>>>()
        .await;
    let added = std::mem::take(&mut *added.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(e) = fetched.into_iter().find_map(Result::err) {
        discard_added(store, added).await;
        return Err(e);
    }

    if !opts.quiet {
        let _ = writeln!(progress, "Copying config {}", manifest.config.digest);
        let _ = writeln!(progress, "Writing manifest to image destination");
    }
    let names = vec![name.storage_name()];
    match store.commit_image(&NewImage {
        manifest: &raw,
        manifest_digest: &digest,
        extra_digests: &extra_digests,
        config: &config,
        layers: &chains,
        names: &names,
    }) {
        Ok(image) => {
            drop(pending);
            Ok(image)
        }
        Err(e) => {
            discard_added(store, added).await;
            Err(e.into())
        }
    }
}

/// Removes the layers and blobs a failed pull stored, unless an image
/// (stored meanwhile by another command) uses them.
async fn discard_added(store: &Store, added: Vec<(String, String)>) {
    if added.is_empty() {
        return;
    }
    let store = store.clone();
    let (mut layers, mut blobs): (Vec<String>, Vec<String>) = added.into_iter().unzip();
    layers.retain(|l| !l.is_empty());
    blobs.retain(|b| !b.is_empty());
    let res = tokio::task::spawn_blocking(move || store.discard_unused(&layers, &blobs)).await;
    match res {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("removing layers of a failed pull: {e}"),
        Err(e) => tracing::warn!("removing layers of a failed pull: {e}"),
    }
}

/// What the layers of one pull stored, (chain id, blob digest) with an
/// empty string for what was there already.
type Added = Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A layer's task, aborted when the pull is dropped before it ended (a
/// cancelled pull stores no more layers, as when the layers were futures
/// of the pull itself).
struct LayerTask(tokio::task::JoinHandle<Result<LayerInfo, PullError>>);

impl Drop for LayerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One layer to fetch: its blob digest, diff id and parent chain id.
struct LayerJob {
    blob: String,
    diff_id: String,
    parent: Option<String>,
}

pub(super) async fn fetch_config(
    client: &Client,
    oref: &Reference,
    digest: &str,
    registry: &str,
) -> Result<Vec<u8>, PullError> {
    let mut data = Vec::new();
    if let Err(e) = client.pull_blob(oref, digest, &mut data).await {
        if let oci_client::errors::OciDistributionError::DigestError(
            oci_client::errors::DigestError::VerificationError { expected, actual },
        ) = &e
        {
            return Err(PullError::DigestMismatch {
                what: "config",
                expected: expected.clone(),
                actual: actual.clone(),
            });
        }
        return Err(PullError::Blob {
            what: "config",
            digest: digest.to_string(),
            message: describe(&e, "reading blob", registry),
        });
    }
    let actual = sha256_digest(&data);
    if actual != digest {
        return Err(PullError::DigestMismatch {
            what: "config",
            expected: digest.to_string(),
            actual,
        });
    }
    Ok(data)
}

/// One streaming pass per layer: the network task hands the chunks (their
/// digest verified by the registry client as they arrive) to a blocking
/// thread that writes the blob file kept for push and save, decompresses
/// and unpacks within the store's limits into a staging directory,
/// verifies the diff id and, once the whole blob arrived verified, renames
/// the layer into place. What it stores is recorded in `added` (chain id,
/// blob digest).
#[allow(clippy::too_many_arguments)]
async fn fetch_layer(
    store: Store,
    client: Client,
    oref: Reference,
    job: LayerJob,
    registry: String,
    progress: Progress,
    budget: ImageBudget,
    (added, record): (Added, Arc<Path>),
) -> Result<LayerInfo, PullError> {
    let registry = registry.as_str();
    let LayerJob {
        blob,
        diff_id,
        parent,
    } = job;
    let blob_err = |message: String| PullError::Blob {
        what: "blob",
        digest: blob.clone(),
        message,
    };
    if !blob.starts_with("sha256:") {
        return Err(blob_err("unsupported digest algorithm".to_string()));
    }
    let tmp = store.temp_dir().map_err(|source| PullError::Layer {
        digest: blob.clone(),
        source,
    })?;
    let path: PathBuf = tmp.path().join("blob");
    let mut stream = client
        .pull_blob_stream(&oref, blob.as_str())
        .await
        .map_err(|e| blob_err(describe(&e, "reading blob", registry)))?;
    let file = std::fs::File::create(&path)
        .map_err(|e| blob_err(format!("creating {}: {e}", path.display())))?;
    let (sender, mut reader) = blob_stream(file);
    let digest = blob.clone();
    let digest_for_blob = blob.clone();
    let chain = chain_id(parent.as_deref(), &diff_id);
    let existed = store.layer(&chain).ok().flatten().is_some();
    let blob_existed = store.has_blob(&blob);
    // Recorded before storing: a failure at any later step still removes
    // what was stored.
    if !existed || !blob_existed {
        let mut added = added.lock().unwrap_or_else(|e| e.into_inner());
        let recorded = if existed {
            Ok(())
        } else {
            record_stored(&record, "layer", &chain)
        }
        .and_then(|()| {
            if blob_existed {
                Ok(())
            } else {
                record_stored(&record, "blob", &blob)
            }
        });
        recorded.map_err(|source| PullError::Layer {
            digest: blob.clone(),
            source,
        })?;
        added.push((
            if existed { String::new() } else { chain },
            if blob_existed {
                String::new()
            } else {
                blob.clone()
            },
        ));
    }
    let mut unpacking = tokio::task::spawn_blocking(move || {
        // `tmp` lives until the layer is stored, then removes the blob.
        let _tmp = tmp;
        let info = store.create_layer_streamed(
            parent.as_deref(),
            &diff_id,
            &mut reader,
            &budget,
            BlobReader::complete,
        )?;
        store.adopt_blob(&path, &digest_for_blob)?;
        Ok(info)
    });
    let task_err = |e: tokio::task::JoinError| PullError::Blob {
        what: "blob",
        digest: digest.clone(),
        message: format!("unpacking task failed: {e}"),
    };
    // The registry client checks the digest as the blob streams in: its
    // error is the cause whenever the stream fails. When unpacking stops
    // early the rest is still read (unless a size limit stopped it) to
    // tell a corrupted blob, a digest mismatch, from a bad archive.
    let mut stopped_early: Option<Result<LayerInfo, StorageError>> = None;
    let mut network = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                progress.advance(&blob, chunk.len() as u64);
                if stopped_early.is_none() && !sender.send(chunk).await {
                    let res = (&mut unpacking).await.map_err(task_err)?;
                    if let Err(
                        source @ (StorageError::LayerLimit { .. } | StorageError::Limit(_)),
                    ) = res
                    {
                        return Err(PullError::Layer {
                            digest: digest.clone(),
                            source,
                        });
                    }
                    stopped_early = Some(res);
                }
            }
            Err(e) => {
                network = Some(match stream_digest_mismatch(&e) {
                    Some((expected, actual)) => PullError::DigestMismatch {
                        what: "blob",
                        expected,
                        actual,
                    },
                    None => blob_err(format!("reading blob: {}", super::error::chain(&e))),
                });
                break;
            }
        }
    }
    if network.is_none() {
        sender.finish().await;
    } else {
        // Unpacking fails on the unfinished stream and removes its staging.
        drop(sender);
    }
    let joined = match stopped_early {
        Some(res) => res,
        None => unpacking.await.map_err(task_err)?,
    };
    if let Some(e) = network {
        return Err(e);
    }
    let info = joined.map_err(|source| PullError::Layer {
        digest: digest.clone(),
        source,
    })?;
    progress.finish(&blob);
    Ok(info)
}
