//! Images as volumes: the images of `image` volume sources are pulled as
//! their `pullPolicy` says before the containers are created, and Podman's
//! automount annotation mounts the volumes an image declares (its
//! `VOLUME` paths, read-only, from the image's own content) into one
//! container — a later image replacing an earlier one at the same path.

use std::collections::BTreeMap;
use std::sync::Arc;

use rpod_api::container_run::{ImageMount, PullPolicy};
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink, RegistryOptions};
use rpod_api::kube::KubePlayOptions;
use rpod_api::{Error, ErrorKind, FrontDoor};

/// Makes image `reference` (of a container or an image volume) present
/// as `policy` asks.
pub(crate) async fn pull<E: FrontDoor + ?Sized>(
    e: &E,
    reference: &str,
    policy: PullPolicy,
    options: &KubePlayOptions,
    progress: &Option<Arc<dyn ProgressSink>>,
) -> Result<(), Error> {
    let present = e.image_exists(reference).await?;
    let pull = || {
        e.image_pull(
            reference,
            ImagePullOptions {
                registry: RegistryOptions {
                    tls_verify: options.tls_verify,
                    authfile: options.authfile.clone(),
                    ..RegistryOptions::default()
                },
                quiet: options.quiet,
                ..ImagePullOptions::default()
            },
            progress.clone(),
        )
    };
    match (policy, present) {
        (PullPolicy::Always, _) | (PullPolicy::Missing | PullPolicy::Newer, false) => {
            pull().await?;
        }
        (PullPolicy::Newer, true) => {
            if let Err(err) = pull().await {
                tracing::warn!("checking for a newer {reference}: {err}; using the local image");
            }
        }
        (PullPolicy::Never, false) => {
            return Err(Error::new(
                ErrorKind::NoSuchImage,
                format!("{reference}: image not known"),
            ));
        }
        (PullPolicy::Missing | PullPolicy::Never, true) => {}
    }
    Ok(())
}

/// The volume paths an image's config declares.
fn declared_volumes(config: Option<&serde_json::Value>) -> Vec<String> {
    config
        .and_then(|c| c.get("Volumes"))
        .and_then(|v| v.as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The mounts the automount annotation gives container `ctr`: each
/// image's declared volumes, from that image, the last image winning.
pub(crate) async fn automount<E: FrontDoor + ?Sized>(
    e: &E,
    ctr: &str,
    images: &[String],
) -> Result<Vec<ImageMount>, Error> {
    let mut by_path: BTreeMap<String, ImageMount> = BTreeMap::new();
    for image in images {
        let data = e.image_inspect(image).await.map_err(|err| {
            Error::new(
                err.kind,
                format!(
                    "image {image} from container {ctr} does not exist in local storage, cannot automount: {}",
                    err.message
                ),
            )
        })?;
        for path in declared_volumes(data.config.as_deref()) {
            if let Some(old) = by_path.get(&path) {
                tracing::warn!(
                    "Multiple volume mounts to {path:?} requested, overriding image {:?} with image {image}",
                    old.source
                );
            }
            by_path.insert(
                path.clone(),
                ImageMount {
                    source: image.clone(),
                    destination: path.clone(),
                    rw: false,
                    subpath: Some(path),
                },
            );
        }
    }
    Ok(by_path.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_volumes_of_a_config() {
        let c = serde_json::json!({"Volumes": {"/a": {}, "/b/c": {}}, "Env": []});
        assert_eq!(declared_volumes(Some(&c)), ["/a", "/b/c"]);
        assert!(declared_volumes(Some(&serde_json::json!({}))).is_empty());
        assert!(declared_volumes(None).is_empty());
    }
}
