//! `Containers` over the libpod API.

use rpod_api::container::{
    ContainerCleanupOptions, ContainerExistsOptions, ContainerListOptions, ContainerMountOptions,
    ContainerMountReport, ContainerReport, ContainerUnmountOptions, ContainerUnmountReport,
    DiffOptions, DiffReport, HealthCheckRunReport, InspectOptions, KillOptions, KillReport,
    PauseUnpauseOptions, PauseUnpauseReport, RestartOptions, RestartReport, RmOptions, RmReport,
    Selected, StartSelectOptions, StopOptions, StopReport, StringSliceReport, TopOptions,
    WaitOptions, WaitReport,
};
use rpod_api::inspect::InspectContainerData;
use rpod_api::ps::ListContainer;
use rpod_api::{Error, Result};

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::containers::*;
use rpod_api::front_door::Containers;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Containers for RemoteEngine {
    async fn container_rename(&self, name_or_id: &str, new_name: &str) -> Result<()> {
        self.rename(name_or_id, new_name).await
    }

    async fn container_stop(&self, options: StopOptions) -> Result<Vec<StopReport>> {
        self.stop(&options).await
    }

    async fn container_kill(&self, options: KillOptions) -> Result<Vec<KillReport>> {
        self.kill(&options).await
    }

    async fn container_rm(&self, options: RmOptions) -> Result<Vec<RmReport>> {
        self.rm(&options).await
    }

    async fn container_restart(&self, options: RestartOptions) -> Result<Vec<RestartReport>> {
        self.restart(&options).await
    }

    async fn container_pause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>> {
        self.pause_unpause(&options, "pause").await
    }

    async fn container_unpause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>> {
        self.pause_unpause(&options, "unpause").await
    }

    async fn container_wait(&self, options: WaitOptions) -> Result<Vec<WaitReport>> {
        self.wait(&options).await
    }

    async fn container_start_select(&self, options: StartSelectOptions) -> Result<Vec<Selected>> {
        self.start_select(&options).await
    }

    async fn container_exists(
        &self,
        name_or_id: &str,
        options: ContainerExistsOptions,
    ) -> Result<bool> {
        if options.external || options.latest {
            return Err(unsupported("container exists --external/--latest"));
        }
        self.exists(name_or_id).await
    }

    async fn container_cleanup(
        &self,
        _options: ContainerCleanupOptions,
    ) -> Result<Vec<ContainerReport>> {
        Err(unsupported("container cleanup"))
    }

    async fn container_list(&self, options: ContainerListOptions) -> Result<Vec<ListContainer>> {
        self.list(&options).await
    }

    async fn container_inspect(
        &self,
        names: &[String],
        options: InspectOptions,
    ) -> Result<(Vec<InspectContainerData>, Vec<Error>)> {
        self.inspect(names, &options).await
    }

    async fn container_top(&self, options: TopOptions) -> Result<StringSliceReport> {
        self.top(&options).await
    }

    fn container_top_descriptors(&self) -> Vec<String> {
        Vec::new()
    }

    async fn container_stats(
        &self,
        options: rpod_api::stats::ContainerStatsOptions,
    ) -> Result<Vec<rpod_api::stats::ContainerStats>> {
        self.stats(options).await
    }

    async fn container_update(
        &self,
        options: rpod_api::container_run::UpdateOptions,
    ) -> Result<String> {
        self.update(&options).await
    }

    async fn container_healthcheck_run(&self, name_or_id: &str) -> Result<HealthCheckRunReport> {
        let path = format!("/containers/{}/healthcheck", crate::ops::seg(name_or_id));
        self.transport.get(&path).await
    }

    async fn container_mount(
        &self,
        _options: ContainerMountOptions,
    ) -> Result<Vec<ContainerMountReport>> {
        Err(unsupported("container mount"))
    }

    async fn container_list_mounted(&self) -> Result<Vec<ContainerMountReport>> {
        Err(unsupported("container list mounted"))
    }

    async fn container_unmount(
        &self,
        _options: ContainerUnmountOptions,
    ) -> Result<Vec<ContainerUnmountReport>> {
        Err(unsupported("container unmount"))
    }

    async fn container_export(&self, name_or_id: &str, output: ExportOutput) -> Result<()> {
        self.export(name_or_id, output).await
    }

    async fn container_diff(&self, name_or_id: &str, options: DiffOptions) -> Result<DiffReport> {
        self.diff(name_or_id, options).await
    }
}
