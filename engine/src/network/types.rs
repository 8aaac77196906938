//! The JSON netavark reads on stdin and prints on stdout (its `types.rs`, as of
//! netavark 1.4, which Debian 12 ships): a network's definition, a container's
//! options on each network, port mappings, and the per-network status `setup`
//! returns. Field names are netavark's; unknown fields are ignored both ways.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A network as netavark (and Podman's network config files) describe it.
/// `created` and `labels` are Podman's additions to the file, which netavark
/// ignores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    /// 64 hex characters.
    pub id: String,
    /// `bridge` or `macvlan`.
    pub driver: String,
    /// The host interface: the bridge's name for `bridge`, the parent for `macvlan`.
    pub network_interface: Option<String>,
    /// When the network was created, RFC 3339 (Go's time.Time in JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default)]
    pub subnets: Option<Vec<Subnet>>,
    #[serde(default)]
    pub ipv6_enabled: bool,
    /// No route out of the network (and no masquerading).
    #[serde(default)]
    pub internal: bool,
    /// Containers on the network resolve each other by name (aardvark-dns).
    #[serde(default)]
    pub dns_enabled: bool,
    /// Upstream servers of aardvark-dns for this network (`--dns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_dns_servers: Option<Vec<IpAddr>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub ipam_options: Option<BTreeMap<String, String>>,
}

/// One subnet of a network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub subnet: IpNet,
    #[serde(default)]
    pub gateway: Option<IpAddr>,
    #[serde(default)]
    pub lease_range: Option<LeaseRange>,
}

/// `--ip-range`: where addresses are handed out within a subnet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRange {
    #[serde(default)]
    pub start_ip: Option<IpAddr>,
    #[serde(default)]
    pub end_ip: Option<IpAddr>,
}

/// What `netavark setup`/`teardown` read on stdin for one container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkOptions {
    pub container_id: String,
    pub container_name: String,
    /// By network name: the container's options there.
    pub networks: BTreeMap<String, PerNetworkOptions>,
    /// By network name: the definitions (the same keys as `networks`).
    pub network_info: BTreeMap<String, Network>,
    #[serde(default)]
    pub port_mappings: Option<Vec<PortMapping>>,
    /// Upstream servers for aardvark-dns (`--dns`).
    #[serde(default)]
    pub dns_servers: Option<Vec<IpAddr>>,
}

/// A container's options on one network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerNetworkOptions {
    /// The interface inside the container (`eth0`, `eth1`, ...).
    pub interface_name: String,
    /// The addresses rpod's IPAM allocated (netavark does no IPAM).
    #[serde(default)]
    pub static_ips: Option<Vec<IpAddr>>,
    #[serde(default)]
    pub static_mac: Option<String>,
    /// Extra DNS names of the container on this network.
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
}

/// One published port range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Empty for all addresses.
    pub host_ip: String,
    pub container_port: u16,
    pub host_port: u16,
    pub range: u16,
    pub protocol: String,
}

/// What `setup` reports for one network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusBlock {
    #[serde(default)]
    pub dns_search_domains: Option<Vec<String>>,
    #[serde(default)]
    pub dns_server_ips: Option<Vec<IpAddr>>,
    /// By interface name inside the container.
    #[serde(default)]
    pub interfaces: Option<BTreeMap<String, NetInterface>>,
}

/// One interface `setup` created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInterface {
    pub mac_address: String,
    #[serde(default)]
    pub subnets: Option<Vec<NetAddress>>,
}

/// An address of an interface, with the subnet's prefix length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetAddress {
    pub ipnet: IpNet,
    #[serde(default)]
    pub gateway: Option<IpAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_netavarks_status() {
        let out = r#"{"podman":{"dns_search_domains":[],"dns_server_ips":[],
            "interfaces":{"eth0":{"mac_address":"8a:2f:1c:00:00:01",
            "subnets":[{"ipnet":"10.79.0.2/16","gateway":"10.79.0.1"}]}}}}"#;
        let s: BTreeMap<String, StatusBlock> = serde_json::from_str(out).unwrap();
        let eth0 = &s["podman"].interfaces.as_ref().unwrap()["eth0"];
        let a = &eth0.subnets.as_ref().unwrap()[0];
        assert_eq!(a.ipnet.to_string(), "10.79.0.2/16");
        assert_eq!(a.gateway, Some("10.79.0.1".parse().unwrap()));
    }

    #[test]
    fn network_json_keys() {
        let n = Network {
            name: "podman".into(),
            id: "0".repeat(64),
            driver: "bridge".into(),
            network_interface: Some("rpod0".into()),
            subnets: Some(vec![Subnet {
                subnet: "10.79.0.0/16".parse().unwrap(),
                gateway: Some("10.79.0.1".parse().unwrap()),
                lease_range: None,
            }]),
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            ..Network::default()
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v["network_interface"], "rpod0");
        assert_eq!(v["subnets"][0]["subnet"], "10.79.0.0/16");
        assert_eq!(v["dns_enabled"], false);
        assert_eq!(serde_json::from_value::<Network>(v).unwrap(), n);
    }
}
