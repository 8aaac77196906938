//! A container's network at start and cleanup: its attachments recorded,
//! addresses allocated (rpod's IPAM, in the state database), the persistent
//! namespace created, host ports reserved, the backend's `setup` run; and
//! everything undone again by [`teardown`], which any later rpod process can
//! run from what [`setup`] left on disk (the backend's input, the namespace
//! file), so a container killed with its monitor is cleaned up by the next
//! command that touches it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::paths::ContainerPaths;
use super::{ContainerError, NetworkMode};
use crate::engine::EngineCtx;
use crate::network::config::Backend;
use crate::network::types::{Network, NetworkOptions, PerNetworkOptions, PortMapping, StatusBlock};
use crate::network::{
    cni::Cni, ipam, netns, port_reserve, ports::PortSpec, store_for, NetworkError,
};
use crate::spec::EtcNet;
use crate::state::{ContainerRecord, NetworkAttachment, StateError};

/// Where a set-up container's backend input is kept (for teardown, ports).
pub(crate) fn options_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("network.json")
}

/// Where the MACs the backend gave a set-up container are kept (by
/// network), so `system check --repair` rebuilding its attachment rows
/// from the run root restores them.
pub(crate) fn macs_file(run_dir: &Path) -> PathBuf {
    run_dir.join("network-macs.json")
}

/// The MACs [`record_status`] kept for a set-up container.
pub(crate) fn recorded_macs(run_dir: &Path) -> BTreeMap<String, String> {
    std::fs::read(macs_file(run_dir))
        .ok()
        .and_then(|d| serde_json::from_slice(&d).ok())
        .unwrap_or_default()
}

/// What a start needs from networking: the namespace to join and the
/// entries of the generated /etc files.
#[derive(Debug, Default)]
pub(crate) struct NetSetup {
    pub netns: Option<PathBuf>,
    pub etc: EtcNet,
    /// Sockets bound on the published host ports, for the monitor to hold.
    pub held_ports: Vec<std::os::fd::OwnedFd>,
}

/// Records the container's attachments (static addresses checked) when it
/// has none yet. Run at create, so `network rm` sees every user.
pub(crate) fn register(ctx: &EngineCtx, rec: &ContainerRecord) -> Result<(), ContainerError> {
    if rec.options.network != NetworkMode::Bridge {
        return Ok(());
    }
    let have: BTreeSet<String> = ctx
        .db
        .network_attachments(&rec.id)?
        .into_iter()
        .map(|a| a.network)
        .collect();
    let store = store_for(&ctx.config.network);
    for (name, attach) in &rec.options.net.networks {
        if have.contains(name) {
            continue;
        }
        let network = store.get(name).map_err(NetworkError::from)?;
        let a = new_attachment(ctx, rec, &network, attach, "eth0")?;
        ctx.db.attach_network(&a)?;
    }
    Ok(())
}

/// `rec`'s attachment to `network` as `attach` asks (its static addresses
/// checked against the subnets and the addresses taken), on interface
/// `default_interface` unless it names one.
pub(super) fn new_attachment(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    network: &Network,
    attach: &crate::network::mode::NetworkAttach,
    default_interface: &str,
) -> Result<NetworkAttachment, ContainerError> {
    let name = &network.name;
    let subnets = network.subnets.clone().unwrap_or_default();
    let taken: BTreeMap<IpAddr, String> = ctx.db.allocated_ips(name)?.into_iter().collect();
    let mut a = NetworkAttachment {
        container_id: rec.id.clone(),
        network: name.clone(),
        interface: attach
            .interface_name
            .clone()
            .unwrap_or_else(|| default_interface.to_owned()),
        mac: attach.static_mac.clone(),
        aliases: attach.aliases.clone(),
        static_ip: !attach.static_ips.is_empty(),
        ..Default::default()
    };
    for ip in &attach.static_ips {
        ipam::check_static(&subnets, *ip, |i| taken.get(&i).cloned())
            .map_err(NetworkError::from)?;
        match ip {
            IpAddr::V4(v4) => a.ipv4 = Some(*v4),
            IpAddr::V6(v6) => a.ipv6 = Some(*v6),
        }
    }
    Ok(a)
}

