//! [`rpod_api::front_door::Images`] for the local engine: one submodule per
//! job.

mod archive;
pub(crate) mod auth;
pub mod filter;
mod layers;
pub mod list;
mod mount;
pub mod names;
pub(crate) mod pull_policy;
pub mod remove;
pub mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::images::{
    ArchiveSource, CommitOptions, ImageImportOptions, ImageListOptions, ImageMountOptions,
    ImagePruneOptions, ImagePullOptions, ImagePullReport, ImagePushOptions, ImagePushReport,
    ImageRemoveOptions, ImageSaveOptions, LoginOptions, LogoutOptions, ProgressSink,
    SaveDestination, SetTrustOptions, ShowTrustReport,
};
use rpod_api::front_door::Images;
use rpod_api::image::{
    ImageData, ImageHistoryLayer, ImageLoadReport, ImageMountReport, ImagePruneReport,
    ImageRemoveReport, ImageSummary, ImageTreeReport,
};
use rpod_api::{Error, Result};

use super::LocalEngine;

/// An engine error as the front door's, with its message as it displays
/// (the CLI printed these without their causes).
pub(crate) fn other(e: &dyn std::fmt::Display) -> Error {
    Error::other(e.to_string())
}

/// Removes `ids` (and with `prune` the build cache) from Buildah's store
/// too (see [`crate::build::forget_images`]).
async fn forget_in_buildah(local: &LocalEngine, ids: Vec<String>, prune: bool) {
    let engine = local.engine().clone();
    let _ = tokio::task::spawn_blocking(move || {
        crate::build::forget_images(&engine, &ids, prune);
    })
    .await;
}

#[async_trait]
impl Images for LocalEngine {
    async fn image_pull(
        &self,
        reference: &str,
        options: ImagePullOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePullReport> {
        if options.all_tags {
            let images =
                transfer::pull_all_tags(self.engine(), reference, &options, progress).await?;
            return Ok(ImagePullReport { images });
        }
        let id = match options.policy {
            None | Some(rpod_api::container_run::PullPolicy::Always) => {
                transfer::pull(self.engine(), reference, &options, progress).await?
            }
            Some(policy) => {
                pull_policy::pull_with_policy(self.engine(), reference, policy, &options, progress)
                    .await?
            }
        };
        Ok(ImagePullReport { images: vec![id] })
    }

    async fn image_push(
        &self,
        source: &str,
        destination: Option<&str>,
        options: ImagePushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePushReport> {
        let manifest_digest =
            transfer::push_image(self.engine(), source, destination, &options, progress).await?;
        Ok(ImagePushReport { manifest_digest })
    }

    async fn image_list(&self, options: ImageListOptions) -> Result<Vec<ImageSummary>> {
        list::list(self.engine(), &options)
    }

    async fn image_inspect(&self, name_or_id: &str) -> Result<ImageData> {
        let image = names::find_image(self.engine(), name_or_id)?;
        list::image_data(self.engine(), &image)
    }

    async fn image_remove(
        &self,
        names: Vec<String>,
        options: ImageRemoveOptions,
    ) -> Result<ImageRemoveReport> {
        let report = remove::remove(self.engine(), &names, &options).await?;
        forget_in_buildah(self, report.deleted.clone(), false).await;
        Ok(report)
    }

    async fn image_prune(&self, options: ImagePruneOptions) -> Result<Vec<ImagePruneReport>> {
        let reports = remove::prune(self.engine(), &options)?;
        let ids = reports.iter().map(|r| r.id.clone()).collect();
        forget_in_buildah(self, ids, true).await;
        Ok(reports)
    }

    async fn image_tag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()> {
        names::tag(self.engine(), name_or_id, &tags)
    }

    async fn image_untag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()> {
        names::untag(self.engine(), name_or_id, &tags)
    }

    async fn image_exists(&self, name_or_id: &str) -> Result<bool> {
        self.engine()
            .store()
            .lookup_image(name_or_id)
            .map(|i| i.is_some())
            .map_err(|e| other(&e))
    }

    async fn image_save(
        &self,
        names: Vec<String>,
        options: ImageSaveOptions,
        to: SaveDestination,
    ) -> Result<()> {
        archive::save(self.engine(), &names, &options, to)
    }

    async fn image_load(&self, from: ArchiveSource) -> Result<ImageLoadReport> {
        match &from {
            ArchiveSource::Path(p) if archive::is_url(p) => {
                let url = p.display().to_string();
                let download = archive::download(self.engine(), &url).await?;
                archive::load_downloaded(self.engine(), download.path(), &url)
            }
            _ => archive::load(self.engine(), from),
        }
    }

    async fn image_import(
        &self,
        from: ArchiveSource,
        options: ImageImportOptions,
    ) -> Result<String> {
        archive::import(self.engine(), from, &options).await
    }

    async fn container_commit(&self, name_or_id: &str, options: CommitOptions) -> Result<String> {
        archive::commit(self.engine(), name_or_id, &options).await
    }

    async fn image_history(&self, name_or_id: &str) -> Result<Vec<ImageHistoryLayer>> {
        layers::history(self.engine(), name_or_id)
    }

    async fn image_tree(&self, name_or_id: &str) -> Result<ImageTreeReport> {
        layers::tree(self.engine(), name_or_id)
    }

    async fn image_mount(
        &self,
        names: Vec<String>,
        options: ImageMountOptions,
    ) -> Result<Vec<ImageMountReport>> {
        mount::mount(self.engine(), &names, &options)
    }

    async fn image_unmount(
        &self,
        names: Vec<String>,
        options: ImageMountOptions,
    ) -> Result<Vec<String>> {
        mount::unmount(self.engine(), &names, &options)
    }

    async fn registry_login(&self, options: LoginOptions) -> Result<()> {
        auth::login(&options).await
    }

    async fn registry_login_user(
        &self,
        registry: &str,
        authfile: Option<PathBuf>,
    ) -> Result<String> {
        auth::login_user(registry, authfile)
    }

    async fn registry_logout(&self, options: LogoutOptions) -> Result<Option<String>> {
        auth::logout(&options)
    }

    async fn trust_show(&self, policy_path: Option<PathBuf>) -> Result<ShowTrustReport> {
        auth::trust_show(policy_path)
    }

    async fn trust_set(&self, options: SetTrustOptions) -> Result<()> {
        auth::trust_set(&options)
    }
}

#[cfg(test)]
mod tests;
