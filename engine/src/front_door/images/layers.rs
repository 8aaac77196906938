//! `history` and `image tree`: an image's layers.

use rpod_api::image::{ImageHistoryLayer, ImageTreeLayer, ImageTreeReport};
use rpod_api::{Error, GoTime, Result};
use serde_json::Value;

use super::names::find_image;
use super::other;
use crate::engine::Engine;

/// `history`: the image's history entries with their layer sizes, newest first.
pub(crate) fn history(engine: &Engine, name: &str) -> Result<Vec<ImageHistoryLayer>> {
    let image = find_image(engine, name)?;
    let raw = engine.store().image_config(&image).map_err(|e| other(&e))?;
    let config: Value = serde_json::from_slice(&raw)
        .map_err(|e| Error::other(format!("parsing image config: {e}")))?;
    let entries = config
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut sizes = Vec::new();
    for chain in &image.layers {
        let layer = engine.store().layer(chain).map_err(|e| other(&e))?;
        sizes.push(layer.map(|l| l.size).unwrap_or(0));
    }
    // Entries without empty_layer consume the layers bottom up.
    let mut layer_index = 0;
    let mut rows = Vec::new();
    for e in &entries {
        let empty = e
            .get("empty_layer")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let size = if empty {
            0
        } else {
            let s = sizes.get(layer_index).copied().unwrap_or(0);
            layer_index += 1;
            s
        };
        rows.push((e.clone(), size));
    }
    if entries.is_empty() {
        for s in &sizes {
            rows.push((Value::Object(Default::default()), *s));
        }
    }
    rows.reverse();
    let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, (e, size))| ImageHistoryLayer {
            id: if i == 0 {
                image.id.clone()
            } else {
                "<missing>".to_owned()
            },
            created: chrono::DateTime::parse_from_rfc3339(&text(e, "created"))
                .map(|t| GoTime(Some(t)))
                .unwrap_or_default(),
            created_by: text(e, "created_by"),
            tags: if i == 0 {
                image.names.clone()
            } else {
                Vec::new()
            },
            size: i64::try_from(*size).unwrap_or(i64::MAX),
            comment: text(e, "comment"),
        })
        .collect())
}

/// `image tree`.
pub(crate) fn tree(engine: &Engine, name: &str) -> Result<ImageTreeReport> {
    let image = find_image(engine, name)?;
    let all = engine.store().images().map_err(|e| other(&e))?;
    let mut layers = Vec::new();
    for chain in &image.layers {
        let layer = engine.store().layer(chain).map_err(|e| other(&e))?;
        let top_layer_of = all
            .iter()
            .filter(|img| img.layers.last() == Some(chain))
            .flat_map(|img| {
                if img.names.is_empty() {
                    vec![format!("<none>:{}", &img.id[..12])]
                } else {
                    img.names.clone()
                }
            })
            .collect();
        layers.push(ImageTreeLayer {
            id: chain.clone(),
            size: layer.map(|l| l.size).unwrap_or(0),
            top_layer_of,
        });
    }
    Ok(ImageTreeReport {
        id: image.id,
        names: image.names,
        size: image.size,
        layers,
    })
}
