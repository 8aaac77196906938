//! [`rpod_api::front_door::Containers`] for the local engine: which containers a
//! request names is resolved in [`select`] (names, `--latest`, `--all`, filters),
//! then each module does one job.

mod lifecycle;
mod list;
mod select;
mod stats;
pub(crate) mod storage;

use async_trait::async_trait;
use rpod_api::container::{
    ContainerCleanupOptions, ContainerExistsOptions, ContainerListOptions, ContainerMountOptions,
    ContainerMountReport, ContainerReport, ContainerUnmountOptions, ContainerUnmountReport,
    DiffOptions, DiffReport, HealthCheckRunReport, InspectOptions, KillOptions, KillReport,
    PauseUnpauseOptions, PauseUnpauseReport, RestartOptions, RestartReport, RmOptions, RmReport,
    Selected, StartSelectOptions, StopOptions, StopReport, StringSliceReport, TopOptions,
    WaitOptions, WaitReport,
};
use rpod_api::container_run::UpdateOptions;
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::front_door::Containers;
use rpod_api::inspect::InspectContainerData;
use rpod_api::ps::ListContainer;
use rpod_api::{Error, ErrorKind, Result};

use super::container_run::options::restart_config;
use super::LocalEngine;
use crate::container::inspect::inspect_container;
use crate::container::{health, top, ContainerError, ContainerUpdate};
use crate::state::ContainerState;

#[async_trait]
impl Containers for LocalEngine {
    async fn container_rename(&self, name_or_id: &str, new_name: &str) -> Result<()> {
        let handle = self.engine().container(name_or_id)?;
        Ok(handle.rename(new_name.to_owned()).await?)
    }

    async fn container_stop(&self, options: StopOptions) -> Result<Vec<StopReport>> {
        lifecycle::stop(self.engine(), options).await
    }

    async fn container_kill(&self, options: KillOptions) -> Result<Vec<KillReport>> {
        lifecycle::kill(self.engine(), options).await
    }

    async fn container_rm(&self, options: RmOptions) -> Result<Vec<RmReport>> {
        lifecycle::rm(self.engine(), options).await
    }

    async fn container_restart(&self, options: RestartOptions) -> Result<Vec<RestartReport>> {
        lifecycle::restart(self.engine(), options).await
    }

    async fn container_pause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>> {
        lifecycle::pause_unpause(self.engine(), options, true).await
    }

    async fn container_unpause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>> {
        lifecycle::pause_unpause(self.engine(), options, false).await
    }

    async fn container_wait(&self, options: WaitOptions) -> Result<Vec<WaitReport>> {
        lifecycle::wait(self.engine(), options).await
    }

    async fn container_start_select(&self, options: StartSelectOptions) -> Result<Vec<Selected>> {
        select::start_targets(self.engine(), &options)
    }

    async fn container_exists(
        &self,
        name_or_id: &str,
        options: ContainerExistsOptions,
    ) -> Result<bool> {
        lifecycle::exists(self.engine(), name_or_id, options).await
    }

    async fn container_cleanup(
        &self,
        options: ContainerCleanupOptions,
    ) -> Result<Vec<ContainerReport>> {
        lifecycle::cleanup(self.engine(), options).await
    }

    async fn container_list(&self, options: ContainerListOptions) -> Result<Vec<ListContainer>> {
        list::list(self.engine(), options).await
    }

    async fn container_inspect(
        &self,
        names: &[String],
        options: InspectOptions,
    ) -> Result<(Vec<InspectContainerData>, Vec<Error>)> {
        let engine = self.engine();
        let names = if options.latest {
            vec![select::latest(engine)?.id]
        } else {
            names.to_vec()
        };
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for name in &names {
            let rec = match engine.container(name) {
                Ok(h) => h.get().await,
                Err(e) => Err(e),
            };
            match rec {
                Ok(rec) => found.push(inspect_container(engine.ctx(), &rec)),
                Err(ContainerError::NotFound(_)) => errors.push(Error::new(
                    ErrorKind::NoSuchContainer,
                    format!("no such container \"{name}\""),
                )),
                Err(e) => errors.push(e.into()),
            }
        }
        Ok((found, errors))
    }

