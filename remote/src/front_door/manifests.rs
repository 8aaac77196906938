//! `Manifests` over the libpod API: not carried yet.

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::images::{ProgressSink, RegistryOptions};
use rpod_api::front_door::manifests::{
    ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions, ManifestRemoveReport,
};
use rpod_api::front_door::Manifests;
use rpod_api::Result;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Manifests for RemoteEngine {
    async fn manifest_create(
        &self,
        _name: &str,
        _images: Vec<String>,
        _options: ManifestAddOptions,
    ) -> Result<String> {
        Err(unsupported("manifest create"))
    }

    async fn manifest_add(
        &self,
        _list: &str,
        _image: &str,
        _options: ManifestAddOptions,
    ) -> Result<String> {
        Err(unsupported("manifest add"))
    }

    async fn manifest_annotate(
        &self,
        _list: &str,
        _instance: Option<&str>,
        _options: ManifestAnnotateOptions,
    ) -> Result<String> {
        Err(unsupported("manifest annotate"))
    }

    async fn manifest_inspect(&self, _list: &str, _registry: RegistryOptions) -> Result<String> {
        Err(unsupported("manifest inspect"))
    }

    async fn manifest_exists(&self, _list: &str) -> Result<bool> {
        Err(unsupported("manifest exists"))
    }

    async fn manifest_remove(&self, _list: &str) -> Result<ManifestRemoveReport> {
        Err(unsupported("manifest rm"))
    }

    async fn manifest_push(
        &self,
        _list: &str,
        _destination: &str,
        _options: ManifestPushOptions,
        _progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<String> {
        Err(unsupported("manifest push"))
    }
}
