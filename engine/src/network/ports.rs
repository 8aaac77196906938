//! `-p/--publish` and `--expose` as Podman parses them:
//! `[[hostIP:]hostPort[-end]:]containerPort[-end][/protocol]`, an IPv6 host
//! address in brackets (`[::1]:8080:80`). An empty or missing host port asks
//! for a free one, picked when the container starts.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// One `-p` value: `range` consecutive ports from `container_port` (and from
/// `host_port`, when given).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortSpec {
    /// The host address to bind; `None` for all addresses (`0.0.0.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<IpAddr>,
    /// First host port; 0 when the engine picks a free one.
    pub host_port: u16,
    pub container_port: u16,
    /// Number of ports, at least 1.
    pub range: u16,
    /// `tcp`, `udp` or `sctp` (or several, comma-separated).
    pub protocol: String,
}

/// Why a `-p`/`--expose` value was refused, in Podman's words.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PortError(String);

fn err<T>(msg: impl Into<String>) -> Result<T, PortError> {
    Err(PortError(msg.into()))
}

/// Parses one `-p` value.
pub fn parse_publish(spec: &str) -> Result<PortSpec, PortError> {
    let mut by_proto = spec.split('/');
    let address = by_proto.next().unwrap_or_default();
    let protocol = by_proto.next();
    if by_proto.next().is_some() {
        return err("invalid port format - protocol can only be specified once");
    }

    let (mut host_ip, rest, have_v6) = match address.split_once(']') {
        None => (None, address, false),
        Some((ip, rest)) => {
            if rest.contains(']') {
                return err("invalid port format - at most one IPv6 address can be specified in a --publish");
            }
            let Some(ip) = ip.strip_prefix('[') else {
                return err("invalid port format - IPv6 addresses must be enclosed by []");
            };
            let Some(rest) = rest.strip_prefix(':') else {
                return err("invalid port format - IPv6 address must be followed by a colon (':')");
            };
            (Some(ip), rest, true)
        }
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_port, ctr_port) =
        match parts.as_slice() {
            [ctr] if !have_v6 => (None, *ctr),
            [_] => return err(
                "invalid port format - must provide host and destination port if specifying an IP",
            ),
            [host, ctr] => (Some(*host), *ctr),
            [ip, host, ctr] if !have_v6 => {
                host_ip = Some(ip);
                (Some(*host), *ctr)
            }
            [_, _, _] => return err(
                "invalid port format - when v6 address specified, must be [ipv6]:hostPort:ctrPort",
            ),
            _ => return err("invalid port format - format is [[hostIP:]hostPort:]containerPort"),
        };

    if ctr_port.is_empty() {
        return err("must provide a non-empty container port to publish");
    }
    let (container_port, range) =
        parse_range(ctr_port).map_err(|e| PortError(format!("parsing container port: {e}")))?;
    let protocol = match protocol {
        None => "tcp".to_owned(),
        Some("") => return err("must provide a non-empty protocol to publish"),
        Some(p) => {
            for one in p.split(',') {
                if !matches!(one, "tcp" | "udp" | "sctp") {
                    return err(format!("unrecognized protocol {one:?} in port mapping"));
                }
            }
            p.to_owned()
        }
    };
    let host_ip = match host_ip {
        None | Some("0.0.0.0") => None,
        Some("") => return err("must provide a non-empty container host IP to publish"),
        Some(ip) => Some(
            ip.parse::<IpAddr>()
                .map_err(|_| PortError(format!("cannot parse {ip:?} as an IP address")))?,
        ),
    };
    let host_port = match host_port {
        None | Some("") => 0,
        Some(h) => {
            let (start, len) =
                parse_range(h).map_err(|e| PortError(format!("parsing host port: {e}")))?;
            if len != range {
                return err(format!(
                    "host and container port ranges have different lengths: {len} vs {range}"
                ));
            }
            start
        }
    };
    Ok(PortSpec {
        host_ip,
        host_port,
        container_port,
        range,
        protocol,
    })
}

/// Parses one `--expose` value (`port[-end][/protocol]`) into its ports.
pub fn parse_expose(spec: &str) -> Result<Vec<(u16, String)>, PortError> {
    let mut by_proto = spec.split('/');
    let ports = by_proto.next().unwrap_or_default();
    let protocol = by_proto.next().unwrap_or("tcp");
    if by_proto.next().is_some() {
        return err("invalid expose format - protocol can only be specified once");
    }
    let (start, len) = parse_range(ports)?;
    Ok((0..len).map(|i| (start + i, protocol.to_owned())).collect())
}

