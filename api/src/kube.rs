//! `kube play`, `kube down` and `kube generate` (Podman's
//! `entities.PlayKubeOptions`, `PlayKubeReport`, `PlayKubeDownOptions`,
//! `GenerateKubeOptions`, `GenerateKubeReport`).

use serde::{Deserialize, Serialize};

use crate::front_door::pods::PodReport;
use crate::secret::SecretRmReport;
use crate::volume::VolumeRmReport;

/// What `kube play` asks for besides the YAML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubePlayOptions {
    /// `--replace`: what the YAML describes is torn down first.
    pub replace: bool,
    /// `--start` (true unless `--start=false`).
    pub start: bool,
    /// `--publish`: merged over the YAML's host ports.
    pub publish: Vec<String>,
    /// `--publish-all`: every `containerPort` is published, not only the
    /// ones with a `hostPort`.
    pub publish_all: bool,
    /// `--network`; empty: Podman's `podman-default-kube-network`.
    pub networks: Vec<String>,
    /// `--configmap`: each file's path and content.
    pub configmaps: Vec<(String, Vec<u8>)>,
    /// `--log-driver`.
    pub log_driver: Option<String>,
    /// `--annotation`: over the YAML's, on every container.
    pub annotations: Vec<(String, String)>,
    /// `--no-hosts`.
    pub no_hosts: bool,
    /// `--tls-verify` for the pulls.
    pub tls_verify: Option<bool>,
    /// `-q`: no pull progress.
    pub quiet: bool,
    /// `--service-container`: a service container lives as long as the
    /// pods.
    #[serde(default)]
    pub service_container: bool,
    /// `--service-exit-code-propagation` (`none`, `any`, `all`; empty:
    /// `none`).
    #[serde(default)]
    pub exit_code_propagation: String,
    /// `--ip`: the n-th pod's static IP address.
    #[serde(default)]
    pub static_ips: Vec<String>,
    /// `--mac-address`: the n-th pod's static MAC address.
    #[serde(default)]
    pub static_macs: Vec<String>,
    /// `--userns`: the pods' user namespace mode.
    #[serde(default)]
    pub userns: Option<String>,
    /// `--no-pod-prefix`: containers are named as in the YAML.
    #[serde(default)]
    pub no_pod_prefix: bool,
    /// `--log-opt max-size=`, bytes.
    #[serde(default)]
    pub log_max_size: Option<u64>,
    /// `--log-opt max-file=`.
    #[serde(default)]
    pub log_max_files: Option<u32>,
    /// `--build`: `Some(true)` builds every image that has a directory
    /// with a Containerfile, `Some(false)` none, `None` only missing ones.
    #[serde(default)]
    pub build: Option<bool>,
    /// `--context-dir`: where the images' directories are looked for
    /// (`None`: the current directory).
    #[serde(default)]
    pub context_dir: Option<std::path::PathBuf>,
    /// `--authfile` for the pulls and builds.
    #[serde(default)]
    pub authfile: Option<std::path::PathBuf>,
}

impl Default for KubePlayOptions {
    fn default() -> Self {
        KubePlayOptions {
            replace: false,
            start: true,
            publish: Vec::new(),
            publish_all: false,
            networks: Vec::new(),
            configmaps: Vec::new(),
            log_driver: None,
            annotations: Vec::new(),
            no_hosts: false,
            tls_verify: None,
            quiet: false,
            service_container: false,
            exit_code_propagation: String::new(),
            static_ips: Vec::new(),
            static_macs: Vec::new(),
            userns: None,
            no_pod_prefix: false,
            log_max_size: None,
            log_max_files: None,
            build: None,
            context_dir: None,
            authfile: None,
        }
    }
}

/// One pod `kube play` made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayKubePod {
    #[serde(rename = "ID")]
    pub id: String,
    pub containers: Vec<String>,
    pub init_containers: Vec<String>,
    /// One message per container that failed to start.
    pub container_errors: Vec<String>,
}

/// What `kube play` made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KubePlayReport {
    /// Names of the volumes made from PersistentVolumeClaims.
    pub volumes: Vec<String>,
    /// IDs of the secrets made from Secrets.
    pub secrets: Vec<String>,
    pub pods: Vec<PlayKubePod>,
    /// Warnings for the caller to show (Podman logs them).
    pub warnings: Vec<String>,
    /// The service container's id (`--service-container`).
    #[serde(default, rename = "ServiceContainerID")]
    pub service_container_id: String,
}

/// `kube down` / `kube play --down`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeDownOptions {
    /// `--force`: the volumes of the YAML's claims go too.
    pub force: bool,
}

/// What `kube down` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KubeDownReport {
    pub stop_report: Vec<PodReport>,
    pub rm_report: Vec<PodReport>,
    pub secret_rm_report: Vec<SecretRmReport>,
    pub volume_rm_report: Vec<VolumeRmReport>,
    pub warnings: Vec<String>,
}

/// `kube generate` options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeGenerateOptions {
    /// `-s`: a Service for each pod.
    pub service: bool,
    /// `--type`: `pod`, `deployment`, `daemonset` or `job`; empty:
    /// containers.conf's `kube_generate_type`, else `pod`.
    pub kind: String,
    /// `--replicas` (deployments only).
    pub replicas: u32,
    /// `--podman-only`: annotations only Podman understands are kept.
    pub podman_only: bool,
}

impl Default for KubeGenerateOptions {
    fn default() -> Self {
        KubeGenerateOptions {
            service: false,
            kind: String::new(),
            replicas: 1,
            podman_only: false,
        }
    }
}

/// The YAML `kube generate` wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KubeGenerateReport {
    pub yaml: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_and_defaults() {
        let r = KubePlayReport {
            pods: vec![PlayKubePod {
                id: "p".into(),
                containers: vec!["c".into()],
                ..PlayKubePod::default()
            }],
            ..KubePlayReport::default()
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Pods"][0]["ID"], "p");
        assert_eq!(j["Pods"][0]["Containers"][0], "c");
        assert!(KubePlayOptions::default().start);
        assert_eq!(KubeGenerateOptions::default().kind, "");
        assert_eq!(KubeGenerateOptions::default().replicas, 1);
    }
}
