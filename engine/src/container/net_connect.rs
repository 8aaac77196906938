//! `network connect`, `network disconnect` and `network reload` of one
//! container, under its lock: the attachment row changes first (so a
//! stopped container gets or loses the network at its next start), then,
//! while the container's namespace is set up, the backend adds or removes
//! that one network (with the container's published ports), the stored
//! backend input follows, and the container's /etc/hosts and
//! /etc/resolv.conf gain or lose its entries as Podman's do.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use super::network::{
    allocate, backend_lock, new_attachment, options_file, per_network, record_status, run_setup,
};
use super::paths::ContainerPaths;
use super::{ContainerError, NetworkMode};
use crate::engine::EngineCtx;
use crate::network::config::Backend;
use crate::network::mode::NetworkAttach;
use crate::network::types::{Network, NetworkOptions, StatusBlock};
use crate::network::{cni::Cni, netns, store_for, NetworkError};
use crate::spec::etc_hosts;
use crate::state::{ContainerRecord, NetworkAttachment};

/// Podman's refusal of a container without bridge networking.
fn require_bridge(rec: &ContainerRecord) -> Result<(), ContainerError> {
    if rec.options.network == NetworkMode::Bridge {
        return Ok(());
    }
    Err(NetworkError::Refused(format!(
        "{:?} is not supported: invalid network mode",
        rec.options.network.name()
    ))
    .into())
}

/// The network `name` names and `rec`'s attachments, for a container on
/// bridge networking.
fn network_and_attachments(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    name: &str,
) -> Result<(Network, Vec<NetworkAttachment>), ContainerError> {
    require_bridge(rec)?;
    let network = store_for(&ctx.config.network)
        .get(name)
        .map_err(NetworkError::from)?;
    Ok((network, ctx.db.network_attachments(&rec.id)?))
}

/// The backend input of a container whose network is set up now.
fn live_options(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
) -> Option<NetworkOptions> {
    if !rec.state.has_monitor() || !netns::is_mounted(&ctx.config.netns_path(&rec.id)) {
        return None;
    }
    std::fs::read(options_file(paths))
        .ok()
        .and_then(|d| serde_json::from_slice(&d).ok())
}

fn save_options(paths: &ContainerPaths, options: &NetworkOptions) -> Result<(), ContainerError> {
    crate::storage::atomic::write_json(&options_file(paths), options)
        .map_err(ContainerError::Storage)
}

/// `network connect NAME CONTAINER`: attaches `rec` to `network` with the
/// options of `attach`; a running container gets the interface at once.
pub(crate) fn connect(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    network: &str,
    attach: &NetworkAttach,
) -> Result<(), ContainerError> {
    let (network, current) = network_and_attachments(ctx, rec, network)?;
    if current.iter().any(|a| a.network == network.name) {
        return Err(NetworkError::Refused(format!(
            "container {} is already connected to network {:?}: network is already connected",
            rec.id, network.name
        ))
        .into());
    }
    let interface = free_interface(&current);
    let mut a = new_attachment(ctx, rec, &network, attach, &interface)?;
    ctx.db.attach_network(&a)?;
    crate::events::container_network_event(&ctx.config, rec, &network.name, "connect");
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let Some(mut options) = live_options(ctx, rec, &paths) else {
        return Ok(());
    };
    let res = set_up_one(ctx, rec, &paths, &mut a, &network, &mut options);
    if res.is_err() {
        if let Err(e) = ctx.db.detach_network(&rec.id, &network.name) {
            tracing::warn!(container = %rec.id, "forgetting network {}: {e}", network.name);
        }
    }
    res
}

/// The first `ethN` none of `current` uses.
fn free_interface(current: &[NetworkAttachment]) -> String {
    (0..)
        .map(|i| format!("eth{i}"))
        .find(|name| !current.iter().any(|a| &a.interface == name))
        .unwrap_or_default()
}

/// Adds one network to a set-up container: addresses, the backend's
/// setup of that network alone, the stored input, the /etc files.
fn set_up_one(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    a: &mut NetworkAttachment,
    network: &Network,
    options: &mut NetworkOptions,
) -> Result<(), ContainerError> {
    let backend = ctx.config.network.backend;
    if backend == Backend::Netavark && a.ipv4.is_none() && a.ipv6.is_none() {
        allocate(ctx, a, network)?;
    }
    let one = single(options, &network.name, per_network(a, rec), network.clone());
    let ns = ctx.config.netns_path(&rec.id);
    let status = run_setup(ctx, &ns, &one)?;
    record_status(ctx, backend, std::slice::from_mut(a), &status)?;
    options
        .networks
        .insert(network.name.clone(), per_network(a, rec));
    options
        .network_info
        .insert(network.name.clone(), network.clone());
    save_options(paths, options)?;
    let entries_of = |attachments: &[NetworkAttachment]| -> Vec<(IpAddr, Vec<String>)> {
        let names = super::network::hosts_names(rec);
        attachments
            .iter()
            .flat_map(|a| a.addresses())
            .map(|ip| (ip, names.clone()))
            .collect()
    };
    let others: Vec<NetworkAttachment> = ctx
        .db
        .network_attachments(&rec.id)?
        .into_iter()
        .filter(|o| o.network != a.network)
        .collect();
    let hosts = paths.data_dir.join("hosts");
    etc_hosts::add_if_exists(
        &hosts,
        &entries_of(&others),
        &entries_of(std::slice::from_ref(a)),
    )
    .map_err(|e| io_err(&hosts, e))?;
    let servers = dns_servers(&status);
    if !servers.is_empty() {
        let resolv = paths.data_dir.join("resolv.conf");
        etc_hosts::add_nameservers(&resolv, &servers).map_err(|e| io_err(&resolv, e))?;
    }
    Ok(())
}

