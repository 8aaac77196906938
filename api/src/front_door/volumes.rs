//! Named volumes.

use async_trait::async_trait;

use crate::front_door::containers::ExportOutput;
use crate::front_door::images::ArchiveSource;
use crate::prune::PruneReport;
use crate::volume::{
    VolumeConfigResponse, VolumeCreateOptions, VolumeListOptions, VolumePruneOptions,
    VolumeRmOptions, VolumeRmReport,
};
use crate::Result;

/// Podman's `Volume*` operations.
#[async_trait]
pub trait Volumes: Send + Sync {
    /// `volume create`: the new (or, with `ignore_if_exists`, existing)
    /// volume's name.
    async fn volume_create(&self, options: VolumeCreateOptions) -> Result<String>;

    /// `volume inspect`: each volume found, and an error for each name
    /// that is not a volume (`all`: every volume).
    async fn volume_inspect(
        &self,
        names: &[String],
        all: bool,
    ) -> Result<(Vec<VolumeConfigResponse>, Vec<crate::Error>)>;

    /// `volume ls`, oldest first.
    async fn volume_list(&self, options: VolumeListOptions) -> Result<Vec<VolumeConfigResponse>>;

    /// `volume rm`: removes the named volumes, or with `all` every volume.
    async fn volume_remove(
        &self,
        names: &[String],
        options: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>>;

    /// `volume prune`: removes the volumes no container uses.
    async fn volume_prune(&self, options: VolumePruneOptions) -> Result<Vec<PruneReport>>;

    /// `volume exists`.
    async fn volume_exists(&self, name: &str) -> Result<bool>;

    /// `volume export`: the volume's content as a tar archive.
    async fn volume_export(&self, name: &str, output: ExportOutput) -> Result<()>;

    /// `volume import`: a tar archive unpacked into the volume.
    async fn volume_import(&self, name: &str, from: ArchiveSource) -> Result<()>;

    /// `volume mount`: the volume's path on the host (mounted first when
    /// its options need a mount).
    async fn volume_mount(&self, name: &str) -> Result<String>;

    /// `volume unmount`: releases one `volume mount`.
    async fn volume_unmount(&self, name: &str) -> Result<()>;
}
