//! The containers using a network. Until containers can join named networks
//! (the lifecycle wiring of issue 12, which adds the attachment table), no
//! container uses any network, so these report none.

use std::collections::BTreeMap;

use rpod_api::network::NetworkContainerInfo;
use rpod_api::Result;

use super::LocalEngine;
use crate::network::types::Network;

/// The IDs of the containers attached to `network`.
pub(super) fn containers_on(_front: &LocalEngine, _network: &str) -> Result<Vec<String>> {
    Ok(Vec::new())
}

/// The running containers on `network`, by ID, with their interfaces.
pub(super) fn running_on(
    _front: &LocalEngine,
    _network: &Network,
) -> Result<BTreeMap<String, NetworkContainerInfo>> {
    Ok(BTreeMap::new())
}

/// Removes `ids` (their pods for infra containers), stopping them first.
pub(super) async fn remove_containers(
    _front: &LocalEngine,
    ids: &[String],
    _timeout: Option<u64>,
) -> Result<()> {
    debug_assert!(ids.is_empty());
    Ok(())
}