/// Gives each attachment without addresses one per subnet family (the
/// next free after the last given). Retries when another process takes the
/// same address first.
pub(super) fn allocate(
    ctx: &EngineCtx,
    attachment: &mut NetworkAttachment,
    network: &Network,
) -> Result<(), ContainerError> {
    let subnets = network.subnets.clone().unwrap_or_default();
    if subnets.is_empty() {
        return Err(NetworkError::NoSubnet(network.name.clone()).into());
    }
    for _ in 0..16 {
        let used: BTreeSet<IpAddr> = ctx
            .db
            .allocated_ips(&network.name)?
            .into_iter()
            .map(|(ip, _)| ip)
            .collect();
        let hints = last_given(ctx, &network.name);
        let last_of = |v4: bool| {
            hints
                .iter()
                .chain(used.iter().rev())
                .find(|ip| ip.is_ipv4() == v4)
                .copied()
        };
        for s in &subnets {
            match s.subnet {
                ipnet::IpNet::V4(_) if attachment.ipv4.is_none() => {
                    if let IpAddr::V4(v4) =
                        ipam::next_free(s, &used, last_of(true)).map_err(NetworkError::from)?
                    {
                        attachment.ipv4 = Some(v4);
                    }
                }
                ipnet::IpNet::V6(_) if attachment.ipv6.is_none() => {
                    if let IpAddr::V6(v6) =
                        ipam::next_free(s, &used, last_of(false)).map_err(NetworkError::from)?
                    {
                        attachment.ipv6 = Some(v6);
                    }
                }
                _ => {}
            }
        }
        match ctx.db.set_network_addresses(attachment) {
            Ok(()) => {
                remember_given(ctx, &network.name, &attachment.addresses());
                return Ok(());
            }
            Err(StateError::AddressTaken { .. }) => {
                attachment.ipv4 = None;
                attachment.ipv6 = None;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(NetworkError::Ipam(ipam::IpamError::Exhausted(subnets[0].subnet)).into())
}

/// Where the addresses last handed out on `network` are noted (as
/// Podman's IPAM keeps them), so an address given back is not handed out
/// again at once.
fn last_given_file(ctx: &EngineCtx, network: &str) -> PathBuf {
    ctx.config.network_run_dir().join("ipam").join(network)
}

fn last_given(ctx: &EngineCtx, network: &str) -> Vec<IpAddr> {
    std::fs::read_to_string(last_given_file(ctx, network))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Notes `given` (a hint only: a lost write costs nothing but reuse).
fn remember_given(ctx: &EngineCtx, network: &str, given: &[IpAddr]) {
    let file = last_given_file(ctx, network);
    let text: String = given.iter().map(|ip| format!("{ip}\n")).collect();
    let res = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&file, text));
    if let Err(e) = res {
        tracing::debug!("noting the addresses given on {network}: {e}");
    }
}

/// The ports to publish: `-p`, and with `-P` every exposed port (the
/// image's and `--expose`) on a random host port.
pub(super) fn port_specs(rec: &ContainerRecord, image_config: &[u8]) -> Vec<PortSpec> {
    let net = &rec.options.net;
    let mut specs = net.ports.clone();
    if !net.publish_all {
        return specs;
    }
    let mut exposed: Vec<(u16, String)> = net.expose.clone();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(image_config) {
        if let Some(ports) = v["config"]["ExposedPorts"].as_object() {
            for key in ports.keys() {
                let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
                if let Ok(p) = port.parse() {
                    exposed.push((p, proto.to_owned()));
                }
            }
        }
    }
    for (port, proto) in exposed {
        let published = specs
            .iter()
            .any(|s| s.container_port <= port && port < s.container_port + s.range);
        if !published {
            specs.push(PortSpec {
                host_ip: None,
                host_port: 0,
                container_port: port,
                range: 1,
                protocol: proto,
            });
        }
    }
    specs
}

/// The attachment's aliases, then the container's short ID and its
/// `--hostname` when one was given (Podman adds both on every network:
/// aardvark-dns answers for them, inspect shows them).
pub(crate) fn aliases_with_id(a: &NetworkAttachment, rec: &ContainerRecord) -> Vec<String> {
    let mut out = a.aliases.clone();
    out.push(rec.id.chars().take(12).collect());
    if let Some(h) = rec.options.hostname.as_deref().filter(|h| !h.is_empty()) {
        out.push(h.to_owned());
    }
    out
}

/// The backend's options for one attachment.
pub(super) fn per_network(a: &NetworkAttachment, rec: &ContainerRecord) -> PerNetworkOptions {
    PerNetworkOptions {
        interface_name: a.interface.clone(),
        static_ips: Some(a.addresses()).filter(|v| !v.is_empty()),
        static_mac: a.mac.clone(),
        aliases: Some(aliases_with_id(a, rec)),
    }
}

/// The MAC address `rec` asked for on `network` (`--mac-address`, `mac=`).
pub(super) fn asked_mac(rec: &ContainerRecord, network: &str) -> Option<String> {
    rec.options
        .net
        .networks
        .get(network)
        .and_then(|n| n.static_mac.clone())
}

/// Prepares the container's network before the runtime creates it.
pub(crate) fn setup(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    image_config: &[u8],
) -> Result<NetSetup, ContainerError> {
    if super::usermode_net::is_usermode(&rec.options.network) {
        return super::usermode_net::setup(ctx, rec, paths, image_config);
    }
    let netns = match &rec.options.network {
        NetworkMode::Bridge => None,
        NetworkMode::Ns(p) => Some(PathBuf::from(p)),
        NetworkMode::Container(other) => Some(joined_netns(ctx, other)?),
        NetworkMode::None
        | NetworkMode::Host
        | NetworkMode::Slirp4netns(_)
        | NetworkMode::Pasta(_) => None,
    };
    if rec.options.network != NetworkMode::Bridge {
        return Ok(NetSetup {
            netns,
            etc: etc_without_network(ctx, rec),
            ..Default::default()
        });
    }
    // Bound until the backend forwards them: a port in use fails here,
    // before anything is allocated or set up.
    let reserved =
        port_reserve::reserve(&port_specs(rec, image_config)).map_err(NetworkError::from)?;
    register(ctx, rec)?;
    let backend = ctx.config.network.backend;
    let store = store_for(&ctx.config.network);
    let mut attachments = ctx.db.network_attachments(&rec.id)?;
    let mut options = NetworkOptions {
        container_id: rec.id.clone(),
        container_name: rec.name.clone(),
        networks: BTreeMap::new(),
        network_info: BTreeMap::new(),
        port_mappings: None,
        dns_servers: (!rec.options.net.dns_servers.is_empty())
            .then(|| rec.options.net.dns_servers.clone()),
    };
    for a in &mut attachments {
        let network = store.get(&a.network).map_err(NetworkError::from)?;
        if backend == Backend::Netavark && a.ipv4.is_none() && a.ipv6.is_none() {
            allocate(ctx, a, &network)?;
        }
        let mut per = per_network(a, rec);
        // A MAC the backend chose is not asked for again on a new start.
        per.static_mac = asked_mac(rec, &a.network);
        options.networks.insert(a.network.clone(), per);
        options.network_info.insert(a.network.clone(), network);
    }
    options.port_mappings = Some(reserved.mappings.clone()).filter(|m| !m.is_empty());
    let ns = ctx.config.netns_path(&rec.id);
    netns::remove(&ns).map_err(NetworkError::from)?;
    match super::placement::user_namespace(ctx, rec, paths)?.path() {
        // Owned by the container's user namespace, pinned or joined
        // (Podman has the runtime make it there and configures it after
        // the create).
        Some(owner) => netns::create_owned(&ns, owner),
        None => netns::create(&ns),
    }
    .map_err(NetworkError::from)?;
    let file = options_file(paths);
    if let Err(e) = crate::storage::atomic::write_json(&file, &options) {
        let _ = netns::remove(&ns);
        return Err(ContainerError::Storage(e));
    }
    let status = match run_setup(ctx, &ns, &options) {
        Ok(s) => s,
        Err(e) => {
            teardown(ctx, rec, paths);
            return Err(e.into());
        }
    };
    record_status(ctx, backend, &mut attachments, &status)?;
    let held_ports = if crate::rootless::is_rootless() && !reserved.sockets.is_empty() {
        // The host ports are in the host's namespace, the container in
        // the rootless one: a forwarder holds and serves them.
        if let Err(e) = forward_ports(ctx, paths, &attachments, reserved) {
            teardown(ctx, rec, paths);
            return Err(e.into());
        }
        Vec::new()
    } else {
        reserved.sockets
    };
    Ok(NetSetup {
        etc: etc_entries(ctx, rec, &attachments, &options, &status),
        netns: Some(ns),
        held_ports,
    })
}

/// The pid file of a rootless container's port forwarder.
fn forwarder_pid_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("rootlessport.pid")
}

/// Rootless: starts the forwarder of the reserved host ports to the
/// container's first address (in the order [`port_reserve::reserve`]
/// bound them: mapping, port of its range, protocol).
fn forward_ports(
    ctx: &EngineCtx,
    paths: &ContainerPaths,
    attachments: &[NetworkAttachment],
    reserved: port_reserve::Reserved,
) -> Result<(), NetworkError> {
    let ip = attachments
        .iter()
        .find_map(|a| a.ipv4.map(IpAddr::V4).or(a.ipv6.map(IpAddr::V6)))
        .ok_or_else(|| {
            NetworkError::Refused("the container has no address to forward its ports to".into())
        })?;
    if let Some(m) = reserved
        .mappings
        .iter()
        .find(|m| m.protocol.split(',').any(|p| p != "tcp" && p != "udp"))
    {
        return Err(NetworkError::Refused(
            crate::rootless::network::not_forwarded(&m.protocol),
        ));
    }
    let mut targets = Vec::new();
    for m in &reserved.mappings {
        for i in 0..m.range {
            for proto in m.protocol.split(',') {
                let proto = if proto == "udp" {
                    crate::rootless::portfwd::Proto::Udp
                } else {
                    crate::rootless::portfwd::Proto::Tcp
                };
                targets.push((proto, std::net::SocketAddr::new(ip, m.container_port + i)));
            }
        }
    }
    let forwards = reserved
        .sockets
        .into_iter()
        .zip(targets)
        .map(
            |(socket, (proto, target))| crate::rootless::portfwd::Forward {
                socket,
                proto,
                target,
            },
        )
        .collect();
    crate::rootless::portfwd::spawn(
        &ctx.cleanup_exe,
        &crate::rootless::netns::path(&ctx.config),
        forwards,
        &forwarder_pid_file(paths),
        &paths.run_dir.join("rootlessport.log"),
    )?;
    Ok(())
}

/// One backend call at a time per root (as Podman's network lock): two
/// first containers must not both create the bridge or its firewall chains.
pub(super) fn backend_lock(ctx: &EngineCtx) -> Result<crate::lock::LockGuard, NetworkError> {
    Ok(crate::lock::lock_exclusive(
        &ctx.config.lock_dir(),
        "network",
    )?)
}

pub(super) fn run_setup(
    ctx: &EngineCtx,
    ns: &Path,
    options: &NetworkOptions,
) -> Result<BTreeMap<String, StatusBlock>, NetworkError> {
    let run_dir = ctx.config.network_run_dir();
    let _guard = backend_lock(ctx)?;
    match ctx.config.network.backend {
        Backend::Netavark => {
            let netavark = crate::rootless::netns::netavark(&ctx.config, true)?
                .ok_or_else(|| NetworkError::Refused("no rootless network namespace".into()))?;
            Ok(netavark.setup(ns, options)?)
        }
        Backend::Cni if crate::rootless::is_rootless() => Err(NetworkError::Refused(
            "rootless bridge networks need the netavark network backend".into(),
        )),
        Backend::Cni => Ok(Cni::new(run_dir.join("cni")).setup(ns, options)?),
    }
}

/// Keeps the MAC (and, with CNI, the addresses) the backend reported.
pub(super) fn record_status(
    ctx: &EngineCtx,
    backend: Backend,
    attachments: &mut [NetworkAttachment],
    status: &BTreeMap<String, StatusBlock>,
) -> Result<(), ContainerError> {
    for a in attachments {
        let Some(iface) = status
            .get(&a.network)
            .and_then(|s| s.interfaces.as_ref())
            .and_then(|i| i.get(&a.interface))
        else {
            continue;
        };
        let mac = iface.mac_address.to_ascii_lowercase();
        let run_dir = ctx.config.container_run_dir(&a.container_id);
        let mut macs = recorded_macs(&run_dir);
        macs.insert(a.network.clone(), mac.clone());
        if let Err(e) = crate::storage::atomic::write_json(&macs_file(&run_dir), &macs) {
            tracing::warn!(container = %a.container_id, "recording the MAC address: {e}");
        }
        a.mac = Some(mac);
        if backend == Backend::Cni {
            for addr in iface.subnets.iter().flatten() {
                match addr.ipnet.addr() {
                    IpAddr::V4(v4) => a.ipv4 = Some(v4),
                    IpAddr::V6(v6) => a.ipv6 = Some(v6),
                }
            }
        }
        ctx.db.set_network_addresses(a)?;
    }
    Ok(())
}

/// The container's names on its addresses, `host.containers.internal` on
/// the first network's gateway, and its DNS settings.
pub(super) fn etc_entries(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    attachments: &[NetworkAttachment],
    options: &NetworkOptions,
    status: &BTreeMap<String, StatusBlock>,
) -> EtcNet {
    let names = hosts_names(rec);
    let mut etc = EtcNet::default();
    let mut gateway = None;
    for a in attachments {
        for ip in a.addresses() {
            etc.own.push((ip, names.clone()));
        }
        if gateway.is_none() {
            gateway = options
                .network_info
                .get(&a.network)
                .filter(|n| n.driver == "bridge")
                .and_then(|n| n.subnets.as_ref())
                .and_then(|s| s.iter().find_map(|s| s.gateway));
        }
    }
    let mut network_ns = Vec::new();
    let mut network_search = Vec::new();
    for block in status.values() {
        network_ns.extend(block.dns_server_ips.iter().flatten().copied());
        network_search.extend(block.dns_search_domains.iter().flatten().cloned());
    }
    dns_entries(ctx, rec, &mut etc, network_ns, network_search);
    etc.host_internal = host_internal_ip(ctx, gateway);
    etc.add_hosts = add_host_entries(&rec.options.net.add_hosts, etc.host_internal);
    etc
}

/// The names of the container on its own addresses in /etc/hosts (as
/// Podman: its hostname and its name).
pub(crate) fn hosts_names(rec: &ContainerRecord) -> Vec<String> {
    vec![
        crate::spec::hostname_for(&rec.id, &rec.options),
        rec.name.clone(),
    ]
}

/// `host.containers.internal`: containers.conf's address (`none`: no
/// entry), else the gateway of the first bridge network.
pub(super) fn host_internal_ip(ctx: &EngineCtx, gateway: Option<IpAddr>) -> Option<IpAddr> {
    match ctx
        .config
        .containers_conf
        .containers
        .host_containers_internal_ip
        .as_deref()
    {
        None | Some("") => gateway,
        Some("none") => None,
        Some(ip) => match ip.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                tracing::warn!(
                    "containers.conf: host_containers_internal_ip {ip:?} is no IP address"
                );
                gateway
            }
        },
    }
}

