//! Networks: Podman's network report (containers/common
//! `libnetwork/types.Network`), its inspect form (entities.NetworkInspectReport,
//! with the containers on the network), and the requests and reports of
//! `network create|ls|rm|prune` (entities.Network*Options, *Report).

use std::collections::BTreeMap;

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

use crate::time::GoTime;
use crate::Error;

/// A network (`types.Network`): JSON keys and Go names as Podman's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.Network")]
pub struct Network {
    #[serde(rename = "name")]
    #[go(name = "Name")]
    pub name: String,
    #[serde(rename = "id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "driver")]
    #[go(name = "Driver")]
    pub driver: String,
    /// The bridge (bridge driver) or the parent interface (macvlan).
    #[serde(
        rename = "network_interface",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    #[go(name = "NetworkInterface")]
    pub network_interface: String,
    #[serde(rename = "created", default)]
    #[go(name = "Created")]
    pub created: GoTime,
    #[serde(rename = "subnets", default, skip_serializing_if = "Vec::is_empty")]
    #[go(name = "Subnets")]
    pub subnets: Vec<Subnet>,
    #[serde(rename = "ipv6_enabled", default)]
    #[go(name = "IPv6Enabled")]
    pub ipv6_enabled: bool,
    #[serde(rename = "internal", default)]
    #[go(name = "Internal")]
    pub internal: bool,
    #[serde(rename = "dns_enabled", default)]
    #[go(name = "DNSEnabled")]
    pub dns_enabled: bool,
    /// `--dns`: the servers aardvark-dns forwards to for this network.
    #[serde(
        rename = "network_dns_servers",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    #[go(name = "NetworkDNSServers")]
    pub network_dns_servers: Vec<String>,
    #[serde(rename = "labels", default, skip_serializing_if = "BTreeMap::is_empty")]
    #[go(name = "Labels")]
    pub labels: BTreeMap<String, String>,
    #[serde(
        rename = "options",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[go(name = "Options")]
    pub options: BTreeMap<String, String>,
    #[serde(
        rename = "ipam_options",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[go(name = "IPAMOptions")]
    pub ipam_options: BTreeMap<String, String>,
}

/// One subnet of a network (`types.Subnet`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.Subnet")]
pub struct Subnet {
    /// CIDR form, the network address (`10.89.0.0/24`).
    #[serde(rename = "subnet")]
    #[go(name = "Subnet")]
    pub subnet: String,
    #[serde(rename = "gateway", default, skip_serializing_if = "Option::is_none")]
    #[go(name = "Gateway")]
    pub gateway: Option<String>,
    #[serde(
        rename = "lease_range",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[go(name = "LeaseRange")]
    pub lease_range: Option<LeaseRange>,
}

/// `--ip-range` (`types.LeaseRange`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.LeaseRange")]
pub struct LeaseRange {
    #[serde(rename = "start_ip", default, skip_serializing_if = "Option::is_none")]
    #[go(name = "StartIP")]
    pub start_ip: Option<String>,
    #[serde(rename = "end_ip", default, skip_serializing_if = "Option::is_none")]
    #[go(name = "EndIP")]
    pub end_ip: Option<String>,
}

/// `network inspect` (entities.NetworkInspectReport): the network and the
/// running containers on it, by container ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "entities.NetworkInspectReport")]
pub struct NetworkInspectReport {
    #[serde(flatten)]
    #[go(embed)]
    pub network: Network,
    #[serde(rename = "containers", default)]
    #[go(name = "Containers")]
    pub containers: BTreeMap<String, NetworkContainerInfo>,
}

/// A container on a network (entities.NetworkContainerInfo).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "entities.NetworkContainerInfo")]
pub struct NetworkContainerInfo {
    #[serde(rename = "name")]
    #[go(name = "Name")]
    pub name: String,
    /// By interface name inside the container.
    #[serde(rename = "interfaces", default)]
    #[go(name = "Interfaces")]
    pub interfaces: BTreeMap<String, NetInterface>,
}

