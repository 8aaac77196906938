//! [`rpod_api::front_door::Manifests`] for the local engine: manifest lists
//! in the store ([`crate::storage::ManifestList`]), instances read from
//! local images or registries.

use std::sync::Arc;

use async_trait::async_trait;
use rand::RngCore;
use rpod_api::error::ErrorKind;
use rpod_api::front_door::images::{ProgressSink, RegistryOptions};
use rpod_api::front_door::manifests::{
    ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions, ManifestRemoveReport,
};
use rpod_api::front_door::Manifests;
use rpod_api::{Error, Result};
use serde_json::{json, Map, Value};

use super::images::names::normalize_name;
use super::images::transfer::{connect_options, registries_conf};
use super::LocalEngine;
use crate::image_ref::platform::{self, IndexEntry, PlatformWanted};
use crate::image_ref::ImageReference;
use crate::registry::remote_manifest::remote_manifest;
use crate::registry::PullOptions;
use crate::storage::{ManifestList, Store};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

pub(super) fn storage_err(e: crate::storage::StorageError) -> Error {
    Error::other(e.to_string())
}

pub(super) fn not_known(name: &str) -> Error {
    Error::new(ErrorKind::NoSuchImage, format!("{name}: image not known"))
}

/// The platform of an image config, as a descriptor's `platform`.
fn config_platform(config: &[u8]) -> Result<Value> {
    let c: Value = serde_json::from_slice(config)
        .map_err(|e| Error::other(format!("parsing image config: {e}")))?;
    let mut p = Map::new();
    for (from, to) in [
        ("architecture", "architecture"),
        ("os", "os"),
        ("variant", "variant"),
        ("os.version", "os.version"),
    ] {
        if let Some(v) = c
            .get(from)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            p.insert(to.to_string(), v.clone());
        }
    }
    Ok(Value::Object(p))
}

fn media_type_of(raw: &[u8]) -> String {
    serde_json::from_slice::<Value>(raw)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| OCI_MANIFEST.to_string())
}

/// Where an instance reference points.
enum Source<'a> {
    Local(&'a str),
    Registry(&'a str),
}

fn source_of(reference: &str) -> Result<Source<'_>> {
    if let Some(r) = reference.strip_prefix("docker://") {
        Ok(Source::Registry(r))
    } else if let Some(r) = reference.strip_prefix("containers-storage:") {
        Ok(Source::Local(r))
    } else if let Some((transport, _)) = reference.split_once(':').filter(|(t, _)| {
        [
            "oci",
            "oci-archive",
            "docker-archive",
            "dir",
            "docker-daemon",
        ]
        .contains(t)
    }) {
        Err(Error::new(
            ErrorKind::NotImplemented,
            format!("{transport} transport in manifest add is not implemented (see docs/compatibility.md)"),
        ))
    } else {
        Ok(Source::Registry(reference))
    }
}

/// The descriptors `reference` adds to a list, each with where it comes from.
async fn instances(
    store: &Store,
    reference: &str,
    options: &ManifestAddOptions,
) -> Result<Vec<(Value, String)>> {
    match source_of(reference)? {
        Source::Local(name) => {
            let image = store
                .lookup_image(name)
                .map_err(storage_err)?
                .ok_or_else(|| not_known(name))?;
            let raw = store.image_manifest(&image).map_err(storage_err)?;
            let config = store.image_config(&image).map_err(storage_err)?;
            Ok(vec![(
                json!({
                    "mediaType": media_type_of(&raw),
                    "size": raw.len(),
                    "digest": image.digest,
                    "platform": config_platform(&config)?,
                }),
                format!("containers-storage:{}", image.id),
            )])
        }
        Source::Registry(name) => {
            let qualified = normalize_name(name)?;
            let opts = PullOptions {
                tls_verify: options.registry.tls_verify,
                registries_conf: registries_conf()?,
                connect: connect_options(&options.registry),
                ..Default::default()
            };
            let m = remote_manifest(&qualified, &opts)
                .await
                .map_err(|e| Error::other(e.to_string()))?;
            let repository = ImageReference::parse(&qualified)
                .map_err(|e| Error::invalid(format!("{qualified}: {e}")))?
                .name();
            let found = match &m.config {
                Some(config) => vec![json!({
                    "mediaType": m.media_type,
                    "size": m.raw.len(),
                    "digest": m.digest,
                    "platform": config_platform(config)?,
                })],
                None => list_instances(&m.raw, options.all)?,
            };
            Ok(found
                .into_iter()
                .map(|d| {
                    let digest = d.get("digest").and_then(Value::as_str).unwrap_or_default();
                    let source = format!("docker://{repository}@{digest}");
                    (d, source)
                })
                .collect())
        }
    }
}

