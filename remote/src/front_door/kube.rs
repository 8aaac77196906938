//! `Kube` over the libpod API: not carried yet.

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::Kube;
use rpod_api::kube::{
    KubeDownOptions, KubeDownReport, KubeGenerateOptions, KubeGenerateReport, KubePlayOptions,
    KubePlayReport,
};
use rpod_api::Result;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Kube for RemoteEngine {
    async fn kube_play(
        &self,
        _yaml: Vec<u8>,
        _options: KubePlayOptions,
        _progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<KubePlayReport> {
        Err(unsupported("kube play"))
    }

    async fn kube_down(&self, _yaml: Vec<u8>, _options: KubeDownOptions) -> Result<KubeDownReport> {
        Err(unsupported("kube down"))
    }

    async fn kube_generate(
        &self,
        _names: &[String],
        _options: KubeGenerateOptions,
    ) -> Result<KubeGenerateReport> {
        Err(unsupported("kube generate"))
    }
}
