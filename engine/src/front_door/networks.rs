//! [`rpod_api::front_door::Networks`] for the local engine. rpod has no
//! networks of its own yet (issue 12): pruning removes nothing.

use async_trait::async_trait;
use rpod_api::front_door::Networks;
use rpod_api::network::{NetworkPruneOptions, NetworkPruneReport};
use rpod_api::Result;

use super::LocalEngine;

#[async_trait]
impl Networks for LocalEngine {
    async fn network_prune(
        &self,
        _options: NetworkPruneOptions,
    ) -> Result<Vec<NetworkPruneReport>> {
        Ok(Vec::new())
    }
}
