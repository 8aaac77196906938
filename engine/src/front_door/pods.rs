//! [`rpod_api::front_door::Pods`] for the local engine: names, `--all` and
//! `--latest` resolved here ([`select`]), each pod's operation asked of its
//! pod actor; `pod stop` and `pod rm` of several pods run concurrently, as
//! Podman's. Reports are built in [`report`], `pod create` in [`create`],
//! `pod top` in [`top`].

mod create;
pub(crate) mod infra_image;
mod report;
mod select;
mod stats;
mod top;

use async_trait::async_trait;
use rpod_api::front_door::pods::{
    PodCreateReport, PodKillOptions, PodPsOptions, PodReport, PodRmOptions, PodSelect, PodSpec,
    PodStopOptions, PodTopOptions,
};
use rpod_api::front_door::Pods;
use rpod_api::pod::{ListPodsReport, PodInspectReport};
use rpod_api::{Error, Result};

use super::LocalEngine;
use crate::pod::PodError;
use select::{each, Fanout};

#[async_trait]
impl Pods for LocalEngine {
    async fn pod_create(&self, spec: PodSpec) -> Result<PodCreateReport> {
        create::create(self.engine(), spec).await
    }

    async fn pod_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.engine().pod(name_or_id) {
            Ok(_) => Ok(true),
            Err(PodError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn pod_start(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options, false)?;
        Ok(each(pods, Fanout::Bounded, |p| async move { p.start().await }).await)
    }

    async fn pod_stop(&self, names: &[String], options: PodStopOptions) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options.select, options.ignore)?;
        let t = options.timeout;
        Ok(each(pods, Fanout::Concurrent, |p| async move { p.stop(t).await }).await)
    }

    async fn pod_restart(
        &self,
        names: &[String],
        options: PodStopOptions,
    ) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options.select, options.ignore)?;
        let t = options.timeout;
        Ok(each(pods, Fanout::Bounded, |p| async move { p.restart(t).await }).await)
    }

    async fn pod_kill(&self, names: &[String], options: PodKillOptions) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options.select, false)?;
        let signal = options.signal;
        Ok(each(
            pods,
            Fanout::Serial,
            |p| async move { p.kill(signal).await },
        )
        .await)
    }

    async fn pod_pause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options, false)?;
        Ok(each(pods, Fanout::Serial, |p| async move { p.pause().await }).await)
    }

    async fn pod_unpause(&self, names: &[String], options: PodSelect) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options, false)?;
        Ok(each(pods, Fanout::Serial, |p| async move { p.unpause().await }).await)
    }

    async fn pod_rm(&self, names: &[String], options: PodRmOptions) -> Result<Vec<PodReport>> {
        let pods = select::pods(self.engine(), names, options.select, options.ignore)?;
        let (force, t) = (options.force, options.timeout);
        Ok(each(pods, Fanout::Concurrent, |p| async move {
            p.remove(force, t).await
        })
        .await)
    }

    async fn pod_prune(&self) -> Result<Vec<PodReport>> {
        let engine = self.engine();
        let mut idle = Vec::new();
        for pod in engine.pods()? {
            let members = engine.pod_members(&pod.id)?;
            if !members.iter().any(|c| c.state.has_monitor()) {
                idle.push((pod.id.clone(), engine.pod(&pod.id)));
            }
        }
        Ok(each(idle, Fanout::Concurrent, |p| async move {
            p.remove(false, None).await
        })
        .await)
    }

    async fn pod_ps(&self, options: PodPsOptions) -> Result<Vec<ListPodsReport>> {
        report::list(self.engine(), &options)
    }

    async fn pod_inspect(
        &self,
        names: &[String],
        options: PodSelect,
    ) -> Result<(Vec<PodInspectReport>, Vec<Error>)> {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        for (_, pod) in select::pods(self.engine(), names, options, false)? {
            match report::inspect_one(self.engine(), pod).await {
                Ok(r) => out.push(r),
                Err(e) => errs.push(e),
            }
        }
        Ok((out, errs))
    }

    async fn pod_top(
        &self,
        options: PodTopOptions,
    ) -> Result<rpod_api::container::StringSliceReport> {
        let select = PodSelect {
            all: false,
            latest: options.latest,
        };
        let names = [options.name_or_id];
        let Some((_, pod)) = select::pods(self.engine(), &names, select, false)?
            .into_iter()
            .next()
        else {
            return Err(Error::invalid("you must provide the name or id of a pod"));
        };
        top::top(self.engine(), pod?, options.descriptors).await
    }

    async fn pod_stats(
        &self,
        options: rpod_api::stats::PodStatsOptions,
    ) -> Result<Vec<rpod_api::stats::PodStatsReport>> {
        stats::stats(self.engine(), options).await
    }
}
