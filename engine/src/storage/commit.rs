//! New images from containers and tarballs: `commit` (the container's upper
//! directory as a new layer on top of its image) and `import` (a root
//! filesystem tarball as a one-layer image). Layers are stored unpacked and
//! as gzip blobs; manifests are OCI.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::compression::decompress;
use super::error::{Result, StorageError};
use super::images::{Image, NewImage};
use super::instructions::apply_changes;
use super::layers::LayerInfo;
use super::manifest::{self, Descriptor, Manifest, OCI_CONFIG, OCI_LAYER_GZIP};
use super::store::Store;
use super::tree_tar::write_tree;

/// What `commit` and `import` record in the new image.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// `--change` instructions.
    pub changes: Vec<String>,
    /// `--author`.
    pub author: Option<String>,
    /// `--message` (the history comment).
    pub message: Option<String>,
    /// Names for the new image (fully qualified).
    pub names: Vec<String>,
    /// The history entry's `created_by`.
    pub created_by: String,
}

/// Writes what it is given to `inner` while hashing and counting it.
pub(crate) struct Hashing<W> {
    pub(crate) inner: W,
    hasher: Sha256,
    pub(crate) count: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    pub(crate) fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    pub(crate) fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(self.hasher.clone().finalize()))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

impl Store {
    /// Stores the uncompressed layer tar `plain` (with its diff id) on top
    /// of `parent`, and its gzip form as a blob. Returns the layer and the
    /// blob's descriptor.
    fn add_plain_layer(
        &self,
        plain: &Path,
        diff_id: &str,
        parent: Option<&str>,
        dir: &Path,
    ) -> Result<(LayerInfo, Descriptor)> {
        let blob = dir.join("blob.gz");
        let out = File::create(&blob).map_err(StorageError::io("creating", &blob))?;
        let mut hashing = Hashing::new(BufWriter::new(out));
        {
            let mut gz = flate2::write::GzEncoder::new(&mut hashing, flate2::Compression::fast());
            let mut input = File::open(plain).map_err(StorageError::io("opening", plain))?;
            io::copy(&mut input, &mut gz).map_err(StorageError::io("compressing", plain))?;
            gz.finish()
                .map_err(StorageError::io("compressing", plain))?;
        }
        hashing
            .flush()
            .map_err(StorageError::io("writing", &blob))?;
        let digest = hashing.digest();
        let size = hashing.count;
        drop(hashing);
        let input = File::open(plain).map_err(StorageError::io("opening", plain))?;
        let info = self.create_layer(parent, diff_id, BufReader::new(input))?;
        self.adopt_blob(&blob, &digest)?;
        Ok((
            info,
            Descriptor {
                media_type: OCI_LAYER_GZIP.to_string(),
                digest,
                size,
                annotations: None,
            },
        ))
    }

    /// Stores an image made of `base_layers` (+ descriptors) and one new
    /// layer, with `config` finished here (rootfs, history, changes).
    fn store_new_image(
        &self,
        mut config: Value,
        mut chains: Vec<String>,
        mut descriptors: Vec<Descriptor>,
        layer: LayerInfo,
        descriptor: Descriptor,
        opts: &CommitOptions,
    ) -> Result<Image> {
        apply_changes(&mut config, &opts.changes).map_err(StorageError::InvalidConfig)?;
        let created = now();
        config["created"] = json!(created);
        if let Some(a) = &opts.author {
            config["author"] = json!(a);
        }
        let mut diff_ids: Vec<Value> = config
            .pointer("/rootfs/diff_ids")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        diff_ids.push(json!(layer.diff_id));
        config["rootfs"] = json!({"type": "layers", "diff_ids": diff_ids});
        let mut history = config
            .get("history")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut entry = json!({"created": created, "created_by": opts.created_by});
        if let Some(a) = &opts.author {
            entry["author"] = json!(a);
        }
        if let Some(m) = &opts.message {
            entry["comment"] = json!(m);
            // The image's own comment too, as Buildah's SetComment (what
            // inspect's `.Comment` shows).
            config["comment"] = json!(m);
        }
        history.push(entry);
        config["history"] = json!(history);
        let config_bytes =
            serde_json::to_vec(&config).map_err(|e| StorageError::InvalidConfig(e.to_string()))?;
        chains.push(layer.chain_id.clone());
        descriptors.push(descriptor);
        let config_desc = Descriptor {
            media_type: OCI_CONFIG.to_string(),
            digest: format!("sha256:{}", hex::encode(Sha256::digest(&config_bytes))),
            size: config_bytes.len() as u64,
            annotations: None,
        };
        let manifest = manifest::build_oci_manifest(&config_desc, &descriptors);
        let manifest_digest = format!("sha256:{}", hex::encode(Sha256::digest(&manifest)));
        self.commit_image(&NewImage {
            manifest: &manifest,
            manifest_digest: &manifest_digest,
            extra_digests: &[],
            config: &config_bytes,
            layers: &chains,
            names: &opts.names,
        })
    }

