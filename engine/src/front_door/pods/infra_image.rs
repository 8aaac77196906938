//! `--infra-image` and containers.conf `[engine] infra_image`: the image a
//! new pod's infra container runs, pulled when it is not in the store (as
//! Podman's `pod create`). Without one the infra container has no image
//! (the default root of [`crate::pod::infra_rootfs`]).

use rpod_api::front_door::images::{ImagePullOptions, RegistryOptions};
use rpod_api::{Error, Result};

use crate::engine::Engine;

/// The infra image of a new pod, present in the store once this returns.
pub(crate) async fn resolve(engine: &Engine, given: Option<&str>) -> Result<Option<String>> {
    let conf = engine
        .config()
        .containers_conf
        .engine
        .infra_image
        .as_deref();
    let Some(image) = given.or(conf).filter(|i| !i.is_empty()) else {
        return Ok(None);
    };
    let present = engine
        .store()
        .lookup_image(image)
        .map_err(|e| Error::other(e.to_string()))?
        .is_some();
    if !present {
        let options = ImagePullOptions {
            registry: RegistryOptions::default(),
            quiet: true,
            ..Default::default()
        };
        crate::front_door::images::transfer::pull(engine, image, &options, None).await?;
    }
    Ok(Some(image.to_owned()))
}
