//! Buildah's images as `system df` counts them: read from the
//! containers/storage metadata of Buildah's store (`<driver>-images/images.json`
//! and `<driver>-layers/layers.json`), an image's size being the sum of its
//! layer chain's `diff-size`. Podman keeps build cache images in its one
//! store, so its `system df` counts them; rpod's are in Buildah's store.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::EngineConfig;

/// An image in Buildah's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheImage {
    /// Its id (hex).
    pub id: String,
    /// Creation time (RFC 3339), if recorded.
    pub created: Option<String>,
    /// Bytes of its layers.
    pub size: u64,
}

#[derive(Deserialize)]
struct StoredImage {
    id: String,
    #[serde(default)]
    layer: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

#[derive(Deserialize)]
struct StoredLayer {
    id: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(rename = "diff-size", default)]
    diff_size: u64,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    match std::fs::read(path) {
        Ok(data) => serde_json::from_slice(&data).unwrap_or_else(|e| {
            tracing::warn!("reading {}: {e}", path.display());
            Vec::new()
        }),
        Err(_) => Vec::new(),
    }
}

/// Buildah's images (none without a Buildah store).
pub(crate) fn cache_images(config: &EngineConfig) -> Vec<CacheImage> {
    let storage = super::store_dirs(config).0.join("storage");
    let Ok(entries) = std::fs::read_dir(&storage) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(driver) = name.strip_suffix("-images") else {
            continue;
        };
        let images: Vec<StoredImage> = read_json(&entry.path().join("images.json"));
        let layers: Vec<StoredLayer> =
            read_json(&storage.join(format!("{driver}-layers")).join("layers.json"));
        out.extend(images_with_sizes(images, &layers));
    }
    out
}

fn images_with_sizes(images: Vec<StoredImage>, layers: &[StoredLayer]) -> Vec<CacheImage> {
    let by_id: HashMap<&str, &StoredLayer> = layers.iter().map(|l| (l.id.as_str(), l)).collect();
    images
        .into_iter()
        .map(|i| {
            let mut size = 0u64;
            let mut next = i.layer.as_deref();
            // Bounded by the number of layers, so a cycle cannot loop.
            for _ in 0..=layers.len() {
                let Some(l) = next.and_then(|id| by_id.get(id)) else {
                    break;
                };
                size = size.saturating_add(l.diff_size);
                next = l.parent.as_deref();
            }
            CacheImage {
                id: i.id,
                created: i.created,
                size,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_layer_chain() {
        let layers: Vec<StoredLayer> = serde_json::from_str(
            r#"[{"id":"a","diff-size":10},{"id":"b","parent":"a","diff-size":5},
                {"id":"c","parent":"c","diff-size":1}]"#,
        )
        .unwrap();
        let images: Vec<StoredImage> = serde_json::from_str(
            r#"[{"id":"i1","layer":"b","created":"2026-01-01T00:00:00Z"},{"id":"i2"},
                {"id":"i3","layer":"c"}]"#,
        )
        .unwrap();
        let out = images_with_sizes(images, &layers);
        assert_eq!(out[0].size, 15);
        assert_eq!(out[0].created.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(out[1].size, 0);
        assert_eq!(
            out[2].size, 4,
            "a self-parented layer stops after the bound"
        );
    }
}