/// resolv.conf's settings as Podman chooses them: the networks' DNS
/// servers (aardvark-dns, which forwards to the others), else
/// containers.conf's `dns_servers` and `--dns`; containers.conf's
/// `dns_searches` and `--dns-search`, else the networks' domains;
/// containers.conf's `dns_options` and `--dns-option`.
pub(super) fn dns_entries(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    etc: &mut EtcNet,
    network_ns: Vec<IpAddr>,
    network_search: Vec<String>,
) {
    let conf = &ctx.config.containers_conf.containers;
    let net = &rec.options.net;
    etc.nameservers = if network_ns.is_empty() {
        conf_dns_servers(ctx)
            .into_iter()
            .chain(net.dns_servers.iter().copied())
            .collect()
    } else {
        network_ns
    };
    let custom: Vec<String> = conf
        .dns_searches
        .iter()
        .chain(&net.dns_search)
        .cloned()
        .collect();
    etc.search = if custom.is_empty() {
        network_search
    } else {
        custom
    };
    etc.options = conf
        .dns_options
        .iter()
        .chain(&net.dns_options)
        .cloned()
        .collect();
}

/// containers.conf's `dns_servers` that are addresses (others warned of).
pub(super) fn conf_dns_servers(ctx: &EngineCtx) -> Vec<IpAddr> {
    ctx.config
        .containers_conf
        .containers
        .dns_servers
        .iter()
        .filter_map(|s| match s.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                tracing::warn!("containers.conf: dns_servers entry {s:?} is no IP address");
                None
            }
        })
        .collect()
}

