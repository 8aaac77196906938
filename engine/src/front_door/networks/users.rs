//! The containers using a network, from the state database's attachment
//! table: who blocks `network rm` and `prune`, who `network inspect` shows,
//! and their removal for `network rm --force`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rpod_api::container::RmOptions;
use rpod_api::front_door::pods::{PodRmOptions, PodSelect};
use rpod_api::front_door::{Containers, Pods};
use rpod_api::network::{NetAddress, NetInterface, NetworkContainerInfo};
use rpod_api::{ErrorKind, Result};

use super::LocalEngine;
use crate::network::types::Network;
use crate::state::NetworkAttachment;

fn attachments(front: &LocalEngine, network: &str) -> Result<Vec<NetworkAttachment>> {
    front
        .engine()
        .ctx()
        .db
        .network_attachments_on(network)
        .map_err(|e| super::super::error::other(&e))
}

/// The IDs of the containers attached to `network`, running or not.
pub(super) fn containers_on(front: &LocalEngine, network: &str) -> Result<Vec<String>> {
    let mut ids: Vec<String> = attachments(front, network)?
        .into_iter()
        .map(|a| a.container_id)
        .collect();
    ids.dedup();
    Ok(ids)
}

/// Drops what is left attached to a removed network (rows of containers
/// that no longer exist), so a new network of that name starts unused.
pub(super) fn forget(front: &LocalEngine, network: &str) -> Result<()> {
    let db = &front.engine().ctx().db;
    for a in attachments(front, network)? {
        db.detach_network(&a.container_id, network)
            .map_err(|e| super::super::error::other(&e))?;
    }
    Ok(())
}

/// An attachment's addresses with their subnet's prefix and gateway.
fn addresses(a: &NetworkAttachment, network: &Network) -> Vec<NetAddress> {
    a.addresses()
        .into_iter()
        .map(|ip: IpAddr| {
            let subnet = network
                .subnets
                .iter()
                .flatten()
                .find(|s| s.subnet.contains(&ip));
            NetAddress {
                ipnet: match subnet {
                    Some(s) => format!("{ip}/{}", s.subnet.prefix_len()),
                    None => ip.to_string(),
                },
                gateway: subnet.and_then(|s| s.gateway).map(|g| g.to_string()),
            }
        })
        .collect()
}

/// The containers on `network` whose network is set up (those with a live
/// monitor, as Podman shows those with a network status), by ID, with
/// their interfaces.
pub(super) fn running_on(
    front: &LocalEngine,
    network: &Network,
) -> Result<BTreeMap<String, NetworkContainerInfo>> {
    let db = &front.engine().ctx().db;
    let mut out = BTreeMap::new();
    for a in attachments(front, &network.name)? {
        let rec = match db.container_by_id(&a.container_id) {
            Ok(Some(rec)) if rec.state.has_monitor() => rec,
            Ok(_) => continue,
            Err(e) => return Err(super::super::error::other(&e)),
        };
        let iface = NetInterface {
            subnets: addresses(&a, network),
            mac_address: a.mac.clone().unwrap_or_default(),
        };
        out.insert(
            a.container_id.clone(),
            NetworkContainerInfo {
                name: rec.name,
                interfaces: BTreeMap::from([(a.interface.clone(), iface)]),
            },
        );
    }
    Ok(out)
}

/// `network rm --force`: removes the containers `ids` (stopping them within
/// `timeout`), a pod's infra container by removing its pod, as Podman does.
pub(super) async fn remove_containers(
    front: &LocalEngine,
    ids: &[String],
    timeout: Option<u64>,
) -> Result<()> {
    let db = &front.engine().ctx().db;
    let mut pods = Vec::new();
    let mut containers = Vec::new();
    for id in ids {
        let rec = db
            .container_by_id(id)
            .map_err(|e| super::super::error::other(&e))?;
        match rec.and_then(|r| r.options.pod) {
            Some(p) if p.infra => pods.push(p.pod_id),
            Some(_) | None => containers.push(id.clone()),
        }
    }
    if !pods.is_empty() {
        let options = PodRmOptions {
            select: PodSelect::default(),
            force: true,
            ignore: true,
            timeout,
        };
        for r in front.pod_rm(&pods, options).await? {
            if let Some(e) = r.err {
                return Err(e);
            }
        }
    }
    if !containers.is_empty() {
        let options = RmOptions {
            names: containers,
            ignore: true,
            force: true,
            volumes: true,
            timeout,
            ..RmOptions::default()
        };
        for r in front.container_rm(options).await? {
            match r.err {
                Some(e) if e.kind != ErrorKind::NoSuchContainer => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}