    /// Commits container `container_id`'s changes (its upper directory)
    /// over `base` as a new image.
    pub fn commit_container(
        &self,
        container_id: &str,
        base: &Image,
        opts: &CommitOptions,
    ) -> Result<Image> {
        let upper = self.container_storage_paths(container_id).upper;
        let tmp = self.temp_dir()?;
        let plain = tmp.path().join("layer.tar");
        let file = File::create(&plain).map_err(StorageError::io("creating", &plain))?;
        let mut hashing = Hashing::new(BufWriter::new(file));
        if upper.exists() {
            hashing = write_tree(&upper, hashing, true)?;
        } else {
            // An empty layer: just the end-of-archive marker.
            tar::Builder::new(&mut hashing)
                .finish()
                .map_err(StorageError::io("writing", &plain))?;
        }
        hashing
            .flush()
            .map_err(StorageError::io("writing", &plain))?;
        let diff_id = hashing.digest();
        drop(hashing);
        let raw = self.image_manifest(base)?;
        let oci = manifest::to_oci(&raw).map_err(|e| StorageError::InvalidConfig(e.to_string()))?;
        let base_manifest =
            Manifest::parse(&oci).map_err(|e| StorageError::InvalidConfig(e.to_string()))?;
        let config: Value = serde_json::from_slice(&self.image_config(base)?)
            .map_err(|e| StorageError::InvalidConfig(e.to_string()))?;
        let parent = base.layers.last().map(String::as_str);
        let (layer, desc) = self.add_plain_layer(&plain, &diff_id, parent, tmp.path())?;
        self.store_new_image(
            config,
            base.layers.clone(),
            base_manifest.layers,
            layer,
            desc,
            opts,
        )
    }

    /// Imports a root filesystem tarball (plain, gzip, bzip2, xz or zstd) as a
    /// one-layer image for `os`/`arch`.
    pub fn import_tarball(
        &self,
        input: &mut (dyn Read + Send),
        os: &str,
        arch: &str,
        opts: &CommitOptions,
    ) -> Result<Image> {
        let tmp = self.temp_dir()?;
        let plain = tmp.path().join("layer.tar");
        let file = File::create(&plain).map_err(StorageError::io("creating", &plain))?;
        let mut hashing = Hashing::new(BufWriter::new(file));
        let (_, mut reader) = decompress(input).map_err(StorageError::Archive)?;
        self.copy_within_limits(
            &mut reader,
            &mut hashing,
            &super::limits::ImageBudget::default(),
            "importing tarball",
        )?;
        hashing
            .flush()
            .map_err(StorageError::io("writing", &plain))?;
        let diff_id = hashing.digest();
        drop(hashing);
        let (layer, desc) = self.add_plain_layer(&plain, &diff_id, None, tmp.path())?;
        let config = json!({
            "architecture": arch,
            "os": os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [],
        });
        self.store_new_image(config, Vec::new(), Vec::new(), layer, desc, opts)
    }
}
