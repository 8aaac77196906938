//! The backends for real: a bridge network set up in a fresh namespace and
//! torn down again, leaving no bridge (netavark) and no lease (CNI) behind.
//! Needs root, netavark, containernetworking-plugins and iptables (installed
//! by packaging/install-deps.sh).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cni::Cni;
use super::netavark::Netavark;
use super::netns;
use super::types::{Network, NetworkOptions, PerNetworkOptions, Subnet};

/// Tears down and removes what the test set up, even when it fails.
struct Guard {
    netavark: Netavark,
    netns: PathBuf,
    options: NetworkOptions,
    set_up: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.set_up {
            let _ = self.netavark.teardown(&self.netns, &self.options);
        }
        let _ = netns::remove(&self.netns);
    }
}

fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

#[test]
fn bridge_setup_and_teardown() {
    let dir = tempfile::tempdir().unwrap();
    // Names and subnet unique per test process (tests run in parallel).
    let n = std::process::id() % 250 + 1;
    let bridge = format!("rpodt{}", std::process::id() % 100_000);
    let ip: std::net::IpAddr = format!("10.79.{n}.2").parse().unwrap();
    let mut options = options(79, &bridge, n, true);
    for per in options.networks.values_mut() {
        per.static_ips = Some(vec![ip]);
    }
    let network = options.network_info.values().next().unwrap().clone();
    let mut guard = Guard {
        netavark: Netavark::find(dir.path().join("netavark")).unwrap(),
        netns: dir.path().join("netns/c1"),
        options,
        set_up: false,
    };
    netns::create(&guard.netns).unwrap();

    let status = guard.netavark.setup(&guard.netns, &guard.options).unwrap();
    guard.set_up = true;
    let eth0 = &status[&network.name].interfaces.as_ref().unwrap()["eth0"];
    let addr = &eth0.subnets.as_ref().unwrap()[0];
    assert_eq!(addr.ipnet.addr(), ip);
    assert!(
        link_exists(&bridge),
        "the bridge exists while a container uses it"
    );

    // The address is configured inside the namespace.
    let ns = guard.netns.clone();
    let bound = std::thread::spawn(move || {
        let f = std::fs::File::open(&ns).unwrap();
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        std::net::UdpSocket::bind((ip, 0)).map(|_| ())
    })
    .join()
    .unwrap();
    assert!(bound.is_ok(), "{bound:?}");

    guard
        .netavark
        .teardown(&guard.netns, &guard.options)
        .unwrap();
    guard.set_up = false;
    assert!(
        !link_exists(&bridge),
        "the bridge goes with its last container"
    );
}

#[test]
fn errors_carry_netavarks_message() {
    let dir = tempfile::tempdir().unwrap();
    let nv = Netavark::find(dir.path().join("netavark")).unwrap();
    let options = NetworkOptions {
        container_id: "x".repeat(64),
        container_name: "bad".into(),
        networks: BTreeMap::new(),
        network_info: BTreeMap::new(),
        port_mappings: None,
        dns_servers: None,
    };
    let err = nv
        .setup(&dir.path().join("no-such-netns"), &options)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("netavark: "), "{err}");
}

/// A one-container setup on a bridge `bridge` with subnet `10.N.n.0/24`.
fn options(prefix: u8, bridge: &str, n: u32, internal: bool) -> NetworkOptions {
    let network = Network {
        name: format!("t{n}"),
        id: format!("{:064x}", n),
        driver: "bridge".into(),
        network_interface: Some(bridge.to_owned()),
        subnets: Some(vec![Subnet {
            subnet: format!("10.{prefix}.{n}.0/24").parse().unwrap(),
            gateway: Some(format!("10.{prefix}.{n}.1").parse().unwrap()),
            lease_range: None,
        }]),
        ipv6_enabled: false,
        internal,
        dns_enabled: false,
        ..Network::default()
    };
    NetworkOptions {
        container_id: format!("{:064x}", n + 1000),
        container_name: "nettest".into(),
        networks: BTreeMap::from([(
            network.name.clone(),
            PerNetworkOptions {
                interface_name: "eth0".into(),
                static_ips: None,
                static_mac: None,
                aliases: None,
            },
        )]),
        network_info: BTreeMap::from([(network.name.clone(), network)]),
        port_mappings: None,
        dns_servers: None,
    }
}

/// CNI teardown on failure.
struct CniGuard {
    cni: Cni,
    netns: PathBuf,
    options: NetworkOptions,
}

impl Drop for CniGuard {
    fn drop(&mut self) {
        let _ = self.cni.teardown(&self.netns, &self.options);
        let _ = netns::remove(&self.netns);
        if let Some(b) = self
            .options
            .network_info
            .values()
            .next()
            .and_then(|n| n.network_interface.clone())
        {
            let _ = std::process::Command::new("ip")
                .args(["link", "del", &b])
                .status();
        }
    }
}

#[test]
fn cni_bridge_setup_and_teardown() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::process::id() % 250 + 1;
    let bridge = format!("rpodc{}", std::process::id() % 100_000);
    let guard = CniGuard {
        cni: Cni::new(dir.path().join("cni")),
        netns: dir.path().join("netns/c1"),
        options: options(78, &bridge, n, false),
    };
    netns::create(&guard.netns).unwrap();
    let status = guard.cni.setup(&guard.netns, &guard.options).unwrap();
    let name = format!("t{n}");
    let eth0 = &status[&name].interfaces.as_ref().unwrap()["eth0"];
    let addr = eth0.subnets.as_ref().unwrap()[0].ipnet.addr();
    assert_eq!(
        addr,
        format!("10.78.{n}.2").parse::<std::net::IpAddr>().unwrap()
    );
    assert!(!eth0.mac_address.is_empty());
    let leases = dir.path().join("cni/leases").join(&name);
    assert!(
        leases.join(addr.to_string()).exists(),
        "host-local keeps its lease in rpod's dir"
    );

    guard.cni.teardown(&guard.netns, &guard.options).unwrap();
    assert!(
        !leases.join(addr.to_string()).exists(),
        "DEL releases the lease"
    );
}
