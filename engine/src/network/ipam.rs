//! Address allocation within a network's subnets (netavark does none; Podman
//! allocates itself and so does rpod). Pure: the caller holds the set of
//! addresses in use (from the state database) under its lock.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::types::Subnet;

/// Why no address could be handed out.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IpamError {
    /// Podman: "IPAM error: failed to find free IP in range: ...".
    #[error("IPAM error: failed to find free IP in range: {0}")]
    Exhausted(IpNet),
    #[error("IPAM error: requested ip address {ip} is already allocated to container ID {owner}")]
    InUse { ip: IpAddr, owner: String },
    #[error("IPAM error: requested ip address {0} is not in any subnet of the network")]
    OutOfSubnet(IpAddr),
    #[error(
        "IPAM error: requested ip address {0} is reserved (network, gateway or broadcast address)"
    )]
    Reserved(IpAddr),
}

/// The addresses a container may get in `subnet`: inside its lease range,
/// never the network address, the gateway or (IPv4) the broadcast address.
fn usable(subnet: &Subnet, ip: IpAddr) -> bool {
    let net = subnet.subnet;
    if !net.contains(&ip) || ip == net.network() || Some(ip) == subnet.gateway {
        return false;
    }
    if matches!(net, IpNet::V4(_)) && ip == net.broadcast() && net.prefix_len() < 31 {
        return false;
    }
    if let Some(range) = &subnet.lease_range {
        if range.start_ip.is_some_and(|s| ip < s) || range.end_ip.is_some_and(|e| ip > e) {
            return false;
        }
    }
    true
}

/// Checks a requested `--ip` against the network's subnets and the addresses
/// in use (`owner_of` names the container holding one).
pub fn check_static(
    subnets: &[Subnet],
    ip: IpAddr,
    owner_of: impl Fn(IpAddr) -> Option<String>,
) -> Result<(), IpamError> {
    let Some(subnet) = subnets.iter().find(|s| s.subnet.contains(&ip)) else {
        return Err(IpamError::OutOfSubnet(ip));
    };
    if !usable(subnet, ip) {
        return Err(IpamError::Reserved(ip));
    }
    match owner_of(ip) {
        Some(owner) => Err(IpamError::InUse { ip, owner }),
        None => Ok(()),
    }
}

/// The lowest free usable address of `subnet` after `after` (the last one
/// handed out, so addresses are not reused at once), wrapping around.
pub fn next_free(
    subnet: &Subnet,
    used: &BTreeSet<IpAddr>,
    after: Option<IpAddr>,
) -> Result<IpAddr, IpamError> {
    let net = subnet.subnet;
    // Walk at most the subnet's size (capped: a /64 is never exhausted).
    let size: u128 = match net {
        IpNet::V4(n) => 1u128 << (32 - n.prefix_len()),
        IpNet::V6(n) => 1u128 << (128 - n.prefix_len()).min(100),
    };
    let start = after.filter(|a| net.contains(a)).unwrap_or(net.network());
    let base = to_u128(net.network());
    let mut offset = to_u128(start) - base;
    for _ in 0..size {
        offset = (offset + 1) % size;
        let ip = from_u128(base + offset, net);
        if usable(subnet, ip) && !used.contains(&ip) {
            return Ok(ip);
        }
    }
    Err(IpamError::Exhausted(net))
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(n: u128, like: IpNet) -> IpAddr {
    match like {
        IpNet::V4(_) => IpAddr::V4((n as u32).into()),
        IpNet::V6(_) => IpAddr::V6(n.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::types::LeaseRange;

    fn subnet(net: &str, gw: Option<&str>) -> Subnet {
        Subnet {
            subnet: net.parse().unwrap(),
            gateway: gw.map(|g| g.parse().unwrap()),
            lease_range: None,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn skips_network_gateway_broadcast_and_used() {
        let s = subnet("10.79.0.0/29", Some("10.79.0.1"));
        let mut used = BTreeSet::new();
        let mut got = Vec::new();
        while let Ok(a) = next_free(&s, &used, got.last().copied()) {
            used.insert(a);
            got.push(a);
        }
        let want: Vec<IpAddr> = (2..=6).map(|i| ip(&format!("10.79.0.{i}"))).collect();
        assert_eq!(got, want);
        assert_eq!(
            next_free(&s, &used, None).unwrap_err().to_string(),
            "IPAM error: failed to find free IP in range: 10.79.0.0/29"
        );
        // A freed address is found again, after wrapping around.
        used.remove(&ip("10.79.0.3"));
        assert_eq!(
            next_free(&s, &used, Some(ip("10.79.0.6"))).unwrap(),
            ip("10.79.0.3")
        );
    }

    #[test]
    fn lease_range_and_ipv6() {
        let mut s = subnet("10.79.1.0/24", Some("10.79.1.1"));
        s.lease_range = Some(LeaseRange {
            start_ip: Some(ip("10.79.1.100")),
            end_ip: Some(ip("10.79.1.101")),
        });
        assert_eq!(
            next_free(&s, &BTreeSet::new(), None).unwrap(),
            ip("10.79.1.100")
        );
        let used = BTreeSet::from([ip("10.79.1.100"), ip("10.79.1.101")]);
        assert!(next_free(&s, &used, None).is_err());
        let v6 = subnet("fd00:79::/64", Some("fd00:79::1"));
        assert_eq!(
            next_free(&v6, &BTreeSet::new(), None).unwrap(),
            ip("fd00:79::2")
        );
    }

    #[test]
    fn static_addresses() {
        let s = [subnet("10.79.2.0/24", Some("10.79.2.1"))];
        let nobody = |_| None;
        assert!(check_static(&s, ip("10.79.2.9"), nobody).is_ok());
        assert_eq!(
            check_static(&s, ip("10.79.3.9"), nobody),
            Err(IpamError::OutOfSubnet(ip("10.79.3.9")))
        );
        assert_eq!(
            check_static(&s, ip("10.79.2.1"), nobody),
            Err(IpamError::Reserved(ip("10.79.2.1")))
        );
        assert_eq!(
            check_static(&s, ip("10.79.2.255"), nobody),
            Err(IpamError::Reserved(ip("10.79.2.255")))
        );
        let taken = check_static(&s, ip("10.79.2.9"), |_| Some("abc".into())).unwrap_err();
        assert_eq!(
            taken.to_string(),
            "IPAM error: requested ip address 10.79.2.9 is already allocated to container ID abc"
        );
    }
}
