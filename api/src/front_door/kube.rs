//! Kubernetes YAML: `kube play`, `kube down`, `kube generate`.

use async_trait::async_trait;

use crate::kube::{
    KubeDownOptions, KubeDownReport, KubeGenerateOptions, KubeGenerateReport, KubePlayOptions,
    KubePlayReport,
};
use crate::Result;

/// Podman's `PlayKube`, `PlayKubeDown` and `GenerateKube`.
#[async_trait]
pub trait Kube: Send + Sync {
    /// `kube play`: the pods, volumes and secrets the YAML describes,
    /// created (and started); nothing is left behind when the YAML is bad.
    async fn kube_play(
        &self,
        yaml: Vec<u8>,
        options: KubePlayOptions,
        progress: Option<std::sync::Arc<dyn crate::front_door::images::ProgressSink>>,
    ) -> Result<KubePlayReport>;

    /// `kube down`: stops and removes what `kube play` made of the YAML.
    async fn kube_down(&self, yaml: Vec<u8>, options: KubeDownOptions) -> Result<KubeDownReport>;

    /// `kube generate`: the YAML of the containers, pods and volumes named.
    async fn kube_generate(
        &self,
        names: &[String],
        options: KubeGenerateOptions,
    ) -> Result<KubeGenerateReport>;
}
