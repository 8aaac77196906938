//! `network create`: a request into a complete network definition, checked
//! with Podman's rules and messages (containers/common libnetwork: the CLI's
//! subnet parsing, `CommonNetworkCreate`, the bridge and macvlan checks,
//! `ValidateSubnets`). Pure: the caller gives the networks that exist, the
//! host's routes and interfaces, and stores the result under its lock.
//!
//! What netavark 1.4 (Debian 12's) cannot do is refused here rather than
//! accepted and ignored: the ipvlan driver, the `vlan`, `no_default_route`,
//! `vrf`, `bclim` and bridge `mode` options, `isolate=strict`, and DHCP.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv6Net};
use rpod_api::network::NetworkCreateOptions;

use super::store::{is_valid_name, StoreError};
use super::subnets::{self, SubnetError};
use super::types::{LeaseRange, Network, Subnet};

/// Names that are `--network` modes, never network names (Podman's list).
const RESERVED_NAMES: &[&str] = &[
    "none",
    "host",
    "bridge",
    "private",
    "slirp4netns",
    "pasta",
    "container",
    "ns",
    "default",
];

/// Linux's limit on interface names (IFNAMSIZ - 1).
const MAX_INTERFACE_NAME: usize = 15;

/// Why a network could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Bad input, in Podman's words.
    #[error("{0}")]
    Invalid(String),
    /// Something netavark 1.4 cannot do.
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Subnet(#[from] SubnetError),
}

fn invalid(msg: impl Into<String>) -> CreateError {
    CreateError::Invalid(msg.into())
}

/// What a new network is checked against.
#[derive(Clone, Debug, Default)]
pub struct CreateContext {
    /// Every network defined (the default one included).
    pub existing: Vec<Network>,
    /// Subnets the host routes.
    pub host_routes: Vec<IpNet>,
    /// Interfaces that exist on the host (`/sys/class/net`).
    pub live_interfaces: Vec<String>,
    /// New bridges are named this plus a number (`rpod1`, ...).
    pub bridge_prefix: String,
    /// A fresh 64-hex network ID.
    pub id: String,
    /// Creation time, RFC 3339.
    pub created: String,
}

