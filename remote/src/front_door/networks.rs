//! `Networks` over the libpod API.

use rpod_api::network::{
    Network, NetworkConnectOptions, NetworkCreateOptions, NetworkInspectReport, NetworkListOptions,
    NetworkPruneOptions, NetworkPruneReport, NetworkReloadReport, NetworkRmOptions,
    NetworkRmReport, NetworkUpdateOptions,
};
use rpod_api::{Error, Result};

use async_trait::async_trait;
use rpod_api::front_door::Networks;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Networks for RemoteEngine {
    async fn network_create(&self, _options: NetworkCreateOptions) -> Result<Network> {
        Err(unsupported("network create"))
    }

    async fn network_list(&self, _options: NetworkListOptions) -> Result<Vec<Network>> {
        Err(unsupported("network list"))
    }

    async fn network_inspect(
        &self,
        _names: &[String],
    ) -> Result<(Vec<NetworkInspectReport>, Vec<Error>)> {
        Err(unsupported("network inspect"))
    }

    async fn network_exists(&self, _name_or_id: &str) -> Result<bool> {
        Err(unsupported("network exists"))
    }

    async fn network_remove(
        &self,
        _names: &[String],
        _options: NetworkRmOptions,
    ) -> Result<Vec<NetworkRmReport>> {
        Err(unsupported("network remove"))
    }

    async fn network_prune(
        &self,
        _options: NetworkPruneOptions,
    ) -> Result<Vec<NetworkPruneReport>> {
        Err(unsupported("network prune"))
    }

    async fn network_connect(
        &self,
        _network: &str,
        _container: &str,
        _options: NetworkConnectOptions,
    ) -> Result<()> {
        Err(unsupported("network connect"))
    }

    async fn network_disconnect(
        &self,
        _network: &str,
        _container: &str,
        _force: bool,
    ) -> Result<()> {
        Err(unsupported("network disconnect"))
    }

    async fn network_reload(
        &self,
        _containers: &[String],
        _all: bool,
    ) -> Result<Vec<NetworkReloadReport>> {
        Err(unsupported("network reload"))
    }

    async fn network_update(&self, _network: &str, _options: NetworkUpdateOptions) -> Result<()> {
        Err(unsupported("network update"))
    }
}