/// The /etc files' entries of a container without a bridge network.
fn etc_without_network(ctx: &EngineCtx, rec: &ContainerRecord) -> EtcNet {
    let mut etc = EtcNet::default();
    if rec.options.network == NetworkMode::None {
        etc.own = vec![(IpAddr::from([127, 0, 0, 1]), hosts_names(rec))];
    }
    dns_entries(ctx, rec, &mut etc, Vec::new(), Vec::new());
    let gateway = (rec.options.network == NetworkMode::Host).then(|| IpAddr::from([127, 0, 0, 1]));
    etc.host_internal = host_internal_ip(ctx, gateway);
    etc.add_hosts = add_host_entries(&rec.options.net.add_hosts, etc.host_internal);
    etc
}

/// `--add-host` values as entries; `host-gateway` is the first network's
/// gateway (dropped when there is none).
pub(crate) fn add_host_entries(
    add_hosts: &[String],
    gateway: Option<IpAddr>,
) -> Vec<(IpAddr, Vec<String>)> {
    add_hosts
        .iter()
        .filter_map(|h| {
            let (names, ip) = h.split_once(':')?;
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            let ip = if ip == "host-gateway" {
                gateway?
            } else {
                ip.parse().ok()?
            };
            Some((ip, names.split(';').map(str::to_owned).collect()))
        })
        .collect()
}

