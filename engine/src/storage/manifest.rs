//! The parts of image manifests (OCI and Docker schema 2) that storage,
//! push and archives need: the config and layer descriptors, raw bytes kept
//! elsewhere so digests never change.

use serde::{Deserialize, Serialize};

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI uncompressed layer.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI gzip layer.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI zstd layer.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker schema 2 manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image config media type.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker gzip layer.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker uncompressed layer (rarely seen outside docker-archive).
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Media type of the content.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// `sha256:…` of the content.
    pub digest: String,
    /// Length of the content in bytes.
    pub size: u64,
    /// Annotations (OCI), kept when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The manifest's own media type, when it says so.
    #[serde(rename = "mediaType", default)]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// Layers, bottom first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

impl Manifest {
    /// Parses manifest bytes.
    pub fn parse(raw: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(raw)
    }

    /// The media type to send with the manifest: its own, else what its
    /// config type implies.
    pub fn content_type(&self) -> &str {
        match self.media_type.as_deref() {
            Some(t) if !t.is_empty() => t,
            _ if self.config.media_type == DOCKER_CONFIG => DOCKER_MANIFEST,
            _ => OCI_MANIFEST,
        }
    }

    /// True for a Docker schema 2 manifest.
    pub fn is_docker(&self) -> bool {
        self.content_type() == DOCKER_MANIFEST
    }
}

/// The OCI media type of a layer whose type is `media_type` (Docker or OCI).
pub fn oci_layer_type(media_type: &str) -> &str {
    match media_type {
        DOCKER_LAYER_GZIP => OCI_LAYER_GZIP,
        DOCKER_LAYER => OCI_LAYER,
        other => other,
    }
}

/// Builds OCI manifest bytes for `config` and `layers`. Serialization of
/// these plain structures cannot fail.
pub fn build_oci_manifest(config: &Descriptor, layers: &[Descriptor]) -> Vec<u8> {
    let v = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": layers,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The manifest converted to OCI media types (the config bytes stay the
/// same, so the image id does too). An OCI manifest is returned as is.
pub fn to_oci(raw: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let m = Manifest::parse(raw)?;
    if !m.is_docker() {
        return Ok(raw.to_vec());
    }
    let config = Descriptor {
        media_type: OCI_CONFIG.to_string(),
        ..m.config.clone()
    };
    let layers: Vec<Descriptor> = m
        .layers
        .iter()
        .map(|l| Descriptor {
            media_type: oci_layer_type(&l.media_type).to_string(),
            ..l.clone()
        })
        .collect();
    Ok(build_oci_manifest(&config, &layers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_to_oci() {
        let d = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": "sha256:aa", "size": 3},
            "layers": [{"mediaType": DOCKER_LAYER_GZIP, "digest": "sha256:bb", "size": 4}]
        });
        let raw = serde_json::to_vec(&d).unwrap();
        let m = Manifest::parse(&raw).unwrap();
        assert!(m.is_docker());
        let oci = Manifest::parse(&to_oci(&raw).unwrap()).unwrap();
        assert_eq!(oci.content_type(), OCI_MANIFEST);
        assert_eq!(oci.config.media_type, OCI_CONFIG);
        assert_eq!(oci.layers[0].media_type, OCI_LAYER_GZIP);
        assert_eq!(oci.layers[0].digest, "sha256:bb");
        let again = to_oci(&to_oci(&raw).unwrap()).unwrap();
        assert_eq!(again, to_oci(&raw).unwrap());
    }
}
