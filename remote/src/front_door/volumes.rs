//! `Volumes` over the libpod API.

use rpod_api::front_door::containers::ExportOutput;
use rpod_api::front_door::images::ArchiveSource;
use rpod_api::prune::PruneReport;
use rpod_api::volume::{
    VolumeConfigResponse, VolumeCreateOptions, VolumeListOptions, VolumePruneOptions,
    VolumeRmOptions, VolumeRmReport,
};
use rpod_api::Result;

use async_trait::async_trait;
use rpod_api::front_door::Volumes;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Volumes for RemoteEngine {
    async fn volume_create(&self, _options: VolumeCreateOptions) -> Result<String> {
        Err(unsupported("volume create"))
    }

    async fn volume_inspect(
        &self,
        _names: &[String],
        _all: bool,
    ) -> Result<(Vec<VolumeConfigResponse>, Vec<rpod_api::Error>)> {
        Err(unsupported("volume inspect"))
    }

    async fn volume_list(&self, _options: VolumeListOptions) -> Result<Vec<VolumeConfigResponse>> {
        Err(unsupported("volume list"))
    }

    async fn volume_remove(
        &self,
        _names: &[String],
        _options: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>> {
        Err(unsupported("volume remove"))
    }

    async fn volume_prune(&self, _options: VolumePruneOptions) -> Result<Vec<PruneReport>> {
        Err(unsupported("volume prune"))
    }

    async fn volume_exists(&self, _name: &str) -> Result<bool> {
        Err(unsupported("volume exists"))
    }

    async fn volume_export(&self, _name: &str, _output: ExportOutput) -> Result<()> {
        Err(unsupported("volume export"))
    }

    async fn volume_import(&self, _name: &str, _from: ArchiveSource) -> Result<()> {
        Err(unsupported("volume import"))
    }

    async fn volume_mount(&self, _name: &str) -> Result<String> {
        Err(unsupported("volume mount"))
    }

    async fn volume_unmount(&self, _name: &str) -> Result<()> {
        Err(unsupported("volume unmount"))
    }
}
