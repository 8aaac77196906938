//! `images` (entities.ImageSummary) and `image inspect` (inspect.ImageData),
//! built from the store.

use std::collections::BTreeMap;

use rpod_api::front_door::images::{ImageListOptions, ImageSort};
use rpod_api::image::{History, ImageData, ImageSummary, RootFs};
use rpod_api::inspect::DriverData;
use rpod_api::{GoTime, Result};
use serde_json::{json, Value};

use super::filter::{created_of, parse_filters, split_name};
use super::other;
use crate::engine::Engine;
use crate::state::ContainerRecord;
use crate::storage::Image;

fn first_name(i: &Image) -> (&str, &str) {
    i.names.first().map(|n| split_name(n)).unwrap_or(("", ""))
}

/// The images `options` select, in their sort order.
pub(crate) fn list(engine: &Engine, options: &ImageListOptions) -> Result<Vec<ImageSummary>> {
    let filters = parse_filters(&options.filter)?;
    let all = engine.store().images().map_err(|e| other(&e))?;
    let mut images: Vec<Image> = all
        .iter()
        .filter(|i| filters.iter().all(|f| f.matches(engine, i, &all)))
        .cloned()
        .collect();
    match options.sort {
        ImageSort::Created => images.sort_by(|x, y| {
            created_of(y)
                .cmp(&created_of(x))
                .then(y.added_at.cmp(&x.added_at))
        }),
        ImageSort::Id => images.sort_by(|x, y| x.id.cmp(&y.id)),
        ImageSort::Repository => images.sort_by(|x, y| first_name(x).0.cmp(first_name(y).0)),
        ImageSort::Tag => images.sort_by(|x, y| first_name(x).1.cmp(first_name(y).1)),
        ImageSort::Size => images.sort_by_key(|x| x.size),
    }
    let containers = engine.containers()?;
    Ok(images
        .iter()
        .map(|i| summary(engine, i, &containers))
        .collect())
}

/// entities.ImageSummary of `img`.
fn summary(engine: &Engine, img: &Image, containers: &[ContainerRecord]) -> ImageSummary {
    let config: Value = engine
        .store()
        .image_config(img)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(Value::Null);
    let text = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let labels: Option<BTreeMap<String, String>> = config
        .pointer("/config/Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    let size = i64::try_from(img.size).unwrap_or(i64::MAX);
    // Names pulled by digest (`repo@sha256:...`) are digests, not tags.
    let (digested, tagged): (Vec<&String>, Vec<&String>) =
        img.names.iter().partition(|n| n.contains('@'));
    let mut repo_digests: Vec<String> = tagged
        .iter()
        .map(|n| format!("{}@{}", split_name(n).0, img.digest))
        .chain(digested.iter().map(|n| (*n).clone()))
        .collect();
    repo_digests.dedup();
    ImageSummary {
        id: img.id.clone(),
        parent_id: String::new(),
        repo_tags: Some(tagged.into_iter().cloned().collect()),
        repo_digests: Some(repo_digests),
        created: created_of(img) / 1_000_000_000,
        size,
        shared_size: 0,
        virtual_size: size,
        labels,
        containers: i64::try_from(containers.iter().filter(|c| c.image_id == img.id).count())
            .unwrap_or(i64::MAX),
        read_only: false,
        dangling: img.names.is_empty(),
        arch: text("architecture"),
        digest: img.digest.clone(),
        history: Some(names_history(img)),
        is_manifest_list: Some(false),
        names: Some(img.names.clone()),
        os: text("os"),
    }
}

/// The image's name history (its names when none was recorded).
fn names_history(img: &Image) -> Vec<String> {
    if img.names_history.is_empty() {
        img.names.clone()
    } else {
        img.names_history.clone()
    }
}

/// Podman's image inspect report (pkg/inspect.ImageData).
pub fn image_data(engine: &Engine, img: &Image) -> Result<ImageData> {
    let raw = engine.store().image_config(img).map_err(|e| other(&e))?;
    let config: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut repo_digests: Vec<String> = Vec::new();
    for n in &img.names {
        let d = format!("{}@{}", repo_of(n), img.digest);
        if !repo_digests.contains(&d) {
            repo_digests.push(d);
        }
    }
    let layers: Vec<String> = config
        .pointer("/rootfs/diff_ids")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let created = config
        .get("created")
        .and_then(|c| serde_json::from_value::<GoTime>(c.clone()).ok());
    let history: Vec<History> = config
        .get("history")
        .and_then(|h| serde_json::from_value(h.clone()).ok())
        .unwrap_or_default();
    let labels: Option<BTreeMap<String, String>> = config
        .pointer("/config/Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    let health_check = config
        .pointer("/config/Healthcheck")
        .and_then(|h| serde_json::from_value(h.clone()).ok());
    let size = i64::try_from(img.size).unwrap_or(i64::MAX);
    Ok(ImageData {
        id: img.id.clone(),
        digest: img.digest.clone(),
        // Names pulled by digest are no tags (Podman's `RepoTags`).
        repo_tags: Some(
            img.names
                .iter()
                .filter(|n| !n.contains('@'))
                .cloned()
                .collect(),
        ),
        repo_digests: Some(repo_digests),
        parent: String::new(),
        comment: text(config.get("comment")),
        created,
        config: Some(rpod_api::image::ImageConfig(
            config.get("config").cloned().unwrap_or_else(|| json!({})),
        )),
        version: text(config.get("docker_version")),
        author: text(config.get("author")),
        architecture: text(config.get("architecture")),
        os: text(config.get("os")),
        size,
        virtual_size: size,
        graph_driver: Some(DriverData {
            name: engine.store().graph_driver_name().to_owned(),
            data: Some(BTreeMap::new()),
        }),
        root_fs: Some(RootFs {
            r#type: "layers".into(),
            layers: Some(layers),
        }),
        labels,
        annotations: Some(BTreeMap::new()),
        manifest_type: manifest_type(engine, img),
        user: text(config.pointer("/config/User")),
        history: Some(history),
        names_history: Some(names_history(img)),
        health_check,
    })
}

/// `registry/repo` of `registry/repo:tag`.
fn repo_of(name: &str) -> &str {
    let name = name.split_once('@').map_or(name, |(repo, _)| repo);
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    }
}

fn manifest_type(engine: &Engine, img: &Image) -> String {
    engine
        .store()
        .image_manifest(img)
        .ok()
        .and_then(|m| serde_json::from_slice::<Value>(&m).ok())
        .and_then(|m| {
            m.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into())
}
