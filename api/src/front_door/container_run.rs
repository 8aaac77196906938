//! Creating and running containers and talking to their processes:
//! create, run, start (attached), attach, exec.

use async_trait::async_trait;

use crate::container_run::{
    AttachOptions, AttachSession, CreateReport, CreateSpec, ExecOptions, RunSpec,
    StartAttachOptions,
};
use crate::Result;

/// How a `run` went on after creating the container.
pub enum RunStarted {
    /// `-d`: the container runs; its id.
    Detached(CreateReport),
    /// The container runs attached to the caller; the create's warnings
    /// ([`CreateReport::warnings`]).
    Attached(Box<dyn AttachSession>, Vec<String>),
}

/// Podman's `ContainerCreate`, `ContainerRun`, `ContainerAttach`, `ContainerExec*`.
#[async_trait]
pub trait ContainerRun: Send + Sync {
    /// `create`: pulls the image as the pull policy says (progress to
    /// `progress`), then creates the container (and its pod for
    /// `--pod new:`), replacing a namesake with `--replace`.
    async fn container_create(
        &self,
        spec: CreateSpec,
        progress: Option<std::sync::Arc<dyn crate::front_door::images::ProgressSink>>,
    ) -> Result<CreateReport>;

    /// `run`: creates the container as [`ContainerRun::container_create`],
    /// then starts it detached, or attached (initialized, attached, then
    /// started, so no output is missed). A `--rm` container that fails to
    /// start is removed.
    async fn container_run(
        &self,
        spec: RunSpec,
        progress: Option<std::sync::Arc<dyn crate::front_door::images::ProgressSink>>,
    ) -> Result<RunStarted>;

    /// `start --attach` of one container.
    async fn container_start_attached(
        &self,
        name_or_id: &str,
        options: StartAttachOptions,
    ) -> Result<Box<dyn AttachSession>>;

    /// `start` of one container, detached; tells systemd it is ready
    /// (`--sdnotify=conmon`). With `skip_running` a running container is
    /// left as it is; false when it was not started for that reason.
    async fn container_start(&self, name_or_id: &str, skip_running: bool) -> Result<bool>;

    /// `attach` to a running container.
    async fn container_attach(
        &self,
        name_or_id: &str,
        options: AttachOptions,
    ) -> Result<Box<dyn AttachSession>>;

    /// `exec`, attached: the session of the running process.
    async fn container_exec(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<Box<dyn AttachSession>>;

    /// `exec --detach`: the exec session's id.
    async fn container_exec_detached(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<String>;
}
