//! What reports show of a container's network: its port mappings (the ones
//! in effect while it is set up, else the ones asked for), and inspect's
//! `NetworkSettings` and `HostConfig.PortBindings` in Podman's shape.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rpod_api::inspect::{
    InspectAdditionalNetwork, InspectBasicNetworkConfig, InspectHostPort, InspectNetworkSettings,
};

use super::paths::ContainerPaths;
use super::NetworkMode;
use crate::engine::EngineCtx;
use crate::network::store_for;
use crate::network::types::{Network, PortMapping};
use crate::state::{ContainerRecord, NetworkAttachment};

/// The container's port mappings: those of its running setup, else its
/// `-p` values (host port 0 for a random one not chosen yet).
pub fn port_mappings(paths: &ContainerPaths, rec: &ContainerRecord) -> Vec<PortMapping> {
    if !publishes(rec) {
        return Vec::new();
    }
    let live = super::network::published_ports(paths);
    if !live.is_empty() {
        return live;
    }
    asked(rec)
}

/// Whether the container publishes ports: they come from `-p` and `-P`
/// only, so without them there is nothing to read (`ps` of many containers
/// would try a file for each).
pub fn publishes(rec: &ContainerRecord) -> bool {
    !rec.options.net.ports.is_empty() || rec.options.net.publish_all
}

/// The `-p` values as mappings (host port 0: a random one, not chosen yet).
fn asked(rec: &ContainerRecord) -> Vec<PortMapping> {
    rec.options
        .net
        .ports
        .iter()
        .map(|p| PortMapping {
            host_ip: p.host_ip.map(|i| i.to_string()).unwrap_or_default(),
            container_port: p.container_port,
            host_port: p.host_port,
            range: p.range,
            protocol: p.protocol.clone(),
        })
        .collect()
}

/// `"80/tcp" -> [{HostIp, HostPort}]`, one key per port and protocol.
fn port_map(mappings: &[PortMapping]) -> BTreeMap<String, Option<Vec<InspectHostPort>>> {
    let mut out: BTreeMap<String, Option<Vec<InspectHostPort>>> = BTreeMap::new();
    for m in mappings {
        for proto in m.protocol.split(',') {
            for i in 0..m.range {
                let key = format!("{}/{proto}", m.container_port + i);
                let host = InspectHostPort {
                    host_ip: m.host_ip.clone(),
                    host_port: if m.host_port == 0 {
                        String::new()
                    } else {
                        (m.host_port + i).to_string()
                    },
                };
                out.entry(key)
                    .or_insert_with(|| Some(Vec::new()))
                    .get_or_insert_with(Vec::new)
                    .push(host);
            }
        }
    }
    out
}

/// `HostConfig.PortBindings`: the ports asked for.
pub fn port_bindings(rec: &ContainerRecord) -> BTreeMap<String, Option<Vec<InspectHostPort>>> {
    port_map(&asked(rec))
}

/// One network's addresses in inspect's basic shape.
fn basic(a: &NetworkAttachment, network: Option<&Network>) -> InspectBasicNetworkConfig {
    let subnet_of = |ip: IpAddr| {
        network
            .and_then(|n| n.subnets.as_ref())
            .and_then(|s| s.iter().find(|s| s.subnet.contains(&ip)).cloned())
    };
    let mut b = InspectBasicNetworkConfig {
        mac_address: a.mac.clone().unwrap_or_default(),
        ..Default::default()
    };
    if let Some(v4) = a.ipv4 {
        let s = subnet_of(IpAddr::V4(v4));
        b.ip_address = v4.to_string();
        b.ip_prefix_len = s.as_ref().map_or(0, |s| i64::from(s.subnet.prefix_len()));
        b.gateway = s
            .and_then(|s| s.gateway)
            .map(|g| g.to_string())
            .unwrap_or_default();
    }
    if let Some(v6) = a.ipv6 {
        let s = subnet_of(IpAddr::V6(v6));
        b.global_ipv6_address = v6.to_string();
        b.global_ipv6_prefix_len = s.as_ref().map_or(0, |s| i64::from(s.subnet.prefix_len()));
        b.ipv6_gateway = s
            .and_then(|s| s.gateway)
            .map(|g| g.to_string())
            .unwrap_or_default();
    }
    b
}

/// Inspect's `NetworkSettings`: ports, the sandbox (netns) path and, on
/// bridge networks, each network's addresses (the first network's also at
/// the top level, as Podman shows a single network).
pub fn network_settings(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
) -> InspectNetworkSettings {
    let running = rec.state.has_monitor();
    let mut s = InspectNetworkSettings {
        ports: Some(port_map(&port_mappings(paths, rec))),
        ..Default::default()
    };
    let only = |name: &str| {
        let entry = InspectAdditionalNetwork::default();
        Some(BTreeMap::from([(name.to_owned(), entry)]))
    };
    match &rec.options.network {
        NetworkMode::Bridge => {}
        // As Podman: the mode as the one network, the namespace by pid.
        NetworkMode::Host => {
            s.networks = only("host");
            return s;
        }
        NetworkMode::None => {
            s.networks = only("none");
            if running && rec.pid > 0 {
                s.sandbox_key = format!("/proc/{}/ns/net", rec.pid);
            }
            return s;
        }
        NetworkMode::Ns(_) | NetworkMode::Container(_) => {
            s.networks = Some(BTreeMap::new());
            return s;
        }
        // The helper's mode as the one network, the namespace rpod made.
        NetworkMode::Slirp4netns(_) | NetworkMode::Pasta(_) => {
            s.networks = only(&rec.options.network.name());
            if running {
                s.sandbox_key = ctx.config.netns_path(&rec.id).display().to_string();
            }
            return s;
        }
    }
    let ns = ctx.config.netns_path(&rec.id);
    if running {
        s.sandbox_key = ns.display().to_string();
    }
    let store = store_for(&ctx.config.network);
    let attachments = ctx.db.network_attachments(&rec.id).unwrap_or_default();
    let mut networks = BTreeMap::new();
    for (i, a) in attachments.iter().enumerate() {
        let network = store.get(&a.network).ok();
        let b = if running {
            basic(a, network.as_ref())
        } else {
            InspectBasicNetworkConfig::default()
        };
        if i == 0 {
            s.inspect_basic_network_config = b.clone();
        }
        networks.insert(
            a.network.clone(),
            InspectAdditionalNetwork {
                inspect_basic_network_config: b,
                network_id: network.map(|n| n.id).unwrap_or_default(),
                aliases: Some(super::network::aliases_with_id(a, rec)),
                ..Default::default()
            },
        );
    }
    s.networks = Some(networks);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(ip: &str, host: u16, ctr: u16, range: u16, proto: &str) -> PortMapping {
        PortMapping {
            host_ip: ip.into(),
            container_port: ctr,
            host_port: host,
            range,
            protocol: proto.into(),
        }
    }

    #[test]
    fn inspect_shape() {
        let ms = [
            m("", 8080, 80, 1, "tcp"),
            m("127.0.0.1", 9000, 90, 2, "tcp,udp"),
        ];
        let map = port_map(&ms);
        let p = map["91/udp"].as_ref().unwrap();
        assert_eq!(
            (p[0].host_ip.as_str(), p[0].host_port.as_str()),
            ("127.0.0.1", "9001")
        );
        assert_eq!(map["80/tcp"].as_ref().unwrap()[0].host_ip, "");
        assert_eq!(map.len(), 5);
    }
}