/// The container whose network namespace `rec` joins (`--network
/// container:`, or its pod's infra container when the pod shares its
/// network): as Podman, `rec` uses that container's /etc/hosts and
/// /etc/resolv.conf, with its own name on 127.0.0.1 in the hosts file.
pub(crate) fn netns_owner(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
) -> Result<Option<ContainerRecord>, ContainerError> {
    match &rec.options.network {
        NetworkMode::Container(other) => Ok(ctx.db.find_container(other)?),
        _ if super::placement::shares(rec, "net") => super::placement::infra_of(ctx, rec),
        _ => Ok(None),
    }
}

/// `rec`'s entry in its namespace owner's hosts file.
fn shared_hosts_entry(rec: &ContainerRecord) -> Vec<(IpAddr, Vec<String>)> {
    vec![(IpAddr::from([127, 0, 0, 1]), vec![rec.name.clone()])]
}

/// Points `files` at the /etc/hosts and /etc/resolv.conf of the container
/// whose network `rec` shares, adding `rec`'s name to that hosts file.
pub(crate) fn share_owner_files(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    files: &mut crate::spec::EtcFiles,
) -> Result<(), ContainerError> {
    let Some(owner) = netns_owner(ctx, rec)? else {
        return Ok(());
    };
    let dir = ContainerPaths::new(&ctx.config, &owner.id).data_dir;
    let (hosts, resolv) = (dir.join("hosts"), dir.join("resolv.conf"));
    if !rec.options.net.no_hosts && hosts.exists() {
        let _guard =
            crate::lock::lock_exclusive(&ctx.config.lock_dir(), &format!("hosts-{}", owner.id))?;
        crate::spec::etc_hosts::add(&hosts, &shared_hosts_entry(rec)).map_err(|e| {
            ContainerError::Io {
                path: hosts.clone(),
                source: e,
            }
        })?;
        files.hosts = hosts;
    }
    if resolv.exists() {
        files.resolv_conf = resolv;
    }
    Ok(())
}

