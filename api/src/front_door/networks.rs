//! Networks.

use async_trait::async_trait;

use crate::network::{NetworkPruneOptions, NetworkPruneReport};
use crate::Result;

/// Podman's `Network*` operations (rpod has no networks yet: issue 12).
#[async_trait]
pub trait Networks: Send + Sync {
    /// `network prune`: removes every network no container uses.
    async fn network_prune(&self, options: NetworkPruneOptions) -> Result<Vec<NetworkPruneReport>>;
}
