//! Networks.

use async_trait::async_trait;

use crate::network::{
    Network, NetworkConnectOptions, NetworkCreateOptions, NetworkInspectReport, NetworkListOptions,
    NetworkPruneOptions, NetworkPruneReport, NetworkReloadReport, NetworkRmOptions,
    NetworkRmReport, NetworkUpdateOptions,
};
use crate::{Error, Result};

/// Podman's `Network*` operations.
#[async_trait]
pub trait Networks: Send + Sync {
    /// `network create`: the network as stored (name, ID, subnets and
    /// gateways filled in).
    async fn network_create(&self, options: NetworkCreateOptions) -> Result<Network>;

    /// `network ls`: the networks that pass every filter, by name.
    async fn network_list(&self, options: NetworkListOptions) -> Result<Vec<Network>>;

    /// `network inspect`: the reports of the networks found and an error for
    /// each name that is no network (in the order of the names).
    async fn network_inspect(
        &self,
        names: &[String],
    ) -> Result<(Vec<NetworkInspectReport>, Vec<Error>)>;

    /// `network exists`.
    async fn network_exists(&self, name_or_id: &str) -> Result<bool>;

    /// `network rm`: one report per name, in order. A network in use without
    /// `force` fails the whole request (as Podman's).
    async fn network_remove(
        &self,
        names: &[String],
        options: NetworkRmOptions,
    ) -> Result<Vec<NetworkRmReport>>;

    /// `network prune`: removes every network no container uses (never the
    /// default network).
    async fn network_prune(&self, options: NetworkPruneOptions) -> Result<Vec<NetworkPruneReport>>;

    /// `network connect`: attaches a container (running or not) to a
    /// network; a running one gets the interface at once.
    async fn network_connect(
        &self,
        network: &str,
        container: &str,
        options: NetworkConnectOptions,
    ) -> Result<()>;

    /// `network disconnect`: detaches a container from a network.
    async fn network_disconnect(&self, network: &str, container: &str, force: bool) -> Result<()>;

    /// `network reload`: sets up the networks of running containers again
    /// (their firewall rules re-created), keeping addresses and MACs; with
    /// `all`, every running container on a bridge network.
    async fn network_reload(
        &self,
        containers: &[String],
        all: bool,
    ) -> Result<Vec<NetworkReloadReport>>;

    /// `network update`: changes a network's DNS servers (running
    /// aardvark-dns included).
    async fn network_update(&self, network: &str, options: NetworkUpdateOptions) -> Result<()>;
}