/// The network `req` describes, complete (name, bridge, subnets, gateways),
/// or Podman's error for it.
pub fn build(req: &NetworkCreateOptions, ctx: &CreateContext) -> Result<Network, CreateError> {
    let mut subnets = parse_subnets(req)?;
    let name = req.name.clone().unwrap_or_default();
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(invalid(format!(
            "cannot create network with name {name:?} because it conflicts with a valid network mode"
        )));
    }
    let driver = req.driver.clone().unwrap_or_else(|| "bridge".to_owned());
    let mut options = req.options.clone();
    let mut interface = req.interface_name.clone().unwrap_or_default();
    if driver == "macvlan" || driver == "ipvlan" {
        if let Some(parent) = options.remove("parent") {
            interface = parent;
        }
    }
    let name = if name.is_empty() {
        let free = free_device_name(ctx)?;
        if driver == "bridge" && interface.is_empty() {
            interface = free.clone();
        }
        free
    } else {
        if !is_valid_name(&name) {
            return Err(StoreError::InvalidName(name).into());
        }
        if ctx.existing.iter().any(|n| n.name == name) {
            return Err(StoreError::Exists(name).into());
        }
        name
    };
    if !interface.is_empty() {
        validate_interface_name(&interface)
            .map_err(|why| invalid(format!("network interface name {interface} invalid: {why}")))?;
    }
    let mut dns_enabled = !req.disable_dns;
    let mut used: Vec<IpNet> = Vec::new();
    let mut ipam_driver = "host-local";
    match driver.as_str() {
        "bridge" => {
            map_docker_bridge_options(&mut options, &mut interface);
            check_bridge_options(&mut options)?;
            used = ctx
                .existing
                .iter()
                .flat_map(|n| n.subnets.iter().flatten().map(|s| s.subnet))
                .chain(ctx.host_routes.iter().copied())
                .collect();
            if interface.is_empty() {
                interface = free_device_name(ctx)?;
            } else {
                if ctx.existing.iter().any(|n| {
                    n.driver == "bridge" && n.network_interface.as_deref() == Some(&interface)
                }) {
                    return Err(invalid(format!("bridge name {interface} already in use")));
                }
                if !is_valid_name(&interface) {
                    return Err(invalid(format!(
                        "bridge name {interface} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
                    )));
                }
            }
            add_free_subnets(&mut subnets, req.ipv6, &used)?;
        }
        "macvlan" => {
            if !interface.is_empty() && !ctx.live_interfaces.contains(&interface) {
                return Err(invalid(format!(
                    "parent interface {interface} does not exist"
                )));
            }
            // netavark has no DNS for macvlan networks.
            dns_enabled = false;
            if subnets.is_empty() {
                return Err(CreateError::Unsupported(
                    "macvlan networks without --subnet get their addresses by DHCP (netavark-dhcp-proxy), which rpod does not support: give --subnet".into(),
                ));
            }
            check_macvlan_options(&options)?;
            ipam_driver = "host-local";
        }
        "ipvlan" => {
            return Err(CreateError::Unsupported(
                "the ipvlan driver needs netavark 1.5 or later; this host's netavark (Debian 12) is 1.4".into(),
            ))
        }
        other => {
            return Err(invalid(format!("failed to find driver or plugin {other:?}")));
        }
    }
    let dns_servers = parse_dns_servers(&req.dns_servers, dns_enabled)?;
    let add_gateway = !req.internal || dns_enabled;
    let mut ipv6_enabled = req.ipv6;
    for s in &mut subnets {
        validate_subnet(s, add_gateway, &used)?;
        if matches!(s.subnet, IpNet::V6(_)) {
            ipv6_enabled = true;
        }
    }
    Ok(Network {
        name,
        id: ctx.id.clone(),
        driver,
        network_interface: (!interface.is_empty()).then_some(interface),
        created: Some(ctx.created.clone()),
        subnets: Some(subnets),
        ipv6_enabled,
        internal: req.internal,
        dns_enabled,
        network_dns_servers: (!dns_servers.is_empty()).then_some(dns_servers),
        labels: Some(req.labels.clone()),
        options: Some(options),
        ipam_options: Some(BTreeMap::from([(
            "driver".to_owned(),
            ipam_driver.to_owned(),
        )])),
    })
}

