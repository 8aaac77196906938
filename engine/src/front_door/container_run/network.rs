//! The networking flags of a create, as the options stored with the
//! container: `--network` parsed with Podman's rules, the default mode
//! applied, networks looked up, `--ip`/`--mac-address`/`--network-alias`
//! placed on the network they belong to, ports and DNS values checked.

use std::net::IpAddr;

use rpod_api::container_run::NetworkSpec;
use rpod_api::{Error, ErrorKind};

use crate::container::{NetOptions, NetworkMode};
use crate::network::config::{DefaultMode, NetworkConfig};
use crate::network::mode::{self, NetMode, NetworkAttach, DEFAULT_KEY};
use crate::network::ports;
use crate::network::store::{NetworkStore, StoreError};

/// Podman's warning when ports were given to `mode`, which has none (they
/// are dropped); `None` for a mode with ports.
pub(crate) fn ports_discarded(mode: &NetworkMode) -> Option<String> {
    let name = match mode {
        NetworkMode::Bridge | NetworkMode::Slirp4netns(_) | NetworkMode::Pasta(_) => return None,
        NetworkMode::Host => "host",
        NetworkMode::None => "none",
        NetworkMode::Container(_) => "container",
        NetworkMode::Ns(_) => "path",
    };
    Some(format!(
        "Port mappings have been discarded because \"{name}\" network namespace mode does not support them"
    ))
}

/// The mode and options for `spec`. `in_pod`: the container joins its pod's
/// namespaces, so without `--network` it has no network of its own.
pub(crate) fn net_options(
    spec: NetworkSpec,
    config: &NetworkConfig,
    store: &NetworkStore,
    in_pod: bool,
) -> Result<(NetworkMode, NetOptions), Error> {
    let sel = mode::parse(&spec.modes).map_err(|e| Error::invalid(e.to_string()))?;
    let mut net = NetOptions {
        publish_all: spec.publish_all,
        dns_search: spec.dns_search,
        dns_options: spec.dns_options,
        no_hosts: spec.no_hosts,
        hosts_file: spec.hosts_file,
        ..Default::default()
    };
    for d in &spec.dns {
        net.dns_servers.push(
            d.parse::<IpAddr>()
                .map_err(|_| Error::invalid(format!("{d} is not an ip address")))?,
        );
    }
    for h in &spec.add_hosts {
        check_add_host(h)?;
        net.add_hosts.push(h.clone());
    }
    for p in &spec.publish {
        net.ports
            .push(ports::parse_publish(p).map_err(|e| Error::invalid(e.to_string()))?);
    }
    for e in &spec.expose {
        net.expose
            .extend(ports::parse_expose(e).map_err(|e| Error::invalid(e.to_string()))?);
    }
    if in_pod && spec.modes.is_empty() && (!net.ports.is_empty() || net.publish_all) {
        return Err(Error::invalid(
            "invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod",
        ));
    }
    let mode = match sel.mode {
        NetMode::Private if spec.modes.is_empty() && in_pod => NetworkMode::None,
        NetMode::Private if spec.modes.is_empty() => match config.default_mode {
            DefaultMode::Bridge if crate::rootless::is_rootless() => {
                crate::rootless::network::default_mode().map_err(Error::invalid)?
            }
            DefaultMode::Bridge => NetworkMode::Bridge,
            DefaultMode::None => NetworkMode::None,
            DefaultMode::Host => NetworkMode::Host,
        },
        NetMode::Private | NetMode::Bridge => NetworkMode::Bridge,
        NetMode::None => NetworkMode::None,
        NetMode::Host => NetworkMode::Host,
        NetMode::Path(p) => NetworkMode::Ns(p),
        NetMode::Container(c) => NetworkMode::Container(c),
        NetMode::Slirp4netns(opts) => {
            crate::network::slirp::parse_options(&opts).map_err(Error::invalid)?;
            NetworkMode::Slirp4netns(opts)
        }
        NetMode::Pasta(opts) => NetworkMode::Pasta(opts),
    };
    crate::rootless::network::check_mode(&mode, &net.ports).map_err(Error::invalid)?;
    if mode != NetworkMode::Bridge {
        if !spec.ips.is_empty() || spec.mac_address.is_some() || !spec.aliases.is_empty() {
            return Err(Error::invalid(
                "--ip, --mac-address and --network-alias need a bridge network: invalid argument",
            ));
        }
        // A mode without ports drops them; the create's report warns.
        if ports_discarded(&mode).is_some() && (!net.ports.is_empty() || net.publish_all) {
            net.ports.clear();
            net.publish_all = false;
        }
        return Ok((mode, net));
    }
    let mut networks = sel.networks;
    if networks.is_empty() {
        networks.insert(DEFAULT_KEY.to_owned(), NetworkAttach::default());
    }
    if let Some(attach) = networks.remove(DEFAULT_KEY) {
        networks.insert(config.default.name.clone(), attach);
    }
    // Names as the store spells them (an ID or prefix names its network).
    let mut resolved = std::collections::BTreeMap::new();
    for (name, attach) in networks {
        let found = store.get(&name).map_err(|e| match e {
            StoreError::NotFound(_) => Error::new(ErrorKind::NoSuchNetwork, e.to_string()),
            other => Error::invalid(other.to_string()),
        })?;
        resolved.insert(found.name, attach);
    }
    if resolved.len() > 1 && (!spec.ips.is_empty() || spec.mac_address.is_some()) {
        return Err(Error::invalid(
            "--ip and --mac-address can only be set when only one network is specified: use NAME:ip=...,mac=... instead: invalid argument",
        ));
    }
    for (i, attach) in resolved.values_mut().enumerate() {
        add_static(attach, &spec.ips, spec.mac_address.as_deref())?;
        attach.aliases.extend(spec.aliases.iter().cloned());
        if attach.interface_name.is_none() {
            attach.interface_name = Some(format!("eth{i}"));
        }
    }
    net.networks = resolved;
    Ok((mode, net))
}