/// The entries of a fetched list: all of them, or the host platform's.
fn list_instances(raw: &[u8], all: bool) -> Result<Vec<Value>> {
    let v: Value =
        serde_json::from_slice(raw).map_err(|e| Error::other(format!("parsing list: {e}")))?;
    let entries: Vec<Value> = v
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if all {
        return Ok(entries);
    }
    let index: Vec<IndexEntry> = serde_json::from_value(Value::Array(entries.clone()))
        .map_err(|e| Error::other(format!("parsing list: {e}")))?;
    let chosen = platform::choose(&index, &PlatformWanted::default()).map_err(Error::other)?;
    Ok(entries
        .into_iter()
        .filter(|e| e.get("digest").and_then(Value::as_str) == Some(chosen.as_str()))
        .take(1)
        .collect())
}

/// `manifest inspect` of a name not stored locally: the manifest (list) as
/// its registry serves it, indented as Podman prints it.
async fn remote_inspect(name: &str, registry: &RegistryOptions) -> Result<String> {
    let reference = name.strip_prefix("docker://").unwrap_or(name);
    let qualified = normalize_name(reference)?;
    let opts = PullOptions {
        tls_verify: registry.tls_verify,
        registries_conf: registries_conf()?,
        connect: connect_options(registry),
        ..Default::default()
    };
    let m = remote_manifest(&qualified, &opts)
        .await
        .map_err(|e| Error::other(format!("reading image \"docker://{reference}\": {e}")))?;
    let v: Value = serde_json::from_slice(&m.raw)
        .map_err(|e| Error::other(format!("parsing manifest: {e}")))?;
    pretty(&v)
}

/// `v` indented by four spaces, as Podman prints manifests.
fn pretty(v: &Value) -> Result<String> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| Error::other(e.to_string()))?;
    String::from_utf8(out).map_err(|e| Error::other(e.to_string()))
}

/// Adds `new` instances to `list`, replacing ones with the same digest.
fn merge(list: &mut ManifestList, new: Vec<(Value, String)>) {
    for (inst, source) in new {
        let digest = inst.get("digest").cloned();
        list.manifests
            .retain(|m| m.get("digest") != digest.as_ref());
        if let Some(d) = digest.as_ref().and_then(Value::as_str) {
            list.sources.insert(d.to_string(), source);
        }
        list.manifests.push(inst);
    }
}

/// The list as Podman serializes it: an OCI index if any instance is OCI
/// or the list has annotations, a Docker manifest list otherwise.
fn render(list: &ManifestList) -> Result<String> {
    render_as(list, None)
}

/// [`render`] as an OCI index (`Some(true)`) or a Docker list (`Some(false)`).
pub(super) fn render_as(list: &ManifestList, oci: Option<bool>) -> Result<String> {
    let oci = oci.unwrap_or_else(|| {
        !list.annotations.is_empty()
            || list
                .manifests
                .iter()
                .any(|m| m.get("mediaType").and_then(Value::as_str) == Some(OCI_MANIFEST))
    });
    let mut doc = Map::new();
    doc.insert("schemaVersion".into(), json!(2));
    doc.insert(
        "mediaType".into(),
        json!(if oci { OCI_INDEX } else { DOCKER_LIST }),
    );
    doc.insert("manifests".into(), Value::Array(list.manifests.clone()));
    if !list.annotations.is_empty() {
        doc.insert(
            "annotations".into(),
            Value::Object(list.annotations.clone()),
        );
    }
    pretty(&Value::Object(doc))
}

/// `--annotation KEY=VALUE` values into `into`.
fn add_annotations(into: &mut Map<String, Value>, annotations: &[String]) -> Result<()> {
    for a in annotations {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("no value given for annotation \"{a}\"")))?;
        into.insert(k.to_string(), json!(v));
    }
    Ok(())
}

/// Applies `options` to one instance descriptor.
fn annotate_instance(inst: &mut Value, options: &ManifestAnnotateOptions) -> Result<()> {
    let Some(obj) = inst.as_object_mut() else {
        return Err(Error::other("malformed list entry"));
    };
    if !options.annotations.is_empty() {
        let entry = obj.entry("annotations").or_insert_with(|| json!({}));
        if let Some(map) = entry.as_object_mut() {
            add_annotations(map, &options.annotations)?;
        }
    }
    let platform = obj.entry("platform").or_insert_with(|| json!({}));
    let Some(p) = platform.as_object_mut() else {
        return Err(Error::other("malformed list entry"));
    };
    for (key, value) in [
        ("architecture", &options.arch),
        ("os", &options.os),
        ("variant", &options.variant),
        ("os.version", &options.os_version),
    ] {
        if let Some(v) = value {
            p.insert(key.to_string(), json!(v));
        }
    }
    for (key, values) in [
        ("features", &options.features),
        ("os.features", &options.os_features),
    ] {
        if !values.is_empty() {
            p.insert(key.to_string(), json!(values));
        }
    }
    Ok(())
}

