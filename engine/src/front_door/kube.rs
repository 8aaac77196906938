//! The Kube service: `kube play`, `kube down`, `kube generate` (the
//! engine's `kube` module, over this front door's own operations).

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::Kube;
use rpod_api::kube::{
    KubeDownOptions, KubeDownReport, KubeGenerateOptions, KubeGenerateReport, KubePlayOptions,
    KubePlayReport,
};
use rpod_api::Result;

use super::LocalEngine;
use crate::kube::play::ServiceHost;
use crate::pod::service::ExitCodePropagation;

#[async_trait]
impl ServiceHost for LocalEngine {
    async fn create_service(&self, name: &str, propagation: &str, replace: bool) -> Result<String> {
        let propagation = ExitCodePropagation::parse(propagation)?;
        Ok(self
            .engine()
            .create_service_container(name, propagation, replace)
            .await?)
    }

    async fn remove_service(&self, id: &str) {
        let removed = match self.engine().container(id) {
            Ok(h) => h.remove(true, Some(0)).await,
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            tracing::warn!("removing service container {id} after a failed play: {e}");
        }
    }
}

#[async_trait]
impl Kube for LocalEngine {
    async fn kube_play(
        &self,
        yaml: Vec<u8>,
        options: KubePlayOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<KubePlayReport> {
        crate::kube::play::play(self, &yaml, options, progress).await
    }

    async fn kube_down(&self, yaml: Vec<u8>, options: KubeDownOptions) -> Result<KubeDownReport> {
        crate::kube::down::down(self, &yaml, options).await
    }

    async fn kube_generate(
        &self,
        names: &[String],
        mut options: KubeGenerateOptions,
    ) -> Result<KubeGenerateReport> {
        if options.kind.is_empty() {
            options.kind = self
                .engine()
                .config()
                .containers_conf
                .engine
                .kube_generate_type
                .clone()
                .unwrap_or_else(|| "pod".into());
        }
        // Containers created with `--restart no` (their report reads as
        // one created without a policy).
        let never = self
            .engine()
            .containers()?
            .into_iter()
            .filter(|c| {
                c.options
                    .restart
                    .is_some_and(|r| r.policy == crate::container::RestartPolicy::No)
            })
            .map(|c| c.id)
            .collect();
        crate::kube::generate::generate(self, names, options, &never).await
    }
}
