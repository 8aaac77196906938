//! `Pods` over the libpod API.

use rpod_api::pod::{ListPodsReport, PodInspectReport};
use rpod_api::{Error, Result};

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::pods::*;
use rpod_api::front_door::Pods;

use crate::RemoteEngine;

/// `t` of a stop or restart.
fn stop_query(o: &PodStopOptions) -> Vec<(&'static str, String)> {
    o.timeout
        .map(|t| vec![("t", t.to_string())])
        .unwrap_or_default()
}

#[async_trait]
impl Pods for RemoteEngine {
    async fn pod_create(&self, spec: PodSpec) -> Result<PodCreateReport> {
        self.pod_create_remote(&spec).await
    }

    async fn pod_exists(&self, name_or_id: &str) -> Result<bool> {
        self.pod_exists_remote(name_or_id).await
    }

    async fn pod_start(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        self.pod_action("start", names, options, false, &[]).await
    }

    async fn pod_stop(&self, names: &[String], o: PodStopOptions) -> Result<Vec<PodReport>> {
        let q = stop_query(&o);
        self.pod_action("stop", names, o.select, o.ignore, &q).await
    }

    async fn pod_restart(&self, names: &[String], o: PodStopOptions) -> Result<Vec<PodReport>> {
        let q = stop_query(&o);
        self.pod_action("restart", names, o.select, o.ignore, &q)
            .await
    }

    async fn pod_kill(&self, names: &[String], o: PodKillOptions) -> Result<Vec<PodReport>> {
        let q = [("signal", o.signal.to_string())];
        self.pod_action("kill", names, o.select, false, &q).await
    }

    async fn pod_pause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        self.pod_action("pause", names, options, false, &[]).await
    }

    async fn pod_unpause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        self.pod_action("unpause", names, options, false, &[]).await
    }

    async fn pod_rm(&self, names: &[String], options: PodRmOptions) -> Result<Vec<PodReport>> {
        self.pod_remove(names, &options).await
    }

    async fn pod_prune(&self) -> Result<Vec<PodReport>> {
        self.pod_prune_remote().await
    }

    async fn pod_ps(&self, options: PodPsOptions) -> Result<Vec<ListPodsReport>> {
        self.pods(&options).await
    }

    async fn pod_inspect(
        &self,
        names: &[String],
        options: PodSelect,
    ) -> Result<(Vec<PodInspectReport>, Vec<Error>)> {
        self.pod_inspect_remote(names, options).await
    }

    async fn pod_top(
        &self,
        options: PodTopOptions,
    ) -> Result<rpod_api::container::StringSliceReport> {
        self.pod_top_remote(&options).await
    }

    async fn pod_stats(
        &self,
        options: rpod_api::stats::PodStatsOptions,
    ) -> Result<Vec<rpod_api::stats::PodStatsReport>> {
        self.pod_stats_remote(&options).await
    }
}
