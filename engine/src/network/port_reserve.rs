//! Published host ports, reserved before the container starts: each is bound
//! (and, for TCP, not listened on) by rpod, so a port already in use fails
//! before anything is allocated, a random free port is known, and the bound
//! sockets are handed to the container's monitor, which holds them for the
//! container's lifetime (as conmon does), keeping them reserved.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;

use super::ports::PortSpec;
use super::types::PortMapping;

/// A host port that cannot be had.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on the {} port: listen {}{} {addr}: bind: {}", proto.to_uppercase(), proto, if addr.is_ipv4() { "4" } else { "6" }, go_text(source))]
pub struct PortInUse {
    proto: String,
    addr: SocketAddr,
    #[source]
    source: std::io::Error,
}

/// The mappings with their host ports fixed, and the sockets that hold them.
#[derive(Debug)]
pub struct Reserved {
    pub mappings: Vec<PortMapping>,
    pub sockets: Vec<OwnedFd>,
}

/// Binds every host port of `specs` (a free one for host port 0) and returns
/// the resulting mappings. Nothing stays bound on failure.
pub fn reserve(specs: &[PortSpec]) -> Result<Reserved, PortInUse> {
    let mut out = Reserved {
        mappings: Vec::new(),
        sockets: Vec::new(),
    };
    for spec in specs {
        let ip = spec.host_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let first = if spec.host_port == 0 {
            free_range(ip, spec)?
        } else {
            spec.host_port
        };
        for i in 0..spec.range {
            for proto in spec.protocol.split(',') {
                out.sockets
                    .push(bind(proto, SocketAddr::new(ip, first + i))?);
            }
        }
        out.mappings.push(PortMapping {
            host_ip: spec.host_ip.map(|i| i.to_string()).unwrap_or_default(),
            container_port: spec.container_port,
            host_port: first,
            range: spec.range,
            protocol: spec.protocol.clone(),
        });
    }
    Ok(out)
}

fn bind(proto: &str, addr: SocketAddr) -> Result<OwnedFd, PortInUse> {
    let fail = |source| PortInUse {
        proto: proto.to_owned(),
        addr,
        source,
    };
    match proto {
        // SCTP sockets are not held (std has none); netavark checks them.
        "udp" => UdpSocket::bind(addr).map(OwnedFd::from).map_err(fail),
        _ => TcpListener::bind(addr).map(OwnedFd::from).map_err(fail),
    }
}

/// The first port of a free range of `spec.range` ports: the kernel picks the
/// first, the rest must follow it (a few tries).
fn free_range(ip: IpAddr, spec: &PortSpec) -> Result<u16, PortInUse> {
    let mut last_err = None;
    for _ in 0..16 {
        let probe = match TcpListener::bind(SocketAddr::new(ip, 0)) {
            Ok(l) => l,
            Err(source) => {
                return Err(PortInUse {
                    proto: "tcp".to_owned(),
                    addr: SocketAddr::new(ip, 0),
                    source,
                })
            }
        };
        let start = probe.local_addr().map(|a| a.port()).unwrap_or(0);
        drop(probe);
        if start == 0 || u32::from(start) + u32::from(spec.range) > 65536 {
            continue;
        }
        let all_free = (0..spec.range).all(|i| {
            spec.protocol
                .split(',')
                .all(|p| bind(p, SocketAddr::new(ip, start + i)).is_ok())
        });
        if all_free {
            return Ok(start);
        }
        last_err = Some(start);
    }
    Err(PortInUse {
        proto: "tcp".to_owned(),
        addr: SocketAddr::new(ip, last_err.unwrap_or(0)),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    })
}

/// An OS error as Go prints it (`address already in use`): the C library's
/// text with a lower-case first letter, without Rust's `(os error N)`.
fn go_text(e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_owned(),
        None if e.kind() == std::io::ErrorKind::AddrInUse => "address already in use".to_owned(),
        None => e.to_string(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ports::parse_publish;

    #[test]
    fn fixed_random_and_in_use() {
        let r = reserve(&[parse_publish("127.0.0.1::80/tcp,udp").unwrap()]).unwrap();
        let m = &r.mappings[0];
        assert_ne!(m.host_port, 0);
        assert_eq!(m.host_ip, "127.0.0.1");
        assert_eq!(r.sockets.len(), 2);
        // Held: the same port again is refused, by rpod, before any setup.
        let again = format!("127.0.0.1:{}:81", m.host_port);
        let err = reserve(&[parse_publish(&again).unwrap()]).unwrap_err();
        let want = format!(
            "cannot listen on the TCP port: listen tcp4 127.0.0.1:{}: bind: ",
            m.host_port
        );
        assert!(err.to_string().starts_with(&want), "{err}");
        drop(r);
        // Released with the sockets.
        assert!(reserve(&[parse_publish(&again).unwrap()]).is_ok());
        let range = reserve(&[parse_publish("127.0.0.1::90-92").unwrap()]).unwrap();
        assert_eq!(range.sockets.len(), 3);
    }
}