/// `--subnet`, `--gateway` and `--ip-range` as Podman's CLI pairs them.
fn parse_subnets(req: &NetworkCreateOptions) -> Result<Vec<Subnet>, CreateError> {
    let gateways = req
        .gateways
        .iter()
        .map(|g| {
            g.parse::<IpAddr>().map_err(|_| {
                invalid(format!(
                    "invalid argument {g:?} for \"--gateway\" flag: invalid string being converted to IP address: {g}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if req.subnets.is_empty() {
        if !req.ranges.is_empty() || !gateways.is_empty() {
            return Err(invalid("cannot set gateway or range without subnet"));
        }
        return Ok(Vec::new());
    }
    if gateways.len() > req.subnets.len() {
        return Err(invalid("cannot set more gateways than subnets"));
    }
    if req.ranges.len() > req.subnets.len() {
        return Err(invalid("cannot set more ranges than subnets"));
    }
    req.subnets
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let subnet = parse_cidr(text)?.trunc();
            let lease_range = req.ranges.get(i).map(|r| parse_range(r)).transpose()?;
            Ok(Subnet {
                subnet,
                gateway: gateways.get(i).copied(),
                lease_range,
            })
        })
        .collect()
}

/// Go's `net.ParseCIDR` (its message for bad input).
fn parse_cidr(text: &str) -> Result<IpNet, CreateError> {
    text.parse::<IpNet>()
        .map_err(|_| invalid(format!("invalid CIDR address: {text}")))
}

/// `--ip-range`: `START-END` or a CIDR (its first to last address).
fn parse_range(text: &str) -> Result<LeaseRange, CreateError> {
    if let Some((start, end)) = text.split_once('-') {
        let start = start
            .parse::<IpAddr>()
            .map_err(|_| invalid(format!("range start ip {start:?} is not a ip address")))?;
        let end = end
            .parse::<IpAddr>()
            .map_err(|_| invalid(format!("range end ip {end:?} is not a ip address")))?;
        return Ok(LeaseRange {
            start_ip: Some(start),
            end_ip: Some(end),
        });
    }
    let net = parse_cidr(text)?.trunc();
    let first = first_ip(net);
    let last = match net {
        IpNet::V4(n) if n.prefix_len() < 31 => net.hosts().last().unwrap_or(first),
        _ => net.broadcast(),
    };
    Ok(LeaseRange {
        start_ip: Some(first),
        end_ip: Some(last),
    })
}

/// Podman's `FirstIPInSubnet`: the address after the network address (the
/// network address itself when the subnet has no other).
fn first_ip(net: IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) if n.prefix_len() < 32 => {
            IpAddr::V4((u32::from(n.network()).wrapping_add(1)).into())
        }
        IpNet::V6(n) if n.prefix_len() < 128 => {
            IpAddr::V6((u128::from(n.network()).wrapping_add(1)).into())
        }
        _ => net.network(),
    }
}

/// Podman's `ValidateInterfaceName`.
fn validate_interface_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_INTERFACE_NAME {
        return Err(format!(
            "interface name is too long: interface names must be {MAX_INTERFACE_NAME} characters or less: invalid argument"
        ));
    }
    if name == "." || name == ".." {
        return Err("interface name is . or ..: invalid argument".into());
    }
    if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace())
    {
        return Err(
            "interface name contains / or : or whitespace characters: invalid argument".into(),
        );
    }
    Ok(())
}

/// The first `<prefix>N` (N from 1) that is no network's name or bridge and
/// no interface on the host.
fn free_device_name(ctx: &CreateContext) -> Result<String, CreateError> {
    let taken = |candidate: &str| {
        ctx.existing.iter().any(|n| {
            n.name == candidate
                || (n.driver == "bridge" && n.network_interface.as_deref() == Some(candidate))
        }) || ctx.live_interfaces.iter().any(|i| i == candidate)
    };
    (1..1_000_000)
        .map(|i| format!("{}{i}", ctx.bridge_prefix))
        .find(|c| !taken(c))
        .ok_or_else(|| invalid("could not find free device name, to many iterations"))
}

/// Docker's names for bridge options (Podman maps them the same way).
fn map_docker_bridge_options(options: &mut BTreeMap<String, String>, interface: &mut String) {
    if let Some(mtu) = options.remove("com.docker.network.driver.mtu") {
        options.insert("mtu".to_owned(), mtu);
    }
    if let Some(name) = options.remove("com.docker.network.bridge.name") {
        *interface = name;
    }
}

/// Go's strconv messages for a number option.
fn parse_number<T: std::str::FromStr>(func: &str, value: &str) -> Result<T, CreateError> {
    value
        .parse::<T>()
        .map_err(|_| invalid(format!("strconv.{func}: parsing {value:?}: invalid syntax")))
}

fn check_mtu(value: &str) -> Result<(), CreateError> {
    if value.is_empty() {
        return Ok(());
    }
    let mtu: i64 = parse_number("Atoi", value)?;
    if mtu < 0 {
        return Err(invalid(format!("mtu {mtu} is less than zero")));
    }
    Ok(())
}

/// An option Podman knows that netavark 1.4 does not.
fn unsupported_option(driver: &str, key: &str) -> CreateError {
    CreateError::Unsupported(format!(
        "{driver} network option {key} is not supported by this host's netavark (1.4, Debian 12)"
    ))
}