/// `start[-end]` as (start, number of ports).
fn parse_range(range: &str) -> Result<(u16, u16), PortError> {
    let mut parts = range.split('-');
    let start = parts.next().unwrap_or_default();
    let end = parts.next();
    if parts.next().is_some() {
        return err("invalid port format - port ranges are formatted as startPort-stopPort");
    }
    if start.is_empty() {
        return err("port numbers cannot be negative");
    }
    let start = parse_port(start)?;
    let len = match end {
        None => 1,
        Some("") => return err("must provide ending number for port range"),
        Some(end) => {
            let end = parse_port(end)?;
            if end <= start {
                return err(format!(
                    "the end port of a range must be higher than the start port - {end} is not higher than {start}"
                ));
            }
            end - start + 1
        }
    };
    Ok((start, len))
}

fn parse_port(port: &str) -> Result<u16, PortError> {
    let n: i64 = port.parse().map_err(|_| {
        PortError(format!(
            "invalid port number: strconv.Atoi: parsing {port:?}: invalid syntax"
        ))
    })?;
    if !(1..=65535).contains(&n) {
        return err(format!(
            "port numbers must be between 1 and 65535 (inclusive), got {n}"
        ));
    }
    Ok(n as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PortSpec {
        parse_publish(s).unwrap()
    }

    fn e(s: &str) -> String {
        parse_publish(s).unwrap_err().to_string()
    }

    #[test]
    fn forms() {
        assert_eq!(
            p("80"),
            PortSpec {
                host_ip: None,
                host_port: 0,
                container_port: 80,
                range: 1,
                protocol: "tcp".into()
            }
        );
        let s = p("127.0.0.1:8080:80/udp");
        assert_eq!(s.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            (s.host_port, s.container_port, s.protocol.as_str()),
            (8080, 80, "udp")
        );
        assert_eq!(p("0.0.0.0:8080:80").host_ip, None);
        assert_eq!(p(":80").host_port, 0);
        assert_eq!(p("127.0.0.1::80").host_port, 0);
        let r = p("8000-8002:9000-9002/tcp,udp");
        assert_eq!((r.host_port, r.container_port, r.range), (8000, 9000, 3));
        assert_eq!(r.protocol, "tcp,udp");
        let v6 = p("[::1]:8080:80");
        assert_eq!(v6.host_ip, Some("::1".parse().unwrap()));
        assert_eq!(v6.host_port, 8080);
    }

    #[test]
    fn errors_in_podmans_words() {
        assert_eq!(
            e("1/tcp/udp"),
            "invalid port format - protocol can only be specified once"
        );
        assert_eq!(
            e("1:2:3:4"),
            "invalid port format - format is [[hostIP:]hostPort:]containerPort"
        );
        assert_eq!(
            e("8080:"),
            "must provide a non-empty container port to publish"
        );
        assert_eq!(
            e("0"),
            "parsing container port: port numbers must be between 1 and 65535 (inclusive), got 0"
        );
        assert_eq!(e("70000"), "parsing container port: port numbers must be between 1 and 65535 (inclusive), got 70000");
        assert_eq!(
            e("abc"),
            "parsing container port: invalid port number: strconv.Atoi: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            e("8080-8081:80"),
            "host and container port ranges have different lengths: 2 vs 1"
        );
        assert_eq!(
            e("90-80"),
            "parsing container port: the end port of a range must be higher than the start port - 80 is not higher than 90"
        );
        assert_eq!(e("80/"), "must provide a non-empty protocol to publish");
        assert_eq!(
            e("80/icmp"),
            "unrecognized protocol \"icmp\" in port mapping"
        );
        assert_eq!(e("nope:80:80"), "cannot parse \"nope\" as an IP address");
        assert_eq!(
            e("[::1]:80"),
            "invalid port format - must provide host and destination port if specifying an IP"
        );
        assert_eq!(
            e("::1]:80:80"),
            "invalid port format - IPv6 addresses must be enclosed by []"
        );
        assert_eq!(
            e("[::1]80:80"),
            "invalid port format - IPv6 address must be followed by a colon (':')"
        );
    }

    #[test]
    fn expose() {
        assert_eq!(parse_expose("80").unwrap(), vec![(80, "tcp".to_string())]);
        assert_eq!(
            parse_expose("53-54/udp").unwrap(),
            vec![(53, "udp".to_string()), (54, "udp".to_string())]
        );
        assert!(parse_expose("1/tcp/udp").is_err());
    }
}