impl LocalEngine {
    pub(super) fn find_list(&self, name: &str) -> Result<Option<ManifestList>> {
        let store = self.engine().store();
        if let Some(l) = store.lookup_list(name).map_err(storage_err)? {
            return Ok(Some(l));
        }
        match normalize_name(name) {
            Ok(q) => store.lookup_list(&q).map_err(storage_err),
            Err(_) => Ok(None),
        }
    }
}

#[async_trait]
impl Manifests for LocalEngine {
    async fn manifest_create(
        &self,
        name: &str,
        images: Vec<String>,
        options: ManifestAddOptions,
    ) -> Result<String> {
        let qualified = normalize_name(name)?;
        let store = self.engine().store();
        let existing = store.lookup_list(&qualified).map_err(storage_err)?;
        let mut list = match existing {
            Some(l) if options.amend => l,
            Some(l) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "creating manifest: image name \"{qualified}\" is already associated with image \"{}\": that name is already in use",
                        l.id
                    ),
                ))
            }
            None => {
                let mut id = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut id);
                ManifestList {
                    id: hex::encode(id),
                    names: vec![qualified],
                    manifests: Vec::new(),
                    annotations: Map::new(),
                    sources: Default::default(),
                }
            }
        };
        for image in &images {
            let new = instances(store, image, &options).await?;
            merge(&mut list, new);
        }
        store.save_list(&list).map_err(storage_err)?;
        Ok(list.id)
    }

    async fn manifest_add(
        &self,
        list: &str,
        image: &str,
        options: ManifestAddOptions,
    ) -> Result<String> {
        let mut found = self.find_list(list)?.ok_or_else(|| not_known(list))?;
        let new = instances(self.engine().store(), image, &options).await?;
        merge(&mut found, new);
        self.engine()
            .store()
            .save_list(&found)
            .map_err(storage_err)?;
        Ok(found.id)
    }

    async fn manifest_annotate(
        &self,
        list: &str,
        instance: Option<&str>,
        options: ManifestAnnotateOptions,
    ) -> Result<String> {
        let mut found = self.find_list(list)?.ok_or_else(|| not_known(list))?;
        if options.index {
            let platform_given = options.arch.is_some()
                || options.os.is_some()
                || options.variant.is_some()
                || options.os_version.is_some()
                || !options.features.is_empty()
                || !options.os_features.is_empty();
            if platform_given || instance.is_some() {
                return Err(Error::invalid(
                    "--index annotates the list itself: only --annotation applies",
                ));
            }
            add_annotations(&mut found.annotations, &options.annotations)?;
        } else {
            let digest = instance.ok_or_else(|| {
                Error::invalid("requires at least 2 arguments, or 1 with --index")
            })?;
            let inst = found
                .manifests
                .iter_mut()
                .find(|m| m.get("digest").and_then(Value::as_str) == Some(digest))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "no instance with digest \"{digest}\" found in manifest list"
                    ))
                })?;
            annotate_instance(inst, &options)?;
        }
        self.engine()
            .store()
            .save_list(&found)
            .map_err(storage_err)?;
        Ok(found.id)
    }

    async fn manifest_inspect(&self, list: &str, registry: RegistryOptions) -> Result<String> {
        if let Some(found) = self.find_list(list)? {
            return render(&found);
        }
        remote_inspect(list, &registry).await
    }

    async fn manifest_exists(&self, list: &str) -> Result<bool> {
        Ok(self.find_list(list)?.is_some())
    }

    async fn manifest_remove(&self, list: &str) -> Result<ManifestRemoveReport> {
        let found = self.find_list(list)?.ok_or_else(|| not_known(list))?;
        self.engine()
            .store()
            .delete_list(&found.id)
            .map_err(storage_err)?;
        Ok(ManifestRemoveReport {
            untagged: found.names,
            deleted: found.id,
        })
    }

    async fn manifest_push(
        &self,
        list: &str,
        destination: &str,
        options: ManifestPushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<String> {
        self.push_manifest_list(list, destination, options, progress)
            .await
    }
}