/// `--ip`/`--ip6` addresses and `--mac-address` (of `create` or `network
/// connect`) onto `attach`, with Podman's messages.
pub(crate) fn add_static(
    attach: &mut NetworkAttach,
    ips: &[String],
    mac: Option<&str>,
) -> Result<(), Error> {
    for ip in ips {
        attach.static_ips.push(
            ip.parse()
                .map_err(|_| Error::invalid(format!("{ip} is not an ip address")))?,
        );
    }
    if let Some(mac) = mac {
        attach.static_mac = Some(mode::parse_mac(mac).map_err(|e| Error::invalid(e.to_string()))?);
    }
    Ok(())
}

/// `--add-host NAME[;NAME2]:IP` (IPv6 after the first `:`), or
/// `NAME:host-gateway`.
fn check_add_host(h: &str) -> Result<(), Error> {
    let bad = || Error::invalid(format!("invalid IP address in add-host: {h:?}"));
    let (names, ip) = h.split_once(':').ok_or_else(bad)?;
    if names.is_empty() {
        return Err(Error::invalid(format!(
            "hostname in add-host {h:?} is empty"
        )));
    }
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip != "host-gateway" && ip.parse::<IpAddr>().is_err() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::config::NetworkSection;

    fn run(spec: NetworkSpec) -> Result<(NetworkMode, NetOptions), Error> {
        let dir = tempfile::tempdir().unwrap();
        let config = NetworkSection::default().resolve().unwrap();
        let store = NetworkStore::new(dir.path().into(), config.default.clone());
        net_options(spec, &config, &store, false)
    }

    #[test]
    fn ports_into_a_mode_without_ports_warn_naming_the_mode() {
        assert_eq!(
            ports_discarded(&NetworkMode::Host).as_deref(),
            Some("Port mappings have been discarded because \"host\" network namespace mode does not support them")
        );
        assert!(ports_discarded(&NetworkMode::None)
            .unwrap()
            .contains("\"none\""));
        assert!(ports_discarded(&NetworkMode::Container("abc".into()))
            .unwrap()
            .contains("\"container\""));
        assert!(ports_discarded(&NetworkMode::Ns("/proc/1/ns/net".into()))
            .unwrap()
            .contains("\"path\""));
        assert_eq!(ports_discarded(&NetworkMode::Bridge), None);
        let (mode, net) = run(NetworkSpec {
            modes: vec!["host".into()],
            publish: vec!["8080:80".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(mode, NetworkMode::Host);
        assert!(net.ports.is_empty(), "dropped");
    }

    #[test]
    fn default_is_the_default_network_with_flags_placed() {
        let (mode, net) = run(NetworkSpec {
            ips: vec!["10.79.0.9".into()],
            aliases: vec!["web".into()],
            publish: vec!["127.0.0.1:8080:80".into()],
            add_hosts: vec!["db:1.2.3.4".into(), "gw:host-gateway".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(mode, NetworkMode::Bridge);
        let a = &net.networks["podman"];
        assert_eq!(a.static_ips, vec!["10.79.0.9".parse::<IpAddr>().unwrap()]);
        assert_eq!(a.aliases, vec!["web".to_string()]);
        assert_eq!(a.interface_name.as_deref(), Some("eth0"));
        assert_eq!(net.ports[0].host_port, 8080);
    }

    #[test]
    fn errors() {
        let e = |spec: NetworkSpec| run(spec).unwrap_err().to_string();
        assert_eq!(
            e(NetworkSpec {
                modes: vec!["nope".into()],
                ..Default::default()
            }),
            "unable to find network with name or ID nope: network not found"
        );
        assert_eq!(
            e(NetworkSpec {
                modes: vec!["slirp4netns:foo=1".into()],
                ..Default::default()
            }),
            "unknown option for slirp4netns: \"foo=1\""
        );
        let (mode, net) = run(NetworkSpec {
            modes: vec!["pasta:-T,8000".into()],
            publish: vec!["80".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(mode, NetworkMode::Pasta(vec!["-T".into(), "8000".into()]));
        assert_eq!(net.ports.len(), 1);
        assert_eq!(
            e(NetworkSpec {
                add_hosts: vec!["db:nope".into()],
                ..Default::default()
            }),
            "invalid IP address in add-host: \"db:nope\""
        );
        let (mode, net) = run(NetworkSpec {
            modes: vec!["host".into()],
            publish: vec!["80".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(mode, NetworkMode::Host);
        assert!(net.ports.is_empty());
    }
}