/// The bridge options (Podman's set), normalised as netavark reads them.
fn check_bridge_options(options: &mut BTreeMap<String, String>) -> Result<(), CreateError> {
    for (key, value) in options.iter_mut() {
        match key.as_str() {
            "mtu" => check_mtu(value)?,
            "metric" => {
                parse_number::<u32>("ParseUint", value)?;
            }
            "isolate" => {
                *value = match value.as_str() {
                    "" => "false".to_owned(),
                    "strict" => return Err(unsupported_option("bridge", "isolate=strict")),
                    v => go_bool(v).map(|b| b.to_string()).ok_or_else(|| {
                        invalid(format!(
                            "failed to parse isolate option: strconv.ParseBool: parsing {v:?}: invalid syntax"
                        ))
                    })?,
                };
            }
            "vlan" | "no_default_route" | "vrf" | "mode" => {
                return Err(unsupported_option("bridge", key))
            }
            _ => return Err(invalid(format!("unsupported bridge network option {key}"))),
        }
    }
    Ok(())
}

/// The macvlan options (Podman's set).
fn check_macvlan_options(options: &BTreeMap<String, String>) -> Result<(), CreateError> {
    for (key, value) in options {
        match key.as_str() {
            "mode" => {
                if !["bridge", "private", "vepa", "passthru"].contains(&value.as_str()) {
                    return Err(invalid(format!("unknown macvlan mode {value:?}")));
                }
            }
            "metric" => {
                parse_number::<u32>("ParseUint", value)?;
            }
            "mtu" => check_mtu(value)?,
            "no_default_route" | "bclim" => return Err(unsupported_option("macvlan", key)),
            _ => return Err(invalid(format!("unsupported macvlan network option {key}"))),
        }
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
pub(super) fn go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A bridge gets a free IPv4 subnet from rpod's pool when none is given;
/// `--ipv6` means dual stack, so a missing family is added (IPv6: a random
/// ULA /64, RFC 4193).
fn add_free_subnets(
    subnets: &mut Vec<Subnet>,
    ipv6: bool,
    used: &[IpNet],
) -> Result<(), CreateError> {
    let fresh = |subnet| Subnet {
        subnet,
        gateway: None,
        lease_range: None,
    };
    let has_v4 = subnets.iter().any(|s| matches!(s.subnet, IpNet::V4(_)));
    let has_v6 = subnets.iter().any(|s| matches!(s.subnet, IpNet::V6(_)));
    if subnets.is_empty() || (ipv6 && !has_v4) {
        subnets.push(fresh(subnets::next_free(used)?));
    }
    if ipv6 && !has_v6 {
        subnets.push(fresh(free_ipv6_subnet(used)?));
    }
    Ok(())
}

fn free_ipv6_subnet(used: &[IpNet]) -> Result<IpNet, CreateError> {
    for _ in 0..10_000 {
        let mut bytes = [0u8; 16];
        bytes[0] = 0xfd;
        for b in &mut bytes[1..8] {
            *b = rand::random();
        }
        let net = IpNet::V6(
            Ipv6Net::new(std::net::Ipv6Addr::from(bytes), 64)
                .map_err(|e| invalid(e.to_string()))?,
        );
        if subnets::check_free(net, used).is_ok() {
            return Ok(net);
        }
    }
    Err(invalid("failed to get random ipv6 subnet"))
}

/// `--dns`: addresses, and only on a network with DNS.
fn parse_dns_servers(servers: &[String], dns_enabled: bool) -> Result<Vec<IpAddr>, CreateError> {
    if !servers.is_empty() && !dns_enabled {
        return Err(invalid(
            "cannot set NetworkDNSServers if DNS is not enabled for the network: invalid argument",
        ));
    }
    servers
        .iter()
        .map(|s| {
            s.parse().map_err(|_| {
                invalid(format!(
                    "unable to parse ip {s} specified in NetworkDNSServers: invalid argument"
                ))
            })
        })
        .collect()
}

/// Podman's `ValidateSubnet`: free, the gateway and lease range inside, a
/// gateway added when the network needs one.
fn validate_subnet(s: &mut Subnet, add_gateway: bool, used: &[IpNet]) -> Result<(), CreateError> {
    subnets::check_free(s.subnet, used)?;
    match s.gateway {
        Some(gw) if !s.subnet.contains(&gw) => {
            return Err(invalid(format!("gateway {gw} not in subnet {}", s.subnet)))
        }
        Some(_) => {}
        None if add_gateway => s.gateway = Some(first_ip(s.subnet)),
        None => {}
    }
    if let Some(range) = &s.lease_range {
        for (what, ip) in [("start", range.start_ip), ("end", range.end_ip)] {
            if let Some(ip) = ip.filter(|ip| !s.subnet.contains(ip)) {
                return Err(invalid(format!(
                    "lease range {what} ip {ip} not in subnet {}",
                    s.subnet
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CreateContext {
        CreateContext {
            existing: vec![super::super::store::DefaultNetwork::default().network()],
            host_routes: vec!["192.168.1.0/24".parse().unwrap()],
            live_interfaces: vec!["lo".into(), "eth0".into(), "rpod1".into()],
            bridge_prefix: "rpod".into(),
            id: "f".repeat(64),
            created: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn req(name: &str) -> NetworkCreateOptions {
        NetworkCreateOptions {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn err(r: NetworkCreateOptions) -> String {
        build(&r, &ctx()).unwrap_err().to_string()
    }

    #[test]
    fn defaults_pick_free_bridge_and_subnet() {
        let n = build(&req("web"), &ctx()).unwrap();
        assert_eq!(n.name, "web");
        assert_eq!(n.network_interface.as_deref(), Some("rpod2"));
        let s = &n.subnets.as_ref().unwrap()[0];
        assert_eq!(s.subnet.to_string(), "10.80.0.0/24");
        assert_eq!(s.gateway, Some("10.80.0.1".parse().unwrap()));
        assert!(n.dns_enabled && !n.ipv6_enabled && !n.internal);
        assert_eq!(n.ipam_options.unwrap()["driver"], "host-local");
        let unnamed = build(&NetworkCreateOptions::default(), &ctx()).unwrap();
        assert_eq!(unnamed.name, "rpod2");
        assert_eq!(unnamed.network_interface.as_deref(), Some("rpod2"));
    }

    #[test]
    fn subnets_gateways_ranges() {
        let mut r = req("n");
        r.subnets = vec!["10.90.3.7/24".into(), "fd00:90::/64".into()];
        r.gateways = vec!["10.90.3.254".into()];
        r.ranges = vec!["10.90.3.128/25".into()];
        let n = build(&r, &ctx()).unwrap();
        let s = n.subnets.unwrap();
        assert_eq!(s[0].subnet.to_string(), "10.90.3.0/24");
        assert_eq!(s[0].gateway, Some("10.90.3.254".parse().unwrap()));
        let range = s[0].lease_range.as_ref().unwrap();
        assert_eq!(range.start_ip, Some("10.90.3.129".parse().unwrap()));
        assert_eq!(range.end_ip, Some("10.90.3.254".parse().unwrap()));
        assert_eq!(s[1].gateway, Some("fd00:90::1".parse().unwrap()));
        assert!(n.ipv6_enabled);
        let mut dual = req("d");
        dual.ipv6 = true;
        let s = build(&dual, &ctx()).unwrap().subnets.unwrap();
        assert_eq!(s.len(), 2);
        assert!(matches!(s[1].subnet, IpNet::V6(n) if n.prefix_len() == 64));
    }

    #[test]
    fn podmans_messages() {
        let mut r = req("n");
        r.subnets = vec!["10.79.5.0/24".into()];
        assert_eq!(
            err(r.clone()),
            "subnet 10.79.5.0/24 is already used on the host or by another config"
        );
        r.subnets = vec!["192.168.1.0/25".into()];
        assert!(err(r.clone()).contains("already used on the host"));
        r.subnets = vec!["nope".into()];
        assert_eq!(err(r.clone()), "invalid CIDR address: nope");
        r.subnets = vec!["10.91.0.0/24".into()];
        r.gateways = vec!["10.92.0.1".into()];
        assert_eq!(
            err(r.clone()),
            "gateway 10.92.0.1 not in subnet 10.91.0.0/24"
        );
        r.gateways = vec!["1.1.1.1".into(), "2.2.2.2".into()];
        assert_eq!(err(r.clone()), "cannot set more gateways than subnets");
        let mut g = req("n");
        g.gateways = vec!["10.1.1.1".into()];
        assert_eq!(err(g), "cannot set gateway or range without subnet");
        assert_eq!(
            err(req("podman")),
            "network name podman already used: network already exists"
        );
        assert_eq!(
            err(req("host")),
            "cannot create network with name \"host\" because it conflicts with a valid network mode"
        );
        assert!(err(req("-bad")).starts_with("network name -bad invalid: names must match"));
        let mut o = req("n");
        o.options = [("mtu".to_owned(), "x".to_owned())].into();
        assert_eq!(
            err(o.clone()),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        o.options = [("foo".to_owned(), "1".to_owned())].into();
        assert_eq!(err(o.clone()), "unsupported bridge network option foo");
        o.options = [("vlan".to_owned(), "3".to_owned())].into();
        assert!(matches!(
            build(&o, &ctx()),
            Err(CreateError::Unsupported(_))
        ));
        let mut d = req("n");
        d.driver = Some("ipvlan".into());
        assert!(err(d.clone()).contains("netavark 1.5"));
        d.driver = Some("weird".into());
        assert_eq!(err(d), "failed to find driver or plugin \"weird\"");
        let mut dns = req("n");
        dns.disable_dns = true;
        dns.dns_servers = vec!["1.1.1.1".into()];
        assert!(err(dns).starts_with("cannot set NetworkDNSServers"));
        let mut i = req("n");
        i.interface_name = Some("rpod0".into());
        assert_eq!(err(i.clone()), "bridge name rpod0 already in use");
        i.interface_name = Some("a-very-long-interface".into());
        assert!(err(i).contains("interface name is too long"));
    }

    #[test]
    fn bridge_options_normalised() {
        let mut r = req("n");
        r.options = [
            (
                "com.docker.network.bridge.name".to_owned(),
                "br-x".to_owned(),
            ),
            (
                "com.docker.network.driver.mtu".to_owned(),
                "1400".to_owned(),
            ),
            ("isolate".to_owned(), "1".to_owned()),
            ("metric".to_owned(), "200".to_owned()),
        ]
        .into();
        let n = build(&r, &ctx()).unwrap();
        assert_eq!(n.network_interface.as_deref(), Some("br-x"));
        let o = n.options.unwrap();
        assert_eq!(o["mtu"], "1400");
        assert_eq!(o["isolate"], "true");
        assert!(!o.contains_key("com.docker.network.bridge.name"));
    }

    #[test]
    fn macvlan() {
        let mut r = req("m");
        r.driver = Some("macvlan".into());
        r.options = [("parent".to_owned(), "eth0".to_owned())].into();
        r.subnets = vec!["192.168.1.0/24".into()];
        let n = build(&r, &ctx()).unwrap();
        assert_eq!(n.network_interface.as_deref(), Some("eth0"));
        assert!(!n.dns_enabled);
        assert!(n.options.unwrap().is_empty());
        r.options = [("parent".to_owned(), "nosuch0".to_owned())].into();
        assert_eq!(err(r.clone()), "parent interface nosuch0 does not exist");
        r.options.clear();
        r.subnets.clear();
        assert!(matches!(
            build(&r, &ctx()),
            Err(CreateError::Unsupported(_))
        ));
    }
}