/// Takes `rec`'s name out of its namespace owner's hosts file again.
pub(crate) fn unshare_owner_files(ctx: &EngineCtx, rec: &ContainerRecord) {
    let Ok(Some(owner)) = netns_owner(ctx, rec) else {
        return;
    };
    let hosts = ContainerPaths::new(&ctx.config, &owner.id)
        .data_dir
        .join("hosts");
    if !hosts.exists() {
        return;
    }
    let Ok(_guard) =
        crate::lock::lock_exclusive(&ctx.config.lock_dir(), &format!("hosts-{}", owner.id))
    else {
        return;
    };
    if let Err(e) = crate::spec::etc_hosts::remove(&hosts, &shared_hosts_entry(rec)) {
        tracing::warn!(container = %rec.id, "{}: {e}", hosts.display());
    }
}

/// `--network container:NAME`: the namespace of that running container.
fn joined_netns(ctx: &EngineCtx, name: &str) -> Result<PathBuf, ContainerError> {
    let other = ctx
        .db
        .find_container(name)?
        .ok_or_else(|| ContainerError::NotFound(name.to_owned()))?;
    let ns = ctx.config.netns_path(&other.id);
    let own_ns = other.options.network == NetworkMode::Bridge
        || super::usermode_net::is_usermode(&other.options.network);
    if own_ns && netns::is_mounted(&ns) {
        return Ok(ns);
    }
    if other.state.has_monitor() && other.pid > 0 {
        return Ok(PathBuf::from(format!("/proc/{}/ns/net", other.pid)));
    }
    Err(NetworkError::NoNamespace(other.name).into())
}