/// An interface of a container on a network (`types.NetInterface`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.NetInterface")]
pub struct NetInterface {
    #[serde(rename = "subnets", default, skip_serializing_if = "Vec::is_empty")]
    #[go(name = "Subnets")]
    pub subnets: Vec<NetAddress>,
    #[serde(rename = "mac_address")]
    #[go(name = "MacAddress")]
    pub mac_address: String,
}

/// An address of an interface with its subnet's prefix (`types.NetAddress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.NetAddress")]
pub struct NetAddress {
    /// `10.89.0.2/24`.
    #[serde(rename = "ipnet")]
    #[go(name = "IPNet")]
    pub ipnet: String,
    #[serde(rename = "gateway", default, skip_serializing_if = "Option::is_none")]
    #[go(name = "Gateway")]
    pub gateway: Option<String>,
}

/// `network create`: the flags as given; the engine validates them with
/// Podman's rules and messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkCreateOptions {
    /// The name; `None` picks a free one.
    pub name: Option<String>,
    /// `-d/--driver`: `bridge` (default) or `macvlan`.
    pub driver: Option<String>,
    /// `--subnet`, in CIDR form, one per subnet.
    pub subnets: Vec<String>,
    /// `--gateway`, the n-th for the n-th subnet.
    pub gateways: Vec<String>,
    /// `--ip-range` (`START-END` or CIDR), the n-th for the n-th subnet.
    pub ranges: Vec<String>,
    /// `--ipv6`: dual stack.
    pub ipv6: bool,
    /// `--internal`: no route out.
    pub internal: bool,
    /// `--disable-dns`.
    pub disable_dns: bool,
    /// `--label KEY=VALUE`.
    pub labels: BTreeMap<String, String>,
    /// `-o/--opt KEY=VALUE` (driver options).
    pub options: BTreeMap<String, String>,
    /// `--interface-name`: the bridge or the macvlan parent.
    pub interface_name: Option<String>,
    /// `--dns`: servers aardvark-dns forwards to.
    pub dns_servers: Vec<String>,
    /// `--ignore`: an existing network of that name is the result.
    pub ignore_if_exists: bool,
}

/// `network ls` options: `--filter` values as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkListOptions {
    pub filters: Vec<String>,
}

/// `network rm` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkRmOptions {
    /// `--force`: remove the containers using the network first.
    pub force: bool,
    /// `--time`: seconds a container gets to stop before it is killed.
    pub timeout: Option<u64>,
}

/// One network `network rm` removed (or failed to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRmReport {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
}

/// `network prune` options: `--filter` values as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkPruneOptions {
    pub filters: Vec<String>,
}

/// One network `network prune` removed (or failed to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPruneReport {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Error", skip_serializing_if = "Option::is_none", default)]
    pub error: Option<Error>,
}

/// `network connect` options (Podman's `PerNetworkOptions` as the CLI
/// gives them): addresses and names as given, checked by the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConnectOptions {
    /// `--alias`.
    pub aliases: Vec<String>,
    /// `--ip` and `--ip6`.
    pub static_ips: Vec<String>,
    /// `--mac-address`.
    pub static_mac: Option<String>,
}

/// One container `network reload` reloaded (or failed to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkReloadReport {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
}

