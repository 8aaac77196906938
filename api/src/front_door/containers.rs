//! Containers: lifecycle (init, start, stop, kill, restart, pause, unpause,
//! rm, rename, wait, exists, cleanup), listing (`ps`), inspect, top, mount,
//! diff, healthcheck run.

use std::io::Write;
use std::path::PathBuf;

use async_trait::async_trait;

use crate::container::{
    ContainerCleanupOptions, ContainerExistsOptions, ContainerListOptions, ContainerMountOptions,
    ContainerMountReport, ContainerReport, ContainerUnmountOptions, ContainerUnmountReport,
    DiffOptions, DiffReport, HealthCheckRunReport, InspectOptions, KillOptions, KillReport,
    PauseUnpauseOptions, PauseUnpauseReport, RestartOptions, RestartReport, RmOptions, RmReport,
    Selected, StartSelectOptions, StopOptions, StopReport, StringSliceReport, TopOptions,
    WaitOptions, WaitReport,
};
use crate::inspect::InspectContainerData;
use crate::ps::ListContainer;
use crate::{Error, Result};

/// Where `export` writes the tarball.
pub enum ExportOutput {
    /// A file, written whole or not at all (a partial file is removed).
    File(PathBuf),
    /// A stream (the CLI's stdout, an HTTP response body).
    Stream(Box<dyn Write + Send>),
}

/// Podman's container operations other than create/run/attach/exec and logs.
/// Batch operations return one report per container, in the order of the
/// request's names (or of the containers selected); a request that cannot
/// start at all (no `--latest` container, an invalid filter) is an `Err`.
#[async_trait]
pub trait Containers: Send + Sync {
    /// `rename`: gives the container `name_or_id` the name `new_name`.
    async fn container_rename(&self, name_or_id: &str, new_name: &str) -> Result<()>;

    /// `stop` (the containers are stopped concurrently).
    async fn container_stop(&self, options: StopOptions) -> Result<Vec<StopReport>>;

    /// `kill` (one by one).
    async fn container_kill(&self, options: KillOptions) -> Result<Vec<KillReport>>;

    /// `rm` (concurrently; with `depend`, each container's dependents first).
    async fn container_rm(&self, options: RmOptions) -> Result<Vec<RmReport>>;

    /// `restart` (one by one).
    async fn container_restart(&self, options: RestartOptions) -> Result<Vec<RestartReport>>;

    /// `pause` (one by one).
    async fn container_pause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>>;

    /// `unpause` (one by one).
    async fn container_unpause(
        &self,
        options: PauseUnpauseOptions,
    ) -> Result<Vec<PauseUnpauseReport>>;

    /// `wait`.
    async fn container_wait(&self, options: WaitOptions) -> Result<Vec<WaitReport>>;

    /// The containers `start` acts on, in order (see [`StartSelectOptions`]).
    async fn container_start_select(&self, options: StartSelectOptions) -> Result<Vec<Selected>>;

    /// `container exists`.
    async fn container_exists(
        &self,
        name_or_id: &str,
        options: ContainerExistsOptions,
    ) -> Result<bool>;

    /// `container cleanup` (run by a container's monitor after an exit).
    async fn container_cleanup(
        &self,
        options: ContainerCleanupOptions,
    ) -> Result<Vec<ContainerReport>>;

    /// `ps`: the containers, oldest first.
    async fn container_list(&self, options: ContainerListOptions) -> Result<Vec<ListContainer>>;

    /// `container inspect`: the reports of the containers found and an error for each
    /// name that is no container (in the order of the names).
    async fn container_inspect(
        &self,
        names: &[String],
        options: InspectOptions,
    ) -> Result<(Vec<InspectContainerData>, Vec<Error>)>;

    /// `top`: the header line and one line per process, cells separated by tabs.
    async fn container_top(&self, options: TopOptions) -> Result<StringSliceReport>;

    /// `top --list-descriptors`: the descriptors `top` knows.
    fn container_top_descriptors(&self) -> Vec<String>;

    /// `stats`: one sample of each container (the CLI streams by asking
    /// again with the previous samples).
    async fn container_stats(
        &self,
        options: crate::stats::ContainerStatsOptions,
    ) -> Result<Vec<crate::stats::ContainerStats>>;

    /// `update`: changes the container's limits (applied at once to a
    /// live one), restart policy, health check, environment and ulimits
    /// (from the next start); returns its full id.
    async fn container_update(
        &self,
        options: crate::container_run::UpdateOptions,
    ) -> Result<String>;

    /// `healthcheck run`.
    async fn container_healthcheck_run(&self, name_or_id: &str) -> Result<HealthCheckRunReport>;

    /// `mount`: mounts each container's root filesystem.
    async fn container_mount(
        &self,
        options: ContainerMountOptions,
    ) -> Result<Vec<ContainerMountReport>>;

    /// `mount` without arguments: the containers whose root filesystem is mounted.
    async fn container_list_mounted(&self) -> Result<Vec<ContainerMountReport>>;

    /// `umount`.
    async fn container_unmount(
        &self,
        options: ContainerUnmountOptions,
    ) -> Result<Vec<ContainerUnmountReport>>;

    /// `export`: the container's root filesystem as a tarball.
    async fn container_export(&self, name_or_id: &str, output: ExportOutput) -> Result<()>;

    /// `diff` of a container (or an image, by `options.type`).
    async fn container_diff(&self, name_or_id: &str, options: DiffOptions) -> Result<DiffReport>;

    /// Has a running container's monitor close and reopen its log file
    /// (CRI's `ReopenContainerLog`, after the kubelet rotated the file).
    /// Engines without it answer [`crate::ErrorKind::NotImplemented`].
    async fn container_reopen_log(&self, name_or_id: &str) -> Result<()> {
        Err(Error::new(
            crate::ErrorKind::NotImplemented,
            format!(
                "reopening the log of container {name_or_id} is not implemented by this engine"
            ),
        ))
    }
}