fn io_err(path: &Path, source: std::io::Error) -> ContainerError {
    ContainerError::Io {
        path: path.to_owned(),
        source,
    }
}

fn dns_servers(status: &BTreeMap<String, StatusBlock>) -> Vec<IpAddr> {
    status
        .values()
        .flat_map(|b| b.dns_server_ips.iter().flatten().copied())
        .collect()
}

/// `options` reduced to network `name` (with its port mappings and DNS
/// servers): what the backend gets to add or remove that network alone.
fn single(
    options: &NetworkOptions,
    name: &str,
    per: crate::network::types::PerNetworkOptions,
    network: Network,
) -> NetworkOptions {
    NetworkOptions {
        networks: BTreeMap::from([(name.to_owned(), per)]),
        network_info: BTreeMap::from([(name.to_owned(), network)]),
        ..options.clone()
    }
}

/// `network disconnect NAME CONTAINER`: detaches `rec` from `network`; a
/// running container loses the interface at once.
pub(crate) fn disconnect(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    network: &str,
) -> Result<(), ContainerError> {
    let (network, current) = network_and_attachments(ctx, rec, network)?;
    let Some(a) = current.into_iter().find(|a| a.network == network.name) else {
        return Err(NetworkError::Refused(format!(
            "container {} is not connected to network {}",
            rec.id, network.name
        ))
        .into());
    };
    ctx.db.detach_network(&rec.id, &network.name)?;
    crate::events::container_network_event(&ctx.config, rec, &network.name, "disconnect");
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let Some(mut options) = live_options(ctx, rec, &paths) else {
        return Ok(());
    };
    let Some(per) = options.networks.get(&network.name).cloned() else {
        return Ok(());
    };
    let info = options
        .network_info
        .get(&network.name)
        .cloned()
        .unwrap_or_else(|| network.clone());
    let one = single(&options, &network.name, per, info);
    if let Err(e) = tear_down(ctx, &rec.id, &one) {
        if let Err(e) = ctx.db.attach_network(&a) {
            tracing::warn!(container = %rec.id, "re-attaching {}: {e}", network.name);
        }
        return Err(e.into());
    }
    options.networks.remove(&network.name);
    options.network_info.remove(&network.name);
    save_options(&paths, &options)?;
    let names = super::network::hosts_names(rec);
    let gone: Vec<(IpAddr, Vec<String>)> = a
        .addresses()
        .into_iter()
        .map(|ip| (ip, names.clone()))
        .collect();
    let hosts = paths.data_dir.join("hosts");
    etc_hosts::remove(&hosts, &gone).map_err(|e| io_err(&hosts, e))?;
    if let Some(gateways) = network.subnets.as_ref().filter(|_| network.dns_enabled) {
        let servers: Vec<IpAddr> = gateways.iter().filter_map(|s| s.gateway).collect();
        let resolv = paths.data_dir.join("resolv.conf");
        etc_hosts::remove_nameservers(&resolv, &servers).map_err(|e| io_err(&resolv, e))?;
    }
    Ok(())
}

/// The backend's teardown of `options` in the container's namespace.
fn tear_down(ctx: &EngineCtx, id: &str, options: &NetworkOptions) -> Result<(), NetworkError> {
    let ns = ctx.config.netns_path(id);
    let run_dir = ctx.config.network_run_dir();
    let _guard = backend_lock(ctx)?;
    match ctx.config.network.backend {
        Backend::Netavark => match crate::rootless::netns::netavark(&ctx.config, false)? {
            Some(n) => Ok(n.teardown(&ns, options)?),
            None => Ok(()),
        },
        Backend::Cni => Ok(Cni::new(run_dir.join("cni")).teardown(&ns, options)?),
    }
}

/// `network reload`: the backend's teardown and setup again with the same
/// interfaces, addresses and MACs, which re-creates the firewall rules
/// (after a flush, say).
pub(crate) fn reload(ctx: &EngineCtx, rec: &ContainerRecord) -> Result<(), ContainerError> {
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let Some(mut options) = live_options(ctx, rec, &paths) else {
        return Err(ContainerError::StateImproper(format!(
            "container {} network is not configured, refusing to reload",
            rec.id
        )));
    };
    require_bridge(rec)?;
    if let Err(e) = tear_down(ctx, &rec.id, &options) {
        tracing::warn!(container = %rec.id, "{e}");
    }
    let mut attachments = ctx.db.network_attachments(&rec.id)?;
    for a in &attachments {
        if let Some(per) = options.networks.get_mut(&a.network) {
            per.static_ips = Some(a.addresses()).filter(|v| !v.is_empty());
            per.static_mac = a.mac.clone();
        }
    }
    let ns = ctx.config.netns_path(&rec.id);
    let status = run_setup(ctx, &ns, &options)?;
    record_status(ctx, ctx.config.network.backend, &mut attachments, &status)?;
    for a in &attachments {
        if let Some(per) = options.networks.get_mut(&a.network) {
            per.static_mac = super::network::asked_mac(rec, &a.network);
        }
    }
    save_options(&paths, &options)
}
