//! The store against the database: containers whose image is missing,
//! images with missing layers or data, layers nothing uses.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{CheckError, CheckOptions, CheckReport};
use crate::engine::Engine;
use crate::storage::{LayerInfo, Store};

/// Rows whose image is gone.
pub(super) async fn check_containers(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let images: HashSet<String> = engine.store().images()?.into_iter().map(|i| i.id).collect();
    for c in engine.containers()? {
        if c.image_id.is_empty() || images.contains(&c.image_id) {
            continue;
        }
        if opts.repair && opts.force {
            engine.container(&c.id)?.remove(true, Some(0)).await?;
            report.removed_containers.insert(c.id, c.name);
        } else {
            CheckReport::note(&mut report.containers, &c.id, "image missing");
        }
    }
    Ok(())
}

/// What is wrong with one image: missing layers or data items.
fn image_problems(store: &Store, image: &crate::storage::Image) -> Vec<String> {
    let mut problems = Vec::new();
    for chain in &image.layers {
        let present = match store.layer(chain) {
            Ok(Some(_)) => store.layer_diff_path(chain).is_ok_and(|p| p.is_dir()),
            _ => false,
        };
        if !present {
            problems.push(format!("image layer is missing: {chain}"));
        }
    }
    if let Err(e) = store.image_config(image) {
        problems.push(format!("image data item is missing: config: {e}"));
    }
    if let Err(e) = store.image_manifest(image) {
        problems.push(format!("image data item is missing: manifest: {e}"));
    }
    problems
}

pub(super) async fn check_images(
    engine: &Engine,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let store = engine.store();
    for image in store.images()? {
        let problems = image_problems(store, &image);
        if problems.is_empty() {
            continue;
        }
        let users = engine.ctx().db.containers_using_image(&image.id)?;
        if !opts.repair || (!users.is_empty() && !opts.force) {
            for p in problems {
                CheckReport::note(&mut report.images, &image.id, p);
            }
            continue;
        }
        for id in users {
            let name = engine.container(&id)?.get().await?.name;
            engine.container(&id)?.remove(true, Some(0)).await?;
            report.removed_containers.insert(id, name);
        }
        store.remove_image(&image.id)?;
        report.removed_images.insert(image.id, image.names);
    }
    Ok(())
}

/// Every layer directory in the store: its chain id (`sha256:…`) and
/// metadata, or why the metadata cannot be read.
fn list_layers(store: &Store) -> Vec<(String, Result<LayerInfo, String>)> {
    let dir = store.dir().join("layers");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let hex = entry.file_name().to_string_lossy().into_owned();
        let chain = format!("sha256:{hex}");
        let info = match store.layer(&chain) {
            Ok(Some(info)) => Ok(info),
            Ok(None) => Err("layer metadata is missing".to_owned()),
            Err(e) => Err(format!("layer metadata is unreadable: {e}")),
        };
        out.push((chain, info));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn older_than(path: &Path, max: Duration) -> bool {
    let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return true;
    };
    SystemTime::now()
        .duration_since(modified)
        .is_ok_and(|age| age >= max)
}

pub(super) fn check_layers(
    store: &Store,
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> Result<(), CheckError> {
    let referenced: HashSet<String> = store.images()?.into_iter().flat_map(|i| i.layers).collect();
    let layers = list_layers(store);
    let infos: Vec<LayerInfo> = layers
        .iter()
        .filter_map(|(_, i)| i.as_ref().ok().cloned())
        .collect();
    let mounted = store.mounted_layers(&infos);
    for (chain, info) in layers {
        let info = match info {
            Ok(info) => info,
            Err(why) => {
                CheckReport::note(&mut report.layers, &chain, why);
                continue;
            }
        };
        let diff = store.layer_diff_path(&chain)?;
        if !diff.is_dir() {
            CheckReport::note(&mut report.layers, &chain, "layer data is missing");
        }
        let meta = diff.parent().map(|d| d.join("layer.json")).unwrap_or(diff);
        if referenced.contains(&info.chain_id)
            || mounted.contains(&info.chain_id)
            || !older_than(&meta, opts.max_unreferenced_age)
        {
            continue;
        }
        if opts.repair {
            store.discard_unused(std::slice::from_ref(&info.chain_id), &[])?;
            if store.layer(&chain)?.is_none() {
                report.removed_layers.push(chain);
                continue;
            }
        }
        CheckReport::note(&mut report.layers, &chain, "layer not referenced");
    }
    Ok(())
}