    async fn container_top(&self, options: TopOptions) -> Result<StringSliceReport> {
        let engine = self.engine();
        let name = select::name_or_latest(engine, &options.name_or_id, options.latest)?;
        let rec = engine.container(&name)?.get().await?;
        if rec.state != ContainerState::Running || rec.pid <= 0 {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "top can only be used on running containers",
            ));
        }
        let descriptors = options.descriptors;
        let value = tokio::task::spawn_blocking(move || top::table(rec.pid, &descriptors))
            .await
            .map_err(|e| Error::other(format!("top task: {e}")))??;
        Ok(StringSliceReport { value })
    }

    fn container_top_descriptors(&self) -> Vec<String> {
        top::descriptors()
    }

    async fn container_stats(
        &self,
        options: rpod_api::stats::ContainerStatsOptions,
    ) -> Result<Vec<rpod_api::stats::ContainerStats>> {
        stats::stats(self.engine(), options).await
    }

    async fn container_update(&self, options: UpdateOptions) -> Result<String> {
        let handle = self.engine().container(&options.name_or_id)?;
        let update = ContainerUpdate {
            resources: options.resources,
            ulimits: options.ulimits,
            restart: options.restart.map(restart_config),
            health: options.health,
            env: options.env,
            unset_env: options.unset_env,
        };
        handle.update(update).await?;
        Ok(handle.id.clone())
    }

    async fn container_healthcheck_run(&self, name_or_id: &str) -> Result<HealthCheckRunReport> {
        let engine = self.engine();
        let rec = engine.container(name_or_id)?.get().await?;
        let config = engine.config().clone();
        let result = tokio::task::spawn_blocking(move || health::run_check(&config, &rec))
            .await
            .map_err(|e| Error::other(format!("health check task: {e}")))??;
        // The monitor reports the run: a failed startup check reads
        // `starting`, a check cut off by the container's stop `stopped`.
        let status = match (result.exit_code, result.status.as_str()) {
            (0, _) => "healthy",
            (_, s @ ("starting" | "stopped")) => s,
            _ => "unhealthy",
        };
        Ok(HealthCheckRunReport {
            status: status.to_owned(),
        })
    }

    async fn container_mount(
        &self,
        options: ContainerMountOptions,
    ) -> Result<Vec<ContainerMountReport>> {
        storage::mount(self.engine(), options).await
    }

    async fn container_list_mounted(&self) -> Result<Vec<ContainerMountReport>> {
        storage::list_mounted(self.engine()).await
    }

    async fn container_unmount(
        &self,
        options: ContainerUnmountOptions,
    ) -> Result<Vec<ContainerUnmountReport>> {
        storage::unmount(self.engine(), options).await
    }

    async fn container_export(&self, name_or_id: &str, output: ExportOutput) -> Result<()> {
        storage::export(self.engine(), name_or_id, output).await
    }

    async fn container_diff(&self, name_or_id: &str, options: DiffOptions) -> Result<DiffReport> {
        storage::diff(self.engine(), name_or_id, options).await
    }

    async fn container_reopen_log(&self, name_or_id: &str) -> Result<()> {
        let engine = self.engine();
        let rec = engine.container(name_or_id)?.get().await?;
        if !matches!(rec.state, ContainerState::Running | ContainerState::Paused) {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!("container {} is not running", rec.id),
            ));
        }
        let paths = crate::container::paths::ContainerPaths::new(engine.config(), &rec.id);
        tokio::task::spawn_blocking(move || {
            crate::monitor::client::MonitorClient::connect(&paths.monitor.control_socket)
                .and_then(|mut c| c.reopen_log())
        })
        .await
        .map_err(|e| Error::other(format!("reopening the log: {e}")))?
        .map_err(|e| Error::other(format!("reopening the log of container {}: {e}", rec.id)))
    }
}
