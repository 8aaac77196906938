//! `Pods` over the libpod API.

use rpod_api::pod::{ListPodsReport, PodInspectReport};
use rpod_api::{Error, Result};

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::pods::*;
use rpod_api::front_door::Pods;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Pods for RemoteEngine {
    async fn pod_create(&self, spec: PodSpec) -> Result<PodCreateReport> {
        self.pod_create_remote(&spec).await
    }

    async fn pod_exists(&self, name_or_id: &str) -> Result<bool> {
        self.pod_exists_remote(name_or_id).await
    }

    async fn pod_start(&self, _names: &[String], _options: PodSelect) -> Result<Vec<PodReport>> {
        Err(unsupported("pod start"))
    }

    async fn pod_stop(
        &self,
        _names: &[String],
        _options: PodStopOptions,
    ) -> Result<Vec<PodReport>> {
        Err(unsupported("pod stop"))
    }

    async fn pod_restart(
        &self,
        _names: &[String],
        _options: PodStopOptions,
    ) -> Result<Vec<PodReport>> {
        Err(unsupported("pod restart"))
    }

    async fn pod_kill(
        &self,
        _names: &[String],
        _options: PodKillOptions,
    ) -> Result<Vec<PodReport>> {
        Err(unsupported("pod kill"))
    }

    async fn pod_pause(&self, _names: &[String], _options: PodSelect) -> Result<Vec<PodReport>> {
        Err(unsupported("pod pause"))
    }

    async fn pod_unpause(&self, _names: &[String], _options: PodSelect) -> Result<Vec<PodReport>> {
        Err(unsupported("pod unpause"))
    }

    async fn pod_rm(&self, names: &[String], options: PodRmOptions) -> Result<Vec<PodReport>> {
        self.pod_remove(names, &options).await
    }

    async fn pod_prune(&self) -> Result<Vec<PodReport>> {
        Err(unsupported("pod prune"))
    }

    async fn pod_ps(&self, options: PodPsOptions) -> Result<Vec<ListPodsReport>> {
        self.pods(&options).await
    }

    async fn pod_inspect(
        &self,
        _names: &[String],
        _options: PodSelect,
    ) -> Result<(Vec<PodInspectReport>, Vec<Error>)> {
        Err(unsupported("pod inspect"))
    }

    async fn pod_top(
        &self,
        _options: PodTopOptions,
    ) -> Result<rpod_api::container::StringSliceReport> {
        Err(unsupported("pod top"))
    }

    async fn pod_stats(
        &self,
        _options: rpod_api::stats::PodStatsOptions,
    ) -> Result<Vec<rpod_api::stats::PodStatsReport>> {
        Err(unsupported("pod stats"))
    }
}
