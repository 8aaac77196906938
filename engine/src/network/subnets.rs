//! Which subnets a new network may take: not one another network has, not one
//! the host routes already (Podman's rule), picked from rpod's own pools when
//! the user gives none. rpod's ranges stay clear of Podman's defaults
//! (10.88.0.0/16 for `podman`, pools from 10.89.0.0/16 up), so both engines
//! run side by side.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net};

/// The default network's subnet.
pub const DEFAULT_SUBNET: &str = "10.79.0.0/16";

/// Pools for networks created without `--subnet`: /24s from 10.80.0.0/13.
pub const POOL: &str = "10.80.0.0/13";
pub const POOL_PREFIX: u8 = 24;

/// A subnet that cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubnetError {
    #[error("subnet {0} is already used on the host or by another config")]
    InUse(IpNet),
    #[error("could not find free subnet from subnet pools")]
    PoolExhausted,
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Refuses `subnet` when it overlaps `taken` (other networks' and the host's).
pub fn check_free(subnet: IpNet, taken: &[IpNet]) -> Result<(), SubnetError> {
    match taken.iter().any(|t| overlaps(&subnet, t)) {
        true => Err(SubnetError::InUse(subnet)),
        false => Ok(()),
    }
}

/// The first /24 of rpod's pool that overlaps nothing in `taken`.
pub fn next_free(taken: &[IpNet]) -> Result<IpNet, SubnetError> {
    let pool: Ipv4Net = POOL.parse().map_err(|_| SubnetError::PoolExhausted)?;
    let subnets = pool
        .subnets(POOL_PREFIX)
        .map_err(|_| SubnetError::PoolExhausted)?;
    subnets
        .map(IpNet::V4)
        .find(|s| !taken.iter().any(|t| overlaps(s, t)))
        .ok_or(SubnetError::PoolExhausted)
}

/// The host's routed subnets (IPv4 and IPv6 routes of the main table other than
/// default routes), which a new network must not overlap.
pub fn host_routes() -> Vec<IpNet> {
    let mut out = Vec::new();
    if let Ok(text) = std::fs::read_to_string("/proc/net/route") {
        out.extend(parse_route_v4(&text));
    }
    if let Ok(text) = std::fs::read_to_string("/proc/net/ipv6_route") {
        out.extend(parse_route_v6(&text));
    }
    out
}

/// `/proc/net/route`: hex destination and mask per line.
fn parse_route_v4(text: &str) -> Vec<IpNet> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?;
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?;
            let prefix = mask.count_ones() as u8;
            if prefix == 0 {
                return None;
            }
            // The kernel prints the address's in-memory (network order) bytes
            // as a native integer.
            let addr = Ipv4Addr::from(dest.to_ne_bytes());
            Ipv4Net::new(addr, prefix)
                .ok()
                .map(|n| IpNet::V4(n.trunc()))
        })
        .collect()
}

/// `/proc/net/ipv6_route`: hex destination and prefix length first.
fn parse_route_v6(text: &str) -> Vec<IpNet> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dest = u128::from_str_radix(f.first()?, 16).ok()?;
            let prefix = u8::from_str_radix(f.get(1)?, 16).ok()?;
            // Default, link-local and multicast routes say nothing about use.
            if prefix == 0 || prefix == 128 {
                return None;
            }
            let addr = IpAddr::V6(Ipv6Addr::from(dest));
            let net = IpNet::new(addr, prefix).ok()?.trunc();
            let first = match net.network() {
                IpAddr::V6(a) => a.segments()[0],
                IpAddr::V4(_) => return None,
            };
            (first & 0xffc0 != 0xfe80 && first & 0xff00 != 0xff00).then_some(net)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn pool_skips_taken() {
        assert_eq!(next_free(&[]).unwrap(), n("10.80.0.0/24"));
        let taken = [n("10.80.0.0/24"), n("10.80.1.0/25"), n("10.80.0.0/16")];
        assert_eq!(next_free(&taken[..2]).unwrap(), n("10.80.2.0/24"));
        assert_eq!(next_free(&taken).unwrap(), n("10.81.0.0/24"));
        assert_eq!(next_free(&[n(POOL)]), Err(SubnetError::PoolExhausted));
    }

    #[test]
    fn overlap_either_way() {
        assert!(check_free(n("10.79.0.0/16"), &[n("10.79.3.0/24")]).is_err());
        assert!(check_free(n("10.79.3.0/24"), &[n("10.79.0.0/16")]).is_err());
        let e = check_free(n("10.89.0.0/24"), &[n("10.89.0.128/25")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "subnet 10.89.0.0/24 is already used on the host or by another config"
        );
        assert!(check_free(n("10.79.0.0/16"), &[n("10.78.0.0/16")]).is_ok());
    }

    #[test]
    fn parses_proc_routes() {
        let v4 =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                  eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(parse_route_v4(v4), vec![n("192.168.2.0/24")]);
        let v6 = "fd000079000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n\
                  fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00200200       lo\n";
        assert_eq!(parse_route_v6(v6), vec![n("fd00:79::/64")]);
    }
}
