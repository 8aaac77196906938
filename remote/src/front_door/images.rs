//! `Images` over the libpod API.

use rpod_api::image::{
    ImageData, ImageHistoryLayer, ImageLoadReport, ImageMountReport, ImagePruneReport,
    ImageRemoveReport, ImageSummary, ImageTreeReport,
};
use rpod_api::Result;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::images::*;
use rpod_api::front_door::Images;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Images for RemoteEngine {
    async fn image_pull(
        &self,
        reference: &str,
        options: ImagePullOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePullReport> {
        self.pull(reference, &options, progress).await
    }

    async fn image_push(
        &self,
        source: &str,
        destination: Option<&str>,
        options: ImagePushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePushReport> {
        self.push(source, destination, &options, progress).await
    }

    async fn image_list(&self, options: ImageListOptions) -> Result<Vec<ImageSummary>> {
        self.images(&options).await
    }

    async fn image_inspect(&self, name_or_id: &str) -> Result<ImageData> {
        self.image_inspect_remote(name_or_id).await
    }

    async fn image_remove(
        &self,
        names: Vec<String>,
        options: ImageRemoveOptions,
    ) -> Result<ImageRemoveReport> {
        self.image_rm(&names, &options).await
    }

    async fn image_prune(&self, options: ImagePruneOptions) -> Result<Vec<ImagePruneReport>> {
        self.prune_images(&options).await
    }

    async fn image_tag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()> {
        self.tag(name_or_id, &tags).await
    }

    async fn image_untag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()> {
        self.untag(name_or_id, &tags).await
    }

    async fn image_exists(&self, name_or_id: &str) -> Result<bool> {
        self.image_exists_remote(name_or_id).await
    }

    async fn image_save(
        &self,
        names: Vec<String>,
        options: ImageSaveOptions,
        to: SaveDestination,
    ) -> Result<()> {
        self.save(&names, &options, to).await
    }

    async fn image_load(&self, from: ArchiveSource) -> Result<ImageLoadReport> {
        self.load(from).await
    }

    async fn image_import(
        &self,
        from: ArchiveSource,
        options: ImageImportOptions,
    ) -> Result<String> {
        self.import(from, &options).await
    }

    async fn container_commit(&self, name_or_id: &str, options: CommitOptions) -> Result<String> {
        self.commit(name_or_id, &options).await
    }

    async fn image_history(&self, name_or_id: &str) -> Result<Vec<ImageHistoryLayer>> {
        self.history(name_or_id).await
    }

    async fn image_tree(&self, _name_or_id: &str) -> Result<ImageTreeReport> {
        Err(unsupported("image tree"))
    }

    async fn image_mount(
        &self,
        _names: Vec<String>,
        _options: ImageMountOptions,
    ) -> Result<Vec<ImageMountReport>> {
        Err(unsupported("image mount"))
    }

    async fn image_unmount(
        &self,
        _names: Vec<String>,
        _options: ImageMountOptions,
    ) -> Result<Vec<String>> {
        Err(unsupported("image unmount"))
    }

    async fn registry_login(&self, _options: LoginOptions) -> Result<()> {
        Err(unsupported("registry login"))
    }

    async fn registry_login_user(
        &self,
        _registry: &str,
        _authfile: Option<PathBuf>,
    ) -> Result<String> {
        Err(unsupported("registry login user"))
    }

    async fn registry_logout(&self, _options: LogoutOptions) -> Result<Option<String>> {
        Err(unsupported("registry logout"))
    }

    async fn trust_show(&self, _policy_path: Option<PathBuf>) -> Result<ShowTrustReport> {
        Err(unsupported("trust show"))
    }

    async fn trust_set(&self, _options: SetTrustOptions) -> Result<()> {
        Err(unsupported("trust set"))
    }
}
