//! Pull policies (`pull --policy`, `create --pull`): whether the registry is
//! asked at all, given the image in local storage.

use std::sync::Arc;

use rpod_api::container_run::PullPolicy;
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink};
use rpod_api::Error;

use super::other;
use crate::engine::Engine;

/// Pulls `reference` as `policy` says; returns the image's ID (the local
/// image's when nothing was pulled).
pub(crate) async fn pull_with_policy(
    engine: &Engine,
    reference: &str,
    policy: PullPolicy,
    options: &ImagePullOptions,
    progress: Option<Arc<dyn ProgressSink>>,
) -> Result<String, Error> {
    let local = engine
        .store()
        .lookup_image(reference)
        .map_err(|e| other(&e))?;
    match (policy, local) {
        (PullPolicy::Always, _) | (PullPolicy::Missing | PullPolicy::Newer, None) => {
            super::transfer::pull(engine, reference, options, progress).await
        }
        (PullPolicy::Newer, Some(img)) => {
            // Present: fetch the registry's manifest; blobs already stored are
            // not downloaded again, so an unchanged image costs one request.
            // Without a registry the local image is used (Podman: the same).
            let check = ImagePullOptions {
                quiet: true,
                ..options.clone()
            };
            match super::transfer::pull(engine, reference, &check, progress).await {
                Ok(id) => Ok(id),
                Err(e) => {
                    tracing::warn!("checking for a newer {reference}: {e}; using the local image");
                    Ok(img.id)
                }
            }
        }
        (PullPolicy::Never, None) => Err(Error::new(
            rpod_api::ErrorKind::NoSuchImage,
            format!("{reference}: image not known"),
        )),
        (PullPolicy::Missing | PullPolicy::Never, Some(img)) => {
            // Podman's pull with these policies finds the local image and
            // still records a `pull` event for it.
            crate::events::image_event(engine.config(), &img.id, reference, "pull");
            Ok(img.id)
        }
    }
}
