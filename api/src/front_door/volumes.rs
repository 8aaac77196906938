//! Named volumes.

use async_trait::async_trait;

use crate::volume::{VolumeRmOptions, VolumeRmReport};
use crate::Result;

/// Podman's `Volume*` operations (rpod has no volumes yet: issue 13).
#[async_trait]
pub trait Volumes: Send + Sync {
    /// `volume rm`: removes the named volumes, or with `all` every volume.
    async fn volume_remove(
        &self,
        names: &[String],
        options: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>>;
}
