//! Manifests: `manifest create|add|inspect|exists|rm` for multi-arch
//! manifest lists kept in the engine's store.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::front_door::images::{ProgressSink, PushCompression, RegistryOptions};
use crate::Result;

/// `manifest create` / `manifest add` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestAddOptions {
    /// `--all`: every instance of a list, not only the host platform's.
    pub all: bool,
    /// `manifest create --amend`: add to the list of that name if there is one.
    pub amend: bool,
    /// Registry access for `docker://` references.
    pub registry: RegistryOptions,
}

/// `manifest annotate` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestAnnotateOptions {
    /// `--annotation KEY=VALUE`.
    pub annotations: Vec<String>,
    /// `--arch`, `--os`, `--variant`, `--os-version`.
    pub arch: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    /// `--features`, `--os-features`.
    pub features: Vec<String>,
    pub os_features: Vec<String>,
    /// `--index`: annotate the list itself instead of an instance.
    pub index: bool,
}

/// `manifest push` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPushOptions {
    /// `--all`: also push the list's instances (Podman's default).
    pub all: bool,
    /// `--rm`: remove the local list after a successful push.
    pub rm: bool,
    /// `--format oci|v2s2`: the list's media type (`None`: as stored).
    pub format: Option<String>,
    /// `--quiet`: no progress lines.
    pub quiet: bool,
    /// `--remove-signatures` (accepted; rpod stores none).
    pub remove_signatures: bool,
    /// Registry access.
    pub registry: RegistryOptions,
    /// Layer compression of the pushed instances.
    pub compression: PushCompression,
}

/// `manifest rm` of one list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRemoveReport {
    /// Names removed (`Untagged:`).
    pub untagged: Vec<String>,
    /// The list's id (`Deleted:`).
    pub deleted: String,
}

#[async_trait]
pub trait Manifests: Send + Sync {
    /// `manifest create NAME [IMAGE...]`: the new list's id.
    async fn manifest_create(
        &self,
        name: &str,
        images: Vec<String>,
        options: ManifestAddOptions,
    ) -> Result<String>;

    /// `manifest add LIST IMAGE`: the list's id.
    async fn manifest_add(
        &self,
        list: &str,
        image: &str,
        options: ManifestAddOptions,
    ) -> Result<String>;

    /// `manifest annotate LIST [DIGEST]`: the list's id.
    async fn manifest_annotate(
        &self,
        list: &str,
        instance: Option<&str>,
        options: ManifestAnnotateOptions,
    ) -> Result<String>;

    /// `manifest inspect LIST`: the list's JSON, indented as Podman prints
    /// it; a name not stored locally is read from its registry.
    async fn manifest_inspect(&self, list: &str, registry: RegistryOptions) -> Result<String>;

    /// `manifest exists LIST`.
    async fn manifest_exists(&self, list: &str) -> Result<bool>;

    /// `manifest rm LIST`.
    async fn manifest_remove(&self, list: &str) -> Result<ManifestRemoveReport>;

    /// `manifest push LIST DESTINATION`: the digest of the pushed list.
    async fn manifest_push(
        &self,
        list: &str,
        destination: &str,
        options: ManifestPushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<String>;
}