/// The port mappings of a set-up container (none when it is not set up).
pub(crate) fn published_ports(paths: &ContainerPaths) -> Vec<PortMapping> {
    std::fs::read(options_file(paths))
        .ok()
        .and_then(|d| serde_json::from_slice::<NetworkOptions>(&d).ok())
        .and_then(|o| o.port_mappings)
        .unwrap_or_default()
}

/// Undoes [`setup`]: the backend's teardown (interfaces, firewall rules,
/// DNS entries), the namespace, and with CNI the recorded addresses (its
/// IPAM freed them). Idempotent; failures are logged, never fatal, so a
/// removal always completes.
pub(crate) fn teardown(ctx: &EngineCtx, rec: &ContainerRecord, paths: &ContainerPaths) {
    unshare_owner_files(ctx, rec);
    if super::usermode_net::is_usermode(&rec.options.network) {
        super::usermode_net::teardown(ctx, rec, paths);
        return;
    }
    let file = options_file(paths);
    let ns = ctx.config.netns_path(&rec.id);
    let options = std::fs::read(&file)
        .ok()
        .and_then(|d| serde_json::from_slice::<NetworkOptions>(&d).ok());
    if crate::rootless::is_rootless() {
        crate::rootless::portfwd::stop(
            &forwarder_pid_file(paths),
            &crate::rootless::netns::path(&ctx.config),
        );
    }
    if let Some(options) = &options {
        let run_dir = ctx.config.network_run_dir();
        let _guard = backend_lock(ctx);
        let res: Result<(), NetworkError> = match ctx.config.network.backend {
            Backend::Netavark => {
                crate::rootless::netns::netavark(&ctx.config, false).and_then(|n| match n {
                    Some(n) => n.teardown(&ns, options).map_err(NetworkError::from),
                    None => Ok(()),
                })
            }
            Backend::Cni => Cni::new(run_dir.join("cni"))
                .teardown(&ns, options)
                .map_err(NetworkError::from),
        };
        if let Err(e) = res {
            tracing::warn!(container = %rec.id, "tearing down the network: {e}");
        }
        if ctx.config.network.backend == Backend::Cni {
            if let Ok(attachments) = ctx.db.network_attachments(&rec.id) {
                for mut a in attachments.into_iter().filter(|a| !a.static_ip) {
                    a.ipv4 = None;
                    a.ipv6 = None;
                    if let Err(e) = ctx.db.set_network_addresses(&a) {
                        tracing::warn!(container = %rec.id, "forgetting CNI addresses: {e}");
                    }
                }
            }
        }
    }
    if let Err(e) = netns::remove(&ns) {
        tracing::warn!(container = %rec.id, "{e}");
    }
    for f in [file, macs_file(&paths.run_dir)] {
        if let Err(e) = std::fs::remove_file(&f) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(container = %rec.id, "removing {}: {e}", f.display());
            }
        }
    }
    if crate::rootless::is_rootless() && options.is_some() {
        remove_rootless_netns_if_unused(ctx, &rec.id);
    }
}

/// Rootless: the last container set up in the rootless network namespace
/// takes it (and its pasta) away.
fn remove_rootless_netns_if_unused(ctx: &EngineCtx, leaving: &str) {
    let _guard = backend_lock(ctx);
    let Ok(all) = ctx.db.list_containers() else {
        return;
    };
    let used = all.iter().any(|c| {
        c.id != leaving
            && c.options.network == NetworkMode::Bridge
            && crate::rootless::netns::in_use_by(
                &options_file(&ContainerPaths::new(&ctx.config, &c.id)),
                &ctx.config.netns_path(&c.id),
            )
    });
    if !used {
        tracing::debug!("removing the rootless network namespace: no container uses it");
        crate::rootless::netns::remove(&ctx.config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_hosts_with_host_gateway() {
        let gw: IpAddr = "10.79.0.1".parse().unwrap();
        let e = add_host_entries(
            &[
                "a;b:1.2.3.4".into(),
                "gw:host-gateway".into(),
                "v6:[::1]".into(),
            ],
            Some(gw),
        );
        assert_eq!(
            e,
            vec![
                (
                    "1.2.3.4".parse().unwrap(),
                    vec!["a".to_string(), "b".to_string()]
                ),
                (gw, vec!["gw".to_string()]),
                ("::1".parse().unwrap(), vec!["v6".to_string()]),
            ]
        );
        assert!(add_host_entries(&["gw:host-gateway".into()], None).is_empty());
    }
}
