//! `ContainerRun` over the libpod API.

use rpod_api::container_run::{
    AttachOptions, AttachSession, CreateReport, CreateSpec, ExecOptions, RunSpec,
    StartAttachOptions,
};
use rpod_api::Result;

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::container_run::*;
use rpod_api::front_door::ContainerRun;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl ContainerRun for RemoteEngine {
    async fn container_create(
        &self,
        spec: CreateSpec,
        progress: Option<std::sync::Arc<dyn rpod_api::front_door::images::ProgressSink>>,
    ) -> Result<CreateReport> {
        self.create(&spec, progress).await
    }

    async fn container_run(
        &self,
        spec: RunSpec,
        progress: Option<std::sync::Arc<dyn rpod_api::front_door::images::ProgressSink>>,
    ) -> Result<RunStarted> {
        self.run(&spec, progress).await
    }

    async fn container_start_attached(
        &self,
        name_or_id: &str,
        options: StartAttachOptions,
    ) -> Result<Box<dyn AttachSession>> {
        self.attach_existing(name_or_id, options.interactive, true, options.terminal_size)
            .await
    }

    async fn container_start(&self, name_or_id: &str, skip_running: bool) -> Result<bool> {
        // The service answers 304 for a running container: no error, and
        // not "started" only when running ones are skipped.
        Ok(self.start(name_or_id).await? || !skip_running)
    }

    async fn container_attach(
        &self,
        name_or_id: &str,
        options: AttachOptions,
    ) -> Result<Box<dyn AttachSession>> {
        if options.latest {
            return Err(unsupported("attach --latest"));
        }
        self.attach_existing(name_or_id, !options.no_stdin, false, options.terminal_size)
            .await
    }

    async fn container_exec(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<Box<dyn AttachSession>> {
        self.exec(name_or_id, &options).await
    }

    async fn container_exec_detached(
        &self,
        name_or_id: &str,
        options: ExecOptions,
    ) -> Result<String> {
        self.exec_detached(name_or_id, &options).await
    }
}
