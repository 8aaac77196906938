//! Reading a manifest or manifest list from a registry as it is, without
//! choosing a platform (`manifest add`), with the config of an image
//! manifest (for its platform).

use oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE;

use super::error::{describe, PullError};
use super::pull::{
    connect_source, fetch_config, oci_reference, sha256_digest, PullOptions, ACCEPTED_MANIFESTS,
};
use crate::image_ref::reference::ImageReference;

/// A manifest read from a registry.
#[derive(Debug, Clone)]
pub struct RemoteManifest {
    /// The manifest's bytes, as served.
    pub raw: Vec<u8>,
    /// Their digest.
    pub digest: String,
    /// The manifest's media type (from its `mediaType`, or guessed from its shape).
    pub media_type: String,
    /// The config blob of an image manifest; `None` for a list.
    pub config: Option<Vec<u8>>,
}

#[derive(serde::Deserialize)]
struct Probe {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<ConfigRef>,
}

#[derive(serde::Deserialize)]
struct ConfigRef {
    digest: String,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
}

/// The first pull source of a reference (registries.conf), connected.
pub(super) struct OpenSource {
    /// The reference as given, parsed.
    pub name: ImageReference,
    /// The reference at the source.
    pub source: ImageReference,
    /// The source's registry host.
    pub registry: String,
    pub endpoint: super::client::Endpoint,
}

impl OpenSource {
    pub async fn open(reference: &str, opts: &PullOptions) -> Result<OpenSource, PullError> {
        let name = ImageReference::parse(reference)?;
        let sources = super::pull::pull_sources(&name, opts)?;
        let source = sources.first().ok_or_else(|| PullError::Source {
            reference: name.to_string(),
            message: "no pull source".to_string(),
        })?;
        let registry = source.reference.domain.clone().unwrap_or_default();
        let endpoint = connect_source(source, opts)
            .await
            .map_err(|message| PullError::Source {
                reference: name.to_string(),
                message,
            })?;
        Ok(OpenSource {
            source: source.reference.clone(),
            name,
            registry,
            endpoint,
        })
    }

    pub fn error(&self, message: String) -> PullError {
        PullError::Source {
            reference: self.name.to_string(),
            message,
        }
    }
}

/// Fetches `reference` (fully qualified) from its registry (first pull
/// source of registries.conf).
pub async fn remote_manifest(
    reference: &str,
    opts: &PullOptions,
) -> Result<RemoteManifest, PullError> {
    let open = OpenSource::open(reference, opts).await?;
    let source_err = |message: String| open.error(message);
    let (registry, endpoint) = (&open.registry, &open.endpoint);
    let source = &open;
    let oref = oci_reference(&source.source);
    let what = format!(
        "reading manifest {} in {}",
        source.source.manifest_reference(),
        source.source.name()
    );
    let (raw, digest) = endpoint
        .client
        .pull_manifest_raw(&oref, &endpoint.auth, ACCEPTED_MANIFESTS)
        .await
        .map_err(|e| source_err(describe(&e, &what, registry)))?;
    let actual = sha256_digest(&raw);
    if actual != digest {
        return Err(source_err(format!(
            "manifest digest did not match, expected {digest}, got {actual}"
        )));
    }
    let probe: Probe =
        serde_json::from_slice(&raw).map_err(|e| source_err(format!("parsing manifest: {e}")))?;
    let (media_type, config) = match (probe.manifests, probe.config) {
        (Some(_), _) => (
            probe
                .media_type
                .unwrap_or_else(|| OCI_IMAGE_INDEX_MEDIA_TYPE.to_string()),
            None,
        ),
        (None, Some(c)) => {
            let cfg = fetch_config(&endpoint.client, &oref, &c.digest, registry).await?;
            let mt = probe.media_type.unwrap_or_else(|| {
                if c.media_type.as_deref() == Some("application/vnd.docker.container.image.v1+json")
                {
                    oci_client::manifest::IMAGE_MANIFEST_MEDIA_TYPE.to_string()
                } else {
                    oci_client::manifest::OCI_IMAGE_MEDIA_TYPE.to_string()
                }
            });
            (mt, Some(cfg))
        }
        (None, None) => return Err(source_err("unrecognized manifest".to_string())),
    };
    Ok(RemoteManifest {
        raw: raw.to_vec(),
        digest,
        media_type,
        config,
    })
}

/// The repository `reference` names at its registry (first pull source)
/// and its tags (`pull --all-tags`), every page of the registry's list.
pub async fn remote_tags(
    reference: &str,
    opts: &PullOptions,
) -> Result<(String, Vec<String>), PullError> {
    let open = OpenSource::open(reference, opts).await?;
    let oref = oci_reference(&open.source);
    let what = format!("fetching tags list of {}", open.source.name());
    let mut tags: Vec<String> = Vec::new();
    loop {
        let page = open
            .endpoint
            .client
            .list_tags(
                &oref,
                &open.endpoint.auth,
                None,
                tags.last().map(String::as_str),
            )
            .await
            .map_err(|e| open.error(describe(&e, &what, &open.registry)))?;
        let before = tags.len();
        let new: Vec<String> = page
            .tags
            .into_iter()
            .filter(|t| !tags.contains(t))
            .collect();
        tags.extend(new);
        // A registry that ignores `last` repeats its page: stop there.
        if tags.len() == before {
            return Ok((open.source.name(), tags));
        }
    }
}