/// `network update` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkUpdateOptions {
    /// `--dns-add`: servers the network's aardvark-dns forwards to.
    pub add_dns_servers: Vec<String>,
    /// `--dns-drop`.
    pub remove_dns_servers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NetworkInspectReport {
        NetworkInspectReport {
            network: Network {
                name: "n1".into(),
                id: "a".repeat(64),
                driver: "bridge".into(),
                network_interface: "rpod1".into(),
                created: GoTime::default(),
                subnets: vec![Subnet {
                    subnet: "10.80.0.0/24".into(),
                    gateway: Some("10.80.0.1".into()),
                    lease_range: Some(LeaseRange {
                        start_ip: Some("10.80.0.10".into()),
                        end_ip: None,
                    }),
                }],
                dns_enabled: true,
                labels: [("a".to_owned(), "b".to_owned())].into(),
                ipam_options: [("driver".to_owned(), "host-local".to_owned())].into(),
                ..Network::default()
            },
            containers: [(
                "c".repeat(64),
                NetworkContainerInfo {
                    name: "web".into(),
                    interfaces: [(
                        "eth0".to_owned(),
                        NetInterface {
                            subnets: vec![NetAddress {
                                ipnet: "10.80.0.2/24".into(),
                                gateway: Some("10.80.0.1".into()),
                            }],
                            mac_address: "aa:bb:cc:dd:ee:ff".into(),
                        },
                    )]
                    .into(),
                },
            )]
            .into(),
        }
    }

    #[test]
    fn json_keys() {
        let j = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "id",
                "driver",
                "network_interface",
                "created",
                "subnets",
                "ipv6_enabled",
                "internal",
                "dns_enabled",
                "labels",
                "ipam_options",
                "containers"
            ]
        );
        assert_eq!(
            j["subnets"][0],
            serde_json::json!({"subnet": "10.80.0.0/24", "gateway": "10.80.0.1",
                "lease_range": {"start_ip": "10.80.0.10"}})
        );
        let c = &j["containers"]["c".repeat(64)];
        assert_eq!(
            c["interfaces"]["eth0"],
            serde_json::json!({"subnets": [{"ipnet": "10.80.0.2/24", "gateway": "10.80.0.1"}],
                "mac_address": "aa:bb:cc:dd:ee:ff"})
        );
        // Podman's field order; empty maps and lists are left out, as Go's omitempty does.
        let bare = serde_json::to_value(Network::default()).unwrap();
        assert!(bare.get("labels").is_none() && bare.get("subnets").is_none());
        assert!(bare.get("network_interface").is_none());
        let back: NetworkInspectReport = serde_json::from_value(j).unwrap();
        assert_eq!(back, sample());
        let r = serde_json::to_value(NetworkPruneReport {
            name: "n".into(),
            error: None,
        })
        .unwrap();
        assert_eq!(r, serde_json::json!({"Name": "n"}));
    }

    #[test]
    fn go_names() {
        let v = sample().to_template();
        let render = |t: &str| {
            let out = gotmpl::render_value(t, &v, "inspect").unwrap();
            out.strip_suffix('\n').unwrap_or(&out).to_owned()
        };
        assert_eq!(
            render("{{.Name}} {{.Driver}} {{.NetworkInterface}} {{.DNSEnabled}} {{.IPv6Enabled}} {{.Internal}}"),
            "n1 bridge rpod1 true false false"
        );
        assert_eq!(render("{{.ID}}"), "a".repeat(64));
        assert_eq!(
            render("{{.IPAMOptions.driver}} {{.Labels.a}}"),
            "host-local b"
        );
        assert_eq!(
            render("{{range .Subnets}}{{.Subnet}} {{.Gateway}} {{.LeaseRange.StartIP}}{{end}}"),
            "10.80.0.0/24 10.80.0.1 10.80.0.10"
        );
        assert_eq!(
            render("{{range .Containers}}{{.Name}} {{range .Interfaces}}{{range .Subnets}}{{.IPNet}}{{end}} {{.MacAddress}}{{end}}{{end}}"),
            "web 10.80.0.2/24 aa:bb:cc:dd:ee:ff"
        );
        assert_eq!(
            render("{{json .Containers}}"),
            format!(
                "{{\"{}\":{{\"name\":\"web\",\"interfaces\":{{\"eth0\":{{\"subnets\":[{{\"ipnet\":\"10.80.0.2/24\",\"gateway\":\"10.80.0.1\"}}],\"mac_address\":\"aa:bb:cc:dd:ee:ff\"}}}}}}}}",
                "c".repeat(64)
            )
        );
    }
}
