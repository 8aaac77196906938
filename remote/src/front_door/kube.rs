//! `Kube` over `/libpod/play/kube` and `/libpod/generate/kube`: Podman's
//! query parameters, and every option as rpod's `rpod_options` for rpod's
//! own service.

use std::sync::Arc;

use async_trait::async_trait;
use hyper::Method;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::Kube;
use rpod_api::kube::{
    KubeDownOptions, KubeDownReport, KubeGenerateOptions, KubeGenerateReport, KubePlayOptions,
    KubePlayReport,
};
use rpod_api::Result;

use crate::query::with_query;
use crate::transport::{decode, transport_json};
use crate::RemoteEngine;

#[async_trait]
impl Kube for RemoteEngine {
    async fn kube_play(
        &self,
        yaml: Vec<u8>,
        options: KubePlayOptions,
        _progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<KubePlayReport> {
        let mut q = vec![
            ("start", options.start.to_string()),
            ("replace", options.replace.to_string()),
        ];
        q.extend(options.networks.iter().map(|n| ("network", n.clone())));
        if self.is_rpod_service().await {
            q.push(("rpod_options", transport_json(&options)?));
        }
        let (_, body) = self
            .transport
            .call(Method::POST, &with_query("/play/kube", &q), Some(yaml))
            .await?;
        decode(&body)
    }

    async fn kube_down(&self, yaml: Vec<u8>, options: KubeDownOptions) -> Result<KubeDownReport> {
        let q = [("force", options.force.to_string())];
        let (_, body) = self
            .transport
            .call(Method::DELETE, &with_query("/play/kube", &q), Some(yaml))
            .await?;
        decode(&body)
    }

    async fn kube_generate(
        &self,
        names: &[String],
        options: KubeGenerateOptions,
    ) -> Result<KubeGenerateReport> {
        let mut q: Vec<(&str, String)> = names.iter().map(|n| ("names", n.clone())).collect();
        q.push(("service", options.service.to_string()));
        q.push(("podmanOnly", options.podman_only.to_string()));
        if !options.kind.is_empty() {
            q.push(("type", options.kind.clone()));
        }
        q.push(("replicas", options.replicas.to_string()));
        let (_, body) = self
            .transport
            .call(Method::GET, &with_query("/generate/kube", &q), None)
            .await?;
        Ok(KubeGenerateReport {
            yaml: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}
